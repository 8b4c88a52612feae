//! `GET /health` (liveness): 200 when the database answers, 503 when it does not.
//! `GET /ready` (readiness): 200 only when the database answers, every migration this build knows
//! is applied, and the server is not shutting down; otherwise 503 with a JSON `reason`.

use crate::shutdown::Shutdown;
use actix_web::{web, HttpResponse};
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

pub async fn health(db: web::Data<DatabaseConnection>) -> HttpResponse {
    match db.ping().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok", "database": "ok"})),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({"status": "unavailable", "database": "unreachable"}))
        }
    }
}

pub async fn ready(
    db: web::Data<DatabaseConnection>,
    shutdown: web::Data<Shutdown>,
    engine: web::Data<crate::engine::Engine>,
) -> HttpResponse {
    if shutdown.has_begun() {
        return not_ready("shutting down");
    }
    if let Err(err) = db.ping().await {
        tracing::warn!(error = %err, "readiness: database unreachable");
        return not_ready("database unreachable");
    }
    // The read-only check: asking the migrator the usual way would create its table.
    match Migrator::get_pending_migrations_read_only(db.get_ref()).await {
        Ok(pending) if pending.is_empty() => {}
        Ok(pending) => return not_ready(&format!("{} migration(s) not applied", pending.len())),
        Err(err) => {
            tracing::warn!(error = %err, "readiness: migration status unreadable");
            return not_ready("migrations not applied");
        }
    }
    // The read engine's state is reported, not required: when it is not ready (building, behind,
    // failed), reads are answered from SQL, slower but right.
    let engine = engine.status();
    HttpResponse::Ok().json(serde_json::json!({
        "status": "ready",
        "engine": engine.state.as_str(),
        "engineAppliedSeq": engine.applied_seq,
    }))
}

fn not_ready(reason: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .json(serde_json::json!({"status": "unavailable", "reason": reason}))
}
