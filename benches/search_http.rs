//! End-to-end search benchmark: a fresh data dir, N synthetic listings loaded into SQLite with
//! `vungcao demo --synthetic`, `vungcao reindex`, then the fixed 200-query mix × 3, each query
//! plain, with a filter and 2 facets, and with a filter and all facets, run with ONE keep-alive
//! HTTP/1.1 client:
//! - through `GET /api/v1/search` of `vungcao serve` on the embedded tantivy index (with the
//!   query-understanding layer), and directly on the tantivy engine (without it);
//! - with a Meilisearch URL: `vungcao reindex` into Meilisearch (documents/s), then the same
//!   queries through `vungcao serve` on Meilisearch and sent to Meilisearch directly (`POST
//!   /indexes/{uid}/search`, the anchor), the two taking turns query by query (which goes first
//!   alternates by round), so that both meet Meilisearch in the same state.
//!
//! Prints p50/p95/p99 side by side with the targets, documents/s and the server's memory.
//! Run it with `bench/search-http.sh` (builds the release binary, starts Meilisearch), or by
//! hand: `cargo build --release && cargo bench --bench search_http`.
//!
//! Settings (environment): `VUNGCAO_BENCH_DOCS` (100 000), `VUNGCAO_BENCH_BIN` (the vungcao
//! binary; default `$CARGO_TARGET_DIR/release/vungcao`), `VUNGCAO_BENCH_DIR` (data dir, must not
//! exist; default a temporary one), `VUNGCAO_BENCH_PORT` (18 080), `VUNGCAO_BENCH_ROUNDS` (3),
//! `VUNGCAO_BENCH_MEILI_URL` and `VUNGCAO_BENCH_MEILI_KEY` (the Meilisearch rows; without them
//! the run fails unless `VUNGCAO_BENCH_NO_MEILI=1`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vungcao::search::meili::filter_expression;
use vungcao::search::synthetic::{self, MixQuery};
use vungcao::search::{SearchQuery, TantivyIndex};

const SEED: u64 = 42;

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
            facet_fields: Some(synthetic::MIX_TWO_FACETS.map(str::to_owned).to_vec()),
            ..base
        },
        Variant::AllFacets => SearchQuery {
            filters: q.filter.clone(),
            facets: true,
            ..base
        },
    }
}

/// `s` encoded for a URL's query string.
fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn http_path(q: &MixQuery, v: Variant) -> String {
    let text = url_encode(q.text.trim());
    match v {
        Variant::Plain => format!("/api/v1/search?q={text}&facets=false"),
        Variant::TwoFacets => format!(
            "/api/v1/search?q={text}&facets={}{}",
            url_encode(&synthetic::MIX_TWO_FACETS.join(",")),
            q.api_filter_params()
        ),
        Variant::AllFacets => format!(
            "/api/v1/search?q={text}&facets=true{}",
            q.api_filter_params()
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
        self.send("GET", path, "", None)
    }

    /// Sends one request (`headers`: extra lines, each ending in CRLF); returns the status, the
    /// body is in `self.body`.
    fn send(&mut self, method: &str, path: &str, headers: &str, body: Option<&str>) -> u16 {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nConnection: keep-alive\r\n{headers}",
            self.host
        );
        if let Some(b) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            ));
        } else {
            request.push_str("\r\n");
        }
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
    /// The same times by the query's kind ([`synthetic::MIX_KINDS`]).
    by_kind: BTreeMap<&'static str, Vec<Duration>>,
}

fn percentile(times: &mut [Duration], p: f64) -> f64 {
    times.sort_unstable();
    if times.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * times.len() as f64).ceil() as usize;
    times[rank.clamp(1, times.len()) - 1].as_secs_f64() * 1_000.0
}

impl Samples {
    fn pct(&mut self, p: f64) -> f64 {
        percentile(&mut self.times, p)
    }

    fn kind_pct(&mut self, kind: &str, p: f64) -> f64 {
        self.by_kind
            .get_mut(kind)
            .map_or(f64::NAN, |t| percentile(t, p))
    }
}

/// Runs one query of the mix in one variant and says whether it found nothing.
type Runner<'a> = Box<dyn FnMut(&MixQuery, Variant) -> bool + 'a>;

/// Runs the mix: one warm-up pass, then `rounds` timed ones; `f` runs one query and says
/// whether it found nothing.
fn measure(
    mix: &[MixQuery],
    rounds: usize,
    f: impl FnMut(&MixQuery, Variant) -> bool,
) -> [Samples; 3] {
    let mut runners: [Runner; 1] = [Box::new(f)];
    let [samples] = measure_side_by_side(mix, rounds, &mut runners);
    samples
}

/// [`measure`] for several runners taking turns on each query and variant, the first one first
/// in even rounds and last in odd ones; samples in the runners' order.
fn measure_side_by_side<const N: usize>(
    mix: &[MixQuery],
    rounds: usize,
    runners: &mut [Runner; N],
) -> [[Samples; 3]; N] {
    for q in mix {
        for v in VARIANTS {
            for f in runners.iter_mut() {
                f(q, v);
            }
        }
    }
    let mut out: [[Samples; 3]; N] = std::array::from_fn(|_| Default::default());
    for round in 0..rounds {
        for q in mix {
            for (i, v) in VARIANTS.into_iter().enumerate() {
                for k in 0..N {
                    let r = if round % 2 == 0 { k } else { N - 1 - k };
                    let t = Instant::now();
                    let empty = runners[r](q, v);
                    let took = t.elapsed();
                    let samples = &mut out[r][i];
                    samples.times.push(took);
                    samples.by_kind.entry(q.kind).or_default().push(took);
                    samples.empty += usize::from(empty);
                }
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

/// Starts `vungcao serve` on `data` (plus `env`), waits until its vocabulary holds `n`
/// listings, runs the mix through the HTTP API, taking turns with `beside` when there is one;
/// returns the API's samples, `beside`'s, and the server's VmHWM and VmRSS and its anonymous
/// part at the end (MB).
#[allow(clippy::too_many_arguments)]
fn serve_and_measure(
    bin: &Path,
    data: &Path,
    env: &[(&str, &str)],
    port: u16,
    n: usize,
    mix: &[MixQuery],
    rounds: usize,
    beside: Option<Runner>,
) -> ([Samples; 3], Option<[Samples; 3]>, f64, (f64, f64)) {
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = vungcao(bin, data);
    cmd.arg("serve")
        .env("VUNGCAO_LISTEN", &addr)
        .env("VUNGCAO_INDEXER", "false")
        // The mix repeats its 200 queries: measure the search, not the in-memory answer cache.
        .env("VUNGCAO_RESPONSE_CACHE_SECONDS", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut server = cmd.spawn().expect("start vungcao serve");
    wait_ready(&addr, &mut server);
    let mut client = Client::connect(&addr);
    // The query understanding's vocabulary loads in the background after start-up.
    let deadline = Instant::now() + Duration::from_secs(600);
    let wanted = format!("vungcao_search_vocabulary_listings {n}");
    loop {
        assert_eq!(client.get("/metrics"), 200, "GET /metrics");
        if String::from_utf8_lossy(&client.body)
            .lines()
            .any(|l| l == wanted)
        {
            break;
        }
        assert!(Instant::now() < deadline, "the vocabulary did not load");
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut failures = 0;
    let api: Runner = Box::new(|q, v| {
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
    let (samples, beside) = match beside {
        Some(beside) => {
            let [api, beside] = measure_side_by_side(mix, rounds, &mut [api, beside]);
            (api, Some(beside))
        }
        None => (measure(mix, rounds, api), None),
    };
    let pid = server.id();
    let hwm = proc_status_kb(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0;
    let rss = proc_status_kb(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0;
    let anon = proc_status_kb(pid, "RssAnon:").unwrap_or(0) as f64 / 1024.0;
    // SAFETY: sending SIGTERM to the child we started.
    unsafe {
        libc::kill(pid as i32, libc::SIGTERM);
    }
    let _ = server.wait();
    assert_eq!(failures, 0, "{failures} HTTP requests failed");
    (samples, beside, hwm, (rss, anon))
}

/// Meilisearch, asked directly what the API asks: the text as typed, the same filter and facets.
fn meili_body(q: &MixQuery, v: Variant) -> String {
    let query = engine_query(q, v);
    let mut body = serde_json::json!({
        "q": query.text,
        "limit": 20,
        "attributesToRetrieve": ["id", "slug"],
    });
    if v != Variant::Plain {
        if let Some(f) = filter_expression(&query.filters) {
            body["filter"] = f.into();
        }
        body["facets"] = query.facet_names().into();
    }
    body.to_string()
}

/// A keep-alive client to Meilisearch at `url` and its `Authorization` header line.
fn meili_client(url: &str, key: &str) -> (Client, String) {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    (
        Client::connect(addr),
        format!("Authorization: Bearer {key}\r\n"),
    )
}

/// Meilisearch asked directly, one query at a time (the anchor). Connects on its first query:
/// Meilisearch closes a connection left idle while vungcao starts.
fn meili_direct<'a>(url: &str, key: &str, uid: &str) -> Runner<'a> {
    let (url, key) = (url.to_owned(), key.to_owned());
    let mut connection: Option<(Client, String)> = None;
    let path = format!("/indexes/{uid}/search");
    Box::new(move |q, v| {
        let (client, auth) = connection.get_or_insert_with(|| meili_client(&url, &key));
        let status = client.send("POST", &path, auth, Some(&meili_body(q, v)));
        assert_eq!(
            status,
            200,
            "Meilisearch: {}",
            String::from_utf8_lossy(&client.body)
        );
        client.body.windows(9).any(|w| w == b"\"hits\":[]")
    })
}

fn meili_drop_index(url: &str, key: &str, uid: &str) {
    let (mut client, auth) = meili_client(url, key);
    client.send("DELETE", &format!("/indexes/{uid}"), &auth, None);
}

fn reindex_rate(n: usize, secs: f64, log: &str) -> (f64, f64) {
    let inner: f64 = log
        .split(" listings indexed in ")
        .nth(1)
        .and_then(|s| s.split(" s").next())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(secs);
    (inner, n as f64 / inner)
}

fn verdict(p95: f64, limit: f64, label: &str) -> String {
    if p95 <= limit {
        format!("{label}: met")
    } else {
        format!("{label}: MISSED")
    }
}

fn main() {
    let n: usize = env_or("VUNGCAO_BENCH_DOCS", 100_000);
    let rounds: usize = env_or("VUNGCAO_BENCH_ROUNDS", 3);
    let port: u16 = env_or("VUNGCAO_BENCH_PORT", 18_080);
    let meili = std::env::var("VUNGCAO_BENCH_MEILI_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|u| {
            assert!(
                u.starts_with("http://"),
                "VUNGCAO_BENCH_MEILI_URL must be http://host:port"
            );
            (
                u,
                std::env::var("VUNGCAO_BENCH_MEILI_KEY").unwrap_or_default(),
            )
        });
    assert!(
        meili.is_some() || std::env::var("VUNGCAO_BENCH_NO_MEILI").is_ok_and(|v| v == "1"),
        "set VUNGCAO_BENCH_MEILI_URL (and _KEY) for the Meilisearch anchor, or VUNGCAO_BENCH_NO_MEILI=1 \
         to run without it (bench/search-http.sh starts one)"
    );
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

    // Load, then reindex into tantivy.
    let (load_secs, load_log) = run(&bin, &data, &["demo", "--synthetic", &n.to_string()]);
    eprintln!("  {}", load_log.trim());
    let (reindex_secs, reindex_log) = run(&bin, &data, &["reindex"]);
    eprintln!("  {}", reindex_log.trim());
    let (tantivy_reindex, tantivy_rate) = reindex_rate(n, reindex_secs, &reindex_log);

    // The engine alone, on the very index the server will open (released before it starts).
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
    eprintln!("  engine measured");
    let (tantivy_http, _, hwm, (rss, anon)) =
        serve_and_measure(&bin, &data, &[], port, n, &mix, rounds, None);
    eprintln!("  vungcao on tantivy measured");

    // Meilisearch: reindex into a fresh index, then vungcao on it and the anchor, taking turns.
    let mut meili_rows = None;
    if let Some((url, key)) = &meili {
        let uid = format!("bench-{}", std::process::id());
        let env = [
            ("VUNGCAO_MEILI_URL", url.as_str()),
            ("VUNGCAO_MEILI_KEY", key.as_str()),
            ("VUNGCAO_MEILI_INDEX", uid.as_str()),
        ];
        let t = Instant::now();
        let out = vungcao(&bin, &data)
            .arg("reindex")
            .envs(env)
            .stdin(Stdio::null())
            .output()
            .expect("run vungcao reindex");
        let secs = t.elapsed().as_secs_f64();
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "reindex into Meilisearch failed: {log}"
        );
        eprintln!("  {}", log.trim());
        let (meili_reindex, meili_rate) = reindex_rate(n, secs, &log);
        let direct = meili_direct(url, key, &uid);
        let (through, direct, _, _) =
            serve_and_measure(&bin, &data, &env, port, n, &mix, rounds, Some(direct));
        let direct = direct.expect("Meilisearch direct's samples");
        eprintln!("  vungcao on Meilisearch and Meilisearch direct measured, taking turns");
        meili_drop_index(url, key, &uid);
        meili_rows = Some((direct, through, meili_reindex, meili_rate));
    }
    let load_end = load_average();

    // The table.
    println!();
    println!(
        "vungcao search — {n} synthetic listings, {} queries × {rounds}, one keep-alive client",
        mix.len()
    );
    println!(
        "machine: {} cores; load average at start {load_start}, at end {load_end}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!(
        "{:<50} {:>7} {:>7} {:>7} {:>6}   targets (p95)",
        "queries (ms)", "p50", "p95", "p99", "empty"
    );
    let labels = [
        "plain",
        "filter + 2 facets (kind, category_code)",
        "filter + all 7 facets",
    ];
    let (mut direct, mut through) = match meili_rows.as_mut() {
        Some((d, t, _, _)) => (Some(d), Some(t)),
        None => (None, None),
    };
    let mut tantivy_http = tantivy_http;
    let mut engine = engine;
    for (i, label) in labels.iter().enumerate() {
        println!("{label}");
        let anchor = direct.as_mut().map(|d| d[i].pct(95.0));
        let row = |name: &str, s: &mut Samples, targets: Vec<String>| {
            let (p50, p95, p99) = (s.pct(50.0), s.pct(95.0), s.pct(99.0));
            println!(
                "  {name:<48} {p50:>7.2} {p95:>7.2} {p99:>7.2} {:>6}   {}",
                s.empty,
                targets.join("; ")
            );
        };
        let p95 = tantivy_http[i].pct(95.0);
        let mut targets = Vec::new();
        match i {
            0 => targets.push(verdict(p95, 3.0, "≤ 3 ms")),
            1 => targets.push(verdict(p95, 7.0, "≤ 7 ms")),
            _ => {}
        }
        if i < 2 {
            if let Some(a) = anchor {
                targets.push(verdict(
                    p95,
                    0.8 * a,
                    &format!("≤ 0.8 × Meilisearch = {:.2}", 0.8 * a),
                ));
            }
        }
        row(
            "vungcao HTTP, tantivy (understanding on)",
            &mut tantivy_http[i],
            targets,
        );
        if let Some(t) = through.as_mut() {
            let p95 = t[i].pct(95.0);
            let targets = anchor
                .map(|a| {
                    vec![verdict(
                        p95,
                        a + 1.0,
                        &format!("≤ Meilisearch + 1 = {:.2}", a + 1.0),
                    )]
                })
                .unwrap_or_default();
            row(
                "vungcao HTTP, Meilisearch (understanding on)",
                &mut t[i],
                targets,
            );
        }
        if let Some(d) = direct.as_mut() {
            row("Meilisearch direct (anchor)", &mut d[i], Vec::new());
        }
        row(
            "tantivy engine alone (no HTTP, no understanding)",
            &mut engine[i],
            Vec::new(),
        );
    }
    if let (Some(d), Some(t)) = (direct.as_mut(), through.as_mut()) {
        // Where vungcao on Meilisearch differs from Meilisearch direct, by kind of query.
        println!();
        println!(
            "plain, by kind of query (p50 / p95 ms)      {:>15} {:>15} {:>15} {:>8}",
            "tantivy HTTP", "Meili HTTP", "Meili direct", "p95 gap"
        );
        for kind in synthetic::MIX_KINDS {
            let cell = |s: &mut Samples| {
                format!(
                    "{:.2} / {:.2}",
                    s.kind_pct(kind, 50.0),
                    s.kind_pct(kind, 95.0)
                )
            };
            let gap = t[0].kind_pct(kind, 95.0) - d[0].kind_pct(kind, 95.0);
            println!(
                "  {kind:<41} {:>15} {:>15} {:>15} {gap:>+8.2}",
                cell(&mut tantivy_http[0]),
                cell(&mut t[0]),
                cell(&mut d[0])
            );
        }
    }
    println!();
    println!(
        "load {n} listings into SQLite (demo --synthetic): {load_secs:.1} s ({:.0} listings/s)",
        n as f64 / load_secs
    );
    println!(
        "reindex into tantivy: {tantivy_reindex:.1} s ({tantivy_rate:.0} docs/s)   target ≤ 15 s: {}",
        if tantivy_reindex <= 15.0 { "met" } else { "MISSED" }
    );
    if let Some((_, _, secs, rate)) = &meili_rows {
        println!(
            "reindex into Meilisearch: {secs:.1} s ({rate:.0} docs/s)   target ≤ 20 s: {}",
            if *secs <= 20.0 { "met" } else { "MISSED" }
        );
    }
    println!(
        "server memory on tantivy: VmHWM {hwm:.0} MB (at the end VmRSS {rss:.0} MB, of which \
         {anon:.0} MB anonymous, the rest file pages: the index and the program mapped)   \
         target ≤ 150 MB: {}",
        if hwm <= 150.0 { "met" } else { "MISSED" }
    );
}
