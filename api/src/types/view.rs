//! Participant views: what participants said, or were reported to say, behind the findings.

use super::support::{members, Provenance};
use super::{Exercise, Finding, Mission, Resource, Session, Stance, Theme};
use crate::errors::ApiResult;
use crate::ids::{GlobalId, NodeKind};
use crate::loaders::{self, FindingById, SessionById, ViewMissions};
use crate::pagination::{paginate, Page, PageArgs};
use crate::types::support::Stamps;
use async_graphql::{Context, Object, ID};
use entity::{participant_view, resource, resource_exercise, resource_finding};
use sea_orm::{sea_query::Condition, ColumnTrait, EntityTrait, QueryFilter};

/// A participant view.
pub struct ParticipantView(pub participant_view::Model);

/// What participants said, or were reported to say. Views are anonymous by construction: there is
/// no field for a person's name or contact details.
#[Object]
impl ParticipantView {
    /// Stable global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::ParticipantView, self.0.id)
    }

    /// Stable, URL-friendly key.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The view: a verbatim quote when `verbatim` is true, else the source's paraphrase.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// True when `text` is the participant's own words as quoted by the source; false when it is
    /// the source's paraphrase of what participants said.
    async fn verbatim(&self) -> bool {
        self.0.is_verbatim
    }

    /// The stance the view takes.
    async fn stance(&self) -> Stance {
        self.0.stance.into()
    }

    /// The Government Missions the view relates to.
    async fn missions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Mission>> {
        let codes = loaders::optional(ctx, ViewMissions(self.0.id)).await?;
        Ok(codes.into_iter().flatten().map(Mission::from).collect())
    }

    /// The themes the view is tagged with, by label.
    async fn themes(&self, ctx: &Context<'_>) -> ApiResult<Vec<Theme>> {
        let themes = loaders::themes(ctx, false, self.0.id).await?;
        Ok(themes.into_iter().map(Theme).collect())
    }

    /// The finding the view supports, if any.
    async fn finding(&self, ctx: &Context<'_>) -> ApiResult<Option<Finding>> {
        let Some(id) = self.0.finding_id else {
            return Ok(None);
        };
        Ok(loaders::optional(ctx, FindingById(id)).await?.map(Finding))
    }

    /// The exercise in which the view was gathered.
    async fn exercise(&self, ctx: &Context<'_>) -> ApiResult<Exercise> {
        Ok(Exercise(loaders::exercise(ctx, self.0.exercise_id).await?))
    }

    /// The session in which the view was gathered, when the source says.
    async fn session(&self, ctx: &Context<'_>) -> ApiResult<Option<Session>> {
        let Some(id) = self.0.session_id else {
            return Ok(None);
        };
        Ok(loaders::optional(ctx, SessionById(id)).await?.map(Session))
    }

    /// Material that reports the view: the resources linked to its finding or to its exercise.
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
        let mut linked = Condition::any().add(resource::Column::Id.in_subquery(members::<
            resource_exercise::Entity,
        >(
            resource_exercise::Column::ResourceId,
            resource_exercise::Column::ExerciseId,
            self.0.exercise_id,
        )));
        if let Some(finding_id) = self.0.finding_id {
            linked = linked.add(resource::Column::Id.in_subquery(members::<
                resource_finding::Entity,
            >(
                resource_finding::Column::ResourceId,
                resource_finding::Column::FindingId,
                finding_id,
            )));
        }
        let select = resource::Entity::find().filter(linked);
        // Boxed, as the paging functions box their own state: this field's future sizes every
        // other field's of the type (see `pagination`).
        Box::pin(paginate(
            ctx,
            select,
            resource::Column::Id,
            |m| m.id,
            Resource,
            PageArgs::new(first, after, last, before),
        ))
        .await
    }

    /// Where this view comes from.
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
