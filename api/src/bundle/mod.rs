//! Bulk import and export: the bundle format.
//!
//! A bundle is JSON Lines: one JSON object per line, so a file of any size is read and written
//! one row at a time (memory does not grow with the file). The first line may be a header,
//! `{"type":"header","format":"public-voice-bundle","version":1}`; every other line is a row
//! with a `type` (`finding`, `view`, ...) and the same fields as the seed corpus, with
//! references written as slugs (`"exercise": "ai-cam-public-dialogues-2024"`), plus optional
//! `reviewStatus`, `externalSource` and `externalId`. Rows may reference rows earlier in the
//! same bundle; export writes rows in dependency order. CSV is accepted for views (see
//! [`csv_views`]).
//!
//! An import runs in one transaction. A row is matched to an existing one by its external key
//! (`externalSource` + `externalId`) when it has one, else by its slug; it is then created,
//! updated or left unchanged. Every bad row is reported by line and field; if any row is bad,
//! or on a dry run, the transaction is rolled back and nothing is written.

pub mod csv_views;
mod findings;
mod views;

use crate::curation::findings::Findings;
use crate::curation::views::Views;
use crate::curation::{self, Curated, External, Outcome, Problem};
use crate::errors::{db, ApiError, ApiResult};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io::{BufRead, Write};

/// The `format` of a bundle header.
pub const FORMAT: &str = "public-voice-bundle";
/// The bundle format version this build reads and writes.
pub const VERSION: u32 = 1;
/// How many rows export reads per statement.
const CHUNK: u64 = 500;

/// The header line of a bundle.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Header {
    #[serde(rename = "type")]
    pub kind: String,
    pub format: String,
    pub version: u32,
}

/// One problem with one row of a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The line (1-based; for CSV, the record's line, the header being line 1).
    pub line: u64,
    /// The field at fault, e.g. `themes[1]`; empty when the whole row is unreadable.
    pub field: String,
    pub message: String,
}

/// What an import did (or, on a dry run or a rejected bundle, would have done).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Whether the changes were committed.
    pub committed: bool,
    pub dry_run: bool,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows with at least one problem.
    pub rejected: u64,
    /// Per row type: (created, updated, unchanged, rejected).
    pub by_type: BTreeMap<String, [u64; 4]>,
    /// Every problem, in file order.
    pub errors: Vec<RowError>,
}

impl ImportReport {
    fn count(&mut self, kind: &str, slot: usize) {
        self.by_type.entry(kind.to_string()).or_default()[slot] += 1;
        match slot {
            0 => self.created += 1,
            1 => self.updated += 1,
            2 => self.unchanged += 1,
            _ => self.rejected += 1,
        }
    }
}

/// How rows of one curated type are written in a bundle.
pub trait Codec: Curated {
    /// The row `type`, e.g. `finding`.
    const TYPE: &'static str;
    /// The row as written in a bundle.
    type Row: Serialize + DeserializeOwned + Send + Sync;

    fn row_slug(row: &Self::Row) -> &str;
    fn external(row: &Self::Row) -> Option<External>;

    /// Turns references (slugs) into ids; unknown references become problems.
    fn resolve<C: ConnectionTrait>(
        conn: &C,
        row: &Self::Row,
        problems: &mut Vec<Problem>,
    ) -> impl Future<Output = ApiResult<Option<Self::Fields>>> + Send;

    /// The id of the row with this slug.
    fn by_slug<C: ConnectionTrait>(
        conn: &C,
        slug: &str,
    ) -> impl Future<Output = ApiResult<Option<i32>>> + Send;

    /// The id of the row with this external key.
    fn by_external<C: ConnectionTrait>(
        conn: &C,
        key: &External,
    ) -> impl Future<Output = ApiResult<Option<i32>>> + Send;

    /// Up to `limit` rows with ids above `after`, in id order, as bundle rows (with their ids).
    fn export_chunk<C: ConnectionTrait>(
        conn: &C,
        after: i32,
        limit: u64,
    ) -> impl Future<Output = ApiResult<Vec<(i32, Self::Row)>>> + Send;
}

/// Where an import's rows come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// JSON Lines, any row types.
    JsonLines,
    /// CSV of participant views.
    CsvViews,
}

/// Imports a bundle in one transaction; see the module documentation.
pub async fn import<R: BufRead>(
    conn: &DatabaseConnection,
    reader: R,
    input: Input,
    actor: &str,
    dry_run: bool,
) -> ApiResult<ImportReport> {
    let txn = curation::begin(conn).await?;
    let mut report = ImportReport {
        dry_run,
        ..Default::default()
    };
    match input {
        Input::JsonLines => {
            for (i, line) in reader.lines().enumerate() {
                let line_no = i as u64 + 1;
                let line = line.map_err(|err| {
                    ApiError::bad_input("bundle", format!("line {line_no}: unreadable: {err}"))
                })?;
                if line.trim().is_empty() {
                    continue;
                }
                import_line(&txn, &mut report, line_no, &line, actor).await?;
            }
        }
        Input::CsvViews => csv_views::import(&txn, &mut report, reader, actor).await?,
    }
    if dry_run || report.rejected > 0 {
        db(txn.rollback().await)?;
    } else {
        curation::commit(txn).await?;
        report.committed = true;
    }
    Ok(report)
}

fn reject(report: &mut ImportReport, kind: &str, line: u64, problems: Vec<Problem>) {
    for p in problems {
        report.errors.push(RowError {
            line,
            field: p.field,
            message: p.message,
        });
    }
    report.count(kind, 3);
}

async fn import_line<C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    line_no: u64,
    line: &str,
    actor: &str,
) -> ApiResult<()> {
    let value: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(err) => {
            let problem = Problem::new("", format!("Not a JSON object: {err}"));
            reject(report, "unknown", line_no, vec![problem]);
            return Ok(());
        }
    };
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_string();
    match kind.as_str() {
        "header" => {
            let ok = serde_json::from_value::<Header>(value)
                .is_ok_and(|h| h.format == FORMAT && h.version == VERSION);
            if !ok || line_no != 1 {
                let problem = Problem::new(
                    "",
                    format!(
                        "The header must be the first line: {{\"type\":\"header\",\"format\":\"{FORMAT}\",\"version\":{VERSION}}}"
                    ),
                );
                reject(report, "header", line_no, vec![problem]);
            }
            Ok(())
        }
        Findings::TYPE => import_row::<Findings, C>(conn, report, line_no, value, actor).await,
        Views::TYPE => import_row::<Views, C>(conn, report, line_no, value, actor).await,
        other => {
            let problem = Problem::new(
                "type",
                format!("Unknown row type {other:?}: expected one of finding, view"),
            );
            reject(report, "unknown", line_no, vec![problem]);
            Ok(())
        }
    }
}

/// Parses, resolves, validates and writes one row. Bad rows are reported, never written.
pub(crate) async fn import_row<T: Codec, C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    line_no: u64,
    mut value: serde_json::Value,
    actor: &str,
) -> ApiResult<()> {
    if let Some(map) = value.as_object_mut() {
        map.remove("type");
    }
    let row: T::Row = match serde_json::from_value(value) {
        Ok(row) => row,
        Err(err) => {
            let problem = Problem::new("", format!("Not a valid {} row: {err}", T::TYPE));
            reject(report, T::TYPE, line_no, vec![problem]);
            return Ok(());
        }
    };
    write_row::<T, C>(conn, report, line_no, &row, actor).await
}

/// Writes one parsed row (shared by JSON Lines and CSV).
pub(crate) async fn write_row<T: Codec, C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    line_no: u64,
    row: &T::Row,
    actor: &str,
) -> ApiResult<()> {
    let mut problems = Vec::new();
    let external = T::external(row);
    if let Some(e) = &external {
        if let Err(ApiError::BadUserInput { field, message }) = curation::check_external(e, "") {
            let field = field.unwrap_or_default();
            problems.push(Problem::new(field.trim_start_matches('.'), message));
        }
    }
    let fields = T::resolve(conn, row, &mut problems).await?;
    let existing = match &external {
        Some(e) => T::by_external(conn, e).await?,
        None => T::by_slug(conn, T::row_slug(row)).await?,
    };
    // A slug held by another row would fail the unique index, which on PostgreSQL aborts the
    // whole transaction: report it as a problem instead.
    if let Some(owner) = T::by_slug(conn, T::row_slug(row)).await? {
        if Some(owner) != existing {
            problems.push(Problem::new(
                "slug",
                format!("Another {} already has this slug", T::KIND.type_name()),
            ));
        }
    }
    let Some(fields) = fields else {
        reject(report, T::TYPE, line_no, problems);
        return Ok(());
    };
    problems.extend(T::validate(conn, &fields).await?);
    if !problems.is_empty() {
        reject(report, T::TYPE, line_no, problems);
        return Ok(());
    }
    let outcome = match existing {
        None => {
            curation::create::<T, C>(conn, actor, &fields, external.as_ref(), "").await?;
            Outcome::Created
        }
        Some(id) => {
            let (model, before) = curation::current::<T, C>(conn, id, None).await?;
            curation::update::<T, C>(conn, actor, &model, &before, &fields, "")
                .await?
                .1
        }
    };
    let slot = match outcome {
        Outcome::Created => 0,
        Outcome::Updated => 1,
        Outcome::Unchanged => 2,
    };
    report.count(T::TYPE, slot);
    Ok(())
}

/// The row types export can write, in dependency order.
pub const EXPORT_TYPES: [&str; 2] = ["finding", "view"];

/// Writes a bundle of the given row types (all when empty), streaming in chunks.
pub async fn export<W: Write>(
    conn: &DatabaseConnection,
    out: &mut W,
    types: &[String],
) -> ApiResult<u64> {
    for t in types {
        if !EXPORT_TYPES.contains(&t.as_str()) {
            return Err(ApiError::bad_input(
                "types",
                format!("Unknown row type {t:?}: expected one of {EXPORT_TYPES:?}"),
            ));
        }
    }
    let wanted = |t: &str| types.is_empty() || types.iter().any(|x| x == t);
    let header = Header {
        kind: "header".into(),
        format: FORMAT.into(),
        version: VERSION,
    };
    write_json(out, &header)?;
    let mut rows = 0;
    if wanted(Findings::TYPE) {
        rows += export_type::<Findings, W>(conn, out).await?;
    }
    if wanted(Views::TYPE) {
        rows += export_type::<Views, W>(conn, out).await?;
    }
    Ok(rows)
}

fn write_json<W: Write, T: Serialize>(out: &mut W, value: &T) -> ApiResult<()> {
    serde_json::to_writer(&mut *out, value)
        .map_err(std::io::Error::from)
        .and_then(|_| out.write_all(b"\n"))
        .map_err(|err| {
            tracing::error!(error = %err, "could not write the export");
            ApiError::Internal
        })
}

async fn export_type<T: Codec, W: Write>(conn: &DatabaseConnection, out: &mut W) -> ApiResult<u64> {
    #[derive(Serialize)]
    struct Typed<'a, R> {
        #[serde(rename = "type")]
        kind: &'a str,
        #[serde(flatten)]
        row: &'a R,
    }
    let mut after = 0;
    let mut n = 0;
    loop {
        let chunk = T::export_chunk(conn, after, CHUNK).await?;
        let done = (chunk.len() as u64) < CHUNK;
        for (id, row) in &chunk {
            write_json(out, &Typed { kind: T::TYPE, row })?;
            after = *id;
            n += 1;
        }
        if done {
            return Ok(n);
        }
    }
}

// Slug lookups shared by the codecs.

/// The id of the row of `E` whose `slug` column holds `slug`.
pub(crate) async fn id_by_slug<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    slug_col: E::Column,
    id_col: E::Column,
    slug: &str,
) -> ApiResult<Option<i32>> {
    db(E::find()
        .select_only()
        .column(id_col)
        .filter(slug_col.eq(slug))
        .into_tuple::<i32>()
        .one(conn)
        .await)
}

/// The id of the row of `E` with this external key.
pub(crate) async fn id_by_external<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    source_col: E::Column,
    external_col: E::Column,
    id_col: E::Column,
    key: &External,
) -> ApiResult<Option<i32>> {
    db(E::find()
        .select_only()
        .column(id_col)
        .filter(source_col.eq(key.source.as_str()))
        .filter(external_col.eq(key.id.as_str()))
        .into_tuple::<i32>()
        .one(conn)
        .await)
}

/// Resolves a required reference by slug, or records a problem at `field`.
pub(crate) async fn required_ref<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    problems: &mut Vec<Problem>,
    field: &str,
    slug_col: E::Column,
    id_col: E::Column,
    slug: &str,
    what: &str,
) -> ApiResult<Option<i32>> {
    let id = id_by_slug::<E, C>(conn, slug_col, id_col, slug).await?;
    if id.is_none() {
        problems.push(Problem::new(field, format!("No {what} has slug {slug:?}")));
    }
    Ok(id)
}

/// Slugs of the rows of `E` with these ids, in one statement.
pub(crate) async fn slugs_of<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    slug_col: E::Column,
    id_col: E::Column,
    ids: impl IntoIterator<Item = i32>,
) -> ApiResult<HashMap<i32, String>> {
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(db(E::find()
        .select_only()
        .column(id_col)
        .column(slug_col)
        .filter(id_col.is_in(ids))
        .into_tuple::<(i32, String)>()
        .all(conn)
        .await)?
    .into_iter()
    .collect())
}

/// The slug an id maps to; a dangling id is a server fault.
pub(crate) fn slug(map: &HashMap<i32, String>, id: i32) -> ApiResult<String> {
    map.get(&id).cloned().ok_or_else(|| {
        tracing::error!(id, "export: dangling reference");
        ApiError::Internal
    })
}

/// The external key a row carries, when it carries both parts.
pub(crate) fn external_of(source: &Option<String>, id: &Option<String>) -> Option<External> {
    match (source, id) {
        (Some(source), Some(id)) => Some(External {
            source: source.clone(),
            id: id.clone(),
        }),
        _ => None,
    }
}
