//! The OpenAPI document, generated from the handlers, and a browsable page for it.

use super::{accounts, admin, imports, linkout, media, member, ops, photos, public, search, stats};
use crate::error::Code;
use actix_web::{get, web, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi_json).service(docs_page);
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`POST /api/v1/auth/tokens` or `vungcao token create` issues a token; the web uses the session cookie.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "vungcao",
        description = "Catalogue of local products, experiences and festivals of Vietnam's highland communes. \
Errors are `application/problem+json` with a stable `code`."
    ),
    paths(
        public::list_listings,
        public::get_listing,
        public::list_places,
        public::list_categories,
        public::get_cooperative,
        public::list_events,
        search::search,
        accounts::login,
        accounts::logout,
        accounts::current_user,
        accounts::create_token,
        accounts::list_tokens,
        accounts::revoke_token,
        accounts::change_password,
        imports::admin_import,
        imports::member_import,
        imports::admin_job,
        imports::member_job,
        imports::template,
        imports::admin_export,
        imports::member_export,
        member::create_listing,
        member::my_listings,
        member::get_my_listing,
        member::update_listing,
        member::archive_listing,
        member::submit_listing,
        member::my_clicks,
        stats::listing_stats,
        photos::upload,
        photos::remove,
        photos::arrange,
        media::media,
        admin::review_queue,
        admin::approve,
        admin::reject,
        admin::create_cooperative,
        admin::update_cooperative,
        admin::create_user,
        admin::list_users,
        admin::disable_user,
        admin::enable_user,
        admin::reset_password,
        admin::create_place,
        admin::update_place,
        admin::reindex,
        stats::commune_report,
        linkout::go,
        ops::healthz,
        ops::readyz,
        ops::metrics,
    ),
    components(schemas(Code, crate::error::Problem)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document as served: the handlers' annotations, plus the answers every operation of a kind
/// gives whatever its handler does (its extractors answer before the handler runs), and problems
/// under their real content type.
pub fn document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        add_common_answers(&mut doc);
        doc
    })
}

const PROBLEM_REF: &str = "#/components/schemas/Problem";

fn problem(description: &str) -> serde_json::Value {
    serde_json::json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}
    })
}

fn add_common_answers(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let has_param = |place: &str| {
                op.get("parameters")
                    .and_then(|p| p.as_array())
                    .is_some_and(|ps| ps.iter().any(|p| p["in"] == place))
            };
            let mut add: Vec<(&str, &str)> = Vec::new();
            if op
                .get("security")
                .and_then(|s| s.as_array())
                .is_some_and(|s| !s.is_empty())
            {
                add.push((
                    "401",
                    "unauthorized: no token or session, or a revoked or expired one",
                ));
                add.push((
                    "403",
                    "forbidden: admins only, an account without a cooperative, or a cookie-signed write without X-Requested-With",
                ));
            }
            if op
                .get("requestBody")
                .and_then(|b| b.pointer("/content/application~1json"))
                .is_some()
            {
                add.push(("400", "malformed_json"));
                add.push(("413", "payload_too_large"));
                add.push((
                    "415",
                    "unsupported_media_type: the body must be application/json",
                ));
                add.push(("422", "validation_failed, naming the field"));
            }
            if has_param("query") {
                add.push((
                    "400",
                    "invalid_query: a bad or unknown parameter, naming it",
                ));
            }
            if has_param("path") {
                add.push(("404", "not_found: nothing has this address"));
            }
            let responses = op
                .entry("responses")
                .or_insert_with(|| serde_json::json!({}));
            let Some(responses) = responses.as_object_mut() else {
                continue;
            };
            // Problems are sent as application/problem+json.
            for answer in responses.values_mut() {
                let Some(content) = answer.get_mut("content").and_then(|c| c.as_object_mut())
                else {
                    continue;
                };
                let is_problem = content
                    .get("application/json")
                    .is_some_and(|c| c.pointer("/schema/$ref") == Some(&PROBLEM_REF.into()));
                if is_problem {
                    if let Some(schema) = content.remove("application/json") {
                        content.insert("application/problem+json".into(), schema);
                    }
                }
            }
            for (status, description) in add {
                responses
                    .entry(status)
                    .or_insert_with(|| problem(description));
            }
        }
    }
}

#[get("/api/openapi.json")]
pub async fn openapi_json(req: actix_web::HttpRequest) -> HttpResponse {
    crate::http::etag::json(&req, document())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A plain HTML reference built from the same document: no scripts, no CDN.
#[get("/api/docs")]
pub async fn docs_page() -> HttpResponse {
    let doc = document();
    let mut html = String::from(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
        "<title>vungcao API</title><style>",
        "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem}",
        "code{background:#f3f3f3;padding:0 .2em}.m{display:inline-block;min-width:4.5em;font-weight:bold}",
        "section{border-top:1px solid #ddd;padding:.5rem 0}table{border-collapse:collapse}td{padding:.1rem .6rem}",
        "</style></head><body><h1>vungcao API</h1>",
        "<p>Machine-readable: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3).</p>"
    ));
    if let Some(desc) = doc.pointer("/info/description").and_then(|d| d.as_str()) {
        html.push_str(&format!("<p>{}</p>", escape(desc)));
    }
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            let Some(ops) = item.as_object() else {
                continue;
            };
            for (method, op) in ops {
                html.push_str("<section>");
                html.push_str(&format!(
                    "<div><span class=\"m\">{}</span><code>{}</code></div>",
                    escape(&method.to_uppercase()),
                    escape(path)
                ));
                for key in ["summary", "description"] {
                    if let Some(text) = op.get(key).and_then(|s| s.as_str()) {
                        html.push_str(&format!("<p>{}</p>", escape(text)));
                    }
                }
                if let Some(params) = op.get("parameters").and_then(|p| p.as_array()) {
                    html.push_str("<table>");
                    for p in params {
                        html.push_str(&format!(
                            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                            escape(p.get("name").and_then(|v| v.as_str()).unwrap_or_default()),
                            escape(p.get("in").and_then(|v| v.as_str()).unwrap_or_default()),
                            escape(
                                p.get("description")
                                    .and_then(|v| v.as_str())
                                    .unwrap_or_default()
                            ),
                        ));
                    }
                    html.push_str("</table>");
                }
                if let Some(responses) = op.get("responses").and_then(|r| r.as_object()) {
                    let codes: Vec<String> = responses.keys().map(|k| escape(k)).collect();
                    html.push_str(&format!("<p>Responses: {}</p>", codes.join(", ")));
                }
                html.push_str("</section>");
            }
        }
    }
    html.push_str("<h2>Error codes</h2><table>");
    if let Some(codes) = doc
        .pointer("/components/schemas/Code/enum")
        .and_then(|c| c.as_array())
    {
        for code in codes.iter().filter_map(|c| c.as_str()) {
            html.push_str(&format!(
                "<tr id=\"problem-{0}\"><td><code>{0}</code></td></tr>",
                escape(code)
            ));
        }
    }
    html.push_str("</table></body></html>");
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html)
}
