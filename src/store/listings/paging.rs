//! Public lists with keyset pagination, and the other lists (events, a cooperative's, the
//! review queue).

use super::*;
use crate::store::schema::listing_cards;
use diesel::sql_types::Integer;
use diesel::IntoSql;

// `a & b` on integers (diesel has no bitwise operators); a typed operator keeps the statement
// cacheable, unlike an SQL literal.
diesel::infix_operator!(MaskAnd, " & ", diesel::sql_types::Integer);

/// Sorts after every path under a place when appended to the place's path (bytewise).
const PATH_END: &str = "\u{10FFFF}";

type InSeason =
    diesel::dsl::Ne<MaskAnd<listings::season_mask, diesel::dsl::AsExprOf<i32, Integer>>, i32>;

/// Listings in season in `month` (1–12): the month's bit of `season_mask`, bound as a parameter.
/// (Written into the SQL as text, the statement would be compiled afresh on every request:
/// diesel never keeps a statement with an SQL literal prepared.)
fn in_season(month: u8) -> InSeason {
    MaskAnd::new(
        listings::season_mask,
        (1i32 << month.min(12)).into_sql::<Integer>(),
    )
    .ne(0)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ListingFilter {
    pub kind: Option<ListingKind>,
    /// The place code as asked for: the list holds the listings at it and everything under it.
    pub place: Option<String>,
    /// The cooperative slug as asked for.
    pub cooperative: Option<String>,
    pub category: Option<String>,
    pub cooperative_id: Option<i64>,
    pub min_ocop_stars: Option<i16>,
    pub certification: Option<Certification>,
    pub in_season_month: Option<u8>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListSort {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
}

/// Where the previous page stopped; bound to the query that made it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Cursor {
    /// Fingerprint of filter + sort.
    q: String,
    /// The last row's sort key: micros since epoch (newest) or price.
    k: i64,
    i: i64,
}

pub(super) fn fingerprint(filter: &ListingFilter, sort: ListSort) -> String {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_string(&(filter, sort)).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

pub(super) fn encode_cursor(c: &Cursor) -> String {
    let json = serde_json::to_vec(c).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub(super) fn decode_cursor(raw: &str, expected_q: &str) -> Result<Cursor, AppError> {
    let bad = || AppError::new(Code::InvalidCursor);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw.as_bytes())
        .map_err(|_| bad())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if cursor.q != expected_q {
        return Err(bad().with_detail("this cursor was made for a different query"));
    }
    Ok(cursor)
}

pub(super) fn micros_to_time(micros: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp_micros(micros).map(|d| d.naive_utc())
}

pub struct Page {
    pub items: Vec<ListingView>,
    pub next: Option<String>,
}

/// Published listings matching `filter`, one page, in a stable order.
pub fn list_public(
    conn: &mut Conn,
    filter: &ListingFilter,
    sort: ListSort,
    cursor: Option<&str>,
    limit: i64,
    media_base: &str,
) -> Result<Page, AppError> {
    let (rows, next) = public_page_cards(conn, filter, sort, cursor, limit)?;
    Ok(Page {
        items: cards::page_views(conn, rows, media_base)?,
        next,
    })
}

/// [`list_public`] as the API's JSON, one text per listing, and the cursor of the next page.
pub fn list_public_json(
    conn: &mut Conn,
    filter: &ListingFilter,
    sort: ListSort,
    cursor: Option<&str>,
    limit: i64,
    media_base: &str,
) -> Result<(Vec<String>, Option<String>), AppError> {
    let (rows, next) = public_page_cards(conn, filter, sort, cursor, limit)?;
    Ok((cards::page_json(conn, rows, media_base)?, next))
}

/// One page of [`list_public`]: each listing's card row in page order (the cards come with the
/// page in the same statement, one round trip), and the cursor of the next page.
fn public_page_cards(
    conn: &mut Conn,
    filter: &ListingFilter,
    sort: ListSort,
    cursor: Option<&str>,
    limit: i64,
) -> Result<(Vec<cards::CardRow>, Option<String>), AppError> {
    let q = fingerprint(filter, sort);
    let after = cursor.map(|raw| decode_cursor(raw, &q)).transpose()?;
    let after_time = match (&after, sort) {
        (Some(c), ListSort::Newest) => {
            Some(micros_to_time(c.k).ok_or_else(|| AppError::new(Code::InvalidCursor))?)
        }
        _ => None,
    };
    // The page's ids and sort keys (its index answers them), each with its card by primary key.
    type Row = (
        i64,
        Option<NaiveDateTime>,
        Option<i64>,
        Option<i64>,
        Option<Vec<u8>>,
    );
    let mut rows: Vec<Row> = with_conn!(conn, |c| {
        let mut query = listings::table
            .left_join(listing_cards::table)
            .filter(listings::status.eq(ListingStatus::Published.as_str()))
            .select((
                listings::id,
                listings::published_at,
                listings::price_vnd,
                listing_cards::format.nullable(),
                cards::card_body(),
            ))
            .into_boxed();
        if let Some(kind) = filter.kind {
            query = query.filter(listings::kind.eq(kind.as_str()));
        }
        if let Some(cat) = &filter.category {
            query = query.filter(listings::category_code.eq(cat));
        }
        if let Some(code) = &filter.place {
            // The place's path as a prefix range, read by this statement (one round trip; an
            // unknown place lists nothing): both databases walk the list index in order and
            // compare each entry's path bytewise (no LIKE pattern, no list of codes to plan).
            // Every path ends in `/`, so the paths under `p` sort before `p` followed by the last
            // code point.
            let path = || {
                places::table
                    .filter(places::code.eq(code.clone()))
                    .select(places::path)
                    .single_value()
            };
            query = query.filter(
                listings::place_path
                    .nullable()
                    .ge(path())
                    .and(listings::place_path.nullable().lt(path().concat(PATH_END))),
            );
        }
        if let Some(coop) = filter.cooperative_id {
            query = query.filter(listings::cooperative_id.eq(coop));
        }
        if let Some(stars) = filter.min_ocop_stars {
            query = query.filter(listings::ocop_stars.ge(stars));
        }
        if let Some(cert) = filter.certification {
            query = query.filter(
                listings::id.eq_any(
                    listing_certifications::table
                        .filter(listing_certifications::code.eq(cert.code()))
                        .select(listing_certifications::listing_id),
                ),
            );
        }
        if let Some(month) = filter.in_season_month {
            query = query.filter(in_season(month));
        }
        if let Some(min) = filter.price_min {
            query = query.filter(listings::price_vnd.ge(min));
        }
        if let Some(max) = filter.price_max {
            query = query.filter(listings::price_vnd.le(max));
        }
        match sort {
            ListSort::Newest => {
                if let (Some(t), Some(c)) = (after_time, &after) {
                    query = query.filter(
                        listings::published_at
                            .lt(t)
                            .or(listings::published_at.eq(t).and(listings::id.lt(c.i))),
                    );
                }
                query = query.order((listings::published_at.desc(), listings::id.desc()));
            }
            ListSort::PriceAsc => {
                query = query.filter(listings::price_vnd.is_not_null());
                if let Some(c) = &after {
                    query = query.filter(
                        listings::price_vnd
                            .gt(c.k)
                            .or(listings::price_vnd.eq(c.k).and(listings::id.gt(c.i))),
                    );
                }
                query = query.order((listings::price_vnd.asc(), listings::id.asc()));
            }
            ListSort::PriceDesc => {
                query = query.filter(listings::price_vnd.is_not_null());
                if let Some(c) = &after {
                    query = query.filter(
                        listings::price_vnd
                            .lt(c.k)
                            .or(listings::price_vnd.eq(c.k).and(listings::id.lt(c.i))),
                    );
                }
                query = query.order((listings::price_vnd.desc(), listings::id.desc()));
            }
        }
        query.limit(limit + 1).load(c)
    })?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next = if has_more {
        rows.last().map(|&(id, published_at, price_vnd, ..)| {
            let k = match sort {
                ListSort::Newest => published_at
                    .map(|t| t.and_utc().timestamp_micros())
                    .unwrap_or_default(),
                ListSort::PriceAsc | ListSort::PriceDesc => price_vnd.unwrap_or_default(),
            };
            encode_cursor(&Cursor {
                q: q.clone(),
                k,
                i: id,
            })
        })
    } else {
        None
    };
    Ok((
        rows.into_iter()
            .map(|(id, _, _, format, body)| (id, format, body))
            .collect(),
        next,
    ))
}

/// Published events, with the dates the caller filters by occurrence.
pub fn published_event_ids(
    conn: &mut Conn,
) -> Result<Vec<(i64, NaiveDate, NaiveDate, bool)>, AppError> {
    let rows: Vec<(i64, Option<NaiveDate>, Option<NaiveDate>, bool)> =
        with_conn!(conn, |c| listings::table
            .filter(listings::status.eq(ListingStatus::Published.as_str()))
            .filter(listings::kind.eq("event"))
            .select((
                listings::id,
                listings::event_start,
                listings::event_end,
                listings::recurs_yearly,
            ))
            .load(c))?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, s, e, r)| Some((id, s?, e?, r)))
        .collect())
}

/// `(id, version)` of those of `ids` that are published: whether a listing kept in memory is
/// still the one shoppers see (every change moves the version on).
pub fn published_versions(conn: &mut Conn, ids: &[i64]) -> Result<Vec<(i64, i64)>, AppError> {
    with_conn!(conn, |c| listings::table
        .filter(in_list(listings::id, ids))
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .select((listings::id, listings::version))
        .load(c))
    .map_err(AppError::from)
}

/// A cooperative's listings in every status, newest change first (the member's own list).
pub fn for_cooperative(
    conn: &mut Conn,
    cooperative_id: i64,
    media_base: &str,
) -> Result<Vec<ListingView>, AppError> {
    let ids: Vec<i64> = with_conn!(conn, |c| listings::table
        .filter(listings::cooperative_id.eq(cooperative_id))
        .order((listings::updated_at.desc(), listings::id.desc()))
        .limit(500)
        .select(listings::id)
        .load(c))?;
    views_by_ids(conn, &ids, Visibility::AnyStatus, media_base)
}

/// Listings waiting for review, oldest first.
pub fn review_queue(conn: &mut Conn, media_base: &str) -> Result<Vec<ListingView>, AppError> {
    let ids: Vec<i64> = with_conn!(conn, |c| listings::table
        .filter(listings::status.eq(ListingStatus::Pending.as_str()))
        .order((listings::updated_at.asc(), listings::id.asc()))
        .limit(500)
        .select(listings::id)
        .load(c))?;
    views_by_ids(conn, &ids, Visibility::AnyStatus, media_base)
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_season_filter_is_one_cacheable_statement_for_every_month() {
        use diesel::query_builder::QueryFragment;
        use diesel::sqlite::Sqlite;
        let query = |month| {
            listings::table
                .filter(in_season(month))
                .select(listings::id)
        };
        let sql = |month| diesel::debug_query::<Sqlite, _>(&query(month)).to_string();
        let (june, july) = (sql(6), sql(7));
        assert_eq!(
            june.split(" -- ").next(),
            july.split(" -- ").next(),
            "the month must be a bind, not SQL text: {june} / {july}"
        );
        assert!(june.ends_with("[64, 0]"), "{june}");
        assert!(matches!(
            QueryFragment::<Sqlite>::is_safe_to_cache_prepared(&query(6), &Sqlite),
            Ok(true)
        ));
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_text_is_a_cursor_or_invalid_cursor(raw in any::<String>(), q in "[0-9a-f]{16}") {
            match decode_cursor(&raw, &q) {
                Ok(c) => prop_assert_eq!(c.q, q),
                Err(e) => prop_assert_eq!(e.code, Code::InvalidCursor),
            }
        }

        #[test]
        fn any_base64_payload_is_a_cursor_or_invalid_cursor(
            payload in prop_oneof![
                any::<Vec<u8>>(),
                (any::<String>(), any::<i64>(), any::<i64>())
                    .prop_map(|(q, k, i)| serde_json::to_vec(&serde_json::json!({"q": q, "k": k, "i": i})).unwrap_or_default()),
                any::<(String, f64, String)>()
                    .prop_map(|(q, k, i)| serde_json::to_vec(&serde_json::json!({"q": q, "k": k, "i": i})).unwrap_or_default()),
            ],
            q in "[0-9a-f]{16}",
        ) {
            match decode_cursor(&b64(&payload), &q) {
                Ok(c) => prop_assert_eq!(c.q, q),
                Err(e) => prop_assert_eq!(e.code, Code::InvalidCursor),
            }
        }

        #[test]
        fn an_encoded_cursor_reads_back_for_its_own_query_only(
            q in "[0-9a-f]{16}",
            other in "[0-9a-f]{16}",
            k in any::<i64>(),
            i in any::<i64>(),
        ) {
            let raw = encode_cursor(&Cursor { q: q.clone(), k, i });
            prop_assert!(raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{raw}");
            let back = decode_cursor(&raw, &q).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!((back.q, back.k, back.i), (q.clone(), k, i));
            if other != q {
                let refused = decode_cursor(&raw, &other).err().map(|e| e.code);
                prop_assert_eq!(refused, Some(Code::InvalidCursor));
            }
        }

        #[test]
        fn any_sort_key_is_a_time_or_nothing(micros in any::<i64>()) {
            if let Some(t) = micros_to_time(micros) {
                prop_assert_eq!(t.and_utc().timestamp_micros(), micros);
            }
        }

        #[test]
        fn the_fingerprint_tells_filters_apart(a in 0i64..1_000_000, b in 0i64..1_000_000) {
            let with = |min| ListingFilter { price_min: Some(min), ..ListingFilter::default() };
            let (fa, fb) = (fingerprint(&with(a), ListSort::Newest), fingerprint(&with(b), ListSort::Newest));
            prop_assert_eq!(fa.len(), 16);
            prop_assert_eq!(fa == fb, a == b);
        }
    }
}
