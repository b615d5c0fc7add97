//! Imports running in the background: each has an id, its progress and, at the end, its report
//! or refusal. Kept in this process's memory (the most recent ones only).

use super::report::ImportReport;
use super::Stage;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

/// Finished jobs kept for their reports; older ones are forgotten first.
const KEPT: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    /// The report is ready (look at `report.written`).
    Done,
    /// The file was refused as a whole (`error`).
    Refused,
}

/// Why a file was refused, in both languages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobError {
    pub code: crate::error::Code,
    pub detail: Option<String>,
    pub detail_vi: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportJob {
    pub id: u64,
    pub state: JobState,
    /// `checking`, `photos` or `writing` while running.
    pub stage: Option<String>,
    pub done: usize,
    pub total: usize,
    pub report: Option<ImportReport>,
    pub error: Option<JobError>,
    /// The cooperative a member's import is limited to (its id); `None` for admins.
    #[serde(skip)]
    pub owner: Option<i64>,
}

struct Registry {
    next: u64,
    jobs: BTreeMap<u64, ImportJob>,
}

fn registry() -> &'static Mutex<Registry> {
    static JOBS: OnceLock<Mutex<Registry>> = OnceLock::new();
    JOBS.get_or_init(|| {
        Mutex::new(Registry {
            next: 1,
            jobs: BTreeMap::new(),
        })
    })
}

fn with<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
    let mut guard = registry()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut guard)
}

/// Registers a new running job and returns it.
pub fn start(owner: Option<i64>) -> ImportJob {
    with(|r| {
        let id = r.next;
        r.next += 1;
        let job = ImportJob {
            id,
            state: JobState::Running,
            stage: Some("checking".into()),
            done: 0,
            total: 0,
            report: None,
            error: None,
            owner,
        };
        r.jobs.insert(id, job.clone());
        while r.jobs.len() > KEPT {
            r.jobs.pop_first();
        }
        job
    })
}

pub fn progress(id: u64, stage: Stage, done: usize, total: usize) {
    with(|r| {
        if let Some(job) = r.jobs.get_mut(&id) {
            job.stage = Some(stage.name().into());
            job.done = done;
            job.total = total;
        }
    });
}

pub fn finish(id: u64, result: Result<ImportReport, crate::error::AppError>) {
    with(|r| {
        if let Some(job) = r.jobs.get_mut(&id) {
            job.stage = None;
            match result {
                Ok(report) => {
                    job.done = report.rows;
                    job.total = report.rows;
                    job.state = JobState::Done;
                    job.report = Some(report);
                }
                Err(e) => {
                    job.state = JobState::Refused;
                    job.error = Some(JobError {
                        code: e.code,
                        detail: e.detail,
                        detail_vi: e.detail_vi,
                    });
                }
            }
        }
    });
}

/// Starts an import in the background (the API and the upload pages alike): its job at once,
/// progress and the report by id later. `owner` limits the job to a member's cooperative
/// `(id, slug)`.
pub fn launch(
    state: &crate::startup::AppState,
    bytes: Vec<u8>,
    partial: bool,
    archive_missing: bool,
    owner: Option<(i64, String)>,
) -> ImportJob {
    let job = start(owner.as_ref().map(|c| c.0));
    let id = job.id;
    let options = super::ImportOptions {
        partial,
        archive_missing,
        cooperative: owner.map(|c| c.1),
        review_required: state.settings.review_required,
        max_photo_bytes: state.settings.upload_max_bytes,
        ..super::ImportOptions::default()
    };
    let db = state.db.clone();
    let media = state.media.clone();
    let microcache = state.microcache.clone();
    actix_web::rt::spawn(async move {
        let result = super::run(&db, &media, bytes, options, move |stage, done, total| {
            progress(id, stage, done, total)
        })
        .await;
        if result.as_ref().is_ok_and(|r| r.written) {
            microcache.invalidate();
        }
        finish(id, result);
    });
    job
}

pub fn get(id: u64) -> Option<ImportJob> {
    with(|r| r.jobs.get(&id).cloned())
}

/// A member's cooperative `(id, slug)`: what their imports and exports are limited to.
pub async fn member_cooperative(
    state: &crate::startup::AppState,
    auth: &crate::api::extract::Auth,
) -> Result<(i64, String), crate::error::AppError> {
    let id = auth.user.cooperative_id.ok_or_else(|| {
        crate::error::AppError::new(crate::error::Code::Forbidden)
            .with_detail("this account does not belong to a cooperative")
    })?;
    let coop = state
        .db
        .run(move |conn| crate::store::catalogue::cooperative_by_id(conn, id))
        .await?
        .ok_or_else(|| crate::error::AppError::new(crate::error::Code::CooperativeNotFound))?;
    Ok((coop.id, coop.slug))
}
