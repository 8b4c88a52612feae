//! Tags exercises with the missions they bear on.

use sea_orm::entity::prelude::*;

use crate::enums::Mission;

/// An exercise's tag with one mission.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exercise_mission")]
pub struct Model {
    /// The exercise.
    #[sea_orm(primary_key, auto_increment = false)]
    pub exercise_id: i32,
    /// A mission it bears on.
    #[sea_orm(primary_key, auto_increment = false)]
    pub mission_code: Mission,
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
        belongs_to = "super::mission::Entity",
        from = "Column::MissionCode",
        to = "super::mission::Column::Code",
        on_delete = "Cascade"
    )]
    Mission,
}

impl Related<super::exercise::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Exercise.def()
    }
}

impl Related<super::mission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mission.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
