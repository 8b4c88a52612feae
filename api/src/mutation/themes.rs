//! Creating, changing, upserting and deleting themes.

use super::writes::{Changes, Values};
use crate::curation::{themes::ThemeFields, themes::Themes};
use crate::errors::ApiResult;
use crate::types::Theme;
use async_graphql::{InputObject, ID};

/// A new theme.
#[derive(InputObject)]
pub struct CreateThemeInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among themes.
    pub slug: String,
    /// Display name (at most 200 characters).
    pub label: String,
    /// What counts as falling under the theme (at most 5,000 characters).
    pub definition: String,
}

impl Values<Themes> for CreateThemeInput {
    fn fields(&self, _at: &str) -> ApiResult<ThemeFields> {
        Ok(fields_of!(self => ThemeFields {
            slug, label, definition;

        }))
    }
}

/// Changes to a theme: only the fields given change.
#[derive(InputObject)]
pub struct UpdateThemeInput {
    /// The theme to change.
    pub id: ID,
    /// The version the change was based on (`Theme.version`); if the theme has moved on, the
    /// update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New label.
    pub label: Option<String>,
    /// New definition.
    pub definition: Option<String>,
}

impl Changes<Themes> for UpdateThemeInput {
    fn apply(&self, mut f: ThemeFields) -> ApiResult<ThemeFields> {
        patch!(self => f: slug, label, definition);
        Ok(f)
    }
}

writes! {
    /// Themes.
    ThemeMutation: Themes => Theme,
    ThemeUpsert { theme: "The theme as stored." }

    /// Creates a theme. Needs an editor token.
    create_theme(CreateThemeInput: "The new theme.")

    /// Changes a theme, if it is still at `expectedVersion`. Needs an editor token.
    update_theme(UpdateThemeInput: "The theme and the changes.")

    /// Creates or updates the theme an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    upsert_theme(
        "The integrator's key for the theme.",
        "The theme's values."
    )

    /// Deletes a theme, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Refused (`CONFLICT`) while findings or views are tagged with it. Needs an editor token.
    delete_theme("The theme to delete.")
}
