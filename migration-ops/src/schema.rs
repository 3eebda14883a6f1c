//! The one vocabulary of schema data and schema changes, shared by the generator (which diffs,
//! records and renders it), the migration files (which hold it as constants) and the
//! interpreter (which turns it into SQL).
//!
//! Every type is generic over its [`Store`]: [`Static`] data borrows `&'static` strings and
//! slices, so that a migration file is a plain `const` (`v1` names these types: `v1::Column`
//! is `Column<Static>`); [`Owned`] data holds `String`s and `Vec`s, which the generator builds
//! at run time, reads from `schema.json` and from migration files, and frees when done. One
//! type for both, as sqlx's `Migration` serves constants and run-time values with one
//! `Cow<'static, str>`; a `Cow` would not do here, since migration files write the fields
//! directly (`DefaultValue::String("draft")`).
//!
//! Frozen with `v1`: what the SQL of existing data does never changes (see [`crate::v1`]).

mod types;

use std::fmt::Debug;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// How data holds its strings and lists: [`Static`] or [`Owned`].
pub trait Store: Copy + Debug + PartialEq + Eq + Default + 'static {
    /// A name or SQL fragment.
    type Str: Deref<Target = str> + std::fmt::Display + Clone + Debug + PartialEq + Eq + 'static;
    /// A list of items.
    type List<T: Item>: Deref<Target = [T]> + Clone + Debug + PartialEq + Eq + Default + 'static;
    /// A list of `items`.
    fn list<T: Item>(items: Vec<T>) -> Self::List<T>;
}

/// What a [`Store::List`] holds.
pub trait Item: Clone + Debug + PartialEq + Eq + 'static {}
impl<T: Clone + Debug + PartialEq + Eq + 'static> Item for T {}

/// `&'static` strings and slices: the data of migration files, built by `const fn`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Static;

impl Store for Static {
    type Str = &'static str;
    type List<T: Item> = &'static [T];
    /// Static lists are written in source; one built at run time would have to be leaked.
    fn list<T: Item>(_: Vec<T>) -> &'static [T] {
        unreachable!("static data is written in source, never built at run time")
    }
}

/// `String`s and `Vec`s: data built, read or changed at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owned;

impl Store for Owned {
    type Str = String;
    type List<T: Item> = Vec<T>;
    fn list<T: Item>(items: Vec<T>) -> Vec<T> {
        items
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_empty<T, L: Deref<Target = [T]>>(list: &L) -> bool {
    list.is_empty()
}

/// One schema change. Each variant carries everything needed to run it on any backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op<S: Store> {
    /// `CREATE TYPE … AS ENUM` on PostgreSQL; nothing elsewhere (MySQL writes enums inline,
    /// SQLite stores them as text).
    CreateEnum(Enum<S>),
    /// `DROP TYPE` on PostgreSQL; nothing elsewhere.
    DropEnum(S::Str),
    /// `CREATE TABLE` with its columns, primary key and foreign keys, then one `CREATE INDEX`
    /// per index: the statements SeaORM's `Schema` derives from an entity, in its order.
    CreateTable(Table<S>),
    /// `DROP TABLE`.
    DropTable(S::Str),
    /// `ALTER TABLE … RENAME TO …`.
    RenameTable { from: S::Str, to: S::Str },
    /// `ALTER TYPE … ADD VALUE` on PostgreSQL, placed before `before` when given; nothing
    /// elsewhere (MySQL columns change through [`Change::AlterColumn`], SQLite stores text).
    AddEnumValue {
        name: S::Str,
        value: S::Str,
        before: Option<S::Str>,
    },
    /// Changes to one existing table, in order.
    AlterTable(AlterTable<S>),
    /// Gives PostgreSQL enum type `name` exactly `values` where adding values is not enough
    /// (some removed or reordered): the type is renamed aside, created again, each of
    /// `columns` converted through its text, its default set again, and the old type dropped;
    /// first the rows holding a value the type loses are counted, and the migration stops if
    /// there are any. Nothing elsewhere (MySQL columns change through
    /// [`Change::AlterColumn`], SQLite stores text).
    RecreateEnum {
        name: S::Str,
        values: S::List<S::Str>,
        columns: S::List<EnumColumn<S>>,
    },
}

/// A column of a native enum type, for [`Op::RecreateEnum`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumColumn<S: Store> {
    pub table: S::Str,
    pub column: S::Str,
    pub default: Option<DefaultValue<S>>,
}

/// Changes to an existing table, and the table as they leave it.
///
/// PostgreSQL and MySQL run each change as an `ALTER TABLE`. SQLite runs renames, added
/// nullable or constant-default columns and index changes in place; for anything else it
/// rebuilds the table from `table`: rename the old one aside, create `table`, copy the rows
/// (renamed columns from their old names, backfilled columns from their value), drop the old
/// one, create the indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterTable<S: Store> {
    /// The whole table after the changes.
    pub table: Table<S>,
    pub changes: S::List<Change<S>>,
}

/// One change to an existing table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<S: Store> {
    /// Adds a column. With `backfill`, it is added nullable, existing rows get the value, then
    /// it is made `NOT NULL` (or, on SQLite, the rows are copied with the value).
    AddColumn {
        column: Column<S>,
        backfill: Option<DefaultValue<S>>,
    },
    DropColumn(S::Str),
    RenameColumn {
        from: S::Str,
        to: S::Str,
    },
    /// Changes a column's type, nullability, default, uniqueness or comment to `to`'s (see
    /// [`Column::changes_to`] for what changed). With `backfill`, rows where it is NULL get
    /// the value first.
    AlterColumn {
        from: Column<S>,
        to: Column<S>,
        backfill: Option<DefaultValue<S>>,
    },
    CreateIndex(Index<S>),
    /// Drops the index (its columns let MySQL re-home a foreign key that relied on it).
    DropIndex(Index<S>),
    AddForeignKey(ForeignKey<S>),
    DropForeignKey(S::Str),
    /// Adds a CHECK constraint, after counting the rows that break it: when there are any,
    /// the migration stops with that count and the rule, before changing anything.
    AddCheck(Check<S>),
    /// Drops the CHECK constraint of that name.
    DropCheck(S::Str),
    /// Sets the table's comment (`None` removes it): `ALTER TABLE … COMMENT` on MySQL, the
    /// one backend where SeaORM's schema keeps table comments; nothing elsewhere.
    TableComment(Option<S::Str>),
    /// Makes `to` the primary key in place of `from` (key order), after counting the rows
    /// whose new key would be NULL or shared: when there are any, the migration stops there.
    /// The new key is named as `CREATE TABLE` names it (one column: the backend's own name;
    /// several: `pk-{table}`). An auto-increment column that comes with the new key is added
    /// in the same step (`add`: the backend numbers the existing rows), and one that goes
    /// with the old key is dropped in it (`drop`), since MySQL allows such a column only as a
    /// key. PostgreSQL drops whatever primary key the table has, by its catalog name; MySQL
    /// runs it all as one `ALTER TABLE`; SQLite rebuilds the table.
    PrimaryKey {
        from: S::List<S::Str>,
        to: S::List<S::Str>,
        add: Option<Column<S>>,
        drop: Option<S::Str>,
    },
}

/// A PostgreSQL native enum type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enum<S: Store> {
    pub name: S::Str,
    pub values: S::List<S::Str>,
}

/// A table as SeaORM creates it.
///
/// In `schema.json` a table is recorded under its name, so `name` is not written there.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(
    serialize = "S::Str: Serialize, S::List<S::Str>: Serialize, S::List<Column<S>>: Serialize, \
                 S::List<Index<S>>: Serialize, S::List<ForeignKey<S>>: Serialize, \
                 S::List<Check<S>>: Serialize",
    deserialize = "S::Str: Deserialize<'de> + Default, S::List<S::Str>: Deserialize<'de>, \
                   S::List<Column<S>>: Deserialize<'de>, S::List<Index<S>>: Deserialize<'de>, \
                   S::List<ForeignKey<S>>: Deserialize<'de>, S::List<Check<S>>: Deserialize<'de>"
))]
pub struct Table<S: Store> {
    #[serde(skip)]
    pub name: S::Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<S::Str>,
    pub columns: S::List<Column<S>>,
    /// Primary-key columns in key order. One column: an inline `PRIMARY KEY`; several: a table
    /// constraint named `pk-{table}` (SeaORM's naming).
    pub primary_key: S::List<S::Str>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub indexes: S::List<Index<S>>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub foreign_keys: S::List<ForeignKey<S>>,
    /// Named CHECK constraints from the model's validation rules, written at the end of
    /// `CREATE TABLE` (sorted by name in `schema.json`).
    #[serde(default, skip_serializing_if = "is_empty")]
    pub checks: S::List<Check<S>>,
}

/// A named CHECK constraint on one column, from a validation rule of the model. A NULL passes
/// every rule but [`CheckRule::NotNull`], as a `None` passes `validator`'s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(
    serialize = "S::Str: Serialize, CheckRule<S>: Serialize",
    deserialize = "S::Str: Deserialize<'de>, CheckRule<S>: Deserialize<'de>"
))]
pub struct Check<S: Store> {
    pub name: S::Str,
    pub column: S::Str,
    pub rule: CheckRule<S>,
}

/// What a [`Check`] requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[serde(bound(
    serialize = "Limit<S>: Serialize, S::List<DefaultValue<S>>: Serialize",
    deserialize = "Limit<S>: Deserialize<'de>, S::List<DefaultValue<S>>: Deserialize<'de>"
))]
pub enum CheckRule<S: Store> {
    /// Between `min` and `max` characters, both inclusive: `char_length` on PostgreSQL and
    /// MySQL, `length` on SQLite, which all count characters, not bytes.
    Length { min: Option<u64>, max: Option<u64> },
    /// A number between `min` and `max`.
    Range {
        min: Option<Limit<S>>,
        max: Option<Limit<S>>,
    },
    /// `IN (…)` these literals (a string- or integer-backed enum's values).
    OneOf(S::List<DefaultValue<S>>),
    /// `IS NOT NULL` (`validator`'s `required` on an `Option`).
    NotNull,
}

/// One end of a [`CheckRule::Range`]: a numeric literal, allowed itself when `inclusive`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(
    serialize = "S::Str: Serialize",
    deserialize = "S::Str: Deserialize<'de>"
))]
pub struct Limit<S: Store> {
    pub value: S::Str,
    pub inclusive: bool,
}

/// A column. `NOT NULL` unless `null` is set, as in SeaORM and sea-orm-migration's helpers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(
    serialize = "S::Str: Serialize, ColumnType<S>: Serialize, DefaultValue<S>: Serialize",
    deserialize = "S::Str: Deserialize<'de>, ColumnType<S>: Deserialize<'de>, \
                   DefaultValue<S>: Deserialize<'de>"
))]
pub struct Column<S: Store> {
    pub name: S::Str,
    #[serde(rename = "type")]
    pub ty: ColumnType<S>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub null: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<DefaultValue<S>>,
    /// An inline `UNIQUE` on the column (`#[sea_orm(unique)]`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_increment: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<S::Str>,
    /// Raw SQL appended after the column definition (`#[sea_orm(extra = "…")]`), verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<S::Str>,
}

/// A column type, mirroring sea-query's `ColumnType` one to one, less the ones the generator
/// refuses (intervals and arrays); see `types` for the mapping both ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[serde(bound(
    serialize = "S::Str: Serialize, S::List<S::Str>: Serialize",
    deserialize = "S::Str: Deserialize<'de>, S::List<S::Str>: Deserialize<'de>"
))]
pub enum ColumnType<S: Store> {
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
    Custom(S::Str),
    /// A native enum: a named type on PostgreSQL, inline `ENUM(…)` on MySQL, text on SQLite.
    Enum {
        name: S::Str,
        variants: S::List<S::Str>,
    },
    Vector(Option<u32>),
    Cidr,
    Inet,
    MacAddr,
    #[serde(rename = "ltree")]
    LTree,
}

/// Length of a `varchar` / `varbinary` (sea-query's `StringLen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Len {
    /// No length given: the backend's default (`varchar(255)` on MySQL).
    None,
    N(u32),
    Max,
}

/// A column default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[serde(bound(
    serialize = "S::Str: Serialize",
    deserialize = "S::Str: Deserialize<'de>"
))]
pub enum DefaultValue<S: Store> {
    Null,
    Bool(bool),
    /// A numeric literal, written unquoted exactly as given (validated by the generator).
    Number(S::Str),
    /// A string literal, quoted and escaped for each backend by sea-query.
    String(S::Str),
    CurrentTimestamp,
    CurrentDate,
    CurrentTime,
    /// A raw SQL expression (`Expr::cust` in `default_expr`), written in parentheses, verbatim.
    Expr(S::Str),
}

/// A named index over table columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(
    serialize = "S::Str: Serialize, S::List<S::Str>: Serialize",
    deserialize = "S::Str: Deserialize<'de>, S::List<S::Str>: Deserialize<'de>"
))]
pub struct Index<S: Store> {
    pub name: S::Str,
    pub columns: S::List<S::Str>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
}

/// A foreign key from this table's `columns` to `ref_table.ref_columns` (a `belongs_to`
/// relation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(
    serialize = "S::Str: Serialize, S::List<S::Str>: Serialize",
    deserialize = "S::Str: Deserialize<'de>, S::List<S::Str>: Deserialize<'de>"
))]
pub struct ForeignKey<S: Store> {
    pub name: S::Str,
    pub columns: S::List<S::Str>,
    pub ref_table: S::Str,
    pub ref_columns: S::List<S::Str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_update: Option<Action>,
}

/// A referential action (`ON DELETE` / `ON UPDATE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Restrict,
    Cascade,
    SetNull,
    NoAction,
    SetDefault,
}

// Static data is plain `Copy` data, as migration files expect of constants.
impl Copy for Op<Static> {}
impl Copy for EnumColumn<Static> {}
impl Copy for AlterTable<Static> {}
impl Copy for Change<Static> {}
impl Copy for Enum<Static> {}
impl Copy for Table<Static> {}
impl Copy for Check<Static> {}
impl Copy for CheckRule<Static> {}
impl Copy for Limit<Static> {}
impl Copy for Column<Static> {}
impl Copy for ColumnType<Static> {}
impl Copy for DefaultValue<Static> {}
impl Copy for Index<Static> {}
impl Copy for ForeignKey<Static> {}

/// What an [`Change::AlterColumn`] changes, one flag per part of a column's definition (as
/// Atlas's `ChangeKind`): worked out once, by [`Column::changes_to`], for the SQL of every
/// backend, the review line and the file name alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ColumnChanges {
    pub ty: bool,
    pub null: bool,
    pub default: bool,
    pub unique: bool,
    pub auto_increment: bool,
    pub comment: bool,
    pub extra: bool,
}

impl ColumnChanges {
    /// Whether anything changed.
    pub fn any(&self) -> bool {
        *self != ColumnChanges::default()
    }
}

impl<S: Store> Column<S> {
    /// What differs between this definition and `to`'s, whatever either is named.
    pub fn changes_to(&self, to: &Column<S>) -> ColumnChanges {
        let Column {
            name: _,
            ty,
            null,
            default,
            unique,
            auto_increment,
            comment,
            extra,
        } = self;
        ColumnChanges {
            ty: *ty != to.ty,
            null: *null != to.null,
            default: *default != to.default,
            unique: *unique != to.unique,
            auto_increment: *auto_increment != to.auto_increment,
            comment: *comment != to.comment,
            extra: *extra != to.extra,
        }
    }
}

impl<S: Store> Table<S> {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column<S>> {
        self.columns.iter().find(|column| &*column.name == name)
    }
}

impl<S: Store> ColumnType<S> {
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

/// The same data held as [`Owned`] data.
pub trait ToOwnedData {
    type Owned;
    fn owned(&self) -> Self::Owned;
}

impl<S: Store> ToOwnedData for DefaultValue<S> {
    type Owned = DefaultValue<Owned>;
    fn owned(&self) -> DefaultValue<Owned> {
        match self {
            DefaultValue::Null => DefaultValue::Null,
            DefaultValue::Bool(value) => DefaultValue::Bool(*value),
            DefaultValue::Number(text) => DefaultValue::Number(text.to_string()),
            DefaultValue::String(text) => DefaultValue::String(text.to_string()),
            DefaultValue::CurrentTimestamp => DefaultValue::CurrentTimestamp,
            DefaultValue::CurrentDate => DefaultValue::CurrentDate,
            DefaultValue::CurrentTime => DefaultValue::CurrentTime,
            DefaultValue::Expr(sql) => DefaultValue::Expr(sql.to_string()),
        }
    }
}

impl<S: Store> ToOwnedData for Limit<S> {
    type Owned = Limit<Owned>;
    fn owned(&self) -> Limit<Owned> {
        Limit {
            value: self.value.to_string(),
            inclusive: self.inclusive,
        }
    }
}

impl<S: Store> ToOwnedData for Check<S> {
    type Owned = Check<Owned>;
    fn owned(&self) -> Check<Owned> {
        Check {
            name: self.name.to_string(),
            column: self.column.to_string(),
            rule: match &self.rule {
                CheckRule::Length { min, max } => CheckRule::Length {
                    min: *min,
                    max: *max,
                },
                CheckRule::Range { min, max } => CheckRule::Range {
                    min: min.as_ref().map(Limit::owned),
                    max: max.as_ref().map(Limit::owned),
                },
                CheckRule::OneOf(values) => {
                    CheckRule::OneOf(values.iter().map(DefaultValue::owned).collect())
                }
                CheckRule::NotNull => CheckRule::NotNull,
            },
        }
    }
}
