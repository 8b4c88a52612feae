//! Themes in a bundle.

use crate::curation::{themes::ThemeFields, themes::Themes};
use serde::{Deserialize, Serialize};

/// A theme row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThemeRow {
    pub slug: String,
    pub label: String,
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

codec! {
    Themes: "theme", ThemeRow => ThemeFields {
        same { slug, label, definition }
    }
}
