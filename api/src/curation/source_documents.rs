//! Writing source documents: the files every other row is transcribed from.
//!
//! A source document cannot be deleted while any row cites it: provenance is the point of the
//! corpus, so the citing rows must be re-sourced or deleted first.

use super::{check_date, check_slug, check_text, check_url, Curated, Dependent, Problem};
use crate::errors::ApiResult;
use entity::{
    commitment, exercise, finding, metric, organisation, participant_view, resource, session,
    source_document,
};
use sea_orm::ConnectionTrait;

fields! {
    /// A source document's writable state.
    SourceDocumentFields: source_document {
        slug: String,
        file_name: String,
        title: String,
        publisher: String,
        published_on: Option<String>,
        url: Option<String>,
    }
}

pub struct SourceDocuments;

impl Curated for SourceDocuments {
    type Model = source_document::Model;
    type Fields = SourceDocumentFields;

    async fn validate<C: ConnectionTrait>(
        _conn: &C,
        f: &SourceDocumentFields,
    ) -> ApiResult<Vec<Problem>> {
        let mut p = Vec::new();
        check_slug(&mut p, "slug", &f.slug);
        check_text(&mut p, "fileName", &f.file_name, 300);
        check_text(&mut p, "title", &f.title, 500);
        check_text(&mut p, "publisher", &f.publisher, 300);
        check_date(&mut p, "publishedOn", f.published_on.as_deref());
        check_url(&mut p, "url", f.url.as_deref());
        Ok(p)
    }

    fn dependents() -> Vec<Dependent> {
        vec![
            Dependent::on(organisation::Column::SourceDocumentId, "organisation(s)"),
            Dependent::on(exercise::Column::SourceDocumentId, "exercise(s)"),
            Dependent::on(session::Column::SourceDocumentId, "session(s)"),
            Dependent::on(finding::Column::SourceDocumentId, "finding(s)"),
            Dependent::on(
                participant_view::Column::SourceDocumentId,
                "participant view(s)",
            ),
            Dependent::on(metric::Column::SourceDocumentId, "metric(s)"),
            Dependent::on(resource::Column::SourceDocumentId, "resource(s)"),
            Dependent::on(commitment::Column::SourceDocumentId, "commitment(s)"),
        ]
    }
}
