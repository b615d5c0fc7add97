//! The application shell: opens what the app needs, builds its state, binds the listener and
//! runs the server. Tests use the very same builder on port 0.

use crate::api;
use crate::config::Settings;
use crate::error::{AppError, Code};
use crate::http::microcache::MicroCache;
use crate::http::middleware::{head, observe, response_cache, security_headers};
use crate::media::{MediaStore, PhotoPool, S3Config};
use crate::search::SearchIndex;
use crate::sign_in::LoginLimiter;
use crate::state::AppState;
use crate::store::Db;
use actix_web::dev::Server;
use actix_web::http::header::HeaderValue;
use actix_web::middleware::Compress;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

pub struct Application {
    port: u16,
    server: Server,
    search: Arc<SearchIndex>,
    indexer: Option<crate::indexer::IndexerTask>,
    shutdown_deadline: Duration,
    /// `/metrics` on its own address (`VUNGCAO_METRICS_LISTEN`) and its port, stopped with the
    /// main server.
    metrics_server: Option<(actix_web::dev::ServerHandle, u16)>,
    login_verifications: crate::sign_in::VerificationCount,
    uploads: crate::uploads::UploadGate,
    views: crate::stats::ViewCounter,
    /// Writes counted views every few seconds; stopped (after a last write) at shutdown.
    views_flusher: tokio::task::JoinHandle<()>,
}

/// glibc gives each thread that allocates concurrently its own arena, up to eight per core, and
/// an arena keeps what it once held: a server whose database and search threads come and go
/// grew by several MB per burst of distinct requests, arena by arena. One arena per core (at
/// least two) bounds that; an operator's `MALLOC_ARENA_MAX` wins. Call before any thread starts.
pub fn bound_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets a tunable of glibc's allocator; it is called before any
        // other thread of this process exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

/// Where photos live: a local folder, or an S3-compatible bucket (`VUNGCAO_MEDIA_URL=s3://…`).
/// The bucket is not contacted here, so the server starts (and serves pages) while it is down.
pub fn open_media(settings: &Settings) -> anyhow::Result<MediaStore> {
    let url = settings.media_url.as_str();
    if url.starts_with("s3://") {
        let (bucket, prefix) =
            S3Config::parse_url(url).map_err(|e| anyhow::anyhow!("VUNGCAO_MEDIA_URL: {e}"))?;
        let endpoint = settings.s3_endpoint.clone();
        let plain_http = endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://"));
        let config = S3Config {
            bucket,
            prefix,
            path_style: settings.s3_path_style.unwrap_or(endpoint.is_some()),
            allow_http: settings.s3_allow_http.unwrap_or(plain_http),
            endpoint,
            region: settings.s3_region.clone(),
            access_key_id: settings.s3_access_key_id.clone(),
            secret_access_key: settings.s3_secret_access_key.clone(),
            session_token: settings.s3_session_token.clone(),
        };
        return MediaStore::s3(config).map_err(|e| anyhow::anyhow!("VUNGCAO_MEDIA_URL={url}: {e}"));
    }
    if url.contains("://") && !url.starts_with("file://") {
        anyhow::bail!("VUNGCAO_MEDIA_URL={url}: use a local folder or s3://BUCKET[/PREFIX]");
    }
    let path = url.strip_prefix("file://").unwrap_or(url);
    std::fs::create_dir_all(path)
        .map_err(|e| anyhow::anyhow!("cannot create the media folder {path}: {e}"))?;
    Ok(MediaStore::local(path))
}

/// The search backend the settings name: Meilisearch when `VUNGCAO_MEILI_URL` is set, else the
/// embedded index under the data dir.
pub async fn open_search(settings: &Settings) -> anyhow::Result<SearchIndex> {
    match &settings.meili_url {
        Some(url) => SearchIndex::connect_meili(
            url,
            settings.meili_key.as_ref().map(|k| k.expose().to_owned()),
            &settings.meili_index,
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot use Meilisearch at {url}: {e}")),
        None => {
            let dir = settings.search_dir();
            tokio::task::spawn_blocking(move || SearchIndex::open_tantivy(&dir))
                .await?
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot open the search index in {} ({e}); is another vungcao process using it?",
                        settings.search_dir().display()
                    )
                })
        }
    }
}

impl Application {
    /// Connects to the database, applies migrations and binds `settings.listen`.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = Db::connect(&settings.database_url(), settings.db_pool_size())?;
        {
            let db = db.clone();
            tokio::task::spawn_blocking(move || db.migrate()).await??;
        }
        {
            // Imports left running by a server that is gone are reported failed.
            let db = db.clone();
            let backend = db.backend();
            let failed = tokio::task::spawn_blocking(move || {
                let mut conn = db.get()?;
                crate::transfer::jobs::fail_abandoned(&mut conn, backend)
            })
            .await??;
            if failed > 0 {
                tracing::warn!(
                    failed,
                    "imports left running by a stopped server marked failed"
                );
            }
        }
        {
            // Published listings without a stored view (a database from before them, a view
            // whose shape changed) are read from the tables until this has written theirs.
            let db = db.clone();
            tokio::task::spawn_blocking(move || {
                let started = std::time::Instant::now();
                let filled = db.get().and_then(|mut conn| {
                    crate::store::listings::cards::fill(&mut conn, |done| {
                        if done % 20_000 == 0 {
                            tracing::info!(done, "writing the stored views of published listings");
                        }
                    })
                });
                match filled {
                    Ok(0) => tracing::debug!("stored views of published listings all current"),
                    Ok(written) => tracing::info!(
                        written,
                        seconds = started.elapsed().as_secs_f64(),
                        "stored views of published listings written"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "writing the stored views failed; they are read from the tables")
                    }
                }
            });
        }
        {
            let db = db.clone();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = db.analyze() {
                    tracing::warn!(error = %e, "refreshing planner statistics failed");
                }
            });
        }
        let media = open_media(&settings)?;
        let photo_pool = PhotoPool::new(settings.photo_workers, settings.photo_queue);
        let search = Arc::new(open_search(&settings).await?);
        let microcache = Arc::new(MicroCache::new(
            Duration::from_secs(settings.response_cache_seconds),
            settings.response_cache_bytes,
        ));
        {
            // Every listing change this process commits stales the answers showing it.
            let cache = microcache.clone();
            db.changes()
                .listen(Arc::new(move |ids: &[i64]| cache.listings_changed(ids)));
        }
        let tell = {
            let (listings, all) = (microcache.clone(), microcache.clone());
            crate::indexer::Tell {
                listings: Arc::new(move |ids: &[i64]| listings.listings_changed(ids)),
                vocabulary_read: Arc::new(move || all.everything_changed()),
            }
        };
        let indexer = if settings.indexer {
            Some(crate::indexer::spawn(db.clone(), search.clone(), tell))
        } else {
            // No indexer here: another process keeps the index itself current; the query
            // understanding's vocabulary is read from the database and, on a shared index,
            // follows what the indexing processes record.
            Some(crate::indexer::spawn_follower(
                db.clone(),
                search.clone(),
                tell,
            ))
        };
        let listener = TcpListener::bind(&settings.listen)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let settings_shutdown = Duration::from_secs(settings.shutdown_seconds);
        let login_limiter = LoginLimiter::default();
        let login_verifications = login_limiter.checker.count();
        let uploads = crate::uploads::UploadGate::new(
            settings.upload_bytes_in_flight,
            settings.uploads_per_account,
        );
        let views = crate::stats::ViewCounter::new(db.clone());
        let views_flusher =
            views.spawn_flusher(Duration::from_secs(settings.stats_flush_seconds.max(1)));
        let media_base: Arc<str> = settings.media_base().into();
        let details = {
            let media_base = Arc::clone(&media_base);
            let readers = std::thread::available_parallelism().map_or(2, usize::from);
            crate::store::read_batches::ReadBatches::new(db.clone(), readers, move |conn, slugs| {
                crate::store::listings::published_json_by_slugs(conn, slugs, &media_base)
            })
        };
        let state = web::Data::new(AppState {
            media_base,
            details,
            settings: Arc::new(settings),
            db,
            search: search.clone(),
            media,
            photo_pool,
            login_limiter,
            uploads: uploads.clone(),
            microcache,
            sitemaps: Default::default(),
            imports: Default::default(),
            views: views.clone(),
            calendar: Default::default(),
            kept: Default::default(),
            versions: Default::default(),
            filter_names: Default::default(),
        });
        {
            let (db, calendar) = (state.db.clone(), state.calendar.clone());
            tokio::task::spawn_blocking(move || {
                if let Err(e) = db.get().and_then(|mut conn| calendar.prepare(&mut conn)) {
                    tracing::warn!(error = %e, "building the festival calendar");
                }
            });
        }
        // Photos served from a bucket or CDN must be allowed as images on every page.
        let media_origin = state
            .settings
            .media_public_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization());
        let csp = HeaderValue::from_str(&security_headers::content_security_policy(
            media_origin.as_deref(),
        ))?;
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let state = app_state.clone();
            App::new()
                .app_data(state.clone())
                .configure(api::configure)
                .configure(crate::web::configure)
                .default_service(web::to(not_found))
                .wrap_fn(response_cache::serve_from(state.microcache.clone()))
                .wrap_fn(security_headers::add(csp.clone()))
                .wrap(Compress::default())
                .wrap_fn(head::head_as_get)
                .wrap_fn(observe::observe_request)
        })
        // SIGTERM stops accepting, lets in-flight requests (and their photo jobs) finish within
        // the deadline, then `run_until_stopped` lets the indexer finish its batch.
        .shutdown_timeout(settings_shutdown.as_secs())
        .listen(listener)?
        .run();
        let metrics_server = match &state.settings.metrics_listen {
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .map_err(|e| anyhow::anyhow!("cannot listen for metrics on {addr}: {e}"))?;
                let metrics_port = listener.local_addr()?.port();
                let state = state.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(state.clone())
                        .route("/metrics", web::get().to(api::ops::metrics_on_own_address))
                })
                .workers(1)
                .disable_signals()
                .listen(listener)?
                .run();
                let handle = server.handle();
                tokio::spawn(server);
                Some((handle, metrics_port))
            }
            None => None,
        };
        Ok(Application {
            port,
            login_verifications,
            uploads,
            views,
            views_flusher,
            metrics_server,
            server,
            search,
            indexer,
            shutdown_deadline: settings_shutdown,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `/metrics` when `VUNGCAO_METRICS_LISTEN` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(_, port)| *port)
    }

    /// How many passwords this app has checked (argon2 runs; refused guesses never count).
    pub fn login_verifications(&self) -> crate::sign_in::VerificationCount {
        self.login_verifications.clone()
    }

    /// The upload budget this app admits uploads under.
    pub fn uploads(&self) -> crate::uploads::UploadGate {
        self.uploads.clone()
    }

    /// The listing views this app has counted; [`crate::stats::ViewCounter::flush`] writes them.
    pub fn views(&self) -> crate::stats::ViewCounter {
        self.views.clone()
    }

    /// Stops the server and the indexer (tests stop an app before dropping its database).
    pub fn stopper(&self) -> Stopper {
        Stopper {
            views_flusher: self.views_flusher.abort_handle(),
            server: self.server.handle(),
            metrics_server: self.metrics_server.as_ref().map(|(h, _)| h.clone()),
            indexer: self.indexer.as_ref().map(|i| i.abort_handle()),
        }
    }

    /// The search index this app serves from (one writer per embedded index: share this one).
    pub fn search(&self) -> Arc<SearchIndex> {
        self.search.clone()
    }

    /// Serves until the server is stopped (SIGTERM or SIGINT: graceful, within
    /// `VUNGCAO_SHUTDOWN_SECONDS`), then stops the indexer after its current batch.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        // Views counted by the last requests are written before the process ends.
        self.views_flusher.abort();
        match self.views.flush().await {
            Ok(rows) => tracing::info!(rows, "listing views written"),
            Err(e) => tracing::warn!(error = %e, "listing views counted at shutdown were lost"),
        }
        if let Some((metrics, _)) = self.metrics_server {
            metrics.stop(true).await;
        }
        if let Some(indexer) = self.indexer {
            indexer.shutdown(self.shutdown_deadline).await;
        }
        tracing::info!("vungcao stopped");
        result
    }
}

pub struct Stopper {
    server: actix_web::dev::ServerHandle,
    metrics_server: Option<actix_web::dev::ServerHandle>,
    indexer: Option<tokio::task::AbortHandle>,
    views_flusher: tokio::task::AbortHandle,
}

impl Stopper {
    /// Asks the server to stop at once and ends the indexer; returns without waiting.
    pub fn stop(&self) {
        if let Some(indexer) = &self.indexer {
            indexer.abort();
        }
        self.views_flusher.abort();
        // The stop command is sent when `stop` is called; awaiting only waits for completion.
        drop(self.server.stop(false));
        if let Some(metrics) = &self.metrics_server {
            drop(metrics.stop(false));
        }
    }
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") {
        actix_web::ResponseError::error_response(&AppError::new(Code::NotFound))
    } else {
        crate::web::not_found(&req)
    }
}
