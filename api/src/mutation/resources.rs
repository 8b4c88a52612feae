//! Creating, changing, upserting and deleting resources, and linking them to the exercises they
//! report on and the findings they state.

use super::{
    begin, by_external, caller, commit, id_of, ids_of, maybe, maybe_ref, opt_id_of, version_arg,
    ExternalKeyInput, Tombstone, WriteOutcome,
};
use crate::auth::Role;
use crate::curation::resources::{ResourceFields, Resources};
use crate::curation::{self, Tags};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::{Resource, ResourceKind};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use entity::resource;

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

impl CreateResourceInput {
    fn fields(&self, at: &str) -> ApiResult<ResourceFields> {
        Ok(ResourceFields {
            slug: self.slug.clone(),
            title: self.title.clone(),
            kind: self.kind.into(),
            url: self.url.clone(),
            publisher_id: opt_id_of(
                &self.publisher_id,
                NodeKind::Organisation,
                &format!("{at}.publisherId"),
            )?,
            published_on: self.published_on.clone(),
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
            locator: self.locator.clone(),
        })
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

impl UpdateResourceInput {
    fn apply(&self, mut f: ResourceFields) -> ApiResult<ResourceFields> {
        if let Some(v) = &self.slug {
            f.slug = v.clone();
        }
        if let Some(v) = &self.title {
            f.title = v.clone();
        }
        if let Some(v) = self.kind {
            f.kind = v.into();
        }
        f.url = maybe(&self.url, f.url);
        f.publisher_id = maybe_ref(
            &self.publisher_id,
            f.publisher_id,
            NodeKind::Organisation,
            "input.publisherId",
        )?;
        f.published_on = maybe(&self.published_on, f.published_on);
        if let Some(v) = &self.exercise_ids {
            f.exercise_ids = Tags(ids_of(v, NodeKind::Exercise, "input.exerciseIds")?);
        }
        if let Some(v) = &self.finding_ids {
            f.finding_ids = Tags(ids_of(v, NodeKind::Finding, "input.findingIds")?);
        }
        if let Some(v) = &self.source_id {
            f.source_document_id = id_of(v, NodeKind::SourceDocument, "input.sourceId")?;
        }
        if let Some(v) = &self.locator {
            f.locator = v.clone();
        }
        Ok(f)
    }
}

/// The result of an upsert.
#[derive(SimpleObject)]
pub struct ResourceUpsert {
    /// The resource as stored.
    pub resource: Resource,
    /// Whether it was created, updated or left unchanged.
    pub outcome: WriteOutcome,
}

#[derive(Default)]
pub struct ResourceMutation;

/// Resources.
#[Object]
impl ResourceMutation {
    /// Creates a resource. Needs an editor token.
    async fn create_resource(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new resource.")] input: CreateResourceInput,
    ) -> ApiResult<Resource> {
        let viewer = caller(ctx, Role::Editor)?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let model =
            curation::create::<Resources, _>(&txn, viewer.actor(), &fields, None, "input").await?;
        commit(ctx, txn).await?;
        Ok(Resource(model))
    }

    /// Changes a resource, if it is still at `expectedVersion`. Needs an editor token.
    async fn update_resource(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resource and the changes.")] input: UpdateResourceInput,
    ) -> ApiResult<Resource> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&input.id, NodeKind::Resource, "input.id")?;
        let expected = version_arg(input.expected_version, "input.expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) = curation::current::<Resources, _>(&txn, id, Some(expected)).await?;
        let after = input.apply(before.clone())?;
        let (model, _) = curation::update::<Resources, _>(
            &txn,
            viewer.actor(),
            &model,
            &before,
            &after,
            "input",
        )
        .await?;
        commit(ctx, txn).await?;
        Ok(Resource(model))
    }

    /// Creates or updates the resource an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    async fn upsert_resource(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The integrator's key for the resource.")] external_key: ExternalKeyInput,
        #[graphql(desc = "The resource's values.")] input: CreateResourceInput,
    ) -> ApiResult<ResourceUpsert> {
        let viewer = caller(ctx, Role::Editor)?;
        let external = external_key.checked("externalKey")?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let existing = by_external::<resource::Entity, _>(
            &txn,
            &external,
            resource::Column::ExternalSource,
            resource::Column::ExternalId,
            |m| m.id,
        )
        .await?;
        let (model, outcome) = curation::upsert::<Resources, _>(
            &txn,
            viewer.actor(),
            existing,
            &fields,
            &external,
            "input",
        )
        .await?;
        commit(ctx, txn).await?;
        Ok(ResourceUpsert {
            resource: Resource(model),
            outcome: outcome.into(),
        })
    }

    /// Deletes a resource, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Its links to exercises and findings go with it. Needs an editor token.
    async fn delete_resource(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resource to delete.")] id: ID,
        #[graphql(desc = "The version the deletion was based on.")] expected_version: i64,
    ) -> ApiResult<Tombstone> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&id, NodeKind::Resource, "id")?;
        let expected = version_arg(expected_version, "expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) = curation::current::<Resources, _>(&txn, id, Some(expected)).await?;
        curation::delete::<Resources, _>(&txn, viewer.actor(), &model, &before).await?;
        commit(ctx, txn).await?;
        Ok(Tombstone::new(NodeKind::Resource, id, model.version))
    }
}
