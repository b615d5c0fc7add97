//! `vungcao demo --synthetic N`: a large generated catalogue for benchmarks, written in bulk.
//!
//! The rows come from [`crate::search::synthetic`]: its communes become places under former
//! districts `TQ-Dnn` of the province `TQ`, its cooperatives become cooperatives, and its search
//! documents become published listings with one or two marketplace links each. Deterministic for
//! a seed, and idempotent like the demo: rows that already exist are left alone. Nothing goes to
//! the outbox: run `vungcao reindex` afterwards.

use crate::domain::listing::{Certification, ListingKind};
use crate::domain::marketplace::Platform;
use crate::error::AppError;
use crate::search::synthetic::{self, XorShift};
use crate::search::SearchDocument;
use crate::store::catalogue::{self, Category, NewCooperative, NewPlace};
use crate::store::listings::{self, BulkListing};
use crate::store::Conn;
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::HashMap;

/// Listings per transaction.
const BATCH: usize = 5_000;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SyntheticReport {
    pub places: usize,
    pub cooperatives: usize,
    pub listings_added: usize,
    pub listings_skipped: usize,
}

const CATEGORIES: &[(&str, &str)] = &[
    ("tea", "Tea"),
    ("fruit", "Fruit"),
    ("vegetable", "Vegetables"),
    ("dried", "Dried goods"),
    ("honey", "Honey"),
    ("processed", "Processed food"),
    ("grain", "Grain"),
    ("livestock", "Livestock"),
    ("handicraft", "Handicraft"),
    ("festival", "Festivals"),
    ("homestay", "Homestays"),
    ("tour", "Tours"),
];

fn district_code(i: usize) -> String {
    format!("TQ-D{i:02}")
}

/// Loads `n` synthetic published listings (and the places, categories and cooperatives they
/// need). `progress(done, n)` is called after each batch.
pub fn load_synthetic(
    conn: &mut Conn,
    n: usize,
    seed: u64,
    mut progress: impl FnMut(usize, usize),
) -> Result<SyntheticReport, AppError> {
    let mut report = SyntheticReport::default();
    // Same sizes as `synthetic::documents`.
    let communes = synthetic::communes((n / 100).clamp(20, 2_000), seed);
    let coops = synthetic::cooperatives((n / 60).clamp(10, 5_000), &communes, seed);
    conn.transaction(|conn| {
        let existing: Vec<String> = catalogue::categories(conn)?
            .into_iter()
            .map(|c| c.code)
            .collect();
        for (i, (code, en)) in CATEGORIES.iter().enumerate() {
            if !existing.iter().any(|c| c == code) {
                catalogue::upsert_category(
                    conn,
                    &Category {
                        code: (*code).to_owned(),
                        name_vi: synthetic::category_name(code).to_owned(),
                        name_en: (*en).to_owned(),
                        position: 100 + i32::try_from(i).unwrap_or(0),
                    },
                )?;
            }
        }
        let mut places = vec![NewPlace {
            code: "TQ".into(),
            name: "Tuyên Quang".into(),
            kind: "province".into(),
            parent: None,
            lat: 22.14,
            lng: 105.22,
            aliases: vec!["Hà Giang".into()],
        }];
        for (i, (name, lat, lng)) in synthetic::DISTRICTS.iter().enumerate() {
            places.push(NewPlace {
                code: district_code(i),
                name: (*name).to_owned(),
                kind: "district".into(),
                parent: Some("TQ".into()),
                lat: *lat,
                lng: *lng,
                aliases: vec![format!("huyện {name}")],
            });
        }
        for c in &communes {
            places.push(NewPlace {
                code: c.code.clone(),
                name: c.name.clone(),
                kind: "commune".into(),
                parent: Some(c.district_code.clone()),
                lat: c.lat,
                lng: c.lng,
                aliases: Vec::new(),
            });
        }
        for p in &places {
            // The real province may already be there (demo catalogue): keep its row.
            if catalogue::place(conn, &p.code)?.is_none() {
                catalogue::upsert_place(conn, p)?;
                report.places += 1;
            }
        }
        for (slug, name, commune) in &coops {
            if catalogue::cooperative_by_slug(conn, slug)?.is_none() {
                catalogue::save_cooperative(
                    conn,
                    &NewCooperative {
                        slug: slug.clone(),
                        name: name.clone(),
                        place: communes[*commune].code.clone(),
                        phone: None,
                    },
                    catalogue::OnExisting::Refuse,
                )?;
                report.cooperatives += 1;
            }
        }
        Ok(())
    })?;
    let coop_ids: HashMap<String, i64> = catalogue::all_cooperatives(conn)?
        .into_iter()
        .map(|c| (c.slug, c.id))
        .collect();
    let base = NaiveDate::from_ymd_opt(2025, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    let mut rng = XorShift::new(seed ^ 0x1175);
    let mut batch = Vec::with_capacity(BATCH);
    let mut done = 0;
    progress(0, n);
    for doc in synthetic::documents(n, seed) {
        let coop = coop_ids
            .get(&doc.cooperative_slug)
            .copied()
            .ok_or_else(|| {
                AppError::internal(format!("no cooperative {}", doc.cooperative_slug))
            })?;
        batch.push(bulk_row(doc, coop, base, &mut rng));
        if batch.len() == BATCH {
            flush(conn, &mut batch, &mut report, &mut done)?;
            progress(done, n);
        }
    }
    flush(conn, &mut batch, &mut report, &mut done)?;
    progress(done, n);
    Ok(report)
}

fn flush(
    conn: &mut Conn,
    batch: &mut Vec<BulkListing>,
    report: &mut SyntheticReport,
    done: &mut usize,
) -> Result<(), AppError> {
    if batch.is_empty() {
        return Ok(());
    }
    let added = listings::insert_published_batch(conn, batch)?;
    report.listings_added += added;
    report.listings_skipped += batch.len() - added;
    *done += batch.len();
    batch.clear();
    Ok(())
}

const LINK_PLATFORMS: &[(Platform, &str)] = &[
    (Platform::Shopee, "https://shopee.vn/"),
    (Platform::Lazada, "https://www.lazada.vn/products/"),
    (Platform::TiktokShop, "https://www.tiktok.com/@vungcao/"),
    (Platform::Postmart, "https://postmart.vn/"),
    (Platform::Facebook, "https://www.facebook.com/"),
];

fn bulk_row(
    doc: SearchDocument,
    cooperative_id: i64,
    base: NaiveDateTime,
    rng: &mut XorShift,
) -> BulkListing {
    let kind = ListingKind::parse(&doc.kind).unwrap_or(ListingKind::Product);
    // Event days are yearly repeats of the first occurrence: its first run of days.
    let event = doc.event_days.first().map(|&first| {
        let len = doc
            .event_days
            .iter()
            .enumerate()
            .take_while(|(i, d)| **d == first + *i as i32)
            .count();
        let start = epoch_date(first);
        let end = epoch_date(first + len.saturating_sub(1) as i32);
        (start, end, true)
    });
    let first = rng.below(LINK_PLATFORMS.len());
    let mut links = vec![first];
    if rng.chance(50) {
        links.push((first + 1 + rng.below(LINK_PLATFORMS.len() - 1)) % LINK_PLATFORMS.len());
    }
    BulkListing {
        links: links
            .into_iter()
            .map(|i| {
                let (platform, prefix) = LINK_PLATFORMS[i];
                (platform, format!("{prefix}{}", doc.slug))
            })
            .collect(),
        unit: match kind {
            ListingKind::Product => Some("kg".into()),
            ListingKind::Experience => Some("người".into()),
            ListingKind::Event => None,
        },
        slug: doc.slug,
        kind,
        name_vi: doc.name_vi,
        description_vi: doc.description_vi,
        category_code: doc.category_code,
        place_code: doc.place_code,
        cooperative_id,
        price_vnd: doc.price_vnd,
        ocop_stars: doc.ocop_stars,
        certifications: doc
            .certifications
            .iter()
            .filter_map(|c| Certification::parse(c))
            .collect(),
        season_months: doc.season_months,
        event,
        // Newest last, like the generator's ids.
        published_at: base + chrono::TimeDelta::minutes(doc.id),
    }
}

fn epoch_date(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::TimeDelta::days(i64::from(day))))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_rows_keep_the_first_occurrence() {
        let mut rng = XorShift::new(1);
        let base = NaiveDateTime::default();
        let doc = synthetic::documents(2_000, 3)
            .find(|d| d.kind == "event" && !d.event_days.is_empty())
            .unwrap_or_else(|| panic!("no event in the sample"));
        let first = doc.event_days[0];
        let row = bulk_row(doc, 1, base, &mut rng);
        let (start, end, yearly) = row.event.unwrap_or_else(|| panic!("event dates"));
        assert!(yearly);
        assert_eq!(start, epoch_date(first));
        assert!(end >= start && (end - start).num_days() <= 2);
        assert!(!row.links.is_empty() && row.links.len() <= 2);
    }
}
