//! Where photo bytes live, addressed by key only, so a cloud bucket can replace the local folder.

use std::io::ErrorKind;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use thiserror::Error;

pub use super::s3::{S3Config, S3Store};

/// Longest key accepted; S3 allows 1024 bytes.
const MAX_KEY_LEN: usize = 512;
/// Temporary files start with a dot, which keys may not, so they can never clash with an object.
const TEMP_PREFIX: &str = ".tmp-";
/// Where a content type lives when the key's extension does not already tell it.
const CONTENT_TYPE_SIDECAR_PREFIX: &str = ".type-";

#[derive(Debug, Error)]
pub enum StoreError {
    /// The key has characters or segments outside `[a-z0-9._-]` separated by `/`; the HTTP layer answers 400.
    #[error("invalid media key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    #[error("media storage I/O failed for {key:?}: {source}")]
    Io {
        key: String,
        #[source]
        source: std::io::Error,
    },
    /// The object store did not answer (down, unreachable, timing out): worth retrying later.
    #[error("media storage is unavailable ({key:?}): {detail}")]
    Unavailable { key: String, detail: String },
    /// The object store answered with a refusal no retry will fix (credentials, permissions).
    #[error("media storage refused {key:?}: {detail}")]
    Refused { key: String, detail: String },
}

/// One stored object as served to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// Strong validator for `ETag`/`If-None-Match`, already quoted.
    pub etag: String,
}

/// What is known about an object without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub content_type: String,
    /// Strong validator for `ETag`/`If-None-Match`, already quoted.
    pub etag: String,
}

/// An object (or a byte range of it) being read, chunk by chunk.
pub struct ObjectReader {
    pub info: ObjectInfo,
    /// The bytes `body` yields, within `0..info.size`.
    pub range: Range<u64>,
    pub body: BoxStream<'static, Result<Bytes, StoreError>>,
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader")
            .field("info", &self.info)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

/// One key found by [`MediaStore::list`], with its last change (to spare uploads in flight).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub modified: SystemTime,
}

/// The media storage backends. Callers only ever see keys, never paths.
#[derive(Debug, Clone)]
pub enum MediaStore {
    Local(LocalStore),
    S3(S3Store),
}

impl MediaStore {
    /// A store on the local disk rooted at `root` (the app's default is `./media`).
    pub fn local(root: impl Into<PathBuf>) -> Self {
        Self::Local(LocalStore::new(root))
    }

    /// A store in an S3-compatible bucket; nothing is contacted until the first request.
    pub fn s3(config: S3Config) -> Result<Self, StoreError> {
        Ok(Self::S3(S3Store::new(config)?))
    }

    /// Where the objects live, for logs (never a secret).
    pub fn describe(&self) -> String {
        match self {
            Self::Local(store) => store.root.display().to_string(),
            Self::S3(store) => store.describe(),
        }
    }

    /// Stores `bytes` under `key`, replacing any previous object; readers never see a partial object.
    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StoreError> {
        match self {
            Self::Local(store) => store.put(key, bytes, content_type).await,
            Self::S3(store) => store.put(key, bytes, content_type).await,
        }
    }

    /// The object under `key`, read whole, or `None` if there is none (404).
    pub async fn get(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        let Some(mut reader) = self.open(key, None).await? else {
            return Ok(None);
        };
        let mut bytes = Vec::with_capacity(usize::try_from(reader.info.size).unwrap_or(0));
        while let Some(chunk) = reader.body.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        Ok(Some(StoredObject {
            bytes,
            content_type: reader.info.content_type,
            etag: reader.info.etag,
        }))
    }

    /// Size, type and validator of the object under `key`, without reading it.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError> {
        match self {
            Self::Local(store) => store.head(key).await,
            Self::S3(store) => store.head(key).await,
        }
    }

    /// Starts reading the object under `key` (only `range` of it when given, clamped to the
    /// object's size; see [`Self::head`] for the size).
    pub async fn open(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<Option<ObjectReader>, StoreError> {
        match self {
            Self::Local(store) => store.open(key, range).await,
            Self::S3(store) => store.open(key, range).await,
        }
    }

    /// Deletes `key`; answers whether something was there.
    pub async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        match self {
            Self::Local(store) => store.delete(key).await,
            Self::S3(store) => store.delete(key).await,
        }
    }

    /// Deletes every object whose key starts with `prefix` (which must end with `/`), e.g.
    /// [`super::ProcessedPhoto::key_prefix`]; answers how many objects were removed.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, StoreError> {
        check_prefix(prefix)?;
        match self {
            Self::Local(store) => store.delete_prefix(prefix).await,
            Self::S3(store) => store.delete_prefix(prefix).await,
        }
    }

    /// Every object whose key starts with `prefix` (ending with `/`), in key order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ListedObject>, StoreError> {
        check_prefix(prefix)?;
        let mut found = match self {
            Self::Local(store) => store.list(prefix).await?,
            Self::S3(store) => store.list(prefix).await?,
        };
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    /// Whether the storage answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Self::Local(store) => store.ping().await,
            Self::S3(store) => store.ping().await,
        }
    }

    /// Stores the master and every variant of a processed photo, all at once. If one write
    /// fails, the ones already written are deleted again so no half-stored photo is left behind.
    pub async fn put_photo(&self, photo: &super::ProcessedPhoto) -> Result<(), StoreError> {
        let writes = photo.objects().map(|object| async move {
            let result = self
                .put(&object.key, object.bytes.clone(), object.content_type)
                .await;
            (object.key.as_str(), result)
        });
        let outcomes = futures_util::future::join_all(writes).await;
        let mut failure = None;
        let mut written = Vec::new();
        for (key, result) in outcomes {
            match result {
                Ok(()) => written.push(key),
                Err(error) => failure = failure.or(Some(error)),
            }
        }
        let Some(error) = failure else {
            return Ok(());
        };
        for key in written {
            if let Err(cleanup) = self.delete(key).await {
                tracing::warn!(%cleanup, "could not remove a partly stored photo");
            }
        }
        Err(error)
    }
}

/// A prefix to list or delete: a valid key followed by `/`.
fn check_prefix(prefix: &str) -> Result<(), StoreError> {
    if !prefix.ends_with('/') {
        return Err(StoreError::InvalidKey {
            key: prefix.to_owned(),
            reason: "a prefix must end with '/'",
        });
    }
    validate_key(prefix.trim_end_matches('/'))
}

/// Objects as files under one folder; key `p/ab/x/320.webp` is file `<root>/p/ab/x/320.webp`.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl Default for LocalStore {
    fn default() -> Self {
        Self::new(LocalStore::DEFAULT_ROOT)
    }
}

impl LocalStore {
    /// Folder used when the configuration names none.
    pub const DEFAULT_ROOT: &'static str = "./media";

    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }

    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        let io_error = |source| StoreError::Io {
            key: key.to_owned(),
            source,
        };
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
        }
        let sidecar = sidecar_path(&path);
        if content_type_for_extension(key) == content_type {
            remove_if_present(&sidecar).await.map_err(io_error)?;
        } else {
            write_atomically(&sidecar, content_type.as_bytes().to_vec())
                .await
                .map_err(io_error)?;
        }
        write_atomically(&path, bytes).await.map_err(io_error)
    }

    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError> {
        let path = self.path_of(key)?;
        let io_error = |source| StoreError::Io {
            key: key.to_owned(),
            source,
        };
        let metadata = match tokio::fs::metadata(&path).await {
            Ok(metadata) if metadata.is_file() => metadata,
            Ok(_) => return Ok(None),
            Err(error) if is_absent(&error) => return Ok(None),
            Err(error) => return Err(io_error(error)),
        };
        Ok(Some(ObjectInfo {
            size: metadata.len(),
            content_type: stored_content_type(key, &path).await.map_err(io_error)?,
            etag: local_etag(&metadata),
        }))
    }

    /// Streams the file in chunks. The file is opened first, so an atomic replacement while it
    /// is read never mixes two versions.
    pub async fn open(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<Option<ObjectReader>, StoreError> {
        use tokio::io::AsyncSeekExt as _;
        let path = self.path_of(key)?;
        let io_error = |source| StoreError::Io {
            key: key.to_owned(),
            source,
        };
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(error) if is_absent(&error) => return Ok(None),
            Err(error) => return Err(io_error(error)),
        };
        let metadata = file.metadata().await.map_err(io_error)?;
        if !metadata.is_file() {
            return Ok(None);
        }
        let size = metadata.len();
        let range = range.map_or(0..size, |r| {
            r.start.min(size)..r.end.min(size).max(r.start.min(size))
        });
        if range.start > 0 {
            file.seek(std::io::SeekFrom::Start(range.start))
                .await
                .map_err(io_error)?;
        }
        Ok(Some(ObjectReader {
            info: ObjectInfo {
                size,
                content_type: stored_content_type(key, &path).await.map_err(io_error)?,
                etag: local_etag(&metadata),
            },
            body: read_in_chunks(file, range.end - range.start, key.to_owned()),
            range,
        }))
    }

    pub async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let path = self.path_of(key)?;
        let io_error = |source| StoreError::Io {
            key: key.to_owned(),
            source,
        };
        remove_if_present(&sidecar_path(&path))
            .await
            .map_err(io_error)?;
        remove_if_present(&path).await.map_err(io_error)
    }

    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, StoreError> {
        let folder = self.path_of(prefix.trim_end_matches('/'))?;
        let io_error = |source| StoreError::Io {
            key: prefix.to_owned(),
            source,
        };
        let removed = count_objects(&folder).await.map_err(io_error)?;
        match tokio::fs::remove_dir_all(&folder).await {
            Ok(()) => Ok(removed),
            Err(error) if is_absent(&error) => Ok(0),
            Err(error) => Err(io_error(error)),
        }
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<ListedObject>, StoreError> {
        let folder = self.path_of(prefix.trim_end_matches('/'))?;
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || list_objects(&root, &folder))
            .await
            .map_err(std::io::Error::other)
            .and_then(|listed| listed)
            .map_err(|source| StoreError::Io {
                key: prefix.to_owned(),
                source,
            })
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        match tokio::fs::metadata(&self.root).await {
            Ok(metadata) if metadata.is_dir() => Ok(()),
            Ok(_) => Err(StoreError::Io {
                key: String::new(),
                source: std::io::Error::other(format!("{} is not a folder", self.root.display())),
            }),
            Err(source) => Err(StoreError::Io {
                key: String::new(),
                source,
            }),
        }
    }
}

fn local_etag(metadata: &std::fs::Metadata) -> String {
    let modified_nanos = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_nanos());
    format!("\"{:x}-{:x}\"", metadata.len(), modified_nanos)
}

async fn stored_content_type(key: &str, path: &Path) -> std::io::Result<String> {
    match tokio::fs::read_to_string(sidecar_path(path)).await {
        Ok(stored) => Ok(stored),
        Err(error) if is_absent(&error) => Ok(content_type_for_extension(key).to_owned()),
        Err(error) => Err(error),
    }
}

/// Reads `length` bytes from the file's current position, 64 KiB at a time.
fn read_in_chunks(
    file: tokio::fs::File,
    length: u64,
    key: String,
) -> BoxStream<'static, Result<Bytes, StoreError>> {
    use tokio::io::AsyncReadExt as _;
    const CHUNK: u64 = 64 * 1024;
    futures_util::stream::unfold(
        (file, length, key),
        |(mut file, remaining, key)| async move {
            if remaining == 0 {
                return None;
            }
            let mut buffer = vec![0; usize::try_from(remaining.min(CHUNK)).unwrap_or(1)];
            let read = match file.read(&mut buffer).await {
                Ok(0) => Err(std::io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "the file got shorter while it was read",
                )),
                Ok(read) => Ok(read),
                Err(error) => Err(error),
            };
            match read {
                Ok(read) => {
                    buffer.truncate(read);
                    let left = remaining.saturating_sub(read as u64);
                    Some((Ok(Bytes::from(buffer)), (file, left, key)))
                }
                Err(source) => {
                    let error = StoreError::Io {
                        key: key.clone(),
                        source,
                    };
                    Some((Err(error), (file, 0, key)))
                }
            }
        },
    )
    .boxed()
}

/// Objects (not temp or sidecar files) below `folder`, as keys relative to `root`.
fn list_objects(root: &Path, folder: &Path) -> std::io::Result<Vec<ListedObject>> {
    let mut found = Vec::new();
    let mut pending = vec![folder.to_owned()];
    while let Some(current) = pending.pop() {
        let entries = match std::fs::read_dir(&current) {
            Ok(entries) => entries,
            Err(error) if is_absent(&error) => continue,
            Err(error) => return Err(error),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if !entry.file_name().to_string_lossy().starts_with('.') {
                let Ok(relative) = path.strip_prefix(root) else {
                    continue;
                };
                let key = relative
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let modified = entry.metadata()?.modified().unwrap_or(UNIX_EPOCH);
                found.push(ListedObject { key, modified });
            }
        }
    }
    Ok(found)
}

/// Keys are lowercase `[a-z0-9._-]` segments joined by `/`: no empty segment, no leading `/`,
/// and no segment starting with `.` (which rules out `..`, hidden files and our temp files).
pub(crate) fn validate_key(key: &str) -> Result<(), StoreError> {
    let invalid = |reason| {
        Err(StoreError::InvalidKey {
            key: key.chars().take(MAX_KEY_LEN).collect(),
            reason,
        })
    };
    if key.is_empty() {
        return invalid("key is empty");
    }
    if key.len() > MAX_KEY_LEN {
        return invalid("key is too long");
    }
    if !key
        .bytes()
        .all(|byte| matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'-'))
    {
        return invalid("only a-z, 0-9, '/', '.', '_' and '-' are allowed");
    }
    for segment in key.split('/') {
        if segment.is_empty() {
            return invalid("empty path segment (leading, trailing or double '/')");
        }
        if segment.starts_with('.') {
            return invalid("a segment may not start with '.' (no '..')");
        }
    }
    Ok(())
}

pub(crate) fn content_type_for_extension(key: &str) -> &'static str {
    match key.rsplit_once('.').map(|(_, extension)| extension) {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn sidecar_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{CONTENT_TYPE_SIDECAR_PREFIX}{name}"))
}

fn is_absent(error: &std::io::Error) -> bool {
    matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

async fn remove_if_present(path: &Path) -> std::io::Result<bool> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(true),
        Err(error) if is_absent(&error) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Writes to a unique temporary file in the same folder, syncs it, then renames it over the
/// target: rename is atomic on one filesystem, so readers see the old object or the new one,
/// never half of one. The temporary file is removed if anything fails.
async fn write_atomically(path: &Path, bytes: Vec<u8>) -> std::io::Result<()> {
    static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(
        "{TEMP_PREFIX}{}-{}-{name}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let target = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let written = (|| {
            use std::io::Write as _;
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&temp, &target)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Counts the objects (not temp or sidecar files) below `folder`.
async fn count_objects(folder: &Path) -> std::io::Result<usize> {
    let folder = folder.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut count = 0;
        let mut pending = vec![folder];
        while let Some(current) = pending.pop() {
            let entries = match std::fs::read_dir(&current) {
                Ok(entries) => entries,
                Err(error) if is_absent(&error) => continue,
                Err(error) => return Err(error),
            };
            for entry in entries {
                let entry = entry?;
                if entry.file_type()?.is_dir() {
                    pending.push(entry.path());
                } else if !entry.file_name().to_string_lossy().starts_with('.') {
                    count += 1;
                }
            }
        }
        Ok(count)
    })
    .await
    .map_err(std::io::Error::other)?
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
