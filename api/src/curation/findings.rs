//! Writing findings.

use super::exercises::Exercises;
use super::source_documents::SourceDocuments;
use super::themes::Themes;
use super::{
    check_ref, check_refs, check_slug, check_text, check_unique, Columns, Curated, Link, Problem,
};
use crate::errors::{db, ApiError, ApiResult};
use entity::enums::{FindingKind, Mission, ReviewStatus};
use entity::{
    commitment_finding, finding, finding_mission, finding_theme, participant_view, resource_finding,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

fields! {
    /// A finding's writable state.
    FindingFields: finding {
        slug: String,
        exercise_id: i32,
        title: String,
        summary: String,
        kind: FindingKind,
        position: i32,
        source_document_id: i32,
        locator: String,
        review_status: ReviewStatus,
    }
    tags {
        missions: Vec<Mission>,
        theme_ids: Vec<i32>,
    }
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

/// The join table of a row's missions.
pub const MISSIONS: Link<finding_mission::Entity> = Link::new(
    finding_mission::Column::FindingId,
    finding_mission::Column::MissionCode,
);
/// The join table of a row's themes.
pub const THEMES: Link<finding_theme::Entity> = Link::new(
    finding_theme::Column::FindingId,
    finding_theme::Column::ThemeId,
);

impl Curated for Findings {
    type Model = finding::Model;
    type Fields = FindingFields;

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
        check_ref::<Exercises, C>(conn, &mut p, "exerciseId", f.exercise_id).await?;
        check_ref::<SourceDocuments, C>(conn, &mut p, "sourceId", f.source_document_id).await?;
        check_refs::<Themes, C>(conn, &mut p, "themeIds", &f.theme_ids).await?;
        Ok(p)
    }

    async fn read_tags<C: ConnectionTrait>(
        conn: &C,
        m: &finding::Model,
        f: &mut FindingFields,
    ) -> ApiResult<()> {
        f.missions = MISSIONS.read(conn, m.id, false).await?;
        f.missions.sort_by_key(|m| *m as u8);
        f.theme_ids = THEMES.read(conn, m.id, true).await?;
        Ok(())
    }

    async fn write_tags<C: ConnectionTrait>(conn: &C, id: i32, f: &FindingFields) -> ApiResult<()> {
        MISSIONS.write(conn, id, &f.missions).await?;
        THEMES.write(conn, id, &f.theme_ids).await
    }

    async fn clear_tags<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        MISSIONS.clear(conn, id).await?;
        THEMES.clear(conn, id).await
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
        Self::clear_tags(conn, id).await?;
        db(resource_finding::Entity::delete_many()
            .filter(resource_finding::Column::FindingId.eq(id))
            .exec(conn)
            .await)?;
        db(commitment_finding::Entity::delete_many()
            .filter(commitment_finding::Column::FindingId.eq(id))
            .exec(conn)
            .await)?;
        <FindingFields as Columns>::delete(conn, id).await
    }

    fn visible(f: &FindingFields) -> bool {
        f.review_status == ReviewStatus::Published
    }
    fn missions(f: &FindingFields) -> Vec<Mission> {
        f.missions.clone()
    }
}
