//! Creating, changing, upserting and deleting source documents.

use super::{
    begin, by_external, caller, commit, id_of, maybe, version_arg, ExternalKeyInput, Tombstone,
    WriteOutcome,
};
use crate::auth::Role;
use crate::curation::{
    self, source_documents::SourceDocumentFields, source_documents::SourceDocuments,
};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::SourceDocument;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use entity::source_document;

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

impl CreateSourceDocumentInput {
    fn fields(&self, _at: &str) -> ApiResult<SourceDocumentFields> {
        Ok(SourceDocumentFields {
            slug: self.slug.clone(),
            file_name: self.file_name.clone(),
            title: self.title.clone(),
            publisher: self.publisher.clone(),
            published_on: self.published_on.clone(),
            url: self.url.clone(),
        })
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

impl UpdateSourceDocumentInput {
    fn apply(&self, mut f: SourceDocumentFields) -> ApiResult<SourceDocumentFields> {
        if let Some(v) = &self.slug {
            f.slug = v.clone();
        }
        if let Some(v) = &self.file_name {
            f.file_name = v.clone();
        }
        if let Some(v) = &self.title {
            f.title = v.clone();
        }
        if let Some(v) = &self.publisher {
            f.publisher = v.clone();
        }
        f.published_on = maybe(&self.published_on, f.published_on);
        f.url = maybe(&self.url, f.url);
        Ok(f)
    }
}

/// The result of an upsert.
#[derive(SimpleObject)]
pub struct SourceDocumentUpsert {
    /// The source document as stored.
    pub source_document: SourceDocument,
    /// Whether it was created, updated or left unchanged.
    pub outcome: WriteOutcome,
}

#[derive(Default)]
pub struct SourceDocumentMutation;

/// Source documents.
#[Object]
impl SourceDocumentMutation {
    /// Creates a source document. Needs an editor token.
    async fn create_source_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new source document.")] input: CreateSourceDocumentInput,
    ) -> ApiResult<SourceDocument> {
        let viewer = caller(ctx, Role::Editor)?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let model =
            curation::create::<SourceDocuments, _>(&txn, viewer.actor(), &fields, None, "input")
                .await?;
        commit(ctx, txn).await?;
        Ok(SourceDocument(model))
    }

    /// Changes a source document, if it is still at `expectedVersion`. Needs an editor token.
    async fn update_source_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The source document and the changes.")] input: UpdateSourceDocumentInput,
    ) -> ApiResult<SourceDocument> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&input.id, NodeKind::SourceDocument, "input.id")?;
        let expected = version_arg(input.expected_version, "input.expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) =
            curation::current::<SourceDocuments, _>(&txn, id, Some(expected)).await?;
        let after = input.apply(before.clone())?;
        let (model, _) = curation::update::<SourceDocuments, _>(
            &txn,
            viewer.actor(),
            &model,
            &before,
            &after,
            "input",
        )
        .await?;
        commit(ctx, txn).await?;
        Ok(SourceDocument(model))
    }

    /// Creates or updates the source document an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    async fn upsert_source_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The integrator's key for the source document.")]
        external_key: ExternalKeyInput,
        #[graphql(desc = "The source document's values.")] input: CreateSourceDocumentInput,
    ) -> ApiResult<SourceDocumentUpsert> {
        let viewer = caller(ctx, Role::Editor)?;
        let external = external_key.checked("externalKey")?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let existing = by_external::<source_document::Entity, _>(
            &txn,
            &external,
            source_document::Column::ExternalSource,
            source_document::Column::ExternalId,
            |m| m.id,
        )
        .await?;
        let (model, outcome) = curation::upsert::<SourceDocuments, _>(
            &txn,
            viewer.actor(),
            existing,
            &fields,
            &external,
            "input",
        )
        .await?;
        commit(ctx, txn).await?;
        Ok(SourceDocumentUpsert {
            source_document: SourceDocument(model),
            outcome: outcome.into(),
        })
    }

    /// Deletes a source document, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Refused (`CONFLICT`) while any row cites it. Needs an editor token.
    async fn delete_source_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The source document to delete.")] id: ID,
        #[graphql(desc = "The version the deletion was based on.")] expected_version: i64,
    ) -> ApiResult<Tombstone> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&id, NodeKind::SourceDocument, "id")?;
        let expected = version_arg(expected_version, "expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) =
            curation::current::<SourceDocuments, _>(&txn, id, Some(expected)).await?;
        curation::delete::<SourceDocuments, _>(&txn, viewer.actor(), &model, &before).await?;
        commit(ctx, txn).await?;
        Ok(Tombstone::new(NodeKind::SourceDocument, id, model.version))
    }
}
