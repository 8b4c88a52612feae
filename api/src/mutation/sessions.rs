//! Creating, changing, upserting and deleting sessions of exercises.

use super::id_of;
use super::writes::{Changes, Values};
use crate::curation::{sessions::SessionFields, sessions::Sessions};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::{Session, SessionFormat};
use async_graphql::{InputObject, MaybeUndefined, ID};

/// A new session.
#[derive(InputObject)]
pub struct CreateSessionInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among sessions.
    pub slug: String,
    /// The exercise it belongs to.
    pub exercise_id: ID,
    /// Name of the session (at most 300 characters).
    pub title: String,
    /// Its position among the exercise's sessions, if numbered (not negative).
    pub sequence: Option<i32>,
    /// When it was held: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Where it was held (at most 200 characters).
    pub place: Option<String>,
    /// Whether it met in person, online or both.
    pub format: Option<SessionFormat>,
    /// The source document it is transcribed from.
    pub source_id: ID,
    /// Where in that document it is stated (at most 500 characters).
    pub locator: String,
}

impl Values<Sessions> for CreateSessionInput {
    fn fields(&self, at: &str) -> ApiResult<SessionFields> {
        Ok(fields_of!(self => SessionFields {
            slug, title, sequence, date, place, locator;
            exercise_id: id_of(&self.exercise_id, NodeKind::Exercise, &format!("{at}.exerciseId"))?,
            format: self.format.map(Into::into),
            source_document_id: id_of(
                &self.source_id,
                NodeKind::SourceDocument,
                &format!("{at}.sourceId"),
            )?,
        }))
    }
}

/// Changes to a session: only the fields given change; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdateSessionInput {
    /// The session to change.
    pub id: ID,
    /// The version the change was based on (`Session.version`); if the session has moved on,
    /// the update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New exercise.
    pub exercise_id: Option<ID>,
    /// New title.
    pub title: Option<String>,
    /// New position, or `null` for unnumbered.
    pub sequence: MaybeUndefined<i32>,
    /// New date, or `null` for unknown.
    pub date: MaybeUndefined<String>,
    /// New place, or `null` for unknown.
    pub place: MaybeUndefined<String>,
    /// New format, or `null` for unknown.
    pub format: MaybeUndefined<SessionFormat>,
    /// New source document.
    pub source_id: Option<ID>,
    /// New locator.
    pub locator: Option<String>,
}

impl Changes<Sessions> for UpdateSessionInput {
    fn apply(&self, mut f: SessionFields) -> ApiResult<SessionFields> {
        patch!(self => f: slug, title, locator, sequence, date, place, format);
        patch_refs!(self => f: exercise_id <- exercise_id: Exercise "input.exerciseId");
        patch_refs!(self => f: source_document_id <- source_id: SourceDocument "input.sourceId");
        Ok(f)
    }
}

writes! {
    /// Sessions of exercises.
    SessionMutation: Sessions => Session,
    SessionUpsert { session: "The session as stored." }

    /// Creates a session. Needs an editor token.
    create_session(CreateSessionInput: "The new session.")

    /// Changes a session, if it is still at `expectedVersion`. Needs an editor token.
    update_session(UpdateSessionInput: "The session and the changes.")

    /// Creates or updates the session an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    upsert_session(
        "The integrator's key for the session.",
        "The session's values."
    )

    /// Deletes a session, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Refused (`CONFLICT`) while participant views are filed under it. Needs an editor token.
    delete_session("The session to delete.")
}
