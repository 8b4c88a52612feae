//! Writing sessions of exercises.
//!
//! A session cannot be deleted while participant views are filed under it: the database would
//! silently unlink them, losing where they were voiced. For the same reason it cannot move to
//! another exercise while they are.

use super::exercises::Exercises;
use super::source_documents::SourceDocuments;
use super::{
    check_date, check_opt_text, check_ref, check_slug, check_text, Curated, Dependent, Problem,
};
use crate::errors::{db, ApiResult};
use entity::enums::SessionFormat;
use entity::{participant_view, session};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

fields! {
    /// A session's writable state.
    SessionFields: session {
        slug: String,
        exercise_id: i32,
        title: String,
        sequence: Option<i32>,
        date: Option<String>,
        place: Option<String>,
        format: Option<SessionFormat>,
        source_document_id: i32,
        locator: String,
    }
}

pub struct Sessions;

impl Curated for Sessions {
    type Model = session::Model;
    type Fields = SessionFields;

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
        check_ref::<Exercises, C>(conn, &mut p, "exerciseId", f.exercise_id).await?;
        check_ref::<SourceDocuments, C>(conn, &mut p, "sourceId", f.source_document_id).await?;
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

    fn dependents() -> Vec<Dependent> {
        vec![Dependent::on(
            participant_view::Column::SessionId,
            "participant view(s)",
        )]
    }
}
