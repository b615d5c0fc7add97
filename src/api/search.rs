//! `GET /api/v1/search`: ranked published listings with facet counts, from the search index.

use super::params::Params;
use super::public::{parse_filter, ListQuery};
use crate::error::{AppError, Code};
use crate::finder::find_listings_json;
use crate::http::etag;
use crate::search::limits::{FACETS, MAX_OFFSET};
use crate::search::{SearchFilters, SearchQuery, SortOrder};
use crate::state::AppState;
use crate::store::listings::{epoch_day, ListingFilter, ListingView};
use actix_web::{get, web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(search);
}

const MAX_QUERY_CHARS: usize = 500;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What the shopper typed; diacritics optional ("che shan tuyet"), typos tolerated, the last
    /// word matches as a prefix. Empty: browse everything.
    pub q: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    /// A commune, or a province/former district and everything under it.
    pub place: Option<String>,
    pub cooperative: Option<String>,
    /// Minimum OCOP stars.
    pub ocop: Option<String>,
    pub certification: Option<String>,
    /// In season in this month (1–12).
    pub month: Option<String>,
    pub price_min: Option<String>,
    pub price_max: Option<String>,
    /// Events taking place between `from` and `to` (`YYYY-MM-DD`).
    pub from: Option<String>,
    pub to: Option<String>,
    /// `relevance` (default), `price_asc`, `price_desc`, `newest`, `nearest` (needs `near`).
    pub sort: Option<String>,
    /// `lat,lng` for `sort=nearest`.
    pub near: Option<String>,
    /// Facet counts: `true` (default, all of them), `false`, or a comma-separated list of the
    /// ones wanted (`kind,category_code`; any of kind, category_code, place_path,
    /// cooperative_slug, ocop_stars, certifications, season_months). Fewer facets answer faster.
    pub facets: Option<String>,
    pub cursor: Option<String>,
    /// 1–50, default 20.
    pub limit: Option<String>,
    /// `true`: add `explain`, how the query was understood (readings tried, which matched).
    pub explain: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchPage {
    pub query: String,
    #[schema(value_type = String)]
    pub sort: SortOrder,
    /// Matching published listings (Meilisearch's estimate on that backend).
    pub total: u64,
    pub items: Vec<ListingView>,
    /// facet → value → count, over every match (not just this page).
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
    /// The filters applied, as understood.
    #[schema(value_type = Object)]
    pub filters: serde_json::Value,
    pub next: Option<String>,
    /// When the query as typed found nothing: the closest reading, whose results these are
    /// ("Có phải bạn tìm: …").
    pub did_you_mean: Option<String>,
    /// With `explain=true`: `notes` (how words were read: Telex, split, synonyms, places,
    /// months, OCOP, typos), `readings` (each search tried: `text`, `role`, `boost`, `ran`,
    /// `hits`, `matched`) and `did_you_mean`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub explain: Option<crate::search::understand::Explain>,
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    q: String,
    o: usize,
}

fn encode_cursor(q: String, o: usize) -> String {
    let json = serde_json::to_vec(&Cursor { q, o }).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The offset a cursor of this search (`print`) stands for; anything else is `invalid_cursor`.
fn decode_cursor(raw: &str, print: &str) -> Result<usize, AppError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw.as_bytes())
        .ok()
        .and_then(|b| serde_json::from_slice::<Cursor>(&b).ok())
        .filter(|c| c.q == print && c.o <= MAX_OFFSET)
        .map(|c| c.o)
        .ok_or_else(|| {
            AppError::new(Code::InvalidCursor)
                .with_detail("this cursor was made for a different search")
        })
}

fn fingerprint(query: &SearchQuery) -> String {
    use sha2::{Digest, Sha256};
    let text = format!(
        "{}|{:?}|{:?}|{:?}",
        query.text, query.filters, query.sort, query.near
    );
    Sha256::digest(text.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn parse_near(p: &mut Params, raw: Option<&String>) -> Option<(f64, f64)> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    let mut parts = raw.split(',').map(|s| s.trim().parse::<f64>());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(Ok(lat)), Some(Ok(lng)), None)
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng) =>
        {
            Some((lat, lng))
        }
        _ => {
            p.push("near", "must be latitude,longitude, e.g. 22.35,105.39");
            None
        }
    }
}

/// `true`/`1`: every facet; `false`/`0`: none; otherwise a comma-separated list of facet names.
fn parse_facets(raw: &str) -> Option<(bool, Option<Vec<String>>)> {
    match raw {
        "true" | "1" => return Some((true, None)),
        "false" | "0" => return Some((false, None)),
        _ => {}
    }
    let mut wanted: Vec<String> = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !FACETS.contains(&name) {
            return None;
        }
        if !wanted.iter().any(|w| w == name) {
            wanted.push(name.to_owned());
        }
    }
    (!wanted.is_empty()).then_some((true, Some(wanted)))
}

fn facets_expected() -> String {
    format!(
        "true, false, or a comma-separated list of {}",
        FACETS.join(", ")
    )
}

fn to_search_filters(f: &ListingFilter) -> SearchFilters {
    SearchFilters {
        kind: f.kind.map(|k| k.as_str().to_owned()),
        category: f.category.clone(),
        place: f.place.clone(),
        cooperative: f.cooperative.clone(),
        min_ocop_stars: f.min_ocop_stars,
        certification: f.certification.map(|c| c.code().to_owned()),
        in_season_month: f.in_season_month,
        price_min: f.price_min,
        price_max: f.price_max,
        event_days: None,
        season_any: Vec::new(),
    }
}

/// Ranked search over published listings, with facets.
#[utoipa::path(
    tag = "listings",
    params(SearchParams),
    responses(
        (status = 200, body = SearchPage),
        (status = 400, description = "invalid_query / invalid_cursor", body = crate::error::Problem)
    )
)]
#[get("/api/v1/search")]
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<SearchParams>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let mut p = Params::default();
    let common = ListQuery {
        kind: q.kind.clone(),
        category: q.category.clone(),
        place: q.place.clone(),
        cooperative: q.cooperative.clone(),
        ocop: q.ocop.clone(),
        certification: q.certification.clone(),
        month: q.month.clone(),
        price_min: q.price_min.clone(),
        price_max: q.price_max.clone(),
        ..ListQuery::default()
    };
    let filter = parse_filter(&state, &common, &mut p).await?;
    let text = q.q.clone().unwrap_or_default();
    if text.chars().count() > MAX_QUERY_CHARS {
        p.push("q", "must be at most 500 characters");
    }
    let from = p.date("from", q.from.as_ref());
    let to = p.date("to", q.to.as_ref());
    let event_days = match (from, to) {
        (None, None) => None,
        (from, to) => {
            let from = from.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let to = to.unwrap_or(from + chrono::Duration::days(365));
            if to < from {
                p.push("to", "must not be before from");
            }
            Some((epoch_day(from), epoch_day(to)))
        }
    };
    let sort = p
        .choice(
            "sort",
            q.sort.as_ref(),
            |s| serde_json::from_value::<SortOrder>(serde_json::Value::String(s.into())).ok(),
            "relevance, price_asc, price_desc, newest, nearest",
        )
        .unwrap_or_default();
    let near = parse_near(&mut p, q.near.as_ref());
    if sort == SortOrder::Nearest && near.is_none() {
        p.push("near", "sort=nearest needs near=lat,lng");
    }
    let (facets, facet_fields) = p
        .choice(
            "facets",
            q.facets.as_ref(),
            parse_facets,
            &facets_expected(),
        )
        .unwrap_or((true, None));
    let limit = p
        .number("limit", q.limit.as_ref(), 1usize, 50)
        .unwrap_or(20);
    let cursor = p.text("cursor", q.cursor.as_ref(), 200);
    let explain = p
        .choice(
            "explain",
            q.explain.as_ref(),
            |s| match s {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            "true or false",
        )
        .unwrap_or(false);
    p.finish()?;

    let mut filters = to_search_filters(&filter);
    filters.event_days = event_days;
    let mut query = SearchQuery {
        text: text.trim().to_owned(),
        filters,
        sort,
        near,
        offset: 0,
        limit,
        facets,
        facet_fields,
        place_counts: Default::default(),
    };
    let print = fingerprint(&query);
    if let Some(raw) = cursor {
        query.offset = decode_cursor(&raw, &print)?;
    }
    let (results, items) =
        find_listings_json(&state.db, &state.search, state.media_base.clone(), &query).await?;
    let next_offset = query.offset + limit;
    let next = (results.hits.len() == limit
        && (next_offset as u64) < results.total
        && next_offset <= MAX_OFFSET)
        .then(|| encode_cursor(print, next_offset));
    let applied = serde_json::json!({
        "kind": filter.kind,
        "category": filter.category,
        "place": filter.place,
        "cooperative": filter.cooperative,
        "ocop": filter.min_ocop_stars,
        "certification": filter.certification,
        "month": filter.in_season_month,
        "price_min": filter.price_min,
        "price_max": filter.price_max,
        "from": from,
        "to": to,
    });
    let head = PageHead {
        query: &query.text,
        sort,
        total: results.total,
    };
    let tail = PageTail {
        facets: &results.facets,
        filters: &applied,
        next: next.as_deref(),
        did_you_mean: results.explain.did_you_mean.as_deref(),
        explain: explain.then_some(&results.explain),
    };
    Ok(etag::json_text(&req, page_body(&head, &items, &tail)?))
}

/// A [`SearchPage`] up to its items.
#[derive(Serialize)]
struct PageHead<'a> {
    query: &'a str,
    sort: SortOrder,
    total: u64,
}

/// A [`SearchPage`] after its items.
#[derive(Serialize)]
struct PageTail<'a> {
    facets: &'a BTreeMap<String, BTreeMap<String, u64>>,
    filters: &'a serde_json::Value,
    next: Option<&'a str>,
    did_you_mean: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<&'a crate::search::understand::Explain>,
}

/// A [`SearchPage`] written with the listings' stored JSON as its items (not read into views
/// and written out again: that was a quarter of a search's time in the server).
fn page_body(
    head: &PageHead<'_>,
    items: &[String],
    tail: &PageTail<'_>,
) -> Result<String, AppError> {
    let json = |e: serde_json::Error| AppError::internal(format!("json: {e}"));
    let head = serde_json::to_string(head).map_err(json)?;
    let tail = serde_json::to_string(tail).map_err(json)?;
    // Both are objects with fields: "{…}" and "{…}".
    let (Some(head), Some(tail)) = (head.strip_suffix('}'), tail.strip_prefix('{')) else {
        return Err(AppError::internal("search page: not a JSON object"));
    };
    let mut body = String::with_capacity(
        head.len() + tail.len() + items.iter().map(|i| i.len() + 1).sum::<usize>() + 16,
    );
    body.push_str(head);
    body.push_str(",\"items\":");
    super::push_json_array(&mut body, items);
    body.push(',');
    body.push_str(tail);
    Ok(body)
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_written_around_the_stored_items_in_the_schema_order() {
        let facets: BTreeMap<String, BTreeMap<String, u64>> = [(
            "kind".to_owned(),
            [("product".to_owned(), 2)].into_iter().collect(),
        )]
        .into_iter()
        .collect();
        let filters = serde_json::json!({"kind": "product"});
        let explain = crate::search::understand::Explain::default();
        let items = vec![
            r#"{"id":1,"name":{"vi":"Chè \"Shan\" tuyết"}}"#.to_owned(),
            r#"{"id":2}"#.to_owned(),
        ];
        for explained in [None, Some(&explain)] {
            let head = PageHead {
                query: "chè \"}",
                sort: SortOrder::Relevance,
                total: 2,
            };
            let tail = PageTail {
                facets: &facets,
                filters: &filters,
                next: Some("abc"),
                did_you_mean: Some("chè"),
                explain: explained,
            };
            // Without items the page is exactly the schema's `SearchPage`, written by serde: a
            // field added to the schema and not to the head or tail fails here.
            let schema = SearchPage {
                query: head.query.to_owned(),
                sort: head.sort,
                total: head.total,
                items: Vec::new(),
                facets: facets.clone(),
                filters: filters.clone(),
                next: Some("abc".to_owned()),
                did_you_mean: Some("chè".to_owned()),
                explain: explained.cloned(),
            };
            assert_eq!(
                page_body(&head, &[], &tail).expect("a page"),
                serde_json::to_string(&schema).expect("JSON")
            );
            let body = page_body(&head, &items, &tail).expect("a page");
            let page: serde_json::Value = serde_json::from_str(&body).expect("JSON");
            assert_eq!(page["query"], "chè \"}");
            assert_eq!(page["items"][0]["name"]["vi"], "Chè \"Shan\" tuyết");
            assert_eq!(page["items"][1]["id"], 2);
            assert_eq!(page["facets"]["kind"]["product"], 2);
            assert_eq!(page["next"], "abc");
        }
    }

    #[test]
    fn facets_parameter_is_a_flag_or_a_list() {
        assert_eq!(parse_facets("true"), Some((true, None)));
        assert_eq!(parse_facets("1"), Some((true, None)));
        assert_eq!(parse_facets("false"), Some((false, None)));
        assert_eq!(
            parse_facets("kind, category_code,kind"),
            Some((true, Some(vec!["kind".into(), "category_code".into()])))
        );
        assert_eq!(parse_facets("kind,price"), None);
        assert_eq!(parse_facets(","), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn facet_list() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop_oneof![
                    proptest::sample::select(FACETS.to_vec()).prop_map(str::to_owned),
                    "[a-z_ ]{0,12}",
                ],
                0..6,
            )
            .prop_map(|names| names.join(","))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn any_facets_value_is_refused_or_reads_back_the_same(
                raw in prop_oneof![any::<String>(), facet_list()]
            ) {
                if let Some((on, names)) = parse_facets(&raw) {
                    match names {
                        None => prop_assert!(["true", "1", "false", "0"].contains(&raw.as_str())),
                        Some(names) => {
                            prop_assert!(on);
                            prop_assert!(!names.is_empty());
                            prop_assert!(names.iter().all(|n| FACETS.contains(&n.as_str())));
                            let mut unique = names.clone();
                            unique.sort();
                            unique.dedup();
                            prop_assert_eq!(unique.len(), names.len());
                            prop_assert_eq!(parse_facets(&names.join(",")), Some((true, Some(names))));
                        }
                    }
                }
            }

            #[test]
            fn any_near_value_is_refused_or_a_point_on_earth_that_reads_back(
                raw in prop_oneof![
                    any::<String>(),
                    "[ +-]?[0-9]{1,3}(\\.[0-9]{0,6})?[ ]?,[ +-]?[0-9]{1,3}(\\.[0-9]{0,6})?",
                    "(NaN|inf|-inf|1e400|-0),(NaN|inf|0|1e-400)",
                ]
            ) {
                let mut p = Params::default();
                let raw = Some(raw);
                match parse_near(&mut p, raw.as_ref()) {
                    Some((lat, lng)) => {
                        prop_assert!((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng));
                        prop_assert!(p.finish().is_ok());
                        let again = Some(format!("{lat},{lng}"));
                        prop_assert_eq!(parse_near(&mut Params::default(), again.as_ref()), Some((lat, lng)));
                    }
                    None => {
                        let blank = raw.as_deref().is_some_and(|r| r.trim().is_empty());
                        prop_assert_eq!(p.finish().is_ok(), blank);
                    }
                }
            }

            #[test]
            fn any_text_is_a_search_cursor_or_invalid_cursor(
                raw in prop_oneof![
                    any::<String>(),
                    any::<Vec<u8>>().prop_map(|b| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)),
                    (any::<u64>(), any::<bool>()).prop_map(|(o, neg)| {
                        let o = if neg { -(o as i128) } else { o as i128 };
                        base64::engine::general_purpose::URL_SAFE_NO_PAD
                            .encode(format!("{{\"q\":\"0123456789abcdef\",\"o\":{o}}}"))
                    }),
                ]
            ) {
                match decode_cursor(&raw, "0123456789abcdef") {
                    Ok(o) => prop_assert!(o <= MAX_OFFSET),
                    Err(e) => prop_assert_eq!(e.code, Code::InvalidCursor),
                }
            }

            #[test]
            fn a_search_cursor_reads_back_for_its_own_search_only(
                print in "[0-9a-f]{16}",
                other in "[0-9a-f]{16}",
                o in 0..=MAX_OFFSET,
            ) {
                let raw = encode_cursor(print.clone(), o);
                prop_assert_eq!(decode_cursor(&raw, &print).ok(), Some(o));
                if other != print {
                    prop_assert_eq!(decode_cursor(&raw, &other).err().map(|e| e.code), Some(Code::InvalidCursor));
                }
            }
        }
    }
}
