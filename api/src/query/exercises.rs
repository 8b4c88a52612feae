//! Root fields for engagement exercises and their sessions.

// Each GraphQL argument is a Rust argument: a list field takes the four paging arguments plus
// its filter and order.
#![allow(clippy::too_many_arguments)]

use crate::errors::ApiResult;
use crate::filters::ExerciseFilter;
use crate::ids::NodeKind;
use crate::pagination::{paginate, paginate_ordered, ListOrder, Order, Page, PageArgs, SortKeys};
use crate::types::{fetch_one, Exercise, Lookup, LookupInput, Session};
use async_graphql::{Context, Object};
use entity::{exercise, session};
use sea_orm::EntityTrait;
use sea_orm::QueryFilter;

#[derive(Default)]
pub struct ExerciseQuery;

#[Object]
impl ExerciseQuery {
    /// One engagement exercise, by global ID or by slug (give exactly one).
    async fn exercise(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which exercise: `{id: ...}` or `{slug: ...}`.")] by: LookupInput,
    ) -> ApiResult<Option<Exercise>> {
        let lookup = Lookup::from_input(NodeKind::Exercise, by)?;
        let model = fetch_one::<exercise::Entity>(
            ctx,
            NodeKind::Exercise,
            lookup,
            exercise::Column::Id,
            exercise::Column::Slug,
        )
        .await?;
        Ok(Some(Exercise(model)))
    }

    /// All engagement exercises.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn exercises(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order to read the list in (default: OLDEST_FIRST).")] order: Option<
            ListOrder,
        >,
        #[graphql(desc = "Only exercises that match every condition given.")] filter: Option<
            ExerciseFilter,
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
    ) -> ApiResult<Page<Exercise>> {
        paginate_ordered(
            ctx,
            exercise::Entity::find().filter(filter.unwrap_or_default().condition()?),
            Order {
                list: order.unwrap_or_default(),
                id: exercise::Column::Id,
                updated_at: Some((exercise::Column::UpdatedAt, |m: &exercise::Model| {
                    m.updated_at
                })),
                sort: SortKeys {
                    title: Some("title"),
                    date: Some("start_date"),
                },
            },
            |m| m.id,
            Exercise,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// One session, by global ID or by slug (give exactly one).
    async fn session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which session: `{id: ...}` or `{slug: ...}`.")] by: LookupInput,
    ) -> ApiResult<Option<Session>> {
        let lookup = Lookup::from_input(NodeKind::Session, by)?;
        let model = fetch_one::<session::Entity>(
            ctx,
            NodeKind::Session,
            lookup,
            session::Column::Id,
            session::Column::Slug,
        )
        .await?;
        Ok(Some(Session(model)))
    }

    /// All sessions of all exercises.
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
        paginate(
            ctx,
            session::Entity::find(),
            session::Column::Id,
            |m| m.id,
            Session,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
}
