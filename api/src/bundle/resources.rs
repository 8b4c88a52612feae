//! Resources in a bundle, with the exercises they report on and the findings they state.

use super::{external_of, next_chunk, required_ref, slug, Codec};
use crate::curation::resources::{ResourceFields, Resources};
use crate::curation::{
    exercises::Exercises, findings::Findings, organisations::Organisations, slugs_of,
    source_documents::SourceDocuments,
};
use crate::curation::{External, Problem, Tags};
use crate::errors::{db, ApiResult};
use entity::enums::ResourceKind;
use entity::{exercise, finding, resource, resource_exercise, resource_finding};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A resource row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRow {
    pub slug: String,
    pub title: String,
    pub kind: ResourceKind,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub publisher: Option<String>,
    #[serde(default)]
    pub published_on: Option<String>,
    #[serde(default)]
    pub exercises: Vec<String>,
    #[serde(default)]
    pub findings: Vec<String>,
    pub source: String,
    pub locator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl Codec for Resources {
    const TYPE: &'static str = "resource";
    type Row = ResourceRow;

    fn row_slug(row: &ResourceRow) -> &str {
        &row.slug
    }

    fn external(row: &ResourceRow) -> Option<External> {
        external_of(&row.external_source, &row.external_id)
    }

    async fn resolve<C: ConnectionTrait>(
        conn: &C,
        row: &ResourceRow,
        problems: &mut Vec<Problem>,
    ) -> ApiResult<Option<ResourceFields>> {
        let before = problems.len();
        let publisher_id = match &row.publisher {
            None => None,
            Some(p) => required_ref::<Organisations, C>(conn, problems, "publisher", p).await?,
        };
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
        let Some(source_document_id) = source_id else {
            return Ok(None);
        };
        if problems.len() > before {
            return Ok(None);
        }
        Ok(Some(ResourceFields {
            slug: row.slug.clone(),
            title: row.title.clone(),
            kind: row.kind,
            url: row.url.clone(),
            publisher_id,
            published_on: row.published_on.clone(),
            exercise_ids: Tags(exercise_ids),
            finding_ids: Tags(finding_ids),
            source_document_id,
            locator: row.locator.clone(),
        }))
    }

    async fn export_chunk<C: ConnectionTrait>(
        conn: &C,
        after: i32,
        limit: u64,
    ) -> ApiResult<Vec<(i32, ResourceRow)>> {
        let rows =
            next_chunk::<resource::Entity, C>(conn, resource::Column::Id, after, limit).await?;
        let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
        let sources =
            slugs_of::<SourceDocuments, C>(conn, rows.iter().map(|r| r.source_document_id)).await?;
        let publishers =
            slugs_of::<Organisations, C>(conn, rows.iter().filter_map(|r| r.publisher_id)).await?;
        // Links in the linked rows' id order: ids keep their order through an export and
        // import, so the bytes of a second export match the first.
        let mut exercises: HashMap<i32, Vec<String>> = HashMap::new();
        for (link, e) in db(resource_exercise::Entity::find()
            .filter(resource_exercise::Column::ResourceId.is_in(ids.clone()))
            .find_also_related(exercise::Entity)
            .order_by_asc(resource_exercise::Column::ExerciseId)
            .all(conn)
            .await)?
        {
            if let Some(e) = e {
                exercises.entry(link.resource_id).or_default().push(e.slug);
            }
        }
        let mut findings: HashMap<i32, Vec<String>> = HashMap::new();
        for (link, f) in db(resource_finding::Entity::find()
            .filter(resource_finding::Column::ResourceId.is_in(ids))
            .find_also_related(finding::Entity)
            .order_by_asc(resource_finding::Column::FindingId)
            .all(conn)
            .await)?
        {
            if let Some(f) = f {
                findings.entry(link.resource_id).or_default().push(f.slug);
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push((
                r.id,
                ResourceRow {
                    source: slug(&sources, r.source_document_id)?,
                    publisher: r.publisher_id.map(|id| slug(&publishers, id)).transpose()?,
                    exercises: exercises.remove(&r.id).unwrap_or_default(),
                    findings: findings.remove(&r.id).unwrap_or_default(),
                    slug: r.slug,
                    title: r.title,
                    kind: r.kind,
                    url: r.url,
                    published_on: r.published_on,
                    locator: r.locator,
                    external_source: r.external_source,
                    external_id: r.external_id,
                },
            ));
        }
        Ok(out)
    }
}
