//! Commitments in a bundle, with the organisation that made them and the exercises and findings
//! they answer.

use super::{external_of, next_chunk, required_ref, slug, Codec};
use crate::curation::commitments::{CommitmentFields, Commitments};
use crate::curation::{
    exercises::Exercises, findings::Findings, organisations::Organisations, slugs_of,
    source_documents::SourceDocuments,
};
use crate::curation::{External, Problem, Tags};
use crate::errors::{db, ApiResult};
use entity::enums::{CommitmentStatus, ReviewStatus};
use entity::{commitment, commitment_exercise, commitment_finding, exercise, finding};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A commitment row: the seed corpus' fields, plus review status and external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommitmentRow {
    pub slug: String,
    pub title: String,
    pub statement: String,
    pub organisation: String,
    #[serde(default)]
    pub stated_on: Option<String>,
    pub status: CommitmentStatus,
    #[serde(default)]
    pub exercises: Vec<String>,
    #[serde(default)]
    pub findings: Vec<String>,
    pub source: String,
    pub locator: String,
    #[serde(default = "super::published")]
    pub review_status: ReviewStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl Codec for Commitments {
    const TYPE: &'static str = "commitment";
    type Row = CommitmentRow;

    fn row_slug(row: &CommitmentRow) -> &str {
        &row.slug
    }

    fn external(row: &CommitmentRow) -> Option<External> {
        external_of(&row.external_source, &row.external_id)
    }

    async fn resolve<C: ConnectionTrait>(
        conn: &C,
        row: &CommitmentRow,
        problems: &mut Vec<Problem>,
    ) -> ApiResult<Option<CommitmentFields>> {
        let before = problems.len();
        let organisation_id =
            required_ref::<Organisations, C>(conn, problems, "organisation", &row.organisation)
                .await?;
        let mut exercise_ids = Vec::new();
        for (i, e) in row.exercises.iter().enumerate() {
            if let Some(id) =
                required_ref::<Exercises, C>(conn, problems, &format!("exercises[{i}]"), e).await?
            {
                exercise_ids.push(id);
            }
        }
        let mut finding_ids = Vec::new();
        for (i, f) in row.findings.iter().enumerate() {
            if let Some(id) =
                required_ref::<Findings, C>(conn, problems, &format!("findings[{i}]"), f).await?
            {
                finding_ids.push(id);
            }
        }
        let source_id =
            required_ref::<SourceDocuments, C>(conn, problems, "source", &row.source).await?;
        let (Some(organisation_id), Some(source_document_id)) = (organisation_id, source_id) else {
            return Ok(None);
        };
        if problems.len() > before {
            return Ok(None);
        }
        Ok(Some(CommitmentFields {
            slug: row.slug.clone(),
            title: row.title.clone(),
            statement: row.statement.clone(),
            organisation_id,
            stated_on: row.stated_on.clone(),
            status: row.status,
            exercise_ids: Tags(exercise_ids),
            finding_ids: Tags(finding_ids),
            source_document_id,
            locator: row.locator.clone(),
            review_status: row.review_status,
        }))
    }

    async fn export_chunk<C: ConnectionTrait>(
        conn: &C,
        after: i32,
        limit: u64,
    ) -> ApiResult<Vec<(i32, CommitmentRow)>> {
        let rows =
            next_chunk::<commitment::Entity, C>(conn, commitment::Column::Id, after, limit).await?;
        let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
        let sources =
            slugs_of::<SourceDocuments, C>(conn, rows.iter().map(|r| r.source_document_id)).await?;
        let organisations =
            slugs_of::<Organisations, C>(conn, rows.iter().map(|r| r.organisation_id)).await?;
        // Links in the linked rows' id order, so a second export matches the first byte for byte.
        let mut exercises: HashMap<i32, Vec<String>> = HashMap::new();
        for (link, e) in db(commitment_exercise::Entity::find()
            .filter(commitment_exercise::Column::CommitmentId.is_in(ids.clone()))
            .find_also_related(exercise::Entity)
            .order_by_asc(commitment_exercise::Column::ExerciseId)
            .all(conn)
            .await)?
        {
            if let Some(e) = e {
                exercises
                    .entry(link.commitment_id)
                    .or_default()
                    .push(e.slug);
            }
        }
        let mut findings: HashMap<i32, Vec<String>> = HashMap::new();
        for (link, f) in db(commitment_finding::Entity::find()
            .filter(commitment_finding::Column::CommitmentId.is_in(ids))
            .find_also_related(finding::Entity)
            .order_by_asc(commitment_finding::Column::FindingId)
            .all(conn)
            .await)?
        {
            if let Some(f) = f {
                findings.entry(link.commitment_id).or_default().push(f.slug);
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push((
                r.id,
                CommitmentRow {
                    source: slug(&sources, r.source_document_id)?,
                    organisation: slug(&organisations, r.organisation_id)?,
                    exercises: exercises.remove(&r.id).unwrap_or_default(),
                    findings: findings.remove(&r.id).unwrap_or_default(),
                    slug: r.slug,
                    title: r.title,
                    statement: r.statement,
                    stated_on: r.stated_on,
                    status: r.status,
                    locator: r.locator,
                    review_status: r.review_status,
                    external_source: r.external_source,
                    external_id: r.external_id,
                },
            ));
        }
        Ok(out)
    }
}
