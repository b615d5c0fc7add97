//! The demo catalogue format (also the JSON import/export format): loading is idempotent.

use crate::domain::listing::{
    EventDatesInput, LinkInput, ListingInput, ListingKind, ListingStatus, Localized,
};
use crate::error::AppError;
use crate::messages::Message;
use crate::store::catalogue::{self, Category, NewCooperative, NewPlace};
use crate::store::listings;
use crate::store::Conn;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod synthetic_rows;
pub use synthetic_rows::{load_synthetic, SyntheticReport};

/// The demo catalogue shipped in the repo, so a fresh machine needs nothing else.
pub const DEMO_CATALOGUE: &str = include_str!("../demo/demo-catalogue.json");

/// Yearly events in the file give month and day only; they are anchored in this year.
const RECURRING_BASE_YEAR: i32 = 2025;

#[derive(Debug, Deserialize, Serialize)]
pub struct CatalogueFile {
    #[serde(default)]
    pub about: Option<String>,
    #[serde(default)]
    pub categories: Vec<CategoryEntry>,
    #[serde(default)]
    pub places: Vec<PlaceEntry>,
    #[serde(default)]
    pub cooperatives: Vec<CooperativeEntry>,
    #[serde(default)]
    pub listings: Vec<ListingEntry>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct CategoryEntry {
    pub code: String,
    pub name: Localized,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct PlaceEntry {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent: Option<String>,
    pub lat: f64,
    pub lng: f64,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct CooperativeEntry {
    pub slug: String,
    pub name: String,
    pub place: String,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct RecurringDates {
    /// `MM-DD`
    pub start: String,
    pub end: String,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct ListingEntry {
    /// The cooperative's own id for the listing: an import matches rows by it (else by slug).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub kind: ListingKind,
    pub name: Localized,
    #[serde(default)]
    pub slug: Option<String>,
    pub category: String,
    pub cooperative: String,
    #[serde(default)]
    pub place: Option<String>,
    pub description: Localized,
    #[serde(default)]
    pub marketplace_links: Vec<LinkInput>,
    #[serde(default)]
    pub price_vnd: Option<i64>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub ocop_stars: Option<i16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocop_certificate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocop_expires: Option<NaiveDate>,
    #[serde(default)]
    pub certifications: Vec<String>,
    #[serde(default)]
    pub season_months: Vec<u8>,
    #[serde(default)]
    pub recurs_yearly: Option<RecurringDates>,
    #[serde(default)]
    pub event: Option<EventDatesInput>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    pub categories: usize,
    pub places: usize,
    pub cooperatives: usize,
    pub listings_added: usize,
    pub listings_skipped: usize,
}

fn month_day(field: &str, text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(&format!("{RECURRING_BASE_YEAR}-{text}"), "%Y-%m-%d")
        .map_err(|_| AppError::field(field, "must be MM-DD"))
}

impl ListingEntry {
    /// The entry as a member would send it (yearly `MM-DD` dates anchored in a fixed year).
    pub fn to_input(&self) -> Result<ListingInput, AppError> {
        let event = match (&self.recurs_yearly, &self.event) {
            (Some(r), _) => Some(EventDatesInput {
                start: month_day("recurs_yearly.start", &r.start)?,
                end: month_day("recurs_yearly.end", &r.end)?,
                recurs_yearly: true,
            }),
            (None, Some(e)) => Some(e.clone()),
            (None, None) => None,
        };
        Ok(ListingInput {
            kind: Some(self.kind),
            slug: self.slug.clone(),
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            category: Some(self.category.clone()),
            place: self.place.clone(),
            price_vnd: Some(self.price_vnd),
            unit: Some(self.unit.clone()),
            ocop_stars: Some(self.ocop_stars),
            ocop_certificate: Some(self.ocop_certificate.clone()),
            ocop_expires: Some(self.ocop_expires),
            certifications: Some(self.certifications.clone()),
            season_months: Some(self.season_months.clone()),
            event: Some(event),
            marketplace_links: Some(self.marketplace_links.clone()),
        })
    }
}

/// Loads a catalogue file: categories and places are upserted, cooperatives created when
/// missing, listings added as published unless one with the same slug exists. Run it twice and
/// nothing changes. `progress(done, total)` is called after each listing.
pub fn load(
    conn: &mut Conn,
    file: &CatalogueFile,
    mut progress: impl FnMut(usize, usize),
) -> Result<LoadReport, AppError> {
    let mut report = load_reference(conn, file)?;
    let total = file.listings.len();
    for (i, entry) in file.listings.iter().enumerate() {
        let input = entry.to_input()?;
        let valid = input.validate().map_err(|errors| {
            let mut e = AppError::validation(errors);
            e.detail = Some(format!("listing {} ({})", i + 1, entry.name.vi));
            e
        })?;
        let slug = valid
            .slug
            .clone()
            .unwrap_or_else(|| crate::text::slugify(&valid.name.vi));
        let exists = listings::exists_with_slug(conn, &slug)?;
        if exists {
            report.listings_skipped += 1;
        } else {
            let coop =
                catalogue::cooperative_by_slug(conn, &entry.cooperative)?.ok_or_else(|| {
                    AppError::field("cooperative", Message::UnknownCooperative)
                        .with_detail(format!("listing {} ({})", i + 1, entry.name.vi))
                })?;
            listings::create(conn, &coop, valid, ListingStatus::Published)?;
            report.listings_added += 1;
        }
        progress(i + 1, total);
    }
    Ok(report)
}

/// Upserts the file's categories and places and creates its missing cooperatives, in one
/// transaction. Listings are left to the caller.
pub fn load_reference(conn: &mut Conn, file: &CatalogueFile) -> Result<LoadReport, AppError> {
    let mut report = LoadReport::default();
    conn.transaction(|conn| {
        for (i, c) in file.categories.iter().enumerate() {
            catalogue::upsert_category(
                conn,
                &Category {
                    code: c.code.clone(),
                    name_vi: c.name.vi.clone(),
                    name_en: c.name.en.clone().unwrap_or_else(|| c.name.vi.clone()),
                    position: i32::try_from(i).unwrap_or(i32::MAX),
                },
            )?;
            report.categories += 1;
        }
        // Parents first, whatever the file's order.
        let mut pending: Vec<&PlaceEntry> = file.places.iter().collect();
        while !pending.is_empty() {
            let before = pending.len();
            let mut rest = Vec::new();
            for p in pending {
                let parent_ready = match &p.parent {
                    Some(parent) => catalogue::place(conn, parent)?.is_some(),
                    None => true,
                };
                if parent_ready {
                    catalogue::upsert_place(
                        conn,
                        &NewPlace {
                            code: p.code.clone(),
                            name: p.name.clone(),
                            kind: p.kind.clone(),
                            parent: p.parent.clone(),
                            lat: p.lat,
                            lng: p.lng,
                            aliases: p.aliases.clone(),
                        },
                    )?;
                    report.places += 1;
                } else {
                    rest.push(p);
                }
            }
            if rest.len() == before {
                return Err(AppError::field(
                    "places",
                    "a place names a parent that does not exist",
                ));
            }
            pending = rest;
        }
        for c in &file.cooperatives {
            if catalogue::cooperative_by_slug(conn, &c.slug)?.is_none() {
                catalogue::save_cooperative(
                    conn,
                    &NewCooperative {
                        slug: c.slug.clone(),
                        name: c.name.clone(),
                        place: c.place.clone(),
                        phone: c.phone.clone(),
                    },
                    catalogue::OnExisting::Refuse,
                )?;
                report.cooperatives += 1;
            }
        }
        Ok(())
    })?;
    Ok(report)
}

pub fn parse(text: &str) -> Result<CatalogueFile, AppError> {
    crate::domain::json::parse_json(text.as_bytes())
}

/// The catalogue as a file: places, categories, cooperatives and published listings.
pub fn export(conn: &mut Conn) -> Result<CatalogueFile, AppError> {
    let categories = catalogue::categories(conn)?
        .iter()
        .map(|c| CategoryEntry {
            code: c.code.clone(),
            name: catalogue::category_name(c),
        })
        .collect();
    let places = catalogue::all_places(conn)?
        .into_iter()
        .map(|p| PlaceEntry {
            aliases: p.alias_list(),
            code: p.code,
            name: p.name,
            kind: p.kind,
            parent: p.parent_code,
            lat: p.lat,
            lng: p.lng,
        })
        .collect();
    let coops = catalogue::all_cooperatives(conn)?;
    let mut entries = Vec::new();
    let mut after = 0;
    loop {
        let ids = listings::published_ids_after(conn, after, 500)?;
        let Some(last) = ids.last() else { break };
        after = *last;
        for v in listings::views_by_ids(conn, &ids, listings::Visibility::PublishedOnly, "")? {
            entries.push(entry_of(v));
        }
    }
    Ok(CatalogueFile {
        about: Some("Exported from vungcao".into()),
        categories,
        places,
        cooperatives: coops
            .into_iter()
            .map(|c| CooperativeEntry {
                slug: c.slug,
                name: c.name,
                place: c.place_code,
                phone: c.phone,
            })
            .collect(),
        listings: entries,
    })
}

/// A stored listing as a catalogue entry: what export writes and import compares against.
pub fn entry_of(v: crate::store::listings::ListingView) -> ListingEntry {
    ListingEntry {
        external_id: v.external_id,
        kind: v.kind,
        name: v.name,
        slug: Some(v.slug),
        category: v.category.code,
        cooperative: v.cooperative.slug,
        place: Some(v.place.code),
        description: v.description,
        marketplace_links: v
            .marketplace_links
            .into_iter()
            .filter_map(|l| {
                crate::domain::marketplace::Platform::parse(&l.platform).map(|platform| LinkInput {
                    platform,
                    url: l.url,
                })
            })
            .collect(),
        price_vnd: v.price.as_ref().map(|p| p.vnd),
        unit: v.price.and_then(|p| p.unit),
        ocop_stars: v.ocop.as_ref().map(|o| o.stars),
        ocop_certificate: v.ocop.as_ref().and_then(|o| o.certificate.clone()),
        ocop_expires: v.ocop.as_ref().and_then(|o| o.expires),
        certifications: v
            .certifications
            .iter()
            .map(|c| c.code().to_owned())
            .collect(),
        season_months: v.season_months,
        recurs_yearly: None,
        event: v.event.map(|e| EventDatesInput {
            start: e.start,
            end: e.end,
            recurs_yearly: e.recurs_yearly,
        }),
    }
}
