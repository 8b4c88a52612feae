//! The seed corpus: the evidence curated from the two source documents, kept as data in
//! `api/seed/corpus.json` and embedded in the binary. Loading adds whatever is missing, matched by
//! slug, in one transaction, so loading twice changes nothing and a failed load writes nothing.

use chrono::Utc;
use entity::enums::{
    CommitmentStatus, ExerciseKind, ExerciseStatus, FindingKind, Mission, OrganisationKind,
    OrganisationRole, ResourceKind, SessionFormat, Stance,
};
use entity::{
    commitment, commitment_exercise, commitment_finding, exercise, exercise_mission,
    exercise_organisation, finding, finding_mission, finding_theme, metric, mission, organisation,
    participant_view, resource, resource_exercise, resource_finding, session, source_document,
    theme, view_mission, view_theme,
};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait,
    QuerySelect, Set, TransactionTrait,
};
use serde::Deserialize;
use std::collections::HashMap;

/// The curated corpus, as committed.
pub const CORPUS_JSON: &str = include_str!("../seed/corpus.json");

/// Why the corpus could not be loaded.
#[derive(Debug)]
pub enum SeedError {
    /// The data file is not valid (bad JSON, unknown enum value, dangling reference...).
    Invalid(String),
    Database(DbErr),
}

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedError::Invalid(m) => write!(f, "invalid corpus: {m}"),
            SeedError::Database(e) => write!(f, "database: {e}"),
        }
    }
}

impl std::error::Error for SeedError {}

impl From<DbErr> for SeedError {
    fn from(e: DbErr) -> Self {
        SeedError::Database(e)
    }
}

/// What a load did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    /// Rows inserted (tags and links included).
    pub created: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Corpus {
    pub sources: Vec<SourceRow>,
    pub missions: Vec<MissionRow>,
    pub themes: Vec<ThemeRow>,
    pub organisations: Vec<OrganisationRow>,
    pub exercises: Vec<ExerciseRow>,
    pub sessions: Vec<SessionRow>,
    pub findings: Vec<FindingRow>,
    pub views: Vec<ViewRow>,
    pub metrics: Vec<MetricRow>,
    pub resources: Vec<ResourceRow>,
    pub commitments: Vec<CommitmentRow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceRow {
    pub slug: String,
    pub file_name: String,
    pub title: String,
    pub publisher: String,
    pub published_on: Option<String>,
    pub url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MissionRow {
    pub code: Mission,
    pub label: String,
    pub description: String,
    pub position: i32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThemeRow {
    pub slug: String,
    pub label: String,
    pub definition: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganisationRow {
    pub slug: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub website: Option<String>,
    pub description: Option<String>,
    pub source: String,
    pub locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Involvement {
    pub organisation: String,
    pub role: OrganisationRole,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExerciseRow {
    pub slug: String,
    pub title: String,
    pub kind: ExerciseKind,
    pub method: Option<String>,
    pub summary: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub places: Vec<String>,
    pub participant_count: Option<i32>,
    pub session_count: Option<i32>,
    pub status: ExerciseStatus,
    pub part_of: Option<String>,
    pub missions: Vec<Mission>,
    pub organisations: Vec<Involvement>,
    pub source: String,
    pub locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionRow {
    pub slug: String,
    pub exercise: String,
    pub title: String,
    pub sequence: Option<i32>,
    pub date: Option<String>,
    pub place: Option<String>,
    pub format: Option<SessionFormat>,
    pub source: String,
    pub locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FindingRow {
    pub slug: String,
    pub exercise: String,
    pub title: String,
    pub summary: String,
    pub kind: FindingKind,
    pub position: i32,
    pub missions: Vec<Mission>,
    pub themes: Vec<String>,
    pub source: String,
    pub locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ViewRow {
    pub slug: String,
    pub exercise: String,
    pub session: Option<String>,
    pub finding: Option<String>,
    pub text: String,
    pub verbatim: bool,
    pub stance: Stance,
    pub missions: Vec<Mission>,
    pub themes: Vec<String>,
    pub source: String,
    pub locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricRow {
    pub slug: String,
    pub exercise: String,
    pub label: String,
    pub value: f64,
    pub unit: String,
    pub base: Option<i32>,
    pub source: String,
    pub locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRow {
    pub slug: String,
    pub title: String,
    pub kind: ResourceKind,
    pub url: Option<String>,
    pub publisher: Option<String>,
    pub published_on: Option<String>,
    pub exercises: Vec<String>,
    pub findings: Vec<String>,
    pub source: String,
    pub locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommitmentRow {
    pub slug: String,
    pub title: String,
    pub statement: String,
    pub organisation: String,
    pub stated_on: Option<String>,
    pub status: CommitmentStatus,
    pub exercises: Vec<String>,
    pub findings: Vec<String>,
    pub source: String,
    pub locator: String,
}

/// Parses and checks the embedded corpus.
pub fn corpus() -> Result<Corpus, SeedError> {
    let corpus: Corpus = serde_json::from_str(CORPUS_JSON)
        .map_err(|e| SeedError::Invalid(format!("corpus.json: {e}")))?;
    let dates = corpus
        .sources
        .iter()
        .map(|s| (format!("source {}", s.slug), &s.published_on))
        .chain(corpus.exercises.iter().flat_map(|e| {
            [
                (format!("exercise {} startDate", e.slug), &e.start_date),
                (format!("exercise {} endDate", e.slug), &e.end_date),
            ]
        }))
        .chain(
            corpus
                .sessions
                .iter()
                .map(|s| (format!("session {}", s.slug), &s.date)),
        )
        .chain(
            corpus
                .resources
                .iter()
                .map(|r| (format!("resource {}", r.slug), &r.published_on)),
        )
        .chain(
            corpus
                .commitments
                .iter()
                .map(|c| (format!("commitment {}", c.slug), &c.stated_on)),
        );
    for (what, date) in dates {
        if let Some(date) = date {
            if !crate::curation::is_partial_date(date) {
                return Err(SeedError::Invalid(format!(
                    "{what}: {date:?} is not a partial date"
                )));
            }
        }
    }
    Ok(corpus)
}

/// Loads the corpus only when the database holds no evidence yet (first start).
pub async fn seed_if_empty(db: &DatabaseConnection) -> Result<Option<SeedReport>, SeedError> {
    if source_document::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let report = seed(db).await?;
    tracing::info!(
        created = report.created,
        "seed corpus loaded into an empty database"
    );
    Ok(Some(report))
}

/// Loads the embedded corpus, adding what is missing; all or nothing.
pub async fn seed(db: &DatabaseConnection) -> Result<SeedReport, SeedError> {
    load(db, &corpus()?).await
}

/// Loads any corpus in one transaction: on any error nothing is written.
pub async fn load(db: &DatabaseConnection, corpus: &Corpus) -> Result<SeedReport, SeedError> {
    let txn = db.begin().await?;
    let report = Loader::new(&txn).load(corpus).await?;
    txn.commit().await?;
    Ok(report)
}

/// Slug -> id of the rows of one table.
type Ids = HashMap<String, i32>;

/// The slug -> id map of one table, read with a two-column query.
async fn slugs<E: EntityTrait>(
    txn: &DatabaseTransaction,
    slug: E::Column,
    id: E::Column,
) -> Result<Ids, DbErr> {
    Ok(E::find()
        .select_only()
        .column(slug)
        .column(id)
        .into_tuple::<(String, i32)>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}

fn lookup(ids: &Ids, list: &str, slug: &str, at: &str) -> Result<i32, SeedError> {
    ids.get(slug)
        .copied()
        .ok_or_else(|| SeedError::Invalid(format!("{at}: no {list} with slug {slug:?}")))
}

struct Loader<'a> {
    txn: &'a DatabaseTransaction,
    created: usize,
}

impl<'a> Loader<'a> {
    fn new(txn: &'a DatabaseTransaction) -> Self {
        Loader { txn, created: 0 }
    }

    async fn load(mut self, c: &Corpus) -> Result<SeedReport, SeedError> {
        let now = Utc::now();
        let txn = self.txn;

        let mut sources = slugs::<source_document::Entity>(
            txn,
            source_document::Column::Slug,
            source_document::Column::Id,
        )
        .await?;
        for s in &c.sources {
            if sources.contains_key(&s.slug) {
                continue;
            }
            let m = source_document::ActiveModel {
                slug: Set(s.slug.clone()),
                file_name: Set(s.file_name.clone()),
                title: Set(s.title.clone()),
                publisher: Set(s.publisher.clone()),
                published_on: Set(s.published_on.clone()),
                url: Set(s.url.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            sources.insert(m.slug, m.id);
            self.created += 1;
        }
        let source = |slug: &str, at: &str| lookup(&sources, "source", slug, at);

        let existing_missions: Vec<Mission> = mission::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|m| m.code)
            .collect();
        for m in &c.missions {
            if existing_missions.contains(&m.code) {
                continue;
            }
            mission::ActiveModel {
                code: Set(m.code),
                label: Set(m.label.clone()),
                description: Set(m.description.clone()),
                position: Set(m.position),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(txn)
            .await?;
            self.created += 1;
        }

        let mut themes =
            slugs::<theme::Entity>(txn, theme::Column::Slug, theme::Column::Id).await?;
        for t in &c.themes {
            if themes.contains_key(&t.slug) {
                continue;
            }
            let m = theme::ActiveModel {
                slug: Set(t.slug.clone()),
                label: Set(t.label.clone()),
                definition: Set(t.definition.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            themes.insert(m.slug, m.id);
            self.created += 1;
        }

        let mut orgs = slugs::<organisation::Entity>(
            txn,
            organisation::Column::Slug,
            organisation::Column::Id,
        )
        .await?;
        for o in &c.organisations {
            if orgs.contains_key(&o.slug) {
                continue;
            }
            let at = format!("organisation {}", o.slug);
            let m = organisation::ActiveModel {
                slug: Set(o.slug.clone()),
                name: Set(o.name.clone()),
                kind: Set(o.kind),
                website: Set(o.website.clone()),
                description: Set(o.description.clone()),
                source_document_id: Set(source(&o.source, &at)?),
                locator: Set(o.locator.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            orgs.insert(m.slug, m.id);
            self.created += 1;
        }

        let mut exercises =
            slugs::<exercise::Entity>(txn, exercise::Column::Slug, exercise::Column::Id).await?;
        let mut new_exercises = Vec::new();
        for e in &c.exercises {
            if exercises.contains_key(&e.slug) {
                continue;
            }
            let at = format!("exercise {}", e.slug);
            let m = exercise::ActiveModel {
                slug: Set(e.slug.clone()),
                title: Set(e.title.clone()),
                kind: Set(e.kind),
                method: Set(e.method.clone()),
                summary: Set(e.summary.clone()),
                start_date: Set(e.start_date.clone()),
                end_date: Set(e.end_date.clone()),
                places: Set(serde_json::json!(e.places)),
                participant_count: Set(e.participant_count),
                session_count: Set(e.session_count),
                status: Set(e.status),
                parent_id: Set(None),
                source_document_id: Set(source(&e.source, &at)?),
                locator: Set(e.locator.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            exercises.insert(m.slug.clone(), m.id);
            new_exercises.push((e, m));
            self.created += 1;
        }
        // Parents are set once every exercise exists, so the file's order does not matter.
        for (e, m) in new_exercises {
            let at = format!("exercise {}", e.slug);
            let id = m.id;
            crate::places::set_exercise_places(txn, id, &e.places).await?;
            self.created += e.places.len();
            if let Some(parent) = &e.part_of {
                let parent_id = lookup(&exercises, "exercise", parent, &format!("{at} partOf"))?;
                let mut am: exercise::ActiveModel = m.into();
                am.parent_id = Set(Some(parent_id));
                am.update(txn).await?;
            }
            for code in &e.missions {
                exercise_mission::ActiveModel {
                    exercise_id: Set(id),
                    mission_code: Set(*code),
                }
                .insert(txn)
                .await?;
                self.created += 1;
            }
            for inv in &e.organisations {
                exercise_organisation::ActiveModel {
                    exercise_id: Set(id),
                    organisation_id: Set(lookup(&orgs, "organisation", &inv.organisation, &at)?),
                    role: Set(inv.role),
                }
                .insert(txn)
                .await?;
                self.created += 1;
            }
        }

        let mut sessions =
            slugs::<session::Entity>(txn, session::Column::Slug, session::Column::Id).await?;
        for s in &c.sessions {
            if sessions.contains_key(&s.slug) {
                continue;
            }
            let at = format!("session {}", s.slug);
            let m = session::ActiveModel {
                slug: Set(s.slug.clone()),
                exercise_id: Set(lookup(&exercises, "exercise", &s.exercise, &at)?),
                title: Set(s.title.clone()),
                sequence: Set(s.sequence),
                date: Set(s.date.clone()),
                place: Set(s.place.clone()),
                format: Set(s.format),
                source_document_id: Set(source(&s.source, &at)?),
                locator: Set(s.locator.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            sessions.insert(m.slug, m.id);
            self.created += 1;
        }

        let mut findings =
            slugs::<finding::Entity>(txn, finding::Column::Slug, finding::Column::Id).await?;
        for f in &c.findings {
            if findings.contains_key(&f.slug) {
                continue;
            }
            let at = format!("finding {}", f.slug);
            let m = finding::ActiveModel {
                slug: Set(f.slug.clone()),
                exercise_id: Set(lookup(&exercises, "exercise", &f.exercise, &at)?),
                title: Set(f.title.clone()),
                summary: Set(f.summary.clone()),
                kind: Set(f.kind),
                position: Set(f.position),
                source_document_id: Set(source(&f.source, &at)?),
                locator: Set(f.locator.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            for code in &f.missions {
                finding_mission::ActiveModel {
                    finding_id: Set(m.id),
                    mission_code: Set(*code),
                }
                .insert(txn)
                .await?;
                self.created += 1;
            }
            for t in &f.themes {
                finding_theme::ActiveModel {
                    finding_id: Set(m.id),
                    theme_id: Set(lookup(&themes, "theme", t, &at)?),
                }
                .insert(txn)
                .await?;
                self.created += 1;
            }
            findings.insert(m.slug, m.id);
            self.created += 1;
        }

        let views = slugs::<participant_view::Entity>(
            txn,
            participant_view::Column::Slug,
            participant_view::Column::Id,
        )
        .await?;
        for v in &c.views {
            if views.contains_key(&v.slug) {
                continue;
            }
            let at = format!("view {}", v.slug);
            let m = participant_view::ActiveModel {
                slug: Set(v.slug.clone()),
                exercise_id: Set(lookup(&exercises, "exercise", &v.exercise, &at)?),
                session_id: Set(v
                    .session
                    .as_deref()
                    .map(|s| lookup(&sessions, "session", s, &at))
                    .transpose()?),
                finding_id: Set(v
                    .finding
                    .as_deref()
                    .map(|f| lookup(&findings, "finding", f, &at))
                    .transpose()?),
                text: Set(v.text.clone()),
                is_verbatim: Set(v.verbatim),
                stance: Set(v.stance),
                source_document_id: Set(source(&v.source, &at)?),
                locator: Set(v.locator.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            for code in &v.missions {
                view_mission::ActiveModel {
                    view_id: Set(m.id),
                    mission_code: Set(*code),
                }
                .insert(txn)
                .await?;
                self.created += 1;
            }
            for t in &v.themes {
                view_theme::ActiveModel {
                    view_id: Set(m.id),
                    theme_id: Set(lookup(&themes, "theme", t, &at)?),
                }
                .insert(txn)
                .await?;
                self.created += 1;
            }
            self.created += 1;
        }

        let metrics =
            slugs::<metric::Entity>(txn, metric::Column::Slug, metric::Column::Id).await?;
        for x in &c.metrics {
            if metrics.contains_key(&x.slug) {
                continue;
            }
            let at = format!("metric {}", x.slug);
            metric::ActiveModel {
                slug: Set(x.slug.clone()),
                exercise_id: Set(lookup(&exercises, "exercise", &x.exercise, &at)?),
                label: Set(x.label.clone()),
                value: Set(x.value),
                unit: Set(x.unit.clone()),
                base: Set(x.base),
                source_document_id: Set(source(&x.source, &at)?),
                locator: Set(x.locator.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            self.created += 1;
        }

        let resources =
            slugs::<resource::Entity>(txn, resource::Column::Slug, resource::Column::Id).await?;
        for r in &c.resources {
            if resources.contains_key(&r.slug) {
                continue;
            }
            let at = format!("resource {}", r.slug);
            let m = resource::ActiveModel {
                slug: Set(r.slug.clone()),
                title: Set(r.title.clone()),
                kind: Set(r.kind),
                url: Set(r.url.clone()),
                publisher_id: Set(r
                    .publisher
                    .as_deref()
                    .map(|p| lookup(&orgs, "organisation", p, &at))
                    .transpose()?),
                published_on: Set(r.published_on.clone()),
                source_document_id: Set(source(&r.source, &at)?),
                locator: Set(r.locator.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            for e in &r.exercises {
                resource_exercise::ActiveModel {
                    resource_id: Set(m.id),
                    exercise_id: Set(lookup(&exercises, "exercise", e, &at)?),
                }
                .insert(txn)
                .await?;
                self.created += 1;
            }
            for f in &r.findings {
                resource_finding::ActiveModel {
                    resource_id: Set(m.id),
                    finding_id: Set(lookup(&findings, "finding", f, &at)?),
                }
                .insert(txn)
                .await?;
                self.created += 1;
            }
            self.created += 1;
        }

        let commitments =
            slugs::<commitment::Entity>(txn, commitment::Column::Slug, commitment::Column::Id)
                .await?;
        for x in &c.commitments {
            if commitments.contains_key(&x.slug) {
                continue;
            }
            let at = format!("commitment {}", x.slug);
            let m = commitment::ActiveModel {
                slug: Set(x.slug.clone()),
                title: Set(x.title.clone()),
                statement: Set(x.statement.clone()),
                organisation_id: Set(lookup(&orgs, "organisation", &x.organisation, &at)?),
                stated_on: Set(x.stated_on.clone()),
                status: Set(x.status),
                source_document_id: Set(source(&x.source, &at)?),
                locator: Set(x.locator.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            for e in &x.exercises {
                commitment_exercise::ActiveModel {
                    commitment_id: Set(m.id),
                    exercise_id: Set(lookup(&exercises, "exercise", e, &at)?),
                }
                .insert(txn)
                .await?;
                self.created += 1;
            }
            for f in &x.findings {
                commitment_finding::ActiveModel {
                    commitment_id: Set(m.id),
                    finding_id: Set(lookup(&findings, "finding", f, &at)?),
                }
                .insert(txn)
                .await?;
                self.created += 1;
            }
            self.created += 1;
        }

        Ok(SeedReport {
            created: self.created,
        })
    }
}
