//! Curation and sync: row versions for optimistic concurrency, integrators' external IDs, a review
//! status on findings and participant views, API tokens, the write clock that orders writers, and
//! the change log that serves both the change feed and the audit log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every table an editor can write to.
const CURATED: [&str; 9] = [
    "source_document",
    "theme",
    "organisation",
    "exercise",
    "session",
    "finding",
    "participant_view",
    "metric",
    "resource",
];

/// Tables whose rows go through review before readers see them.
const REVIEWED: [&str; 2] = ["finding", "participant_view"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE statement.
        for table in CURATED {
            let t = Alias::new(table);
            for column in [
                big_integer(Curation::Version).default(1).take(),
                text_null(Curation::ExternalSource).take(),
                text_null(Curation::ExternalId).take(),
            ] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(t.clone())
                            .add_column(column.clone())
                            .take(),
                    )
                    .await?;
            }
            // NULLs are distinct in a unique index on both backends, so rows without an external
            // ID do not clash.
            manager
                .create_index(
                    Index::create()
                        .name(format!("uq_{table}_external"))
                        .table(t.clone())
                        .col(Curation::ExternalSource)
                        .col(Curation::ExternalId)
                        .unique()
                        .take(),
                )
                .await?;
        }
        for table in REVIEWED {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(text(Curation::ReviewStatus).default("PUBLISHED").take())
                        .take(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_{table}_review_status"))
                        .table(Alias::new(table))
                        .col(Curation::ReviewStatus)
                        .take(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(pk_auto(ApiToken::Id))
                    .col(text_uniq(ApiToken::Name))
                    .col(text(ApiToken::Role))
                    .col(text_uniq(ApiToken::TokenHash))
                    .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                    .col(text(ApiToken::CreatedBy))
                    .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                    .take(),
            )
            .await?;

        // One row that every writing transaction updates first: on PostgreSQL its row lock
        // queues writers so that change-log sequence numbers commit in order; on SQLite the
        // update takes the write lock before any read, so a writer never works on a stale
        // snapshot.
        manager
            .create_table(
                Table::create()
                    .table(WriteClock::Table)
                    .col(integer(WriteClock::Id).primary_key())
                    .col(big_integer(WriteClock::Ticks))
                    .take(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(WriteClock::Table)
                    .columns([WriteClock::Id, WriteClock::Ticks])
                    .values_panic([1.into(), 0.into()])
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChangeLog::Table)
                    .col(big_pk_auto(ChangeLog::Seq))
                    .col(text(ChangeLog::Entity))
                    .col(integer(ChangeLog::EntityId))
                    .col(text(ChangeLog::Slug))
                    .col(text(ChangeLog::Kind))
                    .col(big_integer(ChangeLog::Version))
                    .col(boolean(ChangeLog::Visible))
                    .col(boolean(ChangeLog::WasVisible))
                    .col(text(ChangeLog::Missions))
                    .col(text(ChangeLog::Actor))
                    .col(timestamp_with_time_zone(ChangeLog::ChangedAt))
                    .col(json_null(ChangeLog::Before))
                    .col(json_null(ChangeLog::After))
                    .take(),
            )
            .await?;
        for (name, col) in [
            ("idx_change_log_entity", ChangeLog::Entity),
            ("idx_change_log_actor", ChangeLog::Actor),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ChangeLog::Table)
                        .col(col)
                        .take(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_change_log_entity_id")
                    .table(ChangeLog::Table)
                    .col(ChangeLog::Entity)
                    .col(ChangeLog::EntityId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ChangeLog::Table.into_iden(),
            WriteClock::Table.into_iden(),
            ApiToken::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for table in REVIEWED {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{table}_review_status"))
                        .table(Alias::new(table))
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .drop_column(Curation::ReviewStatus)
                        .take(),
                )
                .await?;
        }
        for table in CURATED {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("uq_{table}_external"))
                        .table(Alias::new(table))
                        .to_owned(),
                )
                .await?;
            for column in [
                Curation::Version,
                Curation::ExternalSource,
                Curation::ExternalId,
            ] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(table))
                            .drop_column(column)
                            .take(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Curation {
    Version,
    ExternalSource,
    ExternalId,
    ReviewStatus,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    Name,
    Role,
    TokenHash,
    CreatedAt,
    CreatedBy,
    RevokedAt,
}

#[derive(DeriveIden)]
enum WriteClock {
    Table,
    Id,
    Ticks,
}

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Seq,
    Entity,
    EntityId,
    Slug,
    Kind,
    Version,
    Visible,
    WasVisible,
    Missions,
    Actor,
    ChangedAt,
    Before,
    After,
}
