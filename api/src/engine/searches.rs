//! Ranked full-text matches remembered per search expression, so that a search asked again (the
//! next page, another filter, another kind) is set algebra over a list instead of ranking every
//! match again in the database.
//!
//! A list is only ever used at the change-log position it was computed at: the engine moves that
//! position with every write it applies, which makes every remembered list unusable at once (the
//! next store drops them). The position is read *before* the database is asked, so a list can be
//! fresher than its position but never older.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Every match of one search expression as (score, search document id), best first: score
/// descending, then document ascending, exactly as the SQL orders them.
pub type Ranked = Arc<Vec<(f64, i64)>>;

/// How many hits all remembered lists may hold together (16 bytes each: 64 MiB), so that a few
/// searches for very common words cannot grow the process without bound.
const BUDGET: usize = 4 << 20;

#[derive(Default)]
pub(super) struct Searches {
    /// The change-log position every list here was computed at.
    seq: i64,
    lists: HashMap<String, Ranked>,
    /// Oldest first, for eviction.
    order: VecDeque<String>,
    held: usize,
}

impl Searches {
    pub(super) fn get(&self, seq: i64, key: &str) -> Option<Ranked> {
        if self.seq != seq {
            return None;
        }
        self.lists.get(key).cloned()
    }

    pub(super) fn put(&mut self, seq: i64, key: String, list: Ranked) {
        if self.seq != seq {
            *self = Searches {
                seq,
                ..Default::default()
            };
        }
        // A list read again (the old one found stale) takes the old one's place.
        if let Some(old) = self.lists.remove(&key) {
            self.held -= old.len();
            self.order.retain(|k| *k != key);
        }
        if list.len() > BUDGET {
            return;
        }
        while self.held + list.len() > BUDGET {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(gone) = self.lists.remove(&old) {
                self.held -= gone.len();
            }
        }
        self.held += list.len();
        self.order.push_back(key.clone());
        self.lists.insert(key, list);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_live_at_their_position_and_within_the_budget() {
        let mut s = Searches::default();
        s.put(3, "a".into(), Arc::new(vec![(1.0, 4)]));
        assert_eq!(s.get(3, "a").map(|l| l.len()), Some(1));
        assert!(s.get(4, "a").is_none());
        s.put(4, "b".into(), Arc::new(vec![(1.0, 5)]));
        assert!(s.get(4, "a").is_none(), "a write dropped the older list");
        s.put(4, "b".into(), Arc::new(vec![(2.0, 5), (1.0, 9)]));
        assert_eq!(
            s.get(4, "b").map(|l| l.len()),
            Some(2),
            "read again: replaced"
        );
        s.put(4, "big".into(), Arc::new(vec![(0.0, 1); BUDGET - 1]));
        s.put(4, "c".into(), Arc::new(vec![(0.0, 1); 2]));
        assert!(s.get(4, "b").is_none(), "the oldest went first");
        assert!(s.get(4, "big").is_none());
        assert_eq!(s.get(4, "c").map(|l| l.len()), Some(2));
    }
}
