//! The finding map: counts of findings for every cell of two dimensions (e.g. Mission x Theme),
//! under a `FindingFilter`, computed in the database with one GROUP BY, empty cells included.
//! Each cell drills into the paginated findings behind it. The views' counterpart is
//! `evidence_map`; findings have kinds instead of stances, so they have a map of their own.

use super::evidence_map::{keys, EvidenceDimension, EvidenceKey};
use super::support::conn;
use super::{Finding, FindingKind};
use crate::engine::{Dim, Engine};
use crate::errors::{db, ApiError, ApiResult};
use crate::filters::FindingFilter;
use crate::pagination::{paginate, paginate_members, Page, PageArgs};
use async_graphql::{Context, Enum, Object};
use entity::{finding, finding_mission, finding_theme};
use sea_orm::{
    sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement},
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, QueryTrait,
};
use std::collections::HashMap;

/// A way to group findings.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum FindingDimension {
    /// By UK Government Mission (a finding tagged with two missions counts in both).
    Mission,
    /// By theme (a finding tagged with two themes counts in both).
    Theme,
    /// By the finding's kind (principle, concern, recommendation...).
    Kind,
    /// By the exercise that reached the finding.
    Exercise,
}

const KINDS: [FindingKind; 7] = [
    FindingKind::Principle,
    FindingKind::Hope,
    FindingKind::Concern,
    FindingKind::Condition,
    FindingKind::Recommendation,
    FindingKind::Observation,
    FindingKind::Reflection,
];

fn kind_key(k: FindingKind) -> String {
    entity::enums::FindingKind::from(k).to_value()
}

/// Counts of findings for every pair of values of two dimensions.
pub struct FindingMap {
    rows: Vec<EvidenceKey>,
    columns: Vec<EvidenceKey>,
    cells: Vec<FindingCell>,
    total_findings: u64,
}

/// A matrix of finding counts (rows x columns), with every cell present, empty ones included.
#[Object]
impl FindingMap {
    /// The row values, in display order.
    async fn rows(&self) -> &[EvidenceKey] {
        &self.rows
    }

    /// The column values, in display order.
    async fn columns(&self) -> &[EvidenceKey] {
        &self.columns
    }

    /// Every cell, row by row; a cell with no findings has a count of 0.
    async fn cells(&self) -> &[FindingCell] {
        &self.cells
    }

    /// How many distinct findings match the filter (a finding can count in several cells).
    async fn total_findings(&self) -> u64 {
        self.total_findings
    }
}

/// One cell of the finding map.
pub struct FindingCell {
    row: EvidenceKey,
    column: EvidenceKey,
    count: u64,
    /// The filter and the cell's two keys, as SQL, for drilling in.
    condition: Condition,
    /// The same in the read engine, when it counted the map.
    members: Option<crate::engine::CellMembers>,
}

/// One cell of the finding map: the findings matching the filter and both the row and the column.
#[Object]
impl FindingCell {
    /// The row value.
    async fn row(&self) -> &EvidenceKey {
        &self.row
    }

    /// The column value.
    async fn column(&self) -> &EvidenceKey {
        &self.column
    }

    /// How many distinct findings the cell holds.
    async fn count(&self) -> u64 {
        self.count
    }

    /// The findings behind the cell, page by page (its `totalCount` is the cell's count).
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn findings(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page forwards: at most this many items from the start (or after `after`)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forwards: items after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page backwards: at most this many items from the end (or before `before`)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Page backwards: items before this cursor.")] before: Option<String>,
    ) -> ApiResult<Page<Finding>> {
        let args = PageArgs::new(first, after, last, before);
        let id = finding::Column::Id;
        let engine = ctx.data_opt::<Engine>();
        if let Some(set) = self.members.as_ref().and_then(|m| m.resolve(engine, true)) {
            let page = paginate_members::<finding::Entity, _>(
                ctx,
                true,
                set,
                id,
                |m| m.id,
                Finding,
                &args,
            );
            if let Some(page) = page.await? {
                return Ok(page);
            }
        }
        let select = finding::Entity::find().filter(self.condition.clone());
        paginate(ctx, select, id, |m| m.id, Finding, args).await
    }
}

/// Every value of a dimension, in display order.
async fn finding_keys(
    engine: Option<&Engine>,
    conn: &sea_orm::DatabaseConnection,
    dim: FindingDimension,
) -> ApiResult<Vec<EvidenceKey>> {
    Ok(match dim {
        FindingDimension::Mission => keys(engine, conn, EvidenceDimension::Mission).await?,
        FindingDimension::Theme => keys(engine, conn, EvidenceDimension::Theme).await?,
        FindingDimension::Exercise => keys(engine, conn, EvidenceDimension::Exercise).await?,
        FindingDimension::Kind => KINDS
            .iter()
            .map(|k| EvidenceKey {
                key: kind_key(*k),
                label: format!("{k:?}"),
                id: None,
                stored: kind_key(*k),
            })
            .collect(),
    })
}

/// The key column of a dimension (joining its tag table when it has one), as text.
fn key_expr(q: &mut SelectStatement, dim: FindingDimension) -> Expr {
    match dim {
        FindingDimension::Mission => {
            q.inner_join(
                finding_mission::Entity,
                Expr::col((finding_mission::Entity, finding_mission::Column::FindingId))
                    .equals((finding::Entity, finding::Column::Id)),
            );
            Expr::col((
                finding_mission::Entity,
                finding_mission::Column::MissionCode,
            ))
        }
        FindingDimension::Theme => {
            q.inner_join(
                finding_theme::Entity,
                Expr::col((finding_theme::Entity, finding_theme::Column::FindingId))
                    .equals((finding::Entity, finding::Column::Id)),
            );
            Expr::col((finding_theme::Entity, finding_theme::Column::ThemeId))
        }
        FindingDimension::Kind => Expr::col((finding::Entity, finding::Column::Kind)),
        FindingDimension::Exercise => Expr::col((finding::Entity, finding::Column::ExerciseId)),
    }
    .cast_as(Alias::new("TEXT"))
}

/// The condition "this finding has value `key` on `dim`".
fn key_condition(dim: FindingDimension, key: &str) -> ApiResult<Condition> {
    use finding::Column as C;
    let int = || key.parse::<i32>().map_err(|_| ApiError::Internal);
    Ok(Condition::all().add(match dim {
        FindingDimension::Mission => {
            let code = entity::enums::Mission::try_from_value(&key.to_string())
                .map_err(|_| ApiError::Internal)?;
            C::Id.in_subquery(
                Query::select()
                    .column(finding_mission::Column::FindingId)
                    .from(finding_mission::Entity)
                    .and_where(finding_mission::Column::MissionCode.eq(code))
                    .to_owned(),
            )
        }
        FindingDimension::Theme => C::Id.in_subquery(
            Query::select()
                .column(finding_theme::Column::FindingId)
                .from(finding_theme::Entity)
                .and_where(finding_theme::Column::ThemeId.eq(int()?))
                .to_owned(),
        ),
        FindingDimension::Kind => {
            let kind = entity::enums::FindingKind::try_from_value(&key.to_string())
                .map_err(|_| ApiError::Internal)?;
            C::Kind.eq(kind)
        }
        FindingDimension::Exercise => C::ExerciseId.eq(int()?),
    }))
}

/// Builds the finding map for `rows` x `columns` over the findings matching `filter`.
pub async fn finding_map(
    ctx: &Context<'_>,
    rows: FindingDimension,
    columns: FindingDimension,
    filter: FindingFilter,
) -> ApiResult<FindingMap> {
    if rows == columns {
        return Err(ApiError::bad_input(
            "columns",
            "`rows` and `columns` must be different dimensions",
        ));
    }
    let engine = ctx.data_opt::<Engine>();
    let published_only = crate::visibility::published_only(ctx);
    let indexed = crate::filters::select_findings(engine, &filter, published_only)?;
    let c = conn(ctx)?;
    let mut base = filter.condition(c).await?;
    if published_only {
        base = base.add(finding::Column::ReviewStatus.eq(entity::enums::ReviewStatus::Published));
    }
    let matching = finding::Entity::find().filter(base.clone());
    let row_keys = finding_keys(engine, c, rows).await?;
    let col_keys = finding_keys(engine, c, columns).await?;
    let from_index = match (engine, &indexed) {
        (Some(engine), Some(set)) => {
            indexed_counts(engine, set, (rows, &row_keys), (columns, &col_keys))
                .map(|counts| (counts, set.len()))
        }
        _ => None,
    };
    let counted = from_index.is_some();
    let (counts, total_findings) = match from_index {
        Some(found) => found,
        None => sql_counts(c, &matching, rows, columns).await?,
    };
    let shared = indexed.filter(|_| counted);
    let (row_dim, row_values) = index_values(rows, &row_keys);
    let (col_dim, col_values) = index_values(columns, &col_keys);
    let mut cells = Vec::with_capacity(row_keys.len() * col_keys.len());
    for (r, rv) in row_keys.iter().zip(&row_values) {
        for (col, cv) in col_keys.iter().zip(&col_values) {
            cells.push(FindingCell {
                members: shared.as_ref().map(|set| crate::engine::CellMembers {
                    set: set.clone(),
                    row: (row_dim, *rv),
                    column: (col_dim, *cv),
                }),
                row: r.clone(),
                column: col.clone(),
                count: counts
                    .get(&(r.stored.clone(), col.stored.clone()))
                    .copied()
                    .unwrap_or(0),
                condition: base
                    .clone()
                    .add(key_condition(rows, &r.stored)?)
                    .add(key_condition(columns, &col.stored)?),
            });
        }
    }
    Ok(FindingMap {
        rows: row_keys,
        columns: col_keys,
        cells,
        total_findings,
    })
}

/// The map's counts keyed by (row, column) as stored, from the index.
fn indexed_counts(
    engine: &Engine,
    set: &crate::engine::Selected,
    rows: (FindingDimension, &[EvidenceKey]),
    columns: (FindingDimension, &[EvidenceKey]),
) -> Option<HashMap<(String, String), u64>> {
    let (row_dim, row_values) = index_values(rows.0, rows.1);
    let (col_dim, col_values) = index_values(columns.0, columns.1);
    let found = set.map(engine, true, (row_dim, &row_values), (col_dim, &col_values))?;
    let mut counts = HashMap::new();
    for (r, rv) in rows.1.iter().zip(&row_values) {
        for (c, cv) in columns.1.iter().zip(&col_values) {
            if let Some(by_kind) = found.get(&(*rv, *cv)) {
                counts.insert((r.stored.clone(), c.stored.clone()), by_kind.iter().sum());
            }
        }
    }
    Some(counts)
}

/// The map's counts keyed by (row, column) as stored, and the total, in SQL: one GROUP BY over
/// the matching findings, one COUNT.
async fn sql_counts(
    c: &DatabaseConnection,
    matching: &sea_orm::Select<finding::Entity>,
    rows: FindingDimension,
    columns: FindingDimension,
) -> ApiResult<(HashMap<(String, String), u64>, u64)> {
    let mut q = Query::select();
    q.from(finding::Entity);
    let row_expr = key_expr(&mut q, rows);
    let col_expr = key_expr(&mut q, columns);
    q.expr_as(row_expr.clone(), Alias::new("r"))
        .expr_as(col_expr.clone(), Alias::new("c"))
        .expr_as(
            Expr::col((finding::Entity, finding::Column::Id)).count_distinct(),
            Alias::new("n"),
        )
        .and_where(
            Expr::col((finding::Entity, finding::Column::Id)).in_subquery(
                matching
                    .clone()
                    .select_only()
                    .column(finding::Column::Id)
                    .into_query(),
            ),
        )
        .add_group_by([row_expr, col_expr]);
    let mut counts: HashMap<(String, String), u64> = HashMap::new();
    for row in db(c.query_all(&q).await)? {
        let key = (
            db(row.try_get::<String>("", "r"))?,
            db(row.try_get::<String>("", "c"))?,
        );
        let n = db(row.try_get::<i64>("", "n"))?;
        counts.insert(key, u64::try_from(n).unwrap_or(0));
    }

    let total_findings = db(matching.clone().count(c).await)?;
    Ok((counts, total_findings))
}

/// The index's dimension and value for each key of a map dimension.
fn index_values(dim: FindingDimension, keys: &[EvidenceKey]) -> (Dim, Vec<i32>) {
    let value = |k: &EvidenceKey| -> i32 {
        match dim {
            FindingDimension::Mission => {
                crate::engine::mission_index(&k.stored).map_or(-1, i32::from)
            }
            FindingDimension::Kind => crate::engine::kind_index(&k.stored).map_or(-1, i32::from),
            FindingDimension::Theme | FindingDimension::Exercise => k.stored.parse().unwrap_or(-1),
        }
    };
    let d = match dim {
        FindingDimension::Mission => Dim::Mission,
        FindingDimension::Theme => Dim::Theme,
        FindingDimension::Kind => Dim::Stance,
        FindingDimension::Exercise => Dim::Exercise,
    };
    (d, keys.iter().map(value).collect())
}
