//! The public catalogue's read model: each published listing's view, stored as JSON in
//! `listing_cards`, so a public read is one query (the listing and its card) instead of five
//! (the joined row, links, certifications, photos, places on its path).
//!
//! Everything a shopper may see changes through [`outbox::enqueue`], which notes the listings
//! here; [`Conn::transaction`] writes their cards just before it commits. A card is therefore
//! committed with its change, and every replica reads it at once. The listing tables stay the
//! source of truth: a published listing without a card of the current [`format`] (a database
//! from before the table, a view whose shape changed) is read from them, and [`fill`] writes
//! the missing cards at start-up.

use super::super::schema::listing_cards;
use super::*;
use crate::store::photos::VariantView;
use std::cell::RefCell;
use std::sync::OnceLock;

/// A card's text, three lines: `MARK KIND`, each photo's share picture as JSON (the view's JSON
/// leaves them out), and the view as JSON: exactly what `GET /api/v1/listings/{slug}` answers,
/// except that every photo URL starts with MARK where the media base (a setting, not data) goes.
/// Compact JSON holds no raw newline. KIND is `-` for a listing that is not an event, and `e AT
/// LEN` for an event: its `event` object is the view's bytes `AT..AT + LEN`. An event's next
/// dates move with the day: a read parses that object alone, works them out, and puts them in
/// place when they have moved. Any view is then answered by putting the media base in with a
/// text replace, without reading the JSON into a [`ListingView`] and writing it out again (that
/// round trip was a third of a list page's time). A bare `e` (an event object not found exactly
/// once) makes reads take that round trip.
struct Stored<'a> {
    mark: &'a str,
    kind: Kind,
    shares: &'a str,
    view: &'a str,
}

/// What a card's head says of its listing.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Not an event.
    Plain,
    /// An event, with where its `event` object is in the view's text when known.
    Event(Option<std::ops::Range<usize>>),
}

impl<'a> Stored<'a> {
    fn split(body: &'a str) -> Option<Stored<'a>> {
        let (head, rest) = body.split_once('\n')?;
        let (shares, view) = rest.split_once('\n')?;
        let mut parts = head.split(' ');
        let mark = parts.next().filter(|m| !m.is_empty())?;
        let kind = match (parts.next()?, parts.next(), parts.next()) {
            ("-", None, _) => Kind::Plain,
            ("e", None, _) => Kind::Event(None),
            ("e", Some(at), Some(len)) => {
                let at: usize = at.parse().ok()?;
                Kind::Event(Some(at..at.checked_add(len.parse().ok()?)?))
            }
            _ => return None,
        };
        parts.next().is_none().then_some(Stored {
            mark,
            kind,
            shares,
            view,
        })
    }
}

/// The text of a card for `view` (photo URLs relative to the media base). The mark is one that
/// occurs nowhere else in the text: the first of `@vungcao-media-N@` whose count in the text is
/// the number of URLs it was put in front of.
fn encode(view: &ListingView) -> Result<String, AppError> {
    for n in 0..64u32 {
        let mark = format!("@vungcao-media-{n}@");
        let mut marked = view.clone();
        let mut urls = 0;
        for photo in &mut marked.photos {
            for variant in photo.variants.iter_mut().chain(photo.share.as_mut()) {
                variant.url.insert_str(0, &mark);
                urls += 1;
            }
        }
        let shares: Vec<Option<VariantView>> =
            marked.photos.iter().map(|p| p.share.clone()).collect();
        let shares = to_json(&shares)?;
        let body = to_json(&marked)?;
        if shares.matches(&mark).count() + body.matches(&mark).count() == urls {
            let kind = match &view.event {
                None => "-".to_owned(),
                Some(event) => match event_at(&body, &to_json(event)?) {
                    Some(span) => format!("e {} {}", span.start, span.len()),
                    None => "e".to_owned(),
                },
            };
            return Ok(format!("{mark} {kind}\n{shares}\n{body}"));
        }
    }
    Err(AppError::internal(
        "listing card: every media mark occurs in the text",
    ))
}

/// Where `event` (an event object as JSON) is the value of the `event` key of `body` (a view as
/// JSON), when `"event":` and that object occur there exactly once. Inside a JSON string a
/// quote is escaped, so a listing's own text cannot hold them; the count is checked all the same.
fn event_at(body: &str, event: &str) -> Option<std::ops::Range<usize>> {
    let keyed = format!("\"event\":{event}");
    let mut found = body.match_indices(&keyed);
    let (at, _) = found.next()?;
    let start = at + keyed.len() - event.len();
    found.next().is_none().then_some(start..start + event.len())
}

/// `value` as compact JSON.
fn to_json<T: Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::internal(format!("listing card: {e}")))
}

/// Listings per refresh statement.
const CHUNK: usize = 500;

/// Bump when a view's content changes without its shape changing (the shape is hashed).
const LAYOUT: u32 = 3;

thread_local! {
    /// Listings whose cards the transaction running on this thread must write before it commits.
    static PENDING: RefCell<Vec<i64>> = const { RefCell::new(Vec::new()) };
}

/// The shape of the views cards hold: [`LAYOUT`] and the schema of [`ListingView`] and every
/// type in it. A card of another format is read as missing and written again by [`fill`].
pub fn format() -> i64 {
    static FORMAT: OnceLock<i64> = OnceLock::new();
    *FORMAT.get_or_init(|| {
        use sha2::{Digest, Sha256};
        use utoipa::{PartialSchema, ToSchema};
        let mut nested = Vec::new();
        ListingView::schemas(&mut nested);
        let mut hash = Sha256::new();
        hash.update(LAYOUT.to_le_bytes());
        hash.update(serde_json::to_vec(&ListingView::schema()).unwrap_or_default());
        hash.update(serde_json::to_vec(&nested).unwrap_or_default());
        let digest = hash.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_le_bytes(first)
    })
}

/// Called by the outbox for listings whose public face changed: inside a transaction their
/// cards wait for its commit ([`take_pending`]); outside one they are written now.
pub(crate) fn changed(conn: &mut Conn, ids: &[i64]) -> Result<(), AppError> {
    if conn.in_transaction()? {
        PENDING.with(|p| p.borrow_mut().extend_from_slice(ids));
        Ok(())
    } else {
        refresh(conn, ids)
    }
}

/// The listings noted since the outermost transaction began (it writes their cards last).
pub(crate) fn take_pending() -> Vec<i64> {
    PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

/// Writes the cards of these listings as they are now: published ones get their view, others
/// lose their card.
pub fn refresh(conn: &mut Conn, ids: &[i64]) -> Result<(), AppError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(CHUNK) {
        if let Conn::Postgres(c) = conn {
            // Wait for any other transaction changing these listings; the reads below then see
            // what it committed (READ COMMITTED reads afresh per statement), so whichever
            // transaction writes a card last writes it from the latest state.
            let _: Vec<i64> = listings::table
                .filter(in_list(listings::id, chunk))
                .order(listings::id)
                .select(listings::id)
                .for_update()
                .load(&mut **c)?;
        }
        let rows: Vec<Joined> = joined_by_ids(conn, chunk)?
            .into_iter()
            .filter(|r| r.0.status() == ListingStatus::Published)
            .collect();
        let format = format();
        let mut values = Vec::with_capacity(rows.len());
        for view in views(conn, rows, "")? {
            let id = view.id;
            let body = encode(&view)?;
            values.push((
                listing_cards::listing_id.eq(id),
                listing_cards::format.eq(format),
                listing_cards::body.eq(body),
            ));
        }
        with_conn!(conn, |c| diesel::delete(
            listing_cards::table.filter(in_list(listing_cards::listing_id, chunk))
        )
        .execute(c))?;
        for rows in values.chunks(100) {
            with_conn!(conn, |c| diesel::insert_into(listing_cards::table)
                .values(rows)
                .execute(c))?;
        }
    }
    Ok(())
}

/// Writes the cards published listings lack (or hold in another format), `CHUNK` listings per
/// transaction; `progress(done)` after each. Returns how many were written.
pub fn fill(conn: &mut Conn, mut progress: impl FnMut(usize)) -> Result<usize, AppError> {
    let format = format();
    let mut done = 0;
    loop {
        let ids: Vec<i64> = with_conn!(conn, |c| listings::table
            .left_join(listing_cards::table)
            .filter(listings::status.eq(ListingStatus::Published.as_str()))
            .filter(
                listing_cards::listing_id
                    .is_null()
                    .or(listing_cards::format.ne(format)),
            )
            .order(listings::id)
            .limit(CHUNK as i64)
            .select(listings::id)
            .load(c))?;
        if ids.is_empty() {
            return Ok(done);
        }
        conn.transaction(|conn| refresh(conn, &ids))?;
        done += ids.len();
        progress(done);
    }
}

/// A published listing's id and its card's format and body (both `None` without a card). The
/// body comes as bytes, checked as UTF-8 by [`assemble`] with SIMD: diesel's `String` checks
/// with std's `from_utf8`, 3 % of a detail read for Vietnamese text.
pub(super) type CardRow = (i64, Option<i64>, Option<Vec<u8>>);

/// A card's body column as bytes ([`CardRow`]), for a query of `listings` left-joined with its
/// card: the column itself, typed `Binary` for the read. Both databases hand a text value's
/// bytes to a binary read (SQLite's `sqlite3_column_blob`, PostgreSQL's binary result format).
/// A type of its own rather than a SQL literal: diesel keeps no prepared statement for a query
/// holding a literal, and preparing the list pages' statements afresh halved their throughput
/// on PostgreSQL.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId, diesel::expression::ValidGrouping)]
pub(super) struct CardBody(diesel::dsl::Nullable<listing_cards::body>);

pub(super) fn card_body() -> CardBody {
    CardBody(listing_cards::body.nullable())
}

impl Expression for CardBody {
    type SqlType = diesel::sql_types::Nullable<diesel::sql_types::Binary>;
}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for CardBody
where
    diesel::dsl::Nullable<listing_cards::body>: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(
        &'b self,
        pass: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        self.0.walk_ast(pass)
    }
}

impl<QS> diesel::AppearsOnTable<QS> for CardBody where
    diesel::dsl::Nullable<listing_cards::body>: diesel::AppearsOnTable<QS>
{
}

impl<QS> diesel::SelectableExpression<QS> for CardBody where
    diesel::dsl::Nullable<listing_cards::body>: diesel::SelectableExpression<QS>
{
}

/// The columns of a [`CardRow`], for a query of `listings` left-joined with its card.
fn card_columns() -> (
    listings::id,
    diesel::dsl::Nullable<listing_cards::format>,
    CardBody,
) {
    (listings::id, listing_cards::format.nullable(), card_body())
}

/// A published listing's card row by slug.
fn card_by_slug(conn: &mut Conn, slug: &str) -> Result<Option<CardRow>, AppError> {
    Ok(with_conn!(conn, |c| listings::table
        .left_join(listing_cards::table)
        .filter(listings::slug.eq(slug))
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .select(card_columns())
        .first(c)
        .optional())?)
}

/// The card rows of the published listings among `ids` (any order).
fn cards_by_ids(conn: &mut Conn, ids: &[i64]) -> Result<Vec<CardRow>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(with_conn!(conn, |c| listings::table
        .left_join(listing_cards::table)
        .filter(in_list(listings::id, ids))
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .select(card_columns())
        .load(c))?)
}

/// A published listing by slug: its card, or the listing tables when it has none.
pub fn published_by_slug(
    conn: &mut Conn,
    slug: &str,
    media_base: &str,
) -> Result<Option<ListingView>, AppError> {
    by_slug::<View>(conn, slug, media_base).map(|found| found.map(|(_, view)| view))
}

/// A published listing by slug as the API's JSON, with its id: the card's text (see [`Stored`]),
/// or the listing tables' view written out when it has no card.
pub fn published_json_by_slug(
    conn: &mut Conn,
    slug: &str,
    media_base: &str,
) -> Result<Option<(i64, String)>, AppError> {
    by_slug::<Json>(conn, slug, media_base)
}

/// Published listings by slug as the API's JSON, with their ids, read together (one statement
/// for the cards, whatever their number): what [`super::super::read_batches`] asks on
/// PostgreSQL. A slug with no published listing is left out. One slug is read as
/// [`published_json_by_slug`] reads it.
pub fn published_json_by_slugs(
    conn: &mut Conn,
    slugs: &[String],
    media_base: &str,
) -> Result<HashMap<String, (i64, String)>, AppError> {
    if let [slug] = slugs {
        return Ok(published_json_by_slug(conn, slug, media_base)?
            .map(|found| (slug.clone(), found))
            .into_iter()
            .collect());
    }
    if slugs.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<(String, CardRow)> = with_conn!(conn, |c| listings::table
        .left_join(listing_cards::table)
        .filter(in_list(listings::slug, slugs))
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .select((listings::slug, card_columns()))
        .load(c))?;
    let mut slug_of: HashMap<i64, String> = HashMap::with_capacity(found.len());
    let mut rows = Vec::with_capacity(found.len());
    for (slug, row) in found {
        slug_of.insert(row.0, slug);
        rows.push(row);
    }
    Ok(assemble::<Json>(conn, rows, media_base)?
        .into_iter()
        .filter_map(|(id, json)| Some((slug_of.remove(&id)?, (id, json))))
        .collect())
}

/// Published listings among `ids`, in that order (others dropped): from their cards, and from
/// the listing tables for those without one.
pub fn published_views(
    conn: &mut Conn,
    ids: &[i64],
    media_base: &str,
) -> Result<Vec<ListingView>, AppError> {
    by_ids::<View>(conn, ids, media_base)
}

/// [`published_views`] as briefs (what a card on a page shows), in the order of `ids`.
pub fn published_briefs(
    conn: &mut Conn,
    ids: &[i64],
    media_base: &str,
) -> Result<Vec<ListingBrief>, AppError> {
    by_ids::<Brief>(conn, ids, media_base)
}

/// [`published_views`] as the API's JSON, one text per listing, in the order of `ids`.
pub fn published_json(
    conn: &mut Conn,
    ids: &[i64],
    media_base: &str,
) -> Result<Vec<String>, AppError> {
    by_ids::<Json>(conn, ids, media_base)
}

/// A published listing by slug in shape `S`, with its id.
fn by_slug<S: Shape>(
    conn: &mut Conn,
    slug: &str,
    media_base: &str,
) -> Result<Option<(i64, S::Out)>, AppError> {
    let found = card_by_slug(conn, slug)?;
    Ok(
        assemble::<S>(conn, found.into_iter().collect(), media_base)?
            .into_iter()
            .next(),
    )
}

/// A page's listings from the card rows read with it (in page order), from the listing tables
/// for those without a usable card.
pub(super) fn page_views(
    conn: &mut Conn,
    rows: Vec<CardRow>,
    media_base: &str,
) -> Result<Vec<ListingView>, AppError> {
    in_order::<View>(conn, rows, media_base)
}

/// [`page_views`] as the API's JSON, one text per listing.
pub(super) fn page_json(
    conn: &mut Conn,
    rows: Vec<CardRow>,
    media_base: &str,
) -> Result<Vec<String>, AppError> {
    in_order::<Json>(conn, rows, media_base)
}

fn in_order<S: Shape>(
    conn: &mut Conn,
    rows: Vec<CardRow>,
    media_base: &str,
) -> Result<Vec<S::Out>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut by_id = assemble::<S>(conn, rows, media_base)?;
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// The published listings among `ids` in shape `S`, in that order.
fn by_ids<S: Shape>(
    conn: &mut Conn,
    ids: &[i64],
    media_base: &str,
) -> Result<Vec<S::Out>, AppError> {
    let found = cards_by_ids(conn, ids)?;
    let mut by_id = assemble::<S>(conn, found, media_base)?;
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// What a read makes of a card: a [`ListingView`], or the API's JSON text.
trait Shape {
    type Out;
    /// From a usable card; `None` makes the reader take the listing tables instead.
    fn from_card(stored: &Stored<'_>, media_base: &str, today: NaiveDate) -> Option<Self::Out>;
    /// From a view read from the listing tables.
    fn from_view(view: ListingView) -> Result<Self::Out, AppError>;
}

struct View;
struct Json;
struct Brief;

impl Shape for View {
    type Out = ListingView;
    fn from_card(stored: &Stored<'_>, media_base: &str, today: NaiveDate) -> Option<ListingView> {
        view_of(stored, media_base, today)
    }
    fn from_view(view: ListingView) -> Result<ListingView, AppError> {
        Ok(view)
    }
}

impl Shape for Json {
    type Out = String;
    fn from_card(stored: &Stored<'_>, media_base: &str, today: NaiveDate) -> Option<String> {
        match &stored.kind {
            Kind::Plain => Some(with_media_base(stored.view, stored.mark, media_base)),
            Kind::Event(Some(span)) => {
                let view = with_days_dates(stored.view, span.clone(), today)?;
                Some(with_media_base(&view, stored.mark, media_base))
            }
            Kind::Event(None) => view_of(stored, media_base, today).and_then(|v| to_json(&v).ok()),
        }
    }
    fn from_view(view: ListingView) -> Result<String, AppError> {
        to_json(&view)
    }
}

impl Shape for Brief {
    type Out = ListingBrief;
    fn from_card(stored: &Stored<'_>, media_base: &str, today: NaiveDate) -> Option<ListingBrief> {
        brief_of(stored, media_base, today)
    }
    fn from_view(view: ListingView) -> Result<ListingBrief, AppError> {
        Ok(ListingBrief::from(view))
    }
}

/// What these rows give by id: from their cards, and from the listing tables (one batch) for
/// those without a usable one.
fn assemble<S: Shape>(
    conn: &mut Conn,
    rows: Vec<CardRow>,
    media_base: &str,
) -> Result<HashMap<i64, S::Out>, AppError> {
    let today = chrono::Utc::now().date_naive();
    let format = format();
    let mut by_id = HashMap::with_capacity(rows.len());
    let mut missing = Vec::new();
    for (id, card_format, body) in rows {
        let text = body
            .as_deref()
            .and_then(|b| simdutf8::basic::from_utf8(b).ok());
        let made = match (card_format, text.and_then(Stored::split)) {
            (Some(f), Some(stored)) if f == format => {
                let made = S::from_card(&stored, media_base, today);
                if made.is_none() {
                    tracing::warn!(listing = id, "unreadable listing card; reading the tables");
                }
                made
            }
            _ => None,
        };
        match made {
            Some(out) => {
                by_id.insert(id, out);
            }
            None => missing.push(id),
        }
    }
    if !missing.is_empty() {
        for view in live_views_by_ids(conn, &missing, Visibility::PublishedOnly, media_base)? {
            by_id.insert(view.id, S::from_view(view)?);
        }
    }
    Ok(by_id)
}

/// `text` with the media base where the card's mark is (`str::replace`, with a SIMD search for
/// the mark: this runs for every listing a read answers).
fn with_media_base(text: &str, mark: &str, media_base: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4 * media_base.len());
    let mut last = 0;
    for at in memchr::memmem::find_iter(text.as_bytes(), mark.as_bytes()) {
        // A match of a `str` in a `str` starts and ends on character boundaries.
        out.push_str(&text[last..at]);
        out.push_str(media_base);
        last = at + mark.len();
    }
    out.push_str(&text[last..]);
    out
}

/// The view a card holds, made whole for `media_base` and `today`; `None` when it cannot be read.
fn view_of(stored: &Stored<'_>, media_base: &str, today: NaiveDate) -> Option<ListingView> {
    let parsed =
        serde_json::from_str::<ListingView>(&with_media_base(stored.view, stored.mark, media_base))
            .and_then(|view| {
                let shares = with_media_base(stored.shares, stored.mark, media_base);
                Ok((
                    view,
                    serde_json::from_str::<Vec<Option<VariantView>>>(&shares)?,
                ))
            });
    let (mut view, shares) = match parsed {
        Ok(read) => read,
        Err(e) => {
            tracing::warn!(error = %e, "listing card's JSON");
            return None;
        }
    };
    for (photo, share) in view.photos.iter_mut().zip(shares) {
        photo.share = share;
    }
    if let Some(event) = &mut view.event {
        next_dates(event, today);
    }
    Some(view)
}

/// An event card's view text with the next dates of `today` in its event object (the bytes
/// `span`): the text as it is while the dates it holds are the day's (they move only when an
/// occurrence ends), else with the object written out again in its place. Only the object is
/// read: reading the whole view and writing it out again took 5 % of a PostgreSQL detail read's
/// CPU on the synthetic catalogue, where 8 % of the listings are events. `None` when the span
/// does not hold an event object.
fn with_days_dates(
    view: &str,
    span: std::ops::Range<usize>,
    today: NaiveDate,
) -> Option<std::borrow::Cow<'_, str>> {
    let held_text = view.get(span.clone())?;
    let held: EventView = match serde_json::from_str(held_text) {
        Ok(held) => held,
        Err(e) => {
            tracing::warn!(error = %e, "listing card's event");
            return None;
        }
    };
    let mut now = held.clone();
    next_dates(&mut now, today);
    if (now.next_start, now.next_end) == (held.next_start, held.next_end) {
        return Some(std::borrow::Cow::Borrowed(view));
    }
    let now = to_json(&now).ok()?;
    let mut out = String::with_capacity(view.len() + now.len());
    out.push_str(view.get(..span.start)?);
    out.push_str(&now);
    out.push_str(view.get(span.end..)?);
    Some(std::borrow::Cow::Owned(out))
}

/// An event's next dates as of `today` (a card keeps the dates it was written with).
fn next_dates(event: &mut EventView, today: NaiveDate) {
    let next = next_occurrence(event.start, event.end, event.recurs_yearly, today);
    event.next_start = next.map(|o| o.start);
    event.next_end = next.map(|o| o.end);
}

/// The parts of a card's view JSON a [`ListingBrief`] reads; serde skips the rest without
/// building it.
#[derive(serde::Deserialize)]
struct BriefJson {
    id: i64,
    slug: String,
    kind: ListingKind,
    name: Localized,
    category: CodeOnly,
    place: NameOnly,
    price: Option<Price>,
    ocop: Option<StarsOnly>,
    event: Option<EventView>,
    #[serde(deserialize_with = "first_only")]
    photos: Option<PhotoView>,
}

#[derive(serde::Deserialize)]
struct CodeOnly {
    code: String,
}

#[derive(serde::Deserialize)]
struct NameOnly {
    name: String,
}

#[derive(serde::Deserialize)]
struct StarsOnly {
    stars: i16,
}

/// The first element of a JSON array, the others skipped unread.
fn first_only<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct First<T>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for First<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Option<T>, A::Error> {
            let first = seq.next_element::<T>()?;
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(first)
        }
    }
    deserializer.deserialize_seq(First(std::marker::PhantomData))
}

/// The brief a card holds, for `media_base` and `today`; `None` when it cannot be read. Only the
/// first photo's URLs get the media base (each starts with the card's mark).
fn brief_of(stored: &Stored<'_>, media_base: &str, today: NaiveDate) -> Option<ListingBrief> {
    let read = match serde_json::from_str::<BriefJson>(stored.view) {
        Ok(read) => read,
        Err(e) => {
            tracing::warn!(error = %e, "listing card's JSON");
            return None;
        }
    };
    let mut photo = read.photos;
    for variant in photo.iter_mut().flat_map(|p| p.variants.iter_mut()) {
        if let Some(path) = variant.url.strip_prefix(stored.mark) {
            variant.url = format!("{media_base}{path}");
        }
    }
    let mut event = read.event;
    if let Some(event) = &mut event {
        next_dates(event, today);
    }
    Some(ListingBrief {
        id: read.id,
        slug: read.slug,
        kind: read.kind,
        name: read.name,
        category_code: read.category.code,
        place_name: read.place.name,
        price: read.price,
        ocop_stars: read.ocop.map(|o| o.stars),
        event,
        photo,
    })
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn photo(id: i64, name: &str) -> serde_json::Value {
        serde_json::json!({
            "id": id, "width": 1280, "height": 960, "aspect_ratio": 1.333,
            "placeholder": "3OcRJYB4d3h/iIeHeEh3eIhw+j2w",
            "variants": [
                {"width": 640, "height": 480, "format": "webp", "url": format!("p/{name}/640.webp")},
                {"width": 640, "height": 480, "format": "jpeg", "url": format!("p/{name}/640.jpg")}
            ]
        })
    }

    fn view(kind: &str, event: serde_json::Value, photos: Vec<serde_json::Value>) -> ListingView {
        serde_json::from_value::<ListingView>(serde_json::json!({
            "id": 42, "slug": "le-hoi-hoa-le-hong-thai", "kind": kind, "status": "published",
            "name": {"vi": "Lễ hội hoa lê Hồng Thái", "en": "Hồng Thái pear-blossom festival"},
            "description": {"vi": "Mùa hoa lê \"trắng\" núi đồi\nHà Giang"},
            "category": {"code": "festival", "name": {"vi": "Lễ hội"}},
            "place": {"code": "TQ-HT", "name": "Hồng Thái", "lat": 22.8, "lng": 105.1,
                "path": [{"code": "TQ", "name": "Tuyên Quang", "kind": "province"}]},
            "cooperative": {"slug": "htx-hong-thai", "name": "HTX Hồng Thái", "phone": null},
            "price": {"vnd": 450000, "unit": "hộp 200 g"},
            "ocop": {"stars": 4, "certificate": "OCOP-4", "expires": null},
            "certifications": ["vietgap", "organic"],
            "season_months": [2, 3],
            "event": event,
            "marketplace_links": [{"id": 1, "platform": "shopee", "url": "https://shopee.vn/x",
                "go_url": "/di/1"}],
            "photos": photos,
            "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:05Z",
            "published_at": null, "version": 3
        }))
        .expect("a view")
    }

    /// An event card's API JSON is the card's text while the next dates it holds are the day's,
    /// and the text with the day's dates put in its event object once they have moved (a past
    /// one-off festival's to none): in every case what reading the whole view and writing it out
    /// gives, and the same from a card whose head does not say where the object is.
    #[test]
    fn an_event_cards_json_has_the_days_next_dates() {
        let festival = |yearly: bool, next: Option<&str>| {
            serde_json::json!({"start": "2026-02-10", "end": "2026-02-12",
                "recurs_yearly": yearly, "next_start": next.map(|y| format!("{y}-02-10")),
                "next_end": next.map(|y| format!("{y}-02-12"))})
        };
        let base = "https://cdn.example.vn/";
        for (yearly, held, today, next) in [
            (true, Some("2027"), (2026, 6, 1), Some("2027")),
            (true, Some("2027"), (2027, 2, 12), Some("2027")),
            (true, Some("2027"), (2027, 2, 13), Some("2028")),
            (true, Some("2026"), (2027, 5, 1), Some("2028")),
            (false, Some("2026"), (2026, 2, 11), Some("2026")),
            (false, Some("2026"), (2026, 2, 13), None),
            (false, None, (2027, 1, 1), None),
        ] {
            let today = NaiveDate::from_ymd_opt(today.0, today.1, today.2).expect("date");
            let text = encode(&view("event", festival(yearly, held), vec![photo(7, "a")]))
                .expect("encode");
            let stored = Stored::split(&text).expect("split");
            let Kind::Event(Some(span)) = &stored.kind else {
                panic!("an event card's head says where its event is: {text}");
            };
            assert!(stored.view[span.clone()].starts_with("{\"start\":\"2026-02-10\""));
            let whole = to_json(&view_of(&stored, base, today).expect("view")).expect("json");
            let json = Json::from_card(&stored, base, today).expect("json");
            assert_eq!(json, whole, "held {held:?}, {today}");
            let unplaced = Stored {
                kind: Kind::Event(None),
                ..Stored::split(&text).expect("split")
            };
            assert_eq!(Json::from_card(&unplaced, base, today), Some(whole));
            let read: ListingView = serde_json::from_str(&json).expect("a view");
            let event = read.event.expect("event");
            assert_eq!(
                event.next_start.map(|d| d.to_string()),
                next.map(|y| format!("{y}-02-10"))
            );
            assert_eq!(
                matches!(
                    with_days_dates(stored.view, span.clone(), today),
                    Some(std::borrow::Cow::Borrowed(_))
                ),
                held == next,
                "held {held:?}, {today}: the text as stored only while its dates hold"
            );
            assert!(json.contains(&format!("{base}p/a/640.jpg")));
        }
    }

    /// A card's head is read only as written: a kind, and for an event the place of its object;
    /// a place that is not an event object sends the read to the listing tables.
    #[test]
    fn a_cards_head_is_read_strictly() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
        let product = encode(&view("product", serde_json::Value::Null, vec![])).expect("encode");
        assert!(product.starts_with("@vungcao-media-0@ -\n"), "{product}");
        assert_eq!(Stored::split(&product).expect("split").kind, Kind::Plain);
        for head in [
            "@m@ x",
            "@m@",
            " -",
            "@m@ - 1",
            "@m@ e 1",
            "@m@ e a 2",
            "@m@ e 1 2 3",
        ] {
            assert!(
                Stored::split(&format!("{head}\n[]\n{{}}")).is_none(),
                "{head}"
            );
        }
        let wrong = Stored::split("@m@ e 0 2\n[]\n{\"id\":1}").expect("split");
        assert_eq!(wrong.kind, Kind::Event(Some(0..2)));
        assert_eq!(Json::from_card(&wrong, "", today), None);
        let outside = Stored::split("@m@ e 4 200\n[]\n{\"id\":1}").expect("split");
        assert_eq!(Json::from_card(&outside, "", today), None);
        assert_eq!(
            event_at(r#"{"event":{"a":1},"x":{"event":{"a":1}}}"#, r#"{"a":1}"#),
            None
        );
        assert_eq!(
            event_at(r#"{"id":1,"event":{"a":1}}"#, r#"{"a":1}"#),
            Some(16..23)
        );
    }

    /// A card read as a brief shows what the full view shows: the same first photo with the
    /// media base, the event's next dates for the day, the rest of the view skipped.
    #[test]
    fn a_brief_read_from_a_card_is_the_full_views_brief() {
        let today = NaiveDate::from_ymd_opt(2027, 5, 1).expect("date");
        let festival = serde_json::json!({"start": "2026-02-10", "end": "2026-02-12",
            "recurs_yearly": true, "next_start": "2026-02-10", "next_end": "2026-02-12"});
        for v in [
            view("event", festival, vec![photo(7, "a"), photo(8, "b")]),
            view("product", serde_json::Value::Null, vec![]),
        ] {
            let text = encode(&v).expect("encode");
            let stored = Stored::split(&text).expect("split");
            for base in ["", "/media/", "https://cdn.example.vn/"] {
                let full = ListingBrief::from(view_of(&stored, base, today).expect("view"));
                let brief = brief_of(&stored, base, today).expect("brief");
                assert_eq!(format!("{brief:?}"), format!("{full:?}"), "{base}");
                if let Some(photo) = &brief.photo {
                    assert_eq!(photo.id, 7);
                    assert_eq!(photo.variants[1].url, format!("{base}p/a/640.jpg"));
                }
            }
            if v.kind == ListingKind::Event {
                let brief = brief_of(&stored, "", today).expect("brief");
                let event = brief.event.expect("event");
                assert_eq!(event.next_start, NaiveDate::from_ymd_opt(2028, 2, 10));
            }
        }
    }

    #[test]
    fn the_media_base_goes_where_str_replace_puts_it() {
        let mark = "@vungcao-media-0@";
        for text in [
            "",
            "Chè Shan tuyết",
            "@vungcao-media-0@",
            "@vungcao-media-0@@vungcao-media-0@",
            r#"{"name":"Mật ong hoa bạc hà","url":"@vungcao-media-0@p/ab/1/640.webp"}"#,
            r#"[{"url":"@vungcao-media-0@a.jpg"},{"url":"@vungcao-media-0@b.jpg"}]tail"#,
            "@vungcao-media-0 @vungcao-media-1@ đường phên",
        ] {
            for base in ["", "/media/", "https://cdn.example.vn/vùng/"] {
                assert_eq!(
                    with_media_base(text, mark, base),
                    text.replace(mark, base),
                    "{text:?} with {base:?}"
                );
            }
        }
    }
}
