//! The editor console (`/editor`) in headless Chromium, driven over the
//! DevTools protocol: the page as an editor sees it, and a second browser
//! context that sees the first one's change live, without reloading.
//!
//! The browser and its rules are in `browser.rs`. A screenshot is saved to `target/artifacts/editor-console.png`.

use chromiumoxide::page::Page;
use newsgraph_shared::auth::{Role, create_token};
use serde_json::Value;

use crate::api_support::TestApp;
use crate::browser::{self, Chromium, eval, no_csp_violations, record_csp_violations, screenshot};

/// Opens the console, recording Content-Security-Policy violations first.
async fn open_console(chromium: &Chromium, url: &str) -> Page {
    let page = chromium.page_in_new_context().await;
    record_csp_violations(&page).await;
    page.goto(url).await.unwrap();
    wait_for(&page, "document.body.dataset.ready === 'true'", "the console to start").await;
    page
}

/// Waits until `condition` holds, showing the console's state on failure.
async fn wait_for(page: &Page, condition: &str, what: &str) {
    browser::wait_for(page, condition, what, CONSOLE_STATE).await;
}

/// What the console shows, for failure messages.
const CONSOLE_STATE: &str = "({ body: { ...document.body.dataset },
    error: document.getElementById('error').hidden ? null : document.getElementById('error').textContent.trim(),
    articles: [...document.querySelectorAll('#articles li')].map((li) => li.textContent.trim()),
    history: document.getElementById('history').textContent.trim(),
    csp: window.__cspViolations })";

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
    let page = open_console(&chromium, &app.url("/editor")).await;
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
    let editor = open_console(&chromium, &app.url("/editor")).await;
    enter_token(&editor, erin.expose()).await;
    let watcher = open_console(&chromium, &app.url("/editor")).await;
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
