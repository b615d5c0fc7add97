//! Shopper pages: home, search, listings, festivals, cooperatives, places.

use super::forms::Form;
use super::i18n::Lang;
use super::view::{self, Card, Picture, ShareLinks};
use super::{html, script_json, Caching, Chrome};
use crate::domain::listing::ListingKind;
use crate::domain::marketplace::Platform;
use crate::error::{AppError, Code};
use crate::festivals::{CalendarCursor, CalendarPage, FestivalCalendar, Occurrence};
use crate::search::limits::MAX_OFFSET;
use crate::search::{PlaceCounts, SearchFilters, SearchQuery, SortOrder};
use crate::state::AppState;
use crate::store::catalogue;
use crate::store::listings::{self, ListSort, ListingBrief, ListingFilter, ListingView};
use crate::store::Conn;
use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(search)
        .service(search_en)
        .service(product_page)
        .service(events_page)
        .service(event_page)
        .service(cooperative_page)
        .service(place_page);
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A 404 for a missing listing, cooperative or place; other errors as the API shows them.
fn page_error(req: &HttpRequest, e: AppError) -> HttpResponse {
    use Code::*;
    match e.code {
        NotFound | ListingNotFound | CooperativeNotFound | PlaceNotFound => super::not_found(req),
        _ => actix_web::ResponseError::error_response(&e),
    }
}

/// One option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Choice {
        let value = value.into();
        Choice {
            selected: value == current,
            label: label.into(),
            value,
        }
    }
}

/// A link with a label (categories, places, breadcrumbs).
pub struct NavLink {
    pub href: String,
    pub label: String,
}

fn category_label(lang: Lang, c: &catalogue::Category) -> String {
    match lang {
        Lang::Vi => c.name_vi.clone(),
        Lang::En => c.name_en.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Home
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    season_title: String,
    season_url: String,
    in_season: Vec<Card>,
    festivals: Vec<Card>,
    ocop: Vec<Card>,
    categories: Vec<NavLink>,
    places: Vec<NavLink>,
}

/// The first `limit` festival occurrences of the year from `from`, after `after`.
fn upcoming_events(
    conn: &mut Conn,
    calendar: &FestivalCalendar,
    from: NaiveDate,
    after: Option<CalendarCursor>,
    limit: usize,
    media_base: &str,
) -> Result<CalendarPage, AppError> {
    let to = from + chrono::Duration::days(365);
    calendar.occurrences(conn, from, to, after, limit, media_base)
}

fn event_cards(lang: Lang, found: &[Occurrence]) -> Vec<Card> {
    found
        .iter()
        .map(|o| {
            let mut card = Card::of(lang, &o.listing);
            card.when = view::date_range(lang, o.start, o.end);
            card
        })
        .collect()
}

/// What a public page is kept under besides its version: route, language, day (pages show what
/// is in season and coming from today) and query string (it shows in the page's links). `None`
/// when the query string holds a parameter the page does not read (`reads`, plus `lang`): such
/// pages are worked out but not kept, so made-up query strings cannot crowd the kept pages out.
fn kept_key(
    route: &str,
    reads: &[&str],
    lang: Lang,
    day: NaiveDate,
    req: &HttpRequest,
) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .all(|(k, _)| k == "lang" || reads.contains(&k.as_ref()))
        .then(|| format!("{route}|{}|{day}|{}", lang.code(), req.query_string()))
}

/// Renders `page`, keeps it under `key` (if any) as made from `version` and answers with it.
fn keep_page<T: Template>(
    state: &AppState,
    req: &HttpRequest,
    key: Option<String>,
    version: i64,
    page: &T,
) -> HttpResponse {
    let Some(key) = key else {
        return html(req, page, StatusCode::OK, Caching::Revalidate);
    };
    match super::render(page) {
        Some(body) => super::kept_html(req, &state.kept.keep(key, version, body.into_bytes())),
        None => super::template_failed(),
    }
}

/// The home page, kept in memory by the storefront's version (`store::storefront_version`,
/// read per request: a change committed on any replica shows on the next request).
#[get("/")]
async fn home(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(&req);
    let day = today();
    let month = day.month();
    let media_base = state.media_base.clone();
    let calendar = state.calendar.clone();
    let key = kept_key("/", &[], lang, day, &req);
    // Read before anything the page shows, so the page is never older than its version.
    let version = state.versions.storefront(&state.db).await?;
    if let Some(page) = key.as_deref().and_then(|key| state.kept.get(key, version)) {
        return Ok(super::kept_html(&req, &page));
    }
    let (cats, places, in_season, ocop, festivals) = state
        .db
        .read(move |conn| {
            let season = ListingFilter {
                in_season_month: u8::try_from(month).ok(),
                kind: Some(ListingKind::Product),
                ..ListingFilter::default()
            };
            let in_season =
                listings::list_public(conn, &season, ListSort::Newest, None, 6, &media_base)?.items;
            let ocop_filter = ListingFilter {
                min_ocop_stars: Some(4),
                ..ListingFilter::default()
            };
            let ocop =
                listings::list_public(conn, &ocop_filter, ListSort::Newest, None, 6, &media_base)?
                    .items;
            let festivals = upcoming_events(conn, &calendar, day, None, 4, &media_base)?.items;
            Ok((
                catalogue::categories(conn)?,
                catalogue::places_above_communes(conn)?,
                in_season,
                ocop,
                festivals,
            ))
        })
        .await?;
    let mut c = Chrome::new(&req, format!("Vùng Cao · {}", lang.t().tagline));
    c.meta = vec![
        ("og:type".into(), "website".into()),
        ("og:title".into(), c.title.clone()),
        ("og:description".into(), c.description.clone()),
        ("og:url".into(), c.canonical.clone()),
    ];
    let page = HomePage {
        season_title: lang.in_season(month),
        season_url: format!("/tim-kiem?month={month}"),
        in_season: Card::list(lang, &in_season),
        festivals: event_cards(lang, &festivals),
        ocop: Card::list(lang, &ocop),
        categories: cats
            .iter()
            .map(|cat| NavLink {
                href: format!("/tim-kiem?category={}", cat.code),
                label: category_label(lang, cat),
            })
            .collect(),
        places: places
            .iter()
            .map(|p| NavLink {
                href: format!("/dia-phuong/{}", p.code),
                label: p.name.clone(),
            })
            .collect(),
        c,
    };
    Ok(keep_page(&state, &req, key, version, &page))
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

pub const PAGE_SIZE: usize = 12;

/// What the shopper asked for, as typed (bad values are ignored, never an error page).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchForm {
    pub q: String,
    pub category: String,
    pub place: String,
    pub kind: String,
    pub month: String,
    pub ocop: String,
    pub price_min: String,
    pub price_max: String,
    /// `relevance` (default with words), `newest`, `price_asc`, `price_desc`.
    pub sort: String,
    /// 1-based.
    pub page: usize,
}

impl SearchForm {
    pub fn from_query(query: &str) -> SearchForm {
        let f = Form::parse(query.as_bytes());
        // Cut, then trimmed again: a cut that ends in a space would read differently from the
        // links made from it.
        let text = |k: &str| {
            let cut: String = f.get(k).trim().chars().take(200).collect();
            cut.trim_end().to_owned()
        };
        SearchForm {
            q: text("q"),
            category: text("category"),
            place: text("place"),
            kind: text("kind"),
            month: text("month"),
            ocop: text("ocop"),
            price_min: text("price_min"),
            price_max: text("price_max"),
            sort: text("sort"),
            page: f
                .get("page")
                .parse()
                .unwrap_or(1)
                .clamp(1, MAX_OFFSET / PAGE_SIZE + 1),
        }
    }

    /// The query string for this search on another page (empty fields left out).
    pub fn query_string(&self, page: usize) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("category", &self.category),
            ("place", &self.place),
            ("kind", &self.kind),
            ("month", &self.month),
            ("ocop", &self.ocop),
            ("price_min", &self.price_min),
            ("price_max", &self.price_max),
            ("sort", &self.sort),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        if page > 1 {
            s.append_pair("page", &page.to_string());
        }
        s.finish()
    }

    fn has_filters(&self) -> bool {
        [
            &self.category,
            &self.place,
            &self.kind,
            &self.month,
            &self.ocop,
            &self.price_min,
            &self.price_max,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }
}

/// One page of results with facet counts (facet name → value → count), as the search index gives them.
#[derive(Debug, Clone, Default)]
pub struct SearchPageData {
    pub items: Vec<ListingBrief>,
    pub total: u64,
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
    pub next_page: Option<usize>,
    /// The closest reading, when the query as typed found nothing (its results are shown).
    pub did_you_mean: Option<String>,
}

fn price(s: &str) -> Option<i64> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The search behind the page: the same index as `GET /api/v1/search`; listings are then read
/// from the database (published only), in the index's order. `counts`: count the hits per
/// category and place for the filter panel (a page of more results, `partial=1`, has no panel).
/// `places`: every place (the kept filter names), which a chosen place must be one of.
pub async fn find(
    state: &AppState,
    form: &SearchForm,
    places: &[catalogue::PlaceRow],
    counts: bool,
) -> Result<SearchPageData, AppError> {
    let chosen = chosen_place(places, &form.place);
    let filters = SearchFilters {
        kind: ListingKind::parse(&form.kind).map(|k| k.as_str().to_owned()),
        category: (!form.category.is_empty()).then(|| form.category.clone()),
        place: chosen.map(|p| p.code.clone()),
        min_ocop_stars: form.ocop.parse().ok().filter(|s| (3..=5).contains(s)),
        in_season_month: form.month.parse().ok().filter(|m| (1..=12).contains(m)),
        price_min: price(&form.price_min),
        price_max: price(&form.price_max),
        ..SearchFilters::default()
    };
    let sort = match form.sort.as_str() {
        "price_asc" => SortOrder::PriceAsc,
        "price_desc" => SortOrder::PriceDesc,
        "newest" => SortOrder::Newest,
        _ => SortOrder::Relevance,
    };
    let start = (form.page - 1) * PAGE_SIZE;
    let query = SearchQuery {
        text: form.q.clone(),
        filters,
        sort,
        near: None,
        offset: start,
        limit: PAGE_SIZE,
        facets: counts,
        // Only the counts the page's filter panel shows: counting costs per hit and field.
        facet_fields: Some(vec!["category_code".to_owned(), "place_path".to_owned()]),
        // The filter offers these places (`offered_places`), not every commune.
        place_counts: PlaceCounts::Regions {
            open: chosen.and_then(open_district).map(str::to_owned),
        },
    };
    let (results, items) =
        crate::finder::find_listings(&state.db, &state.search, state.media_base.clone(), &query)
            .await?;
    // The page names facets by what they are, the index by the field it counts.
    let facets = results
        .facets
        .into_iter()
        .filter_map(|(name, values)| {
            let name = match name.as_str() {
                "category_code" => "category",
                "place_path" => "place",
                _ => return None,
            };
            Some((name.to_owned(), values))
        })
        .collect();
    let total = results.total;
    Ok(SearchPageData {
        items,
        total,
        facets,
        did_you_mean: results.explain.did_you_mean,
        next_page: (((start + PAGE_SIZE) as u64) < total && start + PAGE_SIZE <= MAX_OFFSET)
            .then_some(form.page + 1),
    })
}

/// One place of the search page's filter: borrowed from the kept names, a thousand of them on
/// every page (built as `Choice`s, their labels were half of the page's rendering).
struct PlaceChoice<'a> {
    code: &'a str,
    /// Communes under their former district, under their province.
    indent: &'static str,
    name: &'a str,
    count: Option<u64>,
    selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    c: Chrome,
    r: Results,
    categories: Vec<Choice>,
    places: Vec<PlaceChoice<'a>>,
    kinds: Vec<Choice>,
    months: Vec<Choice>,
    ocops: Vec<Choice>,
    sorts: Vec<Choice>,
    price_min: String,
    price_max: String,
    filters_open: bool,
}

/// The results list: the whole of a `partial=1` answer.
#[derive(Template)]
#[template(path = "results.html")]
struct Results {
    t: &'static super::i18n::Texts,
    summary: String,
    /// "Có phải bạn tìm: …": the reading shown and the link that searches it.
    did_you_mean: Option<(String, String)>,
    cards: Vec<Card>,
    more_url: String,
    /// Where the list starts (so appended pages keep numbering for screen readers).
    start: usize,
}

/// The places the search page's filter offers: the provinces and former districts always, the
/// communes of one district only once that district or one of its communes is chosen. Every
/// commune on every page was 1 017 options and 71 KB of each search page at 100 000 listings (a
/// real province has over a hundred communes), sent over 3G to shoppers who mostly never open the
/// filters; a commune is two choices away, and its own page (`/dia-phuong/…`) one link.
fn offered_places<'a>(
    places: &'a [catalogue::PlaceRow],
    chosen: &str,
) -> impl Iterator<Item = &'a catalogue::PlaceRow> {
    let open = chosen_place(places, chosen).and_then(open_district);
    places.iter().filter(move |p| {
        p.kind != "commune" || (open.is_some() && p.parent_code.as_deref() == open)
    })
}

/// The place `code` names, if it is one.
fn chosen_place<'a>(
    places: &'a [catalogue::PlaceRow],
    code: &str,
) -> Option<&'a catalogue::PlaceRow> {
    places.iter().find(|p| !code.is_empty() && p.code == code)
}

/// The place whose communes the filter lists when `chosen` is chosen: itself, or a commune's
/// parent.
fn open_district(chosen: &catalogue::PlaceRow) -> Option<&str> {
    if chosen.kind == "commune" {
        chosen.parent_code.as_deref()
    } else {
        Some(chosen.code.as_str())
    }
}

fn with_count(label: String, count: Option<u64>) -> String {
    match count {
        Some(n) => format!("{label} ({n})"),
        None => label,
    }
}

/// The search page's filter names as stored now: the storefront's version is read (one row),
/// the names only when it moved. Every place is a thousand rows, a sixth of a search page's
/// time when read per request.
async fn filter_names(
    state: &AppState,
) -> Result<std::sync::Arc<catalogue::FilterNames>, AppError> {
    let version = state.versions.storefront(&state.db).await?;
    if let Some(names) = state.filter_names.get(version) {
        return Ok(names);
    }
    let names = state.db.read(catalogue::filter_names).await?;
    Ok(state.filter_names.keep(version, names))
}

#[get("/tim-kiem")]
async fn search(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(&req);
    let t = lang.t();
    let form = SearchForm::from_query(req.query_string());
    let partial = Form::parse(req.query_string().as_bytes()).get("partial") == "1";
    // A page of more results without a place needs no names (no filter panel, no place to check).
    let names = if partial && form.place.is_empty() {
        None
    } else {
        Some(filter_names(&state).await?)
    };
    let places = names.as_deref().map_or(&[][..], |n| n.places.as_slice());
    let data = find(&state, &form, places, !partial).await?;
    let summary = if form.q.is_empty() {
        lang.results(data.total as usize)
    } else {
        format!("{} · “{}”", lang.results(data.total as usize), form.q)
    };
    let did_you_mean = data.did_you_mean.clone().map(|text| {
        let asked = SearchForm {
            q: text.clone(),
            ..form.clone()
        };
        (text, format!("/tim-kiem?{}", asked.query_string(1)))
    });
    let results = Results {
        t,
        summary,
        did_you_mean,
        cards: Card::briefs(lang, &data.items),
        more_url: data
            .next_page
            .map(|p| format!("/tim-kiem?{}", form.query_string(p)))
            .unwrap_or_default(),
        start: (form.page - 1) * PAGE_SIZE + 1,
    };
    let Some(names) = names.filter(|_| !partial) else {
        return Ok(html(&req, &results, StatusCode::OK, Caching::Revalidate));
    };
    let count =
        |facet: &str, value: &str| data.facets.get(facet).and_then(|f| f.get(value)).copied();
    let mut categories = vec![Choice::new("", t.any, &form.category)];
    categories.extend(names.categories.iter().map(|cat| {
        Choice::new(
            cat.code.clone(),
            with_count(category_label(lang, cat), count("category", &cat.code)),
            &form.category,
        )
    }));
    let place_counts = data.facets.get("place");
    let mut place_choices = Vec::with_capacity(names.places.len() + 1);
    place_choices.push(PlaceChoice {
        code: "",
        indent: "",
        name: t.any,
        count: None,
        selected: form.place.is_empty(),
    });
    place_choices.extend(
        offered_places(&names.places, &form.place).map(|p| PlaceChoice {
            code: &p.code,
            indent: match p.kind.as_str() {
                "province" => "",
                "district" => "· ",
                _ => "· · ",
            },
            name: &p.name,
            count: place_counts.and_then(|counts| counts.get(&p.code)).copied(),
            selected: p.code == form.place,
        }),
    );
    let kinds = vec![
        Choice::new("", t.any, &form.kind),
        Choice::new("product", t.kind_product, &form.kind),
        Choice::new("experience", t.kind_experience, &form.kind),
        Choice::new("event", t.kind_event, &form.kind),
    ];
    let mut months = vec![Choice::new("", t.any, &form.month)];
    months.extend((1..=12u32).map(|m| Choice::new(m.to_string(), lang.month_name(m), &form.month)));
    let mut ocops = vec![Choice::new("", t.any, &form.ocop)];
    ocops.extend((3..=5i16).map(|s| Choice::new(s.to_string(), lang.ocop_stars(s), &form.ocop)));
    let sorts = vec![
        Choice::new("", t.sort_relevance, &form.sort),
        Choice::new("newest", t.sort_newest, &form.sort),
        Choice::new("price_asc", t.sort_price_asc, &form.sort),
        Choice::new("price_desc", t.sort_price_desc, &form.sort),
    ];
    let mut c = Chrome::new(&req, format!("{} · Vùng Cao", t.nav_search));
    c.query = form.q.clone();
    // Result pages are many and thin: let crawlers follow listings, not index every query.
    c.noindex = true;
    let page = SearchPage {
        c,
        r: results,
        categories,
        places: place_choices,
        kinds,
        months,
        ocops,
        sorts,
        price_min: form.price_min.clone(),
        price_max: form.price_max.clone(),
        filters_open: form.has_filters(),
    };
    Ok(html(&req, &page, StatusCode::OK, Caching::Revalidate))
}

/// `/search` is the same page under its English name.
#[get("/search")]
async fn search_en(req: HttpRequest) -> HttpResponse {
    let q = req.query_string();
    let to = if q.is_empty() {
        "/tim-kiem".to_owned()
    } else {
        format!("/tim-kiem?{q}")
    };
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, to))
        .finish()
}

// ---------------------------------------------------------------------------------------------
// One listing
// ---------------------------------------------------------------------------------------------

pub struct Button {
    pub href: String,
    pub label: String,
    pub platform: String,
}

pub struct MonthChip {
    pub label: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    c: Chrome,
    name: String,
    is_event: bool,
    category: NavLink,
    price: String,
    ocop: String,
    certifications: Vec<&'static str>,
    season: Vec<MonthChip>,
    has_season: bool,
    when: String,
    yearly: bool,
    paragraphs: Vec<String>,
    pictures: Vec<Picture>,
    /// The category's drawing, shown when there is no photo.
    art: &'static str,
    share: ShareLinks,
    coop: NavLink,
    phone: String,
    tel: String,
    place: NavLink,
    place_path: String,
    map_url: String,
    buttons: Vec<Button>,
}

fn absolute(base: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_owned()
    } else {
        format!("{base}{url}")
    }
}

fn short(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// schema.org Product (with an Offer in VND) or Event.
fn json_ld(l: &ListingView, canonical: &str, images: &[String]) -> serde_json::Value {
    use serde_json::json;
    let offer = l.price.as_ref().map(|p| {
        json!({
            "@type": "Offer",
            "price": p.vnd.to_string(),
            "priceCurrency": "VND",
            "availability": "https://schema.org/InStock",
            "url": canonical,
            "seller": {"@type": "Organization", "name": l.cooperative.name},
        })
    });
    let place_names: Vec<&str> = l.place.path.iter().rev().map(|p| p.name.as_str()).collect();
    let mut doc = match (&l.event, l.kind) {
        (Some(e), ListingKind::Event) => json!({
            "@context": "https://schema.org",
            "@type": "Event",
            "name": l.name.vi,
            "description": short(&l.description.vi, 500),
            "startDate": e.next_start.unwrap_or(e.start).to_string(),
            "endDate": e.next_end.unwrap_or(e.end).to_string(),
            "eventStatus": "https://schema.org/EventScheduled",
            "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
            "location": {
                "@type": "Place",
                "name": l.place.name,
                "address": {"@type": "PostalAddress", "addressLocality": place_names.join(", "), "addressCountry": "VN"},
                "geo": {"@type": "GeoCoordinates", "latitude": l.place.lat, "longitude": l.place.lng},
            },
            "organizer": {"@type": "Organization", "name": l.cooperative.name},
            "url": canonical,
        }),
        _ => json!({
            "@context": "https://schema.org",
            "@type": "Product",
            "name": l.name.vi,
            "description": short(&l.description.vi, 500),
            "category": l.category.name.vi,
            "brand": {"@type": "Brand", "name": l.cooperative.name},
            "url": canonical,
        }),
    };
    if let Some(obj) = doc.as_object_mut() {
        if !images.is_empty() {
            obj.insert("image".into(), json!(images));
        }
        if let Some(offer) = offer {
            obj.insert("offers".into(), offer);
        }
    }
    doc
}

fn tel_of(phone: &str) -> String {
    let digits: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    format!("tel:{digits}")
}

/// Which address a listing page was asked for: events live under `/le-hoi/`, the rest under
/// `/san-pham/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListingRoute {
    Product,
    Event,
}

async fn listing_page(
    state: &AppState,
    req: &HttpRequest,
    slug: String,
    route: ListingRoute,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(req);
    let media_base = state.media_base.clone();
    let found = state
        .db
        .read(move |conn| listings::published_by_slug(conn, &slug, &media_base))
        .await?;
    let Some(l) = found else {
        return Ok(super::not_found(req));
    };
    let path = view::listing_path(l.kind, &l.slug);
    if (l.kind == ListingKind::Event) != (route == ListingRoute::Event) {
        let to = match req.query_string() {
            "" => path,
            q => format!("{path}?{q}"),
        };
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, to))
            .finish());
    }
    let name = view::localized(lang, &l.name);
    let description = view::localized(lang, &l.description);
    let mut c = Chrome::new(req, format!("{name} · Vùng Cao"));
    let base = Chrome::public_url(req);
    c.description = short(&description, 200);
    let images: Vec<String> = l
        .photos
        .iter()
        .filter_map(|p| view::pick_jpeg(p, 640))
        .map(|u| absolute(&base, &u))
        .collect();
    let is_event = l.kind == ListingKind::Event;
    let page_url = match lang {
        Lang::Vi => format!("{base}{path}"),
        Lang::En => format!("{base}{path}?lang=en"),
    };
    c.meta = vec![
        (
            "og:type".into(),
            if is_event { "website" } else { "product" }.into(),
        ),
        ("og:title".into(), name.clone()),
        ("og:description".into(), c.description.clone()),
        ("og:url".into(), c.canonical.clone()),
        ("og:site_name".into(), "Vùng Cao".into()),
        (
            "og:locale".into(),
            match lang {
                Lang::Vi => "vi_VN",
                Lang::En => "en_GB",
            }
            .into(),
        ),
    ];
    // The link preview: the cover's 1200×630 cut (a photo stored before those were made
    // offers its largest JPEG instead).
    if let Some(share) = l.photos.first().and_then(|p| p.share.as_ref()) {
        c.meta
            .push(("og:image".into(), absolute(&base, &share.url)));
        c.meta
            .push(("og:image:width".into(), share.width.to_string()));
        c.meta
            .push(("og:image:height".into(), share.height.to_string()));
        c.meta.push(("og:image:alt".into(), name.clone()));
        c.meta
            .push(("twitter:card".into(), "summary_large_image".into()));
    }
    if let Some(p) = &l.price {
        c.meta
            .push(("product:price:amount".into(), p.vnd.to_string()));
        c.meta.push(("product:price:currency".into(), "VND".into()));
    }
    c.json_ld = script_json(&json_ld(&l, &c.canonical, &images));
    if crate::http::credentials::is_shopper(req) {
        state.views.count(l.id);
    }
    let phone = l.cooperative.phone.clone().unwrap_or_default();
    let place_path: Vec<&str> = l.place.path.iter().rev().map(|p| p.name.as_str()).collect();
    let (lat, lng) = (l.place.lat, l.place.lng);
    let page = ListingPage {
        name,
        is_event,
        category: NavLink {
            href: format!("/tim-kiem?category={}", l.category.code),
            label: view::localized(lang, &l.category.name),
        },
        price: view::price_text(&l),
        ocop: l
            .ocop
            .as_ref()
            .map(|o| lang.ocop_stars(o.stars))
            .unwrap_or_default(),
        certifications: l
            .certifications
            .iter()
            .map(|cert| lang.certification(*cert))
            .collect(),
        has_season: !l.season_months.is_empty(),
        season: (1..=12u8)
            .map(|m| MonthChip {
                label: lang.month_short(m),
                active: l.season_months.contains(&m),
            })
            .collect(),
        when: l
            .event
            .as_ref()
            .map(|e| {
                view::date_range(
                    lang,
                    e.next_start.unwrap_or(e.start),
                    e.next_end.unwrap_or(e.end),
                )
            })
            .unwrap_or_default(),
        yearly: l.event.as_ref().is_some_and(|e| e.recurs_yearly),
        paragraphs: description
            .split("\n\n")
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        pictures: l.photos.iter().filter_map(Picture::of).collect(),
        art: super::art::for_category(&l.category.code),
        share: ShareLinks::of(&page_url),
        coop: NavLink {
            href: format!("/htx/{}", l.cooperative.slug),
            label: l.cooperative.name.clone(),
        },
        tel: tel_of(&phone),
        phone,
        place: NavLink {
            href: format!("/dia-phuong/{}", l.place.code),
            label: l.place.name.clone(),
        },
        place_path: place_path.join(", "),
        map_url: format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=13/{lat}/{lng}"),
        buttons: l
            .marketplace_links
            .iter()
            .filter_map(|link| {
                Platform::parse(&link.platform).map(|p| Button {
                    href: link.go_url.clone(),
                    label: lang.buy_on(p),
                    platform: p.code().to_owned(),
                })
            })
            .collect(),
        c,
    };
    Ok(html(req, &page, StatusCode::OK, Caching::Revalidate))
}

#[get("/san-pham/{slug}")]
async fn product_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    listing_page(&state, &req, slug.into_inner(), ListingRoute::Product).await
}

#[get("/le-hoi/{slug}")]
async fn event_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    listing_page(&state, &req, slug.into_inner(), ListingRoute::Event).await
}

// ---------------------------------------------------------------------------------------------
// Festival calendar, cooperative, place
// ---------------------------------------------------------------------------------------------

pub struct MonthGroup {
    pub title: String,
    pub cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    c: Chrome,
    months: Vec<MonthGroup>,
    /// The next page of the calendar, when there is one.
    more_url: String,
}

/// Festival occurrences per page of `/le-hoi`.
const CALENDAR_PAGE: usize = 60;

/// The festival calendar, a page kept in memory by the calendar's version
/// (`store::calendar_version`, read per request).
#[get("/le-hoi")]
async fn events_page(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(&req);
    let day = today();
    let media_base = state.media_base.clone();
    // `?sau=` is where the previous page stopped; a mangled one starts from the beginning.
    let after = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "sau")
        .and_then(|(_, v)| CalendarCursor::parse(&v).ok());
    let calendar = state.calendar.clone();
    let key = kept_key("/le-hoi", &["sau"], lang, day, &req);
    let version = state.versions.calendar(&state.db).await?;
    if let Some(page) = key.as_deref().and_then(|key| state.kept.get(key, version)) {
        return Ok(super::kept_html(&req, &page));
    }
    let page = state
        .db
        .run(move |conn| upcoming_events(conn, &calendar, day, after, CALENDAR_PAGE, &media_base))
        .await?;
    let mut months: Vec<MonthGroup> = Vec::new();
    let mut current: Option<(i32, u32)> = None;
    for occurrence in &page.items {
        let month = view::month_of(occurrence.start);
        if current != Some(month) {
            current = Some(month);
            months.push(MonthGroup {
                title: format!("{} {}", lang.month_name(month.1), month.0),
                cards: Vec::new(),
            });
        }
        if let Some(group) = months.last_mut() {
            group
                .cards
                .extend(event_cards(lang, std::slice::from_ref(occurrence)));
        }
    }
    let c = Chrome::new(&req, format!("{} · Vùng Cao", lang.t().festival_calendar));
    let page = EventsPage {
        c,
        months,
        more_url: page
            .next
            .map_or_else(String::new, |n| format!("/le-hoi?sau={}", n.encode())),
    };
    Ok(keep_page(&state, &req, key, version, &page))
}

#[derive(Template)]
#[template(path = "collection.html")]
struct CollectionPage {
    c: Chrome,
    heading: String,
    subheading: String,
    phone: String,
    tel: String,
    links: Vec<NavLink>,
    cards: Vec<Card>,
}

#[get("/htx/{slug}")]
async fn cooperative_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(&req);
    let slug = slug.into_inner();
    let media_base = state.media_base.clone();
    let found = state
        .db
        .read(move |conn| {
            let Some(coop) = catalogue::cooperative_by_slug(conn, &slug)? else {
                return Ok(None);
            };
            let filter = ListingFilter {
                cooperative_id: Some(coop.id),
                ..ListingFilter::default()
            };
            let items =
                listings::list_public(conn, &filter, ListSort::Newest, None, 100, &media_base)?
                    .items;
            let place = catalogue::place(conn, &coop.place_code)?;
            Ok(Some((coop, items, place)))
        })
        .await;
    let (coop, items, place) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(super::not_found(&req)),
        Err(e) => return Ok(page_error(&req, e)),
    };
    let mut c = Chrome::new(&req, format!("{} · Vùng Cao", coop.name));
    c.description = format!("{}: {}", lang.t().listings_of_coop, coop.name);
    let phone = coop.phone.clone().unwrap_or_default();
    let page = CollectionPage {
        heading: coop.name.clone(),
        subheading: lang.t().listings_of_coop.to_owned(),
        tel: tel_of(&phone),
        phone,
        links: place
            .map(|p| NavLink {
                href: format!("/dia-phuong/{}", p.code),
                label: p.name,
            })
            .into_iter()
            .collect(),
        cards: Card::list(lang, &items),
        c,
    };
    Ok(html(&req, &page, StatusCode::OK, Caching::Revalidate))
}

#[get("/dia-phuong/{code}")]
async fn place_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(&req);
    let code = code.into_inner();
    let media_base = state.media_base.clone();
    let found = state
        .db
        .read(move |conn| {
            let Some(place) = catalogue::place(conn, &code)? else {
                return Ok(None);
            };
            let filter = ListingFilter {
                place: Some(place.code.clone()),
                ..ListingFilter::default()
            };
            let items =
                listings::list_public(conn, &filter, ListSort::Newest, None, 100, &media_base)?
                    .items;
            let all = catalogue::all_places(conn)?;
            Ok(Some((place, items, all)))
        })
        .await;
    let (place, items, all) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(super::not_found(&req)),
        Err(e) => return Ok(page_error(&req, e)),
    };
    let t = lang.t();
    let mut c = Chrome::new(
        &req,
        format!("{} {} · Vùng Cao", t.specialities_of, place.name),
    );
    c.description = format!("{} {}", t.specialities_of, place.name);
    let ancestors: Vec<NavLink> = place
        .path_codes()
        .iter()
        .filter(|code| **code != place.code)
        .filter_map(|code| all.iter().find(|p| &p.code == code))
        .chain(
            all.iter()
                .filter(|p| p.parent_code.as_deref() == Some(place.code.as_str())),
        )
        .map(|p| NavLink {
            href: format!("/dia-phuong/{}", p.code),
            label: p.name.clone(),
        })
        .collect();
    let page = CollectionPage {
        heading: format!("{} {}", t.specialities_of, place.name),
        subheading: String::new(),
        phone: String::new(),
        tel: String::new(),
        links: ancestors,
        cards: Card::list(lang, &items),
        c,
    };
    Ok(html(&req, &page, StatusCode::OK, Caching::Revalidate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_pages_asked_with_the_parameters_they_read_are_kept() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default();
        let key = |route, reads: &[&str], uri| {
            let req = actix_web::test::TestRequest::get()
                .uri(uri)
                .to_http_request();
            kept_key(route, reads, Lang::Vi, day, &req)
        };
        assert_eq!(key("/", &[], "/").as_deref(), Some("/|vi|2026-12-03|"));
        assert!(key("/", &[], "/?lang=en").is_some());
        assert!(key("/le-hoi", &["sau"], "/le-hoi?sau=abc").is_some());
        // Made-up parameters: answered, never kept (each would be a new entry).
        assert!(key("/", &[], "/?x=1").is_none());
        assert!(key("/le-hoi", &["sau"], "/le-hoi?sau=abc&utm_source=zalo").is_none());
    }

    fn query_string() -> impl Strategy<Value = String> {
        let key = proptest::sample::select(vec![
            "q",
            "category",
            "place",
            "kind",
            "month",
            "ocop",
            "price_min",
            "price_max",
            "sort",
            "page",
            "lang",
            "x",
        ]);
        prop_oneof![
            any::<String>(),
            // Values near the 200-character cut, with spaces where it falls.
            proptest::collection::vec(
                (key, prop_oneof![any::<String>(), "[a \\t]{190,210}"]),
                0..8
            )
            .prop_map(|pairs| {
                let mut s = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in pairs {
                    s.append_pair(k, &v);
                }
                s.finish()
            }),
        ]
    }

    #[test]
    fn a_cut_search_ends_without_a_space() {
        // Found by the property below: the 200-character cut ended in a space, so the page's
        // own links read back a different search.
        let raw = format!("q={}+b", "a".repeat(199));
        let form = SearchForm::from_query(&raw);
        assert_eq!(form.q, "a".repeat(199));
        assert_eq!(SearchForm::from_query(&form.query_string(1)), form);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn a_search_reads_back_from_its_own_links(raw in query_string()) {
            let form = SearchForm::from_query(&raw);
            prop_assert!((1..=MAX_OFFSET / PAGE_SIZE + 1).contains(&form.page));
            let again = SearchForm::from_query(&form.query_string(form.page));
            prop_assert_eq!(again, form);
        }
    }
}
