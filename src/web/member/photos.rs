//! A listing's photos without JavaScript: upload, move up, delete (with it, the page talks to
//! the JSON API directly).

use crate::error::Code;
use crate::http::body::content_length;
use crate::state::AppState;
use crate::web::extract::{SignedForm, SignedUpload};
use crate::web::refusal::{refused, with_retry_after};
use crate::web::see_other;
use crate::workflow::owned_listing;
use actix_web::{post, web, HttpRequest, HttpResponse};

/// The multipart form carries its CSRF token in the action's query string, so it is checked
/// before a single byte of the upload is read.
#[post("/tai-khoan/san-pham/{id}/anh")]
pub(super) async fn upload_photos(
    state: web::Data<AppState>,
    req: HttpRequest,
    upload: SignedUpload,
    id: web::Path<i64>,
    payload: actix_multipart::Multipart,
) -> HttpResponse {
    let s = upload.who;
    let id = id.into_inner();
    let length = content_length(&req);
    match crate::photos::upload(&state, &s.auth, id, length, payload).await {
        Ok(_) => see_other(&format!("/tai-khoan/san-pham/{id}?ok=saved#anh")),
        Err(e)
            if matches!(
                e.code,
                Code::ProcessingBusy | Code::UploadsBusy | Code::TooManyUploads
            ) =>
        {
            // Back to the form, which says to try again; the wait goes along for clients that
            // read it.
            let mut res = see_other(&format!("/tai-khoan/san-pham/{id}?err=photo-busy#anh"));
            with_retry_after(&mut res, &e);
            res
        }
        // Another cooperative's listing is refused like every other page refuses it, not sent
        // back to its edit page as a failed photo.
        Err(e)
            if (e.code.status().is_client_error()
                && !matches!(e.code, Code::Forbidden | Code::ListingNotFound))
                || e.code.status().is_server_error() =>
        {
            let reason = match e.code {
                Code::HeicNotSupported => "photo-heic",
                Code::UnsupportedImageFormat | Code::EmptyFile => "photo-format",
                Code::FileTooLarge
                | Code::ImageTooLarge
                | Code::PayloadTooLarge
                | Code::FieldTooLarge => "photo-big",
                Code::CorruptImage => "photo-corrupt",
                Code::TooManyPhotos => "photo-many",
                _ => "photo",
            };
            see_other(&format!("/tai-khoan/san-pham/{id}?err={reason}#anh"))
        }
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/tai-khoan/san-pham/{id}/anh/{photo}/len")]
pub(super) async fn move_photo_up(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
    path: web::Path<(i64, i64)>,
) -> HttpResponse {
    let s = signed.who;
    let (id, photo) = path.into_inner();
    let auth = s.auth.clone();
    let media_base = state.media_base.clone();
    let current = state
        .db
        .run(move |conn| {
            owned_listing(conn, &auth, id)?;
            crate::review::member_gallery(conn, id, &media_base)
        })
        .await;
    let listing = match current {
        Ok(l) => l,
        Err(e) => return refused(&req, s.nav, &e),
    };
    let mut order: Vec<i64> = listing.iter().map(|p| p.id).collect();
    if let Some(i) = order.iter().position(|p| *p == photo) {
        if i > 0 {
            order.swap(i - 1, i);
        }
    }
    let cover = order.first().copied();
    match crate::photos::arrange(&state, &s.auth, id, Some(order), cover).await {
        Ok(_) => see_other(&format!("/tai-khoan/san-pham/{id}#anh")),
        Err(e) => refused(&req, s.nav, &e),
    }
}

#[post("/tai-khoan/san-pham/{id}/anh/{photo}/xoa")]
pub(super) async fn delete_photo(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedForm,
    path: web::Path<(i64, i64)>,
) -> HttpResponse {
    let s = signed.who;
    let (id, photo) = path.into_inner();
    match crate::photos::delete(&state, &s.auth, id, photo).await {
        Ok(_) => see_other(&format!("/tai-khoan/san-pham/{id}#anh")),
        Err(e) => refused(&req, s.nav, &e),
    }
}
