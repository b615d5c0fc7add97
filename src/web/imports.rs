//! The bulk import pages, for admins (every cooperative) and members (their own): the upload
//! form, then the job's page, which refreshes itself while the import runs and then shows the
//! per-row report. The job has an id, so the page survives a reload.

use super::extract::{SignedIn, SignedInAdmin, SignedUpload};
use super::i18n::Lang;
use super::refusal::refused;
use super::{html, see_other, Caching, Chrome};
use crate::error::{AppError, Code};
use crate::http::body::content_length;
use crate::state::AppState;
use crate::transfer::{self, jobs};
use crate::uploads::UploadPass;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(admin_form)
        .service(admin_upload)
        .service(admin_job)
        .service(member_form)
        .service(member_upload)
        .service(member_job);
}

const ADMIN_BASE: &str = "/quan-tri/nhap";
const MEMBER_BASE: &str = "/tai-khoan/nhap";

/// Who is importing: an admin, or a member limited to their cooperative `(id, slug)`.
enum Importer {
    Admin,
    Member(i64, String),
}

impl Importer {
    fn base(&self) -> &'static str {
        match self {
            Importer::Admin => ADMIN_BASE,
            Importer::Member(..) => MEMBER_BASE,
        }
    }
}

/// The signed-in member and their cooperative (or why they cannot import).
async fn as_member(
    state: &AppState,
    req: &HttpRequest,
    s: SignedIn,
) -> Result<(SignedIn, Importer), HttpResponse> {
    match jobs::member_cooperative(state, &s.auth).await {
        Ok((id, slug)) => Ok((s, Importer::Member(id, slug))),
        Err(e) if e.code == Code::Forbidden => {
            let e = e.with_detail_vi(Lang::Vi.t().imports.no_cooperative);
            let mut res = refused(req, s.nav, &e);
            *res.status_mut() = StatusCode::FORBIDDEN;
            Err(res)
        }
        Err(e) => Err(refused(req, s.nav, &e)),
    }
}

struct Link {
    href: String,
    label: String,
}

#[derive(Template)]
#[template(path = "import.html")]
struct FormPage {
    c: Chrome,
    action: String,
    is_admin: bool,
    error: String,
    templates: Vec<Link>,
    exports: Vec<Link>,
}

fn render_form(
    req: &HttpRequest,
    s: SignedIn,
    who: &Importer,
    error: &str,
    status: StatusCode,
) -> HttpResponse {
    let mut c = Chrome::new(req, "").private(s.nav.clone());
    let t = c.t.imports;
    c.title = format!("{} · Vùng Cao", t.title);
    let templates = ["xlsx", "csv", "json"]
        .iter()
        .map(|f| Link {
            href: format!("/api/v1/imports/template.{f}"),
            label: format!("{} .{f}", t.templates),
        })
        .collect();
    let (export_base, export_label) = match who {
        Importer::Admin => ("/api/v1/admin/export", t.export),
        Importer::Member(..) => ("/api/v1/my/export", t.export_own),
    };
    let exports = ["xlsx", "csv", "json"]
        .iter()
        .map(|f| Link {
            href: format!("{export_base}?format={f}"),
            label: format!("{export_label} .{f}"),
        })
        .collect();
    let page = FormPage {
        action: format!("{}?csrf={}", who.base(), s.nav.csrf),
        is_admin: matches!(who, Importer::Admin),
        error: error.to_owned(),
        templates,
        exports,
        c,
    };
    html(req, &page, status, Caching::NoStore)
}

#[get("/quan-tri/nhap")]
async fn admin_form(req: HttpRequest, SignedInAdmin(s): SignedInAdmin) -> HttpResponse {
    render_form(&req, s, &Importer::Admin, "", StatusCode::OK)
}

#[get("/tai-khoan/nhap")]
async fn member_form(state: web::Data<AppState>, req: HttpRequest, s: SignedIn) -> HttpResponse {
    match as_member(&state, &req, s).await {
        Ok((s, who)) => render_form(&req, s, &who, "", StatusCode::OK),
        Err(res) => res,
    }
}

/// The form's fields: the file (read while streaming, cut off at the import cap) and the two
/// choices.
struct Upload {
    bytes: Vec<u8>,
    partial: bool,
    archive_missing: bool,
}

/// Parts the import form has: the file and two choices (a few more are tolerated).
const MAX_PARTS: usize = 8;

async fn read_upload(
    mut payload: actix_multipart::Multipart,
    pass: &mut UploadPass,
) -> Result<Upload, AppError> {
    let mut upload = Upload {
        bytes: Vec::new(),
        partial: false,
        archive_missing: false,
    };
    let mut parts = 0;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| {
            AppError::new(Code::MalformedJson).with_detail(format!("the upload was cut off: {e}"))
        })?;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(AppError::new(Code::FieldTooLarge)
                .with_detail(format!("the import form has at most {MAX_PARTS} parts"))
                .with_detail_vi(format!("Biểu mẫu nhập có tối đa {MAX_PARTS} phần.")));
        }
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| {
                AppError::new(Code::MalformedJson)
                    .with_detail(format!("the upload was cut off: {e}"))
            })?;
            let len = (bytes.len() + chunk.len()) as u64;
            let cap = if name == "file" {
                transfer::DEFAULT_MAX_BYTES
            } else {
                64
            };
            if len > cap {
                return Err(transfer::too_large(len, cap));
            }
            pass.read(chunk.len())?;
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => upload.bytes = bytes,
            "partial" => upload.partial = !bytes.is_empty(),
            "archive_missing" => upload.archive_missing = !bytes.is_empty(),
            _ => {}
        }
    }
    Ok(upload)
}

/// Starts the job and sends the browser to its page.
async fn upload(
    state: &AppState,
    req: &HttpRequest,
    s: SignedIn,
    who: Importer,
    payload: actix_multipart::Multipart,
) -> HttpResponse {
    // The CSRF token was checked by `SignedUpload` before a byte of the upload was read.
    let lang = Lang::of(req);
    // The whole form (file and fields) may be the import cap and a little more.
    let admitted = state.uploads.admit(
        s.auth.user.id,
        content_length(req),
        transfer::DEFAULT_MAX_BYTES + 64 * 1024,
    );
    let form = match admitted {
        Ok(mut pass) => read_upload(payload, &mut pass)
            .await
            .map(|form| (form, pass)),
        Err(e) => Err(e),
    };
    let (form, admission) = match form {
        Ok(read) => read,
        Err(e) => {
            let message = match lang {
                Lang::Vi => e.detail_vi.clone().or(e.detail.clone()),
                Lang::En => e.detail.clone(),
            }
            .unwrap_or_default();
            let mut page = render_form(req, s, &who, &message, e.code.status());
            if let Some(value) = e.retry_after.and_then(|w| w.to_string().parse().ok()) {
                page.headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, value);
            }
            return page;
        }
    };
    if form.bytes.iter().all(u8::is_ascii_whitespace) {
        let message = lang.t().imports.no_file;
        return render_form(req, s, &who, message, StatusCode::BAD_REQUEST);
    }
    let base = who.base();
    let (owner, archive_missing) = match who {
        Importer::Admin => (None, form.archive_missing),
        // Archiving what a file leaves out is an admin's choice.
        Importer::Member(id, slug) => (Some((id, slug)), false),
    };
    let choices = jobs::ImportChoices {
        partial: form.partial,
        archive_missing,
    };
    match jobs::launch(state, form.bytes, admission, choices, owner).await {
        Ok(job) => see_other(&format!("{base}/{}", job.id)),
        Err(e) => refused(req, s.nav, &e),
    }
}

#[post("/quan-tri/nhap")]
async fn admin_upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedUpload<SignedInAdmin>,
    payload: actix_multipart::Multipart,
) -> HttpResponse {
    let SignedInAdmin(s) = signed.who;
    upload(&state, &req, s, Importer::Admin, payload).await
}

#[post("/tai-khoan/nhap")]
async fn member_upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: SignedUpload,
    payload: actix_multipart::Multipart,
) -> HttpResponse {
    match as_member(&state, &req, signed.who).await {
        Ok((s, who)) => upload(&state, &req, s, who, payload).await,
        Err(res) => res,
    }
}

struct ProblemLine {
    row: usize,
    column: String,
    value: String,
    message: String,
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    c: Chrome,
    id: u64,
    back: String,
    running: bool,
    /// What it is doing and how far, while running.
    stage: String,
    done: usize,
    total: usize,
    /// Set when the file was refused as a whole.
    refusal: String,
    report: Option<transfer::ImportReport>,
    problems: Vec<ProblemLine>,
}

async fn render_job(
    state: &AppState,
    req: &HttpRequest,
    s: SignedIn,
    who: &Importer,
    id: u64,
) -> HttpResponse {
    let owner = match who {
        Importer::Admin => None,
        Importer::Member(coop, _) => Some(*coop),
    };
    let job = match jobs::get(state, id, owner).await {
        Ok(Some(job)) => job,
        Ok(None) => return super::not_found(req),
        Err(e) => return refused(req, s.nav, &e),
    };
    let lang = Lang::of(req);
    let mut c = Chrome::new(req, "").private(s.nav);
    let t = c.t.imports;
    c.title = format!("{} #{id} · Vùng Cao", t.job_title);
    let running = job.state == jobs::JobState::Running;
    if running {
        c.refresh_seconds = 2;
    }
    let stage = match job.stage.as_deref() {
        Some("photos") => t.photos,
        Some("writing") => t.writing,
        _ => t.checking,
    }
    .to_owned();
    // A refused file or a job whose server stopped: the reason in the reader's language.
    let refusal = job
        .error
        .as_ref()
        .map(|e| {
            let detail = match lang {
                Lang::Vi => e.detail_vi.clone().or(e.detail.clone()),
                Lang::En => e.detail.clone(),
            };
            match (job.state, detail) {
                (jobs::JobState::Failed, Some(d)) => d,
                (_, Some(d)) => format!("{} {d}", t.refused),
                (_, None) => t.refused.to_owned(),
            }
        })
        .unwrap_or_default();
    let problems = job
        .report
        .as_ref()
        .map(|r| {
            r.problems
                .iter()
                .map(|p| ProblemLine {
                    row: p.row,
                    column: p.column.clone(),
                    value: p.value.clone(),
                    message: match lang {
                        Lang::Vi => p.message.vi.clone(),
                        Lang::En => p.message.en.clone(),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let page = JobPage {
        c,
        id,
        back: who.base().to_owned(),
        running,
        stage,
        done: job.done,
        total: job.total,
        refusal,
        report: job.report,
        problems,
    };
    html(req, &page, StatusCode::OK, Caching::NoStore)
}

#[get("/quan-tri/nhap/{id}")]
async fn admin_job(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedInAdmin(s): SignedInAdmin,
    id: web::Path<u64>,
) -> HttpResponse {
    render_job(&state, &req, s, &Importer::Admin, id.into_inner()).await
}

#[get("/tai-khoan/nhap/{id}")]
async fn member_job(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: SignedIn,
    id: web::Path<u64>,
) -> HttpResponse {
    match as_member(&state, &req, s).await {
        Ok((s, who)) => render_job(&state, &req, s, &who, id.into_inner()).await,
        Err(res) => res,
    }
}
