//! Generations: each a tantivy index in `gen-<n>/`, the `CURRENT` pointer naming the live one,
//! building a new one and swapping it in, removing the old ones.

use super::*;

/// One generation: an index with its reader and the one writer.
pub(super) struct Generation {
    pub(super) number: u64,
    pub(super) reader: IndexReader,
    /// Facet counts of the whole index, per searcher generation (the browse landing page).
    pub(super) facet_cache: Mutex<Option<(u64, Facets)>>,
    /// Each segment's tables (place chains, facet ordinals, relevance ranks), built on use.
    pub(super) tables: Arc<SegmentTables>,
    pub(super) writer: Mutex<Option<IndexWriter<TantivyDocument>>>,
}

impl Generation {
    pub(super) fn open_or_create(
        path: &Path,
        number: u64,
        fields_schema: &Schema,
    ) -> Result<Self, SearchError> {
        std::fs::create_dir_all(path).map_err(backend)?;
        let dir = tantivy::directory::MmapDirectory::open(path).map_err(backend)?;
        let index = Index::open_or_create(dir, fields_schema.clone()).map_err(backend)?;
        Self::from_index(index, number, WRITER_BUDGET, 1)
    }

    pub(super) fn from_index(
        index: Index,
        number: u64,
        budget: usize,
        threads: usize,
    ) -> Result<Self, SearchError> {
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::from(WhitespaceTokenizer::default()),
        );
        let writer = index
            .writer_with_num_threads(threads, budget)
            .map_err(backend)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(backend)?;
        Ok(Generation {
            number,
            reader,
            facet_cache: Mutex::new(None),
            tables: Arc::default(),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Runs `f` with the writer, commits, and makes the commit visible to the next search.
    pub(super) fn write(
        &self,
        f: impl FnOnce(&mut IndexWriter<TantivyDocument>) -> Result<(), SearchError>,
    ) -> Result<(), SearchError> {
        let mut guard = self
            .writer
            .lock()
            .map_err(|_| SearchError::Backend("index writer lock poisoned".into()))?;
        let writer = guard
            .as_mut()
            .ok_or_else(|| SearchError::Backend("index writer closed".into()))?;
        if let Err(e) = f(writer) {
            let _ = writer.rollback();
            return Err(e);
        }
        writer.commit().map_err(backend)?;
        self.reader.reload().map_err(backend)?;
        self.tables.forget_old(&self.reader.searcher());
        Ok(())
    }

    pub(super) fn close_writer(&self) {
        if let Ok(mut guard) = self.writer.lock() {
            if let Some(w) = guard.take() {
                if let Err(e) = w.wait_merging_threads() {
                    tracing::warn!(error = %e, "closing search index writer");
                }
            }
        }
    }
}

pub(super) fn version_ok(path: &Path) -> bool {
    std::fs::read_to_string(path.join(VERSION_FILE))
        .map(|v| v.trim() == SCHEMA_VERSION)
        .unwrap_or(false)
}

pub(super) fn max_gen(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| parse_gen(&e.file_name().to_string_lossy()))
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

pub(super) fn write_pointer(dir: &Path, n: u64) -> Result<(), SearchError> {
    use std::io::Write;
    let tmp = dir.join(format!("{POINTER_FILE}.tmp"));
    let mut file = std::fs::File::create(&tmp).map_err(backend)?;
    file.write_all(gen_name(n).as_bytes()).map_err(backend)?;
    file.sync_all().map_err(backend)?;
    std::fs::rename(&tmp, dir.join(POINTER_FILE)).map_err(backend)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes leftovers of interrupted rebuilds and replaced generations.
pub(super) fn remove_other_generations(dir: &Path, keep: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        if let Some(n) = parse_gen(&entry.file_name().to_string_lossy()) {
            if n != keep {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

pub(super) fn build_generation<I, F>(
    root: &Path,
    number: u64,
    schema: &Schema,
    fields: &Fields,
    docs: I,
    mut progress: F,
) -> Result<(Generation, u64), SearchError>
where
    I: IntoIterator<Item = SearchDocument>,
    F: FnMut(usize, usize),
{
    let path = root.join(gen_name(number));
    if path.exists() {
        std::fs::remove_dir_all(&path).map_err(backend)?;
    }
    std::fs::create_dir_all(&path).map_err(backend)?;
    std::fs::write(path.join(VERSION_FILE), SCHEMA_VERSION).map_err(backend)?;
    let result = (|| {
        let dir = tantivy::directory::MmapDirectory::open(&path).map_err(backend)?;
        let index = Index::create(dir, schema.clone(), tantivy::IndexSettings::default())
            .map_err(backend)?;
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::from(WhitespaceTokenizer::default()),
        );
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        let mut writer: IndexWriter<TantivyDocument> = index
            .writer_with_num_threads(threads, REBUILD_BUDGET)
            .map_err(backend)?;
        // Merge once at the end, into a single segment: every query pays per segment (term
        // dictionary lookups, fuzzy automata, facet dictionaries).
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let iter = docs.into_iter();
        let (low, high) = iter.size_hint();
        let total = high.unwrap_or(low);
        let mut done = 0usize;
        progress(0, total);
        for doc in iter {
            writer
                .add_document(to_tantivy_doc(fields, &doc))
                .map_err(backend)?;
            done += 1;
            if done % 1_000 == 0 {
                progress(done, total.max(done));
            }
        }
        writer.commit().map_err(backend)?;
        let segments = index.searchable_segment_ids().map_err(backend)?;
        if segments.len() > 1 {
            writer.merge(&segments).wait().map_err(backend)?;
        }
        writer.wait_merging_threads().map_err(backend)?;
        progress(done, total.max(done));
        let generation = Generation::from_index(index, number, WRITER_BUDGET, 1)?;
        generation.reader.reload().map_err(backend)?;
        Ok((generation, done as u64))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&path);
    }
    result
}
