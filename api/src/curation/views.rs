//! Writing participant views.

use super::{
    check_ref, check_refs, check_slug, check_text, check_unique, Curated, External, Problem,
};
use crate::errors::{db, ApiResult};
use chrono::Utc;
use entity::enums::{Mission, ReviewStatus, Stance};
use entity::{
    exercise, finding, participant_view, session, source_document, theme, view_mission, view_theme,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;

/// A participant view's writable state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewFields {
    pub slug: String,
    pub exercise_id: i32,
    pub session_id: Option<i32>,
    pub finding_id: Option<i32>,
    pub text: String,
    pub verbatim: bool,
    pub stance: Stance,
    pub missions: Vec<Mission>,
    pub theme_ids: Vec<i32>,
    pub source_document_id: i32,
    pub locator: String,
    pub review_status: ReviewStatus,
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

impl Curated for Views {
    type Model = participant_view::Model;
    type Fields = ViewFields;

    async fn load<C: ConnectionTrait>(
        conn: &C,
        id: i32,
    ) -> ApiResult<Option<(participant_view::Model, ViewFields)>> {
        let Some(m) = db(participant_view::Entity::find_by_id(id).one(conn).await)? else {
            return Ok(None);
        };
        let missions = db(view_mission::Entity::find()
            .filter(view_mission::Column::ViewId.eq(id))
            .all(conn)
            .await)?
        .into_iter()
        .map(|t| t.mission_code)
        .collect();
        let theme_ids = db(view_theme::Entity::find()
            .select_only()
            .column(view_theme::Column::ThemeId)
            .filter(view_theme::Column::ViewId.eq(id))
            .order_by_asc(view_theme::Column::ThemeId)
            .into_tuple::<i32>()
            .all(conn)
            .await)?;
        let fields = ViewFields {
            slug: m.slug.clone(),
            exercise_id: m.exercise_id,
            session_id: m.session_id,
            finding_id: m.finding_id,
            text: m.text.clone(),
            verbatim: m.is_verbatim,
            stance: m.stance,
            missions,
            theme_ids,
            source_document_id: m.source_document_id,
            locator: m.locator.clone(),
            review_status: m.review_status,
        }
        .normalised();
        Ok(Some((m, fields)))
    }

    async fn validate<C: ConnectionTrait>(conn: &C, f: &ViewFields) -> ApiResult<Vec<Problem>> {
        let mut p = check_own(f);
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

    async fn write<C: ConnectionTrait>(
        conn: &C,
        id: Option<i32>,
        f: &ViewFields,
        version: i64,
        external: Option<&External>,
    ) -> ApiResult<participant_view::Model> {
        let now = Utc::now();
        let mut row = participant_view::ActiveModel {
            id: id.map(Set).unwrap_or(NotSet),
            slug: Set(f.slug.clone()),
            exercise_id: Set(f.exercise_id),
            session_id: Set(f.session_id),
            finding_id: Set(f.finding_id),
            text: Set(f.text.clone()),
            is_verbatim: Set(f.verbatim),
            stance: Set(f.stance),
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
                clear_tags(conn, id).await?;
                db(row.update(conn).await)?
            }
        };
        if !f.missions.is_empty() {
            db(
                view_mission::Entity::insert_many(f.missions.iter().map(|code| {
                    view_mission::ActiveModel {
                        view_id: Set(model.id),
                        mission_code: Set(*code),
                    }
                }))
                .exec(conn)
                .await,
            )?;
        }
        if !f.theme_ids.is_empty() {
            db(view_theme::Entity::insert_many(f.theme_ids.iter().map(|t| {
                view_theme::ActiveModel {
                    view_id: Set(model.id),
                    theme_id: Set(*t),
                }
            }))
            .exec(conn)
            .await)?;
        }
        Ok(model)
    }

    async fn remove<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        clear_tags(conn, id).await?;
        db(participant_view::Entity::delete_by_id(id).exec(conn).await)?;
        Ok(())
    }

    fn id(m: &participant_view::Model) -> i32 {
        m.id
    }
    fn version(m: &participant_view::Model) -> i64 {
        m.version
    }
    fn slug(f: &ViewFields) -> &str {
        &f.slug
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

async fn clear_tags<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
    db(view_mission::Entity::delete_many()
        .filter(view_mission::Column::ViewId.eq(id))
        .exec(conn)
        .await)?;
    db(view_theme::Entity::delete_many()
        .filter(view_theme::Column::ViewId.eq(id))
        .exec(conn)
        .await)?;
    Ok(())
}
