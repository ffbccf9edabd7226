//! The lead rule: one published lead per coverage group.
//!
//! An article's coverage group is its related list together with the
//! articles that list it (both directions of `related`). The best-rated
//! article of a group leads it; the others are held back automatically and
//! are shown as its related coverage. This is what Smartable did: in its
//! files an article is published iff no item of its related list has a
//! strictly higher quality (see `docs/scoring.md` for the measurements).
//!
//! Ties (an equal quality): the earlier article leads only when it was
//! published at least `lead.tie_window_hours` (24) before this one. Equal
//! coverage published within the same day is concurrent coverage, and each
//! side keeps its own decision.
//!
//! Only the neighbour that ranks highest matters (highest quality, then the
//! earliest publication): if it does not outrank an article, no other
//! neighbour does. The worker reads just that one neighbour per article.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// The highest-ranked eligible neighbour of an article: the only one that
/// can take the lead from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rival {
    pub slug: String,
    pub quality: i32,
    pub published_at: Option<DateTime<Utc>>,
}

/// How ties between equal qualities are broken (`lead` in the config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeadRules {
    /// An equal-quality neighbour leads when it was published at least this
    /// many hours earlier.
    pub tie_window_hours: f64,
}

impl Default for LeadRules {
    fn default() -> Self {
        Self { tie_window_hours: 24.0 }
    }
}

/// A neighbour as the lead rule ranks it: (id, quality, published_at).
pub type Candidate = (i64, i32, Option<DateTime<Utc>>);

/// The best-ranked of `candidates`: the highest quality, then the earliest
/// (undated last), then the lowest id.
pub fn best_rival(candidates: impl Iterator<Item = Candidate>) -> Option<Candidate> {
    candidates.min_by_key(|&(id, quality, at)| (std::cmp::Reverse(quality), at.is_none(), at, id))
}

/// Why `rival` leads an article of `quality` published at `published_at`,
/// or `None` when the article is not outranked.
///
/// The relation is acyclic: a strictly higher quality, or an equal one at
/// least a window earlier, so no two articles can hold each other back and
/// every group has at least one lead.
pub fn outranked_by(
    quality: i32,
    published_at: Option<DateTime<Utc>>,
    rival: Option<&Rival>,
    rules: &LeadRules,
) -> Option<String> {
    let rival = rival?;
    if rival.quality > quality {
        return Some(format!("not the lead: {} has quality {}", rival.slug, rival.quality));
    }
    if rival.quality < quality {
        return None;
    }
    let (Some(own), Some(theirs)) = (published_at, rival.published_at) else {
        // An undated article neither takes nor loses a tie.
        return None;
    };
    let earlier = own - theirs;
    let window = TimeDelta::try_milliseconds((rules.tie_window_hours * 3_600_000.0) as i64).unwrap_or(TimeDelta::MAX);
    (earlier >= window).then(|| {
        format!(
            "not the lead: {} has the same quality {} and was published {} hours earlier",
            rival.slug,
            rival.quality,
            earlier.num_hours()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> Option<DateTime<Utc>> {
        Some(DateTime::from_timestamp(1_613_520_000, 0).unwrap() + TimeDelta::hours(hours))
    }

    fn rival(quality: i32, published_at: Option<DateTime<Utc>>) -> Rival {
        Rival {
            slug: "the-rival".into(),
            quality,
            published_at,
        }
    }

    fn decide(quality: i32, own: Option<DateTime<Utc>>, rival: Rival) -> Option<String> {
        outranked_by(quality, own, Some(&rival), &LeadRules::default())
    }

    #[test]
    fn a_higher_quality_neighbour_leads() {
        assert_eq!(
            decide(177, at(0), rival(185, at(10))).as_deref(),
            Some("not the lead: the-rival has quality 185")
        );
        assert_eq!(decide(186, at(0), rival(185, at(-100))), None);
        assert_eq!(outranked_by(10, at(0), None, &LeadRules::default()), None);
    }

    #[test]
    fn an_equal_neighbour_leads_only_from_a_day_earlier() {
        assert_eq!(decide(125, at(0), rival(125, at(10))), None, "later");
        assert_eq!(decide(125, at(0), rival(125, at(0))), None, "same time");
        assert_eq!(decide(125, at(0), rival(125, at(-23))), None, "same day");
        assert_eq!(
            decide(125, at(0), rival(125, at(-24))).as_deref(),
            Some("not the lead: the-rival has the same quality 125 and was published 24 hours earlier")
        );
        assert!(decide(125, at(0), rival(125, at(-110))).is_some());
    }

    #[test]
    fn the_best_rival_is_the_highest_then_the_earliest() {
        let candidates = [(1, 120, at(0)), (2, 125, None), (3, 125, at(5)), (4, 125, at(-5))];
        assert_eq!(best_rival(candidates.into_iter()).unwrap().0, 4, "the earliest");
        assert_eq!(best_rival(candidates[..3].iter().copied()).unwrap().0, 3, "dated first");
        assert_eq!(best_rival(std::iter::empty()), None);
    }

    #[test]
    fn undated_articles_never_win_or_lose_a_tie() {
        assert_eq!(decide(125, None, rival(125, at(-100))), None);
        assert_eq!(decide(125, at(0), rival(125, None)), None);
        assert!(decide(125, None, rival(126, None)).is_some());
    }

    #[test]
    fn two_articles_never_hold_each_other_back() {
        let times = [None, at(-48), at(-24), at(-1), at(0), at(30)];
        for qa in [124, 125, 126] {
            for ta in times {
                for tb in times {
                    let a_held = decide(qa, ta, rival(125, tb)).is_some();
                    let b_held = decide(125, tb, rival(qa, ta)).is_some();
                    assert!(!(a_held && b_held), "{qa} {ta:?} {tb:?}");
                }
            }
        }
    }
}
