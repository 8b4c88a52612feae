//! The migrations run up, down and up again cleanly on both backends.

use crate::helpers::{Backend, TestDb};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, Statement};

async fn table_count(db: &sea_orm::DatabaseConnection) -> i64 {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_index_%' AND name <> 'seaql_migrations'"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'seaql_migrations'"
        }
    };
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count tables")
        .expect("one row");
    row.try_get::<i64>("", "n").expect("n")
}

#[tokio::test]
async fn up_down_up() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(test_db) = TestDb::create(backend).await else {
            continue;
        };
        let db = Database::connect(test_db.url()).await.expect("connect");
        Migrator::up(&db, None).await.expect("up");
        assert_eq!(table_count(&db).await, 27, "{backend:?}: tables after up");
        Migrator::down(&db, None).await.expect("down");
        assert_eq!(table_count(&db).await, 0, "{backend:?}: tables after down");
        Migrator::up(&db, None).await.expect("up again");
        assert_eq!(
            table_count(&db).await,
            27,
            "{backend:?}: tables after up again"
        );
        db.close().await.ok();
    }
}

/// Migration 10 indexes the places and copies the start dates of rows that exist before it.
#[tokio::test]
async fn places_and_dates_are_filled_for_existing_rows() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(test_db) = TestDb::create(backend).await else {
            continue;
        };
        let db = Database::connect(test_db.url()).await.expect("connect");
        Migrator::up(&db, Some(2))
            .await
            .expect("up to the search index");
        for sql in [
            "INSERT INTO source_document (slug, file_name, title, publisher, created_at, updated_at) \
             VALUES ('s', 's.md', 'S', 'P', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            "INSERT INTO exercise (slug, title, kind, summary, start_date, places, status, source_document_id, locator, created_at, updated_at) \
             VALUES ('e', 'E', 'PUBLIC_DIALOGUE', 'x', '2023-05', '[\"Leeds\", \" leeds\", \"York\"]', 'COMPLETED', 1, 'l', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            "INSERT INTO finding (slug, exercise_id, title, summary, kind, position, source_document_id, locator, created_at, updated_at) \
             VALUES ('f', 1, 'F', 'x', 'PRINCIPLE', 1, 1, 'l', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        ] {
            db.execute_unprepared(sql).await.expect(sql);
        }
        Migrator::up(&db, None).await.expect("up");
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT place_key, place FROM exercise_place ORDER BY place_key",
            ))
            .await
            .expect("places");
        let places: Vec<(String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.try_get::<String>("", "place_key").expect("key"),
                    r.try_get::<String>("", "place").expect("place"),
                )
            })
            .collect();
        assert_eq!(
            places,
            vec![
                ("leeds".to_string(), "Leeds".to_string()),
                ("york".to_string(), "York".to_string())
            ],
            "{backend:?}"
        );
        let date = |db: &sea_orm::DatabaseConnection| {
            let db = db.clone();
            async move {
                db.query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT exercise_start_date AS d FROM finding",
                ))
                .await
                .expect("query")
                .expect("row")
                .try_get::<Option<String>>("", "d")
                .expect("d")
            }
        };
        assert_eq!(date(&db).await.as_deref(), Some("2023-05"), "{backend:?}");
        // The copy follows its exercise.
        db.execute_unprepared("UPDATE exercise SET start_date = '2022' WHERE id = 1")
            .await
            .expect("update");
        assert_eq!(date(&db).await.as_deref(), Some("2022"), "{backend:?}");
        db.close().await.ok();
    }
}

/// Migration 16: a view written without its exercise's start date gets it, a view written with
/// it keeps it (the bulk import's rows), a view moved to another exercise takes that one's; and
/// the change log keeps one index on `entity` (the pair `entity`, `entity_id`); views are
/// indexed by finding only when they name one, and a lookup by finding uses that index.
#[tokio::test]
async fn view_dates_follow_their_exercise_and_the_log_has_one_entity_index() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(test_db) = TestDb::create(backend).await else {
            continue;
        };
        let db = Database::connect(test_db.url()).await.expect("connect");
        Migrator::up(&db, None).await.expect("up");
        for sql in [
            "INSERT INTO source_document (slug, file_name, title, publisher, created_at, updated_at) \
             VALUES ('s', 's.md', 'S', 'P', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            "INSERT INTO exercise (slug, title, kind, summary, start_date, places, status, source_document_id, locator, created_at, updated_at) \
             VALUES ('e', 'E', 'PUBLIC_DIALOGUE', 'x', '2023-05', '[]', 'COMPLETED', 1, 'l', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            "INSERT INTO exercise (slug, title, kind, summary, start_date, places, status, source_document_id, locator, created_at, updated_at) \
             VALUES ('e2', 'E2', 'PUBLIC_DIALOGUE', 'x', '2024-01', '[]', 'COMPLETED', 1, 'l', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            "INSERT INTO participant_view (slug, exercise_id, text, is_verbatim, stance, source_document_id, locator, created_at, updated_at, version, review_status) \
             VALUES ('plain', 1, 't', false, 'CONCERN', 1, 'l', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 'PUBLISHED')",
            "INSERT INTO participant_view (slug, exercise_id, text, is_verbatim, stance, source_document_id, locator, created_at, updated_at, version, review_status, exercise_start_date) \
             VALUES ('bulk', 1, 't', false, 'CONCERN', 1, 'l', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 'PUBLISHED', '2023-05')",
        ] {
            db.execute_unprepared(sql).await.expect(sql);
        }
        let dates = || {
            let db = db.clone();
            async move {
                db.query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT slug, exercise_start_date AS d FROM participant_view ORDER BY slug",
                ))
                .await
                .expect("query")
                .iter()
                .map(|r| {
                    (
                        r.try_get::<String>("", "slug").expect("slug"),
                        r.try_get::<Option<String>>("", "d").expect("d"),
                    )
                })
                .collect::<Vec<_>>()
            }
        };
        let both = |a: &str, b: &str| {
            vec![
                ("bulk".to_string(), Some(a.to_string())),
                ("plain".to_string(), Some(b.to_string())),
            ]
        };
        assert_eq!(dates().await, both("2023-05", "2023-05"), "{backend:?}");
        db.execute_unprepared("UPDATE participant_view SET exercise_id = 2 WHERE slug = 'plain'")
            .await
            .expect("move");
        assert_eq!(dates().await, both("2023-05", "2024-01"), "{backend:?}");
        db.execute_unprepared("UPDATE exercise SET start_date = '2022' WHERE id = 1")
            .await
            .expect("redate");
        assert_eq!(dates().await, both("2022", "2024-01"), "{backend:?}");
        let indexes_sql = match backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'change_log' \
                 AND name LIKE 'idx_change_log_entity%' ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'change_log' \
                 AND indexname LIKE 'idx_change_log_entity%' ORDER BY indexname"
            }
        };
        let names: Vec<String> = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                indexes_sql,
            ))
            .await
            .expect("indexes")
            .iter()
            .map(|r| r.try_get::<String>("", "name").expect("name"))
            .collect();
        assert_eq!(
            names,
            vec!["idx_change_log_entity_id".to_string()],
            "{backend:?}"
        );
        let plan_sql = match backend {
            Backend::Sqlite => {
                "EXPLAIN QUERY PLAN SELECT id FROM participant_view WHERE finding_id = 7"
            }
            Backend::Postgres => {
                "EXPLAIN (COSTS OFF) SELECT id FROM participant_view WHERE finding_id = 7"
            }
        };
        // One connection, the planner told not to scan the table (two rows would not need an
        // index): what matters is that the index can answer the lookup.
        let txn = sea_orm::TransactionTrait::begin(&db).await.expect("begin");
        if backend == Backend::Postgres {
            txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await
                .expect("set");
        }
        let plan: String = txn
            .query_all_raw(Statement::from_string(db.get_database_backend(), plan_sql))
            .await
            .expect("plan")
            .iter()
            .map(|r| {
                r.try_get::<String>("", "detail")
                    .or_else(|_| r.try_get::<String>("", "QUERY PLAN"))
                    .expect("plan line")
            })
            .collect::<Vec<_>>()
            .join("\n");
        txn.rollback().await.expect("rollback");
        assert!(
            plan.contains("idx_participant_view_finding_id"),
            "{backend:?}: {plan}"
        );
        // And the index is the partial one (the plan alone would also hold for a full index).
        let definition_sql = match backend {
            Backend::Sqlite => {
                "SELECT sql AS d FROM sqlite_master WHERE name = 'idx_participant_view_finding_id'"
            }
            Backend::Postgres => {
                "SELECT indexdef AS d FROM pg_indexes \
                 WHERE indexname = 'idx_participant_view_finding_id'"
            }
        };
        let definition: String = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                definition_sql,
            ))
            .await
            .expect("definition")
            .expect("the index")
            .try_get("", "d")
            .expect("d");
        assert!(
            definition.to_lowercase().contains("where")
                && definition.to_lowercase().contains("is not null"),
            "{backend:?}: {definition}"
        );
        db.close().await.ok();
    }
}
