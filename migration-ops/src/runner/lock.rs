//! The migration lock: a session lock on the runner's own connection (`pg_advisory_lock`,
//! `GET_LOCK`), a lease row on a MariaDB Galera cluster (see [`super::lease`]), or an exclusive
//! file lock beside a SQLite database file; bounded waits that name the holder.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement,
};

use super::RunError;
use super::lease::Lease;

/// The migration lock: a session lock on the runner's connection, a cluster lease, or a file
/// lock for SQLite.
pub(crate) enum Lock {
    Postgres(i64),
    MySql(String),
    Cluster(Lease),
    SqliteFile(std::fs::File),
    None,
}

/// The first column of the first row of `sql`.
pub(crate) async fn scalar<T: sea_orm_migration::sea_orm::TryGetable>(
    db: &DatabaseConnection,
    sql: String,
) -> Result<Option<T>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    row.map(|row| row.try_get_by_index::<T>(0)).transpose()
}

impl Lock {
    pub(crate) async fn acquire(
        db: &DatabaseConnection,
        url: &str,
        backend: DbBackend,
        timeout: Duration,
        lease: Duration,
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
            DbBackend::MySql if galera(db).await? => Ok(Lock::Cluster(
                Lease::acquire(db, url, timeout, lease).await?,
            )),
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
    pub(crate) async fn release(self, db: &DatabaseConnection) {
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
            Lock::Cluster(lease) => lease.release(db).await,
            Lock::SqliteFile(file) => {
                file.unlock().ok();
            }
            Lock::None => {}
        }
    }
}

/// Whether `db` is a node of a Galera cluster (`wsrep_on`), where `GET_LOCK` holds on one node
/// only. MySQL and MariaDB without Galera have no such variable.
async fn galera(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::MySql,
            "SHOW VARIABLES LIKE 'wsrep_on'",
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get_by_index::<String>(1))
        .transpose()?
        .is_some_and(|value| value.eq_ignore_ascii_case("ON")))
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
