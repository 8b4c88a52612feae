//! Writing source documents: the files every other row is transcribed from.
//!
//! A source document cannot be deleted while any row cites it: provenance is the point of the
//! corpus, so the citing rows must be re-sourced or deleted first.

use super::{
    check_date, check_slug, check_text, check_url, refuse_if_used, Curated, Dependent, External,
    Problem,
};
use crate::errors::{db, ApiResult};
use chrono::Utc;
use entity::enums::Mission;
use entity::{
    commitment, exercise, finding, metric, organisation, participant_view, resource, session,
    source_document,
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, NotSet, Set};
use serde::Serialize;

/// A source document's writable state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceDocumentFields {
    pub slug: String,
    pub file_name: String,
    pub title: String,
    pub publisher: String,
    pub published_on: Option<String>,
    pub url: Option<String>,
}

pub struct SourceDocuments;

impl Curated for SourceDocuments {
    type Model = source_document::Model;
    type Fields = SourceDocumentFields;

    async fn load<C: ConnectionTrait>(
        conn: &C,
        id: i32,
    ) -> ApiResult<Option<(source_document::Model, SourceDocumentFields)>> {
        let Some(m) = db(source_document::Entity::find_by_id(id).one(conn).await)? else {
            return Ok(None);
        };
        let fields = SourceDocumentFields {
            slug: m.slug.clone(),
            file_name: m.file_name.clone(),
            title: m.title.clone(),
            publisher: m.publisher.clone(),
            published_on: m.published_on.clone(),
            url: m.url.clone(),
        };
        Ok(Some((m, fields)))
    }

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

    async fn write<C: ConnectionTrait>(
        conn: &C,
        id: Option<i32>,
        f: &SourceDocumentFields,
        version: i64,
        external: Option<&External>,
    ) -> ApiResult<source_document::Model> {
        let now = Utc::now();
        let mut row = source_document::ActiveModel {
            id: id.map(Set).unwrap_or(NotSet),
            slug: Set(f.slug.clone()),
            file_name: Set(f.file_name.clone()),
            title: Set(f.title.clone()),
            publisher: Set(f.publisher.clone()),
            published_on: Set(f.published_on.clone()),
            url: Set(f.url.clone()),
            updated_at: Set(now),
            version: Set(version),
            ..Default::default()
        };
        if let Some(e) = external {
            row.external_source = Set(Some(e.source.clone()));
            row.external_id = Set(Some(e.id.clone()));
        }
        match id {
            None => {
                row.created_at = Set(now);
                db(row.insert(conn).await)
            }
            Some(_) => db(row.update(conn).await),
        }
    }

    async fn remove<C: ConnectionTrait>(conn: &C, id: i32) -> ApiResult<()> {
        refuse_if_used(
            conn,
            "source document",
            id,
            &[
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
            ],
        )
        .await?;
        db(source_document::Entity::delete_by_id(id).exec(conn).await)?;
        Ok(())
    }

    fn id(m: &source_document::Model) -> i32 {
        m.id
    }
    fn version(m: &source_document::Model) -> i64 {
        m.version
    }
    fn slug(f: &SourceDocumentFields) -> &str {
        &f.slug
    }
    fn visible(_: &SourceDocumentFields) -> bool {
        true
    }
    fn missions(_: &SourceDocumentFields) -> Vec<Mission> {
        Vec::new()
    }
}
