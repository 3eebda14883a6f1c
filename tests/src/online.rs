//! Migrations of the shipped `posts` for the online-change tests and benchmark: each makes one
//! change to a table that holds rows (a nullable column, an index, a CHECK, NOT NULL with or
//! without a backfill, a foreign key, a wider type; see [`extra`]), as generated data; and the
//! writer and the long reader they run beside.

use std::sync::OnceLock;

use migration_ops::v1::{self, Change, ColumnType, Op, column};

/// The index [`extra`]`(1)` adds on `posts.title`.
pub const TITLE_INDEX: &str = "idx-posts-title";
/// The CHECK [`extra`]`(2)` adds: titles of at most 150 characters.
pub const TITLE_CHECK: &str = "ck_posts_title_short";

/// The last shipped migration's `posts`, as a table after it.
pub fn shipped_posts() -> v1::Table {
    let generated = migration::generated();
    let Op::AlterTable(last) = generated.last().expect("a shipped migration").up[0] else {
        panic!("the last shipped migration alters posts");
    };
    last.table
}

fn leak<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

/// A migration of `posts` after the shipped ones: `change` to `table`, and back.
fn posts_migration(
    name: &'static str,
    table: v1::Table,
    change: Change,
    undo: Change,
) -> v1::Generated {
    let up = leak(vec![v1::alter_table(table, leak(vec![change]))]);
    let down = leak(vec![v1::alter_table(shipped_posts(), leak(vec![undo]))]);
    v1::Generated::new(name, up, Some(down))
}

/// The foreign key [`extra`]`(5)` adds: `posts.reading_minutes` to `posts.id` (a table with
/// rows and a key to point at, for the lock it takes rather than for its meaning).
pub const MINUTES_KEY: &str = "fk-posts-reading_minutes";
/// The value [`extra`]`(4)` gives the posts whose `reading_minutes` is NULL.
pub const MINUTES_BACKFILL: &str = "3";

/// The migrations added after the shipped ones, by number: 0 a nullable `note` column, 1 an
/// index on `title`, 2 a CHECK on `title`, 3 `reading_minutes` made NOT NULL, 4 the same with
/// its NULLs filled first (`--backfill`), 5 a foreign key on `reading_minutes`, 6
/// `reading_minutes` widened from `i32` to `i64`.
pub fn extra(number: usize) -> v1::Generated {
    static EXTRA: OnceLock<[v1::Generated; 7]> = OnceLock::new();
    EXTRA.get_or_init(|| {
        let posts = shipped_posts();
        // A nullable column: a moment of the table's exclusive lock.
        let note = column("note", ColumnType::Text).null();
        let mut columns = posts.columns.to_vec();
        columns.push(note);
        let add_note = posts_migration(
            "m29990101_000003_add_posts_note",
            v1::Table {
                columns: leak(columns),
                ..posts
            },
            Change::AddColumn {
                column: note,
                backfill: None,
            },
            Change::DropColumn("note"),
        );
        let index = v1::index(TITLE_INDEX, &["title"]);
        let add_index = posts_migration(
            "m29990101_000004_index_posts_title",
            v1::Table {
                indexes: leak(vec![index]),
                ..posts
            },
            Change::CreateIndex(index),
            Change::DropIndex(index),
        );
        let check = v1::check(
            TITLE_CHECK,
            "title",
            v1::CheckRule::Length {
                min: None,
                max: Some(150),
            },
        );
        let mut checks = posts.checks.to_vec();
        checks.push(check);
        let add_check = posts_migration(
            "m29990101_000005_check_posts_title_short",
            v1::Table {
                checks: leak(checks),
                ..posts
            },
            Change::AddCheck(check),
            Change::DropCheck(TITLE_CHECK),
        );
        // `reading_minutes` changed by `edit`, its rows filled by `backfill`, and back.
        let alter_minutes = |name, edit: fn(&mut v1::Column), backfill| {
            let (from, to, columns) = with_minutes(&posts, edit);
            posts_migration(
                name,
                v1::Table { columns, ..posts },
                Change::AlterColumn { from, to, backfill },
                Change::AlterColumn {
                    from: to,
                    to: from,
                    backfill: None,
                },
            )
        };
        let required = |column: &mut v1::Column| column.null = false;
        let key = v1::foreign_key(MINUTES_KEY, &["reading_minutes"], "posts", &["id"]);
        let mut keys = posts.foreign_keys.to_vec();
        keys.push(key);
        let add_key = posts_migration(
            "m29990101_000008_key_posts_reading_minutes",
            v1::Table {
                foreign_keys: leak(keys),
                ..posts
            },
            Change::AddForeignKey(key),
            Change::DropForeignKey(MINUTES_KEY),
        );
        let widen = alter_minutes(
            "m29990101_000009_widen_posts_reading_minutes",
            |column| column.ty = ColumnType::BigInteger,
            None,
        );
        [
            add_note,
            add_index,
            add_check,
            alter_minutes(
                "m29990101_000006_require_posts_reading_minutes",
                required,
                None,
            ),
            alter_minutes(
                "m29990101_000007_fill_and_require_posts_reading_minutes",
                required,
                Some(v1::DefaultValue::Number(MINUTES_BACKFILL)),
            ),
            add_key,
            widen,
        ]
    })[number]
}

/// `posts.reading_minutes` before and after `edit`, and `posts`' columns after it.
fn with_minutes(
    posts: &v1::Table,
    edit: impl FnOnce(&mut v1::Column),
) -> (v1::Column, v1::Column, &'static [v1::Column]) {
    let mut columns = posts.columns.to_vec();
    let column = columns
        .iter_mut()
        .find(|column| column.name == "reading_minutes")
        .expect("posts has reading_minutes");
    let from = *column;
    edit(column);
    let to = *column;
    (from, to, leak(columns))
}

/// A connection that writes a post every `every` until stopped, timing each write: an insert,
/// then an update of one of the posts there were at its start, in turn; the application's
/// writes, as a migration's lock would make them wait.
pub struct Writer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<(Vec<std::time::Duration>, Vec<String>)>,
}

impl Writer {
    pub async fn start(url: &str, every: std::time::Duration) -> Writer {
        use sea_orm::ConnectionTrait;
        let connection = sea_orm::Database::connect(url)
            .await
            .expect("the writer connects");
        let posts: i64 = connection
            .query_one_raw(sea_orm::Statement::from_string(
                connection.get_database_backend(),
                "SELECT COALESCE(MAX(id), 0) FROM posts",
            ))
            .await
            .expect("the writer counts posts")
            .map(|row| {
                row.try_get_by_index::<i64>(0)
                    .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
                    .expect("the writer reads the highest id")
            })
            .unwrap_or(0);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let task = tokio::spawn({
            let stop = stop.clone();
            async move {
                let (mut waits, mut failed) = (Vec::new(), Vec::new());
                let mut writes: i64 = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let sql = if writes % 2 == 1 && posts > 0 {
                        // Spread over the table: a prime stride.
                        let id = (writes * 7_919) % posts + 1;
                        format!("UPDATE posts SET updated_at = CURRENT_TIMESTAMP WHERE id = {id}")
                    } else {
                        "INSERT INTO posts (title, content, reading_minutes, created_at, \
                         updated_at) VALUES ('w', 'c', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                            .to_owned()
                    };
                    let start = std::time::Instant::now();
                    if let Err(error) = connection.execute_unprepared(&sql).await {
                        failed.push(format!("{sql}: {error}"));
                    }
                    waits.push(start.elapsed());
                    writes += 1;
                    tokio::time::sleep(every).await;
                }
                (waits, failed)
            }
        });
        Writer { stop, task }
    }

    /// Stops the writer; how long each of its writes took. Panics when one failed.
    pub async fn stop(self) -> Vec<std::time::Duration> {
        let (waits, failed) = self.stop_counting_failures().await;
        assert!(failed.is_empty(), "the writer's writes failed: {failed:?}");
        waits
    }

    /// Stops the writer; how long each of its writes took, and the errors of those that failed.
    pub async fn stop_counting_failures(self) -> (Vec<std::time::Duration>, Vec<String>) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.task.await.expect("the writer ends")
    }
}

/// A reader that reads `posts` in a transaction it keeps open for `hold`: the long report or
/// forgotten `BEGIN` a migration's lock must not queue the application behind.
pub async fn hold_reader(url: &str, hold: std::time::Duration) -> tokio::task::JoinHandle<()> {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let connection = sea_orm::Database::connect(url)
        .await
        .expect("the reader connects");
    let transaction = connection.begin().await.expect("the reader begins");
    transaction
        .execute_unprepared("SELECT count(*) FROM posts")
        .await
        .expect("the reader reads");
    tokio::spawn(async move {
        tokio::time::sleep(hold).await;
        transaction.commit().await.expect("the reader commits");
        drop(connection);
    })
}
