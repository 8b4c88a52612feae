//! DataLoaders, one set per request: every "belongs to" reference and every tag list is fetched
//! for all the parents of a page in one statement, so the statements a request issues grow with
//! its nesting depth, not with its number of rows. A fresh set per request keeps answers current.

use crate::engine::Parent;
use crate::errors::{db, ApiError, ApiResult};
use crate::visibility;
use async_graphql::{dataloader::DataLoader, dataloader::Loader, Context};
use entity::enums::Mission;
use entity::{
    exercise, exercise_mission, finding, finding_mission, finding_theme, organisation,
    participant_view, resource, session, source_document, theme, view_mission, view_theme,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityName, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::Arc;

/// The batch functions, over the request's database handle.
pub struct Store {
    db: DatabaseConnection,
    /// Hide unpublished findings and views (see `visibility`).
    published_only: bool,
}

/// The per-request loaders, in the GraphQL request's data.
pub type Loaders = DataLoader<Store>;

/// How long a loader waits to collect keys before it runs its batch. Sibling fields ask within
/// the same poll, so a short wait batches as well as the default 1 ms and adds less latency to
/// every nested level (the statement-count tests guard the batching).
const BATCH_DELAY: std::time::Duration = std::time::Duration::from_micros(200);

/// A new, empty set of loaders for one request.
pub fn for_request(db: DatabaseConnection, sees_unpublished: bool) -> Loaders {
    DataLoader::new(
        Store {
            db,
            published_only: !sees_unpublished,
        },
        tokio::spawn,
    )
    .delay(BATCH_DELAY)
}

/// The request's loaders.
pub fn of<'a>(ctx: &Context<'a>) -> ApiResult<&'a Loaders> {
    crate::errors::data::<Loaders>(ctx)
}

/// Rows by primary key: `Key(id)` loads the row with that id.
macro_rules! by_id {
    ($(#[$doc:meta])* $key:ident => $module:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for Store {
            type Value = $module::Model;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, ApiError> {
                let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
                let rows = db(visibility::restrict(self.published_only, $module::Entity::find())
                    .filter($module::Column::Id.is_in(ids))
                    .all(&self.db)
                    .await)?;
                Ok(rows.into_iter().map(|m| ($key(m.id), m)).collect())
            }
        }
    };
}

by_id!(/// An exercise by id.
    ExerciseById => exercise);
by_id!(/// A finding by id.
    FindingById => finding);
by_id!(/// A participant view by id.
    ViewById => participant_view);
by_id!(/// A resource by id.
    ResourceById => resource);
by_id!(/// A session by id.
    SessionById => session);
by_id!(/// An organisation by id.
    OrganisationById => organisation);
by_id!(/// A source document by id.
    SourceById => source_document);

/// Mission tags: `Key(owner_id)` loads the owner's missions, in the missions' usual order.
macro_rules! missions_of {
    ($(#[$doc:meta])* $key:ident => $join:ident :: $column:ident . $owner:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for Store {
            type Value = Vec<Mission>;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, ApiError> {
                let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
                let rows = db($join::Entity::find()
                    .filter($join::Column::$column.is_in(ids))
                    .all(&self.db)
                    .await)?;
                let mut out: HashMap<$key, Vec<Mission>> = HashMap::new();
                for row in rows {
                    out.entry($key(row.$owner)).or_default().push(row.mission_code);
                }
                for list in out.values_mut() {
                    list.sort_by_key(|m| *m as u8);
                }
                Ok(out)
            }
        }
    };
}

/// Theme tags: `Key(owner_id)` loads the owner's themes, by label, with one joined statement.
macro_rules! themes_of {
    ($(#[$doc:meta])* $key:ident => $join:ident :: $column:ident . $owner:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for Store {
            type Value = Vec<theme::Model>;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, ApiError> {
                let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
                let rows = db($join::Entity::find()
                    .filter($join::Column::$column.is_in(ids))
                    .find_also_related(theme::Entity)
                    .all(&self.db)
                    .await)?;
                let mut out: HashMap<$key, Vec<theme::Model>> = HashMap::new();
                for (row, theme) in rows {
                    if let Some(theme) = theme {
                        out.entry($key(row.$owner)).or_default().push(theme);
                    }
                }
                for list in out.values_mut() {
                    by_label(list);
                }
                Ok(out)
            }
        }
    };
}

missions_of!(/// The missions a participant view is tagged with.
    ViewMissions => view_mission::ViewId.view_id);
missions_of!(/// The missions a finding is tagged with.
    FindingMissions => finding_mission::FindingId.finding_id);
missions_of!(/// The missions an exercise covered.
    ExerciseMissions => exercise_mission::ExerciseId.exercise_id);
themes_of!(/// The themes a participant view is tagged with.
    ViewThemes => view_theme::ViewId.view_id);
themes_of!(/// The themes a finding is tagged with.
    FindingThemes => finding_theme::FindingId.finding_id);

/// Every theme's row, by id (see [`themes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AllThemes;

impl Loader<AllThemes> for Store {
    type Value = Arc<HashMap<i32, theme::Model>>;
    type Error = ApiError;

    async fn load(&self, _: &[AllThemes]) -> Result<HashMap<AllThemes, Self::Value>, ApiError> {
        let rows = db(theme::Entity::find().all(&self.db).await)?;
        let by_id = rows.into_iter().map(|t| (t.id, t)).collect();
        Ok(HashMap::from([(AllThemes, Arc::new(by_id))]))
    }
}

/// A row's themes in the order the API gives them: by label (then id, for equal labels).
fn by_label(themes: &mut [theme::Model]) {
    themes.sort_by(|a, b| a.label.cmp(&b.label).then(a.id.cmp(&b.id)));
}

/// The themes a participant view (or, with `findings`, a finding) is tagged with, by label:
/// from the read engine when it holds the row (its tags from the index, every theme's row read
/// once per change-log position: no statement, no batch to wait for), else batched with the
/// page's other rows.
pub async fn themes(ctx: &Context<'_>, findings: bool, id: i32) -> ApiResult<Vec<theme::Model>> {
    if let Some(found) = indexed_themes(ctx, findings, id).await? {
        return Ok(found);
    }
    Ok(if findings {
        optional(ctx, FindingThemes(id)).await?
    } else {
        optional(ctx, ViewThemes(id)).await?
    }
    .unwrap_or_default())
}

async fn indexed_themes(
    ctx: &Context<'_>,
    findings: bool,
    id: i32,
) -> ApiResult<Option<Vec<theme::Model>>> {
    const NAME: &str = "themes by id";
    let Some(engine) = ctx.data_opt::<crate::engine::Engine>() else {
        return Ok(None);
    };
    let Some(seq) = engine.position() else {
        return Ok(None);
    };
    let rows = match engine.recall_vocabulary::<HashMap<i32, theme::Model>>(NAME) {
        Some(rows) => rows,
        None => {
            // Through the loader: the page's rows ask at once, and read them once.
            let read = of(ctx)?.load_one(AllThemes).await?.unwrap_or_default();
            let bytes = read
                .values()
                .map(|t| {
                    std::mem::size_of::<theme::Model>()
                        + t.slug.len()
                        + t.label.len()
                        + t.definition.len()
                })
                .sum();
            engine.remember_vocabulary(
                seq,
                NAME,
                crate::engine::Vocabulary {
                    value: read.clone(),
                    bytes,
                },
            );
            read
        }
    };
    let Some(Some(ids)) =
        engine.read(|ix| if findings { &ix.findings } else { &ix.views }.themes_of(id))
    else {
        return Ok(None);
    };
    // The rows were read at or after `seq`; the tags must be of the same position.
    if engine.position() != Some(seq) {
        return Ok(None);
    }
    let mut found: Vec<theme::Model> = ids.iter().filter_map(|t| rows.get(t).cloned()).collect();
    by_label(&mut found);
    Ok(Some(found))
}

/// Loads a row a foreign key points at; a dangling key is a server fault, not a client error.
pub async fn required<K>(ctx: &Context<'_>, key: K) -> ApiResult<<Store as Loader<K>>::Value>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + std::fmt::Debug + 'static,
    Store: Loader<K, Error = ApiError>,
{
    match of(ctx)?.load_one(key.clone()).await? {
        Some(v) => Ok(v),
        None => {
            tracing::error!(?key, "dangling reference");
            Err(ApiError::Internal)
        }
    }
}

/// The exercise a row belongs to: from the read engine when it holds it (no statement, no
/// batch to wait for), else batched with the page's other exercises.
pub async fn exercise(ctx: &Context<'_>, id: i32) -> ApiResult<exercise::Model> {
    match crate::engine::exercise(ctx.data_opt::<crate::engine::Engine>(), id) {
        Some(row) => Ok(row),
        None => required(ctx, ExerciseById(id)).await,
    }
}

/// Loads an optional reference, or a tag list (empty when the owner has none).
pub async fn optional<K>(
    ctx: &Context<'_>,
    key: K,
) -> ApiResult<Option<<Store as Loader<K>>::Value>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    Store: Loader<K, Error = ApiError>,
{
    of(ctx)?.load_one(key).await
}

/// How a parent's children are found, for batched first pages of nested connections: the column
/// holding the parent's id, in the children's own table or in a link table (many-to-many),
/// taken from the entity crate's columns, so that renaming one fails the build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChildRelation {
    /// The table holding the parent's id, and its column.
    table: &'static str,
    parent: &'static str,
    /// For a link table, its column holding the child's id.
    child: Option<&'static str>,
}

impl ChildRelation {
    /// Children that name their parent in a column of their own.
    pub fn direct<C: ColumnTrait>(parent: C) -> Self {
        ChildRelation {
            table: C::EntityName::default().table_name(),
            parent: parent.as_str(),
            child: None,
        }
    }

    /// Children tied to their parent by a link table's `parent` and `child` columns.
    pub fn linked<C: ColumnTrait>(parent: C, child: C) -> Self {
        ChildRelation {
            child: Some(child.as_str()),
            ..Self::direct(parent)
        }
    }

    /// The condition "the child (a row of `child_table`, whose key is `id`) is under `parent`".
    pub fn condition(&self, child_table: &str, parent: i32) -> sea_orm::Condition {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        let column = |table: &str, column: &str| Expr::col((Alias::new(table), Alias::new(column)));
        let under = match self.child {
            None => column(self.table, self.parent).eq(parent),
            Some(child) => column(child_table, "id").in_subquery(
                Query::select()
                    .column((Alias::new(self.table), Alias::new(child)))
                    .from(Alias::new(self.table))
                    .and_where(column(self.table, self.parent).eq(parent))
                    .to_owned(),
            ),
        };
        sea_orm::Condition::all().add(under)
    }

    /// The SQL naming a child's parent id, e.g. `participant_view.finding_id`.
    fn parent_sql(&self) -> String {
        format!("{}.{}", self.table, self.parent)
    }

    /// The join from the children's `table` to the link table, if there is one.
    fn join_sql(&self, table: &str) -> String {
        match self.child {
            Some(child) => format!(
                "JOIN {link} ON {link}.{child} = {table}.id",
                link = self.table
            ),
            None => String::new(),
        }
    }
}

/// The first `limit` children (by id) of one parent, plus one more to tell whether more exist.
#[derive(Debug)]
pub struct FirstChildren<E> {
    pub relation: ChildRelation,
    pub parent: i32,
    pub limit: u64,
    pub entity: std::marker::PhantomData<fn() -> E>,
}

impl<E> Clone for FirstChildren<E> {
    fn clone(&self) -> Self {
        FirstChildren {
            relation: self.relation,
            parent: self.parent,
            limit: self.limit,
            entity: std::marker::PhantomData,
        }
    }
}

impl<E> PartialEq for FirstChildren<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.relation, self.parent, self.limit) == (other.relation, other.parent, other.limit)
    }
}

impl<E> Eq for FirstChildren<E> {}

impl<E> std::hash::Hash for FirstChildren<E> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.relation, self.parent, self.limit).hash(state);
    }
}

impl<E> Loader<FirstChildren<E>> for Store
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: sea_orm::FromQueryResult + Clone + Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = ApiError;

    /// One windowed statement per (relation, page size): `ROW_NUMBER() OVER (PARTITION BY
    /// parent ORDER BY id)` keeps each parent's first page, on SQLite and PostgreSQL alike.
    async fn load(
        &self,
        keys: &[FirstChildren<E>],
    ) -> Result<HashMap<FirstChildren<E>, Self::Value>, ApiError> {
        use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
        let mut groups: HashMap<(ChildRelation, u64), Vec<i32>> = HashMap::new();
        for k in keys {
            groups
                .entry((k.relation, k.limit))
                .or_default()
                .push(k.parent);
        }
        let table = E::default().table_name().to_string();
        let mut out = HashMap::new();
        for ((relation, limit), parents) in groups {
            let backend = self.db.get_database_backend();
            let (ids, values) = crate::db::id_params(backend, 1, &parents);
            let sql = format!(
                "SELECT * FROM (SELECT {table}.*, {parent} AS pv_parent, \
                 ROW_NUMBER() OVER (PARTITION BY {parent} ORDER BY {table}.id) AS pv_rank \
                 FROM {table} {join} WHERE {parent} IN ({ids}){guard}) AS ranked \
                 WHERE pv_rank <= {take} ORDER BY pv_parent, id",
                parent = relation.parent_sql(),
                join = relation.join_sql(&table),
                take = limit + 1,
                guard = visibility::sql_guard(self.published_only, &table),
            );
            let rows = db(self
                .db
                .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
                .await)?;
            let mut by_parent: HashMap<i32, Vec<E::Model>> = HashMap::new();
            for row in rows {
                let parent = db(row.try_get::<i32>("", "pv_parent"))?;
                let model = db(E::Model::from_query_result(&row, ""))?;
                by_parent.entry(parent).or_default().push(model);
            }
            for parent in parents {
                out.insert(
                    FirstChildren {
                        relation,
                        parent,
                        limit,
                        entity: std::marker::PhantomData,
                    },
                    by_parent.remove(&parent).unwrap_or_default(),
                );
            }
        }
        Ok(out)
    }
}

/// How many children one parent has in a relation (for `totalCount` on nested lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChildCount {
    pub relation: ChildRelation,
    pub table: &'static str,
    pub parent: i32,
}

impl Loader<ChildCount> for Store {
    type Value = u64;
    type Error = ApiError;

    /// One GROUP BY statement per relation for all the parents of a page.
    async fn load(&self, keys: &[ChildCount]) -> Result<HashMap<ChildCount, u64>, ApiError> {
        use sea_orm::{ConnectionTrait, Statement};
        let mut groups: HashMap<(ChildRelation, &'static str), Vec<i32>> = HashMap::new();
        for k in keys {
            groups
                .entry((k.relation, k.table))
                .or_default()
                .push(k.parent);
        }
        let mut out = HashMap::new();
        for ((relation, table), parents) in groups {
            let backend = self.db.get_database_backend();
            let (ids, values) = crate::db::id_params(backend, 1, &parents);
            let sql = format!(
                "SELECT {parent} AS pv_parent, COUNT(*) AS n FROM {table} {join} \
                 WHERE {parent} IN ({ids}){guard} GROUP BY {parent}",
                parent = relation.parent_sql(),
                join = relation.join_sql(table),
                guard = visibility::sql_guard(self.published_only, table),
            );
            let rows = db(self
                .db
                .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
                .await)?;
            let mut counts: HashMap<i32, u64> = HashMap::new();
            for row in rows {
                let parent = db(row.try_get::<i32>("", "pv_parent"))?;
                let n = db(row.try_get::<i64>("", "n"))?;
                counts.insert(parent, u64::try_from(n).unwrap_or(0));
            }
            for parent in parents {
                out.insert(
                    ChildCount {
                        relation,
                        table,
                        parent,
                    },
                    counts.get(&parent).copied().unwrap_or(0),
                );
            }
        }
        Ok(out)
    }
}

/// Which index holds a nested relation's rows (findings: true), and by which parent.
pub fn held(relation: ChildRelation) -> Option<(bool, Parent)> {
    Some(match relation {
        r if r == rel::exercise_views() => (false, Parent::Exercise),
        r if r == rel::session_views() => (false, Parent::Session),
        r if r == rel::finding_views() => (false, Parent::Finding),
        r if r == rel::theme_views() => (false, Parent::Theme),
        r if r == rel::exercise_findings() => (true, Parent::Exercise),
        r if r == rel::theme_findings() => (true, Parent::Theme),
        _ => return None,
    })
}

/// The relations whose nested first pages are batched, named by the entity crate's columns.
pub mod rel {
    use super::ChildRelation;
    use entity::{
        commitment, commitment_exercise, commitment_finding, exercise, finding, finding_theme,
        metric, participant_view, resource, resource_exercise, resource_finding, session,
        view_theme,
    };

    pub fn finding_views() -> ChildRelation {
        ChildRelation::direct(participant_view::Column::FindingId)
    }

    pub fn finding_resources() -> ChildRelation {
        ChildRelation::linked(
            resource_finding::Column::FindingId,
            resource_finding::Column::ResourceId,
        )
    }

    pub fn exercise_findings() -> ChildRelation {
        ChildRelation::direct(finding::Column::ExerciseId)
    }

    pub fn exercise_views() -> ChildRelation {
        ChildRelation::direct(participant_view::Column::ExerciseId)
    }

    pub fn exercise_metrics() -> ChildRelation {
        ChildRelation::direct(metric::Column::ExerciseId)
    }

    pub fn exercise_sessions() -> ChildRelation {
        ChildRelation::direct(session::Column::ExerciseId)
    }

    pub fn exercise_parts() -> ChildRelation {
        ChildRelation::direct(exercise::Column::ParentId)
    }

    pub fn exercise_resources() -> ChildRelation {
        ChildRelation::linked(
            resource_exercise::Column::ExerciseId,
            resource_exercise::Column::ResourceId,
        )
    }

    pub fn resource_findings() -> ChildRelation {
        ChildRelation::linked(
            resource_finding::Column::ResourceId,
            resource_finding::Column::FindingId,
        )
    }

    pub fn resource_exercises() -> ChildRelation {
        ChildRelation::linked(
            resource_exercise::Column::ResourceId,
            resource_exercise::Column::ExerciseId,
        )
    }

    pub fn session_views() -> ChildRelation {
        ChildRelation::direct(participant_view::Column::SessionId)
    }

    pub fn theme_views() -> ChildRelation {
        ChildRelation::linked(view_theme::Column::ThemeId, view_theme::Column::ViewId)
    }

    pub fn theme_findings() -> ChildRelation {
        ChildRelation::linked(
            finding_theme::Column::ThemeId,
            finding_theme::Column::FindingId,
        )
    }

    pub fn published_resources() -> ChildRelation {
        ChildRelation::direct(resource::Column::PublisherId)
    }

    pub fn organisation_commitments() -> ChildRelation {
        ChildRelation::direct(commitment::Column::OrganisationId)
    }

    pub fn finding_commitments() -> ChildRelation {
        ChildRelation::linked(
            commitment_finding::Column::FindingId,
            commitment_finding::Column::CommitmentId,
        )
    }

    pub fn exercise_commitments() -> ChildRelation {
        ChildRelation::linked(
            commitment_exercise::Column::ExerciseId,
            commitment_exercise::Column::CommitmentId,
        )
    }

    pub fn commitment_findings() -> ChildRelation {
        ChildRelation::linked(
            commitment_finding::Column::CommitmentId,
            commitment_finding::Column::FindingId,
        )
    }

    pub fn commitment_exercises() -> ChildRelation {
        ChildRelation::linked(
            commitment_exercise::Column::CommitmentId,
            commitment_exercise::Column::ExerciseId,
        )
    }
}

/// Counts of one owner's related rows for dashboards, from GROUP BY statements: by kind of row
/// (`finding`, `view`, `resource`...) and, for views, by stance.
#[derive(Clone, Debug, Default)]
pub struct Tally(HashMap<(String, String), u64>);

impl Tally {
    /// How many rows of this kind, all stances together.
    pub fn total(&self, what: &str) -> u64 {
        self.0
            .iter()
            .filter(|((w, _), _)| w == what)
            .map(|(_, n)| n)
            .sum()
    }

    /// Replaces the counts of this kind of row with these, per stance ('' for rows without).
    pub fn replace<'a>(&mut self, what: &str, counts: impl IntoIterator<Item = (&'a str, u64)>) {
        self.0.retain(|(w, _), _| w != what);
        for (stance, n) in counts {
            self.0.insert((what.to_string(), stance.to_string()), n);
        }
    }

    /// How many rows of this kind take this stance (stored value, e.g. `CONCERN`).
    pub fn with_stance(&self, what: &str, stance: &str) -> u64 {
        self.0
            .get(&(what.to_string(), stance.to_string()))
            .copied()
            .unwrap_or(0)
    }
}

/// Runs one UNION ALL of GROUP BY branches, each yielding (what, owner, stance, n), and
/// returns the tallies by owner (read as text).
async fn tallies(
    db_conn: &DatabaseConnection,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> Result<HashMap<String, Tally>, ApiError> {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db_conn.get_database_backend();
    let rows = db(db_conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await)?;
    let mut out: HashMap<String, Tally> = HashMap::new();
    for row in rows {
        let what = db(row.try_get::<String>("", "what"))?;
        let owner = db(row.try_get::<String>("", "owner"))?;
        let stance = db(row.try_get::<String>("", "stance"))?;
        let n = u64::try_from(db(row.try_get::<i64>("", "n"))?).unwrap_or(0);
        out.entry(owner).or_default().0.insert((what, stance), n);
    }
    Ok(out)
}

/// The dashboard counts of an exercise: its findings, views (by stance), resources, metrics
/// and sessions, for every exercise of a page in one statement. The flag says whether findings
/// and views are counted here too (`false` when the read engine counts them): they are counted
/// when any key of the batch asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExerciseTally(pub i32, pub bool);

impl Loader<ExerciseTally> for Store {
    type Value = Tally;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[ExerciseTally],
    ) -> Result<HashMap<ExerciseTally, Tally>, ApiError> {
        // Ids are integers from the database, so they are written into the statement.
        let ids = keys
            .iter()
            .map(|k| k.0.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let branch = |what: &str, table: &str| {
            format!(
                "SELECT '{what}' AS what, CAST(exercise_id AS TEXT) AS owner, '' AS stance, \
                 COUNT(*) AS n FROM {table} WHERE exercise_id IN ({ids}){guard} GROUP BY exercise_id",
                guard = visibility::sql_guard(self.published_only, table),
            )
        };
        let mut branches = Vec::new();
        if keys.iter().any(|k| k.1) {
            branches.push(branch("finding", "finding"));
            branches.push(format!(
                "SELECT 'view' AS what, CAST(exercise_id AS TEXT) AS owner, \
                 CAST(stance AS TEXT) AS stance, COUNT(*) AS n FROM participant_view \
                 WHERE exercise_id IN ({ids}){guard} GROUP BY exercise_id, stance",
                guard = visibility::sql_guard(self.published_only, "participant_view"),
            ));
        }
        branches.push(branch("resource", "resource_exercise"));
        branches.push(branch("metric", "metric"));
        branches.push(branch("session", "session"));
        let sql = branches.join(" UNION ALL ");
        let found = tallies(&self.db, sql, Vec::new()).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, found.get(&k.0.to_string()).cloned().unwrap_or_default()))
            .collect())
    }
}

/// The dashboard counts of a mission: the exercises, findings and views (by stance) tagged
/// with it, for every mission asked for in one statement. The key is the stored mission code,
/// and whether findings and views are counted here too (as for [`ExerciseTally`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MissionTally(pub String, pub bool);

impl Loader<MissionTally> for Store {
    type Value = Tally;
    type Error = ApiError;

    async fn load(&self, keys: &[MissionTally]) -> Result<HashMap<MissionTally, Tally>, ApiError> {
        let values: Vec<sea_orm::Value> = keys.iter().map(|k| k.0.clone().into()).collect();
        let params = (1..=values.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let branch = |what: &str, table: &str| {
            format!(
                "SELECT '{what}' AS what, CAST(mission_code AS TEXT) AS owner, '' AS stance, \
                 COUNT(*) AS n FROM {table} WHERE mission_code IN ({params}) GROUP BY mission_code"
            )
        };
        let mut branches = vec![branch("exercise", "exercise_mission")];
        if keys.iter().any(|k| k.1) {
            branches.push(format!(
                "SELECT 'finding' AS what, CAST(finding_mission.mission_code AS TEXT) AS owner, \
                 '' AS stance, COUNT(*) AS n \
                 FROM finding_mission JOIN finding ON finding.id = finding_mission.finding_id \
                 WHERE finding_mission.mission_code IN ({params}){guard} \
                 GROUP BY finding_mission.mission_code",
                guard = visibility::sql_guard(self.published_only, "finding"),
            ));
            branches.push(format!(
                "SELECT 'view' AS what, CAST(view_mission.mission_code AS TEXT) AS owner, \
                 CAST(participant_view.stance AS TEXT) AS stance, COUNT(*) AS n \
                 FROM view_mission JOIN participant_view ON participant_view.id = view_mission.view_id \
                 WHERE view_mission.mission_code IN ({params}){guard} \
                 GROUP BY view_mission.mission_code, participant_view.stance",
                guard = visibility::sql_guard(self.published_only, "participant_view"),
            ));
        }
        let sql = branches.join(" UNION ALL ");
        let found = tallies(&self.db, sql, values).await?;
        Ok(keys
            .iter()
            .map(|k| (k.clone(), found.get(&k.0).cloned().unwrap_or_default()))
            .collect())
    }
}

/// Any table's row by primary key, for pages whose ids the read engine chose: the rows of every
/// parent's page at one nesting level come back in one statement. Rows of unpublished findings
/// and views stay hidden from readers, as everywhere.
#[derive(Debug)]
pub struct RowById<E> {
    pub id: i32,
    entity: std::marker::PhantomData<fn() -> E>,
}

impl<E> RowById<E> {
    pub fn new(id: i32) -> Self {
        RowById {
            id,
            entity: std::marker::PhantomData,
        }
    }
}

impl<E> Clone for RowById<E> {
    fn clone(&self) -> Self {
        RowById::new(self.id)
    }
}

impl<E> PartialEq for RowById<E> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<E> Eq for RowById<E> {}

impl<E> std::hash::Hash for RowById<E> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl<E> Loader<RowById<E>> for Store
where
    E: EntityTrait + Send + Sync + 'static,
    E::Model: sea_orm::FromQueryResult + Clone + Send + Sync,
{
    type Value = E::Model;
    type Error = ApiError;

    async fn load(&self, keys: &[RowById<E>]) -> Result<HashMap<RowById<E>, E::Model>, ApiError> {
        use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
        let table = E::default().table_name().to_string();
        let backend = self.db.get_database_backend();
        let (ids, values) =
            crate::db::id_params(backend, 1, &keys.iter().map(|k| k.id).collect::<Vec<_>>());
        let sql = format!(
            "SELECT * FROM {table} WHERE id IN ({ids}){guard}",
            guard = visibility::sql_guard(self.published_only, &table),
        );
        let rows = db(self
            .db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await)?;
        let mut out = HashMap::with_capacity(rows.len());
        for row in rows {
            let id = db(row.try_get::<i32>("", "id"))?;
            let model = db(E::Model::from_query_result(&row, ""))?;
            out.insert(RowById::new(id), model);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::rel;

    #[test]
    fn relations_name_their_tables_and_columns_as_the_entity_crate_does() {
        let direct = rel::finding_views();
        assert_eq!(direct.parent_sql(), "participant_view.finding_id");
        assert_eq!(direct.join_sql("participant_view"), "");
        let linked = rel::finding_resources();
        assert_eq!(linked.parent_sql(), "resource_finding.finding_id");
        assert_eq!(
            linked.join_sql("resource"),
            "JOIN resource_finding ON resource_finding.resource_id = resource.id"
        );
        assert_ne!(rel::theme_views(), rel::theme_findings());
    }
}
