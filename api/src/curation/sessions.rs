//! Writing sessions of exercises.
//!
//! A session cannot be deleted while participant views are filed under it: the database would
//! silently unlink them, losing where they were voiced. For the same reason it cannot move to
//! another exercise while they are.

use super::{
    check_date, check_opt_text, check_ref, check_slug, check_text, refuse_if_used, Curated,
    Dependent, External, Problem,
};
use crate::errors::{db, ApiResult};
use chrono::Utc;
use entity::enums::{Mission, SessionFormat};
use entity::{exercise, participant_view, session, source_document};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, Set,
};
use serde::Serialize;

/// A session's writable state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionFields {
    pub slug: String,
    pub exercise_id: i32,
    pub title: String,
    pub sequence: Option<i32>,
    pub date: Option<String>,
    pub place: Option<String>,
    pub format: Option<SessionFormat>,
    pub source_document_id: i32,
    pub locator: String,
}

pub struct Sessions;

impl Curated for Sessions {
    type Model = session::Model;
    type Fields = SessionFields;

    async fn load<C: ConnectionTrait>(
        conn: &C,
        id: i32,
    ) -> ApiResult<Option<(session::Model, SessionFields)>> {
        let Some(m) = db(session::Entity::find_by_id(id).one(conn).await)? else {
            return Ok(None);
        };
        let fields = SessionFields {
            slug: m.slug.clone(),
            exercise_id: m.exercise_id,
            title: m.title.clone(),
            sequence: m.sequence,
            date: m.date.clone(),
            place: m.place.clone(),
            format: m.format,
            source_document_id: m.source_document_id,
            locator: m.locator.clone(),
        };
        Ok(Some((m, fields)))
    }

    async fn validate<C: ConnectionTrait>(conn: &C, f: &SessionFields) -> ApiResult<Vec<Problem>> {
        let mut p = Vec::new();
        check_slug(&mut p, "slug", &f.slug);
        check_text(&mut p, "title", &f.title, 300);
        if f.sequence.is_some_and(|n| n < 0) {
            p.push(Problem::new("sequence", "Must not be negative"));
        }
        check_date(&mut p, "date", f.date.as_deref());
        check_opt_text(&mut p, "place", f.place.as_deref(), 200);
        check_text(&mut p, "locator", &f.locator, 500);
        check_ref::<exercise::Entity, C>(conn, &mut p, "exerciseId", f.exercise_id, "exercise")
            .await?;
        check_ref::<source_document::Entity, C>(
            conn,
            &mut p,
            "sourceId",
            f.source_document_id,
            "source document",
        )
        .await?;
        Ok(p)
    }

    /// A view and its session share an exercise, so a session with views filed under it stays
    /// with its exercise until they are moved.
    async fn validate_existing<C: ConnectionTrait>(
        conn: &C,
        id: i32,
        f: &SessionFields,
    ) -> ApiResult<Vec<Problem>> {
        let stranded = db(participant_view::Entity::find()
            .filter(participant_view::Column::SessionId.eq(id))
            .filter(participant_view::Column::ExerciseId.ne(f.exercise_id))
            .count(conn)
            .await)?;
        if stranded > 0 {
            return Ok(vec![Problem::new(
                "exerciseId",
                format!(
                    "{stranded} participant view(s) of the current exercise are filed under this \
                     session: move them first"
                ),
            )]);
        }
        Ok(Vec::new())
    }

    async fn write<C: ConnectionTrait>(
        conn: &C,
        id: Option<i32>,
        f: &SessionFields,
        version: i64,
        external: Option<&External>,
    ) -> ApiResult<session::Model> {
        let now = Utc::now();
        let mut row = session::ActiveModel {
            id: id.map(Set).unwrap_or(NotSet),
            slug: Set(f.slug.clone()),
            exercise_id: Set(f.exercise_id),
            title: Set(f.title.clone()),
            sequence: Set(f.sequence),
            date: Set(f.date.clone()),
            place: Set(f.place.clone()),
            format: Set(f.format),
            source_document_id: Set(f.source_document_id),
            locator: Set(f.locator.clone()),
            updated_at: Set(now),
            version: Set(version),
            ..Default::default()
        };
        if let Some(e) = external {
            row.external_source = Set(Some(e.source.clone()));
            row.external_id = Set(Some(e.id.clone()));
        }
        match id {
            None => {
                row.created_at = Set(now);
                db(row.insert(conn).await)
            }
            Some(_) => db(row.update(conn).await),
        }
    }

    async fn remove<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        refuse_if_used(
            conn,
            "session",
            id,
            &[Dependent::on(
                participant_view::Column::SessionId,
                "participant view(s)",
            )],
        )
        .await?;
        db(session::Entity::delete_by_id(id).exec(conn).await)?;
        Ok(())
    }

    fn id(m: &session::Model) -> i32 {
        m.id
    }
    fn version(m: &session::Model) -> i64 {
        m.version
    }
    fn slug(f: &SessionFields) -> &str {
        &f.slug
    }
    fn visible(_: &SessionFields) -> bool {
        true
    }
    fn missions(_: &SessionFields) -> Vec<Mission> {
        Vec::new()
    }
}
