//! The application's entities, in the application crate (see the module above).

pub mod baker;
pub mod bakery;
pub mod bakery_changed;
pub mod bakery_declared;
pub mod cake;
pub mod cakes_bakers;
