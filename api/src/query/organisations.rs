//! Root fields for organisations.

use crate::errors::ApiResult;
use crate::filters::OrganisationFilter;
use crate::ids::NodeKind;
use crate::pagination::{paginate, Page, PageArgs};
use crate::types::{fetch_one, Lookup, LookupInput, Organisation};
use async_graphql::{Context, Object};
use entity::organisation;
use sea_orm::EntityTrait;
use sea_orm::QueryFilter;

#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// One organisation, by global ID or by slug (give exactly one).
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which organisation: `{id: ...}` or `{slug: ...}`.")] by: LookupInput,
    ) -> ApiResult<Option<Organisation>> {
        let lookup = Lookup::from_input(NodeKind::Organisation, by)?;
        let model = fetch_one::<organisation::Entity>(
            ctx,
            NodeKind::Organisation,
            lookup,
            organisation::Column::Id,
            organisation::Column::Slug,
        )
        .await?;
        Ok(Some(Organisation(model)))
    }

    /// All organisations.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only organisations that match every condition given.")] filter: Option<
            OrganisationFilter,
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
        paginate(
            ctx,
            organisation::Entity::find().filter(filter.unwrap_or_default().condition()?),
            organisation::Column::Id,
            |m| m.id,
            Organisation,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
}
