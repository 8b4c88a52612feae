//! Creating, changing, upserting and deleting metrics.

use super::id_of;
use super::writes::{Changes, Values};
use crate::curation::{metrics::MetricFields, metrics::Metrics};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::Metric;
use async_graphql::{InputObject, MaybeUndefined, ID};

/// A new metric.
#[derive(InputObject)]
pub struct CreateMetricInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among metrics.
    pub slug: String,
    /// The exercise that reported it.
    pub exercise_id: ID,
    /// What was measured (at most 300 characters).
    pub label: String,
    /// The measured value.
    pub value: f64,
    /// Unit of `value`, e.g. `%` or `people` (at most 50 characters).
    pub unit: String,
    /// How many respondents the value is out of, if reported (not negative).
    pub base: Option<i32>,
    /// The source document it is transcribed from.
    pub source_id: ID,
    /// Where in that document it is stated (at most 500 characters).
    pub locator: String,
}

impl Values<Metrics> for CreateMetricInput {
    fn fields(&self, at: &str) -> ApiResult<MetricFields> {
        Ok(fields_of!(self => MetricFields {
            slug, label, value, unit, base, locator;
            exercise_id: id_of(&self.exercise_id, NodeKind::Exercise, &format!("{at}.exerciseId"))?,
            source_document_id: id_of(
                &self.source_id,
                NodeKind::SourceDocument,
                &format!("{at}.sourceId"),
            )?,
        }))
    }
}

/// Changes to a metric: only the fields given change; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdateMetricInput {
    /// The metric to change.
    pub id: ID,
    /// The version the change was based on (`Metric.version`); if the metric has moved on, the
    /// update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New exercise.
    pub exercise_id: Option<ID>,
    /// New label.
    pub label: Option<String>,
    /// New value.
    pub value: Option<f64>,
    /// New unit.
    pub unit: Option<String>,
    /// New base, or `null` for not reported.
    pub base: MaybeUndefined<i32>,
    /// New source document.
    pub source_id: Option<ID>,
    /// New locator.
    pub locator: Option<String>,
}

impl Changes<Metrics> for UpdateMetricInput {
    fn apply(&self, mut f: MetricFields) -> ApiResult<MetricFields> {
        patch!(self => f: slug, label, value, unit, locator, base);
        patch_refs!(self => f: exercise_id <- exercise_id: Exercise "input.exerciseId");
        patch_refs!(self => f: source_document_id <- source_id: SourceDocument "input.sourceId");
        Ok(f)
    }
}

writes! {
    /// Metrics.
    MetricMutation: Metrics => Metric,
    MetricUpsert { metric: "The metric as stored." }

    /// Creates a metric. Needs an editor token.
    create_metric(CreateMetricInput: "The new metric.")

    /// Changes a metric, if it is still at `expectedVersion`. Needs an editor token.
    update_metric(UpdateMetricInput: "The metric and the changes.")

    /// Creates or updates the metric an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    upsert_metric(
        "The integrator's key for the metric.",
        "The metric's values."
    )

    /// Deletes a metric, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Needs an editor token.
    delete_metric("The metric to delete.")
}
