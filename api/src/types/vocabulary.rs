//! The controlled vocabularies evidence is tagged with (missions, themes) and the source
//! documents it is taken from.

use super::support::members;
use super::{Exercise, Finding, Mission, MissionCounts, ParticipantView};
use crate::errors::ApiResult;
use crate::ids::{GlobalId, NodeKind};
use crate::loaders;
use crate::pagination::{children, paginate, Page, PageArgs};
use crate::scalars::PartialDate;
use crate::types::support::Stamps;
use async_graphql::{Context, Object, ID};
use entity::{
    exercise, exercise_mission, finding, finding_mission, participant_view, source_document, theme,
    view_mission,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// A UK Government Mission, with the evidence that relates to it.
pub struct GovernmentMission(pub entity::mission::Model);

/// A UK Government Mission ("Missions for Government"), with the exercises, findings and
/// participant views that relate to it.
#[Object]
impl GovernmentMission {
    /// Stable global ID.
    pub async fn id(&self) -> ID {
        let code: Mission = self.0.code.into();
        GlobalId::encode(NodeKind::GovernmentMission, mission_key(code))
    }

    /// The mission's code, as used in filters and tags.
    async fn code(&self) -> Mission {
        self.0.code.into()
    }

    /// Short name, e.g. "Health".
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// What the mission is about.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// How much evidence relates to the mission (exercises, findings, views by stance), for
    /// dashboards: counted in the database, one statement for all the missions asked for.
    #[graphql(complexity = "crate::limits::cost::COUNTS + child_complexity")]
    // (Findings and views come from the read engine when it is ready.)
    async fn counts(&self, ctx: &Context<'_>) -> ApiResult<MissionCounts> {
        use sea_orm::ActiveEnum;
        let code = self.0.code.to_value();
        let engine = ctx.data_opt::<crate::engine::Engine>();
        let published_only = crate::visibility::published_only(ctx);
        let indexed = crate::engine::mission_index(&code).and_then(|m| {
            crate::engine::evidence_counts(
                engine,
                crate::engine::Dim::Mission,
                i32::from(m),
                published_only,
            )
        });
        let key = loaders::MissionTally(code, indexed.is_none());
        let mut tally = loaders::optional(ctx, key).await?.unwrap_or_default();
        if let Some((findings, views)) = indexed {
            tally.replace("finding", [("", findings)]);
            tally.replace("view", views);
        }
        Ok(MissionCounts::new(
            tally,
            crate::suppression::threshold(ctx),
        ))
    }

    /// Engagement exercises that covered this mission.
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
        let select = exercise::Entity::find().filter(exercise::Column::Id.in_subquery(members::<
            exercise_mission::Entity,
        >(
            exercise_mission::Column::ExerciseId,
            exercise_mission::Column::MissionCode,
            self.0.code,
        )));
        Box::pin(paginate(
            ctx,
            select,
            exercise::Column::Id,
            |m| m.id,
            Exercise,
            PageArgs::new(first, after, last, before),
        ))
        .await
    }

    /// Findings tagged with this mission.
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
        let select = finding::Entity::find().filter(finding::Column::Id.in_subquery(members::<
            finding_mission::Entity,
        >(
            finding_mission::Column::FindingId,
            finding_mission::Column::MissionCode,
            self.0.code,
        )));
        let args = PageArgs::new(first, after, last, before);
        if let Some(page) = mission_page::<finding::Entity, _>(
            ctx,
            true,
            self.0.code,
            finding::Column::Id,
            |m| m.id,
            Finding,
            &args,
        )
        .await?
        {
            return Ok(page);
        }
        paginate(ctx, select, finding::Column::Id, |m| m.id, Finding, args).await
    }

    /// Participant views tagged with this mission.
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
        let select = participant_view::Entity::find().filter(
            participant_view::Column::Id.in_subquery(members::<view_mission::Entity>(
                view_mission::Column::ViewId,
                view_mission::Column::MissionCode,
                self.0.code,
            )),
        );
        let args = PageArgs::new(first, after, last, before);
        let id = participant_view::Column::Id;
        if let Some(page) = mission_page::<participant_view::Entity, _>(
            ctx,
            false,
            self.0.code,
            id,
            |m| m.id,
            ParticipantView,
            &args,
        )
        .await?
        {
            return Ok(page);
        }
        paginate(ctx, select, id, |m| m.id, ParticipantView, args).await
    }
}

/// A page of a mission's views (or findings, when `findings`) from the read engine; `None`
/// when it cannot answer (SQL does).
async fn mission_page<E, T>(
    ctx: &Context<'_>,
    findings: bool,
    code: entity::enums::Mission,
    id_column: E::Column,
    id_of: impl Fn(&E::Model) -> i32,
    wrap: impl Fn(E::Model) -> T,
    args: &PageArgs,
) -> ApiResult<Option<Page<T>>>
where
    E: sea_orm::EntityTrait + Send + Sync + 'static,
    E::Model: sea_orm::FromQueryResult + Clone + Send + Sync,
    T: async_graphql::OutputType,
{
    use sea_orm::ActiveEnum;
    let engine = ctx.data_opt::<crate::engine::Engine>();
    let published_only = crate::visibility::published_only(ctx);
    let stored = code.to_value();
    let Some(set) = crate::engine::mission_members(engine, findings, &stored, published_only)
    else {
        return Ok(None);
    };
    crate::pagination::paginate_members::<E, T>(ctx, findings, set, id_column, id_of, wrap, args)
        .await
}

/// The key of a mission's global ID: its code as the schema spells it.
pub fn mission_key(code: Mission) -> &'static str {
    match code {
        Mission::Health => "HEALTH",
        Mission::Education => "EDUCATION",
        Mission::CrimeAndPolicing => "CRIME_AND_POLICING",
        Mission::EnergyAndNetZero => "ENERGY_AND_NET_ZERO",
        Mission::EconomicGrowth => "ECONOMIC_GROWTH",
    }
}

/// A theme of the controlled vocabulary.
pub struct Theme(pub theme::Model);

/// A theme of the controlled vocabulary that findings and views are tagged with (e.g. privacy,
/// trust in developers, admin burden).
#[Object]
impl Theme {
    /// Stable global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Theme, self.0.id)
    }

    /// Stable, URL-friendly key, e.g. `privacy`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// Human-readable name.
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// What the theme covers, so taggers and readers agree.
    async fn definition(&self) -> &str {
        &self.0.definition
    }

    /// Findings tagged with this theme.
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
            loaders::rel::theme_findings(),
            self.0.id,
            Finding,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// Participant views tagged with this theme.
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
            loaders::rel::theme_views(),
            self.0.id,
            ParticipantView,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// `createdAt`, `updatedAt`, `version` and `externalKey`.
    #[graphql(flatten)]
    async fn stamps(&self) -> Stamps {
        stamps!(self.0)
    }
}

/// A source document evidence was taken from.
pub struct SourceDocument(pub source_document::Model);

/// A public document the evidence was curated from (a blog post, a report...). Every finding,
/// view, metric, resource and commitment names one in its provenance.
#[Object]
impl SourceDocument {
    /// Stable global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::SourceDocument, self.0.id)
    }

    /// Stable, URL-friendly key.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The file name of the document in the curated corpus.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// The document's title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Who published the document.
    async fn publisher(&self) -> &str {
        &self.0.publisher
    }

    /// When it was published, at the precision the document gives.
    async fn published_on(&self) -> Option<PartialDate> {
        self.0.published_on.clone().map(PartialDate)
    }

    /// Where the document can be read, when known.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// Findings curated from this document.
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
        let select =
            finding::Entity::find().filter(finding::Column::SourceDocumentId.eq(self.0.id));
        Box::pin(paginate(
            ctx,
            select,
            finding::Column::Id,
            |m| m.id,
            Finding,
            PageArgs::new(first, after, last, before),
        ))
        .await
    }

    /// Participant views curated from this document.
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
        let select = participant_view::Entity::find()
            .filter(participant_view::Column::SourceDocumentId.eq(self.0.id));
        Box::pin(paginate(
            ctx,
            select,
            participant_view::Column::Id,
            |m| m.id,
            ParticipantView,
            PageArgs::new(first, after, last, before),
        ))
        .await
    }

    /// `createdAt`, `updatedAt`, `version` and `externalKey`.
    #[graphql(flatten)]
    async fn stamps(&self) -> Stamps {
        stamps!(self.0)
    }
}
