//! Query understanding, measured: hit@1 and hit@5 of the labelled queries in
//! `tests/data/queries.toml` over the demo catalogue, for vungcao on tantivy, vungcao on
//! Meilisearch, Meilisearch with default settings on the same documents (the anchor), and
//! vungcao's engines without the understanding layer, all in one run, printed as a table.
//!
//! `cargo bench --bench understand`; the Meilisearch columns need `VUNGCAO_TEST_MEILI_URL`
//! (and `VUNGCAO_TEST_MEILI_KEY`), otherwise they print `-`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../tests/search_support/mod.rs"]
mod search_support;

use serde::Deserialize;
use std::collections::BTreeMap;
use vungcao::search::{SearchDocument, SearchIndex, SearchQuery};

#[derive(Deserialize)]
struct File {
    query: Vec<Labelled>,
}

#[derive(Deserialize, Clone)]
struct Labelled {
    category: String,
    q: String,
    expect: Vec<String>,
}

const K: usize = 5;

/// For each query, the rank (0-based) of the first expected listing, if in the top K.
type Ranks = Vec<Option<usize>>;

fn rank(hits: &[String], expect: &[String]) -> Option<usize> {
    hits.iter().take(K).position(|h| expect.contains(h))
}

async fn run_index(index: &SearchIndex, queries: &[Labelled], understood: bool) -> Ranks {
    let mut out = Vec::with_capacity(queries.len());
    for l in queries {
        let q = SearchQuery {
            limit: K,
            ..SearchQuery::text(l.q.clone())
        };
        let r = if understood {
            index.search(&q).await
        } else {
            index.search_raw(&q).await
        }
        .expect("search");
        let hits: Vec<String> = r.hits.into_iter().map(|h| h.slug).collect();
        out.push(rank(&hits, &l.expect));
    }
    out
}

#[derive(Deserialize)]
struct SlugOnly {
    slug: String,
}

/// Meilisearch as it comes: the same documents, default settings, the query as typed.
async fn run_meili_default(
    url: &str,
    key: Option<String>,
    docs: &[SearchDocument],
    queries: &[Labelled],
) -> Ranks {
    let client = meilisearch_sdk::client::Client::new(url, key).expect("client");
    let uid = format!("vc_bench_default_{}", std::process::id());
    let index = client.index(&uid);
    index
        .add_documents(docs, Some("id"))
        .await
        .expect("add documents")
        .wait_for_completion(&client, None, Some(std::time::Duration::from_secs(120)))
        .await
        .expect("indexing");
    let mut out = Vec::with_capacity(queries.len());
    for l in queries {
        let r = index
            .search()
            .with_query(&l.q)
            .with_limit(K)
            .execute::<SlugOnly>()
            .await
            .expect("search");
        let hits: Vec<String> = r.hits.into_iter().map(|h| h.result.slug).collect();
        out.push(rank(&hits, &l.expect));
    }
    let _ = client.delete_index(&uid).await;
    out
}

fn cell(ranks: Option<&Ranks>, picked: &[usize], k: usize) -> String {
    match ranks {
        None => "-".to_owned(),
        Some(r) => {
            let hit = picked
                .iter()
                .filter(|&&i| r[i].is_some_and(|at| at < k))
                .count();
            format!("{:.0}%", 100.0 * hit as f64 / picked.len().max(1) as f64)
        }
    }
}

fn main() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/queries.toml"
    ))
    .expect("queries.toml");
    let queries = toml::from_str::<File>(&text)
        .expect("queries.toml parses")
        .query;
    let docs = search_support::demo_documents();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let meili = std::env::var("VUNGCAO_TEST_MEILI_URL").ok();
    let key = std::env::var("VUNGCAO_TEST_MEILI_KEY").ok();
    let columns: Vec<(&str, Option<Ranks>)> = runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let tantivy = SearchIndex::open_tantivy(&dir.path().join("search")).expect("tantivy");
        tantivy.upsert(docs.clone()).await.expect("index");
        let mut cols = vec![
            (
                "vungcao tantivy",
                Some(run_index(&tantivy, &queries, true).await),
            ),
            ("vungcao meili", None),
            ("meili default", None),
            (
                "tantivy, no layer",
                Some(run_index(&tantivy, &queries, false).await),
            ),
            ("meili, no layer", None),
        ];
        if let Some(url) = &meili {
            let uid = format!("vc_bench_understand_{}", std::process::id());
            let index = SearchIndex::connect_meili(url, key.clone(), &uid)
                .await
                .expect("meilisearch");
            index.upsert(docs.clone()).await.expect("index");
            cols[1].1 = Some(run_index(&index, &queries, true).await);
            cols[4].1 = Some(run_index(&index, &queries, false).await);
            if let SearchIndex::Meili(m) = &index {
                let _ = m.drop_index().await;
            }
            cols[2].1 = Some(run_meili_default(url, key.clone(), &docs, &queries).await);
        }
        cols
    });
    let mut categories: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for (i, l) in queries.iter().enumerate() {
        if !order.contains(&l.category.as_str()) {
            order.push(&l.category);
        }
        categories.entry(&l.category).or_default().push(i);
    }
    let all: Vec<usize> = (0..queries.len()).collect();
    println!(
        "hit@1 / hit@{K} over {} labelled queries, demo catalogue ({} listings){}",
        queries.len(),
        docs.len(),
        if meili.is_none() {
            "; Meilisearch not measured (set VUNGCAO_TEST_MEILI_URL)"
        } else {
            ""
        }
    );
    print!("{:<18} {:>4}", "category", "n");
    for (name, _) in &columns {
        print!(" | {name:>17}");
    }
    println!();
    let row = |name: &str, picked: &[usize]| {
        print!("{name:<18} {:>4}", picked.len());
        for (_, ranks) in &columns {
            let c = format!(
                "{} / {}",
                cell(ranks.as_ref(), picked, 1),
                cell(ranks.as_ref(), picked, K)
            );
            print!(" | {c:>17}");
        }
        println!();
    };
    for name in order {
        row(name, &categories[name]);
    }
    row("all", &all);
}
