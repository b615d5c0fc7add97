//! Several processes serving from one Meilisearch index: each keeps its own query-understanding
//! vocabulary, and learns the listings another process indexed.

use crate::helpers::{new_listing, spawn_app_on_meilisearch, Backend, TestApp};
use crate::revisions::{create, submit};
use serde_json::Value;
use std::time::{Duration, Instant};

mod a_replica_understands_listings_another_process_indexed {
    use super::*;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        if let Some(app) = spawn_app_on_meilisearch(Backend::Sqlite).await {
            super::a_replica_understands_listings_another_process_indexed(app).await;
        }
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) = spawn_app_on_meilisearch(Backend::Postgres).await {
            super::a_replica_understands_listings_another_process_indexed(app).await;
        }
    }
}

/// The first result's name for `q` on the server at `address`, and the answer.
async fn first(app: &TestApp, address: &str, q: &str) -> (Option<String>, Value) {
    let answer: Value = app
        .client
        .get(format!("{address}/api/v1/search?q={q}&explain=true"))
        .send()
        .await
        .expect("search answers")
        .json()
        .await
        .expect("search JSON");
    let name = answer["items"][0]["name"]["vi"].as_str().map(str::to_owned);
    (name, answer)
}

/// Asks `q` on `address` until `done` holds for the answer or `within` passes; the last answer.
async fn until(
    app: &TestApp,
    address: &str,
    q: &str,
    done: impl Fn(&Value) -> bool,
    within: Duration,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (_, answer) = first(app, address, q).await;
        if done(&answer) || Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Whether the answer's explanation read `typed` as `meant`.
fn read_as(answer: &Value, typed: &str, meant: &str) -> bool {
    let note = format!("{typed} → {meant}");
    answer["explain"]["notes"].as_array().is_some_and(|notes| {
        notes
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains(&note)))
    })
}

/// A shopper typing Telex with the Vietnamese keyboard off ("chaamr cheos" for "chẩm chéo") is
/// understood through the vocabulary of the words listings use. A replica without an indexer
/// read that vocabulary when it started; a listing published afterwards, indexed by another
/// process, must reach it too, or the replica answers nothing where the indexing process
/// answers the listing.
async fn a_replica_understands_listings_another_process_indexed(app: TestApp) {
    app.indexed().await;
    let replica = app.spawn_replica().await;
    // The replica has read the catalogue's vocabulary: Telex for a demo listing is understood.
    let demo = until(
        &app,
        &replica.address,
        "hoongf%20thais",
        |a| read_as(a, "hoongf", "hồng"),
        Duration::from_secs(20),
    )
    .await;
    assert!(read_as(&demo, "hoongf", "hồng"), "{demo}");
    // Nobody lists chẩm chéo yet: the Telex is not read as it (the closest reading is "chè").
    let (_, answer) = first(&app, &replica.address, "chaamr%20cheos").await;
    assert!(!read_as(&answer, "chaamr", "chẩm"), "{answer}");

    app.skip_review_at("TQ-NH-HT").await;
    let name = "Chẩm chéo Hồng Thái";
    let id = create(&app, &app.tea_token, new_listing(name)).await;
    assert_eq!(
        submit(&app, &app.tea_token, id).await["status"],
        "published"
    );
    app.indexed().await;

    // The indexing process understands it at once.
    let (on_app, answer) = first(&app, &app.address, "chaamr%20cheos").await;
    assert_eq!(on_app.as_deref(), Some(name), "{answer}");
    // The replica within a few polls of the record of what was indexed.
    let answer = until(
        &app,
        &replica.address,
        "chaamr%20cheos",
        |a| a["items"][0]["name"]["vi"] == name,
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(answer["items"][0]["name"]["vi"], name, "{answer}");
    assert!(read_as(&answer, "chaamr", "chẩm"), "{answer}");
}
