//! Writing the corpus: the domain operations behind GraphQL mutations and bulk imports.
//!
//! Every write runs in a transaction opened by [`begin`], which first ticks the one-row write
//! clock. That orders writers: on PostgreSQL the clock's row lock queues them, on SQLite the
//! update takes the database's write lock before anything is read. Because writers never overlap,
//! change-log sequence numbers commit in order, so a change-feed reader that has seen `seq = n`
//! can never later find a change numbered below `n` (the feed's no-gap guarantee).
//!
//! Each curated entity implements [`Curated`]: how to read its writable fields (tags included)
//! and how to write them. The generic operations here add what every entity shares: validation,
//! the version check, the change-log entry with before and after, and tombstones on delete.

#[macro_use]
mod columns;
pub mod commitments;
pub mod exercises;
pub mod findings;
pub mod metrics;
pub mod organisations;
pub mod resources;
pub mod sessions;
pub mod source_documents;
pub mod themes;
pub mod views;

use crate::errors::{db, ApiError, ApiResult};
use crate::ids::NodeKind;
use chrono::Utc;
pub use columns::{Columns, Link};
use entity::change_log;
use entity::enums::{ChangeKind, Mission};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set, Statement, TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;

/// The PostgreSQL channel a committed change is announced on (its payload is the sequence
/// number); every replica listens on it.
pub const CHANNEL: &str = "public_voice_changes";

/// One problem with an input, at a field path relative to the input (e.g. `title`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The problem as a GraphQL error, with the field under `prefix` (e.g. `input`).
    pub fn into_error(self, prefix: &str) -> ApiError {
        let field = if prefix.is_empty() {
            self.field
        } else {
            format!("{prefix}.{}", self.field)
        };
        ApiError::bad_input(&field, self.message)
    }
}

/// Opens a writing transaction, queued behind any other writer.
pub async fn begin(conn: &DatabaseConnection) -> ApiResult<DatabaseTransaction> {
    let txn = db(conn.begin().await)?;
    db(txn
        .execute_unprepared("UPDATE write_clock SET ticks = ticks + 1 WHERE id = 1")
        .await)?;
    Ok(txn)
}

/// Commits a writing transaction. On PostgreSQL it first tells every replica that changes are
/// coming: NOTIFY is transactional, delivered once at commit (and never on rollback), so a bulk
/// import wakes the replicas once, not once per row.
pub async fn commit(txn: DatabaseTransaction) -> ApiResult<()> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        db(txn
            .execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, '')",
                [CHANNEL.into()],
            ))
            .await)?;
    }
    db(txn.commit().await)
}

/// A curated table's facts, stated once for each table by [`record!`]: its entity, its node
/// kind, the noun messages use, and its key columns.
pub trait Record {
    type Entity: EntityTrait;
    /// The node kind, which names the entity in global IDs and in the change log.
    const KIND: NodeKind;
    /// What a message calls one row, e.g. `source document`.
    const NOUN: &'static str;
    const ID: <Self::Entity as EntityTrait>::Column;
    const SLUG: <Self::Entity as EntityTrait>::Column;
    /// The integrator's key: (`external_source`, `external_id`).
    const EXTERNAL: (
        <Self::Entity as EntityTrait>::Column,
        <Self::Entity as EntityTrait>::Column,
    );
}

/// Every curated table has `id`, `slug`, `external_source` and `external_id` columns.
macro_rules! record {
    ($($curated:ty: $table:ident, $kind:ident, $noun:literal;)*) => {$(
        impl Record for $curated {
            type Entity = entity::$table::Entity;
            const KIND: NodeKind = NodeKind::$kind;
            const NOUN: &'static str = $noun;
            const ID: entity::$table::Column = entity::$table::Column::Id;
            const SLUG: entity::$table::Column = entity::$table::Column::Slug;
            const EXTERNAL: (entity::$table::Column, entity::$table::Column) = (
                entity::$table::Column::ExternalSource,
                entity::$table::Column::ExternalId,
            );
        }
    )*};
}

record! {
    source_documents::SourceDocuments: source_document, SourceDocument, "source document";
    themes::Themes: theme, Theme, "theme";
    organisations::Organisations: organisation, Organisation, "organisation";
    exercises::Exercises: exercise, Exercise, "exercise";
    sessions::Sessions: session, Session, "session";
    findings::Findings: finding, Finding, "finding";
    views::Views: participant_view, ParticipantView, "participant view";
    metrics::Metrics: metric, Metric, "metric";
    resources::Resources: resource, Resource, "resource";
    commitments::Commitments: commitment, Commitment, "commitment";
}

/// The id of `T`'s row with this slug.
pub async fn id_by_slug<T: Record, C: ConnectionTrait>(
    conn: &C,
    slug: &str,
) -> ApiResult<Option<i32>> {
    db(T::Entity::find()
        .select_only()
        .column(T::ID)
        .filter(T::SLUG.eq(slug))
        .into_tuple::<i32>()
        .one(conn)
        .await)
}

/// The id of `T`'s row with this external key.
pub async fn id_by_external<T: Record, C: ConnectionTrait>(
    conn: &C,
    key: &External,
) -> ApiResult<Option<i32>> {
    db(T::Entity::find()
        .select_only()
        .column(T::ID)
        .filter(T::EXTERNAL.0.eq(key.source.as_str()))
        .filter(T::EXTERNAL.1.eq(key.id.as_str()))
        .into_tuple::<i32>()
        .one(conn)
        .await)
}

/// The slugs of `T`'s rows with these ids, in one statement.
pub async fn slugs_of<T: Record, C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = i32>,
) -> ApiResult<HashMap<i32, String>> {
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(db(T::Entity::find()
        .select_only()
        .column(T::ID)
        .column(T::SLUG)
        .filter(T::ID.is_in(ids))
        .into_tuple::<(i32, String)>()
        .all(conn)
        .await)?
    .into_iter()
    .collect())
}

/// What an entity's writable state looks like, and how to read and write it. The columns come
/// from `fields!`; a type adds its checks, its tags and what blocks its deletion.
pub trait Curated: Record + Sized + Send + Sync {
    /// The row as stored.
    type Model: Clone + Send + Sync;
    /// Everything a writer sets: columns and tags, references as ids.
    type Fields: Columns<Model = Self::Model>;

    /// Checks fields against each other and against the database (references that must exist).
    fn validate<C: ConnectionTrait>(
        conn: &C,
        fields: &Self::Fields,
    ) -> impl Future<Output = ApiResult<Vec<Problem>>> + Send;

    /// Checks that need the row's own id, run on updates only (e.g. an exercise may not be part
    /// of itself or of its own parts). None by default.
    fn validate_existing<C: ConnectionTrait>(
        _conn: &C,
        _id: i32,
        _fields: &Self::Fields,
    ) -> impl Future<Output = ApiResult<Vec<Problem>>> + Send {
        async { Ok(Vec::new()) }
    }

    /// The columns of other tables that point at a row: while any does, the row is not deleted.
    fn dependents() -> Vec<Dependent> {
        Vec::new()
    }

    /// Reads the row's tags into fields read from its columns. None by default.
    fn read_tags<C: ConnectionTrait>(
        _conn: &C,
        _model: &Self::Model,
        _fields: &mut Self::Fields,
    ) -> impl Future<Output = ApiResult<()>> + Send {
        async { Ok(()) }
    }

    /// Writes the row's tags (after [`Curated::clear_tags`] on an update). None by default.
    fn write_tags<C: ConnectionTrait>(
        _conn: &C,
        _id: i32,
        _fields: &Self::Fields,
    ) -> impl Future<Output = ApiResult<()>> + Send {
        async { Ok(()) }
    }

    /// Removes the row's tags. None by default.
    fn clear_tags<C: ConnectionTrait>(
        _conn: &C,
        _id: i32,
    ) -> impl Future<Output = ApiResult<()>> + Send {
        async { Ok(()) }
    }

    /// The row and its current fields; `None` when there is no such row.
    fn load<C: ConnectionTrait>(
        conn: &C,
        id: i32,
    ) -> impl Future<Output = ApiResult<Option<(Self::Model, Self::Fields)>>> + Send {
        async move {
            let Some((model, mut fields)) = Self::Fields::find(conn, id).await? else {
                return Ok(None);
            };
            Self::read_tags(conn, &model, &mut fields).await?;
            Ok(Some((model, fields)))
        }
    }

    /// Inserts (`id` is `None`) or overwrites a row and its tags; returns the stored row.
    fn write<C: ConnectionTrait>(
        conn: &C,
        id: Option<i32>,
        fields: &Self::Fields,
        version: i64,
        external: Option<&External>,
    ) -> impl Future<Output = ApiResult<Self::Model>> + Send {
        async move {
            if let Some(id) = id {
                Self::clear_tags(conn, id).await?;
            }
            let model = fields.save(conn, id, version, external).await?;
            Self::write_tags(conn, Self::Fields::id(&model), fields).await?;
            Ok(model)
        }
    }

    /// Deletes the row and its tags; refuses (`CONFLICT`) while other rows still depend on it.
    fn remove<C: ConnectionTrait>(conn: &C, id: i32) -> impl Future<Output = ApiResult<()>> + Send {
        async move {
            refuse_if_used(conn, Self::NOUN, id, &Self::dependents()).await?;
            Self::clear_tags(conn, id).await?;
            Self::Fields::delete(conn, id).await
        }
    }

    fn id(model: &Self::Model) -> i32 {
        Self::Fields::id(model)
    }
    fn version(model: &Self::Model) -> i64 {
        Self::Fields::version(model)
    }
    fn slug(fields: &Self::Fields) -> &str {
        fields.slug()
    }
    /// Whether readers without an editor role may see the row. Yes by default.
    fn visible(_fields: &Self::Fields) -> bool {
        true
    }
    /// The missions the row bears on (for subscription filters). None by default.
    fn missions(_fields: &Self::Fields) -> Vec<Mission> {
        Vec::new()
    }
}

/// Who makes a change, as the change log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor<'a> {
    /// A token's name (`cli` for the command line): every change is logged.
    Named(&'a str),
    /// The seed corpus, which is the database's starting state rather than a change to it: it
    /// inserts what is missing, leaves what exists, and logs nothing.
    Seed,
}

impl<'a> Actor<'a> {
    /// The name the change log records, when the change is logged.
    pub fn logged(self) -> Option<&'a str> {
        match self {
            Actor::Named(name) => Some(name),
            Actor::Seed => None,
        }
    }
}

impl<'a> From<&'a str> for Actor<'a> {
    fn from(name: &'a str) -> Self {
        Actor::Named(name)
    }
}

/// An integrator's key for a row: unique per source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct External {
    pub source: String,
    pub id: String,
}

/// What a write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Adds a change-log entry (none for the seed corpus).
#[allow(clippy::too_many_arguments)]
async fn record<T: Curated, C: ConnectionTrait>(
    conn: &C,
    actor: Actor<'_>,
    id: i32,
    kind: ChangeKind,
    version: i64,
    before: Option<&T::Fields>,
    after: Option<&T::Fields>,
) -> ApiResult<()> {
    let Some(actor) = actor.logged() else {
        return Ok(());
    };
    let mut entry = change_entry::<T>(actor, id, kind, version, before, after)?;
    if after.is_some_and(T::visible) || before.is_some_and(T::visible) {
        entry.public_seq = Set(Some(next_public_seq(conn).await?));
    }
    db(entry.insert(conn).await)?;
    Ok(())
}

/// The next number of the readers' own sequence (`change_log.public_seq`), so hidden changes
/// leave no gaps in the feed readers see. Writers are queued by the write clock, so no other
/// writer takes the same number.
pub(crate) async fn next_public_seq<C: ConnectionTrait>(conn: &C) -> ApiResult<i64> {
    let row = db(conn
        .query_one_raw(next_public_seq_statement(conn.get_database_backend()))
        .await)?;
    match row {
        Some(r) => db(r.try_get("", "next")),
        None => Ok(1),
    }
}

/// The statement [`next_public_seq`] runs (column `next`), for a caller that queues its
/// statements (the bulk import's executor).
pub(crate) fn next_public_seq_statement(backend: DatabaseBackend) -> Statement {
    Statement::from_string(
        backend,
        "SELECT COALESCE(MAX(public_seq), 0) + 1 AS next FROM change_log",
    )
}

/// A change-log entry, not yet written (a bulk import writes many in one statement).
pub(crate) fn change_entry<T: Curated>(
    actor: &str,
    id: i32,
    kind: ChangeKind,
    version: i64,
    before: Option<&T::Fields>,
    after: Option<&T::Fields>,
) -> ApiResult<change_log::ActiveModel> {
    let current = after.or(before).ok_or(ApiError::Internal)?;
    let json = |f: Option<&T::Fields>| -> ApiResult<Option<serde_json::Value>> {
        f.map(|f| {
            serde_json::to_value(f).map_err(|err| {
                tracing::error!(error = %err, "could not serialise a change");
                ApiError::Internal
            })
        })
        .transpose()
    };
    let missions = T::missions(current)
        .iter()
        .map(|m| mission_code(*m))
        .collect::<Vec<_>>()
        .join(",");
    Ok(change_log::ActiveModel {
        entity: Set(T::KIND.type_name().to_string()),
        entity_id: Set(id),
        slug: Set(T::slug(current).to_string()),
        kind: Set(kind),
        version: Set(version),
        visible: Set(after.is_some_and(T::visible)),
        was_visible: Set(before.is_some_and(T::visible)),
        missions: Set(missions),
        actor: Set(actor.to_string()),
        changed_at: Set(Utc::now()),
        before: Set(json(before)?),
        after: Set(json(after)?),
        ..Default::default()
    })
}

/// The mission's code as the schema spells it.
pub fn mission_code(m: Mission) -> &'static str {
    match m {
        Mission::Health => "HEALTH",
        Mission::Education => "EDUCATION",
        Mission::CrimeAndPolicing => "CRIME_AND_POLICING",
        Mission::EnergyAndNetZero => "ENERGY_AND_NET_ZERO",
        Mission::EconomicGrowth => "ECONOMIC_GROWTH",
    }
}

async fn checked<T: Curated, C: ConnectionTrait>(
    conn: &C,
    fields: &T::Fields,
    prefix: &str,
) -> ApiResult<()> {
    match T::validate(conn, fields).await?.into_iter().next() {
        Some(problem) => Err(problem.into_error(prefix)),
        None => Ok(()),
    }
}

/// Loads a row for a write, checking the version the writer read.
pub async fn current<T: Curated, C: ConnectionTrait>(
    conn: &C,
    id: i32,
    expected_version: Option<i64>,
) -> ApiResult<(T::Model, T::Fields)> {
    let (model, fields) = T::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No {} has this ID", T::KIND.type_name())))?;
    if let Some(expected) = expected_version {
        let actual = T::version(&model);
        if actual != expected {
            return Err(ApiError::conflict(format!(
                "The {} is at version {actual}, not {expected}: it changed since it was read; \
                 read it again and reapply the change",
                T::KIND.type_name()
            )));
        }
    }
    Ok((model, fields))
}

/// Creates a row. `prefix` is where the input sits in the request, for error paths.
pub async fn create<T: Curated, C: ConnectionTrait>(
    conn: &C,
    actor: Actor<'_>,
    fields: &T::Fields,
    external: Option<&External>,
    prefix: &str,
) -> ApiResult<T::Model> {
    checked::<T, C>(conn, fields, prefix).await?;
    create_valid::<T, C>(conn, actor, fields, external).await
}

/// Creates a row whose fields the caller has already validated (a bulk import validates each
/// row once, to report every problem, then writes it without checking again).
pub async fn create_valid<T: Curated, C: ConnectionTrait>(
    conn: &C,
    actor: Actor<'_>,
    fields: &T::Fields,
    external: Option<&External>,
) -> ApiResult<T::Model> {
    let model = T::write(conn, None, fields, 1, external).await?;
    record::<T, C>(
        conn,
        actor,
        T::id(&model),
        ChangeKind::Create,
        1,
        None,
        Some(fields),
    )
    .await?;
    Ok(model)
}

/// Replaces a row's fields; a write that changes nothing keeps the version and logs nothing.
pub async fn update<T: Curated, C: ConnectionTrait>(
    conn: &C,
    actor: Actor<'_>,
    model: &T::Model,
    before: &T::Fields,
    after: &T::Fields,
    prefix: &str,
) -> ApiResult<(T::Model, Outcome)> {
    if before == after {
        return Ok((model.clone(), Outcome::Unchanged));
    }
    checked::<T, C>(conn, after, prefix).await?;
    if let Some(problem) = T::validate_existing(conn, T::id(model), after)
        .await?
        .into_iter()
        .next()
    {
        return Err(problem.into_error(prefix));
    }
    update_valid::<T, C>(conn, actor, model, before, after).await
}

/// Replaces a row's fields with ones the caller has already validated (see [`create_valid`]).
pub async fn update_valid<T: Curated, C: ConnectionTrait>(
    conn: &C,
    actor: Actor<'_>,
    model: &T::Model,
    before: &T::Fields,
    after: &T::Fields,
) -> ApiResult<(T::Model, Outcome)> {
    if before == after {
        return Ok((model.clone(), Outcome::Unchanged));
    }
    let id = T::id(model);
    let version = T::version(model) + 1;
    let stored = T::write(conn, Some(id), after, version, None).await?;
    record::<T, C>(
        conn,
        actor,
        id,
        ChangeKind::Update,
        version,
        Some(before),
        Some(after),
    )
    .await?;
    Ok((stored, Outcome::Updated))
}

/// Deletes a row and leaves a tombstone in the change log.
pub async fn delete<T: Curated, C: ConnectionTrait>(
    conn: &C,
    actor: Actor<'_>,
    model: &T::Model,
    before: &T::Fields,
) -> ApiResult<()> {
    let id = T::id(model);
    T::remove(conn, id).await?;
    record::<T, C>(
        conn,
        actor,
        id,
        ChangeKind::Delete,
        T::version(model),
        Some(before),
        None,
    )
    .await?;
    Ok(())
}

/// Creates or updates the row an integrator knows by `external`.
pub async fn upsert<T: Curated, C: ConnectionTrait>(
    conn: &C,
    actor: Actor<'_>,
    existing: Option<i32>,
    fields: &T::Fields,
    external: &External,
    prefix: &str,
) -> ApiResult<(T::Model, Outcome)> {
    match existing {
        None => Ok((
            create::<T, C>(conn, actor, fields, Some(external), prefix).await?,
            Outcome::Created,
        )),
        Some(id) => {
            let (model, before) = current::<T, C>(conn, id, None).await?;
            update::<T, C>(conn, actor, &model, &before, fields, prefix).await
        }
    }
}

// Shared checks.

/// Slugs are lower-case ASCII words joined by single hyphens: stable URLs and bundle keys.
pub fn check_slug(problems: &mut Vec<Problem>, field: &str, slug: &str) {
    let ok = !slug.is_empty()
        && slug.len() <= 120
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        problems.push(Problem::new(
            field,
            "A slug is 1 to 120 lower-case letters, digits and single hyphens",
        ));
    }
}

/// A required text: not blank, at most `max` characters.
pub fn check_text(problems: &mut Vec<Problem>, field: &str, text: &str, max: usize) {
    if text.trim().is_empty() {
        problems.push(Problem::new(field, "Must not be blank"));
    } else if text.chars().count() > max {
        problems.push(Problem::new(
            field,
            format!("Must be at most {max} characters"),
        ));
    }
}

/// An optional text: when present, as [`check_text`].
pub fn check_opt_text(problems: &mut Vec<Problem>, field: &str, text: Option<&str>, max: usize) {
    if let Some(text) = text {
        check_text(problems, field, text, max);
    }
}

/// An absolute http(s) URL with a host and no whitespace.
pub fn check_url(problems: &mut Vec<Problem>, field: &str, url: Option<&str>) {
    let Some(url) = url else { return };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    let ok = url.len() <= 2000
        && !url.chars().any(char::is_whitespace)
        && host.is_some_and(|h| !h.is_empty() && !h.starts_with(':') && !h.contains('@'));
    if !ok {
        problems.push(Problem::new(field, "Must be an absolute http or https URL"));
    }
}

/// A partial date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
pub fn check_date(problems: &mut Vec<Problem>, field: &str, date: Option<&str>) {
    if let Some(date) = date {
        if !is_partial_date(date) {
            problems.push(Problem::new(
                field,
                "Must be a date written YYYY, YYYY-MM or YYYY-MM-DD",
            ));
        }
    }
}

/// True for `YYYY`, `YYYY-MM` and `YYYY-MM-DD` with a real month and day.
pub fn is_partial_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2) && matches!(m.parse::<u32>(), Ok(1..=12)),
        [y, m, d] => {
            digits(y, 4)
                && digits(m, 2)
                && digits(d, 2)
                && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
        }
        _ => false,
    }
}

/// Whether one part of an external key (source or id) is acceptable: 1 to 200 characters.
pub fn external_part_ok(value: &str) -> bool {
    !value.trim().is_empty() && value.chars().count() <= 200
}

/// An external key must have both parts, each 1 to 200 characters.
pub fn check_external(external: &External, prefix: &str) -> ApiResult<()> {
    for (field, value) in [
        ("externalSource", &external.source),
        ("externalId", &external.id),
    ] {
        if !external_part_ok(value) {
            return Err(ApiError::bad_input(
                &format!("{prefix}.{field}"),
                "Must be 1 to 200 characters",
            ));
        }
    }
    Ok(())
}

/// Checks that every id names a row of `T`, reporting `field[i]` for the ones that do not.
pub async fn check_refs<T: Record, C: ConnectionTrait>(
    conn: &C,
    problems: &mut Vec<Problem>,
    field: &str,
    ids: &[i32],
) -> ApiResult<()> {
    for (i, id) in ids.iter().enumerate() {
        check_ref::<T, C>(conn, problems, &format!("{field}[{i}]"), *id).await?;
    }
    Ok(())
}

/// Checks that `id` names a row of `T`.
pub async fn check_ref<T: Record, C: ConnectionTrait>(
    conn: &C,
    problems: &mut Vec<Problem>,
    field: &str,
    id: i32,
) -> ApiResult<()> {
    let found = db(T::Entity::find()
        .select_only()
        .column(T::ID)
        .filter(T::ID.eq(id))
        .into_tuple::<i32>()
        .one(conn)
        .await)?;
    if found.is_none() {
        problems.push(Problem::new(field, format!("No {} has this ID", T::NOUN)));
    }
    Ok(())
}

/// Rejects duplicate entries in a tag list.
pub fn check_unique<T: PartialEq>(problems: &mut Vec<Problem>, field: &str, items: &[T]) {
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            problems.push(Problem::new(format!("{field}[{i}]"), "Listed twice"));
        }
    }
}

/// A tag list (join-table rows): kept in the order the writer gave, so problems name the
/// writer's indices, but compared as a multiset, since the database keeps no order.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct Tags<T>(pub Vec<T>);

impl<T> Default for Tags<T> {
    fn default() -> Self {
        Tags(Vec::new())
    }
}

impl<T> From<Vec<T>> for Tags<T> {
    fn from(list: Vec<T>) -> Self {
        Tags(list)
    }
}

impl<T: PartialEq> PartialEq for Tags<T> {
    fn eq(&self, other: &Self) -> bool {
        let count = |list: &[T], x: &T| list.iter().filter(|y| *y == x).count();
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .all(|x| count(&self.0, x) == count(&other.0, x))
    }
}

/// A column that points at rows of another table: a row it points at may not be deleted.
pub struct Dependent {
    table: &'static str,
    column: &'static str,
    /// What the pointing rows are, e.g. `finding(s)`.
    what: &'static str,
}

impl Dependent {
    pub fn on<C: ColumnTrait>(column: C, what: &'static str) -> Self {
        use sea_orm::EntityName;
        Dependent {
            table: C::EntityName::default().table_name(),
            column: column.as_str(),
            what,
        }
    }
}

/// Refuses to delete the row `id` (`CONFLICT`) while any of `dependents` points at it, naming
/// them all so the editor knows what to move or delete first. One statement counts them all.
pub async fn refuse_if_used<C: ConnectionTrait>(
    conn: &C,
    what: &str,
    id: i32,
    dependents: &[Dependent],
) -> ApiResult<()> {
    if dependents.is_empty() {
        return Ok(());
    }
    let counts: Vec<String> = dependents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "(SELECT COUNT(*) FROM \"{}\" WHERE \"{}\" = {id}) AS n{i}",
                d.table, d.column
            )
        })
        .collect();
    let backend = conn.get_database_backend();
    let sql = format!("SELECT {}", counts.join(", "));
    let row = db(conn
        .query_one_raw(Statement::from_string(backend, sql))
        .await)?
    .ok_or_else(|| {
        tracing::error!(what, id, "counting dependents returned no row");
        ApiError::Internal
    })?;
    let mut used = Vec::new();
    for (i, d) in dependents.iter().enumerate() {
        let n: i64 = db(row.try_get("", &format!("n{i}")))?;
        if n > 0 {
            used.push(format!("{n} {}", d.what));
        }
    }
    if used.is_empty() {
        return Ok(());
    }
    Err(ApiError::conflict(format!(
        "The {what} is still used by {}: move or delete them first",
        used.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dates() {
        for ok in ["2024", "2024-09", "2024-10-26", "2024-02-29"] {
            assert!(is_partial_date(ok), "{ok}");
        }
        for bad in [
            "",
            "24",
            "2024-13",
            "2024-9",
            "2023-02-29",
            "2024-10-26T00:00",
            "September 2024",
        ] {
            assert!(!is_partial_date(bad), "{bad}");
        }
    }
}
