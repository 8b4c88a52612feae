//! Bulk import and export: the bundle format.
//!
//! A bundle is JSON Lines: one JSON object per line, so a file of any size is read and written
//! one row at a time (memory does not grow with the file). The first line may be a header,
//! `{"type":"header","format":"public-voice-bundle","version":1}`; every other line is a row
//! with a `type` (`source`, `mission`, `theme`, `organisation`, `exercise`, `session`,
//! `finding`, `view`, `metric`, `resource`, `commitment`) and the same fields as the seed corpus, with
//! references written as slugs (`"exercise": "ai-cam-public-dialogues-2024"`), plus optional
//! `externalSource` and `externalId` (and, for findings, views and commitments, `reviewStatus`). Missions are
//! vocabulary: matched by `code`, they carry no external key and no change-log entry.
//!
//! Rows may reference rows earlier in the same bundle; export writes rows in dependency order
//! ([`EXPORT_TYPES`]), so an export always imports. The one exception is an exercise's `partOf`,
//! which may name an exercise anywhere in the bundle (parts and wholes are exported in id order,
//! which need not put the whole first): a row whose larger exercise is not there yet is written
//! without it, and linked in a second pass once every row has been read (see [`exercises`]).
//! CSV is accepted for views and metrics (see [`csv_views`] and [`csv_metrics`]).
//!
//! An import runs in one transaction. A row is matched to an existing one by its external key
//! (`externalSource` + `externalId`) when it has one, else by its slug; it is then created,
//! updated or left unchanged. Every bad row is reported by line and field; if any row is bad,
//! or on a dry run, the transaction is rolled back and nothing is written.

#[macro_use]
mod codec;
mod bulk;
mod commitments;
pub mod csv_metrics;
pub mod csv_views;
mod exercises;
mod findings;
mod metrics;
pub(crate) mod missions;
mod organisations;
mod resources;
mod sessions;
mod source_documents;
mod themes;
mod views;

use crate::curation::commitments::Commitments;
use crate::curation::exercises::Exercises;
use crate::curation::findings::Findings;
use crate::curation::metrics::Metrics;
use crate::curation::organisations::Organisations;
use crate::curation::resources::Resources;
use crate::curation::sessions::Sessions;
use crate::curation::source_documents::SourceDocuments;
use crate::curation::themes::Themes;
use crate::curation::views::Views;
use crate::curation::{
    self, id_by_external, id_by_slug, Actor, Curated, External, Outcome, Problem, Record,
};
use crate::errors::{db, ApiError, ApiResult};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io::{BufRead, Write};

pub use commitments::CommitmentRow;
pub use exercises::{ExerciseRow, Involvement};
pub use findings::FindingRow;
pub use metrics::MetricRow;
pub use missions::MissionRow;
pub use organisations::OrganisationRow;
pub use resources::ResourceRow;
pub use sessions::SessionRow;
pub use source_documents::SourceRow;
pub use themes::ThemeRow;
pub use views::ViewRow;

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

    /// Takes back a count, when a row counted in the first pass fails or changes in the second.
    fn uncount(&mut self, kind: &str, slot: usize) {
        if let Some(counts) = self.by_type.get_mut(kind) {
            counts[slot] = counts[slot].saturating_sub(1);
        }
        let total = match slot {
            0 => &mut self.created,
            1 => &mut self.updated,
            2 => &mut self.unchanged,
            _ => &mut self.rejected,
        };
        *total = total.saturating_sub(1);
    }
}

/// The report slot of an outcome.
fn slot(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Created => 0,
        Outcome::Updated => 1,
        Outcome::Unchanged => 2,
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
    /// CSV of metrics.
    CsvMetrics,
}

/// Imports a bundle in one transaction; see the module documentation. As [`Actor::Seed`], rows
/// that exist are left as they are and nothing is logged.
pub async fn import<'a, R: BufRead>(
    conn: &DatabaseConnection,
    reader: R,
    input: Input,
    actor: impl Into<Actor<'a>>,
    dry_run: bool,
) -> ApiResult<ImportReport> {
    let actor = actor.into();
    let txn = curation::begin(conn).await?;
    search_index_deferred(&txn).await?;
    let mut report = ImportReport {
        dry_run,
        ..Default::default()
    };
    match input {
        Input::JsonLines => {
            let (views, executor) = bulk::pipeline();
            let lines = import_lines(&txn, &mut report, views, reader, actor);
            bulk::with_executor(&txn, executor, lines).await?;
        }
        Input::CsvViews => {
            let (views, executor) = bulk::pipeline();
            let rows = csv_views::import(&txn, &mut report, views, reader, actor);
            bulk::with_executor(&txn, executor, rows).await?;
        }
        Input::CsvMetrics => csv_metrics::import(&txn, &mut report, reader, actor).await?,
    }
    // Views are reported when their batch is written, and the second pass after the last line:
    // put every problem back in file order (a stable sort keeps each row's own order).
    report.errors.sort_by_key(|e| e.line);
    if dry_run || report.rejected > 0 {
        db(txn.rollback().await)?;
    } else {
        if report.created + report.updated > 0 {
            search_index_merged(&txn).await?;
        }
        curation::commit(txn).await?;
        report.committed = true;
    }
    Ok(report)
}

/// The lines of a JSON Lines bundle: views go to `views` (their statements run alongside, see
/// [`bulk::pipeline`]), every other row is written here, in its place.
async fn import_lines<C: ConnectionTrait, R: BufRead>(
    conn: &C,
    report: &mut ImportReport,
    mut views: bulk::ViewBatch,
    reader: R,
    actor: Actor<'_>,
) -> ApiResult<()> {
    let mut later = Vec::new();
    let mut lines = ReadAhead::new(reader);
    while let Some((line_no, line)) = lines.next().await {
        let line = line.map_err(|err| {
            ApiError::bad_input("bundle", format!("line {line_no}: unreadable: {err}"))
        })?;
        import_line(conn, report, &mut later, &mut views, line_no, line, actor).await?;
    }
    views.flush(conn, report, actor).await?;
    exercises::link_parents(conn, report, later, actor).await
}

/// How large PostgreSQL's list of search-index entries not yet merged into the index may grow
/// during an import, in KiB (the server's default is 4 MiB). Each new view adds a few dozen
/// entries; merging them in larger runs costs less per entry, and searches stay exact (they
/// read the list too).
const PENDING_SEARCH_KIB: u32 = 64 * 1024;

/// On PostgreSQL, lets the search index's pending list grow to [`PENDING_SEARCH_KIB`] for this
/// transaction only (`SET LOCAL`).
async fn search_index_deferred<C: ConnectionTrait>(conn: &C) -> ApiResult<()> {
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        db(conn
            .execute_unprepared(&format!(
                "SET LOCAL gin_pending_list_limit = {PENDING_SEARCH_KIB}"
            ))
            .await)?;
    }
    Ok(())
}

/// On PostgreSQL, merges the search index's pending list before an import commits, so that
/// the next writer does not pay for the import's entries and searches do not read a long list.
/// Merging needs the index's owner (as `VACUUM` does); a role that does not own it leaves the
/// list to autovacuum, which merges it all the same.
async fn search_index_merged<C: ConnectionTrait>(conn: &C) -> ApiResult<()> {
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        db(conn
            .execute_unprepared(
                "SELECT gin_clean_pending_list(c.oid) FROM pg_class c \
                 WHERE c.relname = 'idx_search_index_tsv' AND c.relkind = 'i' \
                 AND pg_has_role(c.relowner, 'USAGE') \
                 AND c.relnamespace = to_regnamespace(current_schema())",
            )
            .await)?;
    }
    Ok(())
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

/// How many lines of a JSON Lines bundle are read ahead of the one being written, and how many
/// a chunk handed to the parsing thread holds.
const READ_AHEAD: usize = 4096;
const PARSE_CHUNK: usize = 256;

/// A bundle line, parsed.
enum Line {
    /// Not JSON: the parser's message.
    NotJson(String),
    /// A participant view, or why it is not a valid one.
    View(Result<Box<views::ViewRow>, String>),
    /// Any other row, to be read by its type.
    Other(serde_json::Value),
}

impl Line {
    fn parse(line: &str) -> Line {
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(err) => return Line::NotJson(format!("Not a JSON object: {err}")),
        };
        if value.get("type").and_then(|t| t.as_str()) != Some(Views::TYPE) {
            return Line::Other(value);
        }
        Line::View(row_of(Views::TYPE, value).map(Box::new))
    }
}

/// A line's number and the line, or why it could not be read.
type Numbered<T> = (u64, Result<T, String>);

/// Chunks of lines on their way to the parsing thread, and parsed on their way back.
type Parsing = (
    std::sync::mpsc::Sender<Vec<Numbered<String>>>,
    tokio::sync::mpsc::UnboundedReceiver<Vec<Numbered<Line>>>,
);

/// The non-empty lines of a JSON Lines bundle, numbered and parsed. Lines are read here, in
/// order, and parsed on a thread of their own up to [`READ_AHEAD`] lines ahead, so that
/// parsing the next rows overlaps with writing the ones before (measured on SQLite: JSON
/// parsing was about 8 % of a large import's CPU, all of it waiting for the statements; with
/// the thread the import took about 6 % less time). Should the thread not start, lines are
/// parsed here, with the same results.
struct ReadAhead<R> {
    lines: Lines<R>,
    parsed: std::collections::VecDeque<Numbered<Line>>,
    /// To the parsing thread and back (none without the thread).
    chunks: Option<Parsing>,
    /// Lines handed to the thread and not yet back.
    in_flight: usize,
}

impl<R: BufRead> ReadAhead<R> {
    fn new(reader: R) -> Self {
        let (to_thread, from_here) = std::sync::mpsc::channel::<Vec<Numbered<String>>>();
        let (to_here, from_thread) = tokio::sync::mpsc::unbounded_channel();
        let started = std::thread::Builder::new()
            .name("bundle-parse".into())
            .spawn(move || {
                while let Ok(chunk) = from_here.recv() {
                    let parsed = chunk
                        .into_iter()
                        .map(|(n, line)| (n, line.map(|l| Line::parse(&l))))
                        .collect();
                    if to_here.send(parsed).is_err() {
                        break;
                    }
                }
            });
        if let Err(err) = &started {
            tracing::warn!(%err, "bundle lines are parsed without a thread of their own");
        }
        ReadAhead {
            lines: Lines {
                lines: reader.lines().enumerate(),
                ended: false,
            },
            parsed: Default::default(),
            chunks: started.ok().map(|_| (to_thread, from_thread)),
            in_flight: 0,
        }
    }

    /// The next line and its number; an unreadable line is its error's message.
    async fn next(&mut self) -> Option<Numbered<Line>> {
        let Some((to_thread, from_thread)) = &mut self.chunks else {
            let (n, line) = self.lines.next()?;
            return Some((n, line.map(|l| Line::parse(&l))));
        };
        while !self.lines.ended && self.in_flight < READ_AHEAD {
            let chunk: Vec<_> = self.lines.by_ref().take(PARSE_CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            self.in_flight += chunk.len();
            if to_thread.send(chunk).is_err() {
                break;
            }
        }
        if self.parsed.is_empty() && self.in_flight > 0 {
            let chunk = from_thread.recv().await?;
            self.in_flight -= chunk.len();
            self.parsed.extend(chunk);
        }
        self.parsed.pop_front()
    }
}

/// The non-empty lines of a bundle and their numbers, or the error that made one unreadable.
struct Lines<R> {
    lines: std::iter::Enumerate<std::io::Lines<R>>,
    ended: bool,
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Numbered<String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Some((i, line)) = self.lines.next() else {
                self.ended = true;
                return None;
            };
            let line_no = i as u64 + 1;
            match line {
                Ok(l) if l.trim().is_empty() => continue,
                Ok(l) => return Some((line_no, Ok(l))),
                Err(err) => return Some((line_no, Err(err.to_string()))),
            }
        }
    }
}

async fn import_line<C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    later: &mut Vec<exercises::LaterParent>,
    views: &mut bulk::ViewBatch,
    line_no: u64,
    line: Line,
    actor: Actor<'_>,
) -> ApiResult<()> {
    let value = match line {
        Line::NotJson(message) => {
            reject(report, "unknown", line_no, vec![Problem::new("", message)]);
            return Ok(());
        }
        Line::View(Err(message)) => {
            reject(
                report,
                Views::TYPE,
                line_no,
                vec![Problem::new("", message)],
            );
            return Ok(());
        }
        Line::View(Ok(row)) => return views.push(conn, report, line_no, &row, actor).await,
        Line::Other(value) => value,
    };
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_string();
    // Any other row is written at once, so the views before it are written first; and it may
    // create what a later view's slug names, so the views' reference cache starts over.
    views.flush(conn, report, actor).await?;
    views.refs.clear();
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
        SourceDocuments::TYPE => {
            import_row::<SourceDocuments, C>(conn, report, line_no, value, actor).await
        }
        missions::TYPE => missions::import_row(conn, report, line_no, value, actor).await,
        Themes::TYPE => import_row::<Themes, C>(conn, report, line_no, value, actor).await,
        Organisations::TYPE => {
            import_row::<Organisations, C>(conn, report, line_no, value, actor).await
        }
        Exercises::TYPE => exercises::import_row(conn, report, later, line_no, value, actor).await,
        Sessions::TYPE => import_row::<Sessions, C>(conn, report, line_no, value, actor).await,
        Findings::TYPE => import_row::<Findings, C>(conn, report, line_no, value, actor).await,
        Metrics::TYPE => import_row::<Metrics, C>(conn, report, line_no, value, actor).await,
        Resources::TYPE => import_row::<Resources, C>(conn, report, line_no, value, actor).await,
        Commitments::TYPE => {
            import_row::<Commitments, C>(conn, report, line_no, value, actor).await
        }
        other => {
            let problem = Problem::new(
                "type",
                format!(
                    "Unknown row type {other:?}: expected one of {}",
                    EXPORT_TYPES.join(", ")
                ),
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
    value: serde_json::Value,
    actor: Actor<'_>,
) -> ApiResult<()> {
    if let Some(row) = parse_row::<T::Row>(report, T::TYPE, line_no, value) {
        write_row::<T, C>(conn, report, line_no, &row, actor).await?;
    }
    Ok(())
}

/// Reads a row of type `kind` (its `type` removed); an unreadable row is reported.
pub(crate) fn parse_row<R: DeserializeOwned>(
    report: &mut ImportReport,
    kind: &str,
    line_no: u64,
    value: serde_json::Value,
) -> Option<R> {
    match row_of(kind, value) {
        Ok(row) => Some(row),
        Err(message) => {
            reject(report, kind, line_no, vec![Problem::new("", message)]);
            None
        }
    }
}

/// Reads a row of type `kind` (its `type` removed), or says why it is not one.
fn row_of<R: DeserializeOwned>(kind: &str, mut value: serde_json::Value) -> Result<R, String> {
    if let Some(map) = value.as_object_mut() {
        map.remove("type");
    }
    serde_json::from_value(value).map_err(|err| format!("Not a valid {kind} row: {err}"))
}

/// The bundle's name for a field the write layer names as GraphQL input does: references are
/// slugs in a bundle, so `sourceId` is `source`, `exerciseIds[1]` is `exercises[1]` and
/// `organisations[0].organisationId` is `organisations[0].organisation`.
pub(crate) fn row_field(field: &str) -> String {
    field
        .split('.')
        .map(|segment| {
            let (name, index) = segment.split_at(segment.find('[').unwrap_or(segment.len()));
            let name = if name == "externalId" {
                name.to_string()
            } else if let Some(base) = name.strip_suffix("Ids") {
                format!("{base}s")
            } else {
                name.strip_suffix("Id").unwrap_or(name).to_string()
            };
            format!("{name}{index}")
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Writes one parsed row (shared by JSON Lines and CSV); returns what it did and the row's id,
/// or `None` when the row was rejected.
pub(crate) async fn write_row<T: Codec, C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    line_no: u64,
    row: &T::Row,
    actor: Actor<'_>,
) -> ApiResult<Option<(Outcome, i32)>> {
    // One slug lookup serves the seed's match, the match of rows without an external key and
    // the conflict check below.
    let slug_owner = id_by_slug::<T, C>(conn, T::row_slug(row)).await?;
    if let (Actor::Seed, Some(id)) = (actor, slug_owner) {
        report.count(T::TYPE, slot(Outcome::Unchanged));
        return Ok(Some((Outcome::Unchanged, id)));
    }
    let mut problems = Vec::new();
    let external = T::external(row);
    if let Some(e) = &external {
        external_problems(e, &mut problems);
    }
    let fields = T::resolve(conn, row, &mut problems).await?;
    let existing = match &external {
        Some(e) => id_by_external::<T, C>(conn, e).await?,
        None => slug_owner,
    };
    // A slug held by another row would fail the unique index, which on PostgreSQL aborts the
    // whole transaction: report it as a problem instead.
    if let Some(owner) = slug_owner {
        if Some(owner) != existing {
            problems.push(Problem::new(
                "slug",
                format!("Another {} already has this slug", T::KIND.type_name()),
            ));
        }
    }
    let Some(fields) = fields else {
        reject(report, T::TYPE, line_no, problems);
        return Ok(None);
    };
    let mut checks = T::validate(conn, &fields).await?;
    if let Some(id) = existing {
        // E.g. a cycle of parts, or a session moving away from its views: reported like any
        // other problem rather than failing the whole import.
        checks.extend(T::validate_existing(conn, id, &fields).await?);
    }
    problems.extend(
        checks
            .into_iter()
            .map(|p| Problem::new(row_field(&p.field), p.message)),
    );
    if !problems.is_empty() {
        reject(report, T::TYPE, line_no, problems);
        return Ok(None);
    }
    // Validated above, once: the writes do not check again.
    let (id, outcome) = match existing {
        None => {
            let model =
                curation::create_valid::<T, C>(conn, actor, &fields, external.as_ref()).await?;
            (T::id(&model), Outcome::Created)
        }
        Some(id) => {
            let (model, before) = curation::current::<T, C>(conn, id, None).await?;
            let outcome = curation::update_valid::<T, C>(conn, actor, &model, &before, &fields)
                .await?
                .1;
            (id, outcome)
        }
    };
    report.count(T::TYPE, slot(outcome));
    Ok(Some((outcome, id)))
}

/// The problems with an external key, at the bundle's field names.
pub(crate) fn external_problems(external: &External, problems: &mut Vec<Problem>) {
    if let Err(ApiError::BadUserInput { field, message }) = curation::check_external(external, "") {
        let field = field.unwrap_or_default();
        problems.push(Problem::new(field.trim_start_matches('.'), message));
    }
}

/// The problem with a reference to a slug nothing holds.
pub(crate) fn unknown_slug(field: &str, what: &str, slug: &str) -> Problem {
    Problem::new(field, format!("No {what} has slug {slug:?}"))
}

/// The problem with the `i`th mission code when the database does not hold it.
pub(crate) fn unknown_mission(i: usize, m: entity::enums::Mission) -> Problem {
    Problem::new(
        format!("missions[{i}]"),
        format!(
            "No mission has code {}: import its mission row first",
            curation::mission_code(m)
        ),
    )
}

/// The row types export can write, in dependency order: a row only references rows of the
/// types before it (but see the module documentation on `partOf`).
pub const EXPORT_TYPES: [&str; 11] = [
    "source",
    "mission",
    "theme",
    "organisation",
    "exercise",
    "session",
    "finding",
    "view",
    "metric",
    "resource",
    "commitment",
];

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
    for kind in EXPORT_TYPES.into_iter().filter(|t| wanted(t)) {
        rows += match kind {
            SourceDocuments::TYPE => export_type::<SourceDocuments, W>(conn, out).await?,
            missions::TYPE => missions::export(conn, out).await?,
            Themes::TYPE => export_type::<Themes, W>(conn, out).await?,
            Organisations::TYPE => export_type::<Organisations, W>(conn, out).await?,
            Exercises::TYPE => export_type::<Exercises, W>(conn, out).await?,
            Sessions::TYPE => export_type::<Sessions, W>(conn, out).await?,
            Findings::TYPE => export_type::<Findings, W>(conn, out).await?,
            Views::TYPE => export_type::<Views, W>(conn, out).await?,
            Metrics::TYPE => export_type::<Metrics, W>(conn, out).await?,
            Resources::TYPE => export_type::<Resources, W>(conn, out).await?,
            Commitments::TYPE => export_type::<Commitments, W>(conn, out).await?,
            _ => 0,
        };
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

/// A row with its `type` first.
#[derive(Serialize)]
struct Typed<'a, R> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    row: &'a R,
}

async fn export_type<T: Codec, W: Write>(conn: &DatabaseConnection, out: &mut W) -> ApiResult<u64> {
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

/// Writes every row of `T` as CSV under `columns`, in id order, streaming in chunks; `record`
/// gives a row's cells in the columns' order.
pub(crate) async fn export_csv<T: Codec, W: Write>(
    conn: &DatabaseConnection,
    out: W,
    columns: &[&str],
    record: impl Fn(&T::Row) -> Vec<String>,
) -> ApiResult<u64> {
    let failed = |err: csv::Error| {
        tracing::error!(error = %err, "could not write the export");
        ApiError::Internal
    };
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(columns).map_err(failed)?;
    let (mut after, mut n) = (0, 0);
    loop {
        let chunk = T::export_chunk(conn, after, CHUNK).await?;
        let done = (chunk.len() as u64) < CHUNK;
        for (id, row) in &chunk {
            writer.write_record(record(row)).map_err(failed)?;
            (after, n) = (*id, n + 1);
        }
        if done {
            break;
        }
    }
    writer.flush().map_err(|err| failed(err.into()))?;
    Ok(n)
}

// Slug lookups shared by the codecs.

/// The review status a finding, view or commitment row gets when the bundle does not say.
pub(crate) fn published() -> entity::enums::ReviewStatus {
    entity::enums::ReviewStatus::Published
}

/// The next `limit` rows of `E` after id `after`, in id order (an export chunk).
pub(crate) async fn next_chunk<E: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    id_col: E::Column,
    after: i32,
    limit: u64,
) -> ApiResult<Vec<E::Model>> {
    db(E::find()
        .filter(id_col.gt(after))
        .order_by_asc(id_col)
        .limit(limit)
        .all(conn)
        .await)
}

/// Resolves a required reference to a `T` by slug, or records a problem at `field`.
pub(crate) async fn required_ref<T: Record, C: ConnectionTrait>(
    conn: &C,
    problems: &mut Vec<Problem>,
    field: &str,
    slug: &str,
) -> ApiResult<Option<i32>> {
    let id = id_by_slug::<T, C>(conn, slug).await?;
    if id.is_none() {
        problems.push(unknown_slug(field, T::NOUN, slug));
    }
    Ok(id)
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

/// Records a problem at `missions[i]` for each mission code the database does not hold (an
/// empty database gets them from the bundle's `mission` rows, which export writes first).
pub(crate) async fn check_missions<C: ConnectionTrait>(
    conn: &C,
    problems: &mut Vec<Problem>,
    missions: &[entity::enums::Mission],
) -> ApiResult<()> {
    if missions.is_empty() {
        return Ok(());
    }
    let known: Vec<entity::enums::Mission> = db(entity::mission::Entity::find()
        .select_only()
        .column(entity::mission::Column::Code)
        .into_tuple()
        .all(conn)
        .await)?;
    for (i, m) in missions.iter().enumerate() {
        if !known.contains(m) {
            problems.push(unknown_mission(i, *m));
        }
    }
    Ok(())
}
