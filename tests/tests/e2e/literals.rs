//! Every string the generator writes into Rust source comes back unchanged: 10,000 seeded
//! random strings (quotes, backslashes, `"#`, NUL and other control characters, bidi marks,
//! emoji, line breaks, `*/`) as column defaults, comments and summary lines of one rendered
//! migration file, which must parse to the same items as a plain one and read back to exactly
//! the data it was rendered from.

use generator_core::lower::Op;
use generator_core::model::{Column, ColumnType, DefaultValue, Len, Table};
use generator_core::render::{self, Down, MigrationFile};
use tests::rng::Rng;

const PIECES: &[&str] = &[
    "\"",
    "'",
    "\\",
    "\\\\",
    "\"#",
    "#\"",
    "r#\"",
    "\\u{41}",
    "\\n",
    "\n",
    "\r\n",
    "\t",
    "\0",
    "\u{7}",
    "\u{1b}[31m",
    "\u{202e}",
    "\u{2066}",
    "\u{feff}",
    "\u{200b}",
    "😀",
    "👩‍👩‍👧",
    "é",
    "e\u{301}",
    "日本",
    "*/",
    "/*",
    "//",
    "--",
    ";",
    "`",
    "$$",
    "${x}",
    "{}",
    "%s",
    " ",
    "DROP TABLE posts;",
    "');--",
    "\u{10ffff}",
    "\u{fffd}",
    "a",
];

fn random_string(rng: &mut Rng) -> String {
    let mut text = String::new();
    for _ in 0..rng.below(8) {
        if rng.below(4) == 0 {
            // Any scalar value, not only the listed pieces.
            let c = loop {
                if let Some(c) = char::from_u32((rng.next_u64() % 0x11_0000) as u32) {
                    break c;
                }
            };
            text.push(c);
        } else {
            text.push_str(PIECES[rng.below(PIECES.len())]);
        }
    }
    text
}

fn file_with(strings: &[String], summary: &[String]) -> (String, Vec<Op>) {
    let columns = strings
        .iter()
        .enumerate()
        .map(|(at, text)| Column {
            default: Some(DefaultValue::String(text.clone())),
            comment: Some(text.clone()),
            ..Column::new(format!("c{at}"), ColumnType::String(Len::None))
        })
        .collect();
    let up = vec![Op::CreateTable(Table {
        name: "t".to_owned(),
        columns,
        primary_key: vec!["c0".to_owned()],
        ..Table::default()
    })];
    let source = render::migration_file(&MigrationFile {
        name: "m20260101_000000_literals",
        summary,
        destructive: false,
        up: &up,
        down: &Down::Ops(vec![Op::DropTable("t".to_owned())]),
    });
    (source, up)
}

#[test]
fn ten_thousand_random_strings_come_back_from_a_rendered_file_unchanged() {
    let mut rng = Rng::new(0x5EED_1234_ABCD_0001);
    let strings: Vec<String> = (0..10_000).map(|_| random_string(&mut rng)).collect();
    let summary: Vec<String> = strings.iter().take(500).cloned().collect();
    let (source, up) = file_with(&strings, &summary);

    // No string escaped into code: the same items as a file of plain strings.
    let items = |source: &str| -> Vec<String> {
        syn::parse_file(source)
            .expect("the rendered file is valid Rust")
            .items
            .iter()
            .map(|item| match item {
                syn::Item::Const(c) => format!("const {}", c.ident),
                syn::Item::Use(_) => "use".to_owned(),
                syn::Item::Struct(s) => format!("struct {}", s.ident),
                syn::Item::Impl(_) => "impl".to_owned(),
                other => format!("unexpected {}", quote::ToTokens::to_token_stream(other)),
            })
            .collect()
    };
    let plain = file_with(&["x".to_owned()], &["+ table t (c0)".to_owned()]).0;
    assert_eq!(items(&source), items(&plain));

    let data = generator_core::reader::read(&source)
        .unwrap()
        .expect("data");
    assert_eq!(data.up, up, "a string changed on its way through the file");
    let read_back = match &data.up[0] {
        Op::CreateTable(table) => table.columns.len(),
        _ => 0,
    };
    assert_eq!(read_back, strings.len());
    println!(
        "literals: tried {}, round-tripped {read_back}, failed 0",
        strings.len()
    );
}
