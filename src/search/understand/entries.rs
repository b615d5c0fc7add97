//! One short byte string per listing id, all in one buffer: the vocabulary's record of what each
//! listing contributed (so it can be taken back out), without a map bucket and an allocation per
//! listing.
//!
//! Slots are sorted by id. New listings (ids above every other) are appended; a replaced entry is
//! written at the end of the buffer and its old bytes become garbage; a removed listing keeps its
//! slot, marked, until enough garbage builds up, then everything live is copied once, in order.

/// `pos` packs the start in the buffer (high 40 bits) and the length (low 24 bits).
const LEN_BITS: u32 = 24;
const LEN_MASK: u64 = (1 << LEN_BITS) - 1;
/// The length value marking a removed listing's slot.
const REMOVED: u64 = LEN_MASK;
/// Compact once garbage is at least this many bytes (and half the buffer) or slots.
const COMPACT_BYTES: usize = 1 << 20;
const COMPACT_SLOTS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Slot {
    id: i64,
    pos: u64,
}

impl Slot {
    fn len(self) -> u64 {
        self.pos & LEN_MASK
    }

    fn removed(self) -> bool {
        self.len() == REMOVED
    }

    fn range(self) -> std::ops::Range<usize> {
        let start = (self.pos >> LEN_BITS) as usize;
        start..start + self.len() as usize
    }
}

/// Byte strings by listing id.
#[derive(Debug, Default, Clone)]
pub struct Entries {
    slots: Vec<Slot>,
    bytes: Vec<u8>,
    live: usize,
    removed_slots: usize,
    garbage: usize,
}

impl Entries {
    /// Listings held.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn find(&self, id: i64) -> Result<usize, usize> {
        self.slots.binary_search_by_key(&id, |s| s.id)
    }

    pub fn get(&self, id: i64) -> Option<&[u8]> {
        let slot = self.slots[self.find(id).ok()?];
        (!slot.removed()).then(|| &self.bytes[slot.range()])
    }

    /// Sets the entry of `id` (replacing any). Entries are far below 16 MiB (a listing's words).
    pub fn insert(&mut self, id: i64, data: &[u8]) {
        let len = (data.len() as u64).min(REMOVED - 1);
        let data = &data[..len as usize];
        let pos = ((self.bytes.len() as u64) << LEN_BITS) | len;
        self.bytes.extend_from_slice(data);
        match self.find(id) {
            Ok(i) => {
                let old = self.slots[i];
                if old.removed() {
                    self.removed_slots -= 1;
                    self.live += 1;
                } else {
                    self.garbage += old.len() as usize;
                }
                self.slots[i].pos = pos;
            }
            Err(i) => {
                self.slots.insert(i, Slot { id, pos });
                self.live += 1;
            }
        }
        self.maybe_compact();
    }

    /// Takes the entry of `id` out, returning its bytes.
    pub fn remove(&mut self, id: i64) -> Option<Vec<u8>> {
        let i = self.find(id).ok()?;
        let slot = self.slots[i];
        if slot.removed() {
            return None;
        }
        let old = self.bytes[slot.range()].to_vec();
        self.slots[i].pos = REMOVED;
        self.garbage += old.len();
        self.removed_slots += 1;
        self.live -= 1;
        self.maybe_compact();
        Some(old)
    }

    fn maybe_compact(&mut self) {
        let bytes = self.garbage >= COMPACT_BYTES && 2 * self.garbage >= self.bytes.len();
        let slots =
            self.removed_slots >= COMPACT_SLOTS && 4 * self.removed_slots >= self.slots.len();
        if bytes || slots {
            self.compact();
        }
    }

    /// Copies every live entry, in order, into a fresh buffer of exactly its size.
    fn compact(&mut self) {
        let mut bytes = Vec::with_capacity(self.bytes.len() - self.garbage);
        let mut slots = Vec::with_capacity(self.live);
        for slot in &self.slots {
            if slot.removed() {
                continue;
            }
            let pos = ((bytes.len() as u64) << LEN_BITS) | slot.len();
            bytes.extend_from_slice(&self.bytes[slot.range()]);
            slots.push(Slot { id: slot.id, pos });
        }
        self.bytes = bytes;
        self.slots = slots;
        self.garbage = 0;
        self.removed_slots = 0;
    }

    /// Frees spare room (after a bulk build).
    pub fn shrink(&mut self) {
        if self.garbage > 0 || self.removed_slots > 0 {
            self.compact();
        }
        self.bytes.shrink_to_fit();
        self.slots.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_through_replacements_removals_and_compaction() {
        let mut e = Entries::default();
        let data = |id: i64, round: i64| -> Vec<u8> {
            (0..(id % 7 + round) as u8).map(|b| b ^ id as u8).collect()
        };
        for id in 1..=20_000 {
            e.insert(id, &data(id, 0));
        }
        assert_eq!(e.len(), 20_000);
        // Replace some (garbage builds up), remove others (slots marked), re-add a few removed.
        for id in (1..=20_000).filter(|i| i % 3 == 0) {
            e.insert(id, &data(id, 1));
        }
        for id in (1..=20_000).filter(|i| i % 2 == 0) {
            assert_eq!(
                e.remove(id).as_deref(),
                Some(&data(id, i64::from(id % 3 == 0))[..])
            );
        }
        assert_eq!(e.remove(2), None);
        for id in (1..=20_000).filter(|i| i % 10 == 0) {
            e.insert(id, &data(id, 2));
        }
        // Out of order: below every other id.
        e.insert(-5, b"first");
        e.shrink();
        assert_eq!(e.get(-5), Some(&b"first"[..]));
        assert_eq!(e.get(0), None);
        let mut live = 1;
        for id in 1..=20_000 {
            let want = if id % 10 == 0 {
                Some(data(id, 2))
            } else if id % 2 == 0 {
                None
            } else {
                Some(data(id, i64::from(id % 3 == 0)))
            };
            live += usize::from(want.is_some());
            assert_eq!(e.get(id).map(<[u8]>::to_vec), want, "{id}");
        }
        assert_eq!(e.len(), live);
        assert_eq!(e.garbage, 0);
    }
}
