//! Findings: an exercise's key messages and conclusions.

use super::support::Provenance;
use super::{Commitment, Exercise, FindingKind, Mission, ParticipantView, Resource, Theme};
use crate::errors::ApiResult;
use crate::ids::{GlobalId, NodeKind};
use crate::loaders::{self, FindingMissions};
use crate::pagination::{children, Page, PageArgs};
use crate::types::support::Stamps;
use async_graphql::{Context, Object, ID};
use entity::{commitment, finding, participant_view, resource};

/// A finding of an exercise.
pub struct Finding(pub finding::Model);

/// A key message or conclusion of an exercise (e.g. "AI should be a co-pilot, not a
/// replacement"), tagged with missions and themes, with the participant views behind it.
#[Object]
impl Finding {
    /// Stable global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Finding, self.0.id)
    }

    /// Stable, URL-friendly key.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The finding in one line.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The finding explained.
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// What kind of statement it is.
    async fn kind(&self) -> FindingKind {
        self.0.kind.into()
    }

    /// Its place in the exercise's list of findings (1 = first).
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// The exercise that reached the finding.
    async fn exercise(&self, ctx: &Context<'_>) -> ApiResult<Exercise> {
        Ok(Exercise(loaders::exercise(ctx, self.0.exercise_id).await?))
    }

    /// The Government Missions the finding relates to.
    async fn missions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Mission>> {
        let codes = loaders::optional(ctx, FindingMissions(self.0.id)).await?;
        Ok(codes.into_iter().flatten().map(Mission::from).collect())
    }

    /// The themes the finding is tagged with, by label.
    async fn themes(&self, ctx: &Context<'_>) -> ApiResult<Vec<Theme>> {
        let themes = loaders::themes(ctx, true, self.0.id).await?;
        Ok(themes.into_iter().map(Theme).collect())
    }

    /// The participant views that support the finding.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn views(
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
    ) -> ApiResult<Page<ParticipantView>> {
        children::<participant_view::Entity, _>(
            ctx,
            loaders::rel::finding_views(),
            self.0.id,
            ParticipantView,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// Reports and other material that set out the finding.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn resources(
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
    ) -> ApiResult<Page<Resource>> {
        children::<resource::Entity, _>(
            ctx,
            loaders::rel::finding_resources(),
            self.0.id,
            Resource,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// What the organisers said they would do, or did, in answer to this finding ("what happened
    /// next").
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn commitments(
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
    ) -> ApiResult<Page<Commitment>> {
        children::<commitment::Entity, _>(
            ctx,
            loaders::rel::finding_commitments(),
            self.0.id,
            Commitment,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// Where this finding comes from.
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
