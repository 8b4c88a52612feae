//! The root `Query` type, merged from one part per domain.

pub mod citation;
mod curation;
mod evidence;
pub mod evidence_state;
mod exercises;
mod node;
mod organisations;
mod search;
mod vocabulary;

use async_graphql::MergedObject;

/// The read API: every object by ID (and slug), every list as a Relay connection.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    node::NodeQuery,
    citation::CitationQuery,
    curation::CurationQuery,
    exercises::ExerciseQuery,
    evidence::EvidenceQuery,
    evidence_state::EvidenceStateQuery,
    organisations::OrganisationQuery,
    search::SearchQuery,
    vocabulary::VocabularyQuery,
    crate::ratelimit::RateLimitQuery,
);
