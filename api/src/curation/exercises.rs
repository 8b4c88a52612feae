//! Writing engagement exercises: their columns, their places (through
//! [`crate::places::set_exercise_places`], so the place filter's index stays in step), missions,
//! involved organisations and the larger exercise they are part of.
//!
//! An exercise cannot be deleted while anything hangs off it — findings, participant views,
//! sessions, metrics, parts (exercises `partOf` it) or resources reporting on it — since the
//! database would otherwise cascade or orphan evidence silently. Its own tags (missions, places,
//! organisation involvements) go with it.

use super::is_partial_date;
use super::organisations::Organisations;
use super::source_documents::SourceDocuments;
use super::{
    check_date, check_opt_text, check_ref, check_slug, check_text, check_unique, Curated,
    Dependent, External, Link, Problem, Tags,
};
use crate::errors::{db, ApiError, ApiResult};
use crate::places::place_key;
use entity::enums::{ExerciseKind, ExerciseStatus, Mission, OrganisationRole};
use entity::{
    commitment_exercise, exercise, exercise_mission, exercise_organisation, exercise_place,
    finding, metric, participant_view, resource_exercise, session,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

/// An organisation's part in an exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Involvement {
    pub organisation_id: i32,
    pub role: OrganisationRole,
}

fields! {
    /// An exercise's writable state.
    ExerciseFields: exercise {
        slug: String,
        title: String,
        kind: ExerciseKind,
        method: Option<String>,
        summary: String,
        start_date: Option<String>,
        end_date: Option<String>,
        participant_count: Option<i32>,
        session_count: Option<i32>,
        status: ExerciseStatus,
        source_document_id: i32,
        locator: String,
    }
    renamed {
        part_of_id: Option<i32> = parent_id,
    }
    tags {
        /// Names as written, trimmed, in the writer's order.
        places: Vec<String>,
        missions: Tags<Mission>,
        organisations: Tags<Involvement>,
    }
}

impl ExerciseFields {
    /// Trims place names, as they are stored.
    pub fn normalised(mut self) -> Self {
        self.places = self.places.iter().map(|p| p.trim().to_string()).collect();
        self
    }
}

/// Whether `end` can follow `start`: the two partial dates compared at the precision they share
/// (so `2024` may end an exercise that began `2024-09-15`, but `2024-08` may not).
pub fn ends_after(start: &str, end: &str) -> bool {
    let n = start.len().min(end.len());
    end[..n] >= start[..n]
}

pub struct Exercises;

/// The join table of a row's missions.
pub const MISSIONS: Link<exercise_mission::Entity> = Link::new(
    exercise_mission::Column::ExerciseId,
    exercise_mission::Column::MissionCode,
);

impl Curated for Exercises {
    type Model = exercise::Model;
    type Fields = ExerciseFields;

    async fn validate<C: ConnectionTrait>(conn: &C, f: &ExerciseFields) -> ApiResult<Vec<Problem>> {
        let mut p = Vec::new();
        check_slug(&mut p, "slug", &f.slug);
        check_text(&mut p, "title", &f.title, 300);
        check_opt_text(&mut p, "method", f.method.as_deref(), 2_000);
        check_text(&mut p, "summary", &f.summary, 10_000);
        check_date(&mut p, "startDate", f.start_date.as_deref());
        check_date(&mut p, "endDate", f.end_date.as_deref());
        if let (Some(start), Some(end)) = (&f.start_date, &f.end_date) {
            if is_partial_date(start) && is_partial_date(end) && !ends_after(start, end) {
                p.push(Problem::new("endDate", "Must not be before startDate"));
            }
        }
        for (i, place) in f.places.iter().enumerate() {
            let field = format!("places[{i}]");
            check_text(&mut p, &field, place, 200);
            if f.places[..i]
                .iter()
                .any(|other| place_key(other) == place_key(place))
            {
                p.push(Problem::new(field, "Listed twice (ignoring case)"));
            }
        }
        for (field, n) in [
            ("participantCount", f.participant_count),
            ("sessionCount", f.session_count),
        ] {
            if n.is_some_and(|n| n < 0) {
                p.push(Problem::new(field, "Must not be negative"));
            }
        }
        check_unique(&mut p, "missions", &f.missions.0);
        check_unique(&mut p, "organisations", &f.organisations.0);
        check_text(&mut p, "locator", &f.locator, 500);
        if let Some(parent) = f.part_of_id {
            check_ref::<Self, C>(conn, &mut p, "partOfId", parent).await?;
        }
        for (i, o) in f.organisations.0.iter().enumerate() {
            check_ref::<Organisations, C>(
                conn,
                &mut p,
                &format!("organisations[{i}].organisationId"),
                o.organisation_id,
            )
            .await?;
        }
        check_ref::<SourceDocuments, C>(conn, &mut p, "sourceId", f.source_document_id).await?;
        Ok(p)
    }

    /// The larger exercise may be neither this one nor one of its parts, at any depth.
    async fn validate_existing<C: ConnectionTrait>(
        conn: &C,
        id: i32,
        f: &ExerciseFields,
    ) -> ApiResult<Vec<Problem>> {
        let mut next = f.part_of_id;
        // Bounded, so a cycle already in the data cannot hang a write.
        for _ in 0..1_000 {
            let Some(at) = next else { break };
            if at == id {
                return Ok(vec![Problem::new(
                    "partOfId",
                    "An exercise cannot be part of itself or of one of its own parts",
                )]);
            }
            next = db(exercise::Entity::find_by_id(at).one(conn).await)?.and_then(|e| e.parent_id);
        }
        Ok(Vec::new())
    }

    async fn read_tags<C: ConnectionTrait>(
        conn: &C,
        m: &exercise::Model,
        f: &mut ExerciseFields,
    ) -> ApiResult<()> {
        f.places = serde_json::from_value::<Vec<String>>(m.places.clone()).map_err(|err| {
            tracing::error!(error = %err, exercise = m.id, "places is not a list of names");
            ApiError::Internal
        })?;
        f.missions = Tags(MISSIONS.read(conn, m.id, false).await?);
        f.organisations = Tags(
            db(exercise_organisation::Entity::find()
                .filter(exercise_organisation::Column::ExerciseId.eq(m.id))
                .all(conn)
                .await)?
            .into_iter()
            .map(|t| Involvement {
                organisation_id: t.organisation_id,
                role: t.role,
            })
            .collect(),
        );
        Ok(())
    }

    async fn write<C: ConnectionTrait>(
        conn: &C,
        id: Option<i32>,
        f: &ExerciseFields,
        version: i64,
        external: Option<&External>,
    ) -> ApiResult<exercise::Model> {
        let mut row = f.active(id, version, external);
        let model = match id {
            None => {
                // Filled in by set_exercise_places below.
                row.places = Set(serde_json::json!([]));
                db(row.insert(conn).await)?
            }
            Some(id) => {
                Self::clear_tags(conn, id).await?;
                db(row.update(conn).await)?
            }
        };
        db(crate::places::set_exercise_places(conn, model.id, &f.places).await)?;
        MISSIONS.write(conn, model.id, &f.missions.0).await?;
        if !f.organisations.0.is_empty() {
            db(
                exercise_organisation::Entity::insert_many(f.organisations.0.iter().map(|o| {
                    exercise_organisation::ActiveModel {
                        exercise_id: Set(model.id),
                        organisation_id: Set(o.organisation_id),
                        role: Set(o.role),
                    }
                }))
                .exec_without_returning(conn)
                .await,
            )?;
        }
        // Read back: set_exercise_places wrote the `places` column after the insert or update.
        db(exercise::Entity::find_by_id(model.id).one(conn).await)?.ok_or(ApiError::Internal)
    }

    /// Removes the mission and organisation tags and the places (an update writes them anew).
    async fn clear_tags<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        MISSIONS.clear(conn, id).await?;
        db(exercise_organisation::Entity::delete_many()
            .filter(exercise_organisation::Column::ExerciseId.eq(id))
            .exec(conn)
            .await)?;
        db(exercise_place::Entity::delete_many()
            .filter(exercise_place::Column::ExerciseId.eq(id))
            .exec(conn)
            .await)?;
        Ok(())
    }

    fn dependents() -> Vec<Dependent> {
        vec![
            Dependent::on(finding::Column::ExerciseId, "finding(s)"),
            Dependent::on(participant_view::Column::ExerciseId, "participant view(s)"),
            Dependent::on(session::Column::ExerciseId, "session(s)"),
            Dependent::on(metric::Column::ExerciseId, "metric(s)"),
            Dependent::on(exercise::Column::ParentId, "part(s)"),
            Dependent::on(resource_exercise::Column::ExerciseId, "resource(s)"),
            Dependent::on(commitment_exercise::Column::ExerciseId, "commitment(s)"),
        ]
    }

    fn missions(f: &ExerciseFields) -> Vec<Mission> {
        f.missions.0.clone()
    }
}
