//! The individual meetings or events of an exercise.

use sea_orm::entity::prelude::*;

use crate::enums::SessionFormat;

/// A session of an exercise.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable human-readable key, unique among sessions.
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// The exercise this session belongs to.
    pub exercise_id: i32,
    /// Name of the session.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// Position among the exercise's sessions, if numbered.
    pub sequence: Option<i32>,
    /// ISO-8601 partial date it was held, if known.
    #[sea_orm(column_type = "Text")]
    pub date: Option<String>,
    /// Where it was held, if stated.
    #[sea_orm(column_type = "Text")]
    pub place: Option<String>,
    /// Whether it met in person, online or both, if stated.
    pub format: Option<SessionFormat>,
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
    #[sea_orm(has_many = "super::participant_view::Entity")]
    ParticipantView,
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

impl Related<super::participant_view::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ParticipantView.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
