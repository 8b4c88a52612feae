//! Answers the engine remembers at one change-log position: the ranked matches of a search
//! expression (so that a search asked again, for the next page, another filter or another kind,
//! is set algebra over a list instead of ranking every match again in the database), and the
//! rows a filter selects (so that the next page, the total and the maps under the same filter do
//! not redo the bitmap algebra).
//!
//! An answer is only ever used at the change-log position it was computed at: the engine moves
//! that position with every write it applies, which makes every remembered answer unusable at
//! once (the next store drops them). Searches read the position *before* asking the database,
//! so a list can be fresher than its position but never older; selections are computed under
//! the index's read lock, where the position and the index always agree.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Arc;

/// Every match of one search expression as (score, search document id), best first: score
/// descending, then document ascending, exactly as the SQL orders them.
pub type Ranked = Arc<Vec<(f64, i64)>>;

/// Set in a request's data when it may be answered from memory (see `http::memo`); a resolver
/// whose answer depends on more than the evidence at a change-log position (the time, the
/// caller's rate-limit account) marks the request with [`volatile`], and its response is then
/// not remembered.
#[derive(Default)]
pub struct Volatile(std::sync::atomic::AtomicBool);

impl Volatile {
    /// Whether a resolver marked the request.
    pub fn is_set(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Marks the request's response as not to be remembered: it depends on more than the evidence
/// at the current change-log position.
pub fn volatile(ctx: &async_graphql::Context<'_>) {
    if let Some(v) = ctx.data_opt::<Arc<Volatile>>() {
        v.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What a remembered answer holds, to keep all of them of one kind within a budget.
pub(crate) trait Weight {
    fn weight(&self) -> usize;
}

impl Weight for Ranked {
    fn weight(&self) -> usize {
        self.len() * std::mem::size_of::<(f64, i64)>()
    }
}

impl Weight for Arc<super::Selected> {
    fn weight(&self) -> usize {
        // The maps it remembers are small beside the rows (a cell is 60 bytes).
        self.serialized_size()
    }
}

impl Weight for super::Vocabulary {
    fn weight(&self) -> usize {
        self.bytes
    }
}

/// Answers by key, valid at one change-log position, oldest evicted first past `budget` bytes
/// (an answer larger than the whole budget is not remembered), so that a few very large answers
/// cannot grow the process without bound.
pub(crate) struct Memo<K, V> {
    /// The change-log position every answer here was computed at.
    seq: i64,
    budget: usize,
    answers: HashMap<K, V>,
    /// Oldest first, for eviction.
    order: VecDeque<K>,
    held: usize,
}

impl<K: Hash + Eq + Clone, V: Weight + Clone> Memo<K, V> {
    pub(crate) fn new(budget: usize) -> Self {
        Memo {
            seq: 0,
            budget,
            answers: HashMap::new(),
            order: VecDeque::new(),
            held: 0,
        }
    }

    pub(crate) fn get<Q: Hash + Eq + ?Sized>(&self, seq: i64, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
    {
        if self.seq != seq {
            return None;
        }
        self.answers.get(key).cloned()
    }

    pub(crate) fn put(&mut self, seq: i64, key: K, answer: V) {
        // An answer computed before a write that others have already answered after: it is of
        // no use to them, and must not drop theirs.
        if seq < self.seq {
            return;
        }
        if self.seq != seq {
            *self = Memo::new(self.budget);
            self.seq = seq;
        }
        // An answer read again (the old one found stale) takes the old one's place.
        if let Some(old) = self.answers.remove(&key) {
            self.held -= old.weight();
            self.order.retain(|k| *k != key);
        }
        let weight = answer.weight();
        if weight > self.budget {
            return;
        }
        while self.held + weight > self.budget {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(gone) = self.answers.remove(&old) {
                self.held -= gone.weight();
            }
        }
        self.held += weight;
        self.order.push_back(key.clone());
        self.answers.insert(key, answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_live_at_their_position_and_within_the_budget() {
        let hit = std::mem::size_of::<(f64, i64)>();
        let budget = 1000 * hit;
        let mut s: Memo<String, Ranked> = Memo::new(budget);
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
        s.put(4, "big".into(), Arc::new(vec![(0.0, 1); 999]));
        s.put(4, "c".into(), Arc::new(vec![(0.0, 1); 2]));
        assert!(s.get(4, "b").is_none(), "the oldest went first");
        assert!(s.get(4, "big").is_none());
        assert_eq!(s.get(4, "c").map(|l| l.len()), Some(2));
        s.put(4, "huge".into(), Arc::new(vec![(0.0, 1); 1001]));
        assert!(s.get(4, "huge").is_none(), "over the whole budget");
        assert!(s.get(4, "c").is_some(), "and it evicted nothing");
        s.put(3, "late".into(), Arc::new(vec![(0.0, 1)]));
        assert!(
            s.get(3, "late").is_none(),
            "computed before a write others answered after"
        );
        assert!(s.get(4, "c").is_some(), "and it dropped none of theirs");

        let mut sets: Memo<u8, Arc<super::super::Selected>> = Memo::new(1 << 10);
        sets.put(
            7,
            1,
            Arc::new(super::super::Selected::new((0..10).collect())),
        );
        assert_eq!(sets.get(7, &1).map(|s| s.len()), Some(10));
        assert!(sets.get(8, &1).is_none());
    }
}
