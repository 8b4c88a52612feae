//! The closed vocabularies of the corpus.
//!
//! Each is stored as a plain text column holding the SCREAMING_SNAKE_CASE form of
//! the variant name (no database enum types, so SQLite and PostgreSQL share one
//! schema), and serialises the same way so a JSON data file can name them.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One of the government's missions that evidence can bear on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mission {
    Health,
    Education,
    CrimeAndPolicing,
    EnergyAndNetZero,
    EconomicGrowth,
}

/// What sort of body an organisation is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganisationKind {
    University,
    ResearchInstitute,
    Charity,
    Government,
    PublicBody,
    Funder,
    Network,
    PoliticalParty,
    Company,
    Other,
}

/// The part an organisation played in an exercise.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganisationRole {
    Organiser,
    Funder,
    Partner,
    Supporter,
    SuggestedHostOrSpeaker,
}

/// The form a public engagement exercise took.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExerciseKind {
    PublicDialogue,
    CommunityOfPractice,
    Survey,
    Programme,
    Consultation,
    CitizensJury,
    Workshop,
    Other,
}

/// How far an exercise has got.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExerciseStatus {
    Planned,
    Ongoing,
    Completed,
}

/// Where the participants of a session met.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionFormat {
    InPerson,
    Online,
    Hybrid,
}

/// What sort of conclusion a finding states.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FindingKind {
    Principle,
    Hope,
    Concern,
    Condition,
    Recommendation,
    Observation,
    Reflection,
}

/// The attitude a participant's view expresses.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Stance {
    Hope,
    Concern,
    Condition,
    Suggestion,
    Neutral,
}

/// The form a published resource takes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResourceKind {
    Report,
    BlogPost,
    MeetingNotes,
    Video,
    CaseStudy,
    Dataset,
    WebPage,
    NewsArticle,
    PolicyDocument,
}

/// How far a stated response or commitment has got, as far as the sources tell.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CommitmentStatus {
    Stated,
    InProgress,
    Done,
    Dropped,
}

/// Where a finding or participant view is in review. Only `Published` rows are shown to readers.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewStatus {
    Draft,
    InReview,
    Published,
    Retracted,
}

/// What an API token may do.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Reads published evidence (what anonymous callers see, for services that require a token).
    Reader,
    /// Also sees drafts, and creates, changes, reviews and deletes evidence.
    Editor,
    /// Also manages tokens and reads the audit log.
    Admin,
}

/// The kind of change a change-log entry records.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "Text",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
}
