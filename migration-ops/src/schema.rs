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
    /// `text` as this store holds it.
    fn str(text: &str) -> Self::Str;
    /// `items` as this store holds them.
    fn list<T: Item>(items: Vec<T>) -> Self::List<T>;
}

/// What a [`Store::List`] holds.
pub trait Item: Clone + Debug + PartialEq + Eq + 'static {}
impl<T: Clone + Debug + PartialEq + Eq + 'static> Item for T {}

/// `&'static` strings and slices: the data of migration files, built by `const fn`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Static;

/// Static data is written in source files. Built at run time (by [`Convert::convert`]) its
/// strings and lists are leaked: only tests do that, to hand run-time data to the runner,
/// whose list of generated migrations is static; the generator never does.
impl Store for Static {
    type Str = &'static str;
    type List<T: Item> = &'static [T];
    fn str(text: &str) -> &'static str {
        Box::leak(text.to_owned().into_boxed_str())
    }
    fn list<T: Item>(items: Vec<T>) -> &'static [T] {
        Box::leak(items.into_boxed_slice())
    }
}

/// `String`s and `Vec`s: data built, read or changed at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owned;

impl Store for Owned {
    type Str = String;
    type List<T: Item> = Vec<T>;
    fn str(text: &str) -> String {
        text.to_owned()
    }
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
    /// Text without the NUL character (`entity_rules::no_nul`): searched for in the column's
    /// bytes, since SQLite's text functions stop at a NUL; always true on PostgreSQL, whose
    /// text cannot hold one (there it is written on the text's UTF-8 bytes too), so every backend
    /// holds the same constraint.
    NoNul,
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
    /// Signed and unsigned integers of every size.
    pub fn is_integer(&self) -> bool {
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
        )
    }

    /// Integer, floating-point and decimal types: those whose literals are numbers.
    pub fn is_numeric(&self) -> bool {
        use ColumnType as T;
        self.is_integer() || matches!(self, T::Float | T::Double | T::Decimal(_) | T::Money(_))
    }
}

impl Column<Owned> {
    /// A NOT NULL column of type `ty` with nothing else set.
    pub fn new(name: impl Into<String>, ty: ColumnType<Owned>) -> Self {
        Column {
            name: name.into(),
            ty,
            null: false,
            default: None,
            unique: false,
            auto_increment: false,
            comment: None,
            extra: None,
        }
    }
}

/// The same data in another store: `convert::<Owned>()` for run-time data (a migration
/// file's constants compared with what the generator builds), `convert::<Static>()` for the
/// tests that hand run-time data to the runner (see [`Static`]).
pub trait Convert {
    type In<T: Store>;
    fn convert<T: Store>(&self) -> Self::In<T>;
}

impl<S: Store> Convert for DefaultValue<S> {
    type In<T: Store> = DefaultValue<T>;
    fn convert<T: Store>(&self) -> DefaultValue<T> {
        match self {
            DefaultValue::Null => DefaultValue::Null,
            DefaultValue::Bool(value) => DefaultValue::Bool(*value),
            DefaultValue::Number(text) => DefaultValue::Number(T::str(text)),
            DefaultValue::String(text) => DefaultValue::String(T::str(text)),
            DefaultValue::CurrentTimestamp => DefaultValue::CurrentTimestamp,
            DefaultValue::CurrentDate => DefaultValue::CurrentDate,
            DefaultValue::CurrentTime => DefaultValue::CurrentTime,
            DefaultValue::Expr(sql) => DefaultValue::Expr(T::str(sql)),
        }
    }
}

impl<S: Store> Convert for Limit<S> {
    type In<T: Store> = Limit<T>;
    fn convert<T: Store>(&self) -> Limit<T> {
        Limit {
            value: T::str(&self.value),
            inclusive: self.inclusive,
        }
    }
}

impl<S: Store> Convert for Check<S> {
    type In<T: Store> = Check<T>;
    fn convert<T: Store>(&self) -> Check<T> {
        Check {
            name: T::str(&self.name),
            column: T::str(&self.column),
            rule: match &self.rule {
                CheckRule::Length { min, max } => CheckRule::Length {
                    min: *min,
                    max: *max,
                },
                CheckRule::Range { min, max } => CheckRule::Range {
                    min: min.as_ref().map(Limit::convert::<T>),
                    max: max.as_ref().map(Limit::convert::<T>),
                },
                CheckRule::OneOf(values) => CheckRule::OneOf(convert_all::<T, _>(values)),
                CheckRule::NotNull => CheckRule::NotNull,
                CheckRule::NoNul => CheckRule::NoNul,
            },
        }
    }
}

/// A list of the store's strings in store `T`.
fn strings<S: Store, T: Store>(items: &[S::Str]) -> T::List<T::Str> {
    T::list(items.iter().map(|item| T::str(item)).collect())
}

/// `items`, each in store `T`.
pub fn convert_all<T: Store, C: Convert>(items: &[C]) -> T::List<C::In<T>>
where
    C::In<T>: Item,
{
    T::list(items.iter().map(C::convert::<T>).collect())
}

impl<S: Store> Convert for Op<S> {
    type In<T: Store> = Op<T>;
    fn convert<T: Store>(&self) -> Op<T> {
        match self {
            Op::CreateEnum(e) => Op::CreateEnum(e.convert::<T>()),
            Op::DropEnum(name) => Op::DropEnum(T::str(name)),
            Op::CreateTable(table) => Op::CreateTable(table.convert::<T>()),
            Op::DropTable(name) => Op::DropTable(T::str(name)),
            Op::RenameTable { from, to } => Op::RenameTable {
                from: T::str(from),
                to: T::str(to),
            },
            Op::AddEnumValue {
                name,
                value,
                before,
            } => Op::AddEnumValue {
                name: T::str(name),
                value: T::str(value),
                before: before.as_ref().map(|b| T::str(b)),
            },
            Op::AlterTable(alter) => Op::AlterTable(AlterTable {
                table: alter.table.convert::<T>(),
                changes: convert_all::<T, _>(&alter.changes),
            }),
            Op::RecreateEnum {
                name,
                values,
                columns,
            } => Op::RecreateEnum {
                name: T::str(name),
                values: strings::<S, T>(values),
                columns: convert_all::<T, _>(columns),
            },
        }
    }
}

impl<S: Store> Convert for Change<S> {
    type In<T: Store> = Change<T>;
    fn convert<T: Store>(&self) -> Change<T> {
        match self {
            Change::AddColumn { column, backfill } => Change::AddColumn {
                column: column.convert::<T>(),
                backfill: backfill.as_ref().map(DefaultValue::convert::<T>),
            },
            Change::DropColumn(name) => Change::DropColumn(T::str(name)),
            Change::RenameColumn { from, to } => Change::RenameColumn {
                from: T::str(from),
                to: T::str(to),
            },
            Change::AlterColumn { from, to, backfill } => Change::AlterColumn {
                from: from.convert::<T>(),
                to: to.convert::<T>(),
                backfill: backfill.as_ref().map(DefaultValue::convert::<T>),
            },
            Change::CreateIndex(index) => Change::CreateIndex(index.convert::<T>()),
            Change::DropIndex(index) => Change::DropIndex(index.convert::<T>()),
            Change::AddForeignKey(fk) => Change::AddForeignKey(fk.convert::<T>()),
            Change::DropForeignKey(name) => Change::DropForeignKey(T::str(name)),
            Change::AddCheck(check) => Change::AddCheck(check.convert::<T>()),
            Change::DropCheck(name) => Change::DropCheck(T::str(name)),
            Change::TableComment(comment) => {
                Change::TableComment(comment.as_ref().map(|c| T::str(c)))
            }
            Change::PrimaryKey {
                from,
                to,
                add,
                drop,
            } => Change::PrimaryKey {
                from: strings::<S, T>(from),
                to: strings::<S, T>(to),
                add: add.as_ref().map(Column::convert::<T>),
                drop: drop.as_ref().map(|d| T::str(d)),
            },
        }
    }
}

impl<S: Store> Convert for Enum<S> {
    type In<T: Store> = Enum<T>;
    fn convert<T: Store>(&self) -> Enum<T> {
        Enum {
            name: T::str(&self.name),
            values: strings::<S, T>(&self.values),
        }
    }
}

impl<S: Store> Convert for EnumColumn<S> {
    type In<T: Store> = EnumColumn<T>;
    fn convert<T: Store>(&self) -> EnumColumn<T> {
        EnumColumn {
            table: T::str(&self.table),
            column: T::str(&self.column),
            default: self.default.as_ref().map(DefaultValue::convert::<T>),
        }
    }
}

impl<S: Store> Convert for Table<S> {
    type In<T: Store> = Table<T>;
    fn convert<T: Store>(&self) -> Table<T> {
        Table {
            name: T::str(&self.name),
            comment: self.comment.as_ref().map(|c| T::str(c)),
            columns: convert_all::<T, _>(&self.columns),
            primary_key: strings::<S, T>(&self.primary_key),
            indexes: convert_all::<T, _>(&self.indexes),
            foreign_keys: convert_all::<T, _>(&self.foreign_keys),
            checks: convert_all::<T, _>(&self.checks),
        }
    }
}

impl<S: Store> Convert for Column<S> {
    type In<T: Store> = Column<T>;
    fn convert<T: Store>(&self) -> Column<T> {
        Column {
            name: T::str(&self.name),
            ty: self.ty.convert::<T>(),
            null: self.null,
            default: self.default.as_ref().map(DefaultValue::convert::<T>),
            unique: self.unique,
            auto_increment: self.auto_increment,
            comment: self.comment.as_ref().map(|c| T::str(c)),
            extra: self.extra.as_ref().map(|e| T::str(e)),
        }
    }
}

impl<S: Store> Convert for ColumnType<S> {
    type In<T: Store> = ColumnType<T>;
    fn convert<T: Store>(&self) -> ColumnType<T> {
        match self {
            ColumnType::Custom(name) => ColumnType::Custom(T::str(name)),
            ColumnType::Enum { name, variants } => ColumnType::Enum {
                name: T::str(name),
                variants: strings::<S, T>(variants),
            },
            // The others hold no strings: the same variant, through sea-query's type.
            other => ColumnType::from_sea_query(&other.to_sea_query())
                .expect("every type but these two maps to sea-query and back"),
        }
    }
}

impl<S: Store> Convert for Index<S> {
    type In<T: Store> = Index<T>;
    fn convert<T: Store>(&self) -> Index<T> {
        Index {
            name: T::str(&self.name),
            columns: strings::<S, T>(&self.columns),
            unique: self.unique,
        }
    }
}

impl<S: Store> Convert for ForeignKey<S> {
    type In<T: Store> = ForeignKey<T>;
    fn convert<T: Store>(&self) -> ForeignKey<T> {
        ForeignKey {
            name: T::str(&self.name),
            columns: strings::<S, T>(&self.columns),
            ref_table: T::str(&self.ref_table),
            ref_columns: strings::<S, T>(&self.ref_columns),
            on_delete: self.on_delete,
            on_update: self.on_update,
        }
    }
}
