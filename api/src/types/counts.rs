//! Dashboard counts for an exercise or a mission, computed with GROUP BY in the database and
//! batched per request (one statement for all the exercises, or missions, of a page).

use super::evidence_map::{stance_key, StanceCount, STANCES};
use crate::loaders::Tally;
use crate::suppression;
use async_graphql::SimpleObject;

/// How much evidence an exercise holds, for dashboards.
#[derive(SimpleObject, Clone, Debug)]
pub struct ExerciseCounts {
    /// Its findings.
    pub findings: u64,
    /// The participant views it gathered; null when withheld by small-cell suppression (see
    /// `suppressed`).
    pub views: Option<u64>,
    /// True when `views` is withheld: it is between 1 and `evidenceState.minCellCount` - 1 and
    /// the caller has no editor token.
    pub suppressed: bool,
    /// Those views split by stance (every stance listed, zero included; each withheld on its
    /// own under small-cell suppression).
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
    /// Participant views tagged with it; null when withheld by small-cell suppression (see
    /// `suppressed`).
    pub views: Option<u64>,
    /// True when `views` is withheld: it is between 1 and `evidenceState.minCellCount` - 1 and
    /// the caller has no editor token.
    pub suppressed: bool,
    /// Those views split by stance (every stance listed, zero included; each withheld on its
    /// own under small-cell suppression).
    pub views_by_stance: Vec<StanceCount>,
}

fn by_stance(t: &Tally, k: Option<u64>) -> Vec<StanceCount> {
    STANCES
        .iter()
        .map(|s| StanceCount::new(*s, t.with_stance("view", &stance_key(*s)), k))
        .collect()
}

impl ExerciseCounts {
    /// The counts as shown under small-cell suppression's threshold `k`.
    pub fn new(t: Tally, k: Option<u64>) -> Self {
        let views = t.total("view");
        ExerciseCounts {
            findings: t.total("finding"),
            views: suppression::shown(k, views),
            suppressed: suppression::withheld(k, views),
            views_by_stance: by_stance(&t, k),
            resources: t.total("resource"),
            metrics: t.total("metric"),
            sessions: t.total("session"),
        }
    }
}

impl MissionCounts {
    /// The counts as shown under small-cell suppression's threshold `k`.
    pub fn new(t: Tally, k: Option<u64>) -> Self {
        let views = t.total("view");
        MissionCounts {
            exercises: t.total("exercise"),
            findings: t.total("finding"),
            views: suppression::shown(k, views),
            suppressed: suppression::withheld(k, views),
            views_by_stance: by_stance(&t, k),
        }
    }
}
