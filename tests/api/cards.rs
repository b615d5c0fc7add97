//! Public reads come from each published listing's stored view (its card, written at the commit
//! of every change a shopper may see); they must show exactly what the listing tables say.

use crate::both_backends;
use crate::helpers::TestApp;
use serde_json::{json, Value};
use vungcao::store::listings::{self, cards, Visibility};

both_backends!(
    @settings |s| s.response_cache_seconds = 0;
    stored_views_are_what_the_tables_show,
    a_cooperative_or_place_change_shows_on_its_listings_at_once,
    listings_without_a_usable_stored_view_are_read_from_the_tables_then_filled,
    details_read_together_are_each_their_own,
    a_detail_checks_slug_and_status_in_one_index,
);

const TEA: &str = "che-shan-tuyet-co-thu-hong-thai";

/// Every published listing as the cards give it and as the tables give it, each photo's share
/// picture included (the JSON leaves it out).
async fn both_readings(app: &TestApp) -> (Vec<Value>, Vec<Value>) {
    app.with_db(|conn| {
        let ids: Vec<i64> = listings::published_ids_after(conn, 0, 1000).unwrap();
        assert!(ids.len() >= 30, "the demo publishes its listings");
        let base = "https://anh.vungcao.vn/m";
        let stored = listings::views_by_ids(conn, &ids, Visibility::PublishedOnly, base).unwrap();
        let tables = listings::views_by_ids(conn, &ids, Visibility::AnyStatus, base).unwrap();
        let as_json = |views: Vec<listings::ListingView>| -> Vec<Value> {
            views
                .into_iter()
                .map(|v| {
                    let shares: Vec<Value> = v
                        .photos
                        .iter()
                        .map(|p| serde_json::to_value(&p.share).unwrap())
                        .collect();
                    json!({"view": v, "shares": shares})
                })
                .collect()
        };
        (as_json(stored), as_json(tables))
    })
    .await
}

/// Runs one SQL statement on the app's database (to age or drop stored views behind its back).
async fn execute(app: &TestApp, sql: &'static str) {
    app.with_db(move |conn| {
        vungcao::with_conn!(conn, |c| diesel::RunQueryDsl::execute(
            diesel::sql_query(sql),
            c
        ))
        .unwrap()
    })
    .await;
}

async fn card_count(app: &TestApp) -> usize {
    app.with_db(|conn| cards::fill(conn, |_| {}).unwrap()).await
}

/// A 1600×1200 PNG, enough for every variant and the 1200×630 share picture.
fn photo() -> Vec<u8> {
    let shot = image::RgbImage::from_fn(1600, 1200, |x, y| {
        image::Rgb([(x / 7) as u8, (y / 5) as u8, 90])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    shot.write_to(&mut png, image::ImageFormat::Png).unwrap();
    png.into_inner()
}

async fn stored_views_are_what_the_tables_show(app: TestApp) {
    // The demo load, and a synthetic bulk load (which passes no outbox), wrote a card for every
    // published listing: nothing is left to fill.
    let added = app
        .with_db(|conn| vungcao::demo::load_synthetic(conn, 60, 7, |_, _| {}).unwrap())
        .await;
    assert_eq!(added.listings_added, 60);
    assert_eq!(card_count(&app).await, 0);
    // Listing 1 (the demo's published tea) gets a photo, approved.
    let (status, gallery) =
        crate::photos::upload(&app, &app.tea_token, 1, vec![("che.png", photo())]).await;
    assert_eq!(status, 201, "{gallery}");
    assert_eq!(app.approve(1).await.0, 200);
    let (_, tea) = app.get_json(&format!("/api/v1/listings/{TEA}")).await;
    assert_eq!(tea["photos"].as_array().unwrap().len(), 1, "{tea}");
    let (stored, tables) = both_readings(&app).await;
    assert_eq!(stored.len(), tables.len());
    assert_eq!(stored, tables);
    assert!(
        stored.iter().any(|v| v["shares"][0]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://anh.vungcao.vn/m/"))),
        "the photo's URLs and share picture are compared too"
    );
    assert!(stored.iter().any(|v| !v["view"]["event"].is_null()));

    // A description holding the very text a card marks photo URLs with is shown as written,
    // and the photo URLs get the media base, as when read from the tables.
    let text = "Chè ngon @vungcao-media-0@ và @vungcao-media-1@, hái tay.";
    app.with_db(move |conn| {
        use diesel::prelude::*;
        use vungcao::store::schema::listings as l;
        vungcao::with_conn!(conn, |c| diesel::update(l::table.find(1i64))
            .set(l::description_vi.eq(text))
            .execute(c))
        .unwrap();
        cards::refresh(conn, &[1]).unwrap();
    })
    .await;
    let (_, tea) = app.get_json(&format!("/api/v1/listings/{TEA}")).await;
    assert_eq!(tea["description"]["vi"], text);
    let url = tea["photos"][0]["variants"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!url.contains("@vungcao-media"), "{url}");
    let full = if url.starts_with('/') {
        app.url(&url)
    } else {
        url.clone()
    };
    let photo = app.client.get(&full).send().await.unwrap();
    assert_eq!(photo.status(), 200, "{url}");
    let (stored, tables) = both_readings(&app).await;
    assert_eq!(stored, tables);
    execute(&app, "DELETE FROM listing_cards WHERE listing_id = 1").await;
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{TEA}")).await.1,
        tea
    );

    // An event's next dates move with the calendar: they are worked out when read, whatever the
    // stored view says (here: dates long past).
    let (_, events_before) = app.get_json("/api/v1/listings?kind=event&limit=100").await;
    app.with_db(|conn| {
        use diesel::prelude::*;
        use vungcao::store::schema::listing_cards;
        let cards: Vec<(i64, String)> = vungcao::with_conn!(conn, |c| listing_cards::table
            .select((listing_cards::listing_id, listing_cards::body))
            .load(c))
        .unwrap();
        let mut moved = 0;
        for (id, mut body) in cards {
            // `MARK KIND`, the share pictures, the view: one line each; an event's head says
            // where its event object is, so its dates are changed in place.
            let lines: Vec<&str> = body.split('\n').collect();
            assert_eq!(lines.len(), 3, "{body}");
            let view: Value = serde_json::from_str(lines[2]).unwrap();
            if view["event"].is_null() {
                assert!(lines[0].ends_with(" -"), "{}", lines[0]);
                continue;
            }
            // `MARK e AT LEN`: the view's bytes AT..AT + LEN are its event object (else reads
            // would quietly take the tables, and the answers below would still match).
            let head: Vec<&str> = lines[0].split(' ').collect();
            assert_eq!(head.len(), 4, "{}", lines[0]);
            assert_eq!(head[1], "e", "{}", lines[0]);
            let at: usize = head[2].parse().unwrap();
            let end = at + head[3].parse::<usize>().unwrap();
            let placed: Value = serde_json::from_str(&lines[2][at..end]).unwrap();
            assert_eq!(placed, view["event"], "{}", lines[0]);
            for key in [r#""next_start":""#, r#""next_end":""#] {
                if let Some(at) = body.find(key) {
                    let at = at + key.len();
                    body.replace_range(at..at + 10, "2001-01-01");
                    moved += 1;
                }
            }
            vungcao::with_conn!(conn, |c| diesel::update(listing_cards::table.find(id))
                .set(listing_cards::body.eq(&body))
                .execute(c))
            .unwrap();
        }
        assert!(moved > 0, "the demo has events with dates ahead");
    })
    .await;
    assert_eq!(both_readings(&app).await, (tables.clone(), tables));
    // The API's JSON too (written from the stored text, events worked out on read).
    let (_, events) = app.get_json("/api/v1/listings?kind=event&limit=100").await;
    assert!(!events["items"].as_array().unwrap().is_empty());
    assert_eq!(events, events_before);
    for event in events["items"].as_array().unwrap() {
        let (_, detail) = app
            .get_json(&format!(
                "/api/v1/listings/{}",
                event["slug"].as_str().unwrap()
            ))
            .await;
        assert_eq!(&detail, event);
    }

    // A listing archived loses its card: not found, and gone from the lists.
    let id = app
        .with_db(|conn| {
            let id = listings::published_ids_after(conn, 0, 1000).unwrap()[0];
            listings::set_status(
                conn,
                id,
                vungcao::domain::listing::ListingStatus::Archived,
                None,
            )
            .unwrap();
            id
        })
        .await;
    let slug = app
        .with_db(move |conn| listings::row(conn, id).unwrap().unwrap().slug)
        .await;
    let (status, _) = app.get_json(&format!("/api/v1/listings/{slug}")).await;
    assert_eq!(status, 404);
    let (_, page) = app.get_json("/api/v1/listings?limit=100").await;
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["slug"] != slug.as_str()));
}

async fn a_cooperative_or_place_change_shows_on_its_listings_at_once(app: TestApp) {
    let (_, before) = app.get_json(&format!("/api/v1/listings/{TEA}")).await;
    assert_eq!(before["cooperative"]["phone"], "0912 000 101");

    // A new phone number (and nothing else) shows on the listing's page and in the lists.
    let (status, body) = app
        .patch(
            "/api/v1/admin/cooperatives/htx-che-shan-tuyet-hong-thai",
            &app.admin_token,
            json!({"phone": "0987 654 321"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, tea) = app.get_json(&format!("/api/v1/listings/{TEA}")).await;
    assert_eq!(tea["cooperative"]["phone"], "0987 654 321");
    let (_, page) = app
        .get_json("/api/v1/listings?cooperative=htx-che-shan-tuyet-hong-thai&limit=100")
        .await;
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items
        .iter()
        .all(|i| i["cooperative"]["phone"] == "0987 654 321"));

    // A district renamed shows on the path of every listing under it.
    let (status, body) = app
        .patch(
            "/api/v1/admin/places/TQ-NH",
            &app.admin_token,
            json!({"name": "Na Hang (cũ)"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, tea) = app.get_json(&format!("/api/v1/listings/{TEA}")).await;
    assert_eq!(tea["place"]["path"][1]["name"], "Na Hang (cũ)");

    // A refused change leaves the stored view as it was.
    let (status, _) = app
        .patch(
            "/api/v1/admin/cooperatives/htx-che-shan-tuyet-hong-thai",
            &app.admin_token,
            json!({"phone": "0911 111 111", "place": "KHONG-CO"}),
        )
        .await;
    assert_eq!(status, 422);
    let (_, tea) = app.get_json(&format!("/api/v1/listings/{TEA}")).await;
    assert_eq!(tea["cooperative"]["phone"], "0987 654 321");

    let (stored, tables) = both_readings(&app).await;
    assert_eq!(stored, tables);
}

async fn listings_without_a_usable_stored_view_are_read_from_the_tables_then_filled(app: TestApp) {
    let (_, detail) = app.get_json(&format!("/api/v1/listings/{TEA}")).await;
    let (_, page) = app.get_json("/api/v1/listings?limit=100").await;
    let published = page["items"].as_array().unwrap().len();

    // A database from before the cards: none stored.
    execute(&app, "DELETE FROM listing_cards").await;
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{TEA}")).await.1,
        detail
    );
    assert_eq!(app.get_json("/api/v1/listings?limit=100").await.1, page);
    assert_eq!(card_count(&app).await, published);
    assert_eq!(card_count(&app).await, 0);

    // A card of another shape (written by another version of the view) is not used.
    execute(
        &app,
        "UPDATE listing_cards SET format = 7, body = '{\"view\": 1}' \
         WHERE listing_id = (SELECT id FROM listings WHERE slug = 'che-shan-tuyet-co-thu-hong-thai')",
    )
    .await;
    assert_eq!(
        app.get_json(&format!("/api/v1/listings/{TEA}")).await.1,
        detail
    );
    assert_eq!(card_count(&app).await, 1);

    // A card whose text is not UTF-8 (a damaged SQLite file; PostgreSQL's text type refuses
    // such bytes): read from the tables too, never sent as it is.
    if app.db.backend() == vungcao::store::Backend::Sqlite {
        execute(
            &app,
            "UPDATE listing_cards SET body = CAST(CAST(body AS BLOB) || X'ff' AS TEXT) \
             WHERE listing_id = (SELECT id FROM listings WHERE slug = 'che-shan-tuyet-co-thu-hong-thai')",
        )
        .await;
        assert_eq!(
            app.get_json(&format!("/api/v1/listings/{TEA}")).await.1,
            detail
        );
        assert_eq!(app.get_json("/api/v1/listings?limit=100").await.1, page);
    }
    let (stored, tables) = both_readings(&app).await;
    assert_eq!(stored, tables);
}

/// Details asked for at the same moment (on PostgreSQL read together, one statement per batch:
/// `store::read_batches`) each answer their own listing, as read alone; a slug nobody has is a
/// 404 among them; a change shows in every read that starts after it.
async fn details_read_together_are_each_their_own(app: TestApp) {
    app.with_db(|conn| vungcao::demo::load_synthetic(conn, 120, 11, |_, _| {}).unwrap())
        .await;
    let slugs: Vec<String> = app
        .with_db(|conn| {
            listings::published_ids_after(conn, 0, 1000)
                .unwrap()
                .into_iter()
                .map(|id| listings::row(conn, id).unwrap().unwrap().slug)
                .collect()
        })
        .await;
    assert!(slugs.len() > 120, "{}", slugs.len());
    // One of them without its stored view: read from the tables, inside a batch too.
    execute(
        &app,
        "DELETE FROM listing_cards WHERE listing_id = \
         (SELECT id FROM listings WHERE slug = 'che-shan-tuyet-co-thu-hong-thai')",
    )
    .await;
    let mut alone = std::collections::HashMap::new();
    for slug in &slugs {
        let (status, body) = app.get_json(&format!("/api/v1/listings/{slug}")).await;
        assert_eq!(status, 200, "{slug}: {body}");
        assert_eq!(body["slug"], slug.as_str());
        alone.insert(slug.clone(), body);
    }

    // The statement a batch runs, on this database: the same JSON as one read per slug.
    let base = "https://anh.vungcao.vn/m";
    let asked: Vec<String> = slugs
        .iter()
        .cloned()
        .chain(["khong-co-dau".to_owned()])
        .collect();
    let (together, one_by_one) = app
        .with_db(move |conn| {
            let together = listings::published_json_by_slugs(conn, &asked, base).unwrap();
            let one_by_one: std::collections::HashMap<String, (i64, String)> = asked
                .iter()
                .filter_map(|slug| {
                    listings::published_json_by_slug(conn, slug, base)
                        .unwrap()
                        .map(|found| (slug.clone(), found))
                })
                .collect();
            (together, one_by_one)
        })
        .await;
    assert_eq!(together.len(), slugs.len());
    assert_eq!(together, one_by_one);

    // Through the API, all at once: every slug twice, and slugs nobody has.
    let mut wanted: Vec<String> = slugs.iter().chain(slugs.iter()).cloned().collect();
    wanted.extend((0..10).map(|i| format!("khong-co-san-pham-{i}")));
    let app_ref = &app;
    let answers =
        futures_util::future::join_all(wanted.iter().map(|slug| async move {
            app_ref.get_json(&format!("/api/v1/listings/{slug}")).await
        }))
        .await;
    for (slug, (status, body)) in wanted.iter().zip(answers) {
        match alone.get(slug) {
            Some(expected) => {
                assert_eq!(status, 200, "{slug}: {body}");
                assert_eq!(&body, expected, "{slug}");
            }
            None => {
                assert_eq!(status, 404, "{slug}: {body}");
                assert_eq!(body["code"], "listing_not_found");
            }
        }
    }

    // A change, then reads all at once: every one shows it.
    let (status, body) = app
        .patch(
            "/api/v1/admin/cooperatives/htx-che-shan-tuyet-hong-thai",
            &app.admin_token,
            json!({"phone": "0987 000 111"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let answers = futures_util::future::join_all(
        (0..64).map(|_| async { app.get_json(&format!("/api/v1/listings/{TEA}")).await }),
    )
    .await;
    for (status, tea) in answers {
        assert_eq!(status, 200);
        assert_eq!(tea["cooperative"]["phone"], "0987 000 111");
    }
}

/// A detail by slug checks that the listing is published from the `(slug, status)` index alone,
/// without reading the listing's row (its texts), then reads the card by id.
async fn a_detail_checks_slug_and_status_in_one_index(app: TestApp) {
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    let (postgres, lines) = app
        .with_db(|conn| {
            let postgres = matches!(conn, vungcao::store::Conn::Postgres(_));
            let lines: Vec<Line> = match conn {
                vungcao::store::Conn::Sqlite(c) => diesel::RunQueryDsl::load(
                    diesel::sql_query(
                        "EXPLAIN QUERY PLAN \
                         SELECT listings.id, listing_cards.body FROM listings \
                         LEFT JOIN listing_cards ON listing_cards.listing_id = listings.id \
                         WHERE listings.slug = 'che-shan-tuyet-co-thu-hong-thai' \
                         AND listings.status = 'published'",
                    ),
                    &mut **c,
                ),
                // Tiny tables are scanned whatever the indexes: check the index itself.
                vungcao::store::Conn::Postgres(c) => diesel::RunQueryDsl::load(
                    diesel::sql_query(
                        "SELECT indexdef AS detail FROM pg_indexes \
                         WHERE indexname = 'listings_slug_status'",
                    ),
                    &mut **c,
                ),
            }
            .unwrap();
            (
                postgres,
                lines.into_iter().map(|l| l.detail).collect::<Vec<_>>(),
            )
        })
        .await;
    let plan = lines.join("\n");
    if postgres {
        assert!(plan.contains("(slug, status) INCLUDE (id)"), "{plan}");
    } else {
        assert!(
            plan.contains("SEARCH listings USING COVERING INDEX listings_slug_status"),
            "{plan}"
        );
        assert!(
            plan.contains("listing_cards USING INTEGER PRIMARY KEY"),
            "{plan}"
        );
    }
    let (status, detail) = app.get_json(&format!("/api/v1/listings/{TEA}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["slug"], TEA);
}
