//! Root field for full-text search.

// Each GraphQL argument is a Rust argument: the query, its kinds, two filters and the four paging arguments.
#![allow(clippy::too_many_arguments)]

use crate::errors::ApiResult;
use crate::filters::{FindingFilter, ViewFilter};
use crate::pagination::{Page, PageArgs};
use crate::types::{search, SearchFilters, SearchHit, SearchKind};
use async_graphql::{Context, Object};

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Searches findings, participant views, exercises and resources for all the words given
    /// (English stemming: "concerns" finds "concern"), best match first, each hit with a
    /// highlighted snippet. Pages forwards (`first`, `after`) and backwards (`last`, `before`)
    /// like every connection. `views` and `findings` narrow the hits of their kind with the
    /// filters of the `participantViews` and `findings` lists (`totalCount` counts what is left).
    #[graphql(
        complexity = "crate::limits::cost::SEARCH + crate::pagination::cost(first, last, child_complexity)"
    )]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The words to look for, e.g. `co-pilot` or `personal data`.")]
        query: String,
        #[graphql(desc = "Only these kinds of object (default: all).")] kinds: Option<
            Vec<SearchKind>,
        >,
        #[graphql(
            desc = "Only participant views that match every condition given, as in `participantViews(filter:)`. Narrows the view hits only: add `kinds: [PARTICIPANT_VIEW]` for views alone."
        )]
        views: Option<ViewFilter>,
        #[graphql(
            desc = "Only findings that match every condition given, as in `findings(filter:)`. Narrows the finding hits only: add `kinds: [FINDING]` for findings alone."
        )]
        findings: Option<FindingFilter>,
        #[graphql(
            desc = "Page forwards: at most this many hits from the best (or after `after`)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forwards: hits after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page backwards: at most this many hits from the weakest (or before `before`)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Page backwards: hits before this cursor.")] before: Option<String>,
    ) -> ApiResult<Page<SearchHit>> {
        search(
            ctx,
            &query,
            kinds,
            SearchFilters { views, findings },
            PageArgs::new(first, after, last, before),
        )
        .await
    }
}
