//! A migration's token text without proc_macro2, for the files the generator writes: the same
//! text [`super::token_text`] makes through proc_macro2, at a fraction of the cost on a large
//! file. It reads a plain subset of Rust (ASCII identifiers, numbers, string literals without
//! a suffix, punctuation, line comments) and answers `None` on anything else (raw strings,
//! chars and lifetimes, block comments, non-ASCII outside strings, a float like `1.`), so the
//! caller falls back to proc_macro2: it never answers a different text.

/// One token, shaped as proc_macro2 lexes it.
enum Token<'a> {
    Punct(u8),
    /// An identifier or a literal, as written.
    Text(&'a str),
    Group(u8, Vec<Token<'a>>),
}

/// The token text of `source`, or `None` when it is outside the subset read here.
pub(super) fn token_text(source: &str) -> Option<String> {
    let mut lexer = Lexer {
        bytes: source.as_bytes(),
        source,
        at: 0,
    };
    let tokens = lexer.group(None)?;
    let mut out = String::with_capacity(source.len());
    write(&tokens, &mut out);
    Some(out)
}

struct Lexer<'a> {
    bytes: &'a [u8],
    source: &'a str,
    at: usize,
}

impl<'a> Lexer<'a> {
    /// The tokens up to `close` (or the end of the source, for `None`), consumed.
    fn group(&mut self, close: Option<u8>) -> Option<Vec<Token<'a>>> {
        let mut tokens = Vec::new();
        loop {
            let Some(&byte) = self.bytes.get(self.at) else {
                return close.is_none().then_some(tokens);
            };
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' => self.at += 1,
                b'/' if self.bytes.get(self.at + 1) == Some(&b'/') => self.comment(&mut tokens)?,
                b'/' if self.bytes.get(self.at + 1) == Some(&b'*') => return None,
                b'(' | b'[' | b'{' => {
                    self.at += 1;
                    let closing = match byte {
                        b'(' => b')',
                        b'[' => b']',
                        _ => b'}',
                    };
                    let inner = self.group(Some(closing))?;
                    tokens.push(Token::Group(byte, inner));
                }
                b')' | b']' | b'}' => {
                    self.at += 1;
                    return (close == Some(byte)).then_some(tokens);
                }
                b'"' => tokens.push(Token::Text(self.string()?)),
                b'0'..=b'9' => tokens.push(Token::Text(self.number()?)),
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    let start = self.at;
                    self.at = self.word_end(self.at);
                    let word = &self.source[start..self.at];
                    // Raw identifiers, raw strings, byte strings and C strings: not read here.
                    if matches!(self.bytes.get(self.at), Some(b'#' | b'"' | b'\''))
                        && matches!(word, "r" | "b" | "br" | "c" | "cr")
                    {
                        return None;
                    }
                    tokens.push(Token::Text(word));
                }
                b'~' | b'!' | b'@' | b'#' | b'$' | b'%' | b'^' | b'&' | b'*' | b'-' | b'='
                | b'+' | b'|' | b';' | b':' | b',' | b'<' | b'.' | b'>' | b'/' | b'?' => {
                    self.at += 1;
                    tokens.push(Token::Punct(byte));
                }
                _ => return None,
            }
        }
    }

    /// A line comment; a doc comment (`///` but not `////`, or `//!`) becomes the attribute
    /// proc_macro2 makes of it, `#[doc …]` or `#![doc …]`, which the writer leaves out.
    fn comment(&mut self, tokens: &mut Vec<Token<'a>>) -> Option<()> {
        let rest = &self.bytes[self.at..];
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = &rest[..end];
        // proc_macro2 refuses a bare CR inside a doc comment; leave such files to it.
        if line.contains(&b'\r') && !line.ends_with(b"\r") {
            return None;
        }
        let outer = line.starts_with(b"///") && !line.starts_with(b"////");
        let inner = line.starts_with(b"//!");
        if outer || inner {
            tokens.push(Token::Punct(b'#'));
            if inner {
                tokens.push(Token::Punct(b'!'));
            }
            tokens.push(Token::Group(b'[', vec![Token::Text("doc")]));
        }
        self.at += end;
        Some(())
    }

    fn word_end(&self, mut at: usize) -> usize {
        while matches!(
            self.bytes.get(at),
            Some(b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_')
        ) {
            at += 1;
        }
        at
    }

    /// A string literal with its quotes, as written; `None` with a suffix or an unknown escape.
    fn string(&mut self) -> Option<&'a str> {
        let start = self.at;
        self.at += 1;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => break,
                b'\\' => {
                    match *self.bytes.get(self.at + 1)? {
                        b'n' | b'r' | b't' | b'\\' | b'0' | b'"' | b'\'' | b'x' | b'u' => {}
                        _ => return None,
                    }
                    self.at += 2;
                }
                b'\r' => return None,
                _ => self.at += 1,
            }
        }
        self.at += 1;
        if matches!(
            self.bytes.get(self.at),
            Some(b'a'..=b'z' | b'A'..=b'Z' | b'_')
        ) {
            return None;
        }
        Some(&self.source[start..self.at])
    }

    /// An integer, or a float written `1.5` (digits on both sides, no exponent), with any
    /// suffix; `None` for anything proc_macro2 might read otherwise.
    fn number(&mut self) -> Option<&'a str> {
        let start = self.at;
        self.at = self.word_end(self.at);
        let word = &self.source[start..self.at];
        if word.contains(['e', 'E']) && !word.starts_with("0x") {
            return None;
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            match self.bytes.get(self.at + 1) {
                Some(b'0'..=b'9') if word.bytes().all(|b| b.is_ascii_digit() || b == b'_') => {
                    self.at = self.word_end(self.at + 1);
                    let fraction = &self.source[start..self.at];
                    if fraction.contains(['e', 'E']) || self.bytes.get(self.at) == Some(&b'.') {
                        return None;
                    }
                    return Some(fraction);
                }
                // `1..2`, `1.method()`: the integer alone, as proc_macro2 reads it.
                Some(b'.' | b'a'..=b'z' | b'A'..=b'Z' | b'_') => {}
                // `1.` is a float to proc_macro2.
                _ => return None,
            }
        }
        Some(word)
    }
}

/// The text of `tokens` as [`super::write_tokens`] writes proc_macro2's.
fn write(tokens: &[Token], out: &mut String) {
    let is_doc = |token: Option<&Token>| matches!(token, Some(Token::Group(b'[', inner)) if matches!(inner.first(), Some(Token::Text("doc"))));
    let is_punct = |token: Option<&Token>, c: u8| matches!(token, Some(Token::Punct(p)) if *p == c);
    let last = tokens.len();
    let mut at = 0;
    while at < last {
        if is_punct(tokens.get(at), b'#') {
            if is_doc(tokens.get(at + 1)) {
                at += 2;
                continue;
            }
            if is_punct(tokens.get(at + 1), b'!') && is_doc(tokens.get(at + 2)) {
                at += 3;
                continue;
            }
        }
        let token = &tokens[at];
        at += 1;
        match token {
            Token::Group(open, inner) => {
                let close = match open {
                    b'(' => ')',
                    b'[' => ']',
                    _ => '}',
                };
                out.push(*open as char);
                write(inner, out);
                out.push(close);
            }
            Token::Punct(b',') if at == last => continue,
            Token::Punct(p) => out.push(*p as char),
            Token::Text(text) => out.push_str(text),
        }
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::token_text;
    use crate::integrity::proc_macro2_token_text;

    /// Every `.rs` file under `dir`, `target` left out.
    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("target") && !path.ends_with(".git") {
                    rust_files(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_rust_file_of_the_workspace_gets_proc_macro2s_text_or_none() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        let mut read = 0;
        for path in &files {
            let source = std::fs::read_to_string(path).unwrap();
            let Some(fast) = token_text(&source) else {
                continue;
            };
            read += 1;
            let slow = proc_macro2_token_text(&source).unwrap();
            assert!(fast == slow, "{} reads differently", path.display());
        }
        // The generated migrations and the golden files are all read without proc_macro2.
        for path in files.iter().filter(|p| {
            p.components().any(|c| c.as_os_str() == "golden")
                || (p.parent().is_some_and(|d| d.ends_with("migration/src"))
                    && p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("m2")))
        }) {
            let source = std::fs::read_to_string(path).unwrap();
            assert!(token_text(&source).is_some(), "{}", path.display());
        }
        assert!(read > 50, "only {read} of {} files read", files.len());
    }

    #[test]
    fn tricky_tokens_get_proc_macro2s_text_or_none() {
        for source in [
            "fn f() { x.0.1; 1..2; 1.max(2); 1.5f32; 0xE5; 1_000u64; a, }",
            "/// doc\nfn f(a: u8, /// trailing doc\n) {}",
            "f(a, //! inner doc\n)",
            "//! inner\n#![doc = \"x\"]\n#[doc(hidden)]\nstruct S;",
            "const A: &str = \"a \\\" \\u{1F600} é \\n\";",
            "//// not a doc\nfn f() {} // end",
            "let t = (1, 2,); let v = [a, b,]; f(x,)",
            "1.;",
            "'a: loop {}",
            "r#type",
            "b\"x\"",
            "/* block */ x",
            "1e5",
            "\"abc\"suffix",
            "(]",
            "é",
        ] {
            match (token_text(source), proc_macro2_token_text(source)) {
                (Some(fast), Ok(slow)) => assert_eq!(fast, slow, "{source}"),
                (Some(fast), Err(error)) => {
                    panic!("{source}: read as {fast:?}, proc_macro2 refuses: {error}")
                }
                (None, _) => {}
            }
        }
    }
}
