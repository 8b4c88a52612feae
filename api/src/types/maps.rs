//! What the evidence map (of participant views) and the finding map share: the counts of a map,
//! from the read engine when it holds the filter's rows and in SQL when not, and the condition
//! that drills into a cell. The two maps differ in their table, their class (a view's stance, a
//! finding's kind) and their GraphQL types.

use super::evidence_map::EvidenceKey;
use crate::curation::Link;
use crate::engine::{Dim, Engine, Selected, CLASSES};
use crate::errors::{db, ApiError, ApiResult};
use entity::{finding, finding_mission, finding_theme, participant_view, view_mission, view_theme};
use sea_orm::{
    sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement},
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QuerySelect, QueryTrait, Select,
};
use std::collections::HashMap;

/// A dimension of a map, whichever table it counts.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Axis {
    Mission,
    Theme,
    /// A view's stance, a finding's kind.
    Class,
    Exercise,
}

/// The table a map counts, and where its dimensions are stored.
pub(super) trait Counted {
    type Table: EntityTrait<Model: Send + Sync> + Default;
    type Missions: EntityTrait + Default;
    type Themes: EntityTrait + Default;
    /// Whether the rows are the engine's findings (else its views).
    const FINDINGS: bool;
    const ID: <Self::Table as EntityTrait>::Column;
    const CLASS: <Self::Table as EntityTrait>::Column;
    const EXERCISE: <Self::Table as EntityTrait>::Column;
    const MISSIONS: Link<Self::Missions>;
    const THEMES: Link<Self::Themes>;
    /// The engine's number for a class as stored (its place in the schema's list).
    fn class_index(stored: &str) -> Option<u8>;
    /// The condition "the row's class is `stored`".
    fn class_is(stored: &str) -> ApiResult<Condition>;
}

/// Participant views, by stance.
pub(super) struct Views;

impl Counted for Views {
    type Table = participant_view::Entity;
    type Missions = view_mission::Entity;
    type Themes = view_theme::Entity;
    const FINDINGS: bool = false;
    const ID: participant_view::Column = participant_view::Column::Id;
    const CLASS: participant_view::Column = participant_view::Column::Stance;
    const EXERCISE: participant_view::Column = participant_view::Column::ExerciseId;
    const MISSIONS: Link<view_mission::Entity> = crate::curation::views::MISSIONS;
    const THEMES: Link<view_theme::Entity> = crate::curation::views::THEMES;

    fn class_index(stored: &str) -> Option<u8> {
        crate::engine::stance_index(stored)
    }

    fn class_is(stored: &str) -> ApiResult<Condition> {
        let stance = entity::enums::Stance::try_from_value(&stored.to_string())
            .map_err(|_| ApiError::Internal)?;
        Ok(Condition::all().add(Self::CLASS.eq(stance)))
    }
}

/// Findings, by kind.
pub(super) struct Findings;

impl Counted for Findings {
    type Table = finding::Entity;
    type Missions = finding_mission::Entity;
    type Themes = finding_theme::Entity;
    const FINDINGS: bool = true;
    const ID: finding::Column = finding::Column::Id;
    const CLASS: finding::Column = finding::Column::Kind;
    const EXERCISE: finding::Column = finding::Column::ExerciseId;
    const MISSIONS: Link<finding_mission::Entity> = crate::curation::findings::MISSIONS;
    const THEMES: Link<finding_theme::Entity> = crate::curation::findings::THEMES;

    fn class_index(stored: &str) -> Option<u8> {
        crate::engine::kind_index(stored)
    }

    fn class_is(stored: &str) -> ApiResult<Condition> {
        let kind = entity::enums::FindingKind::try_from_value(&stored.to_string())
            .map_err(|_| ApiError::Internal)?;
        Ok(Condition::all().add(Self::CLASS.eq(kind)))
    }
}

/// A map's counts: per cell (row by row), per class in the engine's numbering.
pub(super) struct Counts {
    pub cells: Vec<[u64; CLASSES]>,
    /// How many distinct rows match the filter.
    pub total: u64,
    /// The engine's selection, when the engine counted the map (its cells drill into it).
    indexed: Option<std::sync::Arc<Selected>>,
    /// The engine's dimension and values of the rows and of the columns.
    rows: (Dim, Vec<i32>),
    columns: (Dim, Vec<i32>),
}

impl Counts {
    /// The engine's members of the cell at (`row`, `column`) (positions among the keys), when
    /// the engine counted the map.
    pub fn members(&self, row: usize, column: usize) -> Option<crate::engine::CellMembers> {
        Some(crate::engine::CellMembers {
            set: self.indexed.clone()?,
            row: (self.rows.0, self.rows.1[row]),
            column: (self.columns.0, self.columns.1[column]),
        })
    }
}

/// Counts the map `rows` x `columns` of the rows `matching` selects: off the engine's
/// `indexed` selection when it has one and can answer, else in SQL (one GROUP BY, one COUNT).
pub(super) async fn count<C: Counted>(
    engine: Option<&Engine>,
    indexed: Option<std::sync::Arc<Selected>>,
    conn: &DatabaseConnection,
    matching: &Select<C::Table>,
    rows: (Axis, &[EvidenceKey]),
    columns: (Axis, &[EvidenceKey]),
) -> ApiResult<Counts> {
    let (row_dim, row_values) = index_values::<C>(rows.0, rows.1);
    let (col_dim, col_values) = index_values::<C>(columns.0, columns.1);
    if let (Some(engine), Some(set)) = (engine, &indexed) {
        let found = set.map(
            engine,
            C::FINDINGS,
            (row_dim, &row_values),
            (col_dim, &col_values),
        );
        if let Some(found) = found {
            let mut cells = Vec::with_capacity(row_values.len() * col_values.len());
            for rv in &row_values {
                for cv in &col_values {
                    cells.push(found.get(&(*rv, *cv)).copied().unwrap_or_default());
                }
            }
            return Ok(Counts {
                cells,
                total: set.len(),
                indexed,
                rows: (row_dim, row_values),
                columns: (col_dim, col_values),
            });
        }
    }
    let (found, total) = sql_counts::<C>(conn, matching, rows.0, columns.0).await?;
    let mut cells = Vec::with_capacity(rows.1.len() * columns.1.len());
    for r in rows.1 {
        for c in columns.1 {
            let mut by_class = [0u64; CLASSES];
            if let Some(classes) = found.get(&(r.stored.clone(), c.stored.clone())) {
                for (class, n) in classes {
                    if let Some(i) = C::class_index(class).filter(|i| (*i as usize) < CLASSES) {
                        by_class[i as usize] += n;
                    }
                }
            }
            cells.push(by_class);
        }
    }
    Ok(Counts {
        cells,
        total,
        indexed: None,
        rows: (row_dim, row_values),
        columns: (col_dim, col_values),
    })
}

/// The key column of an axis (joining its tag table when it has one), as text.
fn key_expr<C: Counted>(q: &mut SelectStatement, axis: Axis) -> Expr {
    let table = C::Table::default;
    match axis {
        Axis::Mission => {
            let (join, link) = (C::Missions::default, C::MISSIONS);
            q.inner_join(
                join(),
                Expr::col((join(), link.owner)).equals((table(), C::ID)),
            );
            Expr::col((join(), link.tag))
        }
        Axis::Theme => {
            let (join, link) = (C::Themes::default, C::THEMES);
            q.inner_join(
                join(),
                Expr::col((join(), link.owner)).equals((table(), C::ID)),
            );
            Expr::col((join(), link.tag))
        }
        Axis::Class => Expr::col((table(), C::CLASS)),
        Axis::Exercise => Expr::col((table(), C::EXERCISE)),
    }
    .cast_as(Alias::new("TEXT"))
}

/// The counts of the rows `matching` selects, keyed by (row, column) as stored and then by
/// class as stored, and their total: one GROUP BY, one COUNT.
async fn sql_counts<C: Counted>(
    conn: &DatabaseConnection,
    matching: &Select<C::Table>,
    rows: Axis,
    columns: Axis,
) -> ApiResult<(HashMap<(String, String), Vec<(String, u64)>>, u64)> {
    let mut q = Query::select();
    q.from(C::Table::default());
    let row_expr = key_expr::<C>(&mut q, rows);
    let col_expr = key_expr::<C>(&mut q, columns);
    let class_expr = key_expr::<C>(&mut q, Axis::Class);
    let id = Expr::col((C::Table::default(), C::ID));
    q.expr_as(row_expr.clone(), Alias::new("r"))
        .expr_as(col_expr.clone(), Alias::new("c"))
        .expr_as(class_expr.clone(), Alias::new("s"))
        .expr_as(id.clone().count_distinct(), Alias::new("n"))
        .and_where(id.in_subquery(matching.clone().select_only().column(C::ID).into_query()))
        .add_group_by([row_expr, col_expr, class_expr]);
    let mut counts: HashMap<(String, String), Vec<(String, u64)>> = HashMap::new();
    for row in db(conn.query_all(&q).await)? {
        let key = (
            db(row.try_get::<String>("", "r"))?,
            db(row.try_get::<String>("", "c"))?,
        );
        let class = db(row.try_get::<String>("", "s"))?;
        let n = db(row.try_get::<i64>("", "n"))?;
        counts
            .entry(key)
            .or_default()
            .push((class, u64::try_from(n).unwrap_or(0)));
    }
    let total = db(matching.clone().count(conn).await)?;
    Ok((counts, total))
}

/// The condition "the row has value `key` (as stored) on `axis`", for drilling into a cell.
pub(super) fn key_condition<C: Counted>(axis: Axis, key: &str) -> ApiResult<Condition> {
    let int = || key.parse::<i32>().map_err(|_| ApiError::Internal);
    Ok(match axis {
        Axis::Mission => {
            let code = entity::enums::Mission::try_from_value(&key.to_string())
                .map_err(|_| ApiError::Internal)?;
            Condition::all().add(C::ID.in_subquery(C::MISSIONS.tagged_with([code])))
        }
        Axis::Theme => Condition::all().add(C::ID.in_subquery(C::THEMES.tagged_with([int()?]))),
        Axis::Class => C::class_is(key)?,
        Axis::Exercise => Condition::all().add(C::EXERCISE.eq(int()?)),
    })
}

/// The engine's dimension and value for each key of an axis.
fn index_values<C: Counted>(axis: Axis, keys: &[EvidenceKey]) -> (Dim, Vec<i32>) {
    let value = |k: &EvidenceKey| -> i32 {
        match axis {
            Axis::Mission => crate::engine::mission_index(&k.stored).map_or(-1, i32::from),
            Axis::Class => C::class_index(&k.stored).map_or(-1, i32::from),
            Axis::Theme | Axis::Exercise => k.stored.parse().unwrap_or(-1),
        }
    };
    let dim = match axis {
        Axis::Mission => Dim::Mission,
        Axis::Theme => Dim::Theme,
        Axis::Class => Dim::Stance,
        Axis::Exercise => Dim::Exercise,
    };
    (dim, keys.iter().map(value).collect())
}
