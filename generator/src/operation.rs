//! The change vocabulary: one [`Operation`] per schema change, carrying both sides of the change
//! so it can be reversed, described and named on its own, and the [`Plan`] that orders them.
//! Pure data; no I/O.

use crate::model::{Column, Table};

/// One schema change. Drops carry the full old definition so that `reverse` needs no lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    CreateEnum { name: String, values: Vec<String> },
    DropEnum { name: String, values: Vec<String> },
    CreateTable { name: String, table: Table },
    DropTable { name: String, table: Table },
}

impl Operation {
    /// The operation that undoes this one.
    pub fn reverse(&self) -> Operation {
        match self.clone() {
            Operation::CreateEnum { name, values } => Operation::DropEnum { name, values },
            Operation::DropEnum { name, values } => Operation::CreateEnum { name, values },
            Operation::CreateTable { name, table } => Operation::DropTable { name, table },
            Operation::DropTable { name, table } => Operation::CreateTable { name, table },
        }
    }

    /// One line for review: `+` adds, `-` removes, `~` alters.
    pub fn describe(&self) -> String {
        match self {
            Operation::CreateEnum { name, values } => {
                format!("+ enum {name} ({})", values.join(", "))
            }
            Operation::DropEnum { name, .. } => format!("- enum {name}"),
            Operation::CreateTable { name, table } => {
                format!("+ table {name} ({})", column_list(&table.columns))
            }
            Operation::DropTable { name, .. } => format!("- table {name}"),
        }
    }

    /// A piece of the migration's file name, e.g. `create_posts`.
    pub fn name_fragment(&self) -> String {
        match self {
            Operation::CreateEnum { name, .. } => format!("create_enum_{name}"),
            Operation::DropEnum { name, .. } => format!("drop_enum_{name}"),
            Operation::CreateTable { name, .. } => format!("create_{name}"),
            Operation::DropTable { name, .. } => format!("drop_{name}"),
        }
    }

    /// Whether running it loses data that the database holds.
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            Operation::DropTable { .. } | Operation::DropEnum { .. }
        )
    }
}

/// The first few column names, so that a summary line stays one readable line.
fn column_list(columns: &[Column]) -> String {
    const SHOWN: usize = 6;
    let mut list = columns
        .iter()
        .take(SHOWN)
        .map(|column| column.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if columns.len() > SHOWN {
        list.push_str(&format!(", … {} more", columns.len() - SHOWN));
    }
    list
}

/// The operations of one migration, in the order `up` runs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub operations: Vec<Operation>,
}

impl Plan {
    /// The operations `down` runs: each one reversed, last first.
    pub fn down(&self) -> Vec<Operation> {
        self.operations
            .iter()
            .rev()
            .map(Operation::reverse)
            .collect()
    }

    /// A file-name stem that says what changed: `create_posts`, or the first change and
    /// `and_more`. Only `[a-z0-9_]`, at most 60 characters.
    pub fn suggested_name(&self) -> String {
        let fragments: Vec<String> = self
            .operations
            .iter()
            .filter(|op| !matches!(op, Operation::CreateEnum { .. }))
            .map(Operation::name_fragment)
            .collect();
        let fragments = if fragments.is_empty() {
            self.operations
                .iter()
                .map(Operation::name_fragment)
                .collect()
        } else {
            fragments
        };
        let joined = match fragments.as_slice() {
            [] => "auto".to_owned(),
            [one] => one.clone(),
            [a, b] => format!("{a}_{b}"),
            [first, ..] => format!("{first}_and_more"),
        };
        sanitize_name(&joined)
    }
}

/// Lower-case ASCII letters, digits and single underscores; never empty.
pub fn sanitize_name(raw: &str) -> String {
    let mut name = String::new();
    for c in raw.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if !(c == '_' && (name.is_empty() || name.ends_with('_'))) {
            name.push(c);
        }
    }
    let mut name = name.trim_end_matches('_').to_owned();
    name.truncate(60);
    let name = name.trim_end_matches('_');
    if name.is_empty() {
        "auto".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_ascii_snake_case_and_never_empty() {
        assert_eq!(sanitize_name("create_Posts"), "create_posts");
        assert_eq!(
            sanitize_name("create_\"weird\" table"),
            "create_weird_table"
        );
        assert_eq!(sanitize_name("create_ünï"), "create_n");
        assert_eq!(sanitize_name("___"), "auto");
        assert_eq!(sanitize_name(&"x".repeat(100)).len(), 60);
    }
}
