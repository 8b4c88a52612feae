//! The root `Query` type, merged from one part per domain.

mod curation;
mod evidence;
mod exercises;
mod node;
mod organisations;
mod search;
mod vocabulary;

use async_graphql::MergedObject;

pub use curation::visible_change;

/// The read API: every object by ID (and slug), every list as a Relay connection.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    node::NodeQuery,
    curation::CurationQuery,
    exercises::ExerciseQuery,
    evidence::EvidenceQuery,
    organisations::OrganisationQuery,
    search::SearchQuery,
    vocabulary::VocabularyQuery,
);
