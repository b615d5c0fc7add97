//! Accounts an admin controls: disabling (every session and token ends, sign-in refused),
//! changing one's own password, resets by an admin, token terms, and Secure cookies — in the
//! API and on the pages.

use crate::both_backends;
use crate::helpers::TestApp;
use crate::web::{browser, csrf, page, sign_in};
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(
    disabling_an_account_ends_its_sessions_and_refuses_sign_in,
    a_member_changes_their_password_and_other_sessions_end,
    an_admin_resets_a_password,
    expired_sessions_are_refused_like_expired_tokens,
    members_revoke_tokens_and_change_their_password_on_the_pages,
    admins_disable_enable_and_reset_on_the_pages,
    cookies_are_not_secure_over_plain_http,
    the_openapi_document_describes_the_account_routes_as_they_answer,
);

both_backends!(@settings |s| { s.token_days_default = 30; s.token_days_max = 60; };
    api_tokens_expire_within_the_configured_terms,
);

both_backends!(@settings |s| s.public_url = "https://vungcao.tuyenquang.gov.vn".into();
    cookies_are_secure_when_the_public_url_is_https,
);

both_backends!(@settings |s| {
        s.public_url = "https://vungcao.tuyenquang.gov.vn".into();
        s.secure_cookies = Some(false);
    };
    an_explicit_setting_turns_secure_cookies_off,
);

const PASSWORD: &str = "mat-khau-an-toan";

/// A client that keeps the session cookie, as a script on the pages would.
async fn cookie_session(app: &TestApp, email: &str, password: &str) -> (u16, reqwest::Client) {
    let client = browser();
    let res = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), client)
}

/// A cookie-signed API request (writes carry X-Requested-With, as the API demands).
async fn by_cookie(
    client: &reqwest::Client,
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client
        .request(method, app.url(path))
        .header("X-Requested-With", "fetch");
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn login(app: &TestApp, email: &str, password: &str) -> (u16, Value) {
    app.post(
        "/api/v1/auth/login",
        "",
        json!({"email": email, "password": password}),
    )
    .await
}

async fn me(app: &TestApp, token: &str) -> u16 {
    app.send(Method::GET, "/api/v1/auth/me", token, None)
        .await
        .0
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    let (status, list) = app
        .send(Method::GET, "/api/v1/admin/users", &app.admin_token, None)
        .await;
    assert_eq!(status, 200, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == email)
        .and_then(|a| a["id"].as_i64())
        .unwrap_or_else(|| panic!("{email} is listed: {list}"))
}

async fn disabling_an_account_ends_its_sessions_and_refuses_sign_in(app: TestApp) {
    let (status, tea_browser) = cookie_session(&app, "tea@htx.vn", PASSWORD).await;
    assert_eq!(status, 200);
    let (status, _) = by_cookie(&tea_browser, &app, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(status, 200);

    // Members neither see nor change accounts.
    let (status, _) = app
        .send(Method::GET, "/api/v1/admin/users", &app.tea_token, None)
        .await;
    assert_eq!(status, 403);
    let (status, list) = app
        .send(Method::GET, "/api/v1/admin/users", &app.admin_token, None)
        .await;
    assert_eq!(status, 200);
    let emails: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["admin@tuyenquang.gov.vn", "orange@htx.vn", "tea@htx.vn"]
    );
    let tea = list["items"][2].clone();
    assert_eq!(tea["cooperative"], "htx-che-shan-tuyet-hong-thai");
    assert_eq!(tea["role"], "member");
    assert!(tea["disabled_at"].is_null());
    let id = tea["id"].as_i64().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/users/{id}/disable"),
            &app.orange_token,
            json!({}),
        )
        .await;
    assert_eq!(status, 403);

    let (status, disabled) = app
        .post(
            &format!("/api/v1/admin/users/{id}/disable"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{disabled}");
    assert!(disabled["disabled_at"].as_str().unwrap().ends_with('Z'));

    // At once: the bearer token and the browser's session are both refused.
    let (status, problem) = app
        .send(Method::GET, "/api/v1/my/listings", &app.tea_token, None)
        .await;
    assert_eq!(
        (status, problem["detail"].as_str()),
        (401, Some("the token was revoked"))
    );
    let (status, _) = by_cookie(&tea_browser, &app, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(status, 401);
    // The right password is told the account is disabled; a wrong one learns nothing more
    // than about an account that does not exist.
    let (status, problem) = login(&app, "tea@htx.vn", PASSWORD).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("account_disabled")),
        "{problem}"
    );
    assert_eq!(
        problem["detail"],
        "this account is disabled; ask the admins to enable it"
    );
    let (status, wrong) = login(&app, "tea@htx.vn", "doan-bua-mat-khau").await;
    let (_, nobody) = login(&app, "nobody@htx.vn", "doan-bua-mat-khau").await;
    assert_eq!(status, 401);
    assert_eq!(wrong, nobody);
    let (status, problem) = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({"email": "tea@htx.vn", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("account_disabled"))
    );
    // A token issued in the same instant as the disabling (past the rules) is refused too.
    let racing = app
        .with_db(move |c| {
            let expiry = vungcao::store::now() + chrono::Duration::days(1);
            vungcao::accounts::issue_api_token(c, id, None, expiry)
                .unwrap()
                .0
        })
        .await;
    let (status, problem) = app
        .send(Method::GET, "/api/v1/auth/me", &racing, None)
        .await;
    assert_eq!(
        (status, problem["detail"].as_str()),
        (401, Some("the account is disabled"))
    );

    // Disabling twice keeps the first date; the list shows the state.
    let (status, again) = app
        .post(
            &format!("/api/v1/admin/users/{id}/disable"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, &again["disabled_at"]),
        (200, &disabled["disabled_at"])
    );
    let (_, list) = app
        .send(Method::GET, "/api/v1/admin/users", &app.admin_token, None)
        .await;
    assert_eq!(list["items"][2]["disabled_at"], disabled["disabled_at"]);

    // An admin cannot lock themselves out; unknown accounts are named.
    let admin_id = user_id(&app, "admin@tuyenquang.gov.vn").await;
    let (status, problem) = app
        .post(
            &format!("/api/v1/admin/users/{admin_id}/disable"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("conflict")));
    assert_eq!(me(&app, &app.admin_token).await, 200);
    for action in ["disable", "enable"] {
        let (status, problem) = app
            .post(
                &format!("/api/v1/admin/users/999999/{action}"),
                &app.admin_token,
                json!({}),
            )
            .await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (404, Some("user_not_found"))
        );
    }

    let (status, enabled) = app
        .post(
            &format!("/api/v1/admin/users/{id}/enable"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(enabled["disabled_at"].is_null());
    let (status, _) = login(&app, "tea@htx.vn", PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(
        me(&app, &app.tea_token).await,
        401,
        "old tokens stay revoked"
    );
}

async fn a_member_changes_their_password_and_other_sessions_end(app: TestApp) {
    let (_, here) = cookie_session(&app, "tea@htx.vn", PASSWORD).await;
    let (_, elsewhere) = cookie_session(&app, "tea@htx.vn", PASSWORD).await;
    let (_, orange) = cookie_session(&app, "orange@htx.vn", PASSWORD).await;

    let (status, problem) = app
        .post(
            "/api/v1/me/password",
            &app.tea_token,
            json!({"current_password": "khong-phai", "new_password": "ngan"}),
        )
        .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["current_password", "new_password"]);
    assert_eq!(
        problem["errors"][0]["message"],
        "is not your current password"
    );
    assert_eq!(
        me(&app, &app.tea_token).await,
        200,
        "a refused change ends nothing"
    );
    let (status, _) = app
        .post(
            "/api/v1/me/password",
            "",
            json!({"current_password": PASSWORD, "new_password": "mat-khau-moi-dai"}),
        )
        .await;
    assert_eq!(status, 401);

    let (status, changed) = by_cookie(
        &here,
        &app,
        Method::POST,
        "/api/v1/me/password",
        Some(json!({"current_password": PASSWORD, "new_password": "mat-khau-moi-dai"})),
    )
    .await;
    assert_eq!((status, &changed), (200, &json!({"revoked": 2})));
    let (status, _) = by_cookie(&here, &app, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(status, 200, "the session that changed it stays");
    let (status, _) = by_cookie(&elsewhere, &app, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(status, 401);
    assert_eq!(me(&app, &app.tea_token).await, 401);
    let (status, _) = by_cookie(&orange, &app, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(status, 200, "another account is untouched");
    assert_eq!(login(&app, "tea@htx.vn", PASSWORD).await.0, 401);
    assert_eq!(login(&app, "tea@htx.vn", "mat-khau-moi-dai").await.0, 200);

    // By bearer token, the token used stays.
    let (status, changed) = app
        .post(
            "/api/v1/me/password",
            &app.orange_token,
            json!({"current_password": PASSWORD, "new_password": "cam-sanh-ham-yen"}),
        )
        .await;
    assert_eq!((status, &changed), (200, &json!({"revoked": 1})));
    assert_eq!(me(&app, &app.orange_token).await, 200);
    let (status, _) = by_cookie(&orange, &app, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(status, 401);
}

async fn an_admin_resets_a_password(app: TestApp) {
    let id = user_id(&app, "tea@htx.vn").await;
    let path = format!("/api/v1/admin/users/{id}/password");
    let (_, browser_session) = cookie_session(&app, "tea@htx.vn", PASSWORD).await;
    let (status, _) = app
        .post(
            &path,
            &app.tea_token,
            json!({"new_password": "tu-dat-lai-1"}),
        )
        .await;
    assert_eq!(status, 403, "members cannot reset passwords");
    let (status, problem) = app
        .post(&path, &app.admin_token, json!({"new_password": "ngan"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "new_password");
    assert_eq!(
        problem["errors"][0]["message"],
        "must be 8 to 200 characters"
    );
    assert_eq!(me(&app, &app.tea_token).await, 200);
    let (status, problem) = app
        .post(
            "/api/v1/admin/users/999999/password",
            &app.admin_token,
            json!({"new_password": "mat-khau-moi-dai"}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("user_not_found"))
    );

    let (status, reset) = app
        .post(
            &path,
            &app.admin_token,
            json!({"new_password": "mat-khau-moi-dai"}),
        )
        .await;
    assert_eq!((status, &reset), (200, &json!({"revoked": 2})));
    assert_eq!(me(&app, &app.tea_token).await, 401);
    let (status, _) = by_cookie(&browser_session, &app, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(status, 401);
    assert_eq!(login(&app, "tea@htx.vn", PASSWORD).await.0, 401);
    assert_eq!(login(&app, "tea@htx.vn", "mat-khau-moi-dai").await.0, 200);
}

async fn api_tokens_expire_within_the_configured_terms(app: TestApp) {
    let create = |days: Value| {
        let mut body =
            json!({"email": "tea@htx.vn", "password": PASSWORD, "label": "máy bán hàng"});
        if !days.is_null() {
            body["expires_in_days"] = days;
        }
        app.post("/api/v1/auth/tokens", "", body)
    };
    let days_from_now = |issued: &Value| {
        let at =
            chrono::DateTime::parse_from_rfc3339(issued["info"]["expires_at"].as_str().unwrap())
                .unwrap();
        (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours() as f64 / 24.0
    };
    let (status, issued) = create(Value::Null).await;
    assert_eq!(status, 201, "{issued}");
    assert!(
        (days_from_now(&issued) - 30.0).abs() < 0.1,
        "the default term: {issued}"
    );
    let (status, longest) = create(json!(60)).await;
    assert_eq!(status, 201);
    assert!((days_from_now(&longest) - 60.0).abs() < 0.1);
    for days in [json!(61), json!(0), json!(-3)] {
        let (status, problem) = create(days.clone()).await;
        assert_eq!(status, 422, "{days}");
        assert_eq!(problem["errors"][0]["field"], "expires_in_days");
        assert_eq!(
            problem["errors"][0]["message"],
            "must be a whole number of days from 1 to 60"
        );
    }
    let (status, _) = create(json!("90")).await;
    assert_eq!(status, 422, "a number, not a string");

    // The list shows each token's term and when it was last used.
    let token = issued["token"].as_str().unwrap();
    let id = issued["info"]["id"].as_i64().unwrap();
    let (_, list) = app
        .send(Method::GET, "/api/v1/auth/tokens", token, None)
        .await;
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(listed["expires_at"], issued["info"]["expires_at"]);
    assert!(listed["created_at"].is_string());
    assert!(listed["last_used_at"].is_string(), "used to list: {listed}");
    let (_, list) = app
        .send(Method::GET, "/api/v1/auth/tokens", token, None)
        .await;
    let unused = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == longest["info"]["id"])
        .unwrap()
        .clone();
    assert!(unused["last_used_at"].is_null());
}

async fn expired_sessions_are_refused_like_expired_tokens(app: TestApp) {
    let secret = app
        .with_db(|c| {
            let user = vungcao::store::users::by_email(c, "tea@htx.vn")
                .unwrap()
                .unwrap();
            let past = vungcao::store::now() - chrono::Duration::minutes(1);
            vungcao::accounts::issue_token(c, user.id, "session", None, Some(past))
                .unwrap()
                .0
        })
        .await;
    let res = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("Cookie", format!("vungcao_session={secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .client
        .get(app.url("/tai-khoan"))
        .header("Cookie", format!("vungcao_session={secret}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dang-nhap?next=%2Ftai-khoan");
}

async fn post_form(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let res = client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

async fn members_revoke_tokens_and_change_their_password_on_the_pages(app: TestApp) {
    let (_, issued) = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({"email": "tea@htx.vn", "password": PASSWORD, "label": "máy tính bảng"}),
        )
        .await;
    let token = issued["token"].as_str().unwrap().to_owned();
    let id = issued["info"]["id"].as_i64().unwrap();
    let member = sign_in(&app, "tea@htx.vn").await;
    let elsewhere = sign_in(&app, "tea@htx.vn").await;
    let (status, html) = page(&member, &app, "/tai-khoan/bao-mat").await;
    assert_eq!(status, 200);
    assert!(html.contains("máy tính bảng"), "the token is listed");
    assert!(html.contains("Hết hạn: "), "with its expiry");
    assert!(html.contains("Dùng lần cuối: Chưa dùng"));
    let form = csrf(&html);
    let revoke = format!("/tai-khoan/the-api/{id}/thu-hoi");

    let (status, _, _) = post_form(&member, &app, &revoke, &[("csrf", "forged")]).await;
    assert_eq!(status, 403);
    assert_eq!(me(&app, &token).await, 200, "a forged form revokes nothing");
    let (status, _, _) = post_form(&app.client, &app, &revoke, &[("csrf", &form)]).await;
    assert_eq!(status, 303, "strangers are sent to sign in");
    assert_eq!(me(&app, &token).await, 200);
    let orange = sign_in(&app, "orange@htx.vn").await;
    let (_, orange_page) = page(&orange, &app, "/tai-khoan/bao-mat").await;
    assert!(!orange_page.contains("máy tính bảng"));
    let (status, _, _) = post_form(&orange, &app, &revoke, &[("csrf", &csrf(&orange_page))]).await;
    assert_eq!(
        status, 404,
        "another member's token is not theirs to revoke"
    );
    assert_eq!(me(&app, &token).await, 200);

    let (status, location, _) = post_form(&member, &app, &revoke, &[("csrf", &form)]).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/tai-khoan/bao-mat?ok=revoked")
    );
    assert_eq!(me(&app, &token).await, 401);
    let (_, html) = page(&member, &app, "/tai-khoan/bao-mat?ok=revoked").await;
    assert!(html.contains("Đã thu hồi mã."));
    assert!(!html.contains("máy tính bảng"));

    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let form = form.clone();
        let member = member.clone();
        let app = &app;
        async move {
            post_form(
                &member,
                app,
                "/tai-khoan/mat-khau",
                &[
                    ("csrf", &form),
                    ("current_password", current),
                    ("new_password", new),
                    ("new_password_again", again),
                ],
            )
            .await
        }
    };
    let (status, _, html) = change(PASSWORD, "mat-khau-moi-dai", "mat-khau-moi-dai-2").await;
    assert_eq!(status, 422);
    assert!(html.contains("Hai lần nhập mật khẩu mới không khớp."));
    let (status, _, html) = change("khong-phai", "mat-khau-moi-dai", "mat-khau-moi-dai").await;
    assert_eq!(status, 422);
    assert!(html.contains("Mật khẩu hiện tại không đúng."));
    let (status, _, html) = change(PASSWORD, "ngan", "ngan").await;
    assert_eq!(status, 422);
    assert!(html.contains("Mật khẩu từ 8 đến 200 ký tự."));
    let (status, _) = page(&elsewhere, &app, "/tai-khoan").await;
    assert_eq!(status, 200, "refused changes end nothing");

    let (status, location, _) = change(PASSWORD, "mat-khau-moi-dai", "mat-khau-moi-dai").await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/tai-khoan/bao-mat?ok=password")
    );
    let (status, html) = page(&member, &app, "/tai-khoan/bao-mat?ok=password").await;
    assert_eq!(status, 200, "this browser stays signed in");
    assert!(html.contains("Đã đổi mật khẩu."));
    let (status, _) = page(&elsewhere, &app, "/tai-khoan").await;
    assert_eq!(status, 303, "the other browser is signed out");
    assert_eq!(me(&app, &app.tea_token).await, 401);
    assert_eq!(login(&app, "tea@htx.vn", "mat-khau-moi-dai").await.0, 200);
}

async fn admins_disable_enable_and_reset_on_the_pages(app: TestApp) {
    let tea_id = user_id(&app, "tea@htx.vn").await;
    let admin_id = user_id(&app, "admin@tuyenquang.gov.vn").await;
    let member = sign_in(&app, "tea@htx.vn").await;
    let (status, _) = page(&member, &app, "/quan-tri/tai-khoan").await;
    assert_eq!(status, 404, "members do not see the account list");
    let admin = sign_in(&app, "admin@tuyenquang.gov.vn").await;
    let (status, html) = page(&admin, &app, "/quan-tri/tai-khoan").await;
    assert_eq!(status, 200);
    assert!(html.contains("tea@htx.vn") && html.contains("orange@htx.vn"));
    assert!(
        html.contains("HTX Chè Shan tuyết Hồng Thái"),
        "with the cooperative"
    );
    assert!(html.contains("Đang hoạt động"));
    let form = csrf(&html);

    let (status, _, _) = post_form(
        &member,
        &app,
        &format!("/quan-tri/tai-khoan/{admin_id}/khoa"),
        &[("csrf", &csrf(&page(&member, &app, "/tai-khoan").await.1))],
    )
    .await;
    assert_eq!(status, 404, "a member cannot disable anyone");
    assert_eq!(me(&app, &app.admin_token).await, 200);

    let (status, location, _) = post_form(
        &admin,
        &app,
        &format!("/quan-tri/tai-khoan/{tea_id}/khoa"),
        &[("csrf", &form)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.starts_with("/quan-tri/tai-khoan?ok=disabled"));
    let (status, _) = page(&member, &app, "/tai-khoan").await;
    assert_eq!(status, 303, "the member's browser is signed out at once");
    let (_, html) = page(&admin, &app, "/quan-tri/tai-khoan?ok=disabled").await;
    assert!(html.contains("Đã khóa tài khoản"));
    assert!(html.contains("Đã khóa từ"));

    // The sign-in form says why, once the password is right.
    let visitor = browser();
    let (_, login_page) = page(&visitor, &app, "/dang-nhap").await;
    let (status, _, html) = post_form(
        &visitor,
        &app,
        "/dang-nhap",
        &[
            ("csrf", &csrf(&login_page)),
            ("email", "tea@htx.vn"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(html.contains("Tài khoản này đã bị khóa."));
    let (status, _, html) = post_form(
        &visitor,
        &app,
        "/dang-nhap",
        &[
            ("csrf", &csrf(&login_page)),
            ("email", "tea@htx.vn"),
            ("password", "doan-sai-roi"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert!(html.contains("Sai email hoặc mật khẩu.") && !html.contains("bị khóa"));

    // Not oneself.
    let (status, _, html) = post_form(
        &admin,
        &app,
        &format!("/quan-tri/tai-khoan/{admin_id}/khoa"),
        &[("csrf", &form)],
    )
    .await;
    assert_eq!(status, 409);
    assert!(html.contains("Không thể tự khóa tài khoản của chính mình."));

    let (status, _, _) = post_form(
        &admin,
        &app,
        &format!("/quan-tri/tai-khoan/{tea_id}/mo-khoa"),
        &[("csrf", &form)],
    )
    .await;
    assert_eq!(status, 303);
    let member = sign_in(&app, "tea@htx.vn").await;

    let reset = format!("/quan-tri/tai-khoan/{tea_id}/mat-khau");
    let (status, _, html) = post_form(
        &admin,
        &app,
        &reset,
        &[("csrf", &form), ("new_password", "ngan")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Mật khẩu từ 8 đến 200 ký tự."));
    let (status, _) = page(&member, &app, "/tai-khoan").await;
    assert_eq!(status, 200);
    let (status, location, _) = post_form(
        &admin,
        &app,
        &reset,
        &[("csrf", &form), ("new_password", "mat-khau-moi-dai")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.starts_with("/quan-tri/tai-khoan?ok=password"));
    let (status, _) = page(&member, &app, "/tai-khoan").await;
    assert_eq!(status, 303, "a reset signs the account out everywhere");
    assert_eq!(login(&app, "tea@htx.vn", "mat-khau-moi-dai").await.0, 200);
    let (status, _, _) = post_form(
        &admin,
        &app,
        &format!("/quan-tri/tai-khoan/{tea_id}/khoa"),
        &[("csrf", "forged")],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(login(&app, "tea@htx.vn", "mat-khau-moi-dai").await.0, 200);
}

/// The `Set-Cookie` headers of the API sign-in and of the sign-in page.
async fn cookies_set(app: &TestApp) -> Vec<String> {
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "tea@htx.vn", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let res = app.client.get(app.url("/dang-nhap")).send().await.unwrap();
    cookies.extend(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned()),
    );
    assert!(cookies.iter().any(|c| c.starts_with("vungcao_session=")));
    assert!(cookies.iter().any(|c| c.starts_with("vungcao_csrf=")));
    cookies
}

fn is_secure(cookie: &str) -> bool {
    cookie.split(';').any(|part| part.trim() == "Secure")
}

async fn cookies_are_secure_when_the_public_url_is_https(app: TestApp) {
    for cookie in cookies_set(&app).await {
        assert!(is_secure(&cookie), "{cookie}");
    }
}

async fn cookies_are_not_secure_over_plain_http(app: TestApp) {
    for cookie in cookies_set(&app).await {
        assert!(!is_secure(&cookie), "{cookie}");
    }
}

async fn an_explicit_setting_turns_secure_cookies_off(app: TestApp) {
    for cookie in cookies_set(&app).await {
        assert!(!is_secure(&cookie), "{cookie}");
    }
}

/// The keys of a schema's properties in the OpenAPI document.
fn schema_keys(doc: &Value, name: &str) -> Vec<String> {
    let mut keys: Vec<String> = doc["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("schema {name}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

fn keys_of(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

async fn the_openapi_document_describes_the_account_routes_as_they_answer(app: TestApp) {
    let (_, doc) = app.get_json("/api/openapi.json").await;
    for (path, method, statuses) in [
        ("/api/v1/admin/users", "get", vec!["200", "401", "403"]),
        (
            "/api/v1/admin/users/{id}/disable",
            "post",
            vec!["200", "401", "403", "404", "409"],
        ),
        (
            "/api/v1/admin/users/{id}/enable",
            "post",
            vec!["200", "401", "403", "404"],
        ),
        (
            "/api/v1/admin/users/{id}/password",
            "post",
            vec!["200", "400", "401", "403", "404", "413", "415", "422"],
        ),
        (
            "/api/v1/me/password",
            "post",
            vec![
                "200", "400", "401", "403", "413", "415", "422", "429", "503",
            ],
        ),
        (
            "/api/v1/auth/tokens",
            "post",
            vec!["201", "400", "401", "403", "413", "415", "422", "429"],
        ),
        ("/api/v1/auth/tokens", "get", vec!["200", "401", "403"]),
    ] {
        let responses = &doc["paths"][path][method]["responses"];
        let mut documented: Vec<&str> = responses
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} is documented"))
            .keys()
            .map(String::as_str)
            .collect();
        documented.sort_unstable();
        assert_eq!(documented, statuses, "{method} {path}");
    }
    let body = &doc["paths"]["/api/v1/auth/tokens"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"]["$ref"];
    assert_eq!(body, "#/components/schemas/TokenRequest");
    assert!(schema_keys(&doc, "TokenRequest").contains(&"expires_in_days".to_owned()));

    // The documented shapes are the answered ones.
    let (_, list) = app
        .send(Method::GET, "/api/v1/admin/users", &app.admin_token, None)
        .await;
    assert_eq!(keys_of(&list), schema_keys(&doc, "AccountList"));
    assert_eq!(keys_of(&list["items"][0]), schema_keys(&doc, "Account"));
    let (_, issued) = app
        .post(
            "/api/v1/auth/tokens",
            "",
            json!({"email": "tea@htx.vn", "password": PASSWORD}),
        )
        .await;
    assert_eq!(keys_of(&issued), schema_keys(&doc, "NewToken"));
    assert_eq!(keys_of(&issued["info"]), schema_keys(&doc, "TokenRow"));
    let (_, changed) = app
        .post(
            "/api/v1/me/password",
            &app.orange_token,
            json!({"current_password": PASSWORD, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(keys_of(&changed), schema_keys(&doc, "PasswordChanged"));
    let id = user_id(&app, "orange@htx.vn").await;
    let (_, reset) = app
        .post(
            &format!("/api/v1/admin/users/{id}/password"),
            &app.admin_token,
            json!({"new_password": PASSWORD}),
        )
        .await;
    assert_eq!(keys_of(&reset), schema_keys(&doc, "PasswordWasReset"));
}

/// Migration 000004 gives API tokens issued before expiry existed 90 days from the upgrade, and
/// leaves sessions and tokens that had a term alone.
mod upgrade {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};

    #[derive(diesel::QueryableByName)]
    struct Term {
        #[diesel(sql_type = diesel::sql_types::Text)]
        label: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
        expires_at: Option<chrono::NaiveDateTime>,
    }

    /// Migrates `$conn` up to (not including) 000004, adds tokens, then runs the rest; the terms.
    /// (A macro: diesel's loading traits are awkward to state over both connections.)
    macro_rules! upgrade {
        ($conn:expr, $folder:literal) => {{
            let conn = $conn;
            let source = FileBasedMigrations::from_path(format!(
                "{}/migrations/{}",
                env!("CARGO_MANIFEST_DIR"),
                $folder
            ))
            .unwrap();
            for migration in conn.pending_migrations(source.clone()).unwrap() {
                if migration.name().to_string().as_str() >= "2026-12-02-000004" {
                    break;
                }
                conn.run_migration(&*migration).unwrap();
            }
            conn.batch_execute(
                "INSERT INTO users (id, email, password_hash, role, created_at)
                 VALUES (1, 'cu@htx.vn', 'x', 'admin', '2026-01-01 00:00:00');
                 INSERT INTO tokens (user_id, kind, token_hash, label, created_at, expires_at) VALUES
                   (1, 'api', 'h1', 'old-api', '2026-01-01 00:00:00', NULL),
                   (1, 'api', 'h2', 'api-with-term', '2026-01-01 00:00:00', '2026-03-01 00:00:00'),
                   (1, 'session', 'h3', 'session', '2026-01-01 00:00:00', NULL);",
            )
            .unwrap();
            conn.run_pending_migrations(source).unwrap();
            let terms: Vec<Term> =
                diesel::sql_query("SELECT label, expires_at FROM tokens ORDER BY id")
                    .load(conn)
                    .unwrap();
            terms
        }};
    }

    fn check(terms: &[Term]) {
        let labels: Vec<&str> = terms.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["old-api", "api-with-term", "session"]);
        let days = (terms[0].expires_at.unwrap() - chrono::Utc::now().naive_utc()).num_hours()
            as f64
            / 24.0;
        assert!((days - 90.0).abs() < 0.1, "{days} days");
        assert_eq!(
            terms[1].expires_at,
            chrono::NaiveDate::from_ymd_opt(2026, 3, 1).and_then(|d| d.and_hms_opt(0, 0, 0))
        );
        assert_eq!(terms[2].expires_at, None);
    }

    #[test]
    fn sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        check(&upgrade!(&mut conn, "sqlite"));
    }

    #[test]
    fn postgres() {
        let admin = std::env::var("VUNGCAO_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let required =
            std::env::var("VUNGCAO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true");
        let mut server = match PgConnection::establish(&admin) {
            Ok(c) => c,
            Err(e) if !required => {
                eprintln!("SKIPPED: PostgreSQL upgrade test ({e})");
                return;
            }
            Err(e) => panic!("PostgreSQL is required but unavailable: {e}"),
        };
        let name = format!("vungcao_upgrade_{}", std::process::id());
        server
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\""))
            .unwrap();
        server
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&format!("/{name}"));
        let terms = {
            let mut conn = PgConnection::establish(url.as_str()).unwrap();
            upgrade!(&mut conn, "postgres")
        };
        server
            .batch_execute(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .unwrap();
        check(&terms);
    }
}
