//! What anonymous answers depend on, and when each dependency last changed:
//! the ledger that lets the response cache keep an answer until something
//! it shows changes, instead of until any article anywhere changes.
//!
//! While an anonymous query runs, the SQL behind it records the
//! [`Dependency`]s of what it read: "the article with this slug", "which
//! articles are visible in this topic", "the related articles of article
//! 7", ... When a publication change is heard (`events.rs`), the ledger
//! takes a new [`Stamp`] and records it against every dependency the change
//! touches: the article itself, its slug, the topics it is in and the
//! topics above them, its provider, the articles related to it in either
//! direction, and [`Dependency::AnyPublication`] (what no narrower
//! dependency describes: a search, an unfiltered list, a count).
//!
//! An answer carries the stamp taken when its execution began. It may be
//! handed to a caller that began at stamp `c` unless one of its dependencies
//! changed after the answer began and no later than `c`: a change heard
//! before a caller began is always reflected in what that caller gets.
//!
//! Only publication changes are recorded: score-only changes arrive
//! continuously while workers recompute and show once a cached answer
//! expires. Records are forgotten after [`FORGET_AFTER`]; answers begun
//! before the oldest remembered change count as stale.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// A point in the sequence of recorded changes.
pub type Stamp = u64;

/// Changes older than this are forgotten (see [`Ledger::floor`]).
pub const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

/// More remembered dependencies than this (a bulk recompute publishing
/// thousands of articles at once) end every answer instead.
const MAX_REMEMBERED: usize = 200_000;

/// Something an anonymous answer shows that a publication change can alter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dependency {
    /// The article with this id (found or not).
    Article(i64),
    /// The article with this slug (found or not).
    ArticleSlug(Box<str>),
    /// Which articles are visible in this topic or below it.
    Topic(i64),
    TopicSlug(Box<str>),
    /// Which articles of this provider are visible.
    Provider(i64),
    ProviderDomain(Box<str>),
    /// Which articles related to or from this article are visible.
    Related(i64),
    /// Any publication change at all.
    AnyPublication,
}

/// The record of changes; one per api process.
#[derive(Default)]
pub struct Freshness {
    ledger: RwLock<Ledger>,
    /// Changes heard whose dependencies are still being looked up; while
    /// there are any, nothing cached is trusted.
    pending: AtomicUsize,
}

#[derive(Default)]
struct Ledger {
    /// The latest change's stamp.
    now: Stamp,
    /// Answers begun before this stamp are stale whatever they show.
    floor: Stamp,
    /// The latest change of each dependency.
    changed: HashMap<Dependency, Stamp>,
    /// When each recent stamp was taken, oldest first, for forgetting.
    taken: VecDeque<(Instant, Stamp)>,
}

impl Freshness {
    /// The stamp a caller beginning now must see; `None` while a change is
    /// being looked up (the caller should not use cached answers at all).
    pub fn begin(&self) -> Option<Stamp> {
        if self.pending.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(self.read().now)
    }

    /// Whether an answer begun at `begun` and showing `dependencies` may be
    /// handed to a caller that began at `caller`.
    pub fn holds(&self, begun: Stamp, dependencies: &[Dependency], caller: Stamp) -> bool {
        let ledger = self.read();
        if begun < ledger.floor {
            return false;
        }
        let changed_between = |stamp: Stamp| stamp > begun && stamp <= caller;
        !dependencies
            .iter()
            .any(|d| ledger.changed.get(d).copied().is_some_and(changed_between))
    }

    /// Marks a change as heard but not yet recorded, until the guard drops.
    pub fn looking_up(&self) -> PendingChange<'_> {
        self.pending.fetch_add(1, Ordering::AcqRel);
        PendingChange(self)
    }

    /// Records one publication change touching `dependencies`.
    pub fn changed(&self, dependencies: impl IntoIterator<Item = Dependency>) {
        let mut ledger = self.write();
        let stamp = ledger.take_stamp();
        for dependency in dependencies.into_iter().chain([Dependency::AnyPublication]) {
            ledger.changed.insert(dependency, stamp);
        }
        if ledger.changed.len() > MAX_REMEMBERED {
            ledger.floor = stamp + 1;
            ledger.changed.clear();
        }
        ledger.forget_old();
    }

    /// Records a change that may have touched anything (a notification that
    /// did not parse, one whose articles could not be looked up, a listener
    /// that reconnected and may have missed some): every answer begun before
    /// it is stale.
    pub fn changed_everything(&self) {
        let mut ledger = self.write();
        let stamp = ledger.take_stamp();
        ledger.floor = stamp;
        ledger.changed.clear();
    }

    /// The latest change's stamp (how many changes were recorded).
    pub fn latest(&self) -> Stamp {
        self.read().now
    }

    fn read(&self) -> RwLockReadGuard<'_, Ledger> {
        self.ledger.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Ledger> {
        self.ledger.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Ledger {
    fn take_stamp(&mut self) -> Stamp {
        self.now += 1;
        self.taken.push_back((Instant::now(), self.now));
        self.now
    }

    /// Forgets changes taken more than [`FORGET_AFTER`] ago, raising the
    /// floor past them (an answer begun that long ago is not trusted).
    fn forget_old(&mut self) {
        let Some(cutoff) = Instant::now().checked_sub(FORGET_AFTER) else {
            return;
        };
        let mut floor = self.floor;
        while let Some(&(at, stamp)) = self.taken.front() {
            if at > cutoff {
                break;
            }
            floor = floor.max(stamp + 1);
            self.taken.pop_front();
        }
        if floor > self.floor {
            self.floor = floor;
            self.changed.retain(|_, stamp| *stamp >= floor);
        }
    }
}

/// A change being looked up; see [`Freshness::looking_up`].
pub struct PendingChange<'a>(&'a Freshness);

impl Drop for PendingChange<'_> {
    fn drop(&mut self) {
        self.0.pending.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> Dependency {
        Dependency::ArticleSlug(s.into())
    }

    #[test]
    fn an_answer_holds_until_something_it_shows_changes() {
        let freshness = Freshness::default();
        let begun = freshness.begin().unwrap();
        let shows = [slug("a"), Dependency::Topic(3)];
        freshness.changed([slug("b"), Dependency::Topic(4)]);
        let later = freshness.begin().unwrap();
        assert!(
            freshness.holds(begun, &shows, later),
            "an unrelated change ends nothing"
        );
        freshness.changed([Dependency::Topic(3)]);
        let after = freshness.begin().unwrap();
        assert!(
            !freshness.holds(begun, &shows, after),
            "a change to what it shows ends it"
        );
        // a caller that began before that change may still have it
        assert!(freshness.holds(begun, &shows, later));
        // an answer begun after the change is fresh
        assert!(freshness.holds(after, &shows, after));
    }

    #[test]
    fn any_publication_is_ended_by_every_change() {
        let freshness = Freshness::default();
        let begun = freshness.begin().unwrap();
        freshness.changed([Dependency::Article(9)]);
        let now = freshness.begin().unwrap();
        assert!(!freshness.holds(begun, &[Dependency::AnyPublication], now));
        assert!(freshness.holds(begun, &[Dependency::Article(8)], now));
    }

    #[test]
    fn a_change_of_everything_ends_every_earlier_answer() {
        let freshness = Freshness::default();
        let begun = freshness.begin().unwrap();
        freshness.changed_everything();
        let now = freshness.begin().unwrap();
        assert!(!freshness.holds(begun, &[], now));
        assert!(freshness.holds(now, &[Dependency::Article(1)], now));
    }

    #[test]
    fn nothing_cached_is_trusted_while_a_change_is_looked_up() {
        let freshness = Freshness::default();
        let pending = freshness.looking_up();
        assert_eq!(freshness.begin(), None);
        drop(pending);
        assert!(freshness.begin().is_some());
    }

    #[test]
    fn too_many_remembered_changes_end_everything_instead() {
        let freshness = Freshness::default();
        let begun = freshness.begin().unwrap();
        freshness.changed((0..MAX_REMEMBERED as i64 + 1).map(Dependency::Article));
        let now = freshness.begin().unwrap();
        assert!(!freshness.holds(begun, &[Dependency::Article(-1)], now));
        assert!(freshness.read().changed.is_empty());
    }
}
