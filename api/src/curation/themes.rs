//! Writing themes.
//!
//! A theme cannot be deleted while findings or views are tagged with it: dropping the tags
//! silently would change what theme filters and maps report, so the editor retags first.

use super::{check_slug, check_text, Curated, Dependent, Problem};
use crate::errors::ApiResult;
use entity::{finding_theme, theme, view_theme};
use sea_orm::ConnectionTrait;

fields! {
    /// A theme's writable state.
    ThemeFields: theme {
        slug: String,
        label: String,
        definition: String,
    }
}

pub struct Themes;

impl Curated for Themes {
    type Model = theme::Model;
    type Fields = ThemeFields;

    async fn validate<C: ConnectionTrait>(_conn: &C, f: &ThemeFields) -> ApiResult<Vec<Problem>> {
        let mut p = Vec::new();
        check_slug(&mut p, "slug", &f.slug);
        check_text(&mut p, "label", &f.label, 200);
        check_text(&mut p, "definition", &f.definition, 5_000);
        Ok(p)
    }

    fn dependents() -> Vec<Dependent> {
        vec![
            Dependent::on(finding_theme::Column::ThemeId, "finding(s)"),
            Dependent::on(view_theme::Column::ThemeId, "participant view(s)"),
        ]
    }
}
