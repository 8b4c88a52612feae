//! GraphQL object types, each wrapping an `entity` model (`From<Model>`), with the resolvers that
//! follow its relations. Storage types never derive GraphQL traits themselves.

#[macro_use]
pub(crate) mod support;
mod commitment;
mod counts;
mod curation;
mod evidence;
mod evidence_map;
mod exercise;
mod finding;
mod finding_map;
mod maps;
mod node;
mod organisation;
mod search;
mod view;
mod vocabulary;

pub use crate::enums::*;
pub use crate::scalars::{JsonValue, PartialDate, Timestamp};
pub use commitment::Commitment;
pub use counts::{ExerciseCounts, MissionCounts};
pub use curation::{
    change_cursor, decode_change_cursor, decode_public_change_cursor, public_change_cursor,
    ApiToken, ChangeEvent, EntityKind, ViewerInfo,
};
pub use evidence::{Metric, Resource};
pub use evidence_map::{evidence_map, EvidenceDimension, EvidenceMap};
pub use exercise::{Exercise, Session};
pub use finding::Finding;
pub use finding_map::{finding_map, FindingDimension, FindingMap};
pub use node::{load_node, Node};
pub use organisation::{Involvement, Organisation};
pub use search::{SearchHit, SearchKind};
pub use support::{fetch_one, ExternalKey, Lookup, LookupInput, Provenance};
pub use view::ParticipantView;
pub use vocabulary::{GovernmentMission, SourceDocument, Theme};
