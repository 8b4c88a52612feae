//! Links resources to the exercises they report on.

use sea_orm::entity::prelude::*;

/// A resource's link to one exercise.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resource_exercise")]
pub struct Model {
    /// The resource.
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource_id: i32,
    /// An exercise it reports on.
    #[sea_orm(primary_key, auto_increment = false)]
    pub exercise_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::resource::Entity",
        from = "Column::ResourceId",
        to = "super::resource::Column::Id",
        on_delete = "Cascade"
    )]
    Resource,
    #[sea_orm(
        belongs_to = "super::exercise::Entity",
        from = "Column::ExerciseId",
        to = "super::exercise::Column::Id",
        on_delete = "Cascade"
    )]
    Exercise,
}

impl Related<super::resource::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Resource.def()
    }
}

impl Related<super::exercise::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Exercise.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
