//! Organisations in a bundle.

use crate::curation::{
    organisations::OrganisationFields, organisations::Organisations,
    source_documents::SourceDocuments,
};
use entity::enums::OrganisationKind;
use serde::{Deserialize, Serialize};

/// An organisation row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganisationRow {
    pub slug: String,
    pub name: String,
    pub kind: OrganisationKind,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub source: String,
    pub locator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

codec! {
    Organisations: "organisation", OrganisationRow => OrganisationFields {
        same { slug, name, kind, website, description, locator }
        one SourceDocuments: source -> source_document_id;
    }
}
