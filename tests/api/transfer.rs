//! Bulk import and export (`vungcao::transfer`): round trips and every kind of bad input, on
//! both databases. Fixture files are built here (xlsx with rust_xlsxwriter).

use crate::both_backends;
use crate::helpers::{messages, TestApp};
use unicode_normalization::UnicodeNormalization;
use vungcao::error::AppError;
use vungcao::transfer::{self, Format, ImportOptions, ImportReport};

const TEA_COOP: &str = "htx-che-shan-tuyet-hong-thai";

async fn import(
    app: &TestApp,
    bytes: Vec<u8>,
    options: ImportOptions,
) -> Result<ImportReport, AppError> {
    app.with_db(move |c| transfer::import(c, &bytes, &options, |_, _, _| {}))
        .await
}

async fn export(app: &TestApp, format: Format) -> Vec<u8> {
    app.with_db(move |c| transfer::export(c, format, None).expect("export"))
        .await
}

fn csv(lines: &[&str]) -> Vec<u8> {
    lines.join("\r\n").into_bytes()
}

const HEADER: &str = "kind,name_vi,description_vi,category,cooperative,price_vnd,ocop_stars,unit";

fn tea_row(name: &str, price: &str) -> String {
    format!("product,{name},Chè ngon của xã.,tea,{TEA_COOP},\"{price}\",4 sao,túi 200 g")
}

/// `(slug, status, price)` of a listing, or None.
async fn stored(app: &TestApp, slug: &str) -> Option<(String, String, Option<i64>, String)> {
    let slug = slug.to_owned();
    app.with_db(move |c| {
        let ids = vungcao::store::listings::ids_by_slugs(c, &[slug]).expect("ids");
        let id = ids.first()?.1;
        let row = vungcao::store::listings::row(c, id).expect("row")?;
        Some((row.slug, row.status, row.price_vnd, row.name_vi))
    })
    .await
}

both_backends!(
    export_then_import_changes_nothing,
    a_sheet_adds_then_a_rerun_changes_nothing,
    wrong_headers_are_named_with_the_expected_ones,
    an_invalid_row_stops_everything_unless_partial,
    spellings_people_use_are_understood,
    excel_sheets_with_serials_text_numbers_merges_and_formulas,
    csv_in_windows_1258_and_utf_16,
    a_member_imports_only_for_their_cooperative,
    archive_missing_archives_only_what_the_file_leaves_out,
    a_commune_that_skips_review_publishes_at_once,
);

async fn export_then_import_changes_nothing(app: TestApp) {
    let before = app.snapshot().await;
    for format in [Format::Json, Format::Csv, Format::Xlsx] {
        let file = export(&app, format).await;
        let report = import(&app, file, ImportOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e:?}"));
        assert_eq!(report.problems, vec![], "{format:?}");
        assert_eq!(
            (report.rows, report.added, report.updated, report.unchanged),
            (34, 0, 0, 34),
            "{format:?}"
        );
        assert_eq!(app.snapshot().await, before, "{format:?} changed something");
    }
}

async fn a_sheet_adds_then_a_rerun_changes_nothing(app: TestApp) {
    let file = csv(&[
        HEADER,
        &tea_row("Chè xanh Hồng Thái", "120.000 đ"),
        &tea_row("Chè đen Hồng Thái", "90000"),
    ]);
    let first = import(&app, file.clone(), ImportOptions::default())
        .await
        .expect("import");
    assert_eq!(
        (first.added, first.written),
        (2, true),
        "{}",
        messages(&first)
    );
    let (_, status, price, _) = stored(&app, "che-xanh-hong-thai").await.expect("stored");
    // Review is on and Hồng Thái does not skip it: the listing waits for an admin.
    assert_eq!((status.as_str(), price), ("pending", Some(120_000)));
    let after_first = app.snapshot().await;
    let second = import(&app, file, ImportOptions::default())
        .await
        .expect("import");
    assert_eq!((second.added, second.updated, second.unchanged), (0, 0, 2));
    assert_eq!(app.snapshot().await, after_first);
    // A corrected file updates only what changed.
    let corrected = csv(&[
        HEADER,
        &tea_row("Chè xanh Hồng Thái", "125.000 đ"),
        &tea_row("Chè đen Hồng Thái", "90000"),
    ]);
    let third = import(&app, corrected, ImportOptions::default())
        .await
        .expect("import");
    assert_eq!((third.added, third.updated, third.unchanged), (0, 1, 1));
    assert_eq!(
        stored(&app, "che-xanh-hong-thai").await.expect("stored").2,
        Some(125_000)
    );
}

async fn wrong_headers_are_named_with_the_expected_ones(app: TestApp) {
    let before = app.snapshot().await;
    let file = csv(&["loai,ten,colour", "product,Chè,đỏ"]);
    let e = import(&app, file, ImportOptions::default())
        .await
        .expect_err("refused");
    let en = e.detail.clone().unwrap_or_default();
    let vi = e.detail_vi.clone().unwrap_or_default();
    assert!(en.contains("unknown columns: colour"), "{en}");
    assert!(
        en.contains("missing columns: description_vi, category, cooperative"),
        "{en}"
    );
    assert!(
        en.contains(
            "Expected columns: Mã riêng / external_id, Mã / slug, Loại / kind, Tên / name_vi"
        ),
        "{en}"
    );
    assert!(vi.contains("cột không nhận ra: colour"), "{vi}");
    assert_eq!(app.snapshot().await, before);
}

async fn an_invalid_row_stops_everything_unless_partial(app: TestApp) {
    let before = app.snapshot().await;
    let mut lines = vec![HEADER.to_owned()];
    for i in 0..1500 {
        let row = match i {
            100 => tea_row(&format!("Chè số {i}"), "free"),
            700 => format!("product,Chè số {i},Mô tả,no-such-category,{TEA_COOP},1000,,"),
            1400 => format!("product,Chè số {i},Mô tả,tea,{TEA_COOP},1000,6 sao,"),
            _ => tea_row(&format!("Chè số {i}"), "1.000"),
        };
        lines.push(row);
        if i == 50 {
            lines.push(",,,,,,,".into()); // an empty row in the middle
        }
    }
    let file = lines.join("\n").into_bytes();
    let report = import(&app, file.clone(), ImportOptions::default())
        .await
        .expect("report");
    assert!(!report.written);
    assert_eq!(report.invalid_rows, 3, "{}", messages(&report));
    let rows: Vec<usize> = report.problems.iter().map(|p| p.row).collect();
    // Line numbers as the user sees them: header is 1, the empty line 53 is skipped.
    assert_eq!(rows, vec![103, 703, 1403], "{}", messages(&report));
    let text = messages(&report);
    assert!(
        text.contains("103|price_vnd|free|must be a price in đồng"),
        "{text}"
    );
    assert!(
        text.contains(
            "703|category|no-such-category|unknown category|Loại hàng không có trong danh sách."
        ),
        "{text}"
    );
    assert!(
        text.contains("1403|ocop_stars|6|must be 3, 4 or 5|Chỉ 3, 4 hoặc 5 sao."),
        "{text}"
    );
    assert_eq!(app.snapshot().await, before, "nothing half-imported");

    let partial = import(
        &app,
        file,
        ImportOptions {
            partial: true,
            ..ImportOptions::default()
        },
    )
    .await
    .expect("report");
    assert!(partial.written);
    assert_eq!((partial.added, partial.invalid_rows), (1497, 3));
    assert!(stored(&app, "che-so-99").await.is_some());
    assert!(stored(&app, "che-so-100").await.is_none());
}

async fn spellings_people_use_are_understood(app: TestApp) {
    let nfd: String = "  Mật ong bạc hà  ".nfd().collect();
    let file = csv(&[
        "Loại;Tên;Mô tả;Danh mục;Hợp tác xã;Giá (đồng);Sao OCOP;Tháng mùa vụ",
        &format!(
            "sản phẩm;{nfd};  Mật ong của bản. ;Mật ong;{TEA_COOP};450.000đ;4 sao;tháng 3; tháng 4"
        ),
    ]);
    let report = import(&app, file, ImportOptions::default())
        .await
        .expect("report");
    assert_eq!(report.added, 1, "{}", messages(&report));
    let (slug, _, price, name) = stored(&app, "mat-ong-bac-ha").await.expect("stored");
    assert_eq!(
        (slug.as_str(), price, name.as_str()),
        ("mat-ong-bac-ha", Some(450_000), "Mật ong bạc hà")
    );
}

fn xlsx(build: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    build(sheet);
    book.save_to_buffer().expect("xlsx")
}

async fn excel_sheets_with_serials_text_numbers_merges_and_formulas(app: TestApp) {
    let headers = [
        "Loại",
        "Tên",
        "Mô tả",
        "Danh mục",
        "Hợp tác xã",
        "Giá (đồng)",
        "Sao OCOP",
        "Ngày bắt đầu",
        "Ngày kết thúc",
        "Lặp lại hằng năm",
    ];
    let good = xlsx(|s| {
        for (c, h) in headers.iter().enumerate() {
            s.write_string(0, c as u16, *h).expect("cell");
        }
        let event = [
            "sự kiện",
            "Lễ hội hoa lê thử",
            "Lễ hội mùa xuân.",
            "festival",
            TEA_COOP,
        ];
        for (c, v) in event.iter().enumerate() {
            s.write_string(1, c as u16, *v).expect("cell");
        }
        s.write_string(1, 5, "50000")
            .expect("number stored as text");
        s.write_number(1, 7, 46430.0).expect("serial date"); // 2027-02-12
        s.write_string(1, 8, "46432").expect("serial as text"); // 2027-02-14
        s.write_boolean(1, 9, true).expect("bool");
        // Row 3 left empty; row 4 a product with a real number price.
        let tea = ["product", "Chè thử Excel", "Chè ngon.", "tea", TEA_COOP];
        for (c, v) in tea.iter().enumerate() {
            s.write_string(3, c as u16, *v).expect("cell");
        }
        s.write_number(3, 5, 450000.0).expect("number");
        s.write_number(3, 6, 5.0).expect("number");
    });
    let report = import(&app, good, ImportOptions::default())
        .await
        .expect("report");
    assert_eq!(report.added, 2, "{}", messages(&report));
    let event = app
        .with_db(|c| {
            let id = vungcao::store::listings::ids_by_slugs(c, &["le-hoi-hoa-le-thu".into()])
                .expect("ids")[0]
                .1;
            vungcao::store::listings::row(c, id)
                .expect("row")
                .expect("row")
        })
        .await;
    assert_eq!(
        event.event_start.map(|d| d.to_string()).as_deref(),
        Some("2027-02-12")
    );
    assert_eq!(
        event.event_end.map(|d| d.to_string()).as_deref(),
        Some("2027-02-14")
    );
    assert!(event.recurs_yearly);
    assert_eq!(event.price_vnd, Some(50_000));

    let before = app.snapshot().await;
    let bad = xlsx(|s| {
        for (c, h) in headers.iter().enumerate() {
            s.write_string(0, c as u16, *h).expect("cell");
        }
        for r in 1..=3u32 {
            s.write_string(r, 0, "product").expect("cell");
            s.write_string(r, 1, format!("Chè gộp {r}")).expect("cell");
            s.write_string(r, 2, "Chè.").expect("cell");
            s.write_string(r, 4, TEA_COOP).expect("cell");
            s.write_number(r, 5, 1000.0).expect("cell");
        }
        s.merge_range(1, 3, 3, 3, "tea", &rust_xlsxwriter::Format::new())
            .expect("merge");
        s.write_formula(2, 5, "=F2*2").expect("formula");
    });
    let report = import(&app, bad, ImportOptions::default())
        .await
        .expect("report");
    assert!(!report.written);
    let text = messages(&report);
    assert!(
        text.contains("2|Danh mục|tea|merged cells (D2:D4)"),
        "{text}"
    );
    assert!(
        text.contains(
            "4|Danh mục||merged cells (D2:D4): unmerge them and fill in every row|Ô bị gộp"
        ),
        "{text}"
    );
    assert!(text.contains("3|Giá (đồng)|"), "{text}");
    assert!(text.contains("this cell holds a formula (=F2*2)"), "{text}");
    assert_eq!(app.snapshot().await, before);
}

async fn csv_in_windows_1258_and_utf_16(app: TestApp) {
    let text = format!("{HEADER}\r\n{}\r\n", tea_row("Chè búp Hồng Thái", "1000"));
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let report = import(&app, utf16, ImportOptions::default())
        .await
        .expect("report");
    assert_eq!(report.added, 1, "{}", messages(&report));
    assert_eq!(
        stored(&app, "che-bup-hong-thai").await.expect("stored").3,
        "Chè búp Hồng Thái"
    );
    // Windows-1258: "ê" precomposed, tone marks as combining bytes ("Chè" = Ch e 0xCC).
    let mut cp1258 = HEADER.as_bytes().to_vec();
    cp1258.extend(b"\r\nproduct,Che\xCC t\xF4m,Ngon,tea,htx-che-shan-tuyet-hong-thai,1000,,\r\n");
    let report = import(&app, cp1258, ImportOptions::default())
        .await
        .expect("report");
    assert_eq!(report.added, 1, "{}", messages(&report));
    assert_eq!(stored(&app, "che-tom").await.expect("stored").3, "Chè tôm");
}

async fn a_member_imports_only_for_their_cooperative(app: TestApp) {
    let before = app.snapshot().await;
    let member = ImportOptions {
        cooperative: Some(TEA_COOP.into()),
        ..ImportOptions::default()
    };
    let file = csv(&[
        "kind,name_vi,description_vi,category,cooperative,price_vnd",
        "product,Cam của người khác,Cam.,fruit,htx-cam-sanh-ham-yen,1000",
        "product,Chè của mình,Chè.,tea,,1000",
    ]);
    let report = import(&app, file, member.clone()).await.expect("report");
    assert!(!report.written);
    let text = messages(&report);
    assert!(
        text.contains(
            "2|cooperative|htx-cam-sanh-ham-yen|you may import only listings of your cooperative"
        ),
        "{text}"
    );
    assert_eq!(report.invalid_rows, 1);
    assert_eq!(app.snapshot().await, before);
    // Taking over another cooperative's listing by its slug is refused too.
    let mut file: serde_json::Value =
        serde_json::from_slice(&export(&app, Format::Json).await).expect("json");
    let mut orange = file["listings"]
        .as_array()
        .expect("listings")
        .iter()
        .find(|l| l["cooperative"] == "htx-cam-sanh-ham-yen")
        .expect("an orange listing")
        .clone();
    orange["cooperative"] = TEA_COOP.into();
    file["listings"] = serde_json::json!([orange]);
    let report = import(&app, serde_json::to_vec(&file).expect("json"), member)
        .await
        .expect("report");
    assert!(
        messages(&report).contains(
            "a listing of another cooperative (htx-cam-sanh-ham-yen) already uses this slug"
        ),
        "{}",
        messages(&report)
    );
    assert_eq!(app.snapshot().await, before);
}

async fn archive_missing_archives_only_what_the_file_leaves_out(app: TestApp) {
    let mut file: serde_json::Value =
        serde_json::from_slice(&export(&app, Format::Json).await).expect("json");
    let listings = file["listings"].as_array().expect("listings").clone();
    let tea: Vec<serde_json::Value> = listings
        .iter()
        .filter(|l| l["cooperative"] == TEA_COOP)
        .cloned()
        .collect();
    assert!(tea.len() >= 2, "the demo has several tea listings");
    let dropped_slug = tea[0]["slug"].as_str().expect("slug").to_owned();
    file["listings"] = serde_json::Value::Array(tea[1..].to_vec());
    let bytes = serde_json::to_vec(&file).expect("json");
    let plain = import(&app, bytes.clone(), ImportOptions::default())
        .await
        .expect("report");
    assert_eq!(plain.archived, 0);
    assert_eq!(
        stored(&app, &dropped_slug).await.expect("stored").1,
        "published"
    );
    let report = import(
        &app,
        bytes,
        ImportOptions {
            archive_missing: true,
            ..ImportOptions::default()
        },
    )
    .await
    .expect("report");
    assert_eq!(
        (report.archived, report.unchanged),
        (1, tea.len() - 1),
        "{}",
        messages(&report)
    );
    assert_eq!(
        stored(&app, &dropped_slug).await.expect("stored").1,
        "archived"
    );
    // Other cooperatives' listings (absent from the file too) are not touched.
    let orange = listings
        .iter()
        .find(|l| l["cooperative"] == "htx-cam-sanh-ham-yen")
        .expect("orange");
    assert_eq!(
        stored(&app, orange["slug"].as_str().expect("slug"))
            .await
            .expect("stored")
            .1,
        "published"
    );
}

async fn a_commune_that_skips_review_publishes_at_once(app: TestApp) {
    app.skip_review_at("TQ-NH-HT").await;
    let file = csv(&[HEADER, &tea_row("Chè mới xuất bản", "1000")]);
    let report = import(&app, file, ImportOptions::default())
        .await
        .expect("report");
    assert_eq!(report.added, 1, "{}", messages(&report));
    assert_eq!(
        stored(&app, "che-moi-xuat-ban").await.expect("stored").1,
        "published"
    );
    // It went through the outbox, so search finds it.
    app.indexed().await;
    let (status, body) = app
        .get_json("/api/v1/search?q=che%20moi%20xuat%20ban")
        .await;
    assert_eq!(status, 200);
    assert!(body.to_string().contains("che-moi-xuat-ban"), "{body}");
}

both_backends!(ten_thousand_synthetic_listings_round_trip);

async fn ten_thousand_synthetic_listings_round_trip(app: TestApp) {
    app.with_db(|c| vungcao::demo::load_synthetic(c, 10_000, 7, |_, _| {}).expect("synthetic"))
        .await;
    let before = app.snapshot().await;
    for format in [Format::Csv, Format::Xlsx, Format::Json] {
        let file = export(&app, format).await;
        let report = import(&app, file, ImportOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e:?}"));
        assert_eq!(report.problems.first(), None, "{format:?}");
        assert_eq!(
            (report.rows, report.added, report.updated, report.unchanged),
            (10_034, 0, 0, 10_034),
            "{format:?}"
        );
    }
    let after = app.snapshot().await;
    if after != before {
        let first = after
            .chars()
            .zip(before.chars())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let near = |s: &str| {
            s.chars()
                .skip(first.saturating_sub(300))
                .take(600)
                .collect::<String>()
        };
        panic!(
            "the round trip changed something:\nafter:  {}\nbefore: {}",
            near(&after),
            near(&before)
        );
    }
}

both_backends!(
    uploads_run_as_jobs_with_a_report,
    templates_and_exports_download
);

async fn upload(app: &TestApp, path: &str, token: &str, bytes: Vec<u8>) -> serde_json::Value {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Content-Type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    // Poll the job until it is no longer running (what a page does after a reload).
    for _ in 0..400 {
        let job: serde_json::Value = app
            .client
            .get(app.url(&location))
            .bearer_auth(token)
            .send()
            .await
            .expect("job")
            .json()
            .await
            .expect("json");
        if job["state"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

async fn uploads_run_as_jobs_with_a_report(app: TestApp) {
    // The CSV template reads back: its three example rows (one per kind) import.
    let template = app
        .client
        .get(app.url("/api/v1/imports/template.csv"))
        .send()
        .await
        .expect("template");
    assert_eq!(template.status(), 200);
    let template = template.bytes().await.expect("bytes").to_vec();
    let job = upload(
        &app,
        "/api/v1/admin/imports",
        &app.admin_token,
        template.clone(),
    )
    .await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["report"]["added"], 3, "{job}");
    assert_eq!(job["report"]["written"], true);
    let again = upload(&app, "/api/v1/admin/imports", &app.admin_token, template).await;
    assert_eq!(again["report"]["unchanged"], 3, "{again}");

    // A member's upload is limited to their cooperative, with the per-row report in both languages.
    let before = app.snapshot().await;
    let file = csv(&[
        HEADER,
        &tea_row("Chè của HTX chè", "1000").replace(TEA_COOP, "htx-cam-sanh-ham-yen"),
    ]);
    let job = upload(&app, "/api/v1/my/imports", &app.tea_token, file).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["report"]["written"], false);
    let problem = &job["report"]["problems"][0];
    assert_eq!(
        (problem["row"].as_u64(), problem["column"].as_str()),
        (Some(2), Some("cooperative"))
    );
    assert!(problem["message"]["vi"]
        .as_str()
        .unwrap_or_default()
        .contains("Bạn chỉ nhập được sản phẩm của hợp tác xã mình"));
    assert_eq!(app.snapshot().await, before);
    // Another cooperative cannot read that job; a refused file says why in both languages.
    let id = job["id"].as_u64().expect("id");
    let other = app
        .client
        .get(app.url(&format!("/api/v1/my/imports/{id}")))
        .bearer_auth(&app.orange_token)
        .send()
        .await
        .expect("job");
    assert_eq!(other.status(), 404);
    let refused = upload(
        &app,
        "/api/v1/my/imports",
        &app.tea_token,
        b"colour,size\nred,big\n".to_vec(),
    )
    .await;
    assert_eq!(refused["state"], "refused", "{refused}");
    assert!(
        refused["error"]["detail_vi"]
            .as_str()
            .unwrap_or_default()
            .contains("thiếu cột"),
        "{refused}"
    );
    // Members cannot use the admin door.
    let forbidden = app
        .client
        .post(app.url("/api/v1/admin/imports"))
        .bearer_auth(&app.tea_token)
        .body("x")
        .send()
        .await
        .expect("post");
    assert_eq!(forbidden.status(), 403);
}

async fn templates_and_exports_download(app: TestApp) {
    let xlsx = app
        .client
        .get(app.url("/api/v1/imports/template.xlsx"))
        .send()
        .await
        .expect("template");
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.headers()["content-disposition"]
        .to_str()
        .unwrap_or_default()
        .contains(".xlsx"));
    let bytes = xlsx.bytes().await.expect("bytes").to_vec();
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx");
    assert_eq!(
        book.sheet_names(),
        vec![
            "Danh sách sản phẩm".to_owned(),
            "Mã hợp lệ (codes)".to_owned()
        ]
    );
    let sheet = book.worksheet_range("Danh sách sản phẩm").expect("sheet");
    assert_eq!(
        sheet.get_value((0, 0)).map(|v| v.to_string()).as_deref(),
        Some("Mã riêng / external_id")
    );
    assert_eq!(
        sheet.get_value((0, 3)).map(|v| v.to_string()).as_deref(),
        Some("Tên / name_vi")
    );
    assert_eq!(sheet.height(), 4, "headers and one example per kind");
    let codes = book.worksheet_range("Mã hợp lệ (codes)").expect("codes");
    assert!(codes
        .rows()
        .any(|r| r[1] == "geographical_indication" && r[2] == "Chỉ dẫn địa lý"));
    assert!(codes.rows().any(|r| r[0] == "place" && r[1] == "TQ-NH-HT"));

    let all = app
        .client
        .get(app.url("/api/v1/admin/export?format=csv"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("export");
    assert_eq!(all.status(), 200);
    let all = all.text().await.expect("text");
    assert!(all.contains("htx-cam-sanh-ham-yen") && all.contains(TEA_COOP));
    let mine = app
        .client
        .get(app.url("/api/v1/my/export?format=csv"))
        .bearer_auth(&app.tea_token)
        .send()
        .await
        .expect("export");
    let mine = mine.text().await.expect("text");
    assert!(mine.contains(TEA_COOP) && !mine.contains("htx-cam-sanh-ham-yen"));
    let anonymous = app
        .client
        .get(app.url("/api/v1/admin/export"))
        .send()
        .await
        .expect("export");
    assert_eq!(anonymous.status(), 401);
}
