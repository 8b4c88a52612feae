//! Root fields for the evidence itself: findings, participant views, metrics, resources and
//! commitments ("what happened next").

// Each GraphQL argument is a Rust argument: a list field takes the four paging arguments plus
// its filter and order.
#![allow(clippy::too_many_arguments)]

use crate::engine::{Engine, Index, Indexes, Selected};
use crate::errors::ApiResult;
use crate::filters::{select_findings, select_views};
use crate::filters::{CommitmentFilter, MetricFilter, ResourceFilter};
use crate::filters::{FindingFilter, ViewFilter};
use crate::ids::NodeKind;
use crate::pagination::{
    paginate, paginate_indexed, paginate_ordered, ListOrder, Order, Page, PageArgs, SortKeys,
};
use crate::types::{
    evidence_map, fetch_one, finding_map, Commitment, EvidenceDimension, EvidenceMap, Finding,
    FindingDimension, FindingMap, Lookup, LookupInput, Metric, ParticipantView, Resource,
};
use crate::visibility::published_only;
use async_graphql::{Context, Object};
use entity::{commitment, finding, metric, participant_view, resource};
use sea_orm::{DatabaseConnection, EntityTrait, QueryFilter};
use std::sync::Arc;

#[derive(Default)]
pub struct EvidenceQuery;

/// How a list reads a row's id and wraps the row as its GraphQL type.
type IdAndWrap<E, T> = (
    fn(&<E as EntityTrait>::Model) -> i32,
    fn(<E as EntityTrait>::Model) -> T,
);

/// A page of the rows `set` selects, read off the engine's index (`table` picks it from the
/// two); `None` when the engine has no selection or cannot answer, and SQL answers instead.
async fn indexed<E, T>(
    ctx: &Context<'_>,
    set: Option<Arc<Selected>>,
    table: fn(&Indexes) -> &Index,
    order: &Order<E>,
    (id_of, wrap): IdAndWrap<E, T>,
    args: &PageArgs,
) -> ApiResult<Option<Page<T>>>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: sea_orm::FromQueryResult + Clone + Send + Sync,
    T: async_graphql::OutputType,
{
    let Some(set) = set else {
        return Ok(None);
    };
    let engine = ctx.data_opt::<Engine>();
    paginate_indexed(ctx, order, id_of, wrap, args, set.len(), false, |w| {
        engine?
            .read(|index| {
                table(index).walk(&set, w.walk, w.descending, w.backwards, w.start, w.limit)
            })
            .flatten()
    })
    .await
}

/// How the list of findings is ordered.
fn finding_order(list: ListOrder) -> Order<finding::Entity> {
    Order {
        list,
        id: finding::Column::Id,
        updated_at: Some((finding::Column::UpdatedAt, |m: &finding::Model| {
            m.updated_at
        })),
        sort: SortKeys {
            title: Some("title"),
            date: Some("exercise_start_date"),
        },
    }
}

/// How the list of participant views is ordered.
fn view_order(list: ListOrder) -> Order<participant_view::Entity> {
    Order {
        list,
        id: participant_view::Column::Id,
        updated_at: Some((
            participant_view::Column::UpdatedAt,
            |m: &participant_view::Model| m.updated_at,
        )),
        sort: SortKeys {
            title: None,
            date: Some("exercise_start_date"),
        },
    }
}

#[Object]
impl EvidenceQuery {
    /// One finding, by global ID or by slug (give exactly one).
    async fn finding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which finding: `{id: ...}` or `{slug: ...}`.")] by: LookupInput,
    ) -> ApiResult<Option<Finding>> {
        let lookup = Lookup::from_input(NodeKind::Finding, by)?;
        let model = fetch_one::<finding::Entity>(
            ctx,
            NodeKind::Finding,
            lookup,
            finding::Column::Id,
            finding::Column::Slug,
        )
        .await?;
        Ok(Some(Finding(model)))
    }

    /// All findings of all exercises.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn findings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order to read the list in (default: OLDEST_FIRST).")] order: Option<
            ListOrder,
        >,
        #[graphql(desc = "Only findings that match every condition given.")] filter: Option<
            FindingFilter,
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
    ) -> ApiResult<Page<Finding>> {
        let filter = filter.unwrap_or_default();
        let order = finding_order(order.unwrap_or_default());
        let args = PageArgs::new(first, after, last, before);
        let engine = ctx.data_opt::<Engine>();
        let set = select_findings(engine, &filter, published_only(ctx))?;
        if let Some(page) = indexed(
            ctx,
            set,
            |i| &i.findings,
            &order,
            (|m| m.id, Finding),
            &args,
        )
        .await?
        {
            return Ok(page);
        }
        paginate_ordered(
            ctx,
            finding::Entity::find().filter(
                filter
                    .condition(crate::errors::data::<DatabaseConnection>(ctx)?)
                    .await?,
            ),
            order,
            |m| m.id,
            Finding,
            args,
        )
        .await
    }

    /// One participant view, by global ID or by slug (give exactly one).
    async fn participant_view(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which participant view: `{id: ...}` or `{slug: ...}`.")] by: LookupInput,
    ) -> ApiResult<Option<ParticipantView>> {
        let lookup = Lookup::from_input(NodeKind::ParticipantView, by)?;
        let model = fetch_one::<participant_view::Entity>(
            ctx,
            NodeKind::ParticipantView,
            lookup,
            participant_view::Column::Id,
            participant_view::Column::Slug,
        )
        .await?;
        Ok(Some(ParticipantView(model)))
    }

    /// All participant views.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn participant_views(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order to read the list in (default: OLDEST_FIRST).")] order: Option<
            ListOrder,
        >,
        #[graphql(desc = "Only views that match every condition given.")] filter: Option<
            ViewFilter,
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
    ) -> ApiResult<Page<ParticipantView>> {
        let filter = filter.unwrap_or_default();
        let order = view_order(order.unwrap_or_default());
        let args = PageArgs::new(first, after, last, before);
        let engine = ctx.data_opt::<Engine>();
        let set = select_views(engine, &filter, published_only(ctx))?;
        if let Some(page) = indexed(
            ctx,
            set,
            |i| &i.views,
            &order,
            (|m| m.id, ParticipantView),
            &args,
        )
        .await?
        {
            return Ok(page);
        }
        paginate_ordered(
            ctx,
            participant_view::Entity::find().filter(
                filter
                    .condition(crate::errors::data::<DatabaseConnection>(ctx)?)
                    .await?,
            ),
            order,
            |m| m.id,
            ParticipantView,
            args,
        )
        .await
    }

    /// The evidence map for charts: counts of participant views for every pair of `rows` x
    /// `columns` values (e.g. Mission x Theme), split by stance, under an optional filter. Empty
    /// cells are included; each cell's `views` lists the views behind it.
    #[graphql(complexity = "crate::limits::cost::MAP + child_complexity")]
    async fn evidence_map(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the rows are.")] rows: EvidenceDimension,
        #[graphql(desc = "What the columns are (a different dimension from `rows`).")]
        columns: EvidenceDimension,
        #[graphql(desc = "Only count views that match every condition given.")] filter: Option<
            ViewFilter,
        >,
    ) -> ApiResult<EvidenceMap> {
        evidence_map(ctx, rows, columns, filter.unwrap_or_default()).await
    }

    /// The finding map for charts: counts of findings for every pair of `rows` x `columns`
    /// values (e.g. Mission x Theme, or Exercise x Kind) under an optional filter. Empty cells
    /// are included; each cell's `findings` lists the findings behind it. (`evidenceMap` is the
    /// same for participant views.)
    #[graphql(complexity = "crate::limits::cost::MAP + child_complexity")]
    async fn finding_map(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the rows are.")] rows: FindingDimension,
        #[graphql(desc = "What the columns are (a different dimension from `rows`).")]
        columns: FindingDimension,
        #[graphql(desc = "Only count findings that match every condition given.")] filter: Option<
            FindingFilter,
        >,
    ) -> ApiResult<FindingMap> {
        finding_map(ctx, rows, columns, filter.unwrap_or_default()).await
    }

    /// One reported figure, by global ID or by slug (give exactly one).
    async fn metric(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which metric: `{id: ...}` or `{slug: ...}`.")] by: LookupInput,
    ) -> ApiResult<Option<Metric>> {
        let lookup = Lookup::from_input(NodeKind::Metric, by)?;
        let model = fetch_one::<metric::Entity>(
            ctx,
            NodeKind::Metric,
            lookup,
            metric::Column::Id,
            metric::Column::Slug,
        )
        .await?;
        Ok(Some(Metric(model)))
    }

    /// All reported figures.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn metrics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only figures that match every condition given.")] filter: Option<
            MetricFilter,
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
    ) -> ApiResult<Page<Metric>> {
        paginate(
            ctx,
            metric::Entity::find().filter(filter.unwrap_or_default().condition()?),
            metric::Column::Id,
            |m| m.id,
            Metric,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// One linked resource, by global ID or by slug (give exactly one).
    async fn resource(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which resource: `{id: ...}` or `{slug: ...}`.")] by: LookupInput,
    ) -> ApiResult<Option<Resource>> {
        let lookup = Lookup::from_input(NodeKind::Resource, by)?;
        let model = fetch_one::<resource::Entity>(
            ctx,
            NodeKind::Resource,
            lookup,
            resource::Column::Id,
            resource::Column::Slug,
        )
        .await?;
        Ok(Some(Resource(model)))
    }

    /// All linked resources.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn resources(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order to read the list in (default: OLDEST_FIRST).")] order: Option<
            ListOrder,
        >,
        #[graphql(desc = "Only resources that match every condition given.")] filter: Option<
            ResourceFilter,
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
    ) -> ApiResult<Page<Resource>> {
        paginate_ordered(
            ctx,
            resource::Entity::find().filter(filter.unwrap_or_default().condition()?),
            Order {
                list: order.unwrap_or_default(),
                id: resource::Column::Id,
                updated_at: Some((resource::Column::UpdatedAt, |m: &resource::Model| {
                    m.updated_at
                })),
                sort: SortKeys {
                    title: Some("title"),
                    date: Some("published_on"),
                },
            },
            |m| m.id,
            Resource,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// One stated response or commitment, by global ID or by slug (give exactly one).
    async fn commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which commitment: `{id: ...}` or `{slug: ...}`.")] by: LookupInput,
    ) -> ApiResult<Option<Commitment>> {
        let lookup = Lookup::from_input(NodeKind::Commitment, by)?;
        let model = fetch_one::<commitment::Entity>(
            ctx,
            NodeKind::Commitment,
            lookup,
            commitment::Column::Id,
            commitment::Column::Slug,
        )
        .await?;
        Ok(Some(Commitment(model)))
    }

    /// All stated responses and commitments ("what happened next").
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn commitments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order to read the list in (default: OLDEST_FIRST).")] order: Option<
            ListOrder,
        >,
        #[graphql(desc = "Only commitments that match every condition given.")] filter: Option<
            CommitmentFilter,
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
    ) -> ApiResult<Page<Commitment>> {
        paginate_ordered(
            ctx,
            commitment::Entity::find().filter(filter.unwrap_or_default().condition()?),
            Order {
                list: order.unwrap_or_default(),
                id: commitment::Column::Id,
                updated_at: Some((commitment::Column::UpdatedAt, |m: &commitment::Model| {
                    m.updated_at
                })),
                sort: SortKeys {
                    title: Some("title"),
                    date: Some("stated_on"),
                },
            },
            |m| m.id,
            Commitment,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
}
