//! Dense format: defaults of every kind, uniqueness, indexes, names, comments and `extra`.
use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, entity::DatabaseRules)]
#[sea_orm(table_name = "options")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(default_value = "draft")]
    pub status: String,
    #[sea_orm(default_value = "it's \"x\"\n")]
    pub quoted: String,
    #[sea_orm(default_value = 42)]
    pub answer: i32,
    #[sea_orm(default_value = -7)]
    pub negative: i64,
    #[sea_orm(default_value = 2.5)]
    pub ratio: f64,
    #[sea_orm(default_value = true)]
    pub active: bool,
    #[sea_orm(default_value = "x")]
    pub optional_with_default: Option<String>,
    #[sea_orm(default_expr = "Expr::current_timestamp()")]
    pub created_at: DateTimeWithTimeZone,
    #[sea_orm(default_expr = "Expr::cust(\"1 + 1\")")]
    pub computed: i32,
    #[sea_orm(unique)]
    pub slug: String,
    #[sea_orm(unique_key = "pair")]
    pub pair_a: i32,
    #[sea_orm(unique_key = "pair")]
    pub pair_b: i32,
    #[sea_orm(indexed)]
    pub category: String,
    #[sea_orm(indexed, unique)]
    pub code: String,
    #[sea_orm(column_name = "renamed_in_db")]
    pub renamed: i32,
    #[sea_orm(comment = "how many")]
    pub quantity: i32,
    #[sea_orm(extra = "CHECK (stock >= 0)")]
    pub stock: i32,
}

impl ActiveModelBehavior for ActiveModel {}
