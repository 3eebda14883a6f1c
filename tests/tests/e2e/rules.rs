//! The Post model's validation rules, enforced twice: for every rule on every database, a value
//! that breaks it is refused by the app with a message naming the field and by the database
//! when inserted with raw SQL past the app; a value at the boundary is accepted by both. Then
//! the row count that stops a migration adding a rule that existing rows break, and text with a
//! NUL character refused by every database.

use migration_ops::runner::{self, RunnerOptions};
use migration_ops::v1::{self, *};
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::SchemaManager;
use serde_json::{Value, json};
use tests::db::{Backend, TestDb};

use crate::app_http::serve;

/// One field value to try, and whether the model allows it.
struct Case {
    field: &'static str,
    value: Value,
    allowed: bool,
}

fn cases() -> Vec<Case> {
    let case = |field, value, allowed| Case {
        field,
        value,
        allowed,
    };
    vec![
        case("title", json!(""), false),
        case("title", json!("x"), true),
        case("title", json!("x".repeat(200)), true),
        case("title", json!("x".repeat(201)), false),
        // Characters, not bytes: 200 two-byte characters are 400 bytes, and allowed.
        case("title", json!("é".repeat(200)), true),
        case("title", json!("é".repeat(201)), false),
        case("content", json!(""), false),
        case("content", json!("c"), true),
        // At most 20,000 characters, which bounds every post and every page of posts.
        case("content", json!("é".repeat(20_000)), true),
        case("content", json!("c".repeat(20_001)), false),
        case("status", json!("published"), true),
        case("status", json!("archived"), true),
        case("status", json!("secret"), false),
        // Exact values: MariaDB's default collation would let these two through.
        case("status", json!("Draft"), false),
        case("status", json!("draft "), false),
        case("reading_minutes", json!(0), false),
        case("reading_minutes", json!(1), true),
        case("reading_minutes", json!(600), true),
        case("reading_minutes", json!(601), false),
        case("reading_minutes", json!(-5), false),
    ]
}

/// A valid post with `field` set to `value`.
fn post_with(field: &str, value: &Value) -> serde_json::Map<String, Value> {
    let mut post = json!({ "title": "t", "content": "c", "status": "draft" })
        .as_object()
        .unwrap()
        .clone();
    post.insert(field.to_owned(), value.clone());
    post
}

fn sql_literal(value: &Value) -> String {
    match value {
        Value::String(text) => format!("'{}'", text.replace('\'', "''")),
        other => other.to_string(),
    }
}

async fn every_rule_is_enforced_by_the_app_and_by_the_database(backend: Backend) {
    let db = TestDb::fresh(backend, "rules").await;
    let client = serve(&db).await;
    let now = match backend {
        Backend::Sqlite => "'2026-01-01 00:00:00+00:00'",
        _ => "CURRENT_TIMESTAMP",
    };
    let mut tried = 0;
    for case in cases() {
        let post = post_with(case.field, &case.value);
        let (status, answer) = client
            .send(
                "POST",
                "/posts",
                Some(&Value::Object(post.clone()).to_string()),
            )
            .await;
        let shown = format!(
            "{} = {}",
            case.field,
            case.value.to_string().chars().take(40).collect::<String>()
        );
        if case.allowed {
            assert_eq!(status, 201, "the app refused {shown}: {answer}");
        } else {
            assert_eq!(status, 422, "the app accepted {shown}");
            assert!(
                answer["fields"][case.field].is_string(),
                "no message for field `{}`: {answer}",
                case.field
            );
        }
        let columns: Vec<&String> = post.keys().collect();
        let values: Vec<String> = post.values().map(sql_literal).collect();
        let insert = format!(
            "INSERT INTO posts ({}, created_at, updated_at) VALUES ({}, {now}, {now})",
            columns
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            values.join(", ")
        );
        let outcome = db.connection.execute_unprepared(&insert).await;
        if case.allowed {
            assert!(outcome.is_ok(), "the database refused {shown}: {outcome:?}");
        } else {
            let error = outcome.expect_err(&format!("the database accepted {shown}"));
            assert!(
                error.to_string().to_lowercase().contains("check")
                    || error.to_string().contains("ck_posts"),
                "{shown} was refused, but not by a CHECK: {error}"
            );
        }
        tried += 1;
    }
    assert_eq!(tried, cases().len());
    db.drop_database().await;
}

const NOTES: v1::Table = table(
    "notes",
    &[
        column("id", ColumnType::Integer).auto_increment(),
        column("title", ColumnType::String(Len::None)),
    ],
)
.primary_key(&["id"]);

const TITLE_LENGTH: v1::Check = check(
    "ck_notes_title_length",
    "title",
    CheckRule::Length {
        min: Some(1),
        max: Some(5),
    },
);

/// A migration that adds a rule existing rows break stops, before changing anything, with the
/// number of those rows and the rule; once they are fixed it runs.
async fn adding_a_rule_that_rows_break_stops_with_their_count(backend: Backend) {
    let db = TestDb::fresh(backend, "precheck").await;
    let manager = SchemaManager::new(&db.connection);
    v1::apply(&manager, &[Op::CreateTable(NOTES)])
        .await
        .unwrap();
    db.connection
        .execute_unprepared("INSERT INTO notes (title) VALUES ('ok'), (''), ('much too long')")
        .await
        .unwrap();
    let add_rule = [alter_table(
        NOTES.checks(&[TITLE_LENGTH]),
        &[Change::AddCheck(TITLE_LENGTH)],
    )];
    let error = v1::apply(&manager, &add_rule)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("2 row(s) of `notes` break check `ck_notes_title_length` (`title` has 1 to 5 characters)"),
        "{error}"
    );
    // Nothing changed: the rule is not there, so a breaking row still goes in.
    db.connection
        .execute_unprepared("INSERT INTO notes (title) VALUES ('')")
        .await
        .expect("the check was not added");
    db.connection
        .execute_unprepared("DELETE FROM notes WHERE title <> 'ok'")
        .await
        .unwrap();
    v1::apply(&manager, &add_rule).await.unwrap();
    assert!(
        db.connection
            .execute_unprepared("INSERT INTO notes (title) VALUES ('')")
            .await
            .is_err(),
        "the check is in place"
    );
    db.drop_database().await;
}

/// Text with a NUL character, bound as the app binds it, is refused by every database past the
/// app: by PostgreSQL itself, which cannot store it, and by the `no_nul` CHECK elsewhere; a
/// migration adding that CHECK to rows that hold one stops with their count (no such row can
/// exist on PostgreSQL, where it is added).
async fn text_with_a_nul_is_refused_by_every_database(backend: Backend) {
    let db = TestDb::fresh(backend, "no_nul").await;
    runner::up::<migration::Migrator>(&db.url, &RunnerOptions::default())
        .await
        .unwrap();
    // `sql` with its one `?` bound to `text`, as the app binds it.
    let bound = |sql: &str, text: &str| {
        let sql = match backend {
            Backend::Postgres => sql.replacen('?', "$1", 1),
            _ => sql.to_owned(),
        };
        Statement::from_sql_and_values(backend.db_backend(), sql, [text.into()])
    };
    let insert = |title: &str| {
        bound(
            "INSERT INTO posts (title, content, created_at, updated_at) \
             VALUES (?, 'c', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            title,
        )
    };
    for title in ["\0", "before\0after", "ends with\0"] {
        let error = db
            .connection
            .execute_raw(insert(title))
            .await
            .expect_err(&format!("the database stored {title:?}"))
            .to_string();
        // SQLite's `length` stops at a NUL, so a lone NUL breaks the length rule first.
        let by = match backend {
            Backend::Postgres => "0x00",
            Backend::Sqlite if title == "\0" => "ck_posts_title_length",
            _ => "ck_posts_title_no_nul",
        };
        assert!(error.contains(by), "{title:?}: {error}");
    }
    db.connection
        .execute_raw(insert("\u{1} é 🦀"))
        .await
        .unwrap();

    let manager = SchemaManager::new(&db.connection);
    v1::apply(&manager, &[Op::CreateTable(NOTES)])
        .await
        .unwrap();
    let note = |title: &str| bound("INSERT INTO notes (title) VALUES (?)", title);
    db.connection.execute_raw(note("fine")).await.unwrap();
    const NO_NUL: v1::Check = check("ck_notes_title_no_nul", "title", CheckRule::NoNul);
    let add_rule = [alter_table(
        NOTES.checks(&[NO_NUL]),
        &[Change::AddCheck(NO_NUL)],
    )];
    if backend != Backend::Postgres {
        db.connection.execute_raw(note("a\0b")).await.unwrap();
        let error = v1::apply(&manager, &add_rule)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(
                "1 row(s) of `notes` break check `ck_notes_title_no_nul` (`title` holds no NUL character)"
            ),
            "{error}"
        );
        db.connection
            .execute_unprepared("DELETE FROM notes WHERE title <> 'fine'")
            .await
            .unwrap();
    }
    v1::apply(&manager, &add_rule).await.unwrap();
    assert!(db.connection.execute_raw(note("a\0b")).await.is_err());
    db.connection.execute_raw(note("still fine")).await.unwrap();
    db.drop_database().await;
}

on_each_backend!(
    every_rule_is_enforced_by_the_app_and_by_the_database,
    adding_a_rule_that_rows_break_stops_with_their_count,
    text_with_a_nul_is_refused_by_every_database,
);
