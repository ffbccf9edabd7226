//! Heat: time-decayed interest, Hacker-News style, `-1` while unpublished.
//!
//! ```text
//! points = max(0, quality + coverage_weight * corroborating_providers + editor_boost)
//! heat   = round(scale * points / (age_hours + age_offset_hours)^gravity)
//! ```
//!
//! Heat depends on "now", so the worker refreshes it periodically; for fixed
//! inputs it only ever decreases as time passes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::config::ScoringConfig;

/// Heat of an article that is not published: sorts below every published one.
pub const UNPUBLISHED_HEAT: i32 = -1;

/// Heat parameters (`heat` in the config): see the formula above.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeatParams {
    pub gravity: f64,
    pub age_offset_hours: f64,
    /// Points added per distinct corroborating provider.
    pub coverage_weight: f64,
    pub scale: f64,
    /// Age assumed when `published_at` is unknown: old, so an undated
    /// article never floats to the top.
    pub unknown_age_hours: f64,
}

impl Default for HeatParams {
    fn default() -> Self {
        Self {
            gravity: 1.8,
            age_offset_hours: 2.0,
            coverage_weight: 5.0,
            scale: 100.0,
            unknown_age_hours: 168.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeatInput {
    pub quality: i32,
    /// Distinct other providers among the related articles.
    pub corroborating_providers: usize,
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
    let coverage = params.coverage_weight * input.corroborating_providers as f64;
    // `max` also turns a NaN (only from an unvalidated config) into 0.
    let points = (f64::from(input.quality) + coverage + f64::from(input.editor_boost)).max(0.0);
    let age = age_hours(input.published_at, input.now, params);
    let value = params.scale * points / (age + params.age_offset_hours).powf(params.gravity);
    // `as` saturates (and maps NaN to 0); `max` guards a negative scale.
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
        // points = 80 + 5 * 2 = 90; age 0: 100 * 90 / 2^1.8.
        assert_eq!(heat(input(0), &config), (9000.0 / 2f64.powf(1.8)).round() as i32);
        assert_eq!(heat(input(0), &config), 2585);
        // 24 hours later: 100 * 90 / 26^1.8.
        assert_eq!(heat(input(24), &config), (9000.0 / 26f64.powf(1.8)).round() as i32);
        assert_eq!(heat(input(24), &config), 26);
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
            ..input(0)
        };
        assert_eq!(heat(huge, &config), i32::MAX);
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
        )
            .prop_map(
                |(quality, corroborating_providers, editor_boost, published, published_at, now)| HeatInput {
                    quality,
                    corroborating_providers,
                    editor_boost,
                    published,
                    published_at,
                    now,
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
