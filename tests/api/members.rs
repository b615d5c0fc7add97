//! A cooperative member manages their own listings, and only those.

use crate::both_backends;
use crate::helpers::{new_listing, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(
    member_creates_edits_and_submits,
    patch_changes_only_what_is_sent,
    members_cannot_touch_other_cooperatives,
    duplicate_names_get_distinct_slugs,
    link_ids_survive_edits,
);
both_backends!(@no_indexer published_edits_write_the_outbox);

async fn member_creates_edits_and_submits(app: TestApp) {
    let (status, created) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            new_listing("Chè búp Đinh Hồng Thái"),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["slug"], "che-bup-dinh-hong-thai");
    assert_eq!(
        created["place"]["code"], "TQ-NH-HT",
        "defaults to the cooperative's commune"
    );
    let id = created["id"].as_i64().unwrap();

    let (status, mine) = app
        .send(Method::GET, "/api/v1/my/listings", &app.tea_token, None)
        .await;
    assert_eq!(status, 200);
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["id"] == id));

    let (status, edited) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            json!({"price_vnd": 300000, "season_months": [4, 5]}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["price"]["vnd"], 300000);
    assert_eq!(edited["season_months"], json!([4, 5]));
    assert_eq!(edited["name"]["vi"], "Chè búp Đinh Hồng Thái");

    let (status, submitted) = app
        .post(
            &format!("/api/v1/my/listings/{id}/submit"),
            &app.tea_token,
            Value::Null,
        )
        .await;
    assert_eq!(
        (status, submitted["status"].as_str()),
        (200, Some("pending"))
    );
    let (status, again) = app
        .post(
            &format!("/api/v1/my/listings/{id}/submit"),
            &app.tea_token,
            Value::Null,
        )
        .await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("invalid_transition"))
    );

    let (status, archived) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(
        (status, archived["status"].as_str()),
        (200, Some("archived"))
    );
    let (status, problem) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            json!({"price_vnd": 1}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("invalid_transition"))
    );
}

async fn patch_changes_only_what_is_sent(app: TestApp) {
    // Listing 1 is the demo's Chè Shan tuyết cổ thụ (published, OCOP 4, VietGAP, two links).
    let (status, edited) = app
        .patch("/api/v1/my/listings/1", &app.tea_token, json!({"name": {"vi": "Chè Shan tuyết cổ thụ Hồng Thái (mới)", "en": "Ancient tea"}, "ocop_stars": null}))
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["status"], "published");
    // The name and OCOP wait for review; approved, the listing shows them.
    assert_eq!(edited["revision"]["status"], "pending");
    let (status, edited) = app.approve(1).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        edited["slug"], "che-shan-tuyet-co-thu-hong-thai",
        "a published slug stays stable"
    );
    assert!(edited["ocop"].is_null());
    assert_eq!(edited["certifications"], json!(["vietgap"]));
    assert_eq!(edited["marketplace_links"].as_array().unwrap().len(), 2);
    assert_eq!(edited["price"]["vnd"], 450000);
    let (_, public) = app
        .get_json("/api/v1/listings/che-shan-tuyet-co-thu-hong-thai")
        .await;
    assert_eq!(
        public["name"]["vi"],
        "Chè Shan tuyết cổ thụ Hồng Thái (mới)"
    );
}

async fn members_cannot_touch_other_cooperatives(app: TestApp) {
    let (_, draft) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            new_listing("Chè nháp của HTX chè"),
        )
        .await;
    let draft_id = draft["id"].as_i64().unwrap();
    let before = app.snapshot().await;
    // A draft of another cooperative: invisible, so 404 for every verb.
    for (method, path) in [
        (Method::GET, format!("/api/v1/my/listings/{draft_id}")),
        (Method::PATCH, format!("/api/v1/my/listings/{draft_id}")),
        (Method::DELETE, format!("/api/v1/my/listings/{draft_id}")),
        (
            Method::POST,
            format!("/api/v1/my/listings/{draft_id}/submit"),
        ),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"price_vnd": 1}));
        let (status, problem) = app
            .send(method.clone(), &path, &app.orange_token, body)
            .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (404, Some("listing_not_found")),
            "{method} {path}"
        );
    }
    // A published listing of another cooperative: visible, so 403.
    let (status, problem) = app
        .patch(
            "/api/v1/my/listings/1",
            &app.orange_token,
            json!({"price_vnd": 1}),
        )
        .await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = app
        .send(
            Method::DELETE,
            "/api/v1/my/listings/1",
            &app.orange_token,
            None,
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.snapshot().await, before, "nothing changed");
    // The other cooperative's list does not show the draft.
    let (_, mine) = app
        .send(Method::GET, "/api/v1/my/listings", &app.orange_token, None)
        .await;
    assert!(!mine.to_string().contains("nháp"));
}

async fn duplicate_names_get_distinct_slugs(app: TestApp) {
    let (_, a) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            new_listing("Chè Shan tuyết cổ thụ Hồng Thái"),
        )
        .await;
    assert_eq!(a["slug"], "che-shan-tuyet-co-thu-hong-thai-2");
    let mut explicit = new_listing("Chè khác");
    explicit["slug"] = json!("che-shan-tuyet-co-thu-hong-thai");
    let before = app.snapshot().await;
    let (status, problem) = app
        .post("/api/v1/my/listings", &app.tea_token, explicit)
        .await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("conflict")));
    assert_eq!(problem["errors"][0]["field"], "slug");
    assert_eq!(app.snapshot().await, before);
}

async fn published_edits_write_the_outbox(app: TestApp) {
    let pending = || async {
        app.with_db(|c| vungcao::store::outbox::pending(c).unwrap())
            .await
    };
    let start = pending().await;
    assert_eq!(start, 34, "the demo load enqueued every published listing");
    let (_, draft) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            new_listing("Chè nháp"),
        )
        .await;
    assert_eq!(
        pending().await,
        start,
        "drafts are not searchable: no outbox row"
    );
    app.patch(
        &format!("/api/v1/my/listings/{}", draft["id"]),
        &app.tea_token,
        json!({"price_vnd": 1000}),
    )
    .await;
    assert_eq!(pending().await, start);
    app.patch(
        "/api/v1/my/listings/1",
        &app.tea_token,
        json!({"price_vnd": 460000}),
    )
    .await;
    assert_eq!(pending().await, start + 1, "a published listing changed");
    app.send(
        Method::DELETE,
        "/api/v1/my/listings/1",
        &app.tea_token,
        None,
    )
    .await;
    assert_eq!(
        pending().await,
        start + 2,
        "archiving removes it from search"
    );
}

async fn link_ids_survive_edits(app: TestApp) {
    let (_, before) = app
        .get_json("/api/v1/listings/che-shan-tuyet-co-thu-hong-thai")
        .await;
    let shopee_id = before["marketplace_links"][0]["id"].clone();
    let (status, after) = app
        .patch(
            "/api/v1/my/listings/1",
            &app.tea_token,
            json!({"marketplace_links": [
                {"platform": "zalo", "url": "https://zalo.me/0912000101"},
                {"platform": "shopee", "url": "https://shopee.vn/che-shan-tuyet-hong-thai-i.1001.2001"}
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{after}");
    let (status, after) = app.approve(1).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["marketplace_links"][0]["platform"], "zalo");
    assert_eq!(
        after["marketplace_links"][1]["id"], shopee_id,
        "same link keeps its clicks"
    );
}
