//! The festival calendar (home page, `/le-hoi`, `/api/v1/events`) follows every change to an
//! event at once, on this server and on another one sharing the database.

use crate::both_backends;
use crate::helpers::TestApp;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::Method;
use serde_json::{json, Value};

both_backends!(@settings |s| s.response_cache_seconds = 0;
    a_festival_shows_once_approved_and_leaves_once_archived,
    another_replica_sees_a_festival_come_and_go,
    a_yearly_festival_rolls_over_to_its_coming_dates,
    an_approved_edit_of_a_festival_shows_at_once,
);

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A festival of the tea cooperative, sent for review: its id.
async fn submitted_festival(app: &TestApp, name: &str, start: NaiveDate, yearly: bool) -> i64 {
    let (status, created) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            json!({
                "kind": "event",
                "name": {"vi": name},
                "description": {"vi": "Hội xuân của bà con vùng chè, có thi hái chè và hát then."},
                "category": "festival",
                "event": {"start": start, "end": start + Duration::days(2), "recurs_yearly": yearly},
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, sent) = app
        .post(
            &format!("/api/v1/my/listings/{id}/submit"),
            &app.tea_token,
            Value::Null,
        )
        .await;
    assert_eq!((status, sent["status"].as_str()), (200, Some("pending")));
    id
}

async fn archive(app: &TestApp, id: i64) {
    let (status, archived) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(
        (status, archived["status"].as_str()),
        (200, Some("archived"))
    );
}

/// The names of the festivals `address` lists in the events API's coming year, with their start.
async fn upcoming(client: &reqwest::Client, address: &str) -> Vec<(String, String)> {
    let list: Value = client
        .get(format!("{address}/api/v1/events?limit=200"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["listing"]["name"]["vi"].as_str().unwrap().to_owned(),
                i["start"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn names(found: &[(String, String)]) -> Vec<&str> {
    found.iter().map(|(name, _)| name.as_str()).collect()
}

async fn page(client: &reqwest::Client, address: &str, path: &str) -> String {
    let res = client.get(format!("{address}{path}")).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

async fn a_festival_shows_once_approved_and_leaves_once_archived(app: TestApp) {
    let name = "Hội chè xuân Hồng Thái";
    // Read first, so a calendar kept from before the change would show.
    assert!(!names(&upcoming(&app.client, &app.address).await).contains(&name));
    let id = submitted_festival(&app, name, today() + Duration::days(1), false).await;
    assert!(
        !names(&upcoming(&app.client, &app.address).await).contains(&name),
        "waiting for review"
    );
    assert!(!page(&app.client, &app.address, "/le-hoi")
        .await
        .contains(name));

    let (status, _) = app.approve(id).await;
    assert_eq!(status, 200);
    let found = upcoming(&app.client, &app.address).await;
    // A demo festival may start the same day or earlier (the Pà Thẻn fire dance starts on 5
    // December): the new one is listed on its day, and the list is in date order (below).
    let soonest = (today() + Duration::days(1)).to_string();
    assert!(
        found.contains(&(name.to_owned(), soonest.clone())),
        "listed on its day once approved: {found:?}"
    );
    assert!(
        found.windows(2).all(|w| w[0].1 <= w[1].1),
        "in date order: {found:?}"
    );
    assert!(page(&app.client, &app.address, "/le-hoi")
        .await
        .contains(name));
    assert!(page(&app.client, &app.address, "/").await.contains(name));

    archive(&app, id).await;
    assert!(!names(&upcoming(&app.client, &app.address).await).contains(&name));
    assert!(!page(&app.client, &app.address, "/le-hoi")
        .await
        .contains(name));
    assert!(!page(&app.client, &app.address, "/").await.contains(name));
}

async fn another_replica_sees_a_festival_come_and_go(app: TestApp) {
    let replica = app.spawn_replica().await;
    let name = "Lễ hội đình làng Hồng Thái";
    // The replica builds its calendar before the change.
    assert!(!names(&upcoming(&app.client, &replica.address).await).contains(&name));
    assert!(!page(&app.client, &replica.address, "/")
        .await
        .contains(name));

    let id = submitted_festival(&app, name, today() + Duration::days(1), false).await;
    app.approve(id).await;
    assert!(names(&upcoming(&app.client, &replica.address).await).contains(&name));
    assert!(page(&app.client, &replica.address, "/")
        .await
        .contains(name));
    assert!(page(&app.client, &replica.address, "/le-hoi")
        .await
        .contains(name));

    archive(&app, id).await;
    assert!(!names(&upcoming(&app.client, &replica.address).await).contains(&name));
    assert!(!page(&app.client, &replica.address, "/")
        .await
        .contains(name));
    assert!(!page(&app.client, &replica.address, "/le-hoi")
        .await
        .contains(name));
}

async fn a_yearly_festival_rolls_over_to_its_coming_dates(app: TestApp) {
    // First held two years ago, ten days from now in the year: this year's (or next year's)
    // dates are ten days away. 29 February is avoided, it has its own rule.
    let mut soon = today() + Duration::days(10);
    if (soon.month(), soon.day()) == (2, 29) {
        soon += Duration::days(1);
    }
    let first_held = soon.with_year(soon.year() - 2).unwrap();
    let name = "Lễ hội Lồng Tồng xã Hồng Thái";
    let id = submitted_festival(&app, name, first_held, true).await;
    app.approve(id).await;

    let found = upcoming(&app.client, &app.address).await;
    let starts: Vec<&str> = found
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, start)| start.as_str())
        .collect();
    assert_eq!(starts, vec![soon.to_string()], "once in the coming year");

    // Next year's and the years after, whether kept in memory or worked out for a far range.
    for year in [soon.year() + 1, soon.year() + 2, soon.year() + 12] {
        let expected = soon.with_year(year).unwrap();
        let (_, list) = app
            .get_json(&format!(
                "/api/v1/events?from={year}-01-01&to={year}-12-31&limit=200"
            ))
            .await;
        let starts: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["listing"]["name"]["vi"] == name)
            .map(|i| i["start"].as_str().unwrap())
            .collect();
        assert_eq!(starts, vec![expected.to_string()], "{year}");
    }
    // Not before it was first held.
    let year = first_held.year() - 1;
    let (_, list) = app
        .get_json(&format!("/api/v1/events?from={year}-01-01&to={year}-12-31"))
        .await;
    assert!(!list.to_string().contains(name));
}

async fn an_approved_edit_of_a_festival_shows_at_once(app: TestApp) {
    let start = today() + Duration::days(3);
    let id = submitted_festival(&app, "Hội hoa sở Hồng Thái", start, false).await;
    app.approve(id).await;
    // Shown once, so the calendar has its listing in memory.
    let found = upcoming(&app.client, &app.address).await;
    assert!(found.contains(&("Hội hoa sở Hồng Thái".to_owned(), start.to_string())));

    // Renamed and moved a week later: a revision, the calendar keeps the approved one.
    let later = start + Duration::days(7);
    let (status, edited) = app
        .patch(
            &format!("/api/v1/my/listings/{id}"),
            &app.tea_token,
            json!({
                "name": {"vi": "Hội hoa sở xuân Hồng Thái"},
                "event": {"start": later, "end": later + Duration::days(1)},
            }),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    let found = upcoming(&app.client, &app.address).await;
    assert!(found.contains(&("Hội hoa sở Hồng Thái".to_owned(), start.to_string())));

    let (status, _) = app.approve(id).await;
    assert_eq!(status, 200);
    let found = upcoming(&app.client, &app.address).await;
    assert!(found.contains(&("Hội hoa sở xuân Hồng Thái".to_owned(), later.to_string())));
    assert!(
        !names(&found).contains(&"Hội hoa sở Hồng Thái"),
        "{found:?}"
    );
    let page = page(&app.client, &app.address, "/le-hoi").await;
    assert!(page.contains("Hội hoa sở xuân Hồng Thái"));
}
