//! Writing themes.
//!
//! A theme cannot be deleted while findings or views are tagged with it: dropping the tags
//! silently would change what theme filters and maps report, so the editor retags first.

use super::{check_slug, check_text, refuse_if_used, Curated, Dependent, External, Problem};
use crate::errors::{db, ApiResult};
use chrono::Utc;
use entity::enums::Mission;
use entity::{finding_theme, theme, view_theme};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, NotSet, Set};
use serde::Serialize;

/// A theme's writable state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThemeFields {
    pub slug: String,
    pub label: String,
    pub definition: String,
}

pub struct Themes;

impl Curated for Themes {
    type Model = theme::Model;
    type Fields = ThemeFields;

    async fn load<C: ConnectionTrait>(
        conn: &C,
        id: i32,
    ) -> ApiResult<Option<(theme::Model, ThemeFields)>> {
        let Some(m) = db(theme::Entity::find_by_id(id).one(conn).await)? else {
            return Ok(None);
        };
        let fields = ThemeFields {
            slug: m.slug.clone(),
            label: m.label.clone(),
            definition: m.definition.clone(),
        };
        Ok(Some((m, fields)))
    }

    async fn validate<C: ConnectionTrait>(_conn: &C, f: &ThemeFields) -> ApiResult<Vec<Problem>> {
        let mut p = Vec::new();
        check_slug(&mut p, "slug", &f.slug);
        check_text(&mut p, "label", &f.label, 200);
        check_text(&mut p, "definition", &f.definition, 5_000);
        Ok(p)
    }

    async fn write<C: ConnectionTrait>(
        conn: &C,
        id: Option<i32>,
        f: &ThemeFields,
        version: i64,
        external: Option<&External>,
    ) -> ApiResult<theme::Model> {
        let now = Utc::now();
        let mut row = theme::ActiveModel {
            id: id.map(Set).unwrap_or(NotSet),
            slug: Set(f.slug.clone()),
            label: Set(f.label.clone()),
            definition: Set(f.definition.clone()),
            updated_at: Set(now),
            version: Set(version),
            ..Default::default()
        };
        if let Some(e) = external {
            row.external_source = Set(Some(e.source.clone()));
            row.external_id = Set(Some(e.id.clone()));
        }
        match id {
            None => {
                row.created_at = Set(now);
                db(row.insert(conn).await)
            }
            Some(_) => db(row.update(conn).await),
        }
    }

    async fn remove<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        refuse_if_used(
            conn,
            "theme",
            id,
            &[
                Dependent::on(finding_theme::Column::ThemeId, "finding(s)"),
                Dependent::on(view_theme::Column::ThemeId, "participant view(s)"),
            ],
        )
        .await?;
        db(theme::Entity::delete_by_id(id).exec(conn).await)?;
        Ok(())
    }

    fn id(m: &theme::Model) -> i32 {
        m.id
    }
    fn version(m: &theme::Model) -> i64 {
        m.version
    }
    fn slug(f: &ThemeFields) -> &str {
        &f.slug
    }
    fn visible(_: &ThemeFields) -> bool {
        true
    }
    fn missions(_: &ThemeFields) -> Vec<Mission> {
        Vec::new()
    }
}
