//! `Query.evidenceState`: where the readers' change feed stands, so a permalink can record the
//! sequence its data was read at and say later how many changes came after; and the small-cell
//! threshold that applies to the caller, so a page can print "<k".

use crate::errors::{db, ApiError, ApiResult};
use async_graphql::{Context, Object};
use entity::change_log;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

#[derive(Default)]
pub struct EvidenceStateQuery;

#[Object]
impl EvidenceStateQuery {
    /// Where the evidence stands now: the readers' change-feed sequence (record it in a
    /// permalink as `seq`), how many changes came after a recorded one, and the small-cell
    /// threshold that applies to the caller.
    async fn evidence_state(&self, ctx: &Context<'_>) -> EvidenceState {
        // It reads the change log itself, which may be ahead of the engine's position.
        crate::engine::volatile(ctx);
        EvidenceState
    }
}

/// The state of the evidence as readers see it.
pub struct EvidenceState;

/// Where the evidence stands: the readers' change-feed sequence, how many changes came after an
/// earlier one, and the small-cell threshold that applies to the caller.
#[Object]
impl EvidenceState {
    /// The sequence of the newest change readers without an editor token can see (the
    /// `sequence` of their `changes` feed): 0 when there is none. It grows with every published change, so two readings at the same
    /// sequence saw the same evidence.
    async fn sequence(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        latest_sequence(crate::errors::data::<DatabaseConnection>(ctx)?).await
    }

    /// How many changes readers can see came after `sequence` (0: the evidence has not moved
    /// since it was read at that sequence).
    async fn changes_since(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A sequence read earlier from `sequence` (e.g. a permalink's `seq`).")]
        sequence: i64,
    ) -> ApiResult<u64> {
        changes_since(crate::errors::data::<DatabaseConnection>(ctx)?, sequence).await
    }

    /// Small-cell suppression's threshold k as it applies to the caller: counts of participant
    /// views from 1 to k - 1 are withheld (null, `suppressed: true`), so print them as "<k".
    /// Null when suppression is off, or when the caller's editor token sees everything.
    async fn min_cell_count(&self, ctx: &Context<'_>) -> Option<u64> {
        crate::suppression::threshold(ctx)
    }
}

/// The newest readers' sequence (`change_log.public_seq`), 0 when none.
pub async fn latest_sequence(conn: &DatabaseConnection) -> ApiResult<i64> {
    let last: Option<i64> = db(change_log::Entity::find()
        .select_only()
        .column_as(change_log::Column::PublicSeq.max(), "m")
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await)?
    .flatten();
    Ok(last.unwrap_or(0))
}

/// How many readers' changes came after `sequence`.
pub async fn changes_since(conn: &DatabaseConnection, sequence: i64) -> ApiResult<u64> {
    if sequence < 0 {
        return Err(ApiError::bad_input(
            "sequence",
            "`sequence` must not be negative",
        ));
    }
    db(change_log::Entity::find()
        .filter(change_log::Column::PublicSeq.gt(sequence))
        .count(conn)
        .await)
}
