//! Relay cursor connections with keyset pagination: a page is `WHERE id > cursor ORDER BY id
//! LIMIT n + 1`, never OFFSET, so a deep page costs what the first page costs. Cursors are opaque
//! and name the ordering they belong to, so a cursor from another ordering is rejected.

use crate::errors::{db, ApiError, ApiResult};
use crate::schema::PageLimits;
use async_graphql::{
    connection::{Connection, Edge},
    Context, OutputType, SimpleObject,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

/// Fields every connection has besides edges, nodes and pageInfo.
#[derive(SimpleObject, Default)]
pub struct ConnectionTotals {
    /// How many items the whole list holds, across all pages.
    pub total_count: u64,
}

/// A page of a list, in Relay's connection shape.
pub type Page<T> = Connection<String, T, ConnectionTotals>;

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
const ORDER_BY_ID: &str = "id";

fn encode_cursor(id: i32) -> String {
    URL_SAFE_NO_PAD.encode(format!("cursor:{ORDER_BY_ID}:{id}"))
}

fn decode_cursor(cursor: &str, field: &str) -> ApiResult<i32> {
    let invalid = || ApiError::bad_input(field, format!("{cursor:?} is not a valid cursor for this list"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let rest = text
        .strip_prefix("cursor:")
        .and_then(|r| r.strip_prefix(ORDER_BY_ID))
        .and_then(|r| r.strip_prefix(':'))
        .ok_or_else(invalid)?;
    rest.parse::<i32>().map_err(|_| invalid())
}

fn page_size(value: Option<i32>, field: &str, limits: PageLimits) -> ApiResult<Option<u64>> {
    match value {
        None => Ok(None),
        Some(n) if n < 0 => Err(ApiError::bad_input(field, format!("`{field}` must not be negative"))),
        Some(n) if n as usize > limits.max_size => Err(ApiError::bad_input(
            field,
            format!("`{field}` may be at most {} (got {n})", limits.max_size),
        )),
        Some(n) => Ok(Some(n as u64)),
    }
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
    let conn = ctx.data_unchecked::<DatabaseConnection>();
    let limits = *ctx.data_unchecked::<PageLimits>();
    let first = page_size(args.first, "first", limits)?;
    let last = page_size(args.last, "last", limits)?;
    if first.is_some() && last.is_some() {
        return Err(ApiError::bad_input(
            "last",
            "Give `first` or `last`, not both",
        ));
    }
    let after = args
        .after
        .as_deref()
        .map(|c| decode_cursor(c, "after"))
        .transpose()?;
    let before = args
        .before
        .as_deref()
        .map(|c| decode_cursor(c, "before"))
        .transpose()?;

    let total_count = if ctx.look_ahead().field("totalCount").exists() {
        db(select.clone().count(conn).await)?
    } else {
        0
    };

    let mut page = select;
    if let Some(after) = after {
        page = page.filter(id_column.gt(after));
    }
    if let Some(before) = before {
        page = page.filter(id_column.lt(before));
    }
    let backwards = last.is_some();
    let size = last
        .or(first)
        .unwrap_or(limits.default_size as u64);
    page = if backwards {
        page.order_by_desc(id_column)
    } else {
        page.order_by_asc(id_column)
    };
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
    let mut connection =
        Connection::with_additional_fields(has_previous, has_next, ConnectionTotals { total_count });
    connection.edges = rows
        .into_iter()
        .map(|row| Edge::new(encode_cursor(id_of(&row)), wrap(row)))
        .collect();
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        assert_eq!(decode_cursor(&encode_cursor(7), "after"), Ok(7));
        for forged in ["", "abc", &URL_SAFE_NO_PAD.encode("cursor:date:7"), &URL_SAFE_NO_PAD.encode("cursor:id:x")] {
            assert_eq!(
                decode_cursor(forged, "after").map_err(|e| e.code()),
                Err("BAD_USER_INPUT")
            );
        }
    }
}
