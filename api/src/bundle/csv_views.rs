//! Participant views as CSV, for spreadsheets: one view per record, with a header naming the
//! columns (any order; unknown columns are refused):
//!
//! `slug, exercise, session, finding, text, verbatim, stance, missions, themes, source, locator,
//! reviewStatus, externalSource, externalId`
//!
//! References are slugs; `missions` and `themes` are lists separated by `;`; `verbatim` is
//! `true` or `false`; empty cells mean "none" (or the default: not verbatim, PUBLISHED).

use super::bulk::ViewBatch;
use super::views::ViewRow;
use super::{reject, ImportReport};
use crate::curation::Actor;
use crate::curation::Problem;
use crate::errors::{ApiError, ApiResult};
use sea_orm::ConnectionTrait;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::io::Read;

/// The columns, in the order export writes them.
pub const COLUMNS: [&str; 14] = [
    "slug",
    "exercise",
    "session",
    "finding",
    "text",
    "verbatim",
    "stance",
    "missions",
    "themes",
    "source",
    "locator",
    "reviewStatus",
    "externalSource",
    "externalId",
];
const REQUIRED: [&str; 6] = ["slug", "exercise", "text", "stance", "source", "locator"];

/// Reads the header record: each column's position. Unknown columns and missing required ones
/// refuse the whole file (there is no row to pin them on).
pub(super) fn column_index<R: Read>(
    csv: &mut csv::Reader<R>,
    columns: &[&str],
    required: &[&str],
) -> ApiResult<HashMap<String, usize>> {
    let headers = csv
        .headers()
        .map_err(|err| ApiError::bad_input("bundle", format!("line 1: {err}")))?
        .clone();
    let mut index = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        if !columns.contains(&h) {
            return Err(ApiError::bad_input(
                "bundle",
                format!("line 1: unknown column {h:?}; the columns are {columns:?}"),
            ));
        }
        index.insert(h.to_string(), i);
    }
    for required in required {
        if !index.contains_key(*required) {
            return Err(ApiError::bad_input(
                "bundle",
                format!("line 1: the column {required:?} is required"),
            ));
        }
    }
    Ok(index)
}

pub(super) fn enum_value<T: DeserializeOwned>(
    problems: &mut Vec<Problem>,
    field: &str,
    value: &str,
) -> Option<T> {
    match serde_json::from_value(serde_json::Value::String(value.trim().to_string())) {
        Ok(v) => Some(v),
        Err(_) => {
            problems.push(Problem::new(field, format!("Unknown value {value:?}")));
            None
        }
    }
}

fn list(value: &str) -> Vec<String> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub(super) async fn import<R: Read, C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    mut views: ViewBatch,
    reader: R,
    actor: Actor<'_>,
) -> ApiResult<()> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let index = column_index(&mut csv, &COLUMNS, &REQUIRED)?;
    let mut record = csv::StringRecord::new();
    loop {
        let line = csv.position().line();
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                let problem = Problem::new("", format!("Not a valid CSV record: {err}"));
                reject(report, "view", line, vec![problem]);
                continue;
            }
        }
        let cell = |name: &str| -> &str {
            index
                .get(name)
                .and_then(|i| record.get(*i))
                .unwrap_or_default()
        };
        let opt = |name: &str| -> Option<String> {
            let v = cell(name).trim();
            (!v.is_empty()).then(|| v.to_string())
        };
        let mut problems = Vec::new();
        let stance = enum_value(&mut problems, "stance", cell("stance"));
        let review_status = match opt("reviewStatus") {
            None => Some(entity::enums::ReviewStatus::Published),
            Some(v) => enum_value(&mut problems, "reviewStatus", &v),
        };
        let mut missions = Vec::new();
        for (i, m) in list(cell("missions")).iter().enumerate() {
            if let Some(m) = enum_value(&mut problems, &format!("missions[{i}]"), m) {
                missions.push(m);
            }
        }
        let verbatim = match cell("verbatim").trim() {
            "" | "false" => false,
            "true" => true,
            other => {
                problems.push(Problem::new(
                    "verbatim",
                    format!("Must be true or false, not {other:?}"),
                ));
                false
            }
        };
        let (Some(stance), Some(review_status)) = (stance, review_status) else {
            reject(report, "view", line, problems);
            continue;
        };
        if !problems.is_empty() {
            reject(report, "view", line, problems);
            continue;
        }
        let row = ViewRow {
            slug: cell("slug").trim().to_string(),
            exercise: cell("exercise").trim().to_string(),
            session: opt("session"),
            finding: opt("finding"),
            text: cell("text").to_string(),
            verbatim,
            stance,
            missions,
            themes: list(cell("themes")),
            source: cell("source").trim().to_string(),
            locator: cell("locator").to_string(),
            review_status,
            external_source: opt("externalSource"),
            external_id: opt("externalId"),
        };
        views.push(conn, report, line, &row, actor).await?;
    }
    views.flush(conn, report, actor).await
}

/// Writes every participant view as CSV, in id order, streaming in chunks.
pub async fn export<W: std::io::Write>(
    conn: &sea_orm::DatabaseConnection,
    out: W,
) -> ApiResult<u64> {
    use crate::curation::views::Views;
    super::export_csv::<Views, W>(conn, out, &COLUMNS, |r| {
        let missions: Vec<&str> = r
            .missions
            .iter()
            .map(|m| crate::curation::mission_code(*m))
            .collect();
        vec![
            r.slug.clone(),
            r.exercise.clone(),
            r.session.clone().unwrap_or_default(),
            r.finding.clone().unwrap_or_default(),
            r.text.clone(),
            r.verbatim.to_string(),
            code(&r.stance),
            missions.join(";"),
            r.themes.join(";"),
            r.source.clone(),
            r.locator.clone(),
            code(&r.review_status),
            r.external_source.clone().unwrap_or_default(),
            r.external_id.clone().unwrap_or_default(),
        ]
    })
    .await
}

/// The stored (and serialised) code of an enum value, e.g. `CONCERN`.
fn code<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
