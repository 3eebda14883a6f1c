//! The join table: a composite primary key, a foreign key on each half.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cakes_bakers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cake_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub baker_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::cake::Entity",
        from = "Column::CakeId",
        to = "super::cake::Column::Id",
        on_delete = "Cascade",
        on_update = "Cascade",
        fk_name = "fk-cakes_bakers-cake_id"
    )]
    Cake,
    #[sea_orm(
        belongs_to = "super::baker::Entity",
        from = "Column::BakerId",
        to = "super::baker::Column::Id",
        on_delete = "Cascade",
        on_update = "Cascade",
        fk_name = "fk-cakes_bakers-baker_id"
    )]
    Baker,
}

impl ActiveModelBehavior for ActiveModel {}
