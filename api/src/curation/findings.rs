//! Writing findings.

use super::{
    check_ref, check_refs, check_slug, check_text, check_unique, Curated, External, Problem,
};
use crate::errors::{db, ApiError, ApiResult};
use chrono::Utc;
use entity::enums::{FindingKind, Mission, ReviewStatus};
use entity::{
    commitment_finding, exercise, finding, finding_mission, finding_theme, participant_view,
    resource_finding, source_document, theme,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

/// A finding's writable state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingFields {
    pub slug: String,
    pub exercise_id: i32,
    pub title: String,
    pub summary: String,
    pub kind: FindingKind,
    pub position: i32,
    pub missions: Vec<Mission>,
    pub theme_ids: Vec<i32>,
    pub source_document_id: i32,
    pub locator: String,
    pub review_status: ReviewStatus,
}

impl FindingFields {
    /// Puts tag lists in their stored order, so equal states compare equal.
    pub fn normalised(mut self) -> Self {
        self.missions.sort_by_key(|m| *m as u8);
        self.theme_ids.sort_unstable();
        self
    }
}

pub struct Findings;

impl Curated for Findings {
    type Model = finding::Model;
    type Fields = FindingFields;

    async fn load<C: ConnectionTrait>(
        conn: &C,
        id: i32,
    ) -> ApiResult<Option<(finding::Model, FindingFields)>> {
        let Some(m) = db(finding::Entity::find_by_id(id).one(conn).await)? else {
            return Ok(None);
        };
        let missions = db(finding_mission::Entity::find()
            .filter(finding_mission::Column::FindingId.eq(id))
            .all(conn)
            .await)?
        .into_iter()
        .map(|t| t.mission_code)
        .collect();
        let theme_ids = db(finding_theme::Entity::find()
            .select_only()
            .column(finding_theme::Column::ThemeId)
            .filter(finding_theme::Column::FindingId.eq(id))
            .order_by_asc(finding_theme::Column::ThemeId)
            .into_tuple::<i32>()
            .all(conn)
            .await)?;
        let fields = FindingFields {
            slug: m.slug.clone(),
            exercise_id: m.exercise_id,
            title: m.title.clone(),
            summary: m.summary.clone(),
            kind: m.kind,
            position: m.position,
            missions,
            theme_ids,
            source_document_id: m.source_document_id,
            locator: m.locator.clone(),
            review_status: m.review_status,
        }
        .normalised();
        Ok(Some((m, fields)))
    }

    async fn validate<C: ConnectionTrait>(conn: &C, f: &FindingFields) -> ApiResult<Vec<Problem>> {
        let mut p = Vec::new();
        check_slug(&mut p, "slug", &f.slug);
        check_text(&mut p, "title", &f.title, 300);
        check_text(&mut p, "summary", &f.summary, 10_000);
        check_text(&mut p, "locator", &f.locator, 500);
        if f.position < 0 {
            p.push(Problem::new("position", "Must not be negative"));
        }
        check_unique(&mut p, "missions", &f.missions);
        check_unique(&mut p, "themeIds", &f.theme_ids);
        check_ref::<exercise::Entity, C>(conn, &mut p, "exerciseId", f.exercise_id, "exercise")
            .await?;
        check_ref::<source_document::Entity, C>(
            conn,
            &mut p,
            "sourceId",
            f.source_document_id,
            "source document",
        )
        .await?;
        check_refs::<theme::Entity, C>(conn, &mut p, "themeIds", &f.theme_ids, "theme").await?;
        Ok(p)
    }

    async fn write<C: ConnectionTrait>(
        conn: &C,
        id: Option<i32>,
        f: &FindingFields,
        version: i64,
        external: Option<&External>,
    ) -> ApiResult<finding::Model> {
        let now = Utc::now();
        let mut row = finding::ActiveModel {
            id: id.map(Set).unwrap_or(NotSet),
            slug: Set(f.slug.clone()),
            exercise_id: Set(f.exercise_id),
            title: Set(f.title.clone()),
            summary: Set(f.summary.clone()),
            kind: Set(f.kind),
            position: Set(f.position),
            source_document_id: Set(f.source_document_id),
            locator: Set(f.locator.clone()),
            updated_at: Set(now),
            version: Set(version),
            review_status: Set(f.review_status),
            ..Default::default()
        };
        if let Some(e) = external {
            row.external_source = Set(Some(e.source.clone()));
            row.external_id = Set(Some(e.id.clone()));
        }
        let model = match id {
            None => {
                row.created_at = Set(now);
                db(row.insert(conn).await)?
            }
            Some(id) => {
                db(finding_mission::Entity::delete_many()
                    .filter(finding_mission::Column::FindingId.eq(id))
                    .exec(conn)
                    .await)?;
                db(finding_theme::Entity::delete_many()
                    .filter(finding_theme::Column::FindingId.eq(id))
                    .exec(conn)
                    .await)?;
                db(row.update(conn).await)?
            }
        };
        if !f.missions.is_empty() {
            db(
                finding_mission::Entity::insert_many(f.missions.iter().map(|code| {
                    finding_mission::ActiveModel {
                        finding_id: Set(model.id),
                        mission_code: Set(*code),
                    }
                }))
                .exec(conn)
                .await,
            )?;
        }
        if !f.theme_ids.is_empty() {
            db(
                finding_theme::Entity::insert_many(f.theme_ids.iter().map(|t| {
                    finding_theme::ActiveModel {
                        finding_id: Set(model.id),
                        theme_id: Set(*t),
                    }
                }))
                .exec(conn)
                .await,
            )?;
        }
        Ok(model)
    }

    async fn remove<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        let views = db(participant_view::Entity::find()
            .filter(participant_view::Column::FindingId.eq(id))
            .count(conn)
            .await)?;
        if views > 0 {
            return Err(ApiError::conflict(format!(
                "{views} participant view(s) are filed under this finding: move or delete them first"
            )));
        }
        db(finding_mission::Entity::delete_many()
            .filter(finding_mission::Column::FindingId.eq(id))
            .exec(conn)
            .await)?;
        db(finding_theme::Entity::delete_many()
            .filter(finding_theme::Column::FindingId.eq(id))
            .exec(conn)
            .await)?;
        db(resource_finding::Entity::delete_many()
            .filter(resource_finding::Column::FindingId.eq(id))
            .exec(conn)
            .await)?;
        db(commitment_finding::Entity::delete_many()
            .filter(commitment_finding::Column::FindingId.eq(id))
            .exec(conn)
            .await)?;
        db(finding::Entity::delete_by_id(id).exec(conn).await)?;
        Ok(())
    }

    fn id(m: &finding::Model) -> i32 {
        m.id
    }
    fn version(m: &finding::Model) -> i64 {
        m.version
    }
    fn slug(f: &FindingFields) -> &str {
        &f.slug
    }
    fn visible(f: &FindingFields) -> bool {
        f.review_status == ReviewStatus::Published
    }
    fn missions(f: &FindingFields) -> Vec<Mission> {
        f.missions.clone()
    }
}
