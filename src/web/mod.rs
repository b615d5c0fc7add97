//! The server-rendered storefront and cooperative pages: HTML that works without JavaScript.

pub mod admin;
pub mod admin_accounts;
pub mod admin_report;
pub mod art;
pub mod assets;
pub mod chart;
pub mod csrf;
pub mod extract;
pub mod forms;
pub mod i18n;
pub mod imports;
pub mod member;
pub mod qr;
pub mod refusal;
pub mod shop;
pub mod sitemap;
pub mod view;

use crate::http::kept_answers::Kept;
use crate::state::AppState;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use i18n::{Lang, Texts};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(assets::configure)
        .configure(shop::configure)
        .configure(qr::configure)
        .configure(sitemap::configure)
        .configure(member::configure)
        .configure(admin::configure)
        .configure(admin_accounts::configure)
        .configure(admin_report::configure)
        .configure(imports::configure);
}

/// Signed-in navigation: who, and the token for the sign-out form.
#[derive(Debug, Clone)]
pub struct AccountNav {
    pub email: String,
    pub is_admin: bool,
    pub csrf: String,
}

/// What the base layout needs on every page.
pub struct Chrome {
    pub t: &'static Texts,
    pub lang: Lang,
    pub title: String,
    pub description: String,
    /// Absolute.
    pub canonical: String,
    /// This page in the other language.
    pub switch_url: String,
    /// Absolute URLs of this page in Vietnamese and in English (`hreflang` alternates).
    pub alternates: [String; 2],
    pub css_url: String,
    pub js_url: String,
    /// OpenGraph and product `<meta property=… content=…>` pairs (`twitter:…` ones are
    /// written `<meta name=…>`, as X reads them).
    pub meta: Vec<(String, String)>,
    /// Already made safe for a `<script>` element.
    pub json_ld: String,
    pub noindex: bool,
    pub account: Option<AccountNav>,
    /// What is in the header's search box.
    pub query: String,
    /// Reload the page after this many seconds (0: never): a running import's progress
    /// without JavaScript.
    pub refresh_seconds: u32,
}

impl Chrome {
    pub fn new(req: &HttpRequest, title: impl Into<String>) -> Chrome {
        let lang = Lang::of(req);
        let public_url = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.public_url.trim_end_matches('/').to_owned())
            .unwrap_or_default();
        // The request path goes into links (canonical, language switch): never let `//host`
        // through as a link to another site.
        let path = same_origin_path(req.path()).map_or_else(
            || "/".to_owned(),
            |p| {
                p.split_once('?')
                    .map_or(p.clone(), |(path, _)| path.to_owned())
            },
        );
        let alternates = [
            format!("{public_url}{path}"),
            format!("{public_url}{path}?lang=en"),
        ];
        let canonical = match lang {
            Lang::Vi => alternates[0].clone(),
            Lang::En => alternates[1].clone(),
        };
        let kept: Vec<(String, String)> =
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .filter(|(k, _)| k != "lang" && k != "partial")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &kept {
            query.append_pair(k, v);
        }
        query.append_pair("lang", lang.t().other_lang_code);
        let switch_url = format!("{path}?{}", query.finish());
        Chrome {
            t: lang.t(),
            lang,
            title: title.into(),
            description: lang.t().tagline.to_owned(),
            canonical,
            switch_url,
            alternates,
            css_url: assets::url("site.css"),
            js_url: assets::url("site.js"),
            meta: Vec::new(),
            json_ld: String::new(),
            noindex: false,
            account: None,
            query: String::new(),
            refresh_seconds: 0,
        }
    }

    pub fn public_url(req: &HttpRequest) -> String {
        req.app_data::<web::Data<AppState>>()
            .map(|s| s.settings.public_url.trim_end_matches('/').to_owned())
            .unwrap_or_default()
    }

    /// A page for signed-in people: never indexed, never cached.
    pub fn private(mut self, account: AccountNav) -> Chrome {
        self.noindex = true;
        self.account = Some(account);
        self
    }
}

/// How a page may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Public pages: revalidated with an ETag, so a repeat visit on 3G costs a 304.
    Revalidate,
    /// Personal pages and form answers.
    NoStore,
}

/// Renders a template into an HTML response, remembering a language chosen with `?lang=`.
pub fn html<T: Template>(
    req: &HttpRequest,
    page: &T,
    status: StatusCode,
    caching: Caching,
) -> HttpResponse {
    let Some(body) = render(page) else {
        return template_failed();
    };
    let res = if status == StatusCode::OK && caching == Caching::Revalidate {
        crate::http::etag::respond(
            req,
            body.into_bytes(),
            "text/html; charset=utf-8",
            "private, no-cache",
        )
    } else {
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body)
    };
    with_lang_cookie(req, res)
}

/// A public page kept in memory ([`crate::http::kept_answers`]), answered as [`html`] answers a
/// `Caching::Revalidate` page.
pub fn kept_html(req: &HttpRequest, kept: &Kept) -> HttpResponse {
    let res = crate::http::etag::respond_tagged(
        req,
        kept.body.clone(),
        &kept.etag,
        "text/html; charset=utf-8",
        "private, no-cache",
    );
    with_lang_cookie(req, res)
}

/// Renders a public page to keep; `None` when the template failed (logged; answer with
/// [`template_failed`]).
pub fn render<T: Template>(page: &T) -> Option<String> {
    page.render()
        .map_err(|e| tracing::error!(error = %e, "template failed"))
        .ok()
}

/// What a page whose template failed answers.
pub fn template_failed() -> HttpResponse {
    HttpResponse::InternalServerError()
        .content_type("text/plain; charset=utf-8")
        .body("Lỗi máy chủ / Server error")
}

/// Remembers a language chosen with `?lang=`.
fn with_lang_cookie(req: &HttpRequest, mut res: HttpResponse) -> HttpResponse {
    if let Some(lang) = Lang::requested(req) {
        let cookie = Cookie::build(i18n::LANG_COOKIE, lang.code())
            .path("/")
            .same_site(SameSite::Lax)
            .max_age(CookieDuration::days(365))
            .finish();
        let _ = res.add_cookie(&cookie);
    }
    res
}

/// A `303 See Other` to `to` (after a form POST).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    c: Chrome,
}

/// The 404 page for every path that is not the API's.
pub fn not_found(req: &HttpRequest) -> HttpResponse {
    let mut c = Chrome::new(req, "");
    c.title = c.t.not_found_title.to_owned();
    c.noindex = true;
    html(
        req,
        &NotFoundPage { c },
        StatusCode::NOT_FOUND,
        Caching::NoStore,
    )
}

/// `candidate` as a path on this site, resolved the way a browser resolves it against this
/// origin (tabs and newlines dropped, backslashes as slashes, dot segments applied); `None` when
/// the browser would leave the origin. What it returns is what was checked: use it, not the input.
pub fn same_origin_path(candidate: &str) -> Option<String> {
    const ORIGIN: &str = "http://vungcao.invalid/";
    if !candidate.starts_with('/') {
        return None;
    }
    let base = url::Url::parse(ORIGIN).ok()?;
    let resolved = base.join(candidate).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let mut path = resolved.path().to_owned();
    // A path that starts with `//` is a host to the browser when written into a link.
    if path.starts_with("//") {
        return None;
    }
    if let Some(query) = resolved.query() {
        // The URL parser keeps a backslash in a query as it is; nothing that leaves here holds one.
        path.push('?');
        path.push_str(&query.replace('\\', "%5C"));
    }
    Some(path)
}

/// Makes JSON safe inside `<script type="application/ld+json">`.
pub fn script_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Where a browser on `https://example.org/` goes when a page sends it to `path`.
    fn browser_goes(path: &str) -> Option<url::Url> {
        url::Url::parse("https://example.org/")
            .ok()?
            .join(path)
            .ok()
    }

    /// Strings made of the pieces open redirects are built from.
    fn tricky_path() -> impl Strategy<Value = String> {
        let piece = proptest::sample::select(vec![
            "/",
            "//",
            "\\",
            "\\\\",
            "\t",
            "\n",
            "\r",
            " ",
            "%09",
            "%0a",
            "%2f",
            "%5c",
            "%2e",
            ".",
            "..",
            "./",
            "../",
            "?",
            "#",
            "@",
            ":",
            "evil.example",
            "https:",
            "javascript:",
            "tai-khoan",
            "%",
            "%%",
            "\u{0}",
            "\u{a0}",
            "\u{3000}",
            "\u{ff0f}",
            "ｅｖｉｌ",
        ]);
        proptest::collection::vec(piece, 0..8).prop_map(|pieces| format!("/{}", pieces.concat()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn a_kept_next_never_leaves_the_origin(
            candidate in prop_oneof![any::<String>(), tricky_path(), "/[ -~\\t\\n]{0,30}"]
        ) {
            if let Some(path) = same_origin_path(&candidate) {
                prop_assert!(path.starts_with('/') && !path.starts_with("//"), "{candidate:?} → {path:?}");
                prop_assert!(!path.contains(['\t', '\n', '\r', '\\']), "{candidate:?} → {path:?}");
                let to = browser_goes(&path).ok_or_else(|| TestCaseError::fail("unparsable"))?;
                prop_assert_eq!(to.origin(), browser_goes("/").ok_or_else(|| TestCaseError::fail("base"))?.origin(), "{:?} → {:?}", candidate, path);
                // What was checked is what is used: checking it again keeps it as it is.
                prop_assert_eq!(same_origin_path(&path), Some(path.clone()));
            }
        }
    }

    #[test]
    fn known_open_redirects_are_refused_or_kept_local() {
        for candidate in [
            "/%09/evil.example",
            "//evil",
            "/\\evil",
            "/\t/evil",
            "/\n/evil.example",
            "/\\/evil.example",
            "/%5c/evil.example",
            "/.//evil.example",
            "/..//evil.example",
            "https://evil.example",
            "evil.example",
            "",
        ] {
            if let Some(path) = same_origin_path(candidate) {
                let to = browser_goes(&path);
                assert_eq!(
                    to.as_ref().and_then(|u| u.host_str()),
                    Some("example.org"),
                    "{candidate:?} → {path:?}"
                );
                assert!(!path.starts_with("//"), "{candidate:?} → {path:?}");
            }
        }
        assert_eq!(same_origin_path("//evil"), None);
        assert_eq!(same_origin_path("/\\evil"), None);
        assert_eq!(
            same_origin_path("/tai-khoan?x=1").as_deref(),
            Some("/tai-khoan?x=1")
        );
        // Found by the property above: a backslash in the query came back as it was.
        assert_eq!(same_origin_path("/?\\").as_deref(), Some("/?%5C"));
    }
}
