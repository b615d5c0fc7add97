//! iPhone photos (HEIC) through the API, on a server built with the `heic` feature: stored upright in true colours, hostile ones refused.

use crate::every_backend;
use crate::helpers::{fixture, TestApp};
use crate::photos::upload;
use serde_json::Value;

every_backend!(
    heic_upload_becomes_upright_variants_in_true_colours,
    hostile_heic_uploads_are_refused_like_hostile_jpegs,
);

fn heic(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/heic/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The 320 px JPEG variant of the first photo of a gallery, decoded as a shopper's browser would.
async fn small_variant(app: &TestApp, gallery: &Value) -> image::RgbImage {
    let url = gallery["items"][0]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["width"] == 320 && v["format"] == "jpeg")
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app.get(&url).await;
    assert_eq!(res.status(), 200, "{url}");
    image::load_from_memory(&res.bytes().await.unwrap())
        .unwrap()
        .to_rgb8()
}

/// Mean absolute difference per channel (0–255).
fn difference(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

async fn heic_upload_becomes_upright_variants_in_true_colours(app: TestApp) {
    // The reference: the upright JPEG of the same picture.
    let (status, reference) = upload(
        &app,
        &app.tea_token,
        1,
        vec![("a.jpg", fixture("orientation/landscape_1.jpg"))],
    )
    .await;
    assert_eq!(status, 201, "{reference}");
    // Stored sideways (400 × 600) with an irot property, as an iPhone held upright writes it.
    let (status, gallery) = upload(
        &app,
        &app.tea_token,
        2,
        vec![("IMG_0006.HEIC", heic("landscape_6.heic"))],
    )
    .await;
    assert_eq!(status, 201, "{gallery}");
    let photo = &gallery["items"][0];
    assert_eq!(
        (photo["width"].as_i64(), photo["height"].as_i64()),
        (Some(600), Some(400)),
        "a landscape photo stays landscape"
    );
    let mut shapes: Vec<(i64, &str)> = photo["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["width"].as_i64().unwrap(), v["format"].as_str().unwrap()))
        .collect();
    shapes.sort();
    assert_eq!(
        shapes,
        vec![(320, "jpeg"), (320, "webp"), (600, "jpeg"), (600, "webp")]
    );
    for v in photo["variants"].as_array().unwrap() {
        let res = app.get(v["url"].as_str().unwrap()).await;
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!(i64::from(decoded.width()), v["width"].as_i64().unwrap());
        assert!(!bytes.windows(4).any(|w| w == b"Exif"), "no EXIF kept");
    }

    let expected = small_variant(&app, &reference).await;
    let got = small_variant(&app, &gallery).await;
    let mirrored = image::imageops::flip_horizontal(&expected);
    // The comparison tells a mirrored or turned picture from the right one.
    assert!(difference(&expected, &mirrored) > 20.0);
    let diff = difference(&got, &expected);
    assert!(
        diff < 8.0,
        "the HEIC shows the same upright picture in the same colours (mean difference {diff:.1})"
    );
}

async fn hostile_heic_uploads_are_refused_like_hostile_jpegs(app: TestApp) {
    let before = app.snapshot().await;
    let files_before = app.media_keys().await;
    for (name, status, code) in [
        ("truncated.heic", 422, "corrupt_image"),
        ("corrupt-header.heic", 422, "corrupt_image"),
        ("huge-20000.heic", 413, "image_too_large"),
        ("huge-40000.heic", 413, "image_too_large"),
    ] {
        let (got, problem) = upload(&app, &app.tea_token, 1, vec![(name, heic(name))]).await;
        assert_eq!(
            (got, problem["code"].as_str()),
            (status, Some(code)),
            "{name}: {problem}"
        );
        assert!(
            problem["detail_vi"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}: a message in Vietnamese"
        );
    }
    assert_eq!(app.media_keys().await, files_before, "no files remain");
    assert_eq!(app.snapshot().await, before, "no photo row remains");
    assert_eq!(app.get("/healthz").await.status(), 200);
}
