//! Resources in a bundle, with the exercises they report on and the findings they state.

use crate::curation::{
    exercises::Exercises, findings::Findings, organisations::Organisations, resources,
    resources::ResourceFields, resources::Resources, source_documents::SourceDocuments,
};
use entity::enums::ResourceKind;
use serde::{Deserialize, Serialize};

/// A resource row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRow {
    pub slug: String,
    pub title: String,
    pub kind: ResourceKind,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub publisher: Option<String>,
    #[serde(default)]
    pub published_on: Option<String>,
    #[serde(default)]
    pub exercises: Vec<String>,
    #[serde(default)]
    pub findings: Vec<String>,
    pub source: String,
    pub locator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

codec! {
    Resources: "resource", ResourceRow => ResourceFields {
        same { slug, title, kind, url, published_on, locator }
        opt Organisations: publisher -> publisher_id;
        many Exercises: exercises -> exercise_ids by resources::EXERCISES;
        many Findings: findings -> finding_ids by resources::FINDINGS;
        one SourceDocuments: source -> source_document_id;
    }
}
