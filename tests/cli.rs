//! The `vungcao` command line as operators' scripts use it (embedded SQLite in a temp dir).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

struct Cli {
    dir: tempfile::TempDir,
    /// A PostgreSQL database instead of the embedded SQLite file.
    database_url: Option<String>,
}

impl Cli {
    fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().unwrap(),
            database_url: None,
        }
    }

    /// The database URL the commands use.
    fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            self.dir
                .path()
                .join("data/vungcao.db")
                .to_string_lossy()
                .into_owned()
        })
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vungcao"))
            .args(args)
            .current_dir(self.dir.path())
            .env("VUNGCAO_DATABASE_URL", self.database_url())
            .env_remove("VUNGCAO_MEILI_URL")
            .env("VUNGCAO_DATA_DIR", self.dir.path().join("data"))
            .env("VUNGCAO_MEDIA_URL", self.dir.path().join("media"))
            .env("VUNGCAO_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: Option<&str>) -> (String, String) {
        let out = self.run(args, stdin);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(
            out.status.success(),
            "vungcao {args:?} failed:\n{stdout}\n{stderr}"
        );
        (stdout, stderr)
    }
}

#[test]
fn every_command_has_help() {
    let cli = Cli::new();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["demo", "--help"],
        vec!["coop", "add", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "passwd", "--help"],
        vec!["user", "disable", "--help"],
        vec!["user", "enable", "--help"],
        vec!["token", "create", "--help"],
        vec!["import", "--help"],
        vec!["export", "--help"],
        vec!["reindex", "--help"],
        vec!["check", "--help"],
        vec!["healthcheck", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
    ] {
        let (stdout, _) = cli.ok(&args, None);
        assert!(stdout.contains("Usage: vungcao"), "{args:?}");
    }
}

#[test]
fn an_operator_sets_up_a_commune() {
    let cli = Cli::new();
    let (_, migrated) = cli.ok(&["migrate"], None);
    assert!(
        migrated.contains("migrations applied (sqlite)"),
        "{migrated}"
    );
    let (_, first) = cli.ok(&["demo"], None);
    assert!(first.contains("34 listings added"), "{first}");
    let (_, second) = cli.ok(&["demo"], None);
    assert!(
        second.contains("0 listings added, 34 already there"),
        "idempotent: {second}"
    );

    cli.ok(
        &[
            "coop",
            "add",
            "--slug",
            "htx-mien-dong",
            "--name",
            "HTX Miến dong Bình Yên",
            "--place",
            "TQ-SD-TY",
        ],
        None,
    );
    let dup = cli.run(
        &[
            "coop",
            "add",
            "--slug",
            "htx-mien-dong",
            "--name",
            "Trùng",
            "--place",
            "TQ-SD-TY",
        ],
        None,
    );
    assert!(!dup.status.success());
    assert!(
        String::from_utf8_lossy(&dup.stderr).contains("slug: a cooperative with this slug exists")
    );
    let nowhere = cli.run(
        &[
            "coop", "add", "--slug", "htx-x", "--name", "X", "--place", "NOWHERE",
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("place: unknown place code"));

    cli.ok(
        &[
            "user",
            "add",
            "--email",
            "mien@dong.vn",
            "--password-stdin",
            "--coop",
            "htx-mien-dong",
        ],
        Some("mat-khau-rat-dai\n"),
    );
    cli.ok(
        &[
            "user",
            "add",
            "--email",
            "admin@tuyenquang.gov.vn",
            "--password-stdin",
            "--admin",
        ],
        Some("mat-khau-quan-tri\n"),
    );
    let short = cli.run(
        &[
            "user",
            "add",
            "--email",
            "a@b.vn",
            "--password-stdin",
            "--admin",
        ],
        Some("123\n"),
    );
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("password: must be 8 to 200 characters")
    );

    let (token, _) = cli.ok(&["token", "create", "--email", "mien@dong.vn"], None);
    let lines: Vec<&str> = token.lines().collect();
    assert_eq!(lines.len(), 1, "the token alone on stdout");
    assert!(lines[0].starts_with("vc_") && lines[0].len() > 40);

    let (_, reindexed) = cli.ok(&["reindex"], None);
    assert!(reindexed.contains("34 listings indexed"), "{reindexed}");
    let (report, _) = cli.ok(&["check"], None);
    assert!(
        report.contains("the index matches the database"),
        "{report}"
    );

    let (export, _) = cli.ok(&["export"], None);
    let file: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(file["listings"].as_array().unwrap().len(), 34);
    assert!(file["cooperatives"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "HTX Miến dong Bình Yên"));
    // An export imports back into an empty catalogue.
    let other = Cli::new();
    std::fs::write(other.dir.path().join("catalogue.json"), &export).unwrap();
    let (_, imported) = other.ok(&["import", "catalogue.json"], None);
    assert!(imported.contains("34 rows: 34 added"), "{imported}");

    // The sheet formats read back what they wrote: nothing changes.
    for format in ["xlsx", "csv", "json"] {
        let out = format!("catalogue.{format}");
        cli.ok(&["export", "--format", format, "--out", &out], None);
        let (_, again) = cli.ok(&["import", &out], None);
        assert!(
            again.contains("34 rows: 0 added, 0 updated, 34 unchanged"),
            "{format}: {again}"
        );
    }
}

#[test]
fn bad_input_gets_a_clear_message() {
    let cli = Cli::new();
    let missing = cli.run(&["import", "no-such-file.json"], None);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read no-such-file.json"));
    std::fs::write(
        cli.dir.path().join("bad.json"),
        "{\"listings\": [{\"kind\": \"cake\"}]}",
    )
    .unwrap();
    let bad = cli.run(&["import", "bad.json"], None);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(stderr.contains("the file cannot be imported"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    // A 200 MB file is refused before it is read (sparse: it takes no disk space).
    let huge = std::fs::File::create(cli.dir.path().join("huge.csv")).unwrap();
    huge.set_len(200 * 1024 * 1024).unwrap();
    let refused = cli.run(&["import", "huge.csv"], None);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("The file is 200 MB; at most 100 MB can be imported at once"),
        "{stderr}"
    );
    assert!(stderr.contains("Tệp nặng 200 MB"), "{stderr}");
    // A sheet with a bad row writes nothing and names the row.
    std::fs::write(
        cli.dir.path().join("bad.csv"),
        "kind;name_vi;description_vi;category;cooperative\nproduct;Chè;Ngon;tea;htx-khong-co\n",
    )
    .unwrap();
    let bad = cli.run(&["import", "bad.csv"], None);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(
        stderr.contains("dòng/row 2 · cooperative · «htx-khong-co»: Hợp tác xã không có trong danh sách. / unknown cooperative"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    for (url, message) in [
        (
            "ftp://host/photos",
            "use a local folder or s3://BUCKET[/PREFIX]",
        ),
        (
            "s3://Ảnh_Bucket/photos",
            "the bucket name must be 3-63 characters",
        ),
    ] {
        let media = Command::new(env!("CARGO_BIN_EXE_vungcao"))
            .args(["serve"])
            .env("VUNGCAO_DATA_DIR", cli.dir.path().join("data"))
            .env("VUNGCAO_MEDIA_URL", url)
            .env("VUNGCAO_LISTEN", "127.0.0.1:0")
            .output()
            .unwrap();
        assert!(!media.status.success(), "{url}");
        let stderr = String::from_utf8_lossy(&media.stderr);
        assert!(stderr.contains(message), "{url}: {stderr}");
    }
}

#[test]
fn check_finds_orphan_media_and_fix_removes_it() {
    let cli = Cli::new();
    cli.ok(&["demo"], None);
    cli.ok(&["reindex"], None);
    let (report, _) = cli.ok(&["check"], None);
    assert!(
        report.contains("the media store matches the database"),
        "{report}"
    );
    // A photo object no row uses, as a crash between storing and recording leaves behind.
    let orphan = cli.dir.path().join("media/p/zz/0123456789abcdef/320.webp");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"RIFF....WEBP").unwrap();

    let found = cli.run(&["check"], None);
    let stdout = String::from_utf8_lossy(&found.stdout);
    assert!(!found.status.success(), "an orphan is a difference");
    assert!(
        stdout.contains("orphan objects (no photo row): 1"),
        "{stdout}"
    );
    // A fresh orphan may be an upload about to be recorded: spared by default.
    let (spared, _) = cli.ok(&["check", "--fix"], None);
    assert!(
        spared.contains("1 younger than 600 s left alone"),
        "{spared}"
    );
    assert!(orphan.exists());
    let (fixed, _) = cli.ok(&["check", "--fix", "--orphan-grace", "0"], None);
    assert!(fixed.contains("deleted 1 orphan objects"), "{fixed}");
    assert!(!orphan.exists());
    let (report, _) = cli.ok(&["check"], None);
    assert!(
        report.contains("the media store matches the database"),
        "{report}"
    );
}

/// A `vungcao serve` child process on a free loopback port, killed if the test ends early.
struct Server {
    child: std::process::Child,
    port: u16,
}

impl Server {
    fn start(cli: &Cli) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_vungcao"))
            .arg("serve")
            .current_dir(cli.dir.path())
            .env_remove("VUNGCAO_DATABASE_URL")
            .env_remove("VUNGCAO_MEILI_URL")
            .env("VUNGCAO_DATA_DIR", cli.dir.path().join("data"))
            .env("VUNGCAO_MEDIA_URL", cli.dir.path().join("media"))
            .env("VUNGCAO_LISTEN", format!("127.0.0.1:{port}"))
            .env("VUNGCAO_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { child, port };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "server did not start");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        server
    }

    fn terminate(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }

    /// Waits for the process to exit, at most `secs`.
    fn wait_exit(&mut self, secs: u64) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "server still running {secs} s after SIGTERM"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The probe command as docker/Dockerfile writes it (`HEALTHCHECK … CMD ["vungcao", …]`), and
/// docker/compose.yaml must run the very same one.
fn container_probe() -> Vec<String> {
    let dockerfile = include_str!("../docker/Dockerfile");
    let line = dockerfile
        .lines()
        .find(|l| l.starts_with("HEALTHCHECK"))
        .expect("a HEALTHCHECK in docker/Dockerfile");
    let command: Vec<String> = serde_json::from_str(&line[line.find('[').unwrap()..]).unwrap();
    assert_eq!(command[0], "vungcao", "the probe needs only the binary");
    let in_compose = format!(
        "test: [\"CMD\", {}]",
        command
            .iter()
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(
        include_str!("../docker/compose.yaml")
            .lines()
            .any(|l| l.trim() == in_compose),
        "docker/compose.yaml runs another probe than the Dockerfile ({in_compose})"
    );
    command
}

#[test]
fn the_container_healthcheck_passes_on_a_live_server_and_fails_once_it_stops() {
    let probe = container_probe();
    let cli = Cli::new();
    let mut server = Server::start(&cli);
    let port = server.port;
    // The image listens on 0.0.0.0; the probe knocks on loopback.
    let run_probe = || {
        Command::new(env!("CARGO_BIN_EXE_vungcao"))
            .args(&probe[1..])
            .env("VUNGCAO_LISTEN", format!("0.0.0.0:{port}"))
            .env("VUNGCAO_LOG", "warn")
            .current_dir(cli.dir.path())
            .output()
            .unwrap()
    };
    let mut ready = run_probe();
    for _ in 0..50 {
        if ready.status.success() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        ready = run_probe();
    }
    assert!(
        ready.status.success(),
        "probe failed on a live server: {}",
        String::from_utf8_lossy(&ready.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&ready.stdout).trim(), "ready");

    server.terminate();
    assert!(server.wait_exit(20).success(), "SIGTERM exits 0");
    let down = run_probe();
    assert!(!down.status.success());
    assert!(
        String::from_utf8_lossy(&down.stderr).contains("not ready: cannot connect"),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
}

/// Sends one raw HTTP request and reads the whole answer (the request asks to close).
fn http(port: u16, request: &[u8]) -> String {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

/// A JSON request with a bearer token; answers (status, body).
fn api(port: u16, method: &str, path: &str, token: &str, body: &str) -> (u16, serde_json::Value) {
    let answer = http(
        port,
        format!(
            "{method} {path} HTTP/1.0\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nUser-Agent: Mozilla/5.0 (Linux; Android 13)\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let status = answer[9..12].parse().unwrap();
    let json = answer
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(serde_json::Value::Null);
    (status, json)
}

/// A cooperative in the demo catalogue's Sơn Dương commune with one member; the member's token.
fn member_token(cli: &Cli, slug: &str, name: &str, email: &str) -> String {
    cli.ok(
        &[
            "coop", "add", "--slug", slug, "--name", name, "--place", "TQ-SD-TY",
        ],
        None,
    );
    cli.ok(
        &[
            "user",
            "add",
            "--email",
            email,
            "--password-stdin",
            "--coop",
            slug,
        ],
        Some("mat-khau-thanh-vien\n"),
    );
    cli.ok(&["token", "create", "--email", email], None)
        .0
        .trim()
        .to_owned()
}

/// A multipart body with the GPS phone photo as its one `photo` part.
fn photo_multipart(boundary: &str) -> Vec<u8> {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"che.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/fixtures/images/phone-gps.jpg"),
        )
        .unwrap(),
    );
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[test]
fn sigterm_lets_an_upload_in_flight_finish_then_exits_zero() {
    use std::io::Read;
    let cli = Cli::new();
    cli.ok(&["demo"], None);
    let token = member_token(&cli, "htx-tat", "HTX Tắt máy", "tat@may.vn");
    let mut server = Server::start(&cli);
    let port = server.port;
    let (status, created) = api(
        port,
        "POST",
        "/api/v1/my/listings",
        &token,
        r#"{"kind":"product","name":{"vi":"Chè tắt máy êm"},"description":{"vi":"Thử tắt máy."},"category":"tea","price_vnd":100000,"unit":"gói"}"#,
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();

    // The photo's bytes arrive in two halves with SIGTERM in between: the request is in flight.
    let boundary = "vungcao-graceful-boundary";
    let multipart = photo_multipart(boundary);
    let head = format!(
        "POST /api/v1/my/listings/{id}/photos HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        multipart.len()
    );
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let half = multipart.len() / 2;
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&multipart[..half]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    server.terminate();
    std::thread::sleep(std::time::Duration::from_millis(300));
    stream.write_all(&multipart[half..]).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the upload in flight finished: {answer}"
    );
    assert!(server.wait_exit(30).success(), "SIGTERM exits 0");
    // New connections are refused once it stopped.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn a_backup_taken_while_serving_restores_listings_photos_and_clicks() {
    let cli = Cli::new();
    cli.ok(&["demo"], None);
    let member = member_token(&cli, "htx-sao-luu", "HTX Sao lưu", "sao@luu.vn");
    cli.ok(
        &[
            "user",
            "add",
            "--email",
            "quan@tri.vn",
            "--password-stdin",
            "--admin",
        ],
        Some("mat-khau-quan-tri\n"),
    );
    let admin = cli
        .ok(&["token", "create", "--email", "quan@tri.vn"], None)
        .0;
    let (member, admin) = (member.as_str(), admin.trim());
    let server = Server::start(&cli);
    let port = server.port;
    let (status, created) = api(
        port,
        "POST",
        "/api/v1/my/listings",
        member,
        r#"{"kind":"product","name":{"vi":"Miến dong sao lưu"},"description":{"vi":"Miến dong Bình Yên."},"category":"dried","price_vnd":90000,"unit":"gói 500 g","marketplace_links":[{"platform":"shopee","url":"https://shopee.vn/mien-dong-sao-luu"}]}"#,
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let boundary = "vungcao-backup-boundary";
    let multipart = photo_multipart(boundary);
    let mut request = format!(
        "POST /api/v1/my/listings/{id}/photos HTTP/1.0\r\nAuthorization: Bearer {member}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        multipart.len()
    )
    .into_bytes();
    request.extend_from_slice(&multipart);
    let uploaded = http(port, &request);
    assert!(uploaded.starts_with("HTTP/1.0 201"), "{uploaded}");
    let (status, submitted) = api(
        port,
        "POST",
        &format!("/api/v1/my/listings/{id}/submit"),
        member,
        "",
    );
    assert_eq!(status, 200, "{submitted}");
    let version = submitted["version"].as_i64().unwrap();
    assert_eq!(
        api(
            port,
            "POST",
            &format!("/api/v1/admin/listings/{id}/approve"),
            admin,
            &format!(r#"{{"version":{version}}}"#)
        )
        .0,
        200
    );
    let (_, listing) = api(port, "GET", "/api/v1/listings/mien-dong-sao-luu", "", "");
    let go = listing["marketplace_links"][0]["go_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let clicked = http(
        port,
        format!("GET {go} HTTP/1.0\r\nUser-Agent: Mozilla/5.0 (Linux; Android 13)\r\n\r\n")
            .as_bytes(),
    );
    assert!(clicked.starts_with("HTTP/1.0 302"), "{clicked}");
    // The click is counted off the redirect's path; the backup must include it.
    for _ in 0..100 {
        if api(port, "GET", "/api/v1/my/clicks", member, "").1["items"][0]["clicks"] == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // Online: the server is still running while the backup is taken.
    let archive = cli.dir.path().join("sao-luu.tar.gz");
    let (_, said) = cli.ok(&["backup", archive.to_str().unwrap()], None);
    assert!(said.contains("media files"), "{said}");
    drop(server);

    let restored = Cli::new();
    let (_, said) = restored.ok(&["restore", archive.to_str().unwrap()], None);
    assert!(said.contains("listings indexed"), "{said}");
    let (check, _) = restored.ok(&["check"], None);
    assert!(check.contains("the index matches the database"), "{check}");
    // Restoring over existing data is refused, with the reason.
    let again = restored.run(&["restore", archive.to_str().unwrap()], None);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let server = Server::start(&restored);
    let port = server.port;
    let (status, listing) = api(port, "GET", "/api/v1/listings/mien-dong-sao-luu", "", "");
    assert_eq!(status, 200);
    let photo_url = listing["photos"][0]["variants"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let photo = http(port, format!("GET {photo_url} HTTP/1.0\r\n\r\n").as_bytes());
    assert!(
        photo.starts_with("HTTP/1.0 200"),
        "{}",
        &photo[..photo.len().min(200)]
    );
    let (_, clicks) = api(port, "GET", "/api/v1/my/clicks", member, "");
    assert_eq!(clicks["items"][0]["clicks"], 1, "{clicks}");
    let (_, found) = api(port, "GET", "/api/v1/search?q=mien+dong+sao+luu", "", "");
    assert_eq!(found["items"][0]["slug"], "mien-dong-sao-luu", "{found}");
}

/// A PostgreSQL database of its own, dropped with it; `None` (SKIPPED) when no server answers
/// and none is required.
struct PgDatabase {
    admin: String,
    name: String,
}

impl PgDatabase {
    fn create() -> Option<(PgDatabase, String)> {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let admin = std::env::var("VUNGCAO_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let required =
            std::env::var("VUNGCAO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true");
        let mut conn = match diesel::PgConnection::establish(&admin) {
            Ok(conn) => conn,
            Err(e) if !required => {
                eprintln!("SKIPPED: PostgreSQL CLI test ({e})");
                return None;
            }
            Err(e) => panic!("PostgreSQL is required but unavailable: {e}"),
        };
        let name = format!(
            "vungcao_cli_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&format!("/{name}"));
        Some((PgDatabase { admin, name }, url.to_string()))
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        if let Ok(mut c) = diesel::PgConnection::establish(&self.admin) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// What the server would answer for this token: `Ok` while it is valid, else why not.
fn token_state(cli: &Cli, token: &str) -> Result<(), String> {
    let db = vungcao::store::Db::connect(&cli.database_url(), 1).unwrap();
    let mut conn = db.get().unwrap();
    vungcao::accounts::authenticate(&mut conn, token)
        .map(drop)
        .map_err(|e| e.detail.unwrap_or_default())
}

/// What signing in with this password answers: `Ok` or the error's code.
fn sign_in(cli: &Cli, email: &str, password: &str) -> Result<(), String> {
    let db = vungcao::store::Db::connect(&cli.database_url(), 1).unwrap();
    let mut conn = db.get().unwrap();
    vungcao::accounts::check_password(&mut conn, email, password)
        .map(drop)
        .map_err(|e| e.code.as_str())
}

fn stderr_of(out: &Output) -> String {
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `user disable|enable|passwd` and `token create --days`, as an operator runs them.
fn operator_controls_accounts(cli: &Cli) {
    cli.ok(&["migrate"], None);
    let add = [
        "user",
        "add",
        "--email",
        "can-bo@xa.vn",
        "--password-stdin",
        "--admin",
    ];
    cli.ok(&add, Some("mat-khau-ban-dau\n"));
    let (token, _) = cli.ok(&["token", "create", "--email", "can-bo@xa.vn"], None);
    let token = token.trim().to_owned();
    assert_eq!(token_state(cli, &token), Ok(()));

    // Token terms: the default (90 days) or --days up to the maximum (365).
    let (short, _) = cli.ok(
        &["token", "create", "--email", "can-bo@xa.vn", "--days", "7"],
        None,
    );
    assert_eq!(token_state(cli, short.trim()), Ok(()));
    let over = cli.run(
        &[
            "token",
            "create",
            "--email",
            "can-bo@xa.vn",
            "--days",
            "366",
        ],
        None,
    );
    assert!(
        stderr_of(&over).contains("--days must be a whole number from 1 to 365"),
        "{}",
        stderr_of(&over)
    );

    let (_, said) = cli.ok(&["user", "disable", "can-bo@xa.vn"], None);
    assert!(said.contains("account can-bo@xa.vn disabled"), "{said}");
    assert_eq!(
        token_state(cli, &token),
        Err("the token was revoked".into())
    );
    assert_eq!(
        token_state(cli, short.trim()),
        Err("the token was revoked".into())
    );
    assert_eq!(
        sign_in(cli, "can-bo@xa.vn", "mat-khau-ban-dau"),
        Err("account_disabled".into())
    );
    let refused = cli.run(&["token", "create", "--email", "can-bo@xa.vn"], None);
    assert!(stderr_of(&refused).contains("is disabled"));
    cli.ok(&["user", "enable", "can-bo@xa.vn"], None);
    assert_eq!(sign_in(cli, "can-bo@xa.vn", "mat-khau-ban-dau"), Ok(()));

    let (fresh, _) = cli.ok(&["token", "create", "--email", "can-bo@xa.vn"], None);
    let short_password = cli.run(&["user", "passwd", "can-bo@xa.vn"], Some("ngan\n"));
    assert!(stderr_of(&short_password).contains("new_password: must be 8 to 200 characters"));
    assert_eq!(
        token_state(cli, fresh.trim()),
        Ok(()),
        "a refused reset ends nothing"
    );
    let (_, said) = cli.ok(
        &["user", "passwd", "can-bo@xa.vn", "--password-stdin"],
        Some("mat-khau-moi-rat-dai\n"),
    );
    assert!(said.contains("1 sessions and tokens revoked"), "{said}");
    assert!(
        !said.contains("mat-khau-moi-rat-dai"),
        "the password is never printed"
    );
    assert_eq!(
        token_state(cli, fresh.trim()),
        Err("the token was revoked".into())
    );
    assert_eq!(
        sign_in(cli, "can-bo@xa.vn", "mat-khau-ban-dau"),
        Err("unauthorized".into())
    );
    assert_eq!(sign_in(cli, "can-bo@xa.vn", "mat-khau-moi-rat-dai"), Ok(()));

    for command in ["disable", "enable", "passwd"] {
        let unknown = cli.run(
            &["user", command, "ai-do@xa.vn"],
            Some("mat-khau-moi-rat-dai\n"),
        );
        assert!(stderr_of(&unknown).contains("no account with email ai-do@xa.vn"));
    }
}

#[test]
fn an_operator_disables_enables_and_resets_an_account_sqlite() {
    operator_controls_accounts(&Cli::new());
}

impl Cli {
    /// Commands on a PostgreSQL database of their own, dropped with the first half; `None`
    /// (SKIPPED) as [`PgDatabase::create`].
    fn on_postgres() -> Option<(PgDatabase, Cli)> {
        let (db, url) = PgDatabase::create()?;
        let cli = Cli {
            dir: tempfile::tempdir().unwrap(),
            database_url: Some(url),
        };
        Some((db, cli))
    }
}

#[test]
fn an_operator_disables_enables_and_resets_an_account_postgres() {
    let Some((_db, cli)) = Cli::on_postgres() else {
        return;
    };
    operator_controls_accounts(&cli);
}

/// A bulk load on PostgreSQL leaves the listings vacuumed: every page marked all-visible, so the
/// list pages' index-only scans answer from the index alone from the first request.
#[test]
fn a_bulk_load_leaves_postgresql_vacuumed() {
    use diesel::{Connection, QueryableByName, RunQueryDsl};
    let Some((_db, cli)) = Cli::on_postgres() else {
        return;
    };
    cli.ok(&["demo", "--synthetic", "3000"], None);
    #[derive(QueryableByName, Debug)]
    struct Visibility {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        vacuumed: bool,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pages: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        all_visible: i32,
    }
    let mut conn = diesel::PgConnection::establish(&cli.database_url()).unwrap();
    let seen: Visibility = diesel::sql_query(
        "SELECT s.last_vacuum IS NOT NULL AS vacuumed, c.relpages AS pages, \
         c.relallvisible AS all_visible \
         FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid \
         WHERE c.relname = 'listings'",
    )
    .get_result(&mut conn)
    .unwrap();
    assert!(seen.vacuumed, "{seen:?}");
    assert!(seen.pages > 0, "{seen:?}");
    assert_eq!(seen.all_visible, seen.pages, "{seen:?}");
}
