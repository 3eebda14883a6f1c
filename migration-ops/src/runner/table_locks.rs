//! Waiting for table locks without making the application wait: the short timeout every schema
//! change runs under, and the retries with backoff after it.
//!
//! A schema change that needs a table's exclusive lock while a long transaction reads the table
//! waits for it, and every write to that table queues behind the waiting change: a reader left
//! open for minutes stops the application's writes for minutes. So the runner bounds each wait
//! (PostgreSQL `lock_timeout` for the migration's transaction; MySQL/MariaDB
//! `lock_wait_timeout` for each statement, in whole seconds, or no wait at all below one
//! second), and when it runs out, gives the lock back, lets the queue drain, and tries again
//! after a backoff. On PostgreSQL the whole migration transaction is retried (a timed-out
//! statement aborts it); on MySQL the one statement, which never started.

use std::time::Duration;

use sea_orm_migration::sea_orm::{DbBackend, DbErr};

use super::journal::database_error;

/// How many times a schema change is tried before the run gives up.
pub const ATTEMPTS: u32 = 20;

/// The pause before attempt `attempt + 1` (`attempt` counts from 1): 0.2 s, doubling up to 2 s,
/// so that a change goes ahead within about 2 s of the long transaction's end, and twenty
/// attempts span about half a minute plus the timeouts.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((200u64 << attempt.saturating_sub(1).min(5)).min(2_000))
}

/// Whether `error` says that a statement gave up waiting for a lock, so that trying again
/// later can succeed: PostgreSQL `lock_not_available` (55P03) or `deadlock_detected` (40P01),
/// MySQL/MariaDB `ER_LOCK_WAIT_TIMEOUT` (1205, also a metadata lock's), MySQL 8's
/// `ER_LOCK_NOWAIT` (3572) or `ER_LOCK_DEADLOCK` (1213). Each leaves nothing behind: the
/// statement (MySQL) or the transaction (PostgreSQL) was rolled back.
pub fn retryable(error: &DbErr) -> bool {
    let Some(database) = database_error(error) else {
        return false;
    };
    if matches!(database.code().as_deref(), Some("55P03" | "40P01")) {
        return true;
    }
    database
        .try_downcast_ref::<sea_orm_migration::sea_orm::sqlx::mysql::MySqlDatabaseError>()
        .is_some_and(|e| matches!(e.number(), 1205 | 3572 | 1213))
}

/// The statement that bounds lock waits on `backend` to `timeout` for the runner's connection
/// (PostgreSQL: inside the migration's transaction, `SET LOCAL`); `None` on SQLite, where the
/// one writer is serialised by the database file.
pub fn bound(backend: DbBackend, timeout: Duration) -> Option<String> {
    match backend {
        DbBackend::Postgres => Some(format!(
            "SET LOCAL lock_timeout = '{}ms'",
            timeout.as_millis().max(1)
        )),
        // MariaDB counts this wait in whole seconds; 0 asks for no wait at all.
        DbBackend::MySql => Some(format!(
            "SET SESSION lock_wait_timeout = {}",
            timeout.as_secs()
        )),
        _ => None,
    }
}

/// Runs `attempt` until it succeeds, fails otherwise than by a lock wait running out, or has
/// timed out [`ATTEMPTS`] times (then [`gave_up`]), pausing [`backoff`] between attempts. With
/// `enabled` false it runs once. `attempt` must leave nothing behind when it times out (a
/// transaction rolled back, a statement that never started).
pub async fn retrying<T, F, Attempt>(enabled: bool, mut attempt: F) -> Result<T, DbErr>
where
    F: FnMut() -> Attempt,
    Attempt: std::future::Future<Output = Result<T, DbErr>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(error) if enabled && retryable(&error) => {
                if tries == ATTEMPTS {
                    return Err(gave_up(error));
                }
                tokio::time::sleep(backoff(tries)).await;
                tries += 1;
            }
            outcome => return outcome,
        }
    }
}

/// The error of a change that timed out on every attempt.
pub fn gave_up(error: DbErr) -> DbErr {
    DbErr::Migration(format!(
        "gave up after {ATTEMPTS} attempts to get a lock that another session held (a \
         long-running transaction on the table?), each attempt waiting no longer than \
         MIGRATION_TABLE_LOCK_TIMEOUT (500 ms unless set), so that the application's writes \
         never queued behind it for longer. Find the session holding the lock and run again. \
         Last error: {error}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_a_fifth_of_a_second_up_to_two_seconds() {
        let pauses: Vec<u64> = (1..ATTEMPTS)
            .map(|a| backoff(a).as_millis() as u64)
            .collect();
        assert_eq!(pauses[..6], [200, 400, 800, 1600, 2000, 2000]);
        assert_eq!(pauses.len(), 19);
        assert_eq!(pauses.iter().sum::<u64>(), 33_000);
    }

    #[test]
    fn waits_are_bounded_per_backend() {
        let half = Duration::from_millis(500);
        assert_eq!(
            bound(DbBackend::Postgres, half).unwrap(),
            "SET LOCAL lock_timeout = '500ms'"
        );
        assert_eq!(
            bound(DbBackend::MySql, half).unwrap(),
            "SET SESSION lock_wait_timeout = 0"
        );
        assert_eq!(bound(DbBackend::Sqlite, half), None);
    }
}
