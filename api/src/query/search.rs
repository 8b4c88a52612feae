//! Root field for full-text search.

use crate::errors::ApiResult;
use crate::pagination::Page;
use crate::types::{search, SearchHit, SearchKind};
use async_graphql::{Context, Object};

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Searches findings, participant views, exercises and resources for all the words given
    /// (English stemming: "concerns" finds "concern"), best match first, each hit with a
    /// highlighted snippet. Pages forwards only, with `first` and `after`.
    #[graphql(complexity = "crate::pagination::cost(first, None, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The words to look for, e.g. `co-pilot` or `personal data`.")]
        query: String,
        #[graphql(desc = "Only these kinds of object (default: all).")] kinds: Option<
            Vec<SearchKind>,
        >,
        #[graphql(desc = "At most this many hits.")] first: Option<i32>,
        #[graphql(desc = "Hits after this cursor.")] after: Option<String>,
    ) -> ApiResult<Page<SearchHit>> {
        search(ctx, &query, kinds, first, after).await
    }
}
