//! The GraphQL examples of the README and docs/api.md, and the README's
//! curl example, run against `newsgraph dev`'s own data: each returns data,
//! without errors, and every list and count it asks for is non-empty.
//! (Mutations and subscriptions need a token and a socket; their examples
//! are checked by the editorial and subscription tests.)

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::dev::Dev;
use crate::support::TestDb;

/// The documents whose examples are run.
const DOCUMENTS: [&str; 2] = ["README.md", "docs/api.md"];

/// The fenced blocks of `lang` in a markdown text.
fn fenced_blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start().strip_prefix("```")) {
            (None, Some(info)) if info.trim() == lang => current = Some(String::new()),
            (Some(block), Some(_)) => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), None) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// The operations of a GraphQL document: `(name, kind)`, name None for an
/// anonymous `{ ... }`.
fn operations(document: &str) -> Vec<(Option<String>, &'static str)> {
    let parsed = async_graphql::parser::parse_query(document)
        .unwrap_or_else(|e| panic!("an example does not parse: {e}\n{document}"));
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let kind = |t: OperationType| match t {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    match parsed.operations {
        DocumentOperations::Single(op) => vec![(None, kind(op.node.ty))],
        DocumentOperations::Multiple(ops) => ops
            .iter()
            .map(|(name, op)| (Some(name.to_string()), kind(op.node.ty)))
            .collect(),
    }
}

/// Every `nodes`/`edges` list is non-empty, every `totalCount` positive,
/// every asked-for `highlight` set; returns the first violation's path.
fn first_empty(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::Object(fields) => fields.iter().find_map(|(key, field)| {
            let here = format!("{path}.{key}");
            let empty = match (key.as_str(), field) {
                ("nodes" | "edges", Value::Array(items)) => items.is_empty(),
                ("totalCount", count) => count.as_i64().unwrap_or(0) <= 0,
                ("highlight", highlight) => highlight.is_null(),
                _ => false,
            };
            if empty { Some(here) } else { first_empty(field, &here) }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| first_empty(item, &format!("{path}[{i}]"))),
        _ => None,
    }
}

fn assert_has_data(answer: &Value, what: &str) {
    assert!(answer.get("errors").is_none(), "{what} answered errors: {answer:#}");
    let data = answer["data"]
        .as_object()
        .unwrap_or_else(|| panic!("{what} answered no data: {answer:#}"));
    for (field, value) in data {
        assert!(
            !value.is_null(),
            "{what}: `{field}` is null on the demo data: {answer:#}"
        );
    }
    if let Some(path) = first_empty(&answer["data"], "data") {
        panic!("{what}: {path} is empty on the demo data: {answer:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_query_returns_data_on_devs_demo_data() {
    let db = TestDb::new().await;
    let dev = Dev::start(&db, 300).await;
    dev.wait_until_scored(&db).await;
    let client = reqwest::Client::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));

    let mut ran = 0;
    for document in DOCUMENTS {
        let text = std::fs::read_to_string(root.join(document)).unwrap();
        for block in fenced_blocks(&text, "graphql") {
            for (name, kind) in operations(&block) {
                let what = format!("{document}: {kind} {}", name.as_deref().unwrap_or("{ ... }"));
                if kind != "query" {
                    eprintln!("not run here (needs a token or a socket): {what}");
                    continue;
                }
                let answer: Value = client
                    .post(format!("{}graphql", dev.base_url))
                    .json(&json!({ "query": block, "operationName": name }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert_has_data(&answer, &what);
                ran += 1;
            }
        }
    }
    assert!(ran >= 4, "only {ran} documented queries found");

    // the README's curl example, against dev's port instead of 8080
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let curl = fenced_blocks(&readme, "sh")
        .into_iter()
        .flat_map(|block| block.lines().map(str::to_string).collect::<Vec<_>>())
        .find(|line| line.trim_start().starts_with("curl ") && line.contains("/graphql"))
        .expect("the README has a curl example");
    let address = dev.base_url.trim_start_matches("http://").trim_end_matches('/');
    let curl = curl
        .replace("localhost:8080", address)
        .replace("127.0.0.1:8080", address);
    let output = Command::new("sh").args(["-c", &curl]).output().unwrap();
    assert!(
        output.status.success(),
        "{curl}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{curl} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert_has_data(&answer, "the README's curl example");
    eprintln!("{ran} documented queries and the curl example returned data");
    dev.stop();
}
