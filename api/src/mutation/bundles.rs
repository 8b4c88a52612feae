//! Bulk import through GraphQL (the command line has `import` and `export` too).

use super::caller;
use crate::auth::Role;
use crate::bundle::{self, ImportReport, Input};
use crate::errors::{code, ApiError};
use async_graphql::{Context, Enum, ErrorExtensions, Object, SimpleObject};
use sea_orm::DatabaseConnection;

/// The formats a bundle can be sent in.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum BundleFormat {
    /// JSON Lines: a header line, then one row per line with a `type` (see the README).
    JsonLines,
    /// CSV of participant views, with a header row naming the columns.
    CsvViews,
    /// CSV of metrics, with a header row naming the columns.
    CsvMetrics,
}

/// How many rows of one type an import created, updated, left unchanged or rejected.
#[derive(SimpleObject)]
pub struct ImportTypeCount {
    /// The row type, e.g. `view`.
    pub row_type: String,
    /// Rows created.
    pub created: u64,
    /// Rows updated.
    pub updated: u64,
    /// Rows that already held these values.
    pub unchanged: u64,
    /// Rows with problems.
    pub rejected: u64,
}

/// What an import did; on a dry run, what it would have done.
#[derive(SimpleObject)]
pub struct ImportSummary {
    /// True when the rows were written (never on a dry run).
    pub committed: bool,
    /// True when this was a dry run.
    pub dry_run: bool,
    /// Rows created.
    pub created: u64,
    /// Rows updated.
    pub updated: u64,
    /// Rows that already held these values (an import sent twice is all unchanged).
    pub unchanged: u64,
    /// The same counts per row type.
    pub by_type: Vec<ImportTypeCount>,
}

impl From<ImportReport> for ImportSummary {
    fn from(r: ImportReport) -> Self {
        ImportSummary {
            committed: r.committed,
            dry_run: r.dry_run,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            by_type: r
                .by_type
                .into_iter()
                .map(
                    |(row_type, [created, updated, unchanged, rejected])| ImportTypeCount {
                        row_type,
                        created,
                        updated,
                        unchanged,
                        rejected,
                    },
                )
                .collect(),
        }
    }
}

#[derive(Default)]
pub struct BundleMutation;

/// Bulk import.
#[Object]
impl BundleMutation {
    /// Imports a bundle in one transaction: rows are matched by external key (else slug) and
    /// created, updated or left unchanged, so sending a bundle twice changes nothing. If any row
    /// is bad, nothing is written and the error (`BAD_USER_INPUT`) lists every problem in
    /// `extensions.rows` as `{line, field, message}`. Needs an editor token. Large bundles are
    /// better sent with the `import` command, which streams the file.
    async fn import_bundle(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The bundle's text.")] bundle: String,
        #[graphql(desc = "Its format: `JSON_LINES` unless given.")] format: Option<BundleFormat>,
        #[graphql(desc = "Report what would change, and write nothing (default false).")]
        dry_run: Option<bool>,
    ) -> async_graphql::Result<ImportSummary> {
        let viewer = caller(ctx, Role::Editor)?;
        let conn = crate::errors::data::<DatabaseConnection>(ctx)?;
        let input = match format.unwrap_or(BundleFormat::JsonLines) {
            BundleFormat::JsonLines => Input::JsonLines,
            BundleFormat::CsvViews => Input::CsvViews,
            BundleFormat::CsvMetrics => Input::CsvMetrics,
        };
        let dry_run = dry_run.unwrap_or(false);
        let report = bundle::import(conn, bundle.as_bytes(), input, viewer.actor(), dry_run)
            .await
            .map_err(|e: ApiError| e.extend())?;
        if report.rejected > 0 {
            let rows: Vec<async_graphql::Value> = report
                .errors
                .iter()
                .map(|e| {
                    async_graphql::Value::from_json(serde_json::json!({
                        "line": e.line, "field": e.field, "message": e.message
                    }))
                    .unwrap_or_default()
                })
                .collect();
            let message = format!("{} row(s) rejected; nothing was written", report.rejected);
            return Err(async_graphql::Error::new(message).extend_with(|_, ext| {
                ext.set("code", code::BAD_USER_INPUT);
                ext.set("field", "bundle");
                ext.set("rows", async_graphql::Value::List(rows.clone()));
            }));
        }
        if let Some(engine) = ctx.data_opt::<crate::engine::Engine>() {
            engine.refresh(conn).await;
        }
        if let Some(hub) = ctx.data_opt::<crate::changes::Hub>() {
            hub.poke();
        }
        Ok(report.into())
    }
}
