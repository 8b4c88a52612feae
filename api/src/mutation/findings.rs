//! Creating, changing, upserting and deleting findings.

use super::writes::{Changes, Values};
use super::{id_of, ids_of, missions};
use crate::curation::{findings::FindingFields, findings::Findings};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::{Finding, FindingKind, Mission, ReviewStatus};
use async_graphql::{InputObject, ID};

/// A new finding.
#[derive(InputObject)]
pub struct CreateFindingInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among findings.
    pub slug: String,
    /// The exercise that reached the finding.
    pub exercise_id: ID,
    /// The finding in one line (at most 300 characters).
    pub title: String,
    /// The finding explained (at most 10,000 characters).
    pub summary: String,
    /// What kind of statement it is.
    pub kind: FindingKind,
    /// Its place in the exercise's list of findings.
    #[graphql(default)]
    pub position: i32,
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

impl Values<Findings> for CreateFindingInput {
    fn fields(&self, at: &str) -> ApiResult<FindingFields> {
        Ok(fields_of!(self => FindingFields {
            slug, title, summary, kind, position, locator, review_status;
            exercise_id: id_of(&self.exercise_id, NodeKind::Exercise, &format!("{at}.exerciseId"))?,
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

/// Changes to a finding: only the fields given change; lists given replace the old list.
#[derive(InputObject)]
pub struct UpdateFindingInput {
    /// The finding to change.
    pub id: ID,
    /// The version the change was based on (`Finding.version`); if the finding has moved on,
    /// the update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New exercise.
    pub exercise_id: Option<ID>,
    /// New title.
    pub title: Option<String>,
    /// New summary.
    pub summary: Option<String>,
    /// New kind.
    pub kind: Option<FindingKind>,
    /// New position.
    pub position: Option<i32>,
    /// New missions (replaces the list).
    pub missions: Option<Vec<Mission>>,
    /// New themes (replaces the list).
    pub theme_ids: Option<Vec<ID>>,
    /// New source document.
    pub source_id: Option<ID>,
    /// New locator.
    pub locator: Option<String>,
}

impl Changes<Findings> for UpdateFindingInput {
    fn apply(&self, mut f: FindingFields) -> ApiResult<FindingFields> {
        patch!(self => f: slug, title, summary, kind, position, locator);
        patch_refs!(self => f: exercise_id <- exercise_id: Exercise "input.exerciseId");
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
    /// Findings.
    FindingMutation: Findings => Finding,
    FindingUpsert { finding: "The finding as stored." }

    /// Creates a finding (a draft unless `reviewStatus` says otherwise). Needs an editor token.
    create_finding(CreateFindingInput: "The new finding.")

    /// Changes a finding, if it is still at `expectedVersion`. Needs an editor token.
    update_finding(UpdateFindingInput: "The finding and the changes.")

    /// Creates or updates the finding an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    upsert_finding(
        "The integrator's key for the finding.",
        "The finding's values."
    )

    /// Deletes a finding, if it is still at `expectedVersion`, leaving a tombstone in the change
    /// feed. Refused (`CONFLICT`) while participant views are filed under it. Needs an editor
    /// token.
    delete_finding("The finding to delete.")
}
