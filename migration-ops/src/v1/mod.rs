//! Version 1 of the migration vocabulary: schema data ([`Table`], [`Column`], [`Index`],
//! [`ForeignKey`], [`Enum`]), the operations on it ([`Op`]), and [`to_sql`] / [`apply`], which
//! build the statements with sea-query exactly as SeaORM's `Schema` builds them from an entity.
//!
//! Frozen: once a migration is generated against `v1`, what the SQL that its data produces does
//! must never change. Extend by adding variants whose meaning is new; never alter what an
//! existing one does. (Two corrections only: MySQL string literals holding a quote or a
//! backslash are written so that every `sql_mode` reads them as the default mode always did;
//! and on PostgreSQL a type change of a column whose `extra` is a COLLATE clause keeps that
//! collation, which it used to reset to the default.)

mod canonical;
mod generated;
mod sql;

pub use generated::Generated;
pub use sql::{
    apply, apply_online_postgres, apply_ops, describe_check, online_change, online_on_postgres,
    online_postgres_sql, rebuilds_on_sqlite, sqlite_rebuilds, string_literal, to_sql,
    unchecked_on_mysql,
};

/// The checksum the runner records for a migration doing `up` and undone by `down` (`None`
/// when it cannot be): `v1-sha256:` and the SHA-256, in lowercase hex, of their canonical
/// encoding (see the `canonical` module), which no Rust release or added v1 field changes.
pub fn checksum<S: crate::schema::Store>(
    up: &[crate::schema::Op<S>],
    down: Option<&[crate::schema::Op<S>]>,
) -> String {
    let bytes = canonical::encode(&canonical::Migration { up, down });
    format!("v1-sha256:{}", crate::sha256_hex(&bytes))
}

/// The canonical encoding of a migration, as [`checksum`] hashes it, for reading and tests.
pub fn canonical_text<S: crate::schema::Store>(
    up: &[crate::schema::Op<S>],
    down: Option<&[crate::schema::Op<S>]>,
) -> String {
    String::from_utf8_lossy(&canonical::encode(&canonical::Migration { up, down })).into_owned()
}

/// The checksum runners recorded before SHA-256: FNV-1a (64 bit) over the `Debug` text of `up`,
/// kept only to verify and upgrade those records.
pub fn legacy_checksum<S: crate::schema::Store>(up: &[crate::schema::Op<S>]) -> String {
    let hash = crate::fnv1a64(&format!("{up:?}"));
    format!("v1-fnv1a64:{hash:016x}")
}

/// A name or SQL fragment.
pub type Str = &'static str;
/// A list of items.
pub type List<T> = &'static [T];

// The vocabulary's types (see `crate::schema`) as migration files hold them: `&'static` data.
use crate::schema::Static;
pub use crate::schema::{Action, Len};
/// One schema change (see [`crate::schema::Op`]).
pub type Op = crate::schema::Op<Static>;
/// See [`crate::schema::EnumColumn`].
pub type EnumColumn = crate::schema::EnumColumn<Static>;
/// See [`crate::schema::AlterTable`].
pub type AlterTable = crate::schema::AlterTable<Static>;
/// See [`crate::schema::Change`].
pub type Change = crate::schema::Change<Static>;
/// See [`crate::schema::Enum`].
pub type Enum = crate::schema::Enum<Static>;
/// See [`crate::schema::Table`].
pub type Table = crate::schema::Table<Static>;
/// See [`crate::schema::Check`].
pub type Check = crate::schema::Check<Static>;
/// See [`crate::schema::CheckRule`].
pub type CheckRule = crate::schema::CheckRule<Static>;
/// See [`crate::schema::Limit`].
pub type Limit = crate::schema::Limit<Static>;
/// See [`crate::schema::Column`].
pub type Column = crate::schema::Column<Static>;
/// See [`crate::schema::ColumnType`].
pub type ColumnType = crate::schema::ColumnType<Static>;
/// See [`crate::schema::DefaultValue`].
pub type DefaultValue = crate::schema::DefaultValue<Static>;
/// See [`crate::schema::Index`].
pub type Index = crate::schema::Index<Static>;
/// See [`crate::schema::ForeignKey`].
pub type ForeignKey = crate::schema::ForeignKey<Static>;

// --- const builders: what generated files call -------------------------------------------

/// Column `column` of table `table`, of the enum type being recreated.
pub const fn enum_column(table: &'static str, column: &'static str) -> EnumColumn {
    EnumColumn {
        table,
        column,
        default: None,
    }
}

impl EnumColumn {
    pub const fn default(mut self, value: DefaultValue) -> Self {
        self.default = Some(value);
        self
    }
}

impl Limit {
    /// `value` and beyond.
    pub const fn inclusive(value: &'static str) -> Self {
        Limit {
            value,
            inclusive: true,
        }
    }
    /// Beyond `value`, not `value` itself.
    pub const fn exclusive(value: &'static str) -> Self {
        Limit {
            value,
            inclusive: false,
        }
    }
}

/// A table with `columns`; add keys, indexes and foreign keys with the methods.
pub const fn table(name: &'static str, columns: &'static [Column]) -> Table {
    Table {
        name,
        comment: None,
        columns,
        primary_key: &[],
        indexes: &[],
        foreign_keys: &[],
        checks: &[],
    }
}

impl Table {
    pub const fn primary_key(mut self, columns: &'static [Str]) -> Self {
        self.primary_key = columns;
        self
    }
    pub const fn indexes(mut self, indexes: &'static [Index]) -> Self {
        self.indexes = indexes;
        self
    }
    pub const fn foreign_keys(mut self, foreign_keys: &'static [ForeignKey]) -> Self {
        self.foreign_keys = foreign_keys;
        self
    }
    pub const fn comment(mut self, comment: &'static str) -> Self {
        self.comment = Some(comment);
        self
    }
    pub const fn checks(mut self, checks: &'static [Check]) -> Self {
        self.checks = checks;
        self
    }
}

/// A CHECK constraint named `name` that `column` must pass.
pub const fn check(name: &'static str, column: &'static str, rule: CheckRule) -> Check {
    Check { name, column, rule }
}

/// A `NOT NULL` column of type `ty`; refine it with the methods.
pub const fn column(name: &'static str, ty: ColumnType) -> Column {
    Column {
        name,
        ty,
        null: false,
        default: None,
        unique: false,
        auto_increment: false,
        comment: None,
        extra: None,
    }
}

impl Column {
    pub const fn null(mut self) -> Self {
        self.null = true;
        self
    }
    pub const fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
    pub const fn auto_increment(mut self) -> Self {
        self.auto_increment = true;
        self
    }
    pub const fn default(mut self, value: DefaultValue) -> Self {
        self.default = Some(value);
        self
    }
    pub const fn comment(mut self, comment: &'static str) -> Self {
        self.comment = Some(comment);
        self
    }
    pub const fn extra(mut self, extra: &'static str) -> Self {
        self.extra = Some(extra);
        self
    }
}

/// An index named `name` over `columns`.
pub const fn index(name: &'static str, columns: &'static [Str]) -> Index {
    Index {
        name,
        columns,
        unique: false,
    }
}

impl Index {
    pub const fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
}

/// A foreign key named `name` from `columns` to `ref_table.ref_columns`.
pub const fn foreign_key(
    name: &'static str,
    columns: &'static [Str],
    ref_table: &'static str,
    ref_columns: &'static [Str],
) -> ForeignKey {
    ForeignKey {
        name,
        columns,
        ref_table,
        ref_columns,
        on_delete: None,
        on_update: None,
    }
}

impl ForeignKey {
    pub const fn on_delete(mut self, action: Action) -> Self {
        self.on_delete = Some(action);
        self
    }
    pub const fn on_update(mut self, action: Action) -> Self {
        self.on_update = Some(action);
        self
    }
}

/// Changes to the existing table that they leave as `table`.
pub const fn alter_table(table: Table, changes: &'static [Change]) -> Op {
    Op::AlterTable(AlterTable { table, changes })
}

/// A native enum type.
pub const fn enum_type(name: &'static str, values: &'static [Str]) -> Enum {
    Enum { name, values }
}
