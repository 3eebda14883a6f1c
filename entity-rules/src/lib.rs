//! A SeaORM model's validation rules as data, and the list of entities the migration
//! generator reads: what `#[derive(DatabaseRules)]` writes and [`visit_entities!`] shows.
//!
//! The app validates with `validator` itself; the derive reads the same `#[validate(…)]`
//! attributes, so the rules the database enforces cannot drift from the ones the app checks.
//! A model without the derive declares no rule: the generator reads its columns, keys,
//! indexes and relations from SeaORM alone.

use sea_orm::Value;

pub use entity_derive::DatabaseRules;

/// A model's rules, field by field. Implemented by `#[derive(DatabaseRules)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not expose its validation rules to the migration generator",
    label = "add `entity_rules::DatabaseRules` to this model's derives",
    note = "the generator turns the model's `#[validate(…)]` rules and enum fields into CHECK \
            constraints; without the derive it cannot see them"
)]
pub trait DeclaredRules {
    fn declared_rules() -> Vec<FieldRules>;
}

/// The rules on one field of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRules {
    /// The Rust field name, as the application reports errors.
    pub field: &'static str,
    /// SeaORM's column name for the field; `None` for a field SeaORM ignores.
    pub column: Option<&'static str>,
    /// The values a `DeriveActiveEnum` field type allows, as stored; `None` for other types.
    pub allowed_values: Option<Vec<Value>>,
    /// The `#[validate(…)]` rules, in the order written.
    pub rules: Vec<Rule>,
}

/// One validator rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// `length(min, max, equal)`: a number of characters (Unicode scalar values).
    Length {
        min: Option<Bound>,
        max: Option<Bound>,
        equal: Option<Bound>,
    },
    /// `range(min, max, exclusive_min, exclusive_max)`.
    Range {
        min: Option<Bound>,
        max: Option<Bound>,
        exclusive_min: Option<Bound>,
        exclusive_max: Option<Bound>,
    },
    /// `required`: an `Option` field must be `Some`.
    Required,
    /// `custom(function = entity_rules::no_nul)`: text without the NUL character, which
    /// PostgreSQL cannot store; a CHECK on the others.
    NoNul,
    /// A rule no database enforces portably (`email`, `url`, `regex`, `custom`, …), by name.
    ApplicationOnly(&'static str),
}

/// A rule parameter, exactly as the model's expression evaluates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    Int(i128),
    Float(f64),
}

/// Converts a rule parameter of any numeric type; what the derive wraps parameters in.
pub fn bound(value: impl IntoBound) -> Bound {
    value.into_bound()
}

/// A numeric type a rule parameter can have.
pub trait IntoBound {
    fn into_bound(self) -> Bound;
}

macro_rules! int_bounds {
    ($($ty:ty),*) => {$(
        impl IntoBound for $ty {
            fn into_bound(self) -> Bound {
                Bound::Int(self as i128)
            }
        }
    )*};
}
int_bounds!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, usize);

impl IntoBound for f32 {
    fn into_bound(self) -> Bound {
        Bound::Float(self as f64)
    }
}

impl IntoBound for f64 {
    fn into_bound(self) -> Bound {
        Bound::Float(self)
    }
}

/// The rule of text that every supported backend stores exactly as given: no NUL character
/// (U+0000), which PostgreSQL cannot hold in `text` or `varchar` while SQLite and MySQL can.
/// Rust strings are valid UTF-8 and MySQL tables are `utf8mb4`, so nothing else is refused.
/// Written `#[validate(custom(function = entity_rules::no_nul))]` (any path whose last
/// segment is `no_nul`): the app refuses such text, and the generator makes the rule a CHECK,
/// so every backend gives the same answer.
pub fn no_nul(text: &str) -> Result<(), validator::ValidationError> {
    if text.contains('\0') {
        return Err(validator::ValidationError::new("no_nul")
            .with_message("must not contain the NUL character (U+0000)".into()));
    }
    Ok(())
}

/// SeaORM's name for a column (what `#[sea_orm(column_name)]` set, or the field's).
pub fn column_name(column: impl sea_orm::IdenStatic) -> &'static str {
    column.as_str()
}

/// Asks a field's type, at compile time, whether it is a `DeriveActiveEnum`.
///
/// `(&&Probe::<T>::new()).allowed_values()` resolves to [`ActiveEnumValues`] when `T` is an
/// active enum (the method taking `&&Probe` is found first) and to [`NoValues`] otherwise.
pub mod probe {
    use std::marker::PhantomData;

    use sea_orm::{ActiveEnum, Value};

    pub struct Probe<T>(PhantomData<T>);

    impl<T> Probe<T> {
        #[allow(clippy::new_without_default)]
        pub const fn new() -> Self {
            Probe(PhantomData)
        }
    }

    pub trait ActiveEnumValues {
        fn allowed_values(&self) -> Option<Vec<Value>>;
    }

    impl<T: ActiveEnum> ActiveEnumValues for &Probe<T> {
        fn allowed_values(&self) -> Option<Vec<Value>> {
            Some(T::iter().map(|variant| variant.to_value().into()).collect())
        }
    }

    pub trait NoValues {
        fn allowed_values(&self) -> Option<Vec<Value>> {
            None
        }
    }

    impl<T> NoValues for Probe<T> {}
}

/// What the generator reads of one entity: SeaORM's own description of its table (the
/// `CREATE TABLE` statement that `Schema::create_table_from_entity` builds, of SQLite's flavour,
/// which keeps native enums with their values), its indexes and primary key, as plain data,
/// with the rules its model declares. Built by [`describe`], the one generic step per entity,
/// so that everything after it is compiled once.
#[derive(Debug, Clone)]
pub struct EntityDescription {
    /// The entity's Rust type, for messages.
    pub type_name: &'static str,
    pub table_name: String,
    /// `#[sea_orm(schema_name = "…")]`, if set.
    pub schema_name: Option<String>,
    pub table: sea_orm::sea_query::TableCreateStatement,
    pub indexes: Vec<sea_orm::sea_query::IndexCreateStatement>,
    /// Primary-key columns, in key order.
    pub primary_key: Vec<String>,
    pub rules: Vec<FieldRules>,
}

/// SeaORM's description of entity `E`, whose model declares `rules`.
pub fn describe<E: sea_orm::EntityTrait + Default>(rules: Vec<FieldRules>) -> EntityDescription {
    use sea_orm::{IdenStatic, Iterable, PrimaryKeyToColumn};
    let entity = E::default();
    // The SQLite flavour keeps native enums as `ColumnType::Enum` with their variants (the
    // PostgreSQL one turns them into a bare type name); nothing else in these two calls
    // depends on the backend.
    let schema = sea_orm::Schema::new(sea_orm::DbBackend::Sqlite);
    EntityDescription {
        type_name: std::any::type_name::<E>(),
        table_name: entity.table_name().to_owned(),
        schema_name: entity.schema_name().map(str::to_owned),
        table: schema.create_table_from_entity(entity),
        indexes: schema.create_index_from_entity(entity),
        primary_key: E::PrimaryKey::iter()
            .map(|key| key.into_column().as_str().to_owned())
            .collect(),
        rules,
    }
}

/// Is shown entities one at a time, as descriptions; the generator implements it.
pub trait EntityVisitor {
    fn visit(&mut self, entity: EntityDescription);
}

/// Shows each entity module's `Entity`, with its model's rules, to an [`EntityVisitor`], in
/// the order given. Each path names a module that holds a SeaORM entity (`Entity`, `Model`),
/// wherever it lives; a model without `#[derive(DatabaseRules)]` is shown with no rules.
///
/// ```ignore
/// entity_rules::visit_entities!(visitor; app::entities::bakery, app::entities::chef);
/// ```
#[macro_export]
macro_rules! visit_entities {
    ($visitor:expr; $($($segment:ident)::+),* $(,)?) => {{
        let visitor = $visitor;
        $(
            $crate::EntityVisitor::visit(
                &mut *visitor,
                $crate::describe::<$($segment)::+::Entity>($crate::rules_of!($($segment)::+)),
            );
        )*
    }};
}

/// The rules the model of entity module `path` declares: none without
/// `#[derive(DatabaseRules)]`.
#[doc(hidden)]
#[macro_export]
macro_rules! rules_of {
    ($($segment:ident)::+) => {{
        #[allow(unused_imports)]
        use $crate::declared::{Declared as _, Undeclared as _};
        (&&$crate::declared::Rules::<$($segment)::+::Model>::new()).declared_rules()
    }};
}

/// Declares entity modules and a `visit_all` function that shows each module's entity, with
/// its model's rules, to an [`EntityVisitor`], in the order given. Each entity's description
/// is built in a module of its own, so that after an edit the compiler rebuilds only the
/// edited entity's.
///
/// ```ignore
/// entity_rules::entities! { post, comment }
/// ```
#[macro_export]
macro_rules! entities {
    ($($module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Each entity's description, one module per entity.
        #[doc(hidden)]
        pub mod entity_descriptions {
            $(pub mod $module {
                pub fn describe() -> $crate::EntityDescription {
                    $crate::describe::<super::super::$module::Entity>(
                        $crate::rules_of!(super::super::$module),
                    )
                }
            })*
        }

        /// Shows every entity of this crate to `visitor`, in declaration order.
        pub fn visit_all(visitor: &mut dyn $crate::EntityVisitor) {
            $(visitor.visit(entity_descriptions::$module::describe());)*
        }
    };
}

/// Asks a model, at compile time, whether it derives [`DatabaseRules`]: the rules it
/// declares if it does, none if it does not (the same autoref choice as [`probe`]).
#[doc(hidden)]
pub mod declared {
    use std::marker::PhantomData;

    use super::{DeclaredRules, FieldRules};

    pub struct Rules<T>(PhantomData<T>);

    impl<T> Rules<T> {
        #[allow(clippy::new_without_default)]
        pub const fn new() -> Self {
            Rules(PhantomData)
        }
    }

    pub trait Declared {
        fn declared_rules(&self) -> Vec<FieldRules>;
    }

    impl<T: DeclaredRules> Declared for &Rules<T> {
        fn declared_rules(&self) -> Vec<FieldRules> {
            T::declared_rules()
        }
    }

    pub trait Undeclared {
        fn declared_rules(&self) -> Vec<FieldRules> {
            Vec::new()
        }
    }

    impl<T> Undeclared for Rules<T> {}
}
