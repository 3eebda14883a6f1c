//! A table name one byte past PostgreSQL's 63, which it would cut without a word.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, entity::DatabaseRules)]
#[sea_orm(table_name = "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
}

impl ActiveModelBehavior for ActiveModel {}
