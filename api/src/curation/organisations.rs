//! Writing organisations.
//!
//! An organisation cannot be deleted while it is involved in an exercise or named as a
//! resource's publisher: those links are evidence in their own right, so the editor removes
//! them (by updating the exercise or resource) first.

use super::source_documents::SourceDocuments;
use super::{
    check_opt_text, check_ref, check_slug, check_text, check_url, Curated, Dependent, Problem,
};
use crate::errors::ApiResult;
use entity::enums::OrganisationKind;
use entity::{commitment, exercise_organisation, organisation, resource};
use sea_orm::ConnectionTrait;

fields! {
    /// An organisation's writable state.
    OrganisationFields: organisation {
        slug: String,
        name: String,
        kind: OrganisationKind,
        website: Option<String>,
        description: Option<String>,
        source_document_id: i32,
        locator: String,
    }
}

pub struct Organisations;

impl Curated for Organisations {
    type Model = organisation::Model;
    type Fields = OrganisationFields;

    async fn validate<C: ConnectionTrait>(
        conn: &C,
        f: &OrganisationFields,
    ) -> ApiResult<Vec<Problem>> {
        let mut p = Vec::new();
        check_slug(&mut p, "slug", &f.slug);
        check_text(&mut p, "name", &f.name, 300);
        check_url(&mut p, "website", f.website.as_deref());
        check_opt_text(&mut p, "description", f.description.as_deref(), 5_000);
        check_text(&mut p, "locator", &f.locator, 500);
        check_ref::<SourceDocuments, C>(conn, &mut p, "sourceId", f.source_document_id).await?;
        Ok(p)
    }

    fn dependents() -> Vec<Dependent> {
        vec![
            Dependent::on(
                exercise_organisation::Column::OrganisationId,
                "exercise involvement(s)",
            ),
            Dependent::on(resource::Column::PublisherId, "published resource(s)"),
            Dependent::on(commitment::Column::OrganisationId, "commitment(s)"),
        ]
    }
}
