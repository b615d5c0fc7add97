//! The HTTP API: one module per audience, each with its own `configure`.

pub mod accounts;
pub mod admin;
pub mod extract;
pub mod imports;
pub mod linkout;
pub mod media;
pub mod member;
pub mod openapi;
pub mod ops;
pub mod params;
pub mod photos;
pub mod public;
pub mod search;
pub mod stats;

use actix_web::web;

/// Appends `items` (listings' stored JSON texts) to `body` as a JSON array.
pub(crate) fn push_json_array(body: &mut String, items: &[String]) {
    body.push('[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    body.push(']');
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(params::query_error))
        .app_data(web::PathConfig::default().error_handler(params::path_error))
        .configure(public::configure)
        .configure(search::configure)
        .configure(accounts::configure)
        .configure(member::configure)
        .configure(stats::configure)
        .configure(photos::configure)
        .configure(media::configure)
        .configure(admin::configure)
        .configure(imports::configure)
        .configure(linkout::configure)
        .configure(ops::configure)
        .configure(openapi::configure);
}
