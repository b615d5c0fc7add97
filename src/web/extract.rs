//! Page extractors: the signed-in visitor, the signed-in admin, and a form signed with the
//! session's CSRF token. Each refuses with the page a browser should see instead: the sign-in
//! page (coming back here), not found for a member on an admin page, or the one "form expired"
//! page for a stale or forged form.

use super::forms::Form;
use super::refusal::expired;
use super::{csrf, see_other, AccountNav};
use crate::accounts::Auth;
use crate::error::{AppError, Code};
use crate::http::credentials::authenticate;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;

/// Answers the request with this page instead of running the handler.
fn instead(page: HttpResponse) -> actix_web::Error {
    InternalError::from_response("page refused", page).into()
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, actix_web::Error> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("app state missing").into())
}

/// Someone signed in to the pages (a member or an admin), with what the page chrome shows them.
pub struct SignedIn {
    pub auth: Auth,
    pub nav: AccountNav,
}

impl SignedIn {
    async fn lookup(req: &HttpRequest) -> Result<SignedIn, actix_web::Error> {
        let state = state_of(req)?;
        match authenticate(&state.db, req).await {
            Ok(auth) => Ok(SignedIn {
                nav: AccountNav {
                    email: auth.user.email.clone(),
                    is_admin: auth.is_admin(),
                    csrf: csrf::session_token(req).unwrap_or_default(),
                },
                auth,
            }),
            Err(e) if e.code == Code::Unauthorized => {
                let next: String =
                    url::form_urlencoded::byte_serialize(req.path().as_bytes()).collect();
                Err(instead(see_other(&format!("/dang-nhap?next={next}"))))
            }
            Err(e) => Err(instead(actix_web::ResponseError::error_response(&e))),
        }
    }
}

/// A signed-in admin (commune or province digital team); a member is shown "not found".
pub struct SignedInAdmin(pub SignedIn);

impl SignedInAdmin {
    async fn lookup(req: &HttpRequest) -> Result<SignedInAdmin, actix_web::Error> {
        let signed_in = SignedIn::lookup(req).await?;
        if !signed_in.auth.is_admin() {
            return Err(instead(super::not_found(req)));
        }
        Ok(SignedInAdmin(signed_in))
    }
}

/// Who may post a page's form: [`SignedIn`] or [`SignedInAdmin`].
pub trait Visitor: Sized + 'static {
    fn find(req: HttpRequest) -> LocalBoxFuture<'static, Result<Self, actix_web::Error>>;
    fn nav(&self) -> &AccountNav;
}

impl Visitor for SignedIn {
    fn find(req: HttpRequest) -> LocalBoxFuture<'static, Result<Self, actix_web::Error>> {
        Box::pin(async move { SignedIn::lookup(&req).await })
    }
    fn nav(&self) -> &AccountNav {
        &self.nav
    }
}

impl Visitor for SignedInAdmin {
    fn find(req: HttpRequest) -> LocalBoxFuture<'static, Result<Self, actix_web::Error>> {
        Box::pin(async move { SignedInAdmin::lookup(&req).await })
    }
    fn nav(&self) -> &AccountNav {
        &self.0.nav
    }
}

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        <SignedIn as Visitor>::find(req.clone())
    }
}

impl FromRequest for SignedInAdmin {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        <SignedInAdmin as Visitor>::find(req.clone())
    }
}

/// A posted form whose CSRF token is this session's.
pub struct SignedForm<V: Visitor = SignedIn> {
    pub who: V,
    pub form: Form,
}

impl<V: Visitor> FromRequest for SignedForm<V> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let body = body.await?;
            let who = V::find(req.clone()).await?;
            let form = Form::parse(&body);
            if !csrf::check_session(&req, form.get(csrf::FIELD)) {
                return Err(instead(expired(&req, Some(who.nav().clone()))));
            }
            Ok(SignedForm { who, form })
        })
    }
}

/// A multipart upload whose CSRF token rides in the action's query string, so it is checked
/// before a single byte of the upload is read. Take the `Multipart` after this.
pub struct SignedUpload<V: Visitor = SignedIn> {
    pub who: V,
}

impl<V: Visitor> FromRequest for SignedUpload<V> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let who = V::find(req.clone()).await?;
            let query = Form::parse(req.query_string().as_bytes());
            if !csrf::check_session(&req, query.get(csrf::FIELD)) {
                return Err(instead(expired(&req, Some(who.nav().clone()))));
            }
            Ok(SignedUpload { who })
        })
    }
}

/// A sign-out form: its token must be this session's, though no one need be signed in.
pub struct SignOutForm;

impl FromRequest for SignOutForm {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let body = body.await?;
            let form = Form::parse(&body);
            if !csrf::check_session(&req, form.get(csrf::FIELD)) {
                return Err(instead(expired(&req, None)));
            }
            Ok(SignOutForm)
        })
    }
}
