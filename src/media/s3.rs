//! Photo objects in an S3-compatible bucket, under an optional prefix, through `object_store`.

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, Attributes, ClientOptions, GetOptions, GetRange, ObjectMeta,
    ObjectStore, PutOptions, PutPayload, RetryConfig,
};

use super::store::{
    content_type_for_extension, validate_key, ListedObject, ObjectInfo, ObjectReader, StoreError,
};
use crate::config::Secret;

/// Photos are content-addressed: an object never changes once written.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Where the bucket is and how to reach it; secrets stay wrapped.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    /// Folder inside the bucket (no leading or trailing `/`), or empty.
    pub prefix: String,
    /// An S3-compatible server (`http://127.0.0.1:8014`); `None`: AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key`.
    pub path_style: bool,
    pub allow_http: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    pub session_token: Option<Secret>,
}

impl S3Config {
    /// Splits `s3://BUCKET[/PREFIX]` into bucket and prefix.
    pub fn parse_url(url: &str) -> Result<(String, String), String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{url:?} does not start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-'));
        if !valid_bucket {
            return Err(format!(
                "{url:?}: the bucket name must be 3-63 characters of a-z, 0-9, '.' and '-'"
            ));
        }
        let prefix = prefix.trim_matches('/');
        if !prefix.is_empty() && Path::parse(prefix).is_err() {
            return Err(format!(
                "{url:?}: the prefix {prefix:?} is not a valid object path"
            ));
        }
        Ok((bucket.to_owned(), prefix.to_owned()))
    }
}

/// A bucket (and a prefix in it) holding the media objects.
#[derive(Clone)]
pub struct S3Store {
    client: Arc<AmazonS3>,
    bucket: String,
    prefix: String,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl S3Store {
    /// Builds the client; no request is made until the store is used.
    pub fn new(config: S3Config) -> Result<S3Store, StoreError> {
        // Fail fast when the store is down (an upload answers 503 within a second or two
        // instead of hanging), but ride out a single dropped connection.
        let retry = RetryConfig {
            max_retries: 2,
            retry_timeout: Duration::from_secs(10),
            ..RetryConfig::default()
        };
        let options = ClientOptions::new()
            .with_allow_http(config.allow_http)
            .with_connect_timeout(Duration::from_secs(3))
            .with_timeout(Duration::from_secs(60));
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_allow_http(config.allow_http)
            .with_virtual_hosted_style_request(!config.path_style)
            .with_client_options(options)
            .with_retry(retry);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(id) = &config.access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret.expose());
        }
        if let Some(token) = &config.session_token {
            builder = builder.with_token(token.expose());
        }
        let client = builder.build().map_err(|error| StoreError::Refused {
            key: String::new(),
            detail: format!("S3 settings: {error}"),
        })?;
        Ok(S3Store {
            client: Arc::new(client),
            bucket: config.bucket,
            prefix: config.prefix,
        })
    }

    pub fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    fn path_of(&self, key: &str) -> Result<Path, StoreError> {
        validate_key(key)?;
        let full = if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.prefix)
        };
        Path::parse(&full).map_err(|_| StoreError::InvalidKey {
            key: key.to_owned(),
            reason: "not a valid object path",
        })
    }

    /// The media key of an object path under our prefix.
    fn key_of<'a>(&self, location: &'a Path) -> Option<&'a str> {
        let full: &str = location.as_ref();
        if self.prefix.is_empty() {
            Some(full)
        } else {
            full.strip_prefix(self.prefix.as_str())?.strip_prefix('/')
        }
    }

    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        let mut attributes = Attributes::new();
        attributes.insert(
            Attribute::ContentType,
            AttributeValue::from(content_type.to_owned()),
        );
        attributes.insert(Attribute::CacheControl, AttributeValue::from(IMMUTABLE));
        let options = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        self.client
            .put_opts(&path, PutPayload::from(bytes), options)
            .await
            .map(|_| ())
            .map_err(|error| classify(key, error))
    }

    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError> {
        let path = self.path_of(key)?;
        match self.client.head(&path).await {
            Ok(meta) => Ok(Some(ObjectInfo {
                size: meta.size,
                content_type: content_type_for_extension(key).to_owned(),
                etag: etag_of(&meta),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(classify(key, error)),
        }
    }

    pub async fn open(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<Option<ObjectReader>, StoreError> {
        let path = self.path_of(key)?;
        // S3 refuses an empty range; an empty read needs no request body at all.
        let empty = range.as_ref().is_some_and(|r| r.start >= r.end);
        let options = GetOptions {
            range: range.clone().filter(|_| !empty).map(GetRange::Bounded),
            head: empty,
            ..GetOptions::default()
        };
        let result = match self.client.get_opts(&path, options).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(classify(key, error)),
        };
        let content_type = result
            .attributes
            .get(&Attribute::ContentType)
            .map(|value| value.as_ref().to_owned())
            .filter(|stored| !stored.is_empty() && stored != "binary/octet-stream")
            .unwrap_or_else(|| content_type_for_extension(key).to_owned());
        let info = ObjectInfo {
            size: result.meta.size,
            content_type,
            etag: etag_of(&result.meta),
        };
        if empty {
            let at = range.map_or(0, |r| r.start.min(info.size));
            return Ok(Some(ObjectReader {
                info,
                range: at..at,
                body: futures_util::stream::empty().boxed(),
            }));
        }
        let served = result.range.clone();
        let owned_key = key.to_owned();
        let body = result
            .into_stream()
            .map_err(move |error| classify(&owned_key, error))
            .boxed();
        Ok(Some(ObjectReader {
            info,
            range: served,
            body,
        }))
    }

    pub async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        // S3 deletes answer the same whether or not the object was there: ask first.
        let existed = self.head(key).await?.is_some();
        if existed {
            let path = self.path_of(key)?;
            match self.client.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(classify(key, error)),
            }
        }
        Ok(existed)
    }

    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, StoreError> {
        let listed = self.list(prefix).await?;
        for object in &listed {
            let path = self.path_of(&object.key)?;
            match self.client.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(classify(&object.key, error)),
            }
        }
        Ok(listed.len())
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<ListedObject>, StoreError> {
        let folder = self.path_of(prefix.trim_end_matches('/'))?;
        let metas: Vec<ObjectMeta> = self
            .client
            .list(Some(&folder))
            .try_collect()
            .await
            .map_err(|error| classify(prefix, error))?;
        Ok(metas
            .iter()
            .filter_map(|meta| {
                let key = self.key_of(&meta.location)?;
                validate_key(key).ok()?;
                Some(ListedObject {
                    key: key.to_owned(),
                    modified: SystemTime::from(meta.last_modified),
                })
            })
            .collect())
    }

    /// One cheap listing request: it fails when the server, the bucket or the credentials do.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let root = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
        self.client
            .list_with_delimiter(root.as_ref())
            .await
            .map(|_| ())
            .map_err(|error| classify("", error))
    }
}

/// Refusals no retry will fix are told apart from an unreachable or failing store.
fn classify(key: &str, error: object_store::Error) -> StoreError {
    match error {
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. }
        | object_store::Error::InvalidPath { .. }
        | object_store::Error::NotSupported { .. } => StoreError::Refused {
            key: key.to_owned(),
            detail: error.to_string(),
        },
        other => StoreError::Unavailable {
            key: key.to_owned(),
            detail: other.to_string(),
        },
    }
}

/// The store's own ETag (quoted, as S3 sends it), or size and time when it gives none.
fn etag_of(meta: &ObjectMeta) -> String {
    match &meta.e_tag {
        Some(tag) if tag.starts_with('"') => tag.clone(),
        Some(tag) => format!("\"{tag}\""),
        None => format!(
            "\"{:x}-{:x}\"",
            meta.size,
            meta.last_modified.timestamp_nanos_opt().unwrap_or(0)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_urls_name_a_bucket_and_an_optional_prefix() {
        assert_eq!(
            S3Config::parse_url("s3://vungcao"),
            Ok(("vungcao".to_owned(), String::new()))
        );
        assert_eq!(
            S3Config::parse_url("s3://vungcao/media/tq/"),
            Ok(("vungcao".to_owned(), "media/tq".to_owned()))
        );
        for bad in [
            "vungcao",
            "s3://",
            "s3://ab",
            "s3://Vung_Cao/x",
            "s3://vungcao/a//b",
        ] {
            assert!(S3Config::parse_url(bad).is_err(), "{bad} must be refused");
        }
    }
}

/// The S3-compatible bucket the test suites write to, from `VUNGCAO_TEST_S3_ENDPOINT`,
/// `_BUCKET`, `_ACCESS_KEY` and `_SECRET_KEY` (`.ci/run` sets them for its s3s-fs). The product
/// never reads these.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct TestBucket {
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
}

impl TestBucket {
    /// The bucket, or `None` after a `SKIPPED: {what} …` line when the variables are not all
    /// set; with `VUNGCAO_REQUIRE_S3=1` that is a failure (a panic) instead.
    pub fn from_env(what: &str) -> Option<TestBucket> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (Some(endpoint), Some(bucket), Some(access_key), Some(secret_key)) = (
            var("VUNGCAO_TEST_S3_ENDPOINT"),
            var("VUNGCAO_TEST_S3_BUCKET"),
            var("VUNGCAO_TEST_S3_ACCESS_KEY"),
            var("VUNGCAO_TEST_S3_SECRET_KEY"),
        ) else {
            assert!(
                !std::env::var("VUNGCAO_REQUIRE_S3").is_ok_and(|v| v == "1" || v == "true"),
                "VUNGCAO_REQUIRE_S3=1 but VUNGCAO_TEST_S3_ENDPOINT/_BUCKET/_ACCESS_KEY/_SECRET_KEY are not all set"
            );
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED: {what} (set VUNGCAO_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY, _SECRET_KEY; VUNGCAO_REQUIRE_S3=1 makes this a failure)"
            );
            return None;
        };
        Some(TestBucket {
            endpoint,
            bucket,
            access_key,
            secret_key,
        })
    }
}
