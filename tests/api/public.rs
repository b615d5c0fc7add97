//! What a shopper without an account can read.

use crate::both_backends;
use crate::helpers::{new_listing, TestApp};
use crate::revisions::{create, submit};
use serde_json::{json, Value};

both_backends!(
    lists_published_demo_listings,
    detail_by_slug_and_not_found_problem,
    filters_narrow_the_list,
    place_filter_includes_everything_under_it,
    a_listing_moved_to_another_commune_moves_between_place_lists,
    cursor_pagination_walks_every_listing_once,
    cursor_from_another_query_is_refused,
    unpublished_listings_never_leak,
    places_categories_and_cooperatives,
    events_resolve_yearly_festivals,
);

fn slugs(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn lists_published_demo_listings(app: TestApp) {
    let (status, body) = app.get_json("/api/v1/listings?limit=100").await;
    assert_eq!(status, 200);
    let slugs = slugs(&body);
    assert_eq!(slugs.len(), 34);
    assert!(slugs.contains(&"che-shan-tuyet-co-thu-hong-thai".to_owned()));
    assert!(body["next"].is_null());
}

async fn detail_by_slug_and_not_found_problem(app: TestApp) {
    let (status, tea) = app
        .get_json("/api/v1/listings/che-shan-tuyet-co-thu-hong-thai")
        .await;
    assert_eq!(status, 200);
    assert_eq!(tea["name"]["vi"], "Chè Shan tuyết cổ thụ Hồng Thái");
    assert_eq!(tea["price"]["vnd"], 450000);
    assert_eq!(tea["price"]["unit"], "hộp 200 g");
    assert_eq!(tea["ocop"]["stars"], 4);
    assert_eq!(tea["certifications"], serde_json::json!(["vietgap"]));
    assert_eq!(tea["cooperative"]["phone"], "0912 000 101");
    assert_eq!(tea["place"]["path"][1]["name"], "Na Hang");
    assert_eq!(tea["marketplace_links"][0]["platform"], "shopee");
    assert!(tea["marketplace_links"][0]["go_url"]
        .as_str()
        .unwrap()
        .starts_with("/go/"));
    assert_eq!(
        tea["season_months"],
        serde_json::json!([3, 4, 5, 6, 7, 8, 9, 10])
    );

    let res = app.get("/api/v1/listings/khong-co-san-pham-nay").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(
        problem,
        serde_json::json!({
            "type": "/api/docs#problem-listing_not_found",
            "title": "Listing not found",
            "status": 404,
            "code": "listing_not_found"
        })
    );
}

async fn filters_narrow_the_list(app: TestApp) {
    let (_, events) = app.get_json("/api/v1/listings?kind=event&limit=100").await;
    assert_eq!(slugs(&events).len(), 5);
    let (_, tea) = app
        .get_json("/api/v1/listings?category=tea&limit=100")
        .await;
    assert!(slugs(&tea)
        .iter()
        .all(|s| s.contains("che") || s.contains("tra")));
    let (_, five) = app.get_json("/api/v1/listings?ocop=5").await;
    assert_eq!(slugs(&five), vec!["che-shan-tuyet-hoang-su-phi"]);
    let (_, coop) = app
        .get_json("/api/v1/listings?cooperative=htx-cam-sanh-ham-yen&limit=100")
        .await;
    assert!(slugs(&coop).contains(&"cam-sanh-ham-yen".to_owned()));
    assert!(coop["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["cooperative"]["slug"] == "htx-cam-sanh-ham-yen"));
    let (_, cheap) = app
        .get_json("/api/v1/listings?price_min=100000&price_max=200000&limit=100")
        .await;
    for item in cheap["items"].as_array().unwrap() {
        let p = item["price"]["vnd"].as_i64().unwrap();
        assert!((100_000..=200_000).contains(&p), "{p}");
    }
    assert!(!cheap["items"].as_array().unwrap().is_empty());
    let (_, february) = app.get_json("/api/v1/listings?month=2&limit=100").await;
    assert!(slugs(&february).contains(&"le-hoi-mua-hoa-le-hong-thai".to_owned()));
    assert!(!slugs(&february).contains(&"che-shan-tuyet-co-thu-hong-thai".to_owned()));
    let (_, organic) = app
        .get_json("/api/v1/listings?certification=organic&limit=100")
        .await;
    assert_eq!(slugs(&organic).len(), 2);
    let (_, by_price) = app
        .get_json("/api/v1/listings?sort=price_asc&limit=100")
        .await;
    let prices: Vec<i64> = by_price["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["price"]["vnd"].as_i64().unwrap())
        .collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]));
}

async fn place_filter_includes_everything_under_it(app: TestApp) {
    // Na Hang (a former district) covers the communes Hồng Thái and Khau Mút.
    let (status, na_hang) = app.get_json("/api/v1/listings?place=TQ-NH&limit=100").await;
    assert_eq!(status, 200);
    let items = na_hang["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["place"]["code"] == "TQ-NH-HT"));
    assert!(items.iter().any(|i| i["place"]["code"] == "TQ-NH-KM"));
    assert!(items
        .iter()
        .all(|i| i["place"]["code"].as_str().unwrap().starts_with("TQ-NH")));
    let (_, province) = app.get_json("/api/v1/listings?place=TQ&limit=100").await;
    assert_eq!(slugs(&province).len(), 34);
    let (_, commune) = app
        .get_json("/api/v1/listings?place=TQ-NH-KM&limit=100")
        .await;
    assert!(commune["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["place"]["code"] == "TQ-NH-KM"));
    let (status, problem) = app.get_json("/api/v1/listings?place=NOWHERE").await;
    assert_eq!(status, 400);
    assert_eq!(problem["code"], "invalid_query");
    assert_eq!(problem["errors"][0]["field"], "place");
    let (status, problem) = app
        .get_json("/api/v1/listings?place=TQ-NH&cooperative=khong-co-htx-nay")
        .await;
    assert_eq!(status, 400);
    assert_eq!(problem["errors"][0]["field"], "cooperative");
    // Every bad field named at once, the unknown place among them.
    let (status, problem) = app
        .get_json("/api/v1/listings?place=NOWHERE&limit=0&ocop=9")
        .await;
    assert_eq!(status, 400);
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["limit", "ocop", "place"], "{problem}");
}

/// The place lists read each listing's copy of its place's path: a new listing is listed under
/// its district and province, and a move to another commune moves it between the lists.
async fn a_listing_moved_to_another_commune_moves_between_place_lists(app: TestApp) {
    // Hồng Thái (the tea cooperative's home) publishes without review.
    app.skip_review_at("TQ-NH-HT").await;
    let id = create(&app, &app.tea_token, new_listing("Chè dời xã")).await;
    let listing = submit(&app, &app.tea_token, id).await;
    assert_eq!(listing["status"], "published", "{listing}");
    let slug = listing["slug"].as_str().unwrap().to_owned();
    let listed_in = |place: &'static str| {
        let (app, slug) = (&app, &slug);
        async move {
            let (status, body) = app
                .get_json(&format!(
                    "/api/v1/listings?place={place}&category=tea&limit=100"
                ))
                .await;
            assert_eq!(status, 200, "{body}");
            slugs(&body).contains(slug)
        }
    };
    for (place, expected) in [
        ("TQ", true),
        ("TQ-NH", true),
        ("TQ-NH-HT", true),
        ("TQ-HY", false),
    ] {
        assert_eq!(listed_in(place).await, expected, "{place}");
    }
    // Moved to Minh Hương, in the former district of Hàm Yên.
    let (status, moved) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            json!({"place": "TQ-HY-MH"}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    for (place, expected) in [
        ("TQ", true),
        ("TQ-NH", false),
        ("TQ-NH-HT", false),
        ("TQ-HY", true),
        ("TQ-HY-MH", true),
        ("TQ-HY-PL", false),
    ] {
        assert_eq!(listed_in(place).await, expected, "{place}");
    }
    // The storefront's place page lists it under its new district only.
    let hy = app.get("/dia-phuong/TQ-HY").await.text().await.unwrap();
    assert!(hy.contains("Chè dời xã"), "{hy}");
    let nh = app.get("/dia-phuong/TQ-NH").await.text().await.unwrap();
    assert!(!nh.contains("Chè dời xã"));
}

async fn cursor_pagination_walks_every_listing_once(app: TestApp) {
    for sort in ["newest", "price_desc"] {
        let mut seen = Vec::new();
        let mut path = format!("/api/v1/listings?limit=7&sort={sort}");
        loop {
            let (status, page) = app.get_json(&path).await;
            assert_eq!(status, 200);
            seen.extend(slugs(&page));
            match page["next"].as_str() {
                Some(next) => path = format!("/api/v1/listings?limit=7&sort={sort}&cursor={next}"),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no listing twice ({sort})");
        let (_, all) = app
            .get_json(&format!("/api/v1/listings?limit=100&sort={sort}"))
            .await;
        assert_eq!(seen, slugs(&all), "same order as one big page ({sort})");
    }
}

async fn cursor_from_another_query_is_refused(app: TestApp) {
    let (_, page) = app.get_json("/api/v1/listings?limit=2&kind=product").await;
    let cursor = page["next"].as_str().unwrap().to_owned();
    let (status, problem) = app
        .get_json(&format!(
            "/api/v1/listings?limit=2&kind=event&cursor={cursor}"
        ))
        .await;
    assert_eq!(status, 400);
    assert_eq!(problem["code"], "invalid_cursor");
    let (status, problem) = app.get_json("/api/v1/listings?cursor=not-a-cursor").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_cursor"))
    );
}

async fn unpublished_listings_never_leak(app: TestApp) {
    let (_, draft) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            new_listing("Chè nháp bí mật"),
        )
        .await;
    let (_, pending) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            new_listing("Chè chờ duyệt bí mật"),
        )
        .await;
    let pending_id = pending["id"].as_i64().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/my/listings/{pending_id}/submit"),
            &app.tea_token,
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    let (status, archived) = app
        .send(
            reqwest::Method::DELETE,
            "/api/v1/my/listings/1",
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(archived["status"], "archived");
    for slug in [
        draft["slug"].as_str().unwrap(),
        pending["slug"].as_str().unwrap(),
        archived["slug"].as_str().unwrap(),
    ] {
        assert_eq!(
            app.get(&format!("/api/v1/listings/{slug}")).await.status(),
            404,
            "{slug}"
        );
    }
    let (_, all) = app.get_json("/api/v1/listings?limit=100").await;
    let (_, coop) = app
        .get_json("/api/v1/cooperatives/htx-che-shan-tuyet-hong-thai")
        .await;
    let body = format!("{all}{coop}");
    assert!(!body.contains("bí mật"));
    assert!(!body.contains(archived["slug"].as_str().unwrap()));
    assert_eq!(slugs(&all).len(), 33);
}

async fn places_categories_and_cooperatives(app: TestApp) {
    let (status, places) = app.get_json("/api/v1/places").await;
    assert_eq!(status, 200);
    let province = &places["items"][0];
    assert_eq!(province["name"], "Tuyên Quang");
    let na_hang = province["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "TQ-NH")
        .unwrap();
    assert_eq!(na_hang["aliases"], serde_json::json!(["huyện Na Hang"]));
    assert!(na_hang["children"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "Hồng Thái"));
    let (_, cats) = app.get_json("/api/v1/categories").await;
    assert_eq!(
        cats["items"][0],
        serde_json::json!({"code": "tea", "name": {"vi": "Chè", "en": "Tea"}})
    );
    let (status, coop) = app
        .get_json("/api/v1/cooperatives/htx-mat-ong-bac-ha-meo-vac")
        .await;
    assert_eq!(status, 200);
    assert_eq!(coop["cooperative"]["name"], "HTX Mật ong bạc hà Mèo Vạc");
    assert!(slugs(&serde_json::json!({"items": coop["listings"]}))
        .contains(&"mat-ong-bac-ha-meo-vac".to_owned()));
    let (status, problem) = app.get_json("/api/v1/cooperatives/khong-ton-tai").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("cooperative_not_found"))
    );
}

async fn events_resolve_yearly_festivals(app: TestApp) {
    let (status, list) = app
        .get_json("/api/v1/events?from=2027-01-01&to=2027-03-31")
        .await;
    assert_eq!(status, 200);
    let items = list["items"].as_array().unwrap();
    let found: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["start"].as_str().unwrap(),
                i["listing"]["slug"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("2027-01-14", "le-hoi-long-tong"),
            ("2027-02-10", "le-hoi-mua-hoa-le-hong-thai")
        ]
    );
    let (_, two_years) = app
        .get_json("/api/v1/events?from=2027-02-01&to=2028-02-28")
        .await;
    let pear: Vec<&str> = two_years["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["listing"]["slug"] == "le-hoi-mua-hoa-le-hong-thai")
        .map(|i| i["start"].as_str().unwrap())
        .collect();
    assert_eq!(pear, vec!["2027-02-10", "2028-02-10"]);
    let (status, problem) = app
        .get_json("/api/v1/events?from=2027-03-01&to=2027-01-01")
        .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (400, Some("to"))
    );

    // A page at a time: following `next` gives the same occurrences in the same order, once each.
    let range = "from=2027-01-01&to=2029-12-31";
    let key = |i: &Value| format!("{} {}", i["start"], i["listing"]["slug"]);
    let (_, whole) = app.get_json(&format!("/api/v1/events?{range}")).await;
    let whole: Vec<String> = whole["items"].as_array().unwrap().iter().map(key).collect();
    assert!(whole.len() > 4, "{whole:?}");
    let mut paged = Vec::new();
    let mut url = format!("/api/v1/events?{range}&limit=2");
    loop {
        let (status, page) = app.get_json(&url).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        paged.extend(items.iter().map(key));
        match page["next"].as_str() {
            Some(next) => url = format!("/api/v1/events?{range}&limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(paged, whole);
    for bad in ["limit=0", "limit=201", "cursor=hom-qua"] {
        let (status, problem) = app.get_json(&format!("/api/v1/events?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {problem}");
    }
    let (_, problem) = app.get_json("/api/v1/events?cursor=2027-01-14.x.1").await;
    assert_eq!(problem["code"], "invalid_cursor");
}
