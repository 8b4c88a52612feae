//! Cross-cutting topics that findings and participant views are tagged with.

use sea_orm::entity::prelude::*;

/// A theme.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "theme")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable human-readable key, unique among themes.
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// Display name.
    #[sea_orm(column_type = "Text")]
    pub label: String,
    /// What counts as falling under the theme.
    #[sea_orm(column_type = "Text")]
    pub definition: String,
    /// When this row was created.
    pub created_at: DateTimeUtc,
    /// When this row was last changed.
    pub updated_at: DateTimeUtc,
    /// Bumped by every change: writers send the version they read (optimistic concurrency).
    pub version: i64,
    /// The system an integrator's row came from; with `external_id`, unique.
    #[sea_orm(column_type = "Text", nullable)]
    pub external_source: Option<String>,
    /// The row's key in that system.
    #[sea_orm(column_type = "Text", nullable)]
    pub external_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::finding_theme::Entity")]
    FindingTheme,
    #[sea_orm(has_many = "super::view_theme::Entity")]
    ViewTheme,
}

impl Related<super::finding_theme::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FindingTheme.def()
    }
}

impl Related<super::view_theme::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ViewTheme.def()
    }
}

impl Related<super::finding::Entity> for Entity {
    fn to() -> RelationDef {
        super::finding_theme::Relation::Finding.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::finding_theme::Relation::Theme.def().rev())
    }
}

impl Related<super::participant_view::Entity> for Entity {
    fn to() -> RelationDef {
        super::view_theme::Relation::ParticipantView.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::view_theme::Relation::Theme.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
