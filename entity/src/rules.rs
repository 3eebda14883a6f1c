//! Application-level rules of the app's models that no database constraint expresses, used in
//! their `#[validate(custom(…))]` attributes.

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

#[cfg(test)]
mod tests {
    use crate::post;
    use entity_rules::{Bound, DeclaredRules, Rule};

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
