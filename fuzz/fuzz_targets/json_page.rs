//! A JSON API page's bytes through the page parser and the light key read;
//! the same bytes, when they are a JSON object, as one ingest-mutation item.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsgraph_format::format::{json_page_keys, parse_article_json, parse_json_page};

fuzz_target!(|bytes: &[u8]| {
    let full = parse_json_page(bytes);
    let light = json_page_keys(bytes);
    match &full {
        Ok(records) => {
            if let Ok(keys) = &light {
                // every record the second pass writes was indexed by the first
                for record in records {
                    assert!(
                        keys.iter().any(|k| k.canonical_url == record.canonical_url),
                        "{} missing from the light read",
                        record.canonical_url
                    );
                }
            }
        }
        Err(error) => assert!(!error.field.is_empty() && !error.reason.is_empty(), "{error:?}"),
    }
    if let Ok(item) = serde_json::from_slice::<serde_json::Value>(bytes)
        && item.is_object()
        && let Err(error) = parse_article_json(&item, None)
    {
        assert!(!error.field.is_empty() && !error.reason.is_empty(), "{error:?}");
    }
});
