//! `GET /metrics`: every metric in the OpenMetrics text format (what Prometheus scrapes). The pool
//! and change-hub gauges are read at scrape time; the hub's backlog costs one indexed query.

use crate::changes::Hub;
use crate::metrics::{HubSample, Metrics, PoolSample};
use actix_web::{web, HttpResponse};
use entity::change_log;
use sea_orm::{
    ColumnTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn metrics(
    metrics: web::Data<Metrics>,
    db: web::Data<DatabaseConnection>,
    hub: web::Data<Hub>,
    engine: web::Data<crate::engine::Engine>,
) -> HttpResponse {
    metrics.engine(&engine.status(), engine.heap_bytes());
    let pool = pool_sample(&db);
    let hub_sample = hub_sample(&db, &hub).await;
    let body = metrics.render(pool, hub_sample, hub.dropped_events());
    HttpResponse::Ok().content_type(CONTENT_TYPE).body(body)
}

fn pool_sample(db: &DatabaseConnection) -> PoolSample {
    let (size, idle, max) = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    PoolSample {
        in_use: size - idle,
        idle,
        max,
    }
}

/// How far the hub is behind the log: changes committed but not yet broadcast, and the oldest's age.
async fn hub_sample(db: &DatabaseConnection, hub: &Hub) -> Option<HubSample> {
    let last_seq = hub.last_seq();
    let row = change_log::Entity::find()
        .select_only()
        .column_as(change_log::Column::Seq.count(), "pending")
        .column_as(change_log::Column::ChangedAt.min(), "oldest")
        .filter(change_log::Column::Seq.gt(last_seq))
        .into_tuple::<(i64, Option<chrono::DateTime<chrono::Utc>>)>()
        .one(db)
        .await;
    match row {
        Ok(Some((pending_events, oldest))) => {
            let lag = oldest
                .map(|at| (chrono::Utc::now() - at).to_std().unwrap_or_default())
                .unwrap_or_default();
            Some(HubSample {
                pending_events,
                lag,
                last_seq,
            })
        }
        Ok(None) => None,
        Err(err) => {
            tracing::warn!(error = %err, "metrics: could not read the change log");
            None
        }
    }
}
