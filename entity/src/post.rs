//! A blog post: the seed tutorial's `Post` model, with its validation rules. The app validates
//! with these attributes and the generator makes each one a CHECK constraint, so the database
//! refuses what the model refuses.

use sea_orm::entity::prelude::*;
use validator::Validate;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Validate, crate::DatabaseRules)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Required and non-empty, at most 200 characters, no NUL character (which PostgreSQL cannot
    /// store, so every backend refuses it).
    #[validate(length(min = 1, max = TITLE_MAX_CHARS))]
    #[validate(custom(function = entity_rules::no_nul))]
    pub title: String,
    /// Required and non-empty, at most 20,000 characters, no NUL character.
    #[sea_orm(column_type = "Text")]
    #[validate(length(min = 1, max = CONTENT_MAX_CHARS))]
    #[validate(custom(function = entity_rules::no_nul))]
    pub content: String,
    /// A new post is a draft unless it says otherwise, in the database too.
    #[sea_orm(default_value = "draft")]
    pub status: Status,
    /// The author's estimate, when given: between 1 minute and 10 hours.
    #[validate(range(min = 1, max = 600))]
    pub reading_minutes: Option<i32>,
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: DateTimeWithTimeZone,
}

/// The longest title the model, and so the database, accepts.
pub const TITLE_MAX_CHARS: u64 = 200;

/// The longest content the model, and so the database, accepts: a bound on every post's size,
/// and so on every page of posts the app answers with.
pub const CONTENT_MAX_CHARS: u64 = 20_000;

/// Where a post is in its life; stored as text, limited to these values by a CHECK.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Status {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "published")]
    Published,
    #[sea_orm(string_value = "archived")]
    Archived,
}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    use super::*;
    use entity_rules::{Bound, DeclaredRules, Rule};

    #[test]
    fn the_post_model_declares_its_rules_and_its_status_values() {
        let rules = <Model as DeclaredRules>::declared_rules();
        let field = |name: &str| rules.iter().find(|f| f.field == name).unwrap();
        assert_eq!(
            field("title").rules,
            [
                Rule::Length {
                    min: Some(Bound::Int(1)),
                    max: Some(Bound::Int(200)),
                    equal: None
                },
                Rule::NoNul
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
