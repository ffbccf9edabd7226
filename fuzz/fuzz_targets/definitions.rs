//! The same bytes as a topic definition (`_data/topics/*.yaml`) and as an
//! organization definition (`_data/organizations/*.md`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsgraph_format::format::{parse_organization_file, parse_topic_file};

fuzz_target!(|bytes: &[u8]| {
    match parse_topic_file(bytes) {
        Ok(topic) => assert!(!topic.slug.is_empty() && !topic.name.is_empty(), "{topic:?}"),
        Err(error) => assert!(!error.field.is_empty() && !error.reason.is_empty(), "{error:?}"),
    }
    match parse_organization_file(bytes) {
        Ok(org) => assert!(
            !org.domain.is_empty() && org.domain == org.domain.to_ascii_lowercase(),
            "{org:?}"
        ),
        Err(error) => assert!(!error.field.is_empty() && !error.reason.is_empty(), "{error:?}"),
    }
});
