//! Small-cell suppression (`PUBLIC_VOICE_MIN_CELL_COUNT`): counts of participant views below the
//! threshold k are withheld from callers without an editor token, because a breakdown of a small
//! group (e.g. a survey of 10 people split by place, date and stance) can identify people.
//!
//! What is covered, and why: every count of *participant views* (each is one person's words):
//! `evidenceMap` cells and their `byStance`, `EvidenceMap.totalViews`, the `views` and
//! `viewsByStance` of `Exercise.counts` and `GovernmentMission.counts`, and every list of views
//! (its items and `totalCount`: a list of 1..k-1 views is refused with `SUPPRESSED`). Counts of
//! findings (`findingMap`, `counts.findings`) are not covered: a finding is the organisers'
//! aggregate statement about a whole group, not a person's. A count of 0 stays 0: a gap
//! identifies nobody.
//!
//! It is applied where GraphQL answers, not in SQL nor in the read engine, so it holds whichever
//! of them computed the number.

use crate::auth::Viewer;
use crate::errors::{ApiError, ApiResult};
use async_graphql::Context;

/// The configured threshold k (0: suppression off), as schema data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MinCellCount(pub u64);

/// The threshold that applies to this request: `None` when suppression is off or the caller
/// holds an editor (or admin) token and so sees everything.
pub fn threshold(ctx: &Context<'_>) -> Option<u64> {
    let k = ctx.data_opt::<MinCellCount>().map_or(0, |m| m.0);
    for_viewer(k, ctx.data_opt::<Viewer>())
}

/// The threshold for a viewer (no viewer known: treated as anonymous).
pub fn for_viewer(k: u64, viewer: Option<&Viewer>) -> Option<u64> {
    if k == 0 || viewer.is_some_and(Viewer::sees_unpublished) {
        None
    } else {
        Some(k)
    }
}

/// Whether `count` must be withheld under `k`: 0 < count < k.
pub fn withheld(k: Option<u64>, count: u64) -> bool {
    k.is_some_and(|k| count > 0 && count < k)
}

/// The count as shown under `k`: `None` when withheld.
pub fn shown(k: Option<u64>, count: u64) -> Option<u64> {
    (!withheld(k, count)).then_some(count)
}

/// Refuses a list of participant views whose total is withheld under `k`.
pub fn check_views(k: Option<u64>, total: u64) -> ApiResult<()> {
    match k {
        Some(k) if withheld(Some(k), total) => Err(ApiError::Suppressed { threshold: k }),
        _ => Ok(()),
    }
}

/// Whether rows of `table` are counted under suppression (participant views only).
pub fn covers(table: &str) -> bool {
    table == "participant_view"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    #[test]
    fn zero_and_counts_at_or_above_k_are_shown() {
        let k = Some(5);
        assert_eq!(shown(k, 0), Some(0));
        assert_eq!(shown(k, 1), None);
        assert_eq!(shown(k, 4), None);
        assert_eq!(shown(k, 5), Some(5));
        assert_eq!(shown(None, 1), Some(1));
        assert_eq!(
            check_views(k, 3),
            Err(ApiError::Suppressed { threshold: 5 })
        );
        assert_eq!(check_views(k, 0), Ok(()));
    }

    #[test]
    fn editors_and_admins_see_everything() {
        let editor = Viewer::Token {
            name: "e".into(),
            role: Role::Editor,
        };
        let reader = Viewer::Token {
            name: "r".into(),
            role: Role::Reader,
        };
        assert_eq!(for_viewer(5, Some(&editor)), None);
        assert_eq!(for_viewer(5, Some(&reader)), Some(5));
        assert_eq!(for_viewer(5, None), Some(5));
        assert_eq!(for_viewer(0, Some(&reader)), None);
    }
}
