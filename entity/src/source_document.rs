//! A document the corpus was transcribed from; every row of evidence cites one.

use sea_orm::entity::prelude::*;

/// A source document.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "source_document")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable human-readable key, unique among source documents.
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// Name of the file the document was read from.
    #[sea_orm(column_type = "Text")]
    pub file_name: String,
    /// The document's own title.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// Who published it, as printed on the document.
    #[sea_orm(column_type = "Text")]
    pub publisher: String,
    /// ISO-8601 partial date of publication ("2024", "2024-09" or "2024-10-26"), if known.
    #[sea_orm(column_type = "Text")]
    pub published_on: Option<String>,
    /// Where the document can be read online, if anywhere.
    #[sea_orm(column_type = "Text")]
    pub url: Option<String>,
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
    #[sea_orm(has_many = "super::organisation::Entity")]
    Organisation,
    #[sea_orm(has_many = "super::exercise::Entity")]
    Exercise,
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
    #[sea_orm(has_many = "super::finding::Entity")]
    Finding,
    #[sea_orm(has_many = "super::participant_view::Entity")]
    ParticipantView,
    #[sea_orm(has_many = "super::metric::Entity")]
    Metric,
    #[sea_orm(has_many = "super::resource::Entity")]
    Resource,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl Related<super::exercise::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Exercise.def()
    }
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl Related<super::finding::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Finding.def()
    }
}

impl Related<super::participant_view::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ParticipantView.def()
    }
}

impl Related<super::metric::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Metric.def()
    }
}

impl Related<super::resource::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Resource.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
