//! The facet index itself: plain data and set algebra, no database and no GraphQL.
//!
//! Every participant view is a `u32` (its primary key) in compressed bitmaps, one per value of
//! each facet (stance, mission, theme, exercise, session, finding, verbatim, published). The
//! same structure holds findings, with their kind in the place of the stance (and no session,
//! finding or verbatim facets). A filter is an intersection of unions, a total a cardinality.
//! Rows are also grouped by profile (class, missions, themes, published, verbatim: far fewer
//! profiles than rows), so a map is a sum over profiles, and under a filter on those facets
//! alone it visits no row; a map by exercise is counted on the bitmaps. Exercise-level facts
//! (start date, places, organisations) are kept per exercise and resolved to views through the
//! per-exercise bitmaps at query time, so a change to an exercise is one small update here,
//! whatever the number of its views.
//!
//! The list orders the facets cannot give are kept as plain arrays: every row's `updated_at`
//! (nanoseconds) with the ids sorted by (time, id) for `RECENTLY_UPDATED`, and for findings the
//! ids in title order with each id's position in it (the titles themselves stay in the
//! database, which sorts them once; only a hash of each sort key is kept, to check cursors).

use roaring::RoaringBitmap;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroI32;

/// How many classes a row can have: a view's stance (5) or a finding's kind (7), numbered in
/// the entity enums' order; and how many missions there are.
pub const CLASSES: usize = 7;
pub const MISSIONS: usize = 5;

/// One view's facets (or a finding's, `stance` then being its kind), as loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewRow {
    pub id: i32,
    pub stance: u8,
    pub exercise: i32,
    pub session: Option<i32>,
    pub finding: Option<i32>,
    pub verbatim: bool,
    pub published: bool,
    /// Bit `m` set: tagged with mission `m`.
    pub missions: u8,
    pub themes: Vec<i32>,
    /// `updated_at`, in nanoseconds since 1970.
    pub updated: i64,
}

/// One exercise's facts that view filters and orders depend on.
#[derive(Clone, Debug, Default)]
pub struct ExerciseRow {
    pub id: i32,
    pub start_date: Option<String>,
    /// The whole row, for answering a view's or finding's `exercise` without a statement
    /// (exercises are few: about one per thousand views in the benchmark's corpus).
    pub model: Option<std::sync::Arc<entity::exercise::Model>>,
    /// Lower-cased place keys (as `exercise_place.place_key`).
    pub places: Vec<String>,
    pub organisations: Vec<i32>,
}

/// What is remembered of a view, to take it out of its bitmaps again: its profile (class,
/// missions, themes, published, verbatim: see [`Profile`]) and its parents. One of these per
/// id: 16 bytes, as `Option<NonZeroI32>` costs no more than the id (a parent keyed 0, which
/// serial keys never make, is still removed exactly: see `remove_view`).
#[derive(Clone, Copy, Debug, Default)]
struct Facts {
    /// The row's profile, numbered from 1; 0: the index does not hold the row.
    profile: u32,
    exercise: i32,
    session: Option<NonZeroI32>,
    finding: Option<NonZeroI32>,
}

/// A combination of the facets a map counts by (class, missions, themes) with the two a filter
/// may name without a parent (published, verbatim). Rows sharing all of them share a profile,
/// and a corpus has far fewer profiles than rows (the benchmark's million views have about
/// 3,000): a map is a sum over profiles, each adding its rows to the cells its missions,
/// themes and class name, and under a filter on these facets alone no row is visited at all.
#[derive(Clone, Copy, Debug)]
struct ProfileKey {
    class: u8,
    missions: u8,
    published: bool,
    verbatim: bool,
    /// Where its themes (sorted, without repeats) start in the index's `profile_themes`, and
    /// how many: one array for all profiles rather than a small allocation each.
    themes: (u32, u32),
}

/// A profile and how many rows have it now (profiles are kept when their rows go: a corpus
/// only ever has so many combinations).
#[derive(Debug)]
struct Profile {
    key: ProfileKey,
    rows: u64,
    /// The next profile with the same facets and themes' hash (0: none).
    next: u32,
}

/// A view filter with every reference resolved to stored values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ViewQuery {
    pub stances: Option<Vec<u8>>,
    pub exercise: Option<i32>,
    pub session: Option<i32>,
    pub finding: Option<i32>,
    pub verbatim: Option<bool>,
    /// `start_date >= from` and `start_date <= to` (both already in stored form).
    pub started: Option<(Option<String>, Option<String>)>,
    pub places: Option<Vec<String>>,
    pub organisation: Option<i32>,
    pub missions_any: Option<Vec<u8>>,
    pub missions_all: Vec<u8>,
    pub themes_any: Option<Vec<i32>>,
    pub themes_all: Vec<i32>,
    /// `updated_at >= since` (nanoseconds, already cut to the database's precision).
    pub updated_since: Option<i64>,
}

/// The orders a view list can be walked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// By id.
    Id,
    /// By the exercise's start date (undated last), then id; `earliest` says which way.
    Date { earliest: bool },
    /// By `updated_at`, then id (walked descending for `RECENTLY_UPDATED`).
    Recent,
    /// By the title sort key, then id (findings only).
    Title,
}

/// Where a page starts: strictly beyond this row in reading direction.
#[derive(Clone, Copy, Debug)]
pub struct Start<'a> {
    pub id: i32,
    /// The sort key the cursor carries (date and title orders).
    pub key: &'a str,
    /// The `updated_at` the cursor carries, in nanoseconds (`RECENTLY_UPDATED`).
    pub at: i64,
}

/// A dimension of the evidence map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dim {
    Mission,
    Theme,
    Stance,
    Exercise,
}

/// A parent whose rows (views or findings) the index holds by parent id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parent {
    Exercise,
    Session,
    Finding,
    Theme,
}

/// The in-memory index of participant views.
#[derive(Default)]
pub struct Index {
    facts: Vec<Facts>,
    /// Every profile seen, numbered from 1 (`profiles[n - 1]`).
    profiles: Vec<Profile>,
    /// The profiles' numbers by class, missions, published, verbatim and a hash of the themes
    /// (those with equal hashes told apart by their themes): a row's profile is found without
    /// allocating, as a build puts a million rows.
    profile_ids: HashMap<(u8, u8, bool, bool, u64), u32>,
    /// Every profile's themes, one after the other (see [`ProfileKey::themes`]).
    profile_themes: Vec<i32>,
    all: RoaringBitmap,
    published: RoaringBitmap,
    verbatim: RoaringBitmap,
    stance: [RoaringBitmap; CLASSES],
    mission: [RoaringBitmap; MISSIONS],
    theme: HashMap<i32, RoaringBitmap>,
    exercise: HashMap<i32, RoaringBitmap>,
    session: Members,
    finding: Members,
    exercises: HashMap<i32, ExerciseRow>,
    themes: HashMap<String, i32>,
    /// Views grouped by their exercise's start date (`None`: undated), rebuilt after changes.
    date_groups: Vec<(Option<String>, RoaringBitmap)>,
    /// Each row's `updated_at` in nanoseconds, by id.
    updated: Vec<i64>,
    /// The present ids by (updated_at, id) ascending; brought up to date by `regroup`.
    recent: Vec<u32>,
    /// Ids put or removed since the last `regroup`, whose place in `recent` may have changed.
    touched: RoaringBitmap,
    /// Whether a row already in `recent` was touched (only new rows: nothing to take out).
    moved: bool,
    /// Ids in title order (by sort key, then id).
    title_order: Vec<u32>,
    /// Each id's position in `title_order` plus one (0: not there), by id.
    title_rank: Vec<u32>,
    /// A hash of each id's title sort key, by id, to tell whether a cursor's key is current.
    title_hash: Vec<u64>,
    /// The database keeps microseconds (PostgreSQL): times are compared at that precision.
    pub micros: bool,
}

/// The rows of each parent where parents are many and most have few rows (sessions, findings).
/// A bitmap costs a container (about 80 bytes, its own allocation) for every span of 65,536 ids
/// its rows fall in, so a million views spread over 100,000 findings took about 80 MB as
/// bitmaps; a sorted list costs 4 bytes a row. A parent whose list outgrows [`LIST_MAX`] rows
/// gets a bitmap, which is smaller for many rows.
#[derive(Default)]
struct Members(HashMap<i32, Rows>);

enum Rows {
    List(Vec<u32>),
    Bitmap(RoaringBitmap),
}

const LIST_MAX: usize = 1024;

impl Members {
    fn insert(&mut self, key: i32, id: u32) {
        let rows = self.0.entry(key).or_insert_with(|| Rows::List(Vec::new()));
        match rows {
            Rows::Bitmap(set) => {
                set.insert(id);
            }
            Rows::List(list) => {
                match list.last() {
                    // Builds and new rows come in id order: an append.
                    None => list.push(id),
                    Some(last) if *last < id => list.push(id),
                    _ => {
                        if let Err(at) = list.binary_search(&id) {
                            list.insert(at, id);
                        }
                    }
                }
                if list.len() > LIST_MAX {
                    let set =
                        RoaringBitmap::from_sorted_iter(list.iter().copied()).unwrap_or_default();
                    *rows = Rows::Bitmap(set);
                }
            }
        }
    }

    fn remove(&mut self, key: i32, id: u32) {
        let Some(rows) = self.0.get_mut(&key) else {
            return;
        };
        let empty = match rows {
            Rows::Bitmap(set) => {
                set.remove(id);
                set.is_empty()
            }
            Rows::List(list) => {
                if let Ok(at) = list.binary_search(&id) {
                    list.remove(at);
                }
                list.is_empty()
            }
        };
        if empty {
            self.0.remove(&key);
        }
    }

    /// The parent's rows as a bitmap (borrowed when it is one).
    fn get(&self, key: i32) -> Option<Cow<'_, RoaringBitmap>> {
        self.0.get(&key).map(|rows| match rows {
            Rows::Bitmap(set) => Cow::Borrowed(set),
            Rows::List(list) => Cow::Owned(
                RoaringBitmap::from_sorted_iter(list.iter().copied()).unwrap_or_default(),
            ),
        })
    }

    /// How many of the parent's rows are in `within` (all of them when `None`).
    fn count(&self, key: i32, within: Option<&RoaringBitmap>) -> u64 {
        match (self.0.get(&key), within) {
            (None, _) => 0,
            (Some(Rows::Bitmap(set)), None) => set.len(),
            (Some(Rows::Bitmap(set)), Some(w)) => set.intersection_len(w),
            (Some(Rows::List(list)), None) => list.len() as u64,
            (Some(Rows::List(list)), Some(w)) => {
                list.iter().filter(|id| w.contains(**id)).count() as u64
            }
        }
    }

    fn shrink(&mut self) {
        self.0.shrink_to_fit();
        for rows in self.0.values_mut() {
            if let Rows::List(list) = rows {
                list.shrink_to_fit();
            }
        }
    }

    fn heap_bytes(&self) -> u64 {
        let table = (self.0.capacity() * (std::mem::size_of::<(i32, Rows)>() + 1)) as u64;
        table
            + self
                .0
                .values()
                .map(|rows| match rows {
                    Rows::Bitmap(set) => bitmap_bytes(set),
                    // The allocator rounds each block up and keeps a header beside it.
                    Rows::List(list) => (list.capacity() * 4).next_multiple_of(16) as u64 + 16,
                })
                .sum::<u64>()
    }
}

/// An estimate of a bitmap's heap: its values, and each container's own allocation (the
/// container record, and the allocator's header and rounding for its values' block).
fn bitmap_bytes(set: &RoaringBitmap) -> u64 {
    let stats = set.statistics();
    // roaring 0.12 reports an array container's capacity at 4 bytes a value (they are 2) and a
    // bitset container's in bits: the sizes are computed here.
    stats.n_bytes_array_containers / 2
        + stats.n_bytes_run_containers
        + u64::from(stats.n_bitset_containers) * 8192
        + u64::from(stats.n_containers) * 48
}

fn add_to(map: &mut HashMap<i32, RoaringBitmap>, key: i32, id: u32) {
    map.entry(key).or_default().insert(id);
}

fn remove_from(map: &mut HashMap<i32, RoaringBitmap>, key: i32, id: u32) {
    if let Some(set) = map.get_mut(&key) {
        set.remove(id);
        if set.is_empty() {
            map.remove(&key);
        }
    }
}

impl Index {
    /// How many views the index holds (drafts included).
    pub fn len(&self) -> u64 {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Adds a view, or replaces what is known of it.
    pub fn put_view(&mut self, row: &ViewRow) {
        self.remove_view(row.id);
        let Ok(id) = u32::try_from(row.id) else {
            return;
        };
        let slot = id as usize;
        if self.facts.len() <= slot {
            self.facts.resize(slot + 1, Facts::default());
        }
        // The themes sorted, without repeats (on the stack for up to eight).
        let mut few = [0i32; 8];
        let mut many = Vec::new();
        let themes: &mut [i32] = if row.themes.len() <= few.len() {
            let few = &mut few[..row.themes.len()];
            few.copy_from_slice(&row.themes);
            few
        } else {
            many.extend_from_slice(&row.themes);
            &mut many
        };
        themes.sort_unstable();
        let mut distinct = 0;
        for i in 0..themes.len() {
            if distinct == 0 || themes[i] != themes[distinct - 1] {
                themes[distinct] = themes[i];
                distinct += 1;
            }
        }
        let themes = &themes[..distinct];
        let head = (
            row.stance,
            row.missions,
            row.published,
            row.verbatim,
            themes_hash(themes),
        );
        let first = self.profile_ids.get(&head).copied().unwrap_or(0);
        let mut found = first;
        while found != 0 {
            let p = &self.profiles[found as usize - 1];
            if p.key.themes_in(&self.profile_themes) == themes {
                break;
            }
            found = p.next;
        }
        let profile = if found != 0 {
            found
        } else {
            let start = self.profile_themes.len() as u32;
            self.profile_themes.extend_from_slice(themes);
            self.profiles.push(Profile {
                key: ProfileKey {
                    class: row.stance,
                    missions: row.missions,
                    published: row.published,
                    verbatim: row.verbatim,
                    themes: (start, themes.len() as u32),
                },
                rows: 0,
                next: first,
            });
            let n = self.profiles.len() as u32;
            self.profile_ids.insert(head, n);
            n
        };
        self.profiles[profile as usize - 1].rows += 1;
        self.facts[slot] = Facts {
            profile,
            exercise: row.exercise,
            session: row.session.and_then(NonZeroI32::new),
            finding: row.finding.and_then(NonZeroI32::new),
        };
        self.all.insert(id);
        if self.updated.len() <= slot {
            self.updated.resize(slot + 1, 0);
        }
        self.updated[slot] = row.updated;
        self.touched.insert(id);
        if row.published {
            self.published.insert(id);
        }
        if row.verbatim {
            self.verbatim.insert(id);
        }
        if let Some(set) = self.stance.get_mut(row.stance as usize) {
            set.insert(id);
        }
        for (m, set) in self.mission.iter_mut().enumerate() {
            if row.missions & (1 << m) != 0 {
                set.insert(id);
            }
        }
        for t in &row.themes {
            add_to(&mut self.theme, *t, id);
        }
        add_to(&mut self.exercise, row.exercise, id);
        if let Some(s) = row.session {
            self.session.insert(s, id);
        }
        if let Some(f) = row.finding {
            self.finding.insert(f, id);
        }
    }

    /// Takes a view out of every bitmap (nothing happens if it is not there).
    pub fn remove_view(&mut self, view: i32) {
        let Ok(id) = u32::try_from(view) else { return };
        let Some(facts) = self.facts.get_mut(id as usize) else {
            return;
        };
        if facts.profile == 0 {
            return;
        }
        let f = std::mem::take(facts);
        let profile = &mut self.profiles[f.profile as usize - 1];
        profile.rows -= 1;
        let key = profile.key;
        self.touched.insert(id);
        self.moved = true;
        self.all.remove(id);
        self.published.remove(id);
        self.verbatim.remove(id);
        if let Some(set) = self.stance.get_mut(key.class as usize) {
            set.remove(id);
        }
        for (m, set) in self.mission.iter_mut().enumerate() {
            if key.missions & (1 << m) != 0 {
                set.remove(id);
            }
        }
        let (start, len) = key.themes;
        for t in &self.profile_themes[start as usize..(start + len) as usize] {
            remove_from(&mut self.theme, *t, id);
        }
        remove_from(&mut self.exercise, f.exercise, id);
        // No parent remembered is either none or the key 0: removing from 0 covers both.
        self.session
            .remove(f.session.map_or(0, NonZeroI32::get), id);
        self.finding
            .remove(f.finding.map_or(0, NonZeroI32::get), id);
    }

    /// Makes room for ids up to `max` at once, so that a build does not leave the per-id
    /// arrays at up to twice their size by growing them one doubling at a time.
    pub fn reserve_ids(&mut self, max: i32) {
        let Ok(max) = usize::try_from(max) else {
            return;
        };
        let want = max + 1;
        if self.facts.len() < want {
            self.facts.reserve_exact(want - self.facts.len());
        }
        if self.updated.len() < want {
            self.updated.reserve_exact(want - self.updated.len());
        }
    }

    /// Gives back what the build over-allocated (called once it is done).
    pub fn shrink(&mut self) {
        self.facts.shrink_to_fit();
        self.profiles.shrink_to_fit();
        self.profile_themes.shrink_to_fit();
        self.profile_ids.shrink_to_fit();
        self.updated.shrink_to_fit();
        self.recent.shrink_to_fit();
        self.title_order.shrink_to_fit();
        self.title_rank.shrink_to_fit();
        self.title_hash.shrink_to_fit();
        for map in [&mut self.theme, &mut self.exercise] {
            map.shrink_to_fit();
        }
        self.session.shrink();
        self.finding.shrink();
    }

    /// An estimate of the heap this index holds, in bytes: the per-id arrays, the bitmaps (their
    /// values and each container's own allocation: see [`bitmap_bytes`]) and the maps' tables.
    /// It walks every bitmap, so it is for metrics, not for a hot path.
    pub fn heap_bytes(&self) -> u64 {
        use std::mem::size_of;
        let vec = |cap: usize, each: usize| (cap * each) as u64;
        let mut bytes = vec(self.facts.capacity(), size_of::<Facts>())
            + self
                .profiles
                .iter()
                .len()
                .saturating_mul(size_of::<Profile>() + 24) as u64
            + vec(self.profile_themes.capacity(), size_of::<i32>())
            + vec(self.updated.capacity(), size_of::<i64>())
            + vec(self.recent.capacity(), size_of::<u32>())
            + vec(self.title_order.capacity(), size_of::<u32>())
            + vec(self.title_rank.capacity(), size_of::<u32>())
            + vec(self.title_hash.capacity(), size_of::<u64>());
        let bitmap = bitmap_bytes;
        for b in [&self.all, &self.published, &self.verbatim, &self.touched]
            .into_iter()
            .chain(&self.stance)
            .chain(&self.mission)
        {
            bytes += bitmap(b);
        }
        for map in [&self.theme, &self.exercise] {
            bytes += vec(map.capacity(), size_of::<(i32, RoaringBitmap)>() + 1);
            bytes += map.values().map(bitmap).sum::<u64>();
        }
        bytes += self.session.heap_bytes() + self.finding.heap_bytes();
        for (_, b) in &self.date_groups {
            bytes += bitmap(b) + size_of::<(Option<String>, RoaringBitmap)>() as u64;
        }
        for e in self.exercises.values() {
            bytes += size_of::<(i32, ExerciseRow)>() as u64
                + e.places
                    .iter()
                    .map(|p| p.capacity() as u64 + 24)
                    .sum::<u64>()
                + vec(e.organisations.capacity(), size_of::<i32>())
                + e.model.as_ref().map_or(0, |m| {
                    // Shared by the views' and findings' indexes: each counts its share.
                    let text = [&m.slug, &m.title, &m.summary]
                        .iter()
                        .map(|t| t.capacity())
                        .sum::<usize>()
                        + [&m.method, &m.start_date, &m.end_date]
                            .iter()
                            .map(|t| t.as_ref().map_or(0, String::capacity))
                            .sum::<usize>();
                    ((size_of::<entity::exercise::Model>() + text)
                        / std::sync::Arc::strong_count(m)) as u64
                });
        }
        bytes
    }

    /// Adds an exercise, or replaces its facts.
    pub fn put_exercise(&mut self, row: ExerciseRow) {
        self.exercises.insert(row.id, row);
    }

    pub fn remove_exercise(&mut self, id: i32) {
        self.exercises.remove(&id);
    }

    /// An exercise's row as the index last loaded it.
    pub fn exercise(&self, id: i32) -> Option<&std::sync::Arc<entity::exercise::Model>> {
        self.exercises.get(&id)?.model.as_ref()
    }

    /// The ids of the exercises the index knows.
    pub fn exercise_ids(&self) -> Vec<i32> {
        self.exercises.keys().copied().collect()
    }

    /// Replaces the theme vocabulary (slug to id).
    pub fn set_themes(&mut self, themes: impl IntoIterator<Item = (String, i32)>) {
        self.themes = themes.into_iter().collect();
    }

    /// The id of the theme with this slug.
    pub fn theme_id(&self, slug: &str) -> Option<i32> {
        self.themes.get(slug).copied()
    }

    /// The ids of the themes row `id` is tagged with (in no order); `None` when the index does
    /// not hold the row.
    pub fn themes_of(&self, id: i32) -> Option<Vec<i32>> {
        let id = u32::try_from(id).ok()?;
        let profile = self.facts.get(id as usize)?.profile;
        (profile != 0).then(|| {
            self.profiles[profile as usize - 1]
                .key
                .themes_in(&self.profile_themes)
                .to_vec()
        })
    }

    /// Regroups views by their exercise's start date; call after a batch of changes.
    pub fn regroup(&mut self) {
        let mut groups: BTreeMap<Option<String>, RoaringBitmap> = BTreeMap::new();
        for (exercise, views) in &self.exercise {
            let date = self
                .exercises
                .get(exercise)
                .and_then(|e| e.start_date.clone());
            *groups.entry(date).or_default() |= views;
        }
        self.date_groups = groups.into_iter().collect();
        if !self.touched.is_empty() {
            // One pass per batch of changes: take the touched ids out, sort them, put back the
            // present ones. Writes are usually the newest, so the merge is mostly an append.
            let touched = std::mem::take(&mut self.touched);
            if std::mem::take(&mut self.moved) {
                self.recent.retain(|id| !touched.contains(*id));
            }
            let updated = &self.updated;
            let key = |id: &u32| (updated.get(*id as usize).copied().unwrap_or(0), *id);
            let mut fresh: Vec<u32> = touched.iter().filter(|id| self.all.contains(*id)).collect();
            fresh.sort_unstable_by_key(key);
            let in_order = match (self.recent.last(), fresh.first()) {
                (Some(last), Some(first)) => key(last) < key(first),
                _ => true,
            };
            if self.recent.is_empty() {
                self.recent = fresh;
            } else {
                self.recent.extend(fresh);
            }
            if !in_order {
                // Two sorted runs: the stable sort merges them in one pass.
                self.recent.sort_by_key(key);
            }
        }
    }

    /// The `updated_at` of a present row, in nanoseconds.
    fn updated_at(&self, id: u32) -> i64 {
        self.updated.get(id as usize).copied().unwrap_or(0)
    }

    /// Replaces the title order: `ordered` holds every row's id and title sort key, sorted by
    /// (key, id) as the database sorts them.
    pub fn set_titles(&mut self, ordered: &[(i32, String)]) {
        self.title_order.clear();
        self.title_rank.clear();
        self.title_hash.clear();
        for (position, (id, key)) in ordered.iter().enumerate() {
            let Ok(id) = u32::try_from(*id) else { continue };
            let slot = id as usize;
            if self.title_rank.len() <= slot {
                self.title_rank.resize(slot + 1, 0);
                self.title_hash.resize(slot + 1, 0);
            }
            self.title_order.push(id);
            self.title_rank[slot] = position as u32 + 1;
            self.title_hash[slot] = key_hash(key);
        }
    }

    /// The ids whose `updated_at` is at or after `since` (nanoseconds).
    fn updated_since(&self, since: i64) -> RoaringBitmap {
        let from = self
            .recent
            .partition_point(|id| self.updated_at(*id) < since);
        self.recent[from..].iter().copied().collect()
    }

    /// The views matching `q` (published ones only when `published_only`).
    ///
    /// Every condition is a set (a facet's bitmap as it is, or a union built for the query);
    /// they are intersected smallest first, so only the smallest is copied and each step
    /// works on a set no larger than it, rather than copying all the published rows first.
    pub fn select(&self, q: &ViewQuery, published_only: bool) -> RoaringBitmap {
        let empty = RoaringBitmap::new();
        let mut parts: Vec<Cow<'_, RoaringBitmap>> = vec![Cow::Borrowed(if published_only {
            &self.published
        } else {
            &self.all
        })];
        let union = |sets: &mut dyn Iterator<Item = Option<&RoaringBitmap>>| {
            let mut any = RoaringBitmap::new();
            for b in sets.flatten() {
                any |= b;
            }
            Cow::Owned(any)
        };
        if let Some(stances) = q.stances.as_ref().filter(|l| !l.is_empty()) {
            parts.push(union(
                &mut stances.iter().map(|s| self.stance.get(*s as usize)),
            ));
        }
        if let Some(e) = q.exercise {
            parts.push(Cow::Borrowed(self.exercise.get(&e).unwrap_or(&empty)));
        }
        if let Some(s) = q.session {
            parts.push(self.session.get(s).unwrap_or(Cow::Borrowed(&empty)));
        }
        if let Some(f) = q.finding {
            parts.push(self.finding.get(f).unwrap_or(Cow::Borrowed(&empty)));
        }
        if q.verbatim == Some(true) {
            parts.push(Cow::Borrowed(&self.verbatim));
        }
        if q.started.is_some() || q.places.is_some() || q.organisation.is_some() {
            parts.push(union(
                &mut self
                    .exercises
                    .values()
                    .filter(|e| exercise_matches(e, q))
                    .map(|e| self.exercise.get(&e.id)),
            ));
        }
        if let Some(any) = q.missions_any.as_ref().filter(|l| !l.is_empty()) {
            parts.push(union(
                &mut any.iter().map(|m| self.mission.get(*m as usize)),
            ));
        }
        for m in &q.missions_all {
            parts.push(Cow::Borrowed(
                self.mission.get(*m as usize).unwrap_or(&empty),
            ));
        }
        if let Some(any) = q.themes_any.as_ref().filter(|l| !l.is_empty()) {
            parts.push(union(&mut any.iter().map(|t| self.theme.get(t))));
        }
        for t in &q.themes_all {
            parts.push(Cow::Borrowed(self.theme.get(t).unwrap_or(&empty)));
        }
        if let Some(since) = q.updated_since {
            parts.push(Cow::Owned(self.updated_since(since)));
        }
        parts.sort_by_key(|p| p.len());
        let mut parts = parts.into_iter();
        let mut set = parts.next().map(Cow::into_owned).unwrap_or_default();
        for part in parts {
            if set.is_empty() {
                break;
            }
            set &= &*part;
        }
        if q.verbatim == Some(false) {
            set -= &self.verbatim;
        }
        set
    }

    /// Cuts a time to the database's precision (PostgreSQL keeps microseconds, dropping the
    /// rest), so comparisons with it agree with the database's.
    pub fn precise(&self, nanos: i64) -> i64 {
        if self.micros {
            nanos - nanos.rem_euclid(1000)
        } else {
            nanos
        }
    }

    /// Up to `n` views of `set` in the order `walk` (reversed when `descending`), strictly
    /// beyond `start` in reading direction; `backwards` reads from the end. Each id comes with
    /// its date sort key (empty for the other orders). `None` when the index cannot place the
    /// start (a title cursor whose row has changed its title or is gone): SQL answers.
    pub fn walk(
        &self,
        set: &RoaringBitmap,
        walk: Walk,
        descending: bool,
        backwards: bool,
        start: Option<Start<'_>>,
        n: usize,
    ) -> Option<Vec<(u32, String)>> {
        let down = descending != backwards;
        let start = start.map(|s| (s.id, s.key, s.at));
        let mut out = Vec::with_capacity(n);
        match walk {
            Walk::Recent => {
                if let Some((id, _, at)) = start {
                    // A cursor whose row the index holds at another time than the database
                    // gave it: the index cannot be trusted to place it (a hand edit); SQL can.
                    let slot = usize::try_from(id).unwrap_or(usize::MAX);
                    let held = self.facts.get(slot).is_some_and(|f| f.profile != 0);
                    if held && self.updated_at(slot as u32) != self.precise(at) {
                        return None;
                    }
                }
                let entries = &self.recent;
                let key = |id: &u32| (self.updated_at(*id), i64::from(*id));
                let ids: Box<dyn Iterator<Item = &u32>> = match (start, down) {
                    (None, false) => Box::new(entries.iter()),
                    (None, true) => Box::new(entries.iter().rev()),
                    (Some((id, _, at)), false) => {
                        let at = self.precise(at);
                        let from = entries.partition_point(|e| key(e) <= (at, i64::from(id)));
                        Box::new(entries[from..].iter())
                    }
                    (Some((id, _, at)), true) => {
                        let at = self.precise(at);
                        let to = entries.partition_point(|e| key(e) < (at, i64::from(id)));
                        Box::new(entries[..to].iter().rev())
                    }
                };
                out.extend(
                    ids.filter(|id| set.contains(**id))
                        .take(n)
                        .map(|id| (*id, String::new())),
                );
            }
            Walk::Title => {
                let order = &self.title_order;
                let ids: Box<dyn Iterator<Item = &u32>> = match (start, down) {
                    (None, false) => Box::new(order.iter()),
                    (None, true) => Box::new(order.iter().rev()),
                    (Some((id, key, _)), down) => {
                        let slot = usize::try_from(id).ok()?;
                        let rank = *self.title_rank.get(slot)? as usize;
                        if rank == 0 || self.title_hash.get(slot) != Some(&key_hash(key)) {
                            return None;
                        }
                        if down {
                            Box::new(order[..rank - 1].iter().rev())
                        } else {
                            Box::new(order[rank..].iter())
                        }
                    }
                };
                out.extend(
                    ids.filter(|id| set.contains(**id))
                        .take(n)
                        .map(|id| (*id, String::new())),
                );
            }
            Walk::Id => {
                let ids: Box<dyn Iterator<Item = u32>> = match (start.map(|s| (s.0, "")), down) {
                    (None, false) => Box::new(set.iter()),
                    (None, true) => Box::new(set.iter().rev()),
                    (Some((id, _)), false) => Box::new(set.range(clamp(i64::from(id) + 1)..)),
                    (Some((id, _)), true) if id <= 0 => Box::new(std::iter::empty()),
                    (Some((id, _)), true) => Box::new(set.range(..clamp(i64::from(id))).rev()),
                };
                out.extend(ids.take(n).map(|id| (id, String::new())));
            }
            Walk::Date { earliest } => {
                let start = start.map(|(id, key, _)| (id, key));
                // The same keys the SQL orders use: undated sorts last both ways.
                let undated = if earliest { "~" } else { "" };
                let mut groups: Vec<(&str, &RoaringBitmap)> = self
                    .date_groups
                    .iter()
                    .map(|(d, b)| (d.as_deref().unwrap_or(undated), b))
                    .collect();
                groups.sort_by(|a, b| a.0.cmp(b.0));
                if down {
                    groups.reverse();
                }
                for (key, group) in groups {
                    if out.len() >= n {
                        break;
                    }
                    let mut from_id = None;
                    if let Some((id, at)) = start {
                        let before_start = if down { key > at } else { key < at };
                        if before_start {
                            continue;
                        }
                        if key == at {
                            from_id = Some(id);
                        }
                    }
                    let hits = group & set;
                    let ids: Box<dyn Iterator<Item = u32>> = match (from_id, down) {
                        (None, false) => Box::new(hits.into_iter()),
                        (None, true) => Box::new(hits.into_iter().rev()),
                        (Some(id), false) => Box::new(hits.into_range(clamp(i64::from(id) + 1)..)),
                        (Some(id), true) if id <= 0 => Box::new(std::iter::empty()),
                        (Some(id), true) => Box::new(hits.into_range(..clamp(i64::from(id))).rev()),
                    };
                    let need = n - out.len();
                    out.extend(ids.take(need).map(|id| (id, key.to_string())));
                }
            }
        }
        Some(out)
    }

    /// The views that have `value` on `dim` (value as stored: mission or stance index, theme or
    /// exercise id).
    pub fn facet(&self, dim: Dim, value: i32) -> Option<&RoaringBitmap> {
        match dim {
            Dim::Mission => usize::try_from(value)
                .ok()
                .and_then(|m| self.mission.get(m)),
            Dim::Stance => usize::try_from(value).ok().and_then(|s| self.stance.get(s)),
            Dim::Theme => self.theme.get(&value),
            Dim::Exercise => self.exercise.get(&value),
        }
    }

    /// The rows of this parent (published ones only when `published_only`).
    pub fn members(&self, parent: Parent, id: i32, published_only: bool) -> RoaringBitmap {
        match self.parent_rows(parent, id) {
            None => RoaringBitmap::new(),
            Some(rows) if published_only => &*rows & &self.published,
            Some(rows) => rows.into_owned(),
        }
    }

    fn parent_rows(&self, parent: Parent, id: i32) -> Option<Cow<'_, RoaringBitmap>> {
        match parent {
            Parent::Exercise => self.exercise.get(&id).map(Cow::Borrowed),
            Parent::Theme => self.theme.get(&id).map(Cow::Borrowed),
            Parent::Session => self.session.get(id),
            Parent::Finding => self.finding.get(id),
        }
    }

    /// The rows with `value` on `dim` (published ones only when `published_only`).
    pub fn facet_members(&self, dim: Dim, value: i32, published_only: bool) -> RoaringBitmap {
        match self.facet(dim, value) {
            None => RoaringBitmap::new(),
            Some(rows) if published_only => rows & &self.published,
            Some(rows) => rows.clone(),
        }
    }

    /// How many rows this parent has (published ones only when `published_only`).
    pub fn children(&self, parent: Parent, id: i32, published_only: bool) -> u64 {
        let within = published_only.then_some(&self.published);
        let map = match parent {
            Parent::Exercise => &self.exercise,
            Parent::Theme => &self.theme,
            Parent::Session => return self.session.count(id, within),
            Parent::Finding => return self.finding.count(id, within),
        };
        match (map.get(&id), within) {
            (None, _) => 0,
            (Some(rows), Some(w)) => rows.intersection_len(w),
            (Some(rows), None) => rows.len(),
        }
    }

    /// How many rows have `value` on `dim` (published ones only when `published_only`), per
    /// class (a view's stance, a finding's kind).
    pub fn tally(&self, dim: Dim, value: i32, published_only: bool) -> [u64; CLASSES] {
        let mut by_class = [0u64; CLASSES];
        let Some(rows) = self.facet(dim, value) else {
            return by_class;
        };
        let visible;
        let rows = if published_only {
            visible = rows & &self.published;
            &visible
        } else {
            rows
        };
        for (class, n) in by_class.iter_mut().enumerate() {
            *n = rows.intersection_len(&self.stance[class]);
        }
        by_class
    }

    /// For every pair of row and column values that has rows in `set`, the count per class.
    /// `filter` is what `set` was selected by (with whether it kept published rows only), when
    /// known: a filter on profile facets alone is answered from the profiles' row counts
    /// without visiting a row. Otherwise each row of `set` is counted to its profile, once.
    /// Maps by exercise are counted on the bitmaps ([`Index::map_by_bitmaps`]).
    pub fn map_counts(
        &self,
        set: &RoaringBitmap,
        filter: Option<(&ViewQuery, bool)>,
        rows: (Dim, &[i32]),
        columns: (Dim, &[i32]),
    ) -> HashMap<(i32, i32), [u64; CLASSES]> {
        if rows.0 == Dim::Exercise || columns.0 == Dim::Exercise {
            return self.map_by_bitmaps(set, rows, columns);
        }
        let per_profile: Vec<u64> = match filter.filter(|(q, _)| q.on_profiles_alone()) {
            Some((q, published_only)) => self
                .profiles
                .iter()
                .map(|p| {
                    if p.key.matches(&self.profile_themes, q, published_only) {
                        p.rows
                    } else {
                        0
                    }
                })
                .collect(),
            None => {
                let mut n = vec![0u64; self.profiles.len()];
                for id in set {
                    if let Some(f) = self.facts.get(id as usize).filter(|f| f.profile != 0) {
                        n[f.profile as usize - 1] += 1;
                    }
                }
                n
            }
        };
        let asked = |(_, values): (Dim, &[i32])| -> Vec<i32> {
            let mut v: Vec<i32> = values.to_vec();
            v.sort_unstable();
            v.dedup();
            v
        };
        let (row_values, column_values) = (asked(rows), asked(columns));
        let mut counts = HashMap::new();
        let (mut r, mut c) = (Vec::new(), Vec::new());
        for (p, n) in self.profiles.iter().zip(per_profile) {
            let class = p.key.class as usize;
            if n == 0 || class >= CLASSES {
                continue;
            }
            let themes = p.key.themes_in(&self.profile_themes);
            p.key.values(themes, rows.0, &row_values, &mut r);
            p.key.values(themes, columns.0, &column_values, &mut c);
            for rv in &r {
                for cv in &c {
                    counts.entry((*rv, *cv)).or_insert([0u64; CLASSES])[class] += n;
                }
            }
        }
        counts
    }

    /// [`Index::map_counts`] on the bitmaps: for every pair of row and column values that has
    /// views in `set`, the count per stance.
    ///
    /// Only one set is materialised per (class, value of the shorter dimension); each cell is
    /// then one `intersection_len` per class that has rows in `set` at all. A filtered map
    /// (one or two stances) so costs a cardinality per cell, where intersecting the cell first
    /// and then counting each class cost a new bitmap and seven cardinalities per cell.
    pub fn map_by_bitmaps(
        &self,
        set: &RoaringBitmap,
        rows: (Dim, &[i32]),
        columns: (Dim, &[i32]),
    ) -> HashMap<(i32, i32), [u64; CLASSES]> {
        let values = |(dim, values): (Dim, &[i32])| -> Vec<(i32, &RoaringBitmap)> {
            values
                .iter()
                .filter_map(|v| self.facet(dim, *v).map(|b| (*v, b)))
                .collect()
        };
        let (rows, columns) = (values(rows), values(columns));
        // Materialise along the more selective dimension (the smaller mean set, e.g. themes
        // rather than missions): its parts are then sparse, and counting a sparse part against
        // the other dimension costs in proportion to the part, where a dense part costs a
        // whole bitmap per count. `swap` puts the keys back in (row, column) order.
        let mean = |v: &[(i32, &RoaringBitmap)]| {
            v.iter().map(|(_, b)| b.len()).sum::<u64>() / v.len().max(1) as u64
        };
        let swap = mean(&columns) < mean(&rows);
        let (outer, inner) = if swap {
            (&columns, &rows)
        } else {
            (&rows, &columns)
        };
        let mut counts = HashMap::new();
        for (class, members) in self.stance.iter().enumerate() {
            let in_class = set & members;
            if in_class.is_empty() {
                continue;
            }
            for (o, ob) in outer {
                let part = &in_class & *ob;
                if part.is_empty() {
                    continue;
                }
                for (i, ib) in inner {
                    let n = part.intersection_len(ib);
                    if n > 0 {
                        let key = if swap { (*i, *o) } else { (*o, *i) };
                        counts.entry(key).or_insert([0u64; CLASSES])[class] = n;
                    }
                }
            }
        }
        counts
    }
}

impl ViewQuery {
    /// Whether it names profile facets only (classes, missions, themes, verbatim), so that the
    /// rows it selects are whole profiles and a map under it visits no row.
    pub fn on_profiles_alone(&self) -> bool {
        self.exercise.is_none()
            && self.session.is_none()
            && self.finding.is_none()
            && self.started.is_none()
            && self.places.is_none()
            && self.organisation.is_none()
            && self.updated_since.is_none()
    }
}

impl ProfileKey {
    /// Its themes, from the index's `profile_themes`.
    fn themes_in(self, all: &[i32]) -> &[i32] {
        let (start, len) = self.themes;
        &all[start as usize..(start + len) as usize]
    }

    fn has_mission(&self, m: u8) -> bool {
        (m as usize) < MISSIONS && self.missions & (1 << m) != 0
    }

    fn has_theme(themes: &[i32], t: i32) -> bool {
        themes.binary_search(&t).is_ok()
    }

    /// Whether rows of this profile are selected by `q` (a filter on profile facets alone),
    /// exactly as [`Index::select`] selects rows.
    fn matches(&self, all_themes: &[i32], q: &ViewQuery, published_only: bool) -> bool {
        let themes = self.themes_in(all_themes);
        (!published_only || self.published)
            && q.stances
                .as_ref()
                .filter(|l| !l.is_empty())
                .is_none_or(|l| (self.class as usize) < CLASSES && l.contains(&self.class))
            && q.verbatim.is_none_or(|v| v == self.verbatim)
            && q.missions_any
                .as_ref()
                .filter(|l| !l.is_empty())
                .is_none_or(|l| l.iter().any(|m| self.has_mission(*m)))
            && q.missions_all.iter().all(|m| self.has_mission(*m))
            && q.themes_any
                .as_ref()
                .filter(|l| !l.is_empty())
                .is_none_or(|l| l.iter().any(|t| Self::has_theme(themes, *t)))
            && q.themes_all.iter().all(|t| Self::has_theme(themes, *t))
    }

    /// This profile's values on `dim` among `asked` (sorted), into `out`.
    fn values(&self, themes: &[i32], dim: Dim, asked: &[i32], out: &mut Vec<i32>) {
        out.clear();
        let wanted = |v: i32| asked.binary_search(&v).is_ok();
        match dim {
            Dim::Mission => out.extend(
                (0..MISSIONS as u8)
                    .filter(|m| self.has_mission(*m))
                    .map(i32::from)
                    .filter(|m| wanted(*m)),
            ),
            Dim::Theme => out.extend(themes.iter().copied().filter(|t| wanted(*t))),
            Dim::Stance => out.extend(Some(i32::from(self.class)).filter(|c| wanted(*c))),
            Dim::Exercise => {}
        }
    }
}

fn themes_hash(themes: &[i32]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    themes.hash(&mut h);
    h.finish()
}

fn key_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

fn clamp(id: i64) -> u32 {
    id.clamp(0, i64::from(u32::MAX)) as u32
}

fn exercise_matches(e: &ExerciseRow, q: &ViewQuery) -> bool {
    // An empty range (neither end given) is no condition at all, as in SQL.
    if let Some((from, to)) = q
        .started
        .as_ref()
        .filter(|r| r.0.is_some() || r.1.is_some())
    {
        let Some(date) = e.start_date.as_deref() else {
            return false;
        };
        if from.as_deref().is_some_and(|f| date < f) || to.as_deref().is_some_and(|t| date > t) {
            return false;
        }
    }
    if let Some(places) = &q.places {
        if !e.places.iter().any(|p| places.contains(p)) {
            return false;
        }
    }
    if let Some(org) = q.organisation {
        if !e.organisations.contains(&org) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: i32, stance: u8, exercise: i32, published: bool) -> ViewRow {
        ViewRow {
            id,
            updated: i64::from(id),
            stance,
            exercise,
            published,
            missions: 0b11,
            themes: vec![7],
            ..Default::default()
        }
    }

    /// The map's cells, counted the plain way: every view of `set` with its row and column.
    fn naive_map(
        ix: &Index,
        set: &RoaringBitmap,
        rows: (Dim, &[i32]),
        columns: (Dim, &[i32]),
    ) -> HashMap<(i32, i32), [u64; CLASSES]> {
        let mut counts: HashMap<(i32, i32), [u64; CLASSES]> = HashMap::new();
        for id in set {
            let class = (0..CLASSES).find(|c| ix.stance[*c].contains(id)).unwrap();
            for r in rows.1 {
                for c in columns.1 {
                    let has = |dim, v| ix.facet(dim, v).is_some_and(|b| b.contains(id));
                    if has(rows.0, *r) && has(columns.0, *c) {
                        counts.entry((*r, *c)).or_default()[class] += 1;
                    }
                }
            }
        }
        counts
    }

    #[test]
    fn members_lists_turn_into_bitmaps_and_count_like_them() {
        let mut m = Members::default();
        // Out of order and repeated: the list stays sorted and holds each id once.
        for id in [9, 3, 7, 3, 11] {
            m.insert(1, id);
        }
        let as_vec = |m: &Members, key| {
            m.get(key)
                .map(|b| b.iter().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_eq!(as_vec(&m, 1), vec![3, 7, 9, 11]);
        assert!(matches!(m.0.get(&1), Some(Rows::List(_))));
        let odd: RoaringBitmap = (0..3000).filter(|i| i % 2 == 1).collect();
        assert_eq!(m.count(1, None), 4);
        assert_eq!(m.count(1, Some(&odd)), 4);
        m.remove(1, 7);
        assert_eq!(as_vec(&m, 1), vec![3, 9, 11]);
        // Past LIST_MAX rows a parent holds a bitmap, with the same answers.
        for id in (0..=LIST_MAX as u32 + 10).map(|i| i * 2) {
            m.insert(2, id);
        }
        assert!(matches!(m.0.get(&2), Some(Rows::Bitmap(_))));
        assert_eq!(m.count(2, None), LIST_MAX as u64 + 11);
        assert_eq!(m.count(2, Some(&odd)), 0);
        m.remove(2, 0);
        assert_eq!(m.count(2, None), LIST_MAX as u64 + 10);
        // A parent left with no rows is forgotten.
        for id in [3, 9, 11] {
            m.remove(1, id);
        }
        assert!(m.get(1).is_none());
        assert_eq!(m.count(1, None), 0);
        assert!(m.heap_bytes() > 0);
    }

    #[test]
    fn map_counts_match_a_plain_count() {
        let mut ix = Index::default();
        // A small deterministic generator: views over 3 exercises, 6 themes, 5 missions and
        // 5 stances, some ids far apart so several bitmap containers are involved.
        let mut seed = 0x9e37_79b9_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for k in 0..3000 {
            let id = if k % 3 == 0 { 70_000 + k } else { k };
            let themes = (0..6).filter(|_| next(3) == 0).collect();
            ix.put_view(&ViewRow {
                id,
                stance: next(5) as u8,
                // One exercise id past the table of small values, found by hashing.
                exercise: [0, 1, 70_000][next(3) as usize],
                published: next(4) != 0,
                missions: next(32) as u8,
                themes,
                ..Default::default()
            });
        }
        let missions = [0, 1, 2, 3, 4, 9];
        let themes = [0, 1, 2, 3, 4, 5, 42];
        let stances = [0, 1, 2, 3, 4];
        let exercises = [0, 1, 2, 70_000];
        let queries = [
            (ViewQuery::default(), true),
            (
                ViewQuery {
                    stances: Some(vec![1, 3]),
                    ..Default::default()
                },
                false,
            ),
            (
                ViewQuery {
                    themes_any: Some(vec![1, 2, 42]),
                    missions_all: vec![0],
                    ..Default::default()
                },
                true,
            ),
            (
                ViewQuery {
                    verbatim: Some(false),
                    missions_any: Some(vec![2, 9]),
                    themes_all: vec![4],
                    ..Default::default()
                },
                false,
            ),
            // Not on profiles alone: counted row by row.
            (
                ViewQuery {
                    exercise: Some(1),
                    stances: Some(vec![0, 4]),
                    ..Default::default()
                },
                true,
            ),
        ];
        let check = |ix: &Index| {
            for (q, published_only) in &queries {
                let set = ix.select(q, *published_only);
                for (rows, columns) in [
                    ((Dim::Mission, &missions[..]), (Dim::Theme, &themes[..])),
                    ((Dim::Theme, &themes[..]), (Dim::Mission, &missions[..])),
                    ((Dim::Stance, &stances[..]), (Dim::Exercise, &exercises[..])),
                    ((Dim::Exercise, &exercises[..]), (Dim::Theme, &themes[..])),
                    (
                        (Dim::Mission, &missions[..]),
                        (Dim::Exercise, &exercises[..]),
                    ),
                    ((Dim::Stance, &stances[..]), (Dim::Mission, &missions[..])),
                    ((Dim::Theme, &themes[..3]), (Dim::Theme, &themes[2..])),
                    ((Dim::Theme, &[5, 1][..]), (Dim::Stance, &stances[..])),
                ] {
                    let plain = naive_map(ix, &set, rows, columns);
                    assert!(!plain.is_empty(), "{q:?}");
                    let by_filter = ix.map_counts(&set, Some((q, *published_only)), rows, columns);
                    assert_eq!(by_filter, plain, "{q:?} {rows:?} {columns:?}");
                    assert_eq!(ix.map_counts(&set, None, rows, columns), plain);
                    assert_eq!(ix.map_by_bitmaps(&set, rows, columns), plain);
                }
            }
        };
        check(&ix);
        // Rows removed, and put again with other facets: the profiles' counts follow.
        for k in (0..3000).step_by(7) {
            let id = if k % 3 == 0 { 70_000 + k } else { k };
            ix.remove_view(id);
            if k % 2 == 0 {
                ix.put_view(&ViewRow {
                    id,
                    stance: next(5) as u8,
                    exercise: 1,
                    published: true,
                    verbatim: true,
                    missions: 1,
                    themes: vec![4, 1, 4],
                    ..Default::default()
                });
            }
        }
        check(&ix);
        assert_eq!(ix.themes_of(14), Some(vec![1, 4]));
        assert_eq!(ix.themes_of(7), None);
    }

    #[test]
    fn filters_pages_and_removal() {
        let mut ix = Index::default();
        ix.put_exercise(ExerciseRow {
            id: 1,
            start_date: Some("2024".into()),
            ..Default::default()
        });
        ix.put_exercise(ExerciseRow {
            id: 2,
            ..Default::default()
        });
        for id in 1..=6 {
            ix.put_view(&view(id, (id % 2) as u8, 1 + id % 2, id != 3));
        }
        ix.regroup();
        let all = ix.select(&ViewQuery::default(), true);
        assert_eq!(all.iter().collect::<Vec<_>>(), vec![1, 2, 4, 5, 6]);
        let at = |id: i32, key: &'static str| Some(Start { id, key, at: 0 });
        let page = ix.walk(&all, Walk::Id, false, false, at(2, ""), 2).unwrap();
        assert_eq!(page.iter().map(|p| p.0).collect::<Vec<_>>(), vec![4, 5]);
        let back = ix.walk(&all, Walk::Id, false, true, at(5, ""), 10).unwrap();
        assert_eq!(back.iter().map(|p| p.0).collect::<Vec<_>>(), vec![4, 2, 1]);
        // Earliest first: the 2024 exercise (odd ids... exercise 2 is undated).
        let dated = ix
            .walk(&all, Walk::Date { earliest: true }, false, false, None, 10)
            .unwrap();
        assert_eq!(
            dated.iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![2, 4, 6, 1, 5]
        );
        let latest = ix
            .walk(
                &all,
                Walk::Date { earliest: false },
                true,
                false,
                at(6, "2024"),
                10,
            )
            .unwrap();
        assert_eq!(
            latest.iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![4, 2, 5, 1]
        );
        // Most recently updated first; a change moves a view to the front.
        let recent = |ix: &Index| {
            ix.walk(&all, Walk::Recent, true, false, None, 10)
                .unwrap()
                .iter()
                .map(|p| p.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(recent(&ix), vec![6, 5, 4, 2, 1]);
        let mut changed = view(2, 0, 1, true);
        changed.updated = 100;
        ix.put_view(&changed);
        ix.regroup();
        assert_eq!(recent(&ix), vec![2, 6, 5, 4, 1]);
        let after_6 = ix
            .walk(
                &all,
                Walk::Recent,
                true,
                false,
                Some(Start {
                    id: 6,
                    key: "",
                    at: 6,
                }),
                2,
            )
            .unwrap();
        assert_eq!(after_6.iter().map(|p| p.0).collect::<Vec<_>>(), vec![5, 4]);
        let since = ViewQuery {
            updated_since: Some(5),
            ..Default::default()
        };
        assert_eq!(
            ix.select(&since, false).iter().collect::<Vec<_>>(),
            vec![2, 5, 6]
        );
        // Titles: the order the database gave, and cursors checked against the current key.
        ix.set_titles(&[
            (5, "a".into()),
            (1, "b".into()),
            (2, "b".into()),
            (6, "c".into()),
        ]);
        let titles = ix
            .walk(&all, Walk::Title, false, false, at(1, "b"), 10)
            .unwrap();
        assert_eq!(titles.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 6]);
        let back = ix
            .walk(&all, Walk::Title, true, false, at(2, "b"), 10)
            .unwrap();
        assert_eq!(back.iter().map(|p| p.0).collect::<Vec<_>>(), vec![1, 5]);
        assert!(ix
            .walk(&all, Walk::Title, false, false, at(1, "x"), 10)
            .is_none());
        ix.remove_view(4);
        let q = ViewQuery {
            themes_all: vec![7],
            ..Default::default()
        };
        assert_eq!(ix.select(&q, false).len(), 5);
    }
}
