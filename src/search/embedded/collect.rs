//! Collecting in one pass: top-k by a sort key, the exact count and facet counts; and running a
//! search on one generation.

use super::*;

pub(super) type Facets = BTreeMap<String, BTreeMap<String, u64>>;

/// Compared lexicographically, larger first.
pub(super) type SortKey = [i64; 4];

#[derive(Clone, Copy)]
pub(super) enum KeyMode {
    /// Text relevance, then shorter name, then newest.
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
    Nearest(f64, f64),
}

pub(super) struct TopCollector {
    /// False for browse/filter-only queries: every score is 0, so skip scoring.
    pub(super) scoring: bool,
    pub(super) mode: KeyMode,
    pub(super) keep: usize,
    /// Facets to count, in [`FACETS`] order.
    pub(super) facets: Vec<&'static str>,
    /// The score of every document of an unscored search (a tier of [`word_tiers`]).
    pub(super) fixed_score: Score,
    /// The generation's per-segment tables (place chains, facet ordinals, relevance ranks).
    pub(super) tables: Arc<SegmentTables>,
    /// The places a place facet counts.
    pub(super) place_scope: PlaceCounts,
}

impl TopCollector {
    /// A scored (or, with `scoring` false, score-0) collection on `generation`.
    pub(super) fn new(
        generation: &Generation,
        scoring: bool,
        mode: KeyMode,
        keep: usize,
        facets: Vec<&'static str>,
    ) -> TopCollector {
        TopCollector {
            scoring,
            mode,
            keep,
            facets,
            fixed_score: 0.0,
            tables: Arc::clone(&generation.tables),
            place_scope: PlaceCounts::Every,
        }
    }
}

pub(super) struct FacetCounter {
    pub(super) name: &'static str,
    /// At most one value per document: read with `first`, cheaper than `values_for_doc`.
    pub(super) single: bool,
    /// Each value is several facet values (a `place_chain`): the segment's table splits them.
    pub(super) chains: Option<Arc<ChainTable>>,
    /// With `chains`: the places counted.
    pub(super) scope: PlaceCounts,
    /// The column's ordinals as a plain array, when single-valued and small enough.
    pub(super) dense: Option<Arc<DenseOrds>>,
    /// The column's value sets, when multi-valued with few values, and what they counted (into
    /// `counts` at the harvest).
    pub(super) sets: Option<(Arc<DenseSets>, Box<SetCounts>)>,
    pub(super) column: StrColumn,
    pub(super) counts: Vec<u64>,
}

pub(super) struct TopSegment {
    /// Scores are the query's ([`TopCollector::scoring`]); otherwise every document's score is
    /// `fixed_score`.
    pub(super) scored: bool,
    pub(super) mode: KeyMode,
    pub(super) keep: usize,
    /// Candidates; pruned to the best `keep` (quickselect) whenever it doubles.
    pub(super) buffer: Vec<(SortKey, DocId)>,
    /// The smallest key kept by the last prune: anything not above it cannot enter the top-k.
    pub(super) threshold: Option<SortKey>,
    pub(super) count: u64,
    pub(super) id: Column<i64>,
    pub(super) slug: Option<StrColumn>,
    pub(super) price: Column<i64>,
    pub(super) published: Column<i64>,
    pub(super) name_len: Column<u64>,
    pub(super) lat: Column<f64>,
    pub(super) lng: Column<f64>,
    pub(super) facets: Vec<FacetCounter>,
    /// Scratch space for reading a block of single-valued ordinals at once.
    pub(super) ords: Vec<Option<u64>>,
    /// An unscored search by relevance (a tier): every document has the same score, so the
    /// best are those of lowest [`Ranks`]; candidates are kept as (rank, doc) and keyed at the
    /// harvest.
    pub(super) ranks: Option<Arc<Ranks>>,
    /// Candidates by rank; pruned to the lowest `keep` whenever it doubles.
    pub(super) ranked: Vec<(u32, DocId)>,
    /// The highest rank kept by the last prune of `ranked`.
    pub(super) rank_threshold: Option<u32>,
    /// The score of every document when unscored (see [`TopCollector::fixed_score`]).
    pub(super) fixed_score: Score,
}

pub(super) struct SegmentFruit {
    pub(super) hits: Vec<(SortKey, SearchHit)>,
    pub(super) count: u64,
    pub(super) facets: Vec<(&'static str, BTreeMap<String, u64>)>,
}

pub(super) fn quantize(score: Score) -> i64 {
    (f64::from(score) * 16.0).round() as i64
}

/// Distance in metres (haversine).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lng1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lng2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lng2 - lng1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().min(1.0).asin()
}

impl TopSegment {
    /// Keeps the `keep` candidates of lowest rank (see [`Self::ranks`]).
    fn prune_ranked(&mut self) {
        if self.ranked.len() > self.keep && self.keep > 0 {
            self.ranked.select_nth_unstable(self.keep - 1);
            self.ranked.truncate(self.keep);
            self.rank_threshold = self.ranked.iter().map(|e| e.0).max();
        }
    }

    pub(super) fn prune(&mut self) {
        if self.buffer.len() > self.keep && self.keep > 0 {
            self.buffer
                .select_nth_unstable_by(self.keep - 1, |a, b| b.0.cmp(&a.0));
            self.buffer.truncate(self.keep);
            self.threshold = self.buffer.iter().map(|e| e.0).min();
        }
    }

    /// The first key component, cheap (from the score only) for every mode.
    pub(super) fn head(&self, score: Score) -> i64 {
        match self.mode {
            KeyMode::Relevance => quantize(score),
            _ => (f64::from(score) / f64::from(WORD_UNIT)).floor() as i64,
        }
    }

    /// The full key; the last component is the negated doc id so ties are deterministic.
    pub(super) fn key(&self, head: i64, doc: DocId, score: Score) -> SortKey {
        let rel = quantize(score);
        let tie = -i64::from(doc);
        match self.mode {
            KeyMode::Relevance => [
                head,
                -(self.name_len.first(doc).unwrap_or(0) as i64),
                self.published.first(doc).unwrap_or(0),
                tie,
            ],
            KeyMode::Newest => [head, self.published.first(doc).unwrap_or(0), rel, tie],
            KeyMode::PriceAsc => [
                head,
                self.price.first(doc).map_or(i64::MIN, |p| -p),
                rel,
                tie,
            ],
            KeyMode::PriceDesc => [head, self.price.first(doc).unwrap_or(i64::MIN), rel, tie],
            KeyMode::Nearest(lat, lng) => {
                let d = match (self.lat.first(doc), self.lng.first(doc)) {
                    (Some(a), Some(b)) => -(distance_m((lat, lng), (a, b)) as i64),
                    _ => i64::MIN,
                };
                [head, d, rel, tie]
            }
        }
    }
}

impl TopSegment {
    pub(super) fn count_facets(&mut self, doc: DocId) {
        for facet in &mut self.facets {
            if let Some(dense) = &facet.dense {
                dense.count_one(doc, &mut facet.counts);
            } else if let Some((sets, counted)) = &mut facet.sets {
                sets.count_one(doc, counted);
            } else if facet.single {
                if let Some(ord) = facet.column.ords().first(doc) {
                    if let Some(c) = facet.counts.get_mut(ord as usize) {
                        *c += 1;
                    }
                }
            } else {
                for ord in facet.column.ords().values_for_doc(doc) {
                    if let Some(c) = facet.counts.get_mut(ord as usize) {
                        *c += 1;
                    }
                }
            }
        }
    }

    /// Offers one matching document to the top-k.
    pub(super) fn consider(&mut self, doc: DocId, score: Score) {
        let head = self.head(score);
        self.consider_at(doc, head, score);
    }

    /// [`Self::consider`] with the key's first component already known.
    fn consider_at(&mut self, doc: DocId, head: i64, score: Score) {
        if self.keep == 0 {
            return;
        }
        if let Some(threshold) = &self.threshold {
            // Cheap early-out on the first component, then on the whole key.
            if head < threshold[0] {
                return;
            }
        }
        let key = self.key(head, doc, score);
        if let Some(threshold) = &self.threshold {
            if key <= *threshold {
                return;
            }
        }
        self.buffer.push((key, doc));
        if self.buffer.len() >= 2 * self.keep + 16 {
            self.prune();
        }
    }
}

impl SegmentCollector for TopSegment {
    type Fruit = Result<SegmentFruit, String>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if !self.scored {
            // An unscored search on a segment with deleted documents hands them over one by
            // one, with score 0: each has the fixed score, as in a block.
            self.collect_block(&[doc]);
            return;
        }
        self.count += 1;
        self.count_facets(doc);
        self.consider(doc, score);
    }

    /// Unscored queries (browse, filters only) hand over blocks of documents: single-valued
    /// facet ordinals are then read a block at a time.
    fn collect_block(&mut self, docs: &[DocId]) {
        self.count += docs.len() as u64;
        if self.ords.len() < docs.len() {
            self.ords.resize(docs.len(), None);
        }
        let ords = &mut self.ords[..docs.len()];
        for facet in &mut self.facets {
            if let Some(dense) = &facet.dense {
                dense.count(docs, &mut facet.counts);
            } else if let Some((sets, counted)) = &mut facet.sets {
                sets.count(docs, counted);
            } else if facet.single {
                facet.column.ords().first_vals(docs, ords);
                for ord in ords.iter().flatten() {
                    if let Some(c) = facet.counts.get_mut(*ord as usize) {
                        *c += 1;
                    }
                }
            } else {
                for &doc in docs {
                    for ord in facet.column.ords().values_for_doc(doc) {
                        if let Some(c) = facet.counts.get_mut(ord as usize) {
                            *c += 1;
                        }
                    }
                }
            }
        }
        if self.keep == 0 {
            return;
        }
        // Every document of an unscored search has the same score: one head for the block.
        let (score, head) = (self.fixed_score, self.head(self.fixed_score));
        if self.threshold.is_some_and(|t| head < t[0]) {
            return;
        }
        // By relevance (a tier) the segment's ranks order the block; by anything else each
        // document is keyed.
        if let Some(ranks) = &self.ranks {
            for &doc in docs {
                let rank = ranks.of(doc);
                if self.rank_threshold.is_none_or(|t| rank < t) {
                    self.ranked.push((rank, doc));
                }
            }
            if self.ranked.len() >= 2 * self.keep + 16 {
                self.prune_ranked();
            }
            return;
        }
        for &doc in docs {
            self.consider_at(doc, head, score);
        }
    }

    fn harvest(mut self) -> Self::Fruit {
        self.prune_ranked();
        let (score, head) = (self.fixed_score, self.head(self.fixed_score));
        for (_, doc) in std::mem::take(&mut self.ranked) {
            let key = self.key(head, doc, score);
            self.buffer.push((key, doc));
        }
        self.prune();
        let mut hits = Vec::with_capacity(self.buffer.len());
        let mut slug_ords: Vec<(u64, usize)> = Vec::with_capacity(self.buffer.len());
        for (key, doc) in std::mem::take(&mut self.buffer) {
            let id = self.id.first(doc).unwrap_or(0);
            if let Some(ord) = self.slug.as_ref().and_then(|col| col.ords().first(doc)) {
                slug_ords.push((ord, hits.len()));
            }
            hits.push((
                key,
                SearchHit {
                    id,
                    slug: String::new(),
                },
            ));
        }
        if let Some(col) = &self.slug {
            // The slugs in one pass over the dictionary, in ordinal order (looked up one by one,
            // each decoded a block of the dictionary: 4 % of the search page).
            slug_ords.sort_unstable();
            slug_ords.dedup_by_key(|e| e.0);
            let mut next = slug_ords.iter();
            col.dictionary()
                .sorted_ords_to_term_cb(slug_ords.iter().map(|e| e.0), |bytes| {
                    if let Some(hit) = next.next().and_then(|e| hits.get_mut(e.1)) {
                        hit.1.slug = String::from_utf8_lossy(bytes).into_owned();
                    }
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
        }
        let mut facets = Vec::with_capacity(self.facets.len());
        for mut facet in self.facets {
            if let Some((_, counted)) = &facet.sets {
                counted.add_to(&mut facet.counts);
            }
            if let Some(table) = &facet.chains {
                facets.push((facet.name, table.counts(&facet.counts, &facet.scope)));
                continue;
            }
            let counted: Vec<(u64, u64)> = facet
                .counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(ord, c)| (ord as u64, *c))
                // Ordinals are in byte order: the first values overall are among each
                // segment's first.
                .take(MAX_FACET_VALUES)
                .collect();
            // One pass over the dictionary in ordinal order, not one lookup per value.
            let mut map = BTreeMap::new();
            let mut next = counted.iter();
            facet
                .column
                .dictionary()
                .sorted_ords_to_term_cb(counted.iter().map(|e| e.0), |bytes| {
                    if let Some((_, count)) = next.next() {
                        map.insert(String::from_utf8_lossy(bytes).into_owned(), *count);
                    }
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
            facets.push((facet.name, map));
        }
        Ok(SegmentFruit {
            hits,
            count: self.count,
            facets,
        })
    }
}

/// `open()` when `used`, else an empty column of `max_doc` rows: opening a column looks its name
/// up in the segment's column directory, for every segment of every search.
fn column_if<T: PartialOrd + Default>(
    used: bool,
    max_doc: DocId,
    open: impl FnOnce() -> tantivy::Result<Column<T>>,
) -> tantivy::Result<Column<T>> {
    if used {
        open()
    } else {
        Ok(Column::build_empty_column(max_doc))
    }
}

pub(super) struct CollectedTop {
    pub(super) hits: Vec<(SortKey, SearchHit)>,
    pub(super) count: u64,
    pub(super) facets: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Collector for TopCollector {
    type Fruit = CollectedTop;
    type Child = TopSegment;

    fn for_segment(&self, _ord: u32, seg: &SegmentReader) -> tantivy::Result<TopSegment> {
        let ff = seg.fast_fields();
        // Only the columns this search's keys read are opened ([`column_if`]): none when only
        // counting.
        let keyed = self.keep > 0;
        let max_doc = seg.max_doc();
        let by_relevance = matches!(self.mode, KeyMode::Relevance);
        let by_price = matches!(self.mode, KeyMode::PriceAsc | KeyMode::PriceDesc);
        let by_date = by_relevance || matches!(self.mode, KeyMode::Newest);
        let nearest = matches!(self.mode, KeyMode::Nearest(..));
        let mut facets = Vec::new();
        for &name in &self.facets {
            let (column_name, chained) = facet_column(name);
            if let Some(column) = ff.str(column_name)? {
                let chains = if chained {
                    Some(self.tables.chains(seg, &column)?)
                } else {
                    None
                };
                let dense = self.tables.ords(seg, column_name, &column)?;
                // A column has one table or the other (single- or multi-valued).
                let sets = match dense {
                    Some(_) => None,
                    None => self
                        .tables
                        .sets(seg, column_name, &column)?
                        .map(|sets| (sets, Box::default())),
                };
                let counts = vec![0; column.num_terms()];
                let single = !matches!(
                    column.ords().get_cardinality(),
                    tantivy::columnar::Cardinality::Multivalued
                );
                facets.push(FacetCounter {
                    name,
                    single,
                    chains,
                    scope: self.place_scope.clone(),
                    dense,
                    sets,
                    column,
                    counts,
                });
            }
        }
        Ok(TopSegment {
            scored: self.scoring,
            mode: self.mode,
            keep: self.keep,
            buffer: Vec::with_capacity(2 * self.keep + 16),
            threshold: None,
            count: 0,
            id: column_if(keyed, max_doc, || ff.i64("id"))?,
            slug: if keyed { ff.str("slug")? } else { None },
            price: column_if(keyed && by_price, max_doc, || ff.i64("price_vnd"))?,
            published: column_if(keyed && by_date, max_doc, || ff.i64("published_at"))?,
            name_len: column_if(keyed && by_relevance, max_doc, || ff.u64("name_len"))?,
            lat: column_if(keyed && nearest, max_doc, || ff.f64("lat"))?,
            lng: column_if(keyed && nearest, max_doc, || ff.f64("lng"))?,
            facets,
            ords: Vec::new(),
            ranks: if !self.scoring && keyed && by_relevance {
                Some(self.tables.ranks(seg)?)
            } else {
                None
            },
            ranked: Vec::new(),
            rank_threshold: None,
            fixed_score: self.fixed_score,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(
        &self,
        fruits: Vec<Result<SegmentFruit, String>>,
    ) -> tantivy::Result<CollectedTop> {
        let mut hits = Vec::new();
        let mut count = 0;
        let mut facets: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for name in &self.facets {
            facets.insert((*name).to_owned(), BTreeMap::new());
        }
        for fruit in fruits {
            let fruit = fruit.map_err(tantivy::TantivyError::InternalError)?;
            hits.extend(fruit.hits);
            count += fruit.count;
            for (name, map) in fruit.facets {
                let into = facets.entry(name.to_owned()).or_default();
                if into.is_empty() {
                    // The first (often the only) segment's counts are taken whole.
                    *into = map;
                    continue;
                }
                for (value, c) in map {
                    *into.entry(value).or_default() += c;
                }
            }
        }
        for counts in facets.values_mut() {
            cap_values(counts);
        }
        hits.sort_by_key(|h| Reverse(h.0));
        hits.truncate(self.keep);
        Ok(CollectedTop {
            hits,
            count,
            facets,
        })
    }
}

/// Keeps a facet's first [`MAX_FACET_VALUES`] values.
fn cap_values(counts: &mut BTreeMap<String, u64>) {
    if let Some(first_cut) = counts.keys().nth(MAX_FACET_VALUES).cloned() {
        counts.split_off(&first_cut);
    }
}

pub(super) fn search_generation(
    generation: &Generation,
    fields: &Fields,
    q: &SearchQuery,
) -> Result<SearchResults, SearchError> {
    search_generation_as(generation, fields, q, Plan::Fastest)
}

/// How [`search_generation_as`] may collect a one-word search.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Plan {
    /// One word: count and facets unscored, the top from [`word_tiers`].
    Fastest,
    /// Every search scored document by document (the reference the tiers are tested against).
    #[cfg(test)]
    Scored,
}

pub(super) fn search_generation_as(
    generation: &Generation,
    fields: &Fields,
    q: &SearchQuery,
    plan: Plan,
) -> Result<SearchResults, SearchError> {
    let words = analyze::query_words(&q.text);
    let limit = q.limit.min(MAX_LIMIT);
    let offset = q.offset.min(MAX_OFFSET);
    let mode = match (q.sort, q.near) {
        (SortOrder::Relevance, _) if words.is_empty() => KeyMode::Newest,
        (SortOrder::Relevance, _) => KeyMode::Relevance,
        (SortOrder::Newest, _) => KeyMode::Newest,
        (SortOrder::PriceAsc, _) => KeyMode::PriceAsc,
        (SortOrder::PriceDesc, _) => KeyMode::PriceDesc,
        (SortOrder::Nearest, Some((lat, lng))) => KeyMode::Nearest(lat, lng),
        (SortOrder::Nearest, None) if words.is_empty() => KeyMode::Newest,
        (SortOrder::Nearest, None) => KeyMode::Relevance,
    };
    let keep = if limit == 0 { 0 } else { offset + limit };
    let searcher = generation.reader.searcher();
    let whole_index = words.is_empty() && filter_clauses(fields, &generation.tables, q).is_empty();
    let facet_names = q.facet_names();
    let cached_facets = !facet_names.is_empty() && whole_index;
    let counted = if cached_facets {
        Vec::new()
    } else {
        facet_names.clone()
    };
    // One word: the count and the facets need no scores (blocks of documents, no alternative
    // looked up per document), and by relevance the best come from the first tiers alone.
    let tiered = plan == Plan::Fastest
        && words.len() == 1
        && (keep == 0 || matches!(mode, KeyMode::Relevance));
    let mut top =
        if plan == Plan::Fastest && whole_index && matches!(mode, KeyMode::Newest) && keep > 0 {
            browse_newest(generation, &searcher, keep)?
        } else if tiered {
            let counter = TopCollector {
                place_scope: q.place_counts.clone(),
                ..TopCollector::new(generation, false, mode, 0, counted)
            };
            let query = build_query(fields, &generation.tables, q, &words, false);
            let mut top = searcher.search(&*query, &counter).map_err(backend)?;
            if keep > 0 {
                top.hits = top_by_tiers(generation, &searcher, fields, q, &words[0], keep)?;
            }
            top
        } else {
            let collector = TopCollector {
                place_scope: q.place_counts.clone(),
                ..TopCollector::new(generation, !words.is_empty(), mode, keep, counted)
            };
            let run = |all_required: bool| {
                let query = build_query(fields, &generation.tables, q, &words, all_required);
                searcher.search(&*query, &collector).map_err(backend)
            };
            // Like Meilisearch's `last` strategy: documents matching every word when there are
            // enough of them; otherwise the last words are progressively optional (ranked below
            // full matches).
            if words.len() > 1 {
                let strict = run(true)?;
                if strict.count as usize >= keep.max(1) {
                    strict
                } else {
                    run(false)?
                }
            } else {
                run(false)?
            }
        };
    if cached_facets {
        let mut all = whole_index_facets(generation, &searcher)?;
        all.retain(|name, _| facet_names.contains(&name.as_str()));
        top.facets = all;
    }
    Ok(SearchResults {
        hits: top
            .hits
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, hit)| hit)
            .collect(),
        total: top.count,
        facets: top.facets,
        explain: Default::default(),
    })
}

/// A browse of the whole catalogue, newest first: the candidates are each segment's first
/// `keep` live documents in [`Newest`] order, keyed and merged as a search keys them; the count
/// is the index's. (Scanning every document for the newest took 18 ms at a million listings.)
fn browse_newest(
    generation: &Generation,
    searcher: &tantivy::Searcher,
    keep: usize,
) -> Result<CollectedTop, SearchError> {
    let collector = TopCollector::new(generation, false, KeyMode::Newest, keep, Vec::new());
    let mut fruits = Vec::with_capacity(searcher.segment_readers().len());
    for (ord, seg) in searcher.segment_readers().iter().enumerate() {
        let newest = generation.tables.newest(seg).map_err(backend)?;
        let mut child = collector
            .for_segment(u32::try_from(ord).unwrap_or(u32::MAX), seg)
            .map_err(backend)?;
        child.collect_block(&newest.first(keep, seg.alive_bitset()));
        fruits.push(child.harvest());
    }
    let mut top = collector.merge_fruits(fruits).map_err(backend)?;
    top.count = searcher.num_docs();
    Ok(top)
}

/// The best `keep` documents of a one-word search by relevance, tier by tier
/// ([`word_tiers`]): a tier is read only while it could still place a document in the top.
fn top_by_tiers(
    generation: &Generation,
    searcher: &tantivy::Searcher,
    fields: &Fields,
    q: &SearchQuery,
    word: &Word,
    keep: usize,
) -> Result<Vec<(SortKey, SearchHit)>, SearchError> {
    let tiers = word_tiers(fields, &generation.tables, q, word);
    let mut hits: Vec<(SortKey, SearchHit)> = Vec::new();
    for (i, (query, score)) in tiers.iter().enumerate() {
        if let Some(kth) = hits.get(keep.saturating_sub(1)) {
            let best_left = tiers[i..].iter().map(|t| quantize(t.1)).max();
            if best_left.is_none_or(|best| best < kth.0[0]) {
                break;
            }
        }
        let collector = TopCollector {
            fixed_score: *score,
            ..TopCollector::new(generation, false, KeyMode::Relevance, keep, Vec::new())
        };
        hits.extend(searcher.search(&**query, &collector).map_err(backend)?.hits);
        hits.sort_by_key(|h| Reverse(h.0));
        hits.truncate(keep);
    }
    Ok(hits)
}

pub(super) fn whole_index_facets(
    generation: &Generation,
    searcher: &tantivy::Searcher,
) -> Result<Facets, SearchError> {
    let id = searcher.generation().generation_id();
    let lock_err = |_| SearchError::Backend("facet cache lock poisoned".into());
    if let Some((cached_id, facets)) = &*generation.facet_cache.lock().map_err(lock_err)? {
        if *cached_id == id {
            return Ok(facets.clone());
        }
    }
    let collector = TopCollector::new(generation, false, KeyMode::Newest, 0, FACETS.to_vec());
    let facets = searcher
        .search(&AllQuery, &collector)
        .map_err(backend)?
        .facets;
    *generation.facet_cache.lock().map_err(lock_err)? = Some((id, facets.clone()));
    Ok(facets)
}
