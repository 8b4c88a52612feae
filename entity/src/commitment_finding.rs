//! Links commitments to the findings they answer.

use sea_orm::entity::prelude::*;

/// A commitment's link to one finding.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commitment_finding")]
pub struct Model {
    /// The commitment.
    #[sea_orm(primary_key, auto_increment = false)]
    pub commitment_id: i32,
    /// A finding it answers.
    #[sea_orm(primary_key, auto_increment = false)]
    pub finding_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::commitment::Entity",
        from = "Column::CommitmentId",
        to = "super::commitment::Column::Id",
        on_delete = "Cascade"
    )]
    Commitment,
    #[sea_orm(
        belongs_to = "super::finding::Entity",
        from = "Column::FindingId",
        to = "super::finding::Column::Id",
        on_delete = "Cascade"
    )]
    Finding,
}

impl Related<super::commitment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Commitment.def()
    }
}

impl Related<super::finding::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Finding.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
