//! Links commitments to the exercises they answer.

use sea_orm::entity::prelude::*;

/// A commitment's link to one exercise.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commitment_exercise")]
pub struct Model {
    /// The commitment.
    #[sea_orm(primary_key, auto_increment = false)]
    pub commitment_id: i32,
    /// An exercise it answers.
    #[sea_orm(primary_key, auto_increment = false)]
    pub exercise_id: i32,
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
        belongs_to = "super::exercise::Entity",
        from = "Column::ExerciseId",
        to = "super::exercise::Column::Id",
        on_delete = "Cascade"
    )]
    Exercise,
}

impl Related<super::commitment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Commitment.def()
    }
}

impl Related<super::exercise::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Exercise.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
