//! Creating, changing, upserting and deleting organisations.

use super::{
    begin, by_external, caller, commit, id_of, maybe, version_arg, ExternalKeyInput, Tombstone,
    WriteOutcome,
};
use crate::auth::Role;
use crate::curation::{self, organisations::OrganisationFields, organisations::Organisations};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::{Organisation, OrganisationKind};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use entity::organisation;

/// A new organisation.
#[derive(InputObject)]
pub struct CreateOrganisationInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among organisations.
    pub slug: String,
    /// Full name (at most 300 characters).
    pub name: String,
    /// What sort of body it is.
    pub kind: OrganisationKind,
    /// Home page: an absolute http or https URL.
    pub website: Option<String>,
    /// Short description (at most 5,000 characters).
    pub description: Option<String>,
    /// The source document it is transcribed from.
    pub source_id: ID,
    /// Where in that document it is stated (at most 500 characters).
    pub locator: String,
}

impl CreateOrganisationInput {
    fn fields(&self, at: &str) -> ApiResult<OrganisationFields> {
        Ok(OrganisationFields {
            slug: self.slug.clone(),
            name: self.name.clone(),
            kind: self.kind.into(),
            website: self.website.clone(),
            description: self.description.clone(),
            source_document_id: id_of(
                &self.source_id,
                NodeKind::SourceDocument,
                &format!("{at}.sourceId"),
            )?,
            locator: self.locator.clone(),
        })
    }
}

/// Changes to an organisation: only the fields given change; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdateOrganisationInput {
    /// The organisation to change.
    pub id: ID,
    /// The version the change was based on (`Organisation.version`); if the organisation has
    /// moved on, the update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<OrganisationKind>,
    /// New home page, or `null` for none.
    pub website: MaybeUndefined<String>,
    /// New description, or `null` for none.
    pub description: MaybeUndefined<String>,
    /// New source document.
    pub source_id: Option<ID>,
    /// New locator.
    pub locator: Option<String>,
}

impl UpdateOrganisationInput {
    fn apply(&self, mut f: OrganisationFields) -> ApiResult<OrganisationFields> {
        if let Some(v) = &self.slug {
            f.slug = v.clone();
        }
        if let Some(v) = &self.name {
            f.name = v.clone();
        }
        if let Some(v) = self.kind {
            f.kind = v.into();
        }
        f.website = maybe(&self.website, f.website);
        f.description = maybe(&self.description, f.description);
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
pub struct OrganisationUpsert {
    /// The organisation as stored.
    pub organisation: Organisation,
    /// Whether it was created, updated or left unchanged.
    pub outcome: WriteOutcome,
}

#[derive(Default)]
pub struct OrganisationMutation;

/// Organisations.
#[Object]
impl OrganisationMutation {
    /// Creates an organisation. Needs an editor token.
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new organisation.")] input: CreateOrganisationInput,
    ) -> ApiResult<Organisation> {
        let viewer = caller(ctx, Role::Editor)?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let model =
            curation::create::<Organisations, _>(&txn, viewer.actor(), &fields, None, "input")
                .await?;
        commit(ctx, txn).await?;
        Ok(Organisation(model))
    }

    /// Changes an organisation, if it is still at `expectedVersion`. Needs an editor token.
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation and the changes.")] input: UpdateOrganisationInput,
    ) -> ApiResult<Organisation> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&input.id, NodeKind::Organisation, "input.id")?;
        let expected = version_arg(input.expected_version, "input.expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) =
            curation::current::<Organisations, _>(&txn, id, Some(expected)).await?;
        let after = input.apply(before.clone())?;
        let (model, _) = curation::update::<Organisations, _>(
            &txn,
            viewer.actor(),
            &model,
            &before,
            &after,
            "input",
        )
        .await?;
        commit(ctx, txn).await?;
        Ok(Organisation(model))
    }

    /// Creates or updates the organisation an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    async fn upsert_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The integrator's key for the organisation.")]
        external_key: ExternalKeyInput,
        #[graphql(desc = "The organisation's values.")] input: CreateOrganisationInput,
    ) -> ApiResult<OrganisationUpsert> {
        let viewer = caller(ctx, Role::Editor)?;
        let external = external_key.checked("externalKey")?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let existing = by_external::<organisation::Entity, _>(
            &txn,
            &external,
            organisation::Column::ExternalSource,
            organisation::Column::ExternalId,
            |m| m.id,
        )
        .await?;
        let (model, outcome) = curation::upsert::<Organisations, _>(
            &txn,
            viewer.actor(),
            existing,
            &fields,
            &external,
            "input",
        )
        .await?;
        commit(ctx, txn).await?;
        Ok(OrganisationUpsert {
            organisation: Organisation(model),
            outcome: outcome.into(),
        })
    }

    /// Deletes an organisation, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Refused (`CONFLICT`) while it is involved in an exercise or publishes a resource. Needs an editor token.
    async fn delete_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation to delete.")] id: ID,
        #[graphql(desc = "The version the deletion was based on.")] expected_version: i64,
    ) -> ApiResult<Tombstone> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&id, NodeKind::Organisation, "id")?;
        let expected = version_arg(expected_version, "expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) =
            curation::current::<Organisations, _>(&txn, id, Some(expected)).await?;
        curation::delete::<Organisations, _>(&txn, viewer.actor(), &model, &before).await?;
        commit(ctx, txn).await?;
        Ok(Tombstone::new(NodeKind::Organisation, id, model.version))
    }
}
