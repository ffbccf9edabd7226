//! Headless Chromium for the page tests, driven over the DevTools protocol.
//!
//! The browser is Debian's `chromium` (`.ci/run` installs it); it is never
//! downloaded at test time. Without it a browser test is skipped — visibly,
//! and under CI it fails instead (`support::missing`). Every host but
//! 127.0.0.1 is unresolvable inside the browser, so a page that reached
//! for a CDN would break in the test as it would on an offline machine.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::cdp::browser_protocol::target::{CreateBrowserContextParams, CreateTargetParams};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::page::{Page, ScreenshotParams};
use futures_util::StreamExt;
use serde_json::Value;

/// How long a page may take to reach a state a test waits for.
pub const WAIT_MS: u64 = 15_000;

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

/// A headless Chromium of the test's own (own profile directory), killed
/// when dropped.
pub struct Chromium {
    browser: Browser,
    events: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    /// The browser, or None (the test skips) when there is none.
    pub async fn launch() -> Option<Self> {
        let Some(executable) = chromium_executable() else {
            crate::support::missing(
                "Chromium",
                "install Debian's `chromium` package or set NEWSGRAPH_CHROMIUM; .ci/run installs it",
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
            .arg("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
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

    /// A blank page in a browser context of its own (like an incognito
    /// window: its own storage).
    pub async fn page_in_new_context(&self) -> Page {
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
        self.browser.new_page(params).await.unwrap()
    }

    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.events.abort();
    }
}

/// Records Content-Security-Policy violations from the next document on
/// (`window.__cspViolations`).
pub async fn record_csp_violations(page: &Page) {
    page.evaluate_on_new_document(
        "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', \
         (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
    )
    .await
    .unwrap();
}

pub async fn no_csp_violations(page: &Page) {
    let violations = eval(page, "window.__cspViolations").await;
    assert_eq!(violations, serde_json::json!([]), "the page broke its own CSP");
}

/// Evaluates `js` (awaiting a promise) and returns its JSON value.
pub async fn eval(page: &Page, js: &str) -> Value {
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
/// DOM change; fails after [`WAIT_MS`] with the value of `state` (a JS
/// expression describing what the page shows).
pub async fn wait_for(page: &Page, condition: &str, what: &str, state: &str) {
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
        let _ = screenshot(page, "timed-out.png").await;
        panic!(
            "timed out waiting for {what}; the page shows: {:#}",
            eval(page, state).await
        );
    }
}

fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves a full-page PNG of `page` under `target/artifacts/`.
pub async fn screenshot(page: &Page, name: &str) -> PathBuf {
    let path = artifacts_dir().join(name);
    let params = ScreenshotParams::builder()
        .format(CaptureScreenshotFormat::Png)
        .full_page(true)
        .build();
    page.save_screenshot(params, &path).await.unwrap();
    eprintln!("screenshot: {}", path.display());
    path
}
