//! Article scores and the automatic publication rule: quality, heat and
//! publish/hold, as pure deterministic functions.
//!
//! Nothing here touches the database or reads the clock: the worker gathers
//! the inputs (including "now") and stores the results, so the same inputs
//! always give the same scores and every rule can be tested in isolation.
//! The formulas and defaults are documented in `docs/scoring.md`.

pub mod config;
pub mod heat;
pub mod lead;
pub mod publication;
pub mod quality;

pub use config::{
    CompletenessRules, ConfigError, QualitySource, QualityWeights, ScoringConfig, ScoringPreset, TitleRules,
};
pub use heat::{HeatFormula, HeatInput, HeatParams, UNPUBLISHED_HEAT, heat};
pub use lead::{LeadRules, Rival};
pub use publication::{PublicationDecision, PublicationInput, automatic_decision};
pub use quality::{ComponentScore, QualityBreakdown, QualityInput, QualityScore, quality};

/// Lowest possible quality.
pub const QUALITY_MIN: i32 = 0;
/// Highest possible quality.
pub const QUALITY_MAX: i32 = 100;

/// The form a provider domain is compared in: trimmed, lowercase, without a
/// leading `www.`, so `WWW.CNN.com` and `cnn.com` are one provider (ingest
/// already lowercases; this also covers hand-written inputs).
pub fn normalize_domain(domain: &str) -> String {
    let lower = domain.trim().to_lowercase();
    match lower.strip_prefix("www.") {
        Some(rest) => rest.to_string(),
        None => lower,
    }
}

#[cfg(test)]
mod worked_examples {
    //! The two worked examples of `docs/scoring.md`: these asserts keep the
    //! numbers shown there in sync with the code.

    use chrono::{DateTime, TimeDelta, Utc};

    use super::*;

    fn published_at() -> DateTime<Utc> {
        "2021-02-17T21:44:30Z".parse().unwrap()
    }

    fn cnn() -> QualityInput {
        QualityInput {
            provider_domain: Some("cnn.com".into()),
            title: "Biden speaks with Netanyahu after delay raised questions".into(),
            excerpt: Some(
                "President Joe Biden spoke Wednesday with his Israeli counterpart Benjamin Netanyahu, ending what had \
                 been a lengthy stretch without a call after Biden took office.\n    \n"
                    .into(),
            ),
            image: Some((Some(1100), Some(619))),
            has_amp: true,
            topic_count: 3,
            corroborating_providers: 2,
        }
    }

    fn salon() -> QualityInput {
        QualityInput {
            provider_domain: Some("salon.com".into()),
            title: "SHOCKING!! You Won’t Believe What TRUMP Said About Mail-In Voting".into(),
            excerpt: Some(
                "AM (UTC) President Donald Trump, in a 2000 New York Times op-ed, cited the benefits of voting by \
                 mail and email as th"
                    .into(),
            ),
            image: None,
            has_amp: false,
            topic_count: 2,
            corroborating_providers: 0,
        }
    }

    fn config() -> ScoringConfig {
        let mut config = ScoringConfig::default();
        config.provider_reputation.insert("cnn.com".into(), 80);
        config
    }

    fn heat_after(quality: i32, corroborating_providers: usize, published: bool, hours: i64) -> i32 {
        let now = published_at() + TimeDelta::hours(hours);
        let input = HeatInput {
            quality,
            corroborating_providers,
            related_items: corroborating_providers,
            editor_boost: 0,
            published,
            published_at: Some(published_at()),
            now,
        };
        heat(input, &config())
    }

    fn decide(input: &QualityInput, quality: i32) -> PublicationDecision {
        let now = published_at() + TimeDelta::hours(3);
        let provider_domain = input.provider_domain.clone();
        let input = PublicationInput {
            quality,
            provider_domain,
            published_at: Some(published_at()),
            now,
            removed: false,
            rival: None,
        };
        automatic_decision(input, &config())
    }

    #[test]
    fn example_1_cnn() {
        let score = quality(&cnn(), &config());
        let b = &score.breakdown;
        assert_eq!(
            [b.provider.raw, b.completeness.raw, b.title.raw, b.corroboration.raw],
            [0.8, 0.9826, 1.0, 0.75]
        );
        assert_eq!(
            [
                b.provider.points,
                b.completeness.points,
                b.title.points,
                b.corroboration.points
            ],
            [24.0, 29.48, 25.0, 11.25]
        );
        assert_eq!(b.notes, ["image 1100x619 is smaller than 1200x630"]);
        assert_eq!(score.total, 90);
        assert_eq!(
            decide(&cnn(), score.total),
            PublicationDecision {
                publish: true,
                reasons: vec![]
            }
        );
        assert_eq!(
            [0, 3, 24, 168].map(|h| heat_after(score.total, 2, true, h)),
            [240808, 224314, 194639, 160840]
        );
    }

    #[test]
    fn example_2_salon_bait() {
        let score = quality(&salon(), &config());
        let b = &score.breakdown;
        assert_eq!(
            [b.provider.raw, b.completeness.raw, b.title.raw, b.corroboration.raw],
            [0.5, 0.3673, 0.0, 0.0]
        );
        assert_eq!(
            [
                b.provider.points,
                b.completeness.points,
                b.title.points,
                b.corroboration.points
            ],
            [15.0, 11.02, 0.0, 0.0]
        );
        assert_eq!(
            b.notes,
            [
                "provider salon.com has no configured reputation: default 50",
                "excerpt has 117 characters (full credit from 150)",
                "no image",
                "no AMP link",
                "2 topic(s) (full credit from 3)",
                "title has 2 shouting word(s) out of 10",
                "title has 1 run(s) of repeated !/?",
                "title contains bait phrase \"you won't believe\"",
                "title contains bait phrase \"shocking\"",
                "no corroborating providers",
            ]
        );
        assert_eq!(score.total, 26);
        // The same article with a clean title: 15 + 11.02 + 25 = 51.02.
        let clean = QualityInput {
            title: "Trump called voting by mail \"refreshingly democratic\" in 2000".into(),
            ..salon()
        };
        assert_eq!(quality(&clean, &config()).total, 51);
        let decision = decide(&salon(), score.total);
        assert_eq!(decision.reasons, ["quality 26 is below the publish threshold 50"]);
        assert_eq!(heat_after(score.total, 0, decision.publish, 3), UNPUBLISHED_HEAT);
    }

    /// The defaults block of `docs/scoring.md` must be exactly `ScoringConfig::default()`.
    #[test]
    fn documented_defaults_match_code() {
        let doc = include_str!("../../../docs/scoring.md");
        let start = doc.find("<!-- defaults -->").expect("defaults marker");
        let block = &doc[start..];
        let json_start = block.find("```json\n").expect("json block") + "```json\n".len();
        let json_end = block[json_start..].find("```").expect("end of json block");
        let documented: ScoringConfig = serde_json::from_str(&block[json_start..json_start + json_end]).unwrap();
        assert_eq!(documented, ScoringConfig::default());
    }
}
