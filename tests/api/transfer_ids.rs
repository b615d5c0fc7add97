//! Bulk import matching rows by the cooperative's own id ("Mã riêng" / `external_id`), on both
//! databases: renames update in place, a re-run changes nothing, export carries the column.

use crate::both_backends;
use crate::helpers::{messages, TestApp};
use vungcao::transfer::{self, Format, ImportOptions, ImportReport};

const TEA_COOP: &str = "htx-che-shan-tuyet-hong-thai";
const ORANGE_COOP: &str = "htx-cam-sanh-ham-yen";

/// Review off, so imported listings are published and show in exports.
fn published() -> ImportOptions {
    ImportOptions {
        review_required: false,
        ..ImportOptions::default()
    }
}

async fn import(app: &TestApp, bytes: Vec<u8>, options: ImportOptions) -> ImportReport {
    app.with_db(move |c| transfer::import(c, &bytes, &options, |_, _, _| {}))
        .await
        .expect("import")
}

fn csv(lines: &[String]) -> Vec<u8> {
    lines.join("\r\n").into_bytes()
}

const HEADER: &str = "Mã riêng;Loại;Tên;Mô tả;Danh mục;Hợp tác xã;Giá (đồng)";

fn row(external: &str, name: &str, coop: &str, price: &str) -> String {
    format!("{external};product;{name};Chè ngon của xã.;tea;{coop};{price}")
}

/// `(slug, name, price, external id)` of every listing of a cooperative, by id.
async fn listings_of(
    app: &TestApp,
    coop: &str,
) -> Vec<(String, String, Option<i64>, Option<String>)> {
    let coop = coop.to_owned();
    app.with_db(move |c| {
        let coop = vungcao::store::catalogue::cooperative_by_slug(c, &coop)
            .expect("coop")
            .expect("exists");
        let ids: Vec<i64> = vungcao::store::listings::published_of_cooperatives(c, &[coop.id])
            .expect("ids")
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        ids.into_iter()
            .map(|id| {
                let r = vungcao::store::listings::row(c, id)
                    .expect("row")
                    .expect("exists");
                (r.slug, r.name_vi, r.price_vnd, r.external_id)
            })
            .collect()
    })
    .await
}

both_backends!(
    rows_are_matched_by_external_id_so_a_rename_updates_in_place,
    external_ids_are_once_per_file_and_per_cooperative,
);

async fn rows_are_matched_by_external_id_so_a_rename_updates_in_place(app: TestApp) {
    let before = listings_of(&app, TEA_COOP).await.len();
    let file = csv(&[
        HEADER.to_owned(),
        row("SP-01", "Chè xanh Hồng Thái", TEA_COOP, "120.000 đ"),
        row("SP-02", "Chè đen Hồng Thái", TEA_COOP, "90000"),
    ]);
    let first = import(&app, file.clone(), published()).await;
    assert_eq!(
        (first.added, first.written),
        (2, true),
        "{}",
        messages(&first)
    );
    let stored = listings_of(&app, TEA_COOP).await;
    assert!(stored.contains(&(
        "che-xanh-hong-thai".into(),
        "Chè xanh Hồng Thái".into(),
        Some(120_000),
        Some("SP-01".into())
    )));

    // The same file again changes nothing.
    let after_first = app.snapshot().await;
    let again = import(&app, file, published()).await;
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 2));
    assert_eq!(app.snapshot().await, after_first);

    // A corrected file renames SP-01 and changes its price: the same listing, at the same
    // address, is updated; SP-02 is left alone.
    let corrected = csv(&[
        HEADER.to_owned(),
        row("SP-01", "Chè xanh đặc biệt", TEA_COOP, "125.000"),
        row("SP-02", "Chè đen Hồng Thái", TEA_COOP, "90000"),
    ]);
    let report = import(&app, corrected, published()).await;
    assert_eq!(
        (report.added, report.updated, report.unchanged),
        (0, 1, 1),
        "{}",
        messages(&report)
    );
    let stored = listings_of(&app, TEA_COOP).await;
    assert_eq!(stored.len(), before + 2, "no listing added by the rename");
    assert!(stored.contains(&(
        "che-xanh-hong-thai".into(),
        "Chè xanh đặc biệt".into(),
        Some(125_000),
        Some("SP-01".into())
    )));

    // Export writes the column, so every format's round trip changes nothing.
    let snapshot = app.snapshot().await;
    for format in [Format::Csv, Format::Xlsx, Format::Json] {
        let file = app
            .with_db(move |c| transfer::export(c, format, None).expect("export"))
            .await;
        if format == Format::Csv {
            let text = String::from_utf8_lossy(&file).into_owned();
            assert!(
                text.starts_with("\u{feff}Mã riêng / external_id,"),
                "{text:.80}"
            );
            assert!(text.contains("SP-01,"));
        }
        let report = import(&app, file, ImportOptions::default()).await;
        assert_eq!(report.problems, vec![], "{format:?}");
        assert_eq!(report.updated + report.added, 0, "{format:?}");
        assert_eq!(
            app.snapshot().await,
            snapshot,
            "{format:?} changed something"
        );
    }

    // A listing imported without an external id gets one when a later file names it (matched
    // by its slug, folded from the name), and then keeps matching by it.
    let without = format!("product,Chè vàng Hồng Thái,Chè ngon của xã.,tea,{TEA_COOP},80000");
    let header = "kind,name_vi,description_vi,category,cooperative,price_vnd";
    let first = import(&app, csv(&[header.to_owned(), without]), published()).await;
    assert_eq!(first.added, 1, "{}", messages(&first));
    let with = csv(&[
        HEADER.to_owned(),
        row("SP-03", "Chè vàng Hồng Thái", TEA_COOP, "80000"),
    ]);
    let adopted = import(&app, with.clone(), published()).await;
    assert_eq!(
        (adopted.added, adopted.updated),
        (0, 1),
        "{}",
        messages(&adopted)
    );
    let stored = listings_of(&app, TEA_COOP).await;
    assert!(stored.contains(&(
        "che-vang-hong-thai".into(),
        "Chè vàng Hồng Thái".into(),
        Some(80_000),
        Some("SP-03".into())
    )));
    let snapshot = app.snapshot().await;
    let again = import(&app, with, published()).await;
    assert_eq!(again.unchanged, 1);
    assert_eq!(app.snapshot().await, snapshot);
}

async fn external_ids_are_once_per_file_and_per_cooperative(app: TestApp) {
    let before = app.snapshot().await;
    let twice = csv(&[
        HEADER.to_owned(),
        row("SP-01", "Chè xanh Hồng Thái", TEA_COOP, "120000"),
        row("SP-01", "Chè đen Hồng Thái", TEA_COOP, "90000"),
    ]);
    let report = import(&app, twice, published()).await;
    assert!(!report.written);
    let problem = &report.problems[0];
    assert_eq!(
        (problem.row, problem.column.as_str(), problem.value.as_str()),
        (3, "Mã riêng", "SP-01")
    );
    assert_eq!(
        problem.message.vi,
        "Dòng 2 đã có mã riêng này: mỗi sản phẩm một dòng."
    );
    assert_eq!(app.snapshot().await, before, "nothing written");

    // The same external id in two cooperatives names two listings.
    let file = csv(&[
        HEADER.to_owned(),
        row("SP-01", "Chè xanh Hồng Thái", TEA_COOP, "120000"),
        row("SP-01", "Cam sành loại một", ORANGE_COOP, "30000"),
    ]);
    let report = import(&app, file.clone(), published()).await;
    assert_eq!(report.added, 2, "{}", messages(&report));
    let report = import(&app, file, published()).await;
    assert_eq!(report.unchanged, 2, "{}", messages(&report));
    let oranges = listings_of(&app, ORANGE_COOP).await;
    assert!(oranges
        .iter()
        .any(|l| l.1 == "Cam sành loại một" && l.3.as_deref() == Some("SP-01")));

    // A row whose external id differs from the one the listing with that slug carries is
    // refused rather than taking over the listing.
    let clash = csv(&[
        format!("Mã;{HEADER}"),
        format!(
            "che-xanh-hong-thai;{}",
            row("SP-99", "Chè xanh Hồng Thái", TEA_COOP, "120000")
        ),
    ]);
    let report = import(&app, clash, published()).await;
    assert!(!report.written);
    assert!(
        messages(&report).contains("has the external id SP-01"),
        "{}",
        messages(&report)
    );
}
