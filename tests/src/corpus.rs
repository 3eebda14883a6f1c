//! The fidelity corpus: entities that exercise every schema feature SeaORM expresses, in both
//! the dense 2.0 format (`#[sea_orm::model]`) and the compact format that
//! `sea-orm-cli generate entity` writes. Tests only; the app never sees these.

entity::entities! { author, book, all_types, options, membership, enums }
