//! Validation rules as data: what `#[derive(DatabaseRules)]` reads from a model's `validator`
//! attributes and field types, for the generator to turn into CHECK constraints. The app
//! validates with `validator` itself; both read the same attributes, so they cannot drift.

use sea_orm::Value;

/// A model's rules, field by field. Implemented by `#[derive(DatabaseRules)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not expose its validation rules to the migration generator",
    label = "add `entity::DatabaseRules` to this model's derives",
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

/// The rule of text that every supported backend stores exactly as given: no NUL character,
/// which PostgreSQL cannot hold in `text` or `varchar` (SQLite and MySQL can). Rust strings
/// are valid UTF-8, and MySQL tables are `utf8mb4`, so nothing else is refused. A `custom`
/// rule, so enforced by the application only: `#[validate(custom(function =
/// entity::rules::storable_text))]`.
pub fn storable_text(text: &str) -> Result<(), validator::ValidationError> {
    if text.contains('\0') {
        return Err(validator::ValidationError::new("storable_text")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::post;

    #[test]
    fn the_post_model_declares_its_rules_and_its_status_values() {
        let rules = <post::Model as DeclaredRules>::declared_rules();
        let field = |name: &str| rules.iter().find(|f| f.field == name).unwrap();
        assert_eq!(
            field("title").rules,
            [
                Rule::Length {
                    min: Some(Bound::Int(1)),
                    max: Some(Bound::Int(200)),
                    equal: None
                },
                Rule::ApplicationOnly("custom")
            ]
        );
        assert_eq!(field("title").allowed_values, None);
        assert_eq!(
            field("status").allowed_values,
            Some(vec!["draft".into(), "published".into(), "archived".into()])
        );
        assert_eq!(field("status").column, Some("status"));
        assert!(matches!(
            field("reading_minutes").rules[..],
            [Rule::Range {
                min: Some(Bound::Int(1)),
                max: Some(Bound::Int(600)),
                ..
            }]
        ));
    }
}
