//! Tables a segment's searches read again and again, built on a segment's first search that
//! needs them and kept while it is searched (a segment never changes; deletes only hide
//! documents): the place chains split into places, a facet's ordinals as a plain array, and
//! each document's place in relevance order, the documents newest first.

use super::*;
use std::collections::{HashMap, HashSet};
use tantivy::fastfield::AliveBitSet;
use tantivy::index::SegmentId;

/// A table per segment, or per segment and column.
type Kept<K, V> = Mutex<HashMap<K, V>>;

/// The tables of one generation's segments.
#[derive(Default)]
pub(super) struct SegmentTables {
    chains: Kept<SegmentId, Arc<ChainTable>>,
    /// `None`: the column has no dense table (multi-valued, or too many values).
    ords: Kept<(SegmentId, &'static str), Option<Arc<DenseOrds>>>,
    /// `None`: the column has no set table (single-valued, or more than 16 values).
    sets: Kept<(SegmentId, &'static str), Option<Arc<DenseSets>>>,
    /// A single-valued number column's values, one per document ([`super::kept_range`]).
    values: Kept<(SegmentId, Field), Arc<[i64]>>,
    ranks: Kept<SegmentId, Arc<Ranks>>,
    newest: Kept<SegmentId, Arc<Newest>>,
    prefixes: Mutex<PrefixDocs>,
}

fn poisoned<T>(_: T) -> tantivy::TantivyError {
    tantivy::TantivyError::InternalError("segment tables poisoned".into())
}

/// `map[key]`, built by `build` on first use (under the lock: concurrent first searches wait
/// for one build rather than each making its own).
fn kept<K: std::hash::Hash + Eq, V: Clone>(
    map: &Kept<K, V>,
    key: K,
    build: impl FnOnce() -> tantivy::Result<V>,
) -> tantivy::Result<V> {
    let mut map = map.lock().map_err(poisoned)?;
    if let Some(v) = map.get(&key) {
        return Ok(v.clone());
    }
    let v = build()?;
    map.insert(key, v.clone());
    Ok(v)
}

impl SegmentTables {
    /// `seg`'s place chains (`column` is its `place_chain`).
    pub(super) fn chains(
        &self,
        seg: &SegmentReader,
        column: &StrColumn,
    ) -> tantivy::Result<Arc<ChainTable>> {
        kept(&self.chains, seg.segment_id(), || {
            ChainTable::build(column)
                .map(Arc::new)
                .map_err(tantivy::TantivyError::InternalError)
        })
    }

    /// `seg`'s ordinals of the single-valued facet column `column` (named `name`), one per
    /// document; `None` when the column is multi-valued or has too many values for the table.
    pub(super) fn ords(
        &self,
        seg: &SegmentReader,
        name: &'static str,
        column: &StrColumn,
    ) -> tantivy::Result<Option<Arc<DenseOrds>>> {
        kept(&self.ords, (seg.segment_id(), name), || {
            Ok(DenseOrds::build(column, seg.max_doc()).map(Arc::new))
        })
    }

    /// `seg`'s value sets of the multi-valued facet column `column` (named `name`), one per
    /// document; `None` when the column is single-valued or has more than 16 values.
    pub(super) fn sets(
        &self,
        seg: &SegmentReader,
        name: &'static str,
        column: &StrColumn,
    ) -> tantivy::Result<Option<Arc<DenseSets>>> {
        kept(&self.sets, (seg.segment_id(), name), || {
            Ok(DenseSets::build(column, seg.max_doc()).map(Arc::new))
        })
    }

    /// `seg`'s values of the single-valued `i64` fast field `field`, one per document
    /// ([`super::kept_range::NO_VALUE`] where it has none).
    pub(super) fn values(&self, seg: &SegmentReader, field: Field) -> tantivy::Result<Arc<[i64]>> {
        kept(&self.values, (seg.segment_id(), field), || {
            let column = seg.fast_fields().i64(seg.schema().get_field_name(field))?;
            let mut values = Vec::with_capacity(seg.max_doc() as usize);
            each_first_value(&column, seg.max_doc(), |v| {
                values.push(v.unwrap_or(super::kept_range::NO_VALUE))
            });
            Ok(values.into())
        })
    }

    /// `seg`'s documents' places in relevance order among equals (see [`Ranks`]).
    pub(super) fn ranks(&self, seg: &SegmentReader) -> tantivy::Result<Arc<Ranks>> {
        kept(&self.ranks, seg.segment_id(), || {
            let ff = seg.fast_fields();
            Ok(Arc::new(Ranks::build(
                &ff.u64("name_len")?,
                &ff.i64("published_at")?,
                seg.max_doc(),
            )))
        })
    }

    /// `seg`'s documents newest first (see [`Newest`]).
    pub(super) fn newest(&self, seg: &SegmentReader) -> tantivy::Result<Arc<Newest>> {
        kept(&self.newest, seg.segment_id(), || {
            Ok(Arc::new(Newest::build(
                &seg.fast_fields().i64("published_at")?,
                seg.max_doc(),
            )))
        })
    }

    /// The documents of `seg` with a word of `field` starting with `prefix` give or take
    /// `typos` (see [`super::kept_prefix`]), read by `read` when they are not kept.
    pub(super) fn prefix_docs(
        &self,
        seg: &SegmentReader,
        field: Field,
        (prefix, typos): (&str, u8),
        read: impl FnOnce() -> tantivy::Result<Vec<DocId>>,
    ) -> tantivy::Result<Arc<[DocId]>> {
        let key = (seg.segment_id(), field, prefix.to_owned(), typos);
        if let Some(docs) = self.prefixes.lock().map_err(poisoned)?.get(&key) {
            return Ok(docs);
        }
        // Read outside the lock: other prefixes' searches go on meanwhile.
        let docs: Arc<[DocId]> = read()?.into();
        self.prefixes
            .lock()
            .map_err(poisoned)?
            .insert(key, Arc::clone(&docs));
        Ok(docs)
    }

    /// Forgets the tables of segments `searcher` no longer has (merged or replaced): called when
    /// a write makes a new searcher visible, the only moment the segments change.
    pub(super) fn forget_old(&self, searcher: &tantivy::Searcher) {
        let live: HashSet<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(SegmentReader::segment_id)
            .collect();
        if let Ok(mut chains) = self.chains.lock() {
            chains.retain(|id, _| live.contains(id));
        }
        if let Ok(mut ords) = self.ords.lock() {
            ords.retain(|(id, _), _| live.contains(id));
        }
        if let Ok(mut sets) = self.sets.lock() {
            sets.retain(|(id, _), _| live.contains(id));
        }
        if let Ok(mut values) = self.values.lock() {
            values.retain(|(id, _), _| live.contains(id));
        }
        if let Ok(mut ranks) = self.ranks.lock() {
            ranks.retain(|id, _| live.contains(id));
        }
        if let Ok(mut newest) = self.newest.lock() {
            newest.retain(|id, _| live.contains(id));
        }
        if let Ok(mut prefixes) = self.prefixes.lock() {
            prefixes.retain(|(id, ..)| live.contains(id));
        }
    }
}

/// The prefixes' documents kept: at most `budget` bytes of document ids, the least recently
/// used dropped first.
struct PrefixDocs {
    kept: HashMap<PrefixKey, (Arc<[DocId]>, u64)>,
    bytes: usize,
    budget: usize,
    /// Counts lookups: an entry's stamp is when it was last used.
    clock: u64,
}

/// A segment, a field, a prefix, the typos allowed.
type PrefixKey = (SegmentId, Field, String, u8);

impl PrefixDocs {
    /// 16 MiB: four million document ids (a two-letter prefix matching a third of 100 000
    /// listings takes 130 KB; of a million, 1.3 MB).
    const BUDGET: usize = 16 << 20;

    fn with_budget(budget: usize) -> Self {
        PrefixDocs {
            kept: HashMap::new(),
            bytes: 0,
            budget,
            clock: 0,
        }
    }

    fn get(&mut self, key: &PrefixKey) -> Option<Arc<[DocId]>> {
        self.clock += 1;
        let (docs, used) = self.kept.get_mut(key)?;
        *used = self.clock;
        Some(Arc::clone(docs))
    }

    fn insert(&mut self, key: PrefixKey, docs: Arc<[DocId]>) {
        let size = std::mem::size_of_val(&*docs);
        if size > self.budget {
            return;
        }
        // Read twice at once (two first searches): the later one replaces the earlier.
        self.remove(&key);
        while self.bytes + size > self.budget {
            let Some(oldest) = self
                .kept
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.remove(&oldest);
        }
        self.clock += 1;
        self.bytes += size;
        self.kept.insert(key, (docs, self.clock));
    }

    fn remove(&mut self, key: &PrefixKey) {
        if let Some((docs, _)) = self.kept.remove(key) {
            self.bytes -= std::mem::size_of_val(&*docs);
        }
    }

    fn retain(&mut self, keep: impl Fn(&PrefixKey) -> bool) {
        let gone: Vec<PrefixKey> = self.kept.keys().filter(|k| !keep(k)).cloned().collect();
        for key in gone {
            self.remove(&key);
        }
    }
}

impl Default for PrefixDocs {
    fn default() -> Self {
        Self::with_budget(Self::BUDGET)
    }
}

/// `take` is handed each document's first value of `column` in document order, read a block of
/// 1 024 documents at a time (one at a time decodes a packed block per document).
fn each_first_value<T>(column: &Column<T>, max_doc: DocId, mut take: impl FnMut(Option<T>))
where
    T: PartialOrd + Copy + std::fmt::Debug + Send + Sync + 'static,
{
    let mut docs: Vec<DocId> = Vec::with_capacity(1024);
    let mut block: Vec<Option<T>> = vec![None; 1024];
    let mut start = 0;
    while start < max_doc {
        let end = max_doc.min(start + 1024);
        docs.clear();
        docs.extend(start..end);
        let block = &mut block[..docs.len()];
        column.first_vals(&docs, block);
        block.iter().for_each(|v| take(*v));
        start = end;
    }
}

/// A single-valued facet column's ordinals as a plain array: counting a facet over a third of
/// the catalogue is then one load per document, not a decode of the column's packed blocks.
/// Two bytes a document (2 MB per facet at a million listings).
pub(super) struct DenseOrds(Vec<u16>);

impl DenseOrds {
    /// No value.
    const NONE: u16 = u16::MAX;

    fn build(column: &StrColumn, max_doc: DocId) -> Option<DenseOrds> {
        let ords = column.ords();
        if matches!(
            ords.get_cardinality(),
            tantivy::columnar::Cardinality::Multivalued
        ) || column.num_terms() >= usize::from(Self::NONE)
        {
            return None;
        }
        let mut dense = Vec::with_capacity(max_doc as usize);
        // Every ordinal is below NONE (num_terms is).
        each_first_value(ords, max_doc, |v| {
            dense.push(v.map_or(Self::NONE, |o| u16::try_from(o).unwrap_or(Self::NONE)))
        });
        Some(DenseOrds(dense))
    }

    /// Adds one to `counts[ordinal]` for each of `docs` with a value.
    pub(super) fn count(&self, docs: &[DocId], counts: &mut [u64]) {
        for &doc in docs {
            self.count_one(doc, counts);
        }
    }

    pub(super) fn count_one(&self, doc: DocId, counts: &mut [u64]) {
        if let Some(&ord) = self.0.get(doc as usize) {
            if let Some(c) = counts.get_mut(usize::from(ord)) {
                *c += 1;
            }
        }
    }
}

/// A multi-valued facet column of at most 16 values (certifications, months in season) as one
/// bit set per document: its values were read from the column's packed blocks for every matching
/// document (two fifths of a one-word search with every facet at a million listings). A search
/// counts the sets' two bytes in two histograms of 256 ([`SetCounts`]) and turns them into value
/// counts once. Two bytes a document.
pub(super) struct DenseSets(Vec<u16>);

impl DenseSets {
    const MAX_VALUES: usize = 16;

    fn build(column: &StrColumn, max_doc: DocId) -> Option<DenseSets> {
        let ords = column.ords();
        if !matches!(
            ords.get_cardinality(),
            tantivy::columnar::Cardinality::Multivalued
        ) || column.num_terms() > Self::MAX_VALUES
        {
            return None;
        }
        let sets = (0..max_doc)
            .map(|doc| {
                ords.values_for_doc(doc)
                    .filter(|&ord| ord < Self::MAX_VALUES as u64)
                    .fold(0u16, |set, ord| set | (1 << ord))
            })
            .collect();
        Some(DenseSets(sets))
    }

    /// Counts each of `docs`'s set into `into`.
    pub(super) fn count(&self, docs: &[DocId], into: &mut SetCounts) {
        for &doc in docs {
            self.count_one(doc, into);
        }
    }

    pub(super) fn count_one(&self, doc: DocId, into: &mut SetCounts) {
        if let Some(&set) = self.0.get(doc as usize) {
            into.low[usize::from(set & 0xff)] += 1;
            into.high[usize::from(set >> 8)] += 1;
        }
    }
}

/// How many counted documents had each low and each high byte of their value set.
pub(super) struct SetCounts {
    low: [u64; 256],
    high: [u64; 256],
}

impl Default for SetCounts {
    fn default() -> Self {
        SetCounts {
            low: [0; 256],
            high: [0; 256],
        }
    }
}

impl SetCounts {
    /// Adds the documents counted to `counts[ordinal]`, one per document holding the value.
    pub(super) fn add_to(&self, counts: &mut [u64]) {
        for (shift, histogram) in [(0, &self.low), (8, &self.high)] {
            for (byte, &n) in histogram.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                for bit in 0..8 {
                    if byte & (1 << bit) != 0 {
                        if let Some(c) = counts.get_mut(shift + bit) {
                            *c += n;
                        }
                    }
                }
            }
        }
    }
}

/// Each document's position when the segment's documents are ordered as a one-word search's
/// tier orders them (every document of a tier has the same score): shorter name first, then
/// newest, then lower document id, as [`TopSegment::key`] orders by relevance. A tier's best
/// are then its documents with the lowest ranks: one load per document, no key built for the
/// others. Four bytes a document.
pub(super) struct Ranks(Vec<u32>);

impl Ranks {
    fn build(name_len: &Column<u64>, published: &Column<i64>, max_doc: DocId) -> Ranks {
        let mut order: Vec<(u64, Reverse<i64>, DocId)> = (0..max_doc)
            .map(|doc| {
                (
                    name_len.first(doc).unwrap_or(0),
                    Reverse(published.first(doc).unwrap_or(0)),
                    doc,
                )
            })
            .collect();
        order.sort_unstable();
        let mut ranks = vec![0u32; max_doc as usize];
        for (rank, (_, _, doc)) in order.into_iter().enumerate() {
            if let Some(r) = ranks.get_mut(doc as usize) {
                *r = rank as u32;
            }
        }
        Ranks(ranks)
    }

    pub(super) fn of(&self, doc: DocId) -> u32 {
        self.0.get(doc as usize).copied().unwrap_or(u32::MAX)
    }
}

/// A segment's documents newest first, then by lower document id, as [`TopSegment::key`] orders
/// a browse: the page of a browse of the whole catalogue is among each segment's first live
/// documents, with no other document visited. Four bytes a document.
pub(super) struct Newest(Vec<DocId>);

impl Newest {
    fn build(published: &Column<i64>, max_doc: DocId) -> Newest {
        let mut order: Vec<(Reverse<i64>, DocId)> = (0..max_doc)
            .map(|doc| (Reverse(published.first(doc).unwrap_or(0)), doc))
            .collect();
        order.sort_unstable();
        Newest(order.into_iter().map(|(_, doc)| doc).collect())
    }

    /// The first `keep` documents that `alive` holds (all are, without deletes).
    pub(super) fn first(&self, keep: usize, alive: Option<&AliveBitSet>) -> Vec<DocId> {
        self.0
            .iter()
            .copied()
            .filter(|&doc| alive.is_none_or(|a| a.is_alive(doc)))
            .take(keep)
            .collect()
    }
}

/// One segment's `place_chain` values as indices into its sorted place codes: the place facet
/// is then a few additions per chain counted, with no dictionary read per search.
pub(super) struct ChainTable {
    codes: Vec<String>,
    /// Per code, how far below the root it is (0: a province, 1: a former district).
    depth: Vec<u8>,
    /// Per code, the index of the place it is in (none for a province).
    parent: Vec<Option<u32>>,
    /// Per chain ordinal, its codes' indices.
    parts: Vec<Vec<u32>>,
}

impl ChainTable {
    fn build(column: &StrColumn) -> Result<ChainTable, String> {
        let mut chains: Vec<String> = Vec::with_capacity(column.num_terms());
        column
            .dictionary()
            .sorted_ords_to_term_cb(0..column.num_terms() as u64, |bytes| {
                chains.push(String::from_utf8_lossy(bytes).into_owned());
                Ok(())
            })
            .map_err(|e| e.to_string())?;
        let split = |chain: &str| -> Vec<String> {
            chain
                .split(CHAIN_SEPARATOR)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let mut codes: Vec<String> = chains.iter().flat_map(|c| split(c)).collect();
        codes.sort_unstable();
        codes.dedup();
        let parts: Vec<Vec<u32>> = chains
            .iter()
            .map(|chain| {
                split(chain)
                    .iter()
                    .filter_map(|p| codes.binary_search(p).ok())
                    .map(|i| i as u32)
                    .collect()
            })
            .collect();
        // A chain runs from the place itself up to its province.
        let mut depth = vec![0u8; codes.len()];
        let mut parent = vec![None; codes.len()];
        for chain in &parts {
            for (i, &code) in chain.iter().enumerate() {
                let from_root = chain.len() - 1 - i;
                if let Some(d) = depth.get_mut(code as usize) {
                    *d = u8::try_from(from_root).unwrap_or(u8::MAX);
                }
                if let Some(p) = parent.get_mut(code as usize) {
                    *p = chain.get(i + 1).copied();
                }
            }
        }
        Ok(ChainTable {
            codes,
            depth,
            parent,
            parts,
        })
    }

    /// Counts per chain ordinal as counts per code (a district's count is its communes' sum),
    /// for the codes `scope` asks for.
    pub(super) fn counts(&self, per_chain: &[u64], scope: &PlaceCounts) -> BTreeMap<String, u64> {
        let mut sums = vec![0u64; self.codes.len()];
        for (parts, &count) in self.parts.iter().zip(per_chain) {
            if count == 0 {
                continue;
            }
            for &i in parts {
                if let Some(sum) = sums.get_mut(i as usize) {
                    *sum += count;
                }
            }
        }
        // `None`: every place; `Some(open)`: the regions, and the communes of `open` (an index
        // into `codes`, looked up once).
        let regions: Option<Option<u32>> = match scope {
            PlaceCounts::Every => None,
            PlaceCounts::Regions { open } => Some(open.as_deref().and_then(|open| {
                let at = self.codes.binary_search_by(|c| c.as_str().cmp(open)).ok()?;
                u32::try_from(at).ok()
            })),
        };
        let wanted = |i: usize| -> bool {
            let Some(open) = regions else {
                return true;
            };
            self.depth.get(i).is_some_and(|d| *d <= 1)
                || open.is_some_and(|open| self.parent.get(i).copied().flatten() == Some(open))
        };
        // In code order: the map is built from sorted input.
        self.codes
            .iter()
            .zip(sums)
            .enumerate()
            .filter(|(i, (_, c))| *c > 0 && wanted(*i))
            .map(|(_, (code, c))| (code.clone(), c))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    /// A price filter keeps each segment's prices; once every listing of a segment is replaced
    /// (the segment gone), its prices go with it.
    #[tokio::test]
    #[allow(clippy::expect_used)]
    async fn kept_values_of_segments_gone_are_forgotten() {
        let (_dir, index, docs) = synthetic_index(300, 4).await;
        let priced = SearchQuery {
            filters: crate::search::SearchFilters {
                price_min: Some(1),
                ..Default::default()
            },
            ..SearchQuery::text("")
        };
        let kept = |index: &TantivyIndex| -> Vec<SegmentId> {
            let generation = index.live().expect("live");
            let values = generation.tables.values.lock().expect("lock");
            values.keys().map(|k| k.0).collect()
        };
        let before = index.search_blocking(&priced).expect("search");
        assert!(before.total > 100, "{}", before.total);
        let first = kept(&index);
        assert_eq!(first.len(), 1, "one segment's prices");
        let replaced: Vec<SearchDocument> = docs
            .iter()
            .map(|d| SearchDocument {
                price_vnd: d.price_vnd.map(|p| p + 1),
                ..d.clone()
            })
            .collect();
        index.upsert(replaced).await.expect("upsert");
        let after = index.search_blocking(&priced).expect("search");
        assert_eq!(after.total, before.total);
        let now = kept(&index);
        assert_eq!(now.len(), 1, "only the live segment's prices: {now:?}");
        assert_ne!(now, first, "the new segment's, not the old one's");
    }

    #[test]
    fn kept_prefixes_stay_within_their_budget_least_recently_used_out() {
        let seg = SegmentId::generate_random();
        let field = Field::from_field_id(0);
        let key = |p: &str| (seg, field, p.to_owned(), 0);
        let docs = |n: u32| -> Arc<[DocId]> { (0..n).collect::<Vec<_>>().into() };
        // Room for 100 ids.
        let mut kept = PrefixDocs::with_budget(400);
        kept.insert(key("a"), docs(40));
        kept.insert(key("b"), docs(40));
        assert!(kept.get(&key("a")).is_some(), "a used last");
        kept.insert(key("c"), docs(40));
        assert!(
            kept.get(&key("b")).is_none(),
            "b, least recently used, made room"
        );
        assert_eq!(kept.get(&key("a")).map(|d| d.len()), Some(40));
        assert_eq!(kept.get(&key("c")).map(|d| d.len()), Some(40));
        assert_eq!(kept.bytes, 320);
        // Larger than the whole budget: not kept, nothing thrown out for it.
        kept.insert(key("d"), docs(101));
        assert!(kept.get(&key("d")).is_none());
        assert_eq!(kept.bytes, 320);
        // Kept again under the same key: counted once.
        kept.insert(key("c"), docs(10));
        assert_eq!(kept.bytes, 200);
        kept.retain(|(_, _, p, _)| p != "a");
        assert!(kept.get(&key("a")).is_none());
        assert_eq!(kept.bytes, 40);
    }
}
