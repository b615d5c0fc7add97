//! The public read API: published listings, places, categories, cooperatives and events.

use super::params::Params;
use crate::domain::listing::{Certification, ListingKind};
use crate::error::{AppError, Code};
use crate::http::kept_answers::Kept;
use crate::http::{etag, microcache};
use crate::messages::Message;
use crate::state::AppState;
use crate::store::catalogue::{self, Category, Cooperative, Place};
use crate::store::listings::{self, ListSort, ListingFilter, ListingView};
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_listings)
        .service(get_listing)
        .service(list_places)
        .service(list_categories)
        .service(get_cooperative)
        .service(list_events);
}

/// Filters shared by the listing list and search.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `product`, `experience` or `event`.
    pub kind: Option<String>,
    /// A category code, e.g. `tea`.
    pub category: Option<String>,
    /// A place code: a commune, or a province/former district and everything under it.
    pub place: Option<String>,
    /// A cooperative slug.
    pub cooperative: Option<String>,
    /// Minimum OCOP stars (3–5).
    pub ocop: Option<String>,
    /// `vietgap`, `globalgap`, `organic` or `geographical_indication`.
    pub certification: Option<String>,
    /// In season in this month (1–12).
    pub month: Option<String>,
    pub price_min: Option<String>,
    pub price_max: Option<String>,
    /// `newest` (default), `price_asc` or `price_desc`.
    pub sort: Option<String>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<String>,
}

/// Parses the shared filters; the place and cooperative are resolved against the database.
pub async fn parse_filter(
    state: &AppState,
    q: &ListQuery,
    p: &mut Params,
) -> Result<ListingFilter, AppError> {
    let (filter, lookups) = read_filter(q, p);
    if lookups.is_empty() {
        return Ok(filter);
    }
    let (filter, unknown) = state
        .db
        .read(move |conn| {
            let mut filter = filter;
            let unknown = lookups.resolve(conn, &mut filter)?;
            Ok((filter, unknown))
        })
        .await?;
    for (field, message) in unknown {
        p.push(field, message);
    }
    Ok(filter)
}

/// The shared filters as given, with the place and the cooperative still to be looked up.
pub fn read_filter(q: &ListQuery, p: &mut Params) -> (ListingFilter, Lookups) {
    let filter = ListingFilter {
        kind: p.choice(
            "kind",
            q.kind.as_ref(),
            ListingKind::parse,
            "product, experience, event",
        ),
        category: p.text("category", q.category.as_ref(), 40),
        min_ocop_stars: p.number("ocop", q.ocop.as_ref(), 3, 5),
        certification: p.choice(
            "certification",
            q.certification.as_ref(),
            |s| Certification::ALL.into_iter().find(|c| c.code() == s),
            "vietgap, globalgap, organic, geographical_indication",
        ),
        in_season_month: p.number("month", q.month.as_ref(), 1, 12),
        price_min: p.number("price_min", q.price_min.as_ref(), 0, i64::MAX),
        price_max: p.number("price_max", q.price_max.as_ref(), 0, i64::MAX),
        ..ListingFilter::default()
    };
    if let (Some(min), Some(max)) = (filter.price_min, filter.price_max) {
        if min > max {
            p.push("price_max", "must not be below price_min");
        }
    }
    let lookups = Lookups {
        place: p.text("place", q.place.as_ref(), 40),
        cooperative: p.text("cooperative", q.cooperative.as_ref(), 80),
    };
    (filter, lookups)
}

/// The `invalid_query` for fields already refused, with the unknown place or cooperative among
/// them: every bad field is named at once.
async fn refusal_naming_every_field(state: &AppState, lookups: Lookups, p: Params) -> AppError {
    let unknown = state
        .db
        .read(move |conn| lookups.resolve(conn, &mut ListingFilter::default()))
        .await;
    match unknown {
        Ok(unknown) => refusal(p, unknown),
        Err(e) => e,
    }
}

/// The `invalid_query` naming the fields `p` already refused and the rows that were not found.
fn refusal(mut p: Params, unknown: Vec<(&'static str, Message)>) -> AppError {
    for (field, message) in unknown {
        p.push(field, message);
    }
    p.finish()
        .err()
        .unwrap_or_else(|| AppError::new(Code::InvalidQuery))
}

/// The filters that name a row of the catalogue: looked up on the connection that then reads
/// the page, so a filtered list costs one trip to the database, not two or three.
#[derive(Debug, Default)]
pub struct Lookups {
    place: Option<String>,
    cooperative: Option<String>,
}

impl Lookups {
    pub fn is_empty(&self) -> bool {
        self.place.is_none() && self.cooperative.is_none()
    }

    /// Like [`Lookups::resolve`], but the place is not checked here (the list's own statement
    /// reads its path), which saves a round trip: the caller checks the place when the page
    /// comes back empty. Every unknown field is named when the
    /// cooperative is unknown.
    pub fn resolve_all_but_place(
        self,
        conn: &mut crate::store::Conn,
        filter: &mut ListingFilter,
    ) -> Result<Vec<(&'static str, Message)>, AppError> {
        let Some(place) = self.place else {
            return self.resolve(conn, filter);
        };
        let rest = Lookups {
            place: None,
            cooperative: self.cooperative,
        };
        let mut unknown = rest.resolve(conn, filter)?;
        if !unknown.is_empty() && catalogue::place(conn, &place)?.is_none() {
            unknown.insert(0, ("place", Message::UnknownPlace));
        }
        filter.place = Some(place);
        Ok(unknown)
    }

    /// Puts the place (with everything under it) and the cooperative into `filter`; returns
    /// the fields that name nothing.
    pub fn resolve(
        self,
        conn: &mut crate::store::Conn,
        filter: &mut ListingFilter,
    ) -> Result<Vec<(&'static str, Message)>, AppError> {
        let mut unknown = Vec::new();
        if let Some(place) = self.place {
            if catalogue::place(conn, &place)?.is_some() {
                filter.place = Some(place);
            } else {
                unknown.push(("place", Message::UnknownPlace));
            }
        }
        if let Some(slug) = self.cooperative {
            match catalogue::cooperative_by_slug(conn, &slug)? {
                Some(c) => {
                    filter.cooperative_id = Some(c.id);
                    filter.cooperative = Some(c.slug);
                }
                None => unknown.push(("cooperative", Message::UnknownCooperative)),
            }
        }
        Ok(unknown)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ListingPage {
    pub items: Vec<ListingView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// Published listings, filtered, newest first, with cursor pagination.
#[utoipa::path(
    tag = "listings",
    params(ListQuery),
    responses(
        (status = 200, body = ListingPage),
        (status = 400, description = "invalid_query / invalid_cursor", body = crate::error::Problem)
    )
)]
#[get("/api/v1/listings")]
pub async fn list_listings(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let mut p = Params::default();
    let (filter, lookups) = read_filter(&q, &mut p);
    let sort = p
        .choice(
            "sort",
            q.sort.as_ref(),
            |s| serde_json::from_value::<ListSort>(serde_json::Value::String(s.into())).ok(),
            "newest, price_asc, price_desc",
        )
        .unwrap_or_default();
    let limit = p.number("limit", q.limit.as_ref(), 1, 100).unwrap_or(20);
    let cursor = p.text("cursor", q.cursor.as_ref(), 500);
    if p.has_errors() {
        return Err(refusal_naming_every_field(&state, lookups, p).await);
    }
    let media_base = state.media_base.clone();
    let (items, next) = state
        .db
        .read(move |conn| {
            let mut filter = filter;
            let unknown = lookups.resolve_all_but_place(conn, &mut filter)?;
            if !unknown.is_empty() {
                return Ok(Err(unknown));
            }
            let (items, next) = listings::list_public_json(
                conn,
                &filter,
                sort,
                cursor.as_deref(),
                limit,
                &media_base,
            )?;
            // The place was looked up by the page's statement: only an empty page may mean that
            // it names nothing.
            if items.is_empty() {
                if let Some(place) = &filter.place {
                    if catalogue::place(conn, place)?.is_none() {
                        return Ok(Err(vec![("place", Message::UnknownPlace)]));
                    }
                }
            }
            Ok(Ok((items, next)))
        })
        .await?
        .map_err(|unknown| refusal(Params::default(), unknown))?;
    // A [`ListingPage`], written from the listings' stored JSON.
    let next =
        serde_json::to_string(&next).map_err(|e| AppError::internal(format!("json: {e}")))?;
    let mut body =
        String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + next.len() + 20);
    body.push_str("{\"items\":");
    super::push_json_array(&mut body, &items);
    body.push_str(",\"next\":");
    body.push_str(&next);
    body.push('}');
    Ok(etag::json_text(&req, body))
}

/// One published listing by its slug.
#[utoipa::path(
    tag = "listings",
    params(("slug" = String, Path, description = "e.g. che-shan-tuyet-co-thu-hong-thai")),
    responses(
        (status = 200, body = ListingView),
        (status = 404, description = "listing_not_found", body = crate::error::Problem)
    )
)]
#[get("/api/v1/listings/{slug}")]
pub async fn get_listing(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (id, json) = state
        .details
        .get(slug.into_inner())
        .await?
        .ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    let mut res = etag::json_text(&req, json);
    microcache::shows_listing(&mut res, id);
    Ok(res)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PlaceList {
    /// Provinces, each with its former districts and communes.
    pub items: Vec<Place>,
}

/// Places as a tree: province → former district (kept as a grouping since 2025) → commune.
#[utoipa::path(tag = "catalogue", responses((status = 200, body = PlaceList)))]
#[get("/api/v1/places")]
pub async fn list_places(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let items = state.db.read(catalogue::place_tree).await?;
    Ok(etag::json(&req, &PlaceList { items }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CategoryView {
    pub code: String,
    pub name: crate::domain::listing::Localized,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryView>,
}

#[utoipa::path(tag = "catalogue", responses((status = 200, body = CategoryList)))]
#[get("/api/v1/categories")]
pub async fn list_categories(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let cats: Vec<Category> = state.db.read(catalogue::categories).await?;
    let items = cats
        .iter()
        .map(|c| CategoryView {
            code: c.code.clone(),
            name: catalogue::category_name(c),
        })
        .collect();
    Ok(etag::json(&req, &CategoryList { items }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CooperativePage {
    pub cooperative: Cooperative,
    /// Its published listings, newest first (at most 100).
    pub listings: Vec<ListingView>,
}

/// A cooperative and its published listings.
#[utoipa::path(
    tag = "catalogue",
    params(("slug" = String, Path)),
    responses(
        (status = 200, body = CooperativePage),
        (status = 404, description = "cooperative_not_found", body = crate::error::Problem)
    )
)]
#[get("/api/v1/cooperatives/{slug}")]
pub async fn get_cooperative(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let media_base = state.media_base.clone();
    let page = state
        .db
        .read(move |conn| {
            let coop = catalogue::cooperative_by_slug(conn, &slug)?
                .ok_or_else(|| AppError::new(Code::CooperativeNotFound))?;
            let filter = ListingFilter {
                cooperative_id: Some(coop.id),
                ..ListingFilter::default()
            };
            let page =
                listings::list_public(conn, &filter, ListSort::Newest, None, 100, &media_base)?;
            Ok(CooperativePage {
                cooperative: coop,
                listings: page.items,
            })
        })
        .await?;
    Ok(etag::json(&req, &page))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// First day (default today), `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day (default a year after `from`).
    pub to: Option<String>,
    /// Occurrences per page, 1–200 (default 50).
    pub limit: Option<String>,
    /// `next` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EventOccurrence {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub listing: ListingView,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EventList {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The occurrences in the range, earliest first, a page at a time; yearly festivals resolve
    /// to their dates.
    pub items: Vec<EventOccurrence>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Upcoming events between two dates.
#[utoipa::path(
    tag = "listings",
    params(EventQuery),
    responses(
        (status = 200, body = EventList),
        (status = 400, description = "invalid_query", body = crate::error::Problem)
    )
)]
#[get("/api/v1/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<EventQuery>,
) -> Result<HttpResponse, AppError> {
    let mut p = Params::default();
    let today = chrono::Utc::now().date_naive();
    let from = p.date("from", q.from.as_ref()).unwrap_or(today);
    let to = p
        .date("to", q.to.as_ref())
        .unwrap_or(from + chrono::Duration::days(365));
    if to < from {
        p.push("to", "must not be before from");
    } else if (to - from).num_days() > 3 * 366 {
        p.push("to", "the range may span at most three years");
    }
    let limit = p.number("limit", q.limit.as_ref(), 1, 200).unwrap_or(50);
    let cursor = p.text("cursor", q.cursor.as_ref(), 100);
    p.finish()?;
    let after = cursor
        .as_deref()
        .map(crate::festivals::CalendarCursor::parse)
        .transpose()?;
    let media_base = state.media_base.clone();
    let calendar = state.calendar.clone();
    // Kept in memory by the calendar's version (read per request, so a change committed on any
    // replica shows on the next one) and the day (listings show their coming dates).
    let key = format!(
        "events|{today}|{from}|{to}|{limit}|{}",
        cursor.as_deref().unwrap_or_default()
    );
    let version = state.versions.calendar(&state.db).await?;
    if let Some(answer) = state.kept.get(&key, version) {
        return Ok(kept_json(&req, &answer));
    }
    let body = state
        .db
        .run(move |conn| {
            let page = calendar.occurrences(conn, from, to, after, limit, &media_base)?;
            let items = page
                .items
                .into_iter()
                .map(|o| EventOccurrence {
                    start: o.start,
                    end: o.end,
                    listing: o.listing,
                })
                .collect();
            let list = EventList {
                from,
                to,
                items,
                next: page.next.map(|c| c.encode()),
            };
            serde_json::to_vec(&list).map_err(|e| AppError::internal(format!("json: {e}")))
        })
        .await?;
    let answer = state.kept.keep(key, version, body);
    Ok(kept_json(&req, &answer))
}

/// A kept JSON answer, as `etag::json` answers.
fn kept_json(req: &HttpRequest, answer: &Kept) -> HttpResponse {
    etag::respond_tagged(
        req,
        answer.body.clone(),
        &answer.etag,
        "application/json",
        "public, max-age=60",
    )
}
