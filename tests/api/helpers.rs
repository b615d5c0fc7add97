//! Test harness: every test gets its own app on a random port, its own empty database (an SQLite
//! file in a temp dir, or a PostgreSQL database cloned from a migrated template) and temp folders.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;
use std::sync::Once;
use vungcao::accounts::{self, NewAccount};
use vungcao::config::Settings;
use vungcao::media::TestBucket;
use vungcao::startup::Application;
use vungcao::store::users::Role;
use vungcao::store::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the app keeps photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// A temp folder.
    Local,
    /// The bucket named by `VUNGCAO_TEST_S3_*`, under a prefix of the test's own.
    S3,
}

pub const PHONE_UA: &str =
    "Mozilla/5.0 (Linux; Android 10; SM-A105F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36";

pub struct TestApp {
    pub address: String,
    pub db: Db,
    pub client: reqwest::Client,
    pub admin_token: String,
    /// Member of htx-che-shan-tuyet-hong-thai (Hồng Thái, Na Hang).
    pub tea_token: String,
    /// Member of htx-cam-sanh-ham-yen.
    pub orange_token: String,
    search: std::sync::Arc<vungcao::search::SearchIndex>,
    stopper: vungcao::startup::Stopper,
    /// The port of `/metrics` when the app serves them on their own address.
    pub metrics_port: Option<u16>,
    /// The app's media store (the same folder or bucket prefix).
    pub media: vungcao::media::MediaStore,
    /// The settings the app was built with.
    pub settings: Settings,
    /// Passwords the app has checked with argon2.
    pub login_verifications: vungcao::sign_in::VerificationCount,
    /// The app's upload budget (what it has admitted).
    pub uploads: vungcao::uploads::UploadGate,
    /// The listing views the app has counted (`flush` writes them at once).
    pub views: vungcao::stats::ViewCounter,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

static LOG: Once = Once::new();

fn admin_url() -> String {
    std::env::var("VUNGCAO_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn postgres_required() -> bool {
    std::env::var("VUNGCAO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("VUNGCAO_TEST_DATABASE_URL is a URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

/// A database of its own for one test, dropped with it.
pub struct PgDatabase {
    admin: String,
    pub name: String,
    pub url: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = PgConnection::establish(&admin) {
                let _ =
                    c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// The migrated template is made once (per migration set) under an advisory lock, then every
/// test clones it: fast, and safe with tests in parallel processes.
fn create_pg_database() -> Result<PgDatabase, String> {
    let admin = admin_url();
    let mut c = PgConnection::establish(&admin)
        .map_err(|e| format!("cannot reach PostgreSQL at {admin}: {e}"))?;
    let migrations_hash = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for entry in walk(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations/postgres"
        ))) {
            entry.hash(&mut h);
            std::fs::read(&entry).unwrap_or_default().hash(&mut h);
        }
        h.finish()
    };
    let template = format!("vungcao_tpl_{:x}", migrations_hash);
    c.batch_execute("SELECT pg_advisory_lock(7311)")
        .map_err(|e| e.to_string())?;
    let result = (|| {
        #[derive(diesel::QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let found: Vec<Found> = diesel::RunQueryDsl::load(
            diesel::sql_query("SELECT COUNT(*) AS n FROM pg_database WHERE datname = $1")
                .bind::<diesel::sql_types::Text, _>(&template),
            &mut c,
        )
        .map_err(|e| e.to_string())?;
        if found.first().map_or(0, |f| f.n) == 0 {
            c.batch_execute(&format!("CREATE DATABASE \"{template}\""))
                .map_err(|e| e.to_string())?;
            let db =
                Db::connect(&with_database(&admin, &template), 1).map_err(|e| e.to_string())?;
            db.migrate().map_err(|e| e.to_string())?;
            drop(db);
        }
        let name = format!("vungcao_test_{}", uuid_like());
        c.batch_execute(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .map_err(|e| e.to_string())?;
        Ok(PgDatabase {
            url: with_database(&admin, &name),
            admin: admin.clone(),
            name,
        })
    })();
    let _ = c.batch_execute("SELECT pg_advisory_unlock(7311)");
    result
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{:x}_{}_{}", nanos, std::process::id(), n)
}

/// Starts an app with the demo catalogue loaded and three accounts. `None` only when PostgreSQL
/// is unreachable and not required (CI sets VUNGCAO_REQUIRE_POSTGRES=1, so there it fails).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Points `settings` at the test bucket under a fresh prefix; `false` (and a SKIPPED line) when
/// no bucket is configured and none is required.
fn use_test_bucket(settings: &mut Settings) -> bool {
    let Some(TestBucket {
        endpoint,
        bucket,
        access_key: access,
        secret_key: secret,
    }) = TestBucket::from_env("S3 media test")
    else {
        return false;
    };
    settings.media_url = format!("s3://{bucket}/api/{}", uuid_like().replace('_', "-"));
    settings.s3_endpoint = Some(endpoint);
    settings.s3_access_key_id = Some(access);
    settings.s3_secret_access_key = Some(vungcao::config::Secret::new(secret));
    true
}

/// An app whose search index is a fresh one on the test Meilisearch (`VUNGCAO_TEST_MEILI_URL`,
/// `_KEY`): the deployment where several processes serve from one index. `None` (and a SKIPPED
/// line) without one, unless `VUNGCAO_REQUIRE_MEILI=1` (as in `.ci/run`) makes it a failure.
pub async fn spawn_app_on_meilisearch(backend: Backend) -> Option<TestApp> {
    let Some(url) = std::env::var("VUNGCAO_TEST_MEILI_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        assert!(
            !std::env::var("VUNGCAO_REQUIRE_MEILI").is_ok_and(|v| v == "1" || v == "true"),
            "VUNGCAO_REQUIRE_MEILI=1 but VUNGCAO_TEST_MEILI_URL is not set"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: Meilisearch API test (set VUNGCAO_TEST_MEILI_URL to run it)"
        );
        return None;
    };
    let key = std::env::var("VUNGCAO_TEST_MEILI_KEY").ok();
    spawn_app_with(backend, move |s| {
        s.meili_url = Some(url);
        s.meili_key = key.map(vungcao::config::Secret::new);
        s.meili_index = format!("vc_api_{}", uuid_like());
    })
    .await
}

pub async fn spawn_app_with(
    backend: Backend,
    tweak: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    spawn_app_on(backend, Media::Local, tweak).await
}

/// An app on the given database and media backends. `None` when one of them is unavailable
/// and not required (the test prints SKIPPED).
pub async fn spawn_app_on(
    backend: Backend,
    media: Media,
    tweak: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    LOG.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            vungcao::telemetry::init("pretty");
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => match tokio::task::spawn_blocking(create_pg_database)
            .await
            .expect("join")
        {
            Ok(db) => Some(db),
            Err(e) if !postgres_required() => {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "SKIPPED: PostgreSQL test ({e}); set VUNGCAO_REQUIRE_POSTGRES=1 to make this a failure"
                );
                return None;
            }
            Err(e) => {
                panic!("PostgreSQL is required (VUNGCAO_REQUIRE_POSTGRES=1) but unavailable: {e}")
            }
        },
    };
    let mut settings = Settings {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().join("data"),
        media_url: dir.path().join("media").to_string_lossy().into_owned(),
        database_url: pg.as_ref().map(|p| p.url.clone()),
        db_pool_size: Some(8),
        ..Settings::default()
    };
    if media == Media::S3 && !use_test_bucket(&mut settings) {
        return None;
    }
    tweak(&mut settings);
    let media = vungcao::startup::open_media(&settings).expect("media store");
    let app = Application::build(settings.clone())
        .await
        .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_port = app.metrics_port();
    let search = app.search();
    let stopper = app.stopper();
    let login_verifications = app.login_verifications();
    let uploads = app.uploads();
    let views = app.views();
    tokio::spawn(app.run_until_stopped());
    let db = Db::connect(&settings.database_url(), 4).expect("db");
    let (admin_token, tea_token, orange_token) = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().expect("conn");
            let file = vungcao::demo::parse(vungcao::demo::DEMO_CATALOGUE).expect("demo parses");
            vungcao::demo::load(&mut conn, &file, |_, _| {}).expect("demo loads");
            let mut token_for = |email: &str, role: Role, coop: Option<&str>| {
                let user = accounts::create(
                    &mut conn,
                    &NewAccount {
                        email,
                        password: "mat-khau-an-toan",
                        role,
                        cooperative_slug: coop,
                    },
                )
                .expect("account");
                accounts::issue_token(&mut conn, user.id, "api", Some("test"), None)
                    .expect("token")
                    .0
            };
            (
                token_for("admin@tuyenquang.gov.vn", Role::Admin, None),
                token_for(
                    "tea@htx.vn",
                    Role::Member,
                    Some("htx-che-shan-tuyet-hong-thai"),
                ),
                token_for("orange@htx.vn", Role::Member, Some("htx-cam-sanh-ham-yen")),
            )
        })
        .await
        .expect("join")
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        reqwest::header::USER_AGENT,
        HeaderValue::from_static(PHONE_UA),
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("client");
    let app = TestApp {
        address,
        db,
        client,
        admin_token,
        tea_token,
        orange_token,
        search,
        stopper,
        metrics_port,
        media,
        settings,
        login_verifications,
        uploads,
        views,
        _dir: dir,
        _pg: pg,
    };
    if app.settings.indexer {
        app.indexed().await;
    }
    Some(app)
}

impl Drop for TestApp {
    /// Stop the app before its database goes (fields drop after this).
    fn drop(&mut self) {
        self.stopper.stop();
    }
}

/// A second server on the same database and media store (another replica, or the same
/// deployment after a restart): its own process state, its own search folder, no indexer.
pub struct Replica {
    pub address: String,
    stopper: vungcao::startup::Stopper,
    _dir: tempfile::TempDir,
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.stopper.stop();
    }
}

impl TestApp {
    /// Stops the server as SIGTERM would (it finishes in the background); the database stays.
    pub fn stop(&self) {
        self.stopper.stop();
    }

    /// Starts another server on this app's database and media store.
    pub async fn spawn_replica(&self) -> Replica {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = self.settings.clone();
        settings.database_url = Some(self.settings.database_url());
        settings.data_dir = dir.path().join("data");
        settings.listen = "127.0.0.1:0".into();
        settings.indexer = false;
        settings.metrics_listen = None;
        let app = Application::build(settings).await.expect("replica builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let stopper = app.stopper();
        tokio::spawn(app.run_until_stopped());
        Replica {
            address,
            stopper,
            _dir: dir,
        }
    }

    /// Waits (bounded) until the indexer has drained the outbox: what is published is searchable.
    pub async fn indexed(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let pending = self
                .with_db(|c| vungcao::store::outbox::pending(c).expect("outbox"))
                .await;
            if pending == 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the outbox did not drain: {pending} rows left"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Every photo object the app's media store holds, by key.
    pub async fn media_keys(&self) -> Vec<String> {
        self.media
            .list("p/")
            .await
            .expect("media listing")
            .into_iter()
            .map(|object| object.key)
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// The search index the app serves from.
    pub async fn search(&self) -> std::sync::Arc<vungcao::search::SearchIndex> {
        self.search.clone()
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, token, Some(body))
            .await
    }

    /// Everything a test could see change: row counts of every table and the full export.
    pub async fn snapshot(&self) -> String {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().expect("conn");
            let mut out = String::new();
            // Not the outbox: the indexer drains it in the background.
            for table in [
                "categories", "places", "cooperatives", "users", "tokens", "listings",
                "listing_certifications", "marketplace_links", "photos", "link_clicks",
            ] {
                #[derive(diesel::QueryableByName)]
                struct N {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                let sql = format!("SELECT COUNT(*) AS n FROM {table}");
                let n: Vec<N> = vungcao::with_conn!(&mut conn, |c| diesel::RunQueryDsl::load(diesel::sql_query(&sql), c)).expect("count");
                out.push_str(&format!("{table}={} ", n.first().map_or(0, |r| r.n)));
            }
            #[derive(diesel::QueryableByName)]
            struct Row {
                #[diesel(sql_type = diesel::sql_types::Text)]
                s: String,
            }
            let sql = "SELECT slug || '|' || status || '|' || name_vi || '|' || COALESCE(CAST(price_vnd AS TEXT), '') || '|' || COALESCE(external_id, '') AS s FROM listings ORDER BY id";
            let rows: Vec<Row> = vungcao::with_conn!(&mut conn, |c| diesel::RunQueryDsl::load(diesel::sql_query(sql), c)).expect("rows");
            for r in rows {
                out.push_str(&r.s);
                out.push('\n');
            }
            let export = vungcao::demo::export(&mut conn).expect("export");
            out.push_str(&serde_json::to_string(&export).expect("json"));
            out
        })
        .await
        .expect("join")
    }

    /// Runs blocking code against the app's database.
    /// The listing's current version (what an admin reviewing it now would name).
    pub async fn version_of(&self, id: i64) -> i64 {
        self.with_db(move |conn| {
            vungcao::store::listings::row(conn, id)
                .unwrap()
                .expect("listing")
                .version
        })
        .await
    }

    /// The admin lets listings of cooperatives at home in `place` (or under it) skip review.
    pub async fn skip_review_at(&self, place: &str) {
        let (status, body) = self
            .patch(
                &format!("/api/v1/admin/places/{place}"),
                &self.admin_token,
                serde_json::json!({"skip_review": true}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// The admin approves the listing as it is now (naming its current version).
    pub async fn approve(&self, id: i64) -> (u16, Value) {
        let version = self.version_of(id).await;
        self.post(
            &format!("/api/v1/admin/listings/{id}/approve"),
            &self.admin_token,
            serde_json::json!({ "version": version }),
        )
        .await
    }

    pub async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut vungcao::store::Conn) -> T + Send + 'static,
    ) -> T {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().expect("conn");
            f(&mut conn)
        })
        .await
        .expect("join")
    }
}

/// An import report's problems, one `row|column|value|en|vi` line each (for assertions).
/// A zip of `(name, bytes)` entries, deflated.
pub fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(*name, options).expect("entry");
        writer.write_all(bytes).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

/// Uploads an import file as `token` to `path`: 202 and the job's address.
pub async fn start_import(app: &TestApp, path: &str, token: &str, body: Vec<u8>) -> String {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), 202);
    res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

pub fn messages(report: &vungcao::transfer::ImportReport) -> String {
    report
        .problems
        .iter()
        .map(|p| {
            format!(
                "{}|{}|{}|{}|{}",
                p.row, p.column, p.value, p.message.en, p.message.vi
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A fixture photo from `../shared/fixtures/images`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../shared/fixtures/images/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// A minimal valid listing body.
pub fn new_listing(name: &str) -> Value {
    serde_json::json!({
        "kind": "product",
        "name": {"vi": name},
        "description": {"vi": "Hàng mới của hợp tác xã."},
        "category": "tea",
        "price_vnd": 250000,
        "unit": "túi 200 g",
        "marketplace_links": [{"platform": "shopee", "url": "https://shopee.vn/hang-moi"}]
    })
}

/// Generates `sqlite`, `postgres`, `sqlite_s3` and `postgres_s3` variants of an async test
/// `fn name(app: TestApp)`: both databases, each with a local media folder and with S3.
#[macro_export]
macro_rules! every_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use $crate::helpers::{spawn_app_on, Backend, Media};
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(app) = spawn_app_on(Backend::Sqlite, Media::Local, |_| {}).await {
                        super::$name(app).await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = spawn_app_on(Backend::Postgres, Media::Local, |_| {}).await {
                        super::$name(app).await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite_s3() {
                    if let Some(app) = spawn_app_on(Backend::Sqlite, Media::S3, |_| {}).await {
                        super::$name(app).await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres_s3() {
                    if let Some(app) = spawn_app_on(Backend::Postgres, Media::S3, |_| {}).await {
                        super::$name(app).await;
                    }
                }
            }
        )*
    };
}

/// Generates `sqlite` and `postgres` variants of an async test `fn name(app: TestApp)`.
/// With `@no_indexer` first, the app runs without its indexer, so outbox rows stay visible;
/// with `@settings |s| …;` first, the settings are changed before the app starts.
#[macro_export]
macro_rules! both_backends {
    (@settings $tweak:expr; $($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, $tweak).await {
                        super::$name(app).await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, $tweak).await {
                        super::$name(app).await;
                    }
                }
            }
        )*
    };
    (@no_indexer $($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, |s| s.indexer = false).await {
                        super::$name(app).await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, |s| s.indexer = false).await {
                        super::$name(app).await;
                    }
                }
            }
        )*
    };
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            }
        )*
    };
}
