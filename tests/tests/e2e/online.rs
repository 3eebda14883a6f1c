//! Schema changes on a table that keeps taking writes. A change that must wait for the table's
//! lock, because a long transaction reads the table, does not stop the application's writes:
//! the runner bounds each wait and retries (measured against the same change with the bound
//! turned off, which queues every write behind the waiting change until the reader ends). On
//! PostgreSQL an index added alone is built concurrently and a CHECK added alone is added
//! `NOT VALID` then validated; a run interrupted between steps is finished by the next.

use std::time::{Duration, Instant};

use migration_ops::runner::{self, RunnerOptions};
use migration_ops::v1;
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use tests::db::{Backend, TestDb};
use tests::history::DataMigration;
use tests::online::{
    MINUTES_BACKFILL, MINUTES_KEY, TITLE_CHECK, TITLE_INDEX, Writer, extra, hold_reader,
};

/// How long the reader keeps its transaction open on `posts`.
const READER_HOLDS: Duration = Duration::from_secs(3);

/// The shipped migrations, then `extra(N)`.
struct ShippedAnd<const N: usize>;

impl<const N: usize> MigratorTrait for ShippedAnd<N> {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut migrations = migration::Migrator::migrations();
        migrations.push(Box::new(DataMigration(extra(N))));
        migrations
    }
}

type NoteMigrator = ShippedAnd<0>;
type IndexMigrator = ShippedAnd<1>;
type CheckMigrator = ShippedAnd<2>;
type RequiredMigrator = ShippedAnd<3>;
type FilledMigrator = ShippedAnd<4>;
type KeyedMigrator = ShippedAnd<5>;
type WidenedMigrator = ShippedAnd<6>;

/// A fresh database named after `test` with the shipped migrations applied, and the runner's
/// options for them and `extra(number)`, which is left to apply.
async fn shipped_database(backend: Backend, test: &str, number: usize) -> (TestDb, RunnerOptions) {
    let db = TestDb::fresh(backend, test).await;
    let mut generated = migration::generated();
    generated.push(extra(number));
    let options = RunnerOptions {
        generated,
        ..RunnerOptions::default()
    };
    runner::up::<migration::Migrator>(&db.url, &options)
        .await
        .unwrap();
    (db, options)
}

/// Applies the note migration while a reader holds `posts` and a writer inserts a post every
/// 10 ms; returns the writer's longest wait for one insert.
async fn longest_write_stall(backend: Backend, table_lock_timeout: Option<Duration>) -> Duration {
    let (db, options) = shipped_database(backend, "online_locks", 0).await;
    let options = RunnerOptions {
        table_lock_timeout,
        ..options
    };

    let writer = Writer::start(&db.url, Duration::from_millis(10)).await;
    let reader = hold_reader(&db.url, READER_HOLDS).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let report = runner::up::<NoteMigrator>(&db.url, &options)
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: the migration failed: {e}"));
    assert_eq!(report.applied, ["m29990101_000003_add_posts_note"]);
    reader.await.unwrap();
    let longest = writer.stop().await.into_iter().max().unwrap_or_default();
    db.connection
        .execute_unprepared("SELECT note FROM posts")
        .await
        .expect("the column was added");
    db.drop_database().await;
    longest
}

async fn a_change_waiting_behind_a_long_transaction_does_not_stall_writes(backend: Backend) {
    let unbounded = longest_write_stall(backend, None).await;
    let bounded = longest_write_stall(backend, Some(Duration::from_millis(500))).await;
    eprintln!(
        "{backend:?}: longest write stall {} ms with the 500 ms bound, {} ms without",
        bounded.as_millis(),
        unbounded.as_millis()
    );
    // Without the bound the writes wait for the reader (3 s, less the 0.3 s head start).
    assert!(
        unbounded > Duration::from_secs(2),
        "{backend:?}: without the bound the writes should have queued: {unbounded:?}"
    );
    assert!(
        bounded < Duration::from_millis(1200),
        "{backend:?}: a write waited {bounded:?} behind the migration"
    );
}

/// `(valid, unique)` of the title index, if it exists.
async fn title_index(connection: &sea_orm::DatabaseConnection) -> Option<(bool, bool)> {
    let row = connection
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!(
                "SELECT i.indisvalid, i.indisunique FROM pg_index i JOIN pg_class c \
                 ON c.oid = i.indexrelid WHERE c.relname = '{TITLE_INDEX}'"
            ),
        ))
        .await
        .unwrap()?;
    Some((
        row.try_get_by_index(0).unwrap(),
        row.try_get_by_index(1).unwrap(),
    ))
}

/// The modes of the index-build locks on `posts`, held or awaited (ShareLock: a plain
/// `CREATE INDEX`; ShareUpdateExclusiveLock: `CONCURRENTLY`).
async fn index_build_locks(connection: &sea_orm::DatabaseConnection) -> Vec<String> {
    connection
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
             WHERE c.relname = 'posts' AND l.mode IN ('ShareLock', 'ShareUpdateExclusiveLock')",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// While a writer's transaction is open on `posts`, the index migration takes only the lock
/// that writes do not wait for (a plain `CREATE INDEX` would queue every write behind its
/// SHARE lock), waits for that writer, and completes; an `INVALID` index left by a build that
/// failed is found, dropped and built again.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
async fn an_index_added_alone_is_built_concurrently_and_an_interrupted_build_redone_on_postgres() {
    let (db, options) = shipped_database(Backend::Postgres, "online_index", 1).await;
    let insert = "INSERT INTO posts (title, content, created_at, updated_at) VALUES \
                  ('same', 'c', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)";
    for _ in 0..3 {
        db.connection.execute_unprepared(insert).await.unwrap();
    }

    let writer = Database::connect(db.url.as_str()).await.unwrap();
    let open = writer.begin().await.unwrap();
    open.execute_unprepared(insert).await.unwrap();
    let migration = tokio::spawn({
        let (url, options) = (db.url.clone(), options.clone());
        async move { runner::up::<IndexMigrator>(&url, &options).await }
    });
    let start = Instant::now();
    let modes = loop {
        let modes = index_build_locks(&db.connection).await;
        if !modes.is_empty() {
            break modes;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the build never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(modes, ["ShareUpdateExclusiveLock"]);
    // Writes go on while the build waits for the open transaction.
    tokio::time::timeout(
        Duration::from_secs(5),
        db.connection.execute_unprepared(insert),
    )
    .await
    .expect("a write waited for the index build")
    .unwrap();
    open.commit().await.unwrap();
    let report = migration.await.unwrap().unwrap();
    assert_eq!(report.applied, [extra(1).name]);
    assert_eq!(title_index(&db.connection).await, Some((true, false)));

    // A build that failed midway (here: a unique build over duplicates) leaves the index
    // INVALID under the migration's name; the next run drops it and builds the right one.
    runner::run::<IndexMigrator>(&db.url, runner::Command::Down(Some(1)), &options)
        .await
        .unwrap();
    db.connection
        .execute_unprepared(&format!(
            "CREATE UNIQUE INDEX CONCURRENTLY \"{TITLE_INDEX}\" ON posts (title)"
        ))
        .await
        .expect_err("duplicate titles fail the unique build");
    assert_eq!(title_index(&db.connection).await, Some((false, true)));
    let report = runner::up::<IndexMigrator>(&db.url, &options)
        .await
        .unwrap();
    assert_eq!(report.applied, [extra(1).name]);
    assert_eq!(title_index(&db.connection).await, Some((true, false)));
    writer.close().await.unwrap();
    db.drop_database().await;
}

/// Whether the title check exists, and whether it is validated.
async fn title_check(connection: &sea_orm::DatabaseConnection) -> Option<bool> {
    let row = connection
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT convalidated FROM pg_constraint WHERE conname = '{TITLE_CHECK}'"),
        ))
        .await
        .unwrap()?;
    Some(row.try_get_by_index(0).unwrap())
}

/// A CHECK added alone on PostgreSQL runs as `NOT VALID` then `VALIDATE`: a run that stopped
/// between the two (the rule enforced on new rows, the old ones not yet checked) is finished
/// by the next, which only validates; rows that break the rule stop the migration before
/// anything changes.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
async fn a_check_added_alone_is_added_not_valid_then_validated_on_postgres() {
    let (db, options) = shipped_database(Backend::Postgres, "online_check", 2).await;
    let insert = |title: &str| {
        format!(
            "INSERT INTO posts (title, content, created_at, updated_at) VALUES \
             ('{title}', 'c', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    };
    db.connection
        .execute_unprepared(&insert("short"))
        .await
        .unwrap();

    // An earlier run stopped after its NOT VALID step.
    let add = v1::to_sql(extra(2).up, sea_orm::DbBackend::Postgres).remove(0);
    db.connection
        .execute_unprepared(&format!("{add} NOT VALID"))
        .await
        .unwrap();
    assert_eq!(title_check(&db.connection).await, Some(false));
    let report = runner::up::<CheckMigrator>(&db.url, &options)
        .await
        .unwrap();
    assert_eq!(report.applied, [extra(2).name]);
    assert_eq!(title_check(&db.connection).await, Some(true));
    db.connection
        .execute_unprepared(&insert(&"x".repeat(151)))
        .await
        .expect_err("the rule holds");

    // Down, a row that breaks the rule, up: stopped before adding anything.
    runner::run::<CheckMigrator>(&db.url, runner::Command::Down(Some(1)), &options)
        .await
        .unwrap();
    assert_eq!(title_check(&db.connection).await, None);
    db.connection
        .execute_unprepared(&insert(&"x".repeat(151)))
        .await
        .unwrap();
    let error = runner::up::<CheckMigrator>(&db.url, &options)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("1 row(s) of `posts` break"), "{error}");
    assert_eq!(title_check(&db.connection).await, None);

    // Fixed, up from nothing: added NOT VALID and validated.
    db.connection
        .execute_unprepared("DELETE FROM posts WHERE char_length(title) > 150")
        .await
        .unwrap();
    runner::up::<CheckMigrator>(&db.url, &options)
        .await
        .unwrap();
    assert_eq!(title_check(&db.connection).await, Some(true));
    db.drop_database().await;
}

/// Whether `posts.reading_minutes` is NOT NULL, and the names of the CHECKs on it made by the
/// online form.
async fn minutes_required(connection: &sea_orm::DatabaseConnection) -> (bool, i64) {
    let row = connection
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT a.attnotnull, (SELECT count(*) FROM pg_constraint \
             WHERE conname LIKE 'online_not_null_%') FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid \
             WHERE c.relname = 'posts' AND a.attname = 'reading_minutes'",
        ))
        .await
        .unwrap()
        .unwrap();
    (
        row.try_get_by_index(0).unwrap(),
        row.try_get_by_index(1).unwrap(),
    )
}

/// A column made NOT NULL alone on PostgreSQL goes through a CHECK `IS NOT NULL` added
/// `NOT VALID` and validated, so `SET NOT NULL` does not scan under the exclusive lock; the
/// CHECK is gone after; a run stopped after adding it is finished by the next; a NULL stops
/// the migration before any step.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
async fn a_column_made_not_null_alone_goes_through_a_validated_check_on_postgres() {
    let (db, options) = shipped_database(Backend::Postgres, "online_not_null", 3).await;
    let insert = |minutes: &str| {
        format!(
            "INSERT INTO posts (title, content, reading_minutes, created_at, updated_at) \
             VALUES ('t', 'c', {minutes}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    };
    db.connection
        .execute_unprepared(&insert("5"))
        .await
        .unwrap();

    // An earlier run stopped after adding its CHECK.
    db.connection
        .execute_unprepared(
            "ALTER TABLE posts ADD CONSTRAINT online_not_null_reading_minutes \
             CHECK (reading_minutes IS NOT NULL) NOT VALID",
        )
        .await
        .unwrap();
    let report = runner::up::<RequiredMigrator>(&db.url, &options)
        .await
        .unwrap();
    assert_eq!(report.applied, [extra(3).name]);
    assert_eq!(minutes_required(&db.connection).await, (true, 0));

    // Down, a NULL, up: stopped before any step.
    runner::run::<RequiredMigrator>(&db.url, runner::Command::Down(Some(1)), &options)
        .await
        .unwrap();
    db.connection
        .execute_unprepared(&insert("NULL"))
        .await
        .unwrap();
    let error = runner::up::<RequiredMigrator>(&db.url, &options)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("1 row(s) of `posts`"), "{error}");
    assert_eq!(minutes_required(&db.connection).await, (false, 0));

    // Filled, up from nothing.
    db.connection
        .execute_unprepared("UPDATE posts SET reading_minutes = 1 WHERE reading_minutes IS NULL")
        .await
        .unwrap();
    runner::up::<RequiredMigrator>(&db.url, &options)
        .await
        .unwrap();
    assert_eq!(minutes_required(&db.connection).await, (true, 0));
    db.drop_database().await;
}

/// The one row `sql` answers.
async fn one_row(connection: &sea_orm::DatabaseConnection, sql: &str) -> sea_orm::QueryResult {
    connection
        .query_one_raw(sea_orm::Statement::from_string(
            connection.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no row: {sql}"))
}

/// `(posts, posts whose reading_minutes is NULL, posts whose reading_minutes is the backfill)`.
async fn minutes_counts(connection: &sea_orm::DatabaseConnection) -> (i64, i64, i64) {
    let row = one_row(
        connection,
        &format!(
            "SELECT COUNT(*), SUM(CASE WHEN reading_minutes IS NULL THEN 1 ELSE 0 END), \
             SUM(CASE WHEN reading_minutes = {MINUTES_BACKFILL} THEN 1 ELSE 0 END) FROM posts"
        ),
    )
    .await;
    let sum = |at| {
        row.try_get_by_index::<Option<i64>>(at)
            .or_else(|_| {
                row.try_get_by_index::<Option<sea_orm::prelude::Decimal>>(at)
                    .map(|d| d.map(|d| d.to_string().parse().unwrap()))
            })
            .unwrap()
            .unwrap_or(0)
    };
    (sum(0), sum(1), sum(2))
}

/// A column made NOT NULL with `--backfill` on a table of 32,768 posts whose values are NULL,
/// while a writer inserts and updates a post every 5 ms: its NULLs are filled in batches that
/// commit by themselves (PostgreSQL: by ranges of pages while a trigger fills every row
/// written, then a CHECK `NOT VALID` validated; MySQL: `UPDATE … LIMIT`; SQLite: in its one
/// transaction), no write fails or waits long, and the posts that had a value keep it. A run
/// stopped halfway (half the rows filled) is finished by the next; `down` makes the column
/// nullable again, and `up` again is a no-op for the data.
async fn a_column_filled_and_made_not_null_keeps_taking_writes(backend: Backend) {
    let (db, options) = shipped_database(backend, "online_backfill", 4).await;
    let insert = |minutes: &str| {
        format!(
            "INSERT INTO posts (title, content, reading_minutes, created_at, updated_at) \
             VALUES ('t', 'c', {minutes}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    };
    db.connection
        .execute_unprepared(&insert("NULL"))
        .await
        .unwrap();
    for _ in 0..15 {
        db.connection
            .execute_unprepared(
                "INSERT INTO posts (title, content, reading_minutes, created_at, updated_at) \
                 SELECT title, content, reading_minutes, created_at, updated_at FROM posts",
            )
            .await
            .unwrap();
    }
    db.connection
        .execute_unprepared(&insert("7"))
        .await
        .unwrap();
    assert_eq!(minutes_counts(&db.connection).await, (32_769, 32_768, 0));

    // An earlier run stopped halfway through the backfill.
    db.connection
        .execute_unprepared(&format!(
            "UPDATE posts SET reading_minutes = {MINUTES_BACKFILL} WHERE id % 2 = 0"
        ))
        .await
        .unwrap();

    let writer = Writer::start(&db.url, Duration::from_millis(5)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let report = runner::up::<FilledMigrator>(&db.url, &options)
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: the migration failed: {e}"));
    assert_eq!(report.applied, [extra(4).name]);
    let waits = writer.stop().await;
    let longest = waits.iter().max().copied().unwrap_or_default();
    eprintln!(
        "{backend:?}: {} writes during the backfill, the longest {} ms",
        waits.len(),
        longest.as_millis()
    );
    assert!(
        backend == Backend::Sqlite || longest < Duration::from_millis(1200),
        "{backend:?}: a write waited {longest:?} for the backfill"
    );

    let (posts, nulls, filled) = minutes_counts(&db.connection).await;
    assert_eq!((nulls, filled), (0, 32_768), "{backend:?}: {posts} posts");
    let kept: i32 = one_row(
        &db.connection,
        "SELECT reading_minutes FROM posts WHERE reading_minutes = 7",
    )
    .await
    .try_get_by_index(0)
    .unwrap();
    assert_eq!(kept, 7);
    let refused = db.connection.execute_unprepared(&insert("NULL")).await;
    assert!(
        refused.is_err(),
        "{backend:?}: reading_minutes takes NULL after the migration"
    );
    if backend == Backend::Postgres {
        assert_eq!(minutes_required(&db.connection).await, (true, 0));
    }

    // Down: nullable again; up again: nothing left to fill, NOT NULL again.
    runner::run::<FilledMigrator>(&db.url, runner::Command::Down(Some(1)), &options)
        .await
        .unwrap();
    db.connection
        .execute_unprepared(&insert("NULL"))
        .await
        .unwrap();
    runner::up::<FilledMigrator>(&db.url, &options)
        .await
        .unwrap();
    assert_eq!(minutes_counts(&db.connection).await.1, 0);
    assert!(
        db.connection
            .execute_unprepared(&insert("NULL"))
            .await
            .is_err()
    );

    // PostgreSQL, whose online form has steps of its own: runs stopped at moments spread over
    // the migration (the task aborted: its connection closes and the server rolls back what
    // was open), each finished by the next while the writer goes on.
    if backend == Backend::Postgres {
        for stop_after in [20, 60, 150, 300] {
            runner::run::<FilledMigrator>(&db.url, runner::Command::Down(Some(1)), &options)
                .await
                .unwrap();
            db.connection
                .execute_unprepared("UPDATE posts SET reading_minutes = NULL WHERE id % 2 = 1")
                .await
                .unwrap();
            let writer = Writer::start(&db.url, Duration::from_millis(5)).await;
            let run = tokio::spawn({
                let (url, options) = (db.url.clone(), options.clone());
                async move {
                    runner::up::<FilledMigrator>(&url, &options)
                        .await
                        .map(|_| ())
                }
            });
            tokio::time::sleep(Duration::from_millis(stop_after)).await;
            run.abort();
            let _ = run.await;
            runner::up::<FilledMigrator>(&db.url, &options)
                .await
                .unwrap_or_else(|e| panic!("the run after a stop at {stop_after} ms failed: {e}"));
            writer.stop().await;
            assert_eq!(minutes_counts(&db.connection).await.1, 0);
            assert_eq!(minutes_required(&db.connection).await, (true, 0));
            let left: i64 = one_row(
                &db.connection,
                "SELECT count(*) FROM pg_proc WHERE proname LIKE 'posts__fill%'",
            )
            .await
            .try_get_by_index(0)
            .unwrap();
            assert_eq!(
                left, 0,
                "the fill trigger's function is left after {stop_after} ms"
            );
        }
    }
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
async fn a_column_filled_and_made_not_null_keeps_taking_writes_on_postgres() {
    a_column_filled_and_made_not_null_keeps_taking_writes(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_mariadb, ignore = "TEST_MYSQL_URL is not set (see README)")]
async fn a_column_filled_and_made_not_null_keeps_taking_writes_on_mariadb() {
    a_column_filled_and_made_not_null_keeps_taking_writes(Backend::MySql).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_column_filled_and_made_not_null_keeps_taking_writes_on_sqlite() {
    a_column_filled_and_made_not_null_keeps_taking_writes(Backend::Sqlite).await;
}

/// `posts.reading_minutes`' type, whether its range CHECK is there and validated, and what
/// the widening left behind (a column, a trigger function): `("bigint", true, 0)` once done.
async fn minutes_widened(connection: &sea_orm::DatabaseConnection) -> (String, bool, i64) {
    let row = one_row(
        connection,
        "SELECT format_type(a.atttypid, a.atttypmod), \
         COALESCE((SELECT convalidated FROM pg_constraint \
         WHERE conname = 'ck_posts_reading_minutes_range'), false), \
         (SELECT count(*) FROM pg_attribute WHERE attrelid = 'posts'::regclass \
         AND attname LIKE '%widened%' AND NOT attisdropped) \
         + (SELECT count(*) FROM pg_proc WHERE proname LIKE '%widen%') \
         FROM pg_attribute a WHERE a.attrelid = 'posts'::regclass \
         AND a.attname = 'reading_minutes'",
    )
    .await;
    (
        row.try_get_by_index(0).unwrap(),
        row.try_get_by_index(1).unwrap(),
        row.try_get_by_index(2).unwrap(),
    )
}

/// The sum of `reading_minutes` over the posts, and the posts without it.
async fn minutes_fingerprint(connection: &sea_orm::DatabaseConnection) -> (i64, i64) {
    let row = one_row(
        connection,
        "SELECT COALESCE(SUM(reading_minutes), 0)::int8, \
         COUNT(*) FILTER (WHERE reading_minutes IS NULL) FROM posts",
    )
    .await;
    (
        row.try_get_by_index(0).unwrap(),
        row.try_get_by_index(1).unwrap(),
    )
}

/// `reading_minutes` widened from `i32` to `i64` on PostgreSQL, on 32,768 posts under a writer
/// that inserts and updates a post every 5 ms, by expand and contract: no write fails or waits
/// long, every value is kept (NULLs too), the range CHECK is on the new column, validated, and
/// nothing of the widening is left. Runs stopped at moments spread over the migration (the
/// task aborted: its connection closes and the server rolls back what was open) are each
/// finished by the next run; `down` narrows it back.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
async fn a_column_widened_by_expand_and_contract_keeps_taking_writes_on_postgres() {
    let (db, options) = shipped_database(Backend::Postgres, "online_widen", 6).await;
    db.connection
        .execute_unprepared(
            "INSERT INTO posts (title, content, reading_minutes, created_at, updated_at) \
             SELECT 't', 'c', CASE WHEN g % 7 = 0 THEN NULL ELSE g % 600 + 1 END, now(), now() \
             FROM generate_series(1, 32768) g",
        )
        .await
        .unwrap();
    let before = minutes_fingerprint(&db.connection).await;

    let writer = Writer::start(&db.url, Duration::from_millis(5)).await;
    let report = runner::up::<WidenedMigrator>(&db.url, &options)
        .await
        .unwrap_or_else(|e| panic!("the migration failed: {e}"));
    assert_eq!(report.applied, [extra(6).name]);
    let waits = writer.stop().await;
    let longest = waits.iter().max().copied().unwrap_or_default();
    eprintln!(
        "{} writes during the widening, the longest {} ms",
        waits.len(),
        longest.as_millis()
    );
    assert!(
        longest < Duration::from_millis(1200),
        "a write waited {longest:?}"
    );
    assert_eq!(
        minutes_widened(&db.connection).await,
        ("bigint".to_owned(), true, 0)
    );
    // The writer's inserts hold 1 each, its updates change no estimate.
    let inserted = (waits.len() as i64 + 1) / 2;
    assert_eq!(
        minutes_fingerprint(&db.connection).await,
        (before.0 + inserted, before.1)
    );
    let refused = db
        .connection
        .execute_unprepared(
            "INSERT INTO posts (title, content, reading_minutes, created_at, updated_at) \
             VALUES ('t', 'c', 601, now(), now())",
        )
        .await;
    assert!(
        refused.is_err(),
        "the range CHECK holds on the widened column"
    );

    // Stopped at moments spread over the migration, then run again.
    for stop_after in [20, 60, 150, 300, 500] {
        runner::run::<WidenedMigrator>(&db.url, runner::Command::Down(Some(1)), &options)
            .await
            .unwrap();
        assert_eq!(minutes_widened(&db.connection).await.0, "integer");
        let before = minutes_fingerprint(&db.connection).await;
        let run = tokio::spawn({
            let (url, options) = (db.url.clone(), options.clone());
            async move {
                runner::up::<WidenedMigrator>(&url, &options)
                    .await
                    .map(|_| ())
            }
        });
        tokio::time::sleep(Duration::from_millis(stop_after)).await;
        run.abort();
        let _ = run.await;
        let (ty, _, left) = minutes_widened(&db.connection).await;
        eprintln!("stopped after {stop_after} ms: reading_minutes {ty}, {left} piece(s) left");
        runner::up::<WidenedMigrator>(&db.url, &options)
            .await
            .unwrap_or_else(|e| panic!("the run after a stop at {stop_after} ms failed: {e}"));
        assert_eq!(
            minutes_widened(&db.connection).await,
            ("bigint".to_owned(), true, 0)
        );
        assert_eq!(minutes_fingerprint(&db.connection).await, before);
    }
    db.drop_database().await;
}

/// Whether `posts` has the foreign key of `extra(5)`.
async fn minutes_keyed(connection: &sea_orm::DatabaseConnection) -> bool {
    one_row(
        connection,
        &format!(
            "SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS \
             WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = '{MINUTES_KEY}'"
        ),
    )
    .await
    .try_get_by_index::<i64>(0)
    .unwrap()
        == 1
}

/// A foreign key on MariaDB is added in place with `foreign_key_checks` off while a writer
/// inserts and updates a post every 5 ms, so no write waits long; a row it would refuse stops
/// the migration before the key is added; once the row is fixed it is added, and it refuses
/// such a row from then on; `down` drops it.
#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_mariadb, ignore = "TEST_MYSQL_URL is not set (see README)")]
async fn a_foreign_key_is_added_in_place_after_counting_its_orphans_on_mariadb() {
    let (db, options) = shipped_database(Backend::MySql, "online_key", 5).await;
    let insert = |minutes: &str| {
        format!(
            "INSERT INTO posts (title, content, reading_minutes, created_at, updated_at) \
             VALUES ('t', 'c', {minutes}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    };
    for minutes in ["1", "2", "NULL", "600"] {
        db.connection
            .execute_unprepared(&insert(minutes))
            .await
            .unwrap();
    }
    // 600 names no post: an orphan.
    let error = runner::up::<KeyedMigrator>(&db.url, &options)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("1 row(s) of `posts` break foreign key"),
        "{error}"
    );
    assert!(!minutes_keyed(&db.connection).await);

    db.connection
        .execute_unprepared("UPDATE posts SET reading_minutes = 1 WHERE reading_minutes = 600")
        .await
        .unwrap();
    for _ in 0..12 {
        db.connection
            .execute_unprepared(
                "INSERT INTO posts (title, content, reading_minutes, created_at, updated_at) \
                 SELECT title, content, reading_minutes, created_at, updated_at FROM posts",
            )
            .await
            .unwrap();
    }
    let writer = Writer::start(&db.url, Duration::from_millis(5)).await;
    let report = runner::up::<KeyedMigrator>(&db.url, &options)
        .await
        .unwrap();
    // The stopped run left it journaled: this run finishes it.
    assert_eq!(
        report.resumed,
        Some((extra(5).name.to_owned(), "up".to_owned()))
    );
    let waits = writer.stop().await;
    let longest = waits.iter().max().copied().unwrap_or_default();
    eprintln!(
        "{} writes while the key was added, the longest {} ms",
        waits.len(),
        longest.as_millis()
    );
    assert!(
        longest < Duration::from_millis(1200),
        "a write waited {longest:?}"
    );
    assert!(minutes_keyed(&db.connection).await);
    // No post refers to post 600: gone, it makes 600 an orphan again.
    db.connection
        .execute_unprepared("DELETE FROM posts WHERE id = 600")
        .await
        .unwrap();
    let refused = db.connection.execute_unprepared(&insert("600")).await;
    assert!(refused.is_err(), "the key refuses an orphan");

    runner::run::<KeyedMigrator>(&db.url, runner::Command::Down(Some(1)), &options)
        .await
        .unwrap();
    assert!(!minutes_keyed(&db.connection).await);
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
async fn a_change_waiting_behind_a_long_transaction_does_not_stall_writes_on_postgres() {
    a_change_waiting_behind_a_long_transaction_does_not_stall_writes(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
#[cfg_attr(no_mariadb, ignore = "TEST_MYSQL_URL is not set (see README)")]
async fn a_change_waiting_behind_a_long_transaction_does_not_stall_writes_on_mariadb() {
    a_change_waiting_behind_a_long_transaction_does_not_stall_writes(Backend::MySql).await;
}
