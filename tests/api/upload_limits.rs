//! Uploads cannot crowd out other members: an account sends a couple at once, all uploads
//! together hold a bounded number of bytes, both refused before the body is read (429 / 503
//! with `Retry-After`); forms carry a bounded number of small fields; and a photo whose
//! processing would need too much memory is refused from its header. Nothing is left behind.

use crate::both_backends;
use crate::helpers::{fixture, TestApp};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

both_backends!(
    an_account_uploading_its_share_is_refused_more_until_one_ends,
    an_oversize_form_field_or_too_many_parts_are_refused,
    a_body_larger_than_the_gallery_can_take_is_refused_unread,
    a_huge_greyscale_png_is_refused_from_its_header,
    an_import_holds_its_bytes_in_the_budget_until_its_job_ends,
);
both_backends!(@settings |s| s.upload_bytes_in_flight = 30 * 1024 * 1024;
    uploads_beyond_the_servers_byte_budget_get_503_before_they_are_read);

const BOUNDARY: &str = "upload-limits-boundary";

fn photo_part(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut part = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{name}\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    part.extend_from_slice(bytes);
    part.extend_from_slice(b"\r\n");
    part
}

fn closing() -> Vec<u8> {
    format!("--{BOUNDARY}--\r\n").into_bytes()
}

/// An upload on a raw connection: the head and the first bytes go now, the rest when asked.
struct SlowUpload {
    stream: TcpStream,
    rest: Vec<u8>,
}

impl SlowUpload {
    async fn start(app: &TestApp, token: &str, listing: i64, body: Vec<u8>, sent: usize) -> Self {
        Self::start_declaring(app, token, listing, body.len(), body, sent).await
    }

    /// Announces `declared` bytes whatever the body holds.
    async fn start_declaring(
        app: &TestApp,
        token: &str,
        listing: i64,
        declared: usize,
        body: Vec<u8>,
        sent: usize,
    ) -> Self {
        let head = format!(
            "POST /api/v1/my/listings/{listing}/photos HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {declared}\r\n\r\n"
        );
        let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
            .await
            .unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body[..sent]).await.unwrap();
        SlowUpload {
            stream,
            rest: body[sent..].to_vec(),
        }
    }

    /// Sends the rest and reads the answer: status, `Retry-After`, body.
    async fn finish(mut self) -> (u16, Option<String>, Value) {
        let rest = std::mem::take(&mut self.rest);
        let _ = self.stream.write_all(&rest).await;
        self.answer().await
    }

    async fn answer(mut self) -> (u16, Option<String>, Value) {
        let mut raw = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(60), self.stream.read_to_end(&mut raw)).await;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let retry_after = text.lines().find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("retry-after:")
                .map(|v| v.trim().to_owned())
        });
        let body = text
            .split_once("\r\n\r\n")
            .and_then(|(_, b)| serde_json::from_str(b.trim()).ok())
            .unwrap_or(Value::Null);
        (status, retry_after, body)
    }
}

async fn upload(
    app: &TestApp,
    token: &str,
    listing: i64,
    form: Form,
) -> (u16, Option<String>, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/my/listings/{listing}/photos")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, res.json().await.unwrap_or(Value::Null))
}

fn photo_form(name: &str, bytes: Vec<u8>) -> Form {
    Form::new().part(
        "photo",
        Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str("image/jpeg")
            .unwrap(),
    )
}

/// A draft of the orange cooperative's, to upload to.
async fn orange_listing(app: &TestApp) -> i64 {
    let (status, created) = app
        .post(
            "/api/v1/my/listings",
            &app.orange_token,
            crate::helpers::new_listing("Cam sành Hàm Yên"),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

/// Waits until the app has admitted `n` uploads (the stalled ones started before).
async fn until_admitted(app: &TestApp, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.uploads.admitted() < n {
        assert!(
            Instant::now() < deadline,
            "{} uploads admitted",
            app.uploads.admitted()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn photo_count(app: &TestApp) -> i64 {
    app.with_db(|conn| {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let rows: Vec<N> = vungcao::with_conn!(conn, |c| diesel::RunQueryDsl::load(
            diesel::sql_query("SELECT COUNT(*) AS n FROM photos"),
            c
        ))
        .unwrap();
        rows.first().map_or(0, |r| r.n)
    })
    .await
}

async fn an_account_uploading_its_share_is_refused_more_until_one_ends(app: TestApp) {
    let photos_before = photo_count(&app).await;
    // Two uploads from the tea cooperative, each stalled half-way through its photo.
    let bodies = ["orientation/landscape_1.jpg", "orientation/portrait_1.jpg"].map(|name| {
        let mut body = photo_part("che.jpg", &fixture(name));
        body.extend(closing());
        body
    });
    let mut stalled = Vec::new();
    for body in bodies {
        let half = body.len() / 2;
        stalled.push(SlowUpload::start(&app, &app.tea_token, 1, body, half).await);
    }
    // A third, once both are admitted, is refused before its body is read.
    until_admitted(&app, 2).await;
    let probe = Form::new().text("caption", "chỉ là chữ");
    let (status, retry_after, problem) = upload(&app, &app.tea_token, 1, probe).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (429, Some("too_many_uploads")),
        "{problem}"
    );
    assert_eq!(retry_after.as_deref(), Some("5"));
    let keys_before = app.media_keys().await;
    let (status, retry_after, problem) = upload(
        &app,
        &app.tea_token,
        1,
        photo_form("them.jpg", fixture("phone-gps.jpg")),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (429, Some("too_many_uploads"))
    );
    assert!(retry_after.is_some());
    assert!(problem["detail_vi"]
        .as_str()
        .unwrap()
        .contains("Vui lòng chờ"));
    assert_eq!(
        app.media_keys().await,
        keys_before,
        "nothing stored for a refusal"
    );
    assert_eq!(photo_count(&app).await, photos_before);
    // Another cooperative's member is not held back by it.
    let orange = orange_listing(&app).await;
    let (status, _, gallery) = upload(
        &app,
        &app.orange_token,
        orange,
        photo_form("cam.jpg", fixture("orientation/landscape_2.jpg")),
    )
    .await;
    assert_eq!(status, 201, "{gallery}");
    // The two stalled uploads complete; then the account may upload again.
    for upload in stalled {
        let (status, _, gallery) = upload.finish().await;
        assert_eq!(status, 201, "{gallery}");
    }
    let (status, _, _) = upload(
        &app,
        &app.tea_token,
        1,
        photo_form("lai.jpg", fixture("orientation/landscape_3.jpg")),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(photo_count(&app).await, photos_before + 4);
}

async fn an_oversize_form_field_or_too_many_parts_are_refused(app: TestApp) {
    let photos_before = photo_count(&app).await;
    let form = Form::new().text("caption", "chè ".repeat(2000)).part(
        "photo",
        Part::bytes(fixture("orientation/landscape_1.jpg")).file_name("che.jpg"),
    );
    let (status, _, problem) = upload(&app, &app.tea_token, 1, form).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (413, Some("field_too_large")),
        "{problem}"
    );
    assert!(problem["detail_vi"]
        .as_str()
        .unwrap()
        .contains("Biểu mẫu gửi lên quá lớn"));
    let mut form = Form::new();
    for n in 0..40 {
        form = form.text(format!("f{n}"), "x");
    }
    let (status, _, problem) = upload(&app, &app.tea_token, 1, form).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (413, Some("field_too_large"))
    );
    assert!(app.media_keys().await.is_empty());
    assert_eq!(photo_count(&app).await, photos_before);
}

async fn a_body_larger_than_the_gallery_can_take_is_refused_unread(app: TestApp) {
    // Ten photos of at most 20 MB: a body announcing 300 MB is answered before it is sent.
    let upload =
        SlowUpload::start_declaring(&app, &app.tea_token, 1, 300_000_000, Vec::new(), 0).await;
    let started = Instant::now();
    let (status, _, problem) = upload.answer().await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (413, Some("payload_too_large")),
        "{problem}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

async fn uploads_beyond_the_servers_byte_budget_get_503_before_they_are_read(app: TestApp) {
    let photos_before = photo_count(&app).await;
    let orange = orange_listing(&app).await;
    // One member announces 25 MB of the server's 30 MB and sends it slowly …
    let mut body = photo_part("che.jpg", &fixture("phone-gps.jpg"));
    body.extend(closing());
    let stalled =
        SlowUpload::start_declaring(&app, &app.tea_token, 1, 25 * 1024 * 1024, body, 1000).await;
    until_admitted(&app, 1).await;
    assert_eq!(app.uploads.bytes_in_flight(), 25 * 1024 * 1024);
    // … so another member's 20 MB must wait: 503 with Retry-After, the body unread.
    let (status, retry_after, problem) = SlowUpload::start_declaring(
        &app,
        &app.orange_token,
        orange,
        20 * 1024 * 1024,
        Vec::new(),
        0,
    )
    .await
    .answer()
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (503, Some("uploads_busy")),
        "{problem}"
    );
    assert_eq!(retry_after.as_deref(), Some("10"));
    assert!(problem["detail_vi"]
        .as_str()
        .unwrap()
        .contains("Vui lòng thử lại"));
    // The member form says the same through its page: back to the form with "try again"
    // and the wait, the photos unread.
    let member = crate::web::sign_in(&app, "orange@htx.vn").await;
    let (status, form_page) =
        crate::web::page(&member, &app, &format!("/tai-khoan/san-pham/{orange}")).await;
    assert_eq!(status, 200);
    let token = crate::web::csrf(&form_page);
    let mut photos = Form::new();
    for (n, name) in ["phone-12mp.jpg", "phone-gps.jpg", "phone-12mp.jpg"]
        .iter()
        .enumerate()
    {
        photos = photos.part(
            "photo",
            Part::bytes(fixture(name))
                .file_name(format!("cam-{n}.jpg"))
                .mime_str("image/jpeg")
                .unwrap(),
        );
    }
    let res = member
        .post(app.url(&format!("/tai-khoan/san-pham/{orange}/anh?csrf={token}")))
        .multipart(photos)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/tai-khoan/san-pham/{orange}?err=photo-busy#anh").as_str()
    );
    assert_eq!(res.headers()["retry-after"], "10");
    assert_eq!(photo_count(&app).await, photos_before);
    // The stalled upload is abandoned: its bytes come back and nothing of it is kept.
    drop(stalled);
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.uploads.bytes_in_flight() > 0 {
        assert!(
            Instant::now() < deadline,
            "the abandoned upload's bytes never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, _, gallery) = upload(
        &app,
        &app.orange_token,
        orange,
        photo_form("cam.jpg", fixture("orientation/landscape_2.jpg")),
    )
    .await;
    assert_eq!(status, 201, "{gallery}");
    assert_eq!(photo_count(&app).await, photos_before + 1);
}

async fn a_huge_greyscale_png_is_refused_from_its_header(app: TestApp) {
    use image::ImageEncoder as _;
    let mut png = Vec::new();
    let grey = image::GrayImage::new(12_000, 12_000);
    image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(grey.as_raw(), 12_000, 12_000, image::ExtendedColorType::L8)
    .unwrap();
    drop(grey);
    let form = Form::new().part(
        "photo",
        Part::bytes(png)
            .file_name("grey.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let (status, _, problem) = upload(&app, &app.tea_token, 1, form).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (413, Some("image_too_large")),
        "{problem}"
    );
    assert!(problem["detail_vi"]
        .as_str()
        .unwrap()
        .contains("Ảnh quá lớn để xử lý"));
    assert!(app.media_keys().await.is_empty());
}

/// A zip of a sheet and `photos` copies of the 12 MP phone photo, for the tea cooperative.
fn photo_zip(photos: usize) -> Vec<u8> {
    let mut sheet = String::from("kind,name_vi,description_vi,category,price_vnd,photos\n");
    let mut entries = Vec::new();
    for n in 0..photos {
        sheet.push_str(&format!(
            "product,Chè ảnh {n},Chè của xã.,tea,120000,photos/che-{n}.jpg\n"
        ));
        entries.push((format!("photos/che-{n}.jpg"), fixture("phone-12mp.jpg")));
    }
    let mut all = vec![("ds.csv", sheet.into_bytes())];
    all.extend(
        entries
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.clone())),
    );
    crate::helpers::zip_of(&all)
}

/// The file's bytes stay in memory while its job runs, so they stay in the upload budget
/// until the job ends, not only while the request is read.
async fn an_import_holds_its_bytes_in_the_budget_until_its_job_ends(app: TestApp) {
    let bundle = photo_zip(2);
    let size = bundle.len() as u64;
    let location =
        crate::helpers::start_import(&app, "/api/v1/my/imports", &app.tea_token, bundle).await;
    let mut seen_running = false;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let held = app.uploads.bytes_in_flight();
        let (_, job) = app
            .send(reqwest::Method::GET, &location, &app.tea_token, None)
            .await;
        if job["state"] != "running" {
            assert_eq!(job["state"], "done", "{job}");
            break;
        }
        // Running after `held` was read, so it was running then too.
        assert!(
            held >= size,
            "{held} bytes held while a {size}-byte import runs"
        );
        seen_running = true;
        assert!(Instant::now() < deadline, "the import did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen_running, "the job ended before it could be observed");
    // The job is over: its bytes are back.
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.uploads.bytes_in_flight() > 0 {
        assert!(
            Instant::now() < deadline,
            "the finished import's bytes never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
