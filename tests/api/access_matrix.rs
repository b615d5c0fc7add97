//! The access-control matrix: every route of the app × every kind of caller, each cell the
//! status that caller must get.
//!
//! Routes are enumerated, not sampled: the paths of the OpenAPI document the app serves, plus
//! every `#[get("…")]`/`#[post("…")]`/`#[patch("…")]`/`#[delete("…")]` attribute under `src/api`
//! and `src/web`. A route without a row in [`ROWS`] fails the test, and so does a row for a route
//! that no longer exists. Every cell runs with its own fresh credentials and its own fresh objects
//! (a draft, a published listing, a photo, …, all of cooperative A), so a write in one cell cannot
//! change the answer of another. All mismatches are collected and reported at once.

use crate::both_backends;
use crate::helpers::TestApp;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::Method;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use vungcao::http::credentials::SESSION_COOKIE;
use vungcao::web::csrf;

both_backends!(every_route_answers_every_caller_as_the_table_says);

/// Who is asking. Each caller presents its own secret: as a bearer token to the JSON API and as
/// the session cookie to the pages, except where the name says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    /// A member of cooperative A (htx-che-shan-tuyet-hong-thai), which owns every object the
    /// paths name.
    MemberA,
    /// A member of cooperative B (htx-cam-sanh-ham-yen).
    MemberB,
    Admin,
    /// Member A's token and session, revoked (signed out).
    RevokedToken,
    /// Member A's API token past its `expires_at` (also presented as a cookie to the pages).
    ExpiredToken,
    /// Member A's session past its `expires_at`, sent as the cookie everywhere (API writes with
    /// `X-Requested-With`, so the answer is about the session, not about CSRF).
    ExpiredSession,
    /// A member of A whose account an admin disabled; its token and session are issued after
    /// the disabling, so what refuses them is the disabled account, not a revocation.
    DisabledUser,
}

/// The callers and the column of [`ROWS`] that holds what each must get.
const CALLERS: &[(&str, Who, usize)] = &[
    ("anonymous", Who::Anonymous, 0),
    ("member of A", Who::MemberA, 1),
    ("member of B", Who::MemberB, 2),
    ("admin", Who::Admin, 3),
    ("revoked token", Who::RevokedToken, 4),
    ("expired token", Who::ExpiredToken, 5),
    ("expired session", Who::ExpiredSession, 6),
    ("disabled user", Who::DisabledUser, 4),
];

/// What a row sends.
#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    /// JSON; `$name` is replaced by the fixture's value.
    Json(&'static str),
    /// A page form (urlencoded) with the session's CSRF token added; `$name` as above.
    Form(&'static str),
    /// One small PNG as the multipart `photo` part (pages: CSRF token in the query string).
    Photo,
    /// A catalogue CSV: the raw body for the API, the multipart `file` part for the pages.
    ImportFile,
    /// The sign-in form with a pre-session CSRF cookie, as a browser sends it.
    SignIn,
}

use Body::{Form, ImportFile, Json, None as NONE, Photo, SignIn};

/// One row per route: `METHOD path`, where `{param=fixture}` fills the route's parameter with a
/// fixture (an object of cooperative A made for the cell); the body; then what each column of
/// [`CALLERS`] must get: a status, `in` for "303 to the sign-in page", or `a|b` for either.
///
/// Columns: anonymous, member of A, member of B, admin, revoked token, expired token, expired
/// session. A disabled user is checked against the revoked-token column.
#[rustfmt::skip]
const ROWS: &[(&str, Body, &str)] = &[
    // ---- public JSON API ------------------------------------------------- anon A   B   admin rev exp sess
    ("GET /api/v1/listings",                                  NONE,          "200 200 200 200 200 200 200"),
    ("GET /api/v1/listings/{slug=published_slug}",            NONE,          "200 200 200 200 200 200 200"),
    ("GET /api/v1/places",                                    NONE,          "200 200 200 200 200 200 200"),
    ("GET /api/v1/categories",                                NONE,          "200 200 200 200 200 200 200"),
    ("GET /api/v1/cooperatives/{slug=coop_a}",                NONE,          "200 200 200 200 200 200 200"),
    ("GET /api/v1/events",                                    NONE,          "200 200 200 200 200 200 200"),
    ("GET /api/v1/search",                                    NONE,          "200 200 200 200 200 200 200"),
    ("GET /api/v1/imports/{file=template}",                   NONE,          "200 200 200 200 200 200 200"),
    ("GET /api/openapi.json",                                 NONE,          "200 200 200 200 200 200 200"),
    ("GET /api/docs",                                         NONE,          "200 200 200 200 200 200 200"),
    ("GET /go/{link_id=link}",                                NONE,          "302 302 302 302 302 302 302"),
    ("GET /media/{key=media_key}",                            NONE,          "200 200 200 200 200 200 200"),
    ("GET /healthz",                                          NONE,          "200 200 200 200 200 200 200"),
    ("GET /readyz",                                           NONE,          "200 200 200 200 200 200 200"),
    // Loopback clients read the metrics when no token is configured (the test's case).
    ("GET /metrics",                                          NONE,          "200 200 200 200 200 200 200"),
    // ---- accounts --------------------------------------------------------
    ("POST /api/v1/auth/login",          Json(r#"{"email":"tea@htx.vn","password":"mat-khau-an-toan"}"#), "200 200 200 200 200 200 200"),
    ("POST /api/v1/auth/logout",                              NONE,          "204 204 204 204 204 204 204"),
    ("GET /api/v1/auth/me",                                   NONE,          "401 200 200 200 401 401 401"),
    ("POST /api/v1/auth/tokens",         Json(r#"{"email":"tea@htx.vn","password":"mat-khau-an-toan"}"#), "201 201 201 201 201 201 201"),
    ("GET /api/v1/auth/tokens",                               NONE,          "401 200 200 200 401 401 401"),
    // Another account's token is "not found", never revoked.
    ("DELETE /api/v1/auth/tokens/{id=token_a}",               NONE,          "401 204 404 404 401 401 401"),
    // A wrong current password: who may try is the point (a right one would end the other
    // sessions this table's fixtures use).
    ("POST /api/v1/me/password", Json(r#"{"current_password":"sai-mat-khau-roi","new_password":"mat-khau-moi-an-toan"}"#), "401 422 422 422 401 401 401"),
    // ---- members ---------------------------------------------------------
    ("POST /api/v1/my/listings",         Json(NEW_LISTING),                  "401 201 201 403 401 401 401"),
    ("GET /api/v1/my/listings",                               NONE,          "401 200 200 403 401 401 401"),
    ("GET /api/v1/my/listings/{id=draft}",                    NONE,          "401 200 404 200 401 401 401"),
    ("PATCH /api/v1/my/listings/{id=draft}", Json(r#"{"price_vnd": 310000}"#), "401 200 404 200 401 401 401"),
    ("DELETE /api/v1/my/listings/{id=draft}",                 NONE,          "401 200 404 200 401 401 401"),
    ("POST /api/v1/my/listings/{id=draft}/submit",            NONE,          "401 200 404 200 401 401 401"),
    ("GET /api/v1/my/clicks",                                 NONE,          "401 200 200 403 401 401 401"),
    ("GET /api/v1/my/listings/{id=draft}/stats",              NONE,          "401 200 404 200 401 401 401"),
    ("POST /api/v1/my/listings/{id=draft}/photos",            Photo,         "401 201 404 201 401 401 401"),
    ("PATCH /api/v1/my/listings/{id=draft}/photos", Json(r#"{"cover": $photo}"#), "401 200 404 200 401 401 401"),
    ("DELETE /api/v1/my/listings/{id=draft}/photos/{photo_id=photo}", NONE,  "401 200 404 200 401 401 401"),
    ("POST /api/v1/my/imports",                               ImportFile,    "401 202 202 403 401 401 401"),
    ("GET /api/v1/my/imports/{id=job}",                       NONE,          "401 200 404 403 401 401 401"),
    ("GET /api/v1/my/export",                                 NONE,          "401 200 200 403 401 401 401"),
    // ---- admins ----------------------------------------------------------
    ("GET /api/v1/admin/review",                              NONE,          "401 403 403 200 401 401 401"),
    ("POST /api/v1/admin/listings/{id=pending}/approve", Json(r#"{"version":$pending_version}"#), "401 403 403 200 401 401 401"),
    ("POST /api/v1/admin/listings/{id=pending}/reject", Json(r#"{"reason":"Ảnh chưa rõ sản phẩm.","version":$pending_version}"#), "401 403 403 200 401 401 401"),
    ("POST /api/v1/admin/cooperatives", Json(r#"{"slug":"htx-moi-$n","name":"HTX mới $n","place":"$commune"}"#), "401 403 403 201 401 401 401"),
    ("PATCH /api/v1/admin/cooperatives/{slug=coop_a}", Json(r#"{"phone":"0912 345 678"}"#), "401 403 403 200 401 401 401"),
    ("POST /api/v1/admin/users", Json(r#"{"email":"moi$n@htx.vn","password":"mat-khau-an-toan","role":"member","cooperative":"$coop_a"}"#), "401 403 403 201 401 401 401"),
    ("POST /api/v1/admin/places", Json(r#"{"code":"TQ-MOI-$n","name":"Xã Mới $n","kind":"commune","parent":"$district","lat":22.1,"lng":105.2}"#), "401 403 403 201 401 401 401"),
    ("PATCH /api/v1/admin/places/{code=commune}", Json(r#"{"aliases":["Xã Cũ"]}"#), "401 403 403 200 401 401 401"),
    ("POST /api/v1/admin/reindex",                            NONE,          "401 403 403 200 401 401 401"),
    ("POST /api/v1/admin/imports",                            ImportFile,    "401 403 403 202 401 401 401"),
    ("GET /api/v1/admin/imports/{id=job}",                    NONE,          "401 403 403 200 401 401 401"),
    ("GET /api/v1/admin/export",                              NONE,          "401 403 403 200 401 401 401"),
    ("GET /api/v1/admin/users",                               NONE,          "401 403 403 200 401 401 401"),
    ("GET /api/v1/admin/stats/communes",                      NONE,          "401 403 403 200 401 401 401"),
    ("POST /api/v1/admin/users/{id=fresh_user}/disable",      NONE,          "401 403 403 200 401 401 401"),
    ("POST /api/v1/admin/users/{id=fresh_user}/enable",       NONE,          "401 403 403 200 401 401 401"),
    ("POST /api/v1/admin/users/{id=fresh_user}/password", Json(r#"{"new_password":"mat-khau-moi-an-toan"}"#), "401 403 403 200 401 401 401"),
    // ---- storefront pages ------------------------------------------------
    ("GET /",                                                 NONE,          "200 200 200 200 200 200 200"),
    ("GET /tim-kiem",                                         NONE,          "200 200 200 200 200 200 200"),
    ("GET /search",                                           NONE,          "301 301 301 301 301 301 301"),
    ("GET /san-pham/{slug=published_slug}",                   NONE,          "200 200 200 200 200 200 200"),
    ("GET /le-hoi",                                           NONE,          "200 200 200 200 200 200 200"),
    ("GET /le-hoi/{slug=event_slug}",                         NONE,          "200 200 200 200 200 200 200"),
    ("GET /san-pham/{slug=published_slug}/qr.svg",            NONE,          "200 200 200 200 200 200 200"),
    ("GET /san-pham/{slug=published_slug}/qr.png",            NONE,          "200 200 200 200 200 200 200"),
    ("GET /le-hoi/{slug=event_slug}/qr.svg",                  NONE,          "200 200 200 200 200 200 200"),
    ("GET /le-hoi/{slug=event_slug}/qr.png",                  NONE,          "200 200 200 200 200 200 200"),
    ("GET /htx/{slug=coop_a}",                                NONE,          "200 200 200 200 200 200 200"),
    ("GET /dia-phuong/{code=commune}",                        NONE,          "200 200 200 200 200 200 200"),
    ("GET /sitemap.xml",                                      NONE,          "200 200 200 200 200 200 200"),
    ("GET /sitemap-pages.xml",                                NONE,          "200 200 200 200 200 200 200"),
    ("GET /sitemap-listings-{n=sitemap_part}.xml",            NONE,          "200 200 200 200 200 200 200"),
    ("GET /robots.txt",                                       NONE,          "200 200 200 200 200 200 200"),
    ("GET /static/{name=asset}",                              NONE,          "200 200 200 200 200 200 200"),
    // ---- signing in and out ----------------------------------------------
    ("GET /dang-nhap",                                        NONE,          "200 303 303 303 200 200 200"),
    ("POST /dang-nhap",                                       SignIn,        "303 303 303 303 303 303 303"),
    // A sign-out form needs the token of the cookie it ends (a dead session may be ended again);
    // without a cookie it is a forged form.
    ("POST /dang-xuat",                                       Form(""),      "403 303 303 303 303 303 303"),
    // ---- member pages ----------------------------------------------------
    ("GET /tai-khoan",                                        NONE,          "in  200 200 303 in  in  in"),
    // An admin is shown the empty form; saving it is refused (no cooperative).
    ("GET /tai-khoan/san-pham/moi",                           NONE,          "in  200 200 200 in  in  in"),
    ("POST /tai-khoan/san-pham/moi",                          Form(LISTING_FORM), "in  303 303 403 in  in  in"),
    ("GET /tai-khoan/san-pham/{id=draft}",                    NONE,          "in  200 404 200 in  in  in"),
    ("POST /tai-khoan/san-pham/{id=draft}",                   Form(LISTING_FORM), "in  303 404 303 in  in  in"),
    ("POST /tai-khoan/san-pham/{id=draft}/gui-duyet",         Form(""),      "in  303 404 303 in  in  in"),
    ("POST /tai-khoan/san-pham/{id=draft}/luu-tru",           Form(""),      "in  303 404 303 in  in  in"),
    ("POST /tai-khoan/san-pham/{id=draft}/anh",               Photo,         "in  303 404 303 in  in  in"),
    ("POST /tai-khoan/san-pham/{id=draft}/anh/{photo=photo}/len", Form(""),  "in  303 404 303 in  in  in"),
    ("POST /tai-khoan/san-pham/{id=draft}/anh/{photo=photo}/xoa", Form(""),  "in  303 404 303 in  in  in"),
    // Each member sees their own cooperative's listings; an admin, every published one.
    ("GET /tai-khoan/nhan",                                   NONE,          "in  200 200 200 in  in  in"),
    ("GET /tai-khoan/san-pham/{id=draft}/thong-ke",           NONE,          "in  200 404 200 in  in  in"),
    ("GET /tai-khoan/bao-mat",                                NONE,          "in  200 200 200 in  in  in"),
    ("POST /tai-khoan/mat-khau", Form("current_password=sai-mat-khau-roi&new_password=mat-khau-moi-an-toan&new_password_again=mat-khau-moi-an-toan"), "in  422 422 422 in  in  in"),
    // Another account's token is "not found", never revoked.
    ("POST /tai-khoan/the-api/{id=token_a}/thu-hoi",          Form(""),      "in  303 404 404 in  in  in"),
    ("GET /tai-khoan/nhap",                                   NONE,          "in  200 200 403 in  in  in"),
    ("POST /tai-khoan/nhap",                                  ImportFile,    "in  303 303 403 in  in  in"),
    ("GET /tai-khoan/nhap/{id=job}",                          NONE,          "in  200 404 403 in  in  in"),
    // ---- admin pages (a member is shown "not found") ---------------------
    ("GET /quan-tri",                                         NONE,          "in  404 404 200 in  in  in"),
    ("POST /quan-tri/duyet/{id=pending}/dang",       Form("version=$pending_version"), "in  404 404 303 in  in  in"),
    ("POST /quan-tri/duyet/{id=pending}/tu-choi",  Form("reason=%E1%BA%A2nh+ch%C6%B0a+r%C3%B5&version=$pending_version"), "in  404 404 303 in  in  in"),
    ("GET /quan-tri/htx",                                     NONE,          "in  404 404 200 in  in  in"),
    ("POST /quan-tri/htx",          Form("slug=htx-form-$n&name=HTX+Form+$n&place=$commune"), "in  404 404 303 in  in  in"),
    ("POST /quan-tri/tai-khoan",    Form("email=form$n%40htx.vn&password=mat-khau-an-toan&role=member&cooperative=$coop_a"), "in  404 404 303 in  in  in"),
    ("GET /quan-tri/tai-khoan",                               NONE,          "in  404 404 200 in  in  in"),
    ("POST /quan-tri/tai-khoan/{id=fresh_user}/khoa",         Form(""),      "in  404 404 303 in  in  in"),
    ("POST /quan-tri/tai-khoan/{id=fresh_user}/mo-khoa",      Form(""),      "in  404 404 303 in  in  in"),
    ("POST /quan-tri/tai-khoan/{id=fresh_user}/mat-khau", Form("new_password=mat-khau-moi-an-toan"), "in  404 404 303 in  in  in"),
    ("GET /quan-tri/nhap",                                    NONE,          "in  404 404 200 in  in  in"),
    ("POST /quan-tri/nhap",                                   ImportFile,    "in  404 404 303 in  in  in"),
    ("GET /quan-tri/nhap/{id=job}",                           NONE,          "in  404 404 200 in  in  in"),
    ("GET /quan-tri/bao-cao",                                 NONE,          "in  404 404 200 in  in  in"),
    ("GET /quan-tri/bao-cao.csv",                             NONE,          "in  404 404 200 in  in  in"),
    ("GET /quan-tri/bao-cao.xlsx",                            NONE,          "in  404 404 200 in  in  in"),
];

const NEW_LISTING: &str = r#"{"kind":"product","name":{"vi":"Chè xanh $n"},"description":{"vi":"Chè mới của hợp tác xã."},"category":"tea","price_vnd":250000,"unit":"túi 200 g","marketplace_links":[{"platform":"shopee","url":"https://shopee.vn/che-xanh"}]}"#;

const LISTING_FORM: &str = "kind=product&name=Ch%C3%A8+xanh+$n&category=tea&price=250000&unit=t%C3%BAi&description=Ch%C3%A8+m%E1%BB%9Bi+c%E1%BB%A7a+h%E1%BB%A3p+t%C3%A1c+x%C3%A3.&platform=shopee&url=https%3A%2F%2Fshopee.vn%2Fche-xanh";

/// A catalogue file that imports nothing new: the header and no rows.
const IMPORT_CSV: &str = "name_vi,kind,category\n";

const COOP_A: &str = "htx-che-shan-tuyet-hong-thai";
const PASSWORD: &str = "mat-khau-an-toan";

/// Paths the pages answer, as opposed to the JSON API and the plain endpoints.
fn is_page(path: &str) -> bool {
    ![
        "/api/", "/go/", "/media/", "/healthz", "/readyz", "/metrics",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
}

/// `/a/{id=draft}/b` → `/a/{id}/b`: the route a row stands for.
fn route_of(row_path: &str) -> String {
    let mut out = String::new();
    let mut rest = row_path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let inner = &rest[open + 1..close];
        out.push('{');
        out.push_str(inner.split(['=', ':']).next().unwrap_or_default());
        out.push('}');
        rest = &rest[(close + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// Every route attribute under `src/api` and `src/web`, as `METHOD /path/{param}`.
fn routes_in_source() -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root.join("api"), &mut files);
    walk(&root.join("web"), &mut files);
    let mut routes = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source file");
        for line in text.lines().map(str::trim) {
            for method in ["get", "post", "put", "patch", "delete"] {
                if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                    let path = rest.split('"').next().unwrap_or_default();
                    routes.insert(format!("{} {}", method.to_uppercase(), route_of(path)));
                }
            }
        }
    }
    routes
}

/// Every operation of the OpenAPI document the app serves.
async fn routes_in_openapi(app: &TestApp) -> BTreeSet<String> {
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            routes.insert(format!("{} {}", method.to_uppercase(), route_of(path)));
        }
    }
    routes
}

/// What a caller presents: to the API (a bearer token, or a cookie) and to the pages (a cookie).
#[derive(Debug, Clone, Default)]
struct Credentials {
    bearer: Option<String>,
    cookie: Option<String>,
    /// The API gets the cookie, not a bearer token.
    api_by_cookie: bool,
}

/// A suffix that keeps each disabled account's email unique within a test database.
fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn user_id(conn: &mut vungcao::store::Conn, email: &str) -> i64 {
    vungcao::store::users::by_email(conn, email)
        .expect("user")
        .expect("user exists")
        .id
}

/// Fresh credentials for one cell, so a cell that signs out or revokes cannot affect another.
async fn credentials_of(app: &TestApp, who: Who) -> Credentials {
    app.with_db(move |conn| {
        use vungcao::accounts::{issue_session, issue_token};
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::hours(1);
        let token = |conn: &mut vungcao::store::Conn, email: &str| {
            let id = user_id(conn, email);
            issue_token(conn, id, "api", Some("matrix"), None)
                .expect("token")
                .0
        };
        let session = |conn: &mut vungcao::store::Conn, email: &str| {
            let id = user_id(conn, email);
            issue_session(conn, id).expect("session")
        };
        match who {
            Who::Anonymous => Credentials::default(),
            Who::MemberA => Credentials {
                bearer: Some(token(conn, "tea@htx.vn")),
                cookie: Some(session(conn, "tea@htx.vn")),
                api_by_cookie: false,
            },
            Who::MemberB => Credentials {
                bearer: Some(token(conn, "orange@htx.vn")),
                cookie: Some(session(conn, "orange@htx.vn")),
                api_by_cookie: false,
            },
            Who::Admin => Credentials {
                bearer: Some(token(conn, "admin@tuyenquang.gov.vn")),
                cookie: Some(session(conn, "admin@tuyenquang.gov.vn")),
                api_by_cookie: false,
            },
            Who::RevokedToken => {
                let (bearer, cookie) = (token(conn, "tea@htx.vn"), session(conn, "tea@htx.vn"));
                vungcao::accounts::end_session(conn, &bearer).expect("revoke");
                vungcao::accounts::end_session(conn, &cookie).expect("revoke");
                Credentials {
                    bearer: Some(bearer),
                    cookie: Some(cookie),
                    api_by_cookie: false,
                }
            }
            Who::ExpiredToken => {
                let id = user_id(conn, "tea@htx.vn");
                let secret = issue_token(conn, id, "api", Some("old"), Some(past))
                    .expect("token")
                    .0;
                Credentials {
                    bearer: Some(secret.clone()),
                    cookie: Some(secret),
                    api_by_cookie: false,
                }
            }
            Who::ExpiredSession => {
                let id = user_id(conn, "tea@htx.vn");
                let secret = issue_token(conn, id, "session", None, Some(past))
                    .expect("session")
                    .0;
                Credentials {
                    bearer: None,
                    cookie: Some(secret),
                    api_by_cookie: true,
                }
            }
            Who::DisabledUser => {
                let email = format!("disabled-{}@htx.vn", rand_suffix());
                let user = vungcao::accounts::create(
                    conn,
                    &vungcao::accounts::NewAccount {
                        email: &email,
                        password: "mat-khau-an-toan",
                        role: vungcao::store::users::Role::Member,
                        cooperative_slug: Some("htx-che-shan-tuyet-hong-thai"),
                    },
                )
                .expect("account");
                vungcao::accounts::disable(conn, user.id, None).expect("disable");
                Credentials {
                    bearer: Some(token(conn, &email)),
                    cookie: Some(session(conn, &email)),
                    api_by_cookie: false,
                }
            }
        }
    })
    .await
}

/// The objects one cell's paths and bodies name, made on first use, all of cooperative A.
struct Fixtures<'a> {
    app: &'a TestApp,
    made: HashMap<String, String>,
}

static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn tiny_png() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(40, 30, |x, y| {
        image::Rgba([(x * 6) as u8, (y * 8) as u8, 120, 255])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

impl<'a> Fixtures<'a> {
    fn new(app: &'a TestApp) -> Fixtures<'a> {
        Fixtures {
            app,
            made: HashMap::new(),
        }
    }

    async fn get(&mut self, name: &str) -> String {
        if let Some(v) = self.made.get(name) {
            return v.clone();
        }
        let value = Box::pin(self.make(name)).await;
        self.made.insert(name.to_owned(), value.clone());
        value
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self
            .app
            .send(method.clone(), path, &maker_of(self.app, path), body)
            .await;
        assert!(
            (200..300).contains(&status),
            "fixture {method} {path}: {status} {answer}"
        );
        answer
    }

    async fn make(&mut self, name: &str) -> String {
        let app = self.app;
        match name {
            "n" => SERIAL
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                .to_string(),
            "coop_a" => COOP_A.to_owned(),
            "template" => "template.csv".to_owned(),
            "asset" => "site.css".to_owned(),
            "sitemap_part" => "1".to_owned(),
            "commune" | "district" => {
                let (_, coop) = app
                    .get_json(&format!("/api/v1/cooperatives/{COOP_A}"))
                    .await;
                let commune = coop["cooperative"]["place_code"]
                    .as_str()
                    .expect("the cooperative's place")
                    .to_owned();
                if name == "commune" {
                    return commune;
                }
                let (_, places) = app.get_json("/api/v1/places").await;
                find_place(&places["items"], &commune).expect("the commune")["parent"]
                    .as_str()
                    .expect("the commune's district")
                    .to_owned()
            }
            "draft" => {
                let n = self.get("n").await;
                let body: Value =
                    serde_json::from_str(&NEW_LISTING.replace("$n", &n)).expect("json");
                let made = self
                    .ok(Method::POST, "/api/v1/my/listings", Some(body))
                    .await;
                made["id"].as_i64().expect("id").to_string()
            }
            "pending" => {
                let id = self.get("draft").await;
                let submitted = self
                    .ok(
                        Method::POST,
                        &format!("/api/v1/my/listings/{id}/submit"),
                        None,
                    )
                    .await;
                assert_eq!(submitted["status"], "pending", "{submitted}");
                id
            }
            "published" => {
                let id = self.get("pending").await;
                let version: i64 = self.get("pending_version").await.parse().expect("version");
                self.ok(
                    Method::POST,
                    &format!("/api/v1/admin/listings/{id}/approve"),
                    Some(serde_json::json!({ "version": version })),
                )
                .await;
                id
            }
            // An account of its own for each cell, for an admin to disable or reset.
            "fresh_user" => {
                let n = self.get("n").await;
                let made = self
                    .ok(
                        Method::POST,
                        "/api/v1/admin/users",
                        Some(serde_json::json!({
                            "email": format!("khac{n}@htx.vn"),
                            "password": "mat-khau-an-toan",
                            "role": "member",
                            "cooperative": COOP_A,
                        })),
                    )
                    .await;
                made["id"].as_i64().expect("user id").to_string()
            }
            // The version an admin reviewing the pending listing names.
            "pending_version" => {
                let id = self.get("pending").await;
                let listing = self
                    .ok(Method::GET, &format!("/api/v1/my/listings/{id}"), None)
                    .await;
                listing["version"].as_i64().expect("version").to_string()
            }
            "published_slug" | "link" => {
                let id = self.get("published").await;
                let listing = self
                    .ok(Method::GET, &format!("/api/v1/my/listings/{id}"), None)
                    .await;
                if name == "link" {
                    listing["marketplace_links"][0]["id"]
                        .as_i64()
                        .expect("link id")
                        .to_string()
                } else {
                    listing["slug"].as_str().expect("slug").to_owned()
                }
            }
            "photo" | "media_key" => {
                let id = self.get("draft").await;
                let form = reqwest::multipart::Form::new().part(
                    "photo",
                    reqwest::multipart::Part::bytes(tiny_png())
                        .file_name("a.png")
                        .mime_str("image/png")
                        .expect("mime"),
                );
                let res = app
                    .client
                    .post(app.url(&format!("/api/v1/my/listings/{id}/photos")))
                    .bearer_auth(&app.tea_token)
                    .multipart(form)
                    .send()
                    .await
                    .expect("upload");
                assert_eq!(res.status().as_u16(), 201);
                let gallery: Value = res.json().await.expect("gallery");
                let photo = &gallery["items"][0];
                if name == "photo" {
                    photo["id"].as_i64().expect("photo id").to_string()
                } else {
                    let url = photo["variants"][0]["url"].as_str().expect("url");
                    url.split("/media/")
                        .nth(1)
                        .expect("a /media/ url")
                        .to_owned()
                }
            }
            "event_slug" => {
                let (_, events) = app.get_json("/api/v1/events?limit=1").await;
                events["items"][0]["listing"]["slug"]
                    .as_str()
                    .expect("an upcoming event in the demo")
                    .to_owned()
            }
            "job" => app
                .with_db(|conn| {
                    let coop = vungcao::store::catalogue::cooperative_by_slug(conn, COOP_A)
                        .expect("coop")
                        .expect("coop exists");
                    vungcao::store::import_jobs::insert(conn, Some(coop.id)).expect("job")
                })
                .await
                .to_string(),
            "token_a" => app
                .with_db(|conn| {
                    let id = user_id(conn, "tea@htx.vn");
                    vungcao::accounts::issue_token(conn, id, "api", Some("spare"), None)
                        .expect("token")
                        .1
                        .id
                })
                .await
                .to_string(),
            other => panic!("no fixture named {other}"),
        }
    }

    /// `text` with each `{param=fixture}` and `$fixture` replaced by the fixture's value.
    async fn fill(&mut self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        loop {
            let brace = rest.find('{').filter(|&i| rest[i..].contains('='));
            let dollar = rest.find('$');
            let (at, is_brace) = match (brace, dollar) {
                (Some(b), Some(d)) if b < d => (b, true),
                (_, Some(d)) => (d, false),
                (Some(b), None) => (b, true),
                (None, None) => break,
            };
            out.push_str(&rest[..at]);
            if is_brace {
                let close = at + rest[at..].find('}').expect("closing brace");
                let name = rest[at + 1..close].split('=').nth(1).expect("fixture");
                out.push_str(&self.get(name).await);
                rest = &rest[close + 1..];
            } else {
                let end = rest[at + 1..]
                    .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                    .map_or(rest.len(), |e| at + 1 + e);
                out.push_str(&self.get(&rest[at + 1..end]).await);
                rest = &rest[end..];
            }
        }
        out.push_str(rest);
        out
    }
}

/// The place `code` in the place tree.
fn find_place<'v>(nodes: &'v Value, code: &str) -> Option<&'v Value> {
    nodes.as_array()?.iter().find_map(|node| {
        if node["code"] == code {
            Some(node)
        } else {
            find_place(&node["children"], code)
        }
    })
}

/// The account that makes a fixture: admins approve, the member of A makes the rest.
fn maker_of(app: &TestApp, path: &str) -> String {
    if path.starts_with("/api/v1/admin/") {
        app.admin_token.clone()
    } else {
        app.tea_token.clone()
    }
}

/// Sends one cell's request; the status and where a 303 points.
async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Body,
    creds: &Credentials,
    fixtures: &mut Fixtures<'_>,
) -> (u16, String) {
    let page = is_page(path);
    let mut headers = HeaderMap::new();
    let mut cookies: Vec<String> = Vec::new();
    if page {
        if let Some(c) = &creds.cookie {
            cookies.push(format!("{SESSION_COOKIE}={c}"));
        }
    } else if creds.api_by_cookie {
        if let Some(c) = &creds.cookie {
            cookies.push(format!("{SESSION_COOKIE}={c}"));
            headers.insert("x-requested-with", HeaderValue::from_static("matrix"));
        }
    } else if let Some(t) = &creds.bearer {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {t}")).expect("header"),
        );
    }
    let csrf_token = creds
        .cookie
        .as_deref()
        .map(csrf::token_for)
        .unwrap_or_default();
    let mut url = app.url(path);
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app.client.request(method.clone(), "http://placeholder/");
    match body {
        Body::None => {}
        Body::Json(template) => {
            let text = fixtures.fill(template).await;
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            req = req.body(text);
        }
        Body::Form(template) => {
            let mut text = fixtures.fill(template).await;
            if !text.is_empty() {
                text.push('&');
            }
            text.push_str(&format!("{}={csrf_token}", csrf::FIELD));
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            req = req.body(text);
        }
        Body::Photo => {
            if page {
                url.push_str(&format!("?{}={csrf_token}", csrf::FIELD));
            }
            req = req.multipart(
                reqwest::multipart::Form::new().part(
                    "photo",
                    reqwest::multipart::Part::bytes(tiny_png())
                        .file_name("a.png")
                        .mime_str("image/png")
                        .expect("mime"),
                ),
            );
        }
        Body::ImportFile if page => {
            url.push_str(&format!("?{}={csrf_token}", csrf::FIELD));
            req = req.multipart(
                reqwest::multipart::Form::new().part(
                    "file",
                    reqwest::multipart::Part::bytes(IMPORT_CSV.as_bytes().to_vec())
                        .file_name("catalogue.csv")
                        .mime_str("text/csv")
                        .expect("mime"),
                ),
            );
        }
        Body::ImportFile => {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/csv"));
            req = req.body(IMPORT_CSV);
        }
        Body::SignIn => {
            let pre = "p".repeat(40);
            cookies.push(format!("{}={pre}", csrf::PRE_SESSION_COOKIE));
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            req = req.body(format!(
                "email=tea%40htx.vn&password={PASSWORD}&{}={pre}",
                csrf::FIELD
            ));
        }
    }
    if !cookies.is_empty() {
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&cookies.join("; ")).expect("cookie"),
        );
    }
    let mut built = req.headers(headers).build().expect("request");
    *built.url_mut() = reqwest::Url::parse(&url).expect("url");
    let res = app.client.execute(built).await.expect("response");
    let location = res
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (res.status().as_u16(), location)
}

/// Whether `(status, location)` is what `expected` (`200`, `in`, `200|303`) allows.
fn allowed(expected: &str, status: u16, location: &str) -> bool {
    expected.split('|').any(|one| match one {
        "in" => status == 303 && location.starts_with("/dang-nhap"),
        "303" => status == 303 && !location.starts_with("/dang-nhap"),
        code => code.parse::<u16>().ok() == Some(status),
    })
}

async fn every_route_answers_every_caller_as_the_table_says(app: TestApp) {
    let mut problems: Vec<String> = Vec::new();

    // Every route has exactly one row, and every row is a route.
    let mut routes = routes_in_source();
    routes.extend(routes_in_openapi(&app).await);
    let mut rows_by_route: HashMap<String, usize> = HashMap::new();
    for (i, (request, _, expected)) in ROWS.iter().enumerate() {
        let (method, path) = request.split_once(' ').expect("METHOD path");
        let route = format!("{method} {}", route_of(path));
        if rows_by_route.insert(route.clone(), i).is_some() {
            problems.push(format!("two rows for {route}"));
        }
        if !routes.contains(&route) {
            problems.push(format!("a row for a route the app does not have: {route}"));
        }
        let columns = expected.split_whitespace().count();
        if columns != 7 {
            problems.push(format!("{request}: {columns} columns, not 7"));
        }
    }
    for route in &routes {
        if !rows_by_route.contains_key(route) {
            problems.push(format!("no row for the route {route}"));
        }
    }

    // Every cell.
    for (request, body, expected) in ROWS {
        let (method, path) = request.split_once(' ').expect("METHOD path");
        let columns: Vec<&str> = expected.split_whitespace().collect();
        for (caller, who, column) in CALLERS {
            let Some(want) = columns.get(*column) else {
                continue;
            };
            let creds = credentials_of(&app, *who).await;
            let mut fixtures = Fixtures::new(&app);
            let concrete = fixtures.fill(path).await;
            let (status, location) =
                send(&app, method, &concrete, *body, &creds, &mut fixtures).await;
            if !allowed(want, status, &location) {
                let to = if location.is_empty() {
                    String::new()
                } else {
                    format!(" → {location}")
                };
                problems.push(format!(
                    "{method} {concrete} as {caller}: wanted {want}, got {status}{to}"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems in the access matrix:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn row_paths_name_their_routes() {
    assert_eq!(
        route_of("/api/v1/my/listings/{id=draft}/photos/{photo_id=photo}"),
        "/api/v1/my/listings/{id}/photos/{photo_id}"
    );
    assert_eq!(route_of("/media/{key:.*}"), "/media/{key}");
    assert!(allowed("in", 303, "/dang-nhap?next=%2Ftai-khoan"));
    assert!(!allowed("303", 303, "/dang-nhap?next=%2Ftai-khoan"));
    assert!(allowed("200|303", 303, "/tai-khoan"));
    assert!(!allowed("200", 201, ""));
}
