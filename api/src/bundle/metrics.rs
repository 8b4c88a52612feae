//! Metrics in a bundle.

use super::{external_of, next_chunk, required_ref, slug, Codec};
use crate::curation::metrics::{MetricFields, Metrics};
use crate::curation::{exercises::Exercises, slugs_of, source_documents::SourceDocuments};
use crate::curation::{External, Problem};
use crate::errors::ApiResult;
use entity::metric;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

/// A metric row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricRow {
    pub slug: String,
    pub exercise: String,
    pub label: String,
    pub value: f64,
    pub unit: String,
    #[serde(default)]
    pub base: Option<i32>,
    pub source: String,
    pub locator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl Codec for Metrics {
    const TYPE: &'static str = "metric";
    type Row = MetricRow;

    fn row_slug(row: &MetricRow) -> &str {
        &row.slug
    }

    fn external(row: &MetricRow) -> Option<External> {
        external_of(&row.external_source, &row.external_id)
    }

    async fn resolve<C: ConnectionTrait>(
        conn: &C,
        row: &MetricRow,
        problems: &mut Vec<Problem>,
    ) -> ApiResult<Option<MetricFields>> {
        let exercise_id =
            required_ref::<Exercises, C>(conn, problems, "exercise", &row.exercise).await?;
        let source_id =
            required_ref::<SourceDocuments, C>(conn, problems, "source", &row.source).await?;
        let (Some(exercise_id), Some(source_document_id)) = (exercise_id, source_id) else {
            return Ok(None);
        };
        Ok(Some(MetricFields {
            slug: row.slug.clone(),
            exercise_id,
            label: row.label.clone(),
            value: row.value,
            unit: row.unit.clone(),
            base: row.base,
            source_document_id,
            locator: row.locator.clone(),
        }))
    }

    async fn export_chunk<C: ConnectionTrait>(
        conn: &C,
        after: i32,
        limit: u64,
    ) -> ApiResult<Vec<(i32, MetricRow)>> {
        let rows = next_chunk::<metric::Entity, C>(conn, metric::Column::Id, after, limit).await?;
        let exercises = slugs_of::<Exercises, C>(conn, rows.iter().map(|r| r.exercise_id)).await?;
        let sources =
            slugs_of::<SourceDocuments, C>(conn, rows.iter().map(|r| r.source_document_id)).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push((
                r.id,
                MetricRow {
                    exercise: slug(&exercises, r.exercise_id)?,
                    source: slug(&sources, r.source_document_id)?,
                    slug: r.slug,
                    label: r.label,
                    value: r.value,
                    unit: r.unit,
                    base: r.base,
                    locator: r.locator,
                    external_source: r.external_source,
                    external_id: r.external_id,
                },
            ));
        }
        Ok(out)
    }
}
