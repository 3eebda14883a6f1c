//! Validation rules that cannot apply to their columns. `validator` itself refuses a length on
//! an integer field at compile time; what reaches the generator is a length on a field stored
//! as a non-text column, a range whose minimum is above its maximum, and a length whose
//! minimum is above its maximum.
use sea_orm::entity::prelude::*;
use validator::Validate;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Validate, entity::DatabaseRules)]
#[sea_orm(table_name = "bad_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "Blob")]
    #[validate(length(min = 1))]
    pub count: String,
    #[validate(range(min = 10, max = 1))]
    pub score: i32,
    #[validate(length(min = 5, max = 2))]
    pub name: String,
}

impl ActiveModelBehavior for ActiveModel {}
