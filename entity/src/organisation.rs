//! Bodies that ran, funded, supported or published engagement work.

use sea_orm::entity::prelude::*;

use crate::enums::OrganisationKind;

/// An organisation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Stable human-readable key, unique among organisations.
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// Full name.
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// What sort of body it is.
    pub kind: OrganisationKind,
    /// Home page, if known.
    #[sea_orm(column_type = "Text")]
    pub website: Option<String>,
    /// Short description, if the source gives one.
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
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
        belongs_to = "super::source_document::Entity",
        from = "Column::SourceDocumentId",
        to = "super::source_document::Column::Id",
        on_delete = "Restrict"
    )]
    SourceDocument,
    #[sea_orm(has_many = "super::exercise_organisation::Entity")]
    ExerciseOrganisation,
    #[sea_orm(has_many = "super::resource::Entity")]
    Resource,
}

impl Related<super::source_document::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SourceDocument.def()
    }
}

impl Related<super::exercise_organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ExerciseOrganisation.def()
    }
}

impl Related<super::resource::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Resource.def()
    }
}

impl Related<super::exercise::Entity> for Entity {
    fn to() -> RelationDef {
        super::exercise_organisation::Relation::Exercise.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::exercise_organisation::Relation::Organisation
                .def()
                .rev(),
        )
    }
}

impl ActiveModelBehavior for ActiveModel {}
