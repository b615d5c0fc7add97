//! Statistics: shoppers' listing views counted (robots and HEAD not), nothing personal stored,
//! members reading their own numbers (pages with SVG charts, the JSON API) and nobody else's,
//! and the commune report (page, CSV with BOM, XLSX) for a commune set up here.

use crate::both_backends;
use crate::helpers::{new_listing, TestApp, PHONE_UA};
use crate::web::{browser, page, sign_in};
use chrono::NaiveDate;
use diesel::RunQueryDsl;
use serde_json::{json, Value};
use vungcao::stats::report::Month;

// Views are written when the test flushes them (the background writer waits an hour here).
both_backends!(@settings |s| s.stats_flush_seconds = 3600;
    shoppers_views_are_counted_and_robots_and_head_are_not,
    nothing_about_viewers_is_stored,
    views_counted_last_are_written_when_the_server_stops,
    members_see_their_numbers_and_nobody_elses,
    the_commune_report_counts_what_happened_in_a_commune
);

const TEA: &str = "che-shan-tuyet-co-thu-hong-thai";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

async fn listing_json(app: &TestApp, slug: &str) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/listings/{slug}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn get_as(app: &TestApp, path: &str, user_agent: &str) -> u16 {
    app.client
        .get(app.url(path))
        .header("user-agent", user_agent)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn head_as(app: &TestApp, path: &str) -> u16 {
    app.client
        .head(app.url(path))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The stored views of a listing per day.
async fn stored_views(app: &TestApp, id: i64) -> Vec<(NaiveDate, i64)> {
    app.with_db(move |conn| {
        vungcao::store::stats::listing_views(conn, id, NaiveDate::from_ymd_opt(2000, 1, 1).unwrap())
            .expect("views")
    })
    .await
}

/// Clicks on a listing's links as its cooperative reads them (all days).
async fn stored_clicks(app: &TestApp, id: i64) -> i64 {
    app.with_db(move |conn| {
        vungcao::store::stats::listing_clicks(
            conn,
            id,
            NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        )
        .expect("clicks")
        .iter()
        .map(|(_, _, n)| n)
        .sum()
    })
    .await
}

/// Clicks are written off the redirect's path: wait (bounded) until `expected` are stored.
async fn clicks_reach(app: &TestApp, id: i64, expected: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let n = stored_clicks(app, id).await;
        if n >= expected {
            assert_eq!(n, expected, "more clicks than taps");
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{n} of {expected} clicks stored"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn shoppers_views_are_counted_and_robots_and_head_are_not(app: TestApp) {
    let listing = listing_json(&app, TEA).await;
    let id = listing["id"].as_i64().unwrap();
    let path = format!("/san-pham/{TEA}");
    for _ in 0..3 {
        assert_eq!(get_as(&app, &path, PHONE_UA).await, 200);
    }
    for robot in [
        GOOGLEBOT,
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; ZaloLinkPreview/1.0)",
        "curl/8.5.0",
        "python-requests/2.31.0",
        "",
    ] {
        assert_eq!(get_as(&app, &path, robot).await, 200, "{robot:?}");
    }
    assert_eq!(head_as(&app, &path).await, 200);
    assert_eq!(head_as(&app, &path).await, 200);
    // The wrong prefix is a redirect, not a page read.
    assert_eq!(get_as(&app, &format!("/le-hoi/{TEA}"), PHONE_UA).await, 301);
    // Nothing is written on the request path.
    assert!(stored_views(&app, id).await.is_empty());
    assert_eq!(app.views.unwritten(), 3);
    app.views.flush().await.expect("flush");
    let today = vungcao::stats::today();
    assert_eq!(stored_views(&app, id).await, vec![(today, 3)]);
    assert_eq!(app.views.unwritten(), 0);
    // A later flush adds to the day's row (one upsert), and an event page counts too.
    assert_eq!(get_as(&app, &path, PHONE_UA).await, 200);
    let festival = listing_json(&app, "le-hoi-mua-hoa-le-hong-thai").await;
    let festival_id = festival["id"].as_i64().unwrap();
    assert_eq!(
        get_as(&app, "/le-hoi/le-hoi-mua-hoa-le-hong-thai", PHONE_UA).await,
        200
    );
    assert_eq!(
        app.views.flush().await.expect("flush"),
        2,
        "two rows in one flush"
    );
    assert_eq!(stored_views(&app, id).await, vec![(today, 4)]);
    assert_eq!(stored_views(&app, festival_id).await, vec![(today, 1)]);
    assert_eq!(app.views.flush().await.expect("flush"), 0);

    // Marketplace clicks follow the same rule: robots and HEAD are redirected, not counted.
    let go = listing["marketplace_links"][0]["go_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(get_as(&app, &go, GOOGLEBOT).await, 302);
    assert_eq!(get_as(&app, &go, "Zalo").await, 302);
    assert_eq!(head_as(&app, &go).await, 302);
    assert_eq!(get_as(&app, &go, PHONE_UA).await, 302);
    clicks_reach(&app, id, 1).await;
    // Give a wrongly counted robot's write the same time to land, then look again.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(stored_clicks(&app, id).await, 1);
}

async fn views_counted_last_are_written_when_the_server_stops(app: TestApp) {
    let id = listing_json(&app, TEA).await["id"].as_i64().unwrap();
    for _ in 0..2 {
        assert_eq!(
            get_as(&app, &format!("/san-pham/{TEA}"), PHONE_UA).await,
            200
        );
    }
    assert_eq!(app.views.unwritten(), 2);
    assert!(stored_views(&app, id).await.is_empty());
    app.stop();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while stored_views(&app, id).await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the views were not written at shutdown"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        stored_views(&app, id).await,
        vec![(vungcao::stats::today(), 2)]
    );
}

/// The column names of a table, as the database describes it.
async fn columns(app: &TestApp, table: &'static str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    app.with_db(move |conn| {
        let mut names: Vec<String> = match conn {
            vungcao::store::Conn::Sqlite(c) => diesel::sql_query(format!(
                "SELECT name FROM pragma_table_info('{table}')"
            ))
            .load::<Column>(&mut **c),
            vungcao::store::Conn::Postgres(c) => diesel::sql_query(format!(
                "SELECT column_name::text AS name FROM information_schema.columns WHERE table_name = '{table}'"
            ))
            .load::<Column>(&mut **c),
        }
        .expect("columns")
        .into_iter()
        .map(|c| c.name)
        .collect();
        names.sort();
        names
    })
    .await
}

async fn nothing_about_viewers_is_stored(app: TestApp) {
    assert_eq!(
        get_as(&app, &format!("/san-pham/{TEA}"), PHONE_UA).await,
        200
    );
    app.views.flush().await.expect("flush");
    // Counts per listing (or link) and day: no address, no user agent, no session.
    assert_eq!(
        columns(&app, "listing_views").await,
        vec!["day", "listing_id", "views"]
    );
    assert_eq!(
        columns(&app, "link_clicks").await,
        vec!["clicks", "day", "link_id"]
    );
}

/// `<strong class="…">N<` on a page.
fn number_in(html: &str, class: &str) -> i64 {
    let marker = format!("class=\"{class}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {class} on the page"))
        + marker.len();
    html[start..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The row of the "my listings" page for listing `id`: its views and clicks.
fn row_numbers(html: &str, id: i64) -> (i64, i64) {
    let marker = format!("id=\"s{id}\">");
    let start = html.find(&marker).expect("the listing's numbers") + marker.len();
    let row = &html[start..];
    (number_in(row, "views"), number_in(row, "clicks"))
}

async fn members_see_their_numbers_and_nobody_elses(app: TestApp) {
    let listing = listing_json(&app, TEA).await;
    let id = listing["id"].as_i64().unwrap();
    let links: Vec<(i64, String)> = listing["marketplace_links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_i64().unwrap(),
                l["platform"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!links.is_empty());
    let today = vungcao::stats::today();
    // Every one of the last 90 days has views and clicks on every link; the numbers grow with
    // the day, so each period has its own totals.
    let (mut views_30, mut views_90, mut clicks_30, mut clicks_90) = (0i64, 0i64, 0i64, 0i64);
    let mut rows = Vec::new();
    let mut taps = Vec::new();
    for back in 0..90i64 {
        let day = today - chrono::Duration::days(back);
        let views = 1 + back % 7;
        rows.push((id, day, views));
        views_90 += views;
        if back < 30 {
            views_30 += views;
        }
        for (i, (link, _)) in links.iter().enumerate() {
            let clicks = 1 + (back + i as i64) % 3;
            taps.push((*link, day, clicks));
            clicks_90 += clicks;
            if back < 30 {
                clicks_30 += clicks;
            }
        }
    }
    // Older than 90 days: in no period.
    rows.push((id, today - chrono::Duration::days(120), 1000));
    app.with_db(move |conn| {
        vungcao::store::stats::add_views(conn, &rows).expect("views");
        for (link, day, clicks) in taps {
            for _ in 0..clicks {
                vungcao::store::clicks::count(conn, link, day).expect("click");
            }
        }
    })
    .await;
    // And a shopper reads the page now.
    assert_eq!(
        get_as(&app, &format!("/san-pham/{TEA}"), PHONE_UA).await,
        200
    );
    app.views.flush().await.expect("flush");
    views_30 += 1;
    views_90 += 1;

    // The JSON API, for the owner.
    let (status, s) = app
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/my/listings/{id}/stats?days=90"),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["views"], views_90);
    assert_eq!(s["clicks"], clicks_90);
    assert_eq!(s["daily"].as_array().unwrap().len(), 90);
    assert_eq!(s["to"], today.to_string());
    let per_platform: i64 = s["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["clicks"].as_i64().unwrap())
        .sum();
    assert_eq!(per_platform, clicks_90);
    let (status, s) = app
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/my/listings/{id}/stats"),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (s["views"].as_i64(), s["days"].as_i64()),
        (Some(views_30), Some(30))
    );
    assert_eq!(s["clicks"], clicks_30);
    for bad in ["0", "367", "abc", "-1"] {
        let (status, body) = app
            .send(
                reqwest::Method::GET,
                &format!("/api/v1/my/listings/{id}/stats?days={bad}"),
                &app.tea_token,
                None,
            )
            .await;
        assert_eq!(status, 400, "days={bad}: {body}");
        assert_eq!(body["code"], "invalid_query");
    }
    // An admin may read them; another cooperative's member may not (published: 403, a draft: 404).
    let (status, _) = app
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/my/listings/{id}/stats"),
            &app.admin_token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/my/listings/{id}/stats"),
            &app.orange_token,
            None,
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.get("views").is_none());
    let (status, draft) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            new_listing("Chè nháp"),
        )
        .await;
    assert_eq!(status, 201);
    let draft_id = draft["id"].as_i64().unwrap();
    let (status, _) = app
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/my/listings/{draft_id}/stats"),
            &app.orange_token,
            None,
        )
        .await;
    assert_eq!(status, 404);

    // The pages: the member's list with both periods, and the listing's own statistics page.
    let member = sign_in(&app, "tea@htx.vn").await;
    let (status, list) = page(&member, &app, "/tai-khoan").await;
    assert_eq!(status, 200);
    assert_eq!(row_numbers(&list, id), (views_30, clicks_30));
    assert!(list.contains("<svg class=\"spark\""));
    assert!(list.contains(&format!(
        "href=\"/tai-khoan/san-pham/{id}/thong-ke?ngay=30\""
    )));
    let (_, list_90) = page(&member, &app, "/tai-khoan?ngay=90").await;
    assert_eq!(row_numbers(&list_90, id), (views_90, clicks_90));

    let stats_path = format!("/tai-khoan/san-pham/{id}/thong-ke");
    let (status, html) = page(&member, &app, &stats_path).await;
    assert_eq!(status, 200);
    assert_eq!(number_in(&html, "views-total"), views_30);
    assert_eq!(number_in(&html, "clicks-total"), clicks_30);
    assert!(html.contains("<svg class=\"chart\""), "an inline SVG chart");
    assert!(html.contains("Lượt bấm theo sàn"));
    assert!(html.contains("Shopee"));
    let (_, html_90) = page(&member, &app, &format!("{stats_path}?ngay=90")).await;
    assert_eq!(number_in(&html_90, "views-total"), views_90);
    assert_eq!(number_in(&html_90, "clicks-total"), clicks_90);
    assert!(html_90.contains("aria-current=\"page\">90 ngày"));

    // Page weight on 3G: the 90-day page, gzip-compressed as the server sends it, with its
    // stylesheet and script.
    let (_, gz, total) = crate::web::weigh(&member, &app, &format!("{stats_path}?ngay=90")).await;
    eprintln!(
        "page weight {stats_path}?ngay=90: HTML {gz} B gzip ({} B uncompressed, {} links × 90 days); with CSS and JS {total} B gzip",
        html_90.len(),
        links.len()
    );
    assert!(
        total <= 30 * 1024,
        "the 90-day statistics page weighs {total} B"
    );

    // Another cooperative's member is refused the page; the draft is "not found" to them.
    let orange = sign_in(&app, "orange@htx.vn").await;
    let (status, refused) = page(&orange, &app, &stats_path).await;
    assert_eq!(status, 403);
    assert!(!refused.contains("views-total"));
    let (status, _) = page(
        &orange,
        &app,
        &format!("/tai-khoan/san-pham/{draft_id}/thong-ke"),
    )
    .await;
    assert_eq!(status, 404);
    // Signed out: sent to sign in.
    let (status, _) = page(&browser(), &app, &stats_path).await;
    assert_eq!(status, 303);
}

/// A PNG a phone might send (small, for speed).
fn small_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 5) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// The report's row of `code` for `month`, from the JSON API.
fn month_row<'a>(report: &'a Value, code: &str, month: &str) -> &'a Value {
    report["communes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("no commune {code} in {report}"))["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == month)
        .unwrap_or_else(|| panic!("no month {month}"))
}

fn numbers(row: &Value) -> [i64; 7] {
    [
        "cooperatives",
        "active_members",
        "listings_published",
        "listings_with_photos",
        "ocop_products",
        "page_views",
        "marketplace_clicks",
    ]
    .map(|k| row[k].as_i64().unwrap_or_else(|| panic!("{k} in {row}")))
}

async fn the_commune_report_counts_what_happened_in_a_commune(app: TestApp) {
    // A commune of Na Hang with one new cooperative and one member.
    let (_, coop) = app
        .get_json("/api/v1/cooperatives/htx-che-shan-tuyet-hong-thai")
        .await;
    let home = coop["cooperative"]["place_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, places) = app.get_json("/api/v1/places").await;
    fn find<'a>(items: &'a Value, code: &str) -> Option<&'a Value> {
        items.as_array()?.iter().find_map(|p| {
            if p["code"] == code {
                Some(p)
            } else {
                find(&p["children"], code)
            }
        })
    }
    let district = find(&places["items"], &home).expect("home commune")["parent"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = "TQ-NH-TN";
    let (status, body) = app
        .post(
            "/api/v1/admin/places",
            &app.admin_token,
            json!({"code": code, "name": "Xã Thử Nghiệm", "kind": "commune", "parent": district, "lat": 22.3, "lng": 105.4}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/admin/cooperatives",
            &app.admin_token,
            json!({"slug": "htx-thu-nghiem", "name": "HTX Thử Nghiệm", "place": code}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/admin/users",
            &app.admin_token,
            json!({"email": "thu@htx.vn", "password": "mat-khau-an-toan", "role": "member", "cooperative": "htx-thu-nghiem"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // The member signs in (an API token) twice: one active member.
    let mut token = String::new();
    for _ in 0..2 {
        let res = app
            .client
            .post(app.url("/api/v1/auth/tokens"))
            .json(&json!({"email": "thu@htx.vn", "password": "mat-khau-an-toan"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        token = body["token"].as_str().unwrap().to_owned();
    }
    // Three listings: an OCOP one with a photo and a plain one get published; a draft stays.
    let mut ocop = new_listing("Chè Thử Nghiệm OCOP");
    ocop["ocop_stars"] = json!(4);
    let mut ids = Vec::new();
    for body in [
        ocop,
        new_listing("Măng Thử Nghiệm"),
        new_listing("Nháp Thử Nghiệm"),
    ] {
        let (status, made) = app.post("/api/v1/my/listings", &token, body).await;
        assert_eq!(status, 201, "{made}");
        ids.push(made["id"].as_i64().unwrap());
    }
    let (status, body) =
        crate::photos::upload(&app, &token, ids[0], vec![("la-che.png", small_png())]).await;
    assert_eq!(status, 201, "{body}");
    for id in &ids[..2] {
        let (status, body) = app
            .post(
                &format!("/api/v1/my/listings/{id}/submit"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        if body["status"] != "published" {
            let (status, body) = app.approve(*id).await;
            assert_eq!(status, 200, "{body}");
        }
    }
    // Shoppers: 3 + 2 page views (and a robot's), 2 marketplace taps on the first.
    let mut slugs = Vec::new();
    for id in &ids[..2] {
        let (_, view) = app
            .send(
                reqwest::Method::GET,
                &format!("/api/v1/my/listings/{id}"),
                &token,
                None,
            )
            .await;
        slugs.push(view["slug"].as_str().unwrap().to_owned());
    }
    for _ in 0..3 {
        assert_eq!(
            get_as(&app, &format!("/san-pham/{}", slugs[0]), PHONE_UA).await,
            200
        );
    }
    for _ in 0..2 {
        assert_eq!(
            get_as(&app, &format!("/san-pham/{}", slugs[1]), PHONE_UA).await,
            200
        );
    }
    assert_eq!(
        get_as(&app, &format!("/san-pham/{}", slugs[1]), GOOGLEBOT).await,
        200
    );
    app.views.flush().await.expect("flush");
    let first = listing_json(&app, &slugs[0]).await;
    let go = first["marketplace_links"][0]["go_url"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        assert_eq!(get_as(&app, &go, PHONE_UA).await, 302);
    }
    clicks_reach(&app, ids[0], 2).await;
    // Last month: 4 views of the first listing (before the cooperative joined: they still count
    // where they happened, in that month).
    let this_month = Month::of(vungcao::stats::today());
    let last_month = this_month.back(1);
    let last_month_day = last_month.first_day() + chrono::Duration::days(9);
    let first_id = ids[0];
    app.with_db(move |conn| {
        vungcao::store::stats::add_views(conn, &[(first_id, last_month_day, 4)]).expect("views")
    })
    .await;

    let (now, before) = (this_month.to_string(), last_month.to_string());
    let expected_now = [1, 1, 2, 1, 1, 5, 2];
    let expected_before = [0, 0, 0, 0, 0, 4, 0];
    let (status, report) = app
        .send(
            reqwest::Method::GET,
            &format!("/api/v1/admin/stats/communes?from={before}&to={now}"),
            &app.admin_token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(numbers(month_row(&report, code, &now)), expected_now);
    assert_eq!(numbers(month_row(&report, code, &before)), expected_before);
    // The demo's home commune of the tea cooperative: its cooperatives and listings as the demo
    // file has them (loaded now, so nothing last month).
    let demo = vungcao::demo::parse(vungcao::demo::DEMO_CATALOGUE).unwrap();
    let coops_there: Vec<&str> = demo
        .cooperatives
        .iter()
        .filter(|c| c.place == home)
        .map(|c| c.slug.as_str())
        .collect();
    let listed: Vec<_> = demo
        .listings
        .iter()
        .filter(|l| coops_there.contains(&l.cooperative.as_str()))
        .collect();
    let demo_row = numbers(month_row(&report, &home, &now));
    assert_eq!(demo_row[0], coops_there.len() as i64);
    assert_eq!(demo_row[2], listed.len() as i64);
    assert_eq!(
        demo_row[4],
        listed.iter().filter(|l| l.ocop_stars.is_some()).count() as i64
    );
    assert_eq!(demo_row[3], 0, "the demo has no photos");
    assert_eq!(numbers(month_row(&report, &home, &before))[0], 0);
    // Ranges refused by the API.
    for bad in [
        "from=2026-13".to_owned(),
        format!("from={now}&to={before}"),
        "from=2020-01&to=2026-01".to_owned(),
    ] {
        let (status, body) = app
            .send(
                reqwest::Method::GET,
                &format!("/api/v1/admin/stats/communes?{bad}"),
                &app.admin_token,
                None,
            )
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }

    // The officers' page: the commune's chart and rows, the definitions.
    let admin = sign_in(&app, "admin@tuyenquang.gov.vn").await;
    let query = format!("tu={before}&den={now}");
    let (status, html) = page(&admin, &app, &format!("/quan-tri/bao-cao?{query}")).await;
    assert_eq!(status, 200);
    let section_start = html
        .find(&format!("id=\"x-{code}\""))
        .expect("the commune's section");
    let section = &html[section_start..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("Xã Thử Nghiệm"));
    assert!(section.contains("<svg class=\"chart month\""));
    let cells = |n: [i64; 7]| {
        n.iter()
            .map(|v| format!("<td>{v}</td>"))
            .collect::<String>()
    };
    assert!(
        section.contains(&format!(
            "<tr data-month=\"{now}\"><th scope=\"row\">{now}</th>{}</tr>",
            cells(expected_now)
        )),
        "{section}"
    );
    assert!(section.contains(&format!(
        "<tr data-month=\"{before}\"><th scope=\"row\">{before}</th>{}</tr>",
        cells(expected_before)
    )));
    assert!(html.contains("Thành viên hoạt động: tài khoản thành viên đã đăng nhập"));

    // CSV: a BOM, the Vietnamese header, one line per commune and month.
    let res = admin
        .get(app.url(&format!("/quan-tri/bao-cao.csv?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("bao-cao-xa-{before}-{now}.csv")));
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "Mã địa phương,Xã,Tháng,Hợp tác xã,Thành viên hoạt động,Sản phẩm đang đăng,Sản phẩm có ảnh,Sản phẩm OCOP,Lượt xem trang,Lượt bấm sang sàn"
    );
    let line = |month: &str, n: [i64; 7]| {
        format!(
            "{code},Xã Thử Nghiệm,{month},{}",
            n.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        )
    };
    let rest: Vec<&str> = lines.collect();
    assert!(rest.contains(&line(&now, expected_now).as_str()), "{text}");
    assert!(
        rest.contains(&line(&before, expected_before).as_str()),
        "{text}"
    );
    let communes = report["communes"].as_array().unwrap().len();
    assert_eq!(rest.len(), communes * 2);

    // XLSX: the same numbers, as numbers.
    let res = admin
        .get(app.url(&format!("/quan-tri/bao-cao.xlsx?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    use calamine::{DataType, Reader};
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx workbook");
    let sheet = book.worksheet_range("Báo cáo theo xã").expect("the sheet");
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[0], "Mã địa phương");
    assert_eq!(header[4], "Thành viên hoạt động");
    let row_of = |month: &str| -> Vec<f64> {
        sheet
            .rows()
            .find(|r| r[0].get_string() == Some(code) && r[2].get_string() == Some(month))
            .unwrap_or_else(|| panic!("no row for {month}"))[3..]
            .iter()
            .map(|c| c.as_f64().expect("a number"))
            .collect()
    };
    assert_eq!(row_of(&now), expected_now.map(|n| n as f64).to_vec());
    assert_eq!(row_of(&before), expected_before.map(|n| n as f64).to_vec());
    assert_eq!(sheet.rows().count(), 1 + communes * 2);

    // Members are shown "not found"; a month that is not one falls back to the last 12 months.
    let member = sign_in(&app, "tea@htx.vn").await;
    for path in [
        "/quan-tri/bao-cao",
        "/quan-tri/bao-cao.csv",
        "/quan-tri/bao-cao.xlsx",
    ] {
        assert_eq!(page(&member, &app, path).await.0, 404, "{path}");
    }
    let (status, html) = page(&admin, &app, "/quan-tri/bao-cao?tu=hom-qua").await;
    assert_eq!(status, 200);
    assert!(html.contains("Khoảng tháng không hợp lệ"));
    assert_eq!(
        html.matches(&format!("<tr data-month=\"{}\"", this_month.back(11)))
            .count(),
        communes
    );
}
