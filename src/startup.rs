//! The application shell: builds state, binds the listener and runs the server. Tests use the
//! very same builder on port 0.

use crate::api;
use crate::api::ops::Metrics;
use crate::api::session::LoginLimiter;
use crate::config::Settings;
use crate::error::{AppError, Code};
use crate::store::Db;
use actix_web::dev::{Server, Service};
use actix_web::middleware::Compress;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

/// Everything a request handler may need.
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub metrics: Metrics,
    pub login_limiter: LoginLimiter,
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects to the database, applies migrations and binds `settings.listen`.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = Db::connect(&settings.database_url(), settings.db_pool_size)?;
        {
            let db = db.clone();
            tokio::task::spawn_blocking(move || db.migrate()).await??;
        }
        let listener = TcpListener::bind(&settings.listen)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            settings: Arc::new(settings),
            db,
            metrics: Metrics::default(),
            login_limiter: LoginLimiter::default(),
        });
        let server = HttpServer::new(move || {
            let metrics_state = state.clone();
            App::new()
                .app_data(state.clone())
                .configure(api::configure)
                .configure(crate::web::configure)
                .default_service(web::to(not_found))
                .wrap(Compress::default())
                .wrap_fn(move |req, srv| {
                    let started = Instant::now();
                    let method = req.method().clone();
                    let path = req.path().to_owned();
                    let state = metrics_state.clone();
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await?;
                        let status = res.status().as_u16();
                        let micros =
                            u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                        state.metrics.observe(status, micros);
                        tracing::info!(%method, %path, status, micros, "request");
                        Ok(res)
                    }
                })
        })
        .listen(listener)?
        .run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") {
        actix_web::ResponseError::error_response(&AppError::new(Code::NotFound))
    } else {
        crate::web::not_found(&req)
    }
}
