//! Bad input gets a clear 4xx naming the field, and the database is exactly as before.

use crate::both_backends;
use crate::helpers::{new_listing, TestApp};
use serde_json::{json, Value};

both_backends!(
    bad_listings_change_nothing,
    bad_query_parameters_are_named,
    hostile_text_is_stored_verbatim
);

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

async fn bad_listings_change_nothing(app: TestApp) {
    let before = app.snapshot().await;
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        (
            "wrong type",
            with(new_listing("Chè"), "price_vnd", json!("rẻ")),
            422,
            "validation_failed",
            "price_vnd",
        ),
        (
            "unknown field",
            with(new_listing("Chè"), "stock", json!(5)),
            422,
            "validation_failed",
            "stock",
        ),
        (
            "missing kind",
            {
                let mut b = new_listing("Chè");
                b.as_object_mut().unwrap().remove("kind");
                b
            },
            422,
            "validation_failed",
            "kind",
        ),
        (
            "empty name",
            new_listing("   "),
            422,
            "validation_failed",
            "name.vi",
        ),
        (
            "10 000 characters",
            new_listing(&"Chè ".repeat(2500)),
            422,
            "validation_failed",
            "name.vi",
        ),
        (
            "negative price",
            with(new_listing("Chè"), "price_vnd", json!(-1000)),
            422,
            "validation_failed",
            "price_vnd",
        ),
        (
            "absurd price",
            with(new_listing("Chè"), "price_vnd", json!(99_000_000_000i64)),
            422,
            "validation_failed",
            "price_vnd",
        ),
        (
            "OCOP 2 stars",
            with(new_listing("Chè"), "ocop_stars", json!(2)),
            422,
            "validation_failed",
            "ocop_stars",
        ),
        (
            "OCOP 6 stars",
            with(new_listing("Chè"), "ocop_stars", json!(6)),
            422,
            "validation_failed",
            "ocop_stars",
        ),
        (
            "month 13",
            with(new_listing("Chè"), "season_months", json!([13])),
            422,
            "validation_failed",
            "season_months[0]",
        ),
        (
            "unknown category",
            with(new_listing("Chè"), "category", json!("weapons")),
            422,
            "validation_failed",
            "category",
        ),
        (
            "unknown place",
            with(new_listing("Chè"), "place", json!("XX-01")),
            422,
            "validation_failed",
            "place",
        ),
        (
            "plain http link",
            with(
                new_listing("Chè"),
                "marketplace_links",
                json!([{"platform": "shopee", "url": "http://shopee.vn/x"}]),
            ),
            422,
            "validation_failed",
            "marketplace_links[0].url",
        ),
        (
            "host of another platform",
            with(
                new_listing("Chè"),
                "marketplace_links",
                json!([{"platform": "lazada", "url": "https://shopee.vn/x"}]),
            ),
            422,
            "validation_failed",
            "marketplace_links[0].url",
        ),
        (
            "lookalike host",
            with(
                new_listing("Chè"),
                "marketplace_links",
                json!([{"platform": "shopee", "url": "https://shopee.vn.lua-dao.com/x"}]),
            ),
            422,
            "validation_failed",
            "marketplace_links[0].url",
        ),
        (
            "unknown platform",
            with(
                new_listing("Chè"),
                "marketplace_links",
                json!([{"platform": "ebay", "url": "https://ebay.com/x"}]),
            ),
            422,
            "validation_failed",
            "marketplace_links[0].platform",
        ),
        (
            "event ends before it starts",
            json!({"kind": "event", "name": {"vi": "Lễ hội"}, "description": {"vi": "Vui"}, "category": "festival", "event": {"start": "2027-02-12", "end": "2027-02-10"}}),
            422,
            "validation_failed",
            "event.end",
        ),
        (
            "event without dates",
            json!({"kind": "event", "name": {"vi": "Lễ hội"}, "description": {"vi": "Vui"}, "category": "festival"}),
            422,
            "validation_failed",
            "event",
        ),
    ];
    for (what, body, status, code, field) in cases {
        let (got, problem) = app.post("/api/v1/my/listings", &app.tea_token, body).await;
        assert_eq!(got, status, "{what}: {problem}");
        assert_eq!(problem["code"], code, "{what}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{what}: {fields:?}");
    }
    // Malformed JSON and the wrong content type.
    let res = app
        .client
        .post(app.url("/api/v1/my/listings"))
        .bearer_auth(&app.tea_token)
        .header("content-type", "application/json")
        .body("{\"kind\": \"product\",")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "malformed_json");
    let res = app
        .client
        .post(app.url("/api/v1/my/listings"))
        .bearer_auth(&app.tea_token)
        .header("content-type", "text/plain")
        .body(new_listing("Chè").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    // Bad edits of an existing listing change nothing either.
    let (status, problem) = app
        .patch(
            "/api/v1/my/listings/1",
            &app.tea_token,
            json!({"ocop_stars": 9, "price_vnd": 1}),
        )
        .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (422, Some("ocop_stars"))
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "the database is exactly as before"
    );
}

async fn bad_query_parameters_are_named(app: TestApp) {
    for (query, field) in [
        ("kind=cake", "kind"),
        ("ocop=7", "ocop"),
        ("month=0", "month"),
        ("price_min=abc", "price_min"),
        ("price_min=500&price_max=100", "price_max"),
        ("limit=100000", "limit"),
        ("sort=random", "sort"),
        ("colour=red", "colour"),
        ("certification=halal", "certification"),
    ] {
        let (status, problem) = app.get_json(&format!("/api/v1/listings?{query}")).await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert_eq!(problem["code"], "invalid_query", "{query}");
        assert_eq!(problem["errors"][0]["field"], field, "{query}");
    }
    // Far-future (and far-past) dates are a 4xx wherever dates are read, never a 500.
    for (path, field) in [
        ("/api/v1/events?from=%2B262143-06-01", "from"),
        ("/api/v1/events?to=%2B262143-06-01", "to"),
        ("/api/v1/events?from=-0001-01-01", "from"),
        ("/api/v1/search?q=le+hoi&from=%2B262143-06-01", "from"),
        ("/api/v1/search?to=%2B262142-12-31", "to"),
    ] {
        let (status, problem) = app.get_json(path).await;
        assert_eq!(status, 400, "{path}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{path}");
    }
    let mut festival = new_listing("Lễ hội năm xa");
    festival["kind"] = json!("event");
    festival["category"] = json!("festival");
    festival["event"] = json!({"start": "+262142-06-01", "end": "+262142-06-02"});
    let (status, problem) = app
        .post("/api/v1/my/listings", &app.tea_token, festival)
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "event.start", "{problem}");
}

async fn hostile_text_is_stored_verbatim(app: TestApp) {
    let sneaky = "'; DROP TABLE listings; -- <script>alert('xss')</script> Chè “ngon” đặc sản";
    let body = json!({
        "kind": "product",
        "name": {"vi": sneaky, "en": "Robert'); DROP TABLE users;--"},
        "description": {"vi": "Ấm áp, thơm ngát — 100% tự nhiên.\nDòng hai"},
        "category": "tea",
        "unit": "gói 1/2 kg",
        "certifications": ["Hữu cơ", "Chỉ dẫn địa lý"]
    });
    let (status, created) = app.post("/api/v1/my/listings", &app.tea_token, body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["name"]["vi"], sneaky);
    assert_eq!(
        created["slug"],
        "drop-table-listings-script-alert-xss-script-che-ngon-dac-san"
    );
    assert_eq!(
        created["certifications"],
        json!(["geographical_indication", "organic"])
    );
    assert_eq!(
        created["description"]["vi"],
        "Ấm áp, thơm ngát — 100% tự nhiên.\nDòng hai"
    );
    let (status, list) = app.get_json("/api/v1/listings?limit=100").await;
    assert_eq!(status, 200);
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        34,
        "the table is still there"
    );
}
