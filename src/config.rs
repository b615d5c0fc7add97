//! Settings: one typed struct, from defaults, then an optional TOML file, then `VUNGCAO_*`
//! variables. Defaults make a bare `vungcao serve` work on a fresh machine.

use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;

/// The sitemap protocol's limit of URLs per file: the default and the ceiling of
/// `sitemap_urls_per_file`.
pub const SITEMAP_URLS_PER_FILE: usize = 50_000;

/// A value that must never reach a log.
#[derive(Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `VUNGCAO_LISTEN`: address to serve on.
    pub listen: String,
    /// `VUNGCAO_DATABASE_URL`: `postgres://…` or an SQLite file path (default under the data dir).
    pub database_url: Option<String>,
    /// `VUNGCAO_DATA_DIR`: the SQLite file and the embedded search index live here.
    pub data_dir: PathBuf,
    /// `VUNGCAO_MEDIA_URL`: a local folder for photos, or `s3://BUCKET[/PREFIX]`.
    pub media_url: String,
    /// `VUNGCAO_S3_ENDPOINT` (or `AWS_ENDPOINT_URL`): an S3-compatible server; unset: AWS.
    pub s3_endpoint: Option<String>,
    /// `VUNGCAO_S3_REGION` (or `AWS_REGION`, `AWS_DEFAULT_REGION`).
    pub s3_region: String,
    /// `VUNGCAO_S3_PATH_STYLE`: `http://host/bucket/key` requests (default: true when an
    /// endpoint is set).
    pub s3_path_style: Option<bool>,
    /// `VUNGCAO_S3_ALLOW_HTTP`: allow a plain-HTTP endpoint (default: true only for `http://`).
    pub s3_allow_http: Option<bool>,
    /// `AWS_ACCESS_KEY_ID`.
    pub s3_access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub s3_secret_access_key: Option<Secret>,
    /// `AWS_SESSION_TOKEN`.
    pub s3_session_token: Option<Secret>,
    /// `VUNGCAO_MEDIA_PUBLIC_URL`: pages and API answers link photos under this base (a bucket
    /// or CDN URL) instead of `/media`.
    pub media_public_url: Option<String>,
    /// `VUNGCAO_MEILI_URL`: when set, search goes to Meilisearch instead of the embedded index.
    pub meili_url: Option<String>,
    /// `VUNGCAO_MEILI_KEY`.
    pub meili_key: Option<Secret>,
    /// `VUNGCAO_MEILI_INDEX`: the Meilisearch index uid.
    pub meili_index: String,
    /// `VUNGCAO_PUBLIC_URL`: how shoppers reach the site (canonical links, sitemap).
    pub public_url: String,
    /// `VUNGCAO_REVIEW_REQUIRED`: new listings wait for an admin unless their commune skips review.
    pub review_required: bool,
    /// `VUNGCAO_UPLOAD_MAX_BYTES`: largest photo upload, enforced while streaming.
    pub upload_max_bytes: usize,
    /// `VUNGCAO_PHOTO_WORKERS`: photos processed at once (default: one per core).
    pub photo_workers: usize,
    /// `VUNGCAO_PHOTO_QUEUE`: photos that may wait for a worker before uploads are refused.
    pub photo_queue: usize,
    /// `VUNGCAO_DB_POOL_SIZE`; unset: [`Settings::db_pool_size`] picks one for the backend.
    pub db_pool_size: Option<u32>,
    /// `VUNGCAO_SECURE_COOKIES`: mark cookies Secure. Unset: on exactly when `public_url` is
    /// `https://` (read it through [`Settings::secure_cookies`]).
    pub secure_cookies: Option<bool>,
    /// `VUNGCAO_TOKEN_DAYS_DEFAULT`: how long a new API token lasts when its creator names no term.
    pub token_days_default: u32,
    /// `VUNGCAO_TOKEN_DAYS_MAX`: the longest term an API token may be given.
    pub token_days_max: u32,
    /// `VUNGCAO_LOG_FORMAT`: `pretty` or `json`.
    pub log_format: String,
    /// `VUNGCAO_INDEXER`: run the outbox indexer in this process.
    pub indexer: bool,
    /// `VUNGCAO_RESPONSE_CACHE_SECONDS`: how long public API answers are kept in memory (0: off).
    /// Local writes clear it at once; other replicas' writes show within this time.
    pub response_cache_seconds: u64,
    /// `VUNGCAO_RESPONSE_CACHE_BYTES`: memory the response cache may hold (each answer weighed by
    /// what it costs: body, key, headers, bookkeeping and allocator gaps).
    pub response_cache_bytes: u64,
    /// `VUNGCAO_STATS_FLUSH_SECONDS`: how often listing views counted in memory are written to
    /// the database (also written at shutdown).
    pub stats_flush_seconds: u64,
    /// `VUNGCAO_SHUTDOWN_SECONDS`: on SIGTERM, how long in-flight requests, photo jobs and the
    /// indexer's batch may take to finish before they are cut off.
    pub shutdown_seconds: u64,
    /// `VUNGCAO_METRICS_LISTEN`: serve `/metrics` on this separate address (and not on the main one).
    pub metrics_listen: Option<String>,
    /// `VUNGCAO_METRICS_TOKEN`: on the main address, `/metrics` needs `Authorization: Bearer <token>`.
    /// With neither setting, `/metrics` answers only clients on loopback.
    pub metrics_token: Option<Secret>,
    /// URLs per sitemap file: the protocol's 50 000 (lower only to test the split).
    pub sitemap_urls_per_file: usize,
    /// `VUNGCAO_TRUSTED_PROXY_HEADER`: behind a reverse proxy, the header it appends the client's
    /// address to (e.g. `X-Forwarded-For`); the right-most address in it counts for the sign-in
    /// limits. Unset (the default): the connection's own address counts, and the header is
    /// ignored (anyone can send it). Set it only when every request comes through that proxy.
    pub trusted_proxy_header: Option<String>,
    /// `VUNGCAO_UPLOAD_BYTES_IN_FLIGHT`: upload bytes (photos and imports) all requests together
    /// may hold in memory; an upload that does not fit is refused (503) before it is read.
    pub upload_bytes_in_flight: u64,
    /// `VUNGCAO_UPLOADS_PER_ACCOUNT`: uploads one account may send at once (more: 429).
    pub uploads_per_account: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Settings {
            listen: "127.0.0.1:8080".into(),
            database_url: None,
            data_dir: PathBuf::from("./data"),
            media_url: "./media".into(),
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_path_style: None,
            s3_allow_http: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_session_token: None,
            media_public_url: None,
            meili_url: None,
            meili_key: None,
            meili_index: "listings".into(),
            public_url: "http://127.0.0.1:8080".into(),
            review_required: true,
            upload_max_bytes: 20 * 1024 * 1024,
            photo_workers: cores,
            photo_queue: cores * 4,
            db_pool_size: None,
            secure_cookies: None,
            token_days_default: 90,
            token_days_max: 365,
            log_format: "pretty".into(),
            indexer: true,
            response_cache_seconds: 30,
            stats_flush_seconds: 5,
            response_cache_bytes: 64 * 1024 * 1024,
            shutdown_seconds: 30,
            metrics_listen: None,
            metrics_token: None,
            sitemap_urls_per_file: SITEMAP_URLS_PER_FILE,
            trusted_proxy_header: None,
            upload_bytes_in_flight: 256 * 1024 * 1024,
            uploads_per_account: 2,
        }
    }
}

impl Settings {
    /// Defaults, then the file named by `VUNGCAO_CONFIG` (or `./vungcao.toml` if present), then
    /// the environment.
    pub fn load() -> anyhow::Result<Settings> {
        let file = std::env::var("VUNGCAO_CONFIG")
            .ok()
            .map(PathBuf::from)
            .or_else(|| {
                let p = PathBuf::from("vungcao.toml");
                p.exists().then_some(p)
            });
        let mut settings = match file {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("invalid {}: {e}", path.display()))?
            }
            None => Settings::default(),
        };
        settings.apply_env(|key| std::env::var(key).ok())?;
        settings.check()?;
        Ok(settings)
    }

    /// Overrides fields from `VUNGCAO_*` variables (`get` reads one variable).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn parse<T: std::str::FromStr>(key: &str, value: String) -> anyhow::Result<T> {
            value
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("{key} has an invalid value: {value:?}"))
        }
        fn flag(key: &str, value: String) -> anyhow::Result<bool> {
            match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(anyhow::anyhow!(
                    "{key} must be true or false, not {value:?}"
                )),
            }
        }
        let non_empty = |key: &str| get(key).filter(|v| !v.trim().is_empty());
        if let Some(v) = non_empty("VUNGCAO_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = non_empty("VUNGCAO_DATABASE_URL") {
            self.database_url = Some(v);
        }
        if let Some(v) = non_empty("VUNGCAO_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = non_empty("VUNGCAO_MEDIA_URL") {
            self.media_url = v;
        }
        if let Some(v) = non_empty("VUNGCAO_S3_ENDPOINT").or_else(|| non_empty("AWS_ENDPOINT_URL"))
        {
            self.s3_endpoint = Some(v.trim_end_matches('/').to_owned());
        }
        if let Some(v) = non_empty("VUNGCAO_S3_REGION")
            .or_else(|| non_empty("AWS_REGION"))
            .or_else(|| non_empty("AWS_DEFAULT_REGION"))
        {
            self.s3_region = v;
        }
        if let Some(v) = non_empty("VUNGCAO_S3_PATH_STYLE") {
            self.s3_path_style = Some(flag("VUNGCAO_S3_PATH_STYLE", v)?);
        }
        if let Some(v) = non_empty("VUNGCAO_S3_ALLOW_HTTP") {
            self.s3_allow_http = Some(flag("VUNGCAO_S3_ALLOW_HTTP", v)?);
        }
        if let Some(v) = non_empty("AWS_ACCESS_KEY_ID") {
            self.s3_access_key_id = Some(v);
        }
        if let Some(v) = non_empty("AWS_SECRET_ACCESS_KEY") {
            self.s3_secret_access_key = Some(Secret::new(v));
        }
        if let Some(v) = non_empty("AWS_SESSION_TOKEN") {
            self.s3_session_token = Some(Secret::new(v));
        }
        if let Some(v) = non_empty("VUNGCAO_MEDIA_PUBLIC_URL") {
            self.media_public_url = Some(v.trim_end_matches('/').to_owned());
        }
        if let Some(v) = non_empty("VUNGCAO_MEILI_URL") {
            self.meili_url = Some(v);
        }
        if let Some(v) = non_empty("VUNGCAO_MEILI_KEY") {
            self.meili_key = Some(Secret::new(v));
        }
        if let Some(v) = non_empty("VUNGCAO_MEILI_INDEX") {
            self.meili_index = v;
        }
        if let Some(v) = non_empty("VUNGCAO_PUBLIC_URL") {
            self.public_url = v.trim_end_matches('/').to_owned();
        }
        if let Some(v) = non_empty("VUNGCAO_REVIEW_REQUIRED") {
            self.review_required = flag("VUNGCAO_REVIEW_REQUIRED", v)?;
        }
        if let Some(v) = non_empty("VUNGCAO_UPLOAD_MAX_BYTES") {
            self.upload_max_bytes = parse("VUNGCAO_UPLOAD_MAX_BYTES", v)?;
        }
        if let Some(v) = non_empty("VUNGCAO_PHOTO_WORKERS") {
            self.photo_workers = parse("VUNGCAO_PHOTO_WORKERS", v)?;
        }
        if let Some(v) = non_empty("VUNGCAO_PHOTO_QUEUE") {
            self.photo_queue = parse("VUNGCAO_PHOTO_QUEUE", v)?;
        }
        if let Some(v) = non_empty("VUNGCAO_DB_POOL_SIZE") {
            self.db_pool_size = Some(parse("VUNGCAO_DB_POOL_SIZE", v)?);
        }
        if let Some(v) = non_empty("VUNGCAO_SECURE_COOKIES") {
            self.secure_cookies = Some(flag("VUNGCAO_SECURE_COOKIES", v)?);
        }
        if let Some(v) = non_empty("VUNGCAO_TOKEN_DAYS_DEFAULT") {
            self.token_days_default = parse("VUNGCAO_TOKEN_DAYS_DEFAULT", v)?;
        }
        if let Some(v) = non_empty("VUNGCAO_TOKEN_DAYS_MAX") {
            self.token_days_max = parse("VUNGCAO_TOKEN_DAYS_MAX", v)?;
        }
        if let Some(v) = non_empty("VUNGCAO_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = non_empty("VUNGCAO_INDEXER") {
            self.indexer = flag("VUNGCAO_INDEXER", v)?;
        }
        if let Some(v) = non_empty("VUNGCAO_RESPONSE_CACHE_SECONDS") {
            self.response_cache_seconds = parse("VUNGCAO_RESPONSE_CACHE_SECONDS", v)?;
        }
        if let Some(v) = non_empty("VUNGCAO_STATS_FLUSH_SECONDS") {
            self.stats_flush_seconds = parse("VUNGCAO_STATS_FLUSH_SECONDS", v)?;
        }
        if let Some(v) = non_empty("VUNGCAO_METRICS_LISTEN") {
            self.metrics_listen = Some(v);
        }
        if let Some(v) = non_empty("VUNGCAO_METRICS_TOKEN") {
            self.metrics_token = Some(Secret::new(v));
        }
        if let Some(v) = non_empty("VUNGCAO_RESPONSE_CACHE_BYTES") {
            self.response_cache_bytes = parse("VUNGCAO_RESPONSE_CACHE_BYTES", v)?;
        }
        if let Some(v) = non_empty("VUNGCAO_SHUTDOWN_SECONDS") {
            self.shutdown_seconds = parse("VUNGCAO_SHUTDOWN_SECONDS", v)?;
        }
        if let Some(v) = get("VUNGCAO_TRUSTED_PROXY_HEADER") {
            let name = v.trim();
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                anyhow::bail!("VUNGCAO_TRUSTED_PROXY_HEADER is not a header name: {v:?}");
            }
            self.trusted_proxy_header = (!name.is_empty()).then(|| name.to_owned());
        }
        if let Some(v) = non_empty("VUNGCAO_UPLOAD_BYTES_IN_FLIGHT") {
            self.upload_bytes_in_flight = parse("VUNGCAO_UPLOAD_BYTES_IN_FLIGHT", v)?;
        }
        if let Some(v) = non_empty("VUNGCAO_UPLOADS_PER_ACCOUNT") {
            self.uploads_per_account = parse("VUNGCAO_UPLOADS_PER_ACCOUNT", v)?;
        }
        Ok(())
    }

    /// Refuses settings that contradict each other.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.token_days_max == 0 || self.token_days_default == 0 {
            anyhow::bail!(
                "VUNGCAO_TOKEN_DAYS_DEFAULT and VUNGCAO_TOKEN_DAYS_MAX must be at least 1"
            );
        }
        if self.token_days_default > self.token_days_max {
            anyhow::bail!(
                "VUNGCAO_TOKEN_DAYS_DEFAULT ({}) is over VUNGCAO_TOKEN_DAYS_MAX ({})",
                self.token_days_default,
                self.token_days_max
            );
        }
        Ok(())
    }

    /// Whether cookies are marked Secure: as set, else whenever the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies.unwrap_or_else(|| {
            self.public_url
                .get(..8)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
        })
    }

    /// Database connections: as set, else 16 on SQLite (file reads; a shopper's read runs on
    /// the worker) and 3 per core on PostgreSQL, whose backends compete for the same cores when
    /// it runs beside the app: with 16 on 2 cores, detail p99 at 64 connections was 31–130 ms
    /// against 13–17 ms with 4 or 8, for the same throughput (README, "Reads on the calling
    /// worker"); 6 on 2 cores gave the search page a lower p99 than 8 in 8 of 9 pairings (a
    /// small gain at best: one setting under two names differed by up to 6 ms), 4 a higher one
    /// (README, "Event cards that never go stale").
    pub fn db_pool_size(&self) -> u32 {
        self.db_pool_size.unwrap_or_else(|| {
            match crate::store::Backend::from_url(&self.database_url()) {
                crate::store::Backend::Sqlite => 16,
                crate::store::Backend::Postgres => {
                    let cores = std::thread::available_parallelism().map_or(2, usize::from);
                    u32::try_from(cores.saturating_mul(3)).unwrap_or(u32::MAX)
                }
            }
        })
    }

    /// The database URL in force: the configured one, or `<data_dir>/vungcao.db`.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            self.data_dir
                .join("vungcao.db")
                .to_string_lossy()
                .into_owned()
        })
    }

    /// Where photo links point: `VUNGCAO_MEDIA_PUBLIC_URL`, or vungcao's own `/media`.
    pub fn media_base(&self) -> String {
        self.media_public_url
            .clone()
            .unwrap_or_else(|| "/media".to_owned())
    }

    pub fn search_dir(&self) -> PathBuf {
        self.data_dir.join("search")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_fits_the_backend_unless_set() {
        let cores = std::thread::available_parallelism().map_or(2, usize::from) as u32;
        let mut s = Settings::default();
        assert_eq!(s.db_pool_size(), 16, "SQLite");
        s.database_url = Some("postgres://postgres@127.0.0.1:5432/vungcao".into());
        assert_eq!(s.db_pool_size(), 3 * cores, "PostgreSQL: 3 per core");
        s.db_pool_size = Some(5);
        assert_eq!(s.db_pool_size(), 5, "as set");
    }

    #[test]
    fn environment_overrides_defaults() {
        let mut s = Settings::default();
        s.apply_env(|k| match k {
            "VUNGCAO_LISTEN" => Some("0.0.0.0:9000".into()),
            "VUNGCAO_MEILI_KEY" => Some("masterKey".into()),
            "VUNGCAO_REVIEW_REQUIRED" => Some("false".into()),
            _ => None,
        })
        .unwrap_or_default();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert!(!s.review_required);
        assert_eq!(s.database_url(), "./data/vungcao.db");
        assert!(!format!("{s:?}").contains("masterKey"));
    }

    #[test]
    fn s3_settings_accept_the_standard_aws_variables_and_hide_secrets() {
        let mut s = Settings::default();
        s.apply_env(|k| match k {
            "VUNGCAO_MEDIA_URL" => Some("s3://vungcao/media".into()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:8014/".into()),
            "AWS_DEFAULT_REGION" => Some("ap-southeast-1".into()),
            "AWS_ACCESS_KEY_ID" => Some("access-id".into()),
            "AWS_SECRET_ACCESS_KEY" => Some("very-secret-key".into()),
            "AWS_SESSION_TOKEN" => Some("session-token-value".into()),
            "VUNGCAO_S3_PATH_STYLE" => Some("false".into()),
            _ => None,
        })
        .unwrap_or_default();
        assert_eq!(s.s3_endpoint.as_deref(), Some("http://127.0.0.1:8014"));
        assert_eq!(s.s3_region, "ap-southeast-1");
        assert_eq!(s.s3_path_style, Some(false));
        assert_eq!(s.s3_allow_http, None);
        let printed = format!("{s:?}");
        assert!(!printed.contains("very-secret-key") && !printed.contains("session-token-value"));
        // The vungcao names win over the AWS ones.
        s.apply_env(|k| match k {
            "VUNGCAO_S3_ENDPOINT" => Some("http://127.0.0.1:9000".into()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:8014".into()),
            "VUNGCAO_S3_REGION" => Some("us-east-1".into()),
            "AWS_REGION" => Some("eu-west-1".into()),
            "VUNGCAO_MEDIA_PUBLIC_URL" => Some("https://cdn.example.vn/anh/".into()),
            _ => None,
        })
        .unwrap_or_default();
        assert_eq!(s.s3_endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s.s3_region, "us-east-1");
        assert_eq!(s.media_base(), "https://cdn.example.vn/anh");
        assert_eq!(Settings::default().media_base(), "/media");
    }

    #[test]
    fn cookies_are_secure_by_default_exactly_when_the_public_url_is_https() {
        let with = |vars: &[(&str, &str)]| {
            let mut s = Settings::default();
            s.apply_env(|k| {
                vars.iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| (*v).to_owned())
            })
            .map(|()| s.secure_cookies())
            .map_err(|e| e.to_string())
        };
        assert_eq!(with(&[]), Ok(false), "the default public URL is http");
        assert_eq!(
            with(&[("VUNGCAO_PUBLIC_URL", "https://vungcao.tuyenquang.gov.vn")]),
            Ok(true)
        );
        assert_eq!(
            with(&[("VUNGCAO_PUBLIC_URL", "HTTPS://vungcao.vn/")]),
            Ok(true)
        );
        assert_eq!(
            with(&[("VUNGCAO_PUBLIC_URL", "http://vungcao.vn")]),
            Ok(false)
        );
        assert_eq!(
            with(&[
                ("VUNGCAO_PUBLIC_URL", "https://vungcao.vn"),
                ("VUNGCAO_SECURE_COOKIES", "false"),
            ]),
            Ok(false),
            "an explicit false still turns it off"
        );
        assert_eq!(
            with(&[
                ("VUNGCAO_PUBLIC_URL", "http://10.0.0.5:8080"),
                ("VUNGCAO_SECURE_COOKIES", "true"),
            ]),
            Ok(true),
            "TLS ended in front of a plain-http public URL"
        );
        let file: Settings =
            toml::from_str("public_url = \"https://vungcao.vn\"\nsecure_cookies = false")
                .unwrap_or_default();
        assert!(!file.secure_cookies());
    }

    #[test]
    fn token_terms_are_checked() {
        let mut s = Settings::default();
        assert_eq!((s.token_days_default, s.token_days_max), (90, 365));
        assert!(s.check().is_ok());
        s.apply_env(|k| match k {
            "VUNGCAO_TOKEN_DAYS_DEFAULT" => Some("400".into()),
            _ => None,
        })
        .unwrap_or_default();
        let err = s.check().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("VUNGCAO_TOKEN_DAYS_DEFAULT (400)"), "{err}");
        s.token_days_default = 0;
        assert!(s.check().is_err());
    }

    #[test]
    fn bad_values_are_named() {
        let mut s = Settings::default();
        let err = s
            .apply_env(|k| (k == "VUNGCAO_PHOTO_WORKERS").then(|| "many".into()))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("VUNGCAO_PHOTO_WORKERS"));
    }
}
