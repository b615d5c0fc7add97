//! HTTP conventions: caching, compression, OpenAPI, link-out and operations endpoints.

use crate::both_backends;
use crate::helpers::TestApp;
use reqwest::Method;

both_backends!(
    etag_and_not_modified,
    responses_are_compressed,
    openapi_document_and_docs_page,
    link_out_counts_and_redirects,
);
both_backends!(@no_indexer health_readiness_and_metrics);

async fn etag_and_not_modified(app: TestApp) {
    let res = app.get("/api/v1/listings/le-vang-hong-thai").await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let res = app
        .client
        .get(app.url("/api/v1/listings/le-vang-hong-thai"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert!(res.bytes().await.unwrap().is_empty());
    // An edit changes the ETag.
    app.patch(
        "/api/v1/my/listings/5",
        &app.admin_token,
        serde_json::json!({"price_vnd": 99000}),
    )
    .await;
    let res = app
        .client
        .get(app.url("/api/v1/listings/le-vang-hong-thai"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn responses_are_compressed(app: TestApp) {
    let res = app
        .client
        .get(app.url("/api/v1/listings?limit=50"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
}

async fn openapi_document_and_docs_page(app: TestApp) {
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/listings",
        "/api/v1/listings/{slug}",
        "/api/v1/my/listings/{id}/submit",
        "/api/v1/admin/review",
        "/api/v1/events",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path}");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // Search documents its understanding: `explain=true` and the `did_you_mean` answer.
    let search_params = doc["paths"]["/api/v1/search"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert!(search_params.iter().any(|p| p["name"] == "explain"));
    let search_page = &doc["components"]["schemas"]["SearchPage"]["properties"];
    assert!(search_page["did_you_mean"].is_object() && search_page["explain"].is_object());
    let page = app.get("/api/docs").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/api/v1/my/listings"));
    assert!(html.contains("id=\"problem-listing_not_found\""));
}

async fn link_out_counts_and_redirects(app: TestApp) {
    let (_, tea) = app
        .get_json("/api/v1/listings/che-shan-tuyet-co-thu-hong-thai")
        .await;
    let go = tea["marketplace_links"][0]["go_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app.get(&go).await;
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers()["location"],
        "https://shopee.vn/che-shan-tuyet-hong-thai-i.1001.2001"
    );
    app.get(&go).await;
    // A crawler is not a shopper.
    app.client
        .get(app.url(&go))
        .header("user-agent", "facebookexternalhit/1.1")
        .send()
        .await
        .unwrap();
    let (status, report) = app
        .send(Method::GET, "/api/v1/my/clicks", &app.tea_token, None)
        .await;
    assert_eq!(status, 200);
    let shopee = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["platform"] == "shopee")
        .unwrap();
    assert_eq!(shopee["clicks"], 2);
    assert_eq!(app.get("/go/999999").await.status(), 404);
    assert_eq!(
        app.get("/go/https%3A%2F%2Fevil.example").await.status(),
        404
    );
    app.send(
        Method::DELETE,
        "/api/v1/my/listings/1",
        &app.tea_token,
        None,
    )
    .await;
    let res = app.get(&go).await;
    assert_eq!(
        res.status(),
        404,
        "an archived listing's link no longer redirects"
    );
    assert!(res.headers().get("location").is_none());
}

async fn health_readiness_and_metrics(app: TestApp) {
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.get("/api/v1/listings").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("vungcao_http_responses_total{class=\"2xx\"}"));
    assert!(metrics.contains("vungcao_outbox_pending 34"), "{metrics}");
}

/// Renames a listing behind the app's back (as another replica or the CLI would).
async fn rename_directly(app: &TestApp, slug: &'static str, name: &'static str) {
    app.with_db(move |c| {
        use diesel::prelude::*;
        use vungcao::store::schema::listings;
        vungcao::with_conn!(c, |c| diesel::update(
            listings::table.filter(listings::slug.eq(slug))
        )
        .set(listings::name_vi.eq(name))
        .execute(c))
        .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_answers_are_kept_until_a_write() {
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await else {
        return;
    };
    let path = "/api/v1/listings/le-vang-hong-thai";
    let (_, first) = app.get_json(path).await;
    assert_eq!(first["name"]["vi"], "Lê vàng Hồng Thái");
    rename_directly(&app, "le-vang-hong-thai", "Lê vàng (đổi ngoài)").await;
    let (_, kept) = app.get_json(path).await;
    assert_eq!(
        kept["name"]["vi"], "Lê vàng Hồng Thái",
        "served from memory within the TTL"
    );
    // Any write through this app clears the kept answers at once.
    app.post(
        "/api/v1/my/listings",
        &app.tea_token,
        crate::helpers::new_listing("Chè mới"),
    )
    .await;
    let (_, fresh) = app.get_json(path).await;
    assert_eq!(fresh["name"]["vi"], "Lê vàng (đổi ngoài)");
    // Member and admin answers are never kept.
    let (_, mine) = app
        .send(Method::GET, "/api/v1/my/listings", &app.tea_token, None)
        .await;
    assert!(mine["items"].as_array().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_response_cache_can_be_turned_off() {
    let Some(app) = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |s| {
        s.response_cache_seconds = 0
    })
    .await
    else {
        return;
    };
    let path = "/api/v1/listings/le-vang-hong-thai";
    app.get_json(path).await;
    rename_directly(&app, "le-vang-hong-thai", "Lê vàng (đổi ngoài)").await;
    let (_, fresh) = app.get_json(path).await;
    assert_eq!(fresh["name"]["vi"], "Lê vàng (đổi ngoài)");
}
