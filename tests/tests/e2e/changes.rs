//! One golden file per kind of change (`tests/golden/changes/`): each is the follow-up
//! migration the generator writes for one edit of a small `posts` / `authors` schema, reviewed
//! like code, compiled into this test binary, and holding exactly the data it was rendered
//! from. Refresh with `UPDATE_GOLDEN=1 cargo test -p tests` after an intended change, and
//! review the diff.

use generator_core::diff::Options;
use generator_core::generate::{self, Generation, Naming};
use generator_core::layout::{MigrationDir, Recorded};
use generator_core::model::{
    Action, Check, CheckRule, Column, ColumnType, DefaultValue, ForeignKey, Index, Len, Schema,
    Table,
};
use generator_core::snapshot::{FORMAT, Snapshot};
use migration_ops::schema::{Owned, convert_all};
use migration_ops::v1;
use tests::db::{Backend, TestDb};
use tests::history::DataMigration;

/// `authors (id, name)`, `posts (id, title, status, mood, author_id)` and `post_tags (post_id,
/// label)` keyed by both, with an index on the title, a foreign key to the author, a length
/// check on the title and a native enum.
fn base() -> Schema {
    let mut id = Column::new("id", ColumnType::Integer);
    id.auto_increment = true;
    let authors = Table {
        columns: vec![
            id.clone(),
            Column::new("name", ColumnType::String(Len::N(80))),
        ],
        primary_key: vec!["id".to_owned()],
        ..Table::default()
    };
    let mut status = Column::new("status", ColumnType::String(Len::N(16)));
    status.default = Some(DefaultValue::String("draft".to_owned()));
    let mut mood = Column::new(
        "mood",
        ColumnType::Enum {
            name: "mood".to_owned(),
            variants: vec!["happy".to_owned(), "sad".to_owned()],
        },
    );
    mood.null = true;
    let mut author = Column::new("author_id", ColumnType::Integer);
    author.null = true;
    let posts = Table {
        columns: vec![
            id,
            Column::new("title", ColumnType::String(Len::N(200))),
            status,
            mood,
            author,
        ],
        primary_key: vec!["id".to_owned()],
        indexes: vec![Index {
            name: "idx-posts-title".to_owned(),
            columns: vec!["title".to_owned()],
            unique: false,
        }],
        foreign_keys: vec![ForeignKey {
            name: "fk-posts-author_id".to_owned(),
            columns: vec!["author_id".to_owned()],
            ref_table: "authors".to_owned(),
            ref_columns: vec!["id".to_owned()],
            on_delete: Some(Action::Cascade),
            on_update: None,
        }],
        checks: vec![Check {
            name: "ck_posts_title_length".to_owned(),
            column: "title".to_owned(),
            rule: CheckRule::Length {
                min: Some(1),
                max: Some(200),
            },
        }],
        ..Table::default()
    };
    let post_tags = Table {
        columns: vec![
            Column::new("post_id", ColumnType::Integer),
            Column::new("label", ColumnType::String(Len::N(40))),
        ],
        primary_key: vec!["post_id".to_owned(), "label".to_owned()],
        ..Table::default()
    };
    Schema {
        enums: [(
            "mood".to_owned(),
            vec!["happy".to_owned(), "sad".to_owned()],
        )]
        .into(),
        tables: [
            ("authors".to_owned(), authors),
            ("posts".to_owned(), posts),
            ("post_tags".to_owned(), post_tags),
        ]
        .into(),
        ..Schema::default()
    }
}

fn post_tags(schema: &mut Schema) -> &mut Table {
    schema.tables.get_mut("post_tags").unwrap()
}

fn posts(schema: &mut Schema) -> &mut Table {
    schema.tables.get_mut("posts").unwrap()
}

fn column<'a>(schema: &'a mut Schema, name: &str) -> &'a mut Column {
    posts(schema)
        .columns
        .iter_mut()
        .find(|c| c.name == name)
        .unwrap()
}

fn tags() -> Table {
    let mut id = Column::new("id", ColumnType::Integer);
    id.auto_increment = true;
    Table {
        columns: vec![id, Column::new("label", ColumnType::String(Len::N(40)))],
        primary_key: vec!["id".to_owned()],
        ..Table::default()
    }
}

/// The generation that takes `before` to `after`.
fn generate_change(name: &str, before: &Schema, after: &Schema, options: &Options) -> Generation {
    let previous = "m20260101_000000_base".to_owned();
    let recorded = Recorded {
        migrations: vec![previous.clone()],
        generated: vec![previous.clone()],
        snapshot: Some(Snapshot {
            format: FORMAT,
            migration: previous,
            schema: before.clone(),
        }),
        ..Recorded::default()
    };
    let naming = Naming {
        timestamp: Some("20260201_000000".to_owned()),
        name: Some(name.to_owned()),
    };
    generate::prepare(
        &MigrationDir::new("unused"),
        &recorded,
        after,
        // What each change locks is shown, not refused: these tests are about what it does.
        &Options {
            allow_blocking: true,
            ..options.clone()
        },
        &naming,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
    .unwrap_or_else(|| panic!("{name}: no change"))
}

/// Compares the rendering of `generation` with its golden file, and the compiled file's data
/// with the data it was rendered from.
fn assert_golden(name: &str, generation: &Generation, up: &[v1::Op], down: &[v1::Op]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden/changes")
        .join(format!("{name}.rs"));
    let rendered = &generation.files[0].1;
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        // The compiled files are the old ones until the next build: compare then.
        std::fs::write(&path, rendered).unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        text == *rendered,
        "{} differs from the rendering; review and refresh with UPDATE_GOLDEN=1",
        path.display()
    );
    assert_eq!(convert_all::<Owned, _>(up), generation.up, "{name}: UP");
    match &generation.down {
        generator_core::render::Down::Ops(ops) => {
            assert_eq!(convert_all::<Owned, _>(down), *ops, "{name}: DOWN")
        }
        generator_core::render::Down::Irreversible(_) => assert!(down.is_empty(), "{name}: DOWN"),
    }
}

/// The golden files, compiled: `tests/golden/changes/mod.rs` lists them.
#[path = "../../golden/changes/mod.rs"]
#[rustfmt::skip]
#[allow(dead_code)]
mod golden;

/// A golden file's `DOWN`; an irreversible migration has none.
macro_rules! down_of {
    ($name:ident) => {
        golden::$name::DOWN
    };
    ($name:ident, irreversible) => {
        &[]
    };
}

/// A golden file's `DOWN` as the runner takes it: `None` when the migration cannot be undone.
macro_rules! down_option {
    ($name:ident) => {
        Some(golden::$name::DOWN)
    };
    ($name:ident, irreversible) => {
        None
    };
}

macro_rules! golden_changes {
    ($($name:ident $(($irreversible:ident))?: $edit:expr;)*) => {
        /// Every golden file: its name, `UP` and `DOWN`.
        fn goldens() -> Vec<(&'static str, &'static [v1::Op], Option<&'static [v1::Op]>)> {
            vec![$((stringify!($name), golden::$name::UP, down_option!($name $(, $irreversible)?)),)*]
        }

        #[test]
        fn each_kind_of_change_renders_as_its_reviewed_golden_file() {
            let mut kinds = 0;
            $(
                let (after, options): (Schema, Options) = $edit;
                let generation = generate_change(stringify!($name), &base(), &after, &options);
                assert_golden(
                    stringify!($name),
                    &generation,
                    golden::$name::UP,
                    down_of!($name $(, $irreversible)?),
                );
                kinds += 1;
            )*
            assert!(kinds >= 18, "only {kinds} kinds of change");
        }
    };
}

fn destructive() -> Options {
    Options {
        allow_destructive: true,
        ..Options::default()
    }
}

golden_changes! {
    create_table: {
        let mut s = base();
        s.tables.insert("tags".to_owned(), tags());
        (s, Options::default())
    };
    drop_table: {
        let mut s = base();
        s.tables.remove("posts");
        (s, destructive())
    };
    rename_table: {
        let mut s = base();
        let table = s.tables.remove("posts").unwrap();
        s.tables.insert("articles".to_owned(), table);
        let options = Options {
            table_renames: [("posts".to_owned(), "articles".to_owned())].into(),
            ..Options::default()
        };
        (s, options)
    };
    add_column: {
        let mut s = base();
        let mut slug = Column::new("slug", ColumnType::String(Len::N(80)));
        slug.null = true;
        posts(&mut s).columns.push(slug);
        (s, Options::default())
    };
    add_column_with_backfill: {
        let mut s = base();
        posts(&mut s).columns.push(Column::new("rank", ColumnType::Integer));
        let options = Options {
            backfills: [(("posts".to_owned(), "rank".to_owned()), "0".to_owned())].into(),
            ..Options::default()
        };
        (s, options)
    };
    drop_column: {
        let mut s = base();
        posts(&mut s).columns.retain(|c| c.name != "status");
        (s, destructive())
    };
    rename_column: {
        let mut s = base();
        let status = column(&mut s, "status");
        status.name = "state".to_owned();
        s.renamed_from
            .insert(("posts".to_owned(), "state".to_owned()), "status".to_owned());
        (s, Options::default())
    };
    widen_column_type: {
        let mut s = base();
        column(&mut s, "status").ty = ColumnType::String(Len::N(32));
        (s, Options::default())
    };
    narrow_column_type: {
        let mut s = base();
        column(&mut s, "status").ty = ColumnType::String(Len::N(8));
        (s, destructive())
    };
    make_column_nullable: {
        let mut s = base();
        column(&mut s, "status").null = true;
        (s, Options::default())
    };
    make_column_not_null_with_backfill: {
        let mut s = base();
        column(&mut s, "author_id").null = false;
        posts(&mut s).foreign_keys[0].on_delete = Some(Action::Cascade);
        let options = Options {
            backfills: [(("posts".to_owned(), "author_id".to_owned()), "1".to_owned())].into(),
            ..Options::default()
        };
        (s, options)
    };
    change_column_default: {
        let mut s = base();
        column(&mut s, "status").default = Some(DefaultValue::String("new".to_owned()));
        (s, Options::default())
    };
    make_column_unique: {
        let mut s = base();
        column(&mut s, "title").unique = true;
        (s, Options::default())
    };
    create_index: {
        let mut s = base();
        posts(&mut s).indexes.push(Index {
            name: "idx-posts-status-title".to_owned(),
            columns: vec!["status".to_owned(), "title".to_owned()],
            unique: true,
        });
        (s, Options::default())
    };
    drop_index: {
        let mut s = base();
        posts(&mut s).indexes.clear();
        (s, Options::default())
    };
    add_foreign_key: {
        let mut s = base();
        let mut editor = Column::new("editor_id", ColumnType::Integer);
        editor.null = true;
        posts(&mut s).columns.push(editor);
        posts(&mut s).foreign_keys.push(ForeignKey {
            name: "fk-posts-editor_id".to_owned(),
            columns: vec!["editor_id".to_owned()],
            ref_table: "authors".to_owned(),
            ref_columns: vec!["id".to_owned()],
            on_delete: Some(Action::SetNull),
            on_update: None,
        });
        (s, Options::default())
    };
    drop_foreign_key: {
        let mut s = base();
        posts(&mut s).foreign_keys.clear();
        (s, Options::default())
    };
    change_foreign_key_action: {
        let mut s = base();
        posts(&mut s).foreign_keys[0].on_delete = Some(Action::SetNull);
        (s, Options::default())
    };
    add_enum_value (irreversible): {
        let mut s = base();
        let values = vec!["happy".to_owned(), "calm".to_owned(), "sad".to_owned()];
        s.enums.insert("mood".to_owned(), values.clone());
        column(&mut s, "mood").ty = ColumnType::Enum { name: "mood".to_owned(), variants: values };
        (s, Options::default())
    };
    remove_and_reorder_enum_values: {
        let mut s = base();
        let values = vec!["sad".to_owned(), "happy_again".to_owned()];
        s.enums.insert("mood".to_owned(), values.clone());
        column(&mut s, "mood").ty = ColumnType::Enum { name: "mood".to_owned(), variants: values };
        (s, destructive())
    };
    add_check: {
        let mut s = base();
        posts(&mut s).checks.push(Check {
            name: "ck_posts_status_allowed".to_owned(),
            column: "status".to_owned(),
            rule: CheckRule::OneOf(
                ["draft", "published"].map(|v| DefaultValue::String(v.to_owned())).into(),
            ),
        });
        (s, Options::default())
    };
    change_check: {
        let mut s = base();
        posts(&mut s).checks[0].rule = CheckRule::Length { min: Some(1), max: Some(120) };
        (s, Options::default())
    };
    change_table_comment: {
        let mut s = base();
        posts(&mut s).comment = Some("Blog posts".to_owned());
        (s, Options::default())
    };
    drop_check: {
        let mut s = base();
        posts(&mut s).checks.clear();
        (s, Options::default())
    };
    widen_primary_key: {
        let mut s = base();
        let mut lang = Column::new("lang", ColumnType::String(Len::N(8)));
        lang.default = Some(DefaultValue::String("en".to_owned()));
        post_tags(&mut s).columns.push(lang);
        post_tags(&mut s).primary_key.push("lang".to_owned());
        (s, Options::default())
    };
    replace_primary_key_with_auto_increment_column: {
        let mut s = base();
        let mut id = Column::new("id", ColumnType::BigInteger);
        id.auto_increment = true;
        post_tags(&mut s).columns.insert(0, id);
        post_tags(&mut s).primary_key = vec!["id".to_owned()];
        (s, Options::default())
    };
    stop_auto_increment: {
        let mut s = base();
        s.tables.get_mut("authors").unwrap().columns[0].auto_increment = false;
        (s, Options::default())
    };
    change_column_extra: {
        let mut s = base();
        column(&mut s, "title").extra = Some("COLLATE \"C\"".to_owned());
        (s, Options::default())
    };
}

/// Every golden change, after the base schema, walks up, down, up, down, down, up through the
/// runner, with the schema and the bookkeeping as they were at each state.
async fn every_golden_change_goes_up_and_down_and_up_again(backend: Backend) {
    let base_generation = generate::prepare(
        &MigrationDir::new("unused"),
        &Recorded::default(),
        &base(),
        &Options {
            allow_blocking: true,
            ..Options::default()
        },
        &Naming {
            timestamp: Some("20260101_000000".to_owned()),
            name: Some("base".to_owned()),
        },
    )
    .unwrap()
    .unwrap();
    let generator_core::render::Down::Ops(base_down) = base_generation.down else {
        panic!("the base can be undone");
    };
    for (name, up, down) in goldens() {
        if name == "change_column_extra" && backend != Backend::Postgres {
            // Its `COLLATE "C"` is PostgreSQL's; keys.rs sets and takes back each backend's own.
            continue;
        }
        let db = TestDb::fresh(backend, &format!("golden_{name}")).await;
        let history = [
            DataMigration::new(
                "m20260101_000000_base",
                &base_generation.up,
                Some(&base_down),
            ),
            DataMigration::new(&format!("m20260201_000000_{name}"), up, down),
        ];
        crate::history::walk_up_and_down(&db, &history, name).await;
        db.drop_database().await;
    }
}

on_each_backend!(every_golden_change_goes_up_and_down_and_up_again,);

/// The checksum of every golden migration, pinned: a change of the canonical encoding or of
/// SHA-256's use would make every database refuse its applied migrations as edited.
#[test]
fn every_golden_migrations_checksum_is_pinned() {
    let pinned = [
        (
            "create_table",
            "v1-sha256:c1bc833e7f1cdfddb4a45270f8828be5a074f8a7366ce0c18a6bb61fff464782",
        ),
        (
            "drop_table",
            "v1-sha256:035a1267b06f6a72a8f220a5b3e4f4bc82c8300280857b12d0a2b7a6869451e0",
        ),
        (
            "rename_table",
            "v1-sha256:cac422dce5dce6a2ea5d6ac0667e7a41e596d11ccd8b26a7cefdbfc350f39fd2",
        ),
        (
            "add_column",
            "v1-sha256:b0b1e43977c754d44f4519859dd73565e867fad507ea1c1d7ca1d1f2083f6659",
        ),
        (
            "add_column_with_backfill",
            "v1-sha256:b6ff79d3e476b1c9b924c30b85f4403324d3bfeeab43797551d7ee24869b1d6a",
        ),
        (
            "drop_column",
            "v1-sha256:b32d267e3f4996181859d6f60b18c2e957f580c58ec58c4a51c4338bd2c8ae83",
        ),
        (
            "rename_column",
            "v1-sha256:7a7b7af5b81bcd9e45cef1e6455f4c461359a4c8a5c1fbd88f5c3e698e73e9d6",
        ),
        (
            "widen_column_type",
            "v1-sha256:dcfa9ca858790c759d6b85ef62beb0e1f523f7425972936b0e8c00bb65b42d14",
        ),
        (
            "narrow_column_type",
            "v1-sha256:a5d5a5e2a076d4b46989fbbe385cbd32d9892f641e2d98aa017f100935f7fbb0",
        ),
        (
            "make_column_nullable",
            "v1-sha256:15af548d2693a7a2ba3576089a4ac1b6632b305b1515bcca2ba7168a25e3a9d2",
        ),
        (
            "make_column_not_null_with_backfill",
            "v1-sha256:e489470a5b79560ffe999c48437d6560a587e185ab77419c93266e51665731e3",
        ),
        (
            "change_column_default",
            "v1-sha256:699d5b497e6d18d689461104ceb9b477ed4be6ff06e1880fc962f98f57923eb8",
        ),
        (
            "make_column_unique",
            "v1-sha256:e1666d4815bb58fe90159fd985bbaf7f9ce75a4bdd6feb8e4694dd6231338ca7",
        ),
        (
            "create_index",
            "v1-sha256:54ce137831e677e040d69fa02bf452f2cd8f984984dbceaed55f859e4fec82b1",
        ),
        (
            "drop_index",
            "v1-sha256:1158b69966b4dad618f94ed51b6f7f96e9c980347dff676f0bb28835113d7513",
        ),
        (
            "add_foreign_key",
            "v1-sha256:c9b636812786668666e4b51dab84c98c19d61aaf4fe32f1da5fc4e9b353a7d6e",
        ),
        (
            "drop_foreign_key",
            "v1-sha256:8e9ae83cf7da1d960fd2c88f1cd319c5f7d6c0c591b083448d88427f2318e3ac",
        ),
        (
            "change_foreign_key_action",
            "v1-sha256:1650c5281d5422b55a79022f2d6a55858c956dd379926a45e8ddd6f6c4c1a359",
        ),
        (
            "add_enum_value",
            "v1-sha256:719a801d98eee45998db677352eb9f6e9242e143d6d97a3b7485d2fe5f974ce1",
        ),
        (
            "remove_and_reorder_enum_values",
            "v1-sha256:4e80830e3a725d6a78bd30b47662aecb7d11f78f3582e5b47db474f0e260b553",
        ),
        (
            "add_check",
            "v1-sha256:0307954a844af2bb809786c2984958583ad88244964b1ec27687383363537282",
        ),
        (
            "change_check",
            "v1-sha256:5a0be7dbffde9cb9109f3fcbfc023b9511b3a40ab1a6e07349454c7e8de4be51",
        ),
        (
            "change_table_comment",
            "v1-sha256:f8aa5854398e10d65dc6468b43275b4f09860473b3bedf7aec9377522c24b4e0",
        ),
        (
            "drop_check",
            "v1-sha256:6554837580721be7e2336dac5393b3017f54d2ee3eb0f176391981c236a6b709",
        ),
        (
            "widen_primary_key",
            "v1-sha256:8ffc57d838fda48b3b629aa8076c663c9cd24398d9f583fe28f78b20b4bbb776",
        ),
        (
            "replace_primary_key_with_auto_increment_column",
            "v1-sha256:3294ba9d33cb59c22b6f152e17b700bc1004c1adb2c0f7875e42d305b2b8854d",
        ),
        (
            "stop_auto_increment",
            "v1-sha256:a52af5c16fd51edb847305b1106af1496a533e75f3086f67dc029a69bffa7be3",
        ),
        (
            "change_column_extra",
            "v1-sha256:d27dcd1f0b1edbc2cd752d3c400e567139e9491b490734bf7ed493d11bb73bff",
        ),
    ];
    let now: Vec<(&str, String)> = goldens()
        .into_iter()
        .map(|(name, up, down)| (name, v1::checksum(up, down)))
        .collect();
    let pinned: Vec<(&str, String)> = pinned.iter().map(|(n, c)| (*n, (*c).to_owned())).collect();
    assert_eq!(now, pinned);
    let shipped: Vec<(&str, String)> = migration::generated()
        .iter()
        .map(|g| (g.name, g.checksum()))
        .collect();
    assert_eq!(
        shipped,
        [
            (
                "m20261127_180000_create_posts",
                "v1-sha256:4b5a8e4694cc132a7f1b7c4ee90b4ed3fad588c0a1026bc4353ee44ceeee87af"
                    .to_owned()
            ),
            (
                "m20261201_071724_limit_posts_content",
                "v1-sha256:17180cdd09976df56d856d40b2fd64e00cb8ea1d3ba740a6e7330eb0ab09e1d0"
                    .to_owned()
            ),
            (
                "m20261201_190224_alter_posts",
                "v1-sha256:5ec13528de6a5a6e592604d3c38d82013f2fd0581e56b2edb799a87b0be57710"
                    .to_owned()
            ),
        ]
    );
}
