//! Triggers that cost a bulk import less per participant view, with the same results.
//!
//! PostgreSQL: new views enter the search index from one statement-level trigger per insert
//! statement (reading the statement's new rows as a transition table) instead of a row trigger
//! per view; the row trigger keeps updates and deletes. A 1,000-row insert then indexes its
//! rows in one set-based statement.
//!
//! SQLite: a new view's `exercise_start_date` was always copied from its exercise by an
//! `UPDATE` of the row just inserted (the row and both date indexes written twice); now the
//! copy only runs when the inserted value differs, so a writer that inserts the right date (the
//! bulk import does) writes each row once.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The copy of the exercise's start date, as migration `m20261123_000010` wrote it.
const SQLITE_COPY: &str = "UPDATE participant_view SET exercise_start_date = \
     (SELECT start_date FROM exercise WHERE exercise.id = new.exercise_id) WHERE id = new.id;";

fn sqlite(up: bool) -> Vec<String> {
    let when = if up {
        " WHEN new.exercise_start_date IS NOT \
         (SELECT start_date FROM exercise WHERE exercise.id = new.exercise_id)"
    } else {
        ""
    };
    vec![
        "DROP TRIGGER IF EXISTS participant_view_exercise_date_insert".to_string(),
        format!(
            "CREATE TRIGGER participant_view_exercise_date_insert AFTER INSERT ON participant_view{when} \
             BEGIN {SQLITE_COPY} END"
        ),
    ]
}

/// The row trigger's function as migration `m20261123_000004` left it (it serves inserts too
/// when this migration is reverted).
const POSTGRES_ROW_FUNCTION: &str =
    "CREATE OR REPLACE FUNCTION participant_view_search() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM search_index WHERE doc_id = OLD.id::bigint * 4 + 1;
            RETURN OLD;
        END IF;
        IF NEW.review_status <> 'PUBLISHED' THEN
            DELETE FROM search_index WHERE doc_id = NEW.id::bigint * 4 + 1;
            RETURN NEW;
        END IF;
        INSERT INTO search_index (doc_id, title, body)
        VALUES (NEW.id::bigint * 4 + 1, '', NEW.text)
        ON CONFLICT (doc_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body;
        RETURN NEW;
    END $$";

fn postgres(up: bool) -> Vec<String> {
    let mut sql = vec![POSTGRES_ROW_FUNCTION.to_string()];
    sql.push("DROP TRIGGER IF EXISTS participant_view_search ON participant_view".to_string());
    if up {
        sql.push(
            "CREATE TRIGGER participant_view_search AFTER UPDATE OR DELETE ON participant_view \
             FOR EACH ROW EXECUTE FUNCTION participant_view_search()"
                .to_string(),
        );
        sql.push(
            "CREATE FUNCTION participant_view_search_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO search_index (doc_id, title, body)
                SELECT id::bigint * 4 + 1, '', text FROM inserted_views
                WHERE review_status = 'PUBLISHED'
                ON CONFLICT (doc_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body;
                RETURN NULL;
            END $$"
                .to_string(),
        );
        sql.push(
            "CREATE TRIGGER participant_view_search_inserted AFTER INSERT ON participant_view \
             REFERENCING NEW TABLE AS inserted_views \
             FOR EACH STATEMENT EXECUTE FUNCTION participant_view_search_inserted()"
                .to_string(),
        );
    } else {
        sql.push(
            "DROP TRIGGER IF EXISTS participant_view_search_inserted ON participant_view"
                .to_string(),
        );
        sql.push("DROP FUNCTION IF EXISTS participant_view_search_inserted()".to_string());
        sql.push(
            "CREATE TRIGGER participant_view_search AFTER INSERT OR UPDATE OR DELETE ON participant_view \
             FOR EACH ROW EXECUTE FUNCTION participant_view_search()"
                .to_string(),
        );
    }
    sql
}

batch_migration!("bulk insert triggers");
