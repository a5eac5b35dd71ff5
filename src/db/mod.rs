//! Storage on SQLite or PostgreSQL behind one connection enum.
//!
//! The backend is picked from the URL scheme. Query code is written once and
//! compiled for both backends by [`on_backend!`], which matches on the
//! variant; backend-specific SQL (advisory locks, pragmas) sits in this file.
//! Diesel is synchronous, so every query runs on tokio's blocking pool via
//! [`Db::run`], never on an actix worker.

pub mod models;
pub mod queue;
pub mod schema;

use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseUrl;
use crate::domain::Invalid;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One open connection to either backend.
pub enum DbConn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection of either backend.
/// The body is compiled once per backend, so everything diesel offers on each
/// (RETURNING, upserts, immediate transactions) is available.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Postgres($c) => $body,
        }
    };
}

/// Failures of the storage layer that callers tell apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist; the message names it.
    #[error("{0}")]
    NotFound(String),
    /// The write would break a uniqueness rule; the message says which.
    #[error("{0}")]
    Conflict(String),
    /// The input refers to something that does not fit (a missing group, say).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("a database task failed: {0}")]
    Task(String),
}

impl StoreError {
    pub fn not_found(what: impl Into<String>) -> Self {
        StoreError::NotFound(what.into())
    }

    /// Maps a unique-constraint violation to `Conflict(message)`; keeps other errors.
    pub fn on_unique(
        message: impl Into<String>,
    ) -> impl FnOnce(diesel::result::Error) -> StoreError {
        move |err| match err {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => StoreError::Conflict(message.into()),
            other => StoreError::Database(other),
        }
    }
}

impl DbConn {
    /// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite, so two
    /// writers queue on the busy timeout instead of failing on a lock
    /// upgrade; a plain transaction on PostgreSQL. Commits when `f` returns
    /// `Ok`, rolls back otherwise.
    pub fn write_transaction<T, E>(
        &mut self,
        f: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        self.transaction_with("BEGIN IMMEDIATE", "BEGIN", f)
    }

    /// Inside a transaction, on PostgreSQL: its commit returns without
    /// waiting for the WAL to reach the disk (`SET LOCAL synchronous_commit
    /// = off`), as SQLite's `synchronous = NORMAL` already does for every
    /// commit. Only for bookkeeping that a database crash may undo without
    /// losing anything: the outbox's claims, fan-out batches and sent marks
    /// (undone, they cause a resend, never a lost email). Saves a disk flush
    /// per email batch.
    pub fn commit_without_waiting_for_disk(&mut self) -> Result<(), diesel::result::Error> {
        match self {
            DbConn::Postgres(c) => c.batch_execute("SET LOCAL synchronous_commit = off"),
            DbConn::Sqlite(_) => Ok(()),
        }
    }

    /// Runs `f` in a read-only transaction that sees one consistent state.
    pub fn read_transaction<T, E>(
        &mut self,
        f: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        self.transaction_with(
            "BEGIN",
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            f,
        )
    }

    fn transaction_with<T, E>(
        &mut self,
        sqlite_begin: &str,
        postgres_begin: &str,
        f: impl FnOnce(&mut DbConn) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        // Inside a transaction already, diesel's manager opens a savepoint, so
        // model functions compose: one outer write can call another.
        let nested = on_backend!(self, |c| {
            AnsiTransactionManager::transaction_manager_status_mut(c)
                .transaction_depth()
                .map(|depth| depth.is_some())
        })?;
        match self {
            DbConn::Sqlite(c) if nested => AnsiTransactionManager::begin_transaction(c)?,
            DbConn::Postgres(c) if nested => AnsiTransactionManager::begin_transaction(c)?,
            DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, sqlite_begin)?,
            DbConn::Postgres(c) => {
                AnsiTransactionManager::begin_transaction_sql(c, postgres_begin)?
            }
        }
        let outcome = f(self);
        let finish = match &outcome {
            Ok(_) => on_backend!(self, |c| AnsiTransactionManager::commit_transaction(c)),
            Err(_) => on_backend!(self, |c| AnsiTransactionManager::rollback_transaction(c)),
        };
        if let Err(err) = finish {
            if outcome.is_ok() {
                if let Err(rollback) =
                    on_backend!(self, |c| AnsiTransactionManager::rollback_transaction(c))
                {
                    tracing::error!(error = %rollback, "rollback after a failed commit failed");
                }
                return Err(err.into());
            }
            tracing::error!(error = %err, "rollback failed");
        }
        outcome
    }
}

/// Opens connections for the r2d2 pool, for the backend the URL named.
#[derive(Debug, Clone)]
pub struct Connector {
    target: DatabaseUrl,
}

impl ManageConnection for Connector {
    type Connection = DbConn;
    type Error = diesel::ConnectionError;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match &self.target {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                conn.batch_execute("SET TIME ZONE 'UTC'")
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Postgres(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        on_backend!(conn, |c| c.batch_execute("SELECT 1"))
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// A handle on the connection pool; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Connector>,
    backend: &'static str,
}

impl Db {
    /// Opens the pool. Fails with a clear message when the database cannot be reached.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> anyhow::Result<Db> {
        if let DatabaseUrl::Sqlite(path) = url {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).with_context(|| {
                    format!("creating the folder for the SQLite file {}", path.display())
                })?;
            }
        }
        let pool = Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .test_on_check_out(false)
            .build(Connector {
                target: url.clone(),
            })
            .with_context(|| format!("cannot open the database at {}", url.redacted()))?;
        let backend = match url {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        };
        Ok(Db { pool, backend })
    }

    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.run_as(f).await
    }

    /// [`Db::run`] for a caller whose errors are its own (the application
    /// layer's), into which a storage failure converts.
    pub async fn run_as<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` on the calling thread (CLI commands, start-up).
    pub fn run_now<T>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.get()?;
        f(&mut conn)
    }

    /// Applies pending migrations of this backend. On PostgreSQL an advisory
    /// lock keeps several instances starting together from racing.
    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.pool.get().context("connecting to run migrations")?;
        let applied = match &mut *conn {
            DbConn::Sqlite(c) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.to_string()).collect())
                .map_err(|e| anyhow::anyhow!("running SQLite migrations: {e}"))?,
            DbConn::Postgres(c) => {
                c.batch_execute("SELECT pg_advisory_lock(727274)")?;
                let result = c
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>())
                    .map_err(|e| anyhow::anyhow!("running PostgreSQL migrations: {e}"));
                c.batch_execute("SELECT pg_advisory_unlock(727274)")?;
                result?
            }
        };
        Ok(applied)
    }

    /// Whether the database answers a trivial query (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.run(|conn| {
            on_backend!(conn, |c| c.batch_execute("SELECT 1")).map_err(StoreError::from)
        })
        .await
    }
}

/// The current time as stored: UTC without offset.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
