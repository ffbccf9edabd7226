//! GraphiQL at `/`: served by the binary alone. Over HTTP, its page and
//! assets with their compression and cache headers; in headless Chromium
//! that can reach nothing but 127.0.0.1, a query typed into the editor runs
//! and its result shows, and no request leaves the machine.

use std::collections::BTreeSet;

use chromiumoxide::cdp::browser_protocol::network::EventRequestWillBeSent;
use futures_util::StreamExt;
use serde_json::Value;

use crate::api_support::TestApp;
use crate::browser::{self, Chromium, eval, no_csp_violations, record_csp_violations, screenshot};

/// The page's script and style sheet paths, as the page names them.
fn asset_paths(page: &str) -> Vec<String> {
    page.split('"')
        .filter(|part| part.starts_with("/graphiql/assets/"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn graphiql_page_and_assets_come_from_the_binary_compressed_and_cached() {
    let app = TestApp::new().await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-cache");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("connect-src 'self'")
    );
    let page = page.text().await.unwrap();
    assert!(page.contains("<title>newsgraph GraphiQL</title>"), "{page}");
    assert!(!page.contains("unpkg.com") && !page.contains("https://"), "{page}");
    let assets = asset_paths(&page);
    assert!(assets.iter().any(|path| path.ends_with(".js")), "{assets:?}");
    assert!(assets.iter().any(|path| path.ends_with(".css")), "{assets:?}");

    // reqwest takes gzip and decompresses: the assets arrive compressed
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    for path in &assets {
        let compressed = raw
            .get(app.url(path))
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .unwrap();
        assert_eq!(compressed.status(), 200, "{path}");
        assert_eq!(compressed.headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(
            compressed.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{path}"
        );
        let compressed_len = compressed.bytes().await.unwrap().len();
        // a client that takes no gzip gets the same file uncompressed
        let plain = raw.get(app.url(path)).send().await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
        let plain_len = plain.bytes().await.unwrap().len();
        assert!(compressed_len < plain_len, "{path}: {compressed_len} vs {plain_len}");
    }
    let missing = app
        .client
        .get(app.url("/graphiql/assets/nothing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let icon = app.client.get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/x-icon");
    let icon = icon.bytes().await.unwrap();
    assert_eq!(&icon[..4], &[0, 0, 1, 0], "an ICO header");
}

const CTRL: i64 = 2;
const SHIFT: i64 = 8;

/// One key press (down and up) with `modifiers` in the focused element.
async fn press(page: &chromiumoxide::Page, key: &str, code: &str, key_code: i64, modifiers: i64) {
    use chromiumoxide::cdp::browser_protocol::input::{DispatchKeyEventParams, DispatchKeyEventType};
    for kind in [DispatchKeyEventType::RawKeyDown, DispatchKeyEventType::KeyUp] {
        let event = DispatchKeyEventParams::builder()
            .r#type(kind)
            .modifiers(modifiers)
            .key(key)
            .code(code)
            .windows_virtual_key_code(key_code)
            .build()
            .unwrap();
        page.execute(event).await.unwrap();
    }
}

/// What GraphiQL shows, for failure messages.
const GRAPHIQL_STATE: &str = "({ title: document.title,
    body: document.body.innerText.slice(0, 2000),
    csp: window.__cspViolations })";

#[tokio::test]
async fn graphiql_runs_a_typed_query_in_chromium_with_no_request_leaving_the_machine() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let app = TestApp::with_newsroom().await;
    let page = chromium.page_in_new_context().await;
    record_csp_violations(&page).await;
    let mut requests = page.event_listener::<EventRequestWillBeSent>().await.unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let recorder = tokio::spawn({
        let seen = seen.clone();
        async move {
            while let Some(event) = requests.next().await {
                seen.lock().unwrap().push(event.request.url.clone());
            }
        }
    });
    page.goto(app.url("/")).await.unwrap();

    let editor = ".graphiql-query-editor .monaco-editor";
    browser::wait_for(
        &page,
        &format!("document.querySelector('{editor}')"),
        "GraphiQL's query editor",
        GRAPHIQL_STATE,
    )
    .await;
    // the docs explorer and history are there
    for label in ["Show Documentation Explorer", "Show History"] {
        assert_eq!(
            eval(&page, &format!("!!document.querySelector('[aria-label=\"{label}\"]')")).await,
            Value::Bool(true),
            "GraphiQL has no {label:?} button"
        );
    }

    // replace the editor's text with a typed query, then run it
    page.find_element(editor).await.unwrap().click().await.unwrap();
    let query = "{ articles(first: 2) { totalCount nodes { title } } }";
    press(&page, "a", "KeyA", 65, CTRL).await;
    page.find_element(&format!("{editor} textarea"))
        .await
        .unwrap()
        .type_str(query)
        .await
        .unwrap();
    // the editor closes brackets as they are typed; drop what it added
    // after the cursor
    press(&page, "End", "End", 35, CTRL | SHIFT).await;
    press(&page, "Delete", "Delete", 46, 0).await;
    page.find_element(".graphiql-execute-button")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let response = ".graphiql-response .view-lines";
    browser::wait_for(
        &page,
        &format!("document.querySelector('{response}').innerText.includes('totalCount')"),
        "the query's result in the result pane",
        GRAPHIQL_STATE,
    )
    .await;
    let shown = eval(&page, &format!("document.querySelector('{response}').innerText")).await;
    let shown = shown.as_str().unwrap().replace('\u{a0}', " ");
    let expected = app.data(query, Value::Null).await;
    let total = expected["articles"]["totalCount"].as_i64().unwrap();
    assert!(total > 0, "the newsroom has published articles");
    assert!(
        shown.contains(&format!("\"totalCount\": {total}")),
        "the result pane shows: {shown}"
    );
    let first_title = expected["articles"]["nodes"][0]["title"].as_str().unwrap();
    assert!(shown.contains(first_title), "the result pane shows: {shown}");
    screenshot(&page, "graphiql.png").await;
    no_csp_violations(&page).await;

    // every request the page made went to the server under test
    recorder.abort();
    let urls = seen.lock().unwrap().clone();
    assert!(urls.len() > 3, "the page loaded its assets: {urls:?}");
    let hosts: BTreeSet<String> = urls
        .iter()
        .filter(|url| !url.starts_with("data:") && !url.starts_with("blob:"))
        .map(|url| url::Url::parse(url).unwrap().host_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        hosts,
        BTreeSet::from(["127.0.0.1".to_string()]),
        "requests left the machine"
    );
    chromium.close().await;
}
