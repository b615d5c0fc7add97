//! The tantivy engine alone, query by query: each query of the benchmarks' mix (with its filter
//! and the two facets of `bench/search-http.sh`, or plain) searched `ROUNDS` times on an index,
//! the slowest first, with the filter and the hit count. Finds which queries set a p95.
//!
//!     cargo run --release --example engine_by_query -- DATA_DIR/search [plain|filter] [ROUNDS] [TOP] [ONLY]
//!
//! Defaults: `filter`, 5 rounds, the 25 slowest; with ONLY, just the queries whose text holds it
//! (to profile one). The mix is `synthetic::query_mix(200, 42)`, that of the benchmarks.

use std::time::{Duration, Instant};
use vungcao::search::embedded::TantivyIndex;
use vungcao::search::synthetic::{query_mix, MIX_TWO_FACETS};
use vungcao::search::SearchQuery;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: engine_by_query INDEX_DIR [plain|filter] [ROUNDS] [TOP] [ONLY]");
        std::process::exit(2)
    };
    let filtered = match args.get(1).map(String::as_str) {
        None | Some("filter") => true,
        Some("plain") => false,
        Some(other) => {
            eprintln!("engine_by_query: the variant is plain or filter, not {other:?}");
            std::process::exit(2)
        }
    };
    let number = |i: usize, default: usize| match args.get(i) {
        None => default,
        Some(a) => a.parse().unwrap_or_else(|_| {
            eprintln!("engine_by_query: {a:?} is not a whole number");
            std::process::exit(2)
        }),
    };
    let (rounds, top) = (number(2, 5).max(1), number(3, 25));
    let index = TantivyIndex::open(std::path::Path::new(dir)).unwrap_or_else(|e| {
        eprintln!("engine_by_query: cannot open the index {dir}: {e}");
        std::process::exit(1)
    });
    let only = args.get(4).map(String::as_str).unwrap_or("");
    let mix: Vec<_> = query_mix(200, 42)
        .into_iter()
        .filter(|q| q.text.contains(only))
        .collect();
    let queries: Vec<SearchQuery> = mix
        .iter()
        .map(|q| {
            let base = SearchQuery::text(q.text.trim());
            if filtered {
                SearchQuery {
                    filters: q.filter.clone(),
                    facets: true,
                    facet_fields: Some(MIX_TWO_FACETS.map(str::to_owned).to_vec()),
                    ..base
                }
            } else {
                base
            }
        })
        .collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); queries.len()];
    let mut hits = vec![0u64; queries.len()];
    // Rounds over the whole mix, as the benchmark runs it (no query warms its own repeat).
    for _ in 0..rounds {
        for (i, q) in queries.iter().enumerate() {
            let t = Instant::now();
            match index.search_blocking(q) {
                Ok(r) => hits[i] = r.total,
                Err(e) => {
                    eprintln!("engine_by_query: query {:?} failed: {e}", q.text);
                    std::process::exit(1)
                }
            }
            times[i].push(t.elapsed());
        }
    }
    let mut rows: Vec<(f64, f64, usize)> = times
        .iter_mut()
        .enumerate()
        .map(|(i, t)| {
            t.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            (ms(t[t.len() / 2]), ms(t[t.len() - 1]), i)
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("median ms\tworst ms\thits\tkind\tquery\tfilter");
    for (median, worst, i) in rows.iter().take(top) {
        let q = &mix[*i];
        println!(
            "{median:.2}\t{worst:.2}\t{}\t{}\t{:?}\t{}",
            hits[*i],
            q.kind,
            q.text,
            if filtered {
                format!("{:?}", q.filter)
            } else {
                String::new()
            }
        );
    }
}
