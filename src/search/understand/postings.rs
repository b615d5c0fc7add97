//! Compact sorted sets of listing ids (a word's listings) and the variable-length integers they
//! are written with.
//!
//! Ids are kept in blocks of at most [`BLOCK`]: each block knows its first and last id and writes
//! the gaps between its ids as LEB128 varints. A word held by most of a million listings costs
//! about a byte per listing instead of eight, yet a lookup decodes a single block, so counting
//! listings that hold several words skips through the long lists as before.

/// Ids per block at most.
const BLOCK: usize = 128;

/// Appends `v` as an unsigned LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads one varint from the front of `bytes`, advancing it; `None` at the end (or when cut).
pub fn take_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0u32;
    loop {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        v |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
        if b & 0x80 == 0 {
            return Some(v);
        }
        shift += 7;
        if shift >= 70 {
            return None;
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Block {
    first: i64,
    last: i64,
    len: u32,
    /// Gaps between consecutive ids after `first` (each ≥ 1), as varints.
    gaps: Vec<u8>,
}

impl Block {
    fn of(ids: &[i64]) -> Block {
        let mut gaps = Vec::with_capacity(ids.len());
        for pair in ids.windows(2) {
            put_varint(&mut gaps, pair[1].wrapping_sub(pair[0]) as u64);
        }
        gaps.shrink_to_fit();
        Block {
            first: ids.first().copied().unwrap_or(0),
            last: ids.last().copied().unwrap_or(0),
            len: u32::try_from(ids.len()).unwrap_or(u32::MAX),
            gaps,
        }
    }

    fn decode_into(&self, out: &mut Vec<i64>) {
        out.clear();
        if self.len == 0 {
            return;
        }
        out.push(self.first);
        let mut at = self.first;
        let mut bytes = &self.gaps[..];
        while let Some(gap) = take_varint(&mut bytes) {
            at = at.wrapping_add(gap as i64);
            out.push(at);
        }
    }

    fn ids(&self) -> Vec<i64> {
        let mut out = Vec::with_capacity(self.len as usize);
        self.decode_into(&mut out);
        out
    }
}

/// A sorted set of listing ids.
#[derive(Debug, Default, Clone)]
pub struct Postings {
    blocks: Vec<Block>,
    len: usize,
}

impl Postings {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The block that would hold `id`: the first whose last id is not below it.
    fn block_for(&self, id: i64) -> usize {
        self.blocks.partition_point(|b| b.last < id)
    }

    /// Adds `id`; false when it was there already. Ids arriving in increasing order (a bulk
    /// build) are appended without decoding anything.
    pub fn insert(&mut self, id: i64) -> bool {
        match self.blocks.last_mut() {
            None => {
                self.blocks.push(Block::of(&[id]));
                self.len = 1;
                return true;
            }
            Some(last) if id > last.last => {
                if (last.len as usize) < BLOCK {
                    put_varint(&mut last.gaps, id.wrapping_sub(last.last) as u64);
                    last.last = id;
                    last.len += 1;
                } else {
                    self.blocks.push(Block::of(&[id]));
                }
                self.len += 1;
                return true;
            }
            Some(_) => {}
        }
        let b = self.block_for(id);
        let mut ids = self.blocks[b].ids();
        let Err(at) = ids.binary_search(&id) else {
            return false;
        };
        ids.insert(at, id);
        if ids.len() > BLOCK {
            let (low, high) = ids.split_at(ids.len() / 2);
            self.blocks[b] = Block::of(low);
            self.blocks.insert(b + 1, Block::of(high));
        } else {
            self.blocks[b] = Block::of(&ids);
        }
        self.len += 1;
        true
    }

    /// Takes `id` out; false when it was not there.
    pub fn remove(&mut self, id: i64) -> bool {
        let b = self.block_for(id);
        let Some(block) = self.blocks.get(b) else {
            return false;
        };
        if block.first > id {
            return false;
        }
        let mut ids = block.ids();
        let Ok(at) = ids.binary_search(&id) else {
            return false;
        };
        ids.remove(at);
        if ids.is_empty() {
            self.blocks.remove(b);
        } else {
            self.blocks[b] = Block::of(&ids);
        }
        self.len -= 1;
        true
    }

    /// Frees spare room (after a bulk build).
    pub fn shrink(&mut self) {
        for b in &mut self.blocks {
            b.gaps.shrink_to_fit();
        }
        self.blocks.shrink_to_fit();
    }

    /// Every id, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        self.blocks.iter().flat_map(Block::ids)
    }

    /// A reader that answers "is this id here?" for ids asked in increasing order.
    pub fn seeker(&self) -> Seeker<'_> {
        Seeker {
            postings: self,
            block: 0,
            decoded: None,
            ids: Vec::new(),
        }
    }
}

/// What [`Seeker::seek`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seek {
    Found,
    Missing,
    /// Every id of the set is below the one asked: no later id can be found either.
    Exhausted,
}

/// Looks ids up in increasing order, decoding each block at most once.
pub struct Seeker<'a> {
    postings: &'a Postings,
    block: usize,
    decoded: Option<usize>,
    ids: Vec<i64>,
}

impl Seeker<'_> {
    /// Whether `id` is in the set; ids must be asked in increasing order.
    pub fn seek(&mut self, id: i64) -> Seek {
        let blocks = &self.postings.blocks;
        self.block += blocks[self.block.min(blocks.len())..].partition_point(|b| b.last < id);
        let Some(block) = blocks.get(self.block) else {
            return Seek::Exhausted;
        };
        if block.first > id {
            return Seek::Missing;
        }
        if self.decoded != Some(self.block) {
            block.decode_into(&mut self.ids);
            self.decoded = Some(self.block);
        }
        if self.ids.binary_search(&id).is_ok() {
            Seek::Found
        } else {
            Seek::Missing
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let values = [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ];
        let mut bytes = Vec::new();
        for v in values {
            put_varint(&mut bytes, v);
        }
        let mut read = &bytes[..];
        for v in values {
            assert_eq!(take_varint(&mut read), Some(v));
        }
        assert_eq!(take_varint(&mut read), None);
        assert_eq!(take_varint(&mut &[0x80u8][..]), None);
    }

    #[test]
    fn holds_the_same_ids_as_a_sorted_list_through_inserts_and_removals() {
        let mut p = Postings::default();
        let mut want: Vec<i64> = Vec::new();
        // In order (the bulk build), then out of order, with repeats and negative ids.
        let mut ids: Vec<i64> = (1..=1_000).map(|i| i * 3).collect();
        ids.extend((0..700).map(|i| (i * 7919) % 3_500 - 10));
        for id in ids {
            let fresh = !want.contains(&id);
            assert_eq!(p.insert(id), fresh, "insert {id}");
            if let Err(at) = want.binary_search(&id) {
                want.insert(at, id);
            }
            assert_eq!(p.len(), want.len());
        }
        assert!(p.iter().eq(want.iter().copied()));
        for id in (0..2_000).map(|i| (i * 31) % 3_600 - 20) {
            let had = want.binary_search(&id);
            assert_eq!(p.remove(id), had.is_ok(), "remove {id}");
            if let Ok(at) = had {
                want.remove(at);
            }
        }
        p.shrink();
        assert_eq!(p.len(), want.len());
        assert!(p.iter().eq(want.iter().copied()));
        for id in want.clone() {
            assert!(p.remove(id));
        }
        assert!(p.is_empty() && p.iter().next().is_none() && !p.remove(3));
    }

    #[test]
    fn a_seeker_finds_exactly_the_ids_held() {
        let mut p = Postings::default();
        for id in (0..5_000).filter(|i| i % 3 == 0 || i % 7 == 0) {
            p.insert(id);
        }
        let mut s = p.seeker();
        for id in (0..5_000).step_by(5) {
            let want = if id % 3 == 0 || id % 7 == 0 {
                Seek::Found
            } else {
                Seek::Missing
            };
            assert_eq!(s.seek(id), want, "{id}");
        }
        assert_eq!(s.seek(5_000), Seek::Exhausted);
        assert_eq!(Postings::default().seeker().seek(1), Seek::Exhausted);
    }

    #[test]
    fn a_dense_word_costs_about_a_byte_per_listing() {
        let mut p = Postings::default();
        for id in 1..=100_000 {
            p.insert(id * 2);
        }
        p.shrink();
        let bytes: usize = p.blocks.iter().map(|b| b.gaps.len() + 40).sum();
        assert!(bytes < 140_000, "{bytes}");
    }
}
