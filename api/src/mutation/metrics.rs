//! Creating, changing, upserting and deleting metrics.

use super::{
    begin, by_external, caller, commit, id_of, maybe, version_arg, ExternalKeyInput, Tombstone,
    WriteOutcome,
};
use crate::auth::Role;
use crate::curation::{self, metrics::MetricFields, metrics::Metrics};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::Metric;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use entity::metric;

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

impl CreateMetricInput {
    fn fields(&self, at: &str) -> ApiResult<MetricFields> {
        Ok(MetricFields {
            slug: self.slug.clone(),
            exercise_id: id_of(
                &self.exercise_id,
                NodeKind::Exercise,
                &format!("{at}.exerciseId"),
            )?,
            label: self.label.clone(),
            value: self.value,
            unit: self.unit.clone(),
            base: self.base,
            source_document_id: id_of(
                &self.source_id,
                NodeKind::SourceDocument,
                &format!("{at}.sourceId"),
            )?,
            locator: self.locator.clone(),
        })
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

impl UpdateMetricInput {
    fn apply(&self, mut f: MetricFields) -> ApiResult<MetricFields> {
        if let Some(v) = &self.slug {
            f.slug = v.clone();
        }
        if let Some(v) = &self.exercise_id {
            f.exercise_id = id_of(v, NodeKind::Exercise, "input.exerciseId")?;
        }
        if let Some(v) = &self.label {
            f.label = v.clone();
        }
        if let Some(v) = self.value {
            f.value = v;
        }
        if let Some(v) = &self.unit {
            f.unit = v.clone();
        }
        f.base = maybe(&self.base, f.base);
        if let Some(v) = &self.source_id {
            f.source_document_id = id_of(v, NodeKind::SourceDocument, "input.sourceId")?;
        }
        if let Some(v) = &self.locator {
            f.locator = v.clone();
        }
        Ok(f)
    }
}

/// The result of an upsert.
#[derive(SimpleObject)]
pub struct MetricUpsert {
    /// The metric as stored.
    pub metric: Metric,
    /// Whether it was created, updated or left unchanged.
    pub outcome: WriteOutcome,
}

#[derive(Default)]
pub struct MetricMutation;

/// Metrics.
#[Object]
impl MetricMutation {
    /// Creates a metric. Needs an editor token.
    async fn create_metric(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new metric.")] input: CreateMetricInput,
    ) -> ApiResult<Metric> {
        let viewer = caller(ctx, Role::Editor)?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let model =
            curation::create::<Metrics, _>(&txn, viewer.actor(), &fields, None, "input").await?;
        commit(ctx, txn).await?;
        Ok(Metric(model))
    }

    /// Changes a metric, if it is still at `expectedVersion`. Needs an editor token.
    async fn update_metric(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The metric and the changes.")] input: UpdateMetricInput,
    ) -> ApiResult<Metric> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&input.id, NodeKind::Metric, "input.id")?;
        let expected = version_arg(input.expected_version, "input.expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) = curation::current::<Metrics, _>(&txn, id, Some(expected)).await?;
        let after = input.apply(before.clone())?;
        let (model, _) =
            curation::update::<Metrics, _>(&txn, viewer.actor(), &model, &before, &after, "input")
                .await?;
        commit(ctx, txn).await?;
        Ok(Metric(model))
    }

    /// Creates or updates the metric an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    async fn upsert_metric(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The integrator's key for the metric.")] external_key: ExternalKeyInput,
        #[graphql(desc = "The metric's values.")] input: CreateMetricInput,
    ) -> ApiResult<MetricUpsert> {
        let viewer = caller(ctx, Role::Editor)?;
        let external = external_key.checked("externalKey")?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let existing = by_external::<metric::Entity, _>(
            &txn,
            &external,
            metric::Column::ExternalSource,
            metric::Column::ExternalId,
            |m| m.id,
        )
        .await?;
        let (model, outcome) = curation::upsert::<Metrics, _>(
            &txn,
            viewer.actor(),
            existing,
            &fields,
            &external,
            "input",
        )
        .await?;
        commit(ctx, txn).await?;
        Ok(MetricUpsert {
            metric: Metric(model),
            outcome: outcome.into(),
        })
    }

    /// Deletes a metric, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Needs an editor token.
    async fn delete_metric(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The metric to delete.")] id: ID,
        #[graphql(desc = "The version the deletion was based on.")] expected_version: i64,
    ) -> ApiResult<Tombstone> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&id, NodeKind::Metric, "id")?;
        let expected = version_arg(expected_version, "expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) = curation::current::<Metrics, _>(&txn, id, Some(expected)).await?;
        curation::delete::<Metrics, _>(&txn, viewer.actor(), &model, &before).await?;
        commit(ctx, txn).await?;
        Ok(Tombstone::new(NodeKind::Metric, id, model.version))
    }
}
