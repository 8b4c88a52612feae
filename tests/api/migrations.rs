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
        assert_eq!(table_count(&db).await, 22, "{backend:?}: tables after up");
        Migrator::down(&db, None).await.expect("down");
        assert_eq!(table_count(&db).await, 0, "{backend:?}: tables after down");
        Migrator::up(&db, None).await.expect("up again");
        assert_eq!(
            table_count(&db).await,
            22,
            "{backend:?}: tables after up again"
        );
        db.close().await.ok();
    }
}
