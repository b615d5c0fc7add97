//! Where photo bytes live, addressed by key only, so a cloud bucket can replace the local folder.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use thiserror::Error;

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
}

impl StoreError {
    /// Stable snake_case code, as for [`super::PhotoError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidKey { .. } => "invalid_media_key",
            Self::Io { .. } => "storage_failed",
        }
    }

    pub fn http_status(&self) -> u16 {
        match self {
            Self::InvalidKey { .. } => 400,
            Self::Io { .. } => 500,
        }
    }
}

/// One stored object as served to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// Strong validator for `ETag`/`If-None-Match`, already quoted.
    pub etag: String,
}

/// The media storage backends. Callers only ever see keys, never paths.
#[derive(Debug, Clone)]
pub enum MediaStore {
    Local(LocalStore),
}

impl MediaStore {
    /// A store on the local disk rooted at `root` (the app's default is `./media`).
    pub fn local(root: impl Into<PathBuf>) -> Self {
        Self::Local(LocalStore::new(root))
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
        }
    }

    /// The object under `key`, or `None` if there is none (404).
    pub async fn get(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        match self {
            Self::Local(store) => store.get(key).await,
        }
    }

    /// Deletes `key`; answers whether something was there.
    pub async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        match self {
            Self::Local(store) => store.delete(key).await,
        }
    }

    /// Deletes every object whose key starts with `prefix` (which must end with `/`), e.g.
    /// [`super::ProcessedPhoto::key_prefix`]; answers how many objects were removed.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, StoreError> {
        match self {
            Self::Local(store) => store.delete_prefix(prefix).await,
        }
    }

    /// Stores the master and every variant of a processed photo. If one write fails, the
    /// ones already written are deleted again so no half-stored photo is left behind.
    pub async fn put_photo(&self, photo: &super::ProcessedPhoto) -> Result<(), StoreError> {
        let mut written = Vec::new();
        for object in photo.objects() {
            match self
                .put(&object.key, object.bytes.clone(), object.content_type)
                .await
            {
                Ok(()) => written.push(object.key.as_str()),
                Err(error) => {
                    for key in written {
                        if let Err(cleanup) = self.delete(key).await {
                            tracing::warn!(%cleanup, "could not remove a partly stored photo");
                        }
                    }
                    return Err(error);
                }
            }
        }
        Ok(())
    }
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

    pub async fn get(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        let path = self.path_of(key)?;
        let io_error = |source| StoreError::Io {
            key: key.to_owned(),
            source,
        };
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(error) if is_absent(&error) => return Ok(None),
            Err(error) => return Err(io_error(error)),
        };
        let modified_nanos = tokio::fs::metadata(&path)
            .await
            .map_err(io_error)?
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |since| since.as_nanos());
        let content_type = match tokio::fs::read_to_string(sidecar_path(&path)).await {
            Ok(stored) => stored,
            Err(error) if is_absent(&error) => content_type_for_extension(key).to_owned(),
            Err(error) => return Err(io_error(error)),
        };
        Ok(Some(StoredObject {
            etag: format!("\"{:x}-{:x}\"", bytes.len(), modified_nanos),
            bytes,
            content_type,
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
        if !prefix.ends_with('/') {
            return Err(StoreError::InvalidKey {
                key: prefix.to_owned(),
                reason: "a prefix to delete must end with '/'",
            });
        }
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

fn content_type_for_extension(key: &str) -> &'static str {
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn files_under(root: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut pending = vec![root.to_owned()];
        while let Some(current) = pending.pop() {
            for entry in std::fs::read_dir(&current).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else if let Ok(relative) = path.strip_prefix(root) {
                    found.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn refuses_keys_that_could_escape_or_clash() {
        for bad in [
            "../etc/passwd",
            "p/../../etc/passwd",
            "/etc/passwd",
            "p//x.jpg",
            "p/x/",
            "",
            ".",
            "p/.tmp-1-2-x.jpg",
            "P/Upper.JPG",
            "p/x y.jpg",
            "p\\x.jpg",
            "p/ảnh.jpg",
            "p/x.jpg\0",
        ] {
            let error = validate_key(bad).err();
            assert_eq!(
                error
                    .as_ref()
                    .map(|error| (error.code(), error.http_status())),
                Some(("invalid_media_key", 400)),
                "{bad:?} must be refused"
            );
        }
        assert!(validate_key("p/ab/abcdef0123456789/320.webp").is_ok());
        assert!(validate_key("p/ab/abcdef/master.jpg").is_ok());
    }

    #[tokio::test]
    async fn stores_a_processed_photo_under_its_keys_and_cleans_it_up() {
        let folder = tempfile::tempdir().unwrap();
        let store = MediaStore::local(folder.path());
        let mut png = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(400, 300, image::Rgb([30, 140, 70]))
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        let photo =
            crate::media::process_photo(png.get_ref(), &crate::media::PhotoLimits::default())
                .unwrap();

        store.put_photo(&photo).await.unwrap();
        for object in photo.objects() {
            let stored = store.get(&object.key).await.unwrap().unwrap();
            assert_eq!(stored.bytes, object.bytes);
            assert_eq!(stored.content_type, object.content_type);
        }
        let written = files_under(folder.path());
        assert_eq!(written.len(), photo.objects().count(), "{written:?}");

        let removed = store.delete_prefix(&photo.key_prefix).await.unwrap();
        assert_eq!(removed, photo.objects().count());
        assert_eq!(store.get(&photo.master.key).await.unwrap(), None);
    }

    #[tokio::test]
    async fn stores_reads_and_deletes_without_leaving_temp_files() {
        let folder = tempfile::tempdir().unwrap();
        let store = MediaStore::local(folder.path());

        store
            .put("p/ab/abc/320.webp", b"RIFFwebp".to_vec(), "image/webp")
            .await
            .unwrap();
        store
            .put("p/ab/abc/notes.bin", b"{}".to_vec(), "application/x-custom")
            .await
            .unwrap();
        // Replacing an object is atomic too.
        store
            .put("p/ab/abc/320.webp", b"RIFFnewer".to_vec(), "image/webp")
            .await
            .unwrap();

        let object = store.get("p/ab/abc/320.webp").await.unwrap().unwrap();
        assert_eq!(object.bytes, b"RIFFnewer");
        assert_eq!(object.content_type, "image/webp");
        assert!(object.etag.starts_with('"') && object.etag.ends_with('"'));
        let custom = store.get("p/ab/abc/notes.bin").await.unwrap().unwrap();
        assert_eq!(custom.content_type, "application/x-custom");

        assert_eq!(store.get("p/ab/abc/640.webp").await.unwrap(), None);
        assert_eq!(store.get("p/zz/none/320.webp").await.unwrap(), None);
        assert!(!files_under(folder.path())
            .iter()
            .any(|name| name.contains(TEMP_PREFIX)));

        let refused = store
            .put("../etc/passwd", b"x".to_vec(), "text/plain")
            .await;
        assert_eq!(
            refused.err().map(|error| error.code()),
            Some("invalid_media_key")
        );
        let refused = store.get("../../etc/passwd").await;
        assert_eq!(
            refused.err().map(|error| error.code()),
            Some("invalid_media_key")
        );
        assert!(!folder.path().join("../etc/passwd").exists());

        assert!(store.delete("p/ab/abc/320.webp").await.unwrap());
        assert!(!store.delete("p/ab/abc/320.webp").await.unwrap());
        store
            .put("p/ab/abc/640.jpg", b"jpeg".to_vec(), "image/jpeg")
            .await
            .unwrap();
        assert_eq!(store.delete_prefix("p/ab/abc/").await.unwrap(), 2);
        assert_eq!(store.delete_prefix("p/ab/abc/").await.unwrap(), 0);
        assert!(files_under(folder.path()).is_empty());
    }
}
