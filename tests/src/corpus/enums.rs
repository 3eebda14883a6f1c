//! Enums: a native database enum, a string-backed and an integer-backed `DeriveActiveEnum`.
use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "mood")]
pub enum Mood {
    #[sea_orm(string_value = "happy")]
    Happy,
    #[sea_orm(string_value = "sad")]
    Sad,
}

#[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(1))")]
pub enum Size {
    #[sea_orm(string_value = "S")]
    Small,
    #[sea_orm(string_value = "L")]
    Large,
}

#[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "i32", db_type = "Integer")]
pub enum Priority {
    #[sea_orm(num_value = 1)]
    Low,
    #[sea_orm(num_value = 2)]
    High,
}

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, entity::DatabaseRules)]
#[sea_orm(table_name = "enums")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub mood: Mood,
    pub optional_mood: Option<Mood>,
    pub size: Size,
    pub priority: Priority,
}

impl ActiveModelBehavior for ActiveModel {}
