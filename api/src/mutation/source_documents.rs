//! Creating, changing, upserting and deleting source documents.

use super::writes::{Changes, Values};
use crate::curation::{source_documents::SourceDocumentFields, source_documents::SourceDocuments};
use crate::errors::ApiResult;
use crate::types::SourceDocument;
use async_graphql::{InputObject, MaybeUndefined, ID};

/// A new source document.
#[derive(InputObject)]
pub struct CreateSourceDocumentInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among source documents.
    pub slug: String,
    /// Name of the file the document was read from (at most 300 characters).
    pub file_name: String,
    /// The document's own title (at most 500 characters).
    pub title: String,
    /// Who published it, as printed on the document (at most 300 characters).
    pub publisher: String,
    /// When it was published: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub published_on: Option<String>,
    /// Where it can be read online: an absolute http or https URL.
    pub url: Option<String>,
}

impl Values<SourceDocuments> for CreateSourceDocumentInput {
    fn fields(&self, _at: &str) -> ApiResult<SourceDocumentFields> {
        Ok(fields_of!(self => SourceDocumentFields {
            slug, file_name, title, publisher, published_on, url;

        }))
    }
}

/// Changes to a source document: only the fields given change; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdateSourceDocumentInput {
    /// The source document to change.
    pub id: ID,
    /// The version the change was based on (`SourceDocument.version`); if the document has
    /// moved on, the update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New file name.
    pub file_name: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// New publisher.
    pub publisher: Option<String>,
    /// New publication date, or `null` for unknown.
    pub published_on: MaybeUndefined<String>,
    /// New URL, or `null` for none.
    pub url: MaybeUndefined<String>,
}

impl Changes<SourceDocuments> for UpdateSourceDocumentInput {
    fn apply(&self, mut f: SourceDocumentFields) -> ApiResult<SourceDocumentFields> {
        patch!(self => f: slug, file_name, title, publisher, published_on, url);
        Ok(f)
    }
}

writes! {
    /// Source documents.
    SourceDocumentMutation: SourceDocuments => SourceDocument,
    SourceDocumentUpsert { source_document: "The source document as stored." }

    /// Creates a source document. Needs an editor token.
    create_source_document(CreateSourceDocumentInput: "The new source document.")

    /// Changes a source document, if it is still at `expectedVersion`. Needs an editor token.
    update_source_document(UpdateSourceDocumentInput: "The source document and the changes.")

    /// Creates or updates the source document an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    upsert_source_document(
        "The integrator's key for the source document.",
        "The source document's values."
    )

    /// Deletes a source document, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Refused (`CONFLICT`) while any row cites it. Needs an editor token.
    delete_source_document("The source document to delete.")
}
