//! Missions in a bundle. They are vocabulary rather than curated evidence (no slug, no version,
//! no change-log entry), but a bundle must be able to fill an empty database, whose tag tables
//! reference them: so they are imported by `code`, created when missing and updated when their
//! label, description or position differ.

use super::{parse_row, reject, write_json, ImportReport, Typed};
use crate::curation::{check_text, Actor, Problem};
use crate::errors::{db, ApiResult};
use chrono::Utc;
use entity::enums::Mission;
use entity::mission;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use std::io::Write;

/// The row type.
pub const TYPE: &str = "mission";

/// A mission row: the seed corpus' fields.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MissionRow {
    pub code: Mission,
    pub label: String,
    pub description: String,
    pub position: i32,
}

pub(super) async fn import_row<C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    line_no: u64,
    value: serde_json::Value,
    actor: Actor<'_>,
) -> ApiResult<()> {
    let Some(row) = parse_row::<MissionRow>(report, TYPE, line_no, value) else {
        return Ok(());
    };
    let mut problems = Vec::new();
    check_text(&mut problems, "label", &row.label, 200);
    check_text(&mut problems, "description", &row.description, 5_000);
    if row.position < 0 {
        problems.push(Problem::new("position", "Must not be negative"));
    }
    if !problems.is_empty() {
        reject(report, TYPE, line_no, problems);
        return Ok(());
    }
    let now = Utc::now();
    let slot = match db(mission::Entity::find_by_id(row.code).one(conn).await)? {
        None => {
            db(mission::ActiveModel {
                code: Set(row.code),
                label: Set(row.label),
                description: Set(row.description),
                position: Set(row.position),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(conn)
            .await)?;
            0
        }
        Some(_) if actor == Actor::Seed => 2,
        Some(m)
            if m.label == row.label
                && m.description == row.description
                && m.position == row.position =>
        {
            2
        }
        Some(m) => {
            let mut am = m.into_active_model();
            am.label = Set(row.label);
            am.description = Set(row.description);
            am.position = Set(row.position);
            am.updated_at = Set(now);
            db(am.update(conn).await)?;
            1
        }
    };
    report.count(TYPE, slot);
    Ok(())
}

/// Writes every mission, in listing order (there are a handful: no chunks).
pub(super) async fn export<W: Write>(conn: &DatabaseConnection, out: &mut W) -> ApiResult<u64> {
    let missions = db(mission::Entity::find()
        .order_by_asc(mission::Column::Position)
        .order_by_asc(mission::Column::Code)
        .all(conn)
        .await)?;
    let n = missions.len() as u64;
    for m in missions {
        let row = MissionRow {
            code: m.code,
            label: m.label,
            description: m.description,
            position: m.position,
        };
        write_json(
            out,
            &Typed {
                kind: TYPE,
                row: &row,
            },
        )?;
    }
    Ok(n)
}
