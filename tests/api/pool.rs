//! The database connections the app keeps. They are not tested before every use (that was one
//! more PostgreSQL round trip per request), so a connection the server dropped (a restart, a
//! network cut) must be found after it fails once and replaced, never handed out again.

use crate::helpers::{spawn_app_with, Backend};
use diesel::sql_types::{Array, BigInt, Integer};
use diesel::RunQueryDsl;

#[derive(diesel::QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

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
    // Sixteen answers at once (on PostgreSQL read together by the details' readers, see
    // `store::read_batches`; the pool opens all of its 8 connections at start).
    let burst = || futures_util::future::join_all((0..16).map(|_| app.get_json(&detail)));
    assert!(burst().await.iter().all(|(s, _)| *s == 200));

    // The server drops every connection to this test's database but the one asking, and the
    // dropped ones are gone before the app asks again.
    app.with_db(|conn| {
        let vungcao::store::Conn::Postgres(c) = conn else {
            panic!("a PostgreSQL app");
        };
        let dropped: Vec<i32> = diesel::sql_query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid()",
        )
        .load::<Pid>(&mut **c)
        .unwrap()
        .into_iter()
        .map(|p| p.pid)
        .collect();
        diesel::sql_query("SELECT pg_terminate_backend(pid) FROM unnest($1) AS pid")
            .bind::<Array<Integer>, _>(&dropped)
            .execute(&mut **c)
            .unwrap();
        assert!(dropped.len() >= 8, "{} connections dropped", dropped.len());
        for _ in 0..100 {
            let left: Count =
                diesel::sql_query("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE pid = ANY($1)")
                    .bind::<Array<Integer>, _>(&dropped)
                    .get_result(&mut **c)
                    .unwrap();
            if left.n == 0 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the dropped connections did not end");
    })
    .await;

    // At most one failed answer per dropped connection (each a 5xx problem), whenever the pool
    // happens to hand it out: a connection handed out again after failing would fail again, and
    // a batch of details read on a dropped connection is read again on another.
    let mut failed = 0;
    for _ in 0..10 {
        for (status, body) in burst().await {
            if status == 200 {
                assert_eq!(body["slug"], slug.as_str());
            } else {
                assert!(status >= 500, "{status} {body}");
                failed += 1;
            }
        }
    }
    assert!(failed <= 8, "{failed} failed answers of 160");
}

#[derive(diesel::QueryableByName)]
struct Plans {
    #[diesel(sql_type = BigInt)]
    generic_plans: i64,
    #[diesel(sql_type = BigInt)]
    custom_plans: i64,
}

/// On PostgreSQL a shopper's read keeps its statement's generic plan instead of planning each
/// execution for its values (`store::READ_SESSION`): a list page by month and price read ten
/// times on one read connection is planned once. Writes and bulk work keep PostgreSQL's own
/// choice on the main pool (a bulk load's statement planned generically on an empty table
/// would keep scanning it whole).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shoppers_reads_on_postgres_keep_their_plans() {
    let Some(app) = spawn_app_with(Backend::Postgres, |_| {}).await else {
        return;
    };
    // The demo's listings in season in June (four of them).
    let filter = vungcao::store::listings::ListingFilter {
        in_season_month: Some(6),
        price_max: Some(100_000_000),
        ..Default::default()
    };
    let read = |filter: vungcao::store::listings::ListingFilter| {
        move |conn: &mut vungcao::store::Conn| {
            let mut pages = Vec::new();
            for limit in 1..=10 {
                pages.push(
                    vungcao::store::listings::list_public_json(
                        conn,
                        &filter,
                        Default::default(),
                        None,
                        limit,
                        "/media",
                    )?
                    .0
                    .len(),
                );
            }
            let vungcao::store::Conn::Postgres(c) = conn else {
                panic!("a PostgreSQL app");
            };
            let plans: Plans = diesel::sql_query(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
                 WHERE statement LIKE '%season_mask%' AND statement LIKE '%listing_cards%'",
            )
            .get_result(&mut **c)
            .map_err(vungcao::error::AppError::from)?;
            Ok((pages, plans))
        }
    };
    let (pages, plans) = app.db.read(read(filter.clone())).await.unwrap();
    // The reads found them, as many as each page asked.
    assert_eq!(pages[..4], [1, 2, 3, 4]);
    assert!(pages[4..].iter().all(|n| *n == pages[9]), "{pages:?}");
    assert_eq!(plans.custom_plans, 0);
    assert!(plans.generic_plans >= 10, "{}", plans.generic_plans);
    // Work on the main pool plans each execution for its values (PostgreSQL's `auto`: its
    // first five executions at least).
    let (_, plans) = app.db.run(read(filter)).await.unwrap();
    assert!(plans.custom_plans >= 5, "{}", plans.custom_plans);
}
