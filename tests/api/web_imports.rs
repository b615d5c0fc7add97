//! The bulk import pages over plain HTTP (no JavaScript): the upload form for admins and
//! members, the job page that refreshes itself while running and then shows the report.

use crate::both_backends;
use crate::helpers::TestApp;
use crate::web::{browser, page, sign_in};
use vungcao::store::import_jobs::{self, JobUpdate};
use vungcao::transfer::{ImportReport, Msg, RowProblem};

const TEA_COOP: &str = "htx-che-shan-tuyet-hong-thai";
const HEADER: &str = "kind,name_vi,description_vi,category,cooperative,price_vnd";

fn row(name: &str, coop: &str) -> String {
    format!("product,{name},Chè ngon của xã.,tea,{coop},120000")
}

/// The upload form's action (its CSRF token in the query string).
fn upload_action(html: &str) -> String {
    let marker = "enctype=\"multipart/form-data\" action=\"";
    let start = html.find(marker).expect("an upload form") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .replace("&#38;", "&")
}

/// Posts the form; answers the status and where the browser is sent.
async fn submit(
    client: &reqwest::Client,
    app: &TestApp,
    action: &str,
    file: Vec<u8>,
    partial: bool,
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(file).file_name("danh-sach.csv"),
    );
    if partial {
        form = form.text("partial", "1");
    }
    let res = client
        .post(app.url(action))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    (res.status().as_u16(), location)
}

/// Reloads the job page until it stops refreshing itself (what the browser does).
async fn finished_page(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    for _ in 0..400 {
        let (status, html) = page(client, app, path).await;
        assert_eq!(status, 200, "{path}");
        if !html.contains("http-equiv=\"refresh\"") {
            return html;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

async fn tea_coop_id(app: &TestApp) -> i64 {
    app.with_db(|c| {
        vungcao::store::catalogue::cooperative_by_slug(c, TEA_COOP)
            .expect("coop")
            .expect("exists")
            .id
    })
    .await
}

/// Writes a job's row as the replica running it would.
async fn save(
    app: &TestApp,
    id: i64,
    state: &'static str,
    stage: Option<&'static str>,
    (done, total): (i64, i64),
    report: Option<String>,
) {
    app.with_db(move |c| {
        let update = JobUpdate {
            state,
            stage,
            done,
            total,
            report: report.as_deref(),
            error: None,
        };
        import_jobs::update(c, id, &update).expect("saved")
    })
    .await
}

both_backends!(
    members_import_through_the_page_and_see_the_report,
    a_running_job_page_refreshes_itself_until_the_report,
    admins_import_from_the_page,
);

async fn members_import_through_the_page_and_see_the_report(app: TestApp) {
    // Signed out: the sign-in page, coming back here.
    let (status, _) = page(&browser(), &app, "/tai-khoan/nhap").await;
    assert_eq!(status, 303);
    let member = sign_in(&app, "tea@htx.vn").await;
    // The admin page does not exist for a member.
    let (status, _) = page(&member, &app, "/quan-tri/nhap").await;
    assert_eq!(status, 404);

    let (status, form) = page(&member, &app, "/tai-khoan/nhap").await;
    assert_eq!(status, 200);
    assert!(form.contains("<h1>Nhập danh sách sản phẩm</h1>"), "{form}");
    assert!(form.contains("Nhập các dòng hợp lệ (bỏ qua các dòng có lỗi)"));
    assert!(form.contains("name=\"file\"") && form.contains("name=\"partial\""));
    assert!(!form.contains("name=\"archive_missing\""), "admins only");
    assert!(form.contains("href=\"/api/v1/imports/template.xlsx\""));
    assert!(form.contains("href=\"/api/v1/my/export?format=xlsx\""));
    assert!(!form.contains("/api/v1/admin/export"));
    let (_, english) = page(&member, &app, "/tai-khoan/nhap?lang=en").await;
    assert!(english.contains("Import the valid rows (skip the rows with problems)"));
    // Back to Vietnamese (the choice is remembered in a cookie).
    let (_, form) = page(&member, &app, "/tai-khoan/nhap?lang=vi").await;
    let action = upload_action(&form);
    assert!(action.starts_with("/tai-khoan/nhap?csrf="), "{action}");

    // Without the form's token: refused, nothing read.
    let file = [
        HEADER.to_owned(),
        row("Chè trang nhập", TEA_COOP),
        row("Cam của người khác", "htx-cam-sanh-ham-yen"),
    ]
    .join("\n")
    .into_bytes();
    let (status, _) = submit(
        &member,
        &app,
        "/tai-khoan/nhap?csrf=forged",
        file.clone(),
        false,
    )
    .await;
    assert_eq!(status, 403);

    // One row belongs to another cooperative: nothing is written, the report says where and why.
    let before = app.snapshot().await;
    let (status, job) = submit(&member, &app, &action, file.clone(), false).await;
    assert_eq!(status, 303);
    assert!(job.starts_with("/tai-khoan/nhap/"), "{job}");
    let report = finished_page(&member, &app, &job).await;
    assert!(report.contains("Chưa ghi gì cả"), "{report}");
    assert!(report.contains("<th scope=\"col\">Dòng</th><th scope=\"col\">Cột</th><th scope=\"col\">Giá trị</th><th scope=\"col\">Vấn đề</th>"));
    assert!(
        report.contains("<td>3</td><td>cooperative</td><td>htx-cam-sanh-ham-yen</td><td>Bạn chỉ nhập được sản phẩm của hợp tác xã mình"),
        "{report}"
    );
    assert_eq!(app.snapshot().await, before);
    // The page survives a reload; another cooperative's member cannot see it.
    let (status, again) = page(&member, &app, &job).await;
    assert_eq!((status, again), (200, report));
    let orange = sign_in(&app, "orange@htx.vn").await;
    assert_eq!(page(&orange, &app, &job).await.0, 404);

    // "Import the valid rows": the good row goes in, the other is still reported.
    let (_, job) = submit(&member, &app, &action, file, true).await;
    let report = finished_page(&member, &app, &job).await;
    assert!(report.contains("Đã nhập xong."), "{report}");
    assert!(report.contains("<dt>Thêm mới</dt><dd>1</dd>"), "{report}");
    assert!(report.contains("<dt>Dòng lỗi</dt><dd>1</dd>"), "{report}");
    let added = app
        .with_db(|c| {
            vungcao::store::listings::ids_by_slugs(c, &["che-trang-nhap".into()]).expect("ids")
        })
        .await;
    assert_eq!(added.len(), 1);

    // An empty upload is answered on the form itself.
    let (status, _) = submit(&member, &app, &action, Vec::new(), false).await;
    assert_eq!(status, 400);
}

async fn a_running_job_page_refreshes_itself_until_the_report(app: TestApp) {
    let member = sign_in(&app, "tea@htx.vn").await;
    // A job another replica runs: only its row is here.
    let owner = tea_coop_id(&app).await;
    let id = app
        .with_db(move |c| import_jobs::insert(c, Some(owner)).expect("job"))
        .await;
    save(&app, id, "running", Some("writing"), (500, 2000), None).await;
    let path = format!("/tai-khoan/nhap/{id}");
    let (status, running) = page(&member, &app, &path).await;
    assert_eq!(status, 200);
    assert!(
        running.contains("<meta http-equiv=\"refresh\" content=\"2\">"),
        "{running}"
    );
    assert!(
        running.contains("Đang ghi: <progress max=\"2000\" value=\"500\"></progress> 500/2000"),
        "{running}"
    );
    let report = ImportReport {
        rows: 2000,
        added: 1999,
        invalid_rows: 1,
        written: true,
        problems: vec![RowProblem {
            row: 17,
            column: "Giá (đồng)".into(),
            value: "abc".into(),
            message: Msg::new("must be a price", "Giá phải là số đồng."),
        }],
        ..ImportReport::default()
    };
    let json = serde_json::to_string(&report).expect("json");
    save(&app, id, "done", None, (2000, 2000), Some(json)).await;
    let (_, done) = page(&member, &app, &format!("{path}?lang=en")).await;
    assert!(!done.contains("http-equiv=\"refresh\""), "{done}");
    assert!(
        done.contains("<td>17</td><td>Giá (đồng)</td><td>abc</td><td>must be a price</td>"),
        "{done}"
    );
    assert!(done.contains("<dt>Added</dt><dd>1999</dd>"), "{done}");
    // An admin sees any job; another cooperative and an unknown id get "not found".
    let admin = sign_in(&app, "admin@tuyenquang.gov.vn").await;
    assert_eq!(
        page(&admin, &app, &format!("/quan-tri/nhap/{id}")).await.0,
        200
    );
    assert_eq!(page(&admin, &app, "/quan-tri/nhap/999999999").await.0, 404);
    let orange = sign_in(&app, "orange@htx.vn").await;
    assert_eq!(page(&orange, &app, &path).await.0, 404);
}

async fn admins_import_from_the_page(app: TestApp) {
    let admin = sign_in(&app, "admin@tuyenquang.gov.vn").await;
    let (status, queue) = page(&admin, &app, "/quan-tri").await;
    assert_eq!(status, 200);
    assert!(queue.contains("href=\"/quan-tri/nhap\""));
    let (status, form) = page(&admin, &app, "/quan-tri/nhap").await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"archive_missing\""));
    assert!(form.contains("href=\"/api/v1/admin/export?format=csv\""));
    // The export link works with the admin's session.
    let export = admin
        .get(app.url("/api/v1/admin/export?format=csv"))
        .send()
        .await
        .expect("export");
    assert_eq!(export.status(), 200);

    let file = [HEADER.to_owned(), row("Chè của quản trị", TEA_COOP)]
        .join("\n")
        .into_bytes();
    let (status, job) = submit(&admin, &app, &upload_action(&form), file, false).await;
    assert_eq!(status, 303);
    assert!(job.starts_with("/quan-tri/nhap/"), "{job}");
    let report = finished_page(&admin, &app, &job).await;
    assert!(report.contains("Đã nhập xong."), "{report}");
    assert!(report.contains("<dt>Thêm mới</dt><dd>1</dd>"), "{report}");
}
