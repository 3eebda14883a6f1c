//! The cluster-wide migration lock of a MariaDB Galera cluster: a lease row in a replicated
//! table, renewed by a heartbeat, taken over once its holder stops renewing it.
//!
//! `GET_LOCK` is held per node on Galera, so three nodes would let three runs go ahead at once.
//! Instead one row (`id = 1`) of `seaql_migrations_lock`, an InnoDB table that Galera
//! replicates, names the holder and the end of its lease (on the database's clock, in
//! milliseconds). Taking the lock is an `INSERT`; when the row exists and its lease has ended,
//! an `UPDATE … WHERE holder = <the old holder> AND expires_at < now` takes it over. Two nodes
//! that take it at the same moment are ordered by Galera's certification: one commit wins, the
//! other gets error 1213 and tries again.
//!
//! While the lock is held, a heartbeat on a connection of its own renews the lease every third
//! of its length, so only a holder that is gone (process killed, node down) lets it lapse. The
//! runner also renews the lease inside each migration's bookkeeping transaction (the fence): a
//! run whose lease was taken over cannot record a migration, since its write and the new
//! holder's conflict on the one row and certification lets only one commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement,
};

use super::RunError;
use super::journal::database_error;

/// The replicated table holding the lease row.
pub(crate) const TABLE: &str = "seaql_migrations_lock";

/// Now on the database's clock, in milliseconds.
const NOW_MS: &str = "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)";

/// The lease this run holds.
pub(crate) struct Lease {
    /// Who holds it: process, node and connection, as other runs see it.
    holder: String,
    millis: u128,
    watch: LeaseWatch,
    heartbeat: tokio::task::JoinHandle<()>,
    /// The holder whose expired lease this run took over, if it did.
    pub(crate) took_over: Option<String>,
}

/// Whether a run still holds its lease, as far as the heartbeat knows: checked before each
/// statement of a journaled migration, so that a run that lost the lease stops within one beat.
#[derive(Clone, Debug)]
pub(crate) struct LeaseWatch {
    lost: Arc<AtomicBool>,
}

impl LeaseWatch {
    /// Fails when the lease was found taken over.
    pub(crate) fn check(&self) -> Result<(), DbErr> {
        if self.lost.load(Ordering::SeqCst) {
            Err(DbErr::Migration(LOST.to_owned()))
        } else {
            Ok(())
        }
    }
}

/// The error of a run that lost its lease; the runner waits for the lock again after it.
const LOST: &str = "this run lost the cluster migration lock (its lease ran out while the \
                    cluster was unreachable, and another run took it over); it stopped before \
                    recording anything more";

/// The MySQL error number inside `error`, if the server answered with one.
fn mysql_number(error: &DbErr) -> Option<u16> {
    database_error(error)?
        .try_downcast_ref::<sea_orm_migration::sea_orm::sqlx::mysql::MySqlDatabaseError>()
        .map(|e| e.number())
}

/// Errors after which taking or renewing the lease is simply tried again: a certification
/// conflict or deadlock (1213), a lock wait timeout (1205), a node not ready for queries
/// while the cluster reconfigures (1047).
fn transient(error: &DbErr) -> bool {
    matches!(mysql_number(error), Some(1213 | 1205 | 1047))
}

async fn rows_affected(
    db: &impl ConnectionTrait,
    sql: String,
    values: Vec<sea_orm_migration::sea_orm::Value>,
) -> Result<u64, DbErr> {
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::MySql,
            sql,
            values,
        ))
        .await?
        .rows_affected())
}

/// `(holder, whether its lease has ended)` of the current row, if any.
async fn current(db: &impl ConnectionTrait) -> Result<Option<(String, bool)>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::MySql,
            format!("SELECT holder, expires_at < {NOW_MS} AS expired FROM {TABLE} WHERE id = 1"),
        ))
        .await?;
    row.map(|row| {
        Ok((
            row.try_get("", "holder")?,
            row.try_get::<i64>("", "expired")? != 0,
        ))
    })
    .transpose()
}

/// One attempt: `Ok(Some(previous))` when taken (`previous` is the holder taken over from).
async fn try_take(
    db: &impl ConnectionTrait,
    holder: &str,
    millis: u128,
) -> Result<Option<Option<String>>, DbErr> {
    let inserted = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::MySql,
            format!(
                "INSERT INTO {TABLE} (id, holder, expires_at) VALUES (1, ?, {NOW_MS} + {millis})"
            ),
            [holder.into()],
        ))
        .await;
    match inserted {
        Ok(_) => return Ok(Some(None)),
        Err(error) if mysql_number(&error) == Some(1062) => {}
        Err(error) => return Err(error),
    }
    let Some((previous, true)) = current(db).await? else {
        return Ok(None);
    };
    let taken = rows_affected(
        db,
        format!(
            "UPDATE {TABLE} SET holder = ?, expires_at = {NOW_MS} + {millis} \
             WHERE id = 1 AND holder = ? AND expires_at < {NOW_MS}"
        ),
        vec![holder.into(), previous.clone().into()],
    )
    .await?;
    Ok((taken == 1).then_some(Some(previous)))
}

/// Renews the lease of `holder`; `false` when the row is no longer its own.
async fn renew(db: &impl ConnectionTrait, holder: &str, millis: u128) -> Result<bool, DbErr> {
    Ok(rows_affected(
        db,
        format!("UPDATE {TABLE} SET expires_at = {NOW_MS} + {millis} WHERE id = 1 AND holder = ?"),
        vec![holder.into()],
    )
    .await?
        == 1)
}

impl Lease {
    /// Takes the lease on the cluster `db` belongs to, waiting up to `timeout` for a holder to
    /// release it or let it lapse. The heartbeat connects to `url` on a connection of its own.
    pub(crate) async fn acquire(
        db: &DatabaseConnection,
        url: &str,
        timeout: Duration,
        length: Duration,
    ) -> Result<Lease, RunError> {
        let start = Instant::now();
        let millis = length.as_millis().max(1);
        let holder: Option<String> = super::lock::scalar(
            db,
            format!(
                "SELECT CONCAT('process {}, node ', @@wsrep_node_name, ' (', @@hostname, ':', \
                 @@port, '), connection ', CONNECTION_ID())",
                std::process::id()
            ),
        )
        .await?;
        let holder = holder.unwrap_or_default();
        let mut attempt = 0u32;
        let took_over = loop {
            let outcome = async {
                if !super::has_table(db, TABLE).await? {
                    db.execute_unprepared(&format!(
                        "CREATE TABLE IF NOT EXISTS {TABLE} (id integer NOT NULL PRIMARY KEY, \
                         holder varchar(255) NOT NULL, expires_at bigint NOT NULL) \
                         ENGINE=InnoDB"
                    ))
                    .await?;
                }
                try_take(db, &holder, millis).await
            }
            .await;
            match outcome {
                Ok(Some(previous)) => {
                    // The lease counts from now, not from when the statement that took it ran:
                    // a commit held up by the cluster (a node failing) could have used it up.
                    if renew(db, &holder, millis).await.unwrap_or(false) {
                        break previous;
                    }
                }
                Ok(None) => {}
                Err(error) if transient(&error) => {}
                Err(error) => return Err(error.into()),
            }
            if start.elapsed() >= timeout {
                let current = current(db).await.ok().flatten();
                return Err(RunError::LockTimeout {
                    waited: start.elapsed(),
                    holder: current.map_or_else(
                        || "holder unknown".to_owned(),
                        |(holder, _)| format!("{holder}, renewing its lease"),
                    ),
                });
            }
            // 100 to 250 ms, spread so that waiters on several nodes do not move in step.
            attempt = attempt.wrapping_add(1);
            let jitter =
                (std::process::id().wrapping_mul(7919) ^ attempt.wrapping_mul(104_729)) % 150;
            tokio::time::sleep(Duration::from_millis(100 + u64::from(jitter))).await;
        };
        let watch = LeaseWatch {
            lost: Arc::new(AtomicBool::new(false)),
        };
        let heartbeat_db = super::connect_one(url, DbBackend::MySql).await?;
        let heartbeat = tokio::spawn(heartbeat(
            heartbeat_db,
            holder.clone(),
            millis,
            watch.lost.clone(),
        ));
        Ok(Lease {
            holder,
            millis,
            watch,
            heartbeat,
            took_over,
        })
    }

    /// A handle that tells whether the lease is still held.
    pub(crate) fn watch(&self) -> LeaseWatch {
        self.watch.clone()
    }

    /// Whether the lease was found taken over.
    pub(crate) fn lost(&self) -> bool {
        self.watch.lost.load(Ordering::SeqCst)
    }

    /// Renews the lease inside `transaction`, the bookkeeping of one migration: it fails when
    /// another run has taken the lease over, and then nothing of the bookkeeping commits.
    pub(crate) async fn fence(&self, transaction: &impl ConnectionTrait) -> Result<(), DbErr> {
        if renew(transaction, &self.holder, self.millis).await? {
            Ok(())
        } else {
            self.watch.lost.store(true, Ordering::SeqCst);
            Err(DbErr::Migration(LOST.to_owned()))
        }
    }

    /// Stops the heartbeat and deletes the row, if it is still this run's.
    pub(crate) async fn release(self, db: &DatabaseConnection) {
        self.heartbeat.abort();
        for _ in 0..20 {
            let deleted = rows_affected(
                db,
                format!("DELETE FROM {TABLE} WHERE id = 1 AND holder = ?"),
                vec![self.holder.clone().into()],
            )
            .await;
            match deleted {
                Err(error) if transient(&error) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // Done, or the cluster cannot be reached: then the lease lapses by itself.
                _ => return,
            }
        }
    }
}

/// Renews the lease every third of its length until aborted, or until the row is no longer
/// `holder`'s. A renewal that fails is tried at the next beat; should none succeed before the
/// lease ends, the bookkeeping's fence stops the run.
async fn heartbeat(db: DatabaseConnection, holder: String, millis: u128, lost: Arc<AtomicBool>) {
    let beat = Duration::from_millis((millis / 3).max(1) as u64);
    loop {
        tokio::time::sleep(beat).await;
        if let Ok(false) = renew(&db, &holder, millis).await {
            lost.store(true, Ordering::SeqCst);
            return;
        }
    }
}
