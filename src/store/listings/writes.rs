//! Changes: creating, updating, status, cover; the stored listing as input. Every change a
//! published listing shows enqueues its id in the outbox in the same transaction.

use super::*;

/// The stored listing as input, so a PATCH can be laid over it and validated as a whole.
pub fn as_input(conn: &mut Conn, l: &ListingRow) -> Result<ListingInput, AppError> {
    let links = links_by_listing(conn, &[l.id])?
        .remove(&l.id)
        .unwrap_or_default();
    let certs = certifications_by_listing(conn, &[l.id])?
        .remove(&l.id)
        .unwrap_or_default();
    Ok(ListingInput {
        kind: ListingKind::parse(&l.kind),
        slug: None,
        name: Some(Localized {
            vi: l.name_vi.clone(),
            en: l.name_en.clone(),
        }),
        description: Some(Localized {
            vi: l.description_vi.clone(),
            en: l.description_en.clone(),
        }),
        category: Some(l.category_code.clone()),
        place: Some(l.place_code.clone()),
        price_vnd: Some(l.price_vnd),
        unit: Some(l.unit.clone()),
        ocop_stars: Some(l.ocop_stars),
        ocop_certificate: Some(l.ocop_certificate.clone()),
        ocop_expires: Some(l.ocop_expires),
        certifications: Some(certs.iter().map(|c| c.code().to_owned()).collect()),
        season_months: Some(mask_to_months(l.season_mask)),
        event: Some(match (l.event_start, l.event_end) {
            (Some(start), Some(end)) => Some(EventDatesInput {
                start,
                end,
                recurs_yearly: l.recurs_yearly,
            }),
            _ => None,
        }),
        marketplace_links: Some(
            links
                .into_iter()
                .filter_map(|r| {
                    Platform::parse(&r.platform).map(|platform| LinkInput {
                        platform,
                        url: r.url,
                    })
                })
                .collect(),
        ),
    })
}

/// Moves the listing's version on (a change its member made that shoppers do not see yet).
pub fn bump_version(conn: &mut Conn, id: i64) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::update(listings::table.find(id))
        .set((
            listings::updated_at.eq(now()),
            listings::version.eq(listings::version + 1)
        ))
        .execute(c))?;
    Ok(())
}

/// What only the database can check of a listing: its category and place exist.
pub fn check_content(conn: &mut Conn, v: &ValidListing, place: &str) -> Result<(), AppError> {
    check_references(conn, v, place)
}

/// Checks what only the database knows: the category and place exist.
pub(super) fn check_references(
    conn: &mut Conn,
    v: &ValidListing,
    place: &str,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    if !catalogue::category_exists(conn, &v.category)? {
        errors.push(FieldError::new("category", Message::UnknownCategory));
    }
    if catalogue::place(conn, place)?.is_none() {
        errors.push(FieldError::new("place", Message::UnknownPlace));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

/// A slug the listing `id` asks for must not be another listing's (409 on `slug`).
pub fn check_slug_free(conn: &mut Conn, slug: &str, id: i64) -> Result<(), AppError> {
    if slug_taken(conn, slug, Some(id))? {
        return Err(AppError::conflict("slug", Message::SlugTaken));
    }
    Ok(())
}

pub fn exists_with_slug(conn: &mut Conn, slug: &str) -> Result<bool, AppError> {
    slug_taken(conn, slug, None)
}

pub(super) fn slug_taken(
    conn: &mut Conn,
    slug: &str,
    except_id: Option<i64>,
) -> Result<bool, AppError> {
    let found: Option<i64> = with_conn!(conn, |c| listings::table
        .filter(listings::slug.eq(slug))
        .select(listings::id)
        .first(c)
        .optional())?;
    Ok(found.is_some_and(|id| Some(id) != except_id))
}

/// An explicit slug must be free; one folded from the name gets `-2`, `-3`… when taken.
pub(super) fn choose_slug(conn: &mut Conn, v: &ValidListing) -> Result<String, AppError> {
    if let Some(slug) = &v.slug {
        if slug_taken(conn, slug, None)? {
            return Err(AppError::conflict("slug", Message::SlugTaken));
        }
        return Ok(slug.clone());
    }
    let base: String = crate::text::slugify(&v.name.vi).chars().take(100).collect();
    let base = base.trim_end_matches('-').to_owned();
    if !slug_taken(conn, &base, None)? {
        return Ok(base);
    }
    for n in 2..1000 {
        let candidate = format!("{base}-{n}");
        if !slug_taken(conn, &candidate, None)? {
            return Ok(candidate);
        }
    }
    Err(AppError::conflict("name.vi", Message::NameTaken))
}

pub(super) fn write_children(conn: &mut Conn, id: i64, v: &ValidListing) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::delete(
        listing_certifications::table.filter(listing_certifications::listing_id.eq(id))
    )
    .execute(c))?;
    let certs: Vec<_> = v
        .certifications
        .iter()
        .map(|cert| {
            (
                listing_certifications::listing_id.eq(id),
                listing_certifications::code.eq(cert.code()),
            )
        })
        .collect();
    if !certs.is_empty() {
        with_conn!(conn, |c| diesel::insert_into(listing_certifications::table)
            .values(&certs)
            .execute(c))?;
    }
    // Links keep their id (and so their click history) when platform and URL stay the same.
    let existing = links_by_listing(conn, &[id])?
        .remove(&id)
        .unwrap_or_default();
    let mut kept = Vec::new();
    for (position, (platform, url)) in v.links.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        let same = existing
            .iter()
            .find(|l| l.platform == platform.code() && &l.url == url && !kept.contains(&l.id));
        match same {
            Some(link) => {
                kept.push(link.id);
                with_conn!(conn, |c| diesel::update(
                    marketplace_links::table.find(link.id)
                )
                .set(marketplace_links::position.eq(position))
                .execute(c))?;
            }
            None => {
                with_conn!(conn, |c| diesel::insert_into(marketplace_links::table)
                    .values((
                        marketplace_links::listing_id.eq(id),
                        marketplace_links::platform.eq(platform.code()),
                        marketplace_links::url.eq(url),
                        marketplace_links::position.eq(position),
                    ))
                    .execute(c))?;
            }
        }
    }
    let gone: Vec<i64> = existing
        .iter()
        .map(|l| l.id)
        .filter(|lid| !kept.contains(lid))
        .collect();
    if !gone.is_empty() {
        with_conn!(conn, |c| diesel::delete(
            marketplace_links::table.filter(marketplace_links::id.eq_any(&gone))
        )
        .execute(c))?;
    }
    Ok(())
}

/// The columns a member's input decides, shared by create and update (`None` clears).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = listings, treat_none_as_null = true)]
pub(super) struct Content<'a> {
    kind: &'a str,
    name_vi: &'a str,
    name_en: Option<&'a str>,
    description_vi: &'a str,
    description_en: Option<&'a str>,
    category_code: &'a str,
    place_code: &'a str,
    price_vnd: Option<i64>,
    unit: Option<&'a str>,
    ocop_stars: Option<i16>,
    ocop_certificate: Option<&'a str>,
    ocop_expires: Option<NaiveDate>,
    season_mask: i32,
    event_start: Option<NaiveDate>,
    event_end: Option<NaiveDate>,
    recurs_yearly: bool,
}

impl<'a> Content<'a> {
    pub(super) fn of(v: &'a ValidListing, place: &'a str) -> Content<'a> {
        Content {
            kind: v.kind.as_str(),
            name_vi: &v.name.vi,
            name_en: v.name.en.as_deref(),
            description_vi: &v.description.vi,
            description_en: v.description.en.as_deref(),
            category_code: &v.category,
            place_code: place,
            price_vnd: v.price_vnd,
            unit: v.unit.as_deref(),
            ocop_stars: v.ocop.as_ref().map(|o| o.stars),
            ocop_certificate: v.ocop.as_ref().and_then(|o| o.certificate.as_deref()),
            ocop_expires: v.ocop.as_ref().and_then(|o| o.expires),
            season_mask: months_to_mask(&v.season_months),
            event_start: v.event.as_ref().map(|e| e.start),
            event_end: v.event.as_ref().map(|e| e.end),
            recurs_yearly: v.event.as_ref().is_some_and(|e| e.recurs_yearly),
        }
    }
}

/// Creates a listing for the cooperative in `status` (draft, or published for trusted imports).
pub fn create(
    conn: &mut Conn,
    coop: &Cooperative,
    v: ValidListing,
    status: ListingStatus,
) -> Result<i64, AppError> {
    let coop = coop.clone();
    conn.transaction(move |conn| {
        let place = v.place.clone().unwrap_or_else(|| coop.place_code.clone());
        check_references(conn, &v, &place)?;
        let slug = choose_slug(conn, &v)?;
        let at = now();
        let published_at = (status == ListingStatus::Published).then_some(at);
        with_conn!(conn, |c| diesel::insert_into(listings::table)
            .values((
                Content::of(&v, &place),
                listings::slug.eq(&slug),
                listings::status.eq(status.as_str()),
                listings::cooperative_id.eq(coop.id),
                listings::created_at.eq(at),
                listings::updated_at.eq(at),
                listings::published_at.eq(published_at),
            ))
            .execute(c))?;
        let id: i64 = with_conn!(conn, |c| listings::table
            .filter(listings::slug.eq(&slug))
            .select(listings::id)
            .first(c))?;
        write_children(conn, id, &v)?;
        if status == ListingStatus::Published {
            outbox::enqueue(conn, &[id])?;
        }
        Ok(id)
    })
}

/// Replaces the listing's content with `v` (already merged and validated).
pub fn update(conn: &mut Conn, id: i64, v: ValidListing) -> Result<(), AppError> {
    conn.transaction(move |conn| {
        let current = row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
        let place = v
            .place
            .clone()
            .unwrap_or_else(|| current.place_code.clone());
        check_references(conn, &v, &place)?;
        if let Some(slug) = &v.slug {
            check_slug_free(conn, slug, id)?;
        }
        let slug = v.slug.clone().unwrap_or(current.slug.clone());
        with_conn!(conn, |c| diesel::update(listings::table.find(id))
            .set((
                Content::of(&v, &place),
                listings::slug.eq(&slug),
                listings::updated_at.eq(now()),
                listings::version.eq(listings::version + 1),
            ))
            .execute(c))?;
        write_children(conn, id, &v)?;
        if current.status() == ListingStatus::Published {
            // An event that became a product leaves the calendar; the outbox only sees what the
            // listing is now.
            if current.kind == ListingKind::Event.as_str() {
                crate::store::calendar_version::bump(conn)?;
            }
            outbox::enqueue(conn, &[id])?;
        }
        Ok(())
    })
}

/// Moves a listing to `to`; publishing stamps `published_at` the first time, and any move into
/// or out of `published` refreshes search. A rejection is a move back to draft with a reason.
pub fn set_status(
    conn: &mut Conn,
    id: i64,
    to: ListingStatus,
    reason: Option<String>,
) -> Result<(), AppError> {
    conn.transaction(move |conn| {
        let current = row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
        let from = current.status();
        let at = now();
        let published_at = match (to, current.published_at) {
            (ListingStatus::Published, None) => Some(at),
            (_, existing) => existing,
        };
        let reason = if to == ListingStatus::Draft {
            reason
        } else {
            None
        };
        with_conn!(conn, |c| diesel::update(listings::table.find(id))
            .set((
                listings::status.eq(to.as_str()),
                listings::rejection_reason.eq(&reason),
                listings::updated_at.eq(at),
                listings::published_at.eq(published_at),
                listings::version.eq(listings::version + 1),
            ))
            .execute(c))?;
        if from == ListingStatus::Published || to == ListingStatus::Published {
            outbox::enqueue(conn, &[id])?;
        }
        Ok(())
    })
}

pub fn set_cover(conn: &mut Conn, id: i64, photo_id: Option<i64>) -> Result<(), AppError> {
    conn.transaction(move |conn| {
        let current = row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
        with_conn!(conn, |c| diesel::update(listings::table.find(id))
            .set((
                listings::cover_photo_id.eq(photo_id),
                listings::updated_at.eq(now()),
                listings::version.eq(listings::version + 1),
            ))
            .execute(c))?;
        if current.status() == ListingStatus::Published {
            outbox::enqueue(conn, &[id])?;
        }
        Ok(())
    })
}

/// Marks a listing changed (e.g. a photo added) so clients and search see it.
pub fn touch(conn: &mut Conn, id: i64) -> Result<(), AppError> {
    let current = row(conn, id)?.ok_or_else(|| AppError::new(Code::ListingNotFound))?;
    with_conn!(conn, |c| diesel::update(listings::table.find(id))
        .set((
            listings::updated_at.eq(now()),
            listings::version.eq(listings::version + 1)
        ))
        .execute(c))?;
    if current.status() == ListingStatus::Published {
        outbox::enqueue(conn, &[id])?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
