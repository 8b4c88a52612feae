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

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Both backends: the change log's index on `entity` and the views' index by finding.
fn both(up: bool) -> Vec<&'static str> {
    if up {
        vec![
            "DROP INDEX IF EXISTS idx_change_log_entity",
            "DROP INDEX IF EXISTS idx_participant_view_finding_id",
            "CREATE INDEX idx_participant_view_finding_id \
             ON participant_view (finding_id) WHERE finding_id IS NOT NULL",
        ]
    } else {
        vec![
            "DROP INDEX IF EXISTS idx_participant_view_finding_id",
            "CREATE INDEX idx_participant_view_finding_id ON participant_view (finding_id)",
            "CREATE INDEX IF NOT EXISTS idx_change_log_entity ON change_log (entity)",
        ]
    }
}

fn sqlite(up: bool) -> Vec<&'static str> {
    both(up)
}

/// PostgreSQL also: the exercise date copied on insert only when the row comes without it.
fn postgres(up: bool) -> Vec<&'static str> {
    let mut sql = if up {
        vec![
            "DROP TRIGGER IF EXISTS participant_view_exercise_date ON participant_view",
            "CREATE TRIGGER participant_view_exercise_date BEFORE INSERT ON participant_view \
             FOR EACH ROW WHEN (NEW.exercise_start_date IS NULL) \
             EXECUTE FUNCTION copy_exercise_start_date()",
            "CREATE TRIGGER participant_view_exercise_date_move \
             BEFORE UPDATE OF exercise_id ON participant_view \
             FOR EACH ROW EXECUTE FUNCTION copy_exercise_start_date()",
        ]
    } else {
        vec![
            "DROP TRIGGER IF EXISTS participant_view_exercise_date_move ON participant_view",
            "DROP TRIGGER IF EXISTS participant_view_exercise_date ON participant_view",
            "CREATE TRIGGER participant_view_exercise_date \
             BEFORE INSERT OR UPDATE OF exercise_id ON participant_view \
             FOR EACH ROW EXECUTE FUNCTION copy_exercise_start_date()",
        ]
    };
    sql.extend(both(up));
    sql
}

batch_migration!("lighter view inserts");
