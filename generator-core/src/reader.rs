//! Reading migration files back: evaluates the `UP` and `DOWN` data of a generated migration
//! (the subset of Rust that `render` writes: the `migration_ops::v1` builders, variants and
//! literals) into v1 operations, without compiling it. `sql` and `status` use it to show and
//! check what migrations run, and `check` to replay the history. Pure: source text in, data out.
//!
//! It lexes that subset itself (comments, attributes and every other item are skipped as
//! tokens) and reads each value straight from the tokens, without a syntax tree: `syn` took
//! about 20 times as long on a 1,000-table migration (1.8 MB), more than all of `check` may
//! take.

use std::borrow::Cow;

use migration_ops::schema::{self, Owned};

use crate::lower::Op;
use crate::model::{
    Action, Check, CheckRule, Column, ColumnType, DefaultValue, ForeignKey, Index, Len, Limit,
    Table,
};

/// The data of one migration file: `None` for a hand-written one (no `UP` constant).
pub struct MigrationData {
    pub up: Vec<Op>,
    /// `None` when the migration cannot be undone.
    pub down: Option<Vec<Op>>,
}

/// Reads `UP` and `DOWN` from a migration's source; `Ok(None)` for a hand-written migration.
pub fn read(source: &str) -> Result<Option<MigrationData>, String> {
    let (up, down) = constants(source, true)?;
    Ok(up.map(|up| MigrationData { up, down }))
}

/// Reads `UP` alone (what replaying the history needs); `Ok(None)` for a hand-written
/// migration.
pub fn read_up(source: &str) -> Result<Option<Vec<Op>>, String> {
    Ok(constants(source, false)?.0)
}

type Ops = Vec<Op>;

/// The operations of the top-level constants `UP` and (when `down`) `DOWN`.
fn constants(source: &str, down: bool) -> Result<(Option<Ops>, Option<Ops>), String> {
    let mut lexer = Lexer::new(source);
    let (mut up, mut down_ops) = (None, None);
    let mut depth = 0usize;
    while let Some(token) = lexer.next()? {
        match token {
            Token::Punct(b'{' | b'(' | b'[') => depth += 1,
            Token::Punct(b'}' | b')' | b']') => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| lexer.error("unbalanced delimiters"))?;
            }
            Token::Ident("const") if depth == 0 => {
                let name = match lexer.next()? {
                    Some(Token::Ident(name)) => name,
                    _ => continue,
                };
                if name != "UP" && (name != "DOWN" || !down) {
                    continue;
                }
                // The type, up to the `=` outside its brackets.
                let mut nested = 0usize;
                loop {
                    match lexer.next()? {
                        Some(Token::Punct(b'[' | b'(' | b'<')) => nested += 1,
                        Some(Token::Punct(b']' | b')' | b'>')) => {
                            nested = nested.saturating_sub(1);
                        }
                        Some(Token::Punct(b'=')) if nested == 0 => break,
                        Some(_) => {}
                        None => return Err(lexer.error(&format!("`const {name}` has no value"))),
                    }
                }
                let ops = operations(&mut lexer)?;
                if lexer.next()? != Some(Token::Punct(b';')) {
                    return Err(lexer.error(&format!("`const {name}` does not end with `;`")));
                }
                if name == "UP" {
                    up = Some(ops);
                    if !down {
                        break;
                    }
                } else {
                    down_ops = Some(ops);
                }
            }
            _ => {}
        }
    }
    Ok((up, down_ops))
}

/// The operations of `&[op, …]`.
fn operations(lexer: &mut Lexer) -> Result<Ops, String> {
    lexer.list(op)
}

// --- lexing ------------------------------------------------------------------------------

/// A token of the subset read. Character literals and lifetimes are skipped as [`Token::Other`].
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Ident(&'a str),
    /// A string literal's value, escapes resolved.
    Str(Cow<'a, str>),
    /// An integer literal as written, suffix included.
    Int(&'a str),
    Punct(u8),
    Other,
}

struct Lexer<'a> {
    source: &'a str,
    at: usize,
    peeked: Option<Token<'a>>,
}

impl<'a> Lexer<'a> {
    fn new(source: &'a str) -> Self {
        Lexer {
            source,
            at: 0,
            peeked: None,
        }
    }

    /// The line the lexer is on, counting from 1.
    fn line(&self) -> usize {
        self.source.as_bytes()[..self.at.min(self.source.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    /// `not valid Rust at line N: {what}`.
    fn error(&self, what: &str) -> String {
        format!("not valid Rust at line {}: {what}", self.line())
    }

    fn peek(&mut self) -> Result<Option<&Token<'a>>, String> {
        if self.peeked.is_none() {
            self.peeked = self.lex()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn next(&mut self) -> Result<Option<Token<'a>>, String> {
        match self.peeked.take() {
            Some(token) => Ok(Some(token)),
            None => self.lex(),
        }
    }

    fn lex(&mut self) -> Result<Option<Token<'a>>, String> {
        let bytes = self.source.as_bytes();
        loop {
            let Some(&b) = bytes.get(self.at) else {
                return Ok(None);
            };
            match b {
                b if b.is_ascii_whitespace() => self.at += 1,
                b'/' if bytes.get(self.at + 1) == Some(&b'/') => {
                    self.at = memchr(b'\n', bytes, self.at).unwrap_or(bytes.len());
                }
                b'/' if bytes.get(self.at + 1) == Some(&b'*') => self.block_comment()?,
                _ => break,
            }
        }
        let start = self.at;
        let b = bytes[start];
        let token = match b {
            b'"' => {
                self.at += 1;
                Token::Str(self.string_literal()?)
            }
            b'r' if bytes.get(start + 1) == Some(&b'"')
                || bytes.get(start + 1) == Some(&b'#')
                    && matches!(bytes.get(start + 2), Some(b'"' | b'#')) =>
            {
                Token::Str(Cow::Borrowed(self.raw_string()?))
            }
            // Byte and C string literals (`b"…"`, `br"…"`, `c"…"`, `b'…'`): not migration data,
            // but a hand-written migration may hold them; skipped.
            b'b' | b'c' if self.literal_prefix(start) => {
                self.at += 1;
                match bytes[self.at] {
                    b'"' => {
                        // To the closing quote, stepping over each escaped character.
                        self.at += 1;
                        loop {
                            match bytes.get(self.at) {
                                None => return Err(self.error("unterminated string")),
                                Some(b'\\') => self.at += 2,
                                Some(b'"') => break,
                                Some(_) => self.at += 1,
                            }
                        }
                        self.at += 1;
                    }
                    b'\'' => self.char_or_lifetime()?,
                    _ => {
                        self.raw_string()?;
                    }
                }
                Token::Other
            }
            b'\'' => {
                self.char_or_lifetime()?;
                Token::Other
            }
            b'0'..=b'9' => {
                self.at += bytes[start..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                Token::Int(&self.source[start..self.at])
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let ascii = bytes[start..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                if bytes.get(start + ascii).is_none_or(u8::is_ascii) {
                    self.at += ascii;
                    return Ok(Some(Token::Ident(&self.source[start..self.at])));
                }
                self.identifier(start)
            }
            0x80.. => self.identifier(start),
            _ => {
                self.at += 1;
                Token::Punct(b)
            }
        };
        Ok(Some(token))
    }

    /// An identifier with non-ASCII characters, or a character that starts none (skipped).
    fn identifier(&mut self, start: usize) -> Token<'a> {
        let rest = &self.source[start..];
        let len = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(rest.len(), |(at, _)| at);
        if len == 0 {
            // Not an identifier (a byte-order mark, say): skipped.
            self.at += rest.chars().next().map_or(1, char::len_utf8);
            return Token::Other;
        }
        self.at += len;
        Token::Ident(&self.source[start..self.at])
    }

    /// Whether the `b` or `c` at `at` starts a byte or C string or character literal.
    fn literal_prefix(&self, at: usize) -> bool {
        let bytes = self.source.as_bytes();
        matches!(
            (bytes[at], bytes.get(at + 1), bytes.get(at + 2)),
            (_, Some(b'"'), _) | (b'b', Some(b'\''), _) | (_, Some(b'r'), Some(b'"' | b'#'))
        )
    }

    fn block_comment(&mut self) -> Result<(), String> {
        let bytes = self.source.as_bytes();
        let mut depth = 0usize;
        while self.at < bytes.len() {
            match (bytes[self.at], bytes.get(self.at + 1)) {
                (b'/', Some(b'*')) => {
                    depth += 1;
                    self.at += 2;
                }
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    self.at += 2;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => self.at += 1,
            }
        }
        Err(self.error("unterminated block comment"))
    }

    /// The value of the string literal whose opening quote was just read.
    fn string_literal(&mut self) -> Result<Cow<'a, str>, String> {
        let bytes = self.source.as_bytes();
        let start = self.at;
        // Most strings hold no escape (nor a CRLF, read as LF): borrowed as they are.
        let end = bytes[start..]
            .iter()
            .position(|b| matches!(b, b'"' | b'\\' | b'\r'))
            .map(|at| start + at)
            .ok_or_else(|| self.error("unterminated string"))?;
        if bytes[end] == b'"' {
            self.at = end + 1;
            return Ok(Cow::Borrowed(&self.source[start..end]));
        }
        let mut value = String::from(&self.source[start..end]);
        self.at = end;
        let mut chars = self.source[end..].chars();
        loop {
            let c = chars
                .next()
                .ok_or_else(|| self.error("unterminated string"))?;
            match c {
                '"' => break,
                '\\' => {
                    let escape = chars
                        .next()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    match escape {
                        'n' => value.push('\n'),
                        'r' => value.push('\r'),
                        't' => value.push('\t'),
                        '\\' => value.push('\\'),
                        '0' => value.push('\0'),
                        '\'' => value.push('\''),
                        '"' => value.push('"'),
                        'x' => {
                            let hex: String = chars.by_ref().take(2).collect();
                            let code = u8::from_str_radix(&hex, 16)
                                .ok()
                                .filter(u8::is_ascii)
                                .ok_or_else(|| self.error("bad \\x escape"))?;
                            value.push(char::from(code));
                        }
                        'u' => {
                            let rest = chars.as_str();
                            let close = rest
                                .find('}')
                                .filter(|_| rest.starts_with('{'))
                                .ok_or_else(|| self.error("bad \\u escape"))?;
                            let code = u32::from_str_radix(&rest[1..close].replace('_', ""), 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.error("bad \\u escape"))?;
                            value.push(code);
                            chars = rest[close + 1..].chars();
                        }
                        '\n' | '\r' => {
                            // A line continuation: the line break and the indentation after it.
                            let rest = chars.as_str();
                            chars = rest.trim_start_matches([' ', '\t', '\n', '\r']).chars();
                        }
                        other => return Err(self.error(&format!("unknown escape \\{other}"))),
                    }
                }
                '\r' if chars.as_str().starts_with('\n') => {}
                c => value.push(c),
            }
        }
        self.at = self.source.len() - chars.as_str().len();
        Ok(Cow::Owned(value))
    }

    /// The value of a raw string literal `r"…"` / `r#"…"#` starting here.
    fn raw_string(&mut self) -> Result<&'a str, String> {
        let rest = &self.source[self.at + 1..];
        let hashes = rest.bytes().take_while(|b| *b == b'#').count();
        if rest.as_bytes().get(hashes) != Some(&b'"') {
            return Err(self.error("bad raw string"));
        }
        let body = &rest[hashes + 1..];
        let close = format!("\"{}", "#".repeat(hashes));
        let end = body
            .find(&close)
            .ok_or_else(|| self.error("unterminated raw string"))?;
        self.at = self.source.len() - body.len() + end + close.len();
        Ok(&body[..end])
    }

    /// Skips a character literal or a lifetime starting at this quote.
    fn char_or_lifetime(&mut self) -> Result<(), String> {
        let rest = &self.source[self.at + 1..];
        let mut chars = rest.char_indices();
        match chars.next() {
            Some((_, '\\')) => {
                let end = rest[1..]
                    .find('\'')
                    .ok_or_else(|| self.error("unterminated character literal"))?;
                self.at += 1 + 1 + end + 1;
            }
            Some((_, c)) if rest[c.len_utf8()..].starts_with('\'') => {
                self.at += 1 + c.len_utf8() + 1;
            }
            Some(_) => {
                let len = rest
                    .char_indices()
                    .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
                    .map_or(rest.len(), |(at, _)| at);
                self.at += 1 + len;
            }
            None => return Err(self.error("a lone quote")),
        }
        Ok(())
    }
}

fn memchr(needle: u8, bytes: &[u8], from: usize) -> Option<usize> {
    bytes[from..]
        .iter()
        .position(|b| *b == needle)
        .map(|at| from + at)
}

// --- reading values ----------------------------------------------------------------------
//
// Each function reads one kind of value straight from the tokens, as `render` writes it:
// builder calls (`column("id", ColumnType::Integer)`) with their chained methods
// (`.null()`), variants (`Len::N(200)`, `Change::RenameColumn { from: …, to: … }`), lists
// (`&[…]`) and literals. No syntax tree is built: reading a large file allocates little more
// than the data it returns.

/// The text of a token, for error messages.
fn show(token: Option<&Token>) -> String {
    match token {
        None => "the end of the file".to_owned(),
        Some(Token::Ident(name)) => format!("`{name}`"),
        Some(Token::Str(value)) => format!("`{value:?}`"),
        Some(Token::Int(text)) => format!("`{text}`"),
        Some(Token::Punct(p)) => format!("`{}`", char::from(*p)),
        Some(Token::Other) => "a character or lifetime literal".to_owned(),
    }
}

/// A path (`ColumnType::Integer`): its text and its last segment.
struct Path<'a> {
    text: &'a str,
    last: &'a str,
}

impl<'a> Lexer<'a> {
    /// `at line N: expected {what}, found {the next token}`.
    fn expected(&mut self, what: &str) -> String {
        let found = show(self.peek().ok().flatten());
        format!("at line {}: expected {what}, found {found}", self.line())
    }

    /// `at line N: expected {what}, found `{path}``.
    fn unexpected(&self, path: &Path, what: &str) -> String {
        format!(
            "at line {}: expected {what}, found `{}`",
            self.line(),
            path.text
        )
    }

    /// Takes `punct` if it comes next.
    fn eat(&mut self, punct: u8) -> Result<bool, String> {
        if self.peek()? == Some(&Token::Punct(punct)) {
            self.next()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn punct(&mut self, punct: u8) -> Result<(), String> {
        if self.eat(punct)? {
            return Ok(());
        }
        Err(self.expected(&format!("`{}`", char::from(punct))))
    }

    /// The `)` (or `]`, `}`) that closes a list, after an optional trailing comma.
    fn close(&mut self, punct: u8) -> Result<(), String> {
        self.eat(b',')?;
        self.punct(punct)
    }

    fn path(&mut self, what: &str) -> Result<Path<'a>, String> {
        let Some(Token::Ident(first)) = self.peek()? else {
            return Err(self.expected(what));
        };
        let first = *first;
        self.next()?;
        // `at` is just past the token taken last (nothing was peeked after it).
        let (start, mut end) = (self.at - first.len(), self.at);
        let mut last = first;
        while self.eat(b':')? {
            self.punct(b':')?;
            match self.next()? {
                Some(Token::Ident(segment)) => (last, end) = (segment, self.at),
                _ => return Err(self.error("expected a name after `::`")),
            }
        }
        Ok(Path {
            text: &self.source[start..end],
            last,
        })
    }

    /// A string literal.
    fn string(&mut self) -> Result<String, String> {
        match self.peek()? {
            Some(Token::Str(_)) => match self.next()? {
                Some(Token::Str(value)) => Ok(value.into_owned()),
                _ => unreachable!("peeked a string"),
            },
            _ => Err(self.expected("a string")),
        }
    }

    fn number<N: std::str::FromStr>(&mut self) -> Result<N, String>
    where
        N::Err: std::fmt::Display,
    {
        let Some(Token::Int(text)) = self.peek()? else {
            return Err(self.expected("a number"));
        };
        // Digits and `_`, then an optional type suffix (`200u64`).
        let digits: String = text
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '_')
            .filter(|c| *c != '_')
            .collect();
        let value = digits
            .parse()
            .map_err(|e: N::Err| format!("at line {}: {e}", self.line()))?;
        self.next()?;
        Ok(value)
    }

    fn boolean(&mut self) -> Result<bool, String> {
        let value = match self.peek()? {
            Some(Token::Ident("true")) => true,
            Some(Token::Ident("false")) => false,
            _ => return Err(self.expected("true or false")),
        };
        self.next()?;
        Ok(value)
    }

    /// `&[a, b, …]` (the `&` optional), each item read by `item`.
    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        self.eat(b'&')?;
        if !self.eat(b'[')? {
            return Err(self.expected("a list `&[…]`"));
        }
        let mut items = Vec::new();
        while !self.eat(b']')? {
            items.push(item(self)?);
            if !self.eat(b',')? {
                self.punct(b']')?;
                break;
            }
        }
        Ok(items)
    }

    fn strings(&mut self) -> Result<Vec<String>, String> {
        self.list(Self::string)
    }

    /// `Some(x)` → `Some(f(x))`, `None` → `None`.
    fn option<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        let path = self.path("Some(…) or None")?;
        match path.last {
            "None" => Ok(None),
            "Some" => {
                self.punct(b'(')?;
                let value = f(self)?;
                self.close(b')')?;
                Ok(Some(value))
            }
            _ => Err(self.unexpected(&path, "Some(…) or None")),
        }
    }

    /// `(a, b, …)` after a call's name, each argument read in turn by `read`.
    fn call<T>(&mut self, read: impl FnOnce(&mut Self) -> Result<T, String>) -> Result<T, String> {
        self.punct(b'(')?;
        let value = read(self)?;
        self.close(b')')?;
        Ok(value)
    }

    /// The `,` between two arguments.
    fn comma(&mut self) -> Result<(), String> {
        self.punct(b',')
    }

    /// The builder methods chained after a call, each read by `method` (its name given, the
    /// lexer before its arguments, which it reads).
    fn methods(
        &mut self,
        mut method: impl FnMut(&mut Self, &'a str) -> Result<(), String>,
    ) -> Result<(), String> {
        while self.eat(b'.')? {
            let Some(Token::Ident(name)) = self.next()? else {
                return Err(self.error("expected a method name after `.`"));
            };
            self.punct(b'(')?;
            method(self, name)?;
            self.close(b')')?;
        }
        Ok(())
    }

    /// The fields of `Variant { a: …, b: … }` (after its path), each read by `field` (its
    /// name given, the lexer before its value); an unknown one is an error.
    fn fields(
        &mut self,
        mut field: impl FnMut(&mut Self, &'a str) -> Result<bool, String>,
    ) -> Result<(), String> {
        self.punct(b'{')?;
        while !self.eat(b'}')? {
            let Some(Token::Ident(name)) = self.next()? else {
                return Err(self.error("expected a field name"));
            };
            self.punct(b':')?;
            if !field(self, name)? {
                return Err(format!("at line {}: unknown field `{name}`", self.line()));
            }
            if !self.eat(b',')? {
                self.punct(b'}')?;
                break;
            }
        }
        Ok(())
    }

    /// The value of a required field of a struct-like variant.
    fn required<T>(&self, value: Option<T>, variant: &str, field: &str) -> Result<T, String> {
        value.ok_or_else(|| {
            format!(
                "at line {}: `{variant}` has no field `{field}`",
                self.line()
            )
        })
    }
}

fn op(lexer: &mut Lexer) -> Result<Op, String> {
    let path = lexer.path("an operation")?;
    Ok(match path.last {
        "alter_table" => lexer.call(|l| {
            let table = table(l)?;
            l.comma()?;
            Ok(Op::AlterTable(schema::AlterTable {
                table,
                changes: l.list(change)?,
            }))
        })?,
        "CreateTable" => Op::CreateTable(lexer.call(table)?),
        "DropTable" => Op::DropTable(lexer.call(Lexer::string)?),
        "CreateEnum" => lexer.call(|l| {
            l.path("enum_type")?;
            l.call(|l| {
                let name = l.string()?;
                l.comma()?;
                Ok(Op::CreateEnum(schema::Enum {
                    name,
                    values: l.strings()?,
                }))
            })
        })?,
        "DropEnum" => Op::DropEnum(lexer.call(Lexer::string)?),
        "RenameTable" => {
            let (mut from, mut to) = (None, None);
            lexer.fields(|l, name| {
                match name {
                    "from" => from = Some(l.string()?),
                    "to" => to = Some(l.string()?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            Op::RenameTable {
                from: lexer.required(from, "RenameTable", "from")?,
                to: lexer.required(to, "RenameTable", "to")?,
            }
        }
        "RecreateEnum" => {
            let (mut name, mut values, mut columns) = (None, None, None);
            lexer.fields(|l, field| {
                match field {
                    "name" => name = Some(l.string()?),
                    "values" => values = Some(l.strings()?),
                    "columns" => columns = Some(l.list(enum_column)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            Op::RecreateEnum {
                name: lexer.required(name, "RecreateEnum", "name")?,
                values: lexer.required(values, "RecreateEnum", "values")?,
                columns: lexer.required(columns, "RecreateEnum", "columns")?,
            }
        }
        "AddEnumValue" => {
            let (mut name, mut value, mut before) = (None, None, None);
            lexer.fields(|l, field| {
                match field {
                    "name" => name = Some(l.string()?),
                    "value" => value = Some(l.string()?),
                    "before" => before = Some(l.option(Lexer::string)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            Op::AddEnumValue {
                name: lexer.required(name, "AddEnumValue", "name")?,
                value: lexer.required(value, "AddEnumValue", "value")?,
                before: lexer.required(before, "AddEnumValue", "before")?,
            }
        }
        _ => return Err(lexer.unexpected(&path, "an operation")),
    })
}

fn table(lexer: &mut Lexer) -> Result<Table, String> {
    lexer.path("table(…)")?;
    let mut table = lexer.call(|l| {
        let name = l.string()?;
        l.comma()?;
        Ok(Table {
            name,
            columns: l.list(column)?,
            ..Table::default()
        })
    })?;
    lexer.methods(|l, method| {
        match method {
            "primary_key" => table.primary_key = l.strings()?,
            "indexes" => table.indexes = l.list(index)?,
            "foreign_keys" => table.foreign_keys = l.list(foreign_key)?,
            "comment" => table.comment = Some(l.string()?),
            "checks" => table.checks = l.list(check)?,
            other => return Err(format!("unknown table method `.{other}`")),
        }
        Ok(())
    })?;
    Ok(table)
}

fn column(lexer: &mut Lexer) -> Result<Column, String> {
    lexer.path("column(…)")?;
    let mut column = lexer.call(|l| {
        let name = l.string()?;
        l.comma()?;
        Ok(Column::new(name, column_type(l)?))
    })?;
    lexer.methods(|l, method| {
        match method {
            "null" => column.null = true,
            "unique" => column.unique = true,
            "auto_increment" => column.auto_increment = true,
            "default" => column.default = Some(default_value(l)?),
            "comment" => column.comment = Some(l.string()?),
            "extra" => column.extra = Some(l.string()?),
            other => return Err(format!("unknown column method `.{other}`")),
        }
        Ok(())
    })?;
    Ok(column)
}

fn len(lexer: &mut Lexer) -> Result<Len, String> {
    let path = lexer.path("a Len")?;
    Ok(match path.last {
        "None" => Len::None,
        "Max" => Len::Max,
        "N" => Len::N(lexer.call(Lexer::number)?),
        _ => return Err(lexer.unexpected(&path, "a Len")),
    })
}

/// `(precision, scale)`.
fn precision(lexer: &mut Lexer) -> Result<(u32, u32), String> {
    lexer.call(|l| {
        let precision = l.number()?;
        l.comma()?;
        Ok((precision, l.number()?))
    })
}

fn column_type(lexer: &mut Lexer) -> Result<ColumnType, String> {
    use ColumnType as T;
    let path = lexer.path("a ColumnType")?;
    let l = lexer;
    Ok(match path.last {
        "Char" => T::Char(l.call(|l| l.option(Lexer::number))?),
        "String" => T::String(l.call(len)?),
        "VarBinary" => T::VarBinary(l.call(len)?),
        "Decimal" => T::Decimal(l.call(|l| l.option(precision))?),
        "Money" => T::Money(l.call(|l| l.option(precision))?),
        "Binary" => T::Binary(l.call(Lexer::number)?),
        "Bit" => T::Bit(l.call(|l| l.option(Lexer::number))?),
        "VarBit" => T::VarBit(l.call(Lexer::number)?),
        "Vector" => T::Vector(l.call(|l| l.option(Lexer::number))?),
        "Custom" => T::Custom(l.call(Lexer::string)?),
        "Enum" => {
            let (mut name, mut variants) = (None, None);
            l.fields(|l, field| {
                match field {
                    "name" => name = Some(l.string()?),
                    "variants" => variants = Some(l.strings()?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            T::Enum {
                name: l.required(name, "Enum", "name")?,
                variants: l.required(variants, "Enum", "variants")?,
            }
        }
        "Text" => T::Text,
        "Blob" => T::Blob,
        "TinyInteger" => T::TinyInteger,
        "SmallInteger" => T::SmallInteger,
        "Integer" => T::Integer,
        "BigInteger" => T::BigInteger,
        "TinyUnsigned" => T::TinyUnsigned,
        "SmallUnsigned" => T::SmallUnsigned,
        "Unsigned" => T::Unsigned,
        "BigUnsigned" => T::BigUnsigned,
        "Float" => T::Float,
        "Double" => T::Double,
        "DateTime" => T::DateTime,
        "Timestamp" => T::Timestamp,
        "TimestampWithTimeZone" => T::TimestampWithTimeZone,
        "Time" => T::Time,
        "Date" => T::Date,
        "Year" => T::Year,
        "Boolean" => T::Boolean,
        "Json" => T::Json,
        "JsonBinary" => T::JsonBinary,
        "Uuid" => T::Uuid,
        "Cidr" => T::Cidr,
        "Inet" => T::Inet,
        "MacAddr" => T::MacAddr,
        "LTree" => T::LTree,
        _ => return Err(l.unexpected(&path, "a ColumnType")),
    })
}

fn default_value(lexer: &mut Lexer) -> Result<DefaultValue, String> {
    use DefaultValue as D;
    let path = lexer.path("a DefaultValue")?;
    Ok(match path.last {
        "Null" => D::Null,
        "Bool" => D::Bool(lexer.call(Lexer::boolean)?),
        "Number" => D::Number(lexer.call(Lexer::string)?),
        "String" => D::String(lexer.call(Lexer::string)?),
        "CurrentTimestamp" => D::CurrentTimestamp,
        "CurrentDate" => D::CurrentDate,
        "CurrentTime" => D::CurrentTime,
        "Expr" => D::Expr(lexer.call(Lexer::string)?),
        _ => return Err(lexer.unexpected(&path, "a DefaultValue")),
    })
}

fn action(lexer: &mut Lexer) -> Result<Action, String> {
    use Action as A;
    let path = lexer.path("an Action")?;
    Ok(match path.last {
        "Restrict" => A::Restrict,
        "Cascade" => A::Cascade,
        "SetNull" => A::SetNull,
        "NoAction" => A::NoAction,
        "SetDefault" => A::SetDefault,
        _ => return Err(lexer.unexpected(&path, "an Action")),
    })
}

fn index(lexer: &mut Lexer) -> Result<Index, String> {
    lexer.path("index(…)")?;
    let mut index = lexer.call(|l| {
        let name = l.string()?;
        l.comma()?;
        Ok(Index {
            name,
            columns: l.strings()?,
            unique: false,
        })
    })?;
    lexer.methods(|_, method| {
        match method {
            "unique" => index.unique = true,
            other => return Err(format!("unknown index method `.{other}`")),
        }
        Ok(())
    })?;
    Ok(index)
}

fn foreign_key(lexer: &mut Lexer) -> Result<ForeignKey, String> {
    lexer.path("foreign_key(…)")?;
    let mut fk = lexer.call(|l| {
        let name = l.string()?;
        l.comma()?;
        let columns = l.strings()?;
        l.comma()?;
        let ref_table = l.string()?;
        l.comma()?;
        Ok(ForeignKey {
            name,
            columns,
            ref_table,
            ref_columns: l.strings()?,
            on_delete: None,
            on_update: None,
        })
    })?;
    lexer.methods(|l, method| {
        match method {
            "on_delete" => fk.on_delete = Some(action(l)?),
            "on_update" => fk.on_update = Some(action(l)?),
            other => return Err(format!("unknown foreign key method `.{other}`")),
        }
        Ok(())
    })?;
    Ok(fk)
}

fn change(lexer: &mut Lexer) -> Result<schema::Change<Owned>, String> {
    use schema::Change as C;
    let path = lexer.path("a Change")?;
    let l = lexer;
    Ok(match path.last {
        "AddColumn" => {
            let (mut column_, mut backfill) = (None, None);
            l.fields(|l, field| {
                match field {
                    "column" => column_ = Some(column(l)?),
                    "backfill" => backfill = Some(l.option(default_value)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            C::AddColumn {
                column: l.required(column_, "AddColumn", "column")?,
                backfill: l.required(backfill, "AddColumn", "backfill")?,
            }
        }
        "DropColumn" => C::DropColumn(l.call(Lexer::string)?),
        "RenameColumn" => {
            let (mut from, mut to) = (None, None);
            l.fields(|l, field| {
                match field {
                    "from" => from = Some(l.string()?),
                    "to" => to = Some(l.string()?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            C::RenameColumn {
                from: l.required(from, "RenameColumn", "from")?,
                to: l.required(to, "RenameColumn", "to")?,
            }
        }
        "AlterColumn" => {
            let (mut from, mut to, mut backfill) = (None, None, None);
            l.fields(|l, field| {
                match field {
                    "from" => from = Some(column(l)?),
                    "to" => to = Some(column(l)?),
                    "backfill" => backfill = Some(l.option(default_value)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            C::AlterColumn {
                from: l.required(from, "AlterColumn", "from")?,
                to: l.required(to, "AlterColumn", "to")?,
                backfill: l.required(backfill, "AlterColumn", "backfill")?,
            }
        }
        "CreateIndex" => C::CreateIndex(l.call(index)?),
        "DropIndex" => C::DropIndex(l.call(index)?),
        "AddForeignKey" => C::AddForeignKey(l.call(foreign_key)?),
        "DropForeignKey" => C::DropForeignKey(l.call(Lexer::string)?),
        "AddCheck" => C::AddCheck(l.call(check)?),
        "DropCheck" => C::DropCheck(l.call(Lexer::string)?),
        "TableComment" => C::TableComment(l.call(|l| l.option(Lexer::string))?),
        "PrimaryKey" => {
            let (mut from, mut to, mut add, mut drop) = (None, None, None, None);
            l.fields(|l, field| {
                match field {
                    "from" => from = Some(l.strings()?),
                    "to" => to = Some(l.strings()?),
                    "add" => add = Some(l.option(column)?),
                    "drop" => drop = Some(l.option(Lexer::string)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
            C::PrimaryKey {
                from: l.required(from, "PrimaryKey", "from")?,
                to: l.required(to, "PrimaryKey", "to")?,
                add: l.required(add, "PrimaryKey", "add")?,
                drop: l.required(drop, "PrimaryKey", "drop")?,
            }
        }
        _ => return Err(l.unexpected(&path, "a Change")),
    })
}

fn limit(lexer: &mut Lexer) -> Result<Limit, String> {
    let path = lexer.path("Limit::inclusive(…) or Limit::exclusive(…)")?;
    let value = lexer.call(Lexer::string)?;
    match path.last {
        "inclusive" => Ok(Limit {
            value,
            inclusive: true,
        }),
        "exclusive" => Ok(Limit {
            value,
            inclusive: false,
        }),
        _ => Err(lexer.unexpected(&path, "Limit::inclusive(…) or Limit::exclusive(…)")),
    }
}

fn check(lexer: &mut Lexer) -> Result<Check, String> {
    lexer.path("check(…)")?;
    lexer.call(|l| {
        let name = l.string()?;
        l.comma()?;
        let column = l.string()?;
        l.comma()?;
        let path = l.path("a CheckRule")?;
        let rule = match path.last {
            "Length" => {
                let (mut min, mut max) = (None, None);
                l.fields(|l, field| {
                    match field {
                        "min" => min = Some(l.option(Lexer::number)?),
                        "max" => max = Some(l.option(Lexer::number)?),
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                CheckRule::Length {
                    min: l.required(min, "Length", "min")?,
                    max: l.required(max, "Length", "max")?,
                }
            }
            "Range" => {
                let (mut min, mut max) = (None, None);
                l.fields(|l, field| {
                    match field {
                        "min" => min = Some(l.option(limit)?),
                        "max" => max = Some(l.option(limit)?),
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                CheckRule::Range {
                    min: l.required(min, "Range", "min")?,
                    max: l.required(max, "Range", "max")?,
                }
            }
            "OneOf" => CheckRule::OneOf(l.call(|l| l.list(default_value))?),
            "NotNull" => CheckRule::NotNull,
            "NoNul" => CheckRule::NoNul,
            _ => return Err(l.unexpected(&path, "a CheckRule")),
        };
        Ok(Check { name, column, rule })
    })
}

fn enum_column(lexer: &mut Lexer) -> Result<schema::EnumColumn<Owned>, String> {
    lexer.path("enum_column(…)")?;
    let mut column = lexer.call(|l| {
        let table = l.string()?;
        l.comma()?;
        Ok(schema::EnumColumn {
            table,
            column: l.string()?,
            default: None,
        })
    })?;
    lexer.methods(|l, method| {
        match method {
            "default" => column.default = Some(default_value(l)?),
            other => return Err(format!("unknown enum column method `.{other}`")),
        }
        Ok(())
    })?;
    Ok(column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"//! A migration.
use migration_ops::v1::*;

impl MigrationTrait for Migration {
    fn name(&self) -> &str { "m1" }
    const UP: &[Op] = &[Op::DropTable("not this one")];
}

pub const UP: &[Op] = &[
    Op::CreateTable(
        table("posts", &[
            column("id", ColumnType::Integer).auto_increment(),
            column("title", ColumnType::String(Len::N(200))).default(DefaultValue::String("it's \"new\"\n")),
            column("price", ColumnType::Decimal(Some((10, 2)))).null(),
        ])
        .primary_key(&["id"])
        .checks(&[
            check("ck_posts_title_length", "title", CheckRule::Length { min: Some(1), max: None }),
        ]),
    ),
    alter_table(table("posts", &[column("id", ColumnType::Integer)]).primary_key(&["id"]), &[
        Change::DropColumn("title"),
        Change::RenameColumn { from: "a", to: "b" },
    ]),
    Op::AddEnumValue { name: "mood", value: "calm", before: None },
];

pub const DOWN: &[Op] = &[
    Op::DropTable("posts"),
];
"#;

    #[test]
    fn a_rendered_migration_reads_back_as_its_data_and_other_items_are_skipped() {
        let data = read(FILE).unwrap().unwrap();
        assert_eq!(data.up.len(), 3);
        let Op::CreateTable(table) = &data.up[0] else {
            panic!("{:?}", data.up[0]);
        };
        assert_eq!(
            table.columns[1].default,
            Some(DefaultValue::String("it's \"new\"\n".to_owned()))
        );
        assert_eq!(table.columns[2].ty, ColumnType::Decimal(Some((10, 2))));
        assert_eq!(data.down, Some(vec![Op::DropTable("posts".to_owned())]));
        assert_eq!(read_up(FILE).unwrap(), Some(data.up));
    }

    #[test]
    fn formatting_comments_and_any_literal_leave_the_data_as_it_was() {
        let reformatted = FILE
            .replace(", &[\n", ", /* a /* nested */ note */ &[\n")
            .replace("(\n        table", "( // a comment\n        table")
            .replace(
                "    Op::DropTable(\"posts\"),\n",
                "    Op::DropTable(\n\"posts\"\n,)\n",
            )
            .replace("\"calm\"", "r#\"calm\"#")
            .replace(
                "fn name(&self) -> &str { \"m1\" }",
                "fn name<'a>(&'a self) -> &'a str { let _ = (b\"\\xff\\\"\", br#\"x\"#, \
                 c\"y\", b'\\'', '\\u{1F600}', '\"', r#type); \"m1\" }",
            )
            .replace(
                "\"it's \\\"new\\\"\\n\"",
                "\"it\\'s \\\"n\\x65w\\u{22}\\\n     \\n\"",
            )
            .replace('\n', "\r\n");
        assert_ne!(reformatted, FILE);
        let (before, after) = (read(FILE).unwrap().unwrap(), read(&reformatted).unwrap());
        let after = after.unwrap();
        assert_eq!(after.up, before.up);
        assert_eq!(after.down, before.down);
    }

    #[test]
    fn a_hand_written_migration_has_no_data() {
        let hand_written = "//! Hand-written.\nfn up() { let s = b\"\\xff\"; }\n";
        assert!(read(hand_written).unwrap().is_none());
        assert!(read_up(hand_written).unwrap().is_none());
    }

    #[test]
    fn a_value_that_is_not_migration_data_is_named_with_its_line() {
        let bad = FILE.replace("ColumnType::Integer).auto", "ColumnType::Integr).auto");
        let error = read(&bad).err().unwrap();
        assert!(
            error == "at line 12: expected a ColumnType, found `ColumnType::Integr`",
            "{error}"
        );
        let unterminated = FILE.replace("\"posts\"),\n];", "\"posts),\n];");
        let error = read(&unterminated).err().unwrap();
        assert!(error.starts_with("not valid Rust at line"), "{error}");
    }
}
