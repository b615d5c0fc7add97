//! The layers hold: the two front ends (`api/`, `web/`) never import each other, nothing below
//! them imports either (or the application shell), and every module opens with its job.
//! See ARCHITECTURE.md.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// The application shell: may import everything.
const SHELL: [&str; 4] = ["src/startup.rs", "src/main.rs", "src/cli.rs", "src/lib.rs"];

/// Paths into a module, however they are spelled (`crate::api`, `super::super::web`, `vungcao::api`).
fn names_module(line: &str, module: &str) -> bool {
    let code = line.split("//").next().unwrap_or_default();
    let mut rest = code;
    while let Some(at) = rest.find(&format!("::{module}")) {
        let after = &rest[at + 2 + module.len()..];
        let ends = after
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let before = rest[..at]
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or_default();
        let root = before.split("::").next().unwrap_or_default();
        if ends && matches!(root, "crate" | "super" | "vungcao") {
            return true;
        }
        rest = after;
    }
    // `use crate::{api, state};`
    let mut rest = code;
    while let Some(at) = rest.find("::{") {
        let before = rest[..at]
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or_default();
        let root = before.split("::").next().unwrap_or_default();
        let inside = rest[at + 3..].split('}').next().unwrap_or_default();
        let named = inside
            .split(',')
            .any(|item| item.trim().split("::").next() == Some(module));
        if named && matches!(root, "crate" | "super" | "vungcao") {
            return true;
        }
        rest = &rest[at + 3..];
    }
    false
}

/// Every broken rule in one file, as `path:line: what`.
fn violations(path: &str, text: &str) -> Vec<String> {
    let forbidden: &[&str] = if SHELL.contains(&path) {
        &[]
    } else if path.starts_with("src/api/") {
        &["web", "startup"]
    } else if path.starts_with("src/web/") {
        &["api", "startup"]
    } else {
        &["api", "web", "startup"]
    };
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        for module in forbidden {
            if names_module(line, module) {
                found.push(format!(
                    "{path}:{}: imports `{module}`: {}",
                    n + 1,
                    line.trim()
                ));
            }
        }
    }
    if path != "src/main.rs" && !text.starts_with("//!") {
        found.push(format!(
            "{path}:1: does not open with a `//!` line saying its job"
        ));
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn front_ends_stay_apart_and_nothing_below_imports_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 50, "the scan found the sources");
    let mut found = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).unwrap();
        found.extend(violations(&relative, &text));
    }
    assert!(
        found.is_empty(),
        "layer rules broken:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_catches_each_kind_of_violation() {
    let cases = [
        ("src/web/shop.rs", "use crate::api::search::find_listings;"),
        (
            "src/web/member/form.rs",
            "    let x = super::super::super::api::cache::json(r, v);",
        ),
        ("src/api/member.rs", "use crate::web::i18n::Lang;"),
        ("src/api/ops.rs", "use crate::startup::AppState;"),
        ("src/workflow.rs", "use crate::api::extract::Auth;"),
        (
            "src/transfer/report.rs",
            "Msg::new(en, crate::web::i18n::Lang::Vi.t())",
        ),
        ("src/http/credentials.rs", "use crate::{api, state};"),
    ];
    for (path, line) in cases {
        let text = format!("//! A module.\n{line}\n");
        assert_eq!(violations(path, &text).len(), 1, "{path}: {line}");
    }
    let allowed = [
        ("src/startup.rs", "use crate::api;"),
        ("src/web/shop.rs", "use actix_web::web;"),
        ("src/api/search.rs", "use crate::http::etag;"),
        ("src/workflow.rs", "// not crate::api, a comment"),
        (
            "src/search/meili.rs",
            "let url = format!(\"{base}/api/keys\");",
        ),
        ("src/web/mod.rs", "use crate::webhooks::x;"),
    ];
    for (path, line) in allowed {
        let text = format!("//! A module.\n{line}\n");
        assert!(violations(path, &text).is_empty(), "{path}: {line}");
    }
    assert_eq!(violations("src/text.rs", "pub fn f() {}\n").len(), 1);
}
