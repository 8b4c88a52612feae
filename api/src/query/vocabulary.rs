//! Root fields for the vocabularies (missions, themes) and the source documents.

use crate::errors::{db, ApiError, ApiResult};
use crate::ids::NodeKind;
use crate::pagination::{paginate, Page, PageArgs};
use crate::types::{
    fetch_one, GovernmentMission, Lookup, LookupInput, Mission, SourceDocument, Theme,
};
use async_graphql::{Context, Object};
use entity::{mission, source_document, theme};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

#[derive(Default)]
pub struct VocabularyQuery;

#[Object]
impl VocabularyQuery {
    /// The UK Government Missions, in their usual order.
    async fn missions(&self, ctx: &Context<'_>) -> ApiResult<Vec<GovernmentMission>> {
        let rows = db(mission::Entity::find()
            .order_by_asc(mission::Column::Position)
            .all(crate::errors::data::<DatabaseConnection>(ctx)?)
            .await)?;
        Ok(rows.into_iter().map(GovernmentMission).collect())
    }

    /// One UK Government Mission, with the evidence that relates to it.
    async fn mission(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The mission's code.")] code: Mission,
    ) -> ApiResult<Option<GovernmentMission>> {
        let row = db(
            mission::Entity::find_by_id(entity::enums::Mission::from(code))
                .one(crate::errors::data::<DatabaseConnection>(ctx)?)
                .await,
        )?;
        match row {
            Some(m) => Ok(Some(GovernmentMission(m))),
            None => Err(ApiError::not_found("No GovernmentMission with this code")),
        }
    }

    /// One theme, by global ID or by slug (give exactly one).
    async fn theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which theme: `{id: ...}` or `{slug: ...}`.")] by: LookupInput,
    ) -> ApiResult<Option<Theme>> {
        let lookup = Lookup::from_input(NodeKind::Theme, by)?;
        let model = fetch_one::<theme::Entity>(
            ctx,
            NodeKind::Theme,
            lookup,
            theme::Column::Id,
            theme::Column::Slug,
        )
        .await?;
        Ok(Some(Theme(model)))
    }

    /// The theme vocabulary.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn themes(
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
    ) -> ApiResult<Page<Theme>> {
        paginate(
            ctx,
            theme::Entity::find(),
            theme::Column::Id,
            |m| m.id,
            Theme,
            PageArgs::new(first, after, last, before),
        )
        .await
    }

    /// One source document, by global ID or by slug (give exactly one).
    async fn source_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which source document: `{id: ...}` or `{slug: ...}`.")] by: LookupInput,
    ) -> ApiResult<Option<SourceDocument>> {
        let lookup = Lookup::from_input(NodeKind::SourceDocument, by)?;
        let model = fetch_one::<source_document::Entity>(
            ctx,
            NodeKind::SourceDocument,
            lookup,
            source_document::Column::Id,
            source_document::Column::Slug,
        )
        .await?;
        Ok(Some(SourceDocument(model)))
    }

    /// The documents the corpus was curated from.
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn source_documents(
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
    ) -> ApiResult<Page<SourceDocument>> {
        paginate(
            ctx,
            source_document::Entity::find(),
            source_document::Column::Id,
            |m| m.id,
            SourceDocument,
            PageArgs::new(first, after, last, before),
        )
        .await
    }
}
