//! What full-text search answers: hits, each with the object found, its relevance and a
//! highlighted snippet (the search itself is in `query/search.rs`).

use super::{Exercise, Finding, ParticipantView, Resource};
use crate::errors::{ApiError, ApiResult};
use crate::loaders::{self, FindingById, ResourceById, ViewById};
use async_graphql::{Context, Enum, Object, Union};

/// What kinds of object search looks through.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum SearchKind {
    /// Findings (title and summary).
    Finding,
    /// Participant views (their text).
    ParticipantView,
    /// Engagement exercises (title, summary and method).
    Exercise,
    /// Resources (title).
    Resource,
}

impl SearchKind {
    /// The kind's code in a search document id (`row id * 4 + code`), as the migration sets it.
    pub(crate) fn code(self) -> i64 {
        match self {
            SearchKind::Finding => 0,
            SearchKind::ParticipantView => 1,
            SearchKind::Exercise => 2,
            SearchKind::Resource => 3,
        }
    }
}

/// An object search found.
#[derive(Union)]
pub enum SearchResult {
    Finding(Finding),
    ParticipantView(ParticipantView),
    Exercise(Exercise),
    Resource(Resource),
}

/// One search hit.
pub struct SearchHit {
    /// The search document: the row's id times 4 plus its kind's code.
    pub(crate) doc_id: i64,
    pub(crate) score: f64,
    pub(crate) snippet: String,
}

/// One object that matched a search, with its relevance and a highlighted snippet.
#[Object]
impl SearchHit {
    /// The object found.
    async fn node(&self, ctx: &Context<'_>) -> ApiResult<SearchResult> {
        let id = i32::try_from(self.doc_id / 4).map_err(|_| ApiError::Internal)?;
        Ok(match self.doc_id % 4 {
            0 => SearchResult::Finding(Finding(loaders::required(ctx, FindingById(id)).await?)),
            1 => SearchResult::ParticipantView(ParticipantView(
                loaders::required(ctx, ViewById(id)).await?,
            )),
            2 => SearchResult::Exercise(Exercise(loaders::exercise(ctx, id).await?)),
            _ => SearchResult::Resource(Resource(loaders::required(ctx, ResourceById(id)).await?)),
        })
    }

    /// Relevance: higher is better. Comparable within one search only.
    async fn score(&self) -> f64 {
        self.score
    }

    /// A short passage of the matching text with the matched words wrapped in `<mark>` and
    /// `</mark>`. The rest is the stored text as is: escape it before inserting it as HTML.
    async fn snippet(&self) -> &str {
        &self.snippet
    }
}
