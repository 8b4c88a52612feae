//! Metrics in a bundle.

use crate::curation::{
    exercises::Exercises, metrics::MetricFields, metrics::Metrics,
    source_documents::SourceDocuments,
};
use serde::{Deserialize, Serialize};

/// A metric row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricRow {
    pub slug: String,
    pub exercise: String,
    pub label: String,
    pub value: f64,
    pub unit: String,
    #[serde(default)]
    pub base: Option<i32>,
    pub source: String,
    pub locator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

codec! {
    Metrics: "metric", MetricRow => MetricFields {
        same { slug, label, value, unit, base, locator }
        one Exercises: exercise -> exercise_id;
        one SourceDocuments: source -> source_document_id;
    }
}
