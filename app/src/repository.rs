//! The data-access layer, in the shape of the seed tutorial's repository: every query the
//! service makes lives here, so handlers hold no SQL and no SeaORM calls.
//!
//! Every write is one statement whose own outcome says whether the post existed: `UPDATE …
//! RETURNING` and `INSERT … RETURNING` on PostgreSQL and SQLite; on MySQL/MariaDB, which have
//! no `UPDATE … RETURNING`, the `UPDATE`'s count of matched rows (sqlx connects with
//! `CLIENT_FOUND_ROWS`), then the row read back in the same transaction, where the `UPDATE`'s
//! row lock keeps it from being deleted in between. A post deleted by another request before
//! the write is therefore "no post", never an error.

use std::time::Duration;

use chrono::Utc;
use entity::post;
use sea_orm::sea_query::{Order, Query};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sea_orm::sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteSynchronous};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, SqlxSqliteConnector, TransactionTrait,
};

/// What a new post needs; fields left out take the database's defaults.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub title: String,
    pub content: String,
    pub status: Option<post::Status>,
    pub reading_minutes: Option<i32>,
}

/// A partial update: only the fields given change.
#[derive(Debug, Clone, Default)]
pub struct PostChanges {
    pub title: Option<String>,
    pub content: Option<String>,
    pub status: Option<post::Status>,
    pub reading_minutes: Option<i32>,
}

/// How the service connects to its database.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Connections for reads on SQLite (writes have one connection of their own), and the
    /// pool size on PostgreSQL and MySQL; `None` for [`default_connections`].
    pub connections: Option<u32>,
    /// How long a SQLite statement waits for a lock another process holds before it fails.
    pub busy_timeout: Duration,
    /// How much of a SQLite file is read through a memory map rather than copied into each
    /// connection's page cache: a reader's cache is emptied whenever another connection has
    /// written, and re-reading through the map costs no copy and no allocation.
    pub sqlite_mmap_bytes: u64,
}

/// The connections when the settings name none, as measured on the 2-core development machine
/// (tests/benchmark-results.md): on SQLite, twice the cores read (4 readers there; 8 no faster,
/// 2 slower); on PostgreSQL and MySQL, a pool of four times the cores (8 there: while writes
/// wait for the server to sync its log, a pool of 4 served fewer requests in every paired run
/// on PostgreSQL, mixed and reads alike).
pub fn default_connections(sqlite: bool) -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
    if sqlite { 2 * cores } else { 4 * cores }
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            connections: None,
            busy_timeout: Duration::from_secs(5),
            sqlite_mmap_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Posts in the database.
#[derive(Debug, Clone)]
pub struct PostRepository {
    /// Where writes go: on SQLite, a pool of exactly one connection.
    writer: DatabaseConnection,
    /// Where reads go: the writer's pool on PostgreSQL and MySQL; on a SQLite file, a pool of
    /// read-only connections, which WAL lets read while the writer writes.
    reader: DatabaseConnection,
}

impl PostRepository {
    /// Reads and writes through `db`, as it is.
    pub fn new(db: DatabaseConnection) -> Self {
        PostRepository {
            reader: db.clone(),
            writer: db,
        }
    }

    /// Connects to `url` as the server does.
    ///
    /// On a SQLite file: WAL (readers never wait for the writer, nor it for them),
    /// `synchronous=NORMAL` (in WAL mode a commit is durable once the WAL is synced at each
    /// checkpoint; a power loss may lose the last commits but never corrupts the file), a busy
    /// timeout for locks held by other processes (a migration, a backup), one connection for
    /// writes, since SQLite runs one writer at a time anyway and waiting on a pool is cheaper
    /// than waiting on a file lock, and `settings.connections` read-only connections for reads.
    /// An in-memory SQLite database has one connection for both. PostgreSQL and MySQL get one
    /// pool of `settings.connections`. Unset, [`default_connections`].
    pub async fn connect(url: &str, settings: &ConnectionSettings) -> Result<Self, DbErr> {
        let sqlite = url.starts_with("sqlite:");
        let connections = settings
            .connections
            .unwrap_or_else(|| default_connections(sqlite))
            .max(1);
        if !sqlite {
            let mut options = sea_orm::ConnectOptions::new(url.to_owned());
            options
                .max_connections(connections)
                // sqlx pings a connection before lending it, by default: a round trip to the
                // server before every query. Pinged only after a second idle instead (as
                // HikariCP skips the check for connections used in the last 500 ms): a
                // connection the server or a proxy dropped has been idle, and one in use a
                // moment ago is alive.
                .test_before_acquire_if_idle_for(Duration::from_secs(1))
                .sqlx_logging(false);
            return Ok(Self::new(sea_orm::Database::connect(options).await?));
        }
        let base: SqliteConnectOptions = url.parse().map_err(|e: sea_orm::sqlx::Error| {
            DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string()))
        })?;
        let base = base
            .busy_timeout(settings.busy_timeout)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("mmap_size", settings.sqlite_mmap_bytes.to_string());
        if url.contains(":memory:") || url.contains("mode=memory") {
            let pool = sqlite_pool(1, base).await?;
            return Ok(Self::new(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)));
        }
        // The writer first: it creates the file if the URL allows, and switches it to WAL, a
        // setting kept in the file.
        let writer = sqlite_pool(1, base.clone().journal_mode(SqliteJournalMode::Wal)).await?;
        let reader =
            sqlite_pool(connections, base.read_only(true).create_if_missing(false)).await?;
        Ok(PostRepository {
            writer: SqlxSqliteConnector::from_sqlx_sqlite_pool(writer),
            reader: SqlxSqliteConnector::from_sqlx_sqlite_pool(reader),
        })
    }

    fn backend(&self) -> DbBackend {
        self.writer.get_database_backend()
    }

    pub async fn create(&self, new: NewPost) -> Result<post::Model, DbErr> {
        let now = Utc::now().fixed_offset();
        let mut post = post::ActiveModel {
            title: Set(new.title),
            content: Set(new.content),
            reading_minutes: Set(new.reading_minutes),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        // Left unset, `status` takes the database default ('draft').
        if let Some(status) = new.status {
            post.status = Set(status);
        }
        if self.backend() == DbBackend::MySql {
            // Insert, then read the row back by its new id: in one transaction, where no other
            // request can see (and so delete) the row before it is read.
            let transaction = self.writer.begin().await?;
            let created = post.insert(&transaction).await?;
            transaction.commit().await?;
            return Ok(created);
        }
        let mut insert = post::Entity::insert(post).into_query();
        insert.returning_all();
        let row = self.writer.query_one(&insert).await?;
        let row = row.ok_or_else(|| DbErr::RecordNotInserted)?;
        post::Model::from_query_result(&row, "")
    }

    /// The number of posts.
    pub async fn count(&self) -> Result<u64, DbErr> {
        post::Entity::find().count(&self.reader).await
    }

    /// Up to `limit` posts by id, skipping the first `offset`.
    pub async fn list_from(&self, offset: u64, limit: u64) -> Result<Vec<post::Model>, DbErr> {
        post::Entity::find()
            .order_by(post::Column::Id, Order::Asc)
            .offset(offset)
            .limit(limit)
            .all(&self.reader)
            .await
    }

    /// Up to `limit` posts by id, those after post `id`.
    pub async fn list_after(&self, id: i32, limit: u64) -> Result<Vec<post::Model>, DbErr> {
        post::Entity::find()
            .filter(post::Column::Id.gt(id))
            .order_by(post::Column::Id, Order::Asc)
            .limit(limit)
            .all(&self.reader)
            .await
    }

    pub async fn find(&self, id: i32) -> Result<Option<post::Model>, DbErr> {
        post::Entity::find_by_id(id).one(&self.reader).await
    }

    /// The updated post, or `None` when there is no post `id`: decided by the `UPDATE` itself.
    pub async fn update(
        &self,
        id: i32,
        changes: PostChanges,
    ) -> Result<Option<post::Model>, DbErr> {
        let mut update = Query::update();
        update
            .table(post::Entity)
            .value(post::Column::UpdatedAt, Utc::now().fixed_offset())
            .and_where(post::Column::Id.eq(id));
        if let Some(title) = changes.title {
            update.value(post::Column::Title, title);
        }
        if let Some(content) = changes.content {
            update.value(post::Column::Content, content);
        }
        if let Some(status) = changes.status {
            update.value(post::Column::Status, status);
        }
        if let Some(minutes) = changes.reading_minutes {
            update.value(post::Column::ReadingMinutes, minutes);
        }
        if self.backend() == DbBackend::MySql {
            let transaction = self.writer.begin().await?;
            if transaction.execute(&update).await?.rows_affected() == 0 {
                return Ok(None);
            }
            let updated = post::Entity::find_by_id(id).one(&transaction).await?;
            transaction.commit().await?;
            return Ok(updated);
        }
        update.returning_all();
        match self.writer.query_one(&update).await? {
            Some(row) => post::Model::from_query_result(&row, "").map(Some),
            None => Ok(None),
        }
    }

    /// Whether a post was deleted: the `DELETE`'s own count of rows.
    pub async fn delete(&self, id: i32) -> Result<bool, DbErr> {
        Ok(post::Entity::delete_by_id(id)
            .exec(&self.writer)
            .await?
            .rows_affected
            > 0)
    }

    /// A connection for reads (what `/health` asks).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.reader
    }
}

async fn sqlite_pool(connections: u32, options: SqliteConnectOptions) -> Result<SqlitePool, DbErr> {
    SqlitePoolOptions::new()
        .max_connections(connections)
        .min_connections(connections)
        // sqlx pings an idle connection before lending it, by default: on SQLite a round trip
        // to the connection's worker thread before every query, for a file that cannot hang up.
        .test_before_acquire(false)
        .after_connect(|connection, _| Box::pin(keep_query_plans(connection)))
        .connect_with(options)
        .await
        .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))
}

/// Turns on SQLite's query planner stability guarantee for `connection`: a prepared statement
/// keeps its plan whatever values are bound to it.
///
/// Without it, SQLite plans a `LIMIT ?` for the value bound (`sqlite3ExprIsInteger`), so binding
/// any value to that parameter expires the statement and its next step parses and plans the SQL
/// again: SeaORM binds every limit, `find_by_id(…).one()` included, so every read of a post was
/// parsed anew, a fifth of the app's CPU under a read load (`perf`, sqlite3Reprepare).
async fn keep_query_plans(connection: &mut SqliteConnection) -> Result<(), sea_orm::sqlx::Error> {
    query_plan_stability(connection, 1).await.map(|_| ())
}

/// Sets SQLITE_DBCONFIG_ENABLE_QPSG on `connection` (1 on, 0 off, -1 as it is), and says
/// whether it is on.
async fn query_plan_stability(
    connection: &mut SqliteConnection,
    value: std::ffi::c_int,
) -> Result<bool, sea_orm::sqlx::Error> {
    let mut handle = connection.lock_handle().await?;
    let mut on: std::ffi::c_int = -1;
    // SAFETY: the handle is locked out of the connection's worker thread for this call, and
    // SQLITE_DBCONFIG_ENABLE_QPSG takes an int and a pointer to an int that receives the
    // setting: <https://www.sqlite.org/c3ref/c_dbconfig_defensive.html#sqlitedbconfigenableqpsg>.
    let code = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            handle.as_raw_handle().as_ptr(),
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            value,
            &mut on as *mut std::ffi::c_int,
        )
    };
    if code != libsqlite3_sys::SQLITE_OK {
        return Err(sea_orm::sqlx::Error::Configuration(
            format!("SQLite refused SQLITE_DBCONFIG_ENABLE_QPSG (code {code})").into(),
        ));
    }
    Ok(on == 1)
}

#[cfg(test)]
mod tests {
    use sea_orm::sqlx::Connection;

    use super::*;

    async fn keeps_query_plans(connection: &mut SqliteConnection) -> bool {
        query_plan_stability(connection, -1).await.unwrap()
    }

    #[tokio::test]
    async fn every_sqlite_connection_keeps_its_query_plans_whatever_limit_is_bound() {
        let dir = std::env::temp_dir().join(format!("app-qpsg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("posts.sqlite3").display());
        let settings = ConnectionSettings {
            connections: Some(3),
            ..ConnectionSettings::default()
        };
        let repository = PostRepository::connect(&url, &settings).await.unwrap();
        let mut writer = repository
            .writer
            .get_sqlite_connection_pool()
            .acquire()
            .await
            .unwrap();
        assert!(keeps_query_plans(&mut writer).await, "the writer re-plans");
        // All the readers at once, so that each is a different connection.
        let readers = repository.reader.get_sqlite_connection_pool();
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(readers.acquire().await.unwrap());
        }
        for reader in &mut held {
            assert!(keeps_query_plans(reader).await, "a reader re-plans");
        }
        // A plain connection does not: the setting is the app's, not SQLite's default.
        let mut plain = SqliteConnection::connect(&url).await.unwrap();
        assert!(!keeps_query_plans(&mut plain).await);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
