//! A native enum value with a quote, which SeaORM writes unescaped into MySQL's `ENUM(…)`.
use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "quoted")]
pub enum Quoted {
    #[sea_orm(string_value = "it's")]
    Its,
}

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, entity::DatabaseRules)]
#[sea_orm(table_name = "quoted_enum")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub value: Quoted,
}

impl ActiveModelBehavior for ActiveModel {}
