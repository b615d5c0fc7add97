//! Reviewed means reviewed: edits to a published listing wait as a revision while shoppers keep
//! the approved version; decisions name the version the admin saw; versions refuse lost
//! updates; review is skipped by the cooperative's home commune, never the listing's place.

use crate::both_backends;
use crate::helpers::{fixture, new_listing, TestApp};
use crate::photos::upload;
use crate::web::{csrf, hidden, page, sign_in};
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(
    review_skip_follows_the_cooperative_not_the_place,
    a_listing_place_stays_in_the_cooperative_province,
    published_edits_wait_for_review_and_prices_apply_at_once,
    a_rejected_revision_keeps_the_approved_version_public,
    decisions_name_the_version_reviewed,
    if_match_refuses_an_edit_made_on_an_old_copy,
    parallel_edits_of_different_fields_both_stay,
    approve_racing_archive_never_republishes,
    photos_of_a_published_listing_wait_for_review,
    a_commune_without_review_publishes_edits_at_once,
    review_pages_show_the_diff_and_refuse_a_stale_decision,
    the_member_form_refuses_a_stale_save_and_keeps_the_input,
    a_member_import_of_a_published_listing_waits_for_review,
    photos_in_a_member_import_wait_for_review,
    a_slug_another_listing_holds_is_refused_when_proposed,
);

/// A draft of the member holding `token`; its id.
pub(crate) async fn create(app: &TestApp, token: &str, body: Value) -> i64 {
    let (status, created) = app.post("/api/v1/my/listings", token, body).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

/// The draft submitted (published at once where review is skipped); the listing as answered.
pub(crate) async fn submit(app: &TestApp, token: &str, id: i64) -> Value {
    let (status, listing) = app
        .post(
            &format!("/api/v1/my/listings/{id}/submit"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{listing}");
    listing
}

/// A listing of the tea cooperative, reviewed and on sale; its id and slug.
async fn published(app: &TestApp, name: &str) -> (i64, String) {
    let mut body = new_listing(name);
    body["marketplace_links"] =
        json!([{"platform": "shopee", "url": "https://shopee.vn/che-ngon"}]);
    body["price_vnd"] = json!(450_000);
    let id = create(app, &app.tea_token, body).await;
    submit(app, &app.tea_token, id).await;
    let (status, listing) = app.approve(id).await;
    assert_eq!(status, 200, "{listing}");
    (id, listing["slug"].as_str().unwrap().to_owned())
}

async fn mine(app: &TestApp, id: i64) -> Value {
    let (status, listing) = app
        .send(
            Method::GET,
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{listing}");
    listing
}

async fn public(app: &TestApp, slug: &str) -> Value {
    let (status, listing) = app.get_json(&format!("/api/v1/listings/{slug}")).await;
    assert_eq!(status, 200, "{listing}");
    listing
}

async fn queue(app: &TestApp) -> Vec<Value> {
    let (status, queue) = app
        .send(Method::GET, "/api/v1/admin/review", &app.admin_token, None)
        .await;
    assert_eq!(status, 200, "{queue}");
    queue["items"].as_array().unwrap().clone()
}

fn changed_fields(listing: &Value) -> Vec<String> {
    listing["revision"]["changes"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|ch| ch["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn review_skip_follows_the_cooperative_not_the_place(app: TestApp) {
    // Minh Hương skips review; the tea cooperative's home (Hồng Thái) does not.
    app.skip_review_at("TQ-HY-MH").await;
    let mut body = new_listing("Chè đặt nhờ xã khác");
    body["place"] = json!("TQ-HY-MH");
    let id = create(&app, &app.tea_token, body).await;
    let submitted = submit(&app, &app.tea_token, id).await;
    assert_eq!(submitted["status"], "pending", "{submitted}");
    assert_eq!(
        app.get("/api/v1/listings/che-dat-nho-xa-khac")
            .await
            .status(),
        404
    );
    // The orange cooperative's own commune (Phù Lưu) decides for it.
    app.skip_review_at("TQ-HY-PL").await;
    let mut body = new_listing("Cam sành tin cậy");
    body["place"] = json!("TQ-NH-HT");
    let id = create(&app, &app.orange_token, body).await;
    let submitted = submit(&app, &app.orange_token, id).await;
    assert_eq!(submitted["status"], "published", "{submitted}");
}

async fn a_listing_place_stays_in_the_cooperative_province(app: TestApp) {
    let (status, place) = app
        .post(
            "/api/v1/admin/places",
            &app.admin_token,
            json!({"code": "LC", "name": "Lào Cai", "kind": "province", "parent": null, "lat": 22.48, "lng": 103.97}),
        )
        .await;
    assert_eq!(status, 201, "{place}");
    let mut body = new_listing("Chè ở tỉnh khác");
    body["place"] = json!("LC");
    let (status, problem) = app.post("/api/v1/my/listings", &app.tea_token, body).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (422, Some("place")),
        "{problem}"
    );
    let id = create(&app, &app.tea_token, new_listing("Chè ở nhà")).await;
    let (status, problem) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            json!({"place": "LC"}),
        )
        .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (422, Some("place")),
        "{problem}"
    );
}

async fn published_edits_wait_for_review_and_prices_apply_at_once(app: TestApp) {
    let (id, slug) = published(&app, "Chè Shan tuyết cổ thụ").await;
    let (status, edited) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            json!({
                "name": {"vi": "Chè Shan tuyết giảm giá sốc"},
                "marketplace_links": [{"platform": "website", "url": "https://evil.example/lua-dao"}],
                "ocop_stars": 5,
                "price_vnd": 390_000,
            }),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["status"], "published");
    assert_eq!(edited["revision"]["status"], "pending", "{edited}");
    assert_eq!(
        changed_fields(&edited),
        vec!["name", "marketplace_links", "ocop_stars"]
    );
    // Shoppers: the approved name and link, the new price at once; no way to the new link.
    let shown = public(&app, &slug).await;
    assert_eq!(shown["name"]["vi"], "Chè Shan tuyết cổ thụ");
    assert_eq!(shown["price"]["vnd"], 390_000);
    assert!(shown.get("revision").is_none());
    let links = shown["marketplace_links"].as_array().unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["url"], "https://shopee.vn/che-ngon");
    let go = app.get(links[0]["go_url"].as_str().unwrap()).await;
    assert_eq!(go.headers()["location"], "https://shopee.vn/che-ngon");
    // The admin sees the listing in the queue with each field before and after.
    let items = queue(&app).await;
    let item = items.iter().find(|i| i["id"] == id).expect("in the queue");
    let name = item["revision"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "name")
        .unwrap();
    assert_eq!(name["before"]["vi"], "Chè Shan tuyết cổ thụ");
    assert_eq!(name["after"]["vi"], "Chè Shan tuyết giảm giá sốc");
    // A second edit builds on the first.
    let (status, edited) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            json!({"description": {"vi": "Búp chè từ cây cổ thụ trăm năm."}}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        changed_fields(&edited),
        vec!["name", "description", "marketplace_links", "ocop_stars"]
    );
    let (status, approved) = app.approve(id).await;
    assert_eq!(status, 200, "{approved}");
    assert!(approved.get("revision").is_none());
    let shown = public(&app, &slug).await;
    assert_eq!(shown["name"]["vi"], "Chè Shan tuyết giảm giá sốc");
    assert_eq!(
        shown["description"]["vi"],
        "Búp chè từ cây cổ thụ trăm năm."
    );
    assert_eq!(shown["ocop"]["stars"], 5);
    assert_eq!(shown["price"]["vnd"], 390_000);
    assert_eq!(
        shown["marketplace_links"][0]["url"],
        "https://evil.example/lua-dao"
    );
    assert!(queue(&app).await.iter().all(|i| i["id"] != id));
    // Reverting an edit before review leaves nothing to review.
    app.patch(
        &format!("/api/v1/my/listings/{id}"),
        &app.tea_token,
        json!({"name": {"vi": "Tên tạm"}}),
    )
    .await;
    let (_, back) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            json!({"name": {"vi": "Chè Shan tuyết giảm giá sốc"}}),
        )
        .await;
    assert!(back.get("revision").is_none(), "{back}");
}

async fn a_rejected_revision_keeps_the_approved_version_public(app: TestApp) {
    let (id, slug) = published(&app, "Mật ong hoa bạc hà").await;
    app.patch(
        &format!("/api/v1/my/listings/{id}"),
        &app.tea_token,
        json!({"description": {"vi": "Chữa bách bệnh!"}}),
    )
    .await;
    let version = app.version_of(id).await;
    let (status, rejected) = app
        .post(
            &format!("/api/v1/admin/listings/{id}/reject"),
            &app.admin_token,
            json!({"reason": "Không được quảng cáo chữa bệnh", "version": version}),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(rejected["status"], "published");
    assert_eq!(rejected["revision"]["status"], "rejected");
    let shown = public(&app, &slug).await;
    assert_eq!(shown["description"]["vi"], "Hàng mới của hợp tác xã.");
    let own = mine(&app, id).await;
    assert_eq!(
        own["revision"]["rejection_reason"],
        "Không được quảng cáo chữa bệnh"
    );
    assert!(queue(&app).await.iter().all(|i| i["id"] != id));
    // Editing again sends it back to the queue.
    let (_, edited) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            json!({"description": {"vi": "Mật ong nguyên chất từ hoa bạc hà."}}),
        )
        .await;
    assert_eq!(edited["revision"]["status"], "pending");
    assert!(queue(&app).await.iter().any(|i| i["id"] == id));
}

async fn decisions_name_the_version_reviewed(app: TestApp) {
    let id = create(&app, &app.tea_token, new_listing("Chè xanh búp")).await;
    let submitted = submit(&app, &app.tea_token, id).await;
    let seen = submitted["version"].as_i64().unwrap();
    let (status, problem) = app
        .post(
            &format!("/api/v1/admin/listings/{id}/approve"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (428, Some("version_required"))
    );
    // Published, then edited twice: the admin looked at the first edit.
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/listings/{id}/approve"),
            &app.admin_token,
            json!({"version": seen}),
        )
        .await;
    assert_eq!(status, 200);
    app.patch(
        &format!("/api/v1/my/listings/{id}"),
        &app.tea_token,
        json!({"name": {"vi": "Chè xanh búp non"}}),
    )
    .await;
    let looked_at = queue(&app)
        .await
        .into_iter()
        .find(|i| i["id"] == id)
        .unwrap();
    let looked_version = looked_at["version"].as_i64().unwrap();
    app.patch(
        &format!("/api/v1/my/listings/{id}"),
        &app.tea_token,
        json!({"marketplace_links": [{"platform": "website", "url": "https://lua-dao.example/"}]}),
    )
    .await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/admin/listings/{id}/approve")))
        .bearer_auth(&app.admin_token)
        .header("If-Match", format!("\"v{looked_version}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 412);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "version_mismatch");
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/listings/{id}/reject"),
            &app.admin_token,
            json!({"reason": "Xem lại", "version": looked_version}),
        )
        .await;
    assert_eq!(status, 412);
    // Nothing unseen went public, and the queue shows the newer version.
    let shown = public(&app, "che-xanh-bup").await;
    assert_eq!(shown["name"]["vi"], "Chè xanh búp");
    assert!(shown["marketplace_links"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["url"] != "https://lua-dao.example/"));
    let newer = queue(&app)
        .await
        .into_iter()
        .find(|i| i["id"] == id)
        .unwrap();
    assert!(newer["version"].as_i64().unwrap() > looked_version);
    assert!(changed_fields(&newer).contains(&"marketplace_links".to_owned()));
    let res = app
        .client
        .post(app.url(&format!("/api/v1/admin/listings/{id}/approve")))
        .bearer_auth(&app.admin_token)
        .header("If-Match", format!("\"v{}\"", newer["version"]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn if_match_refuses_an_edit_made_on_an_old_copy(app: TestApp) {
    let id = create(&app, &app.tea_token, new_listing("Chè móc câu")).await;
    let res = app
        .client
        .get(app.url(&format!("/api/v1/my/listings/{id}")))
        .bearer_auth(&app.tea_token)
        .send()
        .await
        .unwrap();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let patch = |etag: String, body: Value| {
        app.client
            .patch(app.url(&format!("/api/v1/my/listings/{id}")))
            .bearer_auth(&app.tea_token)
            .header("If-Match", etag)
            .json(&body)
            .send()
    };
    let first = patch(etag.clone(), json!({"unit": "hộp 200 g"}))
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let newer = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(newer, etag);
    // A second phone still holds the first copy.
    let stale = patch(etag.clone(), json!({"unit": "gói 100 g"}))
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let problem: Value = stale.json().await.unwrap();
    assert_eq!(problem["code"], "version_mismatch");
    assert_eq!(mine(&app, id).await["price"]["unit"], "hộp 200 g");
    let bad = patch("\"whatever\"".into(), json!({"unit": "gói 100 g"}))
        .await
        .unwrap();
    assert_eq!(bad.status(), 412);
    // Submit and archive check it too.
    let res = app
        .client
        .post(app.url(&format!("/api/v1/my/listings/{id}/submit")))
        .bearer_auth(&app.tea_token)
        .header("If-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 412);
    assert_eq!(mine(&app, id).await["status"], "draft");
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/my/listings/{id}")))
        .bearer_auth(&app.tea_token)
        .header("If-Match", newer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn parallel_edits_of_different_fields_both_stay(app: TestApp) {
    let id = create(&app, &app.tea_token, new_listing("Chè đôi")).await;
    for round in 0..6 {
        let unit = format!("gói {round}00 g");
        let description = format!("Lần sửa {round}.");
        let path = format!("/api/v1/my/listings/{id}");
        let (a, b) = tokio::join!(
            app.patch(&path, &app.tea_token, json!({"unit": unit})),
            app.patch(
                &path,
                &app.tea_token,
                json!({"description": {"vi": description}})
            ),
        );
        assert_eq!((a.0, b.0), (200, 200));
        let now = mine(&app, id).await;
        assert_eq!(now["price"]["unit"], unit.as_str(), "round {round}: {now}");
        assert_eq!(
            now["description"]["vi"],
            description.as_str(),
            "round {round}"
        );
    }
}

async fn approve_racing_archive_never_republishes(app: TestApp) {
    for round in 0..5 {
        let id = create(
            &app,
            &app.tea_token,
            new_listing(&format!("Chè đua {round}")),
        )
        .await;
        let version = submit(&app, &app.tea_token, id).await["version"]
            .as_i64()
            .unwrap();
        let approve_path = format!("/api/v1/admin/listings/{id}/approve");
        let archive_path = format!("/api/v1/my/listings/{id}");
        let (approved, archived) = tokio::join!(
            app.post(&approve_path, &app.admin_token, json!({"version": version})),
            app.send(Method::DELETE, &archive_path, &app.tea_token, None),
        );
        assert_eq!(archived.0, 200, "{}", archived.1);
        assert!(
            [200, 412].contains(&approved.0),
            "approve answered {}",
            approved.0
        );
        assert_eq!(mine(&app, id).await["status"], "archived", "round {round}");
        let slug = archived.1["slug"].as_str().unwrap().to_owned();
        assert_eq!(
            app.get(&format!("/api/v1/listings/{slug}")).await.status(),
            404
        );
    }
}

async fn photos_of_a_published_listing_wait_for_review(app: TestApp) {
    let (id, slug) = published(&app, "Cam sành có ảnh").await;
    let (status, gallery) = upload(
        &app,
        &app.tea_token,
        id,
        vec![("cam.jpg", fixture("orientation/landscape_1.jpg"))],
    )
    .await;
    assert_eq!(status, 201, "{gallery}");
    assert_eq!(gallery["items"].as_array().unwrap().len(), 1);
    let photo = gallery["items"][0]["id"].as_i64().unwrap();
    assert!(public(&app, &slug).await["photos"]
        .as_array()
        .unwrap()
        .is_empty());
    let own = mine(&app, id).await;
    assert_eq!(own["revision"]["photos_changed"], true, "{own}");
    assert_eq!(own["revision"]["photos"][0]["id"], photo);
    assert!(queue(&app).await.iter().any(|i| i["id"] == id));
    let (status, _) = app.approve(id).await;
    assert_eq!(status, 200);
    let shown = public(&app, &slug).await;
    assert_eq!(shown["photos"][0]["id"], photo);
    // Removing it waits too; turning the removal down keeps the photo.
    let (status, gallery) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/my/listings/{id}/photos/{photo}"),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(gallery["items"].as_array().unwrap().is_empty());
    assert_eq!(public(&app, &slug).await["photos"][0]["id"], photo);
    let version = app.version_of(id).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/listings/{id}/reject"),
            &app.admin_token,
            json!({"reason": "Cần giữ ảnh sản phẩm", "version": version}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(public(&app, &slug).await["photos"][0]["id"], photo);
    assert_eq!(mine(&app, id).await["photos"][0]["id"], photo);
    // An added photo turned down is gone, files and all.
    let keys_before = app.media_keys().await;
    upload(
        &app,
        &app.tea_token,
        id,
        vec![("cam2.jpg", fixture("orientation/landscape_6.jpg"))],
    )
    .await;
    assert!(app.media_keys().await.len() > keys_before.len());
    let version = app.version_of(id).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/listings/{id}/reject"),
            &app.admin_token,
            json!({"reason": "Ảnh mờ", "version": version}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.media_keys().await, keys_before);
    assert_eq!(
        public(&app, &slug).await["photos"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn a_commune_without_review_publishes_edits_at_once(app: TestApp) {
    let (id, slug) = published(&app, "Chè tin cậy").await;
    app.skip_review_at("TQ-NH-HT").await;
    let (status, edited) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            json!({"name": {"vi": "Chè tin cậy loại đặc biệt"}}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(edited.get("revision").is_none());
    assert_eq!(
        public(&app, &slug).await["name"]["vi"],
        "Chè tin cậy loại đặc biệt"
    );
}

async fn review_pages_show_the_diff_and_refuse_a_stale_decision(app: TestApp) {
    let (id, slug) = published(&app, "Chè búp tím").await;
    app.patch(
        &format!("/api/v1/my/listings/{id}"),
        &app.tea_token,
        json!({"name": {"vi": "Chè búp tím Hồng Thái"}}),
    )
    .await;
    let admin = sign_in(&app, "admin@tuyenquang.gov.vn").await;
    let (_, queue_page) = page(&admin, &app, "/quan-tri").await;
    let csrf = csrf(&queue_page);
    assert!(
        queue_page.contains("<table class=\"diff\">"),
        "{queue_page}"
    );
    assert!(queue_page.contains("<del>Chè búp tím</del>"));
    assert!(queue_page.contains("<ins>Chè búp tím Hồng Thái</ins>"));
    let article = &queue_page[queue_page.find(&format!("id=\"l{id}\"")).unwrap()..];
    let seen = hidden(article, "version");
    // The member edits again before the admin presses approve.
    app.patch(
        &format!("/api/v1/my/listings/{id}"),
        &app.tea_token,
        json!({"description": {"vi": "Giảm giá sốc, mua ngay!"}}),
    )
    .await;
    let res = admin
        .post(app.url(&format!("/quan-tri/duyet/{id}/dang")))
        .form(&[("csrf", csrf.as_str()), ("version", seen.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let again = res.text().await.unwrap();
    assert!(
        again.contains("Sản phẩm vừa được sửa sau khi bạn xem"),
        "{again}"
    );
    assert!(again.contains("<ins>Giảm giá sốc, mua ngay!</ins>"));
    assert_eq!(public(&app, &slug).await["name"]["vi"], "Chè búp tím");
    let article = &again[again.find(&format!("id=\"l{id}\"")).unwrap()..];
    let newest = hidden(article, "version");
    let res = admin
        .post(app.url(&format!("/quan-tri/duyet/{id}/dang")))
        .form(&[("csrf", csrf.as_str()), ("version", newest.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        public(&app, &slug).await["name"]["vi"],
        "Chè búp tím Hồng Thái"
    );
}

async fn the_member_form_refuses_a_stale_save_and_keeps_the_input(app: TestApp) {
    let (id, slug) = published(&app, "Chè hoa vàng").await;
    let member = sign_in(&app, "tea@htx.vn").await;
    let (_, form_page) = page(&member, &app, &format!("/tai-khoan/san-pham/{id}")).await;
    let csrf = csrf(&form_page);
    let version = hidden(&form_page, "version");
    // Meanwhile the same cooperative changes the price from another phone.
    app.patch(
        &format!("/api/v1/my/listings/{id}"),
        &app.tea_token,
        json!({"price_vnd": 500_000}),
    )
    .await;
    let save = |version: String, name: &'static str| {
        member
            .post(app.url(&format!("/tai-khoan/san-pham/{id}")))
            .form(&[
                ("csrf", csrf.clone()),
                ("version", version),
                ("kind", "product".into()),
                ("name", name.into()),
                ("category", "tea".into()),
                ("price", "450000".into()),
                ("description", "Hàng mới của hợp tác xã.".into()),
            ])
            .send()
    };
    let res = save(version, "Chè hoa vàng thượng hạng").await.unwrap();
    assert_eq!(res.status(), 409);
    let reshown = res.text().await.unwrap();
    assert!(
        reshown.contains("Sản phẩm vừa được sửa ở nơi khác"),
        "{reshown}"
    );
    assert!(reshown.contains("value=\"Chè hoa vàng thượng hạng\""));
    assert_eq!(public(&app, &slug).await["price"]["vnd"], 500_000);
    // Saving again from the re-shown form goes through, as a revision waiting for review.
    let res = save(hidden(&reshown, "version"), "Chè hoa vàng thượng hạng")
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, after) = page(&member, &app, &format!("/tai-khoan/san-pham/{id}")).await;
    assert!(
        after.contains("Các thay đổi của bạn đang chờ duyệt"),
        "{after}"
    );
    assert!(after.contains("value=\"Chè hoa vàng thượng hạng\""));
    assert_eq!(public(&app, &slug).await["name"]["vi"], "Chè hoa vàng");
}

async fn a_member_import_of_a_published_listing_waits_for_review(app: TestApp) {
    let (id, slug) = published(&app, "Chè nhập lại").await;
    let file = format!(
        "slug,kind,name_vi,description_vi,category,price_vnd\n{slug},product,Chè nhập lại hảo hạng,Chè ngon nhất vùng.,tea,470000"
    );
    let job = crate::import_jobs::import(&app, "/api/v1/my/imports", &app.tea_token, file).await;
    let (_, job) = app.send(Method::GET, &job, &app.tea_token, None).await;
    assert_eq!(job["report"]["updated"], 1, "{job}");
    let shown = public(&app, &slug).await;
    assert_eq!(shown["name"]["vi"], "Chè nhập lại");
    assert_eq!(shown["price"]["vnd"], 470_000);
    let own = mine(&app, id).await;
    assert_eq!(own["revision"]["status"], "pending", "{own}");
    assert!(changed_fields(&own).contains(&"name".to_owned()));
}

async fn photos_in_a_member_import_wait_for_review(app: TestApp) {
    let (id, slug) = published(&app, "Chè có ảnh nhập").await;
    let sheet = format!(
        "slug,kind,name_vi,description_vi,category,price_vnd,photos\n{slug},product,Chè có ảnh nhập,Chè ngon của xã.,tea,450000,photos/doi-che.jpg"
    );
    let bundle = crate::helpers::zip_of(&[
        ("ds.csv", sheet.into_bytes()),
        ("photos/doi-che.jpg", fixture("orientation/landscape_3.jpg")),
    ]);
    let location =
        crate::helpers::start_import(&app, "/api/v1/my/imports", &app.tea_token, bundle).await;
    let mut job = Value::Null;
    for _ in 0..600 {
        job = app
            .send(Method::GET, &location, &app.tea_token, None)
            .await
            .1;
        if job["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(job["state"], "done", "{job}");
    // Shoppers keep the approved gallery (none); the photo waits in the revision.
    assert!(public(&app, &slug).await["photos"]
        .as_array()
        .unwrap()
        .is_empty());
    let own = mine(&app, id).await;
    assert_eq!(own["revision"]["status"], "pending", "{own}");
    assert_eq!(own["revision"]["photos_changed"], true, "{own}");
    let photo = own["revision"]["photos"][0]["id"].as_i64().unwrap();
    assert!(queue(&app).await.iter().any(|i| i["id"] == id));
    let (status, _) = app.approve(id).await;
    assert_eq!(status, 200);
    assert_eq!(public(&app, &slug).await["photos"][0]["id"], photo);
}

async fn a_slug_another_listing_holds_is_refused_when_proposed(app: TestApp) {
    let (_, taken) = published(&app, "Chè đã có tên").await;
    let (id, slug) = published(&app, "Chè muốn đổi tên").await;
    let (status, problem) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            json!({"slug": taken}),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "slug", "{problem}");
    // Nothing waits for an admin to trip over.
    assert!(mine(&app, id).await["revision"].is_null());
    assert!(!queue(&app).await.iter().any(|i| i["id"] == id));
    assert_eq!(public(&app, &slug).await["slug"], slug.as_str());
}
