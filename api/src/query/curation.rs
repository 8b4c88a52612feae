//! The curation side of the read API: the caller, API tokens, the change feed and the audit log.

use crate::auth::caller;
use crate::auth::{Role, Viewer};
use crate::errors::{db, ApiResult};
use crate::pagination::PageLimits;
use crate::pagination::{Page, PageEdge};
use crate::types::{
    change_cursor, decode_change_cursor, decode_public_change_cursor, public_change_cursor,
    ApiToken, ChangeEvent, EntityKind, ViewerInfo,
};
use crate::visibility::visible_changes;
use async_graphql::{Context, Object};
use entity::change_log;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

#[derive(Default)]
pub struct CurationQuery;

/// Reads `first` change-log entries after `after` that match `condition`, as a page: by the
/// log's sequence, or by the readers' own sequence when `public` (see `change_log.public_seq`).
async fn feed(
    ctx: &Context<'_>,
    condition: Condition,
    first: Option<i32>,
    after: Option<String>,
    public: bool,
) -> ApiResult<Page<ChangeEvent>> {
    let limits = *crate::errors::data::<PageLimits>(ctx)?;
    let size = limits
        .size(first, "first")?
        .unwrap_or(limits.default_size as u64);
    let column = if public {
        change_log::Column::PublicSeq
    } else {
        change_log::Column::Seq
    };
    let encode = |m: &change_log::Model| {
        if public {
            public_change_cursor(m.public_seq.unwrap_or_default())
        } else {
            change_cursor(m.seq)
        }
    };
    let after_seq = after
        .as_deref()
        .map(|c| {
            if public {
                decode_public_change_cursor(c, "after")
            } else {
                decode_change_cursor(c, "after")
            }
        })
        .transpose()?
        .unwrap_or(0);
    let conn = crate::errors::data::<DatabaseConnection>(ctx)?;
    let select = change_log::Entity::find().filter(condition);
    let mut rows = db(select
        .clone()
        .filter(column.gt(after_seq))
        .order_by_asc(column)
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
        .map(|m| PageEdge::new(encode(&m), ChangeEvent(m)))
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
        let conn = crate::errors::data::<DatabaseConnection>(ctx)?;
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
    /// unpublished one (`visible: false`), numbered (`sequence`, cursors) by a sequence of their
    /// own without gaps, so nothing tells them how many hidden changes there were.
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
        let viewer = ctx.data_opt::<Viewer>();
        let public = !viewer.is_some_and(Viewer::sees_unpublished);
        let mut condition = Condition::all()
            .add(visible_changes(viewer))
            .add(entity_filter(entities));
        if public {
            condition = condition.add(change_log::Column::PublicSeq.is_not_null());
        }
        feed(ctx, condition, first, after, public).await
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
        feed(ctx, condition, first, after, false).await
    }
}
