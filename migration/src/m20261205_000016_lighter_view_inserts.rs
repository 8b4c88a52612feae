//! Less work for the database on each new participant view, for bulk imports.
//!
//! - PostgreSQL: a new view's exercise start date is copied by a row trigger that reads the
//!   exercise (`copy_exercise_start_date`). The bulk import already writes it with the row, read
//!   from the exercise in the same transaction, so on insert the trigger now only fires when the
//!   row comes without one (every other insert; an exercise without a date fires it to no
//!   effect). A view moved to another exercise still takes the new exercise's date, always.
//!   SQLite's insert trigger already fires only when the row's date differs (migration
//!   `m20261204_000015`).
//! - Both backends: `idx_change_log_entity` (on `entity`) is the first column of
//!   `idx_change_log_entity_id` (`entity`, `entity_id`), which answers every query the first
//!   did; each change-log entry wrote both.
//! - Both backends: `idx_participant_view_finding_id` holds only the views that name a finding
//!   (most do not: a consultation's views are rarely tied to a finding when imported). Every
//!   lookup by finding (`finding_id = ?`, and the foreign key's `ON DELETE SET NULL`) names one,
//!   which both planners match with the index's `IS NOT NULL`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn postgres(up: bool) -> Vec<&'static str> {
    if up {
        vec![
            "DROP TRIGGER IF EXISTS participant_view_exercise_date ON participant_view",
            "CREATE TRIGGER participant_view_exercise_date BEFORE INSERT ON participant_view \
             FOR EACH ROW WHEN (NEW.exercise_start_date IS NULL) \
             EXECUTE FUNCTION copy_exercise_start_date()",
            "CREATE TRIGGER participant_view_exercise_date_move \
             BEFORE UPDATE OF exercise_id ON participant_view \
             FOR EACH ROW EXECUTE FUNCTION copy_exercise_start_date()",
            "DROP INDEX IF EXISTS idx_change_log_entity",
            "DROP INDEX IF EXISTS idx_participant_view_finding_id",
            FINDING_INDEX_PARTIAL,
        ]
    } else {
        vec![
            "DROP INDEX IF EXISTS idx_participant_view_finding_id",
            FINDING_INDEX_FULL,
            "DROP TRIGGER IF EXISTS participant_view_exercise_date_move ON participant_view",
            "DROP TRIGGER IF EXISTS participant_view_exercise_date ON participant_view",
            "CREATE TRIGGER participant_view_exercise_date \
             BEFORE INSERT OR UPDATE OF exercise_id ON participant_view \
             FOR EACH ROW EXECUTE FUNCTION copy_exercise_start_date()",
            "CREATE INDEX IF NOT EXISTS idx_change_log_entity ON change_log (entity)",
        ]
    }
}

const FINDING_INDEX_PARTIAL: &str = "CREATE INDEX idx_participant_view_finding_id \
     ON participant_view (finding_id) WHERE finding_id IS NOT NULL";
const FINDING_INDEX_FULL: &str =
    "CREATE INDEX idx_participant_view_finding_id ON participant_view (finding_id)";

fn sqlite(up: bool) -> Vec<&'static str> {
    if up {
        vec![
            "DROP INDEX IF EXISTS idx_change_log_entity",
            "DROP INDEX IF EXISTS idx_participant_view_finding_id",
            FINDING_INDEX_PARTIAL,
        ]
    } else {
        vec![
            "DROP INDEX IF EXISTS idx_participant_view_finding_id",
            FINDING_INDEX_FULL,
            "CREATE INDEX IF NOT EXISTS idx_change_log_entity ON change_log (entity)",
        ]
    }
}

async fn run(manager: &SchemaManager<'_>, up: bool) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        DbBackend::Sqlite => sqlite(up),
        DbBackend::Postgres => postgres(up),
        other => {
            return Err(DbErr::Migration(format!(
                "lighter view inserts: unsupported backend {other:?}"
            )))
        }
    };
    // One call, so one connection: SQLite runs migrations outside a transaction, and another
    // pooled connection could still hold the schema from before the drop.
    manager
        .get_connection()
        .execute_unprepared(&statements.join(";\n"))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, false).await
    }
}
