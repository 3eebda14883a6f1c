//! The generator on a temporary copy of the real migration folder: it reproduces the last
//! shipped migration byte for byte, finds nothing to do when nothing changed, and on bad input stops
//! with a clear error having written nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use clap::Parser;
use generator_core::Error;
use generator_core::cli::{self, Cli};

fn shipped_migration_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../migration")
}

/// A copy of `migration/schema.json` and `migration/src/*` in a fresh temporary folder.
fn copy_of_migration_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("generator_{test}_{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src")).unwrap();
    let shipped = shipped_migration_dir();
    fs::copy(shipped.join("schema.json"), dir.join("schema.json")).unwrap();
    fs::copy(shipped.join("migrations.sum"), dir.join("migrations.sum")).unwrap();
    for entry in fs::read_dir(shipped.join("src")).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.join("src").join(path.file_name().unwrap())).unwrap();
    }
    dir
}

/// A copy as it was before the last shipped migration was generated: without its file, with
/// the snapshot, integrity file and `lib.rs` of the history before it (none before the first
/// one).
fn copy_without_the_last_migration(test: &str) -> PathBuf {
    let dir = copy_of_migration_dir(test);
    let migrations = shipped_migrations();
    let (last, earlier) = migrations.split_last().unwrap();
    fs::remove_file(dir.join("src").join(format!("{last}.rs"))).unwrap();
    // lib.rs as the generator wrote it for the earlier history.
    fs::write(
        dir.join("src/lib.rs"),
        generator_core::render::migrator_list(earlier, earlier, &[]),
    )
    .unwrap();
    fs::remove_file(dir.join("schema.json")).unwrap();
    fs::remove_file(dir.join("migrations.sum")).unwrap();
    if let Some(previous) = earlier.last() {
        // The schema the earlier migrations produce, replayed from their files.
        let folder = generator_core::layout::MigrationDir::new(&dir);
        let history = cli::read_history(&folder, earlier).unwrap();
        let mut replayed = generator_core::replay::Replayed::default();
        for (name, up) in history.migrations {
            replayed.apply(&name, up.unwrap_or_default()).unwrap();
        }
        let snapshot = generator_core::snapshot::Snapshot {
            format: generator_core::snapshot::FORMAT,
            migration: previous.clone(),
            schema: generator_core::model::Schema {
                tables: replayed.tables,
                enums: replayed.enums,
                ..Default::default()
            },
        };
        fs::write(
            dir.join("schema.json"),
            generator_core::snapshot::print(&snapshot),
        )
        .unwrap();
        run(&dir, &["hash"]).unwrap();
    }
    dir
}

/// The last shipped migration: its name, and the arguments that generate it again.
struct Last {
    name: String,
    /// The first line of its summary (`+ table posts (…)`).
    summary: String,
}

impl Last {
    /// It tightens a CHECK on `posts`, which scans (PostgreSQL) or copies (MySQL) the table
    /// while writes wait: written with `--allow-blocking`.
    fn args(&self) -> [&str; 5] {
        [
            "--timestamp",
            &self.name[1..16],
            "--name",
            &self.name[17..],
            "--allow-blocking",
        ]
    }
}

fn last_migration() -> Last {
    let name = shipped_migrations().pop().unwrap();
    let source = fs::read_to_string(
        shipped_migration_dir()
            .join("src")
            .join(format!("{name}.rs")),
    )
    .unwrap();
    let summary = source
        .lines()
        .skip_while(|line| *line != "//! ```text")
        .nth(1)
        .and_then(|line| line.strip_prefix("//! "))
        .unwrap()
        .to_owned();
    Last { name, summary }
}

/// Every file under `dir` with its contents, to prove that nothing was written.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn run(dir: &Path, args: &[&str]) -> Result<std::process::ExitCode, Error> {
    let mut argv = vec!["generator", "--migration-dir", dir.to_str().unwrap()];
    argv.extend(args);
    cli::run(Cli::try_parse_from(argv).unwrap(), entity::visit_all)
}

fn shipped_migrations() -> Vec<String> {
    generator_core::layout::MigrationDir::new(shipped_migration_dir())
        .migrations()
        .unwrap()
}

#[test]
fn generating_again_with_unchanged_entities_writes_nothing() {
    let dir = copy_of_migration_dir("unchanged");
    let before = tree(&dir);
    assert_eq!(run(&dir, &[]).unwrap(), std::process::ExitCode::SUCCESS);
    assert_eq!(tree(&dir), before);
    assert_eq!(
        run(&dir, &["check"]).unwrap(),
        std::process::ExitCode::SUCCESS
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_last_shipped_migration_is_the_generators_own_output_byte_for_byte() {
    let shipped = tree(&copy_of_migration_dir("reproduce"));
    let dir = copy_without_the_last_migration("reproduce");
    run(&dir, &last_migration().args()).unwrap();
    let regenerated = tree(&dir);
    for (path, contents) in &shipped {
        assert!(
            regenerated.get(path) == Some(contents),
            "{} differs from the generator's output",
            path.display()
        );
    }
    assert_eq!(regenerated.len(), shipped.len());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn check_exits_one_and_writes_nothing_when_a_migration_is_missing() {
    let dir = copy_without_the_last_migration("missing");
    let before = tree(&dir);
    assert_eq!(
        run(&dir, &["check"]).unwrap(),
        std::process::ExitCode::from(1)
    );
    assert_eq!(tree(&dir), before);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_snapshot_that_does_not_parse_is_an_error_and_nothing_is_written() {
    let dir = copy_of_migration_dir("corrupt");
    fs::write(dir.join("schema.json"), "{ \"format\": 1, \"migration\": ").unwrap();
    let before = tree(&dir);
    let error = run(&dir, &[]).unwrap_err();
    assert!(matches!(error, Error::Snapshot { .. }), "{error}");
    assert!(error.to_string().contains("schema.json"), "{error}");
    assert_eq!(tree(&dir), before);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_snapshot_edited_into_an_impossible_state_is_an_error() {
    let dir = copy_of_migration_dir("impossible");
    let text = fs::read_to_string(dir.join("schema.json")).unwrap();
    let edited = text.replacen("\"id\"\n        ]", "\"no_such_column\"\n        ]", 1);
    assert_ne!(text, edited, "the test edit did not apply");
    fs::write(dir.join("schema.json"), edited).unwrap();
    let error = run(&dir, &[]).unwrap_err();
    assert!(error.to_string().contains("no_such_column"), "{error}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_migration_list_naming_a_missing_file_is_an_error_and_nothing_is_written() {
    let dir = copy_of_migration_dir("disagree");
    let last = last_migration().name;
    fs::remove_file(dir.join("src").join(format!("{last}.rs"))).unwrap();
    let before = tree(&dir);
    let error = run(&dir, &[]).unwrap_err();
    assert!(matches!(error, Error::Layout { .. }), "{error}");
    assert!(error.to_string().contains(last.as_str()), "{error}");
    assert_eq!(tree(&dir), before);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn entities_the_generator_cannot_represent_are_all_named_and_nothing_is_written() {
    let dir = copy_of_migration_dir("bad_entities");
    let before = tree(&dir);
    let argv = ["generator", "--migration-dir", dir.to_str().unwrap()];
    let error = cli::run(Cli::try_parse_from(argv).unwrap(), tests::bad::visit_all).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("`qualified`") && message.contains("schema_name"),
        "{message}"
    );
    assert!(
        message.contains("`quoted_enum`") && message.contains("column `value`"),
        "{message}"
    );
    assert!(
        message.contains(&format!("`{}`", "t".repeat(64))) && message.contains("64 bytes long"),
        "{message}"
    );
    for (field, rule) in [("count", "length"), ("score", "range"), ("name", "length")] {
        assert!(
            message.lines().any(|line| line.contains("`bad_rules`")
                && line.contains(&format!("rule `{rule}` on field `{field}`"))),
            "no error names {rule} on {field}: {message}"
        );
    }
    assert_eq!(tree(&dir), before);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_new_entity_gets_a_follow_up_migration_named_after_it() {
    // The corpus stands in for "the entities after someone added tables".
    let dir = copy_of_migration_dir("follow_up");
    let argv = [
        "generator",
        "--migration-dir",
        dir.to_str().unwrap(),
        "--timestamp",
        "29990101_000000",
    ];
    cli::run(Cli::try_parse_from(argv).unwrap(), |v| {
        entity::visit_all(v);
        tests::corpus::visit_all(v);
    })
    .unwrap();
    let written = dir.join("src/m29990101_000000_create_all_types_and_more.rs");
    assert!(
        written.exists(),
        "{:?}",
        tree(&dir).keys().collect::<Vec<_>>()
    );
    let lib = fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    let last = last_migration().name;
    let order: Vec<usize> = [last.as_str(), "m29990101_000000"]
        .iter()
        .map(|name| lib.rfind(name).unwrap())
        .collect();
    assert!(order[0] < order[1], "{lib}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn diff_shows_the_summary_and_each_file_it_would_write_and_writes_nothing() {
    let dir = copy_without_the_last_migration("diff");
    let before = tree(&dir);
    let last = last_migration();
    let args = cli::GenerateArgs {
        timestamp: Some(last.name[1..16].to_owned()),
        name: Some(last.name[17..].to_owned()),
        ..Default::default()
    };
    let migration_dir = generator_core::layout::MigrationDir::new(&dir);
    // The change blocks writes on a populated table: refused, naming the lock, until allowed.
    let refused = cli::diff_report(&migration_dir, entity::visit_all, &args, false).unwrap_err();
    let refused = refused.to_string();
    // A CHECK alone is added online on PostgreSQL (NOT VALID, then VALIDATE): not refused there.
    assert!(
        refused.contains("MySQL/MariaDB: + check ck_posts_content_no_nul on posts")
            && refused.contains(
                "(COPY, blocks writes while it copies the table, about 2.6-6 s per million rows)"
            )
            && !refused.contains("PostgreSQL:")
            && refused.contains("--allow-blocking"),
        "{refused}"
    );
    let args = cli::GenerateArgs {
        allow_blocking: true,
        ..args
    };
    let report = cli::diff_report(&migration_dir, entity::visit_all, &args, false)
        .unwrap()
        .expect("a change to show");
    assert!(
        report.starts_with(&format!("{}\n", last.summary)),
        "{report}"
    );
    // Under the summary, each change's lock on each backend.
    let locks: Vec<&str> = report
        .lines()
        .skip_while(|line| *line != "Locks on tables that hold rows:")
        .take_while(|line| !line.is_empty())
        .collect();
    assert_eq!(
        locks.len(),
        1 + 2 * 4,
        "two added checks, three backends each: {report}"
    );
    assert!(
        locks[1].starts_with("  + check ck_posts_content_no_nul"),
        "{report}"
    );
    assert_eq!(
        locks[2],
        "    PostgreSQL     ACCESS EXCLUSIVE for a moment (NOT VALID), then SHARE UPDATE \
         EXCLUSIVE (VALIDATE): brief",
        "{report}"
    );
    assert_eq!(
        locks[3],
        "    MySQL/MariaDB  COPY: blocks writes while it copies the table, about 2.6-6 s per \
         million rows",
        "{report}"
    );
    assert_eq!(
        locks[8],
        "    SQLite         rebuild under the database's write lock: blocks writes while it \
         copies the table",
        "{report}"
    );
    assert!(report.contains("--- /dev/null\n+++ "), "{report}");
    assert!(
        report.contains(&format!("+        \"{}\"\n", last.name)),
        "{report}"
    );
    // The snapshot follows, and lib.rs gains the migration.
    assert!(
        report.contains(&format!("+  \"migration\": \"{}\",\n", last.name)),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "+            Box::new({}::Migration),\n",
            last.name
        )),
        "{report}"
    );
    assert!(!report.contains('\x1b'), "plain output has no colour codes");
    assert_eq!(tree(&dir), before);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn check_catches_tampered_history_and_ignores_formatting() {
    let dir = copy_of_migration_dir("tamper");
    let first = dir
        .join("src")
        .join(format!("{}.rs", shipped_migrations()[0]));
    let original = fs::read_to_string(&first).unwrap();
    let check = |dir: &Path| run(dir, &["check"]).unwrap();

    // Cosmetic: a comment, other line breaks, CRLF line endings.
    let cosmetic = format!("// Reviewed.\n{original}")
        .replace("),\n", "),\n\n")
        .replace('\n', "\r\n");
    fs::write(&first, cosmetic).unwrap();
    assert_eq!(
        check(&dir),
        std::process::ExitCode::SUCCESS,
        "a cosmetic edit was flagged"
    );

    // An edited body.
    fs::write(&first, original.replace("\"draft\"", "\"drafty\"")).unwrap();
    assert_eq!(
        check(&dir),
        std::process::ExitCode::from(1),
        "an edit went unnoticed"
    );
    let error = run(&dir, &[]).unwrap_err().to_string();
    assert!(error.contains("was edited"), "{error}");
    fs::write(&first, &original).unwrap();
    assert_eq!(check(&dir), std::process::ExitCode::SUCCESS);

    // An inserted (older) migration, as a bad merge leaves one.
    let inserted = dir.join("src/m20200101_000000_backfill.rs");
    let lib = dir.join("src/lib.rs");
    let listed = fs::read_to_string(&lib).unwrap();
    fs::write(&inserted, "pub fn nothing() {}\n").unwrap();
    let entry = generator_core::migrator::Entry {
        name: "m20200101_000000_backfill",
        generated: false,
        irreversible: false,
    };
    fs::write(&lib, generator_core::migrator::add(&listed, entry).unwrap()).unwrap();
    assert_eq!(
        check(&dir),
        std::process::ExitCode::from(1),
        "an insertion went unnoticed"
    );
    fs::remove_file(&inserted).unwrap();
    fs::write(&lib, &listed).unwrap();

    // A removed migration, its file and its lines in lib.rs.
    fs::remove_file(&first).unwrap();
    let first_name = first.file_stem().unwrap().to_str().unwrap();
    let without: String = listed
        .lines()
        .filter(|line| !line.contains(first_name))
        .map(|line| format!("{line}\n"))
        .collect();
    fs::write(&lib, without).unwrap();
    assert_eq!(
        check(&dir),
        std::process::ExitCode::from(1),
        "a removal went unnoticed"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn hand_written_migrations_join_the_history_and_are_never_rewritten() {
    let dir = copy_of_migration_dir("hand_written");
    run(
        &dir,
        &["new", "backfill_titles", "--timestamp", "29990101_000000"],
    )
    .unwrap();
    let file = dir.join("src/m29990101_000000_backfill_titles.rs");
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.contains("also be made in the entities"), "{text}");
    let lib = fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("Box::new(m29990101_000000_backfill_titles::Migration)"),
        "{lib}"
    );
    // Not schema state: nothing to generate, and check is clean.
    assert_eq!(
        run(&dir, &["check"]).unwrap(),
        std::process::ExitCode::SUCCESS
    );
    let before = tree(&dir);
    run(&dir, &[]).unwrap();
    assert_eq!(tree(&dir), before);
    assert!(run(&dir, &["new", "Bad-Name"]).is_err());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sql_prints_what_the_shipped_migrations_run_on_each_backend() {
    let dir = generator_core::layout::MigrationDir::new(shipped_migration_dir());
    let postgres = cli::sql(&dir, "postgres", None, None, false).unwrap();
    assert!(
        postgres.contains(r#"CREATE TABLE "posts" ( "id" integer GENERATED BY DEFAULT AS IDENTITY NOT NULL PRIMARY KEY, "title" varchar NOT NULL"#),
        "{postgres}"
    );
    assert!(
        postgres.contains(r#""status" varchar NOT NULL DEFAULT 'draft'"#),
        "{postgres}"
    );
    let mysql_down = cli::sql(&dir, "mysql", None, None, true).unwrap();
    assert!(mysql_down.contains("DROP TABLE `posts`;"), "{mysql_down}");
    assert!(matches!(
        cli::sql(&dir, "sqlite", Some("m0"), None, false),
        Err(Error::Usage(_))
    ));
}

#[test]
fn the_readme_shows_the_current_schema_diagram() {
    let dir = generator_core::layout::MigrationDir::new(shipped_migration_dir());
    let schema = dir.read().unwrap().snapshot.unwrap().schema;
    let diagram = format!("```mermaid\n{}```\n", generator_core::erd::erd(&schema));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = fs::read_to_string(&path).unwrap();
    let (before, rest) = readme
        .split_once("<!-- erd:start -->\n")
        .expect("the README has the erd markers");
    let (current, after) = rest.split_once("<!-- erd:end -->").unwrap();
    if current != diagram && std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(
            &path,
            format!("{before}<!-- erd:start -->\n{diagram}<!-- erd:end -->{after}"),
        )
        .unwrap();
        return;
    }
    assert_eq!(
        current, diagram,
        "the README's diagram is stale: run UPDATE_GOLDEN=1 cargo test -p tests"
    );
}

#[test]
fn the_diagram_shows_keys_types_and_relations() {
    let schema = generator_core::source::load(tests::corpus::visit_all).unwrap();
    let diagram = generator_core::erd::erd(&schema);
    assert!(
        diagram.contains("    author ||--o{ book : \"fk-book-author_id\"\n"),
        "{diagram}"
    );
    assert!(
        diagram.contains("        big_integer author_id PK, FK \"NOT NULL\"\n"),
        "{diagram}"
    );
    assert!(
        diagram.contains("        varchar email UK \"NOT NULL\"\n"),
        "{diagram}"
    );
    assert!(
        diagram.contains("        decimal_10_2 money \"NOT NULL\"\n"),
        "{diagram}"
    );
}

/// Runs the generator binary; returns its exit code and standard output.
fn run_binary(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_generator_cli"))
        .arg("--migration-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn the_binary_answers_in_json_with_the_documented_exit_codes() {
    let dir = copy_of_migration_dir("json");
    let (code, out) = run_binary(&dir, &["check", "--format", "json"]);
    assert_eq!((code, out.trim()), (0, r#"{"status":"ok","details":[]}"#));
    let (code, out) = run_binary(&dir, &["diff", "--format", "json"]);
    assert_eq!((code, out.trim()), (0, r#"{"changes":[],"files":[]}"#));

    fs::write(dir.join("schema.json"), "{ not json").unwrap();
    let (code, out) = run_binary(&dir, &["check", "--format", "json"]);
    assert_eq!(code, 2);
    assert!(
        out.contains(r#""error":"snapshot "#) && out.contains("schema.json"),
        "{out}"
    );
    fs::remove_dir_all(&dir).unwrap();

    let dir = copy_without_the_last_migration("json_missing");
    let (code, out) = run_binary(&dir, &["check", "--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["status"], "migration_missing");
    assert_eq!(json["details"][0], last_migration().summary);
    // With what the missing migration would lock.
    let details = json["details"].as_array().unwrap();
    assert!(
        details
            .iter()
            .any(|d| d == "Locks on tables that hold rows:"),
        "{json}"
    );
    let (code, out) = run_binary(&dir, &["diff", "--format", "json"]);
    assert_eq!(code, 2, "a change that blocks writes is refused: {out}");
    assert!(out.contains("--allow-blocking"), "{out}");
    let (code, out) = run_binary(&dir, &["diff", "--format", "json", "--allow-blocking"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0);
    assert_eq!(json["files"].as_array().unwrap().len(), 4, "{json}");
    let lock = |backend: &str| {
        json["locks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|lock| lock["backend"] == backend)
            .unwrap_or_else(|| panic!("no {backend} lock: {json}"))
            .clone()
    };
    let copy = lock("MySQL/MariaDB");
    assert_eq!(copy["table"], "posts");
    assert_eq!(copy["lock"], "COPY");
    assert_eq!(copy["hold"], "copy");
    assert_eq!(copy["per_million_rows"], "2.6-6 s");
    assert_eq!(lock("PostgreSQL")["hold"], "brief");
    fs::remove_dir_all(&dir).unwrap();

    let (code, out) = run_binary(
        Path::new("/nonexistent"),
        &["verify", "--format", "json", "--database-url", "oracle://x"],
    );
    assert_eq!(code, 2, "{out}");
}

#[test]
fn a_second_generator_run_waits_for_the_first_and_gives_up_clearly_writing_nothing() {
    let dir = copy_without_the_last_migration("locked");
    let before = tree(&dir);
    // Another run holds the folder.
    let held = generator_core::layout::MigrationDir::new(&dir)
        .lock()
        .unwrap();
    let started = std::time::Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_generator_cli"))
        .args(["--migration-dir", dir.to_str().unwrap()])
        .env("GENERATOR_LOCK_TIMEOUT", "0.5")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(500));
    assert!(
        stderr.contains("Waiting for another generator run")
            && stderr.contains("another generator run has been writing here"),
        "{stderr}"
    );
    assert_eq!(tree(&dir), before, "the waiting run wrote something");
    // Once the first run is done, the second one goes ahead.
    drop(held);
    let (code, _) = run_binary(&dir, &last_migration().args());
    assert_eq!(code, 0);
    assert_ne!(tree(&dir), before);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_no_rename_naming_nothing_that_went_away_is_an_error_and_nothing_is_written() {
    let dir = copy_of_migration_dir("no_rename_nothing");
    let before = tree(&dir);
    for flag in ["posts.nothing", "posts.title", "no_such_table"] {
        let error = run(&dir, &["--no-rename", flag, "--allow-destructive"]).unwrap_err();
        assert!(matches!(error, Error::Usage(_)), "{error}");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("--no-rename {flag}:")) && message.lines().count() == 1,
            "{message}"
        );
    }
    assert_eq!(tree(&dir), before);
    fs::remove_dir_all(dir).unwrap();
}

/// `schema.json` of `dir`, edited as JSON.
fn edit_snapshot(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("schema.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut json);
    let mut text = serde_json::to_string_pretty(&json).unwrap();
    text.push('\n');
    fs::write(path, text).unwrap();
}

#[test]
fn check_names_what_a_hand_edited_schema_json_has_that_the_migrations_do_not_produce() {
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let edits: [(&str, Edit, &str); 3] = [
        (
            "default",
            Box::new(|json| {
                let status = &mut json["schema"]["tables"]["posts"]["columns"][3];
                assert_eq!(status["name"], "status");
                status["default"] = serde_json::json!({ "string": "pending" });
            }),
            "schema.json does not match the migrations: table `posts`, column `status`: \
             schema.json has default \"pending\", the migrations produce default \"draft\"; \
             restore it from version control",
        ),
        (
            "table_removed",
            Box::new(|json| {
                json["schema"]["tables"]
                    .as_object_mut()
                    .unwrap()
                    .remove("posts");
            }),
            "table `posts`: the migrations create it, schema.json does not have it",
        ),
        (
            "index_added",
            Box::new(|json| {
                json["schema"]["tables"]["posts"]["indexes"] =
                    serde_json::json!([{ "name": "idx-posts-title", "columns": ["title"] }]);
            }),
            "table `posts`, index `idx-posts-title`: schema.json has it (on (title)), the \
             migrations do not produce it",
        ),
    ];
    for (name, edit, expected) in edits {
        let dir = copy_of_migration_dir(&format!("edited_snapshot_{name}"));
        edit_snapshot(&dir, edit);
        let before = tree(&dir);
        assert_eq!(
            run(&dir, &["check"]).unwrap(),
            std::process::ExitCode::from(1),
            "{name}"
        );
        let (code, out) = run_binary(&dir, &["check", "--format", "json"]);
        assert_eq!(code, 1, "{name}: {out}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["status"], "snapshot_mismatch", "{name}: {json}");
        let detail = json["details"][0].as_str().unwrap();
        assert!(detail.contains(expected), "{name}: {detail}");
        assert_eq!(tree(&dir), before, "{name}: check wrote something");
        fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn check_passes_on_the_shipped_folder_and_after_two_generations() {
    let dir = copy_of_migration_dir("replayed");
    assert_eq!(
        run(&dir, &["check"]).unwrap(),
        std::process::ExitCode::SUCCESS
    );
    // Two generations: the corpus's tables added, then dropped again.
    fn with_corpus(v: &mut dyn entity_rules::EntityVisitor) {
        entity::visit_all(v);
        tests::corpus::visit_all(v);
    }
    let argv = |extra: &[&'static str]| {
        let mut argv = vec!["generator", "--migration-dir", dir.to_str().unwrap()];
        argv.extend(extra);
        Cli::try_parse_from(argv).unwrap()
    };
    let ok = std::process::ExitCode::SUCCESS;
    cli::run(argv(&["--timestamp", "29990101_000000"]), with_corpus).unwrap();
    assert_eq!(cli::run(argv(&["check"]), with_corpus).unwrap(), ok);
    cli::run(
        argv(&["--timestamp", "29990101_000001", "--allow-destructive"]),
        entity::visit_all,
    )
    .unwrap();
    let migrations = generator_core::layout::MigrationDir::new(&dir)
        .migrations()
        .unwrap();
    assert_eq!(
        migrations.len(),
        shipped_migrations().len() + 2,
        "{migrations:?}"
    );
    assert_eq!(cli::run(argv(&["check"]), entity::visit_all).unwrap(), ok);
    fs::remove_dir_all(dir).unwrap();
}

/// Runs the generator binary with `env` set; returns its exit code and standard error.
fn run_binary_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_generator_cli"))
        .arg("--migration-dir")
        .arg(dir)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Every file under `dir`, by its path inside `dir`, with its contents.
fn relative_tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    tree(dir)
        .into_iter()
        .map(|(path, contents)| (path.strip_prefix(dir).unwrap().to_owned(), contents))
        .collect()
}

#[test]
fn a_generation_stopped_after_any_number_of_renames_is_finished_by_the_next_run() {
    let last = last_migration();
    let timestamp = last.args();
    let reference = copy_without_the_last_migration("uninterrupted");
    assert_eq!(run_binary_with(&reference, &timestamp, &[]).0, 0);
    let whole = relative_tree(&reference);
    fs::remove_dir_all(reference).unwrap();
    // The migration, lib.rs, migrations.sum and schema.json: 4 renames.
    for stop in 0..=4 {
        let dir = copy_without_the_last_migration(&format!("interrupted_{stop}"));
        let (code, stderr) = run_binary_with(
            &dir,
            &timestamp,
            &[(
                generator_core::layout::FAIL_AFTER_RENAMES,
                &stop.to_string(),
            )],
        );
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("the next generator run (any command) finishes it"),
            "{stderr}"
        );
        assert!(dir.join(generator_core::layout::JOURNAL).exists());
        let (code, stderr) = run_binary_with(&dir, &["check"], &[]);
        assert_eq!(code, 0, "stopped after {stop} renames: {stderr}");
        assert!(
            stderr.contains(&format!(
                "finished an interrupted generation: {} is now complete",
                last.name
            )),
            "{stderr}"
        );
        assert_eq!(relative_tree(&dir), whole, "stopped after {stop} renames");
        fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn a_garbled_generation_journal_is_rolled_back_and_its_temporary_files_removed() {
    let dir = copy_of_migration_dir("garbled_journal");
    let before = tree(&dir);
    fs::write(dir.join(generator_core::layout::JOURNAL), "\u{0}garbage\n").unwrap();
    fs::write(dir.join("src/lib.rs.generator-tmp"), "half a lib").unwrap();
    fs::write(dir.join("schema.json.generator-tmp"), "{").unwrap();
    let (code, stderr) = run_binary_with(&dir, &["check"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("removed the leftovers of an interrupted generation"),
        "{stderr}"
    );
    assert_eq!(tree(&dir), before);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_journal_that_cannot_be_finished_is_named_instead_of_advice_about_tampering() {
    let dir = copy_without_the_last_migration("unfinishable");
    let last = last_migration();
    let timestamp = last.args();
    let stop = [(generator_core::layout::FAIL_AFTER_RENAMES, "0")];
    assert_eq!(run_binary_with(&dir, &timestamp, &stop).0, 2);
    // Something now stands where the migration goes, so its rename fails.
    let blocker = dir.join(format!("src/{}.rs", last.name));
    fs::create_dir_all(blocker.join("inside")).unwrap();
    let (code, stderr) = run_binary_with(&dir, &["check"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("an interrupted generation could not be resolved")
            && stderr.contains(generator_core::layout::JOURNAL)
            && !stderr.contains("hash")
            && !stderr.contains("restore the snapshot"),
        "{stderr}"
    );
    fs::remove_dir_all(&blocker).unwrap();
    let (code, stderr) = run_binary_with(&dir, &["check"], &[]);
    assert_eq!(code, 0, "{stderr}");
    fs::remove_dir_all(dir).unwrap();
}
