//! Writing resources (reports, videos, pages) and their links to the exercises they report on
//! and the findings they state: linking a report to a dialogue's findings is an update of the
//! resource's `findingIds`. Nothing depends on a resource, so a delete removes its own links
//! and always goes through.

use super::{
    check_date, check_ref, check_refs, check_slug, check_text, check_unique, check_url, Curated,
    External, Problem, Tags,
};
use crate::errors::{db, ApiResult};
use chrono::Utc;
use entity::enums::{Mission, ResourceKind};
use entity::{
    exercise, finding, organisation, resource, resource_exercise, resource_finding, source_document,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QuerySelect,
    Set,
};
use serde::Serialize;

/// A resource's writable state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceFields {
    pub slug: String,
    pub title: String,
    pub kind: ResourceKind,
    pub url: Option<String>,
    pub publisher_id: Option<i32>,
    pub published_on: Option<String>,
    pub exercise_ids: Tags<i32>,
    pub finding_ids: Tags<i32>,
    pub source_document_id: i32,
    pub locator: String,
}

pub struct Resources;

impl Curated for Resources {
    type Model = resource::Model;
    type Fields = ResourceFields;

    async fn load<C: ConnectionTrait>(
        conn: &C,
        id: i32,
    ) -> ApiResult<Option<(resource::Model, ResourceFields)>> {
        let Some(m) = db(resource::Entity::find_by_id(id).one(conn).await)? else {
            return Ok(None);
        };
        let exercise_ids = db(resource_exercise::Entity::find()
            .select_only()
            .column(resource_exercise::Column::ExerciseId)
            .filter(resource_exercise::Column::ResourceId.eq(id))
            .into_tuple::<i32>()
            .all(conn)
            .await)?;
        let finding_ids = db(resource_finding::Entity::find()
            .select_only()
            .column(resource_finding::Column::FindingId)
            .filter(resource_finding::Column::ResourceId.eq(id))
            .into_tuple::<i32>()
            .all(conn)
            .await)?;
        let fields = ResourceFields {
            slug: m.slug.clone(),
            title: m.title.clone(),
            kind: m.kind,
            url: m.url.clone(),
            publisher_id: m.publisher_id,
            published_on: m.published_on.clone(),
            exercise_ids: Tags(exercise_ids),
            finding_ids: Tags(finding_ids),
            source_document_id: m.source_document_id,
            locator: m.locator.clone(),
        };
        Ok(Some((m, fields)))
    }

    async fn validate<C: ConnectionTrait>(conn: &C, f: &ResourceFields) -> ApiResult<Vec<Problem>> {
        let mut p = Vec::new();
        check_slug(&mut p, "slug", &f.slug);
        check_text(&mut p, "title", &f.title, 500);
        check_url(&mut p, "url", f.url.as_deref());
        check_date(&mut p, "publishedOn", f.published_on.as_deref());
        check_unique(&mut p, "exerciseIds", &f.exercise_ids.0);
        check_unique(&mut p, "findingIds", &f.finding_ids.0);
        check_text(&mut p, "locator", &f.locator, 500);
        if let Some(id) = f.publisher_id {
            check_ref::<organisation::Entity, C>(conn, &mut p, "publisherId", id, "organisation")
                .await?;
        }
        check_refs::<exercise::Entity, C>(
            conn,
            &mut p,
            "exerciseIds",
            &f.exercise_ids.0,
            "exercise",
        )
        .await?;
        check_refs::<finding::Entity, C>(conn, &mut p, "findingIds", &f.finding_ids.0, "finding")
            .await?;
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
        f: &ResourceFields,
        version: i64,
        external: Option<&External>,
    ) -> ApiResult<resource::Model> {
        let now = Utc::now();
        let mut row = resource::ActiveModel {
            id: id.map(Set).unwrap_or(NotSet),
            slug: Set(f.slug.clone()),
            title: Set(f.title.clone()),
            kind: Set(f.kind),
            url: Set(f.url.clone()),
            publisher_id: Set(f.publisher_id),
            published_on: Set(f.published_on.clone()),
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
        let model = match id {
            None => {
                row.created_at = Set(now);
                db(row.insert(conn).await)?
            }
            Some(id) => {
                clear_links(conn, id).await?;
                db(row.update(conn).await)?
            }
        };
        if !f.exercise_ids.0.is_empty() {
            db(
                resource_exercise::Entity::insert_many(f.exercise_ids.0.iter().map(|e| {
                    resource_exercise::ActiveModel {
                        resource_id: Set(model.id),
                        exercise_id: Set(*e),
                    }
                }))
                .exec_without_returning(conn)
                .await,
            )?;
        }
        if !f.finding_ids.0.is_empty() {
            db(
                resource_finding::Entity::insert_many(f.finding_ids.0.iter().map(|x| {
                    resource_finding::ActiveModel {
                        resource_id: Set(model.id),
                        finding_id: Set(*x),
                    }
                }))
                .exec_without_returning(conn)
                .await,
            )?;
        }
        Ok(model)
    }

    async fn remove<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        clear_links(conn, id).await?;
        db(resource::Entity::delete_by_id(id).exec(conn).await)?;
        Ok(())
    }

    fn id(m: &resource::Model) -> i32 {
        m.id
    }
    fn version(m: &resource::Model) -> i64 {
        m.version
    }
    fn slug(f: &ResourceFields) -> &str {
        &f.slug
    }
    fn visible(_: &ResourceFields) -> bool {
        true
    }
    fn missions(_: &ResourceFields) -> Vec<Mission> {
        Vec::new()
    }
}

async fn clear_links<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
    db(resource_exercise::Entity::delete_many()
        .filter(resource_exercise::Column::ResourceId.eq(id))
        .exec(conn)
        .await)?;
    db(resource_finding::Entity::delete_many()
        .filter(resource_finding::Column::ResourceId.eq(id))
        .exec(conn)
        .await)?;
    Ok(())
}
