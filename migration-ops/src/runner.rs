//! The safe runner: applies pending migrations the way a deploy needs, around sea-orm-migration's
//! own `Migrator`, for `cargo run -p migration -- up` and the app's start-up alike.
//!
//! - **One lock for the whole run**, on a dedicated connection that nothing else uses:
//!   `pg_advisory_lock` on PostgreSQL, `GET_LOCK` on MySQL/MariaDB, an exclusive file lock
//!   beside the database file on SQLite. The wait is bounded (60 s by default); a timeout names
//!   the holder. The lock is released on every path, errors included, and dies with the
//!   connection (or process) if the runner is killed.
//! - **The applied set is read after the lock is taken**, so instances that waited find nothing
//!   left to do and start normally.
//! - **Checksums**: each applied generated migration's schema data is hashed and recorded; a run
//!   refuses to start when an applied migration's data changed since.
//! - **MySQL failures are recorded**: MySQL commits DDL statement by statement, so a migration
//!   that fails halfway leaves part of it applied. The runner records which migration failed at
//!   which statement and refuses later runs until a person has looked, instead of re-running
//!   statements that already ran.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::sqlx;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement,
};

/// How the runner waits and what it checks.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// How long to wait for another process's run to finish (default 60 s).
    pub lock_timeout: Duration,
    /// The expected checksum of each generated migration, by name (the generated
    /// `migration::checksums()`); migrations not listed are not checked.
    pub checksums: Vec<(&'static str, String)>,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            lock_timeout: Duration::from_secs(60),
            checksums: Vec::new(),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Migrations this run applied, in order.
    pub applied: Vec<String>,
    /// Migrations that were applied already.
    pub already_applied: usize,
}

/// Why a run stopped. Every variant says what to do next.
#[derive(Debug)]
pub enum RunError {
    /// Another run held the lock for the whole wait.
    LockTimeout { waited: Duration, holder: String },
    /// An applied migration's data is not what was applied.
    Edited {
        migration: String,
        recorded: String,
        now: String,
    },
    /// A migration failed on MySQL earlier and left part of its statements applied.
    FailedEarlier { migration: String, error: String },
    /// A migration failed now; `applied` lists those applied before it in this run.
    Migration {
        migration: String,
        error: DbErr,
        applied: Vec<String>,
    },
    /// The database could not be reached or queried.
    Database(DbErr),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::LockTimeout { waited, holder } => write!(
                f,
                "another migration run still holds the migration lock after {}s ({holder}); \
                 wait for it to finish, or raise the wait with --lock-timeout",
                waited.as_secs()
            ),
            RunError::Edited {
                migration,
                recorded,
                now,
            } => write!(
                f,
                "migration {migration} was edited after it was applied (applied {recorded}, \
                 now {now}); restore it from version control, and make further changes in a new \
                 migration"
            ),
            RunError::FailedEarlier { migration, error } => write!(
                f,
                "migration {migration} failed earlier and MySQL kept the statements it had \
                 run: {error}\nRecover by hand: undo what it applied (or finish it), then delete \
                 its row: DELETE FROM {JOURNAL_TABLE} WHERE version = '{migration}'"
            ),
            RunError::Migration {
                migration,
                error,
                applied,
            } => {
                write!(f, "migration {migration} failed: {error}")?;
                if !applied.is_empty() {
                    write!(
                        f,
                        "\n(applied before it in this run: {})",
                        applied.join(", ")
                    )?;
                }
                Ok(())
            }
            RunError::Database(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for RunError {}

impl From<DbErr> for RunError {
    fn from(error: DbErr) -> Self {
        RunError::Database(error)
    }
}

/// The sea-orm-migration commands that drop tables and their data.
pub const DESTRUCTIVE_COMMANDS: [&str; 3] = ["fresh", "refresh", "reset"];

/// The environment variable that confirms a destructive command.
pub const ALLOW_DESTROY: &str = "MIGRATION_ALLOW_DESTROY";

/// Refuses `command` when it drops data and `allow_destroy` (the value of
/// [`ALLOW_DESTROY`]) is not `1`, so that no deploy script wipes a database by accident.
pub fn guard_destructive(command: &str, allow_destroy: Option<&str>) -> Result<(), String> {
    if DESTRUCTIVE_COMMANDS.contains(&command) && allow_destroy != Some("1") {
        return Err(format!(
            "`{command}` drops tables and their data; it runs only with {ALLOW_DESTROY}=1 set, \
             so that no deploy script wipes a database by accident"
        ));
    }
    Ok(())
}

const CHECKSUM_TABLE: &str = "seaql_migrations_checksums";
const JOURNAL_TABLE: &str = "seaql_migrations_failures";

/// Applies every pending migration of `M` to the database at `url`, safely (see the module
/// doc). Returns what it applied.
pub async fn up<M: MigratorTrait>(url: &str, options: &RunnerOptions) -> Result<Report, RunError> {
    let backend = backend_of(url)?;
    // The whole run uses one connection of its own: the session lock lives on it, and the
    // migrations run on it, so no pool can hand the lock's session to anyone else.
    let db = connect_one(url, backend).await?;
    let lock = Lock::acquire(&db, url, backend, options.lock_timeout).await?;
    if backend == DbBackend::Sqlite {
        // Table rebuilds need foreign keys off, and SQLite ignores this inside a transaction;
        // `v1::apply` checks every key before each migration commits.
        db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    }
    let result = run_pending::<M>(&db, backend, options).await;
    if backend == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA foreign_keys = ON").await.ok();
    }
    lock.release(&db).await;
    result
}

fn backend_of(url: &str) -> Result<DbBackend, RunError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DbBackend::Postgres)
    } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
        Ok(DbBackend::MySql)
    } else if url.starts_with("sqlite:") {
        Ok(DbBackend::Sqlite)
    } else {
        Err(RunError::Database(DbErr::Custom(format!(
            "unsupported database URL {url:?}: expected postgres://, mysql:// or sqlite:"
        ))))
    }
}

/// A SeaORM connection over exactly one database connection, which is never recycled.
async fn connect_one(url: &str, backend: DbBackend) -> Result<DatabaseConnection, RunError> {
    use sea_orm_migration::sea_orm::{
        SqlxMySqlConnector, SqlxPostgresConnector, SqlxSqliteConnector,
    };
    let error = |e: sqlx::Error| {
        RunError::Database(DbErr::Conn(
            sea_orm_migration::sea_orm::RuntimeErr::Internal(e.to_string()),
        ))
    };
    macro_rules! one {
        ($options:ty) => {
            <$options>::new()
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect(url)
                .await
                .map_err(error)?
        };
    }
    Ok(match backend {
        DbBackend::Postgres => {
            SqlxPostgresConnector::from_sqlx_postgres_pool(one!(sqlx::postgres::PgPoolOptions))
        }
        DbBackend::MySql => {
            SqlxMySqlConnector::from_sqlx_mysql_pool(one!(sqlx::mysql::MySqlPoolOptions))
        }
        _ => SqlxSqliteConnector::from_sqlx_sqlite_pool(one!(sqlx::sqlite::SqlitePoolOptions)),
    })
}

async fn run_pending<M: MigratorTrait>(
    db: &DatabaseConnection,
    backend: DbBackend,
    options: &RunnerOptions,
) -> Result<Report, RunError> {
    // The steady state (nothing to apply) runs no DDL: the bookkeeping tables are created
    // only when a row goes into them.
    if backend == DbBackend::MySql {
        let failed = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT version, error FROM {JOURNAL_TABLE} LIMIT 1"),
            ))
            .await
            .unwrap_or(None);
        if let Some(row) = failed {
            return Err(RunError::FailedEarlier {
                migration: row.try_get("", "version")?,
                error: row.try_get("", "error")?,
            });
        }
    }

    // Read after the lock: whatever another instance applied while this one waited counts.
    let applied = M::get_applied_migrations_read_only(db).await?;
    let recorded = recorded_checksums(db, backend).await?;
    for migration in &applied {
        let name = migration.name();
        let Some((_, expected)) = options.checksums.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        match recorded.iter().find(|(n, _)| n == name) {
            Some((_, checksum)) if checksum != expected => {
                return Err(RunError::Edited {
                    migration: name.to_owned(),
                    recorded: checksum.clone(),
                    now: expected.clone(),
                });
            }
            Some(_) => {}
            // Applied before checksums were kept: adopt what is there now.
            None => record_checksum(db, backend, name, expected).await?,
        }
    }

    let mut report = Report {
        applied: Vec::new(),
        already_applied: applied.len(),
    };
    // Pending: known here and not applied (computed, not queried again).
    let applied_names: Vec<&str> = applied.iter().map(|m| m.name()).collect();
    let pending: Vec<String> = M::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .filter(|name| !applied_names.contains(&name.as_str()))
        .collect();
    for name in pending {
        let outcome = M::up(db, Some(1)).await;
        if let Err(error) = outcome {
            if backend == DbBackend::MySql {
                record_failure(db, &name, &error).await?;
            }
            return Err(RunError::Migration {
                migration: name,
                error,
                applied: report.applied,
            });
        }
        if let Some((_, checksum)) = options.checksums.iter().find(|(n, _)| *n == name) {
            record_checksum(db, backend, &name, checksum).await?;
        }
        report.applied.push(name);
    }
    Ok(report)
}

async fn recorded_checksums(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<Vec<(String, String)>, DbErr> {
    // No table yet: nothing recorded yet.
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT version, checksum FROM {CHECKSUM_TABLE}"),
        ))
        .await
        .unwrap_or_default();
    rows.iter()
        .map(|row| Ok((row.try_get("", "version")?, row.try_get("", "checksum")?)))
        .collect()
}

/// `CREATE TABLE IF NOT EXISTS` for one of the runner's bookkeeping tables.
async fn create_bookkeeping_table(
    db: &DatabaseConnection,
    table: &str,
    second_column: &str,
) -> Result<(), DbErr> {
    let text = match db.get_database_backend() {
        DbBackend::MySql => "varchar(255)",
        _ => "varchar",
    };
    let second_type = if second_column == "error" {
        "text"
    } else {
        text
    };
    db.execute_unprepared(&format!(
        "CREATE TABLE IF NOT EXISTS {table} (version {text} NOT NULL PRIMARY KEY, \
         {second_column} {second_type} NOT NULL)"
    ))
    .await
    .map(|_| ())
}

async fn record_checksum(
    db: &DatabaseConnection,
    backend: DbBackend,
    name: &str,
    checksum: &str,
) -> Result<(), DbErr> {
    create_bookkeeping_table(db, CHECKSUM_TABLE, "checksum").await?;
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            DbBackend::Postgres => {
                format!("INSERT INTO {CHECKSUM_TABLE} (version, checksum) VALUES ($1, $2)")
            }
            _ => format!("INSERT INTO {CHECKSUM_TABLE} (version, checksum) VALUES (?, ?)"),
        },
        [name.into(), checksum.into()],
    ))
    .await
    .map(|_| ())
}

async fn record_failure(db: &DatabaseConnection, name: &str, error: &DbErr) -> Result<(), DbErr> {
    create_bookkeeping_table(db, JOURNAL_TABLE, "error").await?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::MySql,
        format!("INSERT INTO {JOURNAL_TABLE} (version, error) VALUES (?, ?)"),
        [name.into(), error.to_string().into()],
    ))
    .await
    .map(|_| ())
}

/// The migration lock: a session lock on the runner's connection, or a file lock for SQLite.
enum Lock {
    Postgres(i64),
    MySql(String),
    SqliteFile(std::fs::File),
    None,
}

/// The first column of the first row of `sql`.
async fn scalar<T: sea_orm_migration::sea_orm::TryGetable>(
    db: &DatabaseConnection,
    sql: String,
) -> Result<Option<T>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    row.map(|row| row.try_get_by_index::<T>(0)).transpose()
}

impl Lock {
    async fn acquire(
        db: &DatabaseConnection,
        url: &str,
        backend: DbBackend,
        timeout: Duration,
    ) -> Result<Lock, RunError> {
        let start = Instant::now();
        match backend {
            DbBackend::Postgres => {
                let key: i64 = scalar(
                    db,
                    "SELECT ('x' || substr(md5(current_database() || '.seaql_migrations'), 1, 16))\
                     ::bit(64)::bigint"
                        .to_owned(),
                )
                .await?
                .unwrap_or_default();
                loop {
                    let got: Option<bool> =
                        scalar(db, format!("SELECT pg_try_advisory_lock({key})")).await?;
                    if got == Some(true) {
                        return Ok(Lock::Postgres(key));
                    }
                    if start.elapsed() >= timeout {
                        let holder: Option<String> = scalar(
                            db,
                            format!(
                                "SELECT 'pid ' || a.pid || ', application ' || \
                                 coalesce(nullif(a.application_name, ''), '?') || ', since ' || \
                                 a.backend_start FROM pg_locks l JOIN pg_stat_activity a \
                                 ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted \
                                 AND ((l.classid::bigint << 32) | l.objid::bigint) = {key} LIMIT 1"
                            ),
                        )
                        .await?;
                        return Err(RunError::LockTimeout {
                            waited: start.elapsed(),
                            holder: holder.unwrap_or_else(|| "holder unknown".to_owned()),
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            DbBackend::MySql => {
                let name: String = scalar(
                    db,
                    "SELECT CONCAT(DATABASE(), '.seaql_migrations')".to_owned(),
                )
                .await?
                .unwrap_or_default();
                let got: Option<i64> = scalar(
                    db,
                    format!(
                        "SELECT GET_LOCK('{}', {})",
                        mysql_string(&name),
                        timeout.as_secs_f64()
                    ),
                )
                .await?;
                if got == Some(1) {
                    return Ok(Lock::MySql(name));
                }
                let name = mysql_string(&name);
                let holder: Option<String> = scalar(
                    db,
                    format!(
                        "SELECT CONCAT('connection ', p.ID, ', ', p.USER, '@', p.HOST, ', for ', \
                         p.TIME, 's') FROM information_schema.PROCESSLIST p \
                         WHERE p.ID = IS_USED_LOCK('{name}')"
                    ),
                )
                .await?;
                Err(RunError::LockTimeout {
                    waited: start.elapsed(),
                    holder: holder.unwrap_or_else(|| "holder unknown".to_owned()),
                })
            }
            _ => {
                let Some(path) = sqlite_lock_path(url) else {
                    return Ok(Lock::None); // an in-memory database: one process by definition
                };
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .map_err(|e| {
                        RunError::Database(DbErr::Custom(format!("{}: {e}", path.display())))
                    })?;
                loop {
                    match file.try_lock() {
                        Ok(()) => return Ok(Lock::SqliteFile(file)),
                        Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Err(std::fs::TryLockError::WouldBlock) => {
                            return Err(RunError::LockTimeout {
                                waited: start.elapsed(),
                                holder: format!("a process holding {}", path.display()),
                            });
                        }
                        Err(std::fs::TryLockError::Error(e)) => {
                            return Err(RunError::Database(DbErr::Custom(format!(
                                "{}: {e}",
                                path.display()
                            ))));
                        }
                    }
                }
            }
        }
    }

    /// Releases the lock; the connection's end would release a session lock too.
    async fn release(self, db: &DatabaseConnection) {
        match self {
            Lock::Postgres(key) => {
                let _ = db
                    .execute_unprepared(&format!("SELECT pg_advisory_unlock({key})"))
                    .await;
            }
            Lock::MySql(name) => {
                let _ = db
                    .execute_unprepared(&format!("SELECT RELEASE_LOCK('{}')", mysql_string(&name)))
                    .await;
            }
            Lock::SqliteFile(file) => {
                file.unlock().ok();
            }
            Lock::None => {}
        }
    }
}

/// `text` for inside a MySQL string literal (the lock name is the database's name).
fn mysql_string(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\'', "''")
}

/// `sqlite://path/to/db.sqlite3?mode=rwc` → `path/to/db.sqlite3.migration-lock`; `None` for an
/// in-memory database.
pub fn sqlite_lock_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(format!("{path}.migration-lock")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destructive_commands_need_explicit_confirmation() {
        for command in DESTRUCTIVE_COMMANDS {
            assert!(guard_destructive(command, None).is_err());
            assert!(guard_destructive(command, Some("yes")).is_err());
            assert!(guard_destructive(command, Some("1")).is_ok());
        }
        assert!(guard_destructive("up", None).is_ok());
        assert!(guard_destructive("status", None).is_ok());
    }

    #[test]
    fn the_sqlite_lock_file_sits_beside_the_database() {
        assert_eq!(
            sqlite_lock_path("sqlite://app.sqlite3?mode=rwc"),
            Some(PathBuf::from("app.sqlite3.migration-lock"))
        );
        assert_eq!(
            sqlite_lock_path("sqlite:/tmp/x.db"),
            Some(PathBuf::from("/tmp/x.db.migration-lock"))
        );
        assert_eq!(sqlite_lock_path("sqlite::memory:"), None);
    }
}
