//! Dense format, the referenced side of a relation.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, entity::DatabaseRules)]
#[sea_orm(table_name = "author", comment = "People who write books")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    #[sea_orm(column_name = "display_name", indexed)]
    pub name: String,
    #[sea_orm(has_many)]
    pub books: HasMany<super::book::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
