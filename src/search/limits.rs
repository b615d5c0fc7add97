//! How much one search may ask for, the same for every backend and every front end: the facets
//! there are, and the caps on paging.

/// Facet fields, in the order results report them.
pub const FACETS: [&str; 7] = [
    "kind",
    "category_code",
    "place_path",
    "cooperative_slug",
    "ocop_stars",
    "certifications",
    "season_months",
];

/// Most values one facet reports, the first in byte order (Meilisearch's `maxValuesPerFacet`
/// with its alphabetical order): a million listings have tens of thousands of cooperatives, and
/// every search answering all of them would send shoppers on 3G a quarter of a megabyte.
pub const MAX_FACET_VALUES: usize = 1000;

/// Most hits one search returns, whatever the caller asks.
pub const MAX_LIMIT: usize = 200;

/// Deepest offset a search reaches, whatever the caller asks: the API's cursors and the
/// storefront's pages stop here too.
pub const MAX_OFFSET: usize = 1000;
