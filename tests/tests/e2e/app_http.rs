//! The Posts service through real HTTP on each database: every endpoint and every error status.
//! The server runs in this process on a free loopback port, over a database the safe runner
//! migrated, exactly as `cargo run -p app` starts it.

use app::repository::{ConnectionSettings, PostRepository};
use migration::MigratorTrait as _;
use migration_ops::runner::{self, RunnerOptions};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tests::db::{Backend, TestDb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A minimal HTTP/1.1 client: one request per connection, so the test needs no client crate.
pub struct Client {
    address: std::net::SocketAddr,
}

/// An answer as the client read it.
pub struct Answer {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

impl Client {
    pub async fn send(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let answer = self.request(method, path, body).await;
        let json = answer.json();
        (answer.status, json)
    }

    /// Sends one request and reads the whole answer, de-chunking a chunked body. Panics if the
    /// server closes the connection without a complete answer.
    pub async fn request(&self, method: &str, path: &str, body: Option<&str>) -> Answer {
        let mut stream = tokio::net::TcpStream::connect(self.address).await.unwrap();
        let body = body.unwrap_or("");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: the connection failed: {e}"));
        let response = String::from_utf8(response).expect("the answer is UTF-8");
        let (head, payload) = response
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("{method} {path}: no answer (connection dropped)"));
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap()[9..12].parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
        let body = if chunked {
            dechunk(payload)
                .unwrap_or_else(|| panic!("{method} {path}: the chunked body is cut short"))
        } else {
            let length = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map(|(_, v)| v.parse::<usize>().unwrap());
            if let Some(length) = length {
                assert_eq!(
                    payload.len(),
                    length,
                    "{method} {path}: the body is cut short"
                );
            }
            payload.to_owned()
        };
        Answer {
            status,
            headers,
            body,
        }
    }
}

/// The body of a complete chunked transfer, or `None` if it stops before the last chunk.
fn dechunk(mut payload: &str) -> Option<String> {
    let mut body = String::new();
    loop {
        let (size, rest) = payload.split_once("\r\n")?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.push_str(rest.get(..size)?);
        payload = rest.get(size..)?.strip_prefix("\r\n")?;
    }
}

/// Migrates `db` with the safe runner and serves the app over it; on SQLite connected as `cargo
/// run -p app` connects (WAL, one writer, a pool of readers).
pub async fn serve(db: &TestDb) -> Client {
    runner::up::<migration::Migrator>(&db.url, &RunnerOptions::default())
        .await
        .unwrap();
    let repository = match db.backend {
        Backend::Sqlite => PostRepository::connect(&db.url, &ConnectionSettings::default())
            .await
            .unwrap(),
        // The test database's own pool (as `connect` makes one), which `drop_database` closes
        // before it drops the database.
        _ => PostRepository::new(db.connection.clone()),
    };
    serve_repository(repository).await
}

/// Serves the app over `repository` on a free loopback port.
async fn serve_repository(repository: PostRepository) -> Client {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = app::router(repository);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Client { address }
}

/// Drops the test database, and on SQLite the WAL files beside it.
async fn finish(db: TestDb) {
    let sqlite = (db.backend == Backend::Sqlite).then(|| {
        db.url
            .trim_start_matches("sqlite://")
            .trim_end_matches("?mode=rwc")
            .to_owned()
    });
    db.drop_database().await;
    for path in sqlite.iter() {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}

/// Every error answer has the one shape: `{"error": "…", "fields": {…}}`, and says JSON.
fn assert_error_shape(answer: &Answer, what: &str) {
    assert_eq!(
        answer.header("content-type"),
        Some("application/json"),
        "{what}: {}",
        answer.body
    );
    let json = answer.json();
    assert!(
        json["error"].is_string() && json["fields"].is_object(),
        "{what}: not the error shape: {}",
        answer.body
    );
}

async fn every_endpoint_answers_as_documented(backend: Backend) {
    let db = TestDb::fresh(backend, "app_http").await;
    let client = serve(&db).await;

    let (status, health) = client.send("GET", "/health", None).await;
    assert_eq!(status, 200);
    let last = migration::Migrator::migrations()
        .last()
        .unwrap()
        .name()
        .to_owned();
    assert_eq!(health["schema_version"], last);
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
    finish(db).await;
}

/// What the database itself refuses (here a duplicate key and a NULL title, written past the
/// service's own checks) answers 409 or 422, never 500.
async fn a_write_the_database_refuses_is_a_client_error(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let db = TestDb::fresh(backend, "app_refused").await;
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
    finish(db).await;
}

/// Whatever is wrong with a request, the answer is a 4xx in the one JSON shape, and the
/// connection gets it: ids that are not numbers, paging out of bounds (the numbers that once
/// overflowed the offset and dropped the connection among them), unknown routes and methods,
/// bodies that are not JSON.
async fn every_bad_request_answers_a_json_error_and_never_drops_the_connection(backend: Backend) {
    let db = TestDb::fresh(backend, "app_bad_requests").await;
    let client = serve(&db).await;
    for _ in 0..3 {
        let body = json!({ "title": "t", "content": "c" }).to_string();
        assert_eq!(client.send("POST", "/posts", Some(&body)).await.0, 201);
    }
    // (method, path, body, status, the field the error names)
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, u16, Option<&'a str>);
    let cases: &[Case] = &[
        ("GET", "/posts?page=0", None, 400, Some("page")),
        ("GET", "/posts?page=100001", None, 400, Some("page")),
        (
            "GET",
            "/posts?page=9223372036854775807",
            None,
            400,
            Some("page"),
        ),
        (
            "GET",
            "/posts?page=18446744073709551615",
            None,
            400,
            Some("page"),
        ),
        (
            "GET",
            "/posts?page=18446744073709551616",
            None,
            400,
            Some("page"),
        ),
        (
            "GET",
            "/posts?page=184467440737095517&per_page=100",
            None,
            400,
            Some("page"),
        ),
        (
            "GET",
            "/posts?page=9223372036854775809&per_page=2",
            None,
            400,
            Some("page"),
        ),
        ("GET", "/posts?page=-1", None, 400, Some("page")),
        ("GET", "/posts?page=1.5", None, 400, Some("page")),
        ("GET", "/posts?page=", None, 400, Some("page")),
        ("GET", "/posts?page=+2", None, 400, Some("page")),
        ("GET", "/posts?per_page=0", None, 400, Some("per_page")),
        ("GET", "/posts?per_page=-1", None, 400, Some("per_page")),
        ("GET", "/posts?per_page=101", None, 400, Some("per_page")),
        ("GET", "/posts?per_page=abc", None, 400, Some("per_page")),
        ("GET", "/posts?page=1&page=2", None, 400, None),
        ("GET", "/posts/abc", None, 400, Some("id")),
        ("GET", "/posts/1.0", None, 400, Some("id")),
        (
            "GET",
            "/posts/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            None,
            400,
            Some("id"),
        ),
        ("DELETE", "/posts/1e3", None, 400, Some("id")),
        ("PATCH", "/posts/x", Some("{}"), 400, Some("id")),
        ("GET", "/posts/99999999999999999999", None, 404, None),
        ("GET", "/posts/0", None, 404, None),
        ("GET", "/posts/-7", None, 404, None),
        ("GET", "/../../etc/passwd", None, 404, None),
        ("GET", "/posts/1/comments", None, 404, None),
        ("GET", "/nothing", None, 404, None),
        ("PUT", "/posts/1", Some("{}"), 405, None),
        ("DELETE", "/posts", None, 405, None),
        ("POST", "/posts", Some(r#"{"title": "#), 400, None),
        ("POST", "/posts", Some("[1, 2]"), 422, None),
        ("POST", "/posts", Some(r#"{"title": 5}"#), 422, None),
        ("PATCH", "/posts/1", Some("not json"), 400, None),
    ];
    for &(method, path, body, expected, field) in cases {
        let answer = client.request(method, path, body).await;
        let what = format!("{method} {path}");
        assert_eq!(answer.status, expected, "{what}: {}", answer.body);
        assert_error_shape(&answer, &what);
        if let Some(field) = field {
            assert!(
                answer.json()["fields"][field].is_string(),
                "{what}: no message for `{field}`: {}",
                answer.body
            );
        }
    }
    let answer = client.request("PUT", "/posts/1", Some("{}")).await;
    assert_eq!(answer.header("allow"), Some("GET,HEAD,PATCH,DELETE"));

    // The largest page and per_page are served (an empty page past the end).
    let (status, page) = client
        .send(
            "GET",
            &format!(
                "/posts?page={}&per_page={}",
                app::PAGE_MAX,
                app::PER_PAGE_MAX
            ),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"], json!([]));
    assert_eq!(page["total"], 3);

    // A body over the limit is refused before it is read.
    let huge = json!({ "title": "t", "content": "x".repeat(app::BODY_LIMIT_BYTES) }).to_string();
    let answer = client.request("POST", "/posts", Some(&huge)).await;
    assert_eq!(answer.status, 413);
    assert_error_shape(&answer, "a body over the limit");
    finish(db).await;
}

/// Pages are cut at the right posts even though the server reads and sends them a few at a
/// time: every post once, in id order, across page and chunk boundaries.
async fn pages_hold_every_post_once_in_order(backend: Backend) {
    let db = TestDb::fresh(backend, "app_pages").await;
    let client = serve(&db).await;
    let count = 2 * app::LIST_CHUNK as usize + 5;
    let mut ids = Vec::new();
    for n in 0..count {
        let body = json!({ "title": format!("post {n}"), "content": "c" }).to_string();
        let (status, created) = client.send("POST", "/posts", Some(&body)).await;
        assert_eq!(status, 201);
        ids.push(created["id"].as_i64().unwrap());
    }
    for per_page in [1, 7, app::LIST_CHUNK as usize, count - 1, count, 100] {
        let mut seen = Vec::new();
        for page in 1.. {
            let (status, answer) = client
                .send(
                    "GET",
                    &format!("/posts?page={page}&per_page={per_page}"),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{answer}");
            assert_eq!(answer["total"], count);
            assert_eq!(answer["page"], page);
            assert_eq!(answer["per_page"], per_page);
            let items = answer["items"].as_array().unwrap();
            assert!(items.len() <= per_page);
            seen.extend(items.iter().map(|p| p["id"].as_i64().unwrap()));
            if items.len() < per_page {
                break;
            }
        }
        assert_eq!(seen, ids, "per_page={per_page}");
    }
    finish(db).await;
}

/// A title or content that a backend cannot store as given (a NUL character, which PostgreSQL
/// refuses) is refused with 422 by the app on every backend alike, in a POST and a PATCH;
/// every other character is stored and read back exactly.
async fn text_a_backend_cannot_store_is_refused_alike_everywhere(backend: Backend) {
    let db = TestDb::fresh(backend, "app_text").await;
    let client = serve(&db).await;
    for field in ["title", "content"] {
        let mut post = json!({ "title": "t", "content": "c" });
        post[field] = json!("before\u{0}after");
        let (status, answer) = client.send("POST", "/posts", Some(&post.to_string())).await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(
            answer["fields"][field],
            "must not contain the NUL character (U+0000)"
        );
    }
    let (status, created) = client
        .send("POST", "/posts", Some(r#"{"title": "t", "content": "c"}"#))
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_i64().unwrap();
    let (status, answer) = client
        .send(
            "PATCH",
            &format!("/posts/{id}"),
            Some(r#"{"content": "\u0000"}"#),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["fields"]["content"].is_string());
    assert_eq!(
        client.send("GET", &format!("/posts/{id}"), None).await.1["content"],
        "c"
    );

    let every_kind = "é ß 中文 🦀 \u{1} \u{7f} \u{200b} \u{202e} \u{ffff} ' \" \\ \n\t";
    let body = json!({ "title": every_kind, "content": every_kind }).to_string();
    let (status, created) = client.send("POST", "/posts", Some(&body)).await;
    assert_eq!(status, 201, "{created}");
    let (_, fetched) = client
        .send("GET", &format!("/posts/{}", created["id"]), None)
        .await;
    assert_eq!(fetched["title"], every_kind);
    assert_eq!(fetched["content"], every_kind);
    finish(db).await;
}

/// Many clients PATCH, DELETE and GET the same posts at once. Every answer is one the API
/// documents for that request (GET 200/404, PATCH 200/404, DELETE 204/404), never a 5xx or a
/// dropped connection; each post is deleted by exactly one DELETE; a PATCH that answers 200
/// shows its own change; once all is done every post is gone.
async fn racing_patches_deletes_and_reads_of_the_same_posts_answer_only_documented_statuses(
    backend: Backend,
) {
    let db = TestDb::fresh(backend, "app_race").await;
    let client = std::sync::Arc::new(serve(&db).await);
    let mut answers: Vec<(String, i64, u16, Value)> = Vec::new();
    let mut ids = Vec::new();
    for round in 0..4 {
        let mut round_ids = Vec::new();
        for n in 0..12 {
            let body = json!({ "title": format!("r{round} p{n}"), "content": "c" }).to_string();
            let (status, created) = client.send("POST", "/posts", Some(&body)).await;
            assert_eq!(status, 201, "{created}");
            round_ids.push(created["id"].as_i64().unwrap());
        }
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(round_ids.len() * 8));
        let mut tasks = Vec::new();
        for &id in &round_ids {
            for (k, method) in [
                "PATCH", "GET", "DELETE", "PATCH", "GET", "PATCH", "DELETE", "GET",
            ]
            .into_iter()
            .enumerate()
            {
                let client = client.clone();
                let start = start.clone();
                tasks.push(tokio::spawn(async move {
                    let body = (method == "PATCH").then(|| {
                        json!({ "title": format!("patch {k}"), "status": "published" }).to_string()
                    });
                    start.wait().await;
                    let (status, answer) = client
                        .send(method, &format!("/posts/{id}"), body.as_deref())
                        .await;
                    (method.to_owned(), id, status, answer, k)
                }));
            }
        }
        for task in tasks {
            let (method, id, status, answer, k) = task.await.unwrap();
            if method == "PATCH" && status == 200 {
                assert_eq!(answer["title"], format!("patch {k}"), "{answer}");
                assert_eq!(answer["status"], "published");
            }
            answers.push((method, id, status, answer));
        }
        ids.extend(round_ids);
    }
    for (method, id, status, answer) in &answers {
        let documented: &[u16] = match method.as_str() {
            "GET" | "PATCH" => &[200, 404],
            _ => &[204, 404],
        };
        assert!(
            documented.contains(status),
            "{method} /posts/{id} answered {status}: {answer}"
        );
        if *status == 200 {
            assert_eq!(answer["id"], *id);
        } else if *status == 404 {
            assert_eq!(answer["error"], format!("no post {id}"));
        }
    }
    for &id in &ids {
        let deleted = answers
            .iter()
            .filter(|(m, i, s, _)| m == "DELETE" && *i == id && *s == 204)
            .count();
        assert_eq!(deleted, 1, "post {id} was deleted by {deleted} DELETEs");
        assert_eq!(
            client.send("GET", &format!("/posts/{id}"), None).await.0,
            404
        );
    }
    let missed = answers
        .iter()
        .filter(|(m, _, s, _)| m == "PATCH" && *s == 404)
        .count();
    let patched = answers
        .iter()
        .filter(|(m, _, s, _)| m == "PATCH" && *s == 200)
        .count();
    eprintln!("{backend:?}: {patched} PATCHes applied, {missed} found the post deleted");
    finish(db).await;
}

/// The server drops the app's connections while they sit idle (a restart, a proxy's idle
/// timeout): the next requests, a moment later, are answered from new connections, never with
/// an error. The app pings a connection before lending it only once it has been idle for a
/// second (not before every query), so this is what that ping must still catch.
async fn connections_the_server_dropped_are_replaced_before_the_next_request(backend: Backend) {
    let db = TestDb::fresh(backend, "app_dropped").await;
    runner::up::<migration::Migrator>(&db.url, &RunnerOptions::default())
        .await
        .unwrap();
    // The app's own pool, connected as `cargo run -p app` connects.
    let repository = PostRepository::connect(&db.url, &ConnectionSettings::default())
        .await
        .unwrap();
    let pool = repository.connection().clone();
    let client = std::sync::Arc::new(serve_repository(repository).await);
    let (status, created) = client
        .send("POST", "/posts", Some(r#"{"title": "t", "content": "c"}"#))
        .await;
    assert_eq!(status, 201, "{created}");
    let path = format!("/posts/{}", created["id"]);
    // 16 GETs at once: every connection of the pool in use.
    let concurrently = || async {
        let requests: Vec<_> = (0..16)
            .map(|_| {
                let (client, path) = (client.clone(), path.clone());
                tokio::spawn(async move { client.send("GET", &path, None).await })
            })
            .collect();
        for request in requests {
            let (status, answer) = request.await.unwrap();
            assert_eq!(status, 200, "{answer}");
        }
    };
    concurrently().await;

    // Every other session on the database ends, the app's among them.
    let terminated = match backend {
        Backend::Postgres => {
            let rows = db
                .connection
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = current_database() AND pid <> pg_backend_pid()",
                ))
                .await
                .unwrap();
            rows.len()
        }
        _ => {
            let sessions = db
                .connection
                .query_all_raw(Statement::from_string(
                    DbBackend::MySql,
                    "SELECT ID FROM information_schema.PROCESSLIST \
                     WHERE DB = DATABASE() AND ID <> CONNECTION_ID()",
                ))
                .await
                .unwrap();
            for session in &sessions {
                let id: i64 = session.try_get_by_index(0).unwrap();
                // A session that ended meanwhile is no error.
                let _ = db
                    .connection
                    .execute_unprepared(&format!("KILL {id}"))
                    .await;
            }
            sessions.len()
        }
    };
    assert!(terminated > 0, "the app held no connection to drop");

    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    for _ in 0..3 {
        let (status, answer) = client.send("GET", &path, None).await;
        assert_eq!(
            status, 200,
            "a request after the server dropped the pool: {answer}"
        );
    }
    concurrently().await;
    pool.close().await.unwrap();
    finish(db).await;
}

mod connections_the_server_dropped_are_replaced_before_the_next_request {
    use super::*;
    #[tokio::test]
    #[cfg_attr(no_postgres, ignore = "TEST_POSTGRES_URL is not set (see README)")]
    async fn on_postgres() {
        super::connections_the_server_dropped_are_replaced_before_the_next_request(
            Backend::Postgres,
        )
        .await;
    }
    #[tokio::test]
    #[cfg_attr(no_mariadb, ignore = "TEST_MYSQL_URL is not set (see README)")]
    async fn on_mariadb() {
        super::connections_the_server_dropped_are_replaced_before_the_next_request(Backend::MySql)
            .await;
    }
}

on_each_backend!(
    every_endpoint_answers_as_documented,
    a_write_the_database_refuses_is_a_client_error,
    every_bad_request_answers_a_json_error_and_never_drops_the_connection,
    pages_hold_every_post_once_in_order,
    text_a_backend_cannot_store_is_refused_alike_everywhere,
    racing_patches_deletes_and_reads_of_the_same_posts_answer_only_documented_statuses,
);
