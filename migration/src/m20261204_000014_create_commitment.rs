//! "What happened next": organisers' stated responses and commitments (`commitment`), linked to
//! the exercises (`commitment_exercise`) and findings (`commitment_finding`) they answer. Curated
//! and reviewed like findings: a version, an external key and a review status from the start.
//! Plain DDL, so this migration keeps its meaning whatever the entities later become.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables, in creation order. Foreign keys follow the other evidence tables: provenance and
/// the organisation are RESTRICT (the write path refuses such deletions with `CONFLICT` first),
/// links CASCADE with either end.
const CREATE: [&str; 3] = [
    "CREATE TABLE commitment (
        id {pk},
        slug TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        statement TEXT NOT NULL,
        organisation_id INTEGER NOT NULL
            CONSTRAINT fk_commitment_organisation_id REFERENCES organisation (id) ON DELETE RESTRICT,
        stated_on TEXT NULL,
        status TEXT NOT NULL,
        source_document_id INTEGER NOT NULL
            CONSTRAINT fk_commitment_source_document_id REFERENCES source_document (id) ON DELETE RESTRICT,
        locator TEXT NOT NULL,
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL,
        version BIGINT NOT NULL DEFAULT 1,
        external_source TEXT NULL,
        external_id TEXT NULL,
        review_status TEXT NOT NULL DEFAULT 'PUBLISHED'
    )",
    "CREATE TABLE commitment_exercise (
        commitment_id INTEGER NOT NULL
            CONSTRAINT fk_commitment_exercise_commitment_id REFERENCES commitment (id) ON DELETE CASCADE,
        exercise_id INTEGER NOT NULL
            CONSTRAINT fk_commitment_exercise_exercise_id REFERENCES exercise (id) ON DELETE CASCADE,
        PRIMARY KEY (commitment_id, exercise_id)
    )",
    "CREATE TABLE commitment_finding (
        commitment_id INTEGER NOT NULL
            CONSTRAINT fk_commitment_finding_commitment_id REFERENCES commitment (id) ON DELETE CASCADE,
        finding_id INTEGER NOT NULL
            CONSTRAINT fk_commitment_finding_finding_id REFERENCES finding (id) ON DELETE CASCADE,
        PRIMARY KEY (commitment_id, finding_id)
    )",
];

/// Indexes: the foreign keys the API filters and joins on, the external key, the review status,
/// and the title and date sort keys written exactly as `api::pagination` writes them (see
/// migration `000010`).
fn indexes(backend: DbBackend) -> Vec<String> {
    let collate = |e: &str| match backend {
        DbBackend::Postgres => format!("({e} COLLATE \"C\")"),
        _ => e.to_string(),
    };
    vec![
        "CREATE INDEX idx_commitment_organisation_id ON commitment (organisation_id)".into(),
        "CREATE INDEX idx_commitment_source_document_id ON commitment (source_document_id)".into(),
        "CREATE INDEX idx_commitment_review_status ON commitment (review_status)".into(),
        "CREATE UNIQUE INDEX uq_commitment_external ON commitment (external_source, external_id)"
            .into(),
        "CREATE INDEX idx_commitment_exercise_exercise_id ON commitment_exercise (exercise_id)"
            .into(),
        "CREATE INDEX idx_commitment_finding_finding_id ON commitment_finding (finding_id)".into(),
        format!(
            "CREATE INDEX idx_commitment_title_key ON commitment ({}, id)",
            collate("lower(title)")
        ),
        format!(
            "CREATE INDEX idx_commitment_date_asc_key ON commitment ({}, id)",
            collate("COALESCE(stated_on, '~')")
        ),
        format!(
            "CREATE INDEX idx_commitment_date_desc_key ON commitment ({}, id)",
            collate("COALESCE(stated_on, '')")
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let (pk, ts) = match backend {
            DbBackend::Postgres => ("SERIAL PRIMARY KEY", "TIMESTAMPTZ"),
            DbBackend::Sqlite => (
                "INTEGER PRIMARY KEY AUTOINCREMENT",
                "timestamp_with_timezone_text",
            ),
            other => {
                return Err(DbErr::Migration(format!(
                    "commitments: unsupported backend {other:?}"
                )))
            }
        };
        let db = manager.get_connection();
        for sql in CREATE {
            db.execute_unprepared(&sql.replace("{pk}", pk).replace("{ts}", ts))
                .await?;
        }
        for sql in indexes(backend) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in ["commitment_finding", "commitment_exercise", "commitment"] {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
                .await?;
        }
        Ok(())
    }
}
