//! Heat: how much an article should be shown now, `-1` while unpublished.
//!
//! Two formulas (`heat.formula`):
//!
//! ```text
//! decay (default):
//!   points = max(0, quality + coverage_weight * corroborating_providers + editor_boost)
//!   hn     = points / (age_hours + age_offset_hours)^gravity      (the Hacker-News score)
//!   heat   = round(scale * ln(1 + 1e9 * hn))
//! smartable:
//!   heat   = max(0, quality + related_weight * related_items + editor_boost)
//! ```
//!
//! `decay` orders exactly as the Hacker-News score does, but on a logarithmic
//! scale: the linear score of a 2020 article is 10^-5 of a fresh one and
//! rounds to 0, so a feed of the back catalogue would be ordered by id. The
//! logarithm keeps every age apart (at scale 10,000, a day at five years
//! old is still a step of 10). It depends on "now", so the worker refreshes it
//! periodically; for fixed inputs it only ever decreases as time passes.
//! `smartable` is the heat Smartable's files carry, and does not decay.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::ScoringConfig;

/// Heat of an article that is not published: sorts below every published one.
pub const UNPUBLISHED_HEAT: i32 = -1;

/// Keeps `1e9 * hn` far above 1 for any article younger than a century, so
/// the `1 +` (which keeps heat >= 0) changes nothing that matters.
const DECAY_REACH: f64 = 1e9;

/// Which heat formula applies (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeatFormula {
    #[default]
    Decay,
    Smartable,
}

/// Heat parameters (`heat` in the config): see the formulas above.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeatParams {
    pub formula: HeatFormula,
    pub gravity: f64,
    pub age_offset_hours: f64,
    /// Points added per distinct corroborating provider (`decay`).
    pub coverage_weight: f64,
    /// Heat per unit of ln(1 + 1e9 * hn) (`decay`).
    pub scale: f64,
    /// Age assumed when `published_at` is unknown: old, so an undated
    /// article never floats to the top.
    pub unknown_age_hours: f64,
    /// Heat added per item of the related list (`smartable`).
    pub related_weight: f64,
}

impl Default for HeatParams {
    fn default() -> Self {
        Self {
            formula: HeatFormula::Decay,
            gravity: 1.8,
            age_offset_hours: 2.0,
            coverage_weight: 5.0,
            scale: 10_000.0,
            unknown_age_hours: 168.0,
            related_weight: 20.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeatInput {
    pub quality: i32,
    /// Distinct other providers among the related articles.
    pub corroborating_providers: usize,
    /// Items of the article's own related list.
    pub related_items: usize,
    /// Points an editor adds (or, negative, removes).
    pub editor_boost: i32,
    /// The final publication state (after editor overrides).
    pub published: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Computes heat: [`UNPUBLISHED_HEAT`] when unpublished, otherwise an integer
/// `>= 0` (saturating at `i32::MAX`).
///
/// A `published_at` in the future counts as age 0. An unknown `published_at`
/// counts as `heat.unknown_age_hours` old (a week by default), so an undated
/// article never floats to the top but an editor boost still moves it.
pub fn heat(input: HeatInput, config: &ScoringConfig) -> i32 {
    if !input.published {
        return UNPUBLISHED_HEAT;
    }
    let params = &config.heat;
    let value = match params.formula {
        HeatFormula::Decay => {
            let coverage = params.coverage_weight * input.corroborating_providers as f64;
            // `max` also turns a NaN (only from an unvalidated config) into 0.
            let points = (f64::from(input.quality) + coverage + f64::from(input.editor_boost)).max(0.0);
            let age = age_hours(input.published_at, input.now, params);
            let hn = points / (age + params.age_offset_hours).powf(params.gravity);
            params.scale * (DECAY_REACH * hn).ln_1p()
        }
        HeatFormula::Smartable => {
            let related = params.related_weight * input.related_items as f64;
            f64::from(input.quality) + related + f64::from(input.editor_boost)
        }
    };
    // `as` saturates (and maps NaN to 0); `max` guards a negative result.
    (value.round() as i32).max(0)
}

/// Hours since publication, never negative.
fn age_hours(published_at: Option<DateTime<Utc>>, now: DateTime<Utc>, params: &HeatParams) -> f64 {
    match published_at {
        None => params.unknown_age_hours.max(0.0),
        Some(at) => (now - at).num_milliseconds().max(0) as f64 / 3_600_000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use proptest::prelude::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_613_520_000, 0).unwrap() + TimeDelta::hours(hours)
    }

    fn input(age_hours: i64) -> HeatInput {
        HeatInput {
            quality: 80,
            corroborating_providers: 2,
            related_items: 3,
            editor_boost: 0,
            published: true,
            published_at: Some(at(0)),
            now: at(age_hours),
        }
    }

    #[test]
    fn unpublished_is_minus_one() {
        assert_eq!(
            heat(
                HeatInput {
                    published: false,
                    ..input(0)
                },
                &ScoringConfig::default()
            ),
            UNPUBLISHED_HEAT
        );
    }

    #[test]
    fn formula_matches_documentation() {
        let config = ScoringConfig::default();
        // points = 80 + 5 * 2 = 90; age 0: 10000 * ln(1 + 1e9 * 90 / 2^1.8).
        let expected = |age: f64| (10_000.0 * (1e9 * 90.0 / (age + 2.0).powf(1.8)).ln_1p()).round() as i32;
        assert_eq!(heat(input(0), &config), expected(0.0));
        assert_eq!(heat(input(0), &config), 239754);
        assert_eq!(heat(input(24), &config), expected(24.0));
        assert_eq!(heat(input(24), &config), 193585);
    }

    #[test]
    fn old_articles_stay_apart() {
        let config = ScoringConfig::default();
        // Five years old, one day apart: still distinct heats, in age order.
        let five_years = 5 * 365 * 24;
        let (older, newer) = (heat(input(five_years + 24), &config), heat(input(five_years), &config));
        assert!(newer > older && older > 0, "{newer} {older}");
        // And a better article of the same day is hotter.
        let better = HeatInput {
            quality: 90,
            ..input(five_years)
        };
        assert!(heat(better, &config) > newer);
    }

    #[test]
    fn smartable_formula_is_quality_plus_twenty_per_related_item() {
        let config = super::super::ScoringPreset::Smartable.config();
        // 80 + 20 * 3, whatever the age.
        assert_eq!(heat(input(0), &config), 140);
        assert_eq!(heat(input(24 * 900), &config), 140);
        let boosted = HeatInput {
            editor_boost: 15,
            ..input(0)
        };
        assert_eq!(heat(boosted, &config), 155);
    }

    #[test]
    fn decays_with_age() {
        let config = ScoringConfig::default();
        let values: Vec<i32> = [0, 1, 6, 24, 72, 24 * 30].map(|h| heat(input(h), &config)).to_vec();
        assert!(values.windows(2).all(|w| w[0] > w[1]), "{values:?}");
    }

    #[test]
    fn future_publication_counts_as_now() {
        let config = ScoringConfig::default();
        assert_eq!(heat(input(-5), &config), heat(input(0), &config));
    }

    #[test]
    fn unknown_date_counts_as_a_week_old() {
        let config = ScoringConfig::default();
        let undated = HeatInput {
            published_at: None,
            ..input(0)
        };
        assert_eq!(heat(undated, &config), heat(input(168), &config));
        assert!(heat(undated, &config) < heat(input(24), &config));
    }

    #[test]
    fn coverage_and_boost_add_points() {
        let config = ScoringConfig::default();
        let base = heat(input(3), &config);
        assert!(
            heat(
                HeatInput {
                    corroborating_providers: 10,
                    ..input(3)
                },
                &config
            ) > base
        );
        assert!(
            heat(
                HeatInput {
                    editor_boost: 50,
                    ..input(3)
                },
                &config
            ) > base
        );
        assert!(
            heat(
                HeatInput {
                    editor_boost: -50,
                    ..input(3)
                },
                &config
            ) < base
        );
    }

    #[test]
    fn published_heat_is_never_negative() {
        let config = ScoringConfig::default();
        assert_eq!(
            heat(
                HeatInput {
                    editor_boost: -1000,
                    ..input(0)
                },
                &config
            ),
            0
        );
        let huge = HeatInput {
            quality: i32::MAX,
            editor_boost: i32::MAX,
            corroborating_providers: usize::MAX,
            related_items: usize::MAX,
            ..input(0)
        };
        assert!(heat(huge, &config) > heat(input(0), &config));
        let smartable = super::super::ScoringPreset::Smartable.config();
        assert_eq!(heat(huge, &smartable), i32::MAX, "saturates");
    }

    fn any_input() -> impl Strategy<Value = HeatInput> {
        let time = || (0i64..4_000_000_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap());
        (
            any::<i32>(),
            any::<usize>(),
            any::<i32>(),
            any::<bool>(),
            proptest::option::of(time()),
            time(),
            0usize..1000,
        )
            .prop_map(
                |(quality, corroborating_providers, editor_boost, published, published_at, now, related_items)| {
                    HeatInput {
                        quality,
                        corroborating_providers,
                        related_items,
                        editor_boost,
                        published,
                        published_at,
                        now,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn heat_never_increases_with_age_alone(input in any_input(), later_by in 0i64..1_000_000_000) {
            let config = ScoringConfig::default();
            let later = HeatInput { now: input.now + TimeDelta::seconds(later_by), ..input };
            prop_assert!(heat(later, &config) <= heat(input, &config));
        }

        #[test]
        fn minus_one_iff_unpublished(input in any_input()) {
            let value = heat(input, &ScoringConfig::default());
            prop_assert_eq!(value == UNPUBLISHED_HEAT, !input.published);
            prop_assert!(value >= 0 || !input.published);
        }
    }
}
