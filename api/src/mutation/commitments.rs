//! Creating, changing, upserting and deleting commitments ("what happened next"), and linking
//! them to the exercises and findings they answer. Review goes through `review`, as for findings.

use super::{
    begin, by_external, caller, commit, id_of, ids_of, maybe, version_arg, ExternalKeyInput,
    Tombstone, WriteOutcome,
};
use crate::auth::Role;
use crate::curation::commitments::{CommitmentFields, Commitments};
use crate::curation::{self, Tags};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::{Commitment, CommitmentStatus, ReviewStatus};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use entity::commitment;

/// A new commitment.
#[derive(InputObject)]
pub struct CreateCommitmentInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among commitments.
    pub slug: String,
    /// The commitment in one line (at most 300 characters).
    pub title: String,
    /// What was said, in the source's words (at most 10,000 characters).
    pub statement: String,
    /// The organisation that said it.
    pub organisation_id: ID,
    /// When it was said: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub stated_on: Option<String>,
    /// How far it has got: `STATED` unless given.
    #[graphql(default_with = "CommitmentStatus::Stated")]
    pub status: CommitmentStatus,
    /// The exercises it answers.
    #[graphql(default)]
    pub exercise_ids: Vec<ID>,
    /// The findings it answers (they then list it under `Finding.commitments`).
    #[graphql(default)]
    pub finding_ids: Vec<ID>,
    /// The source document it is transcribed from.
    pub source_id: ID,
    /// Where in that document it is stated: the exact sentence (at most 500 characters).
    pub locator: String,
    /// The review status to start in: `DRAFT` unless given.
    #[graphql(default_with = "ReviewStatus::Draft")]
    pub review_status: ReviewStatus,
}

impl CreateCommitmentInput {
    fn fields(&self, at: &str) -> ApiResult<CommitmentFields> {
        Ok(CommitmentFields {
            slug: self.slug.clone(),
            title: self.title.clone(),
            statement: self.statement.clone(),
            organisation_id: id_of(
                &self.organisation_id,
                NodeKind::Organisation,
                &format!("{at}.organisationId"),
            )?,
            stated_on: self.stated_on.clone(),
            status: self.status.into(),
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
            review_status: self.review_status.into(),
        })
    }
}

/// Changes to a commitment: only the fields given change; `null` clears an optional field;
/// lists given replace the old list. The review status changes only through the review
/// mutations.
#[derive(InputObject)]
pub struct UpdateCommitmentInput {
    /// The commitment to change.
    pub id: ID,
    /// The version the change was based on (`Commitment.version`); if the commitment has moved
    /// on, the update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// New statement.
    pub statement: Option<String>,
    /// New organisation.
    pub organisation_id: Option<ID>,
    /// New date, or `null` for unknown.
    pub stated_on: MaybeUndefined<String>,
    /// New status, e.g. `DONE` once a source reports it done.
    pub status: Option<CommitmentStatus>,
    /// New exercises (replaces the list).
    pub exercise_ids: Option<Vec<ID>>,
    /// New findings (replaces the list).
    pub finding_ids: Option<Vec<ID>>,
    /// New source document.
    pub source_id: Option<ID>,
    /// New locator.
    pub locator: Option<String>,
}

impl UpdateCommitmentInput {
    fn apply(&self, mut f: CommitmentFields) -> ApiResult<CommitmentFields> {
        if let Some(v) = &self.slug {
            f.slug = v.clone();
        }
        if let Some(v) = &self.title {
            f.title = v.clone();
        }
        if let Some(v) = &self.statement {
            f.statement = v.clone();
        }
        if let Some(v) = &self.organisation_id {
            f.organisation_id = id_of(v, NodeKind::Organisation, "input.organisationId")?;
        }
        f.stated_on = maybe(&self.stated_on, f.stated_on);
        if let Some(v) = self.status {
            f.status = v.into();
        }
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
pub struct CommitmentUpsert {
    /// The commitment as stored.
    pub commitment: Commitment,
    /// Whether it was created, updated or left unchanged.
    pub outcome: WriteOutcome,
}

#[derive(Default)]
pub struct CommitmentMutation;

/// Commitments.
#[Object]
impl CommitmentMutation {
    /// Creates a commitment (a draft unless `reviewStatus` says otherwise). Needs an editor
    /// token.
    async fn create_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new commitment.")] input: CreateCommitmentInput,
    ) -> ApiResult<Commitment> {
        let viewer = caller(ctx, Role::Editor)?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let model =
            curation::create::<Commitments, _>(&txn, viewer.actor(), &fields, None, "input")
                .await?;
        commit(ctx, txn).await?;
        Ok(Commitment(model))
    }

    /// Changes a commitment, if it is still at `expectedVersion`. Needs an editor token.
    async fn update_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The commitment and the changes.")] input: UpdateCommitmentInput,
    ) -> ApiResult<Commitment> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&input.id, NodeKind::Commitment, "input.id")?;
        let expected = version_arg(input.expected_version, "input.expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) = curation::current::<Commitments, _>(&txn, id, Some(expected)).await?;
        let after = input.apply(before.clone())?;
        let (model, _) = curation::update::<Commitments, _>(
            &txn,
            viewer.actor(),
            &model,
            &before,
            &after,
            "input",
        )
        .await?;
        commit(ctx, txn).await?;
        Ok(Commitment(model))
    }

    /// Creates or updates the commitment an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    async fn upsert_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The integrator's key for the commitment.")]
        external_key: ExternalKeyInput,
        #[graphql(desc = "The commitment's values.")] input: CreateCommitmentInput,
    ) -> ApiResult<CommitmentUpsert> {
        let viewer = caller(ctx, Role::Editor)?;
        let external = external_key.checked("externalKey")?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let existing = by_external::<commitment::Entity, _>(
            &txn,
            &external,
            commitment::Column::ExternalSource,
            commitment::Column::ExternalId,
            |m| m.id,
        )
        .await?;
        let (model, outcome) = curation::upsert::<Commitments, _>(
            &txn,
            viewer.actor(),
            existing,
            &fields,
            &external,
            "input",
        )
        .await?;
        commit(ctx, txn).await?;
        Ok(CommitmentUpsert {
            commitment: Commitment(model),
            outcome: outcome.into(),
        })
    }

    /// Deletes a commitment, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Its links to exercises and findings go with it. Needs an editor token.
    async fn delete_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The commitment to delete.")] id: ID,
        #[graphql(desc = "The version the deletion was based on.")] expected_version: i64,
    ) -> ApiResult<Tombstone> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&id, NodeKind::Commitment, "id")?;
        let expected = version_arg(expected_version, "expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) = curation::current::<Commitments, _>(&txn, id, Some(expected)).await?;
        curation::delete::<Commitments, _>(&txn, viewer.actor(), &model, &before).await?;
        commit(ctx, txn).await?;
        Ok(Tombstone::new(NodeKind::Commitment, id, model.version))
    }
}
