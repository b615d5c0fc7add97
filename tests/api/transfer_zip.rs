//! A `.zip` of a sheet and its `photos/` folder, on both databases: real photos go through the
//! pipeline, a re-import adds no copies, and every kind of bad zip or photo leaves nothing
//! behind (no rows, no media objects).

use crate::both_backends;
use crate::helpers::{fixture, messages, TestApp};
use vungcao::error::AppError;
use vungcao::transfer::{self, ImportOptions, ImportReport, ZipLimits};

const TEA_COOP: &str = "htx-che-shan-tuyet-hong-thai";
const HEADER: &str = "kind,name_vi,description_vi,category,cooperative,price_vnd,photos";

fn tea(name: &str, photos: &str) -> String {
    format!("product,{name},Chè ngon của xã.,tea,{TEA_COOP},120000,\"{photos}\"")
}

fn sheet(rows: &[String]) -> Vec<u8> {
    let mut lines = vec![HEADER.to_owned()];
    lines.extend(rows.iter().cloned());
    lines.join("\r\n").into_bytes()
}

fn zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    crate::helpers::zip_of(entries)
}

async fn run(
    app: &TestApp,
    bytes: Vec<u8>,
    options: ImportOptions,
) -> Result<ImportReport, AppError> {
    transfer::run(&app.db, &app.media, bytes, options, |_, _, _| {}).await
}

/// `(content key, is cover)` of each photo of the listing with this slug, in gallery order.
async fn gallery(app: &TestApp, slug: &str) -> Vec<(String, bool)> {
    let slug = slug.to_owned();
    app.with_db(move |c| {
        let ids = vungcao::store::listings::ids_by_slugs(c, &[slug]).expect("ids");
        let Some((_, id)) = ids.first() else {
            return Vec::new();
        };
        let cover = vungcao::store::listings::row(c, *id)
            .expect("row")
            .and_then(|r| r.cover_photo_id);
        vungcao::store::photos::for_listings(c, &[*id])
            .expect("photos")
            .into_iter()
            .map(|p| (p.content_key, Some(p.id) == cover))
            .collect()
    })
    .await
}

both_backends!(
    a_zip_brings_photos_and_a_rerun_adds_no_copies,
    bad_photos_are_reported_per_row_and_leave_nothing_behind,
    unsafe_zips_and_zip_bombs_are_refused_whole,
);

async fn a_zip_brings_photos_and_a_rerun_adds_no_copies(app: TestApp) {
    let landscape = fixture("orientation/landscape_1.jpg");
    let portrait = fixture("orientation/portrait_1.jpg");
    // A folder zipped as a whole (as Windows' "Send to → Compressed folder" does), the photos
    // named with and without the folder, separated by ";" and a line break.
    let bundle = zip(&[
        (
            "htx-che/danh-sach.csv",
            sheet(&[
                tea("Chè xanh có ảnh", "photos/Lan.JPG;\nchan-dung.jpg"),
                tea("Chè đen có ảnh", "chan-dung.jpg"),
            ]),
        ),
        ("htx-che/photos/lan.jpg", landscape),
        ("htx-che/photos/chan-dung.jpg", portrait),
        ("__MACOSX/htx-che/photos/._lan.jpg", b"junk".to_vec()),
    ]);
    let report = run(&app, bundle.clone(), ImportOptions::default())
        .await
        .expect("import");
    assert_eq!(
        (report.added, report.written),
        (2, true),
        "{}",
        messages(&report)
    );
    let green = gallery(&app, "che-xanh-co-anh").await;
    assert_eq!(green.len(), 2, "{green:?}");
    assert!(green[0].1, "the first photo named is the cover: {green:?}");
    let black = gallery(&app, "che-den-co-anh").await;
    assert_eq!(black.len(), 1);
    // Content-addressed: the portrait is stored once for both listings.
    assert_eq!(black[0].0, green[1].0);
    let keys = app.media_keys().await;
    for (prefix, _) in &green {
        assert!(
            keys.iter().any(|k| k.starts_with(prefix.as_str())),
            "{prefix} stored"
        );
    }
    // The photo is served.
    let master = keys
        .iter()
        .find(|k| k.ends_with("640.webp"))
        .expect("a variant");
    assert_eq!(app.get(&format!("/media/{master}")).await.status(), 200);

    // The same zip again: nothing changes, no photo is duplicated, no object added.
    let snapshot = app.snapshot().await;
    let again = run(&app, bundle, ImportOptions::default())
        .await
        .expect("import");
    assert_eq!(
        (again.added, again.updated, again.unchanged),
        (0, 0, 2),
        "{}",
        messages(&again)
    );
    assert_eq!(app.snapshot().await, snapshot);
    assert_eq!(gallery(&app, "che-xanh-co-anh").await, green);
    assert_eq!(app.media_keys().await, keys);
}

async fn bad_photos_are_reported_per_row_and_leave_nothing_behind(app: TestApp) {
    let before = app.snapshot().await;
    let keys_before = app.media_keys().await;
    let bundle = zip(&[
        (
            "danh-sach.csv",
            sheet(&[
                tea("Chè có ảnh tốt", "tot.jpg"),
                tea("Chè thiếu ảnh", "khong-co.jpg"),
                tea("Chè ảnh giả", "gia.jpg"),
                tea("Chè đường dẫn lạ", "../../etc/passwd"),
            ]),
        ),
        ("photos/tot.jpg", fixture("orientation/landscape_2.jpg")),
        ("photos/gia.jpg", fixture("bad/not-an-image.jpg")),
    ]);
    let report = run(&app, bundle, ImportOptions::default())
        .await
        .expect("a report");
    assert!(!report.written);
    assert_eq!(report.invalid_rows, 3, "{}", messages(&report));
    let text = messages(&report);
    assert!(
        text.contains("3|photos|khong-co.jpg|there is no file «khong-co.jpg» in the zip's photos/ folder|Không có tệp «khong-co.jpg» trong thư mục photos/ của tệp zip."),
        "{text}"
    );
    assert!(text.contains("4|photos|gia.jpg|«gia.jpg» is not a JPEG, PNG or WebP photo|Tệp «gia.jpg» không phải ảnh JPEG, PNG hoặc WebP."), "{text}");
    assert!(text.contains("5|photos|../../etc/passwd|"), "{text}");
    assert_eq!(app.snapshot().await, before, "no rows written");
    assert_eq!(app.media_keys().await, keys_before, "no photo stored");

    // A photo over the size limit is a row problem found while checking, before any photo is
    // read or processed (the 12 MP phone photo is 2.9 MB; the limit here is 1 MB).
    let bundle = zip(&[
        (
            "danh-sach.csv",
            sheet(&[
                tea("Chè có ảnh tốt", "tot.jpg"),
                tea("Chè ảnh lớn", "lon.jpg"),
            ]),
        ),
        ("photos/tot.jpg", fixture("orientation/landscape_2.jpg")),
        ("photos/lon.jpg", fixture("phone-12mp.jpg")),
    ]);
    let small_photos = ImportOptions {
        max_photo_bytes: 1024 * 1024,
        ..ImportOptions::default()
    };
    let report = run(&app, bundle, small_photos).await.expect("a report");
    assert!(!report.written);
    assert_eq!(report.invalid_rows, 1, "{}", messages(&report));
    assert!(
        messages(&report).contains("3|photos|lon.jpg|«lon.jpg» is 3 MB; a photo may be at most 1 MB|Ảnh «lon.jpg» nặng 3 MB; mỗi ảnh tối đa 1 MB."),
        "{}",
        messages(&report)
    );
    assert_eq!(app.snapshot().await, before, "no rows written");
    assert_eq!(app.media_keys().await, keys_before, "no photo stored");

    // A photo that looks like a JPEG but is cut short fails in the pipeline, after the good
    // one was stored: the good one is removed again and nothing is written.
    let bundle = zip(&[
        (
            "danh-sach.csv",
            sheet(&[
                tea("Chè có ảnh tốt", "tot.jpg"),
                tea("Chè ảnh hỏng", "hong.jpg"),
            ]),
        ),
        ("photos/tot.jpg", fixture("orientation/landscape_2.jpg")),
        ("photos/hong.jpg", fixture("bad/truncated.jpg")),
    ]);
    let report = run(&app, bundle.clone(), ImportOptions::default())
        .await
        .expect("a report");
    assert!(!report.written, "{}", messages(&report));
    assert_eq!(report.problems.len(), 1, "{}", messages(&report));
    assert_eq!(
        (report.problems[0].row, report.problems[0].value.as_str()),
        (3, "hong.jpg")
    );
    assert!(!report.problems[0].message.vi.is_empty());
    assert_eq!(app.snapshot().await, before);
    assert_eq!(
        app.media_keys().await,
        keys_before,
        "the stored photo was removed"
    );

    // "Import the valid rows": the good row goes in with its photo, the broken one is reported.
    let partial = ImportOptions {
        partial: true,
        ..ImportOptions::default()
    };
    let report = run(&app, bundle, partial).await.expect("a report");
    assert_eq!(
        (report.written, report.added, report.invalid_rows),
        (true, 1, 1)
    );
    assert_eq!(gallery(&app, "che-co-anh-tot").await.len(), 1);
    assert!(gallery(&app, "che-anh-hong").await.is_empty());

    // A sheet that is not in a zip cannot bring photos.
    let alone = sheet(&[tea("Chè không zip", "tot.jpg")]);
    let report = run(&app, alone, ImportOptions::default())
        .await
        .expect("a report");
    assert!(
        messages(&report)
            .contains("Ảnh chỉ nhập được trong tệp .zip gồm bảng tính và thư mục photos/."),
        "{}",
        messages(&report)
    );
}

async fn unsafe_zips_and_zip_bombs_are_refused_whole(app: TestApp) {
    let before = app.snapshot().await;
    let keys_before = app.media_keys().await;
    let refusal = |r: Result<ImportReport, AppError>| -> (String, String) {
        let e = r.expect_err("refused");
        (
            e.detail.unwrap_or_default(),
            e.detail_vi.unwrap_or_default(),
        )
    };
    let csv = sheet(&[tea("Chè", "a.jpg")]);
    let photo = fixture("orientation/landscape_3.jpg");

    let escape = zip(&[
        ("danh-sach.csv", csv.clone()),
        ("photos/a.jpg", photo.clone()),
        ("../../tmp/evil.sh", b"rm -rf /".to_vec()),
    ]);
    let (en, vi) = refusal(run(&app, escape, ImportOptions::default()).await);
    assert!(
        en.contains("outside its own folder (../../tmp/evil.sh)"),
        "{en}"
    );
    assert!(vi.contains("nằm ngoài thư mục"), "{vi}");

    let absolute = zip(&[
        ("danh-sach.csv", csv.clone()),
        ("/etc/cron.d/x", b"x".to_vec()),
    ]);
    let (en, _) = refusal(run(&app, absolute, ImportOptions::default()).await);
    assert!(en.contains("outside its own folder"), "{en}");

    // 64 MB of zeros deflate to a few dozen kB: refused by its ratio, long before 64 MB are read.
    let bomb = zip(&[
        ("danh-sach.csv", csv.clone()),
        ("photos/a.jpg", vec![0u8; 64 * 1024 * 1024]),
    ]);
    assert!(bomb.len() < 1024 * 1024);
    let (en, vi) = refusal(run(&app, bomb, ImportOptions::default()).await);
    assert!(en.contains("zip bomb"), "{en}");
    assert!(vi.contains("bom zip"), "{vi}");

    // A zip within the ratio that expands past the total cap.
    let small_cap = ImportOptions {
        zip_limits: ZipLimits {
            max_total_bytes: 400 * 1024,
            ..ZipLimits::default()
        },
        ..ImportOptions::default()
    };
    let big = zip(&[
        ("danh-sach.csv", csv.clone()),
        ("photos/a.jpg", photo.clone()),
        ("photos/b.jpg", fixture("orientation/landscape_4.jpg")),
    ]);
    let (en, vi) = refusal(run(&app, big, small_cap).await);
    assert!(en.contains("expands to more than 1 MB"), "{en}");
    assert!(vi.contains("hãy chia thành nhiều tệp"), "{vi}");

    let no_sheet = zip(&[("photos/a.jpg", photo.clone())]);
    let (en, _) = refusal(run(&app, no_sheet, ImportOptions::default()).await);
    assert!(en.contains("holds no sheet"), "{en}");

    let two_sheets = zip(&[
        ("a.csv", csv.clone()),
        ("b.csv", csv),
        ("photos/a.jpg", photo),
    ]);
    let (en, _) = refusal(run(&app, two_sheets, ImportOptions::default()).await);
    assert!(en.contains("two sheets"), "{en}");

    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.media_keys().await, keys_before);
}
