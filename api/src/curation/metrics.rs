//! Writing metrics: numbers an exercise reported. Nothing depends on a metric, so a delete
//! always goes through.

use super::exercises::Exercises;
use super::source_documents::SourceDocuments;
use super::{check_ref, check_slug, check_text, Curated, Problem};
use crate::errors::ApiResult;
use entity::metric;
use sea_orm::ConnectionTrait;

fields! {
    /// A metric's writable state.
    MetricFields: metric {
        slug: String,
        exercise_id: i32,
        label: String,
        value: f64,
        unit: String,
        base: Option<i32>,
        source_document_id: i32,
        locator: String,
    }
}

pub struct Metrics;

impl Curated for Metrics {
    type Model = metric::Model;
    type Fields = MetricFields;

    async fn validate<C: ConnectionTrait>(conn: &C, f: &MetricFields) -> ApiResult<Vec<Problem>> {
        let mut p = Vec::new();
        check_slug(&mut p, "slug", &f.slug);
        check_text(&mut p, "label", &f.label, 300);
        if !f.value.is_finite() {
            p.push(Problem::new("value", "Must be a finite number"));
        }
        check_text(&mut p, "unit", &f.unit, 50);
        if f.base.is_some_and(|n| n < 0) {
            p.push(Problem::new("base", "Must not be negative"));
        }
        check_text(&mut p, "locator", &f.locator, 500);
        check_ref::<Exercises, C>(conn, &mut p, "exerciseId", f.exercise_id).await?;
        check_ref::<SourceDocuments, C>(conn, &mut p, "sourceId", f.source_document_id).await?;
        Ok(p)
    }
}
