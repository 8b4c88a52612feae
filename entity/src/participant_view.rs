//! What individual participants said, or were reported as thinking.

use sea_orm::entity::prelude::*;

use crate::enums::{ReviewStatus, Stance};

/// A participant's view.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "participant_view")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable human-readable key, unique among participant views.
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// The exercise it was gathered in.
    pub exercise_id: i32,
    /// The session it was voiced in, if known.
    pub session_id: Option<i32>,
    /// The finding it supports, if any.
    pub finding_id: Option<i32>,
    /// The view, verbatim or paraphrased.
    #[sea_orm(column_type = "Text")]
    pub text: String,
    /// Whether `text` quotes the participant's own words.
    pub is_verbatim: bool,
    /// The attitude it expresses.
    pub stance: Stance,
    /// The source document this row was transcribed from.
    pub source_document_id: i32,
    /// Where in that document (page, section or paragraph) it is stated.
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
    /// Where the row is in review; only published rows are shown to readers.
    pub review_status: ReviewStatus,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::exercise::Entity",
        from = "Column::ExerciseId",
        to = "super::exercise::Column::Id",
        on_delete = "Cascade"
    )]
    Exercise,
    #[sea_orm(
        belongs_to = "super::session::Entity",
        from = "Column::SessionId",
        to = "super::session::Column::Id",
        on_delete = "SetNull"
    )]
    Session,
    #[sea_orm(
        belongs_to = "super::finding::Entity",
        from = "Column::FindingId",
        to = "super::finding::Column::Id",
        on_delete = "SetNull"
    )]
    Finding,
    #[sea_orm(
        belongs_to = "super::source_document::Entity",
        from = "Column::SourceDocumentId",
        to = "super::source_document::Column::Id",
        on_delete = "Restrict"
    )]
    SourceDocument,
    #[sea_orm(has_many = "super::view_mission::Entity")]
    ViewMission,
    #[sea_orm(has_many = "super::view_theme::Entity")]
    ViewTheme,
}

impl Related<super::exercise::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Exercise.def()
    }
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl Related<super::finding::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Finding.def()
    }
}

impl Related<super::source_document::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SourceDocument.def()
    }
}

impl Related<super::view_mission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ViewMission.def()
    }
}

impl Related<super::view_theme::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ViewTheme.def()
    }
}

impl Related<super::mission::Entity> for Entity {
    fn to() -> RelationDef {
        super::view_mission::Relation::Mission.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::view_mission::Relation::ParticipantView.def().rev())
    }
}

impl Related<super::theme::Entity> for Entity {
    fn to() -> RelationDef {
        super::view_theme::Relation::Theme.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::view_theme::Relation::ParticipantView.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
