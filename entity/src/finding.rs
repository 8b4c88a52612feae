//! Conclusions an exercise reached about what participants think.

use sea_orm::entity::prelude::*;

use crate::enums::{FindingKind, ReviewStatus};

/// A finding of an exercise.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finding")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable human-readable key, unique among findings.
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// The exercise that reached it.
    pub exercise_id: i32,
    /// Short heading.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// The finding in full.
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    /// What sort of conclusion it is.
    pub kind: FindingKind,
    /// Order among the exercise's findings.
    pub position: i32,
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
        belongs_to = "super::source_document::Entity",
        from = "Column::SourceDocumentId",
        to = "super::source_document::Column::Id",
        on_delete = "Restrict"
    )]
    SourceDocument,
    #[sea_orm(has_many = "super::finding_mission::Entity")]
    FindingMission,
    #[sea_orm(has_many = "super::finding_theme::Entity")]
    FindingTheme,
    #[sea_orm(has_many = "super::participant_view::Entity")]
    ParticipantView,
    #[sea_orm(has_many = "super::resource_finding::Entity")]
    ResourceFinding,
}

impl Related<super::exercise::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Exercise.def()
    }
}

impl Related<super::source_document::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SourceDocument.def()
    }
}

impl Related<super::finding_mission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FindingMission.def()
    }
}

impl Related<super::finding_theme::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FindingTheme.def()
    }
}

impl Related<super::participant_view::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ParticipantView.def()
    }
}

impl Related<super::resource_finding::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResourceFinding.def()
    }
}

impl Related<super::mission::Entity> for Entity {
    fn to() -> RelationDef {
        super::finding_mission::Relation::Mission.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::finding_mission::Relation::Finding.def().rev())
    }
}

impl Related<super::theme::Entity> for Entity {
    fn to() -> RelationDef {
        super::finding_theme::Relation::Theme.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::finding_theme::Relation::Finding.def().rev())
    }
}

impl Related<super::resource::Entity> for Entity {
    fn to() -> RelationDef {
        super::resource_finding::Relation::Resource.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::resource_finding::Relation::Finding.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
