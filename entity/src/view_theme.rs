//! Tags participant views with themes.

use sea_orm::entity::prelude::*;

/// A view's tag with one theme.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "view_theme")]
pub struct Model {
    /// The participant view.
    #[sea_orm(primary_key, auto_increment = false)]
    pub view_id: i32,
    /// A theme it falls under.
    #[sea_orm(primary_key, auto_increment = false)]
    pub theme_id: i32,
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
        belongs_to = "super::theme::Entity",
        from = "Column::ThemeId",
        to = "super::theme::Column::Id",
        on_delete = "Cascade"
    )]
    Theme,
}

impl Related<super::participant_view::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ParticipantView.def()
    }
}

impl Related<super::theme::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Theme.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
