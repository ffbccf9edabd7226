//! An article file's bytes through the full parser and the light key read
//! the import's first pass uses. Neither may panic, hang or balloon; when
//! both succeed they must agree on the article's identity.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsgraph_format::format::{article_file_keys, parse_article_file};

fuzz_target!(|bytes: &[u8]| {
    let full = parse_article_file(bytes, "2026-01-01-fuzz");
    let light = article_file_keys(bytes);
    match &full {
        Ok(record) => {
            assert!(!record.title.trim().is_empty(), "a record always has a title");
            assert!(record.canonical_url.starts_with("https://"), "{}", record.canonical_url);
            for related in record.related.iter().flatten() {
                assert!(related.related.is_none(), "related items do not nest");
                assert_ne!(related.canonical_url, record.canonical_url, "no self links");
            }
            if let Ok(keys) = &light {
                // the first pass files the article under the key the second pass writes
                assert_eq!(keys[0].canonical_url, record.canonical_url);
                assert_eq!(keys[0].amp_key, record.amp_key);
            }
        }
        Err(error) => assert!(!error.field.is_empty() && !error.reason.is_empty(), "{error:?}"),
    }
});
