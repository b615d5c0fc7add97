//! What templates show, prepared from the store's views: prices, dates, pictures and cards.

use super::i18n::Lang;
use crate::domain::listing::{ListingKind, Localized};
use crate::store::listings::{EventView, ListingBrief, ListingView, Price};
use crate::store::photos::PhotoView;
use base64::Engine;
use chrono::{Datelike, NaiveDate};

/// 450000 → "450.000 ₫" (Vietnamese groups thousands with dots).
pub fn vnd(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 6);
    if amount < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out.push_str(" ₫");
    out
}

pub fn date(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::Vi => d.format("%d/%m/%Y").to_string(),
        Lang::En => d.format("%-d %b %Y").to_string(),
    }
}

pub fn date_range(lang: Lang, start: NaiveDate, end: NaiveDate) -> String {
    if start == end {
        date(lang, start)
    } else {
        format!("{} – {}", date(lang, start), date(lang, end))
    }
}

pub fn localized(lang: Lang, text: &Localized) -> String {
    match (lang, &text.en) {
        (Lang::En, Some(en)) if !en.trim().is_empty() => en.clone(),
        _ => text.vi.clone(),
    }
}

/// The listing's canonical path: events under `/le-hoi/`, products and experiences under `/san-pham/`.
pub fn listing_path(kind: ListingKind, slug: &str) -> String {
    kind.page_path(slug)
}

/// Where a page can be shared: its absolute address, and plain links (no third-party script)
/// that hand it, URL-encoded, to Zalo and Facebook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLinks {
    pub url: String,
    /// Zalo has no documented script-free share address; `share_inline` is the one its own
    /// button opens. The page's script offers the phone's share sheet (Zalo among its apps)
    /// first where the browser has one.
    pub zalo: String,
    pub facebook: String,
}

impl ShareLinks {
    pub fn of(page_url: &str) -> ShareLinks {
        let encoded: String = url::form_urlencoded::byte_serialize(page_url.as_bytes()).collect();
        ShareLinks {
            url: page_url.to_owned(),
            zalo: format!("https://sp.zalo.me/share_inline?url={encoded}"),
            facebook: format!("https://www.facebook.com/sharer/sharer.php?u={encoded}"),
        }
    }
}

/// A responsive picture: WebP and JPEG `srcset`s, intrinsic size, and a placeholder.
#[derive(Debug, Clone)]
pub struct Picture {
    pub webp_srcset: String,
    pub jpeg_srcset: String,
    pub src: String,
    pub width: i32,
    pub height: i32,
    /// Base64 ThumbHash, painted by the script.
    pub placeholder: String,
    /// The placeholder's average colour, painted without script.
    pub background: String,
}

impl Picture {
    pub fn of(photo: &PhotoView) -> Option<Picture> {
        let srcset = |format: &str| {
            let mut vs: Vec<_> = photo
                .variants
                .iter()
                .filter(|v| v.format == format)
                .collect();
            vs.sort_by_key(|v| v.width);
            vs.iter()
                .map(|v| format!("{} {}w", v.url, v.width))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let src = pick_jpeg(photo, 640)?;
        Some(Picture {
            webp_srcset: srcset("webp"),
            jpeg_srcset: srcset("jpeg"),
            src,
            width: photo.width.max(1),
            height: photo.height.max(1),
            placeholder: photo.placeholder.clone(),
            background: average_colour(&photo.placeholder),
        })
    }
}

/// The JPEG variant closest to `width` (at least that wide if there is one).
pub fn pick_jpeg(photo: &PhotoView, width: u32) -> Option<String> {
    let mut jpegs: Vec<_> = photo
        .variants
        .iter()
        .filter(|v| v.format == "jpeg")
        .collect();
    jpegs.sort_by_key(|v| v.width);
    jpegs
        .iter()
        .find(|v| v.width >= width)
        .or_else(|| jpegs.last())
        .map(|v| v.url.clone())
}

fn average_colour(placeholder: &str) -> String {
    let neutral = "#e7e2d6".to_owned();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(placeholder) else {
        return neutral;
    };
    match thumbhash::thumb_hash_to_average_rgba(&bytes) {
        Ok((r, g, b, _)) => format!(
            "rgb({},{},{})",
            (r * 255.0).round() as u8,
            (g * 255.0).round() as u8,
            (b * 255.0).round() as u8
        ),
        Err(()) => neutral,
    }
}

/// A listing in a list: enough to recognise it and tap through.
#[derive(Debug, Clone)]
pub struct Card {
    pub url: String,
    pub name: String,
    pub price: String,
    pub place: String,
    pub ocop: String,
    pub when: String,
    pub picture: Option<Picture>,
    /// The category's drawing (inline SVG), shown when there is no picture.
    pub art: &'static str,
}

/// What a card shows, borrowed from a full view or a brief.
struct CardParts<'a> {
    kind: ListingKind,
    slug: &'a str,
    name: &'a Localized,
    price: Option<&'a Price>,
    place: &'a str,
    ocop_stars: Option<i16>,
    event: Option<&'a EventView>,
    photo: Option<&'a PhotoView>,
    category: &'a str,
}

impl Card {
    pub fn of(lang: Lang, l: &ListingView) -> Card {
        Card::of_parts(
            lang,
            CardParts {
                kind: l.kind,
                slug: &l.slug,
                name: &l.name,
                price: l.price.as_ref(),
                place: &l.place.name,
                ocop_stars: l.ocop.as_ref().map(|o| o.stars),
                event: l.event.as_ref(),
                photo: l.photos.first(),
                category: &l.category.code,
            },
        )
    }

    pub fn of_brief(lang: Lang, l: &ListingBrief) -> Card {
        Card::of_parts(
            lang,
            CardParts {
                kind: l.kind,
                slug: &l.slug,
                name: &l.name,
                price: l.price.as_ref(),
                place: &l.place_name,
                ocop_stars: l.ocop_stars,
                event: l.event.as_ref(),
                photo: l.photo.as_ref(),
                category: &l.category_code,
            },
        )
    }

    fn of_parts(lang: Lang, l: CardParts<'_>) -> Card {
        Card {
            url: listing_path(l.kind, l.slug),
            name: localized(lang, l.name),
            price: price_of(l.price),
            place: l.place.to_owned(),
            ocop: l
                .ocop_stars
                .map(|stars| lang.ocop_stars(stars))
                .unwrap_or_default(),
            when: l
                .event
                .and_then(|e| Some(date_range(lang, e.next_start?, e.next_end?)))
                .unwrap_or_default(),
            picture: l.photo.and_then(Picture::of),
            art: super::art::for_category(l.category),
        }
    }

    pub fn list(lang: Lang, items: &[ListingView]) -> Vec<Card> {
        items.iter().map(|l| Card::of(lang, l)).collect()
    }

    pub fn briefs(lang: Lang, items: &[ListingBrief]) -> Vec<Card> {
        items.iter().map(|l| Card::of_brief(lang, l)).collect()
    }
}

/// "450.000 ₫ / hộp 200 g", or empty when there is no price.
pub fn price_text(l: &ListingView) -> String {
    price_of(l.price.as_ref())
}

fn price_of(price: Option<&Price>) -> String {
    match price {
        Some(p) => match &p.unit {
            Some(unit) if !unit.is_empty() => format!("{} / {unit}", vnd(p.vnd)),
            _ => vnd(p.vnd),
        },
        None => String::new(),
    }
}

pub fn month_of(d: NaiveDate) -> (i32, u32) {
    (d.year(), d.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_grouped_the_vietnamese_way() {
        assert_eq!(vnd(450_000), "450.000 ₫");
        assert_eq!(vnd(1_250_000), "1.250.000 ₫");
        assert_eq!(vnd(900), "900 ₫");
        assert_eq!(vnd(1000), "1.000 ₫");
    }

    #[test]
    fn dates_per_language() {
        let d = NaiveDate::from_ymd_opt(2027, 2, 10).unwrap_or_default();
        assert_eq!(date(Lang::Vi, d), "10/02/2027");
        assert_eq!(date(Lang::En, d), "10 Feb 2027");
    }
}
