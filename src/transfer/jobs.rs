//! Imports running in the background: each has an id (a row of `import_jobs`), its progress
//! and, at the end, its report or refusal. The process running a job keeps its progress in
//! memory and writes it to the row every second (the heartbeat), so any replica answers for any
//! job, and a job whose heartbeat stopped (its server died or restarted) is reported failed.

use super::report::ImportReport;
use super::Stage;
use crate::error::{AppError, Code};
use crate::store::import_jobs::{self, JobRow, JobUpdate};
use crate::store::Db;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Jobs of this process kept in memory for their progress; older ones are read from the table.
const KEPT: usize = 200;
/// How often a running job writes its progress (and so shows it is alive).
const HEARTBEAT: Duration = Duration::from_secs(1);
/// A running job whose row has not been written for this long has lost its process.
const STALE_SECONDS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    /// The report is ready (look at `report.written`).
    Done,
    /// The file was refused as a whole (`error`).
    Refused,
    /// The server running the import stopped before it finished (`error`).
    Failed,
}

impl JobState {
    fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Refused => "refused",
            JobState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> JobState {
        match s {
            "running" => JobState::Running,
            "done" => JobState::Done,
            "refused" => JobState::Refused,
            _ => JobState::Failed,
        }
    }
}

/// Why a file was refused (or a job failed), in both languages.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobError {
    pub code: Code,
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

impl ImportJob {
    fn running(id: u64, owner: Option<i64>) -> ImportJob {
        ImportJob {
            id,
            state: JobState::Running,
            stage: Some(Stage::Checking.name().into()),
            done: 0,
            total: 0,
            report: None,
            error: None,
            owner,
        }
    }

    /// A stored job; a running one whose heartbeat stopped is shown as failed.
    fn from_row(row: JobRow) -> ImportJob {
        let mut state = JobState::parse(&row.state);
        let mut error = row
            .error
            .as_deref()
            .and_then(|e| serde_json::from_str::<JobError>(e).ok());
        let stale = row.updated_at < crate::store::now() - chrono::Duration::seconds(STALE_SECONDS);
        if state == JobState::Running && stale {
            state = JobState::Failed;
            error = Some(abandoned());
        }
        ImportJob {
            id: u64::try_from(row.id).unwrap_or_default(),
            state,
            stage: row.stage.filter(|_| state == JobState::Running),
            done: usize::try_from(row.done).unwrap_or_default(),
            total: usize::try_from(row.total).unwrap_or_default(),
            report: row
                .report
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok()),
            error,
            owner: row.owner_cooperative_id,
        }
    }
}

/// The message of a job whose server stopped under it.
fn abandoned() -> JobError {
    JobError {
        code: Code::Internal,
        detail: Some(
            "The server running this import stopped before it finished (a restart or a crash). \
             Upload the file again: rows already imported are matched and left unchanged."
                .into(),
        ),
        detail_vi: Some(
            "Máy chủ đang chạy lần nhập này đã dừng trước khi xong (khởi động lại hoặc gặp sự cố). \
             Hãy tải tệp lên lại: các dòng đã nhập sẽ được nhận ra và giữ nguyên."
                .into(),
        ),
    }
}

/// The jobs this process runs, with their progress (shared by the app's workers).
#[derive(Default)]
pub struct Registry {
    jobs: Mutex<BTreeMap<u64, ImportJob>>,
}

impl Registry {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<u64, ImportJob>) -> T) -> T {
        let mut guard = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    fn remember(&self, job: ImportJob) {
        self.with(|jobs| {
            jobs.insert(job.id, job);
            while jobs.len() > KEPT {
                jobs.pop_first();
            }
        });
    }

    fn get(&self, id: u64) -> Option<ImportJob> {
        self.with(|jobs| jobs.get(&id).cloned())
    }

    pub fn progress(&self, id: u64, stage: Stage, done: usize, total: usize) {
        self.with(|jobs| {
            if let Some(job) = jobs.get_mut(&id) {
                job.stage = Some(stage.name().into());
                job.done = done;
                job.total = total;
            }
        });
    }

    /// The job as it ends with `result` (not yet shown: its row is written first).
    fn finished(&self, id: u64, result: Result<ImportReport, AppError>) -> Option<ImportJob> {
        let mut job = self.get(id)?;
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
        Some(job)
    }
}

/// Writes a job to its row; `updated_at` is its heartbeat.
async fn save(db: &Db, job: ImportJob) -> Result<(), AppError> {
    db.run(move |conn| {
        let json = |value: Result<String, serde_json::Error>| {
            value.map_err(|e| AppError::internal(format!("import job as json: {e}")))
        };
        let report = job
            .report
            .as_ref()
            .map(|r| json(serde_json::to_string(r)))
            .transpose()?;
        let error = job
            .error
            .as_ref()
            .map(|e| json(serde_json::to_string(e)))
            .transpose()?;
        import_jobs::update(
            conn,
            i64::try_from(job.id).unwrap_or_default(),
            &JobUpdate {
                state: job.state.as_str(),
                stage: job.stage.as_deref(),
                done: i64::try_from(job.done).unwrap_or_default(),
                total: i64::try_from(job.total).unwrap_or_default(),
                report: report.as_deref(),
                error: error.as_deref(),
            },
        )
    })
    .await
}

/// What the uploader chose for an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportChoices {
    /// Write the valid rows even when others are refused.
    pub partial: bool,
    /// Archive the cooperative's listings the file leaves out.
    pub archive_missing: bool,
}

/// Starts an import in the background (the API and the upload pages alike): its job at once,
/// progress and the report by id later, from any replica. `owner` limits the job to a member's
/// cooperative `(id, slug)`. `admission` is the upload's place in the server's upload budget:
/// the job holds it until it ends, since the file's bytes stay in memory until then.
pub async fn launch(
    state: &crate::state::AppState,
    bytes: Vec<u8>,
    admission: crate::uploads::UploadPass,
    choices: ImportChoices,
    owner: Option<(i64, String)>,
) -> Result<ImportJob, AppError> {
    let ImportChoices {
        partial,
        archive_missing,
    } = choices;
    let owner_id = owner.as_ref().map(|c| c.0);
    let id = state
        .db
        .run(move |conn| import_jobs::insert(conn, owner_id))
        .await?;
    let job = ImportJob::running(u64::try_from(id).unwrap_or_default(), owner_id);
    let id = job.id;
    let registry = state.imports.clone();
    registry.remember(job.clone());
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
        let _admission = admission;
        let reporter = registry.clone();
        let import = super::run(&db, &media, bytes, options, move |stage, done, total| {
            reporter.progress(id, stage, done, total)
        });
        let heartbeat = async {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                let Some(job) = registry.get(id) else {
                    continue;
                };
                // Best effort: SQLite may be busy with the import's own transaction.
                if let Err(e) = save(&db, job).await {
                    tracing::debug!(job = id, error = %e, "import progress not saved");
                }
            }
        };
        let result = tokio::select! {
            result = import => result,
            () = heartbeat => return,
        };
        if result.as_ref().is_ok_and(|r| r.written) {
            microcache.everything_changed();
        }
        let Some(finished) = registry.finished(id, result) else {
            return;
        };
        // The row first, then this process's view: whoever sees the job done here finds it
        // done on every replica.
        for attempt in 1..=10 {
            match save(&db, finished.clone()).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(job = id, attempt, error = %e, "import result not saved yet");
                    tokio::time::sleep(HEARTBEAT).await;
                }
            }
        }
        registry.remember(finished);
    });
    Ok(job)
}

/// A job by id: this process's own view while it runs it, else its row. `owner` (a member's
/// cooperative) hides other cooperatives' jobs.
pub async fn get(
    state: &crate::state::AppState,
    id: u64,
    owner: Option<i64>,
) -> Result<Option<ImportJob>, AppError> {
    let job = match state.imports.get(id) {
        Some(job) => Some(job),
        None => {
            let Ok(row_id) = i64::try_from(id) else {
                return Ok(None);
            };
            state
                .db
                .run(move |conn| import_jobs::get(conn, row_id))
                .await?
                .map(ImportJob::from_row)
        }
    };
    Ok(job.filter(|j| owner.is_none() || j.owner == owner))
}

/// At start-up: running jobs whose heartbeat stopped belong to a process that is gone; they
/// are marked failed with the reason, in both languages. With SQLite (one process) every
/// running job is: this process has just started and runs none yet.
pub fn fail_abandoned(
    conn: &mut crate::store::Conn,
    backend: crate::store::Backend,
) -> Result<usize, AppError> {
    let single_process = backend == crate::store::Backend::Sqlite;
    let error = serde_json::to_string(&abandoned())
        .map_err(|e| AppError::internal(format!("job error: {e}")))?;
    let cutoff = if single_process {
        crate::store::now() + chrono::Duration::seconds(1)
    } else {
        crate::store::now() - chrono::Duration::seconds(STALE_SECONDS)
    };
    import_jobs::fail_stale(conn, cutoff, &error)
}

/// A member's cooperative `(id, slug)`: what their imports and exports are limited to.
pub async fn member_cooperative(
    state: &crate::state::AppState,
    auth: &crate::accounts::Auth,
) -> Result<(i64, String), crate::error::AppError> {
    let id = crate::workflow::member_cooperative(auth)?;
    let coop = state
        .db
        .run(move |conn| crate::store::catalogue::cooperative_by_id(conn, id))
        .await?
        .ok_or_else(|| crate::error::AppError::new(crate::error::Code::CooperativeNotFound))?;
    Ok((coop.id, coop.slug))
}
