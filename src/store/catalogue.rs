//! Places, categories and cooperatives: the small tables every listing points at.

use super::in_list::in_list;
use super::schema::{categories, cooperatives, listings, places};
use super::{now, outbox, Conn};
use crate::domain::listing::ListingStatus;
use crate::domain::listing::Localized;
use crate::error::{AppError, Code};
use crate::messages::Message;
use crate::with_conn;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = categories)]
pub struct Category {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    #[serde(skip)]
    pub position: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = places)]
pub struct PlaceRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_code: Option<String>,
    pub path: String,
    pub lat: f64,
    pub lng: f64,
    pub aliases: String,
    pub skip_review: bool,
}

impl PlaceRow {
    pub fn alias_list(&self) -> Vec<String> {
        serde_json::from_str(&self.aliases).unwrap_or_default()
    }

    /// Codes from the province down to this place.
    pub fn path_codes(&self) -> Vec<String> {
        path_codes(&self.path)
    }
}

pub fn path_codes(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A place as the API shows it, with its children for the tree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Place {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent: Option<String>,
    pub lat: f64,
    pub lng: f64,
    pub aliases: Vec<String>,
    pub skip_review: bool,
    #[schema(no_recursion)]
    pub children: Vec<Place>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = cooperatives)]
pub struct Cooperative {
    #[serde(skip)]
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub place_code: String,
    pub phone: Option<String>,
    #[serde(skip)]
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlace {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent: Option<String>,
    pub lat: f64,
    pub lng: f64,
    #[serde(default)]
    pub aliases: Vec<String>,
}

pub fn categories(conn: &mut Conn) -> Result<Vec<Category>, AppError> {
    with_conn!(conn, |c| categories::table
        .order((categories::position.asc(), categories::code.asc()))
        .select(Category::as_select())
        .load(c))
    .map_err(AppError::from)
}

pub fn category_exists(conn: &mut Conn, code: &str) -> Result<bool, AppError> {
    let found: Option<String> = with_conn!(conn, |c| categories::table
        .find(code)
        .select(categories::code)
        .first(c)
        .optional())?;
    Ok(found.is_some())
}

/// Inserts or updates a category (by code).
pub fn upsert_category(conn: &mut Conn, cat: &Category) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::insert_into(categories::table)
        .values(cat)
        .on_conflict(categories::code)
        .do_update()
        .set((
            categories::name_vi.eq(&cat.name_vi),
            categories::name_en.eq(&cat.name_en),
            categories::position.eq(cat.position),
        ))
        .execute(c))?;
    // The festival calendar keeps its events' listings, category names included.
    super::calendar_version::bump(conn)
}

pub fn place(conn: &mut Conn, code: &str) -> Result<Option<PlaceRow>, AppError> {
    with_conn!(conn, |c| places::table
        .find(code)
        .select(PlaceRow::as_select())
        .first(c)
        .optional())
    .map_err(AppError::from)
}

pub fn places_by_codes(conn: &mut Conn, codes: &[String]) -> Result<Vec<PlaceRow>, AppError> {
    with_conn!(conn, |c| places::table
        .filter(in_list(places::code, codes))
        .select(PlaceRow::as_select())
        .load(c))
    .map_err(AppError::from)
}

pub fn all_places(conn: &mut Conn) -> Result<Vec<PlaceRow>, AppError> {
    with_conn!(conn, |c| places::table
        .order(places::path.asc())
        .select(PlaceRow::as_select())
        .load(c))
    .map_err(AppError::from)
}

/// Every category and every place (by path): what the search page's filters offer.
pub struct FilterNames {
    pub categories: Vec<Category>,
    pub places: Vec<PlaceRow>,
}

pub fn filter_names(conn: &mut Conn) -> Result<FilterNames, AppError> {
    Ok(FilterNames {
        categories: categories(conn)?,
        places: all_places(conn)?,
    })
}

/// Provinces and former districts, by path: what the home page offers to browse (the
/// communes, most of the table, are left in the database).
pub fn places_above_communes(conn: &mut Conn) -> Result<Vec<PlaceRow>, AppError> {
    with_conn!(conn, |c| places::table
        .filter(places::kind.ne("commune"))
        .order(places::path.asc())
        .select(PlaceRow::as_select())
        .load(c))
    .map_err(AppError::from)
}

/// The places as a tree: provinces, then former districts, then communes.
pub fn place_tree(conn: &mut Conn) -> Result<Vec<Place>, AppError> {
    let rows = all_places(conn)?;
    fn build(rows: &[PlaceRow], parent: Option<&str>) -> Vec<Place> {
        rows.iter()
            .filter(|r| r.parent_code.as_deref() == parent)
            .map(|r| Place {
                code: r.code.clone(),
                name: r.name.clone(),
                kind: r.kind.clone(),
                parent: r.parent_code.clone(),
                lat: r.lat,
                lng: r.lng,
                aliases: r.alias_list(),
                skip_review: r.skip_review,
                children: build(rows, Some(&r.code)),
            })
            .collect()
    }
    Ok(build(&rows, None))
}

/// Inserts or updates a place; its path is derived from the parent's.
pub fn upsert_place(conn: &mut Conn, new: &NewPlace) -> Result<(), AppError> {
    if !["province", "district", "commune"].contains(&new.kind.as_str()) {
        return Err(AppError::field(
            "kind",
            "must be province, district or commune",
        ));
    }
    let path = match &new.parent {
        Some(parent) => {
            let parent = place(conn, parent)?
                .ok_or_else(|| AppError::field("parent", Message::UnknownPlace))?;
            format!("{}{}/", parent.path, new.code)
        }
        None => format!("/{}/", new.code),
    };
    let row = PlaceRow {
        code: new.code.clone(),
        name: new.name.clone(),
        kind: new.kind.clone(),
        parent_code: new.parent.clone(),
        path,
        lat: new.lat,
        lng: new.lng,
        aliases: serde_json::to_string(&new.aliases).unwrap_or_else(|_| "[]".into()),
        skip_review: false,
    };
    with_conn!(conn, |c| diesel::insert_into(places::table)
        .values(&row)
        .on_conflict(places::code)
        .do_update()
        .set((
            places::name.eq(&row.name),
            places::kind.eq(&row.kind),
            places::lat.eq(row.lat),
            places::lng.eq(row.lng),
            places::aliases.eq(&row.aliases),
        ))
        .execute(c))?;
    // The home page lists provinces and districts by name.
    super::storefront_version::bump(conn)
}

/// Changes a place's name, aliases or review setting; listings there get fresh search documents.
pub fn update_place(
    conn: &mut Conn,
    code: &str,
    name: Option<&str>,
    aliases: Option<&[String]>,
    skip_review: Option<bool>,
) -> Result<PlaceRow, AppError> {
    let code = code.to_owned();
    let name = name.map(str::to_owned);
    let aliases = aliases.map(|a| serde_json::to_string(a).unwrap_or_else(|_| "[]".into()));
    conn.transaction(move |conn| {
        let existing = place(conn, &code)?.ok_or_else(|| AppError::new(Code::PlaceNotFound))?;
        if let Some(name) = &name {
            with_conn!(conn, |c| diesel::update(places::table.find(&code))
                .set(places::name.eq(name))
                .execute(c))?;
            // The home page lists provinces and districts by name, listings there or not.
            super::storefront_version::bump(conn)?;
        }
        if let Some(aliases) = &aliases {
            with_conn!(conn, |c| diesel::update(places::table.find(&code))
                .set(places::aliases.eq(aliases))
                .execute(c))?;
        }
        if let Some(skip) = skip_review {
            with_conn!(conn, |c| diesel::update(places::table.find(&code))
                .set(places::skip_review.eq(skip))
                .execute(c))?;
        }
        if name.is_some() || aliases.is_some() {
            // Every published listing at or under this place shows its name in search.
            let prefix = format!("{}%", existing.path);
            let ids: Vec<i64> = with_conn!(conn, |c| listings::table
                .inner_join(places::table)
                .filter(places::path.like(&prefix))
                .filter(listings::status.eq(ListingStatus::Published.as_str()))
                .select(listings::id)
                .load(c))?;
            outbox::enqueue(conn, &ids)?;
        }
        place(conn, &code)?.ok_or_else(|| AppError::new(Code::PlaceNotFound))
    })
}

/// Whether listings of a cooperative at `place_code` skip review (set on the commune or above).
pub fn skips_review(conn: &mut Conn, place_code: &str) -> Result<bool, AppError> {
    let Some(row) = place(conn, place_code)? else {
        return Ok(false);
    };
    let chain = places_by_codes(conn, &row.path_codes())?;
    Ok(chain.iter().any(|p| p.skip_review))
}

/// Whether the cooperative's listings skip review: the setting of its home commune (or of a
/// place above it), never of the place a member picks for a listing.
pub fn cooperative_skips_review(conn: &mut Conn, cooperative_id: i64) -> Result<bool, AppError> {
    let home: Option<String> = with_conn!(conn, |c| cooperatives::table
        .find(cooperative_id)
        .select(cooperatives::place_code)
        .first(c)
        .optional())?;
    match home {
        Some(home) => skips_review(conn, &home),
        None => Ok(false),
    }
}

/// Whether a listing of a cooperative at `home` may name `place`: a place in the same province
/// (its path starts at the same top place), which keeps out the rest of the country.
pub fn may_sell_from(conn: &mut Conn, home: &str, place: &str) -> Result<bool, AppError> {
    if home == place {
        return Ok(true);
    }
    let province = |row: Option<PlaceRow>| row.and_then(|r| r.path_codes().into_iter().next());
    let home_top = province(self::place(conn, home)?);
    let place_top = province(self::place(conn, place)?);
    Ok(home_top.is_some() && home_top == place_top)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCooperative {
    pub slug: String,
    pub name: String,
    pub place: String,
    #[serde(default)]
    pub phone: Option<String>,
}

pub fn cooperative_by_slug(conn: &mut Conn, slug: &str) -> Result<Option<Cooperative>, AppError> {
    with_conn!(conn, |c| cooperatives::table
        .filter(cooperatives::slug.eq(slug))
        .select(Cooperative::as_select())
        .first(c)
        .optional())
    .map_err(AppError::from)
}

pub fn cooperative_by_id(conn: &mut Conn, id: i64) -> Result<Option<Cooperative>, AppError> {
    with_conn!(conn, |c| cooperatives::table
        .find(id)
        .select(Cooperative::as_select())
        .first(c)
        .optional())
    .map_err(AppError::from)
}

pub fn all_cooperatives(conn: &mut Conn) -> Result<Vec<Cooperative>, AppError> {
    with_conn!(conn, |c| cooperatives::table
        .order(cooperatives::name.asc())
        .select(Cooperative::as_select())
        .load(c))
    .map_err(AppError::from)
}

fn check_cooperative(new: &NewCooperative) -> Vec<crate::error::FieldError> {
    use crate::error::FieldError;
    let mut errors = Vec::new();
    let slug_ok = !new.slug.is_empty()
        && new.slug.len() <= 80
        && new
            .slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !slug_ok {
        errors.push(FieldError::new("slug", Message::SlugFormat));
    }
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 150 || name.chars().any(char::is_control) {
        errors.push(FieldError::new("name", Message::CooperativeNameLength));
    }
    if let Some(phone) = &new.phone {
        let ok = phone.len() <= 20
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || c == ' ' || c == '+' || c == '.' || c == '-');
        if !ok {
            errors.push(FieldError::new("phone", Message::Phone));
        }
    }
    errors
}

/// What saving a cooperative whose slug exists does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// Refuse: the slug is taken.
    Refuse,
    /// Update that cooperative.
    Update,
}

/// Creates a cooperative, or (with [`OnExisting::Update`]) updates the one with this slug.
pub fn save_cooperative(
    conn: &mut Conn,
    new: &NewCooperative,
    on_existing: OnExisting,
) -> Result<Cooperative, AppError> {
    let errors = check_cooperative(new);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let new = new.clone();
    conn.transaction(move |conn| {
        if place(conn, &new.place)?.is_none() {
            return Err(AppError::field("place", Message::UnknownPlace));
        }
        let name = new.name.trim().to_owned();
        match cooperative_by_slug(conn, &new.slug)? {
            Some(existing) if on_existing == OnExisting::Update => {
                with_conn!(conn, |c| diesel::update(
                    cooperatives::table.find(existing.id)
                )
                .set((
                    cooperatives::name.eq(&name),
                    cooperatives::place_code.eq(&new.place),
                    cooperatives::phone.eq(&new.phone),
                ))
                .execute(c))?;
                // The festival calendar keeps its events' listings, cooperative included.
                super::calendar_version::bump(conn)?;
                if existing.name != name || existing.phone != new.phone {
                    // Search documents show the cooperative's name, listings its phone too.
                    let ids: Vec<i64> = with_conn!(conn, |c| listings::table
                        .filter(listings::cooperative_id.eq(existing.id))
                        .filter(listings::status.eq(ListingStatus::Published.as_str()))
                        .select(listings::id)
                        .load(c))?;
                    outbox::enqueue(conn, &ids)?;
                }
            }
            Some(_) => return Err(AppError::conflict("slug", Message::CooperativeSlugTaken)),
            None => {
                with_conn!(conn, |c| diesel::insert_into(cooperatives::table)
                    .values((
                        cooperatives::slug.eq(&new.slug),
                        cooperatives::name.eq(&name),
                        cooperatives::place_code.eq(&new.place),
                        cooperatives::phone.eq(&new.phone),
                        cooperatives::created_at.eq(now()),
                    ))
                    .execute(c))?;
            }
        }
        cooperative_by_slug(conn, &new.slug)?
            .ok_or_else(|| AppError::new(Code::CooperativeNotFound))
    })
}

/// Display text of a category.
pub fn category_name(cat: &Category) -> Localized {
    Localized {
        vi: cat.name_vi.clone(),
        en: Some(cat.name_en.clone()),
    }
}
