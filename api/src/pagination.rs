//! Relay cursor connections with keyset pagination: a page is `WHERE id > cursor ORDER BY id
//! LIMIT n + 1`, never OFFSET, so a deep page costs what the first page costs. Cursors are opaque
//! and name the ordering they belong to, so a cursor from another ordering is rejected.
//!
//! The size of futures: async-graphql resolves each selected field of an object with that type's
//! one `resolve_field` future, which is as large as the largest field's, moved to the heap per
//! field. A paging function's state (its statements, the engine's walk, the loaders) ran to
//! 2-5 KB, so a view's `slug` cost as much to resolve as its `resources`. The paging functions
//! below therefore run their bodies in a box of their own: a resolver awaiting one holds a
//! pointer and its arguments.

use crate::errors::{db, ApiError, ApiResult};
use crate::loaders;
use async_graphql::{Context, Enum, Object, OutputType, SimpleObject, TypeName};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};

/// Paging limits every connection field obeys.
#[derive(Clone, Copy, Debug)]
pub struct PageLimits {
    pub default_size: usize,
    pub max_size: usize,
}

impl PageLimits {
    /// Checks a page size argument (`first` or `last`, named by `field`): the one check every
    /// list makes.
    pub fn size(self, value: Option<i32>, field: &str) -> ApiResult<Option<u64>> {
        match value {
            None => Ok(None),
            Some(n) if n < 0 => Err(ApiError::bad_input(
                field,
                format!("`{field}` must not be negative"),
            )),
            Some(n) if n as usize > self.max_size => Err(ApiError::bad_input(
                field,
                format!("`{field}` may be at most {} (got {n})", self.max_size),
            )),
            Some(n) => Ok(Some(n as u64)),
        }
    }
}

/// The one cursor codec. A cursor is opaque to clients; inside it is `<tag>:<position>`,
/// base64url-encoded. The tag names the list and the order it belongs to (`cursor:id`,
/// `cursor:title`, `cursor:search`, `change`, ...), so a cursor of another list or order is
/// refused rather than misread.
pub mod cursor {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

    /// The cursor of `position` in the list `tag` names.
    pub fn encode(tag: &str, position: impl std::fmt::Display) -> String {
        URL_SAFE_NO_PAD.encode(format!("{tag}:{position}"))
    }

    /// The position a cursor of the list `tag` holds; `None` for anything else.
    pub fn decode(cursor: &str, tag: &str) -> Option<String> {
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
        Some(text.strip_prefix(tag)?.strip_prefix(':')?.to_string())
    }
}

/// A page of a list, in Relay's connection shape; named `<Node>Connection` in the schema.
pub struct Page<T> {
    edges: Vec<PageEdge<T>>,
    page_info: PageInfo,
    total_count: u64,
}

/// A page of a list (a Relay connection): the items with their cursors, how to get the next or
/// previous page, and how many items the whole list holds.
#[Object(name_type)]
impl<T: OutputType> Page<T> {
    /// The items of this page, each with its cursor.
    async fn edges(&self) -> &[PageEdge<T>] {
        &self.edges
    }

    /// The items of this page, without cursors.
    async fn nodes(&self) -> Vec<&T> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    /// Where this page sits in the list, and the cursors to move on from it.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many items the whole list holds, across all pages.
    #[graphql(complexity = "crate::limits::cost::TOTAL_COUNT")]
    async fn total_count(&self) -> u64 {
        self.total_count
    }
}

impl<T> Page<T> {
    /// A page built by a caller that does its own querying (e.g. search).
    pub fn new(
        edges: Vec<PageEdge<T>>,
        has_previous: bool,
        has_next: bool,
        total_count: u64,
    ) -> Self {
        Page {
            page_info: PageInfo {
                has_next_page: has_next,
                has_previous_page: has_previous,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
            total_count,
        }
    }
}

impl<T> Page<T> {
    /// On an empty page, reports `cursor` as the end cursor (feeds: the caller keeps its place).
    pub fn keep_end_cursor(&mut self, cursor: Option<String>) {
        if self.edges.is_empty() {
            self.page_info.end_cursor = cursor;
        }
    }
}

impl<T> PageEdge<T> {
    pub fn new(cursor: String, node: T) -> Self {
        PageEdge { cursor, node }
    }
}

impl<T: OutputType> TypeName for Page<T> {
    fn type_name() -> std::borrow::Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

/// One item of a page, with its cursor; named `<Node>Edge` in the schema.
pub struct PageEdge<T> {
    cursor: String,
    node: T,
}

/// One item of a page (a Relay edge), with the cursor to page on from it.
#[Object(name_type)]
impl<T: OutputType> PageEdge<T> {
    /// Opaque cursor: pass it as `after` or `before` to page on from this item.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The item.
    async fn node(&self) -> &T {
        &self.node
    }
}

impl<T: OutputType> TypeName for PageEdge<T> {
    fn type_name() -> std::borrow::Cow<'static, str> {
        format!("{}Edge", T::type_name()).into()
    }
}

/// Where a page sits in its list (Relay's PageInfo).
#[derive(SimpleObject)]
pub struct PageInfo {
    /// True when items exist after this page.
    pub has_next_page: bool,
    /// True when items exist before this page.
    pub has_previous_page: bool,
    /// The cursor of the first item of this page; null when the page is empty.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of this page; null when the page is empty.
    pub end_cursor: Option<String>,
}

/// The four Relay paging arguments, as every connection field takes them.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Self {
        Self {
            first,
            after,
            last,
            before,
        }
    }
}

/// The ordering a cursor belongs to; part of the cursor so that mixing orderings is detected.
const ORDER_BY_ID: &str = "cursor:id";

/// The cursor of the row with this id in an id-ordered list (public for the benchmark, which
/// jumps to deep pages without walking to them).
pub fn encode_cursor(id: i32) -> String {
    cursor::encode(ORDER_BY_ID, id)
}

fn decode_cursor(cursor: &str, field: &str) -> ApiResult<i32> {
    cursor::decode(cursor, ORDER_BY_ID)
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| invalid_cursor(cursor, field))
}

/// A cursor that is not one of this list's (or not a cursor at all).
fn invalid_cursor(cursor: &str, field: &str) -> ApiError {
    ApiError::bad_input(
        field,
        format!("{cursor:?} is not a valid cursor for this list"),
    )
}

/// Pages through `select` (already filtered to the list's members) by the `id` column.
pub async fn paginate<E, T>(
    ctx: &Context<'_>,
    select: Select<E>,
    id_column: E::Column,
    id_of: impl Fn(&E::Model) -> i32,
    wrap: impl Fn(E::Model) -> T,
    args: PageArgs,
) -> ApiResult<Page<T>>
where
    E: EntityTrait,
    E::Model: Sync,
    T: OutputType,
{
    let order = Order::<E> {
        list: ListOrder::OldestFirst,
        id: id_column,
        updated_at: None,
        sort: SortKeys::default(),
    };
    paginate_ordered(ctx, select, order, id_of, wrap, args).await
}

/// The orders a list can be read in. Every order ends with the ID, so paging is stable.
#[derive(Enum, Copy, Clone, Debug, Default, Eq, PartialEq)]
pub enum ListOrder {
    /// In the order the records were added (by ID). The default.
    #[default]
    OldestFirst,
    /// The most recently added first (by ID, descending).
    NewestFirst,
    /// The most recently changed first (by `updatedAt`, then ID, descending): for sync.
    RecentlyUpdated,
    /// By title, A to Z, ignoring the case of ASCII letters, then by ID (findings, exercises and
    /// resources).
    #[graphql(name = "TITLE_A_TO_Z")]
    TitleAToZ,
    /// By title, Z to A, ignoring the case of ASCII letters, then by ID descending (findings,
    /// exercises and resources).
    #[graphql(name = "TITLE_Z_TO_A")]
    TitleZToA,
    /// By date, earliest first, then by ID: an exercise's start date, a resource's publication
    /// date, a finding's or view's exercise's start date. A partial date sorts before the more
    /// precise dates inside it (`2024` before `2024-01`); undated items come last.
    DateEarliestFirst,
    /// By date, latest first, then by ID descending (the same dates as `DATE_EARLIEST_FIRST`);
    /// undated items come last.
    DateLatestFirst,
}

/// The text columns a list can be ordered by with `TITLE_*` and `DATE_*` (`None`: the list has
/// no such order, and asking for it is `BAD_USER_INPUT`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SortKeys {
    /// The title column.
    pub title: Option<&'static str>,
    /// The partial-date column (for findings and views, the copy of their exercise's start date
    /// that migration `000010` keeps, so the order has an index of its own).
    pub date: Option<&'static str>,
}

/// How to order one list: the order asked for, the ID column, and the `updated_at` column with
/// a way to read it from a row (needed for `RecentlyUpdated`).
pub struct Order<E: EntityTrait> {
    pub list: ListOrder,
    pub id: E::Column,
    pub updated_at: Option<UpdatedAtKey<E>>,
    pub sort: SortKeys,
}

/// The `updated_at` column of a list and how to read it from a row.
pub type UpdatedAtKey<E> = (
    <E as EntityTrait>::Column,
    fn(&<E as EntityTrait>::Model) -> DateTime<Utc>,
);

/// A decoded cursor: the row's ID and, for `RecentlyUpdated`, its `updatedAt`.
struct Position {
    id: i32,
    updated_at: Option<DateTime<Utc>>,
}

fn ordered_cursor(list: ListOrder, id: i32, updated_at: Option<DateTime<Utc>>) -> String {
    match (list, updated_at) {
        (ListOrder::RecentlyUpdated, Some(at)) => cursor::encode(
            "cursor:updated",
            format!(
                "{}:{id}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
            ),
        ),
        (ListOrder::NewestFirst, _) => cursor::encode("cursor:newest", id),
        _ => encode_cursor(id),
    }
}
fn decode_ordered(list: ListOrder, cursor: &str, field: &str) -> ApiResult<Position> {
    let invalid = || invalid_cursor(cursor, field);
    match list {
        ListOrder::OldestFirst => Ok(Position {
            id: decode_cursor(cursor, field)?,
            updated_at: None,
        }),
        ListOrder::NewestFirst => {
            let id = cursor::decode(cursor, "cursor:newest").ok_or_else(invalid)?;
            Ok(Position {
                id: id.parse().map_err(|_| invalid())?,
                updated_at: None,
            })
        }
        _ => {
            let rest = cursor::decode(cursor, "cursor:updated").ok_or_else(invalid)?;
            let (at, id) = rest.rsplit_once(':').ok_or_else(invalid)?;
            Ok(Position {
                id: id.parse().map_err(|_| invalid())?,
                updated_at: Some(
                    DateTime::parse_from_rfc3339(at)
                        .map_err(|_| invalid())?
                        .with_timezone(&Utc),
                ),
            })
        }
    }
}

/// Rows strictly after `p` when reading in `descending` order (or strictly before, if not).
fn beyond<E: EntityTrait>(order: &Order<E>, p: &Position, descending: bool) -> Condition {
    let past_id = if descending {
        order.id.lt(p.id)
    } else {
        order.id.gt(p.id)
    };
    match (&order.updated_at, p.updated_at) {
        (Some((column, _)), Some(at)) => {
            let past_at = if descending {
                column.lt(at)
            } else {
                column.gt(at)
            };
            Condition::any()
                .add(past_at)
                .add(Condition::all().add(column.eq(at)).add(past_id))
        }
        _ => Condition::all().add(past_id),
    }
}

/// Pages through `select` in the given order, by keyset on (order key, ID).
pub async fn paginate_ordered<E, T>(
    ctx: &Context<'_>,
    select: Select<E>,
    order: Order<E>,
    id_of: impl Fn(&E::Model) -> i32,
    wrap: impl Fn(E::Model) -> T,
    args: PageArgs,
) -> ApiResult<Page<T>>
where
    E: EntityTrait,
    E::Model: Sync,
    T: OutputType,
{
    // Boxed: see the module's note on the size of futures.
    Box::pin(async move {
        let conn = crate::errors::data::<DatabaseConnection>(ctx)?;
        let select = crate::visibility::restrict(crate::visibility::published_only(ctx), select);
        let threshold = crate::suppression::threshold(ctx);
        if threshold.is_some() && crate::suppression::covers(table_name::<E>()) {
            let total = db(select.clone().count(conn).await)?;
            crate::suppression::check_views(threshold, total)?;
        }
        let limits = *crate::errors::data::<PageLimits>(ctx)?;
        let first = limits.size(args.first, "first")?;
        let last = limits.size(args.last, "last")?;
        if first.is_some() && last.is_some() {
            return Err(ApiError::bad_input(
                "last",
                "Give `first` or `last`, not both",
            ));
        }
        if let Some(key) = text_key(&order, conn.get_database_backend())? {
            return paginate_by_key(ctx, select, order.id, key, id_of, wrap, args, first, last)
                .await;
        }
        let list = if order.updated_at.is_none() && order.list == ListOrder::RecentlyUpdated {
            ListOrder::NewestFirst
        } else {
            order.list
        };
        let after = args
            .after
            .as_deref()
            .map(|c| decode_ordered(list, c, "after"))
            .transpose()?;
        let before = args
            .before
            .as_deref()
            .map(|c| decode_ordered(list, c, "before"))
            .transpose()?;

        let total_count = if ctx.look_ahead().field("totalCount").exists() {
            db(select.clone().count(conn).await)?
        } else {
            0
        };

        let descending = list != ListOrder::OldestFirst;
        let mut page = select;
        if let Some(p) = &after {
            page = page.filter(beyond(&order, p, descending));
        }
        if let Some(p) = &before {
            page = page.filter(beyond(&order, p, !descending));
        }
        let backwards = last.is_some();
        let size = last.or(first).unwrap_or(limits.default_size as u64);
        let read_descending = descending != backwards;
        let sort = if read_descending {
            sea_orm::Order::Desc
        } else {
            sea_orm::Order::Asc
        };
        if list == ListOrder::RecentlyUpdated {
            if let Some((column, _)) = &order.updated_at {
                page = page.order_by(*column, sort.clone());
            }
        }
        page = page.order_by(order.id, sort);
        let mut rows = db(page.limit(size + 1).all(conn).await)?;
        let more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        if backwards {
            rows.reverse();
        }
        // Relay lets a server answer the "other side" cheaply: a cursor there means items exist there.
        let (has_previous, has_next) = if backwards {
            (more, before.is_some())
        } else {
            (after.is_some(), more)
        };
        let read_at = order.updated_at.as_ref().map(|(_, read)| *read);
        let edges: Vec<PageEdge<T>> = rows
            .into_iter()
            .map(|row| PageEdge {
                cursor: ordered_cursor(list, id_of(&row), read_at.map(|read| read(&row))),
                node: wrap(row),
            })
            .collect();
        Ok(Page::new(edges, has_previous, has_next, total_count))
    })
    .await
}

/// A text sort key: the tag its cursors carry, its direction, and its SQL expression.
struct TextKey {
    tag: &'static str,
    descending: bool,
    sql: String,
}

/// The text sort key of `TITLE_*` and `DATE_*` orders; `None` for the other orders.
///
/// The expressions are exactly those migration `000010` indexes (with the id after them), so
/// each order is an index scan. NULL dates become `'~'` when ascending and `''` when descending,
/// which puts undated items last both ways and keeps the keyset comparisons free of NULLs.
/// PostgreSQL compares with `COLLATE "C"`, so both backends sort byte-wise, the same way.
fn text_key<E: EntityTrait>(order: &Order<E>, backend: DbBackend) -> ApiResult<Option<TextKey>> {
    let table = E::default().table_name();
    let (tag, descending, sql) = match order.list {
        ListOrder::TitleAToZ | ListOrder::TitleZToA => (
            if order.list == ListOrder::TitleAToZ {
                "title"
            } else {
                "title-desc"
            },
            order.list == ListOrder::TitleZToA,
            order
                .sort
                .title
                .map(|c| format!("lower(\"{table}\".\"{c}\")")),
        ),
        ListOrder::DateEarliestFirst => (
            "date",
            false,
            order
                .sort
                .date
                .map(|c| format!("COALESCE(\"{table}\".\"{c}\", '~')")),
        ),
        ListOrder::DateLatestFirst => (
            "date-desc",
            true,
            order
                .sort
                .date
                .map(|c| format!("COALESCE(\"{table}\".\"{c}\", '')")),
        ),
        _ => return Ok(None),
    };
    let sql = sql.ok_or_else(|| {
        ApiError::bad_input(
            "order",
            format!("This list cannot be read in the order {:?}", order.list),
        )
    })?;
    let sql = crate::db::collated(sql, backend);
    Ok(Some(TextKey {
        tag,
        descending,
        sql,
    }))
}

fn key_cursor(tag: &str, id: i32, key: &str) -> String {
    cursor::encode(&format!("cursor:{tag}"), format!("{id}:{key}"))
}

fn decode_key_cursor(tag: &str, cursor: &str, field: &str) -> ApiResult<(i32, String)> {
    let invalid = || invalid_cursor(cursor, field);
    let rest = cursor::decode(cursor, &format!("cursor:{tag}")).ok_or_else(invalid)?;
    let (id, key) = rest.split_once(':').ok_or_else(invalid)?;
    Ok((id.parse().map_err(|_| invalid())?, key.to_string()))
}

/// Rows strictly beyond (`key`, `id`) when reading in `descending` order (before, if not).
fn beyond_key(
    sql: &str,
    id_column: impl ColumnTrait,
    p: &(i32, String),
    descending: bool,
) -> Condition {
    use sea_orm::sea_query::ExprTrait;
    let key = Expr::cust(sql.to_string());
    let (past_key, past_id) = if descending {
        (key.clone().lt(p.1.as_str()), id_column.lt(p.0))
    } else {
        (key.clone().gt(p.1.as_str()), id_column.gt(p.0))
    };
    Condition::any()
        .add(past_key)
        .add(Condition::all().add(key.eq(p.1.as_str())).add(past_id))
}

/// Pages through `select` by keyset on (text sort key, ID). The key of each row is read back
/// from the database with the row, so cursors hold exactly what the database compares.
#[allow(clippy::too_many_arguments)]
async fn paginate_by_key<E, T>(
    ctx: &Context<'_>,
    select: Select<E>,
    id_column: E::Column,
    key: TextKey,
    id_of: impl Fn(&E::Model) -> i32,
    wrap: impl Fn(E::Model) -> T,
    args: PageArgs,
    first: Option<u64>,
    last: Option<u64>,
) -> ApiResult<Page<T>>
where
    E: EntityTrait,
    E::Model: Sync,
    T: OutputType,
{
    let conn = crate::errors::data::<DatabaseConnection>(ctx)?;
    let limits = *crate::errors::data::<PageLimits>(ctx)?;
    let after = args
        .after
        .as_deref()
        .map(|c| decode_key_cursor(key.tag, c, "after"))
        .transpose()?;
    let before = args
        .before
        .as_deref()
        .map(|c| decode_key_cursor(key.tag, c, "before"))
        .transpose()?;
    let total_count = if ctx.look_ahead().field("totalCount").exists() {
        db(select.clone().count(conn).await)?
    } else {
        0
    };
    let mut page = select;
    if let Some(p) = &after {
        page = page.filter(beyond_key(&key.sql, id_column, p, key.descending));
    }
    if let Some(p) = &before {
        page = page.filter(beyond_key(&key.sql, id_column, p, !key.descending));
    }
    let backwards = last.is_some();
    let size = last.or(first).unwrap_or(limits.default_size as u64);
    let sort = if key.descending != backwards {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let statement = page
        .expr_as(Expr::cust(key.sql.clone()), "pv_sort_key")
        .order_by(Expr::cust(key.sql.clone()), sort.clone())
        .order_by(id_column, sort)
        .limit(size + 1)
        .into_query();
    let found = db(conn.query_all(&statement).await)?;
    let mut rows = Vec::with_capacity(found.len());
    for row in found {
        let sort_key = db(row.try_get::<String>("", "pv_sort_key"))?;
        rows.push((db(E::Model::from_query_result(&row, ""))?, sort_key));
    }
    let more = rows.len() as u64 > size;
    rows.truncate(size as usize);
    if backwards {
        rows.reverse();
    }
    let (has_previous, has_next) = if backwards {
        (more, before.is_some())
    } else {
        (after.is_some(), more)
    };
    let edges = rows
        .into_iter()
        .map(|(row, sort_key)| PageEdge {
            cursor: key_cursor(key.tag, id_of(&row), &sort_key),
            node: wrap(row),
        })
        .collect();
    Ok(Page::new(edges, has_previous, has_next, total_count))
}

/// The page size a query plans for when it gives neither `first` nor `last`: the largest default
/// a deployment is expected to configure, so cost is never under-estimated.
const PLANNED_DEFAULT_PAGE: usize = 20;

/// The cost of a connection field for the complexity limit: its items' cost times the page size
/// asked for, so that 100 views each with 100 resources costs far more than one view.
pub fn cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let page = first
        .or(last)
        .map(|n| n.max(0) as usize)
        .unwrap_or(PLANNED_DEFAULT_PAGE)
        .max(1);
    page.saturating_mul(child_complexity).saturating_add(1)
}

/// A stored row's id (every curated table's key is an `id` column).
pub trait HasId {
    const ID: Self::Column;
    type Column;
    fn id(&self) -> i32;
}

macro_rules! has_id {
    ($($table:ident),*) => {$(
        impl HasId for entity::$table::Model {
            type Column = entity::$table::Column;
            const ID: entity::$table::Column = entity::$table::Column::Id;
            fn id(&self) -> i32 {
                self.id
            }
        }
    )*};
}

has_id!(
    exercise,
    finding,
    participant_view,
    metric,
    resource,
    session,
    commitment,
    organisation
);

/// The children of `parent` through `relation`, paged: [`paginate_children`] with the
/// statement the relation names.
pub async fn children<E, T>(
    ctx: &Context<'_>,
    relation: loaders::ChildRelation,
    parent: i32,
    wrap: impl Fn(E::Model) -> T,
    args: PageArgs,
) -> ApiResult<Page<T>>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: sea_orm::FromQueryResult + Clone + Send + Sync + HasId<Column = E::Column>,
    T: OutputType,
{
    let select = || E::find().filter(relation.condition(E::default().table_name(), parent));
    let id = <E::Model as HasId>::ID;
    paginate_children(ctx, relation, parent, select, id, HasId::id, wrap, args).await
}

/// Like [`paginate`], for a list nested under a parent. A plain first page (no cursor, no
/// `last`) is loaded for all the parents of the enclosing page in one windowed statement, and
/// its `totalCount` in one GROUP BY; anything else pages this parent alone (`select` makes its
/// statement, only then).
#[allow(clippy::too_many_arguments)]
pub async fn paginate_children<E, T>(
    ctx: &Context<'_>,
    relation: loaders::ChildRelation,
    parent: i32,
    select: impl FnOnce() -> Select<E>,
    id_column: E::Column,
    id_of: impl Fn(&E::Model) -> i32,
    wrap: impl Fn(E::Model) -> T,
    args: PageArgs,
) -> ApiResult<Page<T>>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: sea_orm::FromQueryResult + Clone + Send + Sync,
    T: OutputType,
{
    // Boxed: see the module's note on the size of futures.
    Box::pin(async move {
        let published_only = crate::visibility::published_only(ctx);
        let engine = ctx.data_opt::<crate::engine::Engine>();
        let held = loaders::held(relation);
        if let Some((findings, set)) =
            held.and_then(|h| crate::engine::child_set(engine, h, parent, published_only))
        {
            let page =
                paginate_members::<E, T>(ctx, findings, set, id_column, &id_of, &wrap, &args)
                    .await?;
            if let Some(page) = page {
                return Ok(page);
            }
        }
        let plain = args.after.is_none() && args.before.is_none() && args.last.is_none();
        if !plain {
            return paginate(ctx, select(), id_column, id_of, wrap, args).await;
        }
        let limits = *crate::errors::data::<PageLimits>(ctx)?;
        let size = limits
            .size(args.first, "first")?
            .unwrap_or(limits.default_size as u64);
        let mut rows = loaders::of(ctx)?
            .load_one(loaders::FirstChildren::<E> {
                relation,
                parent,
                limit: size,
                entity: std::marker::PhantomData,
            })
            .await?
            .unwrap_or_default();
        let more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        let threshold = crate::suppression::threshold(ctx);
        let suppressible = threshold.is_some() && crate::suppression::covers(table_name::<E>());
        let total_count = if suppressible || ctx.look_ahead().field("totalCount").exists() {
            match held.and_then(|h| crate::engine::child_count(engine, h, parent, published_only)) {
                Some(n) => n,
                None => loaders::of(ctx)?
                    .load_one(loaders::ChildCount {
                        relation,
                        table: table_name::<E>(),
                        parent,
                    })
                    .await?
                    .unwrap_or(0),
            }
        } else {
            0
        };
        if suppressible {
            crate::suppression::check_views(threshold, total_count)?;
        }
        let edges = rows
            .into_iter()
            .map(|row| PageEdge {
                cursor: encode_cursor(id_of(&row)),
                node: wrap(row),
            })
            .collect();
        Ok(Page::new(edges, false, more, total_count))
    })
    .await
}

/// The table name of an entity, as a static string for loader keys.
fn table_name<E: EntityTrait>() -> &'static str {
    E::default().table_name()
}

/// What the read engine is asked for one page of a list it holds.
pub struct IndexedWalk<'a> {
    /// The order to walk in.
    pub walk: crate::engine::Walk,
    /// Whether the order is descending.
    pub descending: bool,
    /// Whether the page is read from the end (`last`/`before`).
    pub backwards: bool,
    /// The cursor's position to start strictly beyond.
    pub start: Option<crate::engine::Start<'a>>,
    /// How many ids to return at most (the page size plus one, to learn whether more exist).
    pub limit: usize,
}

/// Pages a list through the read engine: the same checks, cursors and answers as
/// [`paginate_ordered`], but the page's ids come from `walk` and its rows are fetched by primary
/// key in one statement (for a nested list, `batched`: one statement for the pages of all the
/// parents at its level). `Ok(None)` when the engine cannot answer this page (both `after` and
/// `before`, a cursor it cannot place, or a row it names is gone or hidden): the caller pages in
/// SQL.
#[allow(clippy::too_many_arguments)]
pub async fn paginate_indexed<E, T>(
    ctx: &Context<'_>,
    order: &Order<E>,
    id_of: impl Fn(&E::Model) -> i32,
    wrap: impl Fn(E::Model) -> T,
    args: &PageArgs,
    total_count: u64,
    batched: bool,
    walk: impl FnOnce(IndexedWalk<'_>) -> Option<Vec<(u32, String)>>,
) -> ApiResult<Option<Page<T>>>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: FromQueryResult + Clone + Send + Sync,
    T: OutputType,
{
    // Boxed: see the module's note on the size of futures.
    Box::pin(async move {
        use crate::engine::{Start, Walk};
        if crate::suppression::covers(table_name::<E>()) {
            crate::suppression::check_views(crate::suppression::threshold(ctx), total_count)?;
        }
        let conn = crate::errors::data::<DatabaseConnection>(ctx)?;
        let limits = *crate::errors::data::<PageLimits>(ctx)?;
        let first = limits.size(args.first, "first")?;
        let last = limits.size(args.last, "last")?;
        if first.is_some() && last.is_some() {
            return Err(ApiError::bad_input(
                "last",
                "Give `first` or `last`, not both",
            ));
        }
        if args.after.is_some() && args.before.is_some() {
            return Ok(None);
        }
        let backwards = last.is_some();
        let size = last.or(first).unwrap_or(limits.default_size as u64);
        let cursor = match (&args.after, &args.before) {
            (Some(c), _) => Some((c.as_str(), "after")),
            (_, Some(c)) => Some((c.as_str(), "before")),
            _ => None,
        };
        let key = text_key(order, conn.get_database_backend())?;
        let list = if order.updated_at.is_none() && order.list == ListOrder::RecentlyUpdated {
            ListOrder::NewestFirst
        } else {
            order.list
        };
        // (walk, descending, the text key when the cursor carries one, the decoded cursor)
        let (how, descending, text, start) = match &key {
            Some(key) => {
                let start = cursor
                    .map(|(c, field)| decode_key_cursor(key.tag, c, field))
                    .transpose()?
                    .map(|(id, k)| (id, k, 0));
                let how = match key.tag {
                    "date" => Walk::Date { earliest: true },
                    "date-desc" => Walk::Date { earliest: false },
                    _ => Walk::Title,
                };
                (how, key.descending, Some(key), start)
            }
            None => {
                let start = cursor
                    .map(|(c, field)| decode_ordered(list, c, field))
                    .transpose()?
                    .map(|p| {
                        let at = p.updated_at.map_or(0, crate::engine::nanos);
                        (p.id, String::new(), at)
                    });
                let how = match list {
                    ListOrder::RecentlyUpdated => Walk::Recent,
                    _ => Walk::Id,
                };
                (how, list != ListOrder::OldestFirst, None, start)
            }
        };
        let Some(mut found) = walk(IndexedWalk {
            walk: how,
            descending,
            backwards,
            start: start.as_ref().map(|(id, key, at)| Start {
                id: *id,
                key: key.as_str(),
                at: *at,
            }),
            limit: size as usize + 1,
        }) else {
            return Ok(None);
        };
        let more = found.len() as u64 > size;
        found.truncate(size as usize);
        let ids: Vec<i32> = found
            .iter()
            .filter_map(|(id, _)| i32::try_from(*id).ok())
            .collect();
        // Rows by id, with the title sort key as the database computes it when cursors carry it.
        let mut by_id: std::collections::HashMap<i32, (E::Model, String)> =
            std::collections::HashMap::with_capacity(ids.len());
        if ids.is_empty() {
        } else if let Some(key) = text.filter(|_| how == Walk::Title) {
            let statement = E::find()
                .filter(order.id.is_in(ids.iter().copied()))
                .expr_as(Expr::cust(key.sql.clone()), "pv_sort_key")
                .into_query();
            for row in db(conn.query_all(&statement).await)? {
                let sort_key = db(row.try_get::<String>("", "pv_sort_key"))?;
                let model = db(E::Model::from_query_result(&row, ""))?;
                by_id.insert(id_of(&model), (model, sort_key));
            }
        } else if batched {
            let keys = ids.iter().map(|id| loaders::RowById::<E>::new(*id));
            for (_, model) in loaders::of(ctx)?.load_many(keys).await? {
                by_id.insert(id_of(&model), (model, String::new()));
            }
        } else {
            for model in db(E::find()
                .filter(order.id.is_in(ids.iter().copied()))
                .all(conn)
                .await)?
            {
                by_id.insert(id_of(&model), (model, String::new()));
            }
        }
        if by_id.len() != found.len() {
            // The index names a row the database no longer has: it is behind; SQL answers.
            return Ok(None);
        }
        if backwards {
            found.reverse();
        }
        let read_at = order.updated_at.as_ref().map(|(_, read)| *read);
        let mut edges = Vec::with_capacity(found.len());
        for (id, date_key) in found {
            let Some((row, title_key)) = i32::try_from(id).ok().and_then(|id| by_id.remove(&id))
            else {
                return Ok(None);
            };
            let cursor = match (how, text) {
                (Walk::Title, Some(key)) => key_cursor(key.tag, id as i32, &title_key),
                (_, Some(key)) => key_cursor(key.tag, id as i32, &date_key),
                (Walk::Recent, None) => {
                    ordered_cursor(list, id as i32, read_at.map(|read| read(&row)))
                }
                _ => ordered_cursor(list, id as i32, None),
            };
            edges.push(PageEdge {
                cursor,
                node: wrap(row),
            });
        }
        let (has_previous, has_next) = if backwards {
            (more, args.before.is_some())
        } else {
            (args.after.is_some(), more)
        };
        Ok(Some(Page::new(edges, has_previous, has_next, total_count)))
    })
    .await
}

/// Pages the rows of `set` (views, or findings when `findings`) by id through the read engine,
/// as [`paginate`] pages a filtered select: for nested lists whose members the index holds. Rows
/// are fetched with the other parents' at the same level, in one statement. `Ok(None)`: SQL
/// answers (no engine, or it cannot answer this page).
#[allow(clippy::too_many_arguments)]
pub async fn paginate_members<E, T>(
    ctx: &Context<'_>,
    findings: bool,
    set: roaring::RoaringBitmap,
    id_column: E::Column,
    id_of: impl Fn(&E::Model) -> i32,
    wrap: impl Fn(E::Model) -> T,
    args: &PageArgs,
) -> ApiResult<Option<Page<T>>>
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: FromQueryResult + Clone + Send + Sync,
    T: OutputType,
{
    // Boxed: see the module's note on the size of futures.
    Box::pin(async move {
        let Some(engine) = ctx.data_opt::<crate::engine::Engine>() else {
            return Ok(None);
        };
        let order = Order::<E> {
            list: ListOrder::OldestFirst,
            id: id_column,
            updated_at: None,
            sort: SortKeys::default(),
        };
        let total = set.len();
        paginate_indexed(ctx, &order, id_of, wrap, args, total, true, |w| {
            engine
                .read(|index| {
                    let rows = if findings {
                        &index.findings
                    } else {
                        &index.views
                    };
                    rows.walk(&set, w.walk, w.descending, w.backwards, w.start, w.limit)
                })
                .flatten()
        })
        .await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

    #[test]
    fn key_cursors_round_trip_and_belong_to_their_order() {
        let c = key_cursor("title", 7, "ai: a:b");
        assert_eq!(
            decode_key_cursor("title", &c, "after"),
            Ok((7, "ai: a:b".to_string()))
        );
        assert!(decode_key_cursor("title-desc", &c, "after").is_err());
        assert!(decode_key_cursor("date", &encode_cursor(7), "after").is_err());
    }

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        assert_eq!(decode_cursor(&encode_cursor(7), "after"), Ok(7));
        for forged in [
            "",
            "abc",
            &URL_SAFE_NO_PAD.encode("cursor:date:7"),
            &URL_SAFE_NO_PAD.encode("cursor:id:x"),
        ] {
            assert_eq!(
                decode_cursor(forged, "after").map_err(|e| e.code()),
                Err("BAD_USER_INPUT")
            );
        }
    }
}
