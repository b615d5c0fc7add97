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
    /// `checking` or `writing` while running.
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
            job.stage = Some(
                match stage {
                    Stage::Checking => "checking",
                    Stage::Writing => "writing",
                }
                .into(),
            );
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

pub fn get(id: u64) -> Option<ImportJob> {
    with(|r| r.jobs.get(&id).cloned())
}
