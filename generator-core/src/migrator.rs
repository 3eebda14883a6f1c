//! The Migrator list in `migration/src/lib.rs`: which migrations it runs, in order, and adding
//! one to it. The generator owns only the lines it adds: every other item, comment and
//! commented-out entry stays byte for byte, in place. Pure: text in, text out.

use proc_macro2::{LineColumn, Span};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ImplItem, Item, Macro, Stmt, Token};

/// What `lib.rs` says about the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigratorList {
    /// The modules `Migrator::migrations()` lists, in the order it runs them.
    pub migrations: Vec<String>,
}

/// A migration to add to the list.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub name: &'a str,
    /// Written by the generator: its module is kept out of rustfmt's reach, and it joins
    /// `generated()` (the runner's checksums) when `lib.rs` has that function.
    pub generated: bool,
    /// A generated migration without `DOWN`.
    pub irreversible: bool,
}

/// Reads which migrations `text` (a `lib.rs`) lists in `Migrator::migrations()`.
pub fn read(text: &str) -> Result<MigratorList, String> {
    listed(&parse(text)?, text).map(|migrations| MigratorList { migrations })
}

fn parse(text: &str) -> Result<syn::File, String> {
    syn::parse_file(text).map_err(|e| at(text, e.span(), &e.to_string()))
}

/// The modules `file`'s `Migrator::migrations()` lists, in order.
fn listed(file: &syn::File, text: &str) -> Result<Vec<String>, String> {
    let list = migrations_vec(file, text)?;
    let mut migrations = Vec::new();
    for entry in &list.entries {
        let module = module_of(entry).ok_or_else(|| {
            at(
                text,
                entry.span(),
                "an entry of `Migrator::migrations()` is not `Box::new(<module>::Migration)`",
            )
        })?;
        if migrations.contains(&module) {
            return Err(at(
                text,
                entry.span(),
                &format!("`Migrator::migrations()` lists {module} twice"),
            ));
        }
        migrations.push(module);
    }
    Ok(migrations)
}

/// The function that lists the generated migrations' data, for the runner's checksums.
pub const GENERATED_FN: &str = "
/// The data of each generated migration, whose checksum the runner records when it
/// applies one and compares on every later run.
pub fn generated() -> Vec<migration_ops::v1::Generated> {
    vec![]
}
";

/// `text` with an empty [`GENERATED_FN`] at its end, or `None` when it has that function.
pub fn with_generated_fn(text: &str) -> Result<Option<String>, String> {
    let has_it = parse(text)?
        .items
        .iter()
        .any(|item| matches!(item, Item::Fn(function) if function.sig.ident == "generated"));
    Ok((!has_it).then(|| format!("{text}{GENERATED_FN}")))
}

/// `text` (a `lib.rs`) with `entry` added: its `mod` item after the last migration module, its
/// `Box::new(…)` at the end of `Migrator::migrations()`, and, for a generated migration, its
/// checksummed data at the end of `generated()` when the file has that function. Nothing else
/// changes.
pub fn add(text: &str, entry: Entry) -> Result<String, String> {
    let file = parse(text)?;
    let name = entry.name;
    let mut edits: Vec<(usize, String)> = Vec::new();

    // The module, after the last module of a migration (or before the first item that is
    // not a `use`, `mod` or inner attribute, in a list that has none yet).
    let listed = listed(&file, text)?;
    let attribute = if entry.generated {
        "#[rustfmt::skip]\n"
    } else {
        ""
    };
    let last_module = file.items.iter().rev().find_map(|item| match item {
        Item::Mod(module)
            if module.content.is_none() && listed.contains(&module.ident.to_string()) =>
        {
            Some(module)
        }
        _ => None,
    });
    match last_module {
        Some(module) => {
            let separator = if module.attrs.is_empty() && !entry.generated {
                "\n"
            } else {
                "\n\n"
            };
            edits.push((
                line_end(text, offset(text, module.span().end())),
                format!("{separator}{attribute}mod {name};"),
            ));
        }
        None => {
            let first = file
                .items
                .iter()
                .find(|item| !matches!(item, Item::Use(_) | Item::Mod(_)))
                .ok_or("lib.rs has no `Migrator`")?;
            let start = line_start(text, offset(text, first.span().start()));
            edits.push((start, format!("{attribute}mod {name};\n\n")));
        }
    }

    let list = migrations_vec(&file, text)?;
    edits.push(append_entry(
        text,
        &list,
        &format!("Box::new({name}::Migration)"),
        None,
    ));

    if entry.generated
        && let Some(generated) = generated_vec(&file)
    {
        let down = if entry.irreversible {
            "None".to_owned()
        } else {
            format!("Some({name}::DOWN)")
        };
        let arguments = [format!("{name:?}"), format!("{name}::UP"), down];
        edits.push(append_entry(
            text,
            &generated,
            "migration_ops::v1::Generated::new",
            Some(&arguments),
        ));
    }

    edits.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let mut out = text.to_owned();
    for (at, insert) in edits {
        out.insert_str(at, &insert);
    }
    Ok(out)
}

/// The entries of a `vec![…]` and where the macro sits.
struct VecList {
    entries: Punctuated<Expr, Token![,]>,
    mac: Macro,
}

/// The `vec![…]` that `Migrator::migrations()` returns.
fn migrations_vec(file: &syn::File, text: &str) -> Result<VecList, String> {
    let function = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(block) => Some(block),
            _ => None,
        })
        .filter(|block| {
            block.trait_.as_ref().is_some_and(|(_, path, _)| {
                path.segments
                    .last()
                    .is_some_and(|s| s.ident == "MigratorTrait")
            })
        })
        .flat_map(|block| &block.items)
        .find_map(|item| match item {
            ImplItem::Fn(function) if function.sig.ident == "migrations" => Some(function),
            _ => None,
        })
        .ok_or("lib.rs has no `impl MigratorTrait` with a `fn migrations()`")?;
    last_vec(&function.block.stmts).ok_or_else(|| {
        at(
            text,
            function.span(),
            "`Migrator::migrations()` does not end with a `vec![…]` of migrations",
        )
    })
}

/// The `vec![…]` that a top-level `fn generated()` returns, if the file has one.
fn generated_vec(file: &syn::File) -> Option<VecList> {
    file.items.iter().find_map(|item| match item {
        Item::Fn(function) if function.sig.ident == "generated" => last_vec(&function.block.stmts),
        _ => None,
    })
}

fn last_vec(statements: &[Stmt]) -> Option<VecList> {
    let mac = match statements.last()? {
        Stmt::Expr(Expr::Macro(expr), None) => &expr.mac,
        Stmt::Macro(statement) => &statement.mac,
        _ => return None,
    };
    if !mac.path.is_ident("vec") {
        return None;
    }
    let entries = mac
        .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
        .ok()?;
    Some(VecList {
        entries,
        mac: mac.clone(),
    })
}

/// `m…` of `Box::new(m…::Migration)`.
fn module_of(entry: &Expr) -> Option<String> {
    let Expr::Call(call) = entry else {
        return None;
    };
    let Expr::Path(function) = &*call.func else {
        return None;
    };
    let segments: Vec<String> = function
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if segments != ["Box", "new"] || call.args.len() != 1 {
        return None;
    }
    let Expr::Path(argument) = &call.args[0] else {
        return None;
    };
    let segments = &argument.path.segments;
    (segments.len() == 2 && segments[1].ident == "Migration").then(|| segments[0].ident.to_string())
}

/// Where to insert a new last entry of `list`, and the text: on the entries' own line when
/// they are written on one line with the `vec![`, else on a line of its own with the last
/// entry's indentation, its arguments (if any) one per line, as rustfmt writes a long call.
fn append_entry(
    text: &str,
    list: &VecList,
    call: &str,
    arguments: Option<&[String]>,
) -> (usize, String) {
    let Some(last) = list.entries.last() else {
        return append_first(text, list, call, arguments);
    };
    let trailing = list.entries.trailing_punct();
    let end = match list
        .entries
        .pairs()
        .next_back()
        .and_then(|pair| pair.punct().copied())
    {
        Some(comma) => offset(text, comma.span().end()),
        None => offset(text, last.span().end()),
    };
    let comma = if trailing { "" } else { "," };
    if last.span().start().line == delimiters(list).0.start().line {
        return (end, format!("{comma} {}", one_line(call, arguments)));
    }
    let indent = indentation(text, offset(text, last.span().start()));
    let entry = multi_line(call, arguments, &indent);
    let close = if trailing { "," } else { "" };
    // After a comment that ends the last entry's line: the comment stays with its entry.
    let at = if trailing { line_end(text, end) } else { end };
    (at, format!("{comma}\n{indent}{entry}{close}"))
}

/// An entry in an empty list: on a line of its own, one indent deeper than the line of the
/// `vec![`.
fn append_first(
    text: &str,
    list: &VecList,
    call: &str,
    arguments: Option<&[String]>,
) -> (usize, String) {
    let (open, close) = delimiters(list);
    let outer = indentation(text, offset(text, open.start()));
    let indent = format!("{outer}    ");
    let entry = multi_line(call, arguments, &indent);
    // Whatever stood between the brackets (only whitespace or comments) is kept, above it.
    let close = offset(text, close.start());
    let start = line_start(text, close);
    if text[start..close].trim().is_empty() && start > offset(text, open.end()) {
        return (start, format!("{indent}{entry},\n"));
    }
    (close, format!("\n{indent}{entry},\n{outer}"))
}

/// The opening and closing delimiter of the `vec!` (`[…]`, or the rare `(…)` and `{…}`).
fn delimiters(list: &VecList) -> (Span, Span) {
    match &list.mac.delimiter {
        syn::MacroDelimiter::Bracket(d) => (d.span.open(), d.span.close()),
        syn::MacroDelimiter::Paren(d) => (d.span.open(), d.span.close()),
        syn::MacroDelimiter::Brace(d) => (d.span.open(), d.span.close()),
    }
}

fn one_line(call: &str, arguments: Option<&[String]>) -> String {
    match arguments {
        None => call.to_owned(),
        Some(arguments) => format!("{call}({})", arguments.join(", ")),
    }
}

fn multi_line(call: &str, arguments: Option<&[String]>, indent: &str) -> String {
    match arguments {
        None => call.to_owned(),
        Some(arguments) => {
            let mut out = format!("{call}(\n");
            for argument in arguments {
                out.push_str(&format!("{indent}    {argument},\n"));
            }
            out.push_str(indent);
            out.push(')');
            out
        }
    }
}

/// The whitespace that starts the line holding byte `at`.
fn indentation(text: &str, at: usize) -> String {
    let start = line_start(text, at);
    text[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

/// The end of the line holding byte `at` when the rest of it is blank or a line comment;
/// else `at` itself.
fn line_end(text: &str, at: usize) -> usize {
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let rest = text[at..end].trim_start();
    if rest.is_empty() || rest.starts_with("//") {
        end
    } else {
        at
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The byte offset of a line and column (in characters) of `text`.
fn offset(text: &str, position: LineColumn) -> usize {
    let mut line_start = 0;
    for _ in 1..position.line {
        line_start += text[line_start..].find('\n').map_or(0, |i| i + 1);
    }
    text[line_start..]
        .char_indices()
        .nth(position.column)
        .map_or(text.len(), |(i, _)| line_start + i)
}

/// `message`, at the line where `span` starts.
fn at(text: &str, span: Span, message: &str) -> String {
    let line = span.start().line;
    let source = text
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or("")
        .trim();
    format!("line {line} (`{source}`): {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-written `lib.rs` as sea-orm-cli writes it and people then edit.
    const HAND_WRITTEN: &str = "\
pub use sea_orm_migration::prelude::*;

mod entity; // frozen entities for the seed
mod m20220101_000001_create_bakery;
mod m20220101_000002_create_chef;
mod m20220101_000003_seed;
// mod m20220101_000004_abandoned;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20220101_000001_create_bakery::Migration),
            Box::new(m20220101_000002_create_chef::Migration),
            // Box::new(m20220101_000004_abandoned::Migration),
            Box::new(m20220101_000003_seed::Migration),
            /* Box::new(m20220101_000005_later::Migration), */
        ]
    }
}
";

    #[test]
    fn the_list_is_what_migrations_returns_without_commented_out_entries() {
        let list = read(HAND_WRITTEN).unwrap();
        assert_eq!(
            list.migrations,
            [
                "m20220101_000001_create_bakery",
                "m20220101_000002_create_chef",
                "m20220101_000003_seed"
            ]
        );
    }

    #[test]
    fn adding_a_migration_changes_no_other_byte() {
        let added = add(
            HAND_WRITTEN,
            Entry {
                name: "m20261201_000000_add_rating",
                generated: true,
                irreversible: false,
            },
        )
        .unwrap();
        let expected = HAND_WRITTEN
            .replace(
                "mod m20220101_000003_seed;\n",
                "mod m20220101_000003_seed;\n\n#[rustfmt::skip]\nmod m20261201_000000_add_rating;\n",
            )
            .replace(
                "            Box::new(m20220101_000003_seed::Migration),\n",
                "            Box::new(m20220101_000003_seed::Migration),\n            Box::new(m20261201_000000_add_rating::Migration),\n",
            );
        assert_eq!(added, expected);
        assert_eq!(
            read(&added).unwrap().migrations.last().unwrap(),
            "m20261201_000000_add_rating"
        );
    }

    #[test]
    fn a_one_line_list_without_trailing_comma_stays_on_one_line() {
        let text = "mod m20220101_000001_a;\nstruct Migrator;\nimpl MigratorTrait for Migrator {\n    fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        vec![Box::new(m20220101_000001_a::Migration)]\n    }\n}\n";
        let added = add(
            text,
            Entry {
                name: "m20220101_000002_b",
                generated: false,
                irreversible: false,
            },
        )
        .unwrap();
        assert!(added.starts_with("mod m20220101_000001_a;\nmod m20220101_000002_b;\nstruct"));
        assert!(added.contains(
            "vec![Box::new(m20220101_000001_a::Migration), Box::new(m20220101_000002_b::Migration)]"
        ));
    }

    #[test]
    fn an_empty_list_gets_its_first_entry_and_module() {
        let text = "pub use sea_orm_migration::prelude::*;\n\npub struct Migrator;\n\nimpl MigratorTrait for Migrator {\n    fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        vec![]\n    }\n}\n\npub fn generated() -> Vec<migration_ops::v1::Generated> {\n    vec![]\n}\n";
        let added = add(
            text,
            Entry {
                name: "m20220101_000001_a",
                generated: true,
                irreversible: false,
            },
        )
        .unwrap();
        assert_eq!(
            added,
            "pub use sea_orm_migration::prelude::*;\n\n#[rustfmt::skip]\nmod m20220101_000001_a;\n\npub struct Migrator;\n\nimpl MigratorTrait for Migrator {\n    fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        vec![\n            Box::new(m20220101_000001_a::Migration),\n        ]\n    }\n}\n\npub fn generated() -> Vec<migration_ops::v1::Generated> {\n    vec![\n        migration_ops::v1::Generated::new(\n            \"m20220101_000001_a\",\n            m20220101_000001_a::UP,\n            Some(m20220101_000001_a::DOWN),\n        ),\n    ]\n}\n"
        );
        assert_eq!(read(&added).unwrap().migrations, ["m20220101_000001_a"]);
    }

    #[test]
    fn a_list_in_parentheses_gets_its_entry_after_a_comma() {
        let text = "mod m20220101_000001_a;\nimpl MigratorTrait for Migrator {\n    fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        vec!(\n            Box::new(m20220101_000001_a::Migration)\n        )\n    }\n}\n";
        let added = add(
            text,
            Entry {
                name: "m20220101_000002_b",
                generated: false,
                irreversible: false,
            },
        )
        .unwrap();
        assert!(
            added.contains(
                "            Box::new(m20220101_000001_a::Migration),\n            Box::new(m20220101_000002_b::Migration)\n        )"
            ),
            "{added}"
        );
        assert_eq!(read(&added).unwrap().migrations.len(), 2);
    }

    #[test]
    fn an_entry_of_another_shape_is_named_with_its_line() {
        let text = "impl MigratorTrait for Migrator {\n    fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        vec![make()]\n    }\n}\n";
        let error = read(text).unwrap_err();
        assert!(error.starts_with("line 3 (`vec![make()]`)"), "{error}");
    }
}
