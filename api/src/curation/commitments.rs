//! Writing commitments ("what happened next"): an organisation's stated response, its status,
//! and its links to the exercises and findings it answers. Commitments are reviewed like
//! findings. Nothing depends on a commitment, so a delete removes its own links and always goes
//! through.

use super::exercises::Exercises;
use super::findings::Findings;
use super::organisations::Organisations;
use super::source_documents::SourceDocuments;
use super::{
    check_date, check_ref, check_refs, check_slug, check_text, check_unique, Curated, Link,
    Problem, Tags,
};
use crate::errors::ApiResult;
use entity::enums::{CommitmentStatus, ReviewStatus};
use entity::{commitment, commitment_exercise, commitment_finding};
use sea_orm::ConnectionTrait;

fields! {
    /// A commitment's writable state.
    CommitmentFields: commitment {
        slug: String,
        title: String,
        statement: String,
        organisation_id: i32,
        stated_on: Option<String>,
        status: CommitmentStatus,
        source_document_id: i32,
        locator: String,
        review_status: ReviewStatus,
    }
    tags {
        exercise_ids: Tags<i32>,
        finding_ids: Tags<i32>,
    }
}

pub struct Commitments;

/// The join table of a row's exercises.
pub const EXERCISES: Link<commitment_exercise::Entity> = Link::new(
    commitment_exercise::Column::CommitmentId,
    commitment_exercise::Column::ExerciseId,
);
/// The join table of a row's findings.
pub const FINDINGS: Link<commitment_finding::Entity> = Link::new(
    commitment_finding::Column::CommitmentId,
    commitment_finding::Column::FindingId,
);

impl Curated for Commitments {
    type Model = commitment::Model;
    type Fields = CommitmentFields;

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
        check_ref::<Organisations, C>(conn, &mut p, "organisationId", f.organisation_id).await?;
        check_refs::<Exercises, C>(conn, &mut p, "exerciseIds", &f.exercise_ids.0).await?;
        check_refs::<Findings, C>(conn, &mut p, "findingIds", &f.finding_ids.0).await?;
        check_ref::<SourceDocuments, C>(conn, &mut p, "sourceId", f.source_document_id).await?;
        Ok(p)
    }

    async fn read_tags<C: ConnectionTrait>(
        conn: &C,
        m: &commitment::Model,
        f: &mut CommitmentFields,
    ) -> ApiResult<()> {
        f.exercise_ids = Tags(EXERCISES.read(conn, m.id, false).await?);
        f.finding_ids = Tags(FINDINGS.read(conn, m.id, false).await?);
        Ok(())
    }

    async fn write_tags<C: ConnectionTrait>(
        conn: &C,
        id: i32,
        f: &CommitmentFields,
    ) -> ApiResult<()> {
        EXERCISES.write(conn, id, &f.exercise_ids.0).await?;
        FINDINGS.write(conn, id, &f.finding_ids.0).await
    }

    async fn clear_tags<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        EXERCISES.clear(conn, id).await?;
        FINDINGS.clear(conn, id).await
    }

    fn visible(f: &CommitmentFields) -> bool {
        f.review_status == ReviewStatus::Published
    }
}
