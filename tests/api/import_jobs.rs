//! Import jobs outlive the process that ran them: any replica answers for a job, and a job
//! whose server stopped is reported failed (in both languages), on both databases.

use crate::both_backends;
use crate::helpers::TestApp;
use serde_json::Value;
use vungcao::store::import_jobs;

const HEADER: &str = "kind,name_vi,description_vi,category,cooperative,price_vnd";

async fn get(address: &str, path: &str, token: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(format!("{address}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Uploads a file as `token` and waits for its job; answers the job's path.
pub(crate) async fn import(app: &TestApp, path: &str, token: &str, file: String) -> String {
    let location = crate::helpers::start_import(app, path, token, file.into_bytes()).await;
    for _ in 0..400 {
        let (_, job) = get(&app.address, &location, token).await;
        if job["state"] != "running" {
            return location;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

/// `(state, error)` of a job's row.
async fn row(app: &TestApp, id: i64) -> (String, String) {
    app.with_db(move |c| {
        let r = import_jobs::get(c, id).expect("row").expect("exists");
        (r.state, r.error.unwrap_or_default())
    })
    .await
}

both_backends!(
    another_replica_answers_for_a_finished_import,
    an_import_whose_server_stopped_is_reported_failed,
);

async fn another_replica_answers_for_a_finished_import(app: TestApp) {
    let file = format!(
        "{HEADER}\nproduct,Chè ở bản sao,Chè ngon.,tea,htx-che-shan-tuyet-hong-thai,90000\nproduct,Chè lỗi,Chè ngon.,tea,htx-khong-co,1"
    );
    let admin_job = import(&app, "/api/v1/admin/imports", &app.admin_token, file).await;
    let (_, here) = get(&app.address, &admin_job, &app.admin_token).await;
    let replica = app.spawn_replica().await;
    let (status, there) = get(&replica.address, &admin_job, &app.admin_token).await;
    assert_eq!(status, 200, "{there}");
    assert_eq!(there["state"], "done", "{there}");
    assert_eq!(
        there["report"], here["report"],
        "the same report from the row"
    );
    assert_eq!(there["report"]["problems"][0]["row"], 3, "{there}");
    assert_eq!(
        there["report"]["problems"][0]["message"]["vi"], "Hợp tác xã không có trong danh sách.",
        "{there}"
    );

    // A member's job, from the replica too: theirs only.
    let mine = format!("{HEADER}\nproduct,Chè của tôi,Chè ngon.,tea,,90000");
    let member_job = import(&app, "/api/v1/my/imports", &app.tea_token, mine).await;
    let (status, job) = get(&replica.address, &member_job, &app.tea_token).await;
    assert_eq!(
        (status, job["state"].as_str()),
        (200, Some("done")),
        "{job}"
    );
    assert_eq!(job["report"]["added"], 1);
    let (status, _) = get(&replica.address, &member_job, &app.orange_token).await;
    assert_eq!(status, 404);
}

async fn an_import_whose_server_stopped_is_reported_failed(app: TestApp) {
    // Jobs left "running" by a server that stopped: one an hour ago, one a moment ago.
    let (old, recent) = app
        .with_db(|c| {
            let old = import_jobs::insert(c, None).expect("job");
            let recent = import_jobs::insert(c, None).expect("job");
            let sql = format!(
                "UPDATE import_jobs SET updated_at = '2020-01-01 00:00:00' WHERE id = {old}"
            );
            vungcao::with_conn!(c, |c| diesel::RunQueryDsl::execute(
                diesel::sql_query(sql),
                c
            ))
            .expect("aged");
            (old, recent)
        })
        .await;
    // Its heartbeat stopped long ago: every server reports it failed, saying what to do.
    let (status, job) = get(
        &app.address,
        &format!("/api/v1/admin/imports/{old}"),
        &app.admin_token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(job["state"], "failed", "{job}");
    assert!(
        job["error"]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("stopped before it finished"),
        "{job}"
    );
    assert!(
        job["error"]["detail_vi"]
            .as_str()
            .unwrap_or_default()
            .contains("Máy chủ đang chạy lần nhập này đã dừng trước khi xong"),
        "{job}"
    );
    let (status, recent_job) = get(
        &app.address,
        &format!("/api/v1/admin/imports/{recent}"),
        &app.admin_token,
    )
    .await;
    assert_eq!(
        (status, recent_job["state"].as_str()),
        (200, Some("running"))
    );

    // A server starting up marks it failed in the table. With PostgreSQL (replicas share the
    // database) a job with a live heartbeat is left to its server; with SQLite (one process)
    // the starting server knows no other runs it.
    assert_eq!(row(&app, old).await.0, "running");
    let _replica = app.spawn_replica().await;
    let (state, error) = row(&app, old).await;
    assert_eq!(state, "failed");
    assert!(
        error.contains("upload the file again") || error.contains("Upload the file again"),
        "{error}"
    );
    let expected = match app.db.backend() {
        vungcao::store::Backend::Sqlite => "failed",
        vungcao::store::Backend::Postgres => "running",
    };
    assert_eq!(row(&app, recent).await.0, expected);
}
