//! The database: the one source of truth. SQLite or PostgreSQL, chosen by the URL scheme.
//!
//! Queries are written once and compiled for each backend by [`with_conn!`]; diesel is blocking,
//! so async callers go through [`Db::run`], which moves the work to the blocking pool, or, for a
//! shopper's quick read, [`Db::read`] (on SQLite it runs where it is called when it can).

pub mod calendar_version;
pub mod catalogue;
pub mod changes;
pub mod clicks;
pub mod import_jobs;
pub mod in_list;
pub mod indexed_changes;
pub mod listings;
pub mod outbox;
pub mod photos;
pub mod read_batches;
pub mod revisions;
pub mod schema;
pub mod shared_read;
pub mod stats;
pub mod storefront_version;
pub mod users;

use crate::error::AppError;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The scheme decides, never a connection attempt: SQLite would accept any string as a path.
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A pooled connection of either backend.
pub enum Conn {
    Postgres(PooledConnection<ConnectionManager<PgConnection>>),
    Sqlite(PooledConnection<ConnectionManager<SqliteConnection>>),
}

/// Runs `$body` with `$c` bound to the concrete connection, compiled once per backend.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::Conn::Postgres(pooled) => {
                let $c: &mut diesel::PgConnection = &mut *pooled;
                $body
            }
            $crate::store::Conn::Sqlite(pooled) => {
                let $c: &mut diesel::SqliteConnection = &mut *pooled;
                $body
            }
        }
    };
}

/// SQLite's page cache for the whole pool, in KiB, shared out between the connections. Each
/// connection has its own cache and the pool hands requests round the connections, so a
/// per-connection size is paid by every one of them: 16 MB each was 256 MB on a million-listing
/// catalogue. Pages missing from it come from the operating system's file cache.
const SQLITE_CACHE_KIB_TOTAL: u32 = 32 * 1024;
/// The least a connection gets, in KiB.
const SQLITE_CACHE_KIB_MIN: u32 = 1024;

/// A connection's page cache (KiB) when `pool` connections share [`SQLITE_CACHE_KIB_TOTAL`].
fn sqlite_cache_kib(pool: u32) -> u32 {
    (SQLITE_CACHE_KIB_TOTAL / pool.max(1)).max(SQLITE_CACHE_KIB_MIN)
}

/// Every SQLite connection's settings. The file is read with a `pread` per page missing from the
/// connection's cache, never through a memory map (`mmap_size = 0`, whatever the library's
/// default): each connection maps the file itself, and every page a mapping has touched counts
/// in the server's resident memory, once per mapping. With a 1 GiB map, a million-listing server
/// that had read detail pages for 30 s held 1 325 MiB (1 112 of it the file), 270 MiB without
/// the map (`bench/serve-memory.sh`); the figure grew with the catalogue and the time served. The
/// map gave detail reads a sixth more throughput (`bench/reads-ab.sh`, 100 000 listings).
#[derive(Debug)]
struct SqlitePragmas {
    cache_kib: u32,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // No journal mode here: it belongs to the file, set once by [`sqlite_wal`].
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA cache_size = -{}; PRAGMA mmap_size = 0;",
            self.cache_kib
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Puts the SQLite file at `path` in WAL mode, before the pool opens its connections. The mode
/// is kept in the file. Switching to it fails at once, busy timeout or not, while another
/// connection is writing to the file or switching it too (SQLite does not wait where waiting
/// could deadlock): when every connection asked for it, those the pool opened side by side on a
/// new file failed with "database is locked" (logged as an error by the pool, which then opened
/// them again). Tried for about a second, for another process starting on the same new file at
/// that moment (tests `wal_tests`).
fn sqlite_wal(path: &str) -> anyhow::Result<()> {
    use diesel::Connection;
    let mut tries = 0;
    loop {
        let result = SqliteConnection::establish(path)
            .map_err(anyhow::Error::from)
            .and_then(|mut conn| {
                conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")
                    .map_err(anyhow::Error::from)
            });
        match result {
            Err(e) if tries < 20 => {
                tracing::debug!(error = %e, "SQLite file busy while setting WAL mode; trying again");
                tries += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// How the shoppers' read connections on PostgreSQL plan their statements (see [`Db::read`]).
#[derive(Debug)]
struct ReadPlans;

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for ReadPlans {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(READ_SESSION)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The settings of a read connection's session on PostgreSQL:
/// - each prepared statement's generic plan, made once and kept, instead of a plan made for
///   each execution's values: a shopper's read is a few indexed lookups whose best plan does
///   not depend on the values, and PostgreSQL's own choice (`auto`) planned the month + OCOP +
///   price list afresh at every request (0.3 ms of planning for 0.25 ms of execution;
///   `bench/pg-plans.sh` on a 100 000-listing catalogue: 5 100 executions/s against 10 700
///   with the generic plan). Plans are made again when the tables' statistics change (`ANALYZE`, autovacuum),
///   so a catalogue that grows from empty does not keep the plans of an empty table for long;
///   bulk loads, imports and writes stay on the main pool, planned per execution (a loader's
///   statement planned generically on an empty table kept scanning it whole);
/// - no parallel workers: with `LIMIT $n` unknown the generic plan of a list page gathered two
///   workers, 8 ms to start for 0.2 ms of work.
const READ_SESSION: &str =
    "SET plan_cache_mode = force_generic_plan; SET max_parallel_workers_per_gather = 0;";

/// PostgreSQL connections kept for shoppers' reads ([`Db::read`]), with their own gate.
#[derive(Clone)]
struct ReadLane {
    pool: Pool<ConnectionManager<PgConnection>>,
    gate: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Which connections a job runs on.
#[derive(Clone, Copy)]
enum Lane {
    /// The main pool: writes, imports, CLI work, anything not a shopper's read.
    Main,
    /// [`ReadLane`] on PostgreSQL; the main pool on SQLite.
    Reads,
}

#[derive(Clone)]
enum Pools {
    Postgres(Pool<ConnectionManager<PgConnection>>),
    Sqlite(Pool<ConnectionManager<SqliteConnection>>),
}

/// The database handle the whole app shares.
#[derive(Clone)]
pub struct Db {
    pools: Pools,
    /// As many blocking jobs as connections: extra requests wait here, asynchronously, instead
    /// of parking blocking threads on the pool.
    gate: std::sync::Arc<tokio::sync::Semaphore>,
    /// Told which listings each [`Db::run`] changed.
    changes: changes::ChangeFeed,
    /// On PostgreSQL, the shoppers' read connections.
    reads: Option<ReadLane>,
    /// Connections the pools failed to open or set up ([`ConnectionErrors`]).
    connection_errors: ConnectionErrors,
}

/// Counts (here and in `vungcao_db_connection_errors_total`) and logs the connections a pool
/// failed to open or set up; the pool opens them again (r2d2's own handler logged the bare
/// error through `log`).
#[derive(Debug, Clone, Default)]
struct ConnectionErrors(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for ConnectionErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        crate::metrics::with(|m| m.db_connection_errors.inc());
        tracing::error!(%error, "a database connection could not be opened; the pool tries again");
    }
}

impl Db {
    /// Opens a pool; for SQLite the parent folder of the file is created if needed.
    pub fn connect(url: &str, max_size: u32) -> anyhow::Result<Db> {
        let gate =
            |size: u32| std::sync::Arc::new(tokio::sync::Semaphore::new(size.max(1) as usize));
        let mut reads = None;
        let connection_errors = ConnectionErrors::default();
        let pools = match Backend::from_url(url) {
            Backend::Postgres => {
                let builder = || {
                    Pool::builder()
                        .max_size(max_size)
                        .connection_timeout(Duration::from_secs(10))
                        .error_handler(Box::new(connection_errors.clone()))
                        // No `SELECT 1` before every use (r2d2's default): that was one more
                        // round trip per request. A connection the server dropped fails once;
                        // diesel then marks it broken (libpq no longer knows its transaction
                        // state) and the pool closes it instead of handing it out again
                        // (tests/api/pool.rs).
                        .test_on_check_out(false)
                };
                reads = Some(ReadLane {
                    pool: builder()
                        // Opened as reads come: a CLI command never reads as a shopper does.
                        .min_idle(Some(0))
                        .connection_customizer(Box::new(ReadPlans))
                        .build(ConnectionManager::new(url))?,
                    gate: gate(max_size),
                });
                Pools::Postgres(builder().build(ConnectionManager::new(url))?)
            }
            Backend::Sqlite => {
                let path = url.strip_prefix("sqlite://").unwrap_or(url);
                if let Some(parent) = std::path::Path::new(path).parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent)?;
                    }
                }
                sqlite_wal(path)?;
                Pools::Sqlite(
                    Pool::builder()
                        .max_size(max_size)
                        .connection_timeout(Duration::from_secs(10))
                        .error_handler(Box::new(connection_errors.clone()))
                        // A file does not hang up: no `SELECT 1` before every use.
                        .test_on_check_out(false)
                        .connection_customizer(Box::new(SqlitePragmas {
                            cache_kib: sqlite_cache_kib(max_size),
                        }))
                        .build(ConnectionManager::new(path))?,
                )
            }
        };
        Ok(Db {
            pools,
            gate: gate(max_size),
            changes: changes::ChangeFeed::default(),
            reads,
            connection_errors,
        })
    }

    /// How many connections the pools failed to open or set up since [`Db::connect`].
    pub fn connection_errors(&self) -> u64 {
        self.connection_errors
            .0
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The most connections the pool holds (each of the two on PostgreSQL).
    pub fn pool_size(&self) -> u32 {
        match &self.pools {
            Pools::Postgres(p) => p.max_size(),
            Pools::Sqlite(p) => p.max_size(),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Postgres(_) => Backend::Postgres,
            Pools::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// A connection for blocking code (CLI commands, the blocking pool).
    pub fn get(&self) -> Result<Conn, AppError> {
        Ok(match &self.pools {
            Pools::Postgres(p) => Conn::Postgres(p.get().map_err(AppError::pool)?),
            Pools::Sqlite(p) => Conn::Sqlite(p.get().map_err(AppError::pool)?),
        })
    }

    /// Where the listings changed by [`Db::run`] work are reported (the response cache listens).
    pub fn changes(&self) -> &changes::ChangeFeed {
        &self.changes
    }

    /// The read connections `lane` runs on: `None` for the main pool (and on SQLite).
    fn read_lane(&self, lane: Lane) -> Option<&ReadLane> {
        self.reads.as_ref().filter(|_| matches!(lane, Lane::Reads))
    }

    /// A connection of `lane`, for blocking code.
    fn get_in(&self, lane: Lane) -> Result<Conn, AppError> {
        match self.read_lane(lane) {
            Some(reads) => Ok(Conn::Postgres(reads.pool.get().map_err(AppError::pool)?)),
            None => self.get(),
        }
    }

    /// Runs blocking database work off the async workers; the listings it changed are reported
    /// to [`Db::changes`] once it is over.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
    {
        self.run_in(Lane::Main, work).await
    }

    /// A shopper's read-only work on the blocking pool, on PostgreSQL on the read connections
    /// (plans kept, see [`READ_SESSION`]); on SQLite as [`Db::run`]. Never for writes.
    pub async fn run_read<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
    {
        self.run_in(Lane::Reads, work).await
    }

    async fn run_in<T, F>(&self, lane: Lane, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        let gate = self.read_lane(lane).map_or(&self.gate, |reads| &reads.gate);
        let waiting = std::time::Instant::now();
        let permit = gate
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| AppError::unavailable("database gate closed"))?;
        crate::metrics::with(|m| m.db_pool_wait.observe(waiting.elapsed().as_secs_f64()));
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = db.get_in(lane)?;
            let result = db.changes.around(|| work(&mut conn));
            if result
                .as_ref()
                .is_err_and(|e| matches!(e.code, crate::error::Code::Internal))
            {
                conn.close_if_dead();
            }
            result
        })
        .await
        .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?
    }

    /// Quick read-only work (a shopper's read: a few indexed queries): on SQLite it runs right
    /// here on the calling worker when a connection is free this instant, since reading pages
    /// the operating system caches takes less than handing the work to a blocking thread and
    /// waking this one again (that hand-off was a fifth of a detail read's time). Otherwise, and
    /// always on PostgreSQL (a network round trip must not hold the worker), as
    /// [`Db::run_read`]. Never for writes: they may wait on a lock.
    pub async fn read<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
    {
        if let Pools::Sqlite(pool) = &self.pools {
            if let Ok(_permit) = self.gate.try_acquire() {
                if let Some(conn) = pool.try_get() {
                    return work(&mut Conn::Sqlite(conn));
                }
            }
        }
        self.run_read(work).await
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> anyhow::Result<usize> {
        let mut conn = self.get().map_err(|e| anyhow::anyhow!("{e}"))?;
        let applied = match &mut conn {
            Conn::Postgres(c) => c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
                .len(),
            Conn::Sqlite(c) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
                .len(),
        };
        Ok(applied)
    }

    /// Refreshes the planner's statistics (after bulk loads and at start-up). Without them
    /// SQLite may pick an index that ignores the ORDER BY and sort the whole table.
    pub fn analyze(&self) -> Result<(), AppError> {
        let mut conn = self.get()?;
        with_conn!(&mut conn, |c| match self.backend() {
            Backend::Sqlite => c.batch_execute("PRAGMA analysis_limit = 1000; ANALYZE;"),
            Backend::Postgres => c.batch_execute("ANALYZE"),
        })
        .map_err(AppError::from)
    }

    /// After a bulk load: on PostgreSQL `VACUUM (ANALYZE)`, which also marks the new rows'
    /// pages all-visible, so the list pages' index-only scans stop visiting the table for every
    /// index entry (a filtered list read 100 pages instead of 8 after loading 100 000 listings,
    /// until autovacuum came round); on SQLite [`Db::analyze`].
    pub fn settle_after_bulk_load(&self) -> Result<(), AppError> {
        match self.backend() {
            Backend::Sqlite => self.analyze(),
            Backend::Postgres => {
                let mut conn = self.get()?;
                // One statement: VACUUM refuses to run inside a transaction block, and a string
                // of several statements is one.
                with_conn!(&mut conn, |c| c.batch_execute("VACUUM (ANALYZE)"))
                    .map_err(AppError::from)
            }
        }
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<(), AppError> {
        self.run(|conn| with_conn!(conn, |c| c.batch_execute("SELECT 1")).map_err(AppError::from))
            .await
    }
}

impl Conn {
    /// Whether a transaction is open on this connection.
    pub fn in_transaction(&mut self) -> Result<bool, AppError> {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let depth = match self {
            Conn::Postgres(c) => <AnsiTransactionManager as TransactionManager<PgConnection>>::transaction_manager_status_mut(&mut **c).transaction_depth()?,
            Conn::Sqlite(c) => <AnsiTransactionManager as TransactionManager<SqliteConnection>>::transaction_manager_status_mut(&mut **c).transaction_depth()?,
        };
        Ok(depth.is_some())
    }

    /// After a failure: makes sure a connection the server dropped is not handed out again.
    /// diesel marks a PostgreSQL connection broken (and the pool then closes it) when a
    /// statement fails on it, except when preparing a statement fails: a dropped connection
    /// whose next statement was new to it would fail every request given it. A simple
    /// `SELECT 1` always marks it (tests/api/pool.rs); on a live connection it costs one round
    /// trip, on failures only.
    pub fn close_if_dead(&mut self) {
        let _ = self.is_alive();
    }

    /// Whether the connection still answers (a `SELECT 1` on PostgreSQL, which marks it broken
    /// when it does not; a SQLite file always does).
    pub fn is_alive(&mut self) -> bool {
        match self {
            Conn::Postgres(c) => c.batch_execute("SELECT 1").is_ok(),
            Conn::Sqlite(_) => true,
        }
    }

    /// Runs `work` in one transaction: everything or nothing (the outbox row rides along).
    pub fn transaction<T>(
        &mut self,
        work: impl FnOnce(&mut Conn) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let outermost = !self.in_transaction()?;
        if outermost {
            // Whatever an abandoned transaction on this thread left noted is not ours.
            listings::cards::take_pending();
        }
        match self {
            Conn::Postgres(c) => AnsiTransactionManager::begin_transaction(&mut **c)?,
            // IMMEDIATE takes the write lock up front, so busy_timeout applies instead of
            // failing later when a read transaction tries to upgrade.
            // Nested calls become savepoints.
            Conn::Sqlite(c) if outermost => {
                AnsiTransactionManager::begin_transaction_sql(&mut **c, "BEGIN IMMEDIATE")?
            }
            Conn::Sqlite(c) => AnsiTransactionManager::begin_transaction(&mut **c)?,
        }
        let mut result = work(self);
        if outermost {
            // The cards of the listings this transaction changed, written from its final state
            // and committed with it.
            let changed = listings::cards::take_pending();
            if result.is_ok() && !changed.is_empty() {
                if let Err(e) = listings::cards::refresh(self, &changed) {
                    result = Err(e);
                }
            }
        }
        let finish = match (&result, &mut *self) {
            (Ok(_), Conn::Postgres(c)) => AnsiTransactionManager::commit_transaction(&mut **c),
            (Ok(_), Conn::Sqlite(c)) => AnsiTransactionManager::commit_transaction(&mut **c),
            (Err(_), Conn::Postgres(c)) => AnsiTransactionManager::rollback_transaction(&mut **c),
            (Err(_), Conn::Sqlite(c)) => AnsiTransactionManager::rollback_transaction(&mut **c),
        };
        match (result, finish) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(e)) => Err(e.into()),
            (Err(e), _) => Err(e),
        }
    }
}

/// Now, in UTC, to the microsecond: both backends store exactly this, so cursors round-trip.
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    let micros = now.and_utc().timestamp_micros();
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|d| d.naive_utc())
        .unwrap_or(now)
}

/// Stored times are UTC without a zone; clients get RFC 3339 with `Z`.
pub fn utc<S: serde::Serializer>(t: &chrono::NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&t.and_utc(), s)
}

pub fn utc_opt<S: serde::Serializer>(
    t: &Option<chrono::NaiveDateTime>,
    s: S,
) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&t.map(|t| t.and_utc()), s)
}

#[cfg(test)]
mod cache_tests {
    use super::*;
    use diesel::sql_types::BigInt;
    use diesel::RunQueryDsl;

    #[derive(diesel::QueryableByName)]
    struct CacheSize {
        #[diesel(sql_type = BigInt)]
        cache_size: i64,
    }

    #[test]
    fn the_pool_shares_one_sqlite_page_cache_budget() -> anyhow::Result<()> {
        // 16 connections (the default pool) get 2 MiB each: 32 MiB in all, not 16 × 16 MB.
        assert_eq!(sqlite_cache_kib(16), 2048);
        assert_eq!(sqlite_cache_kib(1), 32 * 1024);
        assert_eq!(sqlite_cache_kib(0), 32 * 1024);
        // A very large pool still gives each connection a usable cache.
        assert_eq!(sqlite_cache_kib(200), 1024);
        let dir = tempfile::tempdir()?;
        let db = Db::connect(&dir.path().join("c.db").to_string_lossy(), 16)?;
        let Conn::Sqlite(mut conn) = db.get()? else {
            panic!("a SQLite path opens a SQLite pool");
        };
        let size: CacheSize = diesel::sql_query("PRAGMA cache_size").get_result(&mut *conn)?;
        assert_eq!(size.cache_size, -2048);
        let mapped: MmapSize = diesel::sql_query("PRAGMA mmap_size").get_result(&mut *conn)?;
        assert_eq!(mapped.mmap_size, 0);
        Ok(())
    }

    #[derive(diesel::QueryableByName)]
    struct JournalMode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }

    #[test]
    fn a_new_database_file_opens_every_connection_at_the_first_try_in_wal_mode(
    ) -> anyhow::Result<()> {
        // The pool opens its 8 connections side by side before `connect` returns; when each
        // switched the new file to WAL, some failed with "database is locked": with that
        // code this loop met one within its 30 new files (unit test run, 2 cores, 2026-12-07).
        for _ in 0..30 {
            let dir = tempfile::tempdir()?;
            let db = Db::connect(&dir.path().join("w.db").to_string_lossy(), 8)?;
            assert_eq!(db.connection_errors(), 0);
            let Conn::Sqlite(mut conn) = db.get()? else {
                panic!("a SQLite path opens a SQLite pool");
            };
            let mode: JournalMode =
                diesel::sql_query("PRAGMA journal_mode").get_result(&mut *conn)?;
            assert_eq!(mode.journal_mode, "wal");
        }
        Ok(())
    }

    #[test]
    fn a_connection_the_pool_could_not_open_is_counted_and_shown_on_metrics() {
        use diesel::r2d2::HandleError;
        let metric = || crate::metrics::get().map_or(0, |m| m.db_connection_errors.get());
        let before = metric();
        let errors = ConnectionErrors::default();
        errors.handle_error(diesel::r2d2::Error::ConnectionError(
            diesel::ConnectionError::BadConnection("database is locked".into()),
        ));
        assert_eq!(errors.0.load(std::sync::atomic::Ordering::Relaxed), 1);
        // Other tests share the process's metrics: at least this one was added.
        assert!(metric() > before);
    }

    /// Whether this process maps `path` (Linux's `/proc/self/maps`).
    #[cfg(target_os = "linux")]
    fn mapped(path: &std::path::Path) -> anyhow::Result<bool> {
        let maps = std::fs::read_to_string("/proc/self/maps")?;
        let path = path.canonicalize()?;
        Ok(maps.lines().any(|l| l.ends_with(&*path.to_string_lossy())))
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_leave_the_database_file_unmapped() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("s.db");
        let db = Db::connect(&path.to_string_lossy(), 1)?;
        if let Conn::Sqlite(c) = &mut db.get()? {
            c.batch_execute(
                "CREATE TABLE t (v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL \
                 SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT hex(randomblob(500)) FROM n; \
                 PRAGMA wal_checkpoint(TRUNCATE);",
            )?;
        }
        drop(db);
        // A fresh pool reads the table from the file itself (nothing left in the write-ahead
        // log, nothing in its page cache): a read of every row, as a shopper's read of one.
        // Four connections at once, so each is its own (SQLite maps the file per connection).
        let pool = Db::connect(&path.to_string_lossy(), 4)?;
        let mut held = Vec::new();
        for _ in 0..4 {
            let Conn::Sqlite(mut c) = pool.get()? else {
                panic!("a SQLite path opens a SQLite pool");
            };
            let n: CountRow = diesel::sql_query("SELECT count(*) AS n FROM t WHERE length(v) > 0")
                .get_result(&mut *c)?;
            assert_eq!(n.n, 2000);
            let one: CountRow =
                diesel::sql_query("SELECT length(v) AS n FROM t WHERE rowid = 1777")
                    .get_result(&mut *c)?;
            assert_eq!(one.n, 1000);
            let size: MmapSize = diesel::sql_query("PRAGMA mmap_size").get_result(&mut *c)?;
            assert_eq!(size.mmap_size, 0);
            held.push(c);
        }
        assert!(
            !mapped(&path)?,
            "the database file is mapped into the process"
        );
        Ok(())
    }

    #[derive(diesel::QueryableByName)]
    struct CountRow {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    #[derive(diesel::QueryableByName)]
    struct MmapSize {
        #[diesel(sql_type = BigInt)]
        mmap_size: i64,
    }

    /// The thread a read ran on, and what it read.
    fn thread_and_answer(conn: &mut Conn) -> Result<(std::thread::ThreadId, i64), AppError> {
        use diesel::IntoSql;
        let answer = with_conn!(conn, |c| diesel::select(42i64.into_sql::<BigInt>())
            .get_result::<i64>(c))?;
        Ok((std::thread::current().id(), answer))
    }

    #[actix_web::test]
    async fn a_sqlite_read_runs_on_the_calling_thread_while_a_connection_is_free(
    ) -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let db = Db::connect(&dir.path().join("r.db").to_string_lossy(), 2)?;
        let (thread, answer) = db.read(thread_and_answer).await?;
        assert_eq!(answer, 42);
        assert_eq!(
            thread,
            std::thread::current().id(),
            "no hand-off to a blocking thread"
        );
        // `run` still hands the work off (writes may wait on a lock).
        let (thread, _) = db.run(thread_and_answer).await?;
        assert_ne!(thread, std::thread::current().id());
        Ok(())
    }

    #[actix_web::test]
    async fn a_read_waits_for_a_connection_when_every_one_is_busy() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let db = Db::connect(&dir.path().join("b.db").to_string_lossy(), 1)?;
        // The only connection is busy for a while on another thread.
        let busy = db.get()?;
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(busy);
        });
        let (thread, answer) = db.read(thread_and_answer).await?;
        assert_eq!(
            answer, 42,
            "the read is answered once the connection is free"
        );
        assert_ne!(
            thread,
            std::thread::current().id(),
            "the worker did not wait"
        );
        release
            .join()
            .map_err(|_| anyhow::anyhow!("release thread panicked"))?;
        Ok(())
    }
}

#[cfg(test)]
mod wal_tests {
    use super::*;
    use diesel::sql_types::Text;
    use diesel::{Connection, RunQueryDsl};

    #[derive(diesel::QueryableByName)]
    struct JournalMode {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }

    fn journal_mode(path: &str) -> anyhow::Result<String> {
        let mut conn = SqliteConnection::establish(path)?;
        let mode: JournalMode = diesel::sql_query("PRAGMA journal_mode").get_result(&mut conn)?;
        Ok(mode.journal_mode)
    }

    /// Another process writing to the new file (its first migration, say): a write transaction
    /// open, committed after `hold`. Switching the file to WAL meanwhile fails at once, busy
    /// timeout or not (SQLite does not wait where it could deadlock).
    fn written_by_another(
        path: &str,
        hold: Duration,
    ) -> anyhow::Result<std::thread::JoinHandle<()>> {
        let mut other = SqliteConnection::establish(path)?;
        other.batch_execute("BEGIN IMMEDIATE; CREATE TABLE first_start (v INTEGER);")?;
        Ok(std::thread::spawn(move || {
            std::thread::sleep(hold);
            other.batch_execute("COMMIT;").ok();
        }))
    }

    #[test]
    fn a_new_file_written_for_a_moment_by_another_is_put_in_wal_mode_once_it_commits(
    ) -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("new.db").to_string_lossy().into_owned();
        let other = written_by_another(&path, Duration::from_millis(300))?;
        let started = std::time::Instant::now();
        sqlite_wal(&path)?;
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "WAL mode was set while another was writing"
        );
        assert_eq!(journal_mode(&path)?, "wal");
        other.join().ok();
        Ok(())
    }

    #[test]
    fn a_new_file_that_another_keeps_writing_is_an_error_within_seconds() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("new.db").to_string_lossy().into_owned();
        // Longer than `sqlite_wal` tries.
        let other = written_by_another(&path, Duration::from_secs(3))?;
        let started = std::time::Instant::now();
        let err = sqlite_wal(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("locked"),
            "expected a 'database is locked' error, got {err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        other.join().ok();
        Ok(())
    }
}
