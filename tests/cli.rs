//! The `vungcao` command line as operators' scripts use it (embedded SQLite in a temp dir).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vungcao"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("VUNGCAO_DATABASE_URL")
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
        vec!["token", "create", "--help"],
        vec!["import", "--help"],
        vec!["export", "--help"],
        vec!["reindex", "--help"],
        vec!["check", "--help"],
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
    assert!(first.contains("32 listings added"), "{first}");
    let (_, second) = cli.ok(&["demo"], None);
    assert!(
        second.contains("0 listings added, 32 already there"),
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
    assert!(reindexed.contains("32 listings indexed"), "{reindexed}");
    let (report, _) = cli.ok(&["check"], None);
    assert!(
        report.contains("the index matches the database"),
        "{report}"
    );

    let (export, _) = cli.ok(&["export"], None);
    let file: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(file["listings"].as_array().unwrap().len(), 32);
    assert!(file["cooperatives"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "HTX Miến dong Bình Yên"));
    // An export imports back into an empty catalogue.
    let other = Cli::new();
    std::fs::write(other.dir.path().join("catalogue.json"), &export).unwrap();
    let (_, imported) = other.ok(&["import", "catalogue.json"], None);
    assert!(imported.contains("32 rows: 32 added"), "{imported}");

    // The sheet formats read back what they wrote: nothing changes.
    for format in ["xlsx", "csv", "json"] {
        let out = format!("catalogue.{format}");
        cli.ok(&["export", "--format", format, "--out", &out], None);
        let (_, again) = cli.ok(&["import", &out], None);
        assert!(
            again.contains("32 rows: 0 added, 0 updated, 32 unchanged"),
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
    let media = Command::new(env!("CARGO_BIN_EXE_vungcao"))
        .args(["serve"])
        .env("VUNGCAO_DATA_DIR", cli.dir.path().join("data"))
        .env("VUNGCAO_MEDIA_URL", "s3://bucket/photos")
        .env("VUNGCAO_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!media.status.success());
    assert!(String::from_utf8_lossy(&media.stderr)
        .contains("S3-compatible storage is not implemented yet"));
}
