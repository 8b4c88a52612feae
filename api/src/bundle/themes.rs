//! Themes in a bundle.

use super::{external_of, next_chunk, Codec};
use crate::curation::themes::{ThemeFields, Themes};
use crate::curation::{External, Problem};
use crate::errors::ApiResult;
use entity::theme;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

/// A theme row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThemeRow {
    pub slug: String,
    pub label: String,
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl Codec for Themes {
    const TYPE: &'static str = "theme";
    type Row = ThemeRow;

    fn row_slug(row: &ThemeRow) -> &str {
        &row.slug
    }

    fn external(row: &ThemeRow) -> Option<External> {
        external_of(&row.external_source, &row.external_id)
    }

    async fn resolve<C: ConnectionTrait>(
        _conn: &C,
        row: &ThemeRow,
        _problems: &mut Vec<Problem>,
    ) -> ApiResult<Option<ThemeFields>> {
        Ok(Some(ThemeFields {
            slug: row.slug.clone(),
            label: row.label.clone(),
            definition: row.definition.clone(),
        }))
    }

    async fn export_chunk<C: ConnectionTrait>(
        conn: &C,
        after: i32,
        limit: u64,
    ) -> ApiResult<Vec<(i32, ThemeRow)>> {
        let rows = next_chunk::<theme::Entity, C>(conn, theme::Column::Id, after, limit).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    ThemeRow {
                        slug: r.slug,
                        label: r.label,
                        definition: r.definition,
                        external_source: r.external_source,
                        external_id: r.external_id,
                    },
                )
            })
            .collect())
    }
}
