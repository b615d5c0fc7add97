//! Media beyond the upload: `check`'s media half and photo links under a public base URL.

use crate::every_backend;
use crate::helpers::{spawn_app_on, Backend, Media, TestApp};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use std::time::Duration;
use vungcao::media_check;

every_backend!(check_finds_and_repairs_orphans_and_photos_with_missing_files);

fn tiny_png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 7) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(app: &TestApp, listing: i64, files: Vec<Vec<u8>>) -> Value {
    let mut form = Form::new();
    for bytes in files {
        form = form.part(
            "photo",
            Part::bytes(bytes)
                .file_name("p.png")
                .mime_str("image/png")
                .unwrap(),
        );
    }
    let res = app
        .client
        .post(app.url(&format!("/api/v1/my/listings/{listing}/photos")))
        .bearer_auth(&app.tea_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// The media key behind a photo URL.
fn key_of(url: &str, base: &str) -> String {
    url.strip_prefix(base)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or_else(|| panic!("{url} is not under {base}"))
        .to_owned()
}

async fn check_finds_and_repairs_orphans_and_photos_with_missing_files(app: TestApp) {
    let gallery = upload(&app, 1, vec![tiny_png(80, 60), tiny_png(90, 60)]).await;
    // Listing 1 is published: its new photos show once an admin approves them.
    assert_eq!(app.approve(1).await.0, 200);
    let kept = gallery["items"][0]["id"].as_i64().unwrap();
    let broken = gallery["items"][1]["id"].as_i64().unwrap();
    let clean = media_check::check(&app.db, &app.media).await.unwrap();
    assert!(clean.is_clean(), "{clean:?}");

    // An object no row uses, and a photo whose 640 px WebP is gone.
    let orphan = "p/zz/0123456789abcdef0123456789abcdef/320.webp";
    app.media
        .put(orphan, b"RIFF....WEBP".to_vec(), "image/webp")
        .await
        .unwrap();
    let lost = key_of(
        gallery["items"][1]["variants"][0]["url"].as_str().unwrap(),
        "/media",
    );
    assert!(app.media.delete(&lost).await.unwrap());

    let drift = media_check::check(&app.db, &app.media).await.unwrap();
    let orphans: Vec<&str> = drift.orphans.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(orphans, vec![orphan]);
    assert_eq!(drift.broken.len(), 1, "{drift:?}");
    assert_eq!(
        (drift.broken[0].photo_id, drift.broken[0].listing_id),
        (broken, 1)
    );
    assert_eq!(drift.broken[0].missing, vec![lost.clone()]);

    // A young orphan may be an upload about to commit: spared. The broken photo goes.
    let repair = media_check::fix(&app.db, &app.media, &drift, media_check::ORPHAN_GRACE)
        .await
        .unwrap();
    assert_eq!(
        (repair.orphans_deleted, repair.orphans_spared),
        (0, 1),
        "{repair:?}"
    );
    assert_eq!(repair.photos_removed, vec![(1, broken)]);
    let again = media_check::check(&app.db, &app.media).await.unwrap();
    assert!(again.broken.is_empty(), "{again:?}");
    let repair = media_check::fix(&app.db, &app.media, &again, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(repair.orphans_deleted, 1);

    let after = media_check::check(&app.db, &app.media).await.unwrap();
    assert!(after.is_clean(), "{after:?}");
    let (_, listing) = app
        .get_json("/api/v1/listings/che-shan-tuyet-co-thu-hong-thai")
        .await;
    let ids: Vec<i64> = listing["photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![kept], "shoppers see only the photo that is whole");
    // What is left in the store is exactly the kept photo's files.
    let mut expected: Vec<String> = listing["photos"][0]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| key_of(v["url"].as_str().unwrap(), "/media"))
        .collect();
    let folder = expected[0].rsplit_once('/').unwrap().0.to_owned();
    expected.push(format!("{folder}/master.jpg"));
    // The link-preview picture (`og:image`) belongs to the photo too.
    expected.push(format!("{folder}/og.jpg"));
    expected.sort();
    assert_eq!(app.media_keys().await, expected);
}

/// With `VUNGCAO_MEDIA_PUBLIC_URL`, pages and API answers link photos straight to that base,
/// where the store holds them under the same keys.
async fn photos_link_to_the_public_media_url(media: Media) {
    let base = "https://anh.vungcao.example/kho";
    let Some(app) = spawn_app_on(Backend::Sqlite, media, |s| {
        s.media_public_url = Some(base.to_owned());
    })
    .await
    else {
        return;
    };
    let gallery = upload(&app, 1, vec![tiny_png(120, 80)]).await;
    assert_eq!(app.approve(1).await.0, 200);
    for variant in gallery["items"][0]["variants"].as_array().unwrap() {
        let key = key_of(variant["url"].as_str().unwrap(), base);
        assert!(app.media.head(&key).await.unwrap().is_some(), "{key}");
    }
    let (_, listing) = app
        .get_json("/api/v1/listings/che-shan-tuyet-co-thu-hong-thai")
        .await;
    let url = listing["photos"][0]["variants"][0]["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{base}/p/")), "{url}");
    let (_, search) = app.get_json("/api/v1/search?q=che%20shan%20tuyet").await;
    assert!(
        search.to_string().contains(&format!("{base}/p/")),
        "{search}"
    );

    let res = app.get("/san-pham/che-shan-tuyet-co-thu-hong-thai").await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("img-src 'self' data: blob: https://anh.vungcao.example;"),
        "the page may show the CDN's photos: {csp}"
    );
    let page = res.text().await.unwrap();
    assert!(
        page.contains(&format!("{base}/p/")),
        "the page links the CDN"
    );
    assert!(
        !page.contains("\"/media/p/"),
        "and not vungcao's own /media"
    );
    let og_image = format!("<meta property=\"og:image\" content=\"{base}/p/");
    assert!(
        page.contains(&og_image),
        "the link preview is on the CDN too"
    );
    let preview = page[page.find(&og_image).unwrap() + og_image.len() - 2..]
        .split('"')
        .next()
        .unwrap();
    assert!(preview.ends_with("/og.jpg"), "{preview}");
    assert!(
        app.media.head(preview).await.unwrap().is_some(),
        "{preview}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_link_to_the_public_media_url_local() {
    photos_link_to_the_public_media_url(Media::Local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_link_to_the_public_media_url_s3() {
    photos_link_to_the_public_media_url(Media::S3).await;
}
