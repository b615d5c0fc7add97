//! Cooperative member pages: signing in and out, my listings with their views and clicks (and a
//! statistics page per listing), the listing form, photos without JavaScript, the QR label sheet,
//! and one's password and API tokens; one file per job.

mod form;
mod labels;
mod listings;
mod photos;
mod security;
mod sign_in;
mod stats;

pub use listings::{row_of, Row};
pub use security::local_day;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(sign_in::login_page)
        .service(sign_in::login)
        .service(sign_in::logout)
        .service(listings::my_listings)
        .service(labels::label_sheet)
        .service(stats::listing_stats_page)
        .service(form::new_listing_page)
        .service(form::create_listing)
        .service(form::edit_listing_page)
        .service(form::update_listing)
        .service(form::submit_listing)
        .service(form::archive_listing)
        .service(photos::upload_photos)
        .service(photos::move_photo_up)
        .service(photos::delete_photo)
        .service(security::security_page)
        .service(security::change_password)
        .service(security::revoke_token);
}
