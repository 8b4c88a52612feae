//! Writing participant views.

use super::exercises::Exercises;
use super::source_documents::SourceDocuments;
use super::themes::Themes;
use super::{check_ref, check_refs, check_slug, check_text, check_unique, Curated, Link, Problem};
use crate::errors::{db, ApiResult};
use entity::enums::{Mission, ReviewStatus, Stance};
use entity::{exercise, finding, participant_view, session, view_mission, view_theme};
use sea_orm::{ConnectionTrait, EntityTrait};

fields! {
    /// A participant view's writable state.
    ViewFields: participant_view {
        slug: String,
        exercise_id: i32,
        session_id: Option<i32>,
        finding_id: Option<i32>,
        text: String,
        stance: Stance,
        source_document_id: i32,
        locator: String,
        review_status: ReviewStatus,
    }
    renamed {
        verbatim: bool = is_verbatim,
    }
    tags {
        missions: Vec<Mission>,
        theme_ids: Vec<i32>,
    }
}

impl ViewFields {
    /// Puts tag lists in their stored order, so equal states compare equal.
    pub fn normalised(mut self) -> Self {
        self.missions.sort_by_key(|m| *m as u8);
        self.theme_ids.sort_unstable();
        self
    }
}

pub struct Views;

/// The join table of a row's missions.
pub const MISSIONS: Link<view_mission::Entity> = Link::new(
    view_mission::Column::ViewId,
    view_mission::Column::MissionCode,
);
/// The join table of a row's themes.
pub const THEMES: Link<view_theme::Entity> =
    Link::new(view_theme::Column::ViewId, view_theme::Column::ThemeId);

impl Curated for Views {
    type Model = participant_view::Model;
    type Fields = ViewFields;

    async fn validate<C: ConnectionTrait>(conn: &C, f: &ViewFields) -> ApiResult<Vec<Problem>> {
        let mut p = check_own(f);
        check_ref::<Exercises, C>(conn, &mut p, "exerciseId", f.exercise_id).await?;
        check_ref::<SourceDocuments, C>(conn, &mut p, "sourceId", f.source_document_id).await?;
        check_refs::<Themes, C>(conn, &mut p, "themeIds", &f.theme_ids).await?;
        // A view's session and finding must belong to its own exercise, or to the exercise it is
        // part of (or one of its parts): a survey within a community of practice supports the
        // community's findings.
        if let Some(id) = f.session_id {
            match db(session::Entity::find_by_id(id).one(conn).await)? {
                None => p.push(Problem::new("sessionId", "No session has this ID")),
                Some(s) if !related(conn, s.exercise_id, f.exercise_id).await? => {
                    p.push(unrelated_session())
                }
                Some(_) => {}
            }
        }
        if let Some(id) = f.finding_id {
            match db(finding::Entity::find_by_id(id).one(conn).await)? {
                None => p.push(Problem::new("findingId", "No finding has this ID")),
                Some(x) if !related(conn, x.exercise_id, f.exercise_id).await? => {
                    p.push(unrelated_finding())
                }
                Some(_) => {}
            }
        }
        Ok(p)
    }

    async fn read_tags<C: ConnectionTrait>(
        conn: &C,
        m: &participant_view::Model,
        f: &mut ViewFields,
    ) -> ApiResult<()> {
        f.missions = MISSIONS.read(conn, m.id, false).await?;
        f.missions.sort_by_key(|m| *m as u8);
        f.theme_ids = THEMES.read(conn, m.id, true).await?;
        Ok(())
    }

    async fn write_tags<C: ConnectionTrait>(conn: &C, id: i32, f: &ViewFields) -> ApiResult<()> {
        MISSIONS.write(conn, id, &f.missions).await?;
        THEMES.write(conn, id, &f.theme_ids).await
    }

    async fn clear_tags<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        MISSIONS.clear(conn, id).await?;
        THEMES.clear(conn, id).await
    }

    fn visible(f: &ViewFields) -> bool {
        f.review_status == ReviewStatus::Published
    }
    fn missions(f: &ViewFields) -> Vec<Mission> {
        f.missions.clone()
    }
}

/// The checks a view's fields need no database for (the bulk import runs these, and checks
/// references against its own cache of them).
pub fn check_own(f: &ViewFields) -> Vec<Problem> {
    let mut p = Vec::new();
    check_slug(&mut p, "slug", &f.slug);
    check_text(&mut p, "text", &f.text, 10_000);
    check_text(&mut p, "locator", &f.locator, 500);
    check_unique(&mut p, "missions", &f.missions);
    check_unique(&mut p, "themeIds", &f.theme_ids);
    p
}

pub fn unrelated_session() -> Problem {
    Problem::new("sessionId", "The session belongs to an unrelated exercise")
}

pub fn unrelated_finding() -> Problem {
    Problem::new("findingId", "The finding belongs to an unrelated exercise")
}

/// Whether two exercises are the same, or one is part of the other.
async fn related<C: ConnectionTrait>(conn: &C, a: i32, b: i32) -> ApiResult<bool> {
    if a == b {
        return Ok(true);
    }
    let parent = |id: i32| async move {
        Ok::<_, crate::errors::ApiError>(
            db(exercise::Entity::find_by_id(id).one(conn).await)?.and_then(|e| e.parent_id),
        )
    };
    Ok(parent(a).await? == Some(b) || parent(b).await? == Some(a))
}
