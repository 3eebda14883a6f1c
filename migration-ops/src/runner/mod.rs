//! The safe runner: every verb of `cargo run -p migration` (`up`, `down`, `status`, `fresh`,
//! `refresh`, `reset`) and the app's start-up apply migrations through it, never through
//! sea-orm-migration's own `Migrator::up`/`down`.
//!
//! - **One lock for the whole run**, on a dedicated connection that nothing else uses:
//!   `pg_advisory_lock` on PostgreSQL, `GET_LOCK` on MySQL/MariaDB, an exclusive file lock
//!   beside the database file on SQLite. The wait is bounded (60 s by default); a timeout names
//!   the holder. The lock dies with the connection (or process) if the runner is killed.
//! - **On a MariaDB Galera cluster** (`wsrep_on`), where `GET_LOCK` holds on one node only, the
//!   lock is a lease row in a replicated table (see [`lease`]), renewed by a heartbeat and
//!   taken over once a killed holder lets it lapse; each migration's bookkeeping renews it in
//!   its own transaction, so a run that lost it records nothing. The runner's reads wait for the
//!   node to apply what the cluster committed (`wsrep_sync_wait`), and schema changes run under
//!   total order isolation (TOI), on every node at the same point of the cluster's history.
//! - **The applied set is read after the lock is taken**, so instances that waited find nothing
//!   left to do, and the runner applies exactly the migrations it chose, by name.
//! - **One transaction per migration** on PostgreSQL and SQLite: the schema change, its
//!   `seaql_migrations` row and its checksum row commit together, in both directions, so a
//!   process killed at any moment leaves the migration applied or not, never half. SQLite runs
//!   with foreign keys off (set before the transaction, since SQLite ignores the pragma inside
//!   one) so that table rebuilds work; every key is checked before each commit.
//! - **MySQL/MariaDB**, where DDL commits itself, journal each generated migration statement by
//!   statement (see [`journal`]): a run killed or failed midway is resumed by the next run at
//!   the statement it stopped at. The bookkeeping rows and the journal's end commit together.
//!   A hand-written migration cannot be resumed: an interrupted one stops later runs with the
//!   steps to recover.
//! - **Online forms on PostgreSQL**: a generated migration that only adds indexes, CHECKs and
//!   foreign keys to existing tables, or makes columns NOT NULL, runs outside one transaction:
//!   `CREATE INDEX CONCURRENTLY`; `ADD CONSTRAINT … NOT VALID` then `VALIDATE CONSTRAINT` in
//!   transactions of their own; NOT NULL through such a CHECK; then it is recorded. A run interrupted between steps is finished by the next
//!   (see [`crate::v1::apply_online_postgres`]).
//! - **Lock waits are bounded** (see [`table_locks`]): a schema change that cannot get its
//!   table's lock within 500 ms (a long transaction holds it) gives up, lets the application's
//!   queued writes through, and is retried with backoff; on PostgreSQL the migration's
//!   transaction is retried whole.
//! - **Checksums** (SHA-256 of each generated migration's canonical data) are recorded with
//!   the migration and compared on every run: a run refuses to start when an applied migration
//!   was edited since. Records of the earlier FNV format are verified once and upgraded.

pub mod journal;
mod lease;
mod lock;
pub(crate) mod table_locks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm_migration::sea_orm::sqlx;
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait,
};
use sea_orm_migration::{MigrationTrait, MigratorTrait, SchemaManager};

pub use journal::Progress;
use lock::Lock;
pub use lock::sqlite_lock_path;

use crate::v1::Generated;

/// How the runner waits and what it checks.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// How long to wait for another process's run to finish (default 60 s).
    pub lock_timeout: Duration,
    /// The data of each generated migration (the generated `migration::generated()`), whose
    /// checksums are recorded and checked; migrations not listed are not checked, and on MySQL
    /// only these can be resumed after an interruption.
    pub generated: Vec<Generated>,
    /// On a Galera cluster: how long a run's hold on the lock lasts without a heartbeat, and so
    /// how long a killed holder can keep other runs waiting (default 30 s).
    pub lease: Duration,
    /// How long one schema change waits for a table lock before it gives the lock queue back
    /// to the application and tries again later (see [`table_locks`]; default 500 ms); `None`
    /// waits as long as the database lets it, queueing the application's writes behind it.
    pub table_lock_timeout: Option<Duration>,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            lock_timeout: Duration::from_secs(60),
            generated: Vec::new(),
            lease: Duration::from_secs(30),
            table_lock_timeout: Some(Duration::from_millis(500)),
        }
    }
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Apply pending migrations (all, or the first `n`).
    Up(Option<u32>),
    /// Roll back applied migrations, newest first (all, or the last `n`).
    Down(Option<u32>),
    /// Say where each migration stands; changes nothing and takes no lock.
    Status,
    /// Drop every table (and PostgreSQL type) of the database, then apply every migration.
    Fresh,
    /// Roll back every applied migration, then apply every migration.
    Refresh,
    /// Roll back every applied migration and drop the bookkeeping tables.
    Reset,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// A migration interrupted by an earlier run (MySQL) that this run finished first:
    /// `(name, "up" | "down")`.
    pub resumed: Option<(String, String)>,
    /// Migrations this run applied, in order.
    pub applied: Vec<String>,
    /// Migrations this run rolled back, in order.
    pub rolled_back: Vec<String>,
    /// Migrations that were applied already when the run started.
    pub already_applied: usize,
    /// For [`Command::Status`]: every migration and where it stands, in order, then those the
    /// database knows and this build does not.
    pub status: Vec<(String, State)>,
    /// For [`Command::Status`]: a migration left midway on MySQL, if any.
    pub interrupted: Option<Progress>,
    /// On a Galera cluster: the cluster, and how schema changes run on it.
    pub cluster: Option<String>,
    /// On a Galera cluster: the run whose lapsed lease this run took over, if it did.
    pub took_over: Option<String>,
}

/// Where one migration stands in a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Applied,
    Pending,
    /// Applied, and its data changed since.
    Edited,
    /// Recorded as applied, but this build does not have it.
    Unknown,
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Edited => "applied, edited since",
            State::Unknown => "applied, not in this build",
        })
    }
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
    /// The database records a migration this build does not have.
    Unknown { migration: String },
    /// A hand-written migration was interrupted on MySQL, or a journal left by a runner before
    /// resuming existed: part of it may be applied, and only a person can tell which.
    FailedEarlier {
        migration: String,
        error: String,
        /// The table holding its row.
        journal: &'static str,
    },
    /// A migration failed now; `done` lists those applied or rolled back before it in this run.
    Migration {
        migration: String,
        direction: &'static str,
        error: DbErr,
        done: Vec<String>,
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
                 wait for it to finish, or raise the wait with MIGRATION_LOCK_TIMEOUT",
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
            RunError::Unknown { migration } => write!(
                f,
                "the database records migration {migration}, which this build does not have; \
                 deploy a build that includes it (or, if it was deleted on purpose, delete its \
                 row from seaql_migrations)"
            ),
            RunError::FailedEarlier {
                migration,
                error,
                journal,
            } => write!(
                f,
                "migration {migration} stopped midway earlier ({error}), and MySQL kept the \
                 statements it had run; it is hand-written, so the runner cannot tell which. \
                 Recover by hand: undo what it applied (or finish it and insert its row into \
                 seaql_migrations), then delete its journal row: \
                 DELETE FROM {journal} WHERE version = '{migration}'"
            ),
            RunError::Migration {
                migration,
                direction,
                error,
                done,
            } => {
                let verb = if *direction == "up" {
                    "applying"
                } else {
                    "rolling back"
                };
                write!(f, "{verb} migration {migration} failed: {error}")?;
                if !done.is_empty() {
                    write!(f, "\n(done before it in this run: {})", done.join(", "))?;
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

const MIGRATIONS_TABLE: &str = "seaql_migrations";
const CHECKSUM_TABLE: &str = "seaql_migrations_checksums";
/// The failure table of runners before the journal: its rows still stop a run.
const LEGACY_JOURNAL: &str = "seaql_migrations_failures";

/// Applies every pending migration of `M` to the database at `url`, safely (see the module
/// doc). Returns what it applied.
pub async fn up<M: MigratorTrait>(url: &str, options: &RunnerOptions) -> Result<Report, RunError> {
    run::<M>(url, Command::Up(None), options).await
}

/// Runs `command` for the migrations of `M` on the database at `url` (see the module doc).
pub async fn run<M: MigratorTrait>(
    url: &str,
    command: Command,
    options: &RunnerOptions,
) -> Result<Report, RunError> {
    let backend = backend_of(url)?;
    // The whole run uses one connection of its own: the session lock lives on it, and the
    // migrations run on it, so no pool can hand the lock's session to anyone else.
    let db = connect_one(url, backend).await?;
    if command == Command::Status {
        let result = Session::new::<M>(&db, options, None).status().await;
        db.close().await.ok();
        return result;
    }
    let start = std::time::Instant::now();
    let mut lock = Lock::acquire(&db, url, backend, options.lock_timeout, options.lease).await?;
    let result = loop {
        let Lock::Cluster(lease) = &lock else {
            break Session::new::<M>(&db, options, None).run(command).await;
        };
        let result = async {
            let cluster = join_cluster(&db).await?;
            let mut report = Session::new::<M>(&db, options, Some(lease))
                .run(command)
                .await?;
            report.cluster = Some(cluster);
            report.took_over = lease.took_over.clone();
            Ok(report)
        }
        .await;
        // A run that lost its lease (the cluster stalled longer than the lease) stopped before
        // recording anything; the run that took the lease over finishes the work. Wait for the
        // lock again and go on from what the database then records.
        let remaining = options.lock_timeout.saturating_sub(start.elapsed());
        if result.is_ok() || !lease.lost() || remaining.is_zero() {
            break result;
        }
        lock.release(&db).await;
        lock = Lock::acquire(&db, url, backend, remaining, options.lease).await?;
    };
    lock.release(&db).await;
    // Closing ends the session, and with it any session lock a failed release left behind.
    db.close().await.ok();
    result
}

/// Prepares the runner's connection to a Galera node, under the lease: reads wait until the node
/// has applied everything the cluster committed before them (so the applied set is current),
/// and DDL runs under total order isolation. Describes the cluster.
async fn join_cluster(db: &DatabaseConnection) -> Result<String, RunError> {
    db.execute_unprepared("SET SESSION wsrep_sync_wait = 1, wsrep_OSU_method = 'TOI'")
        .await?;
    let description: Option<String> = lock::scalar(
        db,
        "SELECT CONCAT('Galera cluster of ', s.VARIABLE_VALUE, ' nodes (this run on ', \
         @@wsrep_node_name, '); schema changes under total order isolation (TOI)') \
         FROM information_schema.GLOBAL_STATUS s WHERE s.VARIABLE_NAME = 'WSREP_CLUSTER_SIZE'"
            .to_owned(),
    )
    .await?;
    Ok(description.unwrap_or_else(|| "Galera cluster".to_owned()))
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
        _ => {
            let pool = one!(sqlx::sqlite::SqlitePoolOptions);
            let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
            // Table rebuilds need foreign keys off, and SQLite ignores this inside a
            // transaction; `v1::apply` checks every key before each migration commits. The
            // setting lives and dies with this connection.
            db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
            db
        }
    })
}

/// Whether `table` exists: the one case in which reading a bookkeeping table may come back
/// empty rather than failing.
pub async fn has_table(db: &impl ConnectionTrait, table: &str) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!(
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() \
             AND tablename = '{table}'"
        ),
        DbBackend::MySql => format!(
            "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = '{table}'"
        ),
        _ => {
            format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'")
        }
    };
    counts_any(db, Statement::from_string(backend, sql)).await
}

/// Whether `count`, a `SELECT count(*) …`, counts at least one row.
pub(crate) async fn counts_any(db: &impl ConnectionTrait, count: Statement) -> Result<bool, DbErr> {
    let row = db.query_one_raw(count).await?;
    Ok(row
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0)
        > 0)
}

/// `sql` with `?` placeholders, numbered for PostgreSQL.
fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 4);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// One run over one connection, under the lock.
struct Session<'a> {
    db: &'a DatabaseConnection,
    backend: DbBackend,
    options: &'a RunnerOptions,
    migrations: Vec<Box<dyn MigrationTrait>>,
    /// The cluster lease the run holds, on Galera.
    lease: Option<&'a lease::Lease>,
}

impl<'a> Session<'a> {
    fn new<M: MigratorTrait>(
        db: &'a DatabaseConnection,
        options: &'a RunnerOptions,
        lease: Option<&'a lease::Lease>,
    ) -> Self {
        Session {
            db,
            backend: db.get_database_backend(),
            options,
            migrations: M::migrations(),
            lease,
        }
    }

    fn generated(&self, name: &str) -> Option<&Generated> {
        self.options.generated.iter().find(|g| g.name == name)
    }

    fn migration(&self, name: &str) -> Option<&dyn MigrationTrait> {
        self.migrations
            .iter()
            .find(|m| m.name() == name)
            .map(|m| m.as_ref())
    }

    async fn run(&self, command: Command) -> Result<Report, RunError> {
        let mut report = Report::default();
        if self.backend == DbBackend::MySql {
            self.refuse_legacy_failures().await?;
            report.resumed = self.resume_interrupted().await?;
        }
        let applied = self.applied().await?;
        self.verify_checksums(&applied).await?;
        report.already_applied = applied.len();
        match command {
            Command::Up(n) => self.up(&applied, n, &mut report).await?,
            Command::Down(n) => self.down(&applied, n, &mut report).await?,
            Command::Refresh => {
                self.down(&applied, None, &mut report).await?;
                self.up(&[], None, &mut report).await?;
            }
            Command::Reset => {
                self.down(&applied, None, &mut report).await?;
                // The cluster's lock table stays: it holds this run's lease until it ends.
                for table in [MIGRATIONS_TABLE, CHECKSUM_TABLE, journal::TABLE] {
                    self.db
                        .execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
                        .await?;
                }
            }
            Command::Fresh => {
                self.drop_everything().await?;
                self.up(&[], None, &mut report).await?;
            }
            Command::Status => unreachable!("status runs without the lock"),
        }
        Ok(report)
    }

    /// The applied migrations, in the order of this build's list; a recorded migration this
    /// build lacks is an error.
    async fn applied(&self) -> Result<Vec<String>, RunError> {
        let recorded = self.recorded().await?;
        if let Some(unknown) = recorded.iter().find(|name| self.migration(name).is_none()) {
            return Err(RunError::Unknown {
                migration: unknown.clone(),
            });
        }
        Ok(self
            .migrations
            .iter()
            .map(|m| m.name().to_owned())
            .filter(|name| recorded.contains(name))
            .collect())
    }

    /// The versions `seaql_migrations` holds (none when it does not exist yet).
    async fn recorded(&self) -> Result<Vec<String>, DbErr> {
        if !has_table(self.db, MIGRATIONS_TABLE).await? {
            return Ok(Vec::new());
        }
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.backend,
                format!("SELECT version FROM {MIGRATIONS_TABLE} ORDER BY version"),
            ))
            .await?;
        rows.iter().map(|row| row.try_get("", "version")).collect()
    }

    async fn recorded_checksums(&self) -> Result<Vec<(String, String)>, DbErr> {
        if !has_table(self.db, CHECKSUM_TABLE).await? {
            return Ok(Vec::new());
        }
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.backend,
                format!("SELECT version, checksum FROM {CHECKSUM_TABLE}"),
            ))
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("", "version")?, row.try_get("", "checksum")?)))
            .collect()
    }

    /// Refuses to go on when an applied generated migration's data changed. A record of the
    /// earlier FNV format that still matches is upgraded; a migration applied before checksums
    /// were kept gets one.
    async fn verify_checksums(&self, applied: &[String]) -> Result<(), RunError> {
        let recorded = self.recorded_checksums().await?;
        for name in applied {
            let Some(generated) = self.generated(name) else {
                continue;
            };
            let now = generated.checksum();
            match recorded.iter().find(|(n, _)| n == name) {
                Some((_, checksum)) if *checksum == now => {}
                Some((_, checksum)) if *checksum == generated.legacy_checksum() => {
                    execute(
                        self.db,
                        &format!("UPDATE {CHECKSUM_TABLE} SET checksum = ? WHERE version = ?"),
                        [now.as_str(), name.as_str()],
                    )
                    .await?;
                }
                Some((_, checksum)) => {
                    return Err(RunError::Edited {
                        migration: name.clone(),
                        recorded: checksum.clone(),
                        now,
                    });
                }
                None => {
                    create_checksum_table(self.db).await?;
                    execute(
                        self.db,
                        &format!("INSERT INTO {CHECKSUM_TABLE} (version, checksum) VALUES (?, ?)"),
                        [name.as_str(), now.as_str()],
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn up(
        &self,
        applied: &[String],
        steps: Option<u32>,
        report: &mut Report,
    ) -> Result<(), RunError> {
        let pending: Vec<&dyn MigrationTrait> = self
            .migrations
            .iter()
            .map(|m| m.as_ref())
            .filter(|m| !applied.iter().any(|a| a == m.name()))
            .take(steps.map_or(usize::MAX, |n| n as usize))
            .collect();
        for migration in pending {
            self.apply(migration, Direction::Up, None)
                .await
                .map_err(|error| failure(migration, Direction::Up, error, report))?;
            report.applied.push(migration.name().to_owned());
        }
        Ok(())
    }

    async fn down(
        &self,
        applied: &[String],
        steps: Option<u32>,
        report: &mut Report,
    ) -> Result<(), RunError> {
        let names: Vec<&String> = applied
            .iter()
            .rev()
            .take(steps.map_or(usize::MAX, |n| n as usize))
            .collect();
        for name in names {
            let migration = self.migration(name).expect("applied() checked every name");
            self.apply(migration, Direction::Down, None)
                .await
                .map_err(|error| failure(migration, Direction::Down, error, report))?;
            report.rolled_back.push(name.clone());
        }
        Ok(())
    }

    /// Runs one migration in `direction` with its bookkeeping (see the module doc). `resume`
    /// is the journal of an interrupted run of it (MySQL).
    async fn apply(
        &self,
        migration: &dyn MigrationTrait,
        direction: Direction,
        resume: Option<&Progress>,
    ) -> Result<(), DbErr> {
        let name = migration.name();
        let checksum = self.generated(name).map(Generated::checksum);
        if let Some(lease) = self.lease {
            lease.watch().check()?;
        }
        install(self.db).await?;
        if checksum.is_some() {
            create_checksum_table(self.db).await?;
        }
        // On MySQL a generated migration is journaled statement by statement; so is a
        // hand-written one that runs outside a transaction (sea-orm-migration's default there),
        // which the journal cannot resume but can report. One that asks for a transaction runs
        // in one with its bookkeeping, as on the other backends (its DDL, if any, commits by
        // itself: MySQL's rule).
        let transactional = migration.use_transaction() == Some(true);
        if self.backend == DbBackend::MySql {
            journal::install(self.db).await?;
            if checksum.is_some() || !transactional {
                return self
                    .apply_journaled(migration, direction, checksum.as_deref(), resume)
                    .await;
            }
            return self.apply_in_transaction_mysql(migration, direction).await;
        }
        let checksum = checksum.as_deref();
        let online = self
            .generated(name)
            .and_then(|g| match direction {
                Direction::Up => Some(g.up),
                Direction::Down => g.down,
            })
            .filter(|ops| {
                self.backend == DbBackend::Postgres && crate::v1::online_on_postgres(ops)
            });
        if online.is_some() || migration.use_transaction() == Some(false) {
            match online {
                // Indexes, CHECKs, foreign keys and NOT NULL alone on PostgreSQL: their online
                // forms, each step its own transaction (or none), so the table keeps taking
                // writes; a step an interrupted run left is found and finished next time.
                Some(ops) => {
                    let timeout = self.options.table_lock_timeout;
                    crate::v1::apply_online_postgres(self.db, ops, timeout).await?
                }
                // The migration asked to run outside a transaction (e.g. `CREATE INDEX
                // CONCURRENTLY`).
                None => {
                    direction
                        .run(migration, &SchemaManager::new(self.db))
                        .await?
                }
            }
            // Its bookkeeping still commits as one.
            let transaction = self.db.begin().await?;
            self.record(&transaction, name, direction, checksum).await?;
            return transaction.commit().await;
        }
        let bound = self
            .options
            .table_lock_timeout
            .and_then(|timeout| table_locks::bound(self.backend, timeout));
        let bound = bound.as_deref();
        // A lock wait that ran out aborts the transaction: the whole migration is retried.
        table_locks::retrying(bound.is_some(), || async move {
            let transaction = self.db.begin().await?;
            let outcome = async {
                if let Some(bound) = bound {
                    transaction.execute_unprepared(bound).await?;
                }
                direction
                    .run(migration, &SchemaManager::new(&transaction))
                    .await?;
                self.record(&transaction, name, direction, checksum).await
            }
            .await;
            match outcome {
                Ok(()) => transaction.commit().await,
                Err(error) => {
                    transaction.rollback().await?;
                    Err(error)
                }
            }
        })
        .await
    }

    /// Whether this run lost its cluster lease to another run.
    fn lease_lost(&self) -> bool {
        self.lease.is_some_and(lease::Lease::lost)
    }

    /// The bookkeeping of one migration (see [`record`]), fenced by the cluster lease on
    /// Galera: it commits only while this run still holds the lock.
    async fn record(
        &self,
        transaction: &impl ConnectionTrait,
        name: &str,
        direction: Direction,
        checksum: Option<&str>,
    ) -> Result<(), DbErr> {
        if let Some(lease) = self.lease {
            lease.fence(transaction).await?;
        }
        record(transaction, name, direction, checksum).await
    }

    /// MySQL: the migration under its journal, then its bookkeeping and the journal's end in
    /// one transaction.
    async fn apply_journaled(
        &self,
        migration: &dyn MigrationTrait,
        direction: Direction,
        checksum: Option<&str>,
        resume: Option<&Progress>,
    ) -> Result<(), DbErr> {
        let (db, name) = (self.db, migration.name());
        if resume.is_none() {
            journal::open(db, name, direction.as_str(), checksum.unwrap_or_default()).await?;
        }
        let cursor = Arc::new(Mutex::new(journal::Cursor {
            version: name.to_owned(),
            done: resume.map_or(0, |p| p.done),
            started: resume.map_or(0, |p| p.started),
            position: 0,
            lease: self.lease.map(lease::Lease::watch),
        }));
        let manager = SchemaManager::new(db);
        let outcome = if checksum.is_some() {
            // Generated statements wait for table locks briefly and are retried (in
            // `v1::apply`); a hand-written migration keeps the server's wait.
            let bound = self
                .options
                .table_lock_timeout
                .and_then(|timeout| table_locks::bound(DbBackend::MySql, timeout));
            if let Some(bound) = &bound {
                db.execute_unprepared(bound).await?;
            }
            let outcome = journal::scope(cursor.clone(), direction.run(migration, &manager)).await;
            if bound.is_some() {
                db.execute_unprepared("SET SESSION lock_wait_timeout = DEFAULT")
                    .await?;
            }
            outcome
        } else {
            direction.run(migration, &manager).await
        };
        match outcome {
            Ok(()) => {
                let transaction = db.begin().await?;
                self.record(&transaction, name, direction, checksum).await?;
                journal::close(&transaction, name).await?;
                transaction.commit().await
            }
            // The run holding the lease now owns the journal row: leave it alone.
            Err(error) if self.lease_lost() => Err(error),
            Err(error) => {
                let started = cursor.lock().expect("not poisoned").started;
                if checksum.is_some() && started == 0 {
                    // A generated migration that failed before its first statement changed
                    // nothing: no journal to keep.
                    journal::close(db, name).await?;
                } else {
                    journal::fail(db, name, &error.to_string()).await?;
                }
                Err(error)
            }
        }
    }

    /// MySQL, a hand-written migration that asks for a transaction: its journal row is written
    /// inside the transaction, so the row outlives the transaction exactly when a DDL statement
    /// of the migration committed it (MySQL's implicit commit); then part of the migration is
    /// in the database, and later runs stop for a person. A migration of data statements alone
    /// commits or rolls back whole, journal row included.
    async fn apply_in_transaction_mysql(
        &self,
        migration: &dyn MigrationTrait,
        direction: Direction,
    ) -> Result<(), DbErr> {
        let name = migration.name();
        let transaction = self.db.begin().await?;
        let outcome = async {
            journal::open(&transaction, name, direction.as_str(), "").await?;
            direction
                .run(migration, &SchemaManager::new(&transaction))
                .await?;
            self.record(&transaction, name, direction, None).await?;
            journal::close(&transaction, name).await
        }
        .await;
        match outcome {
            Ok(()) => transaction.commit().await,
            Err(error) => {
                transaction.rollback().await?;
                if !self.lease_lost() && journal::exists(self.db, name).await? {
                    journal::fail(self.db, name, &error.to_string()).await?;
                }
                Err(error)
            }
        }
    }

    /// MySQL: finishes a migration that an earlier run left midway, in its direction.
    async fn resume_interrupted(&self) -> Result<Option<(String, String)>, RunError> {
        let Some(progress) = journal::read(self.db).await? else {
            return Ok(None);
        };
        let direction = if progress.direction == "down" {
            Direction::Down
        } else {
            Direction::Up
        };
        let stopped = || {
            progress
                .error
                .clone()
                .unwrap_or_else(|| "its process was stopped".to_owned())
        };
        let (Some(migration), Some(generated)) = (
            self.migration(&progress.version),
            self.generated(&progress.version),
        ) else {
            return Err(RunError::FailedEarlier {
                migration: progress.version.clone(),
                error: stopped(),
                journal: journal::TABLE,
            });
        };
        if generated.checksum() != progress.checksum {
            return Err(RunError::Edited {
                migration: progress.version.clone(),
                recorded: progress.checksum.clone(),
                now: generated.checksum(),
            });
        }
        self.apply(migration, direction, Some(&progress))
            .await
            .map_err(|error| RunError::Migration {
                migration: progress.version.clone(),
                direction: direction.as_str(),
                error: DbErr::Migration(format!(
                    "resuming it at statement {} (it stopped earlier: {}): {error}",
                    progress.done + 1,
                    stopped()
                )),
                done: Vec::new(),
            })?;
        Ok(Some((progress.version, progress.direction)))
    }

    /// Runners before the journal recorded MySQL failures in a table of their own; a row there
    /// still needs a person.
    async fn refuse_legacy_failures(&self) -> Result<(), RunError> {
        if !has_table(self.db, LEGACY_JOURNAL).await? {
            return Ok(());
        }
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.backend,
                format!("SELECT version, error FROM {LEGACY_JOURNAL} LIMIT 1"),
            ))
            .await?;
        match row {
            None => Ok(()),
            Some(row) => Err(RunError::FailedEarlier {
                migration: row.try_get("", "version")?,
                error: row.try_get("", "error")?,
                journal: LEGACY_JOURNAL,
            }),
        }
    }

    /// Where each migration stands, read without the lock and without writing anything.
    async fn status(&self) -> Result<Report, RunError> {
        let recorded = self.recorded().await?;
        let checksums = self.recorded_checksums().await?;
        let mut report = Report::default();
        for migration in &self.migrations {
            let name = migration.name();
            let state = if !recorded.iter().any(|r| r == name) {
                State::Pending
            } else {
                let checksum = checksums.iter().find(|(n, _)| n == name).map(|(_, c)| c);
                match (self.generated(name), checksum) {
                    (Some(g), Some(c)) if *c != g.checksum() && *c != g.legacy_checksum() => {
                        State::Edited
                    }
                    _ => State::Applied,
                }
            };
            report.status.push((name.to_owned(), state));
        }
        for name in recorded.iter().filter(|n| self.migration(n).is_none()) {
            report.status.push((name.clone(), State::Unknown));
        }
        report.already_applied = recorded.len();
        if self.backend == DbBackend::MySql {
            report.interrupted = journal::read(self.db).await?;
        }
        Ok(report)
    }

    /// Drops every table of the database (and every PostgreSQL type), for `fresh`.
    async fn drop_everything(&self) -> Result<(), DbErr> {
        let db = self.db;
        let (tables, statement): (&str, fn(&str) -> String) = match self.backend {
            DbBackend::Postgres => (
                "SELECT tablename AS name FROM pg_catalog.pg_tables \
                 WHERE schemaname = current_schema()",
                |t| {
                    format!(
                        "DROP TABLE IF EXISTS \"{}\" CASCADE",
                        t.replace('"', "\"\"")
                    )
                },
            ),
            DbBackend::MySql => (
                // The Galera lock table holds this run's lease: it stays.
                "SELECT TABLE_NAME AS name FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' \
                 AND TABLE_NAME <> 'seaql_migrations_lock'",
                |t| format!("DROP TABLE IF EXISTS `{}`", t.replace('`', "``")),
            ),
            _ => (
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%'",
                |t| format!("DROP TABLE IF EXISTS \"{}\"", t.replace('"', "\"\"")),
            ),
        };
        if self.backend == DbBackend::MySql {
            db.execute_unprepared("SET foreign_key_checks = 0").await?;
        }
        let rows = db
            .query_all_raw(Statement::from_string(self.backend, tables))
            .await?;
        for row in rows {
            let name: String = row.try_get("", "name")?;
            db.execute_unprepared(&statement(&name)).await?;
        }
        if self.backend == DbBackend::MySql {
            db.execute_unprepared("SET foreign_key_checks = 1").await?;
        }
        if self.backend == DbBackend::Postgres {
            let types = db
                .query_all_raw(Statement::from_string(
                    self.backend,
                    "SELECT t.typname AS name FROM pg_catalog.pg_type t JOIN \
                     pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
                     WHERE n.nspname = current_schema() AND t.typtype = 'e'",
                ))
                .await?;
            for row in types {
                let name: String = row.try_get("", "name")?;
                db.execute_unprepared(&format!(
                    "DROP TYPE IF EXISTS \"{}\" CASCADE",
                    name.replace('"', "\"\"")
                ))
                .await?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }

    async fn run(
        self,
        migration: &dyn MigrationTrait,
        manager: &SchemaManager<'_>,
    ) -> Result<(), DbErr> {
        match self {
            Direction::Up => migration.up(manager).await,
            Direction::Down => migration.down(manager).await,
        }
    }
}

fn failure(
    migration: &dyn MigrationTrait,
    direction: Direction,
    error: DbErr,
    report: &Report,
) -> RunError {
    let done = match direction {
        Direction::Up => report.applied.clone(),
        Direction::Down => report.rolled_back.clone(),
    };
    RunError::Migration {
        migration: migration.name().to_owned(),
        direction: direction.as_str(),
        error,
        done,
    }
}

async fn execute<const N: usize>(
    db: &impl ConnectionTrait,
    sql: &str,
    values: [&str; N],
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        placeholders(backend, sql),
        values.map(|v| v.into()),
    ))
    .await
    .map(|_| ())
}

/// sea-orm-migration's own `seaql_migrations` table, created if missing.
async fn install(db: &DatabaseConnection) -> Result<(), DbErr> {
    let text = match db.get_database_backend() {
        DbBackend::MySql => "varchar(255)",
        _ => "varchar",
    };
    db.execute_unprepared(&format!(
        "CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version {text} NOT NULL PRIMARY KEY, \
         applied_at bigint NOT NULL)"
    ))
    .await
    .map(|_| ())
}

async fn create_checksum_table(db: &DatabaseConnection) -> Result<(), DbErr> {
    let text = match db.get_database_backend() {
        DbBackend::MySql => "varchar(255)",
        _ => "varchar",
    };
    db.execute_unprepared(&format!(
        "CREATE TABLE IF NOT EXISTS {CHECKSUM_TABLE} (version {text} NOT NULL PRIMARY KEY, \
         checksum {text} NOT NULL)"
    ))
    .await
    .map(|_| ())
}

/// The bookkeeping of one migration run in `direction`: its `seaql_migrations` row and its
/// checksum row, inserted (up) or deleted (down).
async fn record(
    db: &impl ConnectionTrait,
    name: &str,
    direction: Direction,
    checksum: Option<&str>,
) -> Result<(), DbErr> {
    match direction {
        Direction::Up => {
            let applied_at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
                .to_string();
            execute(
                db,
                &format!(
                    "INSERT INTO {MIGRATIONS_TABLE} (version, applied_at) VALUES (?, {applied_at})"
                ),
                [name],
            )
            .await?;
            if let Some(checksum) = checksum {
                // A row left by a `down` of an earlier runner, which did not remove checksums.
                execute(
                    db,
                    &format!("DELETE FROM {CHECKSUM_TABLE} WHERE version = ?"),
                    [name],
                )
                .await?;
                execute(
                    db,
                    &format!("INSERT INTO {CHECKSUM_TABLE} (version, checksum) VALUES (?, ?)"),
                    [name, checksum],
                )
                .await?;
            }
        }
        Direction::Down => {
            execute(
                db,
                &format!("DELETE FROM {MIGRATIONS_TABLE} WHERE version = ?"),
                [name],
            )
            .await?;
            if checksum.is_some() {
                execute(
                    db,
                    &format!("DELETE FROM {CHECKSUM_TABLE} WHERE version = ?"),
                    [name],
                )
                .await?;
            }
        }
    }
    Ok(())
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
    fn postgres_placeholders_are_numbered() {
        assert_eq!(
            placeholders(DbBackend::Postgres, "INSERT INTO t VALUES (?, ?)"),
            "INSERT INTO t VALUES ($1, $2)"
        );
        assert_eq!(placeholders(DbBackend::MySql, "a = ?"), "a = ?");
    }
}
