//! The data-access layer, in the shape of the seed tutorial's repository: every query the
//! service makes lives here, so handlers hold no SQL and no SeaORM calls.

use chrono::Utc;
use entity::post;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryOrder,
};

/// What a new post needs; fields left out take the database's defaults.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub title: String,
    pub content: String,
    pub status: Option<post::Status>,
    pub reading_minutes: Option<i32>,
}

/// A partial update: only the fields given change.
#[derive(Debug, Clone, Default)]
pub struct PostChanges {
    pub title: Option<String>,
    pub content: Option<String>,
    pub status: Option<post::Status>,
    pub reading_minutes: Option<i32>,
}

impl PostChanges {
    /// `post` with these changes made.
    pub fn apply_to(&self, mut post: post::Model) -> post::Model {
        if let Some(title) = &self.title {
            post.title = title.clone();
        }
        if let Some(content) = &self.content {
            post.content = content.clone();
        }
        if let Some(status) = self.status {
            post.status = status;
        }
        if let Some(minutes) = self.reading_minutes {
            post.reading_minutes = Some(minutes);
        }
        post
    }
}

/// One page of posts, newest id last.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<post::Model>,
    pub total: u64,
}

/// Posts in the database.
#[derive(Debug, Clone)]
pub struct PostRepository {
    db: DatabaseConnection,
}

impl PostRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        PostRepository { db }
    }

    pub async fn create(&self, new: NewPost) -> Result<post::Model, DbErr> {
        let now = Utc::now().fixed_offset();
        let mut post = post::ActiveModel {
            title: Set(new.title),
            content: Set(new.content),
            reading_minutes: Set(new.reading_minutes),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        // Left unset, `status` takes the database default ('draft').
        if let Some(status) = new.status {
            post.status = Set(status);
        }
        post.insert(&self.db).await
    }

    /// Page `page` (from 1) of `per_page` posts, by id.
    pub async fn list(&self, page: u64, per_page: u64) -> Result<Page, DbErr> {
        let paginator = post::Entity::find()
            .order_by_asc(post::Column::Id)
            .paginate(&self.db, per_page);
        Ok(Page {
            total: paginator.num_items().await?,
            items: paginator.fetch_page(page - 1).await?,
        })
    }

    pub async fn find(&self, id: i32) -> Result<Option<post::Model>, DbErr> {
        post::Entity::find_by_id(id).one(&self.db).await
    }

    /// The updated post, or `None` when there is no post `id`.
    pub async fn update(
        &self,
        id: i32,
        changes: PostChanges,
    ) -> Result<Option<post::Model>, DbErr> {
        let Some(existing) = self.find(id).await? else {
            return Ok(None);
        };
        let mut post: post::ActiveModel = existing.into();
        if let Some(title) = changes.title {
            post.title = Set(title);
        }
        if let Some(content) = changes.content {
            post.content = Set(content);
        }
        if let Some(status) = changes.status {
            post.status = Set(status);
        }
        if let Some(minutes) = changes.reading_minutes {
            post.reading_minutes = Set(Some(minutes));
        }
        post.updated_at = Set(Utc::now().fixed_offset());
        post.update(&self.db).await.map(Some)
    }

    /// Whether a post was deleted.
    pub async fn delete(&self, id: i32) -> Result<bool, DbErr> {
        Ok(post::Entity::delete_by_id(id)
            .exec(&self.db)
            .await?
            .rows_affected
            > 0)
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}
