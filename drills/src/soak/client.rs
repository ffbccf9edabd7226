//! A GraphQL client for the soak's load tasks, and the tally every task
//! keeps of the answers it got: each answer counted by its code, every
//! answer the task did not expect kept as an example.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One answer: HTTP status, body (JSON, or `Null` for a 304 or a body that
/// is not JSON) and how long it took.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub elapsed: Duration,
    pub etag: Option<String>,
}

impl Answer {
    /// The `extensions.code` of each error (`NO_CODE` when one has none).
    pub fn error_codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["extensions"]["code"].as_str().unwrap_or("NO_CODE").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What the tally counts this answer as: `OK`, `NOT_MODIFIED`, the
    /// error codes joined with `+`, or `HTTP <status>`.
    pub fn outcome(&self) -> String {
        match self.status {
            200 => {
                let codes = self.error_codes();
                if codes.is_empty() { "OK".into() } else { codes.join("+") }
            }
            304 => "NOT_MODIFIED".into(),
            status => format!("HTTP {status}"),
        }
    }
}

/// The API's `/graphql` over one HTTP client (one keep-alive pool).
pub struct Api {
    client: reqwest::Client,
    url: String,
}

impl Api {
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a plain HTTP client builds");
        Self {
            client,
            url: format!("{base}/graphql"),
        }
    }

    /// POSTs a query, with a bearer token when given.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Result<Answer, reqwest::Error> {
        let mut request = self
            .client
            .post(&self.url)
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let start = Instant::now();
        read(request.send().await?, start).await
    }

    /// A query over GET (anonymous, cacheable), revalidating `etag` when given.
    pub async fn get(&self, query: &str, variables: Value, etag: Option<&str>) -> Result<Answer, reqwest::Error> {
        let url = reqwest::Url::parse_with_params(
            &self.url,
            &[("query", query.to_string()), ("variables", variables.to_string())],
        )
        .expect("the API URL parses");
        let mut request = self.client.get(url);
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        let start = Instant::now();
        read(request.send().await?, start).await
    }
}

async fn read(response: reqwest::Response, start: Instant) -> Result<Answer, reqwest::Error> {
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = response.bytes().await?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Answer {
        status,
        body,
        elapsed: start.elapsed(),
        etag,
    })
}

/// Examples of unexpected answers kept per task (the count is exact).
const EXAMPLES_KEPT: usize = 5;

/// What one task saw.
#[derive(Default)]
pub struct Tally {
    /// Answers by outcome (`OK`, `CONFLICT`, `HTTP 500`, `TRANSPORT`, ...).
    pub by_outcome: BTreeMap<String, u64>,
    pub unexpected: u64,
    pub examples: Vec<String>,
    /// Latencies of the answers the task timed, in milliseconds.
    pub latencies_ms: Vec<f64>,
}

impl Tally {
    /// Counts an answer; it is unexpected unless its outcome is in `expected`.
    pub fn count(&mut self, what: &str, answer: &Result<Answer, reqwest::Error>, expected: &[&str]) -> bool {
        let outcome = match answer {
            Ok(answer) => answer.outcome(),
            Err(_) => "TRANSPORT".to_string(),
        };
        *self.by_outcome.entry(outcome.clone()).or_default() += 1;
        if expected.contains(&outcome.as_str()) {
            return true;
        }
        let detail = match answer {
            Ok(answer) => format!("{outcome}: {}", truncate(&answer.body.to_string(), 300)),
            Err(error) => format!("transport error: {error}"),
        };
        self.unexpected(format!("{what}: {detail}"));
        false
    }

    /// Records something the task did not expect (a wrong answer, say).
    pub fn unexpected(&mut self, what: String) {
        self.unexpected += 1;
        if self.examples.len() < EXAMPLES_KEPT {
            self.examples.push(what);
        }
    }

    pub fn merge(&mut self, other: Tally) {
        for (outcome, n) in other.by_outcome {
            *self.by_outcome.entry(outcome).or_default() += n;
        }
        self.unexpected += other.unexpected;
        for example in other.examples {
            if self.examples.len() < EXAMPLES_KEPT {
                self.examples.push(example);
            }
        }
        self.latencies_ms.extend(other.latencies_ms);
    }

    pub fn total(&self) -> u64 {
        self.by_outcome.values().sum()
    }

    pub fn of(&self, outcome: &str) -> u64 {
        self.by_outcome.get(outcome).copied().unwrap_or_default()
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

/// The `q` quantile (0..=1) of `values`, by nearest rank; 0 when empty.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

/// The global id of an article (`base64("Article:<id>")`).
pub fn article_gid(article_id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("Article:{article_id}"))
}
