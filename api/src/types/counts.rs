//! Dashboard counts for an exercise or a mission, computed with GROUP BY in the database and
//! batched per request (one statement for all the exercises, or missions, of a page).

use super::evidence_map::{stance_key, StanceCount, STANCES};
use crate::loaders::Tally;
use async_graphql::SimpleObject;

/// How much evidence an exercise holds, for dashboards.
#[derive(SimpleObject, Clone, Debug)]
pub struct ExerciseCounts {
    /// Its findings.
    pub findings: u64,
    /// The participant views it gathered.
    pub views: u64,
    /// Those views split by stance (every stance listed, zero included).
    pub views_by_stance: Vec<StanceCount>,
    /// Resources about it.
    pub resources: u64,
    /// Figures it reported.
    pub metrics: u64,
    /// Sessions the sources describe.
    pub sessions: u64,
}

/// How much evidence relates to a mission, for dashboards.
#[derive(SimpleObject, Clone, Debug)]
pub struct MissionCounts {
    /// Exercises that covered the mission.
    pub exercises: u64,
    /// Findings tagged with it.
    pub findings: u64,
    /// Participant views tagged with it.
    pub views: u64,
    /// Those views split by stance (every stance listed, zero included).
    pub views_by_stance: Vec<StanceCount>,
}

fn by_stance(t: &Tally) -> Vec<StanceCount> {
    STANCES
        .iter()
        .map(|s| StanceCount {
            stance: *s,
            count: t.with_stance("view", &stance_key(*s)),
        })
        .collect()
}

impl From<Tally> for ExerciseCounts {
    fn from(t: Tally) -> Self {
        ExerciseCounts {
            findings: t.total("finding"),
            views: t.total("view"),
            views_by_stance: by_stance(&t),
            resources: t.total("resource"),
            metrics: t.total("metric"),
            sessions: t.total("session"),
        }
    }
}

impl From<Tally> for MissionCounts {
    fn from(t: Tally) -> Self {
        MissionCounts {
            exercises: t.total("exercise"),
            findings: t.total("finding"),
            views: t.total("view"),
            views_by_stance: by_stance(&t),
        }
    }
}
