//! `change_log.public_seq`: the feed's sequence as readers without an editor token see it. Their
//! feed holds only changes to objects that were or became visible; numbering those changes by the
//! log's own sequence would leave gaps that count the hidden draft changes in between. Each such
//! change gets the next number of its own, gap-free sequence when it is written (writers are
//! queued by the write clock, so these numbers commit in order too); other changes get none.
//! Filled here for the existing log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    PublicSeq,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeLog::Table)
                    .add_column(big_integer_null(ChangeLog::PublicSeq))
                    .to_owned(),
            )
            .await?;
        // Both backends read `visible OR was_visible` as "was or became visible" (SQLite's
        // booleans are 0 and 1).
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE change_log SET public_seq = r.n FROM \
                 (SELECT seq, ROW_NUMBER() OVER (ORDER BY seq) AS n FROM change_log \
                  WHERE visible OR was_visible) AS r \
                 WHERE change_log.seq = r.seq",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("change_log_public_seq")
                    .table(ChangeLog::Table)
                    .col(ChangeLog::PublicSeq)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("change_log_public_seq")
                    .table(ChangeLog::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeLog::Table)
                    .drop_column(ChangeLog::PublicSeq)
                    .to_owned(),
            )
            .await
    }
}
