//! Engagement exercises (public dialogues, communities of practice, surveys...) and their sessions.

use super::support::{conn, Provenance};
use super::{
    Commitment, ExerciseCounts, ExerciseKind, ExerciseStatus, Finding, Involvement, Metric,
    Mission, Organisation, OrganisationRole, ParticipantView, Resource, SessionFormat,
};
use crate::errors::{db, ApiResult};
use crate::ids::{GlobalId, NodeKind};
use crate::loaders::{self, ExerciseById, ExerciseMissions};
use crate::pagination::{children, paginate, Page, PageArgs};
use crate::scalars::PartialDate;
use crate::types::support::Stamps;
use async_graphql::{Context, Object, ID};
use entity::{
    commitment, exercise, exercise_organisation, finding, metric, organisation, participant_view,
    resource, session,
};
use sea_orm::{sea_query::Query, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// An engagement exercise.
pub struct Exercise(pub exercise::Model);

/// An engagement exercise that gathered public views: a public dialogue, a community of practice,
/// a survey, or a programme that holds several of them.
#[Object]
impl Exercise {
    /// Stable global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Exercise, self.0.id)
    }

    /// Stable, URL-friendly key, e.g. `ai-cam-public-dialogues-2024`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The exercise's name.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What kind of exercise it is.
    async fn kind(&self) -> ExerciseKind {
        self.0.kind.into()
    }

    /// How it was run (e.g. "deliberative dialogue sessions", "online survey"), when known.
    async fn method(&self) -> Option<&str> {
        self.0.method.as_deref()
    }

    /// A short account of the exercise.
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// When it started, at the precision the source gives.
    async fn start_date(&self) -> Option<PartialDate> {
        self.0.start_date.clone().map(PartialDate)
    }

    /// When it ended, at the precision the source gives.
    async fn end_date(&self) -> Option<PartialDate> {
        self.0.end_date.clone().map(PartialDate)
    }

    /// The places it was held (towns or cities); empty when online or not stated.
    async fn places(&self) -> Vec<String> {
        match &self.0.places {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// How many people took part (or responded), when the source says.
    async fn participant_count(&self) -> Option<i32> {
        self.0.participant_count
    }

    /// How many sessions or meetings were held, when the source says. May exceed the sessions
    /// listed under `sessions`, which holds only those the sources describe.
    async fn session_count(&self) -> Option<i32> {
        self.0.session_count
    }

    /// Where the exercise stands.
    async fn status(&self) -> ExerciseStatus {
        self.0.status.into()
    }

    /// The programme or exercise this one was part of.
    async fn part_of(&self, ctx: &Context<'_>) -> ApiResult<Option<Exercise>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(loaders::optional(ctx, ExerciseById(parent))
            .await?
            .map(Exercise))
    }

    /// Exercises that were part of this one.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn parts(
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
            loaders::rel::exercise_parts(),
            self.0.id,
            Exercise,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// The Government Missions the exercise covered.
    async fn missions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Mission>> {
        let codes = loaders::optional(ctx, ExerciseMissions(self.0.id)).await?;
        Ok(codes.into_iter().flatten().map(Mission::from).collect())
    }

    /// The organisations involved and the part each played.
    async fn involvements(&self, ctx: &Context<'_>) -> ApiResult<Vec<Involvement>> {
        let rows = db(Box::pin(
            exercise_organisation::Entity::find()
                .filter(exercise_organisation::Column::ExerciseId.eq(self.0.id))
                .order_by_asc(exercise_organisation::Column::OrganisationId)
                .all(conn(ctx)?),
        )
        .await)?;
        Ok(rows.into_iter().map(Involvement).collect())
    }

    /// The organisations involved, optionally only those in one role.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only organisations that played this role.")] role: Option<
            OrganisationRole,
        >,
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
    ) -> ApiResult<Page<Organisation>> {
        let mut sub = Query::select()
            .column(exercise_organisation::Column::OrganisationId)
            .from(exercise_organisation::Entity)
            .and_where(exercise_organisation::Column::ExerciseId.eq(self.0.id))
            .to_owned();
        if let Some(role) = role {
            sub.and_where(
                exercise_organisation::Column::Role.eq(entity::enums::OrganisationRole::from(role)),
            );
        }
        let select = organisation::Entity::find().filter(organisation::Column::Id.in_subquery(sub));
        Box::pin(paginate(
            ctx,
            select,
            organisation::Column::Id,
            |m| m.id,
            Organisation,
            PageArgs::new(first, after, last, before),
        ))
        .await
    }

    /// The sessions (meetings) of the exercise that the sources describe.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn sessions(
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
    ) -> ApiResult<Page<Session>> {
        children::<session::Entity, _>(
            ctx,
            loaders::rel::exercise_sessions(),
            self.0.id,
            Session,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// The exercise's findings: its key messages and conclusions.
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
            loaders::rel::exercise_findings(),
            self.0.id,
            Finding,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// What participants said or were reported to say in this exercise.
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
            loaders::rel::exercise_views(),
            self.0.id,
            ParticipantView,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// Figures the exercise reported.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn metrics(
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
    ) -> ApiResult<Page<Metric>> {
        children::<metric::Entity, _>(
            ctx,
            loaders::rel::exercise_metrics(),
            self.0.id,
            Metric,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// Reports, posts, notes and videos about the exercise.
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
            loaders::rel::exercise_resources(),
            self.0.id,
            Resource,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// What the organisers said they would do, or did, in answer to this exercise ("what
    /// happened next").
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
            loaders::rel::exercise_commitments(),
            self.0.id,
            Commitment,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// How much evidence the exercise holds (findings, views by stance, resources, metrics,
    /// sessions), for dashboards: counted in the database, one statement for a whole page.
    #[graphql(complexity = "crate::limits::cost::COUNTS + child_complexity")]
    // (Findings and views come from the read engine when it is ready.)
    async fn counts(&self, ctx: &Context<'_>) -> ApiResult<ExerciseCounts> {
        let engine = ctx.data_opt::<crate::engine::Engine>();
        let published_only = crate::visibility::published_only(ctx);
        let indexed = crate::engine::evidence_counts(
            engine,
            crate::engine::Dim::Exercise,
            self.0.id,
            published_only,
        );
        let key = loaders::ExerciseTally(self.0.id, indexed.is_none());
        let mut tally = loaders::optional(ctx, key).await?.unwrap_or_default();
        if let Some((findings, views)) = indexed {
            tally.replace("finding", [("", findings)]);
            tally.replace("view", views);
        }
        Ok(ExerciseCounts::new(
            tally,
            crate::suppression::threshold(ctx),
        ))
    }

    /// Where this record comes from.
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
}

/// One meeting of an exercise.
pub struct Session(pub session::Model);

/// One meeting of an exercise: a dialogue session in a city, a community-of-practice meeting.
#[Object]
impl Session {
    /// Stable global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Session, self.0.id)
    }

    /// Stable, URL-friendly key.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// A short name for the session.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The session's number in its exercise's series, when known.
    async fn sequence(&self) -> Option<i32> {
        self.0.sequence
    }

    /// When it was held, at the precision the source gives.
    async fn date(&self) -> Option<PartialDate> {
        self.0.date.clone().map(PartialDate)
    }

    /// Where it was held (a town or city), when known.
    async fn place(&self) -> Option<&str> {
        self.0.place.as_deref()
    }

    /// In person, online or hybrid, when known.
    async fn format(&self) -> Option<SessionFormat> {
        self.0.format.map(Into::into)
    }

    /// The exercise the session belongs to.
    async fn exercise(&self, ctx: &Context<'_>) -> ApiResult<Exercise> {
        Ok(Exercise(loaders::exercise(ctx, self.0.exercise_id).await?))
    }

    /// Views attributed to this session.
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
            loaders::rel::session_views(),
            self.0.id,
            ParticipantView,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// Where this record comes from.
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
}
