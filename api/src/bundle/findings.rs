//! Findings in a bundle.

use super::{check_missions, external_of, next_chunk, required_ref, slug, Codec};
use crate::curation::findings::{FindingFields, Findings};
use crate::curation::{
    exercises::Exercises, slugs_of, source_documents::SourceDocuments, themes::Themes,
};
use crate::curation::{External, Problem};
use crate::errors::{db, ApiResult};
use entity::enums::{FindingKind, Mission, ReviewStatus};
use entity::{finding, finding_mission, finding_theme, theme};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A finding row: the seed corpus' fields, plus review status and external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FindingRow {
    pub slug: String,
    pub exercise: String,
    pub title: String,
    pub summary: String,
    pub kind: FindingKind,
    #[serde(default)]
    pub position: i32,
    #[serde(default)]
    pub missions: Vec<Mission>,
    #[serde(default)]
    pub themes: Vec<String>,
    pub source: String,
    pub locator: String,
    #[serde(default = "super::published")]
    pub review_status: ReviewStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl Codec for Findings {
    const TYPE: &'static str = "finding";
    type Row = FindingRow;

    fn row_slug(row: &FindingRow) -> &str {
        &row.slug
    }

    fn external(row: &FindingRow) -> Option<External> {
        external_of(&row.external_source, &row.external_id)
    }

    async fn resolve<C: ConnectionTrait>(
        conn: &C,
        row: &FindingRow,
        problems: &mut Vec<Problem>,
    ) -> ApiResult<Option<FindingFields>> {
        let exercise_id =
            required_ref::<Exercises, C>(conn, problems, "exercise", &row.exercise).await?;
        let source_id =
            required_ref::<SourceDocuments, C>(conn, problems, "source", &row.source).await?;
        let mut theme_ids = Vec::new();
        for (i, t) in row.themes.iter().enumerate() {
            if let Some(id) =
                required_ref::<Themes, C>(conn, problems, &format!("themes[{i}]"), t).await?
            {
                theme_ids.push(id);
            }
        }
        check_missions(conn, problems, &row.missions).await?;
        let (Some(exercise_id), Some(source_document_id)) = (exercise_id, source_id) else {
            return Ok(None);
        };
        if theme_ids.len() != row.themes.len() {
            return Ok(None);
        }
        Ok(Some(
            FindingFields {
                slug: row.slug.clone(),
                exercise_id,
                title: row.title.clone(),
                summary: row.summary.clone(),
                kind: row.kind,
                position: row.position,
                missions: row.missions.clone(),
                theme_ids,
                source_document_id,
                locator: row.locator.clone(),
                review_status: row.review_status,
            }
            .normalised(),
        ))
    }

    async fn export_chunk<C: ConnectionTrait>(
        conn: &C,
        after: i32,
        limit: u64,
    ) -> ApiResult<Vec<(i32, FindingRow)>> {
        let rows =
            next_chunk::<finding::Entity, C>(conn, finding::Column::Id, after, limit).await?;
        let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
        let exercises = slugs_of::<Exercises, C>(conn, rows.iter().map(|r| r.exercise_id)).await?;
        let sources =
            slugs_of::<SourceDocuments, C>(conn, rows.iter().map(|r| r.source_document_id)).await?;
        let mut missions: HashMap<i32, Vec<Mission>> = HashMap::new();
        for t in db(finding_mission::Entity::find()
            .filter(finding_mission::Column::FindingId.is_in(ids.clone()))
            .all(conn)
            .await)?
        {
            missions
                .entry(t.finding_id)
                .or_default()
                .push(t.mission_code);
        }
        let mut themes: HashMap<i32, Vec<String>> = HashMap::new();
        for (t, th) in db(finding_theme::Entity::find()
            .filter(finding_theme::Column::FindingId.is_in(ids))
            .find_also_related(theme::Entity)
            .order_by_asc(finding_theme::Column::ThemeId)
            .all(conn)
            .await)?
        {
            if let Some(th) = th {
                themes.entry(t.finding_id).or_default().push(th.slug);
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut m = missions.remove(&r.id).unwrap_or_default();
            m.sort_by_key(|m| *m as u8);
            out.push((
                r.id,
                FindingRow {
                    exercise: slug(&exercises, r.exercise_id)?,
                    source: slug(&sources, r.source_document_id)?,
                    missions: m,
                    themes: themes.remove(&r.id).unwrap_or_default(),
                    slug: r.slug,
                    title: r.title,
                    summary: r.summary,
                    kind: r.kind,
                    position: r.position,
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
