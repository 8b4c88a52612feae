//! Missions in a bundle. They are vocabulary rather than curated evidence (no slug, no version
//! column), but a bundle must be able to fill an empty database, whose tag tables reference
//! them: so they are imported by `code`, created when missing and updated when their label,
//! description or position differ. Each creation or change is logged like any curated row's
//! (entity `GovernmentMission`, keyed by the code's place in [`Mission`]'s order), so the change
//! feed reports it and every replica's read engine moves on from labels it remembered.

use super::{parse_row, reject, write_json, ImportReport, Typed};
use crate::curation::{check_text, mission_code, next_public_seq, Actor, Problem};
use crate::errors::{db, ApiError, ApiResult};
use crate::ids::NodeKind;
use chrono::Utc;
use entity::enums::{ChangeKind, Mission};
use entity::{change_log, mission};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
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
            log(conn, actor, None, &row).await?;
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
            let before = MissionRow {
                code: m.code,
                label: m.label.clone(),
                description: m.description.clone(),
                position: m.position,
            };
            log(conn, actor, Some(&before), &row).await?;
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

/// The change-log key of a mission: its code's place in [`Mission`]'s order (the ID it is read
/// back to is the code's, [`code_of_key`]).
pub fn log_key(code: Mission) -> i32 {
    use sea_orm::Iterable;
    Mission::iter().position(|m| m == code).unwrap_or(0) as i32
}

/// The code a change-log key names (see [`log_key`]).
pub fn code_of_key(key: i32) -> Option<Mission> {
    use sea_orm::Iterable;
    usize::try_from(key)
        .ok()
        .and_then(|i| Mission::iter().nth(i))
}

/// Logs a mission's creation (`before` absent) or change, as a change-log entry readers see
/// (missions are always public). Missions have no version column: the entry's version counts
/// the mission's entries, this one included. The seed corpus logs nothing.
async fn log<C: ConnectionTrait>(
    conn: &C,
    actor: Actor<'_>,
    before: Option<&MissionRow>,
    after: &MissionRow,
) -> ApiResult<()> {
    let Some(actor) = actor.logged() else {
        return Ok(());
    };
    let entity = NodeKind::GovernmentMission.type_name();
    let key = log_key(after.code);
    let earlier = db(change_log::Entity::find()
        .filter(change_log::Column::Entity.eq(entity))
        .filter(change_log::Column::EntityId.eq(key))
        .count(conn)
        .await)?;
    let json = |row: &MissionRow| {
        serde_json::to_value(row).map_err(|err| {
            tracing::error!(error = %err, "could not serialise a mission");
            ApiError::Internal
        })
    };
    let code = mission_code(after.code);
    db(change_log::ActiveModel {
        entity: Set(entity.to_string()),
        entity_id: Set(key),
        slug: Set(code.to_string()),
        kind: Set(if before.is_some() {
            ChangeKind::Update
        } else {
            ChangeKind::Create
        }),
        version: Set(earlier as i64 + 1),
        visible: Set(true),
        was_visible: Set(before.is_some()),
        missions: Set(code.to_string()),
        actor: Set(actor.to_string()),
        changed_at: Set(Utc::now()),
        before: Set(before.map(json).transpose()?),
        after: Set(Some(json(after)?)),
        public_seq: Set(Some(next_public_seq(conn).await?)),
        ..Default::default()
    }
    .insert(conn)
    .await)?;
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
