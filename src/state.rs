//! What every request handler may reach: settings, the database, search, media, the photo pool,
//! the response cache, the sign-in limiter, the upload budget, rendered sitemaps, running imports
//! the listing views counted since the last write, the festival calendar and the storefront answers
//! kept by version.

use crate::config::Settings;
use crate::http::microcache::MicroCache;
use crate::http::sitemap_cache::SitemapCache;
use crate::media::{MediaStore, PhotoPool};
use crate::search::SearchIndex;
use crate::sign_in::LoginLimiter;
use crate::store::Db;
use std::sync::Arc;

/// Everything a request handler may need.
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub search: Arc<SearchIndex>,
    pub media: MediaStore,
    /// Base of photo URLs in pages and API answers: `/media`, or `VUNGCAO_MEDIA_PUBLIC_URL`.
    pub media_base: Arc<str>,
    pub photo_pool: PhotoPool,
    pub login_limiter: LoginLimiter,
    /// Upload bytes in flight and uploads per account, admitted before a body is read.
    pub uploads: crate::uploads::UploadGate,
    pub microcache: Arc<MicroCache>,
    pub sitemaps: SitemapCache,
    /// The bulk imports this process runs (their rows answer for them everywhere).
    pub imports: Arc<crate::transfer::jobs::Registry>,
    /// Shoppers' listing page views, counted in memory and written every few seconds.
    pub views: crate::stats::ViewCounter,
    /// Every published event's occurrences, rebuilt when the events change (on any replica).
    pub calendar: Arc<crate::festivals::FestivalCalendar>,
    /// Storefront answers (home page, festival calendar) kept by the stored version they show.
    pub kept: Arc<crate::http::kept_answers::KeptAnswers>,
    /// The versions those answers are kept by, each read once for the requests waiting on it.
    pub versions: Arc<crate::store::shared_read::StoredVersions>,
    /// Listings' details as the API's JSON by slug: on PostgreSQL the reads arriving together
    /// are one statement (`store::read_batches`).
    pub details: crate::store::read_batches::ReadBatches<String, (i64, String)>,
    /// The search page's category and place names, kept by the storefront's version.
    pub filter_names:
        Arc<crate::http::kept_answers::KeptValue<crate::store::catalogue::FilterNames>>,
}
