//! Creating, changing, upserting and deleting organisations.

use super::id_of;
use super::writes::{Changes, Values};
use crate::curation::{organisations::OrganisationFields, organisations::Organisations};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::{Organisation, OrganisationKind};
use async_graphql::{InputObject, MaybeUndefined, ID};

/// A new organisation.
#[derive(InputObject)]
pub struct CreateOrganisationInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among organisations.
    pub slug: String,
    /// Full name (at most 300 characters).
    pub name: String,
    /// What sort of body it is.
    pub kind: OrganisationKind,
    /// Home page: an absolute http or https URL.
    pub website: Option<String>,
    /// Short description (at most 5,000 characters).
    pub description: Option<String>,
    /// The source document it is transcribed from.
    pub source_id: ID,
    /// Where in that document it is stated (at most 500 characters).
    pub locator: String,
}

impl Values<Organisations> for CreateOrganisationInput {
    fn fields(&self, at: &str) -> ApiResult<OrganisationFields> {
        Ok(fields_of!(self => OrganisationFields {
            slug, name, kind, website, description, locator;
            source_document_id: id_of(
                &self.source_id,
                NodeKind::SourceDocument,
                &format!("{at}.sourceId"),
            )?,
        }))
    }
}

/// Changes to an organisation: only the fields given change; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdateOrganisationInput {
    /// The organisation to change.
    pub id: ID,
    /// The version the change was based on (`Organisation.version`); if the organisation has
    /// moved on, the update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<OrganisationKind>,
    /// New home page, or `null` for none.
    pub website: MaybeUndefined<String>,
    /// New description, or `null` for none.
    pub description: MaybeUndefined<String>,
    /// New source document.
    pub source_id: Option<ID>,
    /// New locator.
    pub locator: Option<String>,
}

impl Changes<Organisations> for UpdateOrganisationInput {
    fn apply(&self, mut f: OrganisationFields) -> ApiResult<OrganisationFields> {
        patch!(self => f: slug, name, kind, locator, website, description);
        patch_refs!(self => f: source_document_id <- source_id: SourceDocument "input.sourceId");
        Ok(f)
    }
}

writes! {
    /// Organisations.
    OrganisationMutation: Organisations => Organisation,
    OrganisationUpsert { organisation: "The organisation as stored." }

    /// Creates an organisation. Needs an editor token.
    create_organisation(CreateOrganisationInput: "The new organisation.")

    /// Changes an organisation, if it is still at `expectedVersion`. Needs an editor token.
    update_organisation(UpdateOrganisationInput: "The organisation and the changes.")

    /// Creates or updates the organisation an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    upsert_organisation(
        "The integrator's key for the organisation.",
        "The organisation's values."
    )

    /// Deletes an organisation, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Refused (`CONFLICT`) while it is involved in an exercise or publishes a resource. Needs an editor token.
    delete_organisation("The organisation to delete.")
}
