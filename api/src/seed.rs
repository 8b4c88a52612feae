//! The seed corpus: the evidence curated from the two source documents, kept as data in
//! `api/seed/corpus.json` and embedded in the binary. Its rows are bundle rows, and it is loaded
//! by the bundle importer as [`Actor::Seed`]: every row validated as any import's, whatever is
//! missing added (matched by slug, missions by code), what exists left as it is, and nothing
//! logged, since the corpus is the database's starting state rather than a change to it. One
//! transaction: loading twice changes nothing, and a failed load writes nothing.

use crate::bundle::{
    self, CommitmentRow, ExerciseRow, FindingRow, MetricRow, MissionRow, OrganisationRow,
    ResourceRow, SessionRow, SourceRow, ThemeRow, ViewRow,
};
use crate::curation::Actor;
use crate::errors::ApiError;
use entity::source_document;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait};
use serde::{Deserialize, Serialize};

/// The curated corpus, as committed.
pub const CORPUS_JSON: &str = include_str!("../seed/corpus.json");

/// Why the corpus could not be loaded.
#[derive(Debug)]
pub enum SeedError {
    /// The data is not valid (bad JSON, a row the importer rejects, a dangling reference...).
    Invalid(String),
    Database(DbErr),
    Write(ApiError),
}

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedError::Invalid(m) => write!(f, "invalid corpus: {m}"),
            SeedError::Database(e) => write!(f, "database: {e}"),
            SeedError::Write(e) => write!(f, "could not write the corpus: {}", e.message()),
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
    /// Rows created.
    pub created: usize,
}

/// The corpus: the rows of each type, in the order they are loaded (each may name the rows of
/// the types before it).
#[derive(Serialize, Deserialize)]
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

impl Corpus {
    /// The lists in load order, with the bundle row type of each.
    const TYPES: [(&'static str, &'static str); 11] = [
        ("sources", "source"),
        ("missions", "mission"),
        ("themes", "theme"),
        ("organisations", "organisation"),
        ("exercises", "exercise"),
        ("sessions", "session"),
        ("findings", "finding"),
        ("views", "view"),
        ("metrics", "metric"),
        ("resources", "resource"),
        ("commitments", "commitment"),
    ];

    /// The corpus as a bundle: JSON Lines, one row per line with its `type`.
    fn bundle(&self) -> Result<String, SeedError> {
        let invalid = |e: serde_json::Error| SeedError::Invalid(e.to_string());
        let json = serde_json::to_value(self).map_err(invalid)?;
        let mut lines = String::new();
        for (list, kind) in Self::TYPES {
            for row in json[list].as_array().into_iter().flatten() {
                let mut row = row.clone();
                if let Some(object) = row.as_object_mut() {
                    object.insert("type".into(), kind.into());
                }
                lines.push_str(&row.to_string());
                lines.push('\n');
            }
        }
        Ok(lines)
    }
}

/// Parses the embedded corpus.
pub fn corpus() -> Result<Corpus, SeedError> {
    serde_json::from_str(CORPUS_JSON).map_err(|e| SeedError::Invalid(format!("corpus.json: {e}")))
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

/// Loads any corpus in one transaction: if any row is rejected, nothing is written.
pub async fn load(db: &DatabaseConnection, corpus: &Corpus) -> Result<SeedReport, SeedError> {
    let lines = corpus.bundle()?;
    let report = bundle::import(
        db,
        lines.as_bytes(),
        bundle::Input::JsonLines,
        Actor::Seed,
        false,
    )
    .await
    .map_err(SeedError::Write)?;
    if !report.errors.is_empty() {
        let problems: Vec<String> = report
            .errors
            .iter()
            .map(|e| format!("line {} {}: {}", e.line, e.field, e.message))
            .collect();
        return Err(SeedError::Invalid(problems.join("; ")));
    }
    Ok(SeedReport {
        created: report.created as usize,
    })
}
