//! The integrity file `migration/migrations.sum`: a chained hash over the migration history,
//! on Atlas's `atlas.sum` model. Each line's hash covers its migration and every line before
//! it, so an edited, removed, reordered or inserted migration changes the file, and two
//! branches that each add a migration conflict on it in git instead of interleaving silently.
//!
//! A migration is hashed by what it does, not how it is written: its Rust tokens, with comments
//! and doc comments left out, so rustfmt, comments and CRLF line endings change nothing. The
//! hash is SHA-256; a file written before that, with 16-digit FNV-1a hashes, is still accepted
//! when its chain matches, and the next write (generating, `hash`) replaces it. Pure: text in,
//! text out.

mod tokens;

/// The file name, inside the migration crate's folder.
pub const FILE_NAME: &str = "migrations.sum";

const HEADER: &str = "# The integrity of the migration history, written by the generator: do not edit.\n\
# A merge conflict here means two branches each added a migration: merge, then generate again.\n";

/// One migration: its name and the hashes of its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// SHA-256 of the tokens, in hex.
    pub fingerprint: String,
    /// FNV-1a of the tokens, for comparing with a file of the earlier format.
    pub legacy: String,
}

impl Entry {
    /// The entry of migration `name` whose source is `source`.
    pub fn new(name: &str, source: &str) -> Result<Entry, String> {
        let tokens = token_text(source)?;
        Ok(Entry {
            name: name.to_owned(),
            fingerprint: migration_ops::sha256_hex(tokens.as_bytes()),
            legacy: format!("{:016x}", migration_ops::fnv1a64(&tokens)),
        })
    }
}

/// A migration's source as the text its fingerprints hash: its tokens, without comments and
/// without the trailing commas rustfmt adds or removes.
fn token_text(source: &str) -> Result<String, String> {
    match tokens::token_text(source) {
        Some(text) => Ok(text),
        None => proc_macro2_token_text(source),
    }
}

/// [`token_text`] through proc_macro2, which reads any Rust.
fn proc_macro2_token_text(source: &str) -> Result<String, String> {
    // Lexing is enough (comments are not tokens) and much cheaper than parsing.
    let tokens: proc_macro2::TokenStream = source
        .parse()
        .map_err(|e| format!("not valid Rust tokens: {e:?}"))?;
    let mut text = String::new();
    write_tokens(tokens, &mut text);
    Ok(text)
}

/// Tokens as text, one space apart, leaving out doc comments (`#[doc = …]`, `#![doc = …]`)
/// and a comma right before a closing delimiter.
fn write_tokens(tokens: proc_macro2::TokenStream, out: &mut String) {
    use proc_macro2::{Delimiter, TokenTree};
    // Each tree is taken out of the list before its group's stream is read: a stream shared
    // with a tree still alive is copied whole when iterated, at every level of nesting.
    let mut trees: Vec<Option<TokenTree>> = tokens.into_iter().map(Some).collect();
    let is_doc = |tree: Option<&Option<TokenTree>>| {
        matches!(tree, Some(Some(TokenTree::Group(group)))
            if group.delimiter() == Delimiter::Bracket
                && matches!(group.stream().into_iter().next(), Some(TokenTree::Ident(ident)) if ident == "doc"))
    };
    let is_punct = |tree: Option<&Option<TokenTree>>, c: char| matches!(tree, Some(Some(TokenTree::Punct(punct))) if punct.as_char() == c);
    let last = trees.len();
    let mut at = 0;
    while at < last {
        if is_punct(trees.get(at), '#') {
            if is_doc(trees.get(at + 1)) {
                at += 2;
                continue;
            }
            if is_punct(trees.get(at + 1), '!') && is_doc(trees.get(at + 2)) {
                at += 3;
                continue;
            }
        }
        let tree = trees[at].take().expect("each tree is written once");
        at += 1;
        match tree {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                out.push_str(open);
                let stream = group.stream();
                drop(group);
                write_tokens(stream, out);
                out.push_str(close);
            }
            TokenTree::Punct(punct) if punct.as_char() == ',' && at == last => continue,
            TokenTree::Punct(punct) => out.push(punct.as_char()),
            // Written in place: a `to_string` per token was most of the time on large files.
            other => {
                use std::fmt::Write as _;
                let _ = write!(out, "{other}");
            }
        }
        out.push(' ');
    }
}

/// The text of the integrity file for `entries`, oldest first.
pub fn print(entries: &[Entry]) -> String {
    print_with(
        entries,
        |entry| &entry.fingerprint,
        |text| migration_ops::sha256_hex(text.as_bytes()),
    )
}

/// The file as the earlier format (FNV-1a) wrote it, to accept one that is still intact.
fn print_legacy(entries: &[Entry]) -> String {
    print_with(
        entries,
        |entry| &entry.legacy,
        |text| format!("{:016x}", migration_ops::fnv1a64(text)),
    )
}

fn print_with(
    entries: &[Entry],
    fingerprint: impl Fn(&Entry) -> &String,
    hash: impl Fn(&str) -> String,
) -> String {
    let mut chained = String::new();
    let mut lines = Vec::new();
    for entry in entries {
        chained = hash(&format!(
            "{chained}\n{}\n{}",
            entry.name,
            fingerprint(entry)
        ));
        lines.push(format!("{} {chained}\n", entry.name));
    }
    let total = if chained.is_empty() {
        "-".to_owned()
    } else {
        chained
    };
    format!("{HEADER}total {total}\n{}", lines.concat())
}

/// Whether `text` is an integrity file of the earlier, FNV-1a format.
pub fn is_legacy(text: &str) -> bool {
    text.lines()
        .find_map(|line| line.strip_prefix("total "))
        .is_some_and(|total| total.len() == 16)
}

/// Checks that `text` has the integrity file's shape: the header, a `total` line, then one
/// `name hash` line per migration.
pub fn parse_check(text: &str) -> Result<(), String> {
    let mut lines = text.lines().filter(|line| !line.starts_with('#'));
    match lines.next() {
        Some(total) if total.starts_with("total ") => {}
        _ => return Err("it has no `total` line: it is not an integrity file".to_owned()),
    }
    for line in lines {
        let valid = line.split_once(' ').is_some_and(|(name, hash)| {
            !name.is_empty()
                && (hash.len() == 64 || hash.len() == 16)
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !valid {
            return Err(format!("line {line:?} is not `migration hash`"));
        }
    }
    Ok(())
}

/// What differs between the recorded integrity file and the migrations as they are now, in
/// one line per finding; empty when they agree.
pub fn compare(recorded: &str, entries: &[Entry]) -> Vec<String> {
    let expected = if is_legacy(recorded) {
        print_legacy(entries)
    } else {
        print(entries)
    };
    if recorded.replace("\r\n", "\n") == expected {
        return Vec::new();
    }
    let names = |text: &str| -> Vec<(String, String)> {
        text.lines()
            .filter(|line| !line.starts_with('#') && !line.starts_with("total "))
            .filter_map(|line| line.split_once(' '))
            .map(|(name, hash)| (name.to_owned(), hash.to_owned()))
            .collect()
    };
    let (before, now) = (names(recorded), names(&expected));
    let mut findings = Vec::new();
    for (name, _) in &before {
        if !now.iter().any(|(n, _)| n == name) {
            findings.push(format!("migration {name} was removed"));
        }
    }
    for (name, _) in &now {
        if !before.iter().any(|(n, _)| n == name) {
            findings.push(format!("migration {name} is not in {FILE_NAME}"));
        }
    }
    let order = |list: &[(String, String)], other: &[(String, String)]| -> Vec<String> {
        list.iter()
            .filter(|(n, _)| other.iter().any(|(o, _)| o == n))
            .map(|(n, _)| n.clone())
            .collect()
    };
    if findings.is_empty() && order(&before, &now) != order(&now, &before) {
        findings.push("the migrations are in another order than recorded".to_owned());
    }
    if findings.is_empty() {
        // Same names, same order: the first line whose chained hash differs was edited.
        match before.iter().zip(&now).find(|(b, n)| b.1 != n.1) {
            Some(((name, _), _)) => findings.push(format!("migration {name} was edited")),
            None => findings.push(format!("{FILE_NAME} was edited by hand")),
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "//! A migration.\npub const UP: &[u8] = &[1, 2];\nfn f() -> u8 { 1 }\n";

    fn entries(pairs: &[(&str, &str)]) -> Vec<Entry> {
        pairs
            .iter()
            .map(|(name, source)| Entry::new(name, source).unwrap())
            .collect()
    }

    #[test]
    fn formatting_comments_and_line_endings_do_not_change_a_fingerprint() {
        let reformatted =
            "pub const UP: &[u8] = &[\n    1,\n    2,\n];\n\n// a note\nfn f() -> u8 {\n    1\n}\n";
        let crlf = SOURCE.replace('\n', "\r\n");
        let documented = SOURCE.replace("fn f", "/// Docs.\nfn f");
        let fingerprint = |source: &str| Entry::new("m", source).unwrap();
        for variant in [reformatted, crlf.as_str(), documented.as_str()] {
            assert_eq!(fingerprint(variant), fingerprint(SOURCE), "{variant:?}");
        }
        assert_ne!(
            fingerprint(&SOURCE.replace("2]", "3]")),
            fingerprint(SOURCE)
        );
    }

    #[test]
    fn a_file_that_is_not_an_integrity_file_is_told_apart() {
        let history = entries(&[("m1", SOURCE)]);
        assert_eq!(parse_check(&print(&history)), Ok(()));
        assert_eq!(parse_check(&print(&[])), Ok(()));
        assert!(parse_check("<<<<<<< HEAD\n").is_err());
        assert!(parse_check("total 0\nm1 xyz\n").is_err());
    }

    #[test]
    fn every_kind_of_tampering_is_named() {
        let history = entries(&[("m1", SOURCE), ("m2", "fn g() {}"), ("m3", "fn h() {}")]);
        let recorded = print(&history);
        assert!(compare(&recorded, &history).is_empty());
        assert!(compare(&recorded.replace('\n', "\r\n"), &history).is_empty());

        let edited = entries(&[("m1", SOURCE), ("m2", "fn g() { 1; }"), ("m3", "fn h() {}")]);
        assert_eq!(compare(&recorded, &edited), ["migration m2 was edited"]);
        let removed = entries(&[("m1", SOURCE), ("m3", "fn h() {}")]);
        assert_eq!(compare(&recorded, &removed), ["migration m2 was removed"]);
        let reordered = entries(&[("m2", "fn g() {}"), ("m1", SOURCE), ("m3", "fn h() {}")]);
        assert_eq!(
            compare(&recorded, &reordered),
            ["the migrations are in another order than recorded"]
        );
        let inserted = entries(&[
            ("m1", SOURCE),
            ("m1b", "fn i() {}"),
            ("m2", "fn g() {}"),
            ("m3", "fn h() {}"),
        ]);
        assert_eq!(
            compare(&recorded, &inserted),
            ["migration m1b is not in migrations.sum"]
        );
    }

    #[test]
    fn a_file_of_the_earlier_fnv_format_is_accepted_while_intact_and_printed_anew() {
        let history = entries(&[("m1", SOURCE), ("m2", "fn g() {}")]);
        let legacy = print_legacy(&history);
        assert!(is_legacy(&legacy) && !is_legacy(&print(&history)));
        assert_eq!(parse_check(&legacy), Ok(()));
        assert!(compare(&legacy, &history).is_empty());
        let edited = entries(&[("m1", SOURCE), ("m2", "fn g() { 1; }")]);
        assert_eq!(compare(&legacy, &edited), ["migration m2 was edited"]);
        // What the shipped history recorded in that format, pinned.
        let shipped = include_str!("../../migration/src/m20261127_180000_create_posts.rs");
        let shipped = entries(&[("m20261127_180000_create_posts", shipped)]);
        assert_eq!(
            print_legacy(&shipped).lines().nth(2),
            Some("total d0c6b08ac9acbe68")
        );
        assert!(print(&shipped).lines().nth(2).unwrap().len() == "total ".len() + 64);
    }
}
