//! The Posts service: an HTTP JSON API over the `posts` table.
//!
//! `POST /posts`, `GET /posts?page=&per_page=`, `GET /posts/{id}`, `PATCH /posts/{id}`,
//! `DELETE /posts/{id}` and `GET /health` (which reports the schema version).
//!
//! Every write is validated with the entity's own `#[validate(…)]` rules and status enum (the
//! declarations the generator turns into CHECK constraints), and fails with 422 and a message
//! per field; a write the database still refuses answers 409 (a uniqueness conflict) or 422
//! (another rule), read from the database's error code, never 500. Every error answer,
//! including a malformed request, an unknown route and a bad query parameter, has one JSON
//! shape: `{"error": "…", "fields": {"<field>": "…"}}`, `fields` empty when no field is at
//! fault.

pub mod repository;

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use entity::post;
use futures_util::{FutureExt, StreamExt};
use migration::MigratorTrait;
use sea_orm::{ActiveEnum, DbErr, Iterable, RuntimeErr};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::repository::{NewPost, PostChanges, PostRepository};

pub use entity::post::TITLE_MAX_CHARS;

/// The highest `page` of `GET /posts` (with `per_page` at most [`PER_PAGE_MAX`], the deepest
/// post a page reaches is the 10,000,000th).
pub const PAGE_MAX: u64 = 100_000;
/// The most posts one page of `GET /posts` holds.
pub const PER_PAGE_MAX: u64 = 100;
/// `per_page` when the request does not say.
pub const PER_PAGE_DEFAULT: u64 = 20;
/// How many posts of a page are read and sent at a time: a list response in flight holds at
/// most this many posts in memory, whatever `per_page` asks.
pub const LIST_CHUNK: u64 = 20;
/// The largest request body read (a post at its longest, every character escaped, fits).
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// The service's routes over `repository`.
pub fn router(repository: PostRepository) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/posts", get(list_posts).post(create_post))
        .route(
            "/posts/{id}",
            get(get_post).patch(update_post).delete(delete_post),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(answer_panics))
        .with_state(repository)
}

/// A post as the API shows it.
#[derive(Debug, Serialize)]
struct PostBody<'a> {
    id: i32,
    title: &'a str,
    content: &'a str,
    status: String,
    reading_minutes: Option<i32>,
    created_at: String,
    updated_at: String,
}

impl<'a> From<&'a post::Model> for PostBody<'a> {
    fn from(post: &'a post::Model) -> Self {
        PostBody {
            id: post.id,
            title: &post.title,
            content: &post.content,
            status: post.status.to_value(),
            reading_minutes: post.reading_minutes,
            created_at: post.created_at.to_rfc3339(),
            updated_at: post.updated_at.to_rfc3339(),
        }
    }
}

fn post_response(status: StatusCode, post: &post::Model) -> Response {
    (status, Json(PostBody::from(post))).into_response()
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

/// The query of `GET /posts`, as given; checked by [`paging`].
#[derive(Debug, Deserialize)]
struct RawPaging {
    page: Option<String>,
    per_page: Option<String>,
}

type FieldErrors = BTreeMap<String, String>;

/// An error answer: a status and a JSON body `{"error": "…", "fields": {…}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    fields: FieldErrors,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            fields: FieldErrors::new(),
        }
    }

    fn field(status: StatusCode, message: &str, field: &str, problem: impl Into<String>) -> Self {
        let mut error = ApiError::new(status, message);
        error.fields.insert(field.to_owned(), problem.into());
        error
    }

    fn fields(errors: FieldErrors) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "validation failed".to_owned(),
            fields: errors,
        }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": self.message, "fields": self.fields }));
        let mut response = (self.status, body).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// What a database error means for the client, read from its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFailure {
    /// A uniqueness violation: 409.
    Conflict,
    /// Another integrity rule, or a value the column cannot hold: 422.
    Refused,
    /// A transient condition (a lock not granted in time, a deadlock, a serialization
    /// failure, no connection available): 503, to be retried.
    Busy,
    /// Anything else: 500.
    Internal,
}

/// Classifies `error` by the database's own code: the SQLSTATE on PostgreSQL, the error
/// number on MySQL/MariaDB (whose SQLSTATE `23000` covers every integrity rule alike), the
/// extended result code on SQLite. Never by message text.
pub fn classify(error: &DbErr) -> DbFailure {
    use sea_orm::sqlx::Error;
    let sqlx = match error {
        DbErr::ConnectionAcquire(_) => return DbFailure::Busy,
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => e,
        _ => return DbFailure::Internal,
    };
    let database = match sqlx.as_ref() {
        Error::Database(database) => database,
        Error::PoolTimedOut | Error::PoolClosed | Error::Io(_) => return DbFailure::Busy,
        _ => return DbFailure::Internal,
    };
    if let Some(mysql) = database.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
        return match mysql.number() {
            // ER_DUP_ENTRY, ER_DUP_ENTRY_WITH_KEY_NAME, ER_DUP_KEY
            1062 | 1586 | 1022 => DbFailure::Conflict,
            // ER_BAD_NULL_ERROR, ER_NO_DEFAULT_FOR_FIELD, ER_ROW_IS_REFERENCED(_2),
            // ER_NO_REFERENCED_ROW(_2), ER_DATA_TOO_LONG, ER_TRUNCATED_WRONG_VALUE(_FOR_FIELD),
            // ER_WARN_DATA_OUT_OF_RANGE, ER_CHECK_CONSTRAINT_VIOLATED (MySQL),
            // ER_CONSTRAINT_FAILED (MariaDB)
            1048 | 1364 | 1216 | 1217 | 1451 | 1452 | 1406 | 1292 | 1366 | 1264 | 3819 | 4025 => {
                DbFailure::Refused
            }
            // ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK, ER_TOO_MANY_USER_CONNECTIONS,
            // ER_CON_COUNT_ERROR
            1205 | 1213 | 1203 | 1040 => DbFailure::Busy,
            _ => DbFailure::Internal,
        };
    }
    let Some(code) = database.code() else {
        return DbFailure::Internal;
    };
    if database
        .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
        .is_some()
    {
        let Ok(code) = code.parse::<i32>() else {
            return DbFailure::Internal;
        };
        return match (code & 0xff, code) {
            // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
            (_, 2067 | 1555) => DbFailure::Conflict,
            // SQLITE_CONSTRAINT (CHECK, NOTNULL, FOREIGNKEY, …), SQLITE_TOOBIG, SQLITE_MISMATCH
            (18..=20, _) => DbFailure::Refused,
            // SQLITE_BUSY, SQLITE_LOCKED
            (5 | 6, _) => DbFailure::Busy,
            _ => DbFailure::Internal,
        };
    }
    // PostgreSQL: SQLSTATE classes.
    match (&code[..2.min(code.len())], code.as_ref()) {
        (_, "23505") => DbFailure::Conflict,
        // integrity_constraint_violation, data_exception (a value the type cannot hold)
        ("23" | "22", _) => DbFailure::Refused,
        // serialization_failure, deadlock_detected, lock_not_available, insufficient_resources,
        // too_many_connections, cannot_connect_now
        (_, "40001" | "40P01" | "55P03" | "53300" | "57P03") | ("53", _) => DbFailure::Busy,
        _ => DbFailure::Internal,
    }
}

/// Errors from the database: a refused write is the client's to fix, a busy database is to be
/// retried, anything else is ours (and logged).
impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        match classify(&error) {
            DbFailure::Conflict => {
                ApiError::new(StatusCode::CONFLICT, format!("conflict: {error}"))
            }
            DbFailure::Refused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("refused by the database: {error}"),
            ),
            DbFailure::Busy => {
                eprintln!("database busy: {error}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is busy; try again",
                )
            }
            DbFailure::Internal => {
                eprintln!("error: {error}");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

/// A handler that panicked answers 500 like any other internal error, instead of dropping the
/// connection.
async fn answer_panics(request: Request, next: Next) -> Response {
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(_) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no route for {method} {}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// `Json`, but a body that is not JSON answers 400, JSON of the wrong shape 422, one without
/// `Content-Type: application/json` 415, one over [`BODY_LIMIT_BYTES`] 413: in the error shape.
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
            Err(error) => Err(ApiError::new(error.status(), error.body_text())),
        }
    }
}

/// `Query`, but a query that cannot be read answers 400 in the error shape.
struct QueryParams<T>(T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(QueryParams(value)),
            Err(error) => Err(ApiError::new(StatusCode::BAD_REQUEST, error.body_text())),
        }
    }
}

/// The `{id}` of `/posts/{id}`: a whole number, or 400; one no post can have (beyond 32 bits)
/// is simply not found.
struct PostId(i32);

impl<S: Send + Sync> FromRequestParts<S> for PostId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let text = match axum::extract::Path::<String>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(text)) => text,
            Err(error) => return Err(ApiError::new(StatusCode::BAD_REQUEST, error.body_text())),
        };
        let digits = text.strip_prefix('-').unwrap_or(&text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                "invalid post id",
                "id",
                "must be a whole number",
            ));
        }
        text.parse::<i32>()
            .map(PostId)
            .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, format!("no post {text}")))
    }
}

/// `page` and `per_page` from the query: whole numbers, `page` from 1 to [`PAGE_MAX`] (1 if
/// not given), `per_page` from 1 to [`PER_PAGE_MAX`] ([`PER_PAGE_DEFAULT`] if not given).
fn paging(raw: RawPaging) -> Result<(u64, u64), ApiError> {
    let mut errors = FieldErrors::new();
    let mut read = |name: &str, given: Option<String>, default: u64, max: u64| {
        let Some(text) = given else {
            return default;
        };
        match text.parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) && text.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => {
                errors.insert(
                    name.to_owned(),
                    format!("must be a whole number from 1 to {max}"),
                );
                default
            }
        }
    };
    let page = read("page", raw.page, 1, PAGE_MAX);
    let per_page = read("per_page", raw.per_page, PER_PAGE_DEFAULT, PER_PAGE_MAX);
    if !errors.is_empty() {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            message: "invalid query parameters".to_owned(),
            fields: errors,
        });
    }
    Ok((page, per_page))
}

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

/// Checks `post` against the entity's `#[validate(…)]` rules, adding one message per field
/// that `checked` accepts.
fn validate(post: &post::Model, checked: impl Fn(&str) -> bool, errors: &mut FieldErrors) {
    use validator::{Validate, ValidationErrorsKind};
    let Err(found) = post.validate() else {
        return;
    };
    for (field, kind) in found.errors() {
        if let ValidationErrorsKind::Field(list) = kind
            && checked(field)
            && let Some(error) = list.first()
        {
            errors
                .entry(field.to_string())
                .or_insert_with(|| message(error));
        }
    }
}

/// A validator error in words: its own message if the rule has one, else from its rule and
/// parameters.
fn message(error: &validator::ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
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
) -> Result<Response, ApiError> {
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
        title: new.title,
        content: new.content,
        status: status.unwrap_or(post::Status::Draft),
        reading_minutes: new.reading_minutes,
        created_at: now,
        updated_at: now,
    };
    validate(&candidate, |_| true, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let new = NewPost {
        title: candidate.title,
        content: candidate.content,
        status,
        reading_minutes: candidate.reading_minutes,
    };
    let post = repository.create(new).await?;
    Ok(post_response(StatusCode::CREATED, &post))
}

/// `GET /posts`: `{"page", "per_page", "total", "items"}`, the items by id. The page is read
/// and sent [`LIST_CHUNK`] posts at a time (the first chunk before the status is decided), so
/// a response holds a bounded number of posts in memory however large they are, and a slow
/// client holds no database connection.
async fn list_posts(
    State(repository): State<PostRepository>,
    QueryParams(raw): QueryParams<RawPaging>,
) -> Result<Response, ApiError> {
    let (page, per_page) = paging(raw)?;
    // Within the bounds above this cannot overflow; checked all the same.
    let offset = (page - 1).checked_mul(per_page).ok_or_else(|| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid query parameters",
            "page",
            "is too large",
        )
    })?;
    let total = repository.count().await?;
    let first = repository
        .list_from(offset, per_page.min(LIST_CHUNK))
        .await?;
    let head = format!(r#"{{"page":{page},"per_page":{per_page},"total":{total},"items":["#);
    let state = PageStream {
        repository,
        remaining: per_page,
        asked: per_page.min(LIST_CHUNK),
        last_id: None,
        written: 0,
        done: false,
    };
    let (first_bytes, state) = state.take(first, head.into_bytes());
    let rest = futures_util::stream::unfold(state, |state| async move {
        if state.done {
            return None;
        }
        let last_id = state.last_id?;
        let asked = state.remaining.min(LIST_CHUNK);
        match state.repository.list_after(last_id, asked).await {
            Ok(chunk) => {
                let state = PageStream { asked, ..state };
                let (bytes, state) = state.take(chunk, Vec::new());
                Some((Ok::<_, std::io::Error>(Bytes::from(bytes)), state))
            }
            Err(error) => {
                // The status is sent: the connection is closed mid-body, so the client sees an
                // incomplete response rather than a page that looks whole.
                eprintln!("error: reading a page of posts: {error}");
                let state = PageStream {
                    done: true,
                    ..state
                };
                Some((Err(std::io::Error::other(error.to_string())), state))
            }
        }
    });
    let body = futures_util::stream::once(async move { Ok(Bytes::from(first_bytes)) }).chain(rest);
    let mut response = Response::new(Body::from_stream(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// Where a page being sent is.
struct PageStream {
    repository: PostRepository,
    /// Posts still to send.
    remaining: u64,
    /// How many posts the last chunk asked for.
    asked: u64,
    last_id: Option<i32>,
    /// Posts sent so far.
    written: u64,
    done: bool,
}

impl PageStream {
    /// `chunk` appended to `out` as JSON items, and the end of the body if it is the last.
    fn take(mut self, chunk: Vec<post::Model>, mut out: Vec<u8>) -> (Vec<u8>, PageStream) {
        let got = chunk.len() as u64;
        for post in &chunk {
            if self.written > 0 {
                out.push(b',');
            }
            serde_json::to_writer(&mut out, &PostBody::from(post))
                .expect("a post serializes to JSON");
            self.written += 1;
            self.last_id = Some(post.id);
        }
        self.remaining -= got.min(self.remaining);
        if got < self.asked || self.remaining == 0 {
            out.extend_from_slice(b"]}");
            self.done = true;
        }
        (out, self)
    }
}

fn not_found(id: i32) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no post {id}"))
}

async fn get_post(
    State(repository): State<PostRepository>,
    PostId(id): PostId,
) -> Result<Response, ApiError> {
    let post = repository.find(id).await?.ok_or_else(|| not_found(id))?;
    Ok(post_response(StatusCode::OK, &post))
}

/// `PATCH /posts/{id}`: the fields given are checked against their rules, then written in one
/// statement that also says whether the post exists; a post deleted meanwhile is 404.
async fn update_post(
    State(repository): State<PostRepository>,
    PostId(id): PostId,
    JsonBody(body): JsonBody<PostFields>,
) -> Result<Response, ApiError> {
    let mut errors = FieldErrors::new();
    let status = match &body.status {
        Some(text) => parse_status(text, &mut errors),
        None => None,
    };
    // Each rule concerns one field, so the fields given are checked on their own: the others
    // are stored, and were checked when they were written.
    let given = |field: &str| match field {
        "title" => body.title.is_some(),
        "content" => body.content.is_some(),
        "status" => body.status.is_some(),
        "reading_minutes" => body.reading_minutes.is_some(),
        _ => false,
    };
    let now = chrono::Utc::now().fixed_offset();
    let candidate = post::Model {
        id,
        title: body.title.clone().unwrap_or_default(),
        content: body.content.clone().unwrap_or_default(),
        status: status.unwrap_or(post::Status::Draft),
        reading_minutes: body.reading_minutes,
        created_at: now,
        updated_at: now,
    };
    validate(&candidate, given, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let changes = PostChanges {
        title: body.title.is_some().then_some(candidate.title),
        content: body.content.is_some().then_some(candidate.content),
        status,
        reading_minutes: body.reading_minutes,
    };
    let post = repository
        .update(id, changes)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(post_response(StatusCode::OK, &post))
}

async fn delete_post(
    State(repository): State<PostRepository>,
    PostId(id): PostId,
) -> Result<StatusCode, ApiError> {
    if repository.delete(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(id))
    }
}
