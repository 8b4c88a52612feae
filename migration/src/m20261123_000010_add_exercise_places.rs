//! Indexes for the place filter and for the title and date orders.
//!
//! - `exercise_place`: one row per place an exercise was held in, keyed by the lower-cased name,
//!   so "exercises (or their findings and views) in Cambridge or Liverpool" is an index lookup
//!   instead of a scan of every exercise's JSON `places` list. Filled here from the existing rows;
//!   write paths keep it current through `api::places::set_exercise_places`.
//! - `finding.exercise_start_date`, `participant_view.exercise_start_date`: a copy of their
//!   exercise's start date, kept current by triggers, so findings and views can be ordered and
//!   keyset-paged by date with an index of their own (a sort key read through a join cannot be
//!   indexed, and every page would then sort the whole list).
//! - Expression indexes for the sort keys the API orders by (see `api::pagination`): titles by
//!   `lower(title)`, dates by `COALESCE(date, '~')` (earliest first, undated last) and
//!   `COALESCE(date, '')` (latest first, undated last), each followed by the id. PostgreSQL
//!   compares them with `COLLATE "C"` so that both backends sort byte-wise, the same way. The
//!   expressions here must stay identical to the ones the API writes, or the indexes go unused.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, text};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ExercisePlace {
    Table,
    ExerciseId,
    PlaceKey,
    Place,
}

#[derive(DeriveIden)]
enum Exercise {
    Table,
    Id,
}

/// Tables that copy their exercise's start date.
const DATED_BY_EXERCISE: [&str; 2] = ["finding", "participant_view"];

/// (table, title column or none, date column) of every list with title or date orders.
const SORTED: [(&str, Option<&str>, &str); 4] = [
    ("exercise", Some("title"), "start_date"),
    ("resource", Some("title"), "published_on"),
    ("finding", Some("title"), "exercise_start_date"),
    ("participant_view", None, "exercise_start_date"),
];

/// The index statements for the sort keys of one backend.
fn sort_key_indexes(backend: DbBackend) -> Vec<String> {
    let collate = |e: String| match backend {
        DbBackend::Postgres => format!("({e} COLLATE \"C\")"),
        _ => e,
    };
    let mut sql = Vec::new();
    for (table, title, date) in SORTED {
        if let Some(title) = title {
            sql.push(format!(
                "CREATE INDEX idx_{table}_title_key ON {table} ({}, id)",
                collate(format!("lower({title})"))
            ));
        }
        sql.push(format!(
            "CREATE INDEX idx_{table}_date_asc_key ON {table} ({}, id)",
            collate(format!("COALESCE({date}, '~')"))
        ));
        sql.push(format!(
            "CREATE INDEX idx_{table}_date_desc_key ON {table} ({}, id)",
            collate(format!("COALESCE({date}, '')"))
        ));
    }
    sql
}

fn drop_sort_key_indexes() -> Vec<String> {
    let mut sql = Vec::new();
    for (table, title, _) in SORTED {
        if title.is_some() {
            sql.push(format!("DROP INDEX IF EXISTS idx_{table}_title_key"));
        }
        sql.push(format!("DROP INDEX IF EXISTS idx_{table}_date_asc_key"));
        sql.push(format!("DROP INDEX IF EXISTS idx_{table}_date_desc_key"));
    }
    sql
}

/// (table, kind code, title, body, indexed columns) of the search documents of the tables that
/// copy a date, as migration `000002` indexes them.
const SEARCHED: [(&str, i32, &str, &str, &str); 2] = [
    (
        "finding",
        0,
        "new.title",
        "new.summary",
        "title, summary, review_status",
    ),
    (
        "participant_view",
        1,
        "''",
        "new.text",
        "text, review_status",
    ),
];

/// SQLite's search triggers (migration `000002`) re-index a row on any update. Copying a date
/// into a row just inserted would then index it twice (a rowid clash in FTS5), so they now fire
/// only when an indexed column (or the review status) changes; `down` puts back the triggers of
/// migration `000004`. Either way only published rows are indexed.
fn sqlite_search_update(narrow: bool) -> Vec<String> {
    let mut sql = Vec::new();
    for (table, kind, title, body, columns) in SEARCHED {
        let of = if narrow {
            format!(" OF {columns}")
        } else {
            String::new()
        };
        // One batch, so one pooled connection: another connection may still hold the old
        // trigger in its schema cache and refuse to create it again.
        sql.push(format!(
            "DROP TRIGGER IF EXISTS {table}_search_update; \
             CREATE TRIGGER {table}_search_update AFTER UPDATE{of} ON {table} BEGIN \
             DELETE FROM search_index WHERE rowid = old.id * 4 + {kind}; \
             INSERT INTO search_index(rowid, title, body) SELECT new.id * 4 + {kind}, {title}, {body} \
             WHERE new.review_status = 'PUBLISHED'; END"
        ));
    }
    sql
}

fn sqlite_triggers() -> Vec<String> {
    let mut sql = sqlite_search_update(true);
    for table in DATED_BY_EXERCISE {
        // SQLite cannot change NEW in a BEFORE trigger: the row is updated right after.
        let copy = format!(
            "UPDATE {table} SET exercise_start_date = \
             (SELECT start_date FROM exercise WHERE exercise.id = new.exercise_id) WHERE id = new.id;"
        );
        sql.push(format!(
            "CREATE TRIGGER {table}_exercise_date_insert AFTER INSERT ON {table} BEGIN {copy} END"
        ));
        sql.push(format!(
            "CREATE TRIGGER {table}_exercise_date_move AFTER UPDATE OF exercise_id ON {table} \
             BEGIN {copy} END"
        ));
    }
    sql.push(
        "CREATE TRIGGER exercise_start_date_follow AFTER UPDATE OF start_date ON exercise BEGIN \
         UPDATE finding SET exercise_start_date = new.start_date WHERE exercise_id = new.id; \
         UPDATE participant_view SET exercise_start_date = new.start_date WHERE exercise_id = new.id; \
         END"
            .to_string(),
    );
    sql
}

fn sqlite_drop_triggers() -> Vec<String> {
    let mut sql = Vec::new();
    for table in DATED_BY_EXERCISE {
        sql.push(format!(
            "DROP TRIGGER IF EXISTS {table}_exercise_date_insert"
        ));
        sql.push(format!("DROP TRIGGER IF EXISTS {table}_exercise_date_move"));
    }
    sql.push("DROP TRIGGER IF EXISTS exercise_start_date_follow".to_string());
    sql.extend(sqlite_search_update(false));
    sql
}

fn postgres_triggers() -> Vec<String> {
    let mut sql = vec![
        "CREATE FUNCTION copy_exercise_start_date() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.exercise_start_date := (SELECT start_date FROM exercise WHERE id = NEW.exercise_id);
            RETURN NEW;
        END $$"
            .to_string(),
        "CREATE FUNCTION exercise_start_date_follow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE finding SET exercise_start_date = NEW.start_date WHERE exercise_id = NEW.id;
            UPDATE participant_view SET exercise_start_date = NEW.start_date WHERE exercise_id = NEW.id;
            RETURN NULL;
        END $$"
            .to_string(),
        "CREATE TRIGGER exercise_start_date_follow AFTER UPDATE OF start_date ON exercise \
         FOR EACH ROW EXECUTE FUNCTION exercise_start_date_follow()"
            .to_string(),
    ];
    for table in DATED_BY_EXERCISE {
        sql.push(format!(
            "CREATE TRIGGER {table}_exercise_date BEFORE INSERT OR UPDATE OF exercise_id ON {table} \
             FOR EACH ROW EXECUTE FUNCTION copy_exercise_start_date()"
        ));
    }
    sql
}

fn postgres_drop_triggers() -> Vec<String> {
    let mut sql = Vec::new();
    for table in DATED_BY_EXERCISE {
        sql.push(format!(
            "DROP TRIGGER IF EXISTS {table}_exercise_date ON {table}"
        ));
    }
    sql.push("DROP TRIGGER IF EXISTS exercise_start_date_follow ON exercise".to_string());
    sql.push("DROP FUNCTION IF EXISTS exercise_start_date_follow()".to_string());
    sql.push("DROP FUNCTION IF EXISTS copy_exercise_start_date()".to_string());
    sql
}

async fn run(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

/// The key a place is matched by. Frozen here on purpose: `api::places::place_key` must agree.
fn place_key(place: &str) -> String {
    place.trim().to_lowercase()
}

/// Fills `exercise_place` from the JSON `places` of the exercises that exist already.
async fn backfill_places(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, CAST(places AS TEXT) AS places FROM exercise",
        ))
        .await?;
    for row in rows {
        let id: i32 = row.try_get("", "id")?;
        let places: String = row.try_get("", "places")?;
        let list: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&places)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let mut seen = Vec::new();
        for place in list {
            let key = place_key(&place);
            if key.is_empty() || seen.contains(&key) {
                continue;
            }
            let insert = Query::insert()
                .into_table(ExercisePlace::Table)
                .columns([
                    ExercisePlace::ExerciseId,
                    ExercisePlace::PlaceKey,
                    ExercisePlace::Place,
                ])
                .values_panic([id.into(), key.clone().into(), place.trim().into()])
                .to_owned();
            db.execute(&insert).await?;
            seen.push(key);
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        if !matches!(backend, DbBackend::Sqlite | DbBackend::Postgres) {
            return Err(DbErr::Migration(format!(
                "exercise places: unsupported backend {backend:?}"
            )));
        }
        manager
            .create_table(
                Table::create()
                    .table(ExercisePlace::Table)
                    .col(integer(ExercisePlace::ExerciseId))
                    .col(text(ExercisePlace::PlaceKey))
                    .col(text(ExercisePlace::Place))
                    .primary_key(
                        Index::create()
                            .col(ExercisePlace::ExerciseId)
                            .col(ExercisePlace::PlaceKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExercisePlace::Table, ExercisePlace::ExerciseId)
                            .to(Exercise::Table, Exercise::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_exercise_place_place_key")
                    .table(ExercisePlace::Table)
                    .col(ExercisePlace::PlaceKey)
                    .to_owned(),
            )
            .await?;
        backfill_places(manager).await?;

        let mut sql = Vec::new();
        for table in DATED_BY_EXERCISE {
            sql.push(format!(
                "ALTER TABLE {table} ADD COLUMN exercise_start_date TEXT"
            ));
            sql.push(format!(
                "UPDATE {table} SET exercise_start_date = \
                 (SELECT start_date FROM exercise WHERE exercise.id = {table}.exercise_id)"
            ));
        }
        sql.extend(match backend {
            DbBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        });
        sql.extend(sort_key_indexes(backend));
        run(manager, sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut sql = drop_sort_key_indexes();
        sql.extend(match backend {
            DbBackend::Postgres => postgres_drop_triggers(),
            _ => sqlite_drop_triggers(),
        });
        for table in DATED_BY_EXERCISE {
            sql.push(format!(
                "ALTER TABLE {table} DROP COLUMN exercise_start_date"
            ));
        }
        run(manager, sql).await?;
        manager
            .drop_table(Table::drop().table(ExercisePlace::Table).to_owned())
            .await
    }
}
