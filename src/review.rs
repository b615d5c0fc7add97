//! Review: what an admin sees before shoppers do. A new listing waits as `pending`; an edit to a
//! published listing that touches what shoppers rely on (name, description, category, place,
//! links, OCOP, certifications, photos, dates) waits as a revision while the public keeps the
//! approved version. Price, unit and season months apply at once. Decisions name the version
//! the admin saw. Blocking: call inside `Db::run`.

use crate::domain::listing::{ListingInput, ListingStatus, ValidListing};
use crate::error::{AppError, Code};
use crate::messages::Message;
use crate::store::listings::{self, ListingRow, ListingView};
use crate::store::photos::{self, PhotoRow, PhotoView, REVIEW_ADDED, REVIEW_LIVE, REVIEW_REMOVED};
use crate::store::revisions::{self, Proposal, RevisionStatus};
use crate::store::Conn;
use crate::workflow::{check_place, check_version, review_needed};
use serde::Serialize;
use serde_json::Value;

/// The fields an edit of a published listing must have reviewed, in the order the diff shows.
pub const REVIEWED_FIELDS: [&str; 12] = [
    "name",
    "description",
    "kind",
    "category",
    "place",
    "slug",
    "marketplace_links",
    "ocop_stars",
    "ocop_certificate",
    "ocop_expires",
    "certifications",
    "event",
];

/// One reviewed field as it is public now and as the member wants it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// A published listing's revision, as its member and the admins see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevisionView {
    pub status: RevisionStatus,
    /// Why an admin turned it down (a rejected revision).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// The reviewed fields that differ from the public version.
    pub changes: Vec<Change>,
    /// Whether photos were added, removed, reordered or a new cover chosen.
    pub photos_changed: bool,
    /// The gallery as it will be once approved, the cover first.
    pub photos: Vec<PhotoView>,
    #[serde(serialize_with = "crate::store::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
}

/// `target` with what applies at once (price, unit, season months) taken from `source`.
fn at_once_from(mut target: ListingInput, source: &ListingInput) -> ListingInput {
    target.price_vnd = source.price_vnd;
    target.unit = source.unit.clone();
    target.season_months = source.season_months.clone();
    target
}

/// The reviewed fields of `input` as JSON, the slug filled in where the input keeps it.
fn reviewed_values(input: &ListingInput, slug: &str) -> serde_json::Map<String, Value> {
    let mut all = match serde_json::to_value(input) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    if all.get("slug").is_none_or(Value::is_null) {
        all.insert("slug".into(), Value::String(slug.to_owned()));
    }
    REVIEWED_FIELDS
        .iter()
        .map(|f| ((*f).to_owned(), all.remove(*f).unwrap_or(Value::Null)))
        .collect()
}

/// The reviewed fields that differ between the public listing and the proposal.
pub fn changes(live: &ListingInput, proposed: &ListingInput, slug: &str) -> Vec<Change> {
    let before = reviewed_values(live, slug);
    let mut after = reviewed_values(proposed, slug);
    REVIEWED_FIELDS
        .iter()
        .filter_map(|field| {
            let b = before.get(*field).cloned().unwrap_or(Value::Null);
            let a = after.remove(*field).unwrap_or(Value::Null);
            (a != b).then(|| Change {
                field: (*field).to_owned(),
                before: b,
                after: a,
            })
        })
        .collect()
}

/// The gallery in display order (the cover first) for shoppers (`proposed = false`) or as the
/// member's revision would make it.
fn ordered(rows: Vec<PhotoRow>, cover: Option<i64>, order: Option<&[i64]>) -> Vec<PhotoRow> {
    let mut rows = rows;
    if let Some(order) = order {
        rows.sort_by_key(|r| {
            order
                .iter()
                .position(|id| *id == r.id)
                .unwrap_or(usize::MAX)
        });
    }
    if let Some(cover) = cover {
        if let Some(at) = rows.iter().position(|r| r.id == cover) {
            let c = rows.remove(at);
            rows.insert(0, c);
        }
    }
    rows
}

/// Whether the photos of `rows` differ from the public gallery under `proposal`.
fn photos_differ(rows: &[PhotoRow], live_cover: Option<i64>, proposal: &Proposal) -> bool {
    if rows.iter().any(|r| r.review_state != REVIEW_LIVE) {
        return true;
    }
    let live: Vec<i64> = ordered(rows.to_vec(), live_cover, None)
        .iter()
        .map(|r| r.id)
        .collect();
    let proposed: Vec<i64> = ordered(
        rows.to_vec(),
        proposal.cover.or(live_cover),
        proposal.photo_order.as_deref(),
    )
    .iter()
    .map(|r| r.id)
    .collect();
    live != proposed
}

/// The member's own gallery: photos waiting for review included, removed ones left out, in
/// the order the revision asks for.
pub fn member_gallery(
    conn: &mut Conn,
    listing_id: i64,
    media_base: &str,
) -> Result<Vec<PhotoView>, AppError> {
    let row =
        listings::row(conn, listing_id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    let proposal = revisions::get(conn, listing_id)?.map(|r| r.proposal());
    let rows = photos::for_listings(conn, &[listing_id])?;
    Ok(proposed_gallery(
        rows,
        row.cover_photo_id,
        proposal.as_ref(),
        media_base,
    ))
}

/// The photos of `rows` as a revision would show them: removed ones left out, its order and
/// cover (else the live cover) applied.
fn proposed_gallery(
    rows: Vec<PhotoRow>,
    live_cover: Option<i64>,
    proposal: Option<&Proposal>,
    media_base: &str,
) -> Vec<PhotoView> {
    let rows: Vec<PhotoRow> = rows.into_iter().filter(PhotoRow::is_proposed).collect();
    let cover = proposal.and_then(|p| p.cover).or(live_cover);
    let order = proposal.and_then(|p| p.photo_order.as_deref());
    ordered(rows, cover, order)
        .iter()
        .map(|p| p.view(media_base))
        .collect()
}

/// Keeps `proposal` as the listing's pending revision, or drops it when nothing in it differs
/// from the public version any more; either way the listing's version moves on.
fn save(conn: &mut Conn, row: &ListingRow, proposal: Proposal) -> Result<(), AppError> {
    let live = listings::as_input(conn, row)?;
    let rows = photos::for_listings(conn, &[row.id])?;
    let differs = !changes(&live, &proposal.content, &row.slug).is_empty()
        || photos_differ(&rows, row.cover_photo_id, &proposal);
    if differs {
        revisions::propose(conn, row.id, &proposal)?;
    } else {
        revisions::delete(conn, row.id)?;
    }
    listings::bump_version(conn, row.id)
}

/// The proposal an edit starts from: the pending (or rejected) one, else the public content.
fn current_proposal(conn: &mut Conn, row: &ListingRow) -> Result<Proposal, AppError> {
    Ok(match revisions::get(conn, row.id)? {
        Some(r) => r.proposal(),
        None => Proposal {
            content: listings::as_input(conn, row)?,
            ..Proposal::default()
        },
    })
}

/// What a member's edit form starts from: their pending (or rejected) proposal, with price,
/// unit and season months as they are live; the stored listing when there is none.
pub fn member_input(conn: &mut Conn, row: &ListingRow) -> Result<ListingInput, AppError> {
    let live = listings::as_input(conn, row)?;
    Ok(match revisions::get(conn, row.id)? {
        Some(r) => at_once_from(r.proposal().content, &live),
        None => live,
    })
}

/// An edit of a published listing under review (see [`crate::workflow::update`], which locks
/// the row): price, unit and season months go live; the rest becomes the pending revision.
pub(crate) fn propose(
    conn: &mut Conn,
    row: &ListingRow,
    edit: impl FnOnce(ListingInput) -> Result<ValidListing, AppError>,
) -> Result<(), AppError> {
    let live = listings::as_input(conn, row)?;
    let mut proposal = current_proposal(conn, row)?;
    let valid = edit(at_once_from(proposal.content.clone(), &live))?;
    check_place(conn, row.cooperative_id, valid.place.as_deref())?;
    listings::check_content(
        conn,
        &valid,
        valid.place.as_deref().unwrap_or(&row.place_code),
    )?;
    // A slug another listing holds is refused now, not when an admin approves.
    if let Some(slug) = &valid.slug {
        listings::check_slug_free(conn, slug, row.id)?;
    }
    let wanted = ListingInput::from(&valid);
    let now_live = at_once_from(live.clone(), &wanted);
    if now_live != live {
        let checked = now_live.validate().map_err(AppError::validation)?;
        listings::update(conn, row.id, checked)?;
    }
    proposal.content = wanted;
    let row = listings::row(conn, row.id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    save(conn, &row, proposal)
}

/// Photos were added to or removed from a published listing under review, or rearranged:
/// `arrange` changes the proposal (order, cover); the revision is kept or dropped to match.
pub(crate) fn photos_changed(
    conn: &mut Conn,
    row: &ListingRow,
    arrange: impl FnOnce(&mut Proposal),
) -> Result<(), AppError> {
    let mut proposal = current_proposal(conn, row)?;
    arrange(&mut proposal);
    save(conn, row, proposal)
}

/// Whether photo changes to this listing wait for review: it is published and its cooperative's
/// changes are reviewed.
fn photos_reviewed(
    conn: &mut Conn,
    row: &ListingRow,
    review_required: bool,
) -> Result<bool, AppError> {
    Ok(row.status() == ListingStatus::Published
        && review_needed(conn, row.cooperative_id, review_required)?)
}

/// Photos just recorded for a listing (inside the upload's transaction): on a published listing
/// under review they wait in its revision, unseen by shoppers; otherwise they show at once.
pub(crate) fn photos_recorded(
    conn: &mut Conn,
    listing_id: i64,
    new_ids: &[i64],
    review_required: bool,
) -> Result<(), AppError> {
    let row = listings::locked_row(conn, listing_id)?
        .ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    if !photos_reviewed(conn, &row, review_required)? {
        return listings::touch(conn, listing_id);
    }
    for id in new_ids {
        photos::set_review_state(conn, *id, REVIEW_ADDED)?;
    }
    photos_changed(conn, &row, |_| {})
}

/// Removes a photo the member no longer wants. On a published listing under review a public
/// photo stays public until the revision is approved; anything else goes at once, and its row
/// is returned so its files can be deleted.
pub(crate) fn remove_photo(
    conn: &mut Conn,
    auth: &crate::accounts::Auth,
    listing_id: i64,
    photo_id: i64,
    review_required: bool,
) -> Result<Option<PhotoRow>, AppError> {
    conn.transaction(|conn| {
        let row = crate::workflow::owned_listing_locked(conn, auth, listing_id)?;
        let photo = photos::for_listings(conn, &[listing_id])?
            .into_iter()
            .find(|p| p.id == photo_id && p.is_proposed())
            .ok_or_else(|| AppError::new(Code::PhotoNotFound))?;
        let reviewed = photos_reviewed(conn, &row, review_required)?;
        let forget = |p: &mut Proposal| {
            if let Some(order) = &mut p.photo_order {
                order.retain(|id| *id != photo_id);
            }
            if p.cover == Some(photo_id) {
                p.cover = None;
            }
        };
        if reviewed && photo.review_state == REVIEW_LIVE {
            photos::set_review_state(conn, photo_id, REVIEW_REMOVED)?;
            photos_changed(conn, &row, forget)?;
            return Ok(None);
        }
        photos::delete(conn, listing_id, photo_id)?;
        if row.cover_photo_id == Some(photo_id) {
            listings::set_cover(conn, listing_id, None)?;
        }
        if reviewed {
            photos_changed(conn, &row, forget)?;
        } else {
            listings::touch(conn, listing_id)?;
        }
        Ok(Some(photo))
    })
}

/// Puts the member's gallery in `order` and/or picks the cover: at once, or in the revision of a
/// published listing under review.
pub(crate) fn arrange_photos(
    conn: &mut Conn,
    auth: &crate::accounts::Auth,
    listing_id: i64,
    order: Option<Vec<i64>>,
    cover: Option<i64>,
    review_required: bool,
) -> Result<(), AppError> {
    conn.transaction(|conn| {
        let row = crate::workflow::owned_listing_locked(conn, auth, listing_id)?;
        let mine: Vec<i64> = photos::for_listings(conn, &[listing_id])?
            .iter()
            .filter(|p| p.is_proposed())
            .map(|p| p.id)
            .collect();
        if let Some(bad) = order.iter().flatten().find(|id| !mine.contains(id)) {
            return Err(AppError::field(
                "order",
                format!("photo {bad} is not in this listing"),
            ));
        }
        if cover.is_some_and(|c| !mine.contains(&c)) {
            return Err(AppError::field(
                "cover",
                "this photo is not in this listing",
            ));
        }
        if photos_reviewed(conn, &row, review_required)? {
            return photos_changed(conn, &row, |p| {
                if let Some(order) = order {
                    p.photo_order = Some(order);
                }
                if cover.is_some() {
                    p.cover = cover;
                }
            });
        }
        if let Some(order) = &order {
            photos::reorder(conn, listing_id, order)?;
        }
        if let Some(cover) = cover {
            listings::set_cover(conn, listing_id, Some(cover))?;
        }
        listings::touch(conn, listing_id)
    })
}

/// Whether a member's import must route its changes to this listing through review.
pub(crate) fn import_reviewed(
    conn: &mut Conn,
    listing_id: i64,
    review_required: bool,
) -> Result<bool, AppError> {
    match listings::row(conn, listing_id)? {
        Some(row) => photos_reviewed(conn, &row, review_required),
        None => Ok(false),
    }
}

/// A member's import row for a published listing under review: as their edit would be.
pub(crate) fn import_edit(
    conn: &mut Conn,
    listing_id: i64,
    valid: ValidListing,
) -> Result<(), AppError> {
    let row = listings::locked_row(conn, listing_id)?
        .ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    propose(conn, &row, move |_| Ok(valid))
}

/// A listing's photo ids and cover, before an import attaches photos to it.
pub(crate) type PhotosBefore = (Vec<i64>, Option<i64>);

/// The listing's photo ids and cover before an import attaches photos, when they will need
/// review (`reviewed`); `None` otherwise.
pub(crate) fn photo_ids(
    conn: &mut Conn,
    listing_id: i64,
    reviewed: bool,
) -> Result<Option<PhotosBefore>, AppError> {
    if !reviewed {
        return Ok(None);
    }
    let ids = photos::for_listings(conn, &[listing_id])?
        .iter()
        .map(|p| p.id)
        .collect();
    let cover = listings::row(conn, listing_id)?.and_then(|r| r.cover_photo_id);
    Ok(Some((ids, cover)))
}

/// After an import attached photos to a published listing under review: the new ones wait in
/// the revision, and a new cover is proposed rather than shown.
pub(crate) fn imported_photos(
    conn: &mut Conn,
    listing_id: i64,
    before: &PhotosBefore,
) -> Result<(), AppError> {
    let (ids, old_cover) = before;
    let now = photos::for_listings(conn, &[listing_id])?;
    let added: Vec<i64> = now
        .iter()
        .map(|p| p.id)
        .filter(|id| !ids.contains(id))
        .collect();
    let row =
        listings::row(conn, listing_id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    let new_cover = row.cover_photo_id.filter(|c| Some(*c) != *old_cover);
    if added.is_empty() && new_cover.is_none() {
        return Ok(());
    }
    for id in &added {
        photos::set_review_state(conn, *id, REVIEW_ADDED)?;
    }
    if new_cover.is_some() {
        listings::set_cover(conn, listing_id, *old_cover)?;
    }
    let row =
        listings::row(conn, listing_id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    photos_changed(conn, &row, |p| {
        if new_cover.is_some() {
            p.cover = new_cover;
        }
    })
}

/// A revision waiting when its listing is archived is dropped with it.
pub(crate) fn drop_revision(conn: &mut Conn, listing_id: i64) -> Result<(), AppError> {
    revisions::delete(conn, listing_id)
}

/// The revision of each listing (by id), for its member and the admins.
pub fn attach_revisions(
    conn: &mut Conn,
    views: &mut [ListingView],
    media_base: &str,
) -> Result<(), AppError> {
    let ids: Vec<i64> = views.iter().map(|v| v.id).collect();
    let found = revisions::for_listings(conn, &ids)?;
    for rev in found {
        let Some(view) = views.iter_mut().find(|v| v.id == rev.listing_id) else {
            continue;
        };
        let Some(row) = listings::row(conn, rev.listing_id)? else {
            continue;
        };
        let live = listings::as_input(conn, &row)?;
        let proposal = rev.proposal();
        let proposed = at_once_from(proposal.content.clone(), &live);
        let rows = photos::for_listings(conn, &[row.id])?;
        view.revision = Some(RevisionView {
            status: rev.status(),
            rejection_reason: rev.rejection_reason.clone(),
            changes: changes(&live, &proposed, &row.slug),
            photos_changed: photos_differ(&rows, row.cover_photo_id, &proposal),
            photos: proposed_gallery(rows, row.cover_photo_id, Some(&proposal), media_base),
            updated_at: rev.updated_at,
        });
    }
    Ok(())
}

/// Media objects a decision left without a photo row: delete them once the decision committed.
pub type Forgotten = Vec<String>;

/// Applies the revision's photo changes (`approve`) or throws them away (reject): returns the
/// content keys of photo rows deleted.
fn settle_photos(
    conn: &mut Conn,
    row: &ListingRow,
    proposal: &Proposal,
    approve: bool,
) -> Result<Forgotten, AppError> {
    let rows = photos::for_listings(conn, &[row.id])?;
    let (gone_state, keep_state) = if approve {
        (REVIEW_REMOVED, REVIEW_ADDED)
    } else {
        (REVIEW_ADDED, REVIEW_REMOVED)
    };
    let mut forgotten = Vec::new();
    for photo in &rows {
        if photo.review_state == gone_state {
            photos::delete(conn, row.id, photo.id)?;
            forgotten.push(photo.content_key.clone());
        } else if photo.review_state == keep_state {
            photos::set_review_state(conn, photo.id, REVIEW_LIVE)?;
        }
    }
    let remaining: Vec<i64> = rows
        .iter()
        .filter(|p| p.review_state != gone_state)
        .map(|p| p.id)
        .collect();
    let cover_gone = row.cover_photo_id.is_some_and(|c| !remaining.contains(&c));
    if approve {
        if let Some(order) = &proposal.photo_order {
            photos::reorder(conn, row.id, order)?;
        }
        match proposal.cover.filter(|c| remaining.contains(c)) {
            Some(cover) => listings::set_cover(conn, row.id, Some(cover))?,
            None if cover_gone => listings::set_cover(conn, row.id, None)?,
            None => {}
        }
    } else if cover_gone {
        listings::set_cover(conn, row.id, None)?;
    }
    Ok(forgotten)
}

/// The listing an admin decides on, locked, at the version they reviewed.
fn reviewed_row(conn: &mut Conn, id: i64, version: i64) -> Result<ListingRow, AppError> {
    let row =
        listings::locked_row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    check_version(&row, Some(version))?;
    Ok(row)
}

fn nothing_to_review(row: &ListingRow) -> AppError {
    AppError::new(Code::InvalidTransition).with_detail(format!(
        "only pending listings and pending revisions are reviewed; this listing is {} with nothing waiting",
        row.status
    ))
}

/// An admin publishes a pending listing, or the pending revision of a published one, as it was
/// at `version`. Returns media keys to delete (photos the revision removed).
pub fn approve(conn: &mut Conn, id: i64, version: i64) -> Result<Forgotten, AppError> {
    conn.transaction(|conn| {
        let row = reviewed_row(conn, id, version)?;
        match row.status() {
            ListingStatus::Pending => {
                listings::set_status(conn, id, ListingStatus::Published, None)?;
                Ok(Vec::new())
            }
            ListingStatus::Published => {
                let rev = revisions::get(conn, id)?
                    .filter(|r| r.status() == RevisionStatus::Pending)
                    .ok_or_else(|| nothing_to_review(&row))?;
                let proposal = rev.proposal();
                let live = listings::as_input(conn, &row)?;
                let valid = at_once_from(proposal.content.clone(), &live)
                    .validate()
                    .map_err(AppError::validation)?;
                listings::update(conn, id, valid)?;
                let forgotten = settle_photos(conn, &row, &proposal, true)?;
                revisions::delete(conn, id)?;
                listings::bump_version(conn, id)?;
                Ok(forgotten)
            }
            _ => Err(nothing_to_review(&row)),
        }
    })
}

/// The reason a rejected listing's member reads: 1 to 1000 characters, trimmed.
pub fn rejection_reason(raw: &str) -> Result<String, AppError> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::field("reason", Message::RejectionReason));
    }
    Ok(reason.to_owned())
}

/// An admin sends a pending listing back to draft, or turns down a published listing's
/// revision (the approved version stays public), with a reason the member reads.
pub fn reject(
    conn: &mut Conn,
    id: i64,
    version: i64,
    raw_reason: &str,
) -> Result<Forgotten, AppError> {
    let reason = rejection_reason(raw_reason)?;
    conn.transaction(|conn| {
        let row = reviewed_row(conn, id, version)?;
        match row.status() {
            ListingStatus::Pending => {
                listings::set_status(conn, id, ListingStatus::Draft, Some(reason))?;
                Ok(Vec::new())
            }
            ListingStatus::Published => {
                let rev = revisions::get(conn, id)?
                    .filter(|r| r.status() == RevisionStatus::Pending)
                    .ok_or_else(|| nothing_to_review(&row))?;
                let forgotten = settle_photos(conn, &row, &rev.proposal(), false)?;
                revisions::reject(conn, id, &reason)?;
                listings::bump_version(conn, id)?;
                Ok(forgotten)
            }
            _ => Err(nothing_to_review(&row)),
        }
    })
}

/// The review queue: pending listings, then published listings with a pending revision, each
/// with what changed; oldest first.
pub fn queue(conn: &mut Conn, media_base: &str) -> Result<Vec<ListingView>, AppError> {
    let mut items = listings::review_queue(conn, media_base)?;
    let ids = revisions::pending_ids(conn, 500)?;
    let mut revised =
        listings::views_by_ids(conn, &ids, listings::Visibility::AnyStatus, media_base)?;
    revised.sort_by_key(|v| ids.iter().position(|id| *id == v.id));
    attach_revisions(conn, &mut revised, media_base)?;
    items.extend(revised);
    Ok(items)
}
