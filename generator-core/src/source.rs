//! Loading entities: turns SeaORM's own description of each entity (the `CREATE TABLE` and
//! index statements `Schema::create_table_from_entity` and `create_index_from_entity` build,
//! relation definitions included, taken by `entity_rules::describe`) into the schema model.
//! This is the only place that reads SeaORM's types; it is not generic over the entities, so
//! it is compiled once, whatever the project's entities are.
//!
//! Reading the compiled entity, not its source text, is what makes the model exact: column
//! types come from trait resolution, nullability from SeaORM's own rules, and attribute typos
//! that SeaORM ignores are ignored here too (see `shared/notes/seaorm-2.0-facts.md`).

use sea_orm::sea_query::{
    self, ColumnSpec, Expr, Keyword, QueryBuilder, SqliteQueryBuilder, TableRef, Value,
};

use entity_rules::{EntityDescription, EntityVisitor};

use crate::constraints::{self, ApplicationRule};
use crate::error::{EntityError, Error};
use crate::model::{
    Action, Column, ColumnType, DefaultValue, ForeignKey, Index, Schema, Table, is_numeric_literal,
    name_problem,
};

/// The entities a project shows the generator: a function that hands each one's description
/// to the visitor (`entity::visit_all`, or a few lines of `visit_entities!`).
pub type VisitAll = fn(&mut dyn EntityVisitor);

/// Builds the schema from every entity that `visit_all` shows, or lists every problem found.
pub fn load(visit_all: impl FnOnce(&mut dyn EntityVisitor)) -> Result<Schema, Error> {
    load_entities(visit_all).map(|entities| entities.schema)
}

/// The schema, and the declared rules that only the application enforces.
#[derive(Debug)]
pub struct Entities {
    pub schema: Schema,
    pub application_only: Vec<ApplicationRule>,
}

/// [`load`], keeping the application-only rules for the generator to list.
pub fn load_entities(visit_all: impl FnOnce(&mut dyn EntityVisitor)) -> Result<Entities, Error> {
    let mut loader = Loader::default();
    visit_all(&mut loader);
    loader.finish()
}

/// Collects entities into a [`Schema`]; an [`EntityVisitor`]. Nothing here is generic over the
/// entities: each arrives as SeaORM's description of it (see `entity_rules::describe`).
#[derive(Default)]
pub struct Loader {
    schema: Schema,
    application_only: Vec<ApplicationRule>,
    errors: Vec<EntityError>,
}

impl EntityVisitor for Loader {
    fn visit(&mut self, entity: EntityDescription) {
        let name = format!("`{}` ({})", entity.table_name, entity.type_name);
        let mut context = Context {
            entity: name,
            errors: &mut self.errors,
            renamed_from: Vec::new(),
        };
        let Some(mut table) = read_table(&entity, &mut context) else {
            return;
        };
        let translation = constraints::translate(&entity.table_name, &table, &entity.rules);
        for (column, message) in translation.errors {
            context.error(Some(&column), message);
        }
        table.checks = translation.checks;
        self.application_only.extend(translation.application_only);
        add_table(&mut self.schema, &entity.table_name, table, &mut context);
    }
}

impl Loader {
    fn finish(self) -> Result<Entities, Error> {
        if !self.errors.is_empty() {
            return Err(Error::Entities(self.errors));
        }
        self.schema.validate().map_err(Error::Schema)?;
        Ok(Entities {
            schema: self.schema,
            application_only: self.application_only,
        })
    }
}

struct Context<'a> {
    entity: String,
    errors: &'a mut Vec<EntityError>,
    /// (column, previous name) of the table being read.
    renamed_from: Vec<(String, String)>,
}

impl Context<'_> {
    fn error(&mut self, column: Option<&str>, message: impl Into<String>) {
        self.errors.push(EntityError {
            entity: self.entity.clone(),
            column: column.map(str::to_owned),
            message: message.into(),
        });
    }
}

fn read_table(entity: &EntityDescription, context: &mut Context) -> Option<Table> {
    if let Some(schema_name) = &entity.schema_name {
        context.error(
            None,
            format!(
                "`schema_name = \"{schema_name}\"` is not supported yet (SQLite has no schemas)"
            ),
        );
        return None;
    }
    let statement = &entity.table;
    let errors_before = context.errors.len();
    // Names every backend can hold alike (the schema's validation checks the rest).
    if let Some(problem) = name_problem(&entity.table_name) {
        context.error(None, problem);
    }
    for def in statement.get_columns() {
        let name = def.get_column_name();
        if let Some(problem) = name_problem(&name) {
            context.error(Some(&name), problem);
        }
    }

    let columns: Vec<Column> = statement
        .get_columns()
        .iter()
        .filter_map(|def| read_column(def, context))
        .collect();
    let indexes = entity
        .indexes
        .iter()
        .map(|index| Index {
            name: constraints::constraint_name(
                index.get_index_spec().get_name().unwrap_or_default(),
            ),
            columns: index.get_index_spec().get_column_names(),
            unique: index.is_unique_key(),
        })
        .collect();
    let foreign_keys = statement
        .get_foreign_key_create_stmts()
        .iter()
        .filter_map(|statement| read_foreign_key(statement.get_foreign_key(), context))
        .collect();

    (context.errors.len() == errors_before).then(|| Table {
        name: entity.table_name.clone(),
        comment: statement.get_comment().cloned(),
        columns,
        primary_key: entity.primary_key.clone(),
        indexes,
        foreign_keys,
        checks: Vec::new(),
    })
}

fn add_table(schema: &mut Schema, name: &str, table: Table, context: &mut Context) {
    for (column, old) in context.renamed_from.drain(..) {
        schema.renamed_from.insert((name.to_owned(), column), old);
    }
    for column in &table.columns {
        if let ColumnType::Enum { name, variants } = &column.ty {
            match schema.enums.get(name) {
                Some(known) if known != variants => context.error(
                    Some(&column.name),
                    format!(
                        "enum type `{name}` has values {variants:?} here but {known:?} in \
                         another entity; one type name needs one set of values"
                    ),
                ),
                _ => {
                    schema.enums.insert(name.clone(), variants.clone());
                }
            }
        }
    }
    if schema.tables.insert(name.to_owned(), table).is_some() {
        context.error(None, format!("a second entity also uses table `{name}`"));
    }
}

fn read_column(def: &sea_query::ColumnDef, context: &mut Context) -> Option<Column> {
    let name = def.get_column_name();
    let spec: &ColumnSpec = def.get_column_spec();
    let ty = match def.get_column_type().map(read_type) {
        Some(Ok(ty)) => ty,
        Some(Err(message)) => {
            context.error(Some(&name), message);
            return None;
        }
        None => {
            context.error(Some(&name), "the column has no type");
            return None;
        }
    };
    if spec.check.is_some() || spec.generated.is_some() {
        context.error(
            Some(&name),
            "CHECK and generated columns are not supported yet",
        );
        return None;
    }
    let default = match spec.default.as_ref().map(read_default) {
        Some(Ok(value)) => Some(value),
        Some(Err(message)) => {
            context.error(Some(&name), message);
            return None;
        }
        None => None,
    };
    if let Some(old) = spec.comment.as_deref().and_then(renamed_from) {
        context.renamed_from.push((name.clone(), old));
    }
    Some(Column {
        name,
        ty,
        null: spec.nullable != Some(false),
        default,
        unique: spec.unique,
        auto_increment: spec.auto_increment,
        comment: spec.comment.as_deref().and_then(strip_renamed_from),
        extra: spec.extra.clone(),
    })
}

/// SeaORM stores `renamed_from = "x"` by appending `renamed_from "x"` to the column comment;
/// that is an instruction, not a comment, so it is taken off again here.
fn strip_renamed_from(comment: &str) -> Option<String> {
    let comment = match comment.rfind("renamed_from \"") {
        Some(at) if comment.ends_with('"') => comment[..at].trim_end_matches("; "),
        _ => comment,
    };
    (!comment.is_empty()).then(|| comment.to_owned())
}

/// The `x` of a trailing `renamed_from "x"` in a column comment.
fn renamed_from(comment: &str) -> Option<String> {
    let at = comment.rfind("renamed_from \"")?;
    comment[at + "renamed_from \"".len()..]
        .strip_suffix('"')
        .map(str::to_owned)
}

/// The column's type through the vocabulary's one mapping, refusing enum values that SeaORM
/// cannot write into MySQL's inline `ENUM(…)`.
fn read_type(ty: &sea_query::ColumnType) -> Result<ColumnType, String> {
    let ty = ColumnType::from_sea_query(ty)?;
    if let ColumnType::Enum { variants, .. } = &ty
        && let Some(bad) = variants.iter().find(|v| v.contains(['\'', '\\']))
    {
        // SeaORM writes MySQL's inline ENUM('…') without escaping.
        return Err(format!(
            "enum value {bad:?} contains a quote or backslash, which SeaORM cannot write into \
             MySQL's ENUM(…) safely"
        ));
    }
    Ok(ty)
}

fn read_default(expr: &Expr) -> Result<DefaultValue, String> {
    match expr {
        Expr::Value(value) | Expr::Constant(value) => read_value(value),
        Expr::Keyword(Keyword::Null) => Ok(DefaultValue::Null),
        Expr::Keyword(Keyword::CurrentTimestamp) => Ok(DefaultValue::CurrentTimestamp),
        Expr::Keyword(Keyword::CurrentDate) => Ok(DefaultValue::CurrentDate),
        Expr::Keyword(Keyword::CurrentTime) => Ok(DefaultValue::CurrentTime),
        Expr::Custom(sql) => Ok(DefaultValue::Expr(sql.to_string())),
        other => Err(format!(
            "default expression {other:?} is not supported; write it as \
             `default_expr = \"Expr::cust(\\\"…SQL…\\\")\"`"
        )),
    }
}

/// A default value as SeaORM holds it, as the schema model's [`DefaultValue`]; an error for a
/// value no backend can take (a NaN or an infinity, say).
pub fn read_value(value: &Value) -> Result<DefaultValue, String> {
    let number = |text: String| {
        if is_numeric_literal(&text) {
            Ok(DefaultValue::Number(text))
        } else {
            Err(format!("default value {text} is not a finite number"))
        }
    };
    match value {
        Value::Bool(Some(b)) => Ok(DefaultValue::Bool(*b)),
        Value::String(Some(text)) => Ok(DefaultValue::String(text.clone())),
        Value::Char(Some(c)) => Ok(DefaultValue::String(c.to_string())),
        // The shortest text that reads back as the same number, with an exponent when it is
        // large or small: MySQL reads a long run of digits as a DECIMAL of at most 65 digits,
        // so `1e308` written out in full would silently become 1e65.
        Value::Float(Some(v)) => number(format!("{v:?}")),
        Value::Double(Some(v)) => number(format!("{v:?}")),
        Value::Json(Some(json)) => Ok(DefaultValue::String(json.to_string())),
        _ => {
            // Integers, decimals, dates, times and UUIDs: take sea-query's own rendering.
            let sql = SqliteQueryBuilder.value_to_string(value);
            if sql == "NULL" {
                Ok(DefaultValue::Null)
            } else if let Some(text) = sql
                .strip_prefix('\'')
                .and_then(|rest| rest.strip_suffix('\''))
                .filter(|text| !text.contains('\''))
            {
                Ok(DefaultValue::String(text.to_owned()))
            } else if is_numeric_literal(&sql) {
                Ok(DefaultValue::Number(sql))
            } else {
                Err(format!("default value {value:?} is not supported yet"))
            }
        }
    }
}

fn read_foreign_key(fk: &sea_query::TableForeignKey, context: &mut Context) -> Option<ForeignKey> {
    let name = constraints::constraint_name(fk.get_name().unwrap_or_default());
    let ref_table = match fk.get_ref_table() {
        Some(TableRef::Table(table, _)) if table.0.is_none() => table.1.to_string(),
        other => {
            context.error(
                None,
                format!("foreign key `{name}` references {other:?}, which is not a plain table"),
            );
            return None;
        }
    };
    let actions = fk
        .get_on_delete()
        .map(Action::from_sea_query)
        .transpose()
        .and_then(|on_delete| {
            Ok((
                on_delete,
                fk.get_on_update().map(Action::from_sea_query).transpose()?,
            ))
        });
    let (on_delete, on_update) = match actions {
        Ok(actions) => actions,
        Err(message) => {
            context.error(None, format!("foreign key `{name}`: {message}"));
            return None;
        }
    };
    Some(ForeignKey {
        name,
        columns: fk.get_columns(),
        ref_table,
        ref_columns: fk.get_ref_columns(),
        on_delete,
        on_update,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_from_is_taken_off_the_comment() {
        assert_eq!(strip_renamed_from(r#"renamed_from "old""#), None);
        assert_eq!(
            strip_renamed_from(r#"the title; renamed_from "old""#).as_deref(),
            Some("the title")
        );
        assert_eq!(strip_renamed_from("plain").as_deref(), Some("plain"));
        assert_eq!(
            renamed_from(r#"the title; renamed_from "old""#).as_deref(),
            Some("old")
        );
        assert_eq!(renamed_from("plain"), None);
    }
}
