//! Every entity under its table's name, for `use entity::prelude::*`.

pub use super::commitment::Entity as Commitment;
pub use super::commitment_exercise::Entity as CommitmentExercise;
pub use super::commitment_finding::Entity as CommitmentFinding;
pub use super::exercise::Entity as Exercise;
pub use super::exercise_mission::Entity as ExerciseMission;
pub use super::exercise_organisation::Entity as ExerciseOrganisation;
pub use super::exercise_place::Entity as ExercisePlace;
pub use super::finding::Entity as Finding;
pub use super::finding_mission::Entity as FindingMission;
pub use super::finding_theme::Entity as FindingTheme;
pub use super::metric::Entity as Metric;
pub use super::mission::Entity as Mission;
pub use super::organisation::Entity as Organisation;
pub use super::participant_view::Entity as ParticipantView;
pub use super::resource::Entity as Resource;
pub use super::resource_exercise::Entity as ResourceExercise;
pub use super::resource_finding::Entity as ResourceFinding;
pub use super::session::Entity as Session;
pub use super::source_document::Entity as SourceDocument;
pub use super::theme::Entity as Theme;
pub use super::view_mission::Entity as ViewMission;
pub use super::view_theme::Entity as ViewTheme;
