//! The automatic publication rule.
//!
//! Editor overrides are NOT applied here: the worker computes the final
//! `published` in the same SQL statement that reads the override (see
//! DESIGN.md), so a worker can never clobber an editor's decision. This module
//! only says what the rules alone would decide, and why.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::config::ScoringConfig;
use super::lead::{Rival, outranked_by};
use super::normalize_domain;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationInput {
    pub quality: i32,
    pub provider_domain: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    pub removed: bool,
    /// The highest-ranked eligible article of its coverage group, if any
    /// (see [`super::lead`]).
    pub rival: Option<Rival>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationDecision {
    pub publish: bool,
    /// Every rule that failed, in a fixed order; empty when `publish`.
    pub reasons: Vec<String>,
}

/// Publishes iff all of these hold, and lists every one that does not:
///
/// - `quality >= publish_threshold`;
/// - the provider is not blocked (a blocked domain also blocks its
///   subdomains, so a blocklist entry cannot be sidestepped by `news.`);
/// - `published_at` is at most `future_tolerance_minutes` after `now`
///   (an unknown date is not in the future: undated articles are judged on
///   the other rules, and heat already ranks them as old);
/// - the article is not removed;
/// - no article of its coverage group outranks it (the lead rule).
///
/// Editor overrides are applied elsewhere, in SQL (see the module doc).
pub fn automatic_decision(input: PublicationInput, config: &ScoringConfig) -> PublicationDecision {
    let mut reasons = Vec::new();

    if input.quality < config.publish_threshold {
        reasons.push(format!(
            "quality {} is below the publish threshold {}",
            input.quality, config.publish_threshold
        ));
    }

    if let Some(domain) = input.provider_domain.as_deref().map(normalize_domain)
        && let Some(entry) = blocked_entry(&domain, &config.blocked_providers)
    {
        reasons.push(format!("provider {domain} is blocked (blocked_providers: {entry})"));
    }

    if let Some(at) = input.published_at {
        let ahead = at - input.now;
        // A huge (unvalidated) tolerance cannot overflow: it just allows everything.
        let tolerance = TimeDelta::try_minutes(config.future_tolerance_minutes).unwrap_or(TimeDelta::MAX);
        if ahead > tolerance {
            reasons.push(format!(
                "published_at {} is {} minutes in the future (tolerance {} minutes)",
                at.to_rfc3339(),
                ahead.num_minutes(),
                config.future_tolerance_minutes
            ));
        }
    }

    if input.removed {
        reasons.push("article is removed".to_string());
    }

    if let Some(reason) = outranked_by(input.quality, input.published_at, input.rival.as_ref(), &config.lead) {
        reasons.push(reason);
    }

    PublicationDecision {
        publish: reasons.is_empty(),
        reasons,
    }
}

/// The blocklist entry matching `domain` itself or one of its parents.
fn blocked_entry<'a>(domain: &str, blocked: &'a [String]) -> Option<&'a str> {
    blocked.iter().map(String::as_str).find(|entry| {
        let entry = normalize_domain(entry);
        !entry.is_empty() && (domain == entry || domain.strip_suffix(entry.as_str()).is_some_and(|p| p.ends_with('.')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_613_598_270, 0).unwrap() // 2021-02-17T21:44:30Z
    }

    fn input() -> PublicationInput {
        PublicationInput {
            quality: 80,
            provider_domain: Some("cnn.com".into()),
            published_at: Some(now() - TimeDelta::hours(1)),
            now: now(),
            removed: false,
            rival: None,
        }
    }

    fn config() -> ScoringConfig {
        ScoringConfig {
            blocked_providers: vec!["spam.example".into()],
            ..ScoringConfig::default()
        }
    }

    fn decide(input: PublicationInput) -> PublicationDecision {
        automatic_decision(input, &config())
    }

    #[test]
    fn good_article_is_published_without_reasons() {
        assert_eq!(
            decide(input()),
            PublicationDecision {
                publish: true,
                reasons: vec![]
            }
        );
    }

    #[test]
    fn quality_threshold_is_inclusive() {
        let threshold = config().publish_threshold;
        assert!(
            decide(PublicationInput {
                quality: threshold,
                ..input()
            })
            .publish
        );
        let below = decide(PublicationInput {
            quality: threshold - 1,
            ..input()
        });
        assert!(!below.publish);
        assert_eq!(below.reasons, ["quality 49 is below the publish threshold 50"]);
    }

    #[test]
    fn blocked_provider_and_its_subdomains() {
        for domain in ["spam.example", "WWW.Spam.Example", "news.spam.example"] {
            let decision = decide(PublicationInput {
                provider_domain: Some(domain.into()),
                ..input()
            });
            assert!(!decision.publish, "{domain}");
            assert!(decision.reasons[0].contains("is blocked"), "{domain}");
        }
        // A different domain that merely ends with the same letters is not blocked.
        assert!(
            decide(PublicationInput {
                provider_domain: Some("notspam.example".into()),
                ..input()
            })
            .publish
        );
        assert!(
            decide(PublicationInput {
                provider_domain: None,
                ..input()
            })
            .publish
        );
    }

    #[test]
    fn future_date_beyond_tolerance_is_held() {
        let within = PublicationInput {
            published_at: Some(now() + TimeDelta::minutes(10)),
            ..input()
        };
        assert!(decide(within).publish);
        let beyond = decide(PublicationInput {
            published_at: Some(now() + TimeDelta::minutes(11)),
            ..input()
        });
        assert!(!beyond.publish);
        assert_eq!(
            beyond.reasons,
            ["published_at 2021-02-17T21:55:30+00:00 is 11 minutes in the future (tolerance 10 minutes)"]
        );
    }

    #[test]
    fn unknown_date_is_not_in_the_future() {
        assert!(
            decide(PublicationInput {
                published_at: None,
                ..input()
            })
            .publish
        );
    }

    #[test]
    fn removed_is_held() {
        let decision = decide(PublicationInput {
            removed: true,
            ..input()
        });
        assert_eq!(
            decision,
            PublicationDecision {
                publish: false,
                reasons: vec!["article is removed".into()]
            }
        );
    }

    #[test]
    fn an_outranking_neighbour_holds_back() {
        let rival = |quality| {
            Some(Rival {
                slug: "cnn-lead".into(),
                quality,
                published_at: Some(now()),
            })
        };
        let held = decide(PublicationInput {
            rival: rival(185),
            ..input()
        });
        assert_eq!(held.reasons, ["not the lead: cnn-lead has quality 185"]);
        assert!(
            decide(PublicationInput {
                rival: rival(79),
                ..input()
            })
            .publish
        );
    }

    #[test]
    fn every_failed_rule_is_listed() {
        let all_bad = PublicationInput {
            quality: 0,
            provider_domain: Some("spam.example".into()),
            published_at: Some(now() + TimeDelta::days(2)),
            now: now(),
            removed: true,
            rival: Some(Rival {
                slug: "the-lead".into(),
                quality: 90,
                published_at: None,
            }),
        };
        let decision = decide(all_bad);
        assert!(!decision.publish);
        assert_eq!(decision.reasons.len(), 5, "{:?}", decision.reasons);
        assert_eq!(decision.reasons[4], "not the lead: the-lead has quality 90");
    }
}
