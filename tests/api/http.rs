//! HTTP conventions: caching, compression, OpenAPI, link-out and operations endpoints.

use crate::both_backends;
use crate::helpers::TestApp;
use reqwest::Method;

both_backends!(
    etag_and_not_modified,
    responses_are_compressed,
    openapi_document_and_docs_page,
    link_out_counts_and_redirects,
    head_answers_like_get_without_a_body,
    security_headers_on_pages_and_api,
    public_answers_are_kept_until_a_write_touches_them,
    an_edit_shows_at_once_while_other_listings_stay_kept,
);
both_backends!(@no_indexer health_readiness_and_metrics);
both_backends!(@settings |s| s.metrics_token = Some(vungcao::config::Secret::new("metrics-token-for-tests")); metrics_need_the_token_when_one_is_set);
both_backends!(@settings |s| s.metrics_listen = Some("127.0.0.1:0".into()); metrics_on_their_own_address_only);

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
    // The document says what the extractors answer before any handler runs, and problems come
    // as application/problem+json (found by bench/fuzz-api.sh).
    let submit = &doc["paths"]["/api/v1/my/listings/{id}/submit"]["post"]["responses"];
    for status in ["401", "403", "404"] {
        assert!(
            submit[status]["content"]["application/problem+json"].is_object(),
            "{status}: {submit}"
        );
    }
    let create = &doc["paths"]["/api/v1/my/listings"]["post"]["responses"];
    for status in ["400", "413", "415", "422"] {
        assert!(create[status].is_object(), "{status}: {create}");
    }
    assert!(doc["paths"]["/api/v1/listings"]["get"]["responses"]["400"].is_object());
    let res = app
        .client
        .get(app.url("/api/v1/my/listings/not-a-number"))
        .bearer_auth(&app.tea_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
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
    // Clicks are counted off the redirect's path: wait (bounded) for both to land.
    let mut clicks = serde_json::Value::Null;
    for _ in 0..50 {
        let (status, report) = app
            .send(Method::GET, "/api/v1/my/clicks", &app.tea_token, None)
            .await;
        assert_eq!(status, 200);
        clicks = report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["platform"] == "shopee")
            .map_or(serde_json::Value::Null, |r| r["clicks"].clone());
        if clicks == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(clicks, 2);
    // The window is the last 30 Vietnam days (UTC+7), the days clicks are counted on.
    // (Between 17:00 and 24:00 UTC the Vietnam day is the next UTC day.)
    let vietnam_today = || (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive();
    let before = vietnam_today();
    let (_, report) = app
        .send(Method::GET, "/api/v1/my/clicks", &app.tea_token, None)
        .await;
    let after = vietnam_today();
    let since = report["since"].as_str().unwrap().to_owned();
    assert!(
        [before, after]
            .iter()
            .any(|d| (*d - chrono::Duration::days(29)).to_string() == since),
        "since {since}, Vietnam today {before}"
    );
    // A click that cannot be counted (here: the counter's table is gone) still redirects.
    app.with_db(|c| {
        use diesel::connection::SimpleConnection;
        vungcao::with_conn!(c, |c| c.batch_execute("DROP TABLE link_clicks")).unwrap();
    })
    .await;
    let res = app.get(&go).await;
    assert_eq!(
        res.status(),
        302,
        "counting failed, the shopper still goes on"
    );
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
    let listed = app
        .client
        .get(app.url("/api/v1/listings/che-shan-tuyet-co-thu-hong-thai"))
        .header("x-request-id", "proxy-req-42")
        .send()
        .await
        .unwrap();
    // The proxy's request id is continued, and answered back.
    assert_eq!(listed.headers()["x-request-id"], "proxy-req-42");
    let fresh = app.get("/api/v1/listings").await;
    assert!(!fresh.headers()["x-request-id"].is_empty());
    app.get("/api/v1/search?q=che").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    // Latency by route pattern, never by raw path (slugs would explode the series).
    assert!(
        metrics.contains("vungcao_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/listings/{slug}\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(!metrics.contains("route=\"/api/v1/listings/che-shan"));
    for family in [
        "vungcao_search_duration_seconds_count{backend=\"tantivy\"}",
        "vungcao_db_pool_wait_seconds_bucket",
        "vungcao_photo_jobs_running",
        "vungcao_indexer_lag_seconds",
        "vungcao_search_vocabulary_listings",
    ] {
        assert!(metrics.contains(family), "{family}: {metrics}");
    }
    assert!(metrics.contains("vungcao_outbox_pending 34"), "{metrics}");
}

async fn metrics_need_the_token_when_one_is_set(app: TestApp) {
    assert_eq!(app.get("/metrics").await.status(), 404);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-for-tests")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(right
        .text()
        .await
        .unwrap()
        .contains("vungcao_outbox_pending"));
}

async fn metrics_on_their_own_address_only(app: TestApp) {
    assert_eq!(app.get("/metrics").await.status(), 404);
    let port = app.metrics_port.expect("a metrics port");
    let res = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("vungcao_http_request_duration_seconds"));
}

/// Renames a listing behind the app's back (as another replica or the CLI would).
/// Renames a listing the way another replica's write would reach this one: the row and its
/// stored view change in the database, and this process's response cache is not told.
async fn rename_directly(app: &TestApp, slug: &'static str, name: &'static str) {
    app.with_db(move |c| {
        use diesel::prelude::*;
        use vungcao::store::schema::listings;
        let id: i64 = vungcao::with_conn!(c, |c| diesel::update(
            listings::table.filter(listings::slug.eq(slug))
        )
        .set(listings::name_vi.eq(name))
        .returning(listings::id)
        .get_result(c))
        .unwrap();
        vungcao::store::listings::cards::refresh(c, &[id]).unwrap();
    })
    .await;
}

/// Waits until the indexer has applied the demo catalogue and told the cache (it does so right
/// after its last batch), so that the answers a test keeps are not staled by that.
async fn settled(app: &TestApp) {
    app.indexed().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
}

/// A listing's entry in the first public list page.
async fn in_list(app: &TestApp, id: i64) -> serde_json::Value {
    let (status, page) = app.get_json("/api/v1/listings?limit=100").await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("listing {id} listed: {page}"))
}

const OTHER: &str = "/api/v1/listings/le-vang-hong-thai";

async fn public_answers_are_kept_until_a_write_touches_them(app: TestApp) {
    settled(&app).await;
    let (_, first) = app.get_json(OTHER).await;
    assert_eq!(first["name"]["vi"], "Lê vàng Hồng Thái");
    let lemon = first["id"].as_i64().unwrap();
    in_list(&app, lemon).await;
    rename_directly(&app, "le-vang-hong-thai", "Lê vàng (đổi ngoài)").await;
    let (_, kept) = app.get_json(OTHER).await;
    assert_eq!(
        kept["name"]["vi"], "Lê vàng Hồng Thái",
        "served from memory within the TTL"
    );
    // A member's draft (created, edited) and a password change touch nothing shoppers see.
    let (status, draft) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            crate::helpers::new_listing("Chè mới"),
        )
        .await;
    assert_eq!(status, 201, "{draft}");
    let (status, edited) = app
        .patch(
            &format!("/api/v1/my/listings/{}", draft["id"]),
            &app.tea_token,
            serde_json::json!({"price_vnd": 123_000}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    let (status, _) = app
        .post(
            "/api/v1/me/password",
            &app.orange_token,
            serde_json::json!({"current_password": "mat-khau-an-toan", "new_password": "mat-khau-moi-an-toan"}),
        )
        .await;
    assert!(status < 300, "password changed: {status}");
    let (_, kept) = app.get_json(OTHER).await;
    assert_eq!(kept["name"]["vi"], "Lê vàng Hồng Thái", "still kept");
    assert_eq!(
        in_list(&app, lemon).await["name"]["vi"],
        "Lê vàng Hồng Thái",
        "the list is still kept"
    );
    // A write the cache cannot attribute to listings (a new cooperative) clears everything.
    let (status, coop) = app
        .post(
            "/api/v1/admin/cooperatives",
            &app.admin_token,
            serde_json::json!({"slug": "htx-mien-dong", "name": "HTX Miến dong Bình Yên", "place": "TQ-SD-TY"}),
        )
        .await;
    assert_eq!(status, 201, "{coop}");
    let (_, fresh) = app.get_json(OTHER).await;
    assert_eq!(fresh["name"]["vi"], "Lê vàng (đổi ngoài)");
    assert_eq!(
        in_list(&app, lemon).await["name"]["vi"],
        "Lê vàng (đổi ngoài)"
    );
    // Member and admin answers are never kept.
    let (_, mine) = app
        .send(Method::GET, "/api/v1/my/listings", &app.tea_token, None)
        .await;
    assert!(mine["items"].as_array().is_some());
}

async fn an_edit_shows_at_once_while_other_listings_stay_kept(app: TestApp) {
    settled(&app).await;
    let tea = "/api/v1/listings/che-shan-tuyet-co-thu-hong-thai";
    let (_, before) = app.get_json(tea).await;
    let id = before["id"].as_i64().unwrap();
    in_list(&app, id).await;
    app.get_json(OTHER).await;
    // The other listing changes behind the app's back: while its answer is kept, the old one
    // is what shoppers get.
    rename_directly(&app, "le-vang-hong-thai", "Lê vàng (đổi ngoài)").await;

    // A price change applies at once: the listing's page and the lists show it.
    let (status, edited) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            serde_json::json!({"price_vnd": 399_000}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(app.get_json(tea).await.1["price"]["vnd"], 399_000);
    assert_eq!(in_list(&app, id).await["price"]["vnd"], 399_000);
    assert_eq!(
        app.get_json(OTHER).await.1["name"]["vi"],
        "Lê vàng Hồng Thái",
        "another listing's answer stays kept"
    );

    // A renamed listing waits for review; once approved, its page and the lists show it.
    let (status, edited) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            serde_json::json!({"name": {"vi": "Chè Shan tuyết mùa xuân"}}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["revision"]["status"], "pending", "{edited}");
    assert_eq!(app.get_json(tea).await.1["name"], before["name"]);
    let (status, approved) = app.approve(id).await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(
        app.get_json(tea).await.1["name"]["vi"],
        "Chè Shan tuyết mùa xuân"
    );
    assert_eq!(
        in_list(&app, id).await["name"]["vi"],
        "Chè Shan tuyết mùa xuân"
    );
    app.indexed().await;
    assert_eq!(
        app.get_json(OTHER).await.1["name"]["vi"],
        "Lê vàng Hồng Thái",
        "still kept after the indexer applied the edits"
    );
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

async fn head_answers_like_get_without_a_body(app: TestApp) {
    for (path, status, content_type) in [
        ("/", 200, "text/html"),
        (
            "/san-pham/che-shan-tuyet-co-thu-hong-thai",
            200,
            "text/html",
        ),
        ("/api/v1/listings", 200, "application/json"),
        (
            "/api/v1/listings/che-shan-tuyet-co-thu-hong-thai",
            200,
            "application/json",
        ),
        ("/api/v1/listings/khong-co", 404, "application/problem+json"),
        ("/sitemap.xml", 200, "application/xml"),
    ] {
        let res = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "HEAD {path}");
        let ctype = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ctype.starts_with(content_type), "HEAD {path}: {ctype}");
        assert!(
            res.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
}

async fn security_headers_on_pages_and_api(app: TestApp) {
    for path in [
        "/",
        "/san-pham/che-shan-tuyet-co-thu-hong-thai",
        "/dang-nhap",
        "/khong-co-trang-nay",
    ] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            h["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        // No inline script on the page: only the site's script file and JSON-LD data.
        let html = res.text().await.unwrap();
        for script in html.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap_or_default();
            assert!(
                tag.contains(" src=") || tag.contains("application/ld+json"),
                "{path}: inline script <script{tag}>"
            );
        }
        assert!(
            !html.contains(" onclick=") && !html.contains(" onload="),
            "{path}"
        );
    }
    let api = app.get("/api/v1/listings").await;
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    assert!(api.headers().get("content-security-policy").is_none());
}
