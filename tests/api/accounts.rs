//! Signing in: passwords, session cookies, bearer tokens, revocation and expiry.

use crate::both_backends;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::json;

both_backends!(
    session_cookie_signs_in_and_out,
    bearer_tokens_are_revocable,
    expired_and_unknown_tokens_are_refused,
    sign_in_attempts_are_rate_limited
);

async fn session_cookie_signs_in_and_out(app: TestApp) {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let browser = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .user_agent(crate::helpers::PHONE_UA)
        .build()
        .unwrap();
    let res = browser
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "TEA@htx.vn", "password": "mat-khau-an-toan"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("vungcao_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["cooperative"]["slug"], "htx-che-shan-tuyet-hong-thai");
    assert_eq!(me["role"], "member");
    let res = browser
        .get(app.url("/api/v1/my/listings"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = browser
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = browser
        .get(app.url("/api/v1/my/listings"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let (status, problem) = app
        .post(
            "/api/v1/auth/login",
            "",
            json!({"email": "tea@htx.vn", "password": "sai-mat-khau"}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, problem) = app
        .post(
            "/api/v1/auth/login",
            "",
            json!({"email": "nobody@htx.vn", "password": "sai-mat-khau"}),
        )
        .await;
    assert_eq!(
        (status, problem["detail"].as_str()),
        (401, Some("wrong email or password"))
    );
}

async fn bearer_tokens_are_revocable(app: TestApp) {
    let (status, issued) = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({"email": "tea@htx.vn", "password": "mat-khau-an-toan", "label": "điện thoại"}),
        )
        .await;
    assert_eq!(status, 201);
    let token = issued["token"].as_str().unwrap().to_owned();
    let id = issued["info"]["id"].as_i64().unwrap();
    assert!(
        issued["info"].get("token_hash").is_none(),
        "the hash never leaves the server"
    );
    let (status, list) = app
        .send(Method::GET, "/api/v1/auth/tokens", &token, None)
        .await;
    assert_eq!(status, 200);
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["label"] == "điện thoại"));
    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/auth/tokens/{id}"),
            &token,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, problem) = app
        .send(Method::GET, "/api/v1/my/listings", &token, None)
        .await;
    assert_eq!(
        (status, problem["detail"].as_str()),
        (401, Some("the token was revoked"))
    );
    // Revoking someone else's token is not possible.
    let (status, _) = app
        .send(
            Method::DELETE,
            "/api/v1/auth/tokens/1",
            &app.orange_token,
            None,
        )
        .await;
    assert_eq!(status, 404);
}

async fn expired_and_unknown_tokens_are_refused(app: TestApp) {
    let token = app
        .with_db(|c| {
            let user = vungcao::store::users::by_email(c, "tea@htx.vn")
                .unwrap()
                .unwrap();
            let past = vungcao::store::now() - chrono::Duration::hours(1);
            vungcao::accounts::issue_token(c, user.id, "api", None, Some(past))
                .unwrap()
                .0
        })
        .await;
    let (status, problem) = app
        .send(Method::GET, "/api/v1/my/listings", &token, None)
        .await;
    assert_eq!(
        (status, problem["detail"].as_str()),
        (401, Some("the token has expired"))
    );
    let (status, problem) = app
        .send(Method::GET, "/api/v1/my/listings", "vc_made_up", None)
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let before = app.snapshot().await;
    let (status, _) = app
        .post(
            "/api/v1/my/listings",
            &token,
            crate::helpers::new_listing("Chè hết hạn"),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(app.snapshot().await, before);
}

async fn sign_in_attempts_are_rate_limited(app: TestApp) {
    for _ in 0..5 {
        let (status, _) = app
            .post(
                "/api/v1/auth/login",
                "",
                json!({"email": "tea@htx.vn", "password": "doan-mo"}),
            )
            .await;
        assert_eq!(status, 401);
    }
    let (status, problem) = app
        .post(
            "/api/v1/auth/login",
            "",
            json!({"email": "tea@htx.vn", "password": "mat-khau-an-toan"}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (429, Some("rate_limited"))
    );
}
