//! Sessions in a bundle.

use crate::curation::{
    exercises::Exercises, sessions::SessionFields, sessions::Sessions,
    source_documents::SourceDocuments,
};
use entity::enums::SessionFormat;
use serde::{Deserialize, Serialize};

/// A session row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionRow {
    pub slug: String,
    pub exercise: String,
    pub title: String,
    #[serde(default)]
    pub sequence: Option<i32>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub format: Option<SessionFormat>,
    pub source: String,
    pub locator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

codec! {
    Sessions: "session", SessionRow => SessionFields {
        same { slug, title, sequence, date, place, format, locator }
        one Exercises: exercise -> exercise_id;
        one SourceDocuments: source -> source_document_id;
    }
}
