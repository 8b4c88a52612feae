//! Source documents in a bundle.

use super::{external_of, next_chunk, Codec};
use crate::curation::source_documents::{SourceDocumentFields, SourceDocuments};
use crate::curation::{External, Problem};
use crate::errors::ApiResult;
use entity::source_document;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

/// A source document row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceRow {
    pub slug: String,
    pub file_name: String,
    pub title: String,
    pub publisher: String,
    #[serde(default)]
    pub published_on: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl Codec for SourceDocuments {
    const TYPE: &'static str = "source";
    type Row = SourceRow;

    fn row_slug(row: &SourceRow) -> &str {
        &row.slug
    }

    fn external(row: &SourceRow) -> Option<External> {
        external_of(&row.external_source, &row.external_id)
    }

    async fn resolve<C: ConnectionTrait>(
        _conn: &C,
        row: &SourceRow,
        _problems: &mut Vec<Problem>,
    ) -> ApiResult<Option<SourceDocumentFields>> {
        Ok(Some(SourceDocumentFields {
            slug: row.slug.clone(),
            file_name: row.file_name.clone(),
            title: row.title.clone(),
            publisher: row.publisher.clone(),
            published_on: row.published_on.clone(),
            url: row.url.clone(),
        }))
    }

    async fn export_chunk<C: ConnectionTrait>(
        conn: &C,
        after: i32,
        limit: u64,
    ) -> ApiResult<Vec<(i32, SourceRow)>> {
        let rows = next_chunk::<source_document::Entity, C>(
            conn,
            source_document::Column::Id,
            after,
            limit,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    SourceRow {
                        slug: r.slug,
                        file_name: r.file_name,
                        title: r.title,
                        publisher: r.publisher,
                        published_on: r.published_on,
                        url: r.url,
                        external_source: r.external_source,
                        external_id: r.external_id,
                    },
                )
            })
            .collect())
    }
}
