//! The application shell: builds state, binds the listener and runs the server. Tests use the
//! very same builder on port 0.

use crate::api;
use crate::api::microcache::MicroCache;
use crate::api::ops::Metrics;
use crate::api::session::LoginLimiter;
use crate::config::Settings;
use crate::error::{AppError, Code};
use crate::media::{MediaStore, PhotoPool};
use crate::search::SearchIndex;
use crate::store::{listings, Db};
use actix_web::body::BoxBody;
use actix_web::dev::{Server, Service, ServiceResponse};
use actix_web::middleware::Compress;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use futures_util::future::LocalBoxFuture;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

/// Everything a request handler may need.
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub search: Arc<SearchIndex>,
    pub media: MediaStore,
    pub photo_pool: PhotoPool,
    pub metrics: Metrics,
    pub login_limiter: LoginLimiter,
    pub microcache: Arc<MicroCache>,
}

pub struct Application {
    port: u16,
    server: Server,
    search: Arc<SearchIndex>,
    indexer: Option<tokio::task::JoinHandle<()>>,
}

/// Where photos live: a local folder (`VUNGCAO_MEDIA_URL`, default `./media`).
pub fn open_media(settings: &Settings) -> anyhow::Result<MediaStore> {
    let url = settings.media_url.as_str();
    if url.contains("://") && !url.starts_with("file://") {
        anyhow::bail!(
            "VUNGCAO_MEDIA_URL={url}: only a local folder is supported so far (S3-compatible storage is not implemented yet)"
        );
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

/// An empty index next to a database with published listings (a fresh index folder, a new
/// schema version, a new Meilisearch) is rebuilt in the background.
async fn rebuild_if_empty(db: Db, index: Arc<SearchIndex>) {
    let published = db.run(listings::count_published).await.unwrap_or(0);
    let indexed = index.doc_count().await.unwrap_or(0);
    let stale = matches!(&*index, SearchIndex::Tantivy(t) if t.needs_rebuild());
    if published > 0 && (indexed == 0 || stale) {
        tracing::info!(
            published,
            "search index is empty; rebuilding from the database"
        );
        match crate::indexer::reindex(&db, &index, |_, _| {}).await {
            Ok(n) => tracing::info!(documents = n, "search index rebuilt"),
            Err(e) => tracing::error!(error = %e, "search index rebuild failed"),
        }
    }
}

impl Application {
    /// Connects to the database, applies migrations and binds `settings.listen`.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = Db::connect(&settings.database_url(), settings.db_pool_size)?;
        {
            let db = db.clone();
            tokio::task::spawn_blocking(move || db.migrate()).await??;
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
        let microcache = Arc::new(MicroCache::new(Duration::from_secs(
            settings.response_cache_seconds,
        )));
        let indexer = if settings.indexer {
            tokio::spawn(rebuild_if_empty(db.clone(), search.clone()));
            let cache = microcache.clone();
            Some(crate::indexer::spawn(
                db.clone(),
                search.clone(),
                Arc::new(move || cache.invalidate()),
            ))
        } else {
            // No indexer here: the query understanding's vocabulary is read once from the
            // database (another process keeps the index itself current).
            let (db, search) = (db.clone(), search.clone());
            tokio::spawn(async move {
                if let Err(e) = crate::indexer::load_vocabulary(&db, &search).await {
                    tracing::warn!(error = %e, "loading the search vocabulary");
                }
            });
            None
        };
        let listener = TcpListener::bind(&settings.listen)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            settings: Arc::new(settings),
            db,
            search: search.clone(),
            media,
            photo_pool,
            metrics: Metrics::default(),
            login_limiter: LoginLimiter::default(),
            microcache,
        });
        let server = HttpServer::new(move || {
            let metrics_state = state.clone();
            let cache_state = state.clone();
            App::new()
                .app_data(state.clone())
                .configure(api::configure)
                .configure(crate::web::configure)
                .default_service(web::to(not_found))
                .wrap_fn(move |req, srv| {
                    let cache = cache_state.microcache.clone();
                    let answer: LocalBoxFuture<
                        'static,
                        Result<ServiceResponse<BoxBody>, actix_web::Error>,
                    > = match cache.lookup(&req) {
                        Some(hit) => {
                            let res = req.into_response(hit);
                            Box::pin(async move { Ok(res) })
                        }
                        None => {
                            let key = cache.key_for(&req);
                            let method = req.method().clone();
                            let fut = srv.call(req);
                            Box::pin(async move {
                                let res = fut.await?.map_into_boxed_body();
                                cache.observe(&method, key, res).await
                            })
                        }
                    };
                    answer
                })
                .wrap(Compress::default())
                .wrap_fn(move |req, srv| {
                    let started = Instant::now();
                    // Only pay for copying the request line when it will be logged.
                    let line = tracing::enabled!(tracing::Level::INFO)
                        .then(|| (req.method().clone(), req.path().to_owned()));
                    let state = metrics_state.clone();
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await?;
                        let status = res.status().as_u16();
                        let micros =
                            u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                        state.metrics.observe(status, micros);
                        if let Some((method, path)) = line {
                            tracing::info!(%method, %path, status, micros, "request");
                        }
                        Ok(res)
                    }
                })
        })
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            search,
            indexer,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server and the indexer (tests stop an app before dropping its database).
    pub fn stopper(&self) -> Stopper {
        Stopper {
            server: self.server.handle(),
            indexer: self.indexer.as_ref().map(|i| i.abort_handle()),
        }
    }

    /// The search index this app serves from (one writer per embedded index: share this one).
    pub fn search(&self) -> Arc<SearchIndex> {
        self.search.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(indexer) = self.indexer {
            indexer.abort();
        }
        result
    }
}

pub struct Stopper {
    server: actix_web::dev::ServerHandle,
    indexer: Option<tokio::task::AbortHandle>,
}

impl Stopper {
    /// Asks the server to stop at once and ends the indexer; returns without waiting.
    pub fn stop(&self) {
        if let Some(indexer) = &self.indexer {
            indexer.abort();
        }
        // The stop command is sent when `stop` is called; awaiting only waits for completion.
        drop(self.server.stop(false));
    }
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") {
        actix_web::ResponseError::error_response(&AppError::new(Code::NotFound))
    } else {
        crate::web::not_found(&req)
    }
}
