//! What a caller may see: findings, participant views and commitments are shown to readers only once
//! published; editors and admins also see drafts, rows in review and retracted rows. Every read
//! path filters through here (lists, nested pages, loaders, lookups, `node`, the evidence map);
//! the search index holds published rows only.

use crate::auth::Viewer;
use async_graphql::Context;
use entity::change_log;
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};

/// The review status readers see.
pub const PUBLISHED: &str = "PUBLISHED";

/// Whether rows of `table` go through review.
pub fn is_reviewed(table: &str) -> bool {
    use sea_orm::EntityName;
    [
        entity::finding::Entity.table_name(),
        entity::participant_view::Entity.table_name(),
        entity::commitment::Entity.table_name(),
    ]
    .contains(&table)
}

/// Whether this request sees published rows only (the default when no viewer is known).
pub fn published_only(ctx: &Context<'_>) -> bool {
    !ctx.data_opt::<Viewer>()
        .is_some_and(Viewer::sees_unpublished)
}

/// Restricts a select over `E` to what the caller may see.
pub fn restrict<E: EntityTrait>(published_only: bool, select: Select<E>) -> Select<E> {
    let table = E::default();
    if published_only && is_reviewed(table.table_name()) {
        select.filter(Expr::col((table, Alias::new("review_status"))).eq(PUBLISHED))
    } else {
        select
    }
}

/// The same restriction as SQL to append to a WHERE clause over `table`.
pub fn sql_guard(published_only: bool, table: &str) -> String {
    if published_only && is_reviewed(table) {
        format!(" AND {table}.review_status = '{PUBLISHED}'")
    } else {
        String::new()
    }
}

/// Whether a change-log entry is visible: the change feed's rule for one event (subscriptions).
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
