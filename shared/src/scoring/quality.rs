//! Quality: an integer in `QUALITY_MIN..=QUALITY_MAX` (0..=100) explaining
//! itself through a stored breakdown.
//!
//! Four components, each normalised to `0.0..=1.0`, are weighted:
//! `total = round(100 * Σ weight·value / Σ weight)`, clamped to the range.
//! Every component is non-decreasing in "more of a good thing" (an image, an
//! AMP link, another corroborating provider), so improving an article never
//! lowers its quality.

use serde::{Deserialize, Serialize};

use super::config::{CompletenessRules, ScoringConfig, TitleRules};
use super::{QUALITY_MAX, QUALITY_MIN, normalize_domain};

/// What quality is computed from: plain owned values, so the worker can fill
/// it from a database row as easily as from a parsed `ArticleRecord`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QualityInput {
    pub provider_domain: Option<String>,
    pub title: String,
    pub excerpt: Option<String>,
    /// Width and height of the first image, when the article has one.
    pub image: Option<(Option<i32>, Option<i32>)>,
    pub has_amp: bool,
    pub topic_count: usize,
    /// Number of DISTINCT providers, other than the article's own, among its
    /// related articles.
    pub corroborating_providers: usize,
}

/// One component's share of the total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ComponentScore {
    /// Normalised value, `0.0..=1.0` (rounded to 4 decimals for storage).
    pub raw: f64,
    pub weight: f64,
    /// `100 * weight * raw / Σ weights` (rounded to 2 decimals for storage;
    /// the total is computed before rounding).
    pub points: f64,
}

/// Why an article got its quality; stored as JSON next to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityBreakdown {
    pub provider: ComponentScore,
    pub completeness: ComponentScore,
    pub title: ComponentScore,
    pub corroboration: ComponentScore,
    /// Human-readable reasons for every point not earned.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityScore {
    pub total: i32,
    pub breakdown: QualityBreakdown,
}

/// Computes quality. `config` is assumed validated; even if it is not, the
/// total stays within `QUALITY_MIN..=QUALITY_MAX`.
pub fn quality(input: &QualityInput, config: &ScoringConfig) -> QualityScore {
    let mut notes = Vec::new();
    let values = [
        provider_value(input.provider_domain.as_deref(), config, &mut notes),
        completeness_value(input, &config.completeness, &mut notes),
        title_value(&input.title, &config.title, &mut notes),
        corroboration_value(input.corroborating_providers, config.corroboration_decay, &mut notes),
    ];
    let w = &config.weights;
    let weights = [w.provider, w.completeness, w.title, w.corroboration];
    let weight_sum: f64 = weights.iter().sum();
    let scale = f64::from(QUALITY_MAX - QUALITY_MIN);
    let points = |i: usize| scale * weights[i] * values[i] / weight_sum;
    let sum: f64 = (0..4).map(points).sum();
    // A NaN (zero weight sum in an unvalidated config) casts to 0.
    let total = (f64::from(QUALITY_MIN) + sum).round() as i32;
    let component = |i: usize| ComponentScore {
        raw: round_to(values[i], 4),
        weight: weights[i],
        points: round_to(points(i), 2),
    };
    QualityScore {
        total: total.clamp(QUALITY_MIN, QUALITY_MAX),
        breakdown: QualityBreakdown {
            provider: component(0),
            completeness: component(1),
            title: component(2),
            corroboration: component(3),
            notes,
        },
    }
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

/// `have / full` clamped to `0.0..=1.0` (`full` is >= 1 in a valid config;
/// the floor only keeps an invalid 0 from producing NaN).
fn ratio(have: f64, full: f64) -> f64 {
    (have / full.max(f64::MIN_POSITIVE)).clamp(0.0, 1.0)
}

/// Reputation / 100, from the map or the default.
fn provider_value(domain: Option<&str>, config: &ScoringConfig, notes: &mut Vec<String>) -> f64 {
    let default = config.default_reputation;
    let reputation = match domain.map(normalize_domain).filter(|d| !d.is_empty()) {
        None => {
            notes.push(format!("no provider: default reputation {default}"));
            default
        }
        Some(d) => match config.provider_reputation.get(&d) {
            Some(r) => *r,
            None => {
                notes.push(format!("provider {d} has no configured reputation: default {default}"));
                default
            }
        },
    };
    f64::from(reputation.clamp(0, 100)) / 100.0
}

/// Weighted mean of excerpt length, image (presence and size), AMP link and
/// topic count.
fn completeness_value(input: &QualityInput, rules: &CompletenessRules, notes: &mut Vec<String>) -> f64 {
    let excerpt_chars = input.excerpt.as_deref().map_or(0, |e| e.trim().chars().count());
    let full_chars = rules.excerpt_full_chars;
    let excerpt = ratio(excerpt_chars as f64, f64::from(full_chars));
    if excerpt_chars == 0 {
        notes.push("no excerpt".to_string());
    } else if excerpt < 1.0 {
        let note = format!("excerpt has {excerpt_chars} characters (full credit from {full_chars})");
        notes.push(note);
    }

    let image = match input.image {
        None => {
            notes.push("no image".to_string());
            0.0
        }
        Some(size) => {
            let share = rules.image_presence_share.clamp(0.0, 1.0);
            share + (1.0 - share) * image_size_value(size, rules, notes)
        }
    };

    let amp = if input.has_amp { 1.0 } else { 0.0 };
    if !input.has_amp {
        notes.push("no AMP link".to_string());
    }

    let (count, full) = (input.topic_count, rules.topics_full);
    let topics = ratio(count as f64, f64::from(full));
    if topics < 1.0 {
        notes.push(format!("{count} topic(s) (full credit from {full})"));
    }

    let parts = [
        (rules.excerpt_weight, excerpt),
        (rules.image_weight, image),
        (rules.amp_weight, amp),
        (rules.topics_weight, topics),
    ];
    let weight_sum: f64 = parts.iter().map(|(w, _)| w).sum();
    if weight_sum <= 0.0 {
        return 0.0;
    }
    (parts.iter().map(|(w, v)| w * v).sum::<f64>() / weight_sum).clamp(0.0, 1.0)
}

/// Area relative to the full-credit area; unknown or non-positive sizes earn
/// nothing beyond presence (a broken size says nothing about the picture).
fn image_size_value(size: (Option<i32>, Option<i32>), rules: &CompletenessRules, notes: &mut Vec<String>) -> f64 {
    let (full_w, full_h) = (rules.image_full_width, rules.image_full_height);
    match size {
        (Some(w), Some(h)) if w > 0 && h > 0 => {
            let value = ratio(f64::from(w) * f64::from(h), f64::from(full_w) * f64::from(full_h));
            if value < 1.0 {
                notes.push(format!("image {w}x{h} is smaller than {full_w}x{full_h}"));
            }
            value
        }
        _ => {
            notes.push("image size unknown".to_string());
            0.0
        }
    }
}

/// Starts at 1.0 and loses the length, shouting, punctuation and bait
/// penalties; never below 0.
fn title_value(title: &str, rules: &TitleRules, notes: &mut Vec<String>) -> f64 {
    let title = title.trim();
    let mut penalty = 0.0;

    let chars = title.chars().count() as f64;
    let (min, max) = (f64::from(rules.ideal_min_chars), f64::from(rules.ideal_max_chars));
    // Short: scaled down to an empty title. Long: full penalty at twice the max.
    let outside = if chars < min {
        ratio(min - chars, min)
    } else if chars > max {
        ratio(chars - max, max)
    } else {
        0.0
    };
    if outside > 0.0 {
        penalty += rules.length_penalty * outside;
        notes.push(format!("title has {chars} characters (ideal {min}..={max})"));
    }

    let has_letter = |w: &&str| w.chars().any(char::is_alphabetic);
    let words: Vec<&str> = title.split_whitespace().filter(has_letter).collect();
    let min_letters = rules.shouting_min_letters;
    let shouting = words.iter().filter(|w| is_shouting(w, min_letters)).count();
    if shouting > 0 {
        penalty += rules.shouting_penalty * shouting as f64 / words.len() as f64;
        notes.push(format!("title has {shouting} shouting word(s) out of {}", words.len()));
    }

    let runs = punctuation_runs(title);
    if runs > 0 {
        penalty += rules.punctuation_penalty * runs as f64;
        notes.push(format!("title has {runs} run(s) of repeated !/?"));
    }

    let text = fold_text(title);
    for phrase in &rules.bait_phrases {
        let phrase = fold_text(phrase);
        if !phrase.is_empty() && text.contains(&phrase) {
            penalty += rules.bait_penalty;
            notes.push(format!("title contains bait phrase \"{phrase}\""));
        }
    }

    (1.0 - penalty).clamp(0.0, 1.0)
}

/// All letters uppercase and at least `min_letters` of them.
fn is_shouting(word: &str, min_letters: u32) -> bool {
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= min_letters.max(1) as usize && letters.iter().all(|c| c.is_uppercase())
}

/// Runs of two or more `!`/`?` characters: "Really?!" and "Wow!!!" count
/// once each; a single `!` or `?` is ordinary punctuation.
fn punctuation_runs(title: &str) -> usize {
    let mut runs = 0;
    let mut current = 0;
    for c in title.chars().chain(std::iter::once(' ')) {
        if matches!(c, '!' | '?' | '‼' | '⁇' | '⁈' | '⁉') {
            current += 1;
        } else {
            if current >= 2 {
                runs += 1;
            }
            current = 0;
        }
    }
    runs
}

/// Lowercase, curly apostrophes straightened (real titles use ’), spaces
/// collapsed: so "You Won’t  Believe" matches "you won't believe".
fn fold_text(text: &str) -> String {
    let lower = text.to_lowercase().replace(['’', '‘', 'ʼ'], "'");
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 1 - decay^n: the first corroborating providers matter most.
fn corroboration_value(providers: usize, decay: f64, notes: &mut Vec<String>) -> f64 {
    if providers == 0 {
        notes.push("no corroborating providers".to_string());
    }
    (1.0 - decay.clamp(0.0, 1.0).powf(providers as f64)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn good_input() -> QualityInput {
        QualityInput {
            provider_domain: Some("cnn.com".into()),
            title: "Biden speaks with Netanyahu after delay raised questions".into(),
            excerpt: Some("x".repeat(200)),
            image: Some((Some(1200), Some(630))),
            has_amp: true,
            topic_count: 3,
            corroborating_providers: 10,
        }
    }

    fn title(text: &str) -> (f64, Vec<String>) {
        let mut notes = Vec::new();
        let value = title_value(text, &TitleRules::default(), &mut notes);
        (value, notes)
    }

    fn completeness(input: &QualityInput) -> f64 {
        completeness_value(input, &CompletenessRules::default(), &mut Vec::new())
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn provider_uses_map_then_default() {
        let mut config = ScoringConfig::default();
        config.provider_reputation.insert("cnn.com".into(), 80);
        let mut notes = Vec::new();
        assert!(close(provider_value(Some("cnn.com"), &config, &mut notes), 0.8));
        assert!(close(provider_value(Some(" WWW.CNN.com "), &config, &mut notes), 0.8));
        assert!(notes.is_empty());
        assert!(close(provider_value(Some("salon.com"), &config, &mut notes), 0.5));
        assert!(close(provider_value(None, &config, &mut notes), 0.5));
        assert_eq!(
            notes,
            [
                "provider salon.com has no configured reputation: default 50",
                "no provider: default reputation 50"
            ]
        );
    }

    #[test]
    fn completeness_full_and_empty() {
        assert!(close(completeness(&good_input()), 1.0));
        let empty = QualityInput {
            title: "t".into(),
            ..QualityInput::default()
        };
        let mut notes = Vec::new();
        assert!(close(
            completeness_value(&empty, &CompletenessRules::default(), &mut notes),
            0.0
        ));
        assert_eq!(
            notes,
            [
                "no excerpt",
                "no image",
                "no AMP link",
                "0 topic(s) (full credit from 3)"
            ]
        );
    }

    #[test]
    fn completeness_excerpt_is_trimmed_and_proportional() {
        let rules = CompletenessRules::default();
        let base = QualityInput {
            excerpt: Some(format!("{}\n    \n", "y".repeat(75))),
            ..good_input()
        };
        // 75 of 150 characters: half of the excerpt part (weight 0.30 of 1.0).
        assert!(close(completeness(&base), 1.0 - rules.excerpt_weight / 2.0));
        let blank = QualityInput {
            excerpt: Some("  \n ".into()),
            ..good_input()
        };
        assert!(close(completeness(&blank), 1.0 - rules.excerpt_weight));
    }

    #[test]
    fn completeness_image_presence_and_size() {
        let rules = CompletenessRules::default();
        let image = |image| completeness(&QualityInput { image, ..good_input() });
        assert!(close(image(None), 1.0 - rules.image_weight));
        // Unknown or broken size: presence only.
        assert!(close(image(Some((None, Some(600)))), 1.0 - rules.image_weight / 2.0));
        assert!(close(image(Some((Some(0), Some(600)))), 1.0 - rules.image_weight / 2.0));
        // Quarter of the full area: presence + a quarter of the size share.
        assert!(close(
            image(Some((Some(600), Some(315)))),
            1.0 - rules.image_weight * 0.5 * 0.75
        ));
        // Bigger than the cap earns no more than the cap.
        assert!(close(image(Some((Some(4834), Some(3221)))), 1.0));
        assert!(image(Some((Some(1100), Some(619)))) > image(Some((Some(309), Some(211)))));
    }

    #[test]
    fn completeness_amp_and_topics() {
        let rules = CompletenessRules::default();
        assert!(close(
            completeness(&QualityInput {
                has_amp: false,
                ..good_input()
            }),
            1.0 - rules.amp_weight
        ));
        let topics = |topic_count| {
            completeness(&QualityInput {
                topic_count,
                ..good_input()
            })
        };
        assert!(close(topics(1), 1.0 - rules.topics_weight * 2.0 / 3.0));
        assert!(close(topics(7), 1.0));
    }

    #[test]
    fn title_clean_is_full() {
        let (value, notes) = title("Biden speaks with Netanyahu after delay raised questions");
        assert_eq!((value, notes.len()), (1.0, 0));
    }

    #[test]
    fn title_length_penalty_scales() {
        // 15 chars: half of the 30-char minimum missing.
        let (value, notes) = title("Short headline!");
        assert!(close(value, 1.0 - 0.3 * 0.5));
        assert_eq!(notes, ["title has 15 characters (ideal 30..=110)"]);
        let (value, _) = title(&"long ".repeat(44)); // 219 chars after trim
        assert!(close(value, 1.0 - 0.3 * (109.0 / 110.0)));
        assert!(close(title("").0, 0.7));
    }

    #[test]
    fn title_shouting_counts_long_all_caps_words_only() {
        let (value, notes) = title("BREAKING: TRUMP and the FBI fight over US election RESULTS");
        // BREAKING, TRUMP, RESULTS shout; FBI and US are short acronyms. 10 words.
        assert!(close(value, 1.0 - 0.3));
        assert_eq!(notes, ["title has 3 shouting word(s) out of 10"]);
        assert!(close(
            title("U.S. and NATO allies agree on new sanctions against Russia").0,
            1.0 - 0.1
        ));
    }

    #[test]
    fn title_punctuation_runs() {
        assert_eq!(punctuation_runs("Really?! No way!!! Why?"), 2);
        assert_eq!(punctuation_runs("A question? An answer!"), 0);
        let (value, notes) = title("Is this the end of the campaign?? Voters react!!");
        assert!(close(value, 0.5));
        assert_eq!(notes, ["title has 2 run(s) of repeated !/?"]);
    }

    #[test]
    fn title_bait_is_case_insensitive_and_folds_apostrophes() {
        let (value, notes) = title("You Won’t  Believe what the senator said about taxes");
        assert!(close(value, 0.5));
        assert_eq!(notes, ["title contains bait phrase \"you won't believe\""]);
        assert!(close(title("A shockingly ordinary budget hearing in Congress").0, 0.5));
        // Two phrases and shouting: floored at zero.
        assert_eq!(title("SHOCKING: you won't believe WHAT HAPPENED NEXT!!").0, 0.0);
    }

    #[test]
    fn corroboration_saturates() {
        let value = |n| corroboration_value(n, 0.5, &mut Vec::new());
        assert_eq!([value(0), value(1), value(2), value(3)], [0.0, 0.5, 0.75, 0.875]);
        assert!(value(usize::MAX) <= 1.0 && value(60) > 0.999);
        let mut notes = Vec::new();
        corroboration_value(0, 0.5, &mut notes);
        assert_eq!(notes, ["no corroborating providers"]);
    }

    #[test]
    fn total_is_weighted_mean_scaled_to_100() {
        let mut config = ScoringConfig::default();
        config.provider_reputation.insert("cnn.com".into(), 80);
        let score = quality(&good_input(), &config);
        // provider 0.8*30 = 24, completeness 30, title 25, corroboration (1 - 0.5^10)*15.
        let expected = 24.0 + 30.0 + 25.0 + 15.0 * (1.0 - 0.5f64.powi(10));
        assert_eq!(score.total, expected.round() as i32);
        assert_eq!(
            score.breakdown.provider,
            ComponentScore {
                raw: 0.8,
                weight: 30.0,
                points: 24.0
            }
        );
        assert_eq!(score.breakdown.corroboration.points, 14.99);
        assert!(score.breakdown.notes.is_empty());
        // Only ratios of weights matter.
        let w = &mut config.weights;
        (w.provider, w.completeness, w.title, w.corroboration) = (6.0, 6.0, 5.0, 3.0);
        assert_eq!(quality(&good_input(), &config).total, expected.round() as i32);
    }

    #[test]
    fn breakdown_serializes_with_every_component() {
        let score = quality(&QualityInput::default(), &ScoringConfig::default());
        let json = serde_json::to_value(&score.breakdown).unwrap();
        for key in ["provider", "completeness", "title", "corroboration"] {
            assert!(json[key]["raw"].is_number() && json[key]["weight"].is_number() && json[key]["points"].is_number());
        }
        assert!(json["notes"].as_array().unwrap().len() >= 5);
    }

    fn any_input() -> impl Strategy<Value = QualityInput> {
        let provider = proptest::option::of(prop_oneof![Just("cnn.com".to_string()), "\\PC{0,20}"]);
        let size = (proptest::option::of(any::<i32>()), proptest::option::of(any::<i32>()));
        let excerpt = proptest::option::of("\\PC{0,400}");
        let parts = (
            provider,
            "\\PC{0,200}",
            excerpt,
            proptest::option::of(size),
            any::<bool>(),
            0..1000usize,
        );
        (parts, any::<usize>()).prop_map(|((provider_domain, title, excerpt, image, has_amp, topic_count), n)| {
            QualityInput {
                provider_domain,
                title,
                excerpt,
                image,
                has_amp,
                topic_count,
                corroborating_providers: n,
            }
        })
    }

    fn any_config() -> impl Strategy<Value = ScoringConfig> {
        let weight = || prop_oneof![Just(0.0), 0.0..1000.0];
        (weight(), weight(), weight(), 0.001..1000.0, 0..=100i32, 0.0..1.0).prop_map(|(p, c, t, r, rep, decay)| {
            let mut config = ScoringConfig::default();
            config.weights.provider = p;
            config.weights.completeness = c;
            config.weights.title = t;
            config.weights.corroboration = r;
            config.provider_reputation.insert("cnn.com".into(), rep);
            config.corroboration_decay = decay;
            config.validate().unwrap();
            config
        })
    }

    proptest! {
        #[test]
        fn total_always_in_range(input in any_input(), config in any_config()) {
            let total = quality(&input, &config).total;
            prop_assert!((QUALITY_MIN..=QUALITY_MAX).contains(&total));
            let total = quality(&input, &ScoringConfig::default()).total;
            prop_assert!((QUALITY_MIN..=QUALITY_MAX).contains(&total));
        }

        #[test]
        fn adding_an_image_never_lowers(input in any_input(), config in any_config(), w in any::<Option<i32>>(), h in any::<Option<i32>>()) {
            let without = QualityInput { image: None, ..input.clone() };
            let with = QualityInput { image: Some((w, h)), ..input };
            prop_assert!(quality(&with, &config).total >= quality(&without, &config).total);
        }

        #[test]
        fn adding_amp_never_lowers(input in any_input(), config in any_config()) {
            let without = QualityInput { has_amp: false, ..input.clone() };
            let with = QualityInput { has_amp: true, ..input };
            prop_assert!(quality(&with, &config).total >= quality(&without, &config).total);
        }

        #[test]
        fn one_more_corroborating_provider_never_lowers(input in any_input(), config in any_config()) {
            let more = QualityInput { corroborating_providers: input.corroborating_providers.saturating_add(1), ..input.clone() };
            prop_assert!(quality(&more, &config).total >= quality(&input, &config).total);
        }
    }
}
