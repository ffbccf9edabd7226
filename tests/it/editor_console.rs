//! The editor console (`/editor`) in headless Chromium, driven over the
//! DevTools protocol: the page as an editor sees it, and a second browser
//! context that sees the first one's change live, without reloading.
//!
//! The browser is Debian's `chromium` (`.ci/run` installs it); it is never
//! downloaded at test time. Without it the browser tests say `SKIPPED`.
//! A screenshot is saved to `target/artifacts/editor-console.png`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::cdp::browser_protocol::target::{CreateBrowserContextParams, CreateTargetParams};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::page::{Page, ScreenshotParams};
use futures_util::StreamExt;
use newsgraph_shared::auth::{Role, create_token};
use serde_json::Value;

use crate::api_support::TestApp;

/// How long the page may take to reach a state the test waits for.
const WAIT_MS: u64 = 10_000;

/// The Chromium to drive: `NEWSGRAPH_CHROMIUM`, else the first of the usual
/// names on `PATH`.
fn chromium_executable() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NEWSGRAPH_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A headless Chromium of this test's own (own profile directory), killed
/// when dropped.
struct Chromium {
    browser: Browser,
    events: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    async fn launch() -> Option<Self> {
        let Some(executable) = chromium_executable() else {
            eprintln!(
                "SKIPPED: no Chromium found (install Debian's `chromium` package, or set NEWSGRAPH_CHROMIUM); \
                 .ci/run installs it"
            );
            return None;
        };
        let profile = tempfile::tempdir().unwrap();
        // chromiumoxide's builder starts Chromium with `--headless`
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .no_sandbox()
            .arg("--disable-gpu")
            .arg("--disable-background-networking")
            .user_data_dir(profile.path())
            .window_size(1280, 1000)
            .viewport(Viewport {
                width: 1280,
                height: 1000,
                ..Viewport::default()
            })
            .launch_timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let (browser, mut handler) = Browser::launch(config).await.expect("Chromium starts");
        // The handler drives the DevTools connection; events the crate does
        // not know (newer Chromium) are not the test's concern.
        let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Some(Self {
            browser,
            events,
            _profile: profile,
        })
    }

    /// A page in a browser context of its own (like an incognito window:
    /// its own storage), at `url`.
    async fn page_in_new_context(&self, url: &str) -> Page {
        let context = self
            .browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await
            .unwrap();
        let params = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(context)
            .build()
            .unwrap();
        let page = self.browser.new_page(params).await.unwrap();
        open_console(&page, url).await;
        page
    }

    async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.events.abort();
    }
}

/// Opens the console, recording Content-Security-Policy violations first.
async fn open_console(page: &Page, url: &str) {
    page.evaluate_on_new_document(
        "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', \
         (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
    )
    .await
    .unwrap();
    page.goto(url).await.unwrap();
    wait_for(page, "document.body.dataset.ready === 'true'", "the console to start").await;
}

/// Evaluates `js` (awaiting a promise) and returns its JSON value.
async fn eval(page: &Page, js: &str) -> Value {
    let params = EvaluateParams::builder()
        .expression(js)
        .await_promise(true)
        .return_by_value(true)
        .build()
        .unwrap();
    page.evaluate_expression(params)
        .await
        .unwrap()
        .into_value()
        .unwrap_or(Value::Null)
}

/// Waits until `condition` (a JS expression) holds, re-checking on every
/// DOM change; fails after [`WAIT_MS`] with what the page shows.
async fn wait_for(page: &Page, condition: &str, what: &str) {
    let js = format!(
        "new Promise((resolve) => {{
           const holds = () => {{ try {{ return !!({condition}); }} catch (_) {{ return false; }} }};
           if (holds()) return resolve(true);
           const observer = new MutationObserver(() => {{
             if (holds()) {{ observer.disconnect(); clearTimeout(timer); resolve(true); }}
           }});
           const timer = setTimeout(() => {{ observer.disconnect(); resolve(holds()); }}, {WAIT_MS});
           observer.observe(document.documentElement,
             {{ subtree: true, childList: true, attributes: true, characterData: true }});
         }})"
    );
    if eval(page, &js).await != Value::Bool(true) {
        panic!(
            "timed out waiting for {what}; the page shows: {:#}",
            page_state(page).await
        );
    }
}

/// What the console shows, for failure messages.
async fn page_state(page: &Page) -> Value {
    eval(
        page,
        "({ body: { ...document.body.dataset },
            error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent.trim(),
            articles: [...document.querySelectorAll('#articles li')].map((li) => li.textContent.trim()),
            history: document.getElementById('history').textContent.trim(),
            csp: window.__cspViolations })",
    )
    .await
}

/// Pastes the token into the console and waits for the list and the live
/// connection.
async fn enter_token(page: &Page, token: &str) {
    page.find_element("#token")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str(token)
        .await
        .unwrap();
    page.find_element("#token-use").await.unwrap().click().await.unwrap();
    wait_for(
        page,
        "document.body.dataset.token === 'set' && document.body.dataset.listState === 'loaded' \
         && document.body.dataset.live === 'connected'",
        "the article list and the live connection",
    )
    .await;
}

fn row(id: &str) -> String {
    format!("document.querySelector('#articles li[data-id=\"{id}\"]')")
}

fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn no_csp_violations(page: &Page) {
    let violations = eval(page, "window.__cspViolations").await;
    assert_eq!(violations, serde_json::json!([]), "the page broke its own CSP");
}

#[tokio::test]
async fn editor_console_is_served_self_contained_with_strict_security_headers() {
    let app = TestApp::new().await;
    for (path, content_type) in [
        ("/editor", "text/html"),
        ("/editor/console.js", "text/javascript"),
        ("/editor/console.css", "text/css"),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        assert!(header("content-type").starts_with(content_type), "{path}");
        let csp = header("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("connect-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{path}: {csp}"
        );
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        let body = response.text().await.unwrap();
        // self-contained: nothing loaded from elsewhere
        for external in ["src=\"http", "href=\"http", "@import", "url(http", "//cdn", "fonts.g"] {
            assert!(!body.contains(external), "{path} refers to {external}");
        }
    }
    let page = app
        .client
        .get(app.url("/editor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<script src=\"/editor/console.js\""), "{page}");
    assert!(!page.contains("<style") && !page.contains(" style=") && !page.contains("onclick"));
}

#[tokio::test]
async fn editor_console_lists_and_searches_articles_in_chromium() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let app = TestApp::with_newsroom().await;
    let (token, _) = create_token(&app.db.pool, "erin", Role::Editor).await.unwrap();
    let page = chromium.page_in_new_context(&app.url("/editor")).await;
    // an unknown token is refused with its code on show
    page.find_element("#token")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str("ngt_0000")
        .await
        .unwrap()
        .press_key("Enter")
        .await
        .unwrap();
    wait_for(
        &page,
        "document.body.dataset.lastError === 'UNAUTHENTICATED' && !document.getElementById('error').hidden",
        "the UNAUTHENTICATED error",
    )
    .await;
    enter_token(&page, token.expose()).await;
    assert_eq!(
        eval(&page, "document.getElementById('error').hidden").await,
        Value::Bool(true)
    );

    let markets = app.article_id("https://alpha.example/markets").await;
    let draft = app.article_id("https://alpha.example/draft").await;
    wait_for(&page, &row(&markets), "a published article in the list").await;
    assert_eq!(eval(&page, &format!("!!{}", row(&draft))).await, Value::Bool(false));
    // the token stays in this tab's session storage, out of the URL
    assert_eq!(
        eval(&page, "sessionStorage.getItem('newsgraph.editorToken')").await,
        Value::String(token.expose().to_string())
    );
    assert!(!eval(&page, "location.href").await.to_string().contains(token.expose()));

    // text search
    page.find_element("#f-text")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str("rally")
        .await
        .unwrap()
        .press_key("Enter")
        .await
        .unwrap();
    wait_for(
        &page,
        &format!(
            "document.querySelectorAll('#articles li').length === 1 && {}",
            row(&markets)
        ),
        "the search to find the markets story only",
    )
    .await;

    // its scores and breakdown
    page.find_element(&format!("#articles li[data-id=\"{markets}\"] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        &page,
        &format!(
            "document.getElementById('detail').dataset.id === '{markets}' \
             && document.getElementById('d-quality').textContent === '100' \
             && document.getElementById('d-heat').textContent === '250' \
             && document.getElementById('d-lead').textContent === 'Lead of its coverage group: Ocean heat hits a record'"
        ),
        "the article's scores and its coverage group's lead",
    )
    .await;
    no_csp_violations(&page).await;
    chromium.close().await;
}

/// Saves a full-page PNG of `page` under `target/artifacts/`.
async fn screenshot(page: &Page, name: &str) -> PathBuf {
    let path = artifacts_dir().join(name);
    let params = ScreenshotParams::builder()
        .format(CaptureScreenshotFormat::Png)
        .full_page(true)
        .build();
    page.save_screenshot(params, &path).await.unwrap();
    eprintln!("screenshot: {}", path.display());
    path
}

#[tokio::test]
async fn an_editor_unpublishes_in_the_console_and_a_second_browser_sees_it_live() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let app = TestApp::with_newsroom().await;
    let (erin, _) = create_token(&app.db.pool, "erin", Role::Editor).await.unwrap();
    let (olga, _) = create_token(&app.db.pool, "olga", Role::Editor).await.unwrap();
    let derby = app.article_id("https://beta.example/derby").await;
    let reason = "Duplicate of the agency story";

    // two editors, each in a browser context of their own, on the published list
    let editor = chromium.page_in_new_context(&app.url("/editor")).await;
    enter_token(&editor, erin.expose()).await;
    let watcher = chromium.page_in_new_context(&app.url("/editor")).await;
    enter_token(&watcher, olga.expose()).await;
    for page in [&editor, &watcher] {
        wait_for(page, &row(&derby), "the derby story in the published list").await;
    }
    // a reload would drop this
    eval(&watcher, "window.__sameDocument = true").await;

    // erin unpublishes the derby story with a reason
    editor
        .find_element(&format!("#articles li[data-id=\"{derby}\"] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        &editor,
        &format!(
            "document.getElementById('detail').dataset.id === '{derby}' && !document.getElementById('detail').hidden"
        ),
        "the derby story's details",
    )
    .await;
    editor
        .find_element("#reason")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str(reason)
        .await
        .unwrap();
    editor
        .find_element("#act-unpublish")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // it leaves erin's published list, and the audit panel shows the action
    wait_for(
        &editor,
        &format!(
            "!{} && document.getElementById('history').textContent.includes({reason:?}) \
             && document.getElementById('history').textContent.includes('Unpublished by erin')",
            row(&derby)
        ),
        "the story to leave the list and the audit entry to appear",
    )
    .await;
    assert_eq!(
        eval(&editor, "document.getElementById('d-state').textContent").await,
        Value::String("UnpublishedEditor: unpublish".into())
    );

    // olga's page hears of it over the subscription, without reloading
    wait_for(
        &watcher,
        &format!(
            "!{} && document.getElementById('notices').textContent.includes('was unpublished by erin')",
            row(&derby)
        ),
        "the live update in the second browser",
    )
    .await;
    assert_eq!(eval(&watcher, "window.__sameDocument").await, Value::Bool(true));

    // what the database holds
    let (published, editor_override): (bool, Option<String>) =
        sqlx::query_as("select published, editor_override from article_with_state where canonical_url = $1")
            .bind("https://beta.example/derby")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(!published);
    assert_eq!(editor_override.as_deref(), Some("unpublish"));
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from editorial_event where editor = 'erin' and action = 'unpublish' and reason = $1",
    )
    .bind(reason)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    for page in [&editor, &watcher] {
        no_csp_violations(page).await;
    }
    screenshot(&editor, "editor-console.png").await;
    screenshot(&watcher, "editor-console-live.png").await;
    chromium.close().await;
}
