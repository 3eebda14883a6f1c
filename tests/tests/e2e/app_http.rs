//! The Posts service through real HTTP on each database: every endpoint and every error status.
//! The server runs in this process on a free loopback port, over a database the safe runner
//! migrated, exactly as `cargo run -p app` starts it.

use app::repository::PostRepository;
use migration_ops::runner::{self, RunnerOptions};
use serde_json::{Value, json};
use tests::db::{Backend, TestDb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A minimal HTTP/1.1 client: one request per connection, so the test needs no client crate.
pub struct Client {
    address: std::net::SocketAddr,
}

impl Client {
    pub async fn send(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let mut stream = tokio::net::TcpStream::connect(self.address).await.unwrap();
        let body = body.unwrap_or("");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        let status = response[9..12].parse().unwrap();
        let payload = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let json = serde_json::from_str(payload).unwrap_or(Value::Null);
        (status, json)
    }
}

/// Migrates `db` with the safe runner and serves the app over it.
pub async fn serve(db: &TestDb) -> Client {
    runner::up::<migration::Migrator>(&db.url, &RunnerOptions::default())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = app::router(PostRepository::new(db.connection.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Client { address }
}

async fn every_endpoint_answers_as_documented(backend: Backend) {
    let Some(db) = TestDb::fresh(backend, "app_http").await else {
        return;
    };
    let client = serve(&db).await;

    let (status, health) = client.send("GET", "/health", None).await;
    assert_eq!(status, 200);
    assert_eq!(health["schema_version"], "m20261127_180000_create_posts");
    assert_eq!(health["pending_migrations"], 0);

    let (status, created) = client
        .send(
            "POST",
            "/posts",
            Some(r#"{"title": "Hello", "content": "First"}"#),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "draft", "the database default applies");
    let id = created["id"].as_i64().unwrap();

    let boundary = "x".repeat(app::TITLE_MAX_CHARS as usize);
    let body = json!({ "title": boundary, "content": "c", "status": "published" }).to_string();
    assert_eq!(client.send("POST", "/posts", Some(&body)).await.0, 201);

    let (status, invalid) = client
        .send(
            "POST",
            "/posts",
            Some(r#"{"title": "", "status": "secret"}"#),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(invalid["fields"]["title"], "must be 1 to 200 characters");
    assert_eq!(invalid["fields"]["content"], "is required");
    assert!(
        invalid["fields"]["status"]
            .as_str()
            .unwrap()
            .contains("draft")
    );
    let too_long =
        json!({ "title": "x".repeat(app::TITLE_MAX_CHARS as usize + 1), "content": "c" });
    let (status, invalid) = client
        .send("POST", "/posts", Some(&too_long.to_string()))
        .await;
    assert_eq!(status, 422);
    assert!(
        invalid["fields"]["title"]
            .as_str()
            .unwrap()
            .contains("1 to 200 characters")
    );

    assert_eq!(
        client.send("POST", "/posts", Some(r#"{"title": "#)).await.0,
        400
    );
    assert_eq!(
        client
            .send("POST", "/posts", Some(r#"{"title": 5}"#))
            .await
            .0,
        422
    );

    let (status, page) = client.send("GET", "/posts?page=1&per_page=1", None).await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(client.send("GET", "/posts?per_page=0", None).await.0, 400);

    let (status, fetched) = client.send("GET", &format!("/posts/{id}"), None).await;
    assert_eq!((status, fetched["title"].clone()), (200, json!("Hello")));
    assert_eq!(client.send("GET", "/posts/999999", None).await.0, 404);

    let (status, updated) = client
        .send(
            "PATCH",
            &format!("/posts/{id}"),
            Some(r#"{"status": "archived"}"#),
        )
        .await;
    assert_eq!(
        (status, updated["status"].clone()),
        (200, json!("archived"))
    );
    assert_eq!(updated["title"], "Hello", "fields not given stay");
    assert_eq!(
        client
            .send("PATCH", &format!("/posts/{id}"), Some(r#"{"title": ""}"#))
            .await
            .0,
        422
    );
    assert_eq!(
        client.send("PATCH", "/posts/999999", Some("{}")).await.0,
        404
    );

    assert_eq!(
        client.send("DELETE", &format!("/posts/{id}"), None).await.0,
        204
    );
    assert_eq!(
        client.send("DELETE", &format!("/posts/{id}"), None).await.0,
        404
    );
    db.drop_database().await;
}

/// What the database itself refuses (here a duplicate key and a NULL title, written past the
/// service's own checks) answers 409 or 422, never 500.
async fn a_write_the_database_refuses_is_a_client_error(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let Some(db) = TestDb::fresh(backend, "app_refused").await else {
        return;
    };
    runner::up::<migration::Migrator>(&db.url, &RunnerOptions::default())
        .await
        .unwrap();
    let now = match backend {
        Backend::Sqlite => "'2026-01-01 00:00:00+00:00'",
        _ => "CURRENT_TIMESTAMP",
    };
    let insert = |id: &str, title: &str| {
        format!(
            "INSERT INTO posts (id, title, content, created_at, updated_at) VALUES ({id}, {title}, 'c', {now}, {now})"
        )
    };
    db.connection
        .execute_unprepared(&insert("1", "'t'"))
        .await
        .unwrap();
    let duplicate = db
        .connection
        .execute_unprepared(&insert("1", "'t'"))
        .await
        .unwrap_err();
    let null_title = db
        .connection
        .execute_unprepared(&insert("2", "NULL"))
        .await
        .unwrap_err();
    use axum::response::IntoResponse;
    assert_eq!(app::ApiError::from(duplicate).into_response().status(), 409);
    assert_eq!(
        app::ApiError::from(null_title).into_response().status(),
        422
    );
    db.drop_database().await;
}

on_each_backend!(
    every_endpoint_answers_as_documented,
    a_write_the_database_refuses_is_a_client_error,
);
