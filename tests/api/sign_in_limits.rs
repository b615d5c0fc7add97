//! Sign-in guesses cannot buy more password checks than the limits allow, cannot lock the
//! owner out from another address, and are refused with 429 and `Retry-After`.

use crate::both_backends;
use crate::helpers::TestApp;
use crate::web::{browser, csrf, page};
use serde_json::{json, Value};

both_backends!(
    parallel_wrong_guesses_reach_the_password_check_at_most_the_limit,
    wrong_current_passwords_are_limited_like_sign_ins,
);
both_backends!(@settings |s| s.trusted_proxy_header = Some("X-Forwarded-For".into());
    the_owner_signs_in_from_another_address_while_an_attacker_waits,
    the_sign_in_page_says_how_long_to_wait);

/// One guess from `address` (sent as the proxy would: appended to `X-Forwarded-For`).
async fn guess(app: &TestApp, address: &str, password: &str) -> (u16, Option<u64>, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", format!("10.9.9.9, {address}"))
        .json(&json!({"email": "tea@htx.vn", "password": password}))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry_after, res.json().await.unwrap_or(Value::Null))
}

async fn parallel_wrong_guesses_reach_the_password_check_at_most_the_limit(app: TestApp) {
    let before = app.login_verifications.get();
    let guesses = (0..30).map(|n| {
        let app = &app;
        async move {
            let res = app
                .client
                .post(app.url("/api/v1/auth/login"))
                .json(&json!({"email": "tea@htx.vn", "password": format!("doan-mo-{n}")}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let retry_after = res.headers().get("retry-after").is_some();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (
                status,
                retry_after,
                body["code"].as_str().map(str::to_owned),
            )
        }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let checked = app.login_verifications.get() - before;
    assert!(
        checked <= 5,
        "{checked} passwords were checked: {answers:?}"
    );
    let wrong = answers.iter().filter(|(s, _, _)| *s == 401).count();
    assert_eq!(wrong as u64, checked, "{answers:?}");
    for (status, retry_after, code) in &answers {
        match status {
            401 => assert_eq!(code.as_deref(), Some("unauthorized")),
            429 => assert!(*retry_after && code.as_deref() == Some("rate_limited")),
            503 => assert!(*retry_after && code.as_deref() == Some("sign_in_busy")),
            other => panic!("unexpected {other}: {answers:?}"),
        }
    }
    assert!(answers.iter().filter(|(s, _, _)| *s == 429).count() >= 25);
    // Even the right password now waits: this address used up its guesses at this account.
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "tea@htx.vn", "password": "mat-khau-an-toan"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    assert_eq!(app.login_verifications.get() - before, checked);
}

async fn the_owner_signs_in_from_another_address_while_an_attacker_waits(app: TestApp) {
    let attacker = "203.0.113.9";
    let mut refused = 0;
    for n in 0..12 {
        let (status, retry_after, body) = guess(&app, attacker, &format!("doan-mo-{n}")).await;
        if status == 429 {
            refused += 1;
            assert!(retry_after.is_some_and(|s| s >= 1), "{body}");
            assert_eq!(body["code"], "rate_limited");
            assert!(body["detail_vi"]
                .as_str()
                .unwrap()
                .contains("Vui lòng thử lại sau"));
        } else {
            assert_eq!(status, 401, "{body}");
        }
    }
    assert_eq!(refused, 7);
    // The attacker's address waits even with the right password …
    let (status, _, _) = guess(&app, attacker, "mat-khau-an-toan").await;
    assert_eq!(status, 429);
    // … while the owner, from their own address, signs in at once.
    let (status, _, body) = guess(&app, "198.51.100.4", "mat-khau-an-toan").await;
    assert_eq!((status, body["email"].as_str()), (200, Some("tea@htx.vn")));
    // Without the trusted header the proxy's own address would count for both; with it, a
    // forged left-most address does not help the attacker either.
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", format!("198.51.100.4, {attacker}"))
        .json(&json!({"email": "tea@htx.vn", "password": "doan-mo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
}

async fn the_sign_in_page_says_how_long_to_wait(app: TestApp) {
    let client = browser();
    let (_, html) = page(&client, &app, "/dang-nhap").await;
    let token = csrf(&html);
    let post = |password: &'static str, address: &'static str| {
        client
            .post(app.url("/dang-nhap"))
            .header("X-Forwarded-For", address)
            .form(&[
                ("csrf", token.as_str()),
                ("email", "tea@htx.vn"),
                ("password", password),
            ])
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            post("doan-mo-1234", "203.0.113.9").await.unwrap().status(),
            401
        );
    }
    let res = post("mat-khau-an-toan", "203.0.113.9").await.unwrap();
    assert_eq!(res.status().as_u16(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau"),
        "{html}"
    );
    // In English, the same.
    let res = client
        .post(app.url("/dang-nhap?lang=en"))
        .header("X-Forwarded-For", "203.0.113.9")
        .form(&[
            ("csrf", token.as_str()),
            ("email", "tea@htx.vn"),
            ("password", "mat-khau-an-toan"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Too many failed sign-ins. Please try again in"),
        "{html}"
    );
    // The owner's own phone, elsewhere, is let in.
    let res = post("mat-khau-an-toan", "198.51.100.4").await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
}

/// A stolen session cannot guess the password through "change my password" any faster than
/// through the sign-in form: the current password takes an attempt under the same limits and is
/// checked on the same pool.
async fn wrong_current_passwords_are_limited_like_sign_ins(app: TestApp) {
    let before = app.login_verifications.get();
    let changes = (0..20).map(|n| {
        let app = &app;
        async move {
            let res = app
                .client
                .post(app.url("/api/v1/me/password"))
                .bearer_auth(&app.tea_token)
                .json(&json!({"current_password": format!("doan-mo-{n}"), "new_password": "mat-khau-moi-dai-du"}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let retry_after = res.headers().get("retry-after").is_some();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, retry_after, body)
        }
    });
    let answers = futures_util::future::join_all(changes).await;
    let checked = app.login_verifications.get() - before;
    assert!(
        checked <= 5,
        "{checked} passwords were checked: {answers:?}"
    );
    assert!(
        answers
            .iter()
            .all(|(status, _, _)| [422, 429, 503].contains(status)),
        "{answers:?}"
    );
    let limited: Vec<_> = answers
        .iter()
        .filter(|(status, _, _)| *status == 429)
        .collect();
    assert!(limited.len() >= 15, "{answers:?}");
    for (_, retry_after, body) in limited {
        assert!(retry_after, "429 without Retry-After: {body}");
        assert_eq!(body["code"], "rate_limited", "{body}");
        assert!(
            body["detail_vi"]
                .as_str()
                .unwrap()
                .contains("Bạn đã nhập sai mật khẩu quá nhiều lần"),
            "{body}"
        );
    }
    // The password is unchanged.
    let still = app
        .with_db(|c| {
            let user = vungcao::store::users::by_email(c, "tea@htx.vn")
                .unwrap()
                .unwrap();
            vungcao::auth::verify_password("mat-khau-an-toan", &user.password_hash)
        })
        .await;
    assert!(still, "the password changed");
}
