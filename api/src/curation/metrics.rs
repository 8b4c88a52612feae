//! Writing metrics: numbers an exercise reported. Nothing depends on a metric, so a delete
//! always goes through.

use super::{check_ref, check_slug, check_text, Curated, External, Problem};
use crate::errors::{db, ApiResult};
use chrono::Utc;
use entity::enums::Mission;
use entity::{exercise, metric, source_document};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, NotSet, Set};
use serde::Serialize;

/// A metric's writable state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricFields {
    pub slug: String,
    pub exercise_id: i32,
    pub label: String,
    pub value: f64,
    pub unit: String,
    pub base: Option<i32>,
    pub source_document_id: i32,
    pub locator: String,
}

pub struct Metrics;

impl Curated for Metrics {
    type Model = metric::Model;
    type Fields = MetricFields;

    async fn load<C: ConnectionTrait>(
        conn: &C,
        id: i32,
    ) -> ApiResult<Option<(metric::Model, MetricFields)>> {
        let Some(m) = db(metric::Entity::find_by_id(id).one(conn).await)? else {
            return Ok(None);
        };
        let fields = MetricFields {
            slug: m.slug.clone(),
            exercise_id: m.exercise_id,
            label: m.label.clone(),
            value: m.value,
            unit: m.unit.clone(),
            base: m.base,
            source_document_id: m.source_document_id,
            locator: m.locator.clone(),
        };
        Ok(Some((m, fields)))
    }

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
        check_ref::<exercise::Entity, C>(conn, &mut p, "exerciseId", f.exercise_id, "exercise")
            .await?;
        check_ref::<source_document::Entity, C>(
            conn,
            &mut p,
            "sourceId",
            f.source_document_id,
            "source document",
        )
        .await?;
        Ok(p)
    }

    async fn write<C: ConnectionTrait>(
        conn: &C,
        id: Option<i32>,
        f: &MetricFields,
        version: i64,
        external: Option<&External>,
    ) -> ApiResult<metric::Model> {
        let now = Utc::now();
        let mut row = metric::ActiveModel {
            id: id.map(Set).unwrap_or(NotSet),
            slug: Set(f.slug.clone()),
            exercise_id: Set(f.exercise_id),
            label: Set(f.label.clone()),
            value: Set(f.value),
            unit: Set(f.unit.clone()),
            base: Set(f.base),
            source_document_id: Set(f.source_document_id),
            locator: Set(f.locator.clone()),
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
        db(metric::Entity::delete_by_id(id).exec(conn).await)?;
        Ok(())
    }

    fn id(m: &metric::Model) -> i32 {
        m.id
    }
    fn version(m: &metric::Model) -> i64 {
        m.version
    }
    fn slug(f: &MetricFields) -> &str {
        &f.slug
    }
    fn visible(_: &MetricFields) -> bool {
        true
    }
    fn missions(_: &MetricFields) -> Vec<Mission> {
        Vec::new()
    }
}
