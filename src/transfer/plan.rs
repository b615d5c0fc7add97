//! Checking every row before anything is written: the listing rules, the codes the database
//! knows, who may touch what, and whether each row adds, changes or leaves a listing alone.

use super::columns::Column;
use super::report::{Msg, RowProblem};
use super::rows::{column_of_field, Headers, Record};
use crate::domain::listing::{ListingStatus, ValidListing};
use crate::error::AppError;
use crate::messages::Message;
use crate::store::catalogue::{self, Category, Cooperative};
use crate::store::{listings, Conn};
use std::collections::{HashMap, HashSet};

/// What the database (plus the file's own reference data) knows, loaded once.
pub struct Known {
    pub categories: Vec<Category>,
    pub places: HashSet<String>,
    /// Cooperative slug → its place code.
    pub cooperatives: HashMap<String, String>,
}

impl Known {
    pub fn load(conn: &mut Conn) -> Result<Known, AppError> {
        Ok(Known {
            categories: catalogue::categories(conn)?,
            places: catalogue::all_places(conn)?
                .into_iter()
                .map(|p| p.code)
                .collect(),
            cooperatives: catalogue::all_cooperatives(conn)?
                .into_iter()
                .map(|c| (c.slug, c.place_code))
                .collect(),
        })
    }

    /// A category by its code or its name in either language (any case, with or without
    /// diacritics).
    fn category(&self, text: &str) -> Option<String> {
        if let Some(c) = self.categories.iter().find(|c| c.code == text) {
            return Some(c.code.clone());
        }
        let key = crate::text::fold(text);
        self.categories
            .iter()
            .find(|c| {
                crate::text::fold(&c.code) == key
                    || crate::text::fold(&c.name_vi) == key
                    || crate::text::fold(&c.name_en) == key
            })
            .map(|c| c.code.clone())
    }
}

/// A row that passed every check that needs no listing lookup.
pub struct Checked {
    pub row: usize,
    pub cooperative: String,
    /// Slug and place filled in, as stored.
    pub valid: ValidListing,
    pub external_id: Option<String>,
    /// Whether the file gave the slug (else it was folded from the name).
    pub slug_given: bool,
    /// Photo files (in the zip's `photos/` folder), the cover first.
    pub photos: Vec<String>,
}

impl Checked {
    pub fn slug(&self) -> &str {
        self.valid.slug.as_deref().unwrap_or_default()
    }
}

/// What applying a row will do.
pub enum Action {
    Add(Checked),
    Update {
        id: i64,
        row: Checked,
        /// The external id to record on a listing that had none (matched by slug).
        external_id: Option<String>,
    },
    /// Nothing to write, unless the row names photos the listing does not have yet.
    Unchanged {
        id: i64,
        row: usize,
        photos: Vec<String>,
    },
}

impl Action {
    /// The row of the file this action comes from.
    pub fn row(&self) -> usize {
        match self {
            Action::Add(c) | Action::Update { row: c, .. } => c.row,
            Action::Unchanged { row, .. } => *row,
        }
    }

    /// The photo files the row names.
    pub fn photos(&self) -> &[String] {
        match self {
            Action::Add(c) | Action::Update { row: c, .. } => &c.photos,
            Action::Unchanged { photos, .. } => photos,
        }
    }
}

/// The slug a row is matched by: its own, or the one folded from its Vietnamese name (as a
/// new listing would get it).
pub fn effective_slug(record: &Record) -> Option<String> {
    if let Some(s) = record.input.slug.as_ref().filter(|s| !s.is_empty()) {
        return Some(s.clone());
    }
    let name = &record.input.name.as_ref()?.vi;
    let base: String = crate::text::slugify(name).chars().take(100).collect();
    let base = base.trim_end_matches('-').to_owned();
    (!base.is_empty()).then_some(base)
}

fn problem(row: usize, column: String, value: impl Into<String>, message: Msg) -> RowProblem {
    RowProblem {
        row,
        column,
        value: value.into(),
        message,
    }
}

/// Checks one record on its own; `scope` is the cooperative a member is limited to.
pub fn check(
    mut record: Record,
    known: &Known,
    scope: Option<&str>,
    headers: &Headers,
) -> Result<Checked, Vec<RowProblem>> {
    let row = record.row;
    let mut problems = std::mem::take(&mut record.problems);
    let (external_id, slug_given) = (record.external_id.take(), record.slug_given);
    let photos = std::mem::take(&mut record.photos);
    let cooperative = match (record.cooperative.as_deref(), scope) {
        (Some(c), Some(s)) if c != s => {
            problems.push(problem(
                row,
                headers.name(Column::Cooperative),
                c,
                Msg::new(
                    format!("you may import only listings of your cooperative ({s})"),
                    format!("Bạn chỉ nhập được sản phẩm của hợp tác xã mình ({s})."),
                ),
            ));
            None
        }
        (Some(c), _) | (None, Some(c)) => Some(c.to_owned()),
        (None, None) => {
            problems.push(problem(
                row,
                headers.name(Column::Cooperative),
                "",
                Msg::from_key(&Message::Required),
            ));
            None
        }
    };
    let coop_place = match &cooperative {
        Some(c) => match known.cooperatives.get(c) {
            Some(place) => Some(place.clone()),
            None => {
                problems.push(problem(
                    row,
                    headers.name(Column::Cooperative),
                    c.clone(),
                    Msg::from_key(&Message::UnknownCooperative),
                ));
                None
            }
        },
        None => None,
    };
    if let Some(raw) = record.input.category.clone() {
        match known.category(&raw) {
            Some(code) => record.input.category = Some(code),
            None => problems.push(problem(
                row,
                headers.name(Column::Category),
                raw,
                Msg::from_key(&Message::UnknownCategory),
            )),
        }
    }
    if let Some(place) = &record.input.place {
        if !known.places.contains(place) {
            problems.push(problem(
                row,
                headers.name(Column::Place),
                place.clone(),
                Msg::from_key(&Message::UnknownPlace),
            ));
        }
    }
    let slug = effective_slug(&record);
    let valid = match record.input.validate() {
        Ok(v) => Some(v),
        Err(errors) => {
            for e in errors {
                let column = column_of_field(&e.field);
                let value = shown_value(&record, column);
                // A problem the reader already reported for this column is not repeated.
                let name = headers.name(column);
                if !problems.iter().any(|p| p.column == name) {
                    problems.push(problem(row, name, value, Msg::from_key(&e.key)));
                }
            }
            None
        }
    };
    match (problems.is_empty(), valid, cooperative, coop_place, slug) {
        (true, Some(mut valid), Some(cooperative), Some(coop_place), Some(slug)) => {
            valid.slug = Some(slug);
            valid.place = Some(valid.place.unwrap_or(coop_place));
            Ok(Checked {
                row,
                cooperative,
                valid,
                external_id,
                slug_given,
                photos,
            })
        }
        _ => Err(problems),
    }
}

fn shown_value(record: &Record, column: Column) -> String {
    let i = &record.input;
    match column {
        Column::NameVi => i.name.as_ref().map(|n| n.vi.clone()),
        Column::NameEn => i.name.as_ref().and_then(|n| n.en.clone()),
        Column::DescriptionVi => i
            .description
            .as_ref()
            .map(|n| n.vi.chars().take(80).collect()),
        Column::Slug => i.slug.clone(),
        Column::Category => i.category.clone(),
        Column::PriceVnd => i.price_vnd.flatten().map(|p| p.to_string()),
        Column::OcopStars => i.ocop_stars.flatten().map(|p| p.to_string()),
        Column::Unit => i.unit.clone().flatten(),
        _ => None,
    }
    .unwrap_or_default()
}

/// Decides what each checked row does, looking up listings in chunks: by the cooperative's
/// external id when the row has one, else by slug. Rows that would touch another cooperative's
/// listing, an archived one, or one another row already matched become problems.
pub fn classify(
    conn: &mut Conn,
    checked: Vec<Checked>,
    problems: &mut Vec<RowProblem>,
    headers: &Headers,
    mut progress: impl FnMut(usize),
) -> Result<Vec<Action>, AppError> {
    let coop_ids: HashMap<String, i64> = catalogue::all_cooperatives(conn)?
        .into_iter()
        .map(|c| (c.slug, c.id))
        .collect();
    let mut actions = Vec::with_capacity(checked.len());
    let mut matched: HashMap<i64, usize> = HashMap::new();
    let mut done = 0;
    let mut rows = checked.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Checked> = rows.by_ref().take(500).collect();
        done += chunk.len();
        let slugs: Vec<String> = chunk.iter().map(|c| c.slug().to_owned()).collect();
        let by_slug: HashMap<String, i64> =
            listings::ids_by_slugs(conn, &slugs)?.into_iter().collect();
        let pairs: Vec<(i64, String)> = chunk
            .iter()
            .filter_map(|c| Some((*coop_ids.get(&c.cooperative)?, c.external_id.clone()?)))
            .collect();
        let by_external: HashMap<(i64, String), i64> = listings::ids_by_external_ids(conn, &pairs)?
            .into_iter()
            .map(|(coop, external, id)| ((coop, external), id))
            .collect();
        let mut id_list: Vec<i64> = by_slug
            .values()
            .chain(by_external.values())
            .copied()
            .collect();
        id_list.sort_unstable();
        id_list.dedup();
        let stored: HashMap<i64, crate::store::listings::ListingView> =
            listings::views_by_ids(conn, &id_list, listings::Visibility::AnyStatus, "")?
                .into_iter()
                .map(|v| (v.id, v))
                .collect();
        for mut c in chunk {
            let external_match = c.external_id.as_ref().and_then(|e| {
                let coop = coop_ids.get(&c.cooperative)?;
                by_external.get(&(*coop, e.clone())).copied()
            });
            let Some(view) = external_match
                .or_else(|| by_slug.get(c.slug()).copied())
                .and_then(|id| stored.get(&id))
            else {
                actions.push(Action::Add(c));
                continue;
            };
            let slug_column = headers.name(Column::Slug);
            if external_match.is_some() {
                // Matched by the cooperative's own id: a renamed listing keeps its address
                // unless the file gives a new slug, which must then be free.
                if !c.slug_given {
                    c.valid.slug = Some(view.slug.clone());
                } else if by_slug.get(c.slug()).is_some_and(|other| *other != view.id) {
                    problems.push(problem(
                        c.row,
                        slug_column,
                        c.slug(),
                        Msg::new(
                            "another listing already uses this slug",
                            "Mã này đã được sản phẩm khác dùng.",
                        ),
                    ));
                    continue;
                }
            } else if view.cooperative.slug != c.cooperative {
                problems.push(problem(
                    c.row,
                    slug_column,
                    c.slug(),
                    Msg::new(
                        format!(
                            "a listing of another cooperative ({}) already uses this slug",
                            view.cooperative.slug
                        ),
                        format!(
                            "Mã này đã thuộc sản phẩm của hợp tác xã khác ({}).",
                            view.cooperative.slug
                        ),
                    ),
                ));
                continue;
            } else if let (Some(theirs), Some(ours)) = (&view.external_id, &c.external_id) {
                problems.push(problem(
                    c.row,
                    headers.name(Column::ExternalId),
                    ours.clone(),
                    Msg::new(
                        format!(
                            "the listing with this slug ({}) has the external id {theirs}",
                            view.slug
                        ),
                        format!("Sản phẩm có mã {} đang mang mã riêng {theirs}.", view.slug),
                    ),
                ));
                continue;
            }
            if let Some(first) = matched.insert(view.id, c.row) {
                problems.push(problem(
                    c.row,
                    slug_column,
                    c.slug(),
                    Msg::new(
                        format!("row {first} already matches this listing: each listing once"),
                        format!("Dòng {first} đã khớp với sản phẩm này: mỗi sản phẩm một dòng."),
                    ),
                ));
                continue;
            }
            let new_external = c
                .external_id
                .clone()
                .filter(|e| view.external_id.as_ref() != Some(e));
            let current = crate::demo::entry_of(view.clone())
                .to_input()
                .ok()
                .and_then(|i| i.validate().ok());
            if current.as_ref() == Some(&c.valid) && new_external.is_none() {
                actions.push(Action::Unchanged {
                    id: view.id,
                    row: c.row,
                    photos: c.photos,
                });
            } else if view.status == ListingStatus::Archived {
                problems.push(problem(
                    c.row,
                    slug_column,
                    c.slug(),
                    Msg::new(
                        "this listing is archived and cannot be edited",
                        "Sản phẩm này đã lưu trữ, không sửa được.",
                    ),
                ));
            } else {
                actions.push(Action::Update {
                    id: view.id,
                    row: c,
                    external_id: new_external,
                });
            }
        }
        progress(done);
    }
    Ok(actions)
}

/// Whether a new listing of a cooperative at `place` (its home commune) is published at once
/// (review off, or skipped by that commune) or waits for an admin, as a member's submission
/// would.
pub fn status_for_new(
    conn: &mut Conn,
    place: &str,
    review_required: bool,
    cache: &mut HashMap<String, ListingStatus>,
) -> Result<ListingStatus, AppError> {
    if let Some(s) = cache.get(place) {
        return Ok(*s);
    }
    let skip = !review_required || catalogue::skips_review(conn, place)?;
    let status = if skip {
        ListingStatus::Published
    } else {
        ListingStatus::Pending
    };
    cache.insert(place.to_owned(), status);
    Ok(status)
}

/// The cooperatives, by slug, as rows to write against.
pub fn cooperatives(conn: &mut Conn) -> Result<HashMap<String, Cooperative>, AppError> {
    Ok(catalogue::all_cooperatives(conn)?
        .into_iter()
        .map(|c| (c.slug.clone(), c))
        .collect())
}
