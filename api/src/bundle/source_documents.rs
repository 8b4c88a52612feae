//! Source documents in a bundle.

use crate::curation::{source_documents::SourceDocumentFields, source_documents::SourceDocuments};
use serde::{Deserialize, Serialize};

/// A source document row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceRow {
    pub slug: String,
    pub file_name: String,
    pub title: String,
    pub publisher: String,
    #[serde(default)]
    pub published_on: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

codec! {
    SourceDocuments: "source", SourceRow => SourceDocumentFields {
        same { slug, file_name, title, publisher, published_on, url }
    }
}
