//! Small inline SVG pictures, one per catalogue category, shown where a listing has no photo.
//!
//! A few hundred bytes each, drawn in a 48×48 box on a soft background, so a card or a listing
//! page without a photo shows what kind of thing it is instead of an empty square. They are
//! constants written here: nothing a member types ever reaches them, so pages insert them as is.

/// The picture for a category code of the catalogue (`tea`, `fruit`, …); a mountain scene for a
/// category this list does not know (an admin may add categories).
pub fn for_category(code: &str) -> &'static str {
    match code {
        "tea" => TEA,
        "fruit" => FRUIT,
        "vegetable" => VEGETABLE,
        "dried" => DRIED,
        "honey" => HONEY,
        "processed" => PROCESSED,
        "grain" => GRAIN,
        "livestock" => LIVESTOCK,
        "handicraft" => HANDICRAFT,
        "festival" => FESTIVAL,
        "homestay" => HOMESTAY,
        "tour" => TOUR,
        _ => HIGHLANDS,
    }
}

/// Tea: two leaves on a twig.
const TEA: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#e4efd9"/><path d="M24 40V22" stroke="#6b4f2a" stroke-width="2"/><path d="M24 24C12 24 9 14 12 8c9 0 14 7 12 16z" fill="#3f8a3a"/><path d="M24 30c10 0 15-8 12-15-8 0-13 6-12 15z" fill="#5aa64a"/></svg>"##;

/// Fruit: a king orange with its leaf.
const FRUIT: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#fdebd3"/><circle cx="24" cy="27" r="13" fill="#e98b1c"/><circle cx="20" cy="23" r="3" fill="#f4b25a"/><path d="M24 14c2-5 7-7 11-5-2 5-7 6-11 5z" fill="#3f8a3a"/></svg>"##;

/// Vegetables: a head of leafy greens.
const VEGETABLE: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#e6f2dc"/><circle cx="17" cy="26" r="9" fill="#4f9a3e"/><circle cx="31" cy="26" r="9" fill="#4f9a3e"/><circle cx="24" cy="20" r="10" fill="#6cb650"/><path d="M24 40V24M18 33l6-5 6 5" stroke="#d9ecc8" stroke-width="2" fill="none"/></svg>"##;

/// Dried goods: a tied bundle of dried bamboo shoots.
const DRIED: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#f1e7d6"/><path d="M15 40l4-30h3l-1 30zM22 40l2-31h3l1 31zM29 40l-1-30h3l4 30z" fill="#b8894a"/><path d="M13 26h22" stroke="#7a4e1e" stroke-width="3"/></svg>"##;

/// Honey: a drop beside a piece of comb.
const HONEY: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#fdf0cc"/><path d="M14 12l7 4v8l-7 4-7-4v-8zM28 12l7 4v8l-7 4-7-4v-8z" fill="#f2b930" stroke="#c8860f"/><path d="M30 30c4 5 5 8 5 10a5 5 0 0 1-10 0c0-2 1-5 5-10z" fill="#d9901a"/></svg>"##;

/// Processed foods: a jar with a red lid.
const PROCESSED: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#f3e6e0"/><rect x="13" y="16" width="22" height="24" rx="4" fill="#c9733f"/><rect x="15" y="9" width="18" height="7" rx="2" fill="#b3372c"/><rect x="16" y="24" width="16" height="8" fill="#f7efe2"/></svg>"##;

/// Grains: an ear of rice.
const GRAIN: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#f6efd2"/><path d="M24 42V8" stroke="#9c8a3a" stroke-width="2"/><g fill="#d6b13e"><ellipse cx="20" cy="14" rx="3" ry="5"/><ellipse cx="28" cy="18" rx="3" ry="5"/><ellipse cx="20" cy="24" rx="3" ry="5"/><ellipse cx="28" cy="28" rx="3" ry="5"/><ellipse cx="20" cy="34" rx="3" ry="5"/></g></svg>"##;

/// Meat and poultry: a hill hen.
const LIVESTOCK: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#f4e4d8"/><ellipse cx="22" cy="30" rx="13" ry="9" fill="#9a5a2e"/><circle cx="33" cy="19" r="6" fill="#9a5a2e"/><path d="M31 12l2-4 2 4z" fill="#c8302a"/><path d="M39 18l5 2-5 2z" fill="#e3a21a"/><path d="M18 38v5M26 38v5" stroke="#e3a21a" stroke-width="2"/></svg>"##;

/// Handicrafts: a strip of brocade with diamond patterns.
const HANDICRAFT: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#2d2a5a"/><rect y="16" width="48" height="16" fill="#c8302a"/><path d="M0 24l6-6 6 6-6 6zM12 24l6-6 6 6-6 6zM24 24l6-6 6 6-6 6zM36 24l6-6 6 6-6 6z" fill="#f2c14e"/><path d="M0 11h48M0 37h48" stroke="#f2c14e" stroke-width="2" stroke-dasharray="3 3"/></svg>"##;

/// Festivals: a pear blossom.
const FESTIVAL: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#f9e3ea"/><g fill="#fff" stroke="#e7b3c2"><circle cx="24" cy="14" r="7"/><circle cx="34" cy="21" r="7"/><circle cx="30" cy="33" r="7"/><circle cx="18" cy="33" r="7"/><circle cx="14" cy="21" r="7"/></g><circle cx="24" cy="24" r="5" fill="#e0577d"/></svg>"##;

/// Homestays: a stilt house.
const HOMESTAY: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#e3eef2"/><path d="M6 22L24 9l18 13z" fill="#7a4e1e"/><rect x="11" y="22" width="26" height="10" fill="#c99a5b"/><rect x="21" y="24" width="6" height="8" fill="#6b4f2a"/><path d="M13 32v10M24 32v10M35 32v10" stroke="#6b4f2a" stroke-width="2"/></svg>"##;

/// Tours and experiences: a path into the hills under the sun.
const TOUR: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#dcebf5"/><circle cx="36" cy="12" r="5" fill="#f2b930"/><path d="M0 38l14-18 10 12 8-8 16 14v10H0z" fill="#4f8a5b"/><path d="M20 48c2-6 8-8 6-14" stroke="#e8dcc0" stroke-width="3" fill="none"/></svg>"##;

/// Any other category: terraced hills.
const HIGHLANDS: &str = r##"<svg class="art" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" aria-hidden="true"><rect width="48" height="48" fill="#e7e2d6"/><path d="M0 34l16-16 12 12 6-6 14 14v10H0z" fill="#6f9a5a"/><path d="M4 40h40M8 44h32" stroke="#4f7a40" stroke-width="2"/></svg>"##;

#[cfg(test)]
mod tests {
    use super::*;

    const CODES: [&str; 12] = [
        "tea",
        "fruit",
        "vegetable",
        "dried",
        "honey",
        "processed",
        "grain",
        "livestock",
        "handicraft",
        "festival",
        "homestay",
        "tour",
    ];

    #[test]
    fn each_category_has_its_own_small_picture() {
        let mut seen = std::collections::HashSet::new();
        for code in CODES {
            let svg = for_category(code);
            assert!(
                svg.starts_with("<svg ") && svg.ends_with("</svg>"),
                "{code}"
            );
            assert!(svg.len() < 600, "{code}: {} bytes", svg.len());
            assert!(!svg.contains("<script") && !svg.contains(" on"), "{code}");
            assert!(seen.insert(svg), "{code} shares its picture");
        }
        assert!(!seen.contains(for_category("unknown-category")));
    }
}
