//! `schema_name`, which SQLite cannot run.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, entity::DatabaseRules)]
#[sea_orm(table_name = "qualified", schema_name = "elsewhere")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
}

impl ActiveModelBehavior for ActiveModel {}
