//! sea-orm models of the evidence corpus: one module per table, plus the enums
//! their text columns hold. Knows nothing of GraphQL or HTTP.

pub mod enums;
pub mod prelude;

pub mod api_token;
pub mod change_log;
pub mod commitment;
pub mod commitment_exercise;
pub mod commitment_finding;
pub mod exercise;
pub mod exercise_mission;
pub mod exercise_organisation;
pub mod exercise_place;
pub mod finding;
pub mod finding_mission;
pub mod finding_theme;
pub mod metric;
pub mod mission;
pub mod organisation;
pub mod participant_view;
pub mod resource;
pub mod resource_exercise;
pub mod resource_finding;
pub mod session;
pub mod source_document;
pub mod theme;
pub mod view_mission;
pub mod view_theme;
