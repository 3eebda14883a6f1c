//! The Posts service: an HTTP JSON API over the `posts` table.
//!
//! `POST /posts`, `GET /posts?page=&per_page=`, `GET /posts/{id}`, `PATCH /posts/{id}`,
//! `DELETE /posts/{id}` and `GET /health` (which reports the schema version). Validation
//! failures answer 422 with messages per field; a write the database refuses answers 409 (a
//! uniqueness conflict) or 422 (another rule), never 500; malformed JSON answers 400.

pub mod repository;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use entity::post;
use migration::MigratorTrait;
use sea_orm::{DbErr, SqlErr};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

use crate::repository::{NewPost, PostChanges, PostRepository};

/// The statuses a post may have.
pub const STATUSES: [&str; 3] = ["draft", "published", "archived"];
/// The longest title accepted.
pub const TITLE_MAX_CHARS: usize = 200;

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
    created_at: String,
    updated_at: String,
}

impl From<post::Model> for PostBody {
    fn from(post: post::Model) -> Self {
        PostBody {
            id: post.id,
            title: post.title,
            content: post.content,
            status: post.status,
            created_at: post.created_at.to_rfc3339(),
            updated_at: post.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct CreatePost {
    title: Option<String>,
    content: Option<String>,
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct UpdatePost {
    title: Option<String>,
    content: Option<String>,
    status: Option<String>,
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

    fn fields(errors: BTreeMap<&'static str, String>) -> Self {
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

fn check_title(title: &str, errors: &mut BTreeMap<&'static str, String>) {
    if title.trim().is_empty() {
        errors.insert("title", "must not be empty".to_owned());
    } else if title.chars().count() > TITLE_MAX_CHARS {
        errors.insert(
            "title",
            format!("must be at most {TITLE_MAX_CHARS} characters"),
        );
    }
}

fn check_content(content: &str, errors: &mut BTreeMap<&'static str, String>) {
    if content.trim().is_empty() {
        errors.insert("content", "must not be empty".to_owned());
    }
}

fn check_status(status: &str, errors: &mut BTreeMap<&'static str, String>) {
    if !STATUSES.contains(&status) {
        errors.insert("status", format!("must be one of {}", STATUSES.join(", ")));
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
    JsonBody(body): JsonBody<CreatePost>,
) -> Result<(StatusCode, Json<PostBody>), ApiError> {
    let mut errors = BTreeMap::new();
    match &body.title {
        Some(title) => check_title(title, &mut errors),
        None => {
            errors.insert("title", "is required".to_owned());
        }
    }
    match &body.content {
        Some(content) => check_content(content, &mut errors),
        None => {
            errors.insert("content", "is required".to_owned());
        }
    }
    if let Some(status) = &body.status {
        check_status(status, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let post = repository
        .create(NewPost {
            title: body.title.unwrap_or_default(),
            content: body.content.unwrap_or_default(),
            status: body.status,
        })
        .await?;
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
    JsonBody(body): JsonBody<UpdatePost>,
) -> Result<Json<PostBody>, ApiError> {
    let mut errors = BTreeMap::new();
    if let Some(title) = &body.title {
        check_title(title, &mut errors);
    }
    if let Some(content) = &body.content {
        check_content(content, &mut errors);
    }
    if let Some(status) = &body.status {
        check_status(status, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let changes = PostChanges {
        title: body.title,
        content: body.content,
        status: body.status,
    };
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
