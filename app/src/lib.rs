//! The Posts service: an HTTP JSON API over the `posts` table.
//!
//! `POST /posts`, `GET /posts?page=&per_page=`, `GET /posts/{id}`, `PATCH /posts/{id}`,
//! `DELETE /posts/{id}` and `GET /health` (which reports the schema version).
//!
//! Every write is validated with the entity's own `#[validate(…)]` rules and status enum (the
//! declarations the generator turns into CHECK constraints), and fails with 422 and a message
//! per field; a write the database still refuses answers 409 (a uniqueness conflict) or 422
//! (another rule), never 500; malformed JSON answers 400.

pub mod repository;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use entity::post;
use migration::MigratorTrait;
use sea_orm::{ActiveEnum, DbErr, Iterable, SqlErr};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

use crate::repository::{NewPost, PostChanges, PostRepository};

pub use entity::post::TITLE_MAX_CHARS;

/// The service's routes over `repository`.
pub fn router(repository: PostRepository) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/posts", get(list_posts).post(create_post))
        .route(
            "/posts/{id}",
            get(get_post).patch(update_post).delete(delete_post),
        )
        .with_state(repository)
}

/// A post as the API shows it.
#[derive(Debug, Serialize)]
struct PostBody {
    id: i32,
    title: String,
    content: String,
    status: String,
    reading_minutes: Option<i32>,
    created_at: String,
    updated_at: String,
}

impl From<post::Model> for PostBody {
    fn from(post: post::Model) -> Self {
        PostBody {
            id: post.id,
            title: post.title,
            content: post.content,
            status: post.status.to_value(),
            reading_minutes: post.reading_minutes,
            created_at: post.created_at.to_rfc3339(),
            updated_at: post.updated_at.to_rfc3339(),
        }
    }
}

/// The body of `POST /posts` and `PATCH /posts/{id}`: every field optional here, so that a
/// missing one is reported with the others.
#[derive(Debug, Deserialize)]
struct PostFields {
    title: Option<String>,
    content: Option<String>,
    status: Option<String>,
    reading_minutes: Option<i32>,
}

#[derive(Debug, Deserialize)]
struct Paging {
    page: Option<u64>,
    per_page: Option<u64>,
}

/// An error answer: a status and a JSON body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({ "error": message.into() }),
        }
    }

    fn fields(errors: BTreeMap<String, String>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({ "error": "validation failed", "fields": errors }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// Errors from the database: a refused write is the client's to fix, anything else is ours.
impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(message)) => {
                ApiError::new(StatusCode::CONFLICT, format!("conflict: {message}"))
            }
            Some(SqlErr::ForeignKeyConstraintViolation(message)) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("refused by the database: {message}"),
            ),
            _ if is_constraint_violation(&error) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("refused by the database: {error}"),
            ),
            _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
        }
    }
}

/// NOT NULL and CHECK violations, which SeaORM does not classify: SQLSTATE class 23 on
/// PostgreSQL and MySQL, `constraint failed` on SQLite.
fn is_constraint_violation(error: &DbErr) -> bool {
    let text = error.to_string();
    text.contains("constraint failed")
        || text.contains("violates not-null constraint")
        || text.contains("violates check constraint")
        || text.contains("cannot be null")
        || text.contains("CONSTRAINT")
}

/// `Json`, but a body that is not JSON answers 400, and JSON of the wrong shape 422.
struct JsonBody<T>(T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(JsonRejection::JsonDataError(error)) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                error.body_text(),
            )),
            Err(error) => Err(ApiError::new(StatusCode::BAD_REQUEST, error.body_text())),
        }
    }
}

type FieldErrors = BTreeMap<String, String>;

/// The status named `text`, or an error listing the allowed ones (the entity's enum values).
fn parse_status(text: &str, errors: &mut FieldErrors) -> Option<post::Status> {
    let status = post::Status::try_from_value(&text.to_owned()).ok();
    if status.is_none() {
        let allowed: Vec<String> = post::Status::iter().map(|s| s.to_value()).collect();
        errors.insert(
            "status".to_owned(),
            format!("must be one of {}", allowed.join(", ")),
        );
    }
    status
}

/// Checks `post` against the entity's `#[validate(…)]` rules, adding one message per field.
fn validate(post: &post::Model, errors: &mut FieldErrors) {
    use validator::{Validate, ValidationErrorsKind};
    let Err(found) = post.validate() else {
        return;
    };
    for (field, kind) in found.errors() {
        if let ValidationErrorsKind::Field(list) = kind
            && let Some(error) = list.first()
        {
            errors
                .entry(field.to_string())
                .or_insert_with(|| message(error));
        }
    }
}

/// A validator error in words, from its rule and parameters.
fn message(error: &validator::ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(ToString::to_string);
    match (error.code.as_ref(), param("min"), param("max")) {
        ("length", Some(min), Some(max)) => format!("must be {min} to {max} characters"),
        ("length", Some(min), None) if min == "1" => "must not be empty".to_owned(),
        ("length", Some(min), None) => format!("must be at least {min} characters"),
        ("length", None, Some(max)) => format!("must be at most {max} characters"),
        ("range", Some(min), Some(max)) => format!("must be between {min} and {max}"),
        ("range", Some(min), None) => format!("must be at least {min}"),
        ("range", None, Some(max)) => format!("must be at most {max}"),
        (code, _, _) => format!("is invalid ({code})"),
    }
}

async fn health(State(repository): State<PostRepository>) -> Result<Json<Value>, ApiError> {
    let applied = migration::Migrator::get_applied_migrations(repository.connection()).await?;
    let known = migration::Migrator::migrations().len();
    Ok(Json(json!({
        "status": "ok",
        "schema_version": applied.last().map(|m| m.name().to_owned()),
        "applied_migrations": applied.len(),
        "pending_migrations": known.saturating_sub(applied.len()),
    })))
}

async fn create_post(
    State(repository): State<PostRepository>,
    JsonBody(body): JsonBody<PostFields>,
) -> Result<(StatusCode, Json<PostBody>), ApiError> {
    let mut errors = FieldErrors::new();
    for (field, given) in [
        ("title", body.title.is_some()),
        ("content", body.content.is_some()),
    ] {
        if !given {
            errors.insert(field.to_owned(), "is required".to_owned());
        }
    }
    let status = match &body.status {
        Some(text) => parse_status(text, &mut errors),
        None => None,
    };
    let new = NewPost {
        title: body.title.unwrap_or_default(),
        content: body.content.unwrap_or_default(),
        status,
        reading_minutes: body.reading_minutes,
    };
    // The row as it would be stored (the default status if none is given), checked in full.
    let now = chrono::Utc::now().fixed_offset();
    let candidate = post::Model {
        id: 0,
        title: new.title.clone(),
        content: new.content.clone(),
        status: status.unwrap_or(post::Status::Draft),
        reading_minutes: new.reading_minutes,
        created_at: now,
        updated_at: now,
    };
    validate(&candidate, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let post = repository.create(new).await?;
    Ok((StatusCode::CREATED, Json(post.into())))
}

async fn list_posts(
    State(repository): State<PostRepository>,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    let page = paging.page.unwrap_or(1);
    let per_page = paging.per_page.unwrap_or(20);
    if page == 0 || !(1..=100).contains(&per_page) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "page starts at 1; per_page is 1 to 100",
        ));
    }
    let result = repository.list(page, per_page).await?;
    let items: Vec<PostBody> = result.items.into_iter().map(PostBody::from).collect();
    Ok(Json(json!({
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": result.total,
    })))
}

fn not_found(id: i32) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no post {id}"))
}

async fn get_post(
    State(repository): State<PostRepository>,
    Path(id): Path<i32>,
) -> Result<Json<PostBody>, ApiError> {
    let post = repository.find(id).await?.ok_or_else(|| not_found(id))?;
    Ok(Json(post.into()))
}

async fn update_post(
    State(repository): State<PostRepository>,
    Path(id): Path<i32>,
    JsonBody(body): JsonBody<PostFields>,
) -> Result<Json<PostBody>, ApiError> {
    let mut errors = FieldErrors::new();
    let status = match &body.status {
        Some(text) => parse_status(text, &mut errors),
        None => None,
    };
    let changes = PostChanges {
        title: body.title,
        content: body.content,
        status,
        reading_minutes: body.reading_minutes,
    };
    let existing = repository.find(id).await?.ok_or_else(|| not_found(id))?;
    validate(&changes.apply_to(existing), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let post = repository
        .update(id, changes)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(Json(post.into()))
}

async fn delete_post(
    State(repository): State<PostRepository>,
    Path(id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    if repository.delete(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(id))
    }
}
