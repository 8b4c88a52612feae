//! The government's missions, held as rows so that evidence can be tagged with them.

use sea_orm::entity::prelude::*;

use crate::enums::Mission;

/// A mission.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mission")]
pub struct Model {
    /// The mission itself; tagging rows reference it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: Mission,
    /// Display name.
    #[sea_orm(column_type = "Text")]
    pub label: String,
    /// What the mission aims at.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Order in which missions are listed.
    pub position: i32,
    /// When this row was created.
    pub created_at: DateTimeUtc,
    /// When this row was last changed.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::exercise_mission::Entity")]
    ExerciseMission,
    #[sea_orm(has_many = "super::finding_mission::Entity")]
    FindingMission,
    #[sea_orm(has_many = "super::view_mission::Entity")]
    ViewMission,
}

impl Related<super::exercise_mission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ExerciseMission.def()
    }
}

impl Related<super::finding_mission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FindingMission.def()
    }
}

impl Related<super::view_mission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ViewMission.def()
    }
}

impl Related<super::exercise::Entity> for Entity {
    fn to() -> RelationDef {
        super::exercise_mission::Relation::Exercise.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::exercise_mission::Relation::Mission.def().rev())
    }
}

impl Related<super::finding::Entity> for Entity {
    fn to() -> RelationDef {
        super::finding_mission::Relation::Finding.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::finding_mission::Relation::Mission.def().rev())
    }
}

impl Related<super::participant_view::Entity> for Entity {
    fn to() -> RelationDef {
        super::view_mission::Relation::ParticipantView.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::view_mission::Relation::Mission.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
