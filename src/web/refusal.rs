//! What a page shows when it stops someone: a stale or forged form, or a refusal of the rules,
//! as a page in the visitor's language (never a JSON problem).

use super::i18n::Lang;
use super::{html, AccountNav, Caching, Chrome};
use crate::error::{AppError, Code};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    c: Chrome,
    message: String,
    back: String,
}

/// A stale or forged form: nothing changed, ask to try again.
pub fn expired(req: &HttpRequest, nav: Option<AccountNav>) -> HttpResponse {
    let mut c = Chrome::new(req, "");
    c.title = c.t.form_expired.to_owned();
    c.noindex = true;
    c.account = nav;
    let page = MessagePage {
        message: c.t.form_expired.to_owned(),
        back: "/tai-khoan".into(),
        c,
    };
    html(req, &page, StatusCode::FORBIDDEN, Caching::NoStore)
}

/// A refusal shown as a page (not a JSON problem) to someone using the forms.
pub fn refused(req: &HttpRequest, nav: AccountNav, e: &AppError) -> HttpResponse {
    let lang = Lang::of(req);
    let mut c = Chrome::new(req, "").private(nav);
    let message = match e.code {
        Code::ListingNotFound | Code::NotFound | Code::PhotoNotFound | Code::UserNotFound => {
            c.t.not_found_title.to_owned()
        }
        Code::Forbidden | Code::InvalidTransition => match lang {
            Lang::Vi => e.code.message_vi().to_owned(),
            Lang::En => format!("{}.", e.code.title()),
        },
        // Too many attempts or a busy server: say how long to wait.
        _ if e.retry_after.is_some() => match lang {
            Lang::Vi => e.detail_vi.clone(),
            Lang::En => e.detail.clone(),
        }
        .unwrap_or_else(|| e.code.message_vi().to_owned()),
        _ => match lang {
            Lang::Vi => "Đã có lỗi, vui lòng thử lại sau.".to_owned(),
            Lang::En => "Something went wrong. Please try again later.".to_owned(),
        },
    };
    c.title = message.clone();
    let status = e.code.status();
    let page = MessagePage {
        message,
        back: "/tai-khoan".into(),
        c,
    };
    let mut res = html(req, &page, status, Caching::NoStore);
    with_retry_after(&mut res, e);
    res
}

/// `Retry-After` from the refusal, when it says how long to wait.
pub fn with_retry_after(res: &mut HttpResponse, e: &AppError) {
    if let Some(value) = e.retry_after.and_then(|w| w.to_string().parse().ok()) {
        res.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
}
