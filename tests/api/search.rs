//! Search through the HTTP API, kept in sync with the database by the outbox indexer.

use crate::both_backends;
use crate::helpers::{new_listing, TestApp};
use reqwest::Method;
use serde_json::Value;

both_backends!(
    search_finds_vietnamese_without_diacritics,
    search_filters_facets_and_cursor,
    publish_search_archive_round_trip,
    hostile_queries_never_fail,
    search_understands_what_shoppers_mean,
    quick_and_slow_searches_answer_alike
);

/// The finder runs an embedded search where its hits are then read: on the calling worker while
/// the index's searches are quick, on a blocking thread otherwise. A debug build's searches are
/// rarely quick, so the index is put on each side in turn: the API and the search page answer
/// the same either way.
async fn quick_and_slow_searches_answer_alike(app: TestApp) {
    app.indexed().await;
    let search = app.search().await;
    let vungcao::search::SearchIndex::Tantivy(tantivy) = &*search else {
        panic!("the API tests search with tantivy");
    };
    let mut answers = Vec::new();
    // The same words written three ways: three addresses, so no answer comes from the response
    // cache.
    for (quick, took, text) in [
        (true, 10, "che%20shan"),
        (false, 50_000, "Che%20Shan"),
        (true, 10, "CHE%20SHAN"),
    ] {
        for _ in 0..200 {
            tantivy.note_search_time(std::time::Duration::from_micros(took));
        }
        assert_eq!(tantivy.searches_are_quick(), quick);
        let (status, api) = app
            .get_json(&format!("/api/v1/search?q={text}&facets=kind"))
            .await;
        assert_eq!(status, 200);
        let page = app.get(&format!("/tim-kiem?q={text}")).await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        let slugs: Vec<String> = api["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["slug"].as_str().unwrap().to_owned())
            .collect();
        assert!(!slugs.is_empty(), "{api}");
        assert!(
            slugs.iter().all(|s| page.contains(s.as_str())),
            "quick {quick}: the page shows every hit: {slugs:?}"
        );
        answers.push((slugs, api["total"].clone(), api["facets"].clone()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);
}

async fn search_understands_what_shoppers_mean(app: TestApp) {
    app.indexed().await;
    // Telex typed with the Vietnamese keyboard off, and the explanation of how it was read.
    let (status, body) = app
        .get_json("/api/v1/search?q=hoongf%20thais&explain=true")
        .await;
    assert_eq!(status, 200);
    let notes: Vec<&str> = body["explain"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("hoongf → hồng")),
        "{notes:?}"
    );
    let readings = body["explain"]["readings"].as_array().unwrap();
    assert!(
        readings
            .iter()
            .any(|r| r["matched"] == true && r["ran"] == true),
        "{readings:?}"
    );
    assert_eq!(body["items"][0]["place"]["code"], "TQ-NH-HT");
    assert_eq!(body["did_you_mean"], Value::Null);
    // Without explain=true there is no explanation.
    let (_, plain) = app.get_json("/api/v1/search?q=mieesn%20dong").await;
    assert!(plain.get("explain").is_none());
    assert_eq!(names(&plain)[0], "Miến dong Trung Yên");
    // Nothing found as typed: the closest reading, and its results.
    let (_, closest) = app.get_json("/api/v1/search?q=vitt").await;
    assert_eq!(closest["did_you_mean"], "vịt");
    assert_eq!(names(&closest)[0], "Vịt bầu Minh Hương");
    let (status, _) = app.get_json("/api/v1/search?q=x&explain=maybe").await;
    assert_eq!(status, 400);
}

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"]["vi"].as_str().unwrap().to_owned())
        .collect()
}

async fn search_finds_vietnamese_without_diacritics(app: TestApp) {
    app.indexed().await;
    for (q, first) in [
        ("che shan tuyet", "Chè Shan tuyết"),
        ("CHE SHAN TUYET", "Chè Shan tuyết"),
        ("duong phen", "Đường phên mía"),
        ("mang kho", "Măng khô Lâm Bình"),
        ("cam snah", "Cam sành"),
        ("cam sanh ham ye", "Cam sành Hàm Yên"),
        ("lê", "Lê "),
        ("lễ hội", "Lễ hội"),
    ] {
        let (status, body) = app
            .get_json(&format!("/api/v1/search?q={}", urlencode(q)))
            .await;
        assert_eq!(status, 200, "{q}");
        let found = names(&body);
        assert!(
            found.first().is_some_and(|n| n.starts_with(first)),
            "{q}: {found:?}"
        );
    }
    let (_, na_hang) = app.get_json("/api/v1/search?q=Na%20Hang&limit=50").await;
    assert!(
        na_hang["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["place"]["code"] == "TQ-NH-HT"),
        "communes of Na Hang"
    );
}

async fn search_filters_facets_and_cursor(app: TestApp) {
    app.indexed().await;
    let (status, browse) = app.get_json("/api/v1/search?limit=5").await;
    assert_eq!(status, 200);
    assert_eq!(browse["total"], 34);
    assert_eq!(browse["facets"]["kind"]["event"], 5);
    assert_eq!(browse["facets"]["category_code"]["tea"], 5);
    let (_, tea) = app
        .get_json("/api/v1/search?q=che&category=tea&place=TQ-NH&limit=50")
        .await;
    assert!(tea["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["category"]["code"] == "tea"
            && i["place"]["code"].as_str().unwrap().starts_with("TQ-NH")));
    assert_eq!(tea["filters"]["place"], "TQ-NH");
    let (_, events) = app
        .get_json("/api/v1/search?kind=event&from=2027-02-01&to=2027-02-28")
        .await;
    assert_eq!(names(&events), vec!["Lễ hội mùa hoa lê Hồng Thái"]);
    let (_, cheap) = app
        .get_json("/api/v1/search?sort=price_asc&price_max=100000&limit=50")
        .await;
    let prices: Vec<i64> = cheap["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["price"]["vnd"].as_i64().unwrap())
        .collect();
    assert!(
        !prices.is_empty()
            && prices.windows(2).all(|w| w[0] <= w[1])
            && prices.iter().all(|p| *p <= 100_000)
    );
    let (_, near) = app
        .get_json("/api/v1/search?sort=nearest&near=23.16,105.41&limit=1")
        .await;
    assert_eq!(
        near["items"][0]["place"]["code"], "HG-MV",
        "Mèo Vạc is nearest to Mèo Vạc"
    );
    // Walk all pages: every listing once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/search?limit=10&facets=false".to_owned();
    loop {
        let (status, page) = app.get_json(&path).await;
        assert_eq!(status, 200);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap()),
        );
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/search?limit=10&facets=false&cursor={next}"),
            None => break,
        }
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 34);
    let (_, first) = app.get_json("/api/v1/search?q=che&limit=2").await;
    let cursor = first["next"].as_str().unwrap();
    let (status, problem) = app
        .get_json(&format!("/api/v1/search?q=cam&limit=2&cursor={cursor}"))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_cursor"))
    );
}

async fn publish_search_archive_round_trip(app: TestApp) {
    app.indexed().await;
    let (_, created) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            new_listing("Chè móc câu Khau Mút"),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/my/listings/{id}/submit"),
        &app.tea_token,
        Value::Null,
    )
    .await;
    app.indexed().await;
    let (_, hidden) = app.get_json("/api/v1/search?q=moc%20cau").await;
    assert!(
        !names(&hidden).contains(&"Chè móc câu Khau Mút".to_owned()),
        "pending is not searchable"
    );
    app.approve(id).await;
    app.indexed().await;
    let (_, found) = app.get_json("/api/v1/search?q=moc%20cau").await;
    assert_eq!(
        names(&found).first().map(String::as_str),
        Some("Chè móc câu Khau Mút")
    );
    // Renaming the cooperative reaches the search documents.
    app.patch(
        "/api/v1/admin/cooperatives/htx-che-shan-tuyet-hong-thai",
        &app.admin_token,
        serde_json::json!({"name": "HTX Trà cổ thụ Pờ Hồng"}),
    )
    .await;
    app.indexed().await;
    let (_, by_coop) = app.get_json("/api/v1/search?q=po%20hong").await;
    assert!(
        names(&by_coop).contains(&"Chè móc câu Khau Mút".to_owned()),
        "{by_coop}"
    );
    app.send(
        Method::DELETE,
        &format!("/api/v1/my/listings/{id}"),
        &app.tea_token,
        None,
    )
    .await;
    app.indexed().await;
    let (_, gone) = app.get_json("/api/v1/search?q=moc%20cau").await;
    assert!(
        !names(&gone).contains(&"Chè móc câu Khau Mút".to_owned()),
        "archived leaves search"
    );
    let drift = vungcao::indexer::check(&app.db, &*app.search().await)
        .await
        .unwrap();
    assert_eq!(
        drift,
        vungcao::indexer::Drift::default(),
        "index and database agree"
    );
}

async fn hostile_queries_never_fail(app: TestApp) {
    app.indexed().await;
    for q in [
        "\" * : ( ) [ ] ~ ^ - + AND OR",
        "che AND OR NOT",
        "((((",
        "\\",
        "*",
        "c",
        &"chè ".repeat(120),
    ] {
        let (status, body) = app
            .get_json(&format!("/api/v1/search?q={}", urlencode(q)))
            .await;
        assert_eq!(status, 200, "{q}: {body}");
    }
    let (status, problem) = app
        .get_json(&format!("/api/v1/search?q={}", "a".repeat(10_000)))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_query"))
    );
    for query in [
        "ocop=9",
        "sort=best",
        "near=abc",
        "sort=nearest",
        "from=yesterday",
        "unknown=1",
        "price_min=-",
    ] {
        let (status, problem) = app.get_json(&format!("/api/v1/search?{query}")).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some("invalid_query")),
            "{query}"
        );
    }
}

pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

both_backends!(@no_indexer check_finds_and_fixes_drift, admin_reindex_rebuilds_from_the_database);

async fn check_finds_and_fixes_drift(app: TestApp) {
    let index = app.search().await;
    let drift = vungcao::indexer::check(&app.db, &index).await.unwrap();
    assert_eq!(
        drift.missing.len(),
        34,
        "nothing indexed without an indexer"
    );
    assert!(drift.extra.is_empty());
    vungcao::indexer::fix(&app.db, &index, &drift)
        .await
        .unwrap();
    let after = vungcao::indexer::check(&app.db, &index).await.unwrap();
    assert_eq!(after, vungcao::indexer::Drift::default());
    let pending = app
        .with_db(|c| vungcao::store::outbox::pending(c).unwrap())
        .await;
    assert_eq!(pending, 0, "the fix went through the outbox");
    // A listing archived behind the index's back is found as extra, and removed.
    app.send(
        Method::DELETE,
        "/api/v1/my/listings/1",
        &app.tea_token,
        None,
    )
    .await;
    app.with_db(|c| {
        use diesel::prelude::*;
        vungcao::with_conn!(c, |c| diesel::delete(vungcao::store::schema::outbox::table)
            .execute(c))
        .unwrap()
    })
    .await;
    let drift = vungcao::indexer::check(&app.db, &index).await.unwrap();
    assert_eq!(drift.extra, vec![1]);
    vungcao::indexer::fix(&app.db, &index, &drift)
        .await
        .unwrap();
    let (_, found) = app.get_json("/api/v1/search?q=co%20thu&facets=false").await;
    assert!(!names(&found).contains(&"Chè Shan tuyết cổ thụ Hồng Thái".to_owned()));
}

async fn admin_reindex_rebuilds_from_the_database(app: TestApp) {
    let (_, before) = app.get_json("/api/v1/search?facets=false").await;
    assert_eq!(before["total"], 0, "no indexer ran yet");
    let (status, done) = app
        .post("/api/v1/admin/reindex", &app.admin_token, Value::Null)
        .await;
    assert_eq!((status, done["documents"].as_u64()), (200, Some(34)));
    let (_, after) = app
        .get_json("/api/v1/search?q=mat%20ong&facets=false")
        .await;
    assert_eq!(
        names(&after).first().map(String::as_str),
        Some("Mật ong bạc hà Mèo Vạc")
    );
    let (status, _) = app
        .post("/api/v1/admin/reindex", &app.tea_token, Value::Null)
        .await;
    assert_eq!(status, 403);
    // A change waiting in the outbox is in the rebuilt index, and its row is done with.
    app.send(
        Method::DELETE,
        "/api/v1/my/listings/1",
        &app.tea_token,
        None,
    )
    .await;
    let pending = || app.with_db(|c| vungcao::store::outbox::pending(c).unwrap());
    assert_eq!(pending().await, 1);
    let (_, done) = app
        .post("/api/v1/admin/reindex", &app.admin_token, Value::Null)
        .await;
    assert_eq!(done["documents"].as_u64(), Some(33));
    assert_eq!(pending().await, 0, "the rebuild covered the waiting row");
    let (_, found) = app.get_json("/api/v1/search?q=co%20thu&facets=false").await;
    assert!(!names(&found).contains(&"Chè Shan tuyết cổ thụ Hồng Thái".to_owned()));
}

both_backends!(renaming_a_place_reaches_search);

async fn renaming_a_place_reaches_search(app: TestApp) {
    let (_, before) = app
        .get_json("/api/v1/search?q=thuong%20lam&facets=false")
        .await;
    assert!(!names(&before).contains(&"Homestay bản Nà Tạng".to_owned()));
    let (status, _) = app
        .patch(
            "/api/v1/admin/places/TQ-NH-KM",
            &app.admin_token,
            serde_json::json!({"name": "Thượng Lâm", "aliases": ["xã Khau Mút"]}),
        )
        .await;
    assert_eq!(status, 200);
    app.indexed().await;
    let (_, renamed) = app
        .get_json("/api/v1/search?q=thuong%20lam&facets=false")
        .await;
    assert!(
        names(&renamed).contains(&"Homestay bản Nà Tạng".to_owned()),
        "{renamed}"
    );
    let (_, alias) = app
        .get_json("/api/v1/search?q=khau%20mut&facets=false")
        .await;
    assert!(
        names(&alias).contains(&"Homestay bản Nà Tạng".to_owned()),
        "the old name lives on as an alias"
    );
    let (_, detail) = app.get_json("/api/v1/listings/homestay-ban-na-tang").await;
    assert_eq!(detail["place"]["name"], "Thượng Lâm");
}
