//! Tags findings with the missions they bear on.

use sea_orm::entity::prelude::*;

use crate::enums::Mission;

/// A finding's tag with one mission.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finding_mission")]
pub struct Model {
    /// The finding.
    #[sea_orm(primary_key, auto_increment = false)]
    pub finding_id: i32,
    /// A mission it bears on.
    #[sea_orm(primary_key, auto_increment = false)]
    pub mission_code: Mission,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::finding::Entity",
        from = "Column::FindingId",
        to = "super::finding::Column::Id",
        on_delete = "Cascade"
    )]
    Finding,
    #[sea_orm(
        belongs_to = "super::mission::Entity",
        from = "Column::MissionCode",
        to = "super::mission::Column::Code",
        on_delete = "Cascade"
    )]
    Mission,
}

impl Related<super::finding::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Finding.def()
    }
}

impl Related<super::mission::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Mission.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
