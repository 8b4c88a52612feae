//! The bulk path for participant views: the rows a consultation's bundle holds by the million.
//!
//! The per-row path ([`super::write_row`]) costs about twenty statements a row: each reference
//! looked up by slug, the row validated against the database, matched by slug and external key,
//! inserted with its tags and a change-log entry. Here views are gathered in batches of
//! [`BATCH`] rows, and each batch costs a handful of statements whatever its size:
//!
//! - references (exercise, source, session, finding, themes, missions) resolve through a
//!   [`RefCache`] kept for the whole import, each slug looked up once;
//! - each row is validated once, in memory: the checks that need no database
//!   ([`views::check_own`]), and the session's and finding's exercise against the cache;
//! - the batch's matches (by slug and by external key) are read in two statements;
//! - new rows are written with multi-row inserts ([`insert_rows`]): the views (returning their
//!   ids), their mission and theme tags, and their change-log entries, in file order.
//!
//! What a reader can observe is what the per-row path gives: the same rows, tags, search index
//! (kept by triggers, which fire for every row of a multi-row insert), and one change-log entry
//! per created or updated row, in file order, with the same JSON. Rows that match an existing
//! row (updates) take the per-row write, in their place in the order. Every bad row is reported
//! with the same problems, fields and messages.
//!
//! Rows in one batch never share a slug or an external key: a row that repeats one of the
//! pending rows' keys first writes the batch, so it is matched against the row before it as the
//! per-row path would.

use super::{external_problems, reject, row_field, slot, ImportReport};
use crate::curation::views::{self, ViewFields, Views};
use crate::curation::{self, Actor, Curated, External, Outcome, Problem};
use crate::curation::{
    exercises::Exercises, findings::Findings, id_by_slug, sessions::Sessions,
    source_documents::SourceDocuments, themes::Themes, Record,
};
use crate::errors::{db, ApiError, ApiResult};
use chrono::Utc;
use entity::enums::{ChangeKind, Mission};
use entity::{exercise, finding, participant_view, session, view_mission, view_theme};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityName, EntityTrait, IdenStatic,
    Iterable, QueryFilter, QuerySelect, Set, Statement,
};
use std::collections::{HashMap, HashSet};

use super::views::ViewRow;

/// Rows per batch.
pub const BATCH: usize = 1024;

/// How many distinct slugs the cache keeps before it starts over (it only bounds memory for a
/// bundle full of distinct unknown references; real bundles reference a few thousand rows).
const CACHE_LIMIT: usize = 100_000;

/// References resolved during one import: slug to id (and, for sessions and findings, their
/// exercise), each looked up at most once. Rows of other types written during the import may
/// create what a slug names, so the import clears the cache after writing any such row.
#[derive(Default)]
pub struct RefCache {
    exercises: HashMap<String, Option<i32>>,
    sources: HashMap<String, Option<i32>>,
    sessions: HashMap<String, Option<(i32, i32)>>,
    findings: HashMap<String, Option<(i32, i32)>>,
    themes: HashMap<String, Option<i32>>,
    /// Each exercise's larger exercise (`partOf`), by id.
    parents: HashMap<i32, Option<i32>>,
    /// Each exercise's start date, by id: a new view carries its exercise's (see
    /// [`insert_views`]).
    start_dates: HashMap<i32, Option<String>>,
    missions: Option<Vec<Mission>>,
}

impl RefCache {
    pub fn clear(&mut self) {
        *self = RefCache::default();
    }

    fn size(&self) -> usize {
        self.exercises.len()
            + self.sources.len()
            + self.sessions.len()
            + self.findings.len()
            + self.themes.len()
            + self.parents.len()
            + self.start_dates.len()
    }

    /// The ids a row's slugs name, with a problem for each unknown one (the same problems, in
    /// the same order, as [`super::Codec::resolve`] for views).
    async fn resolve<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        row: &ViewRow,
        problems: &mut Vec<Problem>,
    ) -> ApiResult<Option<ViewFields>> {
        if self.size() > CACHE_LIMIT {
            self.clear();
        }
        let before = problems.len();
        let exercise_id = required(
            problems,
            "exercise",
            &row.exercise,
            "exercise",
            cached_id::<Exercises, C>(conn, &mut self.exercises, &row.exercise).await?,
        );
        let source_id = required(
            problems,
            "source",
            &row.source,
            "source document",
            cached_id::<SourceDocuments, C>(conn, &mut self.sources, &row.source).await?,
        );
        let session = match &row.session {
            None => None,
            Some(s) => required(
                problems,
                "session",
                s,
                "session",
                cached_pair::<Sessions, C>(
                    conn,
                    &mut self.sessions,
                    session::Column::ExerciseId,
                    s,
                )
                .await?,
            ),
        };
        let finding = match &row.finding {
            None => None,
            Some(f) => required(
                problems,
                "finding",
                f,
                "finding",
                cached_pair::<Findings, C>(
                    conn,
                    &mut self.findings,
                    finding::Column::ExerciseId,
                    f,
                )
                .await?,
            ),
        };
        let mut theme_ids = Vec::with_capacity(row.themes.len());
        for (i, t) in row.themes.iter().enumerate() {
            let id = cached_id::<Themes, C>(conn, &mut self.themes, t).await?;
            if let Some(id) = required(problems, &format!("themes[{i}]"), t, "theme", id) {
                theme_ids.push(id);
            }
        }
        if !row.missions.is_empty() {
            if self.missions.is_none() {
                self.missions = Some(db(entity::mission::Entity::find()
                    .select_only()
                    .column(entity::mission::Column::Code)
                    .into_tuple()
                    .all(conn)
                    .await)?);
            }
            let known = self.missions.as_deref().unwrap_or_default();
            for (i, m) in row.missions.iter().enumerate() {
                if !known.contains(m) {
                    problems.push(super::unknown_mission(i, *m));
                }
            }
        }
        if problems.len() > before {
            return Ok(None);
        }
        let (Some(exercise_id), Some(source_document_id)) = (exercise_id, source_id) else {
            return Ok(None);
        };
        Ok(Some(
            ViewFields {
                slug: row.slug.clone(),
                exercise_id,
                session_id: session.map(|(id, _)| id),
                finding_id: finding.map(|(id, _)| id),
                text: row.text.clone(),
                verbatim: row.verbatim,
                stance: row.stance,
                missions: row.missions.clone(),
                theme_ids,
                source_document_id,
                locator: row.locator.clone(),
                review_status: row.review_status,
            }
            .normalised(),
        ))
    }

    /// Whether two exercises are the same, or one is part of the other (as
    /// [`Views::validate`] decides it).
    async fn related<C: ConnectionTrait>(&mut self, conn: &C, a: i32, b: i32) -> ApiResult<bool> {
        if a == b {
            return Ok(true);
        }
        Ok(self.parent(conn, a).await? == Some(b) || self.parent(conn, b).await? == Some(a))
    }

    async fn start_date<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        id: i32,
    ) -> ApiResult<Option<String>> {
        if let Some(d) = self.start_dates.get(&id) {
            return Ok(d.clone());
        }
        let d: Option<Option<String>> = db(exercise::Entity::find_by_id(id)
            .select_only()
            .column(exercise::Column::StartDate)
            .into_tuple()
            .one(conn)
            .await)?;
        let d = d.flatten();
        self.start_dates.insert(id, d.clone());
        Ok(d)
    }

    async fn parent<C: ConnectionTrait>(&mut self, conn: &C, id: i32) -> ApiResult<Option<i32>> {
        if let Some(p) = self.parents.get(&id) {
            return Ok(*p);
        }
        let p: Option<Option<i32>> = db(exercise::Entity::find_by_id(id)
            .select_only()
            .column(exercise::Column::ParentId)
            .into_tuple()
            .one(conn)
            .await)?;
        let p = p.flatten();
        self.parents.insert(id, p);
        Ok(p)
    }
}

/// Records a problem when a required reference is unknown.
fn required<T>(
    problems: &mut Vec<Problem>,
    field: &str,
    slug: &str,
    what: &str,
    found: Option<T>,
) -> Option<T> {
    if found.is_none() {
        problems.push(super::unknown_slug(field, what, slug));
    }
    found
}

async fn cached_id<T: Record, C: ConnectionTrait>(
    conn: &C,
    map: &mut HashMap<String, Option<i32>>,
    slug: &str,
) -> ApiResult<Option<i32>> {
    if let Some(found) = map.get(slug) {
        return Ok(*found);
    }
    let found = id_by_slug::<T, C>(conn, slug).await?;
    map.insert(slug.to_string(), found);
    Ok(found)
}

async fn cached_pair<T: Record, C: ConnectionTrait>(
    conn: &C,
    map: &mut HashMap<String, Option<(i32, i32)>>,
    exercise_col: <T::Entity as EntityTrait>::Column,
    slug: &str,
) -> ApiResult<Option<(i32, i32)>> {
    if let Some(found) = map.get(slug) {
        return Ok(*found);
    }
    let found = db(T::Entity::find()
        .select_only()
        .column(T::ID)
        .column(exercise_col)
        .filter(T::SLUG.eq(slug))
        .into_tuple::<(i32, i32)>()
        .one(conn)
        .await)?;
    map.insert(slug.to_string(), found);
    Ok(found)
}

/// A view read, resolved and checked, waiting for its batch to be written.
struct Pending {
    line: u64,
    slug: String,
    external: Option<External>,
    /// Problems with the external key and the references.
    early: Vec<Problem>,
    /// `None` when a reference is unknown.
    fields: Option<ViewFields>,
    /// Problems with the fields themselves (reported after a slug conflict, as the per-row path
    /// does).
    late: Vec<Problem>,
}

/// Participant views waiting to be written; see the module documentation.
#[derive(Default)]
pub struct ViewBatch {
    rows: Vec<Pending>,
    slugs: HashSet<String>,
    externals: HashSet<(String, String)>,
    pub refs: RefCache,
}

impl ViewBatch {
    /// Reads, resolves and checks one view row; writes the batch when it is full.
    pub async fn push<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        report: &mut ImportReport,
        line: u64,
        row: &ViewRow,
        actor: Actor<'_>,
    ) -> ApiResult<()> {
        let external = <Views as super::Codec>::external(row);
        let repeats = self.slugs.contains(&row.slug)
            || external
                .as_ref()
                .is_some_and(|e| self.externals.contains(&(e.source.clone(), e.id.clone())));
        if repeats {
            self.flush(conn, report, actor).await?;
        }
        let mut early = Vec::new();
        if let Some(e) = &external {
            external_problems(e, &mut early);
        }
        let fields = self.refs.resolve(conn, row, &mut early).await?;
        let mut late = Vec::new();
        if let Some(f) = &fields {
            let mut checks = views::check_own(f);
            if let Some((_, exercise)) = row
                .session
                .as_ref()
                .and_then(|s| self.refs.sessions.get(s).copied().flatten())
            {
                if !self.refs.related(conn, exercise, f.exercise_id).await? {
                    checks.push(views::unrelated_session());
                }
            }
            if let Some((_, exercise)) = row
                .finding
                .as_ref()
                .and_then(|s| self.refs.findings.get(s).copied().flatten())
            {
                if !self.refs.related(conn, exercise, f.exercise_id).await? {
                    checks.push(views::unrelated_finding());
                }
            }
            late = checks
                .into_iter()
                .map(|p| Problem::new(row_field(&p.field), p.message))
                .collect();
        }
        self.slugs.insert(row.slug.clone());
        if let Some(e) = &external {
            self.externals.insert((e.source.clone(), e.id.clone()));
        }
        self.rows.push(Pending {
            line,
            slug: row.slug.clone(),
            external,
            early,
            fields,
            late,
        });
        if self.rows.len() >= BATCH {
            self.flush(conn, report, actor).await?;
        }
        Ok(())
    }

    /// Matches the pending rows with stored ones, reports the bad ones and writes the rest, in
    /// file order.
    pub async fn flush<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        report: &mut ImportReport,
        actor: Actor<'_>,
    ) -> ApiResult<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        self.slugs.clear();
        self.externals.clear();
        let mut by_slug = owners_by_slug(conn, &rows).await?;
        let by_external = owners_by_external(conn, &rows).await?;
        let mut creates: Vec<NewView> = Vec::new();
        for p in rows {
            let slug_owner = by_slug.get(&p.slug).copied();
            let existing = match &p.external {
                Some(e) => by_external.get(&(e.source.clone(), e.id.clone())).copied(),
                None => slug_owner,
            };
            let mut problems = p.early;
            if let Some(owner) = slug_owner {
                if Some(owner) != existing {
                    problems.push(Problem::new(
                        "slug",
                        format!("Another {} already has this slug", Views::KIND.type_name()),
                    ));
                }
            }
            problems.extend(p.late);
            let fields = match p.fields {
                Some(f) if problems.is_empty() => f,
                _ => {
                    reject(report, "view", p.line, problems);
                    continue;
                }
            };
            match existing {
                None => {
                    let start_date = self.refs.start_date(conn, fields.exercise_id).await?;
                    creates.push(NewView {
                        fields,
                        external: p.external,
                        start_date,
                    })
                }
                Some(_) if actor == Actor::Seed => report.count("view", slot(Outcome::Unchanged)),
                Some(id) => {
                    // Updates keep their place in the change log: the creates before them first.
                    create_all(conn, report, actor, std::mem::take(&mut creates)).await?;
                    let (model, before) = curation::current::<Views, C>(conn, id, None).await?;
                    let outcome =
                        curation::update_valid::<Views, C>(conn, actor, &model, &before, &fields)
                            .await?
                            .1;
                    if outcome == Outcome::Updated && before.slug != fields.slug {
                        // A renamed row frees its old slug for the rows after it.
                        if by_slug.get(&before.slug) == Some(&id) {
                            by_slug.remove(&before.slug);
                        }
                        by_slug.insert(fields.slug.clone(), id);
                    }
                    report.count("view", slot(outcome));
                }
            }
        }
        create_all(conn, report, actor, creates).await
    }
}

/// The ids of stored views holding the pending rows' slugs.
async fn owners_by_slug<C: ConnectionTrait>(
    conn: &C,
    rows: &[Pending],
) -> ApiResult<HashMap<String, i32>> {
    let slugs: Vec<&str> = rows.iter().map(|p| p.slug.as_str()).collect();
    if conn.get_database_backend() == DbBackend::Postgres {
        let keys: Vec<[&str; 1]> = slugs.iter().map(|s| [*s]).collect();
        return probe(conn, &keys, ["slug"], |r| {
            Ok((db(r.try_get("", "slug"))?, db(r.try_get("", "id"))?))
        })
        .await;
    }
    Ok(db(participant_view::Entity::find()
        .select_only()
        .column(participant_view::Column::Slug)
        .column(participant_view::Column::Id)
        .filter(participant_view::Column::Slug.is_in(slugs))
        .into_tuple::<(String, i32)>()
        .all(conn)
        .await)?
    .into_iter()
    .collect())
}

/// The ids of stored views holding the pending rows' external keys.
async fn owners_by_external<C: ConnectionTrait>(
    conn: &C,
    rows: &[Pending],
) -> ApiResult<HashMap<(String, String), i32>> {
    let keys: HashSet<(&str, &str)> = rows
        .iter()
        .filter_map(|p| p.external.as_ref())
        .map(|e| (e.source.as_str(), e.id.as_str()))
        .collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    if conn.get_database_backend() == DbBackend::Postgres {
        let keys: Vec<[&str; 2]> = keys.iter().map(|(s, i)| [*s, *i]).collect();
        return probe(conn, &keys, ["external_source", "external_id"], |r| {
            let key = (
                db(r.try_get("", "external_source"))?,
                db(r.try_get("", "external_id"))?,
            );
            Ok((key, db(r.try_get("", "id"))?))
        })
        .await;
    }
    let sources: HashSet<&str> = keys.iter().map(|k| k.0).collect();
    let ids: HashSet<&str> = keys.iter().map(|k| k.1).collect();
    // Both columns of the unique index filtered with IN: the index answers it on both backends.
    let found: Vec<(i32, Option<String>, Option<String>)> = db(participant_view::Entity::find()
        .select_only()
        .column(participant_view::Column::Id)
        .column(participant_view::Column::ExternalSource)
        .column(participant_view::Column::ExternalId)
        .filter(participant_view::Column::ExternalSource.is_in(sources))
        .filter(participant_view::Column::ExternalId.is_in(ids))
        .into_tuple()
        .all(conn)
        .await)?;
    Ok(found
        .into_iter()
        .filter_map(|(id, source, key)| Some(((source?, key?), id)))
        .collect())
}

/// How many keys one PostgreSQL probe statement carries (see [`probe`]).
const PROBE_CHUNK: usize = 1024;

/// On PostgreSQL, the stored views matching each of `keys` (one or two text columns each),
/// looked up by one index probe per key.
///
/// The plain `col IN (...)` form is planned from the table's statistics, which an import makes
/// stale within its own transaction: PostgreSQL then scanned every view (or every view of the
/// external source) and compared each against the whole list, a cost per batch that grows with
/// the table, over a third of the server's time by 30,000 imported views. A lateral subquery
/// with `LIMIT 1` on a unique key leaves the planner nothing to choose but the unique index.
async fn probe<C: ConnectionTrait, const N: usize, K: std::hash::Hash + Eq>(
    conn: &C,
    keys: &[[&str; N]],
    columns: [&str; N],
    read: impl Fn(&sea_orm::QueryResult) -> ApiResult<(K, i32)>,
) -> ApiResult<HashMap<K, i32>> {
    let matches: Vec<String> = (1..=N)
        .map(|i| format!("{} = k.c{i}", columns[i - 1]))
        .collect();
    let names: Vec<String> = (1..=N).map(|i| format!("c{i}")).collect();
    let outer: Vec<String> = columns.iter().map(|c| format!("v.{c}")).collect();
    let mut found = HashMap::new();
    for chunk in shaped(keys, PROBE_CHUNK) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|row| {
                let params: Vec<String> = (1..=N).map(|i| format!("${}", row * N + i)).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "SELECT v.id, {} FROM (VALUES {}) AS k({}) CROSS JOIN LATERAL \
             (SELECT id, {} FROM participant_view WHERE {} LIMIT 1) AS v",
            outer.join(", "),
            tuples.join(", "),
            names.join(", "),
            columns.join(", "),
            matches.join(" AND "),
        );
        let values = chunk
            .iter()
            .flat_map(|k| k.iter().map(|c| sea_orm::Value::from(c.to_string())));
        let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
        for row in db(conn.query_all_raw(statement).await)? {
            let (key, id) = read(&row)?;
            found.insert(key, id);
        }
    }
    Ok(found)
}

/// A view to create, checked.
struct NewView {
    fields: ViewFields,
    external: Option<External>,
    /// Its exercise's start date, which the row stores for the date orders.
    start_date: Option<String>,
}

/// Writes new views with multi-row inserts: the rows, their tags and their change-log entries,
/// in the order given.
async fn create_all<C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    actor: Actor<'_>,
    rows: Vec<NewView>,
) -> ApiResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    // RETURNING promises no order: match the ids back by slug (unique within a batch).
    let mut ids = HashMap::with_capacity(rows.len());
    insert_views(conn, &rows, now, &mut ids).await?;
    write_rest(conn, report, actor, &rows, &ids).await
}

/// Inserts new views, recording each one's id by slug.
///
/// Each row carries its exercise's start date (the column has no place in the entity: the
/// database keeps it, for the date orders). SQLite's insert trigger copies it only when it
/// differs (see migration `m20261204_000015`), so each row is written once; PostgreSQL's
/// trigger sets it before the row is written either way.
async fn insert_views<C: ConnectionTrait>(
    conn: &C,
    rows: &[NewView],
    now: chrono::DateTime<Utc>,
    ids: &mut HashMap<String, i32>,
) -> ApiResult<()> {
    use participant_view::Column as V;
    let columns = [
        V::Slug.as_str(),
        V::ExerciseId.as_str(),
        V::SessionId.as_str(),
        V::FindingId.as_str(),
        V::Text.as_str(),
        V::IsVerbatim.as_str(),
        V::Stance.as_str(),
        V::SourceDocumentId.as_str(),
        V::Locator.as_str(),
        V::CreatedAt.as_str(),
        V::UpdatedAt.as_str(),
        V::Version.as_str(),
        V::ExternalSource.as_str(),
        V::ExternalId.as_str(),
        V::ReviewStatus.as_str(),
        "exercise_start_date",
    ];
    let values = rows.iter().map(
        |NewView {
             fields: f,
             external,
             start_date,
         }| {
            vec![
                f.slug.clone().into(),
                f.exercise_id.into(),
                f.session_id.into(),
                f.finding_id.into(),
                f.text.clone().into(),
                f.verbatim.into(),
                f.stance.into(),
                f.source_document_id.into(),
                f.locator.clone().into(),
                now.into(),
                now.into(),
                1i64.into(),
                external.as_ref().map(|e| e.source.clone()).into(),
                external.as_ref().map(|e| e.id.clone()).into(),
                f.review_status.into(),
                start_date.clone().into(),
            ]
        },
    );
    let table = participant_view::Entity.table_name();
    for r in insert_rows(conn, table, &columns, values.collect(), "id, slug").await? {
        let id: i32 = db(r.try_get("", "id"))?;
        let slug: String = db(r.try_get("", "slug"))?;
        ids.insert(slug, id);
    }
    Ok(())
}

/// Inserts `models` (each with the same columns set) with multi-row inserts.
async fn insert_models<A: ActiveModelTrait, C: ConnectionTrait>(
    conn: &C,
    mut models: Vec<A>,
) -> ApiResult<()> {
    let Some(first) = models.first() else {
        return Ok(());
    };
    let columns: Vec<<A::Entity as EntityTrait>::Column> =
        <<A::Entity as EntityTrait>::Column as Iterable>::iter()
            .filter(|c| first.get(*c).is_set())
            .collect();
    let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
    let rows = models
        .iter_mut()
        .map(|m| {
            columns
                .iter()
                .map(|c| m.take(*c).into_value())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    tracing::error!("bulk import: rows of one insert set different columns");
                    ApiError::Internal
                })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let table = A::Entity::default().table_name();
    insert_rows(conn, table, &names, rows, "").await?;
    Ok(())
}

/// Inserts `rows` (each one value per column) into `table`, returning the `returning` columns
/// of each row (none when empty).
///
/// `VALUES` lists of parameters, the statement's text written here, once per chunk, instead of
/// through the query builder: measured on a 100,000-view import, building the statements and
/// copying their values on the way was a quarter of SQLite's import time. Chunks have sizes
/// that are powers of two (see [`shaped`]), so an import prepares a handful of distinct
/// statements, each under both backends' limits on parameters.
///
/// Tried and not kept on SQLite: the rows as one JSON parameter unpacked by `json_each` (13 %
/// slower import than the parameters; each row was turned back into text and parsed again for
/// each column) or `jsonb_each` (3 % slower). On PostgreSQL, unpacking JSON cost the server
/// more than the parameters (measured 2026-12-04), and there the server is the bottleneck.
async fn insert_rows<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<sea_orm::Value>>,
    returning: &str,
) -> ApiResult<Vec<sea_orm::QueryResult>> {
    let names = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let returning = if returning.is_empty() {
        String::new()
    } else {
        format!(" RETURNING {returning}")
    };
    let per_row = columns.len();
    let backend = conn.get_database_backend();
    // SQLite: anonymous `?`. A `$n` is a named parameter there, and SQLite looks each new name
    // up among those before it while parsing: thousands of them made every insert cost seconds.
    let param = |n: usize| match backend {
        DbBackend::Sqlite => "?".to_string(),
        _ => format!("${n}"),
    };
    let mut found = Vec::new();
    let mut rows = rows.into_iter();
    for size in chunk_sizes(rows.len(), MAX_PARAMS / per_row) {
        let tuples = (0..size)
            .map(|r| {
                let params = (1..=per_row)
                    .map(|c| param(r * per_row + c))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("({params})")
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO \"{table}\" ({names}) VALUES {tuples}{returning}");
        let values: Vec<sea_orm::Value> = rows.by_ref().take(size).flatten().collect();
        let statement = Statement::from_sql_and_values(backend, sql, values);
        found.extend(db(conn.query_all_raw(statement).await)?);
    }
    Ok(found)
}

/// The most parameters one insert binds (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_PARAMS: usize = 16_384;

/// `items` in consecutive chunks whose sizes are powers of two, none larger than `max`: any
/// number of rows is written with at most log2(`max`) + 1 distinct statement shapes.
fn shaped<T>(mut items: &[T], max: usize) -> Vec<&[T]> {
    let mut chunks = Vec::new();
    for n in chunk_sizes(items.len(), max) {
        let (head, tail) = items.split_at(n);
        chunks.push(head);
        items = tail;
    }
    chunks
}

/// The sizes of [`shaped`]'s chunks of `len` items.
fn chunk_sizes(mut len: usize, max: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    while len > 0 {
        let n = max.min(1 << len.ilog2());
        sizes.push(n);
        len -= n;
    }
    sizes
}

/// Continues [`create_all`]: the new views' tags and change-log entries.
async fn write_rest<C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    actor: Actor<'_>,
    rows: &[NewView],
    ids: &HashMap<String, i32>,
) -> ApiResult<()> {
    let mut missions = Vec::new();
    let mut themes = Vec::new();
    let mut log = Vec::with_capacity(rows.len());
    let mut public_seq = curation::next_public_seq(conn).await?;
    for NewView { fields: f, .. } in rows {
        let id = *ids.get(&f.slug).ok_or_else(|| {
            tracing::error!(slug = %f.slug, "bulk import: an inserted view returned no id");
            ApiError::Internal
        })?;
        missions.extend(f.missions.iter().map(|m| view_mission::ActiveModel {
            view_id: Set(id),
            mission_code: Set(*m),
        }));
        themes.extend(f.theme_ids.iter().map(|t| view_theme::ActiveModel {
            view_id: Set(id),
            theme_id: Set(*t),
        }));
        if let Some(actor) = actor.logged() {
            let mut entry =
                curation::change_entry::<Views>(actor, id, ChangeKind::Create, 1, None, Some(f))?;
            // Set on every entry (to none for a draft): the rows of one insert set the same
            // columns.
            entry.public_seq = Set(Views::visible(f).then_some(public_seq));
            if Views::visible(f) {
                public_seq += 1;
            }
            log.push(entry);
        }
        report.count("view", slot(Outcome::Created));
    }
    insert_models(conn, missions).await?;
    insert_models(conn, themes).await?;
    // Rows in file order: sequence numbers follow the file.
    insert_models(conn, log).await
}
