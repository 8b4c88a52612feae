//! The evidence map: counts of participant views for every cell of two dimensions (e.g. Mission
//! x Theme), split by stance, including the empty cells where no evidence exists yet, counted as
//! [`super::maps`] says (by the read engine, else with one GROUP BY). Each cell drills into the
//! paginated views behind it.

use super::maps::{count, key_condition, Axis, Views};
use super::support::conn;
use super::{ParticipantView, Stance};
use crate::engine::Engine;
use crate::errors::{db, ApiError, ApiResult};
use crate::filters::ViewFilter;
use crate::ids::{GlobalId, NodeKind};
use crate::pagination::{paginate, paginate_members, Page, PageArgs};
use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use entity::{exercise, mission, participant_view, theme};
use sea_orm::{
    sea_query::Condition, ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use std::sync::Arc;

/// A way to group participant views.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum EvidenceDimension {
    /// By UK Government Mission (a view tagged with two missions counts in both).
    Mission,
    /// By theme (a view tagged with two themes counts in both).
    Theme,
    /// By the view's stance.
    Stance,
    /// By the exercise that gathered the view.
    Exercise,
}

/// One value of a dimension: a mission, a theme, a stance, a finding kind or an exercise.
#[derive(SimpleObject, Clone, Debug)]
pub struct EvidenceKey {
    /// The stable key: a mission code, theme slug, stance, finding kind or exercise slug.
    pub key: String,
    /// A human-readable label.
    pub label: String,
    /// The global ID of the mission, theme or exercise; null for a stance or a finding kind.
    pub id: Option<ID>,
    /// The value as stored: mission code, theme id, stance, finding kind or exercise id.
    #[graphql(skip)]
    pub stored: String,
}

/// How many views of one stance a cell holds.
#[derive(SimpleObject, Clone, Debug)]
pub struct StanceCount {
    /// The stance.
    pub stance: Stance,
    /// How many views take it; null when withheld by small-cell suppression (see `suppressed`).
    pub count: Option<u64>,
    /// True when the count is withheld: it is between 1 and `evidenceState.minCellCount` - 1
    /// and the caller has no editor token.
    pub suppressed: bool,
}

impl StanceCount {
    /// The count of one stance as shown under the threshold `k` (see `suppression`).
    pub fn new(stance: Stance, count: u64, k: Option<u64>) -> Self {
        StanceCount {
            stance,
            count: crate::suppression::shown(k, count),
            suppressed: crate::suppression::withheld(k, count),
        }
    }
}

/// Counts of views for every pair of values of two dimensions.
pub struct EvidenceMap {
    /// The row and column values (and the filter), shared with the cells.
    keys: Arc<CellContext>,
    pub cells: Vec<EvidenceCell>,
    pub total_views: u64,
    /// Small-cell suppression's threshold for this request.
    pub threshold: Option<u64>,
}

/// A matrix of view counts (rows x columns), with every cell present, empty ones included.
#[Object]
impl EvidenceMap {
    /// The row values, in display order.
    async fn rows(&self) -> &[EvidenceKey] {
        &self.keys.rows.1
    }

    /// The column values, in display order.
    async fn columns(&self) -> &[EvidenceKey] {
        &self.keys.columns.1
    }

    /// Every cell, row by row; a cell with no evidence has a count of 0.
    async fn cells(&self) -> &[EvidenceCell] {
        &self.cells
    }

    /// How many distinct views match the filter (a view can count in several cells); null when
    /// withheld by small-cell suppression (see `suppressed`).
    async fn total_views(&self) -> Option<u64> {
        crate::suppression::shown(self.threshold, self.total_views)
    }

    /// True when `totalViews` is withheld: it is between 1 and `evidenceState.minCellCount` - 1
    /// and the caller has no editor token.
    async fn suppressed(&self) -> bool {
        crate::suppression::withheld(self.threshold, self.total_views)
    }
}

/// One cell of the evidence map.
pub struct EvidenceCell {
    /// The map's keys and filter, shared by its cells: a map has a hundred or so cells and
    /// few are drilled into, so each cell keeps two positions instead of its own copies.
    map: Arc<CellContext>,
    row: usize,
    column: usize,
    by_stance: Vec<StanceCount>,
    /// How many distinct views the cell holds (never withheld here: see `count`).
    total: u64,
    threshold: Option<u64>,
    /// The same in the read engine, when it counted the map.
    members: Option<crate::engine::CellMembers>,
}

/// What the cells of one map share: its keys, and its filter as SQL for drilling into a cell.
struct CellContext {
    rows: (EvidenceDimension, Vec<EvidenceKey>),
    columns: (EvidenceDimension, Vec<EvidenceKey>),
    base: Condition,
}

/// One cell of the evidence map: the views matching the filter and both the row and the column.
#[Object]
impl EvidenceCell {
    /// The row value.
    async fn row(&self) -> &EvidenceKey {
        &self.map.rows.1[self.row]
    }

    /// The column value.
    async fn column(&self) -> &EvidenceKey {
        &self.map.columns.1[self.column]
    }

    /// How many distinct views the cell holds; null when withheld by small-cell suppression
    /// (see `suppressed`).
    async fn count(&self) -> Option<u64> {
        crate::suppression::shown(self.threshold, self.total)
    }

    /// True when `count` is withheld: it is between 1 and `evidenceState.minCellCount` - 1 and
    /// the caller has no editor token. Its `views` are then refused (`SUPPRESSED`).
    async fn suppressed(&self) -> bool {
        crate::suppression::withheld(self.threshold, self.total)
    }

    /// The cell's count split by stance (every stance listed, zero included; each withheld on
    /// its own under small-cell suppression).
    async fn by_stance(&self) -> &[StanceCount] {
        &self.by_stance
    }

    /// The views behind the cell, page by page; null with a `SUPPRESSED` error when the cell's
    /// count is withheld (the rest of the map still answers).
    #[graphql(complexity = "crate::pagination::cost(first, last, child_complexity)")]
    async fn views(
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
    ) -> ApiResult<Option<Page<ParticipantView>>> {
        crate::suppression::check_views(self.threshold, self.total)?;
        let args = PageArgs::new(first, after, last, before);
        let id = participant_view::Column::Id;
        let engine = ctx.data_opt::<Engine>();
        if let Some(set) = self.members.as_ref().and_then(|m| m.resolve(engine, false)) {
            let page = paginate_members::<participant_view::Entity, _>(
                ctx,
                false,
                set,
                id,
                |m| m.id,
                ParticipantView,
                &args,
            );
            if let Some(page) = page.await? {
                return Ok(Some(page));
            }
        }
        let (rows, row_keys) = &self.map.rows;
        let (columns, col_keys) = &self.map.columns;
        let condition = self
            .map
            .base
            .clone()
            .add(key_condition::<Views>(
                axis(*rows),
                &row_keys[self.row].stored,
            )?)
            .add(key_condition::<Views>(
                axis(*columns),
                &col_keys[self.column].stored,
            )?);
        let select = participant_view::Entity::find().filter(condition);
        paginate(ctx, select, id, |m| m.id, ParticipantView, args)
            .await
            .map(Some)
    }
}

pub(super) const STANCES: [Stance; 5] = [
    Stance::Hope,
    Stance::Concern,
    Stance::Condition,
    Stance::Suggestion,
    Stance::Neutral,
];

pub(super) fn stance_key(s: Stance) -> String {
    entity::enums::Stance::from(s).to_value()
}

/// Every value of a dimension, in display order. Themes, exercises and missions are logged in
/// the change log whenever they change (missions by a bundle import), which moves the engine's
/// position: with the engine ready they are read once per position (a map redrawn asks no
/// statement for them). Stances are constants.
pub(super) async fn keys(
    engine: Option<&Engine>,
    conn: &DatabaseConnection,
    dim: EvidenceDimension,
) -> ApiResult<Vec<EvidenceKey>> {
    let name = match dim {
        EvidenceDimension::Theme => "map keys: themes",
        EvidenceDimension::Exercise => "map keys: exercises",
        EvidenceDimension::Mission => "map keys: missions",
        EvidenceDimension::Stance => return read_keys(conn, dim).await,
    };
    let Some(engine) = engine else {
        return read_keys(conn, dim).await;
    };
    if let Some(found) = engine.recall_vocabulary::<Vec<EvidenceKey>>(name) {
        return Ok((*found).clone());
    }
    // The position before the read: the list may be fresher than it, never older.
    let seq = engine.position();
    let read = read_keys(conn, dim).await?;
    if let Some(seq) = seq {
        let bytes = read
            .iter()
            .map(|k| {
                std::mem::size_of::<EvidenceKey>()
                    + k.key.len()
                    + k.label.len()
                    + k.stored.len()
                    + k.id.as_ref().map_or(0, |id| id.len())
            })
            .sum();
        let value = Arc::new(read.clone());
        engine.remember_vocabulary(seq, name, crate::engine::Vocabulary { value, bytes });
    }
    Ok(read)
}

async fn read_keys(
    conn: &DatabaseConnection,
    dim: EvidenceDimension,
) -> ApiResult<Vec<EvidenceKey>> {
    Ok(match dim {
        EvidenceDimension::Mission => db(mission::Entity::find()
            .order_by_asc(mission::Column::Position)
            .all(conn)
            .await)?
        .into_iter()
        .map(|m| {
            let key = m.code.to_value();
            EvidenceKey {
                id: Some(GlobalId::encode(NodeKind::GovernmentMission, &key)),
                stored: key.clone(),
                key,
                label: m.label,
            }
        })
        .collect(),
        EvidenceDimension::Theme => db(theme::Entity::find()
            .order_by_asc(theme::Column::Label)
            .all(conn)
            .await)?
        .into_iter()
        .map(|t| EvidenceKey {
            id: Some(GlobalId::encode(NodeKind::Theme, t.id)),
            stored: t.id.to_string(),
            key: t.slug,
            label: t.label,
        })
        .collect(),
        EvidenceDimension::Stance => STANCES
            .iter()
            .map(|s| EvidenceKey {
                key: stance_key(*s),
                label: format!("{s:?}"),
                id: None,
                stored: stance_key(*s),
            })
            .collect(),
        EvidenceDimension::Exercise => db(exercise::Entity::find()
            .order_by_asc(exercise::Column::Id)
            .all(conn)
            .await)?
        .into_iter()
        .map(|e| EvidenceKey {
            id: Some(GlobalId::encode(NodeKind::Exercise, e.id)),
            stored: e.id.to_string(),
            key: e.slug,
            label: e.title,
        })
        .collect(),
    })
}

/// The shared map's axis of a dimension.
pub(super) fn axis(dim: EvidenceDimension) -> Axis {
    match dim {
        EvidenceDimension::Mission => Axis::Mission,
        EvidenceDimension::Theme => Axis::Theme,
        EvidenceDimension::Stance => Axis::Class,
        EvidenceDimension::Exercise => Axis::Exercise,
    }
}

/// Builds the evidence map for `rows` x `columns` over the views matching `filter`.
pub async fn evidence_map(
    ctx: &Context<'_>,
    rows: EvidenceDimension,
    columns: EvidenceDimension,
    filter: ViewFilter,
) -> ApiResult<EvidenceMap> {
    if rows == columns {
        return Err(ApiError::bad_input(
            "columns",
            "`rows` and `columns` must be different dimensions",
        ));
    }
    let engine = ctx.data_opt::<Engine>();
    let published_only = crate::visibility::published_only(ctx);
    let indexed = crate::filters::select_views(engine, &filter, published_only)?;
    let c = conn(ctx)?;
    let mut base = filter.condition(c).await?;
    if published_only {
        base = base
            .add(participant_view::Column::ReviewStatus.eq(entity::enums::ReviewStatus::Published));
    }
    let matching = participant_view::Entity::find().filter(base.clone());
    let row_keys = keys(engine, c, rows).await?;
    let col_keys = keys(engine, c, columns).await?;
    let counts = count::<Views>(
        engine,
        indexed,
        c,
        &matching,
        (axis(rows), &row_keys),
        (axis(columns), &col_keys),
    )
    .await?;
    let threshold = crate::suppression::threshold(ctx);
    let (row_count, col_count) = (row_keys.len(), col_keys.len());
    let map = Arc::new(CellContext {
        rows: (rows, row_keys),
        columns: (columns, col_keys),
        base,
    });
    let mut cells = Vec::with_capacity(counts.cells.len());
    let mut by_class = counts.cells.iter().copied();
    for r in 0..row_count {
        for col in 0..col_count {
            // The engine numbers stances in STANCES' order (see `engine::STANCES`).
            let by_class = by_class.next().unwrap_or_default();
            let by_stance = &by_class[..STANCES.len()];
            cells.push(EvidenceCell {
                map: map.clone(),
                row: r,
                column: col,
                by_stance: STANCES
                    .iter()
                    .zip(by_stance)
                    .map(|(s, n)| StanceCount::new(*s, *n, threshold))
                    .collect(),
                total: by_stance.iter().sum(),
                threshold,
                members: counts.members(r, col),
            });
        }
    }
    Ok(EvidenceMap {
        keys: map,
        cells,
        total_views: counts.total,
        threshold,
    })
}
