//! Version 1 of the migration vocabulary: schema data ([`Table`], [`Column`], [`Index`],
//! [`ForeignKey`], [`Enum`]), the operations on it ([`Op`]), and [`to_sql`] / [`apply`], which
//! build the statements with sea-query exactly as SeaORM's `Schema` builds them from an entity.
//!
//! Frozen: once a migration is generated against `v1`, the SQL that its data produces must never
//! change. Extend by adding variants whose meaning is new; never alter what an existing one does.

use sea_orm_migration::SchemaManager;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, DbErr};
use sea_orm_migration::sea_query::{
    self, Alias, ColumnDef, Expr, ForeignKeyAction, Keyword, MysqlQueryBuilder,
    PostgresQueryBuilder, SchemaStatementBuilder, SqliteQueryBuilder, StringLen,
    TableCreateStatement, extension::postgres::Type,
};

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

/// A native enum type.
pub const fn enum_type(name: &'static str, values: &'static [Str]) -> Enum {
    Enum { name, values }
}

// --- interpreter -----------------------------------------------------------------------------

/// The SQL statements that `ops` run on `backend`, in order.
pub fn to_sql(ops: &[Op], backend: DbBackend) -> Vec<String> {
    ops.iter().flat_map(|op| op_to_sql(op, backend)).collect()
}

/// Runs `ops` in order through the migration's connection. An error names the statement.
pub async fn apply(manager: &SchemaManager<'_>, ops: &[Op]) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    for sql in to_sql(ops, manager.get_database_backend()) {
        connection
            .execute_unprepared(&sql)
            .await
            .map_err(|error| DbErr::Migration(format!("{error}\n  while running: {sql}")))?;
    }
    Ok(())
}

fn op_to_sql(op: &Op, backend: DbBackend) -> Vec<String> {
    match op {
        Op::CreateEnum(enum_type) => match backend {
            DbBackend::Postgres => vec![
                Type::create()
                    .as_enum(iden(enum_type.name))
                    .values(enum_type.values.iter().map(|v| iden(v)))
                    .to_string(PostgresQueryBuilder),
            ],
            _ => Vec::new(),
        },
        Op::DropEnum(name) => match backend {
            DbBackend::Postgres => vec![
                Type::drop()
                    .name(iden(name))
                    .to_string(PostgresQueryBuilder),
            ],
            _ => Vec::new(),
        },
        Op::CreateTable(table) => {
            let mut sql = vec![build(&create_table_statement(table, backend), backend)];
            sql.extend(table.indexes.iter().map(|index| {
                let mut statement = sea_query::Index::create();
                statement.name(index.name).table(iden(table.name));
                for column in index.columns.iter() {
                    statement.col(iden(column));
                }
                if index.unique {
                    statement.unique();
                }
                build(&statement, backend)
            }));
            sql
        }
        Op::DropTable(name) => vec![build(
            &sea_query::Table::drop().table(iden(name)).to_owned(),
            backend,
        )],
    }
}

fn build(statement: &impl SchemaStatementBuilder, backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => statement.to_string(PostgresQueryBuilder),
        DbBackend::MySql => statement.to_string(MysqlQueryBuilder),
        DbBackend::Sqlite => statement.to_string(SqliteQueryBuilder),
        // `DbBackend` is non-exhaustive; a backend SeaORM adds later has no v1 semantics.
        other => unimplemented!("migration-ops v1 has no SQL for {other:?}"),
    }
}

/// The `CREATE TABLE` statement, built in the order of SeaORM's `create_table_from_entity`.
fn create_table_statement(table: &Table, backend: DbBackend) -> TableCreateStatement {
    let mut statement = TableCreateStatement::new();
    if let Some(comment) = &table.comment {
        statement.comment(*comment);
    }
    let single_primary_key = match table.primary_key {
        [only] => Some(*only),
        _ => None,
    };
    for column in table.columns.iter() {
        let mut def =
            ColumnDef::new_with_type(iden(column.name), column_type_for(&column.ty, backend));
        if !column.null {
            def.not_null();
        }
        if column.unique {
            def.unique_key();
        }
        if let Some(default) = &column.default {
            def.default(default_expr(default));
        }
        if let Some(comment) = &column.comment {
            def.comment(*comment);
        }
        if let Some(extra) = &column.extra {
            def.extra(*extra);
        }
        if column.auto_increment {
            def.auto_increment();
        }
        if single_primary_key == Some(column.name) {
            def.primary_key();
        }
        statement.col(&mut def);
    }
    if table.primary_key.len() > 1 {
        let mut primary_key = sea_query::Index::create();
        for column in table.primary_key.iter() {
            primary_key.col(iden(column));
        }
        statement.primary_key(primary_key.name(format!("pk-{}", table.name)).primary());
    }
    for foreign_key in table.foreign_keys.iter() {
        let mut fk = sea_query::ForeignKey::create();
        for column in foreign_key.columns.iter() {
            fk.from_col(iden(column));
        }
        for column in foreign_key.ref_columns.iter() {
            fk.to_col(iden(column));
        }
        if let Some(action) = foreign_key.on_delete {
            fk.on_delete(action.into());
        }
        if let Some(action) = foreign_key.on_update {
            fk.on_update(action.into());
        }
        fk.name(foreign_key.name)
            .from_tbl(iden(table.name))
            .to_tbl(iden(foreign_key.ref_table));
        statement.foreign_key(&mut fk);
    }
    statement.table(iden(table.name)).take()
}

/// The sea-query type for `ty` on `backend`; enums follow SeaORM's per-backend mapping.
fn column_type_for(ty: &ColumnType, backend: DbBackend) -> sea_query::ColumnType {
    match (ty, backend) {
        (ColumnType::Enum { name, .. }, DbBackend::Postgres) => {
            sea_query::ColumnType::custom(name.to_string())
        }
        (ColumnType::Enum { variants, .. }, DbBackend::MySql) => {
            sea_query::ColumnType::custom(format!("ENUM('{}')", variants.join("', '")))
        }
        _ => ty.to_sea_query(),
    }
}

impl ColumnType {
    /// The same type as sea-query's `ColumnType`, with no backend-specific mapping.
    pub fn to_sea_query(&self) -> sea_query::ColumnType {
        use sea_query::ColumnType as Q;
        match self {
            ColumnType::Char(len) => Q::Char(*len),
            ColumnType::String(len) => Q::String((*len).into()),
            ColumnType::Text => Q::Text,
            ColumnType::Blob => Q::Blob,
            ColumnType::TinyInteger => Q::TinyInteger,
            ColumnType::SmallInteger => Q::SmallInteger,
            ColumnType::Integer => Q::Integer,
            ColumnType::BigInteger => Q::BigInteger,
            ColumnType::TinyUnsigned => Q::TinyUnsigned,
            ColumnType::SmallUnsigned => Q::SmallUnsigned,
            ColumnType::Unsigned => Q::Unsigned,
            ColumnType::BigUnsigned => Q::BigUnsigned,
            ColumnType::Float => Q::Float,
            ColumnType::Double => Q::Double,
            ColumnType::Decimal(precision) => Q::Decimal(*precision),
            ColumnType::DateTime => Q::DateTime,
            ColumnType::Timestamp => Q::Timestamp,
            ColumnType::TimestampWithTimeZone => Q::TimestampWithTimeZone,
            ColumnType::Time => Q::Time,
            ColumnType::Date => Q::Date,
            ColumnType::Year => Q::Year,
            ColumnType::Binary(len) => Q::Binary(*len),
            ColumnType::VarBinary(len) => Q::VarBinary((*len).into()),
            ColumnType::Bit(len) => Q::Bit(*len),
            ColumnType::VarBit(len) => Q::VarBit(*len),
            ColumnType::Boolean => Q::Boolean,
            ColumnType::Money(precision) => Q::Money(*precision),
            ColumnType::Json => Q::Json,
            ColumnType::JsonBinary => Q::JsonBinary,
            ColumnType::Uuid => Q::Uuid,
            ColumnType::Custom(name) => Q::custom(name.to_string()),
            ColumnType::Enum { name, variants } => Q::Enum {
                name: iden(name).into(),
                variants: variants.iter().map(|v| iden(v).into()).collect(),
            },
            ColumnType::Vector(len) => Q::Vector(*len),
            ColumnType::Cidr => Q::Cidr,
            ColumnType::Inet => Q::Inet,
            ColumnType::MacAddr => Q::MacAddr,
            ColumnType::LTree => Q::LTree,
        }
    }
}

impl From<Len> for StringLen {
    fn from(len: Len) -> Self {
        match len {
            Len::None => StringLen::None,
            Len::N(n) => StringLen::N(n),
            Len::Max => StringLen::Max,
        }
    }
}

impl From<Action> for ForeignKeyAction {
    fn from(action: Action) -> Self {
        match action {
            Action::Restrict => ForeignKeyAction::Restrict,
            Action::Cascade => ForeignKeyAction::Cascade,
            Action::SetNull => ForeignKeyAction::SetNull,
            Action::NoAction => ForeignKeyAction::NoAction,
            Action::SetDefault => ForeignKeyAction::SetDefault,
        }
    }
}

/// The sea-query expression that renders `default` as SeaORM renders the entity's default.
fn default_expr(default: &DefaultValue) -> Expr {
    match default {
        DefaultValue::Null => Expr::Keyword(Keyword::Null),
        DefaultValue::Bool(value) => Expr::val(*value),
        // A keyword is written verbatim and without the parentheses sea-query puts around
        // expressions, which is how sea-query writes a numeric `Value`.
        DefaultValue::Number(text) => Expr::Keyword(Keyword::Custom(iden(text).into())),
        DefaultValue::String(text) => Expr::val(*text),
        DefaultValue::CurrentTimestamp => Expr::Keyword(Keyword::CurrentTimestamp),
        DefaultValue::CurrentDate => Expr::Keyword(Keyword::CurrentDate),
        DefaultValue::CurrentTime => Expr::Keyword(Keyword::CurrentTime),
        DefaultValue::Expr(sql) => Expr::cust(sql.to_string()),
    }
}

fn iden(name: &str) -> Alias {
    Alias::new(name)
}
