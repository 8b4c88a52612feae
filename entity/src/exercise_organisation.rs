//! Records the roles organisations played in exercises.

use sea_orm::entity::prelude::*;

use crate::enums::OrganisationRole;

/// One role one organisation played in one exercise.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exercise_organisation")]
pub struct Model {
    /// The exercise.
    #[sea_orm(primary_key, auto_increment = false)]
    pub exercise_id: i32,
    /// The organisation.
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: i32,
    /// The part it played; an organisation can play several.
    #[sea_orm(primary_key, auto_increment = false)]
    pub role: OrganisationRole,
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
        belongs_to = "super::organisation::Entity",
        from = "Column::OrganisationId",
        to = "super::organisation::Column::Id",
        on_delete = "Cascade"
    )]
    Organisation,
}

impl Related<super::exercise::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Exercise.def()
    }
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
