//! Typed filters for lists, translated into SQL conditions (subqueries on indexed join-table and
//! foreign-key columns), so filtering happens in the database.

use crate::curation::Link;
use crate::engine::{
    kind_index, mission_index, nanos, stance_index, Engine, Index, Selected, ViewQuery,
};
use crate::enums::{FindingKind, Mission, Stance};
use crate::errors::{db, ApiError, ApiResult};
use crate::ids::{GlobalId, NodeKind};
use crate::scalars::Timestamp;
use async_graphql::{InputObject, ID};
use entity::{exercise, finding, participant_view, theme};
use sea_orm::{
    sea_query::{Condition, Query, SelectStatement},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use std::collections::HashMap;
use std::sync::Arc;

/// Which missions an item must be tagged with.
#[derive(InputObject, Clone, Debug, Default)]
pub struct MissionMatch {
    /// Tagged with at least one of these missions.
    pub any_of: Option<Vec<Mission>>,
    /// Tagged with every one of these missions.
    pub all_of: Option<Vec<Mission>>,
}

/// Which themes an item must be tagged with, by theme slug (e.g. `privacy`).
#[derive(InputObject, Clone, Debug, Default)]
pub struct ThemeMatch {
    /// Tagged with at least one of these themes.
    pub any_of: Option<Vec<String>>,
    /// Tagged with every one of these themes.
    pub all_of: Option<Vec<String>>,
}

/// A range of dates; either end may be left open. Dates may be partial (`2024`, `2024-09`), and
/// `to` includes the whole period it names (`to: "2024"` includes 2024-12-31).
#[derive(InputObject, Clone, Debug, Default)]
pub struct DateRange {
    /// On or after this date.
    pub from: Option<String>,
    /// On or before this date (inclusive of the whole year or month given).
    pub to: Option<String>,
}

/// Narrows a list of participant views. Every condition given must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ViewFilter {
    /// Missions the views are tagged with.
    pub missions: Option<MissionMatch>,
    /// Themes the views are tagged with.
    pub themes: Option<ThemeMatch>,
    /// Only views with one of these stances.
    pub stances: Option<Vec<Stance>>,
    /// Only views gathered in this exercise (global ID).
    pub exercise: Option<ID>,
    /// Only views gathered in this session (global ID).
    pub session: Option<ID>,
    /// Only views that support this finding (global ID).
    pub finding: Option<ID>,
    /// True: verbatim quotes only; false: paraphrases only.
    pub verbatim: Option<bool>,
    /// Only views from exercises that started within this range.
    pub exercise_started: Option<DateRange>,
    /// Only views from exercises held in at least one of these places (e.g. `Cambridge`; case
    /// is ignored).
    pub places: Option<Vec<String>>,
    /// Only views from exercises this organisation (global ID) took part in, in any role.
    pub organisation: Option<ID>,
    /// Only views changed at or after this time (for incremental sync).
    pub updated_since: Option<Timestamp>,
}

/// Narrows a list of findings. Every condition given must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct FindingFilter {
    /// Missions the findings are tagged with.
    pub missions: Option<MissionMatch>,
    /// Themes the findings are tagged with.
    pub themes: Option<ThemeMatch>,
    /// Only findings of one of these kinds.
    pub kinds: Option<Vec<FindingKind>>,
    /// Only findings of this exercise (global ID).
    pub exercise: Option<ID>,
    /// Only findings from exercises that started within this range.
    pub exercise_started: Option<DateRange>,
    /// Only findings of exercises held in at least one of these places (e.g. `Liverpool`; case
    /// is ignored).
    pub places: Option<Vec<String>>,
    /// Only findings of exercises this organisation (global ID) took part in, in any role.
    pub organisation: Option<ID>,
    /// Only findings changed at or after this time (for incremental sync).
    pub updated_since: Option<Timestamp>,
}

fn db_missions(list: &[Mission]) -> Vec<entity::enums::Mission> {
    list.iter().map(|m| (*m).into()).collect()
}

/// Resolves theme slugs to ids; an unknown slug is a `BAD_USER_INPUT` naming it.
async fn theme_ids(
    conn: &DatabaseConnection,
    slugs: &[String],
    field: &str,
) -> ApiResult<Vec<i32>> {
    let found: HashMap<String, i32> = db(theme::Entity::find()
        .select_only()
        .column(theme::Column::Slug)
        .column(theme::Column::Id)
        .filter(theme::Column::Slug.is_in(slugs.iter().cloned()))
        .into_tuple::<(String, i32)>()
        .all(conn)
        .await)?
    .into_iter()
    .collect();
    slugs
        .iter()
        .map(|s| {
            found
                .get(s)
                .copied()
                .ok_or_else(|| ApiError::bad_input(field, format!("No theme with slug {s:?}")))
        })
        .collect()
}

/// A filter's conditions, added argument by argument: every one must hold. An argument not
/// given (or an empty list) adds nothing.
struct All(Condition);

impl Default for All {
    fn default() -> Self {
        All(Condition::all())
    }
}

impl All {
    fn add(self, condition: impl Into<Condition>) -> Self {
        All(self.0.add(condition))
    }

    /// `column` holds one of `values` (schema enums, stored as `S`).
    fn one_of<S: Into<sea_orm::Value>, V: Copy + Into<S>>(
        self,
        column: impl ColumnTrait,
        values: &Option<Vec<V>>,
    ) -> Self {
        match values.as_ref().filter(|l| !l.is_empty()) {
            Some(l) => self.add(column.is_in(l.iter().map(|v| Into::<S>::into(*v)))),
            None => self,
        }
    }

    /// `column` holds the row the global ID `id` names.
    fn is(
        self,
        column: impl ColumnTrait,
        id: &Option<ID>,
        kind: NodeKind,
        at: &str,
    ) -> ApiResult<Self> {
        Ok(match id {
            Some(id) => self.add(column.eq(GlobalId::decode_int(id, kind, at)?)),
            None => self,
        })
    }

    /// The row (its `id_column`) is linked through `link` to the row the global ID `id` names.
    fn linked<J: EntityTrait>(
        self,
        id_column: impl ColumnTrait,
        link: &Link<J>,
        id: &Option<ID>,
        kind: NodeKind,
        at: &str,
    ) -> ApiResult<Self> {
        Ok(match id {
            Some(id) => {
                let other = GlobalId::decode_int(id, kind, at)?;
                self.add(id_column.in_subquery(link.tagged_with([other])))
            }
            None => self,
        })
    }

    /// `column` (a partial date) lies in `range`.
    fn within(
        self,
        column: impl ColumnTrait,
        range: &Option<DateRange>,
        at: &str,
    ) -> ApiResult<Self> {
        Ok(match range {
            Some(range) => self.add(date_range(column, range, at)?),
            None => self,
        })
    }

    /// `column` equals `value`.
    fn equals<V: Into<sea_orm::Value>>(self, column: impl ColumnTrait, value: Option<V>) -> Self {
        match value {
            Some(v) => self.add(column.eq(v)),
            None => self,
        }
    }

    /// The row's exercise (its `column`) started within `started`, was held in one of
    /// `places`, and involved the organisation `organisation` names.
    fn exercises(
        self,
        column: impl ColumnTrait,
        started: &Option<DateRange>,
        places: &Option<Vec<String>>,
        organisation: &Option<ID>,
    ) -> ApiResult<Self> {
        let mut all = self;
        if let Some(range) = started {
            let sub = exercises_started(range, "filter.exerciseStarted")?;
            all = all.add(column.in_subquery(sub));
        }
        if let Some(sub) = exercises_in(places) {
            all = all.add(column.in_subquery(sub));
        }
        if let Some(sub) = exercises_of(organisation)? {
            all = all.add(column.in_subquery(sub));
        }
        Ok(all)
    }

    /// The row (its `id_column`) is tagged with the missions and themes asked for (any of,
    /// and each of all of), through its join tables.
    async fn tagged<M: EntityTrait, T: EntityTrait>(
        self,
        conn: &DatabaseConnection,
        id: impl ColumnTrait,
        tags: (
            &Link<M>,
            &Option<MissionMatch>,
            &Link<T>,
            &Option<ThemeMatch>,
        ),
    ) -> ApiResult<Self> {
        let (mission_link, missions, theme_link, themes) = tags;
        let mut all = self;
        if let Some(m) = missions {
            if let Some(any) = m.any_of.as_ref().filter(|l| !l.is_empty()) {
                all = all.add(id.in_subquery(mission_link.tagged_with(db_missions(any))));
            }
            for one in m.all_of.iter().flatten() {
                all = all.add(id.in_subquery(mission_link.tagged_with(db_missions(&[*one]))));
            }
        }
        if let Some(t) = themes {
            if let Some(any) = t.any_of.as_ref().filter(|l| !l.is_empty()) {
                let ids = theme_ids(conn, any, "filter.themes.anyOf").await?;
                all = all.add(id.in_subquery(theme_link.tagged_with(ids)));
            }
            if let Some(list) = t.all_of.as_ref().filter(|l| !l.is_empty()) {
                for one in theme_ids(conn, list, "filter.themes.allOf").await? {
                    all = all.add(id.in_subquery(theme_link.tagged_with([one])));
                }
            }
        }
        Ok(all)
    }

    /// `column` (a change time) is at or after `since`.
    fn since(self, column: impl ColumnTrait, since: &Option<Timestamp>) -> Self {
        match since {
            Some(Timestamp(at)) => self.add(column.gte(*at)),
            None => self,
        }
    }
}

/// Subquery: the exercises whose start date lies in `range`.
fn exercises_started(range: &DateRange, field: &str) -> ApiResult<SelectStatement> {
    Ok(Query::select()
        .column(exercise::Column::Id)
        .from(exercise::Entity)
        .cond_where(date_range(exercise::Column::StartDate, range, field)?)
        .to_owned())
}

/// Subquery: the exercises held in at least one of `places` (through the `exercise_place`
/// index, matched on the lower-cased name). `None` when no place is given.
fn exercises_in(places: &Option<Vec<String>>) -> Option<SelectStatement> {
    use entity::exercise_place;
    let keys: Vec<String> = places
        .iter()
        .flatten()
        .map(|p| crate::places::place_key(p))
        .collect();
    if keys.is_empty() {
        return None;
    }
    let link = Link::<exercise_place::Entity>::new(
        exercise_place::Column::ExerciseId,
        exercise_place::Column::PlaceKey,
    );
    Some(link.tagged_with(keys))
}

/// Subquery: the exercises the organisation named by `id` took part in (indexed on the
/// organisation).
fn exercises_of(id: &Option<ID>) -> ApiResult<Option<SelectStatement>> {
    use entity::exercise_organisation;
    let Some(id) = id else { return Ok(None) };
    let org = GlobalId::decode_int(id, NodeKind::Organisation, "filter.organisation")?;
    let link = Link::<exercise_organisation::Entity>::new(
        exercise_organisation::Column::ExerciseId,
        exercise_organisation::Column::OrganisationId,
    );
    Ok(Some(link.tagged_with([org])))
}

/// The bounds of `range` as stored-text comparisons (`from <= date <= to`), each checked: a
/// partial `to` is widened to the end of the period it names.
pub(crate) fn date_bounds(
    range: &DateRange,
    field: &str,
) -> ApiResult<(Option<String>, Option<String>)> {
    let mut bounds = (None, None);
    if let Some(from) = &range.from {
        check_date(from, &format!("{field}.from"))?;
        bounds.0 = Some(from.clone());
    }
    if let Some(to) = &range.to {
        check_date(to, &format!("{field}.to"))?;
        // Partial dates sort as strings; "2024-99" sorts after every day of 2024.
        bounds.1 = Some(if to.len() == 10 {
            to.clone()
        } else {
            format!("{to}-99")
        });
    }
    Ok(bounds)
}

/// The condition "`column` (a partial-date text column) lies in `range`".
fn date_range(column: impl ColumnTrait, range: &DateRange, field: &str) -> ApiResult<Condition> {
    let mut cond = Condition::all();
    let (from, to) = date_bounds(range, field)?;
    if let Some(from) = from {
        cond = cond.add(column.gte(from));
    }
    if let Some(to) = to {
        cond = cond.add(column.lte(to));
    }
    Ok(cond)
}

fn check_date(value: &str, field: &str) -> ApiResult<()> {
    if crate::curation::is_partial_date(value) {
        Ok(())
    } else {
        Err(ApiError::bad_input(
            field,
            format!("{value:?} is not a date (expected 2024, 2024-09 or 2024-10-26)"),
        ))
    }
}

impl ViewFilter {
    /// The SQL condition on `participant_view` this filter stands for.
    pub async fn condition(&self, conn: &DatabaseConnection) -> ApiResult<Condition> {
        use crate::curation::views::{MISSIONS, THEMES};
        use participant_view::Column as C;
        let all = All::default()
            .one_of::<entity::enums::Stance, _>(C::Stance, &self.stances)
            .is(
                C::ExerciseId,
                &self.exercise,
                NodeKind::Exercise,
                "filter.exercise",
            )?
            .is(
                C::SessionId,
                &self.session,
                NodeKind::Session,
                "filter.session",
            )?
            .is(
                C::FindingId,
                &self.finding,
                NodeKind::Finding,
                "filter.finding",
            )?
            .equals(C::IsVerbatim, self.verbatim)
            .exercises(
                C::ExerciseId,
                &self.exercise_started,
                &self.places,
                &self.organisation,
            )?
            .since(C::UpdatedAt, &self.updated_since);
        let tags = (&MISSIONS, &self.missions, &THEMES, &self.themes);
        Ok(all.tagged(conn, C::Id, tags).await?.0)
    }
}

impl FindingFilter {
    /// The SQL condition on `finding` this filter stands for.
    pub async fn condition(&self, conn: &DatabaseConnection) -> ApiResult<Condition> {
        use crate::curation::findings::{MISSIONS, THEMES};
        use finding::Column as C;
        let all = All::default()
            .one_of::<entity::enums::FindingKind, _>(C::Kind, &self.kinds)
            .is(
                C::ExerciseId,
                &self.exercise,
                NodeKind::Exercise,
                "filter.exercise",
            )?
            .exercises(
                C::ExerciseId,
                &self.exercise_started,
                &self.places,
                &self.organisation,
            )?
            .since(C::UpdatedAt, &self.updated_since);
        let tags = (&MISSIONS, &self.missions, &THEMES, &self.themes);
        Ok(all.tagged(conn, C::Id, tags).await?.0)
    }
}

/// Narrows a list of engagement exercises. Every condition given must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ExerciseFilter {
    /// Only exercises of one of these kinds.
    pub kinds: Option<Vec<crate::enums::ExerciseKind>>,
    /// Only exercises with one of these statuses.
    pub statuses: Option<Vec<crate::enums::ExerciseStatus>>,
    /// Only exercises that covered at least one of these missions.
    pub missions: Option<Vec<Mission>>,
    /// Only exercises this organisation (global ID) was involved in.
    pub organisation: Option<ID>,
    /// Only exercises that started within this range.
    pub started: Option<DateRange>,
    /// Only exercises held in at least one of these places (e.g. `Cambridge`; case is ignored).
    pub places: Option<Vec<String>>,
    /// Only exercises changed at or after this time.
    pub updated_since: Option<Timestamp>,
}

impl ExerciseFilter {
    /// The SQL condition on `exercise` this filter stands for.
    pub fn condition(&self) -> ApiResult<Condition> {
        use exercise::Column as C;
        let mut all = All::default()
            .one_of::<entity::enums::ExerciseKind, _>(C::Kind, &self.kinds)
            .one_of::<entity::enums::ExerciseStatus, _>(C::Status, &self.statuses);
        if let Some(missions) = self.missions.as_ref().filter(|l| !l.is_empty()) {
            let link = &crate::curation::exercises::MISSIONS;
            all = all.add(C::Id.in_subquery(link.tagged_with(db_missions(missions))));
        }
        if let Some(sub) = exercises_of(&self.organisation)? {
            all = all.add(C::Id.in_subquery(sub));
        }
        if let Some(sub) = exercises_in(&self.places) {
            all = all.add(C::Id.in_subquery(sub));
        }
        Ok(all
            .within(C::StartDate, &self.started, "filter.started")?
            .since(C::UpdatedAt, &self.updated_since)
            .0)
    }
}

/// Narrows a list of resources. Every condition given must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ResourceFilter {
    /// Only resources of one of these kinds.
    pub kinds: Option<Vec<crate::enums::ResourceKind>>,
    /// Only resources this organisation (global ID) published.
    pub publisher: Option<ID>,
    /// Only resources about this exercise (global ID).
    pub exercise: Option<ID>,
    /// Only resources that set out this finding (global ID).
    pub finding: Option<ID>,
    /// Only resources published within this range.
    pub published: Option<DateRange>,
    /// Only resources changed at or after this time.
    pub updated_since: Option<Timestamp>,
}

impl ResourceFilter {
    /// The SQL condition on `resource` this filter stands for.
    pub fn condition(&self) -> ApiResult<Condition> {
        use crate::curation::resources::{EXERCISES, FINDINGS};
        use entity::resource::Column as C;
        Ok(All::default()
            .one_of::<entity::enums::ResourceKind, _>(C::Kind, &self.kinds)
            .is(
                C::PublisherId,
                &self.publisher,
                NodeKind::Organisation,
                "filter.publisher",
            )?
            .linked(
                C::Id,
                &EXERCISES,
                &self.exercise,
                NodeKind::Exercise,
                "filter.exercise",
            )?
            .linked(
                C::Id,
                &FINDINGS,
                &self.finding,
                NodeKind::Finding,
                "filter.finding",
            )?
            .within(C::PublishedOn, &self.published, "filter.published")?
            .since(C::UpdatedAt, &self.updated_since)
            .0)
    }
}

/// Narrows a list of commitments. Every condition given must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CommitmentFilter {
    /// Only commitments with one of these statuses.
    pub statuses: Option<Vec<crate::enums::CommitmentStatus>>,
    /// Only commitments this organisation (global ID) made.
    pub organisation: Option<ID>,
    /// Only commitments that answer this exercise (global ID).
    pub exercise: Option<ID>,
    /// Only commitments that answer this finding (global ID).
    pub finding: Option<ID>,
    /// Only commitments stated within this range.
    pub stated: Option<DateRange>,
    /// Only commitments changed at or after this time.
    pub updated_since: Option<Timestamp>,
}

impl CommitmentFilter {
    /// The SQL condition on `commitment` this filter stands for.
    pub fn condition(&self) -> ApiResult<Condition> {
        use crate::curation::commitments::{EXERCISES, FINDINGS};
        use entity::commitment::Column as C;
        let organisation = NodeKind::Organisation;
        Ok(All::default()
            .one_of::<entity::enums::CommitmentStatus, _>(C::Status, &self.statuses)
            .is(
                C::OrganisationId,
                &self.organisation,
                organisation,
                "filter.organisation",
            )?
            .linked(
                C::Id,
                &EXERCISES,
                &self.exercise,
                NodeKind::Exercise,
                "filter.exercise",
            )?
            .linked(
                C::Id,
                &FINDINGS,
                &self.finding,
                NodeKind::Finding,
                "filter.finding",
            )?
            .within(C::StatedOn, &self.stated, "filter.stated")?
            .since(C::UpdatedAt, &self.updated_since)
            .0)
    }
}

/// Narrows a list of organisations. Every condition given must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct OrganisationFilter {
    /// Only organisations of one of these kinds.
    pub kinds: Option<Vec<crate::enums::OrganisationKind>>,
    /// Only organisations that played one of these roles in some exercise.
    pub roles: Option<Vec<crate::enums::OrganisationRole>>,
    /// Only organisations involved in this exercise (global ID).
    pub exercise: Option<ID>,
}

impl OrganisationFilter {
    /// The SQL condition on `organisation` this filter stands for.
    pub fn condition(&self) -> ApiResult<Condition> {
        use entity::{exercise_organisation, organisation};
        use organisation::Column as C;
        let mut cond = All::default()
            .one_of::<entity::enums::OrganisationKind, _>(C::Kind, &self.kinds)
            .0;
        let mut sub = Query::select()
            .column(exercise_organisation::Column::OrganisationId)
            .from(exercise_organisation::Entity)
            .to_owned();
        let mut involved = false;
        if let Some(roles) = self.roles.as_ref().filter(|l| !l.is_empty()) {
            let v: Vec<entity::enums::OrganisationRole> =
                roles.iter().map(|r| (*r).into()).collect();
            sub.and_where(exercise_organisation::Column::Role.is_in(v));
            involved = true;
        }
        if let Some(id) = &self.exercise {
            let ex = GlobalId::decode_int(id, NodeKind::Exercise, "filter.exercise")?;
            sub.and_where(exercise_organisation::Column::ExerciseId.eq(ex));
            involved = true;
        }
        if involved {
            cond = cond.add(C::Id.in_subquery(sub));
        }
        Ok(cond)
    }
}

/// Narrows a list of metrics.
#[derive(InputObject, Clone, Debug, Default)]
pub struct MetricFilter {
    /// Only figures reported by this exercise (global ID).
    pub exercise: Option<ID>,
    /// Only figures changed at or after this time.
    pub updated_since: Option<Timestamp>,
}

impl MetricFilter {
    /// The SQL condition on `metric` this filter stands for.
    pub fn condition(&self) -> ApiResult<Condition> {
        use entity::metric::Column as C;
        Ok(All::default()
            .is(
                C::ExerciseId,
                &self.exercise,
                NodeKind::Exercise,
                "filter.exercise",
            )?
            .since(C::UpdatedAt, &self.updated_since)
            .0)
    }
}

// Against the read engine's index.

/// Resolves a view filter against the index, with the same checks, in the same order and with
/// the same errors as [`ViewFilter::condition`]. (`Ok(None)` would send the caller to SQL; every
/// condition is held today.)
pub fn view_query(filter: &ViewFilter, index: &Index) -> ApiResult<Option<ViewQuery>> {
    let mut q = ViewQuery {
        stances: filter.stances.as_ref().map(|l| {
            l.iter()
                .filter_map(|s| stance_index(&stored(entity::enums::Stance::from(*s))))
                .collect()
        }),
        ..Default::default()
    };
    if let Some(id) = &filter.exercise {
        q.exercise = Some(GlobalId::decode_int(
            id,
            NodeKind::Exercise,
            "filter.exercise",
        )?);
    }
    if let Some(id) = &filter.session {
        q.session = Some(GlobalId::decode_int(
            id,
            NodeKind::Session,
            "filter.session",
        )?);
    }
    if let Some(id) = &filter.finding {
        q.finding = Some(GlobalId::decode_int(
            id,
            NodeKind::Finding,
            "filter.finding",
        )?);
    }
    q.verbatim = filter.verbatim;
    if let Some(range) = &filter.exercise_started {
        q.started = Some(date_bounds(range, "filter.exerciseStarted")?);
    }
    let places: Vec<String> = filter
        .places
        .iter()
        .flatten()
        .map(|p| crate::places::place_key(p))
        .collect();
    if !places.is_empty() {
        q.places = Some(places);
    }
    if let Some(id) = &filter.organisation {
        q.organisation = Some(GlobalId::decode_int(
            id,
            NodeKind::Organisation,
            "filter.organisation",
        )?);
    }
    q.updated_since = filter
        .updated_since
        .map(|Timestamp(since)| index.precise(nanos(since)));
    if let Some(m) = &filter.missions {
        q.missions_any = m.any_of.as_ref().map(|l| {
            l.iter()
                .filter_map(|m| mission_index(&stored(entity::enums::Mission::from(*m))))
                .collect()
        });
        q.missions_all = m
            .all_of
            .iter()
            .flatten()
            .filter_map(|m| mission_index(&stored(entity::enums::Mission::from(*m))))
            .collect();
    }
    if let Some(t) = &filter.themes {
        if let Some(any) = t.any_of.as_ref().filter(|l| !l.is_empty()) {
            q.themes_any = Some(indexed_theme_ids(index, any, "filter.themes.anyOf")?);
        }
        if let Some(all) = t.all_of.as_ref().filter(|l| !l.is_empty()) {
            q.themes_all = indexed_theme_ids(index, all, "filter.themes.allOf")?;
        }
    }
    Ok(Some(q))
}

fn stored<E: sea_orm::ActiveEnum<Value = String>>(value: E) -> String {
    value.to_value()
}

fn indexed_theme_ids(index: &Index, slugs: &[String], field: &str) -> ApiResult<Vec<i32>> {
    slugs
        .iter()
        .map(|s| {
            index
                .theme_id(s)
                .ok_or_else(|| ApiError::bad_input(field, format!("No theme with slug {s:?}")))
        })
        .collect()
}

/// The views a request may see under `filter`, from the index: `Ok(None)` when there is no
/// engine, it is not ready, or the filter needs SQL; the filter's own errors as SQL reports them.
pub fn select_views(
    engine: Option<&Engine>,
    filter: &ViewFilter,
    published_only: bool,
) -> ApiResult<Option<Arc<Selected>>> {
    let Some(engine) = engine else {
        return Ok(None);
    };
    engine.selected(false, published_only, |index| {
        view_query(filter, &index.views)
    })
}

/// Resolves a finding filter against the index, as [`view_query`] does for views (same checks,
/// order and errors as [`FindingFilter::condition`]); the kinds take the stances' place.
pub fn finding_query(filter: &FindingFilter, index: &Index) -> ApiResult<Option<ViewQuery>> {
    let as_view = ViewFilter {
        missions: filter.missions.clone(),
        themes: filter.themes.clone(),
        exercise: filter.exercise.clone(),
        exercise_started: filter.exercise_started.clone(),
        places: filter.places.clone(),
        organisation: filter.organisation.clone(),
        updated_since: filter.updated_since,
        ..Default::default()
    };
    let mut q = view_query(&as_view, index)?;
    if let Some(q) = q.as_mut() {
        q.stances = filter.kinds.as_ref().map(|l| {
            l.iter()
                .filter_map(|k| kind_index(&stored(entity::enums::FindingKind::from(*k))))
                .collect()
        });
    }
    Ok(q)
}

/// The findings a request may see under `filter`, from the index (see [`select_views`]).
pub fn select_findings(
    engine: Option<&Engine>,
    filter: &FindingFilter,
    published_only: bool,
) -> ApiResult<Option<Arc<Selected>>> {
    let Some(engine) = engine else {
        return Ok(None);
    };
    engine.selected(true, published_only, |index| {
        finding_query(filter, &index.findings)
    })
}
