//! Writing commitments ("what happened next"): an organisation's stated response, its status,
//! and its links to the exercises and findings it answers. Commitments are reviewed like
//! findings. Nothing depends on a commitment, so a delete removes its own links and always goes
//! through.

use super::{
    check_date, check_ref, check_refs, check_slug, check_text, check_unique, Curated, External,
    Problem, Tags,
};
use crate::errors::{db, ApiResult};
use chrono::Utc;
use entity::enums::{CommitmentStatus, Mission, ReviewStatus};
use entity::{
    commitment, commitment_exercise, commitment_finding, exercise, finding, organisation,
    source_document,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QuerySelect,
    Set,
};
use serde::Serialize;

/// A commitment's writable state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitmentFields {
    pub slug: String,
    pub title: String,
    pub statement: String,
    pub organisation_id: i32,
    pub stated_on: Option<String>,
    pub status: CommitmentStatus,
    pub exercise_ids: Tags<i32>,
    pub finding_ids: Tags<i32>,
    pub source_document_id: i32,
    pub locator: String,
    pub review_status: ReviewStatus,
}

pub struct Commitments;

impl Curated for Commitments {
    type Model = commitment::Model;
    type Fields = CommitmentFields;

    async fn load<C: ConnectionTrait>(
        conn: &C,
        id: i32,
    ) -> ApiResult<Option<(commitment::Model, CommitmentFields)>> {
        let Some(m) = db(commitment::Entity::find_by_id(id).one(conn).await)? else {
            return Ok(None);
        };
        let exercise_ids = db(commitment_exercise::Entity::find()
            .select_only()
            .column(commitment_exercise::Column::ExerciseId)
            .filter(commitment_exercise::Column::CommitmentId.eq(id))
            .into_tuple::<i32>()
            .all(conn)
            .await)?;
        let finding_ids = db(commitment_finding::Entity::find()
            .select_only()
            .column(commitment_finding::Column::FindingId)
            .filter(commitment_finding::Column::CommitmentId.eq(id))
            .into_tuple::<i32>()
            .all(conn)
            .await)?;
        let fields = CommitmentFields {
            slug: m.slug.clone(),
            title: m.title.clone(),
            statement: m.statement.clone(),
            organisation_id: m.organisation_id,
            stated_on: m.stated_on.clone(),
            status: m.status,
            exercise_ids: Tags(exercise_ids),
            finding_ids: Tags(finding_ids),
            source_document_id: m.source_document_id,
            locator: m.locator.clone(),
            review_status: m.review_status,
        };
        Ok(Some((m, fields)))
    }

    async fn validate<C: ConnectionTrait>(
        conn: &C,
        f: &CommitmentFields,
    ) -> ApiResult<Vec<Problem>> {
        let mut p = Vec::new();
        check_slug(&mut p, "slug", &f.slug);
        check_text(&mut p, "title", &f.title, 300);
        check_text(&mut p, "statement", &f.statement, 10_000);
        check_date(&mut p, "statedOn", f.stated_on.as_deref());
        check_unique(&mut p, "exerciseIds", &f.exercise_ids.0);
        check_unique(&mut p, "findingIds", &f.finding_ids.0);
        check_text(&mut p, "locator", &f.locator, 500);
        check_ref::<organisation::Entity, C>(
            conn,
            &mut p,
            "organisationId",
            f.organisation_id,
            "organisation",
        )
        .await?;
        check_refs::<exercise::Entity, C>(
            conn,
            &mut p,
            "exerciseIds",
            &f.exercise_ids.0,
            "exercise",
        )
        .await?;
        check_refs::<finding::Entity, C>(conn, &mut p, "findingIds", &f.finding_ids.0, "finding")
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

    async fn write<C: ConnectionTrait>(
        conn: &C,
        id: Option<i32>,
        f: &CommitmentFields,
        version: i64,
        external: Option<&External>,
    ) -> ApiResult<commitment::Model> {
        let now = Utc::now();
        let mut row = commitment::ActiveModel {
            id: id.map(Set).unwrap_or(NotSet),
            slug: Set(f.slug.clone()),
            title: Set(f.title.clone()),
            statement: Set(f.statement.clone()),
            organisation_id: Set(f.organisation_id),
            stated_on: Set(f.stated_on.clone()),
            status: Set(f.status),
            source_document_id: Set(f.source_document_id),
            locator: Set(f.locator.clone()),
            updated_at: Set(now),
            version: Set(version),
            review_status: Set(f.review_status),
            ..Default::default()
        };
        if let Some(e) = external {
            row.external_source = Set(Some(e.source.clone()));
            row.external_id = Set(Some(e.id.clone()));
        }
        let model = match id {
            None => {
                row.created_at = Set(now);
                db(row.insert(conn).await)?
            }
            Some(id) => {
                clear_links(conn, id).await?;
                db(row.update(conn).await)?
            }
        };
        if !f.exercise_ids.0.is_empty() {
            db(
                commitment_exercise::Entity::insert_many(f.exercise_ids.0.iter().map(|e| {
                    commitment_exercise::ActiveModel {
                        commitment_id: Set(model.id),
                        exercise_id: Set(*e),
                    }
                }))
                .exec_without_returning(conn)
                .await,
            )?;
        }
        if !f.finding_ids.0.is_empty() {
            db(
                commitment_finding::Entity::insert_many(f.finding_ids.0.iter().map(|x| {
                    commitment_finding::ActiveModel {
                        commitment_id: Set(model.id),
                        finding_id: Set(*x),
                    }
                }))
                .exec_without_returning(conn)
                .await,
            )?;
        }
        Ok(model)
    }

    async fn remove<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        clear_links(conn, id).await?;
        db(commitment::Entity::delete_by_id(id).exec(conn).await)?;
        Ok(())
    }

    fn id(m: &commitment::Model) -> i32 {
        m.id
    }
    fn version(m: &commitment::Model) -> i64 {
        m.version
    }
    fn slug(f: &CommitmentFields) -> &str {
        &f.slug
    }
    fn visible(f: &CommitmentFields) -> bool {
        f.review_status == ReviewStatus::Published
    }
    fn missions(_: &CommitmentFields) -> Vec<Mission> {
        Vec::new()
    }
}

async fn clear_links<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
    db(commitment_exercise::Entity::delete_many()
        .filter(commitment_exercise::Column::CommitmentId.eq(id))
        .exec(conn)
        .await)?;
    db(commitment_finding::Entity::delete_many()
        .filter(commitment_finding::Column::CommitmentId.eq(id))
        .exec(conn)
        .await)?;
    Ok(())
}
