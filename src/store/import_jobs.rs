//! Bulk import jobs as rows, so any replica (or the same server after a restart) can answer for
//! them: state, progress, the report or refusal as JSON, and a heartbeat.

use super::schema::import_jobs;
use super::{now, Conn};
use crate::error::AppError;
use crate::with_conn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_jobs)]
pub struct JobRow {
    pub id: i64,
    pub owner_cooperative_id: Option<i64>,
    pub state: String,
    pub stage: Option<String>,
    pub done: i64,
    pub total: i64,
    pub report: Option<String>,
    pub error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a running job writes as it goes (and once more at the end).
pub struct JobUpdate<'a> {
    pub state: &'a str,
    pub stage: Option<&'a str>,
    pub done: i64,
    pub total: i64,
    pub report: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// A new running job; answers its id.
pub fn insert(conn: &mut Conn, owner_cooperative_id: Option<i64>) -> Result<i64, AppError> {
    let at = now();
    with_conn!(conn, |c| diesel::insert_into(import_jobs::table)
        .values((
            import_jobs::owner_cooperative_id.eq(owner_cooperative_id),
            import_jobs::state.eq("running"),
            import_jobs::stage.eq(Some("checking")),
            import_jobs::done.eq(0i64),
            import_jobs::total.eq(0i64),
            import_jobs::created_at.eq(at),
            import_jobs::updated_at.eq(at),
        ))
        .returning(import_jobs::id)
        .get_result(c))
    .map_err(AppError::from)
}

/// Writes a running job's state; `updated_at` is its heartbeat. A job that already ended is
/// left as it is (a late heartbeat cannot bring it back to running).
pub fn update(conn: &mut Conn, id: i64, job: &JobUpdate<'_>) -> Result<(), AppError> {
    with_conn!(conn, |c| diesel::update(
        import_jobs::table
            .find(id)
            .filter(import_jobs::state.eq("running"))
    )
    .set((
        import_jobs::state.eq(job.state),
        import_jobs::stage.eq(job.stage),
        import_jobs::done.eq(job.done),
        import_jobs::total.eq(job.total),
        import_jobs::report.eq(job.report),
        import_jobs::error.eq(job.error),
        import_jobs::updated_at.eq(now()),
    ))
    .execute(c))?;
    Ok(())
}

pub fn get(conn: &mut Conn, id: i64) -> Result<Option<JobRow>, AppError> {
    with_conn!(conn, |c| import_jobs::table
        .find(id)
        .select(JobRow::as_select())
        .first(c)
        .optional())
    .map_err(AppError::from)
}

/// Marks failed, with `error`, the running jobs whose heartbeat stopped before `cutoff`: the
/// process running them is gone. Answers how many.
pub fn fail_stale(conn: &mut Conn, cutoff: NaiveDateTime, error: &str) -> Result<usize, AppError> {
    with_conn!(conn, |c| diesel::update(
        import_jobs::table
            .filter(import_jobs::state.eq("running"))
            .filter(import_jobs::updated_at.lt(cutoff))
    )
    .set((
        import_jobs::state.eq("failed"),
        import_jobs::stage.eq(None::<String>),
        import_jobs::error.eq(Some(error)),
        import_jobs::updated_at.eq(now()),
    ))
    .execute(c))
    .map_err(AppError::from)
}
