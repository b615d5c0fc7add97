//! The media store's behaviour, the same on the local folder and on an S3-compatible bucket.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::error::Code;
use crate::media::TestBucket;

/// One backend under test; the temp folder (local) lives as long as the store.
struct Backend {
    name: &'static str,
    store: MediaStore,
    folder: Option<tempfile::TempDir>,
}

/// The S3 bucket named by `VUNGCAO_TEST_S3_*`, with a prefix of its own for this test.
/// `None` (and a SKIPPED line) when unset, a panic instead when `VUNGCAO_REQUIRE_S3=1`.
fn test_s3(test: &str) -> Option<MediaStore> {
    let TestBucket {
        endpoint,
        bucket,
        access_key: access,
        secret_key: secret,
    } = TestBucket::from_env(&format!("S3 media store test {test}"))?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Some(
        MediaStore::s3(S3Config {
            bucket,
            prefix: format!("unit/{test}-{nanos:x}-{}", std::process::id()),
            allow_http: endpoint.starts_with("http://"),
            endpoint: Some(endpoint),
            region: "us-east-1".into(),
            path_style: true,
            access_key_id: Some(access),
            secret_access_key: Some(crate::config::Secret::new(secret)),
            session_token: None,
        })
        .unwrap(),
    )
}

fn backends(test: &str) -> Vec<Backend> {
    let folder = tempfile::tempdir().unwrap();
    let mut found = vec![Backend {
        name: "local",
        store: MediaStore::local(folder.path()),
        folder: Some(folder),
    }];
    if let Some(store) = test_s3(test) {
        found.push(Backend {
            name: "s3",
            store,
            folder: None,
        });
    }
    found
}

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

async fn keys(store: &MediaStore) -> Vec<String> {
    store
        .list("p/")
        .await
        .unwrap()
        .into_iter()
        .map(|object| object.key)
        .collect()
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
            error.as_ref().map(|error| (
                Code::from(error).name(),
                Code::from(error).status().as_u16()
            )),
            Some(("invalid_media_key", 400)),
            "{bad:?} must be refused"
        );
    }
    assert!(validate_key("p/ab/abcdef0123456789/320.webp").is_ok());
    assert!(validate_key("p/ab/abcdef/master.jpg").is_ok());
}

#[tokio::test]
async fn stores_a_processed_photo_under_its_keys_and_cleans_it_up() {
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(400, 300, image::Rgb([30, 140, 70]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let photo =
        crate::media::process_photo(png.get_ref(), &crate::media::PhotoLimits::default()).unwrap();
    for Backend {
        name,
        store,
        folder,
    } in backends("photo")
    {
        store.put_photo(&photo).await.unwrap();
        for object in photo.objects() {
            let stored = store.get(&object.key).await.unwrap().unwrap();
            assert_eq!(stored.bytes, object.bytes, "{name}");
            assert_eq!(stored.content_type, object.content_type, "{name}");
        }
        let mut expected: Vec<String> = photo.objects().map(|o| o.key.clone()).collect();
        expected.sort();
        assert_eq!(keys(&store).await, expected, "{name}");
        if let Some(folder) = &folder {
            let written = files_under(folder.path());
            assert_eq!(written.len(), photo.objects().count(), "{written:?}");
        }

        let removed = store.delete_prefix(&photo.key_prefix).await.unwrap();
        assert_eq!(removed, photo.objects().count(), "{name}");
        assert_eq!(store.get(&photo.master.key).await.unwrap(), None, "{name}");
        assert!(keys(&store).await.is_empty(), "{name}");
    }
}

#[tokio::test]
async fn stores_reads_and_deletes_without_leaving_temp_files() {
    for Backend {
        name,
        store,
        folder,
    } in backends("crud")
    {
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
        assert_eq!(object.bytes, b"RIFFnewer", "{name}");
        assert_eq!(object.content_type, "image/webp", "{name}");
        assert!(object.etag.starts_with('"') && object.etag.ends_with('"'));
        let custom = store.get("p/ab/abc/notes.bin").await.unwrap().unwrap();
        assert_eq!(custom.content_type, "application/x-custom", "{name}");

        assert_eq!(store.get("p/ab/abc/640.webp").await.unwrap(), None);
        assert_eq!(store.get("p/zz/none/320.webp").await.unwrap(), None);
        if let Some(folder) = &folder {
            assert!(!files_under(folder.path())
                .iter()
                .any(|name| name.contains(TEMP_PREFIX)));
        }

        let refused = store
            .put("../etc/passwd", b"x".to_vec(), "text/plain")
            .await;
        assert_eq!(
            refused.err().map(|error| Code::from(&error).name()),
            Some("invalid_media_key")
        );
        let refused = store.get("../../etc/passwd").await;
        assert_eq!(
            refused.err().map(|error| Code::from(&error).name()),
            Some("invalid_media_key")
        );
        if let Some(folder) = &folder {
            assert!(!folder.path().join("../etc/passwd").exists());
        }

        assert!(store.delete("p/ab/abc/320.webp").await.unwrap(), "{name}");
        assert!(!store.delete("p/ab/abc/320.webp").await.unwrap(), "{name}");
        store
            .put("p/ab/abc/640.jpg", b"jpeg".to_vec(), "image/jpeg")
            .await
            .unwrap();
        assert_eq!(store.delete_prefix("p/ab/abc/").await.unwrap(), 2, "{name}");
        assert_eq!(store.delete_prefix("p/ab/abc/").await.unwrap(), 0, "{name}");
        assert!(keys(&store).await.is_empty(), "{name}");
        if let Some(folder) = &folder {
            assert!(files_under(folder.path()).is_empty());
        }
    }
}

#[tokio::test]
async fn streams_whole_objects_and_byte_ranges() {
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    for Backend { name, store, .. } in backends("ranges") {
        store
            .put("p/cd/range/master.jpg", bytes.clone(), "image/jpeg")
            .await
            .unwrap();
        let info = store.head("p/cd/range/master.jpg").await.unwrap().unwrap();
        assert_eq!(info.size, 200_000, "{name}");
        assert_eq!(info.content_type, "image/jpeg", "{name}");

        for range in [0..10, 65_530..65_550, 150_000..200_000, 199_999..200_000] {
            let mut reader = store
                .open("p/cd/range/master.jpg", Some(range.clone()))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(reader.range, range, "{name}");
            assert_eq!(reader.info.etag, info.etag, "{name}: one validator");
            let mut read = Vec::new();
            while let Some(chunk) = reader.body.next().await {
                read.extend_from_slice(&chunk.unwrap());
            }
            let (start, end) = (range.start as usize, range.end as usize);
            assert_eq!(read, bytes[start..end], "{name} {range:?}");
        }
        let whole = store.get("p/cd/range/master.jpg").await.unwrap().unwrap();
        assert_eq!(whole.bytes, bytes, "{name}");
        assert_eq!(store.head("p/cd/none/master.jpg").await.unwrap(), None);
        assert!(store.open("p/cd/none/x.jpg", None).await.unwrap().is_none());
        store.delete_prefix("p/cd/").await.unwrap();
        store.ping().await.unwrap();
    }
}

#[tokio::test]
async fn an_unreachable_bucket_is_unavailable_not_empty() {
    // Port 9 (discard) on loopback: nothing listens there.
    let store = MediaStore::s3(S3Config {
        bucket: "vungcao".into(),
        prefix: String::new(),
        endpoint: Some("http://127.0.0.1:9".into()),
        region: "us-east-1".into(),
        path_style: true,
        allow_http: true,
        access_key_id: Some("id".into()),
        secret_access_key: Some(crate::config::Secret::new("secret")),
        session_token: None,
    })
    .unwrap();
    let started = std::time::Instant::now();
    let put = store
        .put("p/ab/x/320.webp", b"x".to_vec(), "image/webp")
        .await
        .err();
    assert_eq!(
        put.as_ref()
            .map(|e| (Code::from(e).name(), Code::from(e).status().as_u16())),
        Some(("storage_unavailable", 503)),
        "{put:?}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "fails fast, not after minutes of retries"
    );
    let get = store.get("p/ab/x/320.webp").await.err();
    assert_eq!(
        get.map(|e| Code::from(&e).name()),
        Some("storage_unavailable")
    );
    assert!(store.ping().await.is_err());
    let printed = format!("{store:?}");
    assert!(!printed.contains("secret"), "{printed}");
}
