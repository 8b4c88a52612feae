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
//! - new rows are written with multi-row inserts ([`rows_statements`]): the views (with ids the
//!   importer chooses, see [`pipeline`]), their mission and theme tags, and their change-log
//!   entries, in file order; the database writes one batch while the next is built.
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
use tokio::sync::{mpsc, oneshot};

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
    /// Its exercise's start date, which a new row stores for the date orders.
    start_date: Option<String>,
}

impl Pending {
    /// Whether the row has no problem of its own (it may still match a stored row).
    fn clean(&self) -> bool {
        self.fields.is_some() && self.early.is_empty() && self.late.is_empty()
    }
}

/// What the [`ViewBatch`] hands its [`Executor`]: statements, run in the order given.
enum Job {
    Execute(Statement),
    Query(Statement, oneshot::Sender<Vec<sea_orm::QueryResult>>),
    /// Answered once every job before it has run.
    Drained(oneshot::Sender<()>),
}

/// The bulk path in two parts that run side by side in one task (`tokio::join!`, see
/// [`with_executor`]): the [`ViewBatch`] reads, checks and turns batches into statements, and the
/// [`Executor`] runs them on the import's transaction, in order.
///
/// Run one after the other, as they were, each waited for the other: on a 100,000-view import
/// SQLite's thread was busy 61 % of the time and this one 33 %, and PostgreSQL's backend 10 of
/// the 12 s. Now, while the database writes a batch, this thread builds the next one: a batch's
/// lookups (by slug and by external key) are queued behind every earlier write, and while they
/// wait its inserts are built as if every row were new. That is what a large import is, and
/// then they are queued as they are; a batch with a row that is stored already or has a problem
/// takes the path row by row ([`write_batch`]) once everything before it is written.
///
/// For the inserts to be built before the database answers, a new view's id is chosen here
/// rather than returned by the insert: on SQLite the next ids after the largest ever given
/// (the import's transaction holds the only write lock, taken by [`curation::begin`]); on
/// PostgreSQL ids drawn from the table's sequence, a batch ahead. Change-log sequence numbers
/// are counted on from the last one likewise (every writer takes the write clock first, so none
/// writes between). Both are read again after anything else writes.
pub fn pipeline() -> (ViewBatch, Executor) {
    let (jobs, queue) = mpsc::unbounded_channel();
    let batch = ViewBatch {
        rows: Vec::with_capacity(BATCH),
        slugs: HashSet::new(),
        externals: HashSet::new(),
        refs: RefCache::default(),
        jobs,
        next_id: None,
        ids: Vec::new(),
        more_ids: None,
        public_seq: None,
        since_yield: 0,
    };
    (batch, Executor { queue })
}

/// Runs `read` (which pushes views into the [`ViewBatch`] it owns) and `executor` side by side.
/// The executor's error comes first: the reading side's is then only that the executor stopped.
pub async fn with_executor<C: ConnectionTrait>(
    conn: &C,
    executor: Executor,
    read: impl std::future::Future<Output = ApiResult<()>>,
) -> ApiResult<()> {
    let (read, ran) = tokio::join!(read, executor.run(conn));
    ran?;
    read
}

/// Runs the statements a [`ViewBatch`] queues; see [`pipeline`].
pub struct Executor {
    queue: mpsc::UnboundedReceiver<Job>,
}

impl Executor {
    /// Runs every job until the [`ViewBatch`] is dropped, stopping at the first error.
    async fn run<C: ConnectionTrait>(mut self, conn: &C) -> ApiResult<()> {
        while let Some(job) = self.queue.recv().await {
            match job {
                Job::Execute(statement) => {
                    db(conn.execute_raw(statement).await)?;
                }
                Job::Query(statement, answer) => {
                    let rows = db(conn.query_all_raw(statement).await)?;
                    let _ = answer.send(rows);
                }
                Job::Drained(done) => {
                    let _ = done.send(());
                }
            }
        }
        Ok(())
    }
}

/// The executor stopped (its own error is the one reported, see [`with_executor`]).
fn executor_gone<T>(_: T) -> ApiError {
    tracing::error!("bulk import: the executor of the views' statements stopped");
    ApiError::Internal
}

/// How many rows are read between two chances for the executor to send its next statement.
const YIELD_EVERY: u32 = 64;

/// Participant views waiting to be written; see the module documentation and [`pipeline`].
pub struct ViewBatch {
    rows: Vec<Pending>,
    slugs: HashSet<String>,
    externals: HashSet<(String, String)>,
    pub refs: RefCache,
    jobs: mpsc::UnboundedSender<Job>,
    /// SQLite: the next view's id, once read.
    next_id: Option<i32>,
    /// PostgreSQL: ids drawn from the sequence and not used yet, and the next draw on its way.
    ids: Vec<i32>,
    more_ids: Option<oneshot::Receiver<Vec<sea_orm::QueryResult>>>,
    /// The next change-log entry's public sequence number, once read.
    public_seq: Option<i64>,
    since_yield: u32,
}

/// A batch's statements, built as if every row were new; see [`pipeline`].
struct Inserts {
    statements: Vec<Statement>,
    /// How many new ids they use.
    ids: usize,
    /// The next public sequence number after the batch's change-log entries.
    public_seq: Option<i64>,
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
            self.send(conn, report, actor).await?;
        }
        let mut early = Vec::new();
        if let Some(e) = &external {
            external_problems(e, &mut early);
        }
        // Reference lookups go straight to the transaction: they read nothing the queued
        // statements write.
        let fields = self.refs.resolve(conn, row, &mut early).await?;
        let mut late = Vec::new();
        let mut start_date = None;
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
            start_date = self.refs.start_date(conn, f.exercise_id).await?;
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
            start_date,
        });
        if self.rows.len() >= BATCH {
            self.send(conn, report, actor).await?;
        }
        self.since_yield += 1;
        if self.since_yield >= YIELD_EVERY {
            self.since_yield = 0;
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    /// Writes the pending rows and waits until every view pushed so far is written (before a
    /// row of another type, which may write the change log too, and at the end).
    pub async fn flush<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        report: &mut ImportReport,
        actor: Actor<'_>,
    ) -> ApiResult<()> {
        self.send(conn, report, actor).await?;
        self.drained().await?;
        self.public_seq = None;
        Ok(())
    }

    fn queue(&self, job: Job) -> ApiResult<()> {
        self.jobs.send(job).map_err(executor_gone)
    }

    /// Queues a query; its rows come back on the receiver.
    fn ask(&self, statement: Statement) -> ApiResult<oneshot::Receiver<Vec<sea_orm::QueryResult>>> {
        let (answer, rows) = oneshot::channel();
        self.queue(Job::Query(statement, answer))?;
        Ok(rows)
    }

    async fn answer(
        rows: oneshot::Receiver<Vec<sea_orm::QueryResult>>,
    ) -> ApiResult<Vec<sea_orm::QueryResult>> {
        rows.await.map_err(executor_gone)
    }

    /// Queues a query of one integer (column `next`) and waits for it; 1 when it finds no row.
    async fn next(&self, statement: Statement) -> ApiResult<i64> {
        match Self::answer(self.ask(statement)?).await?.first() {
            Some(r) => db(r.try_get("", "next")),
            None => Ok(1),
        }
    }

    /// Waits until every queued statement has run.
    async fn drained(&self) -> ApiResult<()> {
        let (done, drained) = oneshot::channel();
        self.queue(Job::Drained(done))?;
        drained.await.map_err(executor_gone)
    }

    /// Matches the pending rows with stored ones and writes them: queued as built when every
    /// row is new and clean, row by row otherwise (see [`pipeline`]).
    async fn send<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        report: &mut ImportReport,
        actor: Actor<'_>,
    ) -> ApiResult<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::replace(&mut self.rows, Vec::with_capacity(BATCH));
        self.slugs.clear();
        self.externals.clear();
        let backend = conn.get_database_backend();
        let by_slug = self.ask_all(owners_by_slug(backend, &rows))?;
        let by_external = self.ask_all(owners_by_external(backend, &rows))?;
        let inserts = if rows.iter().all(Pending::clean) {
            Some(self.inserts(backend, &rows, actor).await?)
        } else {
            None
        };
        let mut by_slug = read_owners(by_slug, |r| db(r.try_get("", "slug"))).await?;
        let by_external = read_owners(by_external, |r| {
            Ok((
                db(r.try_get("", "external_source"))?,
                db(r.try_get("", "external_id"))?,
            ))
        })
        .await?;
        match inserts {
            Some(inserts) if !rows.iter().any(|p| stored(p, &by_slug, &by_external)) => {
                for statement in inserts.statements {
                    self.queue(Job::Execute(statement))?;
                }
                match backend {
                    DbBackend::Sqlite => {
                        self.next_id = self.next_id.map(|id| id + inserts.ids as i32);
                    }
                    _ => {
                        self.ids.drain(..inserts.ids);
                    }
                }
                if inserts.public_seq.is_some() {
                    self.public_seq = inserts.public_seq;
                }
                for _ in 0..rows.len() {
                    report.count("view", slot(Outcome::Created));
                }
                Ok(())
            }
            _ => {
                self.drained().await?;
                let written =
                    write_batch(conn, report, actor, rows, &mut by_slug, &by_external).await;
                self.next_id = None;
                self.public_seq = None;
                written
            }
        }
    }

    /// Queues each statement; their rows come back together.
    fn ask_all(
        &self,
        statements: Vec<Statement>,
    ) -> ApiResult<Vec<oneshot::Receiver<Vec<sea_orm::QueryResult>>>> {
        statements.into_iter().map(|s| self.ask(s)).collect()
    }

    /// The first of `n` ids for new views (SQLite), or `n` ids (PostgreSQL), without taking
    /// them: [`Self::send`] does once they are used.
    async fn new_ids(&mut self, backend: DbBackend, n: usize) -> ApiResult<Vec<i32>> {
        if backend == DbBackend::Sqlite {
            let first = match self.next_id {
                Some(id) => id,
                None => {
                    let next = self
                        .next(Statement::from_string(
                            backend,
                            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence \
                             WHERE name = 'participant_view'), 0), \
                             COALESCE((SELECT MAX(id) FROM participant_view), 0)) + 1 AS next",
                        ))
                        .await?;
                    let next = i32::try_from(next).map_err(|_| ApiError::Internal)?;
                    self.next_id = Some(next);
                    next
                }
            };
            return Ok((first..first + n as i32).collect());
        }
        while self.ids.len() < n {
            let more = match self.more_ids.take() {
                Some(more) => more,
                None => self.ask(draw_ids(BATCH))?,
            };
            for r in Self::answer(more).await? {
                self.ids.push(db(r.try_get("", "id"))?);
            }
        }
        // The next batch's ids, drawn while this one is written.
        if self.more_ids.is_none() {
            self.more_ids = Some(self.ask(draw_ids(BATCH))?);
        }
        Ok(self.ids[..n].to_vec())
    }

    /// The next public sequence number of the change log.
    async fn public_seq(&mut self, backend: DbBackend) -> ApiResult<i64> {
        if let Some(seq) = self.public_seq {
            return Ok(seq);
        }
        let next = self
            .next(curation::next_public_seq_statement(backend))
            .await?;
        self.public_seq = Some(next);
        Ok(next)
    }

    /// The statements that create every row of a clean batch: the views (with their ids), their
    /// tags and their change-log entries, in file order.
    async fn inserts(
        &mut self,
        backend: DbBackend,
        rows: &[Pending],
        actor: Actor<'_>,
    ) -> ApiResult<Inserts> {
        let ids = self.new_ids(backend, rows.len()).await?;
        let public_seq = match actor.logged() {
            Some(_) => Some(self.public_seq(backend).await?),
            None => None,
        };
        let now = Utc::now();
        let new: Vec<NumberedView> = rows
            .iter()
            .zip(&ids)
            .filter_map(|(p, id)| {
                Some(NumberedView {
                    id: *id,
                    fields: p.fields.as_ref()?,
                    external: p.external.as_ref(),
                    start_date: p.start_date.as_ref(),
                })
            })
            .collect();
        let mut statements = view_statements(backend, &new, now);
        tokio::task::yield_now().await;
        let tagged: Vec<(i32, &ViewFields)> = new.iter().map(|v| (v.id, v.fields)).collect();
        let (rest, public_seq) = rest_statements(backend, actor, &tagged, public_seq)?;
        statements.extend(rest);
        Ok(Inserts {
            statements,
            ids: ids.len(),
            public_seq,
        })
    }
}

/// A statement drawing `n` ids from the views' sequence (PostgreSQL).
fn draw_ids(n: usize) -> Statement {
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT nextval(pg_get_serial_sequence('participant_view', 'id'))::int4 AS id \
         FROM generate_series(1, $1)",
        [(n as i64).into()],
    )
}

/// Whether a stored view holds the row's slug or external key.
fn stored(
    p: &Pending,
    by_slug: &HashMap<String, i32>,
    by_external: &HashMap<(String, String), i32>,
) -> bool {
    by_slug.contains_key(&p.slug)
        || p.external
            .as_ref()
            .is_some_and(|e| by_external.contains_key(&(e.source.clone(), e.id.clone())))
}

/// Reads the owners found by [`owners_by_slug`] or [`owners_by_external`].
async fn read_owners<K: std::hash::Hash + Eq>(
    answers: Vec<oneshot::Receiver<Vec<sea_orm::QueryResult>>>,
    key: impl Fn(&sea_orm::QueryResult) -> ApiResult<K>,
) -> ApiResult<HashMap<K, i32>> {
    let mut found = HashMap::new();
    for answer in answers {
        for r in ViewBatch::answer(answer).await? {
            found.insert(key(&r)?, db(r.try_get("", "id"))?);
        }
    }
    Ok(found)
}

/// Writes a batch row by row where it must (a row stored already, or with a problem): reports
/// the bad ones, updates the stored ones and creates the rest, in file order. `by_slug` and
/// `by_external` are the stored owners of the batch's keys.
async fn write_batch<C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    actor: Actor<'_>,
    rows: Vec<Pending>,
    by_slug: &mut HashMap<String, i32>,
    by_external: &HashMap<(String, String), i32>,
) -> ApiResult<()> {
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
            None => creates.push(NewView {
                fields,
                external: p.external,
                start_date: p.start_date,
            }),
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

/// The statements finding the stored views holding the pending rows' slugs (columns `slug`,
/// `id`).
fn owners_by_slug(backend: DbBackend, rows: &[Pending]) -> Vec<Statement> {
    let slugs: Vec<&str> = rows.iter().map(|p| p.slug.as_str()).collect();
    if backend == DbBackend::Postgres {
        let keys: Vec<[&str; 1]> = slugs.iter().map(|s| [*s]).collect();
        return probe(&keys, ["slug"]);
    }
    let params = vec!["?"; slugs.len()].join(", ");
    vec![Statement::from_sql_and_values(
        backend,
        format!("SELECT slug, id FROM participant_view WHERE slug IN ({params})"),
        slugs.iter().map(|s| sea_orm::Value::from(s.to_string())),
    )]
}

/// The statements finding the stored views holding the pending rows' external keys (columns
/// `external_source`, `external_id`, `id`).
fn owners_by_external(backend: DbBackend, rows: &[Pending]) -> Vec<Statement> {
    let keys: HashSet<(&str, &str)> = rows
        .iter()
        .filter_map(|p| p.external.as_ref())
        .map(|e| (e.source.as_str(), e.id.as_str()))
        .collect();
    if keys.is_empty() {
        return Vec::new();
    }
    if backend == DbBackend::Postgres {
        let keys: Vec<[&str; 2]> = keys.iter().map(|(s, i)| [*s, *i]).collect();
        return probe(&keys, ["external_source", "external_id"]);
    }
    let sources: HashSet<&str> = keys.iter().map(|k| k.0).collect();
    let ids: HashSet<&str> = keys.iter().map(|k| k.1).collect();
    // Both columns of the unique index filtered with IN: the index answers it. A pair may
    // match across two keys (one's source, another's id): such a row is no owner of either.
    let sql = format!(
        "SELECT id, external_source, external_id FROM participant_view \
         WHERE external_source IN ({}) AND external_id IN ({})",
        vec!["?"; sources.len()].join(", "),
        vec!["?"; ids.len()].join(", "),
    );
    let values = sources
        .iter()
        .chain(ids.iter())
        .map(|s| sea_orm::Value::from(s.to_string()));
    vec![Statement::from_sql_and_values(backend, sql, values)]
}

/// How many keys one PostgreSQL probe statement carries (see [`probe`]).
const PROBE_CHUNK: usize = 1024;

/// On PostgreSQL, the statements finding the stored views matching each of `keys` (one or two
/// text columns each), looked up by one index probe per key.
///
/// The plain `col IN (...)` form is planned from the table's statistics, which an import makes
/// stale within its own transaction: PostgreSQL then scanned every view (or every view of the
/// external source) and compared each against the whole list, a cost per batch that grows with
/// the table, over a third of the server's time by 30,000 imported views. A lateral subquery
/// with `LIMIT 1` on a unique key leaves the planner nothing to choose but the unique index.
fn probe<const N: usize>(keys: &[[&str; N]], columns: [&str; N]) -> Vec<Statement> {
    let matches: Vec<String> = (1..=N)
        .map(|i| format!("{} = k.c{i}", columns[i - 1]))
        .collect();
    let names: Vec<String> = (1..=N).map(|i| format!("c{i}")).collect();
    let outer: Vec<String> = columns.iter().map(|c| format!("v.{c}")).collect();
    shaped(keys, PROBE_CHUNK)
        .into_iter()
        .map(|chunk| {
            let tuples: Vec<String> = (0..chunk.len())
                .map(|row| {
                    let params: Vec<String> =
                        (1..=N).map(|i| format!("${}", row * N + i)).collect();
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
            Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
        })
        .collect()
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
    let values = rows
        .iter()
        .map(|v| view_values(&v.fields, v.external.as_ref(), v.start_date.as_ref(), now));
    let table = participant_view::Entity.table_name();
    let backend = conn.get_database_backend();
    for statement in rows_statements(
        backend,
        table,
        &VIEW_COLUMNS,
        values.collect(),
        "id, slug",
        &[],
    ) {
        for r in db(conn.query_all_raw(statement).await)? {
            let id: i32 = db(r.try_get("", "id"))?;
            let slug: String = db(r.try_get("", "slug"))?;
            ids.insert(slug, id);
        }
    }
    Ok(())
}

/// The columns a new view is written with, after its id (see [`view_values`]).
const VIEW_COLUMNS: [&str; 16] = [
    "slug",
    "exercise_id",
    "session_id",
    "finding_id",
    "text",
    "is_verbatim",
    "stance",
    "source_document_id",
    "locator",
    "created_at",
    "updated_at",
    "version",
    "external_source",
    "external_id",
    "review_status",
    "exercise_start_date",
];

/// A new view's values for [`VIEW_COLUMNS`].
fn view_values(
    f: &ViewFields,
    external: Option<&External>,
    start_date: Option<&String>,
    now: chrono::DateTime<Utc>,
) -> Vec<sea_orm::Value> {
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
        external.map(|e| e.source.clone()).into(),
        external.map(|e| e.id.clone()).into(),
        f.review_status.into(),
        start_date.cloned().into(),
    ]
}

/// A new view with the id the importer chose for it (see [`pipeline`]).
struct NumberedView<'a> {
    id: i32,
    fields: &'a ViewFields,
    external: Option<&'a External>,
    start_date: Option<&'a String>,
}

/// The inserts of new views with the ids given (see [`pipeline`]).
fn view_statements(
    backend: DbBackend,
    new: &[NumberedView],
    now: chrono::DateTime<Utc>,
) -> Vec<Statement> {
    let mut columns = vec!["id"];
    columns.extend(VIEW_COLUMNS);
    let rows = new
        .iter()
        .map(|v| {
            let mut values = Vec::with_capacity(columns.len());
            values.push(v.id.into());
            values.extend(view_values(v.fields, v.external, v.start_date, now));
            values
        })
        .collect();
    rows_statements(
        backend,
        participant_view::Entity.table_name(),
        &columns,
        rows,
        "",
        &[],
    )
}

/// The multi-row inserts of `models` (each with the same columns set).
fn model_statements<A: ActiveModelTrait>(
    backend: DbBackend,
    mut models: Vec<A>,
) -> ApiResult<Vec<Statement>> {
    let Some(first) = models.first() else {
        return Ok(Vec::new());
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
    if backend != DbBackend::Postgres {
        return Ok(rows_statements(backend, table, &names, rows, "", &[]));
    }
    // PostgreSQL: JSON goes as text cast to `json`. Bound as JSON, sqlx sends `jsonb`, which the
    // server parsed, printed and parsed again into the `json` column (4 % of its CPU in an
    // import).
    let json: Vec<bool> = rows
        .first()
        .map(|r| {
            r.iter()
                .map(|v| matches!(v, sea_orm::Value::Json(_)))
                .collect()
        })
        .unwrap_or_default();
    let casts: Vec<&str> = json
        .iter()
        .map(|j| if *j { "::json" } else { "" })
        .collect();
    let rows = rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| match v {
                    sea_orm::Value::Json(j) => sea_orm::Value::String(j.map(|j| j.to_string())),
                    v => v,
                })
                .collect()
        })
        .collect();
    Ok(rows_statements(backend, table, &names, rows, "", &casts))
}

/// The inserts of `rows` (each one value per column) into `table`, returning the `returning`
/// columns of each row (none when empty); on PostgreSQL each column's parameter is followed by
/// its entry in `casts`, if any.
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
fn rows_statements(
    backend: DbBackend,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<sea_orm::Value>>,
    returning: &str,
    casts: &[&str],
) -> Vec<Statement> {
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
    // SQLite: anonymous `?`. A `$n` is a named parameter there, and SQLite looks each new name
    // up among those before it while parsing: thousands of them made every insert cost seconds.
    let param = |n: usize| match backend {
        DbBackend::Sqlite => "?".to_string(),
        _ => format!("${n}{}", casts.get((n - 1) % per_row).unwrap_or(&"")),
    };
    let mut statements = Vec::new();
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
        statements.push(Statement::from_sql_and_values(backend, sql, values));
    }
    statements
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
    let new = rows
        .iter()
        .map(|NewView { fields: f, .. }| {
            let id = *ids.get(&f.slug).ok_or_else(|| {
                tracing::error!(slug = %f.slug, "bulk import: an inserted view returned no id");
                ApiError::Internal
            })?;
            Ok((id, f))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let public_seq = match actor.logged() {
        Some(_) => Some(curation::next_public_seq(conn).await?),
        None => None,
    };
    let (statements, _) = rest_statements(conn.get_database_backend(), actor, &new, public_seq)?;
    for statement in statements {
        db(conn.execute_raw(statement).await)?;
    }
    for _ in rows {
        report.count("view", slot(Outcome::Created));
    }
    Ok(())
}

/// The inserts of new views' (with their ids) mission and theme tags and change-log entries
/// (numbered from `public_seq` when the actor is logged), in file order; and the public
/// sequence number after them.
fn rest_statements(
    backend: DbBackend,
    actor: Actor<'_>,
    new: &[(i32, &ViewFields)],
    mut public_seq: Option<i64>,
) -> ApiResult<(Vec<Statement>, Option<i64>)> {
    let mut missions = Vec::new();
    let mut themes = Vec::new();
    let mut log = Vec::with_capacity(new.len());
    for (id, f) in new {
        missions.extend(f.missions.iter().map(|m| view_mission::ActiveModel {
            view_id: Set(*id),
            mission_code: Set(*m),
        }));
        themes.extend(f.theme_ids.iter().map(|t| view_theme::ActiveModel {
            view_id: Set(*id),
            theme_id: Set(*t),
        }));
        if let (Some(actor), Some(seq)) = (actor.logged(), public_seq.as_mut()) {
            let mut entry =
                curation::change_entry::<Views>(actor, *id, ChangeKind::Create, 1, None, Some(f))?;
            // Set on every entry (to none for a draft): the rows of one insert set the same
            // columns.
            entry.public_seq = Set(Views::visible(f).then_some(*seq));
            if Views::visible(f) {
                *seq += 1;
            }
            log.push(entry);
        }
    }
    let mut statements = model_statements(backend, missions)?;
    statements.extend(model_statements(backend, themes)?);
    // Rows in file order: sequence numbers follow the file.
    statements.extend(model_statements(backend, log)?);
    Ok((statements, public_seq))
}
