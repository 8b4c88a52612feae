//! Creating, changing, upserting and deleting participant views.

use super::writes::{Changes, Values};
use super::{id_of, ids_of, missions};
use crate::curation::{views::ViewFields, views::Views};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::{Mission, ParticipantView, ReviewStatus, Stance};
use async_graphql::{InputObject, MaybeUndefined, ID};

/// A new participant view. Views are anonymous: there is no field for a name or contact details.
#[derive(InputObject)]
pub struct CreateViewInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among views.
    pub slug: String,
    /// The exercise it was gathered in.
    pub exercise_id: ID,
    /// The session it was voiced in, if known (a session of the same exercise).
    pub session_id: Option<ID>,
    /// The finding it supports, if any (a finding of the same exercise).
    pub finding_id: Option<ID>,
    /// The view (at most 10,000 characters).
    pub text: String,
    /// True when `text` quotes the participant's own words.
    #[graphql(default)]
    pub verbatim: bool,
    /// The stance the view takes.
    pub stance: Stance,
    /// The Government Missions it relates to.
    #[graphql(default)]
    pub missions: Vec<Mission>,
    /// The themes it is tagged with.
    #[graphql(default)]
    pub theme_ids: Vec<ID>,
    /// The source document it is transcribed from.
    pub source_id: ID,
    /// Where in that document it is stated (at most 500 characters).
    pub locator: String,
    /// The review status to start in: `DRAFT` unless given.
    #[graphql(default_with = "ReviewStatus::Draft")]
    pub review_status: ReviewStatus,
}

impl Values<Views> for CreateViewInput {
    fn fields(&self, at: &str) -> ApiResult<ViewFields> {
        Ok(fields_of!(self => ViewFields {
            slug, text, verbatim, stance, locator, review_status;
            exercise_id: id_of(&self.exercise_id, NodeKind::Exercise, &format!("{at}.exerciseId"))?,
            session_id: self
                .session_id
                .as_ref()
                .map(|id| id_of(id, NodeKind::Session, &format!("{at}.sessionId")))
                .transpose()?,
            finding_id: self
                .finding_id
                .as_ref()
                .map(|id| id_of(id, NodeKind::Finding, &format!("{at}.findingId")))
                .transpose()?,
            missions: missions(&self.missions),
            theme_ids: ids_of(&self.theme_ids, NodeKind::Theme, &format!("{at}.themeIds"))?,
            source_document_id: id_of(
                &self.source_id,
                NodeKind::SourceDocument,
                &format!("{at}.sourceId"),
            )?,
        })
        .normalised())
    }
}

/// Changes to a participant view: only the fields given change; `null` clears an optional link;
/// lists given replace the old list.
#[derive(InputObject)]
pub struct UpdateViewInput {
    /// The view to change.
    pub id: ID,
    /// The version the change was based on (`ParticipantView.version`); if the view has moved
    /// on, the update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New exercise.
    pub exercise_id: Option<ID>,
    /// New session, or `null` for none.
    pub session_id: MaybeUndefined<ID>,
    /// New finding, or `null` for none.
    pub finding_id: MaybeUndefined<ID>,
    /// New text.
    pub text: Option<String>,
    /// Whether the new text is verbatim.
    pub verbatim: Option<bool>,
    /// New stance.
    pub stance: Option<Stance>,
    /// New missions (replaces the list).
    pub missions: Option<Vec<Mission>>,
    /// New themes (replaces the list).
    pub theme_ids: Option<Vec<ID>>,
    /// New source document.
    pub source_id: Option<ID>,
    /// New locator.
    pub locator: Option<String>,
}

impl Changes<Views> for UpdateViewInput {
    fn apply(&self, mut f: ViewFields) -> ApiResult<ViewFields> {
        patch!(self => f: slug, text, verbatim, stance, locator);
        patch_refs!(self => f: exercise_id <- exercise_id: Exercise "input.exerciseId");
        patch_refs!(self => f: session_id <- session_id: Session "input.sessionId");
        patch_refs!(self => f: finding_id <- finding_id: Finding "input.findingId");
        if let Some(v) = &self.missions {
            f.missions = missions(v);
        }
        if let Some(v) = &self.theme_ids {
            f.theme_ids = ids_of(v, NodeKind::Theme, "input.themeIds")?;
        }
        patch_refs!(self => f: source_document_id <- source_id: SourceDocument "input.sourceId");
        Ok(f.normalised())
    }
}

writes! {
    /// Participant views.
    ViewMutation: Views => ParticipantView,
    ViewUpsert { view: "The view as stored." }

    /// Creates a participant view (a draft unless `reviewStatus` says otherwise). Needs an
    /// editor token.
    create_view(CreateViewInput: "The new view.")

    /// Changes a participant view, if it is still at `expectedVersion`. Needs an editor token.
    update_view(UpdateViewInput: "The view and the changes.")

    /// Creates or updates the view an integrator knows by `externalKey`: sending the same values
    /// again changes nothing. Needs an editor token.
    upsert_view(
        "The integrator's key for the view.",
        "The view's values."
    )

    /// Deletes a participant view, if it is still at `expectedVersion`, leaving a tombstone in
    /// the change feed. Needs an editor token.
    delete_view("The view to delete.")
}
