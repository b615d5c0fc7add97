//! Test-only converter: demo catalogue JSON → `SearchDocument`s (ids 1..n, published_at = id).

use chrono::NaiveDate;
use serde_json::Value;
use std::collections::HashMap;
use vungcao::search::SearchDocument;
use vungcao::text::slugify;

pub fn demo_json() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/demo-catalogue.json");
    let text = std::fs::read_to_string(path).expect("demo catalogue readable");
    serde_json::from_str(&text).expect("demo catalogue is JSON")
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn certification_code(label: &str) -> String {
    match label {
        "VietGAP" => "vietgap".into(),
        "GlobalGAP" => "globalgap".into(),
        "Hữu cơ" => "organic".into(),
        "Chỉ dẫn địa lý" => "geographical_indication".into(),
        other => slugify(other).replace('-', "_"),
    }
}

fn epoch_days(d: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    (d - epoch).num_days() as i32
}

fn month_day(md: &str, year: i32) -> NaiveDate {
    let (m, d) = md.split_once('-').expect("MM-DD");
    NaiveDate::from_ymd_opt(year, m.parse().expect("month"), d.parse().expect("day"))
        .expect("valid date")
}

/// Days covered by a yearly occurrence from 2025 to 2029.
pub fn event_days(start: &str, end: &str) -> Vec<i32> {
    let mut days = Vec::new();
    for year in 2025..=2029 {
        let a = month_day(start, year);
        let mut b = month_day(end, year);
        if b < a {
            b = month_day(end, year + 1);
        }
        let mut d = a;
        while d <= b {
            days.push(epoch_days(d));
            d = d.succ_opt().expect("next day");
        }
    }
    days
}

pub fn day(y: i32, m: u32, d: u32) -> i32 {
    epoch_days(NaiveDate::from_ymd_opt(y, m, d).expect("date"))
}

pub fn demo_documents() -> Vec<SearchDocument> {
    let json = demo_json();
    let categories: HashMap<String, String> = json["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|c| (s(&c["code"]), s(&c["name"]["vi"])))
        .collect();
    let places: HashMap<String, &Value> = json["places"]
        .as_array()
        .expect("places")
        .iter()
        .map(|p| (s(&p["code"]), p))
        .collect();
    let coops: HashMap<String, String> = json["cooperatives"]
        .as_array()
        .expect("cooperatives")
        .iter()
        .map(|c| (s(&c["slug"]), s(&c["name"])))
        .collect();
    let mut docs = Vec::new();
    for (i, l) in json["listings"]
        .as_array()
        .expect("listings")
        .iter()
        .enumerate()
    {
        let id = i as i64 + 1;
        let place_code = s(&l["place"]);
        let mut place_path = Vec::new();
        let mut place_names = Vec::new();
        let mut code = Some(place_code.clone());
        while let Some(c) = code {
            let p = places[&c];
            place_path.push(c.clone());
            place_names.push(s(&p["name"]));
            for a in p["aliases"].as_array().into_iter().flatten() {
                place_names.push(s(a));
            }
            code = p["parent"].as_str().map(str::to_owned);
        }
        let place = places[&place_code];
        let name_vi = s(&l["name"]["vi"]);
        let event_days = match l.get("recurs_yearly") {
            Some(r) if r.is_object() => event_days(&s(&r["start"]), &s(&r["end"])),
            _ => Vec::new(),
        };
        docs.push(SearchDocument {
            id,
            slug: slugify(&name_vi),
            kind: s(&l["kind"]),
            name_vi,
            name_en: l["name"]["en"].as_str().map(str::to_owned),
            description_vi: s(&l["description"]["vi"]),
            description_en: l["description"]["en"].as_str().map(str::to_owned),
            category_code: s(&l["category"]),
            category_name_vi: categories[&s(&l["category"])].clone(),
            place_code: place_code.clone(),
            place_path,
            place_names,
            cooperative_slug: s(&l["cooperative"]),
            cooperative_name: coops[&s(&l["cooperative"])].clone(),
            price_vnd: l["price_vnd"].as_i64(),
            ocop_stars: l["ocop_stars"].as_i64().map(|v| v as i16),
            certifications: l["certifications"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| certification_code(&s(c)))
                .collect(),
            season_months: l["season_months"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_u64().map(|m| m as u8))
                .collect(),
            event_days,
            lat: place["lat"].as_f64().expect("lat"),
            lng: place["lng"].as_f64().expect("lng"),
            published_at: id,
        });
    }
    docs
}
