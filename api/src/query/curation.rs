//! The curation side of the read API: the caller, API tokens, the change feed and the audit log.

use crate::auth::{Role, Viewer};
use crate::errors::{db, ApiError, ApiResult};
use crate::mutation::caller;
use crate::pagination::{Page, PageEdge};
use crate::schema::PageLimits;
use crate::types::{
    change_cursor, decode_change_cursor, ApiToken, ChangeEvent, EntityKind, ViewerInfo,
};
use async_graphql::{Context, Object};
use entity::change_log;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

#[derive(Default)]
pub struct CurationQuery;

/// Reads `first` change-log entries after `after` that match `condition`, as a page.
async fn feed(
    ctx: &Context<'_>,
    condition: Condition,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Page<ChangeEvent>> {
    let limits = *ctx.data_unchecked::<PageLimits>();
    let size = match first {
        None => limits.default_size as u64,
        Some(n) if n < 0 => {
            return Err(ApiError::bad_input("first", "`first` must not be negative"))
        }
        Some(n) if n as usize > limits.max_size => {
            return Err(ApiError::bad_input(
                "first",
                format!("`first` may be at most {} (got {n})", limits.max_size),
            ))
        }
        Some(n) => n as u64,
    };
    let after_seq = after
        .as_deref()
        .map(|c| decode_change_cursor(c, "after"))
        .transpose()?
        .unwrap_or(0);
    let conn = ctx.data_unchecked::<DatabaseConnection>();
    let select = change_log::Entity::find().filter(condition);
    let mut rows = db(select
        .clone()
        .filter(change_log::Column::Seq.gt(after_seq))
        .order_by_asc(change_log::Column::Seq)
        .limit(size + 1)
        .all(conn)
        .await)?;
    let more = rows.len() as u64 > size;
    rows.truncate(size as usize);
    let total = if ctx.look_ahead().field("totalCount").exists() {
        db(select.count(conn).await)?
    } else {
        0
    };
    let edges = rows
        .into_iter()
        .map(|m| PageEdge::new(change_cursor(m.seq), ChangeEvent(m)))
        .collect();
    let mut page = Page::new(edges, after_seq > 0, more, total);
    // An empty page keeps the caller's place, so a sync loop can always store `endCursor`.
    page.keep_end_cursor(after);
    Ok(page)
}

fn entity_filter(entities: Option<Vec<EntityKind>>) -> Condition {
    match entities {
        Some(list) if !list.is_empty() => Condition::all().add(
            change_log::Column::Entity.is_in(
                list.into_iter()
                    .map(|e| e.node_kind().type_name())
                    .collect::<Vec<_>>(),
            ),
        ),
        _ => Condition::all(),
    }
}

/// The same rule for one event (subscriptions).
pub fn visible_change(e: &change_log::Model, sees_unpublished: bool) -> bool {
    sees_unpublished || e.visible || e.was_visible
}

/// What a caller may see of the log: editors everything; others only changes to objects that
/// were or became visible (so a retraction reaches public copies, a draft never does).
pub fn visible_changes(viewer: Option<&Viewer>) -> Condition {
    if viewer.is_some_and(Viewer::sees_unpublished) {
        Condition::all()
    } else {
        Condition::any()
            .add(change_log::Column::Visible.eq(true))
            .add(change_log::Column::WasVisible.eq(true))
    }
}

/// Curation: the caller, tokens, the change feed, the audit log.
#[Object]
impl CurationQuery {
    /// Who the API thinks is calling (from the `Authorization: Bearer` header).
    async fn viewer(&self, ctx: &Context<'_>) -> ViewerInfo {
        ctx.data_opt::<Viewer>()
            .map(ViewerInfo::from)
            .unwrap_or_else(|| ViewerInfo::from(&Viewer::Anonymous))
    }

    /// Every API token, oldest first (names and roles; never the tokens). Needs an admin token.
    async fn api_tokens(&self, ctx: &Context<'_>) -> ApiResult<Vec<ApiToken>> {
        caller(ctx, Role::Admin)?;
        let conn = ctx.data_unchecked::<DatabaseConnection>();
        Ok(crate::auth::list_tokens(conn)
            .await?
            .into_iter()
            .map(ApiToken)
            .collect())
    }

    /// The change feed, for keeping a copy in sync: every create, update and delete after
    /// `after`, in commit order. Sequence numbers commit in order, so a reader that stores
    /// `pageInfo.endCursor` and asks again never misses or repeats a change, even while writes
    /// continue. An empty page returns the `after` cursor as `endCursor`. Readers without an
    /// editor token see changes to published objects only, including the change that
    /// unpublished one (`visible: false`).
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Read the changes after this cursor; from the beginning when absent.")]
        after: Option<String>,
        #[graphql(desc = "At most this many changes (default and maximum: the page limits).")]
        first: Option<i32>,
        #[graphql(desc = "Only changes to these kinds of object.")] entities: Option<
            Vec<EntityKind>,
        >,
    ) -> ApiResult<Page<ChangeEvent>> {
        let condition = Condition::all()
            .add(visible_changes(ctx.data_opt::<Viewer>()))
            .add(entity_filter(entities));
        feed(ctx, condition, first, after).await
    }

    /// The audit log: who changed what and when, with the state before and after, in commit
    /// order. Needs an admin token.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Read the entries after this cursor.")] after: Option<String>,
        #[graphql(desc = "At most this many entries.")] first: Option<i32>,
        #[graphql(desc = "Only changes made with this token name.")] actor: Option<String>,
        #[graphql(desc = "Only changes to these kinds of object.")] entities: Option<
            Vec<EntityKind>,
        >,
    ) -> ApiResult<Page<ChangeEvent>> {
        caller(ctx, Role::Admin)?;
        let mut condition = entity_filter(entities);
        if let Some(actor) = actor {
            condition = condition.add(change_log::Column::Actor.eq(actor));
        }
        feed(ctx, condition, first, after).await
    }
}
