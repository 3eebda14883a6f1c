//! The schema model: what the database should look like, independent of any backend. Plain data
//! with deterministic order (maps keyed by name, columns in declaration order), so that equality
//! means "same schema" and the snapshot JSON is byte-stable. No I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

pub use migration_ops::schema::{Action, ColumnChanges, Len, Owned};

/// A table: `migration_ops::schema::Table`, as the generator holds it.
pub type Table = migration_ops::schema::Table<Owned>;
pub type Column = migration_ops::schema::Column<Owned>;
pub type ColumnType = migration_ops::schema::ColumnType<Owned>;
pub type DefaultValue = migration_ops::schema::DefaultValue<Owned>;
pub type Index = migration_ops::schema::Index<Owned>;
pub type ForeignKey = migration_ops::schema::ForeignKey<Owned>;
pub type Check = migration_ops::schema::Check<Owned>;
pub type CheckRule = migration_ops::schema::CheckRule<Owned>;
pub type Limit = migration_ops::schema::Limit<Owned>;

/// Every table and PostgreSQL enum type of the application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Native enum types by name (`CREATE TYPE … AS ENUM` on PostgreSQL).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enums: BTreeMap<String, Vec<String>>,
    /// Tables by name (each also carries its name).
    #[serde(default, deserialize_with = "named_tables")]
    pub tables: BTreeMap<String, Table>,
    /// Columns' previous names (`#[sea_orm(renamed_from)]`), by table and new name: an
    /// instruction to the differ, not state, so it is never recorded.
    #[serde(skip)]
    pub renamed_from: BTreeMap<(String, String), String>,
}

/// The tables of `schema.json`, each given the name it is recorded under.
fn named_tables<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, Table>, D::Error> {
    let mut tables = BTreeMap::<String, Table>::deserialize(deserializer)?;
    for (name, table) in &mut tables {
        table.name = name.clone();
    }
    Ok(tables)
}

/// A value as the generator shows it in review lines and errors.
pub fn show_value(value: &DefaultValue) -> String {
    match value {
        DefaultValue::Null => "NULL".to_owned(),
        DefaultValue::Bool(b) => b.to_string(),
        DefaultValue::Number(n) => n.clone(),
        DefaultValue::String(s) => format!("{s:?}"),
        DefaultValue::CurrentTimestamp => "CURRENT_TIMESTAMP".to_owned(),
        DefaultValue::CurrentDate => "CURRENT_DATE".to_owned(),
        DefaultValue::CurrentTime => "CURRENT_TIME".to_owned(),
        DefaultValue::Expr(sql) => format!("({sql})"),
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

/// Tables `table`, named `own_name`, references through its foreign keys (itself excluded).
pub fn references<'a>(table: &'a Table, own_name: &'a str) -> impl Iterator<Item = &'a str> {
    table
        .foreign_keys
        .iter()
        .map(|fk| fk.ref_table.as_str())
        .filter(move |target| *target != own_name)
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
                if let CheckRule::OneOf(values) = &check.rule
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
