//! Tags participant views with the missions they bear on.

use sea_orm::entity::prelude::*;

use crate::enums::Mission;

/// A view's tag with one mission.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "view_mission")]
pub struct Model {
    /// The participant view.
    #[sea_orm(primary_key, auto_increment = false)]
    pub view_id: i32,
    /// A mission it bears on.
    #[sea_orm(primary_key, auto_increment = false)]
    pub mission_code: Mission,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::participant_view::Entity",
        from = "Column::ViewId",
        to = "super::participant_view::Column::Id",
        on_delete = "Cascade"
    )]
    ParticipantView,
    #[sea_orm(
        belongs_to = "super::mission::Entity",
        from = "Column::MissionCode",
        to = "super::mission::Column::Code",
        on_delete = "Cascade"
    )]
    Mission,
}

impl Related<super::participant_view::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ParticipantView.def()
    }
}

impl Related<super::mission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mission.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
