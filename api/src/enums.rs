//! The public enums, mirrored from `entity::enums` so storage and schema can evolve separately.

use async_graphql::Enum;
use entity::enums as db;

/// A UK Government Mission (the "Missions for Government") that evidence relates to.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq, Hash)]
#[graphql(remote = "db::Mission")]
pub enum Mission {
    /// Build an NHS fit for the future: health and care.
    Health,
    /// Break down barriers to opportunity: education and skills.
    Education,
    /// Take back our streets: crime and policing.
    CrimeAndPolicing,
    /// Make Britain a clean energy superpower: energy and net zero.
    EnergyAndNetZero,
    /// Kickstart economic growth.
    EconomicGrowth,
}

/// What kind of body an organisation is.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::OrganisationKind")]
pub enum OrganisationKind {
    /// A university or a unit of one.
    University,
    /// An independent research institute.
    ResearchInstitute,
    /// A charity.
    Charity,
    /// A government, department or ministry.
    Government,
    /// A public body other than a government department.
    PublicBody,
    /// A funder of research or engagement.
    Funder,
    /// A network, initiative or community of organisations or people.
    Network,
    /// A political party.
    PoliticalParty,
    /// A company.
    Company,
    /// Anything else, or not stated by the sources.
    Other,
}

/// The part an organisation played in an engagement exercise.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::OrganisationRole")]
pub enum OrganisationRole {
    /// Convened or ran the exercise.
    Organiser,
    /// Paid for the exercise.
    Funder,
    /// Worked on the exercise with the organiser.
    Partner,
    /// Supported the exercise in another way.
    Supporter,
    /// Suggested by participants as a future host or speaker.
    SuggestedHostOrSpeaker,
}

/// The kind of engagement exercise.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::ExerciseKind")]
pub enum ExerciseKind {
    /// A deliberative public dialogue.
    PublicDialogue,
    /// A community of practice: recurring meetings of practitioners.
    CommunityOfPractice,
    /// A survey or questionnaire.
    Survey,
    /// A programme or project that holds other exercises.
    Programme,
    /// A public consultation.
    Consultation,
    /// A citizens' jury or assembly.
    CitizensJury,
    /// A workshop.
    Workshop,
    /// Any other kind.
    Other,
}

/// Where an exercise stands.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::ExerciseStatus")]
pub enum ExerciseStatus {
    /// Announced, not started.
    Planned,
    /// Running now.
    Ongoing,
    /// Finished.
    Completed,
}

/// How a session was held.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::SessionFormat")]
pub enum SessionFormat {
    /// Participants met in person.
    InPerson,
    /// Participants met online.
    Online,
    /// Both in person and online.
    Hybrid,
}

/// What kind of statement a finding is.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::FindingKind")]
pub enum FindingKind {
    /// A principle participants want followed (e.g. "a co-pilot, not a replacement").
    Principle,
    /// A hope participants expressed.
    Hope,
    /// A concern participants raised.
    Concern,
    /// A condition participants attached to their support.
    Condition,
    /// A recommendation for action.
    Recommendation,
    /// An observation about the exercise or its participants.
    Observation,
    /// The organisers' own reflection.
    Reflection,
}

/// The stance a participant view takes.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::Stance")]
pub enum Stance {
    /// A hope for what AI could do.
    Hope,
    /// A worry or objection.
    Concern,
    /// Support given only on a condition.
    Condition,
    /// A proposal for what should be done.
    Suggestion,
    /// A statement with no clear leaning.
    Neutral,
}

/// What kind of linked material a resource is.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::ResourceKind")]
pub enum ResourceKind {
    /// A published report.
    Report,
    /// A blog post.
    BlogPost,
    /// Notes of meetings.
    MeetingNotes,
    /// A video or collection of videos.
    Video,
    /// A case study or collection of them.
    CaseStudy,
    /// A data set.
    Dataset,
    /// A web page.
    WebPage,
    /// A news article or announcement.
    NewsArticle,
    /// A policy document or terms of reference.
    PolicyDocument,
}

/// How far a stated response or commitment has got, as far as the sources tell. A status
/// changes only when a source reports progress: nothing is inferred from silence.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::CommitmentStatus")]
pub enum CommitmentStatus {
    /// Said, with no later report of progress.
    Stated,
    /// Reported to be under way.
    InProgress,
    /// Reported as done.
    Done,
    /// Reported as abandoned or not going ahead.
    Dropped,
}

/// Where a finding or participant view is in review. Readers without an editor token see only
/// published rows.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::ReviewStatus")]
pub enum ReviewStatus {
    /// Being written; only editors see it.
    Draft,
    /// Submitted for review; only editors see it.
    InReview,
    /// Public.
    Published,
    /// Withdrawn after publication; only editors see it.
    Retracted,
}

/// What an API token may do.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::Role")]
pub enum Role {
    /// Reads published evidence (for deployments that require a token to read).
    Reader,
    /// Also sees unpublished evidence, and creates, changes, reviews and deletes it.
    Editor,
    /// Also manages API tokens and reads the audit log.
    Admin,
}

/// The kind of change a change event records.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "db::ChangeKind")]
pub enum ChangeKind {
    /// The object was created.
    Create,
    /// The object was changed (its review status included).
    Update,
    /// The object was deleted; the event is its tombstone.
    Delete,
}
