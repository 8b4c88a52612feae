//! Writing organisations.
//!
//! An organisation cannot be deleted while it is involved in an exercise or named as a
//! resource's publisher: those links are evidence in their own right, so the editor removes
//! them (by updating the exercise or resource) first.

use super::{
    check_opt_text, check_ref, check_slug, check_text, check_url, refuse_if_used, Curated,
    Dependent, External, Problem,
};
use crate::errors::{db, ApiResult};
use chrono::Utc;
use entity::enums::{Mission, OrganisationKind};
use entity::{commitment, exercise_organisation, organisation, resource, source_document};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, NotSet, Set};
use serde::Serialize;

/// An organisation's writable state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganisationFields {
    pub slug: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub website: Option<String>,
    pub description: Option<String>,
    pub source_document_id: i32,
    pub locator: String,
}

pub struct Organisations;

impl Curated for Organisations {
    type Model = organisation::Model;
    type Fields = OrganisationFields;

    async fn load<C: ConnectionTrait>(
        conn: &C,
        id: i32,
    ) -> ApiResult<Option<(organisation::Model, OrganisationFields)>> {
        let Some(m) = db(organisation::Entity::find_by_id(id).one(conn).await)? else {
            return Ok(None);
        };
        let fields = OrganisationFields {
            slug: m.slug.clone(),
            name: m.name.clone(),
            kind: m.kind,
            website: m.website.clone(),
            description: m.description.clone(),
            source_document_id: m.source_document_id,
            locator: m.locator.clone(),
        };
        Ok(Some((m, fields)))
    }

    async fn validate<C: ConnectionTrait>(
        conn: &C,
        f: &OrganisationFields,
    ) -> ApiResult<Vec<Problem>> {
        let mut p = Vec::new();
        check_slug(&mut p, "slug", &f.slug);
        check_text(&mut p, "name", &f.name, 300);
        check_url(&mut p, "website", f.website.as_deref());
        check_opt_text(&mut p, "description", f.description.as_deref(), 5_000);
        check_text(&mut p, "locator", &f.locator, 500);
        check_ref::<source_document::Entity, C>(
            conn,
            &mut p,
            "sourceId",
            f.source_document_id,
            "source document",
        )
        .await?;
        Ok(p)
    }

    async fn write<C: ConnectionTrait>(
        conn: &C,
        id: Option<i32>,
        f: &OrganisationFields,
        version: i64,
        external: Option<&External>,
    ) -> ApiResult<organisation::Model> {
        let now = Utc::now();
        let mut row = organisation::ActiveModel {
            id: id.map(Set).unwrap_or(NotSet),
            slug: Set(f.slug.clone()),
            name: Set(f.name.clone()),
            kind: Set(f.kind),
            website: Set(f.website.clone()),
            description: Set(f.description.clone()),
            source_document_id: Set(f.source_document_id),
            locator: Set(f.locator.clone()),
            updated_at: Set(now),
            version: Set(version),
            ..Default::default()
        };
        if let Some(e) = external {
            row.external_source = Set(Some(e.source.clone()));
            row.external_id = Set(Some(e.id.clone()));
        }
        match id {
            None => {
                row.created_at = Set(now);
                db(row.insert(conn).await)
            }
            Some(_) => db(row.update(conn).await),
        }
    }

    async fn remove<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        refuse_if_used(
            conn,
            "organisation",
            id,
            &[
                Dependent::on(
                    exercise_organisation::Column::OrganisationId,
                    "exercise involvement(s)",
                ),
                Dependent::on(resource::Column::PublisherId, "published resource(s)"),
                Dependent::on(commitment::Column::OrganisationId, "commitment(s)"),
            ],
        )
        .await?;
        db(organisation::Entity::delete_by_id(id).exec(conn).await)?;
        Ok(())
    }

    fn id(m: &organisation::Model) -> i32 {
        m.id
    }
    fn version(m: &organisation::Model) -> i64 {
        m.version
    }
    fn slug(f: &OrganisationFields) -> &str {
        &f.slug
    }
    fn visible(_: &OrganisationFields) -> bool {
        true
    }
    fn missions(_: &OrganisationFields) -> Vec<Mission> {
        Vec::new()
    }
}
