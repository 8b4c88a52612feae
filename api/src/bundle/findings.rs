//! Findings in a bundle.

use crate::curation::{
    exercises::Exercises, findings, findings::FindingFields, findings::Findings,
    source_documents::SourceDocuments, themes::Themes,
};
use entity::enums::{FindingKind, Mission, ReviewStatus};
use serde::{Deserialize, Serialize};

/// A finding row: the seed corpus' fields, plus review status and external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FindingRow {
    pub slug: String,
    pub exercise: String,
    pub title: String,
    pub summary: String,
    pub kind: FindingKind,
    #[serde(default)]
    pub position: i32,
    #[serde(default)]
    pub missions: Vec<Mission>,
    #[serde(default)]
    pub themes: Vec<String>,
    pub source: String,
    pub locator: String,
    #[serde(default = "super::published")]
    pub review_status: ReviewStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

codec! {
    Findings: "finding", FindingRow => FindingFields, then FindingFields::normalised {
        same { slug, title, summary, kind, position, locator, review_status }
        one Exercises: exercise -> exercise_id;
        one SourceDocuments: source -> source_document_id;
        many Themes: themes -> theme_ids by findings::THEMES;
        missions Mission: missions -> missions by findings::MISSIONS;
    }
}
