//! "What happened next": organisers' stated responses and commitments, with the exercises and
//! findings they answer.

use super::support::Provenance;
use super::{CommitmentStatus, Exercise, Finding, Organisation};
use crate::errors::ApiResult;
use crate::ids::{GlobalId, NodeKind};
use crate::loaders::{self, OrganisationById};
use crate::pagination::{children, Page, PageArgs};
use crate::scalars::PartialDate;
use crate::types::support::Stamps;
use async_graphql::{Context, Object, ID};
use entity::{commitment, exercise, finding};

/// A stated response or commitment.
pub struct Commitment(pub commitment::Model);

/// What an organisation said it would do (or has done) in answer to an engagement exercise and
/// its findings: "you said, we did". `statement` keeps the source's words; `status` says how far
/// it has got, as far as the sources tell.
#[Object]
impl Commitment {
    /// Stable global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Commitment, self.0.id)
    }

    /// Stable, URL-friendly key.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The commitment in one line.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What was said, in the source's own words.
    async fn statement(&self) -> &str {
        &self.0.statement
    }

    /// The organisation that said it.
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Organisation> {
        Ok(Organisation(
            loaders::required(ctx, OrganisationById(self.0.organisation_id)).await?,
        ))
    }

    /// When it was said, at the precision the sources give; null when they do not say.
    async fn stated_on(&self) -> Option<PartialDate> {
        self.0.stated_on.clone().map(PartialDate)
    }

    /// How far it has got, as far as the sources tell.
    async fn status(&self) -> CommitmentStatus {
        self.0.status.into()
    }

    /// The exercises it answers.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn exercises(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page forwards: at most this many items from the start (or after `after`)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forwards: items after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page backwards: at most this many items from the end (or before `before`)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Page backwards: items before this cursor.")] before: Option<String>,
    ) -> ApiResult<Page<Exercise>> {
        children::<exercise::Entity, _>(
            ctx,
            loaders::rel::commitment_exercises(),
            self.0.id,
            Exercise,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// The findings it answers (those the caller may see).
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn findings(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page forwards: at most this many items from the start (or after `after`)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forwards: items after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page backwards: at most this many items from the end (or before `before`)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Page backwards: items before this cursor.")] before: Option<String>,
    ) -> ApiResult<Page<Finding>> {
        children::<finding::Entity, _>(
            ctx,
            loaders::rel::commitment_findings(),
            self.0.id,
            Finding,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// Where this commitment is stated: the source document and the exact sentence.
    async fn provenance(&self) -> Provenance {
        Provenance {
            source_document_id: self.0.source_document_id,
            locator: self.0.locator.clone(),
        }
    }

    /// `createdAt`, `updatedAt`, `version` and `externalKey`.
    #[graphql(flatten)]
    async fn stamps(&self) -> Stamps {
        stamps!(self.0)
    }

    /// Where the object is in review. Readers without an editor token only ever see `PUBLISHED`.
    async fn review_status(&self) -> crate::types::ReviewStatus {
        self.0.review_status.into()
    }
}
