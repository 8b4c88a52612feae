//! Organisations in a bundle.

use super::{external_of, next_chunk, required_ref, slug, Codec};
use crate::curation::organisations::{OrganisationFields, Organisations};
use crate::curation::{slugs_of, source_documents::SourceDocuments};
use crate::curation::{External, Problem};
use crate::errors::ApiResult;
use entity::enums::OrganisationKind;
use entity::organisation;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

/// An organisation row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganisationRow {
    pub slug: String,
    pub name: String,
    pub kind: OrganisationKind,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub source: String,
    pub locator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl Codec for Organisations {
    const TYPE: &'static str = "organisation";
    type Row = OrganisationRow;

    fn row_slug(row: &OrganisationRow) -> &str {
        &row.slug
    }

    fn external(row: &OrganisationRow) -> Option<External> {
        external_of(&row.external_source, &row.external_id)
    }

    async fn resolve<C: ConnectionTrait>(
        conn: &C,
        row: &OrganisationRow,
        problems: &mut Vec<Problem>,
    ) -> ApiResult<Option<OrganisationFields>> {
        let Some(source_document_id) =
            required_ref::<SourceDocuments, C>(conn, problems, "source", &row.source).await?
        else {
            return Ok(None);
        };
        Ok(Some(OrganisationFields {
            slug: row.slug.clone(),
            name: row.name.clone(),
            kind: row.kind,
            website: row.website.clone(),
            description: row.description.clone(),
            source_document_id,
            locator: row.locator.clone(),
        }))
    }

    async fn export_chunk<C: ConnectionTrait>(
        conn: &C,
        after: i32,
        limit: u64,
    ) -> ApiResult<Vec<(i32, OrganisationRow)>> {
        let rows =
            next_chunk::<organisation::Entity, C>(conn, organisation::Column::Id, after, limit)
                .await?;
        let sources =
            slugs_of::<SourceDocuments, C>(conn, rows.iter().map(|r| r.source_document_id)).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push((
                r.id,
                OrganisationRow {
                    source: slug(&sources, r.source_document_id)?,
                    slug: r.slug,
                    name: r.name,
                    kind: r.kind,
                    website: r.website,
                    description: r.description,
                    locator: r.locator,
                    external_source: r.external_source,
                    external_id: r.external_id,
                },
            ));
        }
        Ok(out)
    }
}
