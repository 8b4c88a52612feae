//! The places an exercise was held in, one row each, keyed by the lower-cased name: the index
//! behind the place filter. Mirrors `exercise.places`; written through
//! `api::places::set_exercise_places`.

use sea_orm::entity::prelude::*;

/// One place an exercise was held in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exercise_place")]
pub struct Model {
    /// The exercise.
    #[sea_orm(primary_key, auto_increment = false)]
    pub exercise_id: i32,
    /// The place's name, trimmed and lower-cased: what filters match on.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub place_key: String,
    /// The place's name as written.
    #[sea_orm(column_type = "Text")]
    pub place: String,
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
}

impl Related<super::exercise::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Exercise.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
