//! The API on port 0 over a test database, a JSON client, and the fixture
//! the API tests share: a small newsroom imported from our own article
//! files, with scores and publication set in SQL as the worker would.

use std::net::SocketAddr;
use std::path::Path;

use newsgraph_api::{ApiConfig, AppState, Viewer};
use newsgraph_shared::ingest::import_paths;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::support::{TestDb, write};

pub struct TestApp {
    pub db: TestDb,
    pub addr: SocketAddr,
    pub state: AppState,
    pub client: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

impl TestApp {
    /// The API over an empty database.
    pub async fn new() -> Self {
        Self::over(TestDb::new().await).await
    }

    /// The API over the newsroom fixture.
    pub async fn with_newsroom() -> Self {
        let db = TestDb::new().await;
        newsroom(&db).await;
        Self::over(db).await
    }

    pub async fn over(db: TestDb) -> Self {
        let config = ApiConfig {
            body_limit: 16 * 1024,
            ..ApiConfig::default()
        };
        Self::configured(db, config).await
    }

    /// The API over `db` with `config` and statement reporting.
    pub async fn configured(db: TestDb, config: ApiConfig) -> Self {
        let config = ApiConfig {
            report_sql_statements: true,
            ..config
        };
        let state = AppState::new(db.pool.clone(), config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(newsgraph_api::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        Self {
            db,
            addr,
            state,
            client: reqwest::Client::new(),
            _stop: stop,
        }
    }

    /// The API over the newsroom fixture, reusing anonymous answers for a
    /// minute (so only a publication change can end the reuse within a
    /// test), its article event listener listening.
    pub async fn cached() -> Self {
        let db = TestDb::new().await;
        newsroom(&db).await;
        let config = ApiConfig {
            response_cache_ttl: std::time::Duration::from_secs(60),
            ..ApiConfig::default()
        };
        let app = Self::configured(db, config).await;
        assert!(
            app.state
                .events()
                .wait_listening(std::time::Duration::from_secs(10))
                .await,
            "the article event listener listens"
        );
        app
    }

    /// POSTs `query` with `token` (if any): (status, `x-newsgraph-cache`,
    /// body).
    pub async fn post_as(&self, query: &str, token: Option<&str>) -> (u16, Option<String>, Value) {
        let mut request = self.client.post(self.url("/graphql")).json(&json!({ "query": query }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let cache = response
            .headers()
            .get("x-newsgraph-cache")
            .map(|v| v.to_str().unwrap().to_string());
        (status, cache, response.json().await.unwrap())
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a query; returns the whole response body (status must be 200).
    pub async fn post(&self, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// POSTs a query that must succeed; returns `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.post(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// POSTs a query that must fail; returns the codes of its errors.
    pub async fn error_codes(&self, query: &str, variables: Value) -> Vec<String> {
        let body = self.post(query, variables).await;
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("expected errors: {body:#}"));
        errors
            .iter()
            .map(|e| {
                e["extensions"]["code"]
                    .as_str()
                    .unwrap_or_else(|| panic!("an error without a code: {e}"))
                    .to_string()
            })
            .collect()
    }

    /// Runs a query as an editor (no token layer yet: straight into the executor).
    pub async fn as_editor(&self, query: &str, variables: Value) -> Value {
        let request = async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(variables));
        let response = newsgraph_api::execute(&self.state, request, Viewer::editor("erin"), false)
            .await
            .unwrap();
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        serde_json::to_value(&response.data).unwrap()
    }

    /// The global id of the article with this canonical URL.
    pub async fn article_id(&self, url: &str) -> String {
        global_id("Article", self.db.article_id(url).await)
    }
}

pub fn global_id(kind: &str, id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{kind}:{id}"))
}

/// One of our article files.
pub struct Story<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub day: u32,
    pub provider: (&'a str, &'a str),
    pub topics: &'a [&'a str],
    pub images: usize,
    pub amp: bool,
    /// (title, url, provider domain) of related items.
    pub related: Vec<(String, String, String)>,
}

impl Story<'_> {
    pub fn file(&self) -> String {
        let (name, domain) = self.provider;
        let mut out = format!(
            "---\ncategory: news\ntitle: \"{}\"\nexcerpt: \"What happened: {}.\"\n\
             publishedDateTime: 2026-11-{:02}T10:00:00Z\noriginalUrl: \"{url}\"\nwebUrl: \"{url}\"\n",
            self.title,
            self.title.to_lowercase(),
            self.day,
            url = self.url
        );
        if self.amp {
            out.push_str(&format!(
                "ampWebUrl: \"{}/amp\"\ncdnAmpWebUrl: \"https://cdn.example/amp/{}\"\n",
                self.url,
                self.url.rsplit('/').next().unwrap()
            ));
        }
        out.push_str(&format!(
            "type: article\nlocale: en-us\nquality: 100\nheat: 90\npublished: true\n\n\
             provider:\n  name: {name}\n  domain: {domain}\n\ntopics:\n"
        ));
        for topic in self.topics {
            out.push_str(&format!("  - {topic}\n"));
        }
        if self.images > 0 {
            out.push_str("\nimages:\n");
            for i in 0..self.images {
                out.push_str(&format!(
                    "  - url: \"https://img.example/{}-{i}.jpg\"\n    width: {}\n    height: 450\n    isCached: true\n",
                    self.url.rsplit('/').next().unwrap(),
                    800 + i
                ));
            }
        }
        if !self.related.is_empty() {
            out.push_str("\nrelated:\n");
            for (title, url, domain) in &self.related {
                out.push_str(&format!(
                    "  - title: \"{title}\"\n    webUrl: \"{url}\"\n    publishedDateTime: 2026-11-01T08:00:00Z\n    \
                     provider:\n      name: {domain}\n      domain: {domain}\n"
                ));
            }
        }
        out.push_str("\nsecured: \"opaque==;value==\"\n---\n\n");
        out
    }

    pub fn write_to(&self, dir: &Path) {
        let stem = self.url.rsplit('/').next().unwrap();
        write(dir, &format!("_news/2026-11-{:02}-{stem}.md", self.day), self.file());
    }
}

const TOPICS: &[(&str, Option<&str>)] = &[
    ("World", None),
    ("Climate", Some("World")),
    ("Oceans", Some("Climate")),
    ("Economy", Some("World")),
    ("Sports", None),
];

fn write_definitions(dir: &Path) {
    for (name, parent) in TOPICS {
        let id = name.to_lowercase();
        let mut text = format!("taxonomy: topic\n_id: {id}\nname: {name}\nshortname: {}\n", &name[..3]);
        if let Some(parent) = parent {
            text.push_str(&format!("parent: {parent}\n"));
        }
        text.push_str(&format!(
            "keywords:\n  - {id}\n  - {id}-news\nhashtags:\n  - \"#{name}\"\nimages:\n  - https://img.example/topics/{id}.jpg\n"
        ));
        write(dir, &format!("_data/topics/{id}.yaml"), text);
    }
    for (domain, name) in [("alpha.example", "Alpha News"), ("beta.example", "Beta Times")] {
        write(
            dir,
            &format!("_data/organizations/{domain}.md"),
            format!(
                "---\ntaxonomy: organization\n_id: {domain}\nname: {name}\ndomain: {domain}\nimages:\n  \
                 - url: https://img.example/{domain}.png\n    width: 50\n    height: 50\n---\n"
            ),
        );
    }
}

pub const ALPHA: (&str, &str) = ("Alpha News", "alpha.example");
pub const BETA: (&str, &str) = ("Beta Times", "beta.example");

fn rel(title: &str, url: &str, domain: &str) -> (String, String, String) {
    (title.to_string(), url.to_string(), domain.to_string())
}

/// The newsroom: 10 articles with files, 2 related-only ones.
///
/// | url (alpha|beta.example/..) | topics | published | quality | heat |
/// |---|---|---|---|---|
/// | a/ocean-heat     | World, Climate, Oceans | yes | 150 | 300 |
/// | b/summit         | World, Climate (editor override, reason) | yes | 120 | 250 |
/// | a/markets        | World, Economy | yes | 100 | 250 |
/// | b/derby          | Sports | yes | 90 | 100 |
/// | a/draft          | World, Climate | no | 40 | -1 |
/// | a/e1 .. b/e4     | World, Economy | yes | 60, 70, 80, 85 | same |
/// | b/unscored       | World, Economy | yes (editor) | null | null |
/// | a/r-only         | related of ocean-heat | yes | 80 | 50 |
/// | b/r-hidden       | related of ocean-heat | no | 10 | -1 |
pub async fn newsroom(db: &TestDb) {
    // the worker's decisions are written in SQL below: the import's jobs
    // are never run
    db.leaves_jobs();
    let dir = tempfile::tempdir().unwrap();
    write_definitions(dir.path());
    let stories = [
        Story {
            title: "Ocean heat hits a record",
            url: "https://alpha.example/ocean-heat",
            day: 20,
            provider: ALPHA,
            topics: &["World", "Climate", "Oceans"],
            images: 2,
            amp: true,
            related: vec![
                rel("Climate summit opens", "https://beta.example/summit", "beta.example"),
                rel("Related coverage only", "https://alpha.example/r-only", "alpha.example"),
                rel("Hidden related draft", "https://beta.example/r-hidden", "beta.example"),
                rel(
                    "Markets rally on rate cut",
                    "https://alpha.example/markets",
                    "alpha.example",
                ),
            ],
        },
        Story {
            title: "Climate summit opens",
            url: "https://beta.example/summit",
            day: 19,
            provider: BETA,
            topics: &["World", "Climate"],
            images: 1,
            amp: false,
            related: vec![rel(
                "Ocean heat hits a record",
                "https://alpha.example/ocean-heat",
                "alpha.example",
            )],
        },
        Story {
            title: "Markets rally on rate cut",
            url: "https://alpha.example/markets",
            day: 18,
            provider: ALPHA,
            topics: &["World", "Economy"],
            images: 1,
            amp: false,
            related: vec![rel(
                "Unpublished climate draft",
                "https://alpha.example/draft",
                "alpha.example",
            )],
        },
        Story {
            title: "Derby ends in a draw",
            url: "https://beta.example/derby",
            day: 17,
            provider: BETA,
            topics: &["Sports"],
            images: 0,
            amp: false,
            related: vec![],
        },
        Story {
            title: "Unpublished climate draft",
            url: "https://alpha.example/draft",
            day: 21,
            provider: ALPHA,
            topics: &["World", "Climate"],
            images: 1,
            amp: false,
            related: vec![rel(
                "Ocean heat hits a record",
                "https://alpha.example/ocean-heat",
                "alpha.example",
            )],
        },
        Story {
            title: "Exporters count the cost",
            url: "https://alpha.example/e1",
            day: 10,
            provider: ALPHA,
            topics: &["World", "Economy"],
            images: 0,
            amp: false,
            related: vec![],
        },
        Story {
            title: "Bakers raise bread prices",
            url: "https://beta.example/e2",
            day: 11,
            provider: BETA,
            topics: &["World", "Economy"],
            images: 0,
            amp: false,
            related: vec![],
        },
        Story {
            title: "Port strike delays cargo",
            url: "https://alpha.example/e3",
            day: 12,
            provider: ALPHA,
            topics: &["World", "Economy"],
            images: 0,
            amp: false,
            related: vec![],
        },
        Story {
            title: "Credit unions grow",
            url: "https://beta.example/e4",
            day: 13,
            provider: BETA,
            topics: &["World", "Economy"],
            images: 0,
            amp: false,
            related: vec![],
        },
        Story {
            title: "Unscored but published",
            url: "https://beta.example/unscored",
            day: 14,
            provider: BETA,
            topics: &["World", "Economy"],
            images: 0,
            amp: false,
            related: vec![],
        },
    ];
    for story in &stories {
        story.write_to(dir.path());
    }
    let report = import_paths(&db.pool, &[dir.path().to_path_buf()], |_| {})
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // scores and publication as the worker (and an editor) would leave them
    let scores: &[(&str, bool, Option<i32>, Option<i32>)] = &[
        ("https://alpha.example/ocean-heat", true, Some(150), Some(300)),
        ("https://beta.example/summit", true, Some(120), Some(250)),
        ("https://alpha.example/markets", true, Some(100), Some(250)),
        ("https://beta.example/derby", true, Some(90), Some(100)),
        ("https://alpha.example/draft", false, Some(40), Some(-1)),
        ("https://alpha.example/e1", true, Some(60), Some(60)),
        ("https://beta.example/e2", true, Some(70), Some(70)),
        ("https://alpha.example/e3", true, Some(80), Some(80)),
        ("https://beta.example/e4", true, Some(85), Some(85)),
        ("https://beta.example/unscored", true, None, None),
        ("https://alpha.example/r-only", true, Some(80), Some(50)),
        ("https://beta.example/r-hidden", false, Some(10), Some(-1)),
    ];
    for (url, published, quality, heat) in scores {
        let done = sqlx::query(
            "update article_state s set published = $2, quality = $3, heat = $4,
                    scored_at = case when $3 is null then null else now() end,
                    score_breakdown = case when $3 is null then null else jsonb_build_object('quality', $3) end
             from article a where a.article_id = s.article_id and a.canonical_url = $1",
        )
        .bind(url)
        .bind(published)
        .bind(quality)
        .bind(heat)
        .execute(&db.pool)
        .await
        .unwrap();
        assert_eq!(done.rows_affected(), 1, "{url}");
    }
    sqlx::query(
        "update article_state s set published_by = 'editor', editor_override = 'publish', override_editor = 'erin',
                override_reason = 'verified by the desk', override_at = '2026-11-21T09:00:00Z'
         from article a
         where a.article_id = s.article_id
           and a.canonical_url in ('https://beta.example/summit', 'https://beta.example/unscored')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        "update topic set highlight_text_color = '#ffffff', highlight_background_color = '#0a7d3b' where slug = 'climate'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
}
