//! The editor console (`/editor`): served self-contained, with strict
//! security headers.

use crate::api_support::TestApp;

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
