//! End-to-end search benchmark: a fresh data dir, N synthetic listings loaded into SQLite with
//! `vungcao demo --synthetic`, `vungcao reindex`, then the fixed 200-query mix × 3 run directly
//! against the embedded engine and through `GET /api/v1/search` of a `vungcao serve` process
//! with ONE keep-alive HTTP/1.1 client; prints p50/p95/p99, documents/s and the server's memory
//! next to the Meilisearch anchor.
//!
//! Run it with `bench/search-http.sh` (builds the release binary first), or by hand:
//! `cargo build --release && cargo bench --bench search_http`.
//!
//! Settings (environment): `VUNGCAO_BENCH_DOCS` (100 000), `VUNGCAO_BENCH_BIN` (the vungcao
//! binary; default `$CARGO_TARGET_DIR/release/vungcao`), `VUNGCAO_BENCH_DIR` (data dir, must not
//! exist; default a temporary one), `VUNGCAO_BENCH_PORT` (18 080), `VUNGCAO_BENCH_ROUNDS` (3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vungcao::search::synthetic::{self, MixQuery};
use vungcao::search::{SearchFilters, SearchQuery, TantivyIndex};

const SEED: u64 = 42;
const TWO_FACETS: &str = "kind,category_code";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn vungcao(bin: &Path, data: &Path) -> Command {
    let mut c = Command::new(bin);
    for (key, _) in std::env::vars() {
        if key.starts_with("VUNGCAO_") && !key.starts_with("VUNGCAO_BENCH") {
            c.env_remove(key);
        }
    }
    c.env("VUNGCAO_DATA_DIR", data)
        .env("VUNGCAO_MEDIA_URL", data.join("media"))
        .env("VUNGCAO_LOG", "warn");
    c
}

/// Runs a vungcao command to completion; returns (wall seconds, stderr).
fn run(bin: &Path, data: &Path, args: &[&str]) -> (f64, String) {
    let t = Instant::now();
    let out = vungcao(bin, data)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let secs = t.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "vungcao {args:?} failed: {stderr}");
    (secs, stderr)
}

// ---------------------------------------------------------------------------------------------
// Queries

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Plain,
    TwoFacets,
    AllFacets,
}

const VARIANTS: [Variant; 3] = [Variant::Plain, Variant::TwoFacets, Variant::AllFacets];

fn engine_query(q: &MixQuery, v: Variant) -> SearchQuery {
    let base = SearchQuery::text(q.text.trim());
    match v {
        Variant::Plain => base,
        Variant::TwoFacets => SearchQuery {
            filters: q.filter.clone(),
            facets: true,
            facet_fields: Some(TWO_FACETS.split(',').map(str::to_owned).collect()),
            ..base
        },
        Variant::AllFacets => SearchQuery {
            filters: q.filter.clone(),
            facets: true,
            ..base
        },
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn filter_params(f: &SearchFilters) -> String {
    let mut p = String::new();
    let mut add = |k: &str, v: String| p.push_str(&format!("&{k}={}", encode(&v)));
    if let Some(v) = &f.kind {
        add("kind", v.clone());
    }
    if let Some(v) = &f.category {
        add("category", v.clone());
    }
    if let Some(v) = &f.place {
        add("place", v.clone());
    }
    if let Some(v) = f.min_ocop_stars {
        add("ocop", v.to_string());
    }
    if let Some(v) = f.in_season_month {
        add("month", v.to_string());
    }
    if let Some(v) = f.price_min {
        add("price_min", v.to_string());
    }
    if let Some(v) = f.price_max {
        add("price_max", v.to_string());
    }
    p
}

fn http_path(q: &MixQuery, v: Variant) -> String {
    let text = encode(q.text.trim());
    match v {
        Variant::Plain => format!("/api/v1/search?q={text}&facets=false"),
        Variant::TwoFacets => format!(
            "/api/v1/search?q={text}&facets={}{}",
            encode(TWO_FACETS),
            filter_params(&q.filter)
        ),
        Variant::AllFacets => format!(
            "/api/v1/search?q={text}&facets=true{}",
            filter_params(&q.filter)
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// One keep-alive HTTP/1.1 client

struct Client {
    reader: BufReader<TcpStream>,
    host: String,
    line: String,
    body: Vec<u8>,
}

impl Client {
    fn connect(addr: &str) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Client {
            reader: BufReader::with_capacity(64 * 1024, stream),
            host: addr.to_owned(),
            line: String::new(),
            body: Vec::new(),
        }
    }

    /// GET `path`; returns the status, the body is in `self.body`.
    fn get(&mut self, path: &str) -> u16 {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nConnection: keep-alive\r\n\r\n",
            self.host
        );
        self.reader
            .get_mut()
            .write_all(request.as_bytes())
            .expect("send");
        self.line.clear();
        self.reader.read_line(&mut self.line).expect("status line");
        let status: u16 = self
            .line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {:?}", self.line));
        let mut length: Option<usize> = None;
        let mut chunked = false;
        loop {
            self.line.clear();
            self.reader.read_line(&mut self.line).expect("header");
            let l = self.line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                if k == "content-length" {
                    length = v.trim().parse().ok();
                } else if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                    chunked = true;
                }
            }
        }
        self.body.clear();
        if chunked {
            loop {
                self.line.clear();
                self.reader.read_line(&mut self.line).expect("chunk size");
                let size = usize::from_str_radix(self.line.trim(), 16).expect("chunk size");
                if size == 0 {
                    self.line.clear();
                    self.reader.read_line(&mut self.line).expect("trailer");
                    break;
                }
                let start = self.body.len();
                self.body.resize(start + size, 0);
                self.reader
                    .read_exact(&mut self.body[start..])
                    .expect("chunk");
                self.line.clear();
                self.reader.read_line(&mut self.line).expect("chunk end");
            }
        } else {
            let n = length.unwrap_or(0);
            self.body.resize(n, 0);
            self.reader.read_exact(&mut self.body).expect("body");
        }
        status
    }
}

// ---------------------------------------------------------------------------------------------
// Timing and the table

#[derive(Default)]
struct Samples {
    times: Vec<Duration>,
    empty: usize,
}

impl Samples {
    fn pct(&mut self, p: f64) -> f64 {
        self.times.sort_unstable();
        if self.times.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.times.len() as f64).ceil() as usize;
        self.times[rank.clamp(1, self.times.len()) - 1].as_secs_f64() * 1_000.0
    }
}

/// Runs the mix: one warm-up pass, then `rounds` timed ones; `f` runs one query and says
/// whether it found nothing.
fn measure(
    mix: &[MixQuery],
    rounds: usize,
    mut f: impl FnMut(&MixQuery, Variant) -> bool,
) -> [Samples; 3] {
    for q in mix {
        for v in VARIANTS {
            f(q, v);
        }
    }
    let mut out: [Samples; 3] = Default::default();
    for _ in 0..rounds {
        for q in mix {
            for (i, v) in VARIANTS.into_iter().enumerate() {
                let t = Instant::now();
                let empty = f(q, v);
                out[i].times.push(t.elapsed());
                out[i].empty += usize::from(empty);
            }
        }
    }
    out
}

fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn wait_ready(addr: &str, server: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = server.try_wait() {
            panic!("vungcao serve exited: {status}");
        }
        if TcpStream::connect(addr).is_ok() {
            let mut c = Client::connect(addr);
            if c.get("/readyz") == 200 {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("vungcao serve did not become ready on {addr}");
}

fn default_bin() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    PathBuf::from(target).join("release").join("vungcao")
}

fn main() {
    let n: usize = env_or("VUNGCAO_BENCH_DOCS", 100_000);
    let rounds: usize = env_or("VUNGCAO_BENCH_ROUNDS", 3);
    let port: u16 = env_or("VUNGCAO_BENCH_PORT", 18_080);
    let bin = std::env::var("VUNGCAO_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| default_bin());
    assert!(
        bin.exists(),
        "{} not found: run `cargo build --release` first",
        bin.display()
    );
    let _tmp;
    let data = match std::env::var("VUNGCAO_BENCH_DIR") {
        Ok(d) => {
            let d = PathBuf::from(d);
            assert!(!d.exists(), "{} must not exist yet", d.display());
            d
        }
        Err(_) => {
            _tmp = tempfile::tempdir().expect("temp dir");
            _tmp.path().join("data")
        }
    };
    std::fs::create_dir_all(&data).expect("data dir");
    let load_start = load_average();
    eprintln!("data dir {}   load average {load_start}", data.display());

    // (b) load, (c) reindex
    let (load_secs, load_log) = run(&bin, &data, &["demo", "--synthetic", &n.to_string()]);
    eprintln!("  {}", load_log.trim());
    let (reindex_secs, reindex_log) = run(&bin, &data, &["reindex"]);
    eprintln!("  {}", reindex_log.trim());
    let reindex_inner: Option<f64> = reindex_log
        .split(" listings indexed in ")
        .nth(1)
        .and_then(|s| s.split(" s").next())
        .and_then(|s| s.trim().parse().ok());

    // Engine, on the very index the server will open (released before the server starts).
    let mix = synthetic::query_mix(200, SEED);
    let engine = {
        let index = TantivyIndex::open(&data.join("search")).expect("open index");
        measure(&mix, rounds, |q, v| {
            index
                .search_blocking(&engine_query(q, v))
                .expect("engine search")
                .hits
                .is_empty()
        })
    };
    let load_engine = load_average();

    // (d) the server, (e) one keep-alive client
    let addr = format!("127.0.0.1:{port}");
    let mut server = vungcao(&bin, &data)
        .arg("serve")
        .env("VUNGCAO_LISTEN", &addr)
        .env("VUNGCAO_INDEXER", "false")
        // The mix repeats its 200 queries: measure the search, not the in-memory answer cache.
        .env("VUNGCAO_RESPONSE_CACHE_SECONDS", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start vungcao serve");
    wait_ready(&addr, &mut server);
    let mut client = Client::connect(&addr);
    let mut failures = 0;
    let http = measure(&mix, rounds, |q, v| {
        let status = client.get(&http_path(q, v));
        if status != 200 {
            failures += 1;
            if failures <= 3 {
                eprintln!(
                    "HTTP {status} for {}: {}",
                    http_path(q, v),
                    String::from_utf8_lossy(&client.body)
                );
            }
        }
        client.body.windows(10).any(|w| w == b"\"items\":[]")
    });
    let load_http = load_average();
    let pid = server.id();
    let hwm = proc_status_kb(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0;
    let rss = proc_status_kb(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0;
    // SAFETY: sending SIGTERM to the child we started.
    unsafe {
        libc::kill(pid as i32, libc::SIGTERM);
    }
    let _ = server.wait();
    assert_eq!(failures, 0, "{failures} HTTP requests failed");

    // (f) the table
    let mut engine = engine;
    let mut http = http;
    let docs_per_s = n as f64 / reindex_inner.unwrap_or(reindex_secs);
    println!();
    println!(
        "vungcao search, embedded tantivy — {n} synthetic listings, {} queries × {rounds}, one keep-alive client",
        mix.len()
    );
    println!(
        "machine: {} cores; load average at start {load_start}, after engine run {load_engine}, after HTTP run {load_http}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!(
        "{:<48} {:>7} {:>7} {:>7} {:>6}   {:<20} target (HTTP)",
        "queries (ms)", "p50", "p95", "p99", "empty", "Meilisearch anchor"
    );
    let rows: [(&str, usize, &str, &str); 3] = [
        ("plain", 0, "p95 2.5", "p95 ≤ 3"),
        (
            "filter + 2 facets (kind, category_code)",
            1,
            "p95 6.5",
            "p95 ≤ 7",
        ),
        ("filter + all 7 facets", 2, "-", "-"),
    ];
    for (label, i, anchor, target) in rows {
        for (via, s) in [("HTTP  ", &mut http[i]), ("engine", &mut engine[i])] {
            let (p50, p95, p99) = (s.pct(50.0), s.pct(95.0), s.pct(99.0));
            let verdict = if via.starts_with("HTTP") && target != "-" {
                let limit: f64 = target.trim_start_matches("p95 ≤ ").parse().unwrap_or(0.0);
                if p95 <= limit {
                    format!("{target}  met")
                } else {
                    format!("{target}  MISSED")
                }
            } else {
                String::new()
            };
            println!(
                "{:<48} {p50:>7.2} {p95:>7.2} {p99:>7.2} {:>6}   {:<20} {verdict}",
                format!("{via} {label}"),
                s.empty,
                if via.starts_with("HTTP") { anchor } else { "" },
            );
        }
    }
    println!();
    let reindex_target = if reindex_inner.unwrap_or(reindex_secs) <= 15.0 {
        "met"
    } else {
        "MISSED"
    };
    println!(
        "load {n} listings into SQLite (demo --synthetic): {load_secs:.1} s ({:.0} listings/s)",
        n as f64 / load_secs
    );
    println!(
        "reindex: {:.1} s rebuild ({docs_per_s:.0} docs/s), {reindex_secs:.1} s whole command   anchor 6 600 docs/s   target ≤ 15 s: {reindex_target}",
        reindex_inner.unwrap_or(reindex_secs)
    );
    println!(
        "server memory: VmHWM {hwm:.0} MB (VmRSS at end {rss:.0} MB)   anchor 308 MB   target ≤ 150 MB: {}",
        if hwm <= 150.0 { "met" } else { "MISSED" }
    );
}
