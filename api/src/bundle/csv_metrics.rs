//! Metrics as CSV, for spreadsheets: one metric per record, with a header naming the columns
//! (any order; unknown columns are refused):
//!
//! `slug, exercise, label, value, unit, base, source, locator, externalSource, externalId`
//!
//! References are slugs; `value` is a number (`.` for the decimal point), `base` a whole number
//! or empty.

use super::csv_views::column_index;
use super::metrics::MetricRow;
use super::{reject, write_row, ImportReport};
use crate::curation::metrics::Metrics;
use crate::curation::Actor;
use crate::curation::Problem;
use crate::errors::ApiResult;
use sea_orm::ConnectionTrait;
use std::io::Read;

/// The columns, in the order export writes them.
pub const COLUMNS: [&str; 10] = [
    "slug",
    "exercise",
    "label",
    "value",
    "unit",
    "base",
    "source",
    "locator",
    "externalSource",
    "externalId",
];
const REQUIRED: [&str; 7] = [
    "slug", "exercise", "label", "value", "unit", "source", "locator",
];
const TYPE: &str = "metric";

pub(super) async fn import<R: Read, C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
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
                reject(report, TYPE, line, vec![problem]);
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
        let value = match cell("value").trim().parse::<f64>() {
            Ok(v) => v,
            Err(_) => {
                problems.push(Problem::new(
                    "value",
                    format!("Must be a number, not {:?}", cell("value")),
                ));
                0.0
            }
        };
        let base = match opt("base").map(|b| b.parse::<i32>()) {
            None => None,
            Some(Ok(b)) => Some(b),
            Some(Err(_)) => {
                problems.push(Problem::new(
                    "base",
                    format!("Must be a whole number, not {:?}", cell("base")),
                ));
                None
            }
        };
        if !problems.is_empty() {
            reject(report, TYPE, line, problems);
            continue;
        }
        let row = MetricRow {
            slug: cell("slug").trim().to_string(),
            exercise: cell("exercise").trim().to_string(),
            label: cell("label").to_string(),
            value,
            unit: cell("unit").to_string(),
            base,
            source: cell("source").trim().to_string(),
            locator: cell("locator").to_string(),
            external_source: opt("externalSource"),
            external_id: opt("externalId"),
        };
        write_row::<Metrics, C>(conn, report, line, &row, actor).await?;
    }
    Ok(())
}

/// Writes every metric as CSV, in id order, streaming in chunks.
pub async fn export<W: std::io::Write>(
    conn: &sea_orm::DatabaseConnection,
    out: W,
) -> ApiResult<u64> {
    super::export_csv::<Metrics, W>(conn, out, &COLUMNS, |r| {
        // `Display` writes the shortest text that reads back as the same f64.
        vec![
            r.slug.clone(),
            r.exercise.clone(),
            r.label.clone(),
            r.value.to_string(),
            r.unit.clone(),
            r.base.map(|b| b.to_string()).unwrap_or_default(),
            r.source.clone(),
            r.locator.clone(),
            r.external_source.clone().unwrap_or_default(),
            r.external_id.clone().unwrap_or_default(),
        ]
    })
    .await
}
