//! Compact format: every Rust type SeaORM maps to a column, NOT NULL and `Option`, and the
//! `column_type` overrides.
use sea_orm::entity::prelude::*;

#[sea_orm::compact_model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, entity::DatabaseRules)]
#[sea_orm(table_name = "all_types")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub i8_: i8,
    pub i16_: i16,
    pub i32_: i32,
    pub i64_: i64,
    pub u8_: u8,
    pub u16_: u16,
    pub u32_: u32,
    pub u64_: u64,
    pub f32_: f32,
    pub f64_: f64,
    pub bool_: bool,
    pub string: String,
    pub decimal: Decimal,
    pub date: Date,
    pub time: Time,
    pub date_time: DateTime,
    pub date_time_tz: DateTimeWithTimeZone,
    pub date_time_utc: DateTimeUtc,
    pub json: Json,
    pub bytes: Vec<u8>,
    pub optional_i32: Option<i32>,
    pub optional_string: Option<String>,
    pub optional_date_time: Option<DateTimeWithTimeZone>,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub varchar_64: String,
    #[sea_orm(column_type = "Char(Some(3))")]
    pub char_3: String,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub money: Decimal,
    #[sea_orm(column_type = "JsonBinary")]
    pub json_binary: Json,
    #[sea_orm(column_type = "Blob")]
    pub blob: Vec<u8>,
    #[sea_orm(nullable)]
    pub forced_nullable: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
