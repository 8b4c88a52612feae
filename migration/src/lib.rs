//! Schema migrations for the evidence corpus, applied in order by [`Migrator`].

pub use sea_orm_migration::prelude::*;

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
