//! Admins review what members submit; a commune may skip review.

use crate::both_backends;
use crate::helpers::{new_listing, spawn_app_with, Backend, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(
    admin_approves_and_rejects,
    only_admins_review,
    commune_skips_review,
);
both_backends!(@no_indexer admin_manages_cooperatives_and_accounts);

async fn submit(app: &TestApp, name: &str) -> i64 {
    let (_, created) = app
        .post("/api/v1/my/listings", &app.tea_token, new_listing(name))
        .await;
    let id = created["id"].as_i64().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/my/listings/{id}/submit"),
            &app.tea_token,
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    id
}

async fn admin_approves_and_rejects(app: TestApp) {
    let good = submit(&app, "Chè vàng Hồng Thái").await;
    let blurry = submit(&app, "Chè ảnh mờ").await;
    let (status, queue) = app
        .send(Method::GET, "/api/v1/admin/review", &app.admin_token, None)
        .await;
    assert_eq!(status, 200);
    let ids: Vec<i64> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![good, blurry]);

    let (status, approved) = app.approve(good).await;
    assert_eq!(
        (status, approved["status"].as_str()),
        (200, Some("published"))
    );
    assert_eq!(
        app.get("/api/v1/listings/che-vang-hong-thai")
            .await
            .status(),
        200
    );

    let (status, problem) = app
        .post(
            &format!("/api/v1/admin/listings/{blurry}/reject"),
            &app.admin_token,
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (422, Some("reason"))
    );
    let (status, rejected) = app
        .post(
            &format!("/api/v1/admin/listings/{blurry}/reject"),
            &app.admin_token,
            json!({"reason": "Ảnh bị mờ, vui lòng chụp lại", "version": app.version_of(blurry).await}),
        )
        .await;
    assert_eq!((status, rejected["status"].as_str()), (200, Some("draft")));
    let (_, mine) = app
        .send(
            Method::GET,
            &format!("/api/v1/my/listings/{blurry}"),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(mine["rejection_reason"], "Ảnh bị mờ, vui lòng chụp lại");
    let (status, problem) = app.approve(good).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("invalid_transition"))
    );
    // Resubmitting clears the reason.
    app.post(
        &format!("/api/v1/my/listings/{blurry}/submit"),
        &app.tea_token,
        Value::Null,
    )
    .await;
    let (_, mine) = app
        .send(
            Method::GET,
            &format!("/api/v1/my/listings/{blurry}"),
            &app.tea_token,
            None,
        )
        .await;
    assert!(mine.get("rejection_reason").is_none());
}

async fn only_admins_review(app: TestApp) {
    let id = submit(&app, "Chè tự duyệt").await;
    let (status, problem) = app
        .send(Method::GET, "/api/v1/admin/review", &app.tea_token, None)
        .await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/listings/{id}/approve"),
            &app.tea_token,
            Value::Null,
        )
        .await;
    assert_eq!(status, 403);
    let res = app
        .client
        .get(app.url("/api/v1/admin/review"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
}

async fn commune_skips_review(app: TestApp) {
    app.skip_review_at("TQ-NH-HT").await;
    let (_, created) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            new_listing("Chè tin cậy"),
        )
        .await;
    let (_, submitted) = app
        .post(
            &format!("/api/v1/my/listings/{}/submit", created["id"]),
            &app.tea_token,
            Value::Null,
        )
        .await;
    assert_eq!(submitted["status"], "published");
    assert_eq!(app.get("/api/v1/listings/che-tin-cay").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_can_be_switched_off_everywhere() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |s| s.review_required = false).await else {
        return;
    };
    let (_, created) = app
        .post(
            "/api/v1/my/listings",
            &app.orange_token,
            new_listing("Cam sành loại 1"),
        )
        .await;
    let (_, submitted) = app
        .post(
            &format!("/api/v1/my/listings/{}/submit", created["id"]),
            &app.orange_token,
            Value::Null,
        )
        .await;
    assert_eq!(submitted["status"], "published");
}

async fn admin_manages_cooperatives_and_accounts(app: TestApp) {
    let (status, coop) = app
        .post("/api/v1/admin/cooperatives", &app.admin_token, json!({"slug": "htx-mien-dong", "name": "HTX Miến dong Bình Yên", "place": "TQ-SD-TY", "phone": "0912 000 200"}))
        .await;
    assert_eq!(status, 201, "{coop}");
    let (status, problem) = app
        .post(
            "/api/v1/admin/cooperatives",
            &app.admin_token,
            json!({"slug": "htx-mien-dong", "name": "Trùng", "place": "TQ-SD-TY"}),
        )
        .await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("conflict")));
    let (status, user) = app
        .post("/api/v1/admin/users", &app.admin_token, json!({"email": "Mien@Dong.vn", "password": "mien-dong-ngon", "role": "member", "cooperative": "htx-mien-dong"}))
        .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["email"], "mien@dong.vn");
    let (status, token) = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({"email": "mien@dong.vn", "password": "mien-dong-ngon"}),
        )
        .await;
    assert_eq!(status, 201);
    let token = token["token"].as_str().unwrap().to_owned();
    let (status, me) = app.send(Method::GET, "/api/v1/auth/me", &token, None).await;
    assert_eq!(status, 200);
    assert_eq!(me["cooperative"]["name"], "HTX Miến dong Bình Yên");
    // Renaming a cooperative refreshes search entries of its published listings.
    let before = app
        .with_db(|c| vungcao::store::outbox::pending(c).unwrap())
        .await;
    let (status, renamed) = app
        .patch(
            "/api/v1/admin/cooperatives/htx-cam-sanh-ham-yen",
            &app.admin_token,
            json!({"name": "HTX Cam sành Hàm Yên"}),
        )
        .await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (200, Some("HTX Cam sành Hàm Yên"))
    );
    let after = app
        .with_db(|c| vungcao::store::outbox::pending(c).unwrap())
        .await;
    assert!(after > before);
    let (_, orange) = app.get_json("/api/v1/listings/cam-sanh-ham-yen").await;
    assert_eq!(orange["cooperative"]["name"], "HTX Cam sành Hàm Yên");
    let (status, problem) = app
        .post(
            "/api/v1/admin/users",
            &app.tea_token,
            json!({"email": "x@y.vn", "password": "12345678", "role": "admin"}),
        )
        .await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
}
