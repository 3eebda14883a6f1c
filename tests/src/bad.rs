//! Entities the generator cannot represent exactly: generation must stop, name each one, and
//! write nothing.

entity::entities! { qualified, quoted_enum, bad_rules, long_name }
