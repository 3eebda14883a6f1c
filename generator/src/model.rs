//! The schema model: what the database should look like, independent of any backend. Plain data
//! with deterministic order (maps keyed by name, columns in declaration order), so that equality
//! means "same schema" and the snapshot JSON is byte-stable. No I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Every table and PostgreSQL enum type of the application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Native enum types by name (`CREATE TYPE … AS ENUM` on PostgreSQL).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enums: BTreeMap<String, Vec<String>>,
    /// Tables by name.
    #[serde(default)]
    pub tables: BTreeMap<String, Table>,
}

/// One table. Its name is its key in [`Schema::tables`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub columns: Vec<Column>,
    /// Primary-key columns, in key order.
    pub primary_key: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// CHECK constraints from the model's validation rules, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
}

/// One column, `NOT NULL` unless `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ColumnType,
    #[serde(default, skip_serializing_if = "is_false")]
    pub null: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<DefaultValue>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_increment: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Raw SQL after the column type (`#[sea_orm(extra)]`), kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
    /// The column's previous name (`#[sea_orm(renamed_from)]`): an instruction to the differ,
    /// not state, so it is never recorded.
    #[serde(skip)]
    pub renamed_from: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// A column type; the same set as sea-query's `ColumnType`, less the ones the generator
/// refuses (intervals and arrays).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    Char(Option<u32>),
    String(Len),
    Text,
    Blob,
    TinyInteger,
    SmallInteger,
    Integer,
    BigInteger,
    TinyUnsigned,
    SmallUnsigned,
    Unsigned,
    BigUnsigned,
    Float,
    Double,
    Decimal(Option<(u32, u32)>),
    DateTime,
    Timestamp,
    TimestampWithTimeZone,
    Time,
    Date,
    Year,
    Binary(u32),
    VarBinary(Len),
    Bit(Option<u32>),
    VarBit(u32),
    Boolean,
    Money(Option<(u32, u32)>),
    Json,
    JsonBinary,
    Uuid,
    Custom(String),
    Enum {
        name: String,
        variants: Vec<String>,
    },
    Vector(Option<u32>),
    Cidr,
    Inet,
    MacAddr,
    #[serde(rename = "ltree")]
    LTree,
}

/// The length of a `varchar` or `varbinary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Len {
    /// None given: the backend's default (`varchar(255)` on MySQL).
    None,
    N(u32),
    Max,
}

/// A column default, as SeaORM writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultValue {
    Null,
    Bool(bool),
    /// A numeric literal, as sea-query prints the entity's value.
    Number(String),
    String(String),
    CurrentTimestamp,
    CurrentDate,
    CurrentTime,
    /// Raw SQL from `default_expr = "Expr::cust(…)"`, kept verbatim.
    Expr(String),
}

/// A named index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
}

/// A foreign key, from a `belongs_to` relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_update: Option<Action>,
}

/// A named CHECK constraint on one column, from a validation rule. A NULL passes every rule
/// but [`Rule::NotNull`], as a `None` passes `validator`'s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub name: String,
    pub column: String,
    pub rule: Rule,
}

/// What a [`Check`] requires of its column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A number of characters between `min` and `max`, both inclusive.
    Length { min: Option<u64>, max: Option<u64> },
    /// A number between `min` and `max`.
    Range {
        min: Option<Limit>,
        max: Option<Limit>,
    },
    /// One of these literals (a string- or integer-backed enum's values).
    OneOf(Vec<DefaultValue>),
    /// Not NULL (`validator`'s `required` on an `Option`).
    NotNull,
}

/// One end of a [`Rule::Range`]: a numeric literal, and whether it is allowed itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub value: String,
    pub inclusive: bool,
}

/// A referential action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Restrict,
    Cascade,
    SetNull,
    NoAction,
    SetDefault,
}

impl Column {
    /// A NOT NULL column with nothing else set.
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Column {
        Column {
            name: name.into(),
            ty,
            null: false,
            default: None,
            unique: false,
            auto_increment: false,
            comment: None,
            extra: None,
            renamed_from: None,
        }
    }

    /// Whether `other` defines the column the same way, whatever either is named.
    pub fn same_definition(&self, other: &Column) -> bool {
        let Column {
            name: _,
            ty,
            null,
            default,
            unique,
            auto_increment,
            comment,
            extra,
            renamed_from: _,
        } = self;
        *ty == other.ty
            && *null == other.null
            && *default == other.default
            && *unique == other.unique
            && *auto_increment == other.auto_increment
            && *comment == other.comment
            && *extra == other.extra
    }
}

/// `-12`, `3.5`, `1e-7`: what sea-query prints for numbers. Not `NaN` or `inf`.
pub fn is_numeric_literal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
        None => (digits, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => all_digits(whole) && all_digits(fraction),
        None => all_digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(all_digits)
}

/// The longest identifier every backend keeps whole: PostgreSQL's 63 bytes (MySQL allows 64
/// characters, which 63 bytes never exceed).
pub const MAX_NAME_BYTES: usize = 63;

/// Why `name` cannot name a table, column, index, key, check or enum type alike on every
/// backend; `None` when it can.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".to_owned());
    }
    if name.len() > MAX_NAME_BYTES {
        return Some(format!(
            "the name is {} bytes long, and PostgreSQL would cut it to {MAX_NAME_BYTES} without a word",
            name.len()
        ));
    }
    if name.contains('\0') {
        return Some("the name holds U+0000, which PostgreSQL and MySQL cannot store".to_owned());
    }
    if let Some(c) = name.chars().find(|c| u32::from(*c) > 0xFFFF) {
        return Some(format!(
            "the name holds {c:?} (U+{:X}), beyond the Basic Multilingual Plane, which MySQL \
             names cannot hold",
            u32::from(c)
        ));
    }
    if name.ends_with(' ') {
        return Some("the name ends with a space, which MySQL refuses".to_owned());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(format!(
            "the name holds the control character {c:?}, which MySQL refuses in table names"
        ));
    }
    None
}

/// Why a comment cannot be written alike on every backend: sea-query escapes quotes,
/// backslashes and control characters in MySQL comments with backslashes, which MySQL reads
/// differently under `NO_BACKSLASH_ESCAPES`.
pub fn comment_problem(text: &str) -> Option<String> {
    text.chars()
        .find(|c| matches!(c, '\'' | '"' | '\\') || c.is_control())
        .map(|c| {
            format!(
                "the comment holds {c:?}, which sea-query escapes for MySQL with a backslash that \
                 MySQL reads differently under NO_BACKSLASH_ESCAPES"
            )
        })
}

/// Why a string value (a default, a backfill, an allowed value) cannot be stored alike on
/// every backend.
pub fn text_problem(text: &str) -> Option<String> {
    text.contains('\0')
        .then(|| "the text holds U+0000, which PostgreSQL cannot store".to_owned())
}

impl ColumnType {
    /// Integer, floating-point and decimal types: those whose literals are numbers.
    pub fn is_numeric(&self) -> bool {
        use ColumnType as T;
        matches!(
            self,
            T::TinyInteger
                | T::SmallInteger
                | T::Integer
                | T::BigInteger
                | T::TinyUnsigned
                | T::SmallUnsigned
                | T::Unsigned
                | T::BigUnsigned
                | T::Float
                | T::Double
                | T::Decimal(_)
                | T::Money(_)
        )
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    /// Tables this one references through its foreign keys (itself excluded).
    pub fn references<'a>(&'a self, own_name: &'a str) -> impl Iterator<Item = &'a str> {
        self.foreign_keys
            .iter()
            .map(|fk| fk.ref_table.as_str())
            .filter(move |table| *table != own_name)
    }
}

impl Schema {
    /// Checks that every name the schema uses points at something that exists: key, index and
    /// foreign-key columns, referenced tables, enum types. Returns the first problem found.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_texts()?;
        let mut index_names = std::collections::BTreeSet::new();
        for (name, table) in &self.tables {
            let mut seen = std::collections::BTreeSet::new();
            for column in &table.columns {
                if !seen.insert(column.name.as_str()) {
                    return Err(format!(
                        "table `{name}` has two columns named `{}`",
                        column.name
                    ));
                }
                if let ColumnType::Enum {
                    name: type_name,
                    variants,
                } = &column.ty
                    && self.enums.get(type_name) != Some(variants)
                {
                    return Err(format!(
                        "column `{name}.{}` uses enum type `{type_name}` with values \
                             {variants:?}, which the schema's enums do not list",
                        column.name
                    ));
                }
            }
            let missing = |columns: &[String], what: &str| -> Result<(), String> {
                match columns.iter().find(|c| table.column(c).is_none()) {
                    Some(column) => Err(format!(
                        "{what} of table `{name}` names column `{column}`, which the table lacks"
                    )),
                    None => Ok(()),
                }
            };
            if table.primary_key.is_empty() {
                return Err(format!("table `{name}` has no primary key"));
            }
            missing(&table.primary_key, "the primary key")?;
            for index in &table.indexes {
                missing(&index.columns, &format!("index `{}`", index.name))?;
                if !index_names.insert(index.name.as_str()) {
                    return Err(format!("two indexes are named `{}`", index.name));
                }
            }
            for check in &table.checks {
                missing(
                    std::slice::from_ref(&check.column),
                    &format!("check `{}`", check.name),
                )?;
                if !index_names.insert(check.name.as_str()) {
                    return Err(format!(
                        "check `{}` has the name of another index or check",
                        check.name
                    ));
                }
            }
            for fk in &table.foreign_keys {
                missing(&fk.columns, &format!("foreign key `{}`", fk.name))?;
                if !index_names.insert(fk.name.as_str()) {
                    return Err(format!(
                        "foreign key `{}` has the name of another index, check or key",
                        fk.name
                    ));
                }
                let Some(target) = self.tables.get(&fk.ref_table) else {
                    return Err(format!(
                        "foreign key `{}` of table `{name}` references table `{}`, which the \
                         schema lacks",
                        fk.name, fk.ref_table
                    ));
                };
                if let Some(column) = fk.ref_columns.iter().find(|c| target.column(c).is_none()) {
                    return Err(format!(
                        "foreign key `{}` of table `{name}` references `{}.{column}`, which \
                         does not exist",
                        fk.name, fk.ref_table
                    ));
                }
                let sets_null = [fk.on_delete, fk.on_update].contains(&Some(Action::SetNull));
                if let Some(column) = fk
                    .columns
                    .iter()
                    .find(|c| sets_null && table.column(c).is_some_and(|column| !column.null))
                {
                    return Err(format!(
                        "foreign key `{}` of table `{name}` sets `{column}` to NULL, but the \
                         column is NOT NULL; make it an Option or choose another action",
                        fk.name
                    ));
                }
                if fk.columns.len() != fk.ref_columns.len() || fk.columns.is_empty() {
                    return Err(format!(
                        "foreign key `{}` of table `{name}` pairs {} columns with {}",
                        fk.name,
                        fk.columns.len(),
                        fk.ref_columns.len()
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks every name, comment and string value against what all three backends can hold
    /// alike, and names differing only in case (one name to SQLite and MySQL).
    fn validate_texts(&self) -> Result<(), String> {
        let named = |what: &str, name: &str| match name_problem(name) {
            Some(problem) => Err(format!("{what} {name:?}: {problem}")),
            None => Ok(()),
        };
        let mut folded = std::collections::BTreeMap::new();
        let mut distinct = |space: &str, name: &str| -> Result<(), String> {
            match folded.insert((space.to_owned(), name.to_lowercase()), name.to_owned()) {
                Some(other) if other != name => Err(format!(
                    "{space} names {other:?} and {name:?} differ only in case, which SQLite and \
                     MySQL treat as one name"
                )),
                _ => Ok(()),
            }
        };
        for (type_name, values) in &self.enums {
            named("enum type", type_name)?;
            for value in values {
                named(&format!("value of enum type {type_name:?}"), value)?;
            }
        }
        for (name, table) in &self.tables {
            named("table", name)?;
            distinct("table", name)?;
            if let Some(problem) = table.comment.as_deref().and_then(comment_problem) {
                return Err(format!("table {name:?}: {problem}"));
            }
            for column in &table.columns {
                named(&format!("column of table {name:?}"), &column.name)?;
                distinct(&format!("column of table {name:?}"), &column.name)?;
                let at = format!("column {name:?}.{:?}", column.name);
                if let Some(problem) = column.comment.as_deref().and_then(comment_problem) {
                    return Err(format!("{at}: {problem}"));
                }
                if let Some(DefaultValue::String(text)) = &column.default {
                    if let Some(problem) = text_problem(text) {
                        return Err(format!("the default of {at}: {problem}"));
                    }
                    if column.ty.is_numeric() && !is_numeric_literal(text) {
                        return Err(format!(
                            "the default of {at} is {text:?}, which is not a number; each \
                             backend would read it differently, or refuse it"
                        ));
                    }
                }
            }
            let constraint_names = table
                .indexes
                .iter()
                .map(|i| &i.name)
                .chain(table.foreign_keys.iter().map(|f| &f.name))
                .chain(table.checks.iter().map(|c| &c.name));
            for constraint in constraint_names {
                named(
                    &format!("index or constraint of table {name:?}"),
                    constraint,
                )?;
                distinct("index or constraint", constraint)?;
            }
            for check in &table.checks {
                if let Rule::OneOf(values) = &check.rule
                    && let Some(problem) = values.iter().find_map(|v| match v {
                        DefaultValue::String(text) => text_problem(text),
                        _ => None,
                    })
                {
                    return Err(format!(
                        "an allowed value of check {:?}: {problem}",
                        check.name
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_table(columns: &[&str]) -> Schema {
        let table = Table {
            columns: columns
                .iter()
                .map(|name| Column::new(*name, ColumnType::Integer))
                .collect(),
            primary_key: vec![columns[0].to_owned()],
            ..Table::default()
        };
        Schema {
            tables: [("t".to_owned(), table)].into(),
            ..Schema::default()
        }
    }

    #[test]
    fn numeric_literals_are_recognised_and_nan_is_not() {
        for ok in ["0", "-12", "3.5", "1e-7", "2.5E+10"] {
            assert!(is_numeric_literal(ok), "{ok}");
        }
        for bad in [
            "", "-", "NaN", "inf", "-inf", "1.", ".5", "1e", "1 OR 1=1", "0x10",
        ] {
            assert!(!is_numeric_literal(bad), "{bad}");
        }
    }

    #[test]
    fn names_differing_only_in_case_are_refused() {
        let error = one_table(&["Name", "name"]).validate().unwrap_err();
        assert!(error.contains("differ only in case"), "{error}");
        let mut schema = one_table(&["id"]);
        let table = schema.tables["t"].clone();
        schema.tables.insert("T".to_owned(), table);
        assert!(schema.validate().unwrap_err().contains("\"T\" and \"t\""));
    }

    #[test]
    fn comments_mysql_would_read_differently_are_refused() {
        let mut schema = one_table(&["id"]);
        schema.tables.get_mut("t").unwrap().columns[0].comment = Some("it's".to_owned());
        let error = schema.validate().unwrap_err();
        assert!(error.contains("NO_BACKSLASH_ESCAPES"), "{error}");
    }

    #[test]
    fn a_default_that_is_no_number_on_a_numeric_column_is_refused() {
        let mut schema = one_table(&["id", "n"]);
        schema.tables.get_mut("t").unwrap().columns[1].default =
            Some(DefaultValue::String("12abc".to_owned()));
        assert!(schema.validate().unwrap_err().contains("not a number"));
    }
}
