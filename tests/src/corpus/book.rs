//! Dense format: `belongs_to` with `on_delete` / `on_update`, a nullable foreign key.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, entity::DatabaseRules)]
#[sea_orm(table_name = "book")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub author_id: i64,
    pub editor_id: Option<i64>,
    pub title: String,
    #[sea_orm(belongs_to, from = "author_id", to = "id", on_delete = "Cascade", on_update = "Restrict")]
    pub author: BelongsTo<super::author::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
