//! `cargo run --release -p tests --bin bench -- --online [--rows N]`: what a migration of a
//! populated `posts` table does to the application's writes. For each change of
//! `tests::online::extra` (a nullable column added while a reader holds the table 3 s, an index
//! on `title`, a CHECK on `title`, `reading_minutes` made NOT NULL, the same with a tenth of
//! the rows NULL and filled by `--backfill`, a foreign key on `reading_minutes`,
//! `reading_minutes` widened to `i64`), on a fresh `posts` of N rows (default 1,000,000) under
//! a writer that inserts a row and updates another every 5 ms in turn: the migration's time,
//! the writer's longest wait for one write, its waits over 1 s and its writes that failed; the
//! runner's form (online forms, bounded lock waits) beside the blocking form (the same change
//! in one transaction, as sea-orm-migration runs a migration), or the error that stopped it.
//! PostgreSQL and MariaDB, from `TEST_POSTGRES_URL` and `TEST_MYSQL_URL`. `--changes 4,6`
//! measures those changes alone (numbered from 0, as listed).

use std::time::{Duration, Instant};

use migration_ops::runner::{self, Command};
use migration_ops::v1;
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use sea_orm_migration::SchemaManager;
use tests::db::{Backend, TestDb};
use tests::history::{DataMigration, ScopedMigrator, options, with_history};
use tests::online::{Writer, hold_reader};

const CHANGES: [&str; 7] = [
    "add a nullable column behind a 3 s reader",
    "add an index on title",
    "add a CHECK on title",
    "make reading_minutes NOT NULL",
    "make reading_minutes NOT NULL, a tenth of it filled by --backfill",
    "add a foreign key on reading_minutes",
    "widen reading_minutes from i32 to i64",
];

/// The change of `CHANGES` whose rows are partly NULL, for its backfill.
const BACKFILL: usize = 4;

/// What one migration did to the writer.
struct Outcome {
    migration: Duration,
    longest_stall: Duration,
    stalls_over_1s: usize,
    /// The writer's writes that failed (a deadlock with the migration, say).
    writes_failed: usize,
    /// The error that stopped the migration, if one did.
    failed: Option<String>,
}

/// `only`: the numbers of the changes to measure (all when `None`).
pub fn main(rows: usize, only: Option<Vec<usize>>) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    println!(
        "| backend | change ({rows} rows) | form | migration | longest write stall | stalls > 1 s | writes failed |"
    );
    println!("|---|---|---|---|---|---|---|");
    for backend in [Backend::Postgres, Backend::MySql] {
        let variable = backend.server_url_variable().expect("a server backend");
        if std::env::var(variable).is_err() {
            println!("| {backend:?} | skipped: {variable} is not set | | | | | |");
            continue;
        }
        for (number, change) in CHANGES.iter().enumerate() {
            if only.as_ref().is_some_and(|only| !only.contains(&number)) {
                continue;
            }
            for runner_form in [true, false] {
                let outcome = runtime.block_on(measure(backend, rows, number, runner_form));
                let migration = match &outcome.failed {
                    // The first line, without the statement.
                    Some(error) => format!(
                        "**failed** after {}: {}",
                        super::ms(outcome.migration),
                        error.lines().next().unwrap_or_default().replace('|', "/")
                    ),
                    None => super::ms(outcome.migration),
                };
                println!(
                    "| {backend:?} | {change} | {} | {migration} | {} | {} | {} |",
                    if runner_form { "runner" } else { "blocking" },
                    super::ms(outcome.longest_stall),
                    outcome.stalls_over_1s,
                    outcome.writes_failed
                );
            }
        }
    }
}

async fn measure(backend: Backend, rows: usize, number: usize, runner_form: bool) -> Outcome {
    let db = TestDb::fresh(backend, "bench_online").await;
    let shipped: Vec<DataMigration> = migration::generated()
        .into_iter()
        .map(DataMigration)
        .collect();
    with_history(shipped.clone(), async {
        runner::run::<ScopedMigrator>(&db.url, Command::Up(None), &options(&shipped))
            .await
            .expect("the shipped migrations apply");
    })
    .await;
    // Every tenth post without an estimate, for the backfill.
    let minutes = |n: &str| match number {
        BACKFILL => format!("CASE WHEN {n} % 10 = 0 THEN NULL ELSE 5 END"),
        _ => "5".to_owned(),
    };
    let fill = match backend {
        Backend::Postgres => format!(
            "INSERT INTO posts (title, content, reading_minutes, created_at, updated_at) SELECT \
             'title ' || g, 'content', {}, now(), now() FROM generate_series(1, {rows}) g",
            minutes("g")
        ),
        _ => format!(
            "INSERT INTO posts (title, content, reading_minutes, created_at, updated_at) SELECT \
             CONCAT('title ', seq), 'content', {}, NOW(), NOW() FROM seq_1_to_{rows}",
            minutes("seq")
        ),
    };
    db.connection
        .execute_unprepared(&fill)
        .await
        .expect("posts fill");

    let writer = Writer::start(&db.url, Duration::from_millis(5)).await;
    let reader = if number == 0 {
        Some(hold_reader(&db.url, Duration::from_secs(3)).await)
    } else {
        None
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    let extra = tests::online::extra(number);
    let start = Instant::now();
    let outcome = if runner_form {
        let mut history = shipped.clone();
        history.push(DataMigration(extra));
        with_history(history.clone(), async {
            runner::run::<ScopedMigrator>(&db.url, Command::Up(None), &options(&history))
                .await
                .map(|_| ())
                .map_err(|error| error.to_string())
        })
        .await
    } else {
        let connection = Database::connect(db.url.as_str()).await.expect("connects");
        let transaction = connection.begin().await.expect("begins");
        match v1::apply(&SchemaManager::new(&transaction), extra.up).await {
            Ok(()) => transaction.commit().await.map_err(|e| e.to_string()),
            Err(error) => {
                transaction.rollback().await.ok();
                Err(error.to_string())
            }
        }
    };
    let migration = start.elapsed();
    if let Some(reader) = reader {
        reader.await.expect("the reader ends");
    }
    let (stalls, writes_failed) = writer.stop_counting_failures().await;
    db.drop_database().await;
    Outcome {
        failed: outcome.err(),
        writes_failed: writes_failed.len(),
        migration,
        longest_stall: stalls.iter().copied().max().unwrap_or_default(),
        stalls_over_1s: stalls
            .iter()
            .filter(|s| **s > Duration::from_secs(1))
            .count(),
    }
}
