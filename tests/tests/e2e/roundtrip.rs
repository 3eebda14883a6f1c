//! The round-trip property, on real databases: for random schema pairs A → B (seeded and
//! reproducible), create A and fill it with rows, run the generated A → B migration, and the
//! database equals a fresh B (compared through the catalog) with the surviving rows intact;
//! then run `down`, and it equals a fresh A again.
//!
//! `ROUNDTRIP_PAIRS` sets the number of pairs per backend (default 200); `ROUNDTRIP_SEED` runs one
//! seed alone. A failing seed is printed; add it to `REGRESSIONS` so it runs on every build.

use std::collections::BTreeMap;

use generator_core::diff::{self, Options};
use generator_core::lower;
use generator_core::model::{
    Check, CheckRule, Column, ColumnType, DefaultValue, ForeignKey, Index, Len, Limit, Schema,
    Table,
};
use generator_core::operation::{Operation, Plan};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use tests::db::{Backend, TestDb};
use tests::rng::Rng;

/// Changes that only some pairs make, as their summaries say them; a run of 100 pairs or more
/// must make each at least three times. (Each pair's `down` makes the reverse changes.)
const RARE_KINDS: &[&str] = &[
    "primary key of",
    "auto-increment column k added",
    "no longer auto-increment",
];

/// Seeds that once failed; each runs on every backend on every build.
const REGRESSIONS: &[u64] = &[12, 47, 92, 113, 123, 185, 200];

/// The types every backend has (the backend-specific ones, such as PostgreSQL's `inet` or
/// MySQL's `year`, are covered at creation by the fidelity corpus).
const TYPES: &[ColumnType] = &[
    ColumnType::TinyInteger,
    ColumnType::SmallInteger,
    ColumnType::Integer,
    ColumnType::BigInteger,
    ColumnType::Char(Some(8)),
    ColumnType::String(Len::N(40)),
    ColumnType::Text,
    ColumnType::Boolean,
    ColumnType::Float,
    ColumnType::Double,
    ColumnType::Decimal(Some((10, 2))),
    ColumnType::Date,
    ColumnType::Time,
    ColumnType::DateTime,
    ColumnType::TimestampWithTimeZone,
    ColumnType::Json,
];

/// Whether an index can hold it (MySQL indexes TEXT and JSON only by a prefix).
fn indexable(ty: &ColumnType) -> bool {
    !matches!(ty, ColumnType::Text | ColumnType::Json)
}

/// Whether a length rule (text) or a range rule (numbers) applies to it.
fn checkable(ty: &ColumnType) -> bool {
    ty.is_numeric()
        || matches!(
            ty,
            ColumnType::Char(_) | ColumnType::String(_) | ColumnType::Text
        )
}

/// Three rows can hold distinct values of it (a boolean has two; rows hold one enum value).
fn uniqueable(ty: &ColumnType) -> bool {
    indexable(ty) && *ty != ColumnType::Boolean && !matches!(ty, ColumnType::Enum { .. })
}

/// The native enum type of a random schema. Rows and defaults hold `base`, which no change
/// removes; the other values come and go.
const ENUM: &str = "mood";

fn enum_type(values: &[String]) -> ColumnType {
    ColumnType::Enum {
        name: ENUM.to_owned(),
        variants: values.to_vec(),
    }
}

fn column(name: &str, ty: ColumnType) -> Column {
    Column::new(name, ty)
}

fn some_default(rng: &mut Rng, ty: &ColumnType) -> DefaultValue {
    use ColumnType as T;
    match ty {
        T::TinyInteger | T::SmallInteger | T::Integer | T::BigInteger => {
            DefaultValue::Number(format!("{}", rng.below(100)))
        }
        T::Boolean => DefaultValue::Bool(rng.chance(50)),
        T::Float | T::Double => DefaultValue::Number("1.5".to_owned()),
        T::Decimal(_) => DefaultValue::Number("2.25".to_owned()),
        T::Enum { .. } => DefaultValue::String("base".to_owned()),
        T::Date => DefaultValue::String("2026-01-01".to_owned()),
        T::Time => DefaultValue::String("10:30:00".to_owned()),
        T::DateTime | T::TimestampWithTimeZone if rng.chance(50) => DefaultValue::CurrentTimestamp,
        T::DateTime | T::TimestampWithTimeZone => {
            DefaultValue::String("2026-01-01 10:30:00".to_owned())
        }
        T::Json => DefaultValue::String("{}".to_owned()),
        _ => DefaultValue::String(["draft", "it's", "a \"b\"", ""][rng.below(4)].to_owned()),
    }
}

/// A value to fill existing rows with (`--backfill`), as text.
fn backfill_value(rng: &mut Rng, ty: &ColumnType) -> String {
    match some_default(rng, ty) {
        DefaultValue::Number(n) => n,
        DefaultValue::Bool(b) => b.to_string(),
        DefaultValue::String(s) => s,
        DefaultValue::CurrentTimestamp => "2026-02-01 08:00:00".to_owned(),
        other => unreachable!("no backfill from {other:?}"),
    }
}

fn random_column(rng: &mut Rng, name: String, enum_values: &[String]) -> Column {
    let ty = if rng.chance(12) {
        enum_type(enum_values)
    } else {
        TYPES[rng.below(TYPES.len())].clone()
    };
    let mut c = column(&name, ty);
    c.null = rng.chance(40);
    if rng.chance(40) {
        c.default = Some(some_default(rng, &c.ty));
    }
    c.unique = uniqueable(&c.ty) && rng.chance(15);
    c
}

fn random_table(rng: &mut Rng, name: &str, earlier: &[String], enum_values: &[String]) -> Table {
    let mut id = column("id", ColumnType::Integer);
    id.auto_increment = true;
    let mut table = Table {
        columns: vec![id],
        primary_key: vec!["id".to_owned()],
        ..Table::default()
    };
    for i in 0..2 + rng.below(4) {
        table
            .columns
            .push(random_column(rng, format!("c{i}"), enum_values));
    }
    if !earlier.is_empty() && rng.chance(50) {
        add_foreign_key(rng, name, &mut table, earlier);
    }
    if rng.chance(50) {
        add_index(rng, name, &mut table);
    }
    if rng.chance(40) {
        add_check(rng, name, &mut table);
    }
    table
}

/// A rule on a random column that the rows `fill` writes and every default keep: at most 500
/// characters, or a number within ±1,000,000,000.
fn add_check(rng: &mut Rng, name: &str, table: &mut Table) {
    let candidates: Vec<&Column> = table
        .columns
        .iter()
        .filter(|c| c.name != "id" && checkable(&c.ty))
        .filter(|c| !table.checks.iter().any(|check| check.column == c.name))
        .collect();
    if candidates.is_empty() {
        return;
    }
    let column = candidates[rng.below(candidates.len())];
    let rule = match column.ty {
        ColumnType::Char(_) | ColumnType::String(_) | ColumnType::Text => CheckRule::Length {
            min: None,
            max: Some(500 + rng.below(10) as u64),
        },
        _ => CheckRule::Range {
            min: Some(Limit {
                value: "-1000000000".to_owned(),
                inclusive: true,
            }),
            max: Some(Limit {
                value: format!("{}", 1_000_000_000 + rng.below(10)),
                inclusive: rng.chance(50),
            }),
        },
    };
    let check = Check {
        name: format!("ck-{name}-{}", rng.below(100_000)),
        column: column.name.clone(),
        rule,
    };
    if !table.checks.iter().any(|c| c.name == check.name) {
        table.checks.push(check);
        table.checks.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

fn add_foreign_key(rng: &mut Rng, name: &str, table: &mut Table, targets: &[String]) {
    let target = targets[rng.below(targets.len())].clone();
    let column_name = format!("{target}_ref{}", table.columns.len());
    let mut fk_column = column(&column_name, ColumnType::Integer);
    fk_column.null = true;
    table.columns.push(fk_column);
    table.foreign_keys.push(ForeignKey {
        name: format!("fk-{name}-{column_name}"),
        columns: vec![column_name],
        ref_table: target,
        ref_columns: vec!["id".to_owned()],
        on_delete: [None, Some(generator_core::model::Action::Cascade)][rng.below(2)],
        on_update: None,
    });
}

fn add_index(rng: &mut Rng, name: &str, table: &mut Table) {
    let candidates: Vec<String> = table
        .columns
        .iter()
        .filter(|c| c.name != "id" && indexable(&c.ty))
        .map(|c| c.name.clone())
        .collect();
    if candidates.is_empty() {
        return;
    }
    let first = candidates[rng.below(candidates.len())].clone();
    let mut columns = vec![first];
    if candidates.len() > 1 && rng.chance(30) {
        let second = candidates[rng.below(candidates.len())].clone();
        if second != columns[0] {
            columns.push(second);
        }
    }
    let index_name = format!("idx-{name}-{}", table.indexes.len() + rng.below(1000) * 10);
    if table
        .indexes
        .iter()
        .any(|i| i.name == index_name || i.columns == columns)
    {
        return;
    }
    let unique = rng.chance(30)
        && columns
            .iter()
            .any(|c| table.column(c).is_some_and(|c| uniqueable(&c.ty)));
    table.indexes.push(Index {
        name: index_name,
        columns,
        unique,
    });
}

/// Schema A: two to four tables, later ones may reference earlier ones.
fn random_schema(rng: &mut Rng) -> Schema {
    let mut schema = Schema::default();
    let values = enum_values(&schema);
    let mut names = Vec::new();
    for i in 0..2 + rng.below(3) {
        let name = format!("t{i}");
        let table = random_table(rng, &name, &names, &values);
        schema.tables.insert(name.clone(), table);
        names.push(name);
    }
    keep_enum_if_used(&mut schema, &values);
    schema
}

/// The values of the schema's enum type, or the first ones.
fn enum_values(schema: &Schema) -> Vec<String> {
    schema
        .enums
        .get(ENUM)
        .cloned()
        .unwrap_or_else(|| ["base", "happy", "sad"].map(str::to_owned).into())
}

/// Records the enum type in the schema when a column uses it, and only then.
fn keep_enum_if_used(schema: &mut Schema, values: &[String]) {
    let used = schema.tables.values().any(|t| {
        t.columns
            .iter()
            .any(|c| matches!(&c.ty, ColumnType::Enum { .. }))
    });
    if used {
        schema.enums.insert(ENUM.to_owned(), values.to_vec());
    } else {
        schema.enums.remove(ENUM);
    }
}

/// The enum's values changed as a migration would change them: one added, one (never `base`)
/// removed, or two swapped; every column of the type follows.
fn change_enum(rng: &mut Rng, schema: &mut Schema) {
    let mut values = enum_values(schema);
    match rng.below(3) {
        0 => {
            let value = format!("v{}", rng.below(1000));
            if !values.contains(&value) {
                let at = rng.below(values.len() + 1);
                values.insert(at, value);
            }
        }
        1 if values.len() > 2 => {
            let at = 1 + rng.below(values.len() - 1);
            if values[at] != "base" {
                values.remove(at);
            }
        }
        _ => {
            let (i, j) = (rng.below(values.len()), rng.below(values.len()));
            values.swap(i, j);
        }
    }
    for table in schema.tables.values_mut() {
        for column in &mut table.columns {
            if matches!(column.ty, ColumnType::Enum { .. }) {
                column.ty = enum_type(&values);
            }
        }
    }
    schema.enums.insert(ENUM.to_owned(), values);
}

/// Schema B: A with one to three random changes, and the decisions generation needs.
fn mutate(rng: &mut Rng, a: &Schema) -> (Schema, Options) {
    let mut b = a.clone();
    let mut options = Options {
        allow_destructive: true,
        ..Options::default()
    };
    for _ in 0..1 + rng.below(3) {
        let names: Vec<String> = b.tables.keys().cloned().collect();
        let name = names[rng.below(names.len())].clone();
        let referenced = b
            .tables
            .values()
            .any(|t| t.foreign_keys.iter().any(|fk| fk.ref_table == name));
        let was_in_a =
            a.tables.contains_key(&name) || options.table_renames.values().any(|n| *n == name);
        let table = b.tables.get_mut(&name).unwrap();
        let plain: Vec<usize> = (1..table.columns.len())
            .filter(|i| {
                !table
                    .foreign_keys
                    .iter()
                    .any(|fk| fk.columns.contains(&table.columns[*i].name))
            })
            .collect();
        match rng.below(13) {
            0 => {
                let suffix = rng.below(1000);
                let values = enum_values(&b);
                let table = b.tables.get_mut(&name).unwrap();
                let mut c = random_column(rng, format!("n{suffix}"), &values);
                if table.column(&c.name).is_some() {
                    continue;
                }
                // A new UNIQUE column with a default gives every existing row the same value.
                if c.default.is_some() {
                    c.unique = false;
                }
                if !c.null && c.default.is_none() {
                    c.unique = false;
                    if was_in_a {
                        let value = backfill_value(rng, &c.ty);
                        options
                            .backfills
                            .insert((name.clone(), c.name.clone()), value);
                    }
                }
                table.columns.push(c);
            }
            1 if !plain.is_empty() => {
                let at = plain[rng.below(plain.len())];
                let dropped = table.columns.remove(at).name;
                table.indexes.retain(|i| !i.columns.contains(&dropped));
                table.checks.retain(|c| c.column != dropped);
                b.renamed_from.remove(&(name.clone(), dropped));
            }
            2 if !plain.is_empty() => {
                let at = plain[rng.below(plain.len())];
                let old = table.columns[at].name.clone();
                let new = format!("{old}_r{}", rng.below(100));
                table.columns[at].name = new.clone();
                for index in &mut table.indexes {
                    for c in &mut index.columns {
                        if *c == old {
                            *c = new.clone();
                        }
                    }
                }
                for check in &mut table.checks {
                    if check.column == old {
                        check.column = new.clone();
                    }
                }
                // Only a column A had is renamed from something; one this pair added just
                // gets another name.
                let old_table = options
                    .table_renames
                    .iter()
                    .find(|(_, n)| **n == name)
                    .map_or(name.as_str(), |(o, _)| o.as_str());
                let in_a = a
                    .tables
                    .get(old_table)
                    .is_some_and(|t| t.column(&old).is_some());
                // A backfill decided for the column goes with it.
                if let Some(value) = options.backfills.remove(&(name.clone(), old.clone())) {
                    options.backfills.insert((name.clone(), new.clone()), value);
                }
                // A declaration made earlier in this pair follows the column.
                let declared = b.renamed_from.remove(&(name.clone(), old.clone()));
                if rng.chance(50) && in_a {
                    b.renamed_from.insert((name.clone(), new), old);
                } else if let Some(declared) = declared {
                    b.renamed_from.insert((name.clone(), new), declared);
                } else if was_in_a && in_a {
                    options.column_renames.insert((name.clone(), old), new);
                }
            }
            3 if !plain.is_empty() => {
                let c = &mut table.columns[plain[rng.below(plain.len())]];
                if c.null && !c.unique {
                    c.null = false;
                    if c.default.is_none() && was_in_a {
                        let value = backfill_value(rng, &c.ty);
                        options
                            .backfills
                            .insert((name.clone(), c.name.clone()), value);
                    }
                } else {
                    c.null = true;
                }
            }
            4 if !plain.is_empty() => {
                let c = &mut table.columns[plain[rng.below(plain.len())]];
                c.default = if c.default.is_some() && rng.chance(50) {
                    None
                } else {
                    Some(some_default(rng, &c.ty))
                };
            }
            5 if !plain.is_empty() => {
                let c = &mut table.columns[plain[rng.below(plain.len())]];
                c.ty = match &c.ty {
                    ColumnType::TinyInteger => ColumnType::SmallInteger,
                    ColumnType::SmallInteger => ColumnType::Integer,
                    ColumnType::Float => ColumnType::Double,
                    ColumnType::Integer => ColumnType::BigInteger,
                    ColumnType::String(Len::N(n)) => ColumnType::String(Len::N(n * 2)),
                    ColumnType::Decimal(Some((p, s))) => ColumnType::Decimal(Some((p + 2, *s))),
                    other => other.clone(),
                };
            }
            6 if !plain.is_empty() => {
                let c = &mut table.columns[plain[rng.below(plain.len())]];
                if uniqueable(&c.ty)
                    && !options
                        .backfills
                        .contains_key(&(name.clone(), c.name.clone()))
                {
                    c.unique = !c.unique;
                }
            }
            7 => {
                if table.indexes.is_empty() || rng.chance(50) {
                    add_index(rng, &name, table);
                } else {
                    let at = rng.below(table.indexes.len());
                    table.indexes.remove(at);
                }
            }
            8 => {
                if !table.foreign_keys.is_empty() && rng.chance(50) {
                    let at = rng.below(table.foreign_keys.len());
                    table.foreign_keys.remove(at);
                } else {
                    let targets: Vec<String> =
                        names.iter().filter(|n| **n < name).cloned().collect();
                    if !targets.is_empty() {
                        add_foreign_key(rng, &name, table, &targets);
                    }
                }
            }
            12 => {
                if b.enums.contains_key(ENUM) {
                    change_enum(rng, &mut b);
                }
            }
            11 => {
                // A rule added, dropped or changed.
                if !table.checks.is_empty() && rng.chance(50) {
                    let at = rng.below(table.checks.len());
                    if rng.chance(50) {
                        table.checks.remove(at);
                    } else if let CheckRule::Length { max, .. } = &mut table.checks[at].rule {
                        *max = Some(max.unwrap_or(500) + 1);
                    } else {
                        table.checks.remove(at);
                    }
                } else {
                    add_check(rng, &name, table);
                }
            }
            9 => {
                let new_name = format!("t{}", 10 + rng.below(90));
                if b.tables.contains_key(&new_name) || a.tables.contains_key(&new_name) {
                    continue;
                }
                if rng.chance(50) && !referenced {
                    // A table renamed in this pair stays: dropping it would void the rename.
                    if options.table_renames.values().any(|n| *n == name) {
                        continue;
                    }
                    b.tables.remove(&name);
                } else {
                    let earlier: Vec<String> = names.clone();
                    let values = enum_values(&b);
                    let table = random_table(rng, &new_name, &earlier, &values);
                    b.tables.insert(new_name, table);
                }
            }
            _ => {
                let new_name = format!("{name}_v{}", rng.below(100));
                if !was_in_a
                    || options.table_renames.values().any(|n| *n == name)
                    || b.tables.contains_key(&new_name)
                {
                    continue;
                }
                let table = b.tables.remove(&name).unwrap();
                for other in b.tables.values_mut() {
                    for fk in &mut other.foreign_keys {
                        if fk.ref_table == name {
                            fk.ref_table = new_name.clone();
                        }
                    }
                }
                b.tables.insert(new_name.clone(), table);
                // Decisions name tables as the entities now name them.
                options.backfills = std::mem::take(&mut options.backfills)
                    .into_iter()
                    .map(|((t, c), v)| ((if t == name { new_name.clone() } else { t }, c), v))
                    .collect();
                options.column_renames = std::mem::take(&mut options.column_renames)
                    .into_iter()
                    .map(|((t, c), v)| ((if t == name { new_name.clone() } else { t }, c), v))
                    .collect();
                b.renamed_from = std::mem::take(&mut b.renamed_from)
                    .into_iter()
                    .map(|((t, c), v)| ((if t == name { new_name.clone() } else { t }, c), v))
                    .collect();
                options.table_renames.insert(name, new_name);
            }
        }
    }
    let values = enum_values(&b);
    keep_enum_if_used(&mut b, &values);
    // A column new in this pair that the changes left NOT NULL without a default needs a
    // backfill for the rows A already has.
    for (name, table) in &b.tables {
        let old_table = options
            .table_renames
            .iter()
            .find(|(_, n)| *n == name)
            .map_or(name.as_str(), |(o, _)| o.as_str());
        let Some(before) = a.tables.get(old_table) else {
            continue;
        };
        for c in &table.columns {
            let renamed = b.renamed_from.contains_key(&(name.clone(), c.name.clone()))
                || options
                    .column_renames
                    .iter()
                    .any(|((t, _), n)| t == name && *n == c.name);
            let key = (name.clone(), c.name.clone());
            if before.column(&c.name).is_none()
                && !renamed
                && !c.null
                && c.default.is_none()
                && !options.backfills.contains_key(&key)
            {
                let value = backfill_value(rng, &c.ty);
                options.backfills.insert(key, value);
            }
        }
    }
    // Drawn last, so that earlier seeds keep the rest of their pair.
    if rng.chance(25) {
        change_key(rng, &mut b);
    }
    (b, options)
}

/// A primary-key change on a random table: auto-increment turned off or on, the key widened
/// with a NOT NULL column, or a new auto-increment key column `k` in place of `id`. Only a
/// table no foreign key points at takes a new key (theirs point at `id` alone).
fn change_key(rng: &mut Rng, b: &mut Schema) {
    let names: Vec<String> = b.tables.keys().cloned().collect();
    let name = &names[rng.below(names.len())];
    let referenced = b
        .tables
        .values()
        .any(|t| t.foreign_keys.iter().any(|fk| fk.ref_table == *name));
    let table = b.tables.get_mut(name).unwrap();
    if table.primary_key != ["id"] {
        return;
    }
    let kind = rng.below(3);
    let id = table.columns.iter_mut().find(|c| c.name == "id").unwrap();
    if kind == 0 || referenced {
        id.auto_increment = !id.auto_increment;
        return;
    }
    id.auto_increment = false;
    if kind == 1 {
        let candidates: Vec<String> = table
            .columns
            .iter()
            .filter(|c| {
                c.name != "id"
                    && !c.null
                    && indexable(&c.ty)
                    && !table
                        .foreign_keys
                        .iter()
                        .any(|fk| fk.columns.contains(&c.name))
            })
            .map(|c| c.name.clone())
            .collect();
        if let Some(second) = candidates.get(rng.below(candidates.len().max(1))) {
            table.primary_key.push(second.clone());
            return;
        }
    }
    let mut k = column("k", ColumnType::BigInteger);
    k.auto_increment = true;
    table.columns.push(k);
    table.primary_key = vec!["k".to_owned()];
}

/// The schema with every table (and every name made from it) prefixed, so that several copies
/// live side by side in one database.
fn prefixed(schema: &Schema, prefix: &str) -> Schema {
    let rename = |name: &str| format!("{prefix}{name}");
    // Enum types are shared by the whole schema on PostgreSQL: each copy has its own.
    let mut out = Schema {
        enums: schema
            .enums
            .iter()
            .map(|(name, values)| (rename(name), values.clone()))
            .collect(),
        ..Schema::default()
    };
    for (name, table) in &schema.tables {
        let mut table = table.clone();
        for column in &mut table.columns {
            if let ColumnType::Enum { name, .. } = &mut column.ty {
                *name = rename(name);
            }
        }
        for index in &mut table.indexes {
            index.name = format!("{prefix}{}", index.name);
        }
        for fk in &mut table.foreign_keys {
            fk.name = format!("{prefix}{}", fk.name);
            fk.ref_table = rename(&fk.ref_table);
        }
        for check in &mut table.checks {
            check.name = format!("{prefix}{}", check.name);
        }
        table.name = rename(name);
        out.tables.insert(rename(name), table);
    }
    out.renamed_from = schema
        .renamed_from
        .iter()
        .map(|((table, column), old)| ((rename(table), column.clone()), old.clone()))
        .collect();
    out
}

fn prefixed_options(options: &Options, prefix: &str) -> Options {
    Options {
        allow_destructive: options.allow_destructive,
        allow_blocking: options.allow_blocking,
        table_renames: options
            .table_renames
            .iter()
            .map(|(o, n)| (format!("{prefix}{o}"), format!("{prefix}{n}")))
            .collect(),
        column_renames: options
            .column_renames
            .iter()
            .map(|((t, o), n)| ((format!("{prefix}{t}"), o.clone()), n.clone()))
            .collect(),
        backfills: options
            .backfills
            .iter()
            .map(|((t, c), v)| ((format!("{prefix}{t}"), c.clone()), v.clone()))
            .collect(),
        no_rename_tables: options
            .no_rename_tables
            .iter()
            .map(|t| format!("{prefix}{t}"))
            .collect(),
        no_rename_columns: options
            .no_rename_columns
            .iter()
            .map(|(t, c)| (format!("{prefix}{t}"), c.clone()))
            .collect(),
    }
}

/// Runs `operations` as a generated migration runs them.
async fn run(connection: &DatabaseConnection, operations: &[Operation]) -> Result<(), String> {
    tests::db::apply(connection, &lower::lower(operations)).await
}

/// A text value of `ty` for row `row`: distinct per row, so UNIQUE holds.
fn sample(ty: &ColumnType, row: usize) -> String {
    use ColumnType as T;
    match ty {
        T::Boolean => ["TRUE", "FALSE"][row % 2].to_owned(),
        T::TinyInteger => format!("{}", 10 + row),
        T::SmallInteger | T::Integer | T::BigInteger => format!("{}", 1000 + row),
        T::Float | T::Double | T::Decimal(_) => format!("{}.5", 1000 + row),
        T::Enum { .. } => "'base'".to_owned(),
        T::Char(_) => format!("'r{row}'"),
        T::Date => format!("'2026-03-0{}'", row + 1),
        T::Time => format!("'08:15:0{row}'"),
        T::DateTime | T::TimestampWithTimeZone => format!("'2026-03-01 08:15:0{row}'"),
        T::Json => format!("'{{\"row\": {row}}}'"),
        _ => format!("'row {row}'"),
    }
}

async fn fill(connection: &DatabaseConnection, schema: &Schema) -> Result<(), String> {
    for (name, table) in &schema.tables {
        for row in 0..3 {
            let columns: Vec<&Column> = table
                .columns
                .iter()
                .filter(|c| {
                    !c.auto_increment
                        && !table
                            .foreign_keys
                            .iter()
                            .any(|fk| fk.columns.contains(&c.name))
                })
                .collect();
            let quote = |n: &str| quote(connection.get_database_backend(), n);
            let sql = if columns.is_empty() {
                match connection.get_database_backend() {
                    DbBackend::MySql => format!("INSERT INTO {} () VALUES ()", quote(name)),
                    _ => format!("INSERT INTO {} DEFAULT VALUES", quote(name)),
                }
            } else {
                format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    quote(name),
                    columns
                        .iter()
                        .map(|c| quote(&c.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                    columns
                        .iter()
                        .map(|c| sample(&c.ty, row))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            connection
                .execute_unprepared(&sql)
                .await
                .map_err(|e| format!("{e}\n  while running: {sql}"))?;
        }
    }
    Ok(())
}

async fn dump(connection: &DatabaseConnection, prefix: &str) -> Vec<String> {
    generator_core::introspect::catalog(connection, prefix)
        .await
        .unwrap()
}

async fn drop_all(connection: &DatabaseConnection, prefixes: &[&str]) {
    let backend = connection.get_database_backend();
    for prefix in prefixes {
        let query = match backend {
            DbBackend::Postgres => format!(
                "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE '{prefix}%'"
            ),
            DbBackend::MySql => format!(
                "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '{prefix}%'"
            ),
            _ => format!(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '{prefix}%'"
            ),
        };
        let rows = connection
            .query_all_raw(Statement::from_string(backend, query))
            .await
            .unwrap();
        let names: Vec<String> = rows
            .iter()
            .map(|r| r.try_get("", "name").unwrap())
            .collect();
        let statements: Vec<String> = match backend {
            DbBackend::Postgres => names
                .iter()
                .map(|n| format!("DROP TABLE IF EXISTS \"{n}\" CASCADE"))
                .chain(std::iter::once(format!(
                    "DROP TYPE IF EXISTS \"{prefix}{ENUM}\" CASCADE"
                )))
                .collect(),
            DbBackend::MySql => {
                let mut s = vec!["SET FOREIGN_KEY_CHECKS = 0".to_owned()];
                s.extend(names.iter().map(|n| format!("DROP TABLE IF EXISTS `{n}`")));
                s.push("SET FOREIGN_KEY_CHECKS = 1".to_owned());
                s
            }
            _ => {
                let mut s = vec!["PRAGMA foreign_keys = OFF".to_owned()];
                s.extend(
                    names
                        .iter()
                        .map(|n| format!("DROP TABLE IF EXISTS \"{n}\"")),
                );
                s.push("PRAGMA foreign_keys = ON".to_owned());
                s
            }
        };
        if backend == DbBackend::Sqlite {
            // One connection already, and PRAGMA foreign_keys is ignored inside a transaction.
            for statement in statements {
                connection.execute_unprepared(&statement).await.unwrap();
            }
        } else {
            // One connection for the session setting: a transaction holds one.
            let transaction = connection.begin().await.unwrap();
            for statement in statements {
                transaction.execute_unprepared(&statement).await.unwrap();
            }
            transaction.commit().await.unwrap();
        }
    }
}

/// A table of A that B keeps: its name in each, and the columns whose values a migration keeps
/// (name in A, name in B).
struct KeptTable {
    old: String,
    new: String,
    columns: Vec<(String, String)>,
}

/// Every table of `from` that `to` keeps, with the columns both have, less those that become
/// NOT NULL (a backfill fills their NULLs).
fn surviving_columns(from: &Schema, to: &Schema, options: &Options) -> Vec<KeptTable> {
    let mut surviving = Vec::new();
    for (new_table, after) in &to.tables {
        let old_table = options
            .table_renames
            .iter()
            .find(|(_, n)| *n == new_table)
            .map_or(new_table, |(o, _)| o);
        let Some(before) = from.tables.get(old_table) else {
            continue;
        };
        let columns = after
            .columns
            .iter()
            .filter_map(|c| {
                let declared = to.renamed_from.get(&(new_table.clone(), c.name.clone()));
                let old = declared.cloned().unwrap_or_else(|| {
                    options
                        .column_renames
                        .iter()
                        .find(|((t, _), n)| t == new_table && **n == c.name)
                        .map_or_else(|| c.name.clone(), |((_, o), _)| o.clone())
                });
                let was = before.column(&old)?;
                (!was.null || c.null).then(|| (old, c.name.clone()))
            })
            .collect();
        surviving.push(KeptTable {
            old: old_table.clone(),
            new: new_table.clone(),
            columns,
        });
    }
    surviving
}

/// `name` between the backend's identifier quotes (the test schemas' names hold no quote).
fn quote(backend: DbBackend, name: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

/// The rows of `table`'s `columns`, as text, in `id` order.
async fn rows(connection: &DatabaseConnection, table: &str, columns: &[&str]) -> Vec<String> {
    let backend = connection.get_database_backend();
    let quote = |n: &str| quote(backend, n);
    let text = match backend {
        DbBackend::MySql => "CHAR",
        _ => "TEXT",
    };
    let select = columns
        .iter()
        .map(|c| format!("COALESCE(CAST({} AS {text}), 'NULL')", quote(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {select} FROM {} ORDER BY {}",
        quote(table),
        quote("id")
    );
    let result = connection
        .query_all_raw(Statement::from_string(backend, sql.clone()))
        .await
        .unwrap_or_else(|e| panic!("{e}\n  while running: {sql}"));
    result
        .iter()
        .map(|row| {
            (0..columns.len())
                .map(|i| row.try_get_by_index::<String>(i).unwrap())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect()
}

/// The kept values of every kept table, read under its names in B when `after`, in A if not.
async fn kept_rows(
    connection: &DatabaseConnection,
    surviving: &[KeptTable],
    after: bool,
) -> Vec<String> {
    let mut all = Vec::new();
    for KeptTable { old, new, columns } in surviving {
        let (table, names): (&str, Vec<&str>) = if after {
            (new, columns.iter().map(|(_, n)| n.as_str()).collect())
        } else {
            (old, columns.iter().map(|(o, _)| o.as_str()).collect())
        };
        all.push(format!("{old}:"));
        if names.is_empty() {
            continue;
        }
        all.extend(rows(connection, table, &names).await);
    }
    all
}

/// Checks pair `seed`; returns the summary of its `up`, one line per change.
async fn check_pair(connection: &DatabaseConnection, seed: u64) -> Result<String, String> {
    let mut rng = Rng::new(seed);
    let a = random_schema(&mut rng);
    let (b, options) = mutate(&mut rng, &a);
    let (p, q, r) = (
        format!("p{seed}_"),
        format!("q{seed}_"),
        format!("r{seed}_"),
    );
    let (pa, pb) = (prefixed(&a, &p), prefixed(&b, &p));
    let empty = Schema::default();

    let create_a = diff::diff(&empty, &pa, &Options::default()).map_err(|e| e.to_string())?;
    run(connection, &create_a).await?;
    fill(connection, &pa).await?;
    let prefixed_options = prefixed_options(&options, &p);
    let surviving = surviving_columns(&pa, &pb, &prefixed_options);
    let rows_before = kept_rows(connection, &surviving, false).await;
    let up = diff::diff(&pa, &pb, &prefixed_options).map_err(|e| format!("diff: {e}"))?;
    let summary = up
        .iter()
        .map(Operation::describe)
        .collect::<Vec<_>>()
        .join("\n");
    run(connection, &up).await.map_err(|e| format!("up: {e}"))?;

    let fresh_b = diff::diff(&empty, &prefixed(&b, &q), &Options::default()).unwrap();
    run(connection, &fresh_b).await?;
    let (after_up, expected) = (dump(connection, &p).await, dump(connection, &q).await);
    if after_up != expected {
        return Err(format!("after up:\n{}", line_diff(&expected, &after_up)));
    }
    let rows_after = kept_rows(connection, &surviving, true).await;
    if rows_after != rows_before {
        return Err(format!(
            "rows after up:\n{}",
            line_diff(&rows_before, &rows_after)
        ));
    }

    // A migration that drops what no value can refill has no down; there is nothing to check.
    let Some(down) = Plan { operations: up }
        .down()
        .into_iter()
        .collect::<Option<Vec<Operation>>>()
    else {
        drop_all(connection, &[&p, &q]).await;
        return Ok(summary);
    };
    run(connection, &down)
        .await
        .map_err(|e| format!("down: {e}"))?;
    let fresh_a = diff::diff(&empty, &prefixed(&a, &r), &Options::default()).unwrap();
    run(connection, &fresh_a).await?;
    let (after_down, expected) = (dump(connection, &p).await, dump(connection, &r).await);
    if after_down != expected {
        return Err(format!(
            "after down:\n{}",
            line_diff(&expected, &after_down)
        ));
    }
    let rows_after_down = kept_rows(connection, &surviving, false).await;
    if rows_after_down != rows_before {
        return Err(format!(
            "rows after down:\n{}",
            line_diff(&rows_before, &rows_after_down)
        ));
    }
    drop_all(connection, &[&p, &q, &r]).await;
    Ok(summary)
}

fn line_diff(expected: &[String], actual: &[String]) -> String {
    let mut out = String::new();
    for line in expected.iter().filter(|l| !actual.contains(l)) {
        out.push_str(&format!("  - {line}\n"));
    }
    for line in actual.iter().filter(|l| !expected.contains(l)) {
        out.push_str(&format!("  + {line}\n"));
    }
    out
}

async fn random_schema_changes_round_trip(backend: Backend) {
    let db = TestDb::fresh(backend, "roundtrip").await;
    let pairs: u64 = std::env::var("ROUNDTRIP_PAIRS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let seeds: Vec<u64> = match std::env::var("ROUNDTRIP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(seed) => vec![seed],
        None => REGRESSIONS.iter().copied().chain(1..=pairs).collect(),
    };
    let mut failures = BTreeMap::new();
    // How many pairs exercised each kind of change that only some pairs make.
    let mut exercised: BTreeMap<&str, usize> = BTreeMap::new();
    for seed in &seeds {
        match check_pair(&db.connection, *seed).await {
            Ok(summary) => {
                for kind in RARE_KINDS {
                    if summary.contains(kind) {
                        *exercised.entry(kind).or_default() += 1;
                    }
                }
            }
            Err(error) => {
                failures.insert(*seed, error);
                drop_all(
                    &db.connection,
                    &[
                        &format!("p{seed}_"),
                        &format!("q{seed}_"),
                        &format!("r{seed}_"),
                    ],
                )
                .await;
            }
        }
    }
    println!(
        "round trip on {backend:?}: {} pairs, {} failed; pairs with {exercised:?}",
        seeds.len(),
        failures.len()
    );
    if let Some((seed, error)) = failures.iter().next() {
        panic!(
            "{} of {} pairs failed on {backend:?} (seeds {:?}); first: seed {seed} (rerun with ROUNDTRIP_SEED={seed}):\n{error}",
            failures.len(),
            seeds.len(),
            failures.keys().collect::<Vec<_>>()
        );
    }
    if seeds.len() >= 100 {
        for kind in RARE_KINDS {
            assert!(
                exercised.get(kind).copied().unwrap_or(0) >= 3,
                "fewer than 3 of {} pairs made a change with {kind:?}",
                seeds.len()
            );
        }
    }
    db.drop_database().await;
}

/// A value added to a native enum: `ALTER TYPE … ADD VALUE … BEFORE` on PostgreSQL, a new
/// `ENUM(…)` column type on MySQL, nothing on SQLite; on each, a row can then hold it.
async fn an_added_enum_value_can_be_stored(backend: Backend) {
    let db = TestDb::fresh(backend, "enum_value").await;
    let mood = |values: &[&str]| ColumnType::Enum {
        name: "mood".to_owned(),
        variants: values.iter().map(|v| (*v).to_owned()).collect(),
    };
    let schema = |values: &[&str]| {
        let mut id = column("id", ColumnType::Integer);
        id.auto_increment = true;
        Schema {
            enums: [(
                "mood".to_owned(),
                values.iter().map(|v| (*v).to_owned()).collect(),
            )]
            .into(),
            tables: [(
                "feeling".to_owned(),
                Table {
                    columns: vec![id, column("mood", mood(values))],
                    primary_key: vec!["id".to_owned()],
                    ..Table::default()
                },
            )]
            .into(),
            ..Schema::default()
        }
    };
    let (a, b) = (schema(&["happy", "sad"]), schema(&["happy", "calm", "sad"]));
    let connection = &db.connection;
    run(
        connection,
        &diff::diff(&Schema::default(), &a, &Options::default()).unwrap(),
    )
    .await
    .unwrap();
    connection
        .execute_unprepared("INSERT INTO feeling (mood) VALUES ('sad')")
        .await
        .unwrap();
    let up = diff::diff(&a, &b, &Options::default()).unwrap();
    assert!(matches!(up[0], Operation::AddEnumValue { .. }), "{up:?}");
    run(connection, &up).await.unwrap();
    connection
        .execute_unprepared("INSERT INTO feeling (mood) VALUES ('calm')")
        .await
        .unwrap();
    let rows = connection
        .query_all_raw(Statement::from_string(
            backend.db_backend(),
            match backend {
                Backend::Postgres => "SELECT mood::text AS mood FROM feeling ORDER BY id",
                _ => "SELECT mood FROM feeling ORDER BY id",
            },
        ))
        .await
        .unwrap();
    let moods: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("", "mood").unwrap())
        .collect();
    assert_eq!(moods, ["sad", "calm"]);
    if backend == Backend::Postgres {
        let order = connection
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT enumlabel::text AS label FROM pg_enum JOIN pg_type ON pg_type.oid = enumtypid \
                 WHERE typname = 'mood' ORDER BY enumsortorder",
            ))
            .await
            .unwrap();
        let labels: Vec<String> = order
            .iter()
            .map(|r| r.try_get("", "label").unwrap())
            .collect();
        assert_eq!(labels, ["happy", "calm", "sad"]);
    }
    db.drop_database().await;
}

/// Two new tables that reference each other: created without the keys between them, which are
/// added once both exist; `down` takes them apart again; a migration dropping them drops the
/// keys first, and its `down` restores tables and keys.
async fn tables_in_a_foreign_key_cycle_are_created_and_dropped(backend: Backend) {
    let db = TestDb::fresh(backend, "cycle").await;
    let table = |other: &str| {
        let mut id = column("id", ColumnType::Integer);
        id.auto_increment = true;
        let mut reference = column(&format!("{other}_id"), ColumnType::Integer);
        reference.null = true;
        Table {
            columns: vec![id, reference],
            primary_key: vec!["id".to_owned()],
            foreign_keys: vec![ForeignKey {
                name: format!("fk-to-{other}"),
                columns: vec![format!("{other}_id")],
                ref_table: other.to_owned(),
                ref_columns: vec!["id".to_owned()],
                on_delete: None,
                on_update: None,
            }],
            ..Table::default()
        }
    };
    let schema = Schema {
        tables: [
            ("husband".to_owned(), table("wife")),
            ("wife".to_owned(), table("husband")),
        ]
        .into(),
        ..Schema::default()
    };
    let up = diff::diff(&Schema::default(), &schema, &Options::default()).unwrap();
    run(&db.connection, &up).await.unwrap();
    let catalog = dump(&db.connection, "").await;
    for (table, other) in [("husband", "wife"), ("wife", "husband")] {
        let key = catalog.iter().any(|line| {
            line.starts_with(table)
                && line.contains(&format!("{other}_id"))
                && (line.contains(&format!("REFERENCES {other}("))
                    || line.contains(&format!("-> {other}")))
        });
        assert!(key, "no key from {table} to {other}: {catalog:#?}");
    }
    // The keys hold: a reference to a missing row is refused.
    let connection = &db.connection;
    connection
        .execute_unprepared("INSERT INTO husband (id) VALUES (1)")
        .await
        .unwrap();
    connection
        .execute_unprepared("INSERT INTO wife (id, husband_id) VALUES (1, 1)")
        .await
        .unwrap();
    assert!(
        connection
            .execute_unprepared("INSERT INTO wife (id, husband_id) VALUES (2, 99)")
            .await
            .is_err(),
        "the key from wife to husband is not enforced"
    );
    connection
        .execute_unprepared("DELETE FROM wife")
        .await
        .unwrap();
    connection
        .execute_unprepared("DELETE FROM husband")
        .await
        .unwrap();
    let down: Vec<Operation> = Plan {
        operations: up.clone(),
    }
    .down()
    .into_iter()
    .collect::<Option<_>>()
    .unwrap();
    run(&db.connection, &down).await.unwrap();
    assert!(
        dump(&db.connection, "").await.is_empty(),
        "down left tables"
    );

    // Dropping them, with rows that reference each other: the keys between them go first;
    // the drop's own `down` brings both tables and both keys back.
    run(&db.connection, &up).await.unwrap();
    for sql in [
        "INSERT INTO husband (id) VALUES (1)",
        "INSERT INTO wife (id, husband_id) VALUES (1, 1)",
        "UPDATE husband SET wife_id = 1 WHERE id = 1",
    ] {
        connection.execute_unprepared(sql).await.unwrap();
    }
    let allowed = Options {
        allow_destructive: true,
        ..Options::default()
    };
    let drop = diff::diff(&schema, &Schema::default(), &allowed).unwrap();
    run(&db.connection, &drop).await.unwrap();
    assert!(
        dump(&db.connection, "").await.is_empty(),
        "the drop left tables"
    );
    let undo: Vec<Operation> = Plan { operations: drop }
        .down()
        .into_iter()
        .collect::<Option<_>>()
        .unwrap();
    run(&db.connection, &undo).await.unwrap();
    assert_eq!(dump(&db.connection, "").await, catalog, "down of the drop");
    db.drop_database().await;
}

/// The comment of table `name`, as the database keeps it.
async fn table_comment(connection: &DatabaseConnection, name: &str) -> Option<String> {
    let sql = match connection.get_database_backend() {
        DbBackend::Postgres => format!("SELECT obj_description('{name}'::regclass, 'pg_class')"),
        DbBackend::MySql => format!(
            "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = '{name}'"
        ),
        _ => return None,
    };
    let row = connection
        .query_one_raw(Statement::from_string(
            connection.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()?;
    row.try_get_by_index::<Option<String>>(0)
        .unwrap()
        .filter(|text| !text.is_empty())
}

/// A table comment set, changed and removed by follow-up migrations, each undone by `down`;
/// kept on MySQL only, as SeaORM keeps it (PostgreSQL and SQLite tables get none).
async fn a_table_comment_is_set_changed_and_removed(backend: Backend) {
    let db = TestDb::fresh(backend, "comment").await;
    let with = |comment: Option<&str>| {
        let mut id = column("id", ColumnType::Integer);
        id.auto_increment = true;
        Schema {
            tables: [(
                "notes".to_owned(),
                Table {
                    columns: vec![id],
                    primary_key: vec!["id".to_owned()],
                    comment: comment.map(str::to_owned),
                    ..Table::default()
                },
            )]
            .into(),
            ..Schema::default()
        }
    };
    let stored = backend == Backend::MySql;
    let mut state = Schema::default();
    for comment in [None, Some("first words"), Some("second words"), None] {
        let next = with(comment);
        let operations = diff::diff(&state, &next, &Options::default()).unwrap();
        run(&db.connection, &operations).await.unwrap();
        let expected = comment.filter(|_| stored).map(str::to_owned);
        assert_eq!(table_comment(&db.connection, "notes").await, expected);
        if !state.tables.is_empty() {
            let down: Vec<Operation> = Plan { operations }
                .down()
                .into_iter()
                .collect::<Option<_>>()
                .unwrap();
            run(&db.connection, &down).await.unwrap();
            let previous = state.tables["notes"].comment.clone().filter(|_| stored);
            assert_eq!(table_comment(&db.connection, "notes").await, previous);
            let again = diff::diff(&state, &next, &Options::default()).unwrap();
            run(&db.connection, &again).await.unwrap();
        }
        state = next;
    }
    db.drop_database().await;
}

/// A native enum losing a value and reordering the rest: refused without
/// `--allow-destructive`; with it, a migration meeting rows that hold the lost value stops
/// with their count and changes nothing; once they are gone it runs (PostgreSQL rebuilds the
/// type, keeping the column's default), the database equals a fresh one, and `down` brings
/// the old values back.
async fn an_enum_losing_and_reordering_values_is_rebuilt_safely(backend: Backend) {
    let db = TestDb::fresh(backend, "enum_rebuild").await;
    let schema = |values: &[&str]| {
        let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        let mut id = column("id", ColumnType::Integer);
        id.auto_increment = true;
        let mut mood = column(
            "mood",
            ColumnType::Enum {
                name: "mood".to_owned(),
                variants: values.clone(),
            },
        );
        mood.default = Some(generator_core::model::DefaultValue::String(
            "sad".to_owned(),
        ));
        Schema {
            enums: [("mood".to_owned(), values)].into(),
            tables: [(
                "feeling".to_owned(),
                Table {
                    columns: vec![id, mood],
                    primary_key: vec!["id".to_owned()],
                    ..Table::default()
                },
            )]
            .into(),
            ..Schema::default()
        }
    };
    let (a, b) = (
        schema(&["happy", "sad", "angry"]),
        schema(&["sad", "happy"]),
    );
    let connection = &db.connection;
    run(
        connection,
        &diff::diff(&Schema::default(), &a, &Options::default()).unwrap(),
    )
    .await
    .unwrap();
    let fresh_b = {
        let other = TestDb::fresh(backend, "enum_rebuild_b").await;
        run(
            &other.connection,
            &diff::diff(&Schema::default(), &b, &Options::default()).unwrap(),
        )
        .await
        .unwrap();
        let catalog = dump(&other.connection, "").await;
        other.drop_database().await;
        catalog
    };
    let fresh_a = dump(connection, "").await;
    for sql in [
        "INSERT INTO feeling (mood) VALUES ('happy')",
        "INSERT INTO feeling (mood) VALUES ('angry')",
        "INSERT INTO feeling (mood) VALUES ('angry')",
    ] {
        connection.execute_unprepared(sql).await.unwrap();
    }
    let refused = diff::diff(&a, &b, &Options::default()).unwrap_err();
    assert!(
        refused.to_string().contains("--allow-destructive"),
        "{refused}"
    );
    let allowed = Options {
        allow_destructive: true,
        ..Options::default()
    };
    let up = diff::diff(&a, &b, &allowed).unwrap();
    let error = run(connection, &up).await.unwrap_err();
    assert!(
        error.contains("2 row(s) of `feeling` break the values of enum type `mood`, in `mood`"),
        "{error}"
    );
    assert_eq!(
        dump(connection, "").await,
        fresh_a,
        "the stopped migration changed nothing"
    );
    connection
        .execute_unprepared("DELETE FROM feeling WHERE id > 1")
        .await
        .unwrap();
    run(connection, &up).await.unwrap();
    assert_eq!(dump(connection, "").await, fresh_b);
    connection
        .execute_unprepared("INSERT INTO feeling (id) VALUES (10)")
        .await
        .unwrap();
    let moods = connection
        .query_all_raw(Statement::from_string(
            backend.db_backend(),
            match backend {
                Backend::Postgres => "SELECT mood::text AS mood FROM feeling ORDER BY id",
                _ => "SELECT mood FROM feeling ORDER BY id",
            },
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "mood").unwrap())
        .collect::<Vec<_>>();
    assert_eq!(
        moods,
        ["happy", "sad"],
        "rows kept, and the default still applies"
    );
    let down: Vec<Operation> = Plan { operations: up }
        .down()
        .into_iter()
        .collect::<Option<_>>()
        .unwrap();
    run(connection, &down).await.unwrap();
    assert_eq!(dump(connection, "").await, fresh_a, "down");
    db.drop_database().await;
}

on_each_backend!(
    random_schema_changes_round_trip,
    an_added_enum_value_can_be_stored,
    tables_in_a_foreign_key_cycle_are_created_and_dropped,
    a_table_comment_is_set_changed_and_removed,
    an_enum_losing_and_reordering_values_is_rebuilt_safely,
);
