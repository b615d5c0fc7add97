//! Photos from a phone: upload, the variants shoppers get, and hostile files refused cleanly.

use crate::every_backend;
use crate::helpers::{fixture, spawn_app_on, Backend, Media, TestApp};
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

// Every photo test runs on both databases, each with a local media folder and with S3.
every_backend!(
    phone_photo_becomes_stripped_responsive_variants,
    photos_are_turned_upright,
    bad_files_are_refused_and_leave_nothing_behind,
    members_arrange_and_delete_photos,
    only_the_owner_uploads,
    media_are_streamed_in_byte_ranges,
    upload_size_limit_is_enforced_while_streaming,
    an_upload_cut_off_mid_body_leaves_nothing,
    a_shared_link_shows_the_photo_at_1200_by_630,
);

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    listing: i64,
    files: Vec<(&str, Vec<u8>)>,
) -> (u16, Value) {
    let mut form = Form::new();
    for (name, bytes) in files {
        form = form.part(
            "photo",
            Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("image/jpeg")
                .unwrap(),
        );
    }
    let res = app
        .client
        .post(app.url(&format!("/api/v1/my/listings/{listing}/photos")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn tiny_png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x * 7) as u8, (y * 5) as u8, 90, 255])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

async fn phone_photo_becomes_stripped_responsive_variants(app: TestApp) {
    // Listing 1: the demo's published Chè Shan tuyết cổ thụ.
    let (status, gallery) = upload(
        &app,
        &app.tea_token,
        1,
        vec![("IMG_0001.jpg", fixture("phone-gps.jpg"))],
    )
    .await;
    assert_eq!(status, 201, "{gallery}");
    let photo = &gallery["items"][0];
    assert_eq!(
        (photo["width"].as_i64(), photo["height"].as_i64()),
        (Some(3264), Some(2448))
    );
    assert!(
        photo["placeholder"].as_str().unwrap().len() > 10,
        "a ThumbHash to paint first"
    );
    let variants = photo["variants"].as_array().unwrap();
    let mut shapes: Vec<(i64, &str)> = variants
        .iter()
        .map(|v| (v["width"].as_i64().unwrap(), v["format"].as_str().unwrap()))
        .collect();
    shapes.sort();
    assert_eq!(
        shapes,
        vec![
            (320, "jpeg"),
            (320, "webp"),
            (640, "jpeg"),
            (640, "webp"),
            (1280, "jpeg"),
            (1280, "webp")
        ]
    );
    for v in variants {
        let url = v["url"].as_str().unwrap();
        assert!(url.starts_with("/media/"), "{url}");
        let res = app.get(url).await;
        assert_eq!(res.status(), 200);
        let headers = res.headers().clone();
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let content_type = if v["format"] == "webp" {
            "image/webp"
        } else {
            "image/jpeg"
        };
        assert_eq!(headers["content-type"], content_type);
        let bytes = res.bytes().await.unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!(i64::from(decoded.width()), v["width"].as_i64().unwrap());
        for marker in [&b"Exif"[..], b"GPS", b"http://ns.adobe.com/xap", b"XMP "] {
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker),
                "{url} carries {:?}",
                String::from_utf8_lossy(marker)
            );
        }
        let etag = headers["etag"].to_str().unwrap();
        let again = app
            .client
            .get(app.url(url))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
    }
    // Listing 1 is published: the new photo shows once an admin approves it.
    assert_eq!(app.approve(1).await.0, 200);
    let (_, public) = app
        .get_json("/api/v1/listings/che-shan-tuyet-co-thu-hong-thai")
        .await;
    assert_eq!(
        public["photos"].as_array().unwrap().len(),
        1,
        "shoppers see the photo"
    );
}

async fn photos_are_turned_upright(app: TestApp) {
    let (_, upright) = upload(
        &app,
        &app.tea_token,
        1,
        vec![("a.jpg", fixture("orientation/landscape_1.jpg"))],
    )
    .await;
    let (_, rotated) = upload(
        &app,
        &app.tea_token,
        2,
        vec![("b.jpg", fixture("orientation/landscape_6.jpg"))],
    )
    .await;
    let small = |g: &Value| -> String {
        g["items"][0]["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["width"] == 320 && v["format"] == "jpeg")
            .unwrap()["url"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let a = image::load_from_memory(&app.get(&small(&upright)).await.bytes().await.unwrap())
        .unwrap()
        .to_luma8();
    let b = image::load_from_memory(&app.get(&small(&rotated)).await.bytes().await.unwrap())
        .unwrap()
        .to_luma8();
    assert_eq!(
        a.dimensions(),
        b.dimensions(),
        "a landscape photo stays landscape"
    );
    let diff: f64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| (f64::from(p[0]) - f64::from(q[0])).abs())
        .sum::<f64>()
        / f64::from(a.width() * a.height());
    assert!(
        diff < 12.0,
        "EXIF orientation 6 shows the same upright picture (mean difference {diff:.1})"
    );
}

async fn bad_files_are_refused_and_leave_nothing_behind(app: TestApp) {
    let before = app.snapshot().await;
    let files_before = app.media_keys().await;
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    heic.resize(4096, 0);
    for (name, bytes, status, code) in [
        (
            "truncated.jpg",
            fixture("bad/truncated.jpg"),
            422,
            "corrupt_image",
        ),
        ("empty.jpg", fixture("bad/empty.jpg"), 400, "empty_file"),
        (
            "not-an-image.jpg",
            fixture("bad/not-an-image.jpg"),
            415,
            "unsupported_image_format",
        ),
        (
            "bomb-40000x40000.png",
            fixture("bad/bomb-40000x40000.png"),
            413,
            "image_too_large",
        ),
        // Without libheif a HEIC is refused for what it is; with it, this one is a broken file.
        if cfg!(feature = "heic") {
            ("IMG_1234.HEIC", heic, 422, "corrupt_image")
        } else {
            ("IMG_1234.HEIC", heic, 415, "heic_not_supported")
        },
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            415,
            "unsupported_image_format",
        ),
    ] {
        let (got, problem) = upload(&app, &app.tea_token, 1, vec![(name, bytes)]).await;
        assert_eq!(
            (got, problem["code"].as_str()),
            (status, Some(code)),
            "{name}: {problem}"
        );
        assert_eq!(problem["status"], status);
        assert!(
            problem["detail_vi"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}: a message in Vietnamese"
        );
    }
    if !cfg!(feature = "heic") {
        let (status, heic) = upload(
            &app,
            &app.tea_token,
            1,
            vec![("x.heic", {
                let mut h = vec![0, 0, 0, 24];
                h.extend_from_slice(b"ftypheic");
                h.resize(64, 0);
                h
            })],
        )
        .await;
        assert_eq!(
            (status, heic["code"].as_str()),
            (415, Some("heic_not_supported"))
        );
        let detail = heic["detail"].as_str().unwrap();
        assert!(
            detail.contains("built without HEIC support") && detail.contains("JPEG"),
            "{detail}"
        );
        let detail_vi = heic["detail_vi"].as_str().unwrap();
        assert!(
            detail_vi.contains("không kèm hỗ trợ HEIC") && detail_vi.contains("JPEG"),
            "{detail_vi}"
        );
    }
    // A good photo next to a bad one: all or nothing.
    let (status, _) = upload(
        &app,
        &app.tea_token,
        1,
        vec![
            ("ok.png", tiny_png(64, 48)),
            ("bad.jpg", fixture("bad/truncated.jpg")),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        app.media_keys().await,
        files_before,
        "no partial files remain"
    );
    assert_eq!(app.snapshot().await, before, "no photo row remains");
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "the server keeps serving"
    );
    // Keys are checked: no way out of the media folder.
    assert_eq!(
        app.get("/media/p/00/does-not-exist/320.webp")
            .await
            .status(),
        404
    );
    let res = app.get("/media/..%2F..%2F..%2Fetc%2Fpasswd").await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "invalid_media_key"
    );
}

async fn upload_size_limit_is_enforced_while_streaming(app: TestApp) {
    // The same app with a 1 MB limit (same database and media backend).
    let media = if app.settings.media_url.starts_with("s3://") {
        Media::S3
    } else {
        Media::Local
    };
    let backend = if app.settings.database_url.is_some() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    drop(app);
    let Some(app) = spawn_app_on(backend, media, |s| s.upload_max_bytes = 1_000_000).await else {
        return;
    };
    let (status, problem) = upload(
        &app,
        &app.tea_token,
        1,
        vec![("big.jpg", fixture("phone-12mp.jpg"))],
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (413, Some("file_too_large"))
    );
    assert!(app.media_keys().await.is_empty());
}

async fn members_arrange_and_delete_photos(app: TestApp) {
    let files: Vec<(&str, Vec<u8>)> = (0..3)
        .map(|i| ("p.png", tiny_png(60 + i * 10, 40)))
        .collect();
    let (status, gallery) = upload(&app, &app.tea_token, 1, files).await;
    assert_eq!(status, 201, "{gallery}");
    let ids: Vec<i64> = gallery["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    let (status, arranged) = app
        .patch(
            "/api/v1/my/listings/1/photos",
            &app.tea_token,
            json!({"order": [ids[2], ids[0], ids[1]], "cover": ids[1]}),
        )
        .await;
    assert_eq!(status, 200, "{arranged}");
    let order: Vec<i64> = arranged["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        order,
        vec![ids[1], ids[2], ids[0]],
        "cover first, then the chosen order"
    );
    let url = arranged["items"][0]["variants"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, after) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/my/listings/1/photos/{}", ids[1]),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(after["items"].as_array().unwrap().len(), 2);
    assert_eq!(app.get(&url).await.status(), 404, "its files are gone");
    let (status, problem) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/my/listings/1/photos/{}", ids[1]),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("photo_not_found"))
    );
    // At most ten photos: two are there, nine more is one too many, eight fill it up.
    let nine: Vec<(&str, Vec<u8>)> = (0..9).map(|i| ("p.png", tiny_png(30 + i, 30))).collect();
    let (status, problem) = upload(&app, &app.tea_token, 1, nine).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("too_many_photos"))
    );
    let eight: Vec<(&str, Vec<u8>)> = (0..8).map(|i| ("p.png", tiny_png(30 + i, 30))).collect();
    let (status, full) = upload(&app, &app.tea_token, 1, eight).await;
    assert_eq!(
        (status, full["items"].as_array().map(Vec::len)),
        (201, Some(10))
    );
}

async fn only_the_owner_uploads(app: TestApp) {
    let (status, problem) = upload(
        &app,
        &app.orange_token,
        1,
        vec![("x.png", tiny_png(20, 20))],
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    let (_, draft) = app
        .post(
            "/api/v1/my/listings",
            &app.tea_token,
            crate::helpers::new_listing("Chè nháp có ảnh"),
        )
        .await;
    let (status, _) = upload(
        &app,
        &app.orange_token,
        draft["id"].as_i64().unwrap(),
        vec![("x.png", tiny_png(20, 20))],
    )
    .await;
    assert_eq!(status, 404);
    let res = app
        .client
        .post(app.url("/api/v1/my/listings/1/photos"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(app.media_keys().await.is_empty());
}

async fn media_are_streamed_in_byte_ranges(app: TestApp) {
    // A fresh store (an empty bucket prefix, too) is ready.
    assert_eq!(app.get("/readyz").await.status(), 200);
    let (status, gallery) =
        upload(&app, &app.tea_token, 1, vec![("p.png", tiny_png(900, 600))]).await;
    assert_eq!(status, 201, "{gallery}");
    let url = gallery["items"][0]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["format"] == "jpeg" && v["width"] == 640)
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let whole = app.get(&url).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let etag = whole.headers()["etag"].to_str().unwrap().to_owned();
    let length: usize = whole.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let whole = whole.bytes().await.unwrap();
    assert_eq!(whole.len(), length, "the length is announced up front");

    let part = app
        .client
        .get(app.url(&url))
        .header("range", "bytes=100-1099")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"].to_str().unwrap(),
        format!("bytes 100-1099/{length}")
    );
    assert_eq!(part.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(part.bytes().await.unwrap(), whole[100..1100]);

    let tail = app
        .client
        .get(app.url(&url))
        .header("range", "bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap(), whole[length - 10..]);

    let beyond = app
        .client
        .get(app.url(&url))
        .header("range", format!("bytes={length}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"].to_str().unwrap(),
        format!("bytes */{length}")
    );
    let fresh = app
        .client
        .get(app.url(&url))
        .header("if-none-match", &etag)
        .header("range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 304, "a cached copy needs nothing more");
}

/// The bucket is down (nothing listens on the port): uploads answer 503 with Retry-After and
/// leave nothing, readiness names the media store, and shoppers still browse.
async fn store_down(backend: Backend) {
    let Some(app) = spawn_app_on(backend, Media::Local, |s| {
        s.media_url = "s3://vungcao/down".into();
        s.s3_endpoint = Some("http://127.0.0.1:9".into());
        s.s3_access_key_id = Some("test-access".into());
        s.s3_secret_access_key = Some(vungcao::config::Secret::new("test-secret-0123456789"));
    })
    .await
    else {
        return;
    };
    let before = app.snapshot().await;
    let res = app
        .client
        .post(app.url("/api/v1/my/listings/1/photos"))
        .bearer_auth(&app.tea_token)
        .multipart(
            Form::new().part(
                "photo",
                Part::bytes(tiny_png(64, 48))
                    .file_name("p.png")
                    .mime_str("image/png")
                    .unwrap(),
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "storage_unavailable");
    assert!(problem["detail_vi"]
        .as_str()
        .is_some_and(|m| m.contains("Kho ảnh")));
    assert_eq!(app.snapshot().await, before, "no photo row");

    for page in [
        "/api/v1/listings",
        "/api/v1/listings/che-shan-tuyet-co-thu-hong-thai",
        "/api/v1/search?q=che",
        "/",
        "/san-pham/che-shan-tuyet-co-thu-hong-thai",
    ] {
        assert_eq!(app.get(page).await.status(), 200, "{page} keeps working");
    }
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let why = ready.text().await.unwrap();
    assert!(why.contains("media storage unavailable"), "{why}");
    assert!(!why.contains("database"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_down_sqlite() {
    store_down(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_down_postgres() {
    store_down(Backend::Postgres).await;
}

/// A phone that loses its connection halfway through an upload leaves no photo row and no
/// object behind, and the server goes on serving.
async fn an_upload_cut_off_mid_body_leaves_nothing(app: TestApp) {
    let before = app.snapshot().await;
    let objects_before = app.media_keys().await;
    let boundary = "cut-off-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"che.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&fixture("phone-gps.jpg"));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let head = format!(
        "POST /api/v1/my/listings/1/photos HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        app.tea_token,
        body.len()
    );
    let address = app.address.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&body[..body.len() / 2]).unwrap();
        // The connection drops here, with half the photo sent.
    })
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.snapshot().await, before, "no photo row");
    assert_eq!(app.media_keys().await, objects_before, "no object");
    assert_eq!(app.get("/api/v1/listings").await.status(), 200);
}

/// `<meta property="{property}" content="…">` (or `name=` for X's `twitter:…`) of a page.
fn meta_content<'a>(html: &'a str, property: &str) -> Option<&'a str> {
    let attribute = if property.starts_with("twitter:") {
        "name"
    } else {
        "property"
    };
    let marker = format!("<meta {attribute}=\"{property}\" content=\"");
    let start = html.find(&marker)? + marker.len();
    html[start..].split('"').next()
}

/// Mean colour of a band of rows of a picture.
fn mean_rgb(image: &image::RgbImage, rows: std::ops::Range<u32>) -> [f64; 3] {
    let mut sums = [0f64; 3];
    let mut count = 0f64;
    for y in rows {
        for x in 0..image.width() {
            for (sum, channel) in sums.iter_mut().zip(image.get_pixel(x, y).0) {
                *sum += f64::from(channel);
            }
            count += 1.0;
        }
    }
    sums.map(|sum| sum / count)
}

async fn a_shared_link_shows_the_photo_at_1200_by_630(app: TestApp) {
    // An orange product shot, 4:3, with dark strips along the top and bottom edges that a
    // centred 1200×630 cut leaves out.
    let shot = image::RgbImage::from_fn(1600, 1200, |_, y| {
        if !(150..1050).contains(&y) {
            image::Rgb([20, 20, 20])
        } else {
            image::Rgb([230, 120, 30])
        }
    });
    let mut png = std::io::Cursor::new(Vec::new());
    shot.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let (status, gallery) = upload(
        &app,
        &app.tea_token,
        1,
        vec![("orange.png", png.into_inner())],
    )
    .await;
    assert_eq!(status, 201, "{gallery}");
    let photo_id = gallery["items"][0]["id"].as_i64().unwrap();
    // The JSON gallery lists only the responsive variants: the preview is not a srcset size.
    let formats: Vec<&str> = gallery["items"][0]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["format"].as_str().unwrap())
        .collect();
    assert!(
        formats.iter().all(|f| *f == "webp" || *f == "jpeg"),
        "{formats:?}"
    );
    assert_eq!(app.approve(1).await.0, 200);

    let page = app
        .get("/san-pham/che-shan-tuyet-co-thu-hong-thai")
        .await
        .text()
        .await
        .unwrap();
    let og_image = meta_content(&page, "og:image")
        .expect("the page names its preview picture")
        .to_owned();
    assert_eq!(meta_content(&page, "og:image:width"), Some("1200"));
    assert_eq!(meta_content(&page, "og:image:height"), Some("630"));
    assert_eq!(
        meta_content(&page, "twitter:card"),
        Some("summary_large_image")
    );
    let public_url = app.settings.public_url.trim_end_matches('/');
    let path = og_image
        .strip_prefix(public_url)
        .unwrap_or_else(|| panic!("{og_image} is not an absolute URL of {public_url}"))
        .to_owned();
    assert!(
        path.starts_with("/media/p/") && path.ends_with("/og.jpg"),
        "{path}"
    );

    // It is served like every variant, and it is the photo: orange, the dark strips cut off.
    let res = app.get(&path).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let preview = image::load_from_memory(&res.bytes().await.unwrap())
        .unwrap()
        .into_rgb8();
    assert_eq!(preview.dimensions(), (1200, 630));
    for (band, rows) in [("top", 0..10), ("middle", 300..330), ("bottom", 620..630)] {
        let [r, g, b] = mean_rgb(&preview, rows);
        assert!(
            (r - 230.0).abs() < 12.0 && (g - 120.0).abs() < 12.0 && (b - 30.0).abs() < 15.0,
            "{band} of the preview is not the orange photo: {r:.0} {g:.0} {b:.0}"
        );
    }
    assert!(
        vungcao::media_check::check(&app.db, &app.media)
            .await
            .unwrap()
            .is_clean(),
        "the preview is one of the photo's known files"
    );

    // Deleting the photo (approved, as it is a published listing) takes its preview with it.
    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/my/listings/1/photos/{photo_id}"),
            &app.tea_token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.approve(1).await.0, 200);
    assert_eq!(app.get(&path).await.status(), 404, "{path} is gone");
    assert!(app.media_keys().await.is_empty());
    let page = app
        .get("/san-pham/che-shan-tuyet-co-thu-hong-thai")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(meta_content(&page, "og:image"), None);
    let drift = vungcao::media_check::check(&app.db, &app.media)
        .await
        .unwrap();
    assert!(drift.is_clean(), "{drift:?}");
}
