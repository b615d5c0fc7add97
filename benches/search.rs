//! Engine-level search benchmark: synthetic listings, tantivy rebuild throughput and query latency percentiles.
//!
//! `cargo bench --bench search` (100 000 documents; `VUNGCAO_BENCH_DOCS=N` to change).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};
use vungcao::search::synthetic::{self, XorShift};
use vungcao::search::{SearchFilters, SearchQuery, TantivyIndex};
use vungcao::text::fold;

const SEED: u64 = 42;
const ROUNDS: usize = 3;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Plain,
    Accented,
    Typo,
    Prefix,
    Browse,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Plain => "diacritic-free",
            Kind::Accented => "accented",
            Kind::Typo => "typos",
            Kind::Prefix => "prefix (as you type)",
            Kind::Browse => "empty (browse)",
        }
    }
}

/// One typo in a word of 5+ letters, never on the first letter (transposition or substitution).
fn with_typo(rng: &mut XorShift, text: &str) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    let candidates: Vec<usize> = (0..words.len()).filter(|&i| words[i].len() >= 5).collect();
    let Some(&i) = candidates.get(rng.below(candidates.len().max(1))) else {
        return text.to_owned();
    };
    let mut chars: Vec<char> = words[i].chars().collect();
    let at = 1 + rng.below(chars.len() - 2);
    if rng.chance(50) {
        chars.swap(at, at + 1);
    } else {
        chars[at] = if chars[at] == 'a' { 'e' } else { 'a' };
    }
    words[i] = chars.into_iter().collect();
    words.join(" ")
}

fn query_mix(n: usize) -> Vec<(Kind, String)> {
    let mut rng = XorShift::new(SEED ^ 0xBEEF);
    let communes = synthetic::communes(1_000, SEED);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (product, _) = *rng.pick(synthetic::PRODUCTS);
        let place = if rng.chance(50) {
            rng.pick(synthetic::DISTRICTS).0.to_owned()
        } else {
            communes[rng.below(communes.len())].name.clone()
        };
        let accented = if rng.chance(30) {
            format!("{product} {place}")
        } else if rng.chance(30) {
            (*rng.pick(synthetic::FESTIVALS)).to_owned()
        } else {
            product.to_owned()
        };
        let q = match i % 20 {
            0..=5 => (Kind::Plain, fold(&accented)),
            6..=8 => (Kind::Accented, accented.to_lowercase()),
            9..=13 => (Kind::Typo, with_typo(&mut rng, &fold(&accented))),
            14..=18 => {
                let folded = fold(&accented);
                let mut cut: String = folded.clone();
                if let Some(last) = folded.rsplit(' ').next() {
                    let keep = 1 + rng.below(last.chars().count().max(1));
                    let head = &folded[..folded.len() - last.len()];
                    cut = format!("{head}{}", last.chars().take(keep).collect::<String>());
                }
                (Kind::Prefix, cut)
            }
            _ => (Kind::Browse, String::new()),
        };
        out.push(q);
    }
    out
}

fn filters_for(i: usize, rng: &mut XorShift) -> SearchFilters {
    let category = synthetic::PRODUCTS[rng.below(synthetic::PRODUCTS.len())].1;
    match i % 5 {
        0 => SearchFilters {
            category: Some(category.to_owned()),
            ..Default::default()
        },
        1 => SearchFilters {
            place: Some(format!("TQ-D{:02}", rng.below(synthetic::DISTRICTS.len()))),
            ..Default::default()
        },
        2 => SearchFilters {
            kind: Some("product".into()),
            min_ocop_stars: Some(3),
            ..Default::default()
        },
        3 => SearchFilters {
            in_season_month: Some(rng.below(12) as u8 + 1),
            ..Default::default()
        },
        _ => SearchFilters {
            price_min: Some(50_000),
            price_max: Some(300_000),
            ..Default::default()
        },
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1_000.0
}

struct Row {
    label: String,
    samples: Vec<Duration>,
    empty: usize,
    anchor: &'static str,
}

fn peak_rss_mb() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0;
    if ok {
        usage.ru_maxrss as f64 / 1024.0
    } else {
        f64::NAN
    }
}

fn main() {
    let n: usize = std::env::var("VUNGCAO_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index = TantivyIndex::open(&dir.path().join("search")).unwrap();

    let t = Instant::now();
    let generated = synthetic::documents(n, SEED).count();
    let gen_secs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let indexed = rt
        .block_on(index.rebuild(synthetic::documents(n, SEED), |done, total| {
            if total > 0 && done % (total / 5).max(1) == 0 && done > 0 {
                eprintln!("  rebuild {done}/{total}");
            }
        }))
        .unwrap();
    let rebuild_secs = t.elapsed().as_secs_f64();
    assert_eq!(indexed as usize, generated);
    let index_mb = dir_size(dir.path()) as f64 / 1e6;

    let mix = query_mix(200);
    let mut frng = XorShift::new(SEED ^ 0xF11);
    let filtered: Vec<SearchFilters> = (0..mix.len()).map(|i| filters_for(i, &mut frng)).collect();
    let plain_q = |text: &str| SearchQuery::text(text);
    let filtered_q = |text: &str, f: &SearchFilters| SearchQuery {
        filters: f.clone(),
        facets: true,
        ..SearchQuery::text(text)
    };
    // Warm up (page cache, lazy structures).
    for (i, (_, text)) in mix.iter().enumerate() {
        index.search_blocking(&plain_q(text)).unwrap();
        index
            .search_blocking(&filtered_q(text, &filtered[i]))
            .unwrap();
    }
    let kinds = [
        Kind::Plain,
        Kind::Accented,
        Kind::Typo,
        Kind::Prefix,
        Kind::Browse,
    ];
    let mut plain_all = Vec::new();
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); kinds.len()];
    let mut filt_all = Vec::new();
    let mut plain_empty = 0;
    let mut filt_empty = 0;
    for _ in 0..ROUNDS {
        for (i, (kind, text)) in mix.iter().enumerate() {
            let q = plain_q(text);
            let t = Instant::now();
            let r = index.search_blocking(&q).unwrap();
            let d = t.elapsed();
            plain_all.push(d);
            if let Some(k) = kinds.iter().position(|k| k == kind) {
                by_kind[k].push(d);
            }
            plain_empty += usize::from(r.hits.is_empty());
            let q = filtered_q(text, &filtered[i]);
            let t = Instant::now();
            let r = index.search_blocking(&q).unwrap();
            filt_all.push(t.elapsed());
            filt_empty += usize::from(r.hits.is_empty());
        }
    }
    let mut rows = vec![
        Row {
            label: format!("plain, all {} × {ROUNDS}", mix.len()),
            samples: plain_all,
            empty: plain_empty,
            anchor: "p95 2.5 ms",
        },
        Row {
            label: format!("filter + 7 facets, {} × {ROUNDS}", mix.len()),
            samples: filt_all,
            empty: filt_empty,
            anchor: "p95 6.5 ms (filter + 2 facets)",
        },
    ];
    for (k, samples) in kinds.iter().zip(by_kind) {
        rows.push(Row {
            label: format!("  plain: {}", k.label()),
            samples,
            empty: 0,
            anchor: "",
        });
    }

    let rss = peak_rss_mb();
    println!();
    println!("vungcao search benchmark — embedded tantivy, engine only (no HTTP)");
    println!(
        "documents: {n}   generator: {:.0} docs/s   rebuild: {rebuild_secs:.2} s = {:.0} docs/s (target ≤ 15 s; Meilisearch v1.50 anchor: 6 600 docs/s)",
        generated as f64 / gen_secs,
        indexed as f64 / rebuild_secs
    );
    println!(
        "index size on disk: {index_mb:.1} MB   peak RSS: {rss:.0} MB (Meilisearch anchor: 308 MB)"
    );
    println!();
    println!(
        "{:<34} {:>8} {:>8} {:>8} {:>8} {:>7}   anchor (Meilisearch v1.50)",
        "queries", "p50 ms", "p95 ms", "p99 ms", "max ms", "empty"
    );
    for row in &mut rows {
        row.samples.sort_unstable();
        println!(
            "{:<34} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>7}   {}",
            row.label,
            percentile(&row.samples, 50.0),
            percentile(&row.samples, 95.0),
            percentile(&row.samples, 99.0),
            percentile(&row.samples, 100.0),
            if row.anchor.is_empty() {
                String::new()
            } else {
                row.empty.to_string()
            },
            row.anchor
        );
    }
    println!();
    println!("targets through HTTP later: p95 ≤ 3 ms plain, ≤ 7 ms with filter + facets");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "machine: {} cores, load average during run: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}

fn dir_size(path: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
