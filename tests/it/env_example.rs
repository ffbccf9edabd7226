//! `.env.example` names every environment variable the binary reads, and
//! nothing it does not.

use std::collections::BTreeSet;
use std::path::Path;

/// Read from the environment but not configuration: set by the system
/// (`HOSTNAME`) or by cargo for the program it runs (`CARGO`).
const NOT_CONFIGURATION: [&str; 2] = ["CARGO", "HOSTNAME"];
/// Configuration of the tests and benchmarks, documented in `.env.example`
/// beside the binary's.
const OF_TESTS_AND_BENCHES: [&str; 3] = ["BENCH_DATABASE_URL", "CORPUS_DIR", "TEST_DATABASE_URL"];

fn rust_files(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// Names in `"..."` right after one of `markers`.
fn quoted_after(text: &str, markers: &[&str], names: &mut BTreeSet<String>) {
    for marker in markers {
        for (at, _) in text.match_indices(marker) {
            let rest = &text[at + marker.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            if !name.is_empty() && rest[name.len()..].starts_with('"') {
                names.insert(name);
            }
        }
    }
}

#[test]
fn env_example_lists_every_variable_the_binary_reads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    for dir in ["src", "api/src", "worker/src", "shared/src"] {
        rust_files(&root.join(dir), &mut sources);
    }
    let mut read = BTreeSet::new();
    for text in &sources {
        // clap's `env = "..."`, direct reads, and names handed to helpers
        quoted_after(text, &["env = \"", "env::var(\"", "env::var_os(\""], &mut read);
        for (at, _) in text.match_indices("\"NEWSGRAPH_") {
            let name: String = text[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            read.insert(name);
        }
    }
    // tracing's EnvFilter reads RUST_LOG without naming it in our code
    assert!(sources.iter().any(|s| s.contains("EnvFilter::try_from_default_env")));
    read.insert("RUST_LOG".into());
    for name in NOT_CONFIGURATION {
        read.remove(name);
    }

    let example = std::fs::read_to_string(root.join(".env.example")).unwrap();
    let listed: BTreeSet<String> = example
        .lines()
        .map(|line| line.trim_start_matches('#').trim())
        .filter_map(|line| line.split_once('='))
        .map(|(name, _)| name.to_string())
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    let missing: Vec<&String> = read.difference(&listed).collect();
    assert!(missing.is_empty(), ".env.example lacks {missing:?}");
    let stale: Vec<&String> = listed
        .iter()
        .filter(|name| !read.contains(*name) && !OF_TESTS_AND_BENCHES.contains(&name.as_str()))
        .collect();
    assert!(stale.is_empty(), ".env.example names what nothing reads: {stale:?}");
    assert!(read.len() >= 20, "the scan found only {read:?}");
}
