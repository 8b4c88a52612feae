//! Public engagement exercises (dialogues, surveys, juries...) that gathered what people think.

use sea_orm::entity::prelude::*;

use crate::enums::{ExerciseKind, ExerciseStatus};

/// An engagement exercise.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "exercise")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable human-readable key, unique among exercises.
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// Name of the exercise.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// The form the exercise took.
    pub kind: ExerciseKind,
    /// How it was run, in the source's words, if stated.
    #[sea_orm(column_type = "Text")]
    pub method: Option<String>,
    /// Short account of what the exercise was and did.
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    /// ISO-8601 partial date it began, if known.
    #[sea_orm(column_type = "Text")]
    pub start_date: Option<String>,
    /// ISO-8601 partial date it ended, if known.
    #[sea_orm(column_type = "Text")]
    pub end_date: Option<String>,
    /// JSON array of the names of the places it was held in.
    pub places: Json,
    /// How many people took part, if reported.
    pub participant_count: Option<i32>,
    /// How many sessions it had, if reported.
    pub session_count: Option<i32>,
    /// How far it has got.
    pub status: ExerciseStatus,
    /// The larger exercise this one is part of, if any.
    pub parent_id: Option<i32>,
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
        belongs_to = "super::source_document::Entity",
        from = "Column::SourceDocumentId",
        to = "super::source_document::Column::Id",
        on_delete = "Restrict"
    )]
    SourceDocument,
    /// The larger exercise this one is part of.
    #[sea_orm(
        belongs_to = "Entity",
        from = "Column::ParentId",
        to = "Column::Id",
        on_delete = "SetNull"
    )]
    Parent,
    /// The exercises that are part of this one.
    #[sea_orm(has_many = "Entity", via_rel = "Relation::Parent")]
    Children,
    #[sea_orm(has_many = "super::exercise_mission::Entity")]
    ExerciseMission,
    #[sea_orm(has_many = "super::exercise_organisation::Entity")]
    ExerciseOrganisation,
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
    #[sea_orm(has_many = "super::finding::Entity")]
    Finding,
    #[sea_orm(has_many = "super::participant_view::Entity")]
    ParticipantView,
    #[sea_orm(has_many = "super::metric::Entity")]
    Metric,
    #[sea_orm(has_many = "super::resource_exercise::Entity")]
    ResourceExercise,
}

impl Related<super::source_document::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SourceDocument.def()
    }
}

impl Related<super::exercise_mission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ExerciseMission.def()
    }
}

impl Related<super::exercise_organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ExerciseOrganisation.def()
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

impl Related<super::participant_view::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ParticipantView.def()
    }
}

impl Related<super::metric::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Metric.def()
    }
}

impl Related<super::resource_exercise::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResourceExercise.def()
    }
}

impl Related<super::mission::Entity> for Entity {
    fn to() -> RelationDef {
        super::exercise_mission::Relation::Mission.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::exercise_mission::Relation::Exercise.def().rev())
    }
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        super::exercise_organisation::Relation::Organisation.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::exercise_organisation::Relation::Exercise.def().rev())
    }
}

impl Related<super::resource::Entity> for Entity {
    fn to() -> RelationDef {
        super::resource_exercise::Relation::Resource.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::resource_exercise::Relation::Exercise.def().rev())
    }
}

// `Related<Entity> for Entity` would be ambiguous (up to the parent, or down to the
// children?), so the self-reference is reached through these links instead.

/// Follows an exercise up to the larger exercise it is part of.
#[derive(Clone, Copy, Debug)]
pub struct ParentLink;

impl Linked for ParentLink {
    type FromEntity = Entity;
    type ToEntity = Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Parent.def()]
    }
}

/// Follows an exercise down to the exercises that are part of it.
#[derive(Clone, Copy, Debug)]
pub struct ChildrenLink;

impl Linked for ChildrenLink {
    type FromEntity = Entity;
    type ToEntity = Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Children.def()]
    }
}

impl ActiveModelBehavior for ActiveModel {}
