//! A blog post: the seed tutorial's `Post` model.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Required: the database rejects a post without a title.
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// A new post is a draft unless it says otherwise, in the database too.
    #[sea_orm(default_value = "draft")]
    pub status: String,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

impl ActiveModelBehavior for ActiveModel {}
