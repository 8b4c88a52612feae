//! Commitments in a bundle, with the organisation that made them and the exercises and findings
//! they answer.

use crate::curation::{
    commitments, commitments::CommitmentFields, commitments::Commitments, exercises::Exercises,
    findings::Findings, organisations::Organisations, source_documents::SourceDocuments,
};
use entity::enums::{CommitmentStatus, ReviewStatus};
use serde::{Deserialize, Serialize};

/// A commitment row: the seed corpus' fields, plus review status and external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommitmentRow {
    pub slug: String,
    pub title: String,
    pub statement: String,
    pub organisation: String,
    #[serde(default)]
    pub stated_on: Option<String>,
    pub status: CommitmentStatus,
    #[serde(default)]
    pub exercises: Vec<String>,
    #[serde(default)]
    pub findings: Vec<String>,
    pub source: String,
    pub locator: String,
    #[serde(default = "super::published")]
    pub review_status: ReviewStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

codec! {
    Commitments: "commitment", CommitmentRow => CommitmentFields {
        same { slug, title, statement, stated_on, status, locator, review_status }
        one Organisations: organisation -> organisation_id;
        many Exercises: exercises -> exercise_ids by commitments::EXERCISES;
        many Findings: findings -> finding_ids by commitments::FINDINGS;
        one SourceDocuments: source -> source_document_id;
    }
}
