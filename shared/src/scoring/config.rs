//! Scoring configuration: weights, provider reputations and thresholds, the
//! documented defaults (`docs/scoring.md` lists the same numbers) and the
//! validation that refuses out-of-range values before any score is computed.

use std::collections::BTreeMap;
use std::fmt::Display;

use serde::{Deserialize, Serialize};

use super::heat::HeatParams;
use super::lead::LeadRules;
use super::{QUALITY_MIN, normalize_domain};

/// Upper bound for every weight: far above any sensible value, and low enough
/// that sums of weights (and weight * count) stay finite.
const MAX_WEIGHT: f64 = 1000.0;
/// Upper bound for the future tolerance: one week. Anything larger would let
/// an article dated next month go live today.
const WEEK_MINUTES: i64 = 7 * 24 * 60;
/// Upper bound for the publish threshold. Computed quality is 0..=100, but a
/// source's own quality (Smartable's runs to about 250) can be higher.
const MAX_THRESHOLD: i32 = 10_000;

/// Everything the scoring functions need besides the article itself.
///
/// Every field has a default, so a config file only names what it changes;
/// unknown fields are refused so a typo cannot silently fall back to a default.
/// Call [`ScoringConfig::validate`] after loading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringConfig {
    /// Where an article's quality comes from: computed by us, or the
    /// quality its source shipped (computed where the source has none).
    pub quality_source: QualitySource,
    /// Weight of each quality component.
    pub weights: QualityWeights,
    /// Reputation `0..=100` per provider domain (lowercase, without `www.`).
    /// Exact match only: `edition.cnn.com` needs its own entry.
    pub provider_reputation: BTreeMap<String, i32>,
    /// Reputation of a provider missing from the map, or of an article
    /// without a provider.
    pub default_reputation: i32,
    /// Domains never published automatically (subdomains included).
    pub blocked_providers: Vec<String>,
    pub completeness: CompletenessRules,
    pub title: TitleRules,
    /// Corroboration is `1 - decay^n` for `n` distinct other providers:
    /// the first few matter most, and it saturates towards 1.
    pub corroboration_decay: f64,
    /// Quality needed to publish automatically.
    pub publish_threshold: i32,
    /// Ties of the lead rule (one published lead per coverage group).
    pub lead: LeadRules,
    pub heat: HeatParams,
    /// How far in the future `published_at` may be (clock skew between
    /// providers and us) before the article is held back.
    pub future_tolerance_minutes: i64,
}

/// Where quality comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualitySource {
    /// Our own 0..=100 score, from the article's features.
    #[default]
    Computed,
    /// The quality the source file shipped; our computed score where it has none.
    Source,
}

/// A named starting point for the scoring configuration; a config file
/// then overrides single values on top of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScoringPreset {
    /// newsgraph's own scoring: computed quality, time-decayed heat.
    #[default]
    Default,
    /// Reproduces Smartable's decisions: the source's quality, Smartable's
    /// heat (quality + 20 per related item), publication floor 65.
    Smartable,
}

impl std::str::FromStr for ScoringPreset {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "default" => Ok(Self::Default),
            "smartable" => Ok(Self::Smartable),
            other => Err(format!("unknown scoring preset `{other}`; known: default, smartable")),
        }
    }
}

impl ScoringPreset {
    /// The preset's full configuration.
    pub fn config(self) -> ScoringConfig {
        match self {
            Self::Default => ScoringConfig::default(),
            Self::Smartable => ScoringConfig {
                quality_source: QualitySource::Source,
                // Smartable's published leads start at 70 and its held-back
                // leads end at 60 (corpus/smartable-election): halfway.
                publish_threshold: 65,
                heat: HeatParams {
                    formula: super::heat::HeatFormula::Smartable,
                    ..HeatParams::default()
                },
                ..ScoringConfig::default()
            },
        }
    }

    /// The preset with `overrides` (a JSON object, possibly partial, as in
    /// a `--scoring-config` file) applied on top: objects merge key by key,
    /// any other value replaces the preset's. Unknown keys are refused.
    pub fn with_overrides(self, overrides: Option<&str>) -> Result<ScoringConfig, serde_json::Error> {
        let Some(text) = overrides else {
            return Ok(self.config());
        };
        let overrides: serde_json::Value = serde_json::from_str(text)?;
        let mut merged = serde_json::to_value(self.config())?;
        merge_json(&mut merged, overrides);
        serde_json::from_value(merged)
    }
}

fn merge_json(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(base), serde_json::Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(slot) => merge_json(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, over) => *slot = over,
    }
}

/// Relative weights of the quality components; only their ratios matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualityWeights {
    pub provider: f64,
    pub completeness: f64,
    pub title: f64,
    pub corroboration: f64,
}

/// How the completeness component is made of its four parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompletenessRules {
    pub excerpt_weight: f64,
    pub image_weight: f64,
    pub amp_weight: f64,
    pub topics_weight: f64,
    /// Excerpt length (characters, trimmed) that earns full credit.
    pub excerpt_full_chars: u32,
    /// Share of the image part earned by having any image; the rest grows
    /// with its area up to `image_full_width * image_full_height`.
    pub image_presence_share: f64,
    pub image_full_width: u32,
    pub image_full_height: u32,
    /// Number of topics that earns full credit.
    pub topics_full: u32,
}

/// Title hygiene: the title starts at 1.0 and loses these penalties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TitleRules {
    /// Ideal title length in characters (trimmed), inclusive.
    pub ideal_min_chars: u32,
    pub ideal_max_chars: u32,
    /// Penalty for a title outside the ideal range, scaled by how far out it is.
    pub length_penalty: f64,
    /// A word counts as shouting when it has at least this many letters, all
    /// uppercase; shorter ones are usually acronyms (US, FBI, GOP, CNN).
    pub shouting_min_letters: u32,
    /// Penalty multiplied by the share of shouting words.
    pub shouting_penalty: f64,
    /// Penalty per run of two or more `!`/`?` (`!!`, `?!`, `???`).
    pub punctuation_penalty: f64,
    /// Penalty per bait phrase found (case-insensitive).
    pub bait_penalty: f64,
    pub bait_phrases: Vec<String>,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        Self {
            quality_source: QualitySource::Computed,
            weights: QualityWeights::default(),
            // Reputations are an editorial decision, not the code's: none by default.
            provider_reputation: BTreeMap::new(),
            default_reputation: 50,
            blocked_providers: Vec::new(),
            completeness: CompletenessRules::default(),
            title: TitleRules::default(),
            corroboration_decay: 0.5,
            publish_threshold: 50,
            lead: LeadRules::default(),
            heat: HeatParams::default(),
            future_tolerance_minutes: 10,
        }
    }
}

impl Default for QualityWeights {
    fn default() -> Self {
        Self {
            provider: 30.0,
            completeness: 30.0,
            title: 25.0,
            corroboration: 15.0,
        }
    }
}

impl Default for CompletenessRules {
    fn default() -> Self {
        Self {
            excerpt_weight: 0.30,
            image_weight: 0.35,
            amp_weight: 0.15,
            topics_weight: 0.20,
            excerpt_full_chars: 150,
            image_presence_share: 0.5,
            // The usual social-card size (1200x630): larger adds nothing.
            image_full_width: 1200,
            image_full_height: 630,
            topics_full: 3,
        }
    }
}

impl Default for TitleRules {
    fn default() -> Self {
        Self {
            ideal_min_chars: 30,
            ideal_max_chars: 110,
            length_penalty: 0.3,
            shouting_min_letters: 4,
            shouting_penalty: 1.0,
            punctuation_penalty: 0.25,
            bait_penalty: 0.5,
            bait_phrases: [
                "you won't believe",
                "shocking",
                "what happened next",
                "this one trick",
                "will blow your mind",
                "jaw-dropping",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// A config value outside its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scoring config: `{field}` is {value}; allowed: {allowed}")]
pub struct ConfigError {
    pub field: String,
    pub value: String,
    pub allowed: String,
}

fn ensure(ok: bool, field: &str, value: impl Display, allowed: &str) -> Result<(), ConfigError> {
    let (field, value, allowed) = (field.to_string(), value.to_string(), allowed.to_string());
    ok.then_some(()).ok_or(ConfigError { field, value, allowed })
}

/// Each weight in `0..=MAX_WEIGHT`, and at least one positive (they divide).
fn weights(prefix: &str, named: [(&str, f64); 4]) -> Result<(), ConfigError> {
    let allowed = format!("a finite number in 0.0..={MAX_WEIGHT:?}");
    for (name, value) in named {
        let ok = value.is_finite() && (0.0..=MAX_WEIGHT).contains(&value);
        ensure(ok, &format!("{prefix}.{name}"), value, &allowed)?;
    }
    let sum: f64 = named.iter().map(|(_, w)| w).sum();
    ensure(sum > 0.0, prefix, sum, "a sum > 0 (at least one positive weight)")
}

fn domain(field: &str, value: &str) -> Result<(), ConfigError> {
    let ok = !value.is_empty() && normalize_domain(value) == value;
    let allowed = "a lowercase domain without `www.` or spaces";
    ensure(ok, field, format!("`{value}`"), allowed)
}

impl ScoringConfig {
    /// Refuses any value outside its documented range, naming the field and
    /// the allowed range. The scoring functions assume a validated config.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let (w, c, t, h) = (&self.weights, &self.completeness, &self.title, &self.heat);
        let named = [
            ("provider", w.provider),
            ("completeness", w.completeness),
            ("title", w.title),
            ("corroboration", w.corroboration),
        ];
        weights("weights", named)?;
        let named = [
            ("excerpt_weight", c.excerpt_weight),
            ("image_weight", c.image_weight),
            ("amp_weight", c.amp_weight),
            ("topics_weight", c.topics_weight),
        ];
        weights("completeness", named)?;

        for (key, value) in &self.provider_reputation {
            domain("provider_reputation key", key)?;
            let (ok, field) = ((0..=100).contains(value), format!("provider_reputation.{key}"));
            ensure(ok, &field, value, "an integer in 0..=100")?;
        }
        for entry in &self.blocked_providers {
            domain("blocked_providers entry", entry)?;
        }
        for phrase in &t.bait_phrases {
            // An empty phrase would match every title.
            let (ok, shown) = (!phrase.trim().is_empty(), format!("{phrase:?}"));
            ensure(ok, "title.bait_phrases entry", shown, "non-blank text")?;
        }

        // Integers in lo..=hi. A zero "full credit" value would divide by
        // zero; a 0-letter shouting word would make every word shout.
        let min_title = i64::from(t.ideal_min_chars);
        let (q_min, q_max) = (i64::from(QUALITY_MIN), i64::from(MAX_THRESHOLD));
        let tolerance = self.future_tolerance_minutes;
        let integers: [(&str, i64, i64, i64); 10] = [
            ("default_reputation", self.default_reputation.into(), 0, 100),
            ("completeness.excerpt_full_chars", c.excerpt_full_chars.into(), 1, 5000),
            ("completeness.image_full_width", c.image_full_width.into(), 1, 10_000),
            ("completeness.image_full_height", c.image_full_height.into(), 1, 10_000),
            ("completeness.topics_full", c.topics_full.into(), 1, 100),
            ("title.ideal_min_chars", t.ideal_min_chars.into(), 1, 1000),
            ("title.ideal_max_chars", t.ideal_max_chars.into(), min_title, 1000),
            ("title.shouting_min_letters", t.shouting_min_letters.into(), 1, 100),
            ("publish_threshold", self.publish_threshold.into(), q_min, q_max),
            ("future_tolerance_minutes", tolerance, 0, WEEK_MINUTES),
        ];
        for (field, value, lo, hi) in integers {
            let allowed = format!("an integer in {lo}..={hi}");
            ensure((lo..=hi).contains(&value), field, value, &allowed)?;
        }

        // Finite numbers in lo..=hi.
        let numbers = [
            ("completeness.image_presence_share", c.image_presence_share, 0.0, 1.0),
            ("title.length_penalty", t.length_penalty, 0.0, 1.0),
            ("title.shouting_penalty", t.shouting_penalty, 0.0, 1.0),
            ("title.punctuation_penalty", t.punctuation_penalty, 0.0, 1.0),
            ("title.bait_penalty", t.bait_penalty, 0.0, 1.0),
            ("heat.coverage_weight", h.coverage_weight, 0.0, MAX_WEIGHT),
            ("heat.related_weight", h.related_weight, 0.0, MAX_WEIGHT),
            ("heat.unknown_age_hours", h.unknown_age_hours, 0.0, 1_000_000.0),
        ];
        for (field, value, lo, hi) in numbers {
            let allowed = format!("a finite number in {lo:?}..={hi:?}");
            ensure(value.is_finite() && (lo..=hi).contains(&value), field, value, &allowed)?;
        }
        // Decay 1 would pin corroboration at 0 (a zero weight says that).
        let decay = self.corroboration_decay;
        let decay_ok = decay.is_finite() && (0.0..1.0).contains(&decay);
        let allowed = "a number in 0.0..1.0 (1 excluded)";
        ensure(decay_ok, "corroboration_decay", decay, allowed)?;

        // Numbers in (0, max]: gravity 0 would stop the decay, and a zero
        // offset divides by zero for an article published just now.
        let positives = [
            ("heat.gravity", h.gravity, 10.0),
            // 0 would let two equal articles of the same minute hold each other back.
            ("lead.tie_window_hours", self.lead.tie_window_hours, 1_000_000.0),
            ("heat.age_offset_hours", h.age_offset_hours, 1000.0),
            ("heat.scale", h.scale, 1_000_000.0),
        ];
        for (field, value, max) in positives {
            let allowed = format!("a number > 0 and <= {max}");
            ensure(value.is_finite() && value > 0.0 && value <= max, field, value, &allowed)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies `change` to a default config and returns the refused field.
    fn refused(change: impl FnOnce(&mut ScoringConfig)) -> String {
        let mut config = ScoringConfig::default();
        change(&mut config);
        config.validate().expect_err("config should be refused").field
    }

    #[test]
    fn defaults_are_valid() {
        ScoringConfig::default().validate().unwrap();
    }

    #[test]
    fn default_weights_sum_to_100() {
        let w = QualityWeights::default();
        assert_eq!(w.provider + w.completeness + w.title + w.corroboration, 100.0);
    }

    #[test]
    fn partial_config_fills_defaults() {
        let config: ScoringConfig =
            serde_json::from_str(r#"{"publish_threshold": 70, "heat": {"gravity": 1.5}}"#).unwrap();
        assert_eq!(config.publish_threshold, 70);
        assert_eq!(config.heat.gravity, 1.5);
        assert_eq!(config.heat.age_offset_hours, 2.0);
        assert_eq!(config.weights, QualityWeights::default());
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<ScoringConfig>(r#"{"publish_treshold": 70}"#).is_err());
        assert!(serde_json::from_str::<ScoringConfig>(r#"{"heat": {"gravit": 1.5}}"#).is_err());
    }

    #[test]
    fn serde_round_trip() {
        let config = ScoringConfig::default();
        let json = serde_json::to_string(&config).unwrap();
        assert_eq!(serde_json::from_str::<ScoringConfig>(&json).unwrap(), config);
    }

    #[test]
    fn error_message_names_field_and_range() {
        let mut config = ScoringConfig::default();
        config.heat.gravity = 0.0;
        let message = config.validate().unwrap_err().to_string();
        assert_eq!(
            message,
            "scoring config: `heat.gravity` is 0; allowed: a number > 0 and <= 10"
        );
    }

    #[test]
    fn refuses_bad_quality_weights() {
        assert_eq!(refused(|c| c.weights.provider = -1.0), "weights.provider");
        assert_eq!(refused(|c| c.weights.completeness = f64::NAN), "weights.completeness");
        assert_eq!(refused(|c| c.weights.title = f64::INFINITY), "weights.title");
        assert_eq!(refused(|c| c.weights.corroboration = 1000.5), "weights.corroboration");
        let all_zero = |c: &mut ScoringConfig| {
            c.weights = QualityWeights {
                provider: 0.0,
                completeness: 0.0,
                title: 0.0,
                corroboration: 0.0,
            }
        };
        assert_eq!(refused(all_zero), "weights");
    }

    #[test]
    fn refuses_bad_reputations_and_domains() {
        assert_eq!(refused(|c| c.default_reputation = 101), "default_reputation");
        assert_eq!(refused(|c| c.default_reputation = -1), "default_reputation");
        assert_eq!(
            refused(|c| _ = c.provider_reputation.insert("cnn.com".into(), 150)),
            "provider_reputation.cnn.com"
        );
        assert_eq!(
            refused(|c| _ = c.provider_reputation.insert("CNN.com".into(), 80)),
            "provider_reputation key"
        );
        assert_eq!(
            refused(|c| _ = c.provider_reputation.insert("www.cnn.com".into(), 80)),
            "provider_reputation key"
        );
        assert_eq!(
            refused(|c| c.blocked_providers.push(String::new())),
            "blocked_providers entry"
        );
        assert_eq!(
            refused(|c| c.blocked_providers.push(" spam.example ".into())),
            "blocked_providers entry"
        );
    }

    #[test]
    fn refuses_bad_completeness_rules() {
        assert_eq!(
            refused(|c| c.completeness.excerpt_weight = -0.1),
            "completeness.excerpt_weight"
        );
        assert_eq!(
            refused(|c| c.completeness.image_weight = f64::NAN),
            "completeness.image_weight"
        );
        assert_eq!(refused(|c| c.completeness.amp_weight = -2.0), "completeness.amp_weight");
        assert_eq!(
            refused(|c| c.completeness.topics_weight = 1e9),
            "completeness.topics_weight"
        );
        let all_zero = |c: &mut ScoringConfig| {
            let r = &mut c.completeness;
            (r.excerpt_weight, r.image_weight, r.amp_weight, r.topics_weight) = (0.0, 0.0, 0.0, 0.0);
        };
        assert_eq!(refused(all_zero), "completeness");
        assert_eq!(
            refused(|c| c.completeness.excerpt_full_chars = 0),
            "completeness.excerpt_full_chars"
        );
        assert_eq!(
            refused(|c| c.completeness.image_presence_share = 1.5),
            "completeness.image_presence_share"
        );
        assert_eq!(
            refused(|c| c.completeness.image_full_width = 0),
            "completeness.image_full_width"
        );
        assert_eq!(
            refused(|c| c.completeness.image_full_height = 0),
            "completeness.image_full_height"
        );
        assert_eq!(refused(|c| c.completeness.topics_full = 0), "completeness.topics_full");
    }

    #[test]
    fn refuses_bad_title_rules() {
        assert_eq!(refused(|c| c.title.ideal_min_chars = 0), "title.ideal_min_chars");
        assert_eq!(refused(|c| c.title.ideal_max_chars = 20), "title.ideal_max_chars");
        assert_eq!(refused(|c| c.title.length_penalty = -0.1), "title.length_penalty");
        assert_eq!(
            refused(|c| c.title.shouting_min_letters = 0),
            "title.shouting_min_letters"
        );
        assert_eq!(refused(|c| c.title.shouting_penalty = 1.1), "title.shouting_penalty");
        assert_eq!(
            refused(|c| c.title.punctuation_penalty = f64::NAN),
            "title.punctuation_penalty"
        );
        assert_eq!(refused(|c| c.title.bait_penalty = 2.0), "title.bait_penalty");
        assert_eq!(
            refused(|c| c.title.bait_phrases.push("  ".into())),
            "title.bait_phrases entry"
        );
    }

    #[test]
    fn refuses_bad_corroboration_threshold_and_tolerance() {
        assert_eq!(refused(|c| c.corroboration_decay = 1.0), "corroboration_decay");
        assert_eq!(refused(|c| c.corroboration_decay = -0.5), "corroboration_decay");
        assert_eq!(refused(|c| c.publish_threshold = 10_001), "publish_threshold");
        assert_eq!(refused(|c| c.publish_threshold = -1), "publish_threshold");
        assert_eq!(refused(|c| c.future_tolerance_minutes = -1), "future_tolerance_minutes");
        assert_eq!(
            refused(|c| c.future_tolerance_minutes = 7 * 24 * 60 + 1),
            "future_tolerance_minutes"
        );
    }

    #[test]
    fn presets_are_valid_and_overrides_apply_on_top() {
        for preset in [ScoringPreset::Default, ScoringPreset::Smartable] {
            preset.config().validate().unwrap();
        }
        assert_eq!(ScoringPreset::Default.config(), ScoringConfig::default());
        let config = ScoringPreset::Smartable
            .with_overrides(Some(r#"{"publish_threshold": 80, "heat": {"related_weight": 10}}"#))
            .unwrap();
        assert_eq!(config.publish_threshold, 80);
        assert_eq!(config.heat.related_weight, 10.0);
        // What the override does not name stays the preset's.
        assert_eq!(config.quality_source, QualitySource::Source);
        assert_eq!(config.heat.formula, super::super::heat::HeatFormula::Smartable);
        assert!(
            ScoringPreset::Smartable
                .with_overrides(Some(r#"{"heat": {"gravit": 1}}"#))
                .is_err()
        );
    }

    #[test]
    fn refuses_bad_lead_rules() {
        assert_eq!(refused(|c| c.lead.tie_window_hours = 0.0), "lead.tie_window_hours");
        assert_eq!(refused(|c| c.lead.tie_window_hours = f64::NAN), "lead.tie_window_hours");
    }

    #[test]
    fn refuses_bad_heat_params() {
        assert_eq!(refused(|c| c.heat.gravity = 0.0), "heat.gravity");
        assert_eq!(refused(|c| c.heat.gravity = 11.0), "heat.gravity");
        assert_eq!(refused(|c| c.heat.age_offset_hours = 0.0), "heat.age_offset_hours");
        assert_eq!(refused(|c| c.heat.coverage_weight = -1.0), "heat.coverage_weight");
        assert_eq!(refused(|c| c.heat.scale = 0.0), "heat.scale");
        assert_eq!(
            refused(|c| c.heat.unknown_age_hours = f64::INFINITY),
            "heat.unknown_age_hours"
        );
    }
}
