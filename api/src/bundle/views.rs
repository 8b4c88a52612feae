//! Participant views in a bundle.

use crate::curation::{
    exercises::Exercises, findings::Findings, sessions::Sessions,
    source_documents::SourceDocuments, themes::Themes, views, views::ViewFields, views::Views,
};
use entity::enums::{Mission, ReviewStatus, Stance};
use serde::{Deserialize, Serialize};

/// A participant view row: the seed corpus' fields, plus review status and external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ViewRow {
    pub slug: String,
    pub exercise: String,
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub finding: Option<String>,
    pub text: String,
    #[serde(default)]
    pub verbatim: bool,
    pub stance: Stance,
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
    Views: "view", ViewRow => ViewFields, then ViewFields::normalised {
        same { slug, text, verbatim, stance, locator, review_status }
        one Exercises: exercise -> exercise_id;
        one SourceDocuments: source -> source_document_id;
        opt Sessions: session -> session_id;
        opt Findings: finding -> finding_id;
        many Themes: themes -> theme_ids by views::THEMES;
        missions Mission: missions -> missions by views::MISSIONS;
    }
}
