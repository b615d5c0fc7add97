//! Bulk import and export of listings: Excel, CSV and the catalogue JSON, in and out.
//!
//! Import reads the file (or a `.zip` of a sheet and its `photos/`), checks every row (nothing
//! is written while any row is wrong, unless `partial`), stores the photos, then writes through
//! the same store functions as the API: outbox rows in the same transaction, review unless the
//! commune skips it. Rows are matched by the cooperative's external id, else by slug, so
//! running the same file twice changes nothing. Export writes exactly what import reads.

mod bundle;
mod columns;
pub mod jobs;
mod normalise;
mod photos;
mod plan;
mod read;
mod report;
mod rows;
mod write;

pub use bundle::ZipLimits;
pub use columns::Column;
pub use read::{decode_text, too_large, Format, DEFAULT_MAX_BYTES};
pub use report::{ImportReport, Msg, RowProblem};
pub use write::{csv_table, export, template, xlsx_sheet, xlsx_table, Cell};

use crate::domain::listing::ListingStatus;
use crate::error::AppError;
use crate::media::{MediaStore, PhotoLimits};
use crate::messages::Message;
use crate::store::{listings, Conn, Db};
use bundle::Bundle;
use photos::StoredPhotos;
use plan::Action;
use std::collections::{HashMap, HashSet};

/// Rows written per transaction with `partial`.
const BATCH_ROWS: usize = 500;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Write the valid rows (one transaction per batch) and report the rest.
    pub partial: bool,
    /// Archive the published listings of the file's cooperatives that the file does not name.
    pub archive_missing: bool,
    /// A member's import: every row belongs to this cooperative (slug).
    pub cooperative: Option<String>,
    /// New listings wait for review unless this is off or their commune skips it.
    pub review_required: bool,
    pub max_bytes: u64,
    /// What a `.zip` may expand to.
    pub zip_limits: ZipLimits,
    /// Largest photo file in a zip.
    pub max_photo_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            partial: false,
            archive_missing: false,
            cooperative: None,
            review_required: true,
            max_bytes: DEFAULT_MAX_BYTES,
            zip_limits: ZipLimits::default(),
            max_photo_bytes: 20 * 1024 * 1024,
        }
    }
}

/// Where a long import is, for a progress bar: `(stage, done, total)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Checking,
    /// Photos of a zip through the pipeline into the media store (counted in photos).
    Photos,
    Writing,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Checking => "checking",
            Stage::Photos => "photos",
            Stage::Writing => "writing",
        }
    }
}

/// A file read and checked, nothing written yet.
pub struct Prepared {
    report: ImportReport,
    actions: Vec<Action>,
    reference: Option<crate::demo::CatalogueFile>,
    file_coops: HashSet<String>,
    /// What the file names, so `archive_missing` spares it: slugs, and external ids by
    /// cooperative slug.
    named_slugs: HashSet<String>,
    named_externals: HashSet<(String, String)>,
    bundle: Option<Bundle>,
    /// The file's header of the photos column.
    photo_column: String,
}

impl Prepared {
    /// Whether checking already decided the answer: rows are wrong and `partial` is off.
    fn stops(&self, options: &ImportOptions) -> bool {
        self.report.invalid_rows > 0 && !options.partial
    }

    /// The photo files the rows to write name, each once, in file order.
    fn photo_names(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.actions
            .iter()
            .flat_map(|a| a.photos().iter())
            .filter(|name| seen.insert(Bundle::key(name)))
            .cloned()
            .collect()
    }

    /// Rows whose photos the pipeline refused become problems; their actions are dropped.
    fn refuse_photos(&mut self, refused: &HashMap<String, Msg>) {
        if refused.is_empty() {
            return;
        }
        let mut kept = Vec::with_capacity(self.actions.len());
        for action in std::mem::take(&mut self.actions) {
            let bad: Vec<(String, Msg)> = action
                .photos()
                .iter()
                .filter_map(|n| refused.get(&Bundle::key(n)).map(|m| (n.clone(), m.clone())))
                .collect();
            if bad.is_empty() {
                kept.push(action);
                continue;
            }
            for (name, message) in bad {
                self.report.problems.push(RowProblem {
                    row: action.row(),
                    column: self.photo_column.clone(),
                    value: name,
                    message,
                });
            }
        }
        self.actions = kept;
        self.report.problems.sort_by_key(|p| p.row);
        self.report.invalid_rows = self
            .report
            .problems
            .iter()
            .map(|p| p.row)
            .collect::<HashSet<_>>()
            .len();
    }
}

/// Imports a file without photos (a `.zip` whose rows name photos needs [`run`]). A file that
/// cannot be read at all is an `Err` with the reason in both languages; row problems are in
/// the report.
pub fn import(
    conn: &mut Conn,
    bytes: &[u8],
    options: &ImportOptions,
    mut progress: impl FnMut(Stage, usize, usize),
) -> Result<ImportReport, AppError> {
    let prepared = prepare(conn, bytes.to_vec(), options, &mut progress)?;
    if prepared.stops(options) {
        return Ok(prepared.report);
    }
    if !prepared.photo_names().is_empty() {
        return Err(AppError::internal(
            "an import with photos needs the media store (transfer::run)",
        ));
    }
    apply(conn, prepared, &StoredPhotos::new(), options, &mut progress)
}

/// Imports a file, a zip's photos included: checks everything, stores the photos, writes the
/// rows. When checking fails (and `partial` is off) or writing fails, the photos this import
/// stored are removed again: nothing is left half-imported.
pub async fn run<P>(
    db: &Db,
    media: &MediaStore,
    bytes: Vec<u8>,
    options: ImportOptions,
    progress: P,
) -> Result<ImportReport, AppError>
where
    P: FnMut(Stage, usize, usize) + Clone + Send + 'static,
{
    let (opts, mut p) = (options.clone(), progress.clone());
    let mut prepared = db
        .run(move |conn| prepare(conn, bytes, &opts, &mut p))
        .await?;
    if prepared.stops(&options) {
        return Ok(prepared.report);
    }
    let names = prepared.photo_names();
    let mut stored = StoredPhotos::new();
    if let (false, Some(mut bundle)) = (names.is_empty(), prepared.bundle.take()) {
        let limits = PhotoLimits {
            max_file_bytes: options.max_photo_bytes,
            encode_threads: 1,
            ..PhotoLimits::default()
        };
        let mut p = progress.clone();
        let (done, refused) =
            photos::process_and_store(db, media, &mut bundle, names, limits, |done, total| {
                p(Stage::Photos, done, total)
            })
            .await?;
        stored = done;
        prepared.refuse_photos(&refused);
        if prepared.stops(&options) {
            photos::forget(db, media, &stored).await;
            return Ok(prepared.report);
        }
    }
    let (opts, mut p, kept) = (options.clone(), progress, stored.clone());
    let result = db
        .run(move |conn| apply(conn, prepared, &kept, &opts, &mut p))
        .await;
    // Content this import stored but no row ended up using (a failure, or a photo the listing
    // already had) goes again; what rows use stays.
    photos::forget(db, media, &stored).await;
    result
}

/// Reads and checks the whole file; writes nothing.
fn prepare(
    conn: &mut Conn,
    bytes: Vec<u8>,
    options: &ImportOptions,
    progress: &mut impl FnMut(Stage, usize, usize),
) -> Result<Prepared, AppError> {
    let scope = options.cooperative.as_deref();
    if bytes.len() as u64 > options.max_bytes {
        return Err(too_large(bytes.len() as u64, options.max_bytes));
    }
    let (sheet, mut bundle) = if bundle::is_bundle(&bytes) {
        let mut bundle = Bundle::open(bytes, &options.zip_limits)?;
        (std::mem::take(&mut bundle.sheet), Some(bundle))
    } else {
        (bytes, None)
    };
    let (records, headers, catalogue) = match read::read(&sheet, options.max_bytes)? {
        read::Source::Table(table) => {
            let columns = columns::match_headers(&table.headers, scope.is_some())?;
            let (records, headers) = rows::from_table(table, &columns);
            (records, headers, None)
        }
        read::Source::Catalogue(file) => {
            let records = rows::from_catalogue(&file);
            (records, rows::Headers::of_json(), Some(file))
        }
    };
    drop(sheet);
    let mut known = plan::Known::load(conn)?;
    // The JSON file's own categories, places and cooperatives count as known (written first);
    // a member's import leaves reference data alone.
    let reference = match catalogue.filter(|_| scope.is_none()) {
        Some(file) => Some(changed_reference(conn, file)?),
        None => None,
    };
    if let Some(file) = &reference {
        for c in &file.categories {
            known.categories.push(crate::store::catalogue::Category {
                code: c.code.clone(),
                name_vi: c.name.vi.clone(),
                name_en: c.name.en.clone().unwrap_or_default(),
                position: 0,
            });
        }
        known
            .places
            .extend(file.places.iter().map(|p| p.code.clone()));
        for c in &file.cooperatives {
            known
                .cooperatives
                .entry(c.slug.clone())
                .or_insert_with(|| c.place.clone());
        }
    }

    let total = records.len();
    let mut report = ImportReport {
        rows: total,
        ..ImportReport::default()
    };
    let mut problems = Vec::new();
    let mut checked = Vec::with_capacity(total);
    let mut named_slugs: HashSet<String> = HashSet::new();
    let mut named_externals: HashSet<(String, String)> = HashSet::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    let mut first_row_of_external: HashMap<(String, String), usize> = HashMap::new();
    let mut file_coops: HashSet<String> = scope.map(str::to_owned).into_iter().collect();
    for (i, mut record) in records.into_iter().enumerate() {
        if scope.is_none() {
            file_coops.extend(record.cooperative.clone());
        }
        let photo_problems = photos::check_names(
            &record,
            bundle.as_ref(),
            &headers,
            options.max_photo_bytes as u64,
        );
        record.problems.extend(photo_problems);
        let coop = record
            .cooperative
            .clone()
            .or_else(|| scope.map(str::to_owned))
            .unwrap_or_default();
        if let Some(external) = &record.external_id {
            let key = (coop.clone(), external.clone());
            named_externals.insert(key.clone());
            if let Some(first) = first_row_of_external.get(&key) {
                problems.push(RowProblem {
                    row: record.row,
                    column: headers.name(Column::ExternalId),
                    value: external.clone(),
                    message: Msg::new(
                        format!("row {first} already has this external id: each listing once"),
                        format!("Dòng {first} đã có mã riêng này: mỗi sản phẩm một dòng."),
                    ),
                });
                continue;
            }
            first_row_of_external.insert(key, record.row);
        }
        let slug = plan::effective_slug(&record);
        if let Some(slug) = &slug {
            named_slugs.insert(slug.clone());
            if let Some(first) = first_row_of.get(slug) {
                problems.push(RowProblem {
                    row: record.row,
                    column: headers.name(Column::Slug),
                    value: slug.clone(),
                    message: Msg::new(
                        format!("row {first} already has this slug (or name): each listing once"),
                        format!("Dòng {first} đã có mã (hoặc tên) này: mỗi sản phẩm một dòng."),
                    ),
                });
                continue;
            }
            first_row_of.insert(slug.clone(), record.row);
        }
        match plan::check(record, &known, scope, &headers) {
            Ok(c) => checked.push(c),
            Err(p) => problems.extend(p),
        }
        if i % 1000 == 0 {
            progress(Stage::Checking, i, total);
        }
    }
    let actions = plan::classify(conn, checked, &mut problems, &headers, |done| {
        progress(Stage::Checking, done, total)
    })?;
    problems.sort_by_key(|p| p.row);
    report.invalid_rows = problems.iter().map(|p| p.row).collect::<HashSet<_>>().len();
    report.problems = problems;
    if bundle
        .as_ref()
        .is_some_and(|_| actions.iter().all(|a| a.photos().is_empty()))
    {
        bundle = None;
    }
    Ok(Prepared {
        report,
        actions,
        reference,
        file_coops,
        named_slugs,
        named_externals,
        bundle,
        photo_column: headers.name(Column::Photos),
    })
}

/// Writes what `prepare` decided, with the photos already stored.
fn apply(
    conn: &mut Conn,
    prepared: Prepared,
    stored: &StoredPhotos,
    options: &ImportOptions,
    progress: &mut impl FnMut(Stage, usize, usize),
) -> Result<ImportReport, AppError> {
    let Prepared {
        mut report,
        actions,
        reference,
        file_coops,
        named_slugs,
        named_externals,
        ..
    } = prepared;
    let total = report.rows;
    let write = |conn: &mut Conn, report: &mut ImportReport| -> Result<(), AppError> {
        if let Some(file) = &reference {
            crate::demo::load_reference(conn, file)?;
        }
        let coops = plan::cooperatives(conn)?;
        let mut statuses = HashMap::new();
        let mut done = 0;
        let mut actions = actions.into_iter().peekable();
        while actions.peek().is_some() {
            let batch: Vec<Action> = actions.by_ref().take(BATCH_ROWS).collect();
            let n = batch.len();
            let write_batch = |conn: &mut Conn| {
                apply_batch(conn, batch, &coops, options, &mut statuses, stored, report)
            };
            if options.partial {
                // One transaction per batch: what is written stays written.
                conn.transaction(write_batch)?;
            } else {
                write_batch(conn)?;
            }
            done += n;
            progress(Stage::Writing, done, total);
        }
        if options.archive_missing {
            for slug in &file_coops {
                let Some(coop) = coops.get(slug) else {
                    continue;
                };
                for (id, listing_slug, external) in
                    listings::published_of_cooperatives(conn, &[coop.id])?
                {
                    let named = named_slugs.contains(&listing_slug)
                        || external.is_some_and(|e| named_externals.contains(&(slug.clone(), e)));
                    if !named {
                        listings::set_status(conn, id, ListingStatus::Archived, None)?;
                        report.archived += 1;
                    }
                }
            }
        }
        Ok(())
    };
    if options.partial {
        write(conn, &mut report)?;
    } else {
        // All or nothing.
        conn.transaction(|conn| write(conn, &mut report))?;
    }
    report.written = true;
    Ok(report)
}

fn apply_batch(
    conn: &mut Conn,
    batch: Vec<Action>,
    coops: &HashMap<String, crate::store::catalogue::Cooperative>,
    options: &ImportOptions,
    statuses: &mut HashMap<String, ListingStatus>,
    stored: &StoredPhotos,
    report: &mut ImportReport,
) -> Result<(), AppError> {
    let review_required = options.review_required;
    // A member's import changes published listings the way their edits would.
    let member = options.cooperative.is_some();
    let mut new_rows = Vec::new();
    let mut new_photos = Vec::new();
    for action in batch {
        match action {
            Action::Unchanged { id, row, photos } => {
                let reviewed = member && crate::review::import_reviewed(conn, id, review_required)?;
                let before = crate::review::photo_ids(conn, id, reviewed)?;
                let changed = photos::attach(conn, id, row, &photos, stored)?;
                if let Some(before) = before {
                    crate::review::imported_photos(conn, id, &before)?;
                }
                if changed {
                    report.updated += 1;
                } else {
                    report.unchanged += 1;
                }
            }
            Action::Update {
                id,
                row,
                external_id,
            } => {
                // A member's import changes a published listing the way their edit would: what
                // shoppers rely on waits for review.
                let reviewed = member && crate::review::import_reviewed(conn, id, review_required)?;
                if reviewed {
                    crate::review::import_edit(conn, id, row.valid)?;
                } else {
                    listings::update(conn, id, row.valid)?;
                }
                if let Some(external) = external_id {
                    listings::set_external_id(conn, id, &external)?;
                }
                let before = crate::review::photo_ids(conn, id, reviewed)?;
                photos::attach(conn, id, row.row, &row.photos, stored)?;
                if let Some(before) = before {
                    crate::review::imported_photos(conn, id, &before)?;
                }
                report.updated += 1;
            }
            Action::Add(row) => {
                let coop = coops.get(&row.cooperative).ok_or_else(|| {
                    AppError::field("cooperative", Message::UnknownCooperative)
                        .with_detail(format!("row {}", row.row))
                })?;
                // Review is skipped by the cooperative's home commune, never the row's place.
                let status =
                    plan::status_for_new(conn, &coop.place_code, review_required, statuses)?;
                new_photos.push((row.row, row.photos));
                new_rows.push(listings::NewListing {
                    cooperative_id: coop.id,
                    listing: row.valid,
                    status,
                    external_id: row.external_id,
                });
            }
        }
    }
    // New listings go in together: multi-row INSERTs, outbox rows in the same transaction.
    let ids = listings::create_many(conn, &new_rows)?;
    report.added += ids.len();
    for (id, (row, names)) in ids.into_iter().zip(new_photos) {
        photos::attach(conn, id, row, &names, stored)?;
    }
    Ok(())
}

/// The file's reference data less what the database already holds as is, so re-importing an
/// export rewrites no place or category (and refreshes no listing through them).
fn changed_reference(
    conn: &mut Conn,
    file: crate::demo::CatalogueFile,
) -> Result<crate::demo::CatalogueFile, AppError> {
    use crate::store::catalogue;
    let stored_categories = catalogue::categories(conn)?;
    let categories_same = file.categories.len() <= stored_categories.len()
        && file.categories.iter().enumerate().all(|(i, c)| {
            stored_categories.get(i).is_some_and(|s| {
                s.code == c.code && s.name_vi == c.name.vi && Some(&s.name_en) == c.name.en.as_ref()
            })
        });
    let stored_places: HashMap<String, catalogue::PlaceRow> = catalogue::all_places(conn)?
        .into_iter()
        .map(|p| (p.code.clone(), p))
        .collect();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let places = file
        .places
        .into_iter()
        .filter(|p| {
            stored_places.get(&p.code).is_none_or(|s| {
                s.name != p.name
                    || s.kind != p.kind
                    || s.parent_code != p.parent
                    || !close(s.lat, p.lat)
                    || !close(s.lng, p.lng)
                    || s.alias_list() != p.aliases
            })
        })
        .collect();
    Ok(crate::demo::CatalogueFile {
        about: file.about,
        categories: if categories_same {
            Vec::new()
        } else {
            file.categories
        },
        places,
        cooperatives: file.cooperatives,
        listings: Vec::new(),
    })
}
