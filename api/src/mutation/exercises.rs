//! Creating, changing, upserting and deleting engagement exercises.

use super::writes::{Changes, Values};
use super::{id_of, missions, opt_id_of};
use crate::curation::exercises::{ExerciseFields, Exercises, Involvement};
use crate::curation::Tags;
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::{Exercise, ExerciseKind, ExerciseStatus, Mission, OrganisationRole};
use async_graphql::{InputObject, MaybeUndefined, ID};

/// An organisation's part in an exercise.
#[derive(InputObject)]
pub struct InvolvementInput {
    /// The organisation.
    pub organisation_id: ID,
    /// The part it played (an organisation playing several parts is listed once per part).
    pub role: OrganisationRole,
}

fn involvements(list: &[InvolvementInput], at: &str) -> ApiResult<Tags<Involvement>> {
    list.iter()
        .enumerate()
        .map(|(i, o)| {
            Ok(Involvement {
                organisation_id: id_of(
                    &o.organisation_id,
                    NodeKind::Organisation,
                    &format!("{at}[{i}].organisationId"),
                )?,
                role: o.role.into(),
            })
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Tags)
}

/// A new engagement exercise.
#[derive(InputObject)]
pub struct CreateExerciseInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among exercises.
    pub slug: String,
    /// Name of the exercise (at most 300 characters).
    pub title: String,
    /// The form it took.
    pub kind: ExerciseKind,
    /// How it was run, in the source's words (at most 2,000 characters).
    pub method: Option<String>,
    /// What the exercise was and did (at most 10,000 characters).
    pub summary: String,
    /// When it began: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub start_date: Option<String>,
    /// When it ended, in the same form; not before `startDate` at the precision both share.
    pub end_date: Option<String>,
    /// Names of the places it was held in (each at most 200 characters, no name twice ignoring
    /// case); the `places` filter matches them.
    #[graphql(default)]
    pub places: Vec<String>,
    /// How many people took part, if reported (not negative).
    pub participant_count: Option<i32>,
    /// How many sessions it had, if reported (not negative).
    pub session_count: Option<i32>,
    /// How far it has got.
    pub status: ExerciseStatus,
    /// The larger exercise this one is part of.
    pub part_of_id: Option<ID>,
    /// The Government Missions it bears on.
    #[graphql(default)]
    pub missions: Vec<Mission>,
    /// The organisations involved and their parts.
    #[graphql(default)]
    pub organisations: Vec<InvolvementInput>,
    /// The source document it is transcribed from.
    pub source_id: ID,
    /// Where in that document it is stated (at most 500 characters).
    pub locator: String,
}

impl Values<Exercises> for CreateExerciseInput {
    fn fields(&self, at: &str) -> ApiResult<ExerciseFields> {
        Ok(fields_of!(self => ExerciseFields {
            slug, title, kind, method, summary, start_date, end_date, places, participant_count, session_count, status, locator;
            part_of_id: opt_id_of(&self.part_of_id, NodeKind::Exercise, &format!("{at}.partOfId"))?,
            missions: Tags(missions(&self.missions)),
            organisations: involvements(&self.organisations, &format!("{at}.organisations"))?,
            source_document_id: id_of(
                &self.source_id,
                NodeKind::SourceDocument,
                &format!("{at}.sourceId"),
            )?,
        })
        .normalised())
    }
}

/// Changes to an exercise: only the fields given change; `null` clears an optional field; lists
/// given replace the old list.
#[derive(InputObject)]
pub struct UpdateExerciseInput {
    /// The exercise to change.
    pub id: ID,
    /// The version the change was based on (`Exercise.version`); if the exercise has moved on,
    /// the update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// New kind.
    pub kind: Option<ExerciseKind>,
    /// New method, or `null` for not stated.
    pub method: MaybeUndefined<String>,
    /// New summary.
    pub summary: Option<String>,
    /// New start date, or `null` for unknown.
    pub start_date: MaybeUndefined<String>,
    /// New end date, or `null` for unknown.
    pub end_date: MaybeUndefined<String>,
    /// New places (replaces the list).
    pub places: Option<Vec<String>>,
    /// New participant count, or `null` for not reported.
    pub participant_count: MaybeUndefined<i32>,
    /// New session count, or `null` for not reported.
    pub session_count: MaybeUndefined<i32>,
    /// New status.
    pub status: Option<ExerciseStatus>,
    /// New larger exercise, or `null` for none; not the exercise itself nor one of its parts.
    pub part_of_id: MaybeUndefined<ID>,
    /// New missions (replaces the list).
    pub missions: Option<Vec<Mission>>,
    /// New organisations (replaces the list).
    pub organisations: Option<Vec<InvolvementInput>>,
    /// New source document.
    pub source_id: Option<ID>,
    /// New locator.
    pub locator: Option<String>,
}

impl Changes<Exercises> for UpdateExerciseInput {
    fn apply(&self, mut f: ExerciseFields) -> ApiResult<ExerciseFields> {
        patch!(self => f: slug, title, kind, summary, places, status, locator, method, start_date, end_date, participant_count, session_count);
        patch_refs!(self => f: part_of_id <- part_of_id: Exercise "input.partOfId");
        if let Some(v) = &self.missions {
            f.missions = Tags(missions(v));
        }
        if let Some(v) = &self.organisations {
            f.organisations = involvements(v, "input.organisations")?;
        }
        patch_refs!(self => f: source_document_id <- source_id: SourceDocument "input.sourceId");
        Ok(f.normalised())
    }
}

writes! {
    /// Engagement exercises.
    ExerciseMutation: Exercises => Exercise,
    ExerciseUpsert { exercise: "The exercise as stored." }

    /// Creates an exercise. Needs an editor token.
    create_exercise(CreateExerciseInput: "The new exercise.")

    /// Changes an exercise, if it is still at `expectedVersion`. Needs an editor token.
    update_exercise(UpdateExerciseInput: "The exercise and the changes.")

    /// Creates or updates the exercise an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    upsert_exercise(
        "The integrator's key for the exercise.",
        "The exercise's values."
    )

    /// Deletes an exercise, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Refused (`CONFLICT`) while it has findings, views, sessions, metrics, parts or resources. Needs an editor token.
    delete_exercise("The exercise to delete.")
}
