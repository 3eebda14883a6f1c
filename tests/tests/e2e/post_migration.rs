//! The shipped `posts` migrations on real databases, run as a deploy runs them (the project's
//! runner): the database itself enforces what the `Post` entity says, and `down` / `up` remove
//! and restore the table.

use entity::post;
use migration::Migrator;
use migration_ops::runner::{self, Command, RunnerOptions};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use sea_orm_migration::SchemaManager;
use tests::db::{Backend, TestDb};

/// The current time in whole seconds: MariaDB's `timestamp` keeps no fraction.
fn now() -> sea_orm::prelude::DateTimeWithTimeZone {
    let now = sea_orm::prelude::ChronoUtc::now().timestamp();
    sea_orm::prelude::ChronoDateTimeUtc::from_timestamp(now, 0)
        .unwrap()
        .fixed_offset()
}

async fn the_database_enforces_the_post_entity(backend: Backend) {
    let db = TestDb::fresh(backend, "posts").await;
    let connection = &db.connection;
    let options = RunnerOptions {
        generated: migration::generated(),
        ..RunnerOptions::default()
    };
    let migrate = |command| runner::run::<Migrator>(&db.url, command, &options);
    migrate(Command::Up(None)).await.unwrap();

    let without_title = post::ActiveModel {
        content: Set("body".to_owned()),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    };
    let rejected = without_title.insert(connection).await;
    assert!(
        rejected.is_err(),
        "a post without a title was accepted: {rejected:?}"
    );

    let without_status = post::ActiveModel {
        title: Set("Hello".to_owned()),
        content: Set("body".to_owned()),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    };
    let inserted = without_status.insert(connection).await.unwrap();
    assert_eq!(inserted.status, post::Status::Draft);
    let read_back = post::Entity::find_by_id(inserted.id)
        .one(connection)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read_back.status, post::Status::Draft);
    assert_eq!(read_back.title, "Hello");

    let manager = SchemaManager::new(connection);
    migrate(Command::Down(None)).await.unwrap();
    assert!(
        !manager.has_table("posts").await.unwrap(),
        "down left the table"
    );
    migrate(Command::Up(None)).await.unwrap();
    assert!(
        manager.has_table("posts").await.unwrap(),
        "up did not restore the table"
    );
    db.drop_database().await;
}

on_each_backend!(the_database_enforces_the_post_entity,);
