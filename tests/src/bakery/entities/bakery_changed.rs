//! `bakery` after an everyday change: `profit_margin` renamed to `margin`, and a `rating` with
//! a default and a validation rule (so this model, and only this one, derives
//! `DatabaseRules`).
use sea_orm::entity::prelude::*;
use validator::Validate;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Validate, entity_rules::DatabaseRules)]
#[sea_orm(table_name = "bakery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    #[sea_orm(default_value = 0.0, renamed_from = "profit_margin")]
    pub margin: f64,
    #[sea_orm(default_value = 3)]
    #[validate(range(min = 0, max = 5))]
    pub rating: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
