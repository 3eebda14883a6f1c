//! Turning a model's declared validation rules into CHECK constraints: which rules the database
//! can enforce exactly as `validator` does, on which column types, under which names; and which
//! rules stay application-only. No I/O.

use entity_rules::{Bound, FieldRules, Rule as Declared};
use sea_orm::Value;

use crate::model::is_numeric_literal;
use crate::model::{Check, CheckRule, ColumnType, DefaultValue, Limit, Table};

/// A rule that only the application enforces, for the generator to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRule {
    pub table: String,
    pub field: String,
    pub rule: String,
}

impl std::fmt::Display for ApplicationRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}: {}", self.table, self.field, self.rule)
    }
}

/// What the rules of one model come to.
#[derive(Debug, Default)]
pub struct Translation {
    /// Sorted by name.
    pub checks: Vec<Check>,
    pub application_only: Vec<ApplicationRule>,
    /// `(column, message)` for each rule that cannot apply to its column.
    pub errors: Vec<(String, String)>,
}

/// The CHECK constraints and application-only rules of `table_name` from its model's `rules`.
pub fn translate(table_name: &str, table: &Table, rules: &[FieldRules]) -> Translation {
    let mut out = Translation::default();
    for field in rules {
        let Some(column_name) = field.column else {
            for rule in &field.rules {
                out.application_only.push(ApplicationRule {
                    table: table_name.to_owned(),
                    field: field.field.to_owned(),
                    rule: format!("{} (the field is not stored)", rule_name(rule)),
                });
            }
            continue;
        };
        let Some(column) = table.column(column_name) else {
            continue;
        };
        let mut add = |kind: &str, rule: Result<Option<CheckRule>, String>| match rule {
            Ok(Some(rule)) => out.checks.push(Check {
                name: constraint_name(&format!("ck_{table_name}_{column_name}_{kind}")),
                column: column_name.to_owned(),
                rule,
            }),
            Ok(None) => {}
            Err(message) => out.errors.push((
                column_name.to_owned(),
                format!("rule `{kind}` on field `{}`: {message}", field.field),
            )),
        };
        if let Some(values) = &field.allowed_values
            && !matches!(column.ty, ColumnType::Enum { .. })
        {
            // A native enum's type already limits the values.
            add("allowed", one_of(values));
        }
        for rule in &field.rules {
            match rule {
                Declared::Length { min, max, equal } => {
                    add("length", length(&column.ty, *min, *max, *equal))
                }
                Declared::Range {
                    min,
                    max,
                    exclusive_min,
                    exclusive_max,
                } => add(
                    "range",
                    range(&column.ty, (*min, *exclusive_min), (*max, *exclusive_max)),
                ),
                Declared::Required => {
                    add("required", Ok(column.null.then_some(CheckRule::NotNull)))
                }
                Declared::NoNul => add("no_nul", no_nul(&column.ty)),
                Declared::ApplicationOnly(name) => out.application_only.push(ApplicationRule {
                    table: table_name.to_owned(),
                    field: field.field.to_owned(),
                    rule: (*name).to_owned(),
                }),
            }
        }
    }
    out.checks.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = out
        .checks
        .windows(2)
        .find(|pair| pair[0].name == pair[1].name)
    {
        let name = pair[0].name.clone();
        out.errors.push((
            pair[0].column.clone(),
            format!("two rules of one kind on one field would both be CHECK `{name}`; merge them"),
        ));
    }
    out
}

fn rule_name(rule: &Declared) -> &str {
    match rule {
        Declared::Length { .. } => "length",
        Declared::Range { .. } => "range",
        Declared::Required => "required",
        Declared::NoNul => "no_nul",
        Declared::ApplicationOnly(name) => name,
    }
}

fn one_of(values: &[Value]) -> Result<Option<CheckRule>, String> {
    let literals = values
        .iter()
        .map(|value| match value {
            Value::String(Some(text)) => Ok(DefaultValue::String(text.clone())),
            Value::Char(Some(c)) => Ok(DefaultValue::String(c.to_string())),
            Value::TinyInt(Some(v)) => Ok(DefaultValue::Number(v.to_string())),
            Value::SmallInt(Some(v)) => Ok(DefaultValue::Number(v.to_string())),
            Value::Int(Some(v)) => Ok(DefaultValue::Number(v.to_string())),
            Value::BigInt(Some(v)) => Ok(DefaultValue::Number(v.to_string())),
            Value::TinyUnsigned(Some(v)) => Ok(DefaultValue::Number(v.to_string())),
            Value::SmallUnsigned(Some(v)) => Ok(DefaultValue::Number(v.to_string())),
            Value::Unsigned(Some(v)) => Ok(DefaultValue::Number(v.to_string())),
            Value::BigUnsigned(Some(v)) => Ok(DefaultValue::Number(v.to_string())),
            other => Err(format!(
                "enum value {other:?} is not a string or an integer"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if literals.is_empty() {
        return Err("the enum has no values, so no row could be stored".to_owned());
    }
    Ok(Some(CheckRule::OneOf(literals)))
}

fn is_text(ty: &ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::Char(_) | ColumnType::String(_) | ColumnType::Text
    )
}

fn count(bound: Option<Bound>, key: &str) -> Result<Option<u64>, String> {
    match bound {
        None => Ok(None),
        Some(Bound::Int(n)) => u64::try_from(n)
            .map(Some)
            .map_err(|_| format!("`{key} = {n}` is not a number of characters")),
        Some(Bound::Float(f)) => Err(format!("`{key} = {f}` is not a whole number of characters")),
    }
}

fn length(
    ty: &ColumnType,
    min: Option<Bound>,
    max: Option<Bound>,
    equal: Option<Bound>,
) -> Result<Option<CheckRule>, String> {
    if !is_text(ty) {
        return Err(format!(
            "a length counts characters, but the column's type is {ty:?}; use `range` for numbers"
        ));
    }
    let (mut min, mut max) = (count(min, "min")?, count(max, "max")?);
    if let Some(equal) = count(equal, "equal")? {
        if min.is_some() || max.is_some() {
            return Err("`equal` cannot be combined with `min` or `max`".to_owned());
        }
        (min, max) = (Some(equal), Some(equal));
    }
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        return Err(format!("min {min} is above max {max}, so no value passes"));
    }
    // `min = 0` and no max constrains nothing.
    let min = min.filter(|&m| m > 0);
    Ok((min.is_some() || max.is_some()).then_some(CheckRule::Length { min, max }))
}

fn no_nul(ty: &ColumnType) -> Result<Option<CheckRule>, String> {
    if !is_text(ty) {
        return Err(format!(
            "only text can hold a NUL character, but the column's type is {ty:?}"
        ));
    }
    Ok(Some(CheckRule::NoNul))
}

fn limit(bound: Option<Bound>, key: &str, inclusive: bool) -> Result<Option<Limit>, String> {
    let value = match bound {
        None => return Ok(None),
        Some(Bound::Int(n)) => n.to_string(),
        Some(Bound::Float(f)) if f.is_finite() => format!("{f:?}"),
        Some(Bound::Float(f)) => return Err(format!("`{key} = {f}` is not a finite number")),
    };
    debug_assert!(is_numeric_literal(&value), "{value}");
    Ok(Some(Limit { value, inclusive }))
}

fn range(
    ty: &ColumnType,
    (min, exclusive_min): (Option<Bound>, Option<Bound>),
    (max, exclusive_max): (Option<Bound>, Option<Bound>),
) -> Result<Option<CheckRule>, String> {
    if !ty.is_numeric() {
        return Err(format!(
            "a range compares numbers, but the column's type is {ty:?}"
        ));
    }
    if min.is_some() && exclusive_min.is_some() || max.is_some() && exclusive_max.is_some() {
        return Err("give `min` or `exclusive_min`, and `max` or `exclusive_max`, not both".into());
    }
    let low = match min {
        Some(_) => limit(min, "min", true)?,
        None => limit(exclusive_min, "exclusive_min", false)?,
    };
    let high = match max {
        Some(_) => limit(max, "max", true)?,
        None => limit(exclusive_max, "exclusive_max", false)?,
    };
    if let (Some(low), Some(high)) = (&low, &high) {
        let (l, h): (f64, f64) = (low.value.parse().unwrap(), high.value.parse().unwrap());
        if l > h || (l == h && !(low.inclusive && high.inclusive)) {
            return Err(format!(
                "the lower end {} is above the upper end {}, so no value passes",
                low.value, high.value
            ));
        }
    }
    Ok(
        (low.is_some() || high.is_some()).then_some(CheckRule::Range {
            min: low,
            max: high,
        }),
    )
}

/// PostgreSQL cuts identifiers at 63 bytes and MySQL at 64 characters; a longer generated
/// name is cut at a character boundary and ends with a hash of the whole name, so it stays
/// unique and the same on every run.
pub fn constraint_name(name: &str) -> String {
    const LIMIT: usize = crate::model::MAX_NAME_BYTES;
    if name.len() <= LIMIT {
        return name.to_owned();
    }
    let suffix = format!("_{:08x}", migration_ops::fnv1a64(name) as u32);
    let mut cut = LIMIT - suffix.len();
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{suffix}", &name[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Column, Len};

    fn table() -> Table {
        Table {
            columns: vec![
                Column::new("title", ColumnType::String(Len::None)),
                Column::new("score", ColumnType::Integer),
            ],
            primary_key: vec!["score".into()],
            ..Table::default()
        }
    }

    fn field(name: &'static str, rules: Vec<Declared>) -> FieldRules {
        FieldRules {
            field: name,
            column: Some(name),
            allowed_values: None,
            rules,
        }
    }

    #[test]
    fn a_length_and_a_range_become_named_checks() {
        let out = translate(
            "posts",
            &table(),
            &[
                field(
                    "title",
                    vec![
                        Declared::Length {
                            min: Some(Bound::Int(1)),
                            max: Some(Bound::Int(200)),
                            equal: None,
                        },
                        Declared::ApplicationOnly("email"),
                    ],
                ),
                field(
                    "score",
                    vec![Declared::Range {
                        min: None,
                        max: Some(Bound::Float(5.5)),
                        exclusive_min: Some(Bound::Int(0)),
                        exclusive_max: None,
                    }],
                ),
            ],
        );
        assert_eq!(out.errors, []);
        assert_eq!(
            out.checks,
            [
                Check {
                    name: "ck_posts_score_range".into(),
                    column: "score".into(),
                    rule: CheckRule::Range {
                        min: Some(Limit {
                            value: "0".into(),
                            inclusive: false
                        }),
                        max: Some(Limit {
                            value: "5.5".into(),
                            inclusive: true
                        }),
                    },
                },
                Check {
                    name: "ck_posts_title_length".into(),
                    column: "title".into(),
                    rule: CheckRule::Length {
                        min: Some(1),
                        max: Some(200)
                    },
                },
            ]
        );
        assert_eq!(out.application_only[0].to_string(), "posts.title: email");
    }

    #[test]
    fn rules_that_cannot_apply_are_errors_naming_field_and_rule() {
        let out = translate(
            "posts",
            &table(),
            &[
                field(
                    "score",
                    vec![Declared::Length {
                        min: Some(Bound::Int(1)),
                        max: None,
                        equal: None,
                    }],
                ),
                field(
                    "title",
                    vec![Declared::Range {
                        min: Some(Bound::Int(1)),
                        max: None,
                        exclusive_min: None,
                        exclusive_max: None,
                    }],
                ),
            ],
        );
        let messages: Vec<String> = out.errors.iter().map(|(_, m)| m.clone()).collect();
        assert!(messages[0].starts_with("rule `length` on field `score`: a length counts"));
        assert!(messages[1].starts_with("rule `range` on field `title`: a range compares"));
        let out = translate(
            "posts",
            &table(),
            &[field(
                "score",
                vec![Declared::Range {
                    min: Some(Bound::Int(10)),
                    max: Some(Bound::Int(1)),
                    exclusive_min: None,
                    exclusive_max: None,
                }],
            )],
        );
        assert!(
            out.errors[0]
                .1
                .contains("lower end 10 is above the upper end 1")
        );
    }

    #[test]
    fn no_nul_is_a_check_on_text_and_an_error_on_a_number() {
        let out = translate(
            "posts",
            &table(),
            &[
                field("title", vec![Declared::NoNul]),
                field("score", vec![Declared::NoNul]),
            ],
        );
        assert_eq!(
            out.checks,
            [Check {
                name: "ck_posts_title_no_nul".into(),
                column: "title".into(),
                rule: CheckRule::NoNul,
            }]
        );
        assert_eq!(out.errors[0].0, "score");
        assert!(
            out.errors[0]
                .1
                .starts_with("rule `no_nul` on field `score`: only text can hold a NUL")
        );
    }

    #[test]
    fn long_constraint_names_are_cut_with_a_hash_and_stay_distinct() {
        let a = constraint_name(&format!("ck_{}_a_length", "t".repeat(80)));
        let b = constraint_name(&format!("ck_{}_b_length", "t".repeat(80)));
        assert_eq!(a.len(), 63);
        assert_ne!(a, b);
        let multibyte = constraint_name(&format!("ck_{}", "é".repeat(40)));
        assert!(multibyte.len() <= 63);
        assert_eq!(
            constraint_name("ck_posts_title_length"),
            "ck_posts_title_length"
        );
    }
}
