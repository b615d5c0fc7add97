//! Bulk import and export of listings: Excel, CSV and the catalogue JSON, in and out.
//!
//! Import reads the file, checks every row (nothing is written while any row is wrong, unless
//! `partial`), then writes through the same store functions as the API: outbox rows in the
//! same transaction, review unless the commune skips it. Rows are matched by slug, so running
//! the same file twice changes nothing. Export writes exactly what import reads.

mod columns;
pub mod jobs;
mod normalise;
mod plan;
mod read;
mod report;
mod rows;
mod write;

pub use columns::Column;
pub use read::{decode_text, too_large, Format, DEFAULT_MAX_BYTES};
pub use report::{ImportReport, Msg, RowProblem};
pub use write::{export, template};

use crate::domain::listing::ListingStatus;
use crate::error::AppError;
use crate::store::{listings, Conn};
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
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            partial: false,
            archive_missing: false,
            cooperative: None,
            review_required: true,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// Where a long import is, for a progress bar: `(stage, done, total)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Checking,
    Writing,
}

/// Imports a file (format recognised from its bytes). A file that cannot be read at all is an
/// `Err` with the reason in both languages; row problems are in the report.
pub fn import(
    conn: &mut Conn,
    bytes: &[u8],
    options: &ImportOptions,
    mut progress: impl FnMut(Stage, usize, usize),
) -> Result<ImportReport, AppError> {
    let scope = options.cooperative.as_deref();
    let (records, headers, catalogue) = match read::read(bytes, options.max_bytes)? {
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
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    let mut file_coops: HashSet<String> = scope.map(str::to_owned).into_iter().collect();
    for (i, record) in records.into_iter().enumerate() {
        if scope.is_none() {
            file_coops.extend(record.cooperative.clone());
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
    report.invalid_rows = problems.iter().map(|p| p.row).collect::<HashSet<_>>().len();
    report.problems = problems;
    if report.invalid_rows > 0 && !options.partial {
        return Ok(report);
    }

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
            if options.partial {
                // One transaction per batch: what is written stays written.
                conn.transaction(|conn| {
                    apply_batch(
                        conn,
                        batch,
                        &coops,
                        options.review_required,
                        &mut statuses,
                        report,
                    )
                })?;
            } else {
                apply_batch(
                    conn,
                    batch,
                    &coops,
                    options.review_required,
                    &mut statuses,
                    report,
                )?;
            }
            done += n;
            progress(Stage::Writing, done, total);
        }
        if options.archive_missing {
            let coop_ids: Vec<i64> = file_coops
                .iter()
                .filter_map(|slug| coops.get(slug).map(|c| c.id))
                .collect();
            for (id, slug) in listings::published_of_cooperatives(conn, &coop_ids)? {
                if !named_slugs.contains(&slug) {
                    listings::set_status(conn, id, ListingStatus::Archived, None)?;
                    report.archived += 1;
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
    review_required: bool,
    statuses: &mut HashMap<String, ListingStatus>,
    report: &mut ImportReport,
) -> Result<(), AppError> {
    let mut new_rows = Vec::new();
    for action in batch {
        match action {
            Action::Unchanged => report.unchanged += 1,
            Action::Update { id, row } => {
                listings::update(conn, id, row.valid)?;
                report.updated += 1;
            }
            Action::Add(row) => {
                let coop = coops.get(&row.cooperative).ok_or_else(|| {
                    AppError::field("cooperative", "unknown cooperative")
                        .with_detail(format!("row {}", row.row))
                })?;
                let place = row.valid.place.clone().unwrap_or_default();
                let status = plan::status_for_new(conn, &place, review_required, statuses)?;
                new_rows.push((coop.id, row.valid, status));
            }
        }
    }
    // New listings go in together: multi-row INSERTs, outbox rows in the same transaction.
    report.added += listings::create_many(conn, &new_rows)?;
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
