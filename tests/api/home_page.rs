//! The home page (and the search page's filter names) are kept in memory by the storefront's
//! version: what a shopper sees there is never older than the last change committed, on this
//! process or on another replica.

use crate::both_backends;
use crate::helpers::{new_listing, TestApp};
use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(@settings |s| s.response_cache_seconds = 0;
    an_approved_edit_shows_at_once_on_the_home_page,
    another_replica_sees_the_home_page_change,
    a_renamed_district_shows_on_the_home_page_and_in_the_search_filters,
    a_kept_home_page_answers_in_the_language_asked_and_revalidates,
);

/// An OCOP 4-star product of the tea cooperative, reviewed and on sale: its id.
async fn published(app: &TestApp, name: &str) -> i64 {
    let mut body = new_listing(name);
    body["ocop_stars"] = json!(4);
    let (status, created) = app.post("/api/v1/my/listings", &app.tea_token, body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, sent) = app
        .post(
            &format!("/api/v1/my/listings/{id}/submit"),
            &app.tea_token,
            Value::Null,
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    let (status, approved) = app.approve(id).await;
    assert_eq!(
        (status, approved["status"].as_str()),
        (200, Some("published"))
    );
    id
}

async fn edit(app: &TestApp, id: i64, change: Value) {
    let (status, edited) = app
        .patch(&format!("/api/v1/my/listings/{id}"), &app.tea_token, change)
        .await;
    assert_eq!(status, 200, "{edited}");
}

async fn home(app: &TestApp, address: &str) -> String {
    let res = app.client.get(format!("{address}/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn an_approved_edit_shows_at_once_on_the_home_page(app: TestApp) {
    let id = published(&app, "Chè búp Hồng Thái loại một").await;
    // Shown once, so the page is kept.
    assert!(home(&app, &app.address)
        .await
        .contains("Chè búp Hồng Thái loại một"));

    // A price applies at once; a new name waits for review.
    edit(
        &app,
        id,
        json!({"name": {"vi": "Chè búp Hồng Thái thượng hạng"}, "price_vnd": 390_000}),
    )
    .await;
    let page = home(&app, &app.address).await;
    assert!(page.contains(&vungcao::web::view::vnd(390_000)), "{page}");
    assert!(page.contains("Chè búp Hồng Thái loại một"));
    assert!(!page.contains("Chè búp Hồng Thái thượng hạng"));

    let (status, approved) = app.approve(id).await;
    assert_eq!(status, 200, "{approved}");
    let page = home(&app, &app.address).await;
    assert!(page.contains("Chè búp Hồng Thái thượng hạng"));
    assert!(!page.contains("Chè búp Hồng Thái loại một"));
}

async fn another_replica_sees_the_home_page_change(app: TestApp) {
    let replica = app.spawn_replica().await;
    // The replica keeps its home page before each change.
    assert!(!home(&app, &replica.address)
        .await
        .contains("Mật ong thử nghiệm Hồng Thái số bảy"));

    let id = published(&app, "Mật ong thử nghiệm Hồng Thái số bảy").await;
    assert!(home(&app, &replica.address)
        .await
        .contains("Mật ong thử nghiệm Hồng Thái số bảy"));

    edit(
        &app,
        id,
        json!({"name": {"vi": "Mật ong thử nghiệm đã đổi tên"}}),
    )
    .await;
    assert!(home(&app, &replica.address)
        .await
        .contains("Mật ong thử nghiệm Hồng Thái số bảy"));
    let (status, approved) = app.approve(id).await;
    assert_eq!(status, 200, "{approved}");
    let page = home(&app, &replica.address).await;
    assert!(page.contains("Mật ong thử nghiệm đã đổi tên"));
    assert!(!page.contains("Mật ong thử nghiệm Hồng Thái số bảy"));

    let (status, archived) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{archived}");
    assert!(!home(&app, &replica.address)
        .await
        .contains("Mật ong thử nghiệm đã đổi tên"));
}

/// The search page's filter panel, as a shopper gets it from `address`.
async fn search_page(address: &str) -> String {
    let res = reqwest::get(format!("{address}/tim-kiem?q=che"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn a_renamed_district_shows_on_the_home_page_and_in_the_search_filters(app: TestApp) {
    let replica = app.spawn_replica().await;
    // Both processes have read (and kept) the pages and the names before the change.
    for address in [&app.address, &replica.address] {
        assert!(!home(&app, address).await.contains("Na Hang Xanh"));
        let filters = search_page(address).await;
        assert!(
            filters.contains("<option value=\"TQ-NH\">· Na Hang"),
            "{filters}"
        );
        assert!(!filters.contains("Na Hang Xanh"));
    }
    let (status, renamed) = app
        .send(
            Method::PATCH,
            "/api/v1/admin/places/TQ-NH",
            &app.admin_token,
            Some(json!({"name": "Na Hang Xanh"})),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    for address in [&app.address, &replica.address] {
        assert!(home(&app, address).await.contains("Na Hang Xanh"));
        let filters = search_page(address).await;
        assert!(
            filters.contains("<option value=\"TQ-NH\">· Na Hang Xanh"),
            "{filters}"
        );
    }
}

async fn a_kept_home_page_answers_in_the_language_asked_and_revalidates(app: TestApp) {
    let plain = reqwest::Client::new();
    let en = plain.get(app.url("/?lang=en")).send().await.unwrap();
    assert_eq!(en.status(), 200);
    assert!(
        en.headers().get("set-cookie").is_some(),
        "the choice is remembered"
    );
    assert!(en.text().await.unwrap().contains("<html lang=\"en\">"));
    // Kept pages stay apart: without the choice (and its cookie) the page is Vietnamese.
    for _ in 0..2 {
        let vi = plain.get(app.url("/")).send().await.unwrap();
        assert!(vi.headers().get("set-cookie").is_none());
        let etag = vi.headers()[ETAG].clone();
        assert!(vi.text().await.unwrap().contains("<html lang=\"vi\">"));
        let again = plain
            .get(app.url("/"))
            .header(IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
    }
}
