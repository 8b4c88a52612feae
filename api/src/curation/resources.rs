//! Writing resources (reports, videos, pages) and their links to the exercises they report on
//! and the findings they state: linking a report to a dialogue's findings is an update of the
//! resource's `findingIds`. Nothing depends on a resource, so a delete removes its own links
//! and always goes through.

use super::exercises::Exercises;
use super::findings::Findings;
use super::organisations::Organisations;
use super::source_documents::SourceDocuments;
use super::{
    check_date, check_ref, check_refs, check_slug, check_text, check_unique, check_url, Curated,
    Link, Problem, Tags,
};
use crate::errors::ApiResult;
use entity::enums::ResourceKind;
use entity::{resource, resource_exercise, resource_finding};
use sea_orm::ConnectionTrait;

fields! {
    /// A resource's writable state.
    ResourceFields: resource {
        slug: String,
        title: String,
        kind: ResourceKind,
        url: Option<String>,
        publisher_id: Option<i32>,
        published_on: Option<String>,
        source_document_id: i32,
        locator: String,
    }
    tags {
        exercise_ids: Tags<i32>,
        finding_ids: Tags<i32>,
    }
}

pub struct Resources;

/// The join table of a row's exercises.
pub const EXERCISES: Link<resource_exercise::Entity> = Link::new(
    resource_exercise::Column::ResourceId,
    resource_exercise::Column::ExerciseId,
);
/// The join table of a row's findings.
pub const FINDINGS: Link<resource_finding::Entity> = Link::new(
    resource_finding::Column::ResourceId,
    resource_finding::Column::FindingId,
);

impl Curated for Resources {
    type Model = resource::Model;
    type Fields = ResourceFields;

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
            check_ref::<Organisations, C>(conn, &mut p, "publisherId", id).await?;
        }
        check_refs::<Exercises, C>(conn, &mut p, "exerciseIds", &f.exercise_ids.0).await?;
        check_refs::<Findings, C>(conn, &mut p, "findingIds", &f.finding_ids.0).await?;
        check_ref::<SourceDocuments, C>(conn, &mut p, "sourceId", f.source_document_id).await?;
        Ok(p)
    }

    async fn read_tags<C: ConnectionTrait>(
        conn: &C,
        m: &resource::Model,
        f: &mut ResourceFields,
    ) -> ApiResult<()> {
        f.exercise_ids = Tags(EXERCISES.read(conn, m.id, false).await?);
        f.finding_ids = Tags(FINDINGS.read(conn, m.id, false).await?);
        Ok(())
    }

    async fn write_tags<C: ConnectionTrait>(
        conn: &C,
        id: i32,
        f: &ResourceFields,
    ) -> ApiResult<()> {
        EXERCISES.write(conn, id, &f.exercise_ids.0).await?;
        FINDINGS.write(conn, id, &f.finding_ids.0).await
    }

    async fn clear_tags<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        EXERCISES.clear(conn, id).await?;
        FINDINGS.clear(conn, id).await
    }
}
