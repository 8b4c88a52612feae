//! "What happened next": what an organisation said it would do (or did) in answer to an
//! engagement exercise and its findings.

use sea_orm::entity::prelude::*;

use crate::enums::{CommitmentStatus, ReviewStatus};

/// A stated response or commitment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commitment")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable human-readable key, unique among commitments.
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// The commitment in one line.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// What was said, in the source's words.
    #[sea_orm(column_type = "Text")]
    pub statement: String,
    /// The organisation that said it.
    pub organisation_id: i32,
    /// ISO-8601 partial date it was said, if known.
    #[sea_orm(column_type = "Text", nullable)]
    pub stated_on: Option<String>,
    /// How far it has got, as far as the sources tell.
    pub status: CommitmentStatus,
    /// The source document this row was transcribed from.
    pub source_document_id: i32,
    /// Where in that document it is stated.
    #[sea_orm(column_type = "Text")]
    pub locator: String,
    /// When this row was created.
    pub created_at: DateTimeUtc,
    /// When this row was last changed.
    pub updated_at: DateTimeUtc,
    /// Bumped by every change: writers send the version they read (optimistic concurrency).
    pub version: i64,
    /// The system an integrator's row came from; with `external_id`, unique.
    #[sea_orm(column_type = "Text", nullable)]
    pub external_source: Option<String>,
    /// The row's key in that system.
    #[sea_orm(column_type = "Text", nullable)]
    pub external_id: Option<String>,
    /// Where the row is in review; readers see published rows only.
    pub review_status: ReviewStatus,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::OrganisationId",
        to = "super::organisation::Column::Id",
        on_delete = "Restrict"
    )]
    Organisation,
    #[sea_orm(
        belongs_to = "super::source_document::Entity",
        from = "Column::SourceDocumentId",
        to = "super::source_document::Column::Id",
        on_delete = "Restrict"
    )]
    SourceDocument,
    #[sea_orm(has_many = "super::commitment_exercise::Entity")]
    CommitmentExercise,
    #[sea_orm(has_many = "super::commitment_finding::Entity")]
    CommitmentFinding,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::source_document::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SourceDocument.def()
    }
}

impl Related<super::commitment_exercise::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CommitmentExercise.def()
    }
}

impl Related<super::commitment_finding::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CommitmentFinding.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
