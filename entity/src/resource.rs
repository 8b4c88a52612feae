//! Published outputs about engagement work: reports, blog posts, videos and so on.

use sea_orm::entity::prelude::*;

use crate::enums::ResourceKind;

/// A published resource.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resource")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable human-readable key, unique among resources.
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// The resource's own title.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// The form it takes.
    pub kind: ResourceKind,
    /// Where it can be found online, if anywhere.
    #[sea_orm(column_type = "Text")]
    pub url: Option<String>,
    /// The organisation that published it, if known.
    pub publisher_id: Option<i32>,
    /// ISO-8601 partial date of publication, if known.
    #[sea_orm(column_type = "Text")]
    pub published_on: Option<String>,
    /// The source document this row was transcribed from.
    pub source_document_id: i32,
    /// Where in that document (page, section or paragraph) it is stated.
    #[sea_orm(column_type = "Text")]
    pub locator: String,
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
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::PublisherId",
        to = "super::organisation::Column::Id",
        on_delete = "SetNull"
    )]
    Publisher,
    #[sea_orm(
        belongs_to = "super::source_document::Entity",
        from = "Column::SourceDocumentId",
        to = "super::source_document::Column::Id",
        on_delete = "Restrict"
    )]
    SourceDocument,
    #[sea_orm(has_many = "super::resource_exercise::Entity")]
    ResourceExercise,
    #[sea_orm(has_many = "super::resource_finding::Entity")]
    ResourceFinding,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Publisher.def()
    }
}

impl Related<super::source_document::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SourceDocument.def()
    }
}

impl Related<super::resource_exercise::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResourceExercise.def()
    }
}

impl Related<super::resource_finding::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResourceFinding.def()
    }
}

impl Related<super::exercise::Entity> for Entity {
    fn to() -> RelationDef {
        super::resource_exercise::Relation::Exercise.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::resource_exercise::Relation::Resource.def().rev())
    }
}

impl Related<super::finding::Entity> for Entity {
    fn to() -> RelationDef {
        super::resource_finding::Relation::Finding.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::resource_finding::Relation::Resource.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
