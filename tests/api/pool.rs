//! The database connections the app keeps. They are not tested before every use (that was one
//! more PostgreSQL round trip per request), so a connection the server dropped (a restart, a
//! network cut) must be found after it fails once and replaced, never handed out again.

use crate::helpers::{spawn_app_with, Backend};
use diesel::connection::SimpleConnection;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_postgres_connections_are_replaced() {
    // Every answer read from the database, none from the response cache.
    let Some(app) = spawn_app_with(Backend::Postgres, |s| s.response_cache_seconds = 0).await
    else {
        return;
    };
    let (status, page) = app.get_json("/api/v1/listings?limit=1").await;
    assert_eq!(status, 200, "{page}");
    let slug = page["items"][0]["slug"].as_str().unwrap().to_owned();
    let detail = format!("/api/v1/listings/{slug}");
    // Open several of the app's connections at once.
    let answers = futures_util::future::join_all((0..8).map(|_| app.get_json(&detail))).await;
    assert!(answers.iter().all(|(s, _)| *s == 200));

    // The server drops every connection to this test's database but the one asking.
    app.db
        .run(|conn| {
            vungcao::with_conn!(conn, |c| c.batch_execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ))
            .map_err(vungcao::error::AppError::from)
        })
        .await
        .unwrap();

    // At most one failed answer per dropped connection (the app's pool holds up to 8), each a
    // 5xx problem; then every answer is the listing again.
    let mut failed = 0;
    for _ in 0..12 {
        let (status, body) = app.get_json(&detail).await;
        if status == 200 {
            assert_eq!(body["slug"], slug.as_str());
        } else {
            assert!(status >= 500, "{status} {body}");
            failed += 1;
        }
    }
    assert!(failed <= 8, "{failed} failed answers");
    for _ in 0..10 {
        let (status, body) = app.get_json(&detail).await;
        assert_eq!(status, 200, "{body}");
    }
}
