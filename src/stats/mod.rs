//! Shoppers' views of listing pages: who counts (no bots, no HEAD requests), counted in memory on
//! the request path and written to the database every few seconds in one upsert; and the numbers
//! members ([`listing`]) and commune officers ([`report`]) read.

pub mod listing;
pub mod report;

use crate::error::AppError;
use crate::store::{stats as rows, Db};
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The one rule for who is not a shopper: crawlers, link previews (Facebook, Zalo's preview
/// fetcher), HTTP libraries and command-line tools, and requests that name no browser at all.
/// Listing views and marketplace clicks are counted only for everyone else.
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.trim().to_ascii_lowercase();
    if ua.is_empty() {
        return true;
    }
    // Zalo's in-app browser (a shopper who opened a link sent in a chat) names its theme and
    // language; its link-preview fetcher does not.
    let zalo_preview = ua.contains("zalo") && !ua.contains("zalotheme");
    zalo_preview
        || [
            "bot",
            "crawl",
            "spider",
            "slurp",
            "facebookexternalhit",
            "facebookcatalog",
            "meta-externalagent",
            "preview",
            "curl/",
            "wget",
            "python",
            "go-http-client",
            "java/",
            "libwww",
            "httpclient",
            "okhttp",
            "node-fetch",
            "axios/",
            "scrapy",
        ]
        .iter()
        .any(|marker| ua.contains(marker))
}

/// The day a stored UTC time was in Vietnam (UTC+7): views and clicks are counted per local day.
pub fn local_day(at: NaiveDateTime) -> NaiveDate {
    (at + chrono::Duration::hours(7)).date()
}

/// Today in Vietnam.
pub fn today() -> NaiveDate {
    local_day(chrono::Utc::now().naive_utc())
}

type Pending = HashMap<(i64, NaiveDate), i64>;

/// Views counted since the last flush, per listing and day. Cloning shares the counts.
#[derive(Clone)]
pub struct ViewCounter {
    db: Db,
    pending: Arc<Mutex<Pending>>,
    /// One flush at a time: a flush that returns has written everything counted before it began.
    flushing: Arc<tokio::sync::Mutex<()>>,
}

impl ViewCounter {
    pub fn new(db: Db) -> ViewCounter {
        ViewCounter {
            db,
            pending: Arc::default(),
            flushing: Arc::default(),
        }
    }

    fn pending(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock cannot leave the map half-written: keep counting.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one shopper's view of a listing today: memory only, never the database.
    pub fn count(&self, listing_id: i64) {
        *self.pending().entry((listing_id, today())).or_insert(0) += 1;
    }

    /// Views counted and not yet written.
    pub fn unwritten(&self) -> i64 {
        self.pending().values().sum()
    }

    /// Writes the views counted so far in one upsert; returns how many (listing, day) rows it
    /// wrote. When the database refuses, the counts are kept for the next flush.
    pub async fn flush(&self) -> Result<usize, AppError> {
        let _one_at_a_time = self.flushing.lock().await;
        let taken = std::mem::take(&mut *self.pending());
        if taken.is_empty() {
            return Ok(0);
        }
        let counts: Vec<(i64, NaiveDate, i64)> = taken
            .iter()
            .map(|(&(listing, day), &views)| (listing, day, views))
            .collect();
        let written = counts.len();
        match self
            .db
            .run(move |conn| rows::add_views(conn, &counts))
            .await
        {
            Ok(()) => {
                let views: i64 = taken.values().sum();
                crate::metrics::with(|m| m.listing_views.inc_by(views.unsigned_abs()));
                Ok(written)
            }
            Err(e) => {
                let mut pending = self.pending();
                for (key, views) in taken {
                    *pending.entry(key).or_insert(0) += views;
                }
                Err(e)
            }
        }
    }

    /// Flushes every `every` until the task is aborted (the shell flushes once more at shutdown).
    pub fn spawn_flusher(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let counter = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                if let Err(e) = counter.flush().await {
                    tracing::warn!(error = %e, "listing views not written; kept for the next try");
                }
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shoppers_browsers_count_and_robots_do_not() {
        let shoppers = [
            "Mozilla/5.0 (Linux; Android 10; SM-A105F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
            // Zalo's in-app browser: a shopper who tapped a link in a chat.
            "Mozilla/5.0 (Linux; Android 12; SM-A125F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0 Mobile Safari/537.36 Zalo android/12110688 ZaloTheme/light ZaloLanguage/vi",
            "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/441.0.0.23.105;]",
        ];
        for ua in shoppers {
            assert!(!is_bot(ua), "a shopper taken for a bot: {ua}");
        }
        let robots = [
            "",
            "   ",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
            "Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/searchengine)",
            "Baiduspider+(+http://www.baidu.com/search/spider.htm)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Zalo",
            "Mozilla/5.0 (compatible; ZaloLinkPreview/1.0)",
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 (Zalo link preview)",
            "curl/8.5.0",
            "Wget/1.21.4",
            "python-requests/2.31.0",
            "Python-urllib/3.11",
            "Go-http-client/1.1",
            "Java/17.0.2",
            "okhttp/4.12.0",
            "Scrapy/2.11 (+https://scrapy.org)",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            "Mozilla/5.0 (compatible; SemrushBot-SA/0.97)",
            "CCBot/2.0 (https://commoncrawl.org/faq/)",
        ];
        for ua in robots {
            assert!(is_bot(ua), "a robot counted as a shopper: {ua:?}");
        }
    }

    #[test]
    fn a_day_is_the_day_in_vietnam() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(local_day(at("2026-12-02 16:59:59")), day("2026-12-02"));
        assert_eq!(local_day(at("2026-12-02 17:00:00")), day("2026-12-03"));
    }
}
