//! Slugs for topics and for related articles that have no file of their own.

use chrono::{DateTime, Utc};

/// Longest slug we build from a title; file names are taken as they are.
const MAX_TITLE_SLUG: usize = 80;

/// Lowercase ASCII words joined by `-`: "Donald Trump" -> "donald-trump".
/// Accented letters are transliterated ("é" -> "e"); apostrophes vanish like
/// in the source's own file names; anything else separates words.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut pending_dash = false;
    let ascii = text.chars().flat_map(|ch| {
        let mapped = if ch.is_ascii() {
            None
        } else {
            deunicode::deunicode_char(ch)
        };
        match mapped {
            Some(s) => s.chars().collect::<Vec<_>>(),
            None => vec![ch],
        }
    });
    for ch in ascii {
        if ch.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(ch.to_ascii_lowercase());
        } else if ch == '\'' || ch == '’' {
            // "Trump's" -> "trumps", as the source's own file names do
        } else {
            pending_dash = true;
        }
    }
    slug
}

/// The slug of an article known only as a related item: its date and title,
/// like the source's own file names (`2020-09-13-title-words`).
pub fn related_slug(published_at: Option<DateTime<Utc>>, title: &str) -> String {
    let mut words = slugify(title);
    if words.len() > MAX_TITLE_SLUG {
        let cut = words[..MAX_TITLE_SLUG].rfind('-').unwrap_or(MAX_TITLE_SLUG);
        words.truncate(cut);
    }
    match published_at {
        Some(at) => format!("{}-{}", at.format("%Y-%m-%d"), words),
        None => words,
    }
}

/// A short, stable suffix that tells two different articles with the same
/// wanted slug apart.
pub fn disambiguate(slug: &str, canonical_url: &str) -> String {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in canonical_url.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{slug}-{:08x}", hash as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn slugify_joins_lowercase_words() {
        assert_eq!(slugify("Donald Trump"), "donald-trump");
        assert_eq!(
            slugify("  CNN, WaPo called out: Trump's April!  "),
            "cnn-wapo-called-out-trumps-april"
        );
        assert_eq!(slugify("Démocratie – élan"), "democratie-elan");
    }

    #[test]
    fn related_slug_starts_with_the_date_and_stays_short() {
        let at = Utc.with_ymd_and_hms(2020, 9, 13, 10, 0, 0).unwrap();
        let long = "word ".repeat(60);
        let slug = related_slug(Some(at), &long);
        assert!(slug.starts_with("2020-09-13-word-word"));
        assert!(slug.len() <= 11 + MAX_TITLE_SLUG);
        assert!(!slug.ends_with('-'));
    }

    #[test]
    fn disambiguated_slugs_are_stable_and_differ_by_url() {
        let a = disambiguate("x", "https://a.example/1");
        assert_eq!(a, disambiguate("x", "https://a.example/1"));
        assert_ne!(a, disambiguate("x", "https://a.example/2"));
    }
}
