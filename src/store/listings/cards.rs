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

/// What a card stores: the view with photo URLs relative to the media base (a setting, not
/// data) and without next occurrences (they move with the date), and each photo's share
/// picture, which the view's JSON leaves out.
#[derive(Serialize, Deserialize)]
struct Card {
    view: ListingView,
    shares: Vec<Option<VariantView>>,
}

/// Listings per refresh statement.
const CHUNK: usize = 500;

/// Bump when a view's content changes without its shape changing (the shape is hashed).
const LAYOUT: u32 = 1;

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
            let shares = view.photos.iter().map(|p| p.share.clone()).collect();
            let body = serde_json::to_string(&Card { view, shares })
                .map_err(|e| AppError::internal(format!("listing card: {e}")))?;
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

/// A published listing's id and its card's format and body (both `None` without a card).
type CardRow = (i64, Option<i64>, Option<String>);

/// The columns of a [`CardRow`], for a query of `listings` left-joined with its card.
fn card_columns() -> (
    listings::id,
    diesel::dsl::Nullable<listing_cards::format>,
    diesel::dsl::Nullable<listing_cards::body>,
) {
    (
        listings::id,
        listing_cards::format.nullable(),
        listing_cards::body.nullable(),
    )
}

/// A published listing by slug: its card, or the listing tables when it has none.
pub fn published_by_slug(
    conn: &mut Conn,
    slug: &str,
    media_base: &str,
) -> Result<Option<ListingView>, AppError> {
    let found: Option<CardRow> = with_conn!(conn, |c| listings::table
        .left_join(listing_cards::table)
        .filter(listings::slug.eq(slug))
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .select(card_columns())
        .first(c)
        .optional())?;
    Ok(assemble(conn, found.into_iter().collect(), media_base)?
        .into_values()
        .next())
}

/// Published listings among `ids`, in that order (others dropped): from their cards, and from
/// the listing tables for those without one.
pub fn published_views(
    conn: &mut Conn,
    ids: &[i64],
    media_base: &str,
) -> Result<Vec<ListingView>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<CardRow> = with_conn!(conn, |c| listings::table
        .left_join(listing_cards::table)
        .filter(in_list(listings::id, ids))
        .filter(listings::status.eq(ListingStatus::Published.as_str()))
        .select(card_columns())
        .load(c))?;
    let mut by_id = assemble(conn, found, media_base)?;
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// The views of these rows by id: from their cards, and from the listing tables (one batch) for
/// those without a usable one.
fn assemble(
    conn: &mut Conn,
    rows: Vec<CardRow>,
    media_base: &str,
) -> Result<HashMap<i64, ListingView>, AppError> {
    let today = chrono::Utc::now().date_naive();
    let mut by_id: HashMap<i64, ListingView> = HashMap::with_capacity(rows.len());
    let mut missing = Vec::new();
    for row in rows {
        match read(row, media_base, today) {
            Ok(view) => {
                by_id.insert(view.id, view);
            }
            Err(id) => missing.push(id),
        }
    }
    if !missing.is_empty() {
        for view in live_views_by_ids(conn, &missing, Visibility::PublishedOnly, media_base)? {
            by_id.insert(view.id, view);
        }
    }
    Ok(by_id)
}

/// The view a card row holds, made whole for `media_base` and `today`; `Err(id)` when there is
/// no usable card.
fn read(
    (id, format, body): CardRow,
    media_base: &str,
    today: NaiveDate,
) -> Result<ListingView, i64> {
    let (Some(format), Some(body)) = (format, body) else {
        return Err(id);
    };
    if format != self::format() {
        return Err(id);
    }
    let card: Card = match serde_json::from_str(&body) {
        Ok(card) => card,
        Err(e) => {
            tracing::warn!(listing = id, error = %e, "unreadable listing card; reading the tables");
            return Err(id);
        }
    };
    let mut view = card.view;
    for (photo, share) in view.photos.iter_mut().zip(card.shares) {
        photo.share = share;
    }
    if !media_base.is_empty() {
        for photo in &mut view.photos {
            for variant in photo.variants.iter_mut().chain(photo.share.as_mut()) {
                variant.url.insert_str(0, media_base);
            }
        }
    }
    if let Some(event) = &mut view.event {
        let next = next_occurrence(event.start, event.end, event.recurs_yearly, today);
        event.next_start = next.map(|o| o.start);
        event.next_end = next.map(|o| o.end);
    }
    Ok(view)
}
