//! Creating, changing, upserting and deleting resources, and linking them to the exercises they
//! report on and the findings they state.

use super::writes::{Changes, Values};
use super::{id_of, ids_of, opt_id_of};
use crate::curation::resources::{ResourceFields, Resources};
use crate::curation::Tags;
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::{Resource, ResourceKind};
use async_graphql::{InputObject, MaybeUndefined, ID};

/// A new resource.
#[derive(InputObject)]
pub struct CreateResourceInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among resources.
    pub slug: String,
    /// The resource's own title (at most 500 characters).
    pub title: String,
    /// The form it takes.
    pub kind: ResourceKind,
    /// Where it can be found online: an absolute http or https URL.
    pub url: Option<String>,
    /// The organisation that published it.
    pub publisher_id: Option<ID>,
    /// When it was published: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub published_on: Option<String>,
    /// The exercises it reports on.
    #[graphql(default)]
    pub exercise_ids: Vec<ID>,
    /// The findings it states or discusses: this is how a report is linked to a dialogue's
    /// findings (they then list it under `Finding.resources`).
    #[graphql(default)]
    pub finding_ids: Vec<ID>,
    /// The source document it is transcribed from.
    pub source_id: ID,
    /// Where in that document it is stated (at most 500 characters).
    pub locator: String,
}

impl Values<Resources> for CreateResourceInput {
    fn fields(&self, at: &str) -> ApiResult<ResourceFields> {
        Ok(fields_of!(self => ResourceFields {
            slug, title, kind, url, published_on, locator;
            publisher_id: opt_id_of(
                &self.publisher_id,
                NodeKind::Organisation,
                &format!("{at}.publisherId"),
            )?,
            exercise_ids: Tags(ids_of(
                &self.exercise_ids,
                NodeKind::Exercise,
                &format!("{at}.exerciseIds"),
            )?),
            finding_ids: Tags(ids_of(
                &self.finding_ids,
                NodeKind::Finding,
                &format!("{at}.findingIds"),
            )?),
            source_document_id: id_of(
                &self.source_id,
                NodeKind::SourceDocument,
                &format!("{at}.sourceId"),
            )?,
        }))
    }
}

/// Changes to a resource: only the fields given change; `null` clears an optional field; lists
/// given replace the old list.
#[derive(InputObject)]
pub struct UpdateResourceInput {
    /// The resource to change.
    pub id: ID,
    /// The version the change was based on (`Resource.version`); if the resource has moved on,
    /// the update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// New kind.
    pub kind: Option<ResourceKind>,
    /// New URL, or `null` for none.
    pub url: MaybeUndefined<String>,
    /// New publisher, or `null` for unknown.
    pub publisher_id: MaybeUndefined<ID>,
    /// New publication date, or `null` for unknown.
    pub published_on: MaybeUndefined<String>,
    /// New exercises (replaces the list).
    pub exercise_ids: Option<Vec<ID>>,
    /// New findings (replaces the list).
    pub finding_ids: Option<Vec<ID>>,
    /// New source document.
    pub source_id: Option<ID>,
    /// New locator.
    pub locator: Option<String>,
}

impl Changes<Resources> for UpdateResourceInput {
    fn apply(&self, mut f: ResourceFields) -> ApiResult<ResourceFields> {
        patch!(self => f: slug, title, kind, locator, url, published_on);
        patch_refs!(self => f: publisher_id <- publisher_id: Organisation "input.publisherId");
        if let Some(v) = &self.exercise_ids {
            f.exercise_ids = Tags(ids_of(v, NodeKind::Exercise, "input.exerciseIds")?);
        }
        if let Some(v) = &self.finding_ids {
            f.finding_ids = Tags(ids_of(v, NodeKind::Finding, "input.findingIds")?);
        }
        patch_refs!(self => f: source_document_id <- source_id: SourceDocument "input.sourceId");
        Ok(f)
    }
}

writes! {
    /// Resources.
    ResourceMutation: Resources => Resource,
    ResourceUpsert { resource: "The resource as stored." }

    /// Creates a resource. Needs an editor token.
    create_resource(CreateResourceInput: "The new resource.")

    /// Changes a resource, if it is still at `expectedVersion`. Needs an editor token.
    update_resource(UpdateResourceInput: "The resource and the changes.")

    /// Creates or updates the resource an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    upsert_resource(
        "The integrator's key for the resource.",
        "The resource's values."
    )

    /// Deletes a resource, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Its links to exercises and findings go with it. Needs an editor token.
    delete_resource("The resource to delete.")
}
