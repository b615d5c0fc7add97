//! Rendered sitemap files kept for ten minutes, so a crawler's visits cost one render each.

use crate::error::{AppError, Code};
use actix_web::web::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a rendered file is served before it is rebuilt.
const KEEP: Duration = Duration::from_secs(600);

/// Rendered sitemap files by path, each with the moment it was rendered.
#[derive(Default)]
pub struct SitemapCache {
    files: Mutex<HashMap<String, (Instant, Bytes)>>,
}

impl SitemapCache {
    /// The file under `path`, rendered by `render` unless a fresh copy is kept.
    pub async fn get_or_render<F>(&self, path: &str, render: F) -> Result<Bytes, AppError>
    where
        F: std::future::Future<Output = Result<Option<String>, AppError>>,
    {
        if let Ok(files) = self.files.lock() {
            if let Some((at, body)) = files.get(path) {
                if at.elapsed() < KEEP {
                    return Ok(body.clone());
                }
            }
        }
        let Some(body) = render.await? else {
            return Err(AppError::new(Code::NotFound));
        };
        let body = Bytes::from(body);
        if let Ok(mut files) = self.files.lock() {
            files.retain(|_, (at, _)| at.elapsed() < KEEP);
            files.insert(path.to_owned(), (Instant::now(), body.clone()));
        }
        Ok(body)
    }
}
