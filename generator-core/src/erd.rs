//! The recorded schema as a Mermaid ER diagram (tables, columns with type and keys, relations),
//! which GitHub and most documentation tools render. Pure: schema in, text out.

use crate::model::{ColumnType, Len, Schema};

/// The Mermaid source of `schema`'s diagram, tables and relations in name order.
pub fn erd(schema: &Schema) -> String {
    let mut out = String::from("erDiagram\n");
    for (name, table) in &schema.tables {
        out.push_str(&format!("    {name} {{\n"));
        for column in &table.columns {
            let mut keys = Vec::new();
            if table.primary_key.contains(&column.name) {
                keys.push("PK");
            }
            if table
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.contains(&column.name))
            {
                keys.push("FK");
            }
            if column.unique {
                keys.push("UK");
            }
            let keys = if keys.is_empty() {
                String::new()
            } else {
                format!(" {}", keys.join(", "))
            };
            let null = if column.null { "" } else { " \"NOT NULL\"" };
            out.push_str(&format!(
                "        {} {}{keys}{null}\n",
                type_name(&column.ty),
                column.name
            ));
        }
        out.push_str("    }\n");
    }
    for (name, table) in &schema.tables {
        for fk in &table.foreign_keys {
            let optional = fk
                .columns
                .iter()
                .any(|c| table.column(c).is_some_and(|c| c.null));
            let parent = if optional { "|o" } else { "||" };
            out.push_str(&format!(
                "    {} {parent}--o{{ {name} : \"{}\"\n",
                fk.ref_table, fk.name
            ));
        }
    }
    out
}

/// A type as one Mermaid word: `varchar_64`, `decimal_10_2`, `enum_mood`.
fn type_name(ty: &ColumnType) -> String {
    use ColumnType as T;
    let sized = |base: &str, len: &Len| match len {
        Len::N(n) => format!("{base}_{n}"),
        Len::Max => format!("{base}_max"),
        Len::None => base.to_owned(),
    };
    match ty {
        T::String(len) => sized("varchar", len),
        T::VarBinary(len) => sized("varbinary", len),
        T::Char(Some(n)) => format!("char_{n}"),
        T::Decimal(Some((p, s))) => format!("decimal_{p}_{s}"),
        T::Enum { name, .. } => format!("enum_{name}"),
        T::Custom(name) => name
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '_' })
            .collect(),
        other => {
            let debug = format!("{other:?}");
            let end = debug.find(['(', ' ', '{']).unwrap_or(debug.len());
            let mut snake = String::new();
            for (at, c) in debug[..end].chars().enumerate() {
                if c.is_uppercase() && at > 0 {
                    snake.push('_');
                }
                snake.extend(c.to_lowercase());
            }
            snake
        }
    }
}
