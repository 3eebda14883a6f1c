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
pub use sql::{apply, describe_check, rebuilds_on_sqlite, string_literal, to_sql};

/// The checksum the runner records for a migration doing `up` and undone by `down` (`None`
/// when it cannot be): `v1-sha256:` and the SHA-256, in lowercase hex, of their canonical
/// encoding (see the `canonical` module), which no Rust release or added v1 field changes.
pub fn checksum(up: &[Op], down: Option<&[Op]>) -> String {
    let bytes = canonical::encode(&canonical::Migration { up, down });
    format!("v1-sha256:{}", crate::sha256_hex(&bytes))
}

/// The canonical encoding of a migration, as [`checksum`] hashes it, for reading and tests.
pub fn canonical_text(up: &[Op], down: Option<&[Op]>) -> String {
    String::from_utf8_lossy(&canonical::encode(&canonical::Migration { up, down })).into_owned()
}

/// The checksum runners recorded before SHA-256: FNV-1a (64 bit) over the `Debug` text of `up`,
/// kept only to verify and upgrade those records.
pub fn legacy_checksum(up: &[Op]) -> String {
    let hash = crate::fnv1a64(&format!("{up:?}"));
    format!("v1-fnv1a64:{hash:016x}")
}

/// A name or SQL fragment.
pub type Str = &'static str;
/// A list of items.
pub type List<T> = &'static [T];

/// One schema change. Each variant carries everything needed to run it on any backend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// `CREATE TYPE … AS ENUM` on PostgreSQL; nothing elsewhere (MySQL writes enums inline,
    /// SQLite stores them as text).
    CreateEnum(Enum),
    /// `DROP TYPE` on PostgreSQL; nothing elsewhere.
    DropEnum(Str),
    /// `CREATE TABLE` with its columns, primary key and foreign keys, then one `CREATE INDEX`
    /// per index: the statements SeaORM's `Schema` derives from an entity, in its order.
    CreateTable(Table),
    /// `DROP TABLE`.
    DropTable(Str),
    /// `ALTER TABLE … RENAME TO …`.
    RenameTable { from: Str, to: Str },
    /// `ALTER TYPE … ADD VALUE` on PostgreSQL, placed before `before` when given; nothing
    /// elsewhere (MySQL columns change through [`Change::AlterColumn`], SQLite stores text).
    AddEnumValue {
        name: Str,
        value: Str,
        before: Option<Str>,
    },
    /// Changes to one existing table, in order.
    AlterTable(AlterTable),
    /// Gives PostgreSQL enum type `name` exactly `values` where adding values is not enough
    /// (some removed or reordered): the type is renamed aside, created again, each of
    /// `columns` converted through its text, its default set again, and the old type dropped;
    /// first the rows holding a value the type loses are counted, and the migration stops if
    /// there are any. Nothing elsewhere (MySQL columns change through
    /// [`Change::AlterColumn`], SQLite stores text).
    RecreateEnum {
        name: Str,
        values: List<Str>,
        columns: List<EnumColumn>,
    },
}

/// A column of a native enum type, for [`Op::RecreateEnum`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumColumn {
    pub table: Str,
    pub column: Str,
    pub default: Option<DefaultValue>,
}

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

/// Changes to an existing table, and the table as they leave it.
///
/// PostgreSQL and MySQL run each change as an `ALTER TABLE`. SQLite runs renames, added
/// nullable or constant-default columns and index changes in place; for anything else it
/// rebuilds the table from `table`: rename the old one aside, create `table`, copy the rows
/// (renamed columns from their old names, backfilled columns from their value), drop the old
/// one, create the indexes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlterTable {
    /// The whole table after the changes.
    pub table: Table,
    pub changes: List<Change>,
}

/// One change to an existing table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// Adds a column. With `backfill`, it is added nullable, existing rows get the value, then
    /// it is made `NOT NULL` (or, on SQLite, the rows are copied with the value).
    AddColumn {
        column: Column,
        backfill: Option<DefaultValue>,
    },
    DropColumn(Str),
    RenameColumn {
        from: Str,
        to: Str,
    },
    /// Changes a column's type, nullability, default, uniqueness or comment to `to`'s. With
    /// `backfill`, rows where it is NULL get the value first.
    AlterColumn {
        from: Column,
        to: Column,
        backfill: Option<DefaultValue>,
    },
    CreateIndex(Index),
    /// Drops the index (its columns let MySQL re-home a foreign key that relied on it).
    DropIndex(Index),
    AddForeignKey(ForeignKey),
    DropForeignKey(Str),
    /// Adds a CHECK constraint, after counting the rows that break it: when there are any,
    /// the migration stops with that count and the rule, before changing anything.
    AddCheck(Check),
    /// Drops the CHECK constraint of that name.
    DropCheck(Str),
    /// Sets the table's comment (`None` removes it): `ALTER TABLE … COMMENT` on MySQL, the
    /// one backend where SeaORM's schema keeps table comments; nothing elsewhere.
    TableComment(Option<Str>),
    /// Makes `to` the primary key in place of `from` (key order), after counting the rows
    /// whose new key would be NULL or shared: when there are any, the migration stops there.
    /// The new key is named as `CREATE TABLE` names it (one column: the backend's own name;
    /// several: `pk-{table}`). An auto-increment column that comes with the new key is added
    /// in the same step (`add`: the backend numbers the existing rows), and one that goes
    /// with the old key is dropped in it (`drop`), since MySQL allows such a column only as a
    /// key. PostgreSQL drops whatever primary key the table has, by its catalog name; MySQL
    /// runs it all as one `ALTER TABLE`; SQLite rebuilds the table.
    PrimaryKey {
        from: List<Str>,
        to: List<Str>,
        add: Option<Column>,
        drop: Option<Str>,
    },
}

/// A PostgreSQL native enum type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enum {
    pub name: Str,
    pub values: List<Str>,
}

/// A table as SeaORM creates it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Table {
    pub name: Str,
    pub comment: Option<Str>,
    pub columns: List<Column>,
    /// Primary-key columns in key order. One column: an inline `PRIMARY KEY`; several: a table
    /// constraint named `pk-{table}` (SeaORM's naming).
    pub primary_key: List<Str>,
    pub indexes: List<Index>,
    pub foreign_keys: List<ForeignKey>,
    /// Named CHECK constraints, written at the end of `CREATE TABLE`.
    pub checks: List<Check>,
}

/// A named CHECK constraint on one column, from a validation rule of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub name: Str,
    pub column: Str,
    pub rule: CheckRule,
}

/// What a [`Check`] requires. A NULL passes every rule but [`CheckRule::NotNull`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckRule {
    /// Between `min` and `max` characters, both inclusive: `char_length` on PostgreSQL and
    /// MySQL, `length` on SQLite, which all count characters, not bytes.
    Length { min: Option<u64>, max: Option<u64> },
    /// A number between `min` and `max`.
    Range {
        min: Option<Limit>,
        max: Option<Limit>,
    },
    /// `IN (…)` these literals.
    OneOf(List<DefaultValue>),
    /// `IS NOT NULL`.
    NotNull,
}

/// One end of a [`CheckRule::Range`]: a numeric literal, allowed itself when `inclusive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub value: Str,
    pub inclusive: bool,
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

/// A column. `NOT NULL` unless `null` is set, as in SeaORM and sea-orm-migration's helpers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub name: Str,
    pub ty: ColumnType,
    pub null: bool,
    pub default: Option<DefaultValue>,
    /// An inline `UNIQUE` on the column (`#[sea_orm(unique)]`).
    pub unique: bool,
    pub auto_increment: bool,
    pub comment: Option<Str>,
    /// Raw SQL appended after the column definition (`#[sea_orm(extra = "…")]`), verbatim.
    pub extra: Option<Str>,
}

/// A column type, mirroring sea-query's `ColumnType` one to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// `(precision, scale)`.
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
    /// A type name written as is.
    Custom(Str),
    /// A native enum: a named type on PostgreSQL, inline `ENUM(…)` on MySQL, text on SQLite.
    Enum {
        name: Str,
        variants: List<Str>,
    },
    Vector(Option<u32>),
    Cidr,
    Inet,
    MacAddr,
    LTree,
}

/// Length of a `varchar` / `varbinary` (sea-query's `StringLen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    /// No length given: the backend's default (`varchar(255)` on MySQL).
    None,
    N(u32),
    Max,
}

/// A column default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    Null,
    Bool(bool),
    /// A numeric literal, written unquoted exactly as given (validated by the generator).
    Number(Str),
    /// A string literal, quoted and escaped for each backend by sea-query.
    String(Str),
    CurrentTimestamp,
    CurrentDate,
    CurrentTime,
    /// A raw SQL expression (`Expr::cust` in `default_expr`), written in parentheses, verbatim.
    Expr(Str),
}

/// A named index over table columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    pub name: Str,
    pub columns: List<Str>,
    pub unique: bool,
}

/// A foreign key from this table's `columns` to `ref_table.ref_columns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: Str,
    pub columns: List<Str>,
    pub ref_table: Str,
    pub ref_columns: List<Str>,
    pub on_delete: Option<Action>,
    pub on_update: Option<Action>,
}

/// A referential action (`ON DELETE` / `ON UPDATE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Restrict,
    Cascade,
    SetNull,
    NoAction,
    SetDefault,
}

// --- const builders: what generated files call -------------------------------------------

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
