//! Sessions in a bundle.

use super::{external_of, next_chunk, required_ref, slug, Codec};
use crate::curation::sessions::{SessionFields, Sessions};
use crate::curation::{exercises::Exercises, slugs_of, source_documents::SourceDocuments};
use crate::curation::{External, Problem};
use crate::errors::ApiResult;
use entity::enums::SessionFormat;
use entity::session;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

/// A session row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionRow {
    pub slug: String,
    pub exercise: String,
    pub title: String,
    #[serde(default)]
    pub sequence: Option<i32>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub format: Option<SessionFormat>,
    pub source: String,
    pub locator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl Codec for Sessions {
    const TYPE: &'static str = "session";
    type Row = SessionRow;

    fn row_slug(row: &SessionRow) -> &str {
        &row.slug
    }

    fn external(row: &SessionRow) -> Option<External> {
        external_of(&row.external_source, &row.external_id)
    }

    async fn resolve<C: ConnectionTrait>(
        conn: &C,
        row: &SessionRow,
        problems: &mut Vec<Problem>,
    ) -> ApiResult<Option<SessionFields>> {
        let exercise_id =
            required_ref::<Exercises, C>(conn, problems, "exercise", &row.exercise).await?;
        let source_id =
            required_ref::<SourceDocuments, C>(conn, problems, "source", &row.source).await?;
        let (Some(exercise_id), Some(source_document_id)) = (exercise_id, source_id) else {
            return Ok(None);
        };
        Ok(Some(SessionFields {
            slug: row.slug.clone(),
            exercise_id,
            title: row.title.clone(),
            sequence: row.sequence,
            date: row.date.clone(),
            place: row.place.clone(),
            format: row.format,
            source_document_id,
            locator: row.locator.clone(),
        }))
    }

    async fn export_chunk<C: ConnectionTrait>(
        conn: &C,
        after: i32,
        limit: u64,
    ) -> ApiResult<Vec<(i32, SessionRow)>> {
        let rows =
            next_chunk::<session::Entity, C>(conn, session::Column::Id, after, limit).await?;
        let exercises = slugs_of::<Exercises, C>(conn, rows.iter().map(|r| r.exercise_id)).await?;
        let sources =
            slugs_of::<SourceDocuments, C>(conn, rows.iter().map(|r| r.source_document_id)).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push((
                r.id,
                SessionRow {
                    exercise: slug(&exercises, r.exercise_id)?,
                    source: slug(&sources, r.source_document_id)?,
                    slug: r.slug,
                    title: r.title,
                    sequence: r.sequence,
                    date: r.date,
                    place: r.place,
                    format: r.format,
                    locator: r.locator,
                    external_source: r.external_source,
                    external_id: r.external_id,
                },
            ));
        }
        Ok(out)
    }
}
