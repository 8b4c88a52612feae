//! The finding map: counts of findings for every cell of two dimensions (e.g. Mission x Theme),
//! under a `FindingFilter`, empty cells included, counted as [`super::maps`] says.
//! Each cell drills into the paginated findings behind it. The views' counterpart is
//! `evidence_map`; findings have kinds instead of stances, so they have a map of their own.

use super::evidence_map::{keys, EvidenceDimension, EvidenceKey};
use super::maps::{count, key_condition, Axis, Findings};
use super::support::conn;
use super::{Finding, FindingKind};
use crate::engine::Engine;
use crate::errors::{ApiError, ApiResult};
use crate::filters::FindingFilter;
use crate::pagination::{paginate, paginate_members, Page, PageArgs};
use async_graphql::{Context, Enum, Object};
use entity::finding;
use sea_orm::{sea_query::Condition, ActiveEnum, ColumnTrait, EntityTrait, QueryFilter};

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

/// The shared map's axis of a dimension.
fn axis(dim: FindingDimension) -> Axis {
    match dim {
        FindingDimension::Mission => Axis::Mission,
        FindingDimension::Theme => Axis::Theme,
        FindingDimension::Kind => Axis::Class,
        FindingDimension::Exercise => Axis::Exercise,
    }
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
    let (rows, columns) = (axis(rows), axis(columns));
    let counts = count::<Findings>(
        engine,
        indexed,
        c,
        &matching,
        (rows, &row_keys),
        (columns, &col_keys),
    )
    .await?;
    let mut cells = Vec::with_capacity(counts.cells.len());
    let mut by_class = counts.cells.iter();
    for (i, r) in row_keys.iter().enumerate() {
        for (j, col) in col_keys.iter().enumerate() {
            cells.push(FindingCell {
                members: counts.members(i, j),
                row: r.clone(),
                column: col.clone(),
                count: by_class.next().map_or(0, |n| n.iter().sum()),
                condition: base
                    .clone()
                    .add(key_condition::<Findings>(rows, &r.stored)?)
                    .add(key_condition::<Findings>(columns, &col.stored)?),
            });
        }
    }
    Ok(FindingMap {
        rows: row_keys,
        columns: col_keys,
        cells,
        total_findings: counts.total,
    })
}
