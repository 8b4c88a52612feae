//! The read engine: an in-memory facet index of participant views ([`index`]) per server
//! process, so that filtered lists, totals and evidence-map cells are bitmap algebra instead of
//! SQL over the tag tables.
//!
//! It is built at start by streaming the facet columns from the database, then kept current
//! from the change log: it remembers the last sequence number it applied, and a refresh reads
//! the entries after it and reloads the rows they name (a deleted row leaves the index). The
//! write path refreshes after its commit, before answering, so a writer reads its own writes;
//! other replicas refresh when the hub hears PostgreSQL's NOTIFY; a timer (every
//! `PUBLIC_VOICE_ENGINE_POLL_MS`) catches writes made by another process, such as the `import`
//! command on the same SQLite file. Readers use the index only while it is `ready`; when it is
//! building, failed or behind (a refresh failed), every read path answers from SQL as before.
//!
//! Only changes recorded in the change log reach the index: a row edited by hand in the database
//! is not seen until the next start.

pub mod index;
pub(crate) mod memo;

use crate::errors::ApiResult;
use crate::ids::NodeKind;
pub use index::{Dim, ExerciseRow, Index, Parent, Start, ViewQuery, ViewRow, Walk, CLASSES};
pub use memo::{volatile, Ranked, Volatile};
use roaring::RoaringBitmap;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Statement,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The state of the engine, for `/ready` and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineState {
    /// Turned off by `PUBLIC_VOICE_ENGINE=false`: every read is SQL.
    Disabled,
    /// Being built; reads are SQL meanwhile.
    Building,
    /// Current as of `applied_seq`; reads use it.
    Ready,
    /// The last refresh failed, so the index may miss changes; reads are SQL until a refresh
    /// succeeds.
    Behind,
    /// The build failed; reads are SQL, and the build is retried on the next refresh.
    Failed,
}

impl EngineState {
    pub fn as_str(self) -> &'static str {
        match self {
            EngineState::Disabled => "disabled",
            EngineState::Building => "building",
            EngineState::Ready => "ready",
            EngineState::Behind => "behind",
            EngineState::Failed => "failed",
        }
    }
}

/// What [`Engine::status`] reports.
#[derive(Clone, Debug)]
pub struct EngineStatus {
    pub state: EngineState,
    /// The last change-log sequence number applied (0 before the first build).
    pub applied_seq: i64,
    /// How many participant views the index holds (drafts included).
    pub views: u64,
    /// How many findings the index holds (drafts included).
    pub findings: u64,
    /// How long the last full build took.
    pub build_time: Option<Duration>,
    /// When the last successful refresh (or build) finished.
    pub refreshed_at: Option<Instant>,
    /// The last error, when the state is `Behind` or `Failed`.
    pub last_error: Option<String>,
}

/// This process's read engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// The two indexes: participant views, and findings.
#[derive(Default)]
pub struct Indexes {
    pub views: Index,
    pub findings: Index,
}

/// How much the remembered search lists may hold together (64 MiB: 4 Mi hits).
const SEARCH_BUDGET: usize = 64 << 20;
/// How much the remembered selections may hold together, serialized (a selection of half of
/// 1M views is about 125 KiB).
const SELECTION_BUDGET: usize = 8 << 20;

/// The rows a filter selects at one change-log position, with the maps counted over them: a
/// map asked again under the same filter (a dashboard redrawn, another reader's copy of it) is
/// counted once per position and shape, not once per request. It reads as its bitmap.
pub struct Selected {
    rows: RoaringBitmap,
    maps: Mutex<HashMap<MapShape, Cells>>,
    /// The filter it was selected by and the position it was selected at (none for a search's
    /// hits): a map under a filter on classes is read off the map without it (see [`Selected::map`]).
    origin: Option<(i64, Selection)>,
}

/// A map's dimensions and the values asked for on each.
type MapShape = ((Dim, Vec<i32>), (Dim, Vec<i32>));
/// A map's counts per (row value, column value), each per class (see [`Index::map_counts`]).
pub type Cells = Arc<HashMap<(i32, i32), [u64; index::CLASSES]>>;

/// The maps one selection remembers, at most (shapes differ by dimensions and vocabulary, so a
/// few are all a position sees; the bound keeps a stream of odd shapes from growing it).
const MAPS_PER_SELECTION: usize = 16;

impl std::ops::Deref for Selected {
    type Target = RoaringBitmap;
    fn deref(&self) -> &RoaringBitmap {
        &self.rows
    }
}

impl Selected {
    pub fn new(rows: RoaringBitmap) -> Selected {
        Selected {
            rows,
            maps: Mutex::new(HashMap::new()),
            origin: None,
        }
    }

    /// The map of these rows by `rows` x `columns` (of the views' index, or the findings' when
    /// `findings`), counted at the first request and remembered with the selection; `None` when
    /// the engine is not ready.
    pub fn map(
        &self,
        engine: &Engine,
        findings: bool,
        rows: (Dim, &[i32]),
        columns: (Dim, &[i32]),
    ) -> Option<Cells> {
        let shape = ((rows.0, rows.1.to_vec()), (columns.0, columns.1.to_vec()));
        if let Some(found) = self.maps.lock().ok().and_then(|m| m.get(&shape).cloned()) {
            return Some(found);
        }
        let counted = match self.without_classes(engine) {
            // Every cell is split by class already: under a filter on classes (stances, or a
            // finding's kinds) a cell's counts are the same cell's without that filter, for
            // the classes kept. So the map is read off the wider map, whose rows are counted
            // once for every choice of classes (an analyst ticking stances on and off redraws
            // from it).
            Some((wider, classes)) => {
                let cells = wider.map(engine, findings, rows, columns)?;
                Arc::new(
                    cells
                        .iter()
                        .filter_map(|(key, by_class)| {
                            let kept: [u64; index::CLASSES] =
                                std::array::from_fn(|c| if classes[c] { by_class[c] } else { 0 });
                            kept.iter().any(|n| *n > 0).then_some((*key, kept))
                        })
                        .collect(),
                )
            }
            None => Arc::new(engine.read(|index| {
                let ix = if findings {
                    &index.findings
                } else {
                    &index.views
                };
                let filter = self
                    .origin
                    .as_ref()
                    .map(|(_, key)| (&key.query, key.published_only));
                ix.map_counts(&self.rows, filter, rows, columns)
            })?),
        };
        if let Ok(mut maps) = self.maps.lock() {
            if maps.len() < MAPS_PER_SELECTION {
                maps.insert(shape, counted.clone());
            }
        }
        Some(counted)
    }
}

impl Selected {
    /// When this selection is a filter on classes (stances, or kinds) and on facets outside the
    /// profiles (an exercise, dates, places...): the selection of the same filter without the
    /// classes, at the same position, and the classes kept. `None` when there is no filter on
    /// classes, when the profiles alone answer the map (no row is visited: nothing to save), or
    /// when the index has moved on since.
    fn without_classes(&self, engine: &Engine) -> Option<(Arc<Selected>, [bool; index::CLASSES])> {
        let (seq, key) = self.origin.as_ref()?;
        if key.query.on_profiles_alone() {
            return None;
        }
        let classes = key.query.stances.as_ref().filter(|l| !l.is_empty())?;
        let mut kept = [false; index::CLASSES];
        for c in classes {
            if let Some(k) = kept.get_mut(*c as usize) {
                *k = true;
            }
        }
        let wider = Selection {
            query: ViewQuery {
                stances: None,
                ..key.query.clone()
            },
            ..key.clone()
        };
        let found = engine.read(|index| engine.select_at(index, *seq, wider))??;
        Some((found, kept))
    }
}

/// How much the remembered vocabularies may hold together (see [`Vocabulary`]).
const VOCABULARY_BUDGET: usize = 1 << 20;

/// Something small read from the database and kept until the next write (a map's row or
/// column values, as the GraphQL layer shapes them), with its size for the budget.
#[derive(Clone)]
pub struct Vocabulary {
    pub value: Arc<dyn std::any::Any + Send + Sync>,
    pub bytes: usize,
}

/// A filter resolved against the index, for remembering the rows it selects.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Selection {
    findings: bool,
    published_only: bool,
    query: ViewQuery,
}

struct Inner {
    index: RwLock<Indexes>,
    status: Mutex<EngineStatus>,
    applied: AtomicI64,
    /// Serialises refreshes (they read the log after `applied`, then apply).
    refreshing: tokio::sync::Mutex<()>,
    wake: Notify,
    /// Ranked search matches, valid at one change-log position.
    searches: Mutex<memo::Memo<String, Ranked>>,
    /// The rows filters select, valid at one change-log position.
    selections: Mutex<memo::Memo<Selection, Arc<Selected>>>,
    /// Small answers read from the database (a map's row and column values), valid at the
    /// position read before asking for them, as search lists are.
    vocabulary: Mutex<memo::Memo<&'static str, Vocabulary>>,
    /// One lock per search expression being ranked, so that concurrent requests for the same
    /// expression wait for one database read instead of each making their own.
    ranking: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A request's turn to rank one search expression (see [`Engine::ranking_turn`]); dropping it
/// lets the next request in, and the last one out forgets the expression's lock.
pub struct RankingTurn {
    engine: Engine,
    expression: String,
    lock: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for RankingTurn {
    fn drop(&mut self) {
        self.guard.take();
        let mut turns = self
            .engine
            .inner
            .ranking
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        // Held by the map and by this turn only: nobody else is waiting.
        if Arc::strong_count(&self.lock) == 2 {
            turns.remove(&self.expression);
        }
    }
}

/// Hands the heap pages the allocator holds free back to the system. The build loads and drops
/// a million rows batch by batch; glibc keeps what they freed (about 90 MB at 1M views, measured)
/// in its arenas, where it counts as the process's resident memory until reused. The
/// `public-voice` binary allocates with jemalloc instead, which hands freed pages back by itself
/// within a second (`src/main.rs`); there this call finds nothing to release. It still matters
/// wherever this crate runs on glibc's allocator (the tests, another binary).
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases free memory the allocator owns; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The change-log entries read per statement while refreshing.
const LOG_BATCH: u64 = 2000;
/// Rows reloaded per `IN (...)` statement.
const ID_BATCH: usize = 500;
/// The span of ids the build loads per statement: its rows and their tags are all the build
/// holds at once besides the index. Loaded, a row costs far more than its facts (the driver's
/// row with a copy of each value), and the next batch loads while one is applied. With 20,000
/// ids the peak of a 1M build on SQLite was 217-229 MiB; with 4,000 (and 2 MiB page caches,
/// measured together) 144-147 MiB, the build no slower. More statements cost little each.
const BUILD_BATCH: i32 = 4_000;

/// Which rows to load: these ids, or every id in an inclusive range (the build's batches).
#[derive(Clone, Copy)]
enum Rows<'a> {
    Ids(&'a [i32]),
    Between(i32, i32),
}

impl<'a> Rows<'a> {
    /// The statements' scopes: `IN` lists of at most [`ID_BATCH`] ids, or the one range.
    fn chunks(self) -> Vec<Rows<'a>> {
        match self {
            Rows::Ids(ids) => ids.chunks(ID_BATCH).map(Rows::Ids).collect(),
            range => vec![range],
        }
    }

    /// The condition on a column holding the ids.
    fn condition(self, column: impl ColumnTrait) -> sea_orm::sea_query::SimpleExpr {
        match self {
            Rows::Ids(ids) => column.is_in(ids.iter().copied()),
            Rows::Between(low, high) => column.between(low, high),
        }
    }
}

impl Engine {
    fn new(state: EngineState) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                index: RwLock::new(Indexes::default()),
                status: Mutex::new(EngineStatus {
                    state,
                    applied_seq: 0,
                    views: 0,
                    findings: 0,
                    build_time: None,
                    refreshed_at: None,
                    last_error: None,
                }),
                applied: AtomicI64::new(0),
                refreshing: tokio::sync::Mutex::new(()),
                wake: Notify::new(),
                searches: Mutex::new(memo::Memo::new(SEARCH_BUDGET)),
                selections: Mutex::new(memo::Memo::new(SELECTION_BUDGET)),
                vocabulary: Mutex::new(memo::Memo::new(VOCABULARY_BUDGET)),
                ranking: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// An engine that is off: every read path uses SQL.
    pub fn disabled() -> Engine {
        Engine::new(EngineState::Disabled)
    }

    /// Builds the index (waiting for it) and starts following the change log: on [`poke`]
    /// (the hub pokes on NOTIFY), and every `poll` when given.
    ///
    /// [`poke`]: Engine::poke
    pub async fn start(conn: DatabaseConnection, poll: Option<Duration>) -> Engine {
        let engine = Engine::new(EngineState::Building);
        engine.refresh(&conn).await;
        let follower = engine.clone();
        tokio::spawn(async move {
            loop {
                match poll {
                    Some(every) => {
                        let _ = tokio::time::timeout(every, follower.inner.wake.notified()).await;
                    }
                    None => follower.inner.wake.notified().await,
                }
                follower.refresh(&conn).await;
            }
        });
        engine
    }

    /// Asks the follower task to refresh soon (changes were committed somewhere).
    pub fn poke(&self) {
        self.inner.wake.notify_one();
    }

    /// The engine's state, for `/ready` and metrics.
    pub fn status(&self) -> EngineStatus {
        self.lock_status().clone()
    }

    fn lock_status(&self) -> std::sync::MutexGuard<'_, EngineStatus> {
        // A panic while holding it cannot leave the status half-written: take it anyway.
        self.inner
            .status
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The heap the views' and the findings' indexes hold, in bytes (an estimate: see
    /// [`Index::heap_bytes`]), whatever the state.
    pub fn heap_bytes(&self) -> (u64, u64) {
        self.inner
            .index
            .read()
            .map(|i| (i.views.heap_bytes(), i.findings.heap_bytes()))
            .unwrap_or((0, 0))
    }

    /// Runs `f` over the index when it is ready; `None` (answer from SQL) otherwise.
    pub fn read<R>(&self, f: impl FnOnce(&Indexes) -> R) -> Option<R> {
        if self.lock_status().state != EngineState::Ready {
            return None;
        }
        let index = self.inner.index.read().ok()?;
        Some(f(&index))
    }

    /// The rows of the views' (or, with `findings`, the findings') index that the filter
    /// `query` resolves to, remembered at the index's position: the next page, the total and
    /// the maps under the same filter reuse them until the next write. `Ok(None)`: not ready, or
    /// the filter needs SQL.
    pub fn selected(
        &self,
        findings: bool,
        published_only: bool,
        query: impl FnOnce(&Indexes) -> ApiResult<Option<ViewQuery>>,
    ) -> ApiResult<Option<Arc<Selected>>> {
        self.read(|index| {
            // Written under the write lock, so it is the position of the index read here.
            let seq = self.inner.applied.load(Ordering::SeqCst);
            let Some(query) = query(index)? else {
                return Ok(None);
            };
            let key = Selection {
                findings,
                published_only,
                query,
            };
            Ok(self.select_at(index, seq, key))
        })
        .transpose()
        .map(Option::flatten)
    }

    /// The rows `key` selects in `index`, which stands at position `seq`, remembered there;
    /// `None` if the index has moved on from `seq` (the caller holds the read lock).
    fn select_at(&self, index: &Indexes, seq: i64, key: Selection) -> Option<Arc<Selected>> {
        if self.inner.applied.load(Ordering::SeqCst) != seq {
            return None;
        }
        if let Some(set) = self
            .inner
            .selections
            .lock()
            .ok()
            .and_then(|memo| memo.get(seq, &key))
        {
            return Some(set);
        }
        let rows = if key.findings {
            &index.findings
        } else {
            &index.views
        };
        let set = Arc::new(Selected {
            origin: Some((seq, key.clone())),
            ..Selected::new(rows.select(&key.query, key.published_only))
        });
        if let Ok(mut memo) = self.inner.selections.lock() {
            memo.put(seq, key, set.clone());
        }
        Some(set)
    }

    /// The change-log position the index stands at, when it is ready: read it before asking the
    /// database for anything to [`remember`](Engine::remember) under it.
    pub fn position(&self) -> Option<i64> {
        let status = self.lock_status();
        (status.state == EngineState::Ready).then(|| self.inner.applied.load(Ordering::SeqCst))
    }

    /// The ranked matches of a search expression remembered at the current position.
    pub fn recall(&self, expression: &str) -> Option<Ranked> {
        let seq = self.position()?;
        self.inner.searches.lock().ok()?.get(seq, expression)
    }

    /// Waits until no other request is ranking `expression`, and holds that turn until the
    /// returned guard drops: the first request reads the database and remembers the list, and
    /// the ones that queued behind it [`recall`](Engine::recall) it.
    pub async fn ranking_turn(&self, expression: &str) -> RankingTurn {
        let lock = {
            let mut turns = self
                .inner
                .ranking
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            turns.entry(expression.to_string()).or_default().clone()
        };
        let guard = lock.clone().lock_owned().await;
        RankingTurn {
            engine: self.clone(),
            expression: expression.to_string(),
            lock,
            guard: Some(guard),
        }
    }

    /// Remembers the ranked matches of a search expression, read from the database after
    /// [`position`](Engine::position) said `seq` (ignored once a write has moved it on).
    pub fn remember(&self, seq: i64, expression: &str, ranked: Ranked) {
        if self.position() != Some(seq) {
            return;
        }
        if let Ok(mut searches) = self.inner.searches.lock() {
            searches.put(seq, expression.to_string(), ranked);
        }
    }

    /// A vocabulary remembered under `name` at the current position (see [`Vocabulary`]).
    pub fn recall_vocabulary<T: std::any::Any + Send + Sync>(&self, name: &str) -> Option<Arc<T>> {
        let seq = self.position()?;
        let found = self.inner.vocabulary.lock().ok()?.get(seq, name)?;
        found.value.downcast::<T>().ok()
    }

    /// Remembers a vocabulary read from the database after [`position`](Engine::position) said
    /// `seq` (ignored once a write has moved it on), as [`remember`](Engine::remember) does.
    pub fn remember_vocabulary(&self, seq: i64, name: &'static str, vocabulary: Vocabulary) {
        if self.position() != Some(seq) {
            return;
        }
        if let Ok(mut memo) = self.inner.vocabulary.lock() {
            memo.put(seq, name, vocabulary);
        }
    }

    /// Brings the index up to date with the change log (building it first if it is not built);
    /// failures are logged and reported by [`status`](Engine::status), never returned, since
    /// the SQL paths answer meanwhile.
    pub async fn refresh(&self, conn: &DatabaseConnection) {
        let state = self.lock_status().state;
        if state == EngineState::Disabled {
            return;
        }
        let _one_at_a_time = self.inner.refreshing.lock().await;
        let result = if matches!(state, EngineState::Building | EngineState::Failed) {
            self.build(conn).await
        } else {
            self.catch_up(conn).await
        };
        let mut status = self.lock_status();
        match result {
            Ok(()) => {
                status.state = EngineState::Ready;
                status.last_error = None;
                status.applied_seq = self.inner.applied.load(Ordering::SeqCst);
                status.views = self.inner.index.read().map(|i| i.views.len()).unwrap_or(0);
                status.findings = self
                    .inner
                    .index
                    .read()
                    .map(|i| i.findings.len())
                    .unwrap_or(0);
                status.refreshed_at = Some(Instant::now());
            }
            Err(err) => {
                tracing::error!(error = %err, "the read engine could not follow the database; reads use SQL");
                status.state = match status.state {
                    EngineState::Ready | EngineState::Behind => EngineState::Behind,
                    _ => EngineState::Failed,
                };
                status.last_error = Some(err.to_string());
            }
        }
    }

    async fn build(&self, conn: &DatabaseConnection) -> Result<(), DbErr> {
        let started = Instant::now();
        // Read the log position first: anything committed while loading is applied again.
        let seq = last_seq(conn).await?;
        let mut index = Indexes::default();
        let themes = load_themes(conn).await?;
        let micros = conn.get_database_backend() == DbBackend::Postgres;
        for ix in [&mut index.views, &mut index.findings] {
            ix.set_themes(themes.clone());
            ix.micros = micros;
        }
        for row in load_exercises(conn, None).await? {
            index.views.put_exercise(row.clone());
            index.findings.put_exercise(row);
        }
        // Batch by batch of ids, so that the build holds one batch of loaded rows at a time
        // (a few megabytes), not every row of the table at once.
        for (ix, findings) in [(&mut index.views, false), (&mut index.findings, true)] {
            let Some((low, high)) = id_bounds(conn, findings).await? else {
                continue;
            };
            ix.reserve_ids(high);
            // The next batch loads (on other connections) while this one goes into the index.
            let load = |from: i32| {
                let conn = conn.clone();
                let to = from.saturating_add(BUILD_BATCH - 1).min(high);
                let batch = tokio::spawn(async move {
                    if findings {
                        load_findings(&conn, Rows::Between(from, to)).await
                    } else {
                        load_views(&conn, Rows::Between(from, to)).await
                    }
                });
                (to, batch)
            };
            let mut next = Some(load(low));
            while let Some((to, batch)) = next.take() {
                let rows = batch
                    .await
                    .map_err(|e| DbErr::Custom(format!("index build: {e}")))??;
                if to < high {
                    next = Some(load(to + 1));
                }
                for row in &rows {
                    ix.put_view(row);
                }
            }
        }
        index.findings.set_titles(&load_titles(conn).await?);
        index.views.regroup();
        index.findings.regroup();
        index.views.shrink();
        index.findings.shrink();
        let took = started.elapsed();
        if let Ok(mut slot) = self.inner.index.write() {
            *slot = index;
            // Under the write lock: a reader holding the read lock sees the position and the
            // index agree (the remembered selections rely on it).
            self.inner.applied.store(seq, Ordering::SeqCst);
        }
        self.lock_status().build_time = Some(took);
        give_back_freed_memory();
        tracing::info!(
            views = self.inner.index.read().map(|i| i.views.len()).unwrap_or(0),
            findings = self
                .inner
                .index
                .read()
                .map(|i| i.findings.len())
                .unwrap_or(0),
            millis = took.as_millis() as u64,
            "read engine built"
        );
        // Then whatever was committed since the position was read.
        self.catch_up(conn).await
    }

    async fn catch_up(&self, conn: &DatabaseConnection) -> Result<(), DbErr> {
        use entity::change_log;
        loop {
            let after = self.inner.applied.load(Ordering::SeqCst);
            let entries: Vec<(i64, String, i32)> = change_log::Entity::find()
                .select_only()
                .column(change_log::Column::Seq)
                .column(change_log::Column::Entity)
                .column(change_log::Column::EntityId)
                .filter(change_log::Column::Seq.gt(after))
                .order_by_asc(change_log::Column::Seq)
                .limit(LOG_BATCH)
                .into_tuple()
                .all(conn)
                .await?;
            let Some(last) = entries.last().map(|e| e.0) else {
                return Ok(());
            };
            let done = (entries.len() as u64) < LOG_BATCH;
            let mut views = BTreeSet::new();
            let mut findings = BTreeSet::new();
            let mut exercises = BTreeSet::new();
            let mut themes = false;
            for (_, entity, id) in &entries {
                match NodeKind::from_type_name(entity) {
                    Some(NodeKind::ParticipantView) => {
                        views.insert(*id);
                    }
                    Some(NodeKind::Finding) => {
                        findings.insert(*id);
                    }
                    Some(NodeKind::Exercise) => {
                        exercises.insert(*id);
                    }
                    Some(NodeKind::Theme) => themes = true,
                    _ => {}
                }
            }
            let views: Vec<i32> = views.into_iter().collect();
            let exercises: Vec<i32> = exercises.into_iter().collect();
            let findings: Vec<i32> = findings.into_iter().collect();
            let view_rows = load_views(conn, Rows::Ids(&views)).await?;
            let finding_rows = load_findings(conn, Rows::Ids(&findings)).await?;
            let exercise_rows = load_exercises(conn, Some(&exercises)).await?;
            let themes = if themes {
                Some(load_themes(conn).await?)
            } else {
                None
            };
            // A finding's title moves it in the title order: the database sorts them again
            // (findings are few next to views).
            let titles = if findings.is_empty() {
                None
            } else {
                Some(load_titles(conn).await?)
            };
            {
                let mut guard = self
                    .inner
                    .index
                    .write()
                    .map_err(|_| DbErr::Custom("read engine lock poisoned".into()))?;
                let index = &mut *guard;
                for id in &views {
                    index.views.remove_view(*id);
                }
                for row in &view_rows {
                    index.views.put_view(row);
                }
                for id in &findings {
                    index.findings.remove_view(*id);
                }
                for row in &finding_rows {
                    index.findings.put_view(row);
                }
                if let Some(titles) = &titles {
                    index.findings.set_titles(titles);
                }
                for ix in [&mut index.views, &mut index.findings] {
                    for id in &exercises {
                        ix.remove_exercise(*id);
                    }
                    for row in &exercise_rows {
                        ix.put_exercise(row.clone());
                    }
                    if let Some(themes) = &themes {
                        ix.set_themes(themes.clone());
                    }
                    ix.regroup();
                }
                // Under the write lock, as in the build.
                self.inner.applied.store(last, Ordering::SeqCst);
            }
            if done {
                return Ok(());
            }
        }
    }
}

/// The lowest and highest id of the views (or findings when `findings`); `None` when there
/// are none.
async fn id_bounds(conn: &DatabaseConnection, findings: bool) -> Result<Option<(i32, i32)>, DbErr> {
    use entity::{finding as f, participant_view as v};
    let bounds: Option<(Option<i32>, Option<i32>)> = if findings {
        f::Entity::find()
            .select_only()
            .column_as(f::Column::Id.min(), "low")
            .column_as(f::Column::Id.max(), "high")
            .into_tuple()
            .one(conn)
            .await?
    } else {
        v::Entity::find()
            .select_only()
            .column_as(v::Column::Id.min(), "low")
            .column_as(v::Column::Id.max(), "high")
            .into_tuple()
            .one(conn)
            .await?
    };
    Ok(bounds.and_then(|(low, high)| low.zip(high)))
}

async fn last_seq(conn: &DatabaseConnection) -> Result<i64, DbErr> {
    use entity::change_log;
    Ok(change_log::Entity::find()
        .select_only()
        .column_as(change_log::Column::Seq.max(), "m")
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// Every finding's id and title sort key, in title order, exactly as the `TITLE_*` orders
/// sort them in SQL (the same expression, collation and tie-break).
async fn load_titles(conn: &DatabaseConnection) -> Result<Vec<(i32, String)>, DbErr> {
    let backend = conn.get_database_backend();
    let key = crate::db::title_key_sql::<entity::finding::Entity>("title", backend);
    let rows = conn
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT id, {key} AS k FROM finding ORDER BY {key}, id"),
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<i32>("", "id")?, r.try_get::<String>("", "k")?)))
        .collect()
}

async fn load_themes(conn: &DatabaseConnection) -> Result<Vec<(String, i32)>, DbErr> {
    use entity::theme;
    theme::Entity::find()
        .select_only()
        .column(theme::Column::Slug)
        .column(theme::Column::Id)
        .into_tuple()
        .all(conn)
        .await
}

/// The index of a stance as stored.
pub fn stance_index(stored: &str) -> Option<u8> {
    Some(match stored {
        "HOPE" => 0,
        "CONCERN" => 1,
        "CONDITION" => 2,
        "SUGGESTION" => 3,
        "NEUTRAL" => 4,
        _ => return None,
    })
}

/// The index of a mission as stored.
pub fn mission_index(stored: &str) -> Option<u8> {
    Some(match stored {
        "HEALTH" => 0,
        "EDUCATION" => 1,
        "CRIME_AND_POLICING" => 2,
        "ENERGY_AND_NET_ZERO" => 3,
        "ECONOMIC_GROWTH" => 4,
        _ => return None,
    })
}

/// A time as the index keeps it: nanoseconds since 1970 (saturating far outside 1677-2262).
pub fn nanos(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(if at.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

fn bad_value(what: &str, value: &str) -> DbErr {
    DbErr::Custom(format!("unknown {what} {value:?} in the database"))
}

/// A row's tag as loaded: (row id, mission code or theme id).
type Tag<T> = (i32, T);

/// The tags of a chunk's rows: `owner` (the row's id) and `value`, from a tag table.
fn tag_query<E: EntityTrait>(owner: E::Column, value: E::Column, chunk: Rows<'_>) -> Select<E> {
    E::find()
        .select_only()
        .column(owner)
        .column(value)
        .filter(chunk.condition(owner))
}

/// Puts a chunk's mission and theme tags on its rows (`at`: each row's place in `out`).
fn add_tags(
    out: &mut [ViewRow],
    at: &HashMap<i32, usize>,
    missions: Vec<Tag<String>>,
    themes: Vec<Tag<i32>>,
) -> Result<(), DbErr> {
    for (owner, code) in missions {
        let bit = mission_index(&code).ok_or_else(|| bad_value("mission", &code))?;
        if let Some(row) = at.get(&owner).and_then(|i| out.get_mut(*i)) {
            row.missions |= 1 << bit;
        }
    }
    for (owner, theme) in themes {
        if let Some(row) = at.get(&owner).and_then(|i| out.get_mut(*i)) {
            row.themes.push(theme);
        }
    }
    Ok(())
}

/// Loads the facets of these views.
async fn load_views(conn: &DatabaseConnection, rows: Rows<'_>) -> Result<Vec<ViewRow>, DbErr> {
    use entity::{participant_view as v, view_mission, view_theme};
    let mut out = Vec::new();
    for chunk in rows.chunks() {
        let q = v::Entity::find()
            .select_only()
            .column(v::Column::Id)
            .column(v::Column::Stance)
            .column(v::Column::ExerciseId)
            .column(v::Column::SessionId)
            .column(v::Column::FindingId)
            .column(v::Column::IsVerbatim)
            .column(v::Column::ReviewStatus)
            .column(v::Column::UpdatedAt)
            .filter(chunk.condition(v::Column::Id));
        use view_mission::Column as M;
        use view_theme::Column as T;
        type Row = (
            i32,
            String,
            i32,
            Option<i32>,
            Option<i32>,
            bool,
            String,
            chrono::DateTime<chrono::Utc>,
        );
        // The three statements at once, each on its own connection.
        let (rows, missions, themes): (Vec<Row>, Vec<Tag<String>>, Vec<Tag<i32>>) =
            futures_util::future::try_join3(
                q.into_tuple().all(conn),
                tag_query::<view_mission::Entity>(M::ViewId, M::MissionCode, chunk)
                    .into_tuple()
                    .all(conn),
                tag_query::<view_theme::Entity>(T::ViewId, T::ThemeId, chunk)
                    .into_tuple()
                    .all(conn),
            )
            .await?;
        let mut at: HashMap<i32, usize> = HashMap::with_capacity(rows.len());
        for (id, stance, exercise, session, finding, verbatim, review, updated) in rows {
            at.insert(id, out.len());
            out.push(ViewRow {
                id,
                stance: stance_index(&stance).ok_or_else(|| bad_value("stance", &stance))?,
                exercise,
                session,
                finding,
                verbatim,
                published: review == crate::visibility::PUBLISHED,
                missions: 0,
                themes: Vec::new(),
                updated: nanos(updated),
            });
        }
        add_tags(&mut out, &at, missions, themes)?;
    }
    Ok(out)
}

/// The index of a finding kind as stored.
pub fn kind_index(stored: &str) -> Option<u8> {
    Some(match stored {
        "PRINCIPLE" => 0,
        "HOPE" => 1,
        "CONCERN" => 2,
        "CONDITION" => 3,
        "RECOMMENDATION" => 4,
        "OBSERVATION" => 5,
        "REFLECTION" => 6,
        _ => return None,
    })
}

/// Loads the facets of these findings.
async fn load_findings(conn: &DatabaseConnection, rows: Rows<'_>) -> Result<Vec<ViewRow>, DbErr> {
    use entity::{finding as f, finding_mission as fm, finding_theme as ft};
    let mut out = Vec::new();
    for chunk in rows.chunks() {
        let q = f::Entity::find()
            .select_only()
            .column(f::Column::Id)
            .column(f::Column::Kind)
            .column(f::Column::ExerciseId)
            .column(f::Column::ReviewStatus)
            .column(f::Column::UpdatedAt)
            .filter(chunk.condition(f::Column::Id));
        type Row = (i32, String, i32, String, chrono::DateTime<chrono::Utc>);
        let (rows, missions, themes): (Vec<Row>, Vec<Tag<String>>, Vec<Tag<i32>>) =
            futures_util::future::try_join3(
                q.into_tuple().all(conn),
                tag_query::<fm::Entity>(fm::Column::FindingId, fm::Column::MissionCode, chunk)
                    .into_tuple()
                    .all(conn),
                tag_query::<ft::Entity>(ft::Column::FindingId, ft::Column::ThemeId, chunk)
                    .into_tuple()
                    .all(conn),
            )
            .await?;
        let mut at: HashMap<i32, usize> = HashMap::with_capacity(rows.len());
        for (id, kind, exercise, review, updated) in rows {
            at.insert(id, out.len());
            out.push(ViewRow {
                id,
                stance: kind_index(&kind).ok_or_else(|| bad_value("finding kind", &kind))?,
                exercise,
                published: review == crate::visibility::PUBLISHED,
                updated: nanos(updated),
                ..Default::default()
            });
        }
        add_tags(&mut out, &at, missions, themes)?;
    }
    Ok(out)
}

/// Loads the facts of the exercises with these ids (all exercises when `None`).
async fn load_exercises(
    conn: &DatabaseConnection,
    ids: Option<&[i32]>,
) -> Result<Vec<ExerciseRow>, DbErr> {
    use entity::{exercise, exercise_organisation as eo, exercise_place as ep};
    let chunks: Vec<Option<&[i32]>> = match ids {
        None => vec![None],
        Some([]) => vec![],
        Some(ids) => ids.chunks(ID_BATCH).map(Some).collect(),
    };
    let mut out = Vec::new();
    for chunk in chunks {
        let mut q = exercise::Entity::find();
        let mut p = ep::Entity::find()
            .select_only()
            .column(ep::Column::ExerciseId)
            .column(ep::Column::PlaceKey);
        let mut o = eo::Entity::find()
            .select_only()
            .column(eo::Column::ExerciseId)
            .column(eo::Column::OrganisationId);
        if let Some(chunk) = chunk {
            q = q.filter(exercise::Column::Id.is_in(chunk.iter().copied()));
            p = p.filter(ep::Column::ExerciseId.is_in(chunk.iter().copied()));
            o = o.filter(eo::Column::ExerciseId.is_in(chunk.iter().copied()));
        }
        let rows = q.all(conn).await?;
        let mut found: HashMap<i32, ExerciseRow> = rows
            .into_iter()
            .map(|model| {
                (
                    model.id,
                    ExerciseRow {
                        id: model.id,
                        start_date: model.start_date.clone(),
                        model: Some(Arc::new(model)),
                        ..Default::default()
                    },
                )
            })
            .collect();
        let places: Vec<(i32, String)> = p.into_tuple().all(conn).await?;
        for (e, key) in places {
            if let Some(row) = found.get_mut(&e) {
                row.places.push(key);
            }
        }
        let orgs: Vec<(i32, i32)> = o.into_tuple().all(conn).await?;
        for (e, org) in orgs {
            if let Some(row) = found.get_mut(&e) {
                row.organisations.push(org);
            }
        }
        out.extend(found.into_values());
    }
    Ok(out)
}

/// The stored stances, in the index's order (see [`stance_index`]).
pub const STANCES: [&str; 5] = ["HOPE", "CONCERN", "CONDITION", "SUGGESTION", "NEUTRAL"];

/// The evidence an exercise (`Dim::Exercise`, its id) or a mission (`Dim::Mission`, its
/// index) holds, from the index, for the dashboard counts: how many findings, and how many
/// views per stance (stored stance, count). `None` when there is no engine or it is not ready.
pub fn evidence_counts(
    engine: Option<&Engine>,
    dim: Dim,
    value: i32,
    published_only: bool,
) -> Option<(u64, Vec<(&'static str, u64)>)> {
    engine?.read(|index| {
        let findings = index
            .findings
            .tally(dim, value, published_only)
            .iter()
            .sum();
        let views = index.views.tally(dim, value, published_only);
        let by_stance = STANCES
            .iter()
            .zip(views)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| (*s, n))
            .collect();
        (findings, by_stance)
    })
}

/// The rows (views, or findings when the first value is true) of a nested connection the index
/// holds, that the request may see: `None` for other relations, or when there is no engine or
/// it is not ready.
pub fn child_set(
    engine: Option<&Engine>,
    (findings, of): (bool, Parent),
    parent: i32,
    published_only: bool,
) -> Option<(bool, RoaringBitmap)> {
    engine?.read(|index| {
        let rows = if findings {
            &index.findings
        } else {
            &index.views
        };
        (findings, rows.members(of, parent, published_only))
    })
}

/// An exercise's row from the index (exercises are never drafts); `None` when there is no
/// engine, it is not ready, or it does not hold the exercise.
pub fn exercise(engine: Option<&Engine>, id: i32) -> Option<entity::exercise::Model> {
    engine?
        .read(|index| index.views.exercise(id).map(|m| (**m).clone()))
        .flatten()
}

/// The rows (views, or findings when `findings`) tagged with a mission that the request may
/// see, from the index; `None` when there is no engine or it is not ready.
pub fn mission_members(
    engine: Option<&Engine>,
    findings: bool,
    mission: &str,
    published_only: bool,
) -> Option<RoaringBitmap> {
    let m = mission_index(mission)?;
    engine?.read(|index| {
        let rows = if findings {
            &index.findings
        } else {
            &index.views
        };
        rows.facet_members(Dim::Mission, i32::from(m), published_only)
    })
}

/// The `totalCount` of a nested connection the index holds (an exercise's, session's,
/// finding's or theme's views, an exercise's or theme's findings): `None` for other relations,
/// or when there is no engine or it is not ready.
pub fn child_count(
    engine: Option<&Engine>,
    (findings, of): (bool, Parent),
    parent: i32,
    published_only: bool,
) -> Option<u64> {
    engine?.read(|index| {
        let rows = if findings {
            &index.findings
        } else {
            &index.views
        };
        rows.children(of, parent, published_only)
    })
}

/// A map cell's rows as the index holds them: the map's filtered set (shared by all its cells)
/// and the cell's row and column values, intersected only when someone drills into the cell.
#[derive(Clone)]
pub struct CellMembers {
    pub set: Arc<Selected>,
    pub row: (Dim, i32),
    pub column: (Dim, i32),
}

impl CellMembers {
    /// The cell's rows (views, or findings when `findings`); `None` when the engine is not
    /// ready any more.
    pub fn resolve(&self, engine: Option<&Engine>, findings: bool) -> Option<RoaringBitmap> {
        engine?.read(|index| {
            let rows = if findings {
                &index.findings
            } else {
                &index.views
            };
            match (
                rows.facet(self.row.0, self.row.1),
                rows.facet(self.column.0, self.column.1),
            ) {
                (Some(r), Some(c)) => {
                    let mut cell = r & c;
                    cell &= &**self.set;
                    cell
                }
                _ => RoaringBitmap::new(),
            }
        })
    }
}
