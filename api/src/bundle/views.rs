//! Participant views in a bundle.

use super::{check_missions, external_of, next_chunk, required_ref, slug, Codec};
use crate::curation::views::{ViewFields, Views};
use crate::curation::{
    exercises::Exercises, findings::Findings, sessions::Sessions, slugs_of,
    source_documents::SourceDocuments, themes::Themes,
};
use crate::curation::{External, Problem};
use crate::errors::{db, ApiResult};
use entity::enums::{Mission, ReviewStatus, Stance};
use entity::{participant_view, theme, view_mission, view_theme};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A participant view row: the seed corpus' fields, plus review status and external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ViewRow {
    pub slug: String,
    pub exercise: String,
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub finding: Option<String>,
    pub text: String,
    #[serde(default)]
    pub verbatim: bool,
    pub stance: Stance,
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

impl Codec for Views {
    const TYPE: &'static str = "view";
    type Row = ViewRow;

    fn row_slug(row: &ViewRow) -> &str {
        &row.slug
    }

    fn external(row: &ViewRow) -> Option<External> {
        external_of(&row.external_source, &row.external_id)
    }

    async fn resolve<C: ConnectionTrait>(
        conn: &C,
        row: &ViewRow,
        problems: &mut Vec<Problem>,
    ) -> ApiResult<Option<ViewFields>> {
        let before = problems.len();
        let exercise_id =
            required_ref::<Exercises, C>(conn, problems, "exercise", &row.exercise).await?;
        let source_id =
            required_ref::<SourceDocuments, C>(conn, problems, "source", &row.source).await?;
        let session_id = match &row.session {
            None => None,
            Some(s) => required_ref::<Sessions, C>(conn, problems, "session", s).await?,
        };
        let finding_id = match &row.finding {
            None => None,
            Some(f) => required_ref::<Findings, C>(conn, problems, "finding", f).await?,
        };
        let mut theme_ids = Vec::new();
        for (i, t) in row.themes.iter().enumerate() {
            if let Some(id) =
                required_ref::<Themes, C>(conn, problems, &format!("themes[{i}]"), t).await?
            {
                theme_ids.push(id);
            }
        }
        check_missions(conn, problems, &row.missions).await?;
        if problems.len() > before {
            return Ok(None);
        }
        let (Some(exercise_id), Some(source_document_id)) = (exercise_id, source_id) else {
            return Ok(None);
        };
        Ok(Some(
            ViewFields {
                slug: row.slug.clone(),
                exercise_id,
                session_id,
                finding_id,
                text: row.text.clone(),
                verbatim: row.verbatim,
                stance: row.stance,
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
    ) -> ApiResult<Vec<(i32, ViewRow)>> {
        let rows = next_chunk::<participant_view::Entity, C>(
            conn,
            participant_view::Column::Id,
            after,
            limit,
        )
        .await?;
        let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
        let exercises = slugs_of::<Exercises, C>(conn, rows.iter().map(|r| r.exercise_id)).await?;
        let sources =
            slugs_of::<SourceDocuments, C>(conn, rows.iter().map(|r| r.source_document_id)).await?;
        let sessions =
            slugs_of::<Sessions, C>(conn, rows.iter().filter_map(|r| r.session_id)).await?;
        let findings =
            slugs_of::<Findings, C>(conn, rows.iter().filter_map(|r| r.finding_id)).await?;
        let mut missions: HashMap<i32, Vec<Mission>> = HashMap::new();
        for t in db(view_mission::Entity::find()
            .filter(view_mission::Column::ViewId.is_in(ids.clone()))
            .all(conn)
            .await)?
        {
            missions.entry(t.view_id).or_default().push(t.mission_code);
        }
        let mut themes: HashMap<i32, Vec<String>> = HashMap::new();
        for (t, th) in db(view_theme::Entity::find()
            .filter(view_theme::Column::ViewId.is_in(ids))
            .find_also_related(theme::Entity)
            .order_by_asc(view_theme::Column::ThemeId)
            .all(conn)
            .await)?
        {
            if let Some(th) = th {
                themes.entry(t.view_id).or_default().push(th.slug);
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut m = missions.remove(&r.id).unwrap_or_default();
            m.sort_by_key(|m| *m as u8);
            out.push((
                r.id,
                ViewRow {
                    exercise: slug(&exercises, r.exercise_id)?,
                    source: slug(&sources, r.source_document_id)?,
                    session: r.session_id.map(|id| slug(&sessions, id)).transpose()?,
                    finding: r.finding_id.map(|id| slug(&findings, id)).transpose()?,
                    missions: m,
                    themes: themes.remove(&r.id).unwrap_or_default(),
                    slug: r.slug,
                    text: r.text,
                    verbatim: r.is_verbatim,
                    stance: r.stance,
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
