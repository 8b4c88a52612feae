//! Schema migrations for the evidence corpus, applied in order by [`Migrator`].

pub use sea_orm_migration::prelude::*;

/// The `MigrationTrait` of a migration written as two functions, `sqlite(up)` and
/// `postgres(up)`, each giving its backend's statements: run with [`run_batch`].
macro_rules! batch_migration {
    ($what:literal) => {
        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                crate::run_batch(manager, $what, true, sqlite, postgres).await
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                crate::run_batch(manager, $what, false, sqlite, postgres).await
            }
        }
    };
}

mod m20261123_000001_create_evidence_tables;
mod m20261123_000002_create_search_index;
mod m20261123_000003_add_curation;
mod m20261123_000004_search_published_only;
mod m20261123_000010_add_exercise_places;
mod m20261201_000011_add_token_expiry;
mod m20261201_000012_create_rate_limit;
mod m20261201_000013_add_public_sequence;
mod m20261204_000014_create_commitment;
mod m20261204_000015_bulk_insert_triggers;
mod m20261205_000016_lighter_view_inserts;

/// Runs this backend's statements (`sqlite` or `postgres`, given whether the migration goes up)
/// as one batch, so that they all run on one pooled connection: SQLite runs migrations outside
/// a transaction, and an index or trigger dropped on one connection can still look present to
/// another that holds an older snapshot of the schema.
pub(crate) async fn run_batch<S: AsRef<str>>(
    manager: &SchemaManager<'_>,
    what: &str,
    up: bool,
    sqlite: fn(bool) -> Vec<S>,
    postgres: fn(bool) -> Vec<S>,
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
    let statements = match manager.get_database_backend() {
        DbBackend::Sqlite => sqlite(up),
        DbBackend::Postgres => postgres(up),
        other => {
            return Err(DbErr::Migration(format!(
                "{what}: unsupported backend {other:?}"
            )))
        }
    };
    let batch: Vec<&str> = statements.iter().map(AsRef::as_ref).collect();
    manager
        .get_connection()
        .execute_unprepared(&batch.join(";\n"))
        .await?;
    Ok(())
}

/// Runs every migration of the evidence database, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_evidence_tables::Migration),
            Box::new(m20261123_000002_create_search_index::Migration),
            Box::new(m20261123_000003_add_curation::Migration),
            Box::new(m20261123_000004_search_published_only::Migration),
            Box::new(m20261123_000010_add_exercise_places::Migration),
            Box::new(m20261201_000011_add_token_expiry::Migration),
            Box::new(m20261201_000012_create_rate_limit::Migration),
            Box::new(m20261201_000013_add_public_sequence::Migration),
            Box::new(m20261204_000014_create_commitment::Migration),
            Box::new(m20261204_000015_bulk_insert_triggers::Migration),
            Box::new(m20261205_000016_lighter_view_inserts::Migration),
        ]
    }
}
