//! `rate_limit`: each client's points used in the current rate-limit window. On PostgreSQL every
//! replica charges requests here with one atomic UPSERT ... RETURNING, so replicas share one
//! budget per client; SQLite deployments (one process) keep the same state in memory instead.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, text, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateLimit {
    Table,
    Client,
    WindowStart,
    Used,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateLimit::Table)
                    .col(text(RateLimit::Client).primary_key())
                    .col(timestamp_with_time_zone(RateLimit::WindowStart))
                    .col(big_integer(RateLimit::Used))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimit::Table).to_owned())
            .await
    }
}
