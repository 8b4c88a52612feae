//! Creating, changing, upserting and deleting commitments ("what happened next"), and linking
//! them to the exercises and findings they answer. Review goes through `review`, as for findings.

use super::writes::{Changes, Values};
use super::{id_of, ids_of};
use crate::curation::commitments::{CommitmentFields, Commitments};
use crate::curation::Tags;
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::{Commitment, CommitmentStatus, ReviewStatus};
use async_graphql::{InputObject, MaybeUndefined, ID};

/// A new commitment.
#[derive(InputObject)]
pub struct CreateCommitmentInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among commitments.
    pub slug: String,
    /// The commitment in one line (at most 300 characters).
    pub title: String,
    /// What was said, in the source's words (at most 10,000 characters).
    pub statement: String,
    /// The organisation that said it.
    pub organisation_id: ID,
    /// When it was said: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub stated_on: Option<String>,
    /// How far it has got: `STATED` unless given.
    #[graphql(default_with = "CommitmentStatus::Stated")]
    pub status: CommitmentStatus,
    /// The exercises it answers.
    #[graphql(default)]
    pub exercise_ids: Vec<ID>,
    /// The findings it answers (they then list it under `Finding.commitments`).
    #[graphql(default)]
    pub finding_ids: Vec<ID>,
    /// The source document it is transcribed from.
    pub source_id: ID,
    /// Where in that document it is stated: the exact sentence (at most 500 characters).
    pub locator: String,
    /// The review status to start in: `DRAFT` unless given.
    #[graphql(default_with = "ReviewStatus::Draft")]
    pub review_status: ReviewStatus,
}

impl Values<Commitments> for CreateCommitmentInput {
    fn fields(&self, at: &str) -> ApiResult<CommitmentFields> {
        Ok(fields_of!(self => CommitmentFields {
            slug, title, statement, stated_on, status, locator, review_status;
            organisation_id: id_of(
                &self.organisation_id,
                NodeKind::Organisation,
                &format!("{at}.organisationId"),
            )?,
            exercise_ids: Tags(ids_of(
                &self.exercise_ids,
                NodeKind::Exercise,
                &format!("{at}.exerciseIds"),
            )?),
            finding_ids: Tags(ids_of(
                &self.finding_ids,
                NodeKind::Finding,
                &format!("{at}.findingIds"),
            )?),
            source_document_id: id_of(
                &self.source_id,
                NodeKind::SourceDocument,
                &format!("{at}.sourceId"),
            )?,
        }))
    }
}

/// Changes to a commitment: only the fields given change; `null` clears an optional field;
/// lists given replace the old list. The review status changes only through the review
/// mutations.
#[derive(InputObject)]
pub struct UpdateCommitmentInput {
    /// The commitment to change.
    pub id: ID,
    /// The version the change was based on (`Commitment.version`); if the commitment has moved
    /// on, the update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// New statement.
    pub statement: Option<String>,
    /// New organisation.
    pub organisation_id: Option<ID>,
    /// New date, or `null` for unknown.
    pub stated_on: MaybeUndefined<String>,
    /// New status, e.g. `DONE` once a source reports it done.
    pub status: Option<CommitmentStatus>,
    /// New exercises (replaces the list).
    pub exercise_ids: Option<Vec<ID>>,
    /// New findings (replaces the list).
    pub finding_ids: Option<Vec<ID>>,
    /// New source document.
    pub source_id: Option<ID>,
    /// New locator.
    pub locator: Option<String>,
}

impl Changes<Commitments> for UpdateCommitmentInput {
    fn apply(&self, mut f: CommitmentFields) -> ApiResult<CommitmentFields> {
        patch!(self => f: slug, title, statement, status, locator, stated_on);
        patch_refs!(self => f:
            organisation_id <- organisation_id: Organisation "input.organisationId"
        );
        if let Some(v) = &self.exercise_ids {
            f.exercise_ids = Tags(ids_of(v, NodeKind::Exercise, "input.exerciseIds")?);
        }
        if let Some(v) = &self.finding_ids {
            f.finding_ids = Tags(ids_of(v, NodeKind::Finding, "input.findingIds")?);
        }
        patch_refs!(self => f: source_document_id <- source_id: SourceDocument "input.sourceId");
        Ok(f)
    }
}

writes! {
    /// Commitments.
    CommitmentMutation: Commitments => Commitment,
    CommitmentUpsert { commitment: "The commitment as stored." }

    /// Creates a commitment (a draft unless `reviewStatus` says otherwise). Needs an editor
    /// token.
    create_commitment(CreateCommitmentInput: "The new commitment.")

    /// Changes a commitment, if it is still at `expectedVersion`. Needs an editor token.
    update_commitment(UpdateCommitmentInput: "The commitment and the changes.")

    /// Creates or updates the commitment an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    upsert_commitment(
        "The integrator's key for the commitment.",
        "The commitment's values."
    )

    /// Deletes a commitment, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Its links to exercises and findings go with it. Needs an editor token.
    delete_commitment("The commitment to delete.")
}
