//! API tokens: the `token` commands as users run them, authentication, and
//! that a token never shows up where it should not.

use std::sync::{Arc, Mutex};

use newsgraph_shared::auth::{self, AuthError, Role};

use crate::support::{TestDb, newsgraph_logging};

/// Runs the binary with every log line on (so the test sees whatever could leak).
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn token_commands_create_list_and_revoke_without_ever_showing_the_token_again() {
    let db = TestDb::new().await;
    let mut everything_printed = String::new();

    let created = newsgraph_logging(
        &db.url,
        "trace",
        &["token", "create", "--name", "alice", "--role", "editor"],
    );
    let (stdout, stderr) = (text(&created.stdout), text(&created.stderr));
    assert_eq!(created.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "the token alone on stdout: {stdout}");
    let token = stdout.trim_end().to_string();
    assert_eq!(stdout, format!("{token}\n"));
    assert!(token.starts_with("ngt_") && token.len() == 68, "{token}");
    assert!(token[4..].bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    assert!(stderr.contains("shown only this once"), "{stderr}");
    assert!(!stderr.contains(&token), "the note and the logs never repeat the token");
    everything_printed.push_str(&stderr);

    let principal = auth::authenticate(&db.pool, &token)
        .await
        .unwrap()
        .expect("the printed token works");
    assert_eq!((principal.name.as_str(), principal.role), ("alice", Role::Editor));
    let stored: Vec<u8> = sqlx::query_scalar("select token_hash from api_token where name = 'alice'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(stored, auth::token_hash(&token), "only the SHA-256 is stored");
    assert_eq!(
        db.count("select count(*) from api_token where position(convert_to('ngt_', 'utf8') in token_hash) > 0")
            .await,
        0
    );

    let second = newsgraph_logging(
        &db.url,
        "trace",
        &["token", "create", "--name", "ingest-bot", "--role", "ingest"],
    );
    assert_eq!(second.status.code(), Some(0));
    let second_token = text(&second.stdout).trim_end().to_string();
    everything_printed.push_str(&text(&second.stderr));

    let taken = newsgraph_logging(
        &db.url,
        "trace",
        &["token", "create", "--name", "alice", "--role", "admin"],
    );
    assert_eq!(taken.status.code(), Some(1));
    assert!(text(&taken.stdout).is_empty(), "no token printed when refused");
    assert!(
        text(&taken.stderr).contains(r#"a token named "alice" already exists"#),
        "{}",
        text(&taken.stderr)
    );
    everything_printed.push_str(&text(&taken.stderr));

    let bad_role = newsgraph_logging(
        &db.url,
        "trace",
        &["token", "create", "--name", "bob", "--role", "owner"],
    );
    assert_eq!(bad_role.status.code(), Some(2), "clap refuses an unknown role");
    assert!(text(&bad_role.stderr).contains("editor"), "{}", text(&bad_role.stderr));
    let bad_name = newsgraph_logging(
        &db.url,
        "trace",
        &["token", "create", "--name", "two words", "--role", "editor"],
    );
    assert_eq!(bad_name.status.code(), Some(1));
    assert!(text(&bad_name.stderr).contains("may hold letters, digits"));

    let list = newsgraph_logging(&db.url, "trace", &["token", "list"]);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list.stderr));
    let table = text(&list.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("NAME") && lines[0].contains("LAST USED") && lines[0].contains("REVOKED"));
    assert!(lines[1].starts_with("alice ") && lines[1].contains("editor"), "{table}");
    assert!(lines[1].ends_with('-'), "not revoked: {table}");
    assert!(
        lines[2].starts_with("ingest-bot") && lines[2].contains("ingest"),
        "{table}"
    );
    everything_printed.push_str(&table);
    everything_printed.push_str(&text(&list.stderr));

    let json = newsgraph_logging(&db.url, "trace", &["token", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let first = listed[0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["created_at", "last_used_at", "name", "revoked_at", "role", "token_id"]
    );
    assert_eq!(first["role"], "editor");
    assert!(first["last_used_at"].is_string(), "authenticate recorded a use");
    everything_printed.push_str(&text(&json.stdout));
    everything_printed.push_str(&text(&json.stderr));

    let revoked = newsgraph_logging(&db.url, "trace", &["token", "revoke", "alice"]);
    assert_eq!(revoked.status.code(), Some(0), "{}", text(&revoked.stderr));
    assert!(text(&revoked.stderr).contains("revoked"));
    everything_printed.push_str(&text(&revoked.stderr));
    assert_eq!(
        auth::authenticate(&db.pool, &token).await.unwrap(),
        None,
        "revoked at once"
    );
    assert!(auth::authenticate(&db.pool, &second_token).await.unwrap().is_some());

    let again = newsgraph_logging(&db.url, "trace", &["token", "revoke", "alice"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stderr).contains("already revoked"),
        "{}",
        text(&again.stderr)
    );

    let unknown = newsgraph_logging(&db.url, "trace", &["token", "revoke", "nobody"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains(r#"no token named "nobody""#),
        "{}",
        text(&unknown.stderr)
    );

    let list = newsgraph_logging(&db.url, "trace", &["token", "list"]);
    let table = text(&list.stdout);
    let alice = table.lines().find(|l| l.starts_with("alice ")).unwrap();
    assert!(!alice.ends_with('-'), "a revocation time is shown: {table}");
    everything_printed.push_str(&table);
    everything_printed.push_str(&text(&list.stderr));

    assert!(
        everything_printed.contains("api_token"),
        "trace logs were captured (they show the SQL)"
    );
    for secret in [&token, &second_token] {
        assert!(!everything_printed.contains(secret.as_str()), "a token leaked");
        assert!(!everything_printed.contains(&secret[4..]), "a token leaked");
        assert!(
            !everything_printed.contains(&hex(&auth::token_hash(secret))),
            "a hash leaked"
        );
    }
}

#[tokio::test]
async fn only_active_known_tokens_authenticate() {
    let db = TestDb::new().await;
    let (editor, info) = auth::create_token(&db.pool, "ed", Role::Editor).await.unwrap();
    assert_eq!((info.name.as_str(), info.role), ("ed", Role::Editor));
    assert_eq!((info.last_used_at, info.revoked_at), (None, None));
    let (admin, _) = auth::create_token(&db.pool, "root", Role::Admin).await.unwrap();

    let principal = auth::authenticate(&db.pool, editor.expose()).await.unwrap().unwrap();
    assert_eq!(principal.token_id, info.token_id);
    assert_eq!((principal.name.as_str(), principal.role), ("ed", Role::Editor));
    assert!(principal.require(Role::Editor).is_ok());
    assert_eq!(principal.require(Role::Ingest).unwrap_err().code(), "FORBIDDEN");
    assert_eq!(principal.require(Role::Admin).unwrap_err().code(), "FORBIDDEN");
    let root = auth::authenticate(&db.pool, admin.expose()).await.unwrap().unwrap();
    for role in Role::ALL {
        assert!(root.require(role).is_ok(), "admin includes {role}");
    }

    // A well-formed token nobody created, malformed ones, a header value.
    let unknown = format!("ngt_{}", "ab".repeat(32));
    for bad in [
        unknown.as_str(),
        "",
        "ngt_",
        "Bearer x",
        &editor.expose()[..40],
        &editor.expose().to_uppercase(),
    ] {
        assert_eq!(auth::authenticate(&db.pool, bad).await.unwrap(), None, "{bad:?}");
    }
    assert_eq!(
        auth::bearer_token(&format!("Bearer {}", editor.expose())),
        Some(editor.expose())
    );

    auth::revoke_token(&db.pool, "ed").await.unwrap();
    assert_eq!(auth::authenticate(&db.pool, editor.expose()).await.unwrap(), None);
    assert!(auth::authenticate(&db.pool, admin.expose()).await.unwrap().is_some());

    assert!(matches!(
        auth::create_token(&db.pool, "ed", Role::Ingest).await,
        Err(AuthError::NameTaken(_))
    ));
    assert!(matches!(
        auth::revoke_token(&db.pool, "ghost").await,
        Err(AuthError::UnknownName(_))
    ));
    let listed = auth::list_tokens(&db.pool).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["ed", "root"]
    );
    assert!(listed[0].revoked_at.is_some() && listed[1].revoked_at.is_none());
}

#[tokio::test]
async fn last_use_is_recorded_at_most_once_a_minute() {
    let db = TestDb::new().await;
    let (token, _) = auth::create_token(&db.pool, "reader", Role::Editor).await.unwrap();
    let last_used = || async {
        sqlx::query_scalar::<_, Option<chrono::DateTime<chrono::Utc>>>(
            "select last_used_at from api_token where name = 'reader'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    assert_eq!(last_used().await, None);

    auth::authenticate(&db.pool, token.expose()).await.unwrap().unwrap();
    let first = last_used().await.expect("recorded on first use");
    assert!(chrono::Utc::now() - first < chrono::TimeDelta::seconds(10));

    for _ in 0..5 {
        auth::authenticate(&db.pool, token.expose()).await.unwrap().unwrap();
    }
    assert_eq!(last_used().await, Some(first), "no write while the last one is recent");

    sqlx::query("update api_token set last_used_at = now() - interval '2 minutes'")
        .execute(&db.pool)
        .await
        .unwrap();
    let stale = last_used().await.unwrap();
    auth::authenticate(&db.pool, token.expose()).await.unwrap().unwrap();
    assert!(last_used().await.unwrap() > stale, "rewritten once it is a minute old");
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Logs of the library functions (the API server calls these) at trace level,
/// error messages and debug output: none holds the token.
#[tokio::test(flavor = "current_thread")]
async fn tokens_never_appear_in_logs_errors_or_debug_output() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let db = TestDb::new().await;
    let (token, info) = auth::create_token(&db.pool, "leaky", Role::Ingest).await.unwrap();
    let principal = auth::authenticate(&db.pool, token.expose()).await.unwrap().unwrap();
    let denied = principal.require(Role::Editor).unwrap_err();
    auth::revoke_token(&db.pool, "leaky").await.unwrap();
    let after_revoke = auth::authenticate(&db.pool, token.expose()).await.unwrap();
    tracing::info!(?principal, ?token, %principal, "what a careless caller might log");

    let mut everything = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(everything.contains("api_token"), "sqlx's statement logs were captured");
    assert!(everything.contains("redacted"), "{everything}");
    for shown in [
        format!("{principal:?} {principal} {info:?} {token:?} {after_revoke:?}"),
        format!("{denied} {denied:?} {}", AuthError::Unauthenticated),
    ] {
        everything.push_str(&shown);
    }
    assert!(!everything.contains(token.expose()), "the token leaked");
    assert!(!everything.contains(&token.expose()[4..20]), "part of the token leaked");
}
