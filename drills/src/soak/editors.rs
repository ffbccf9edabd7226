//! Editors: publish, unpublish and clear overrides on their own set of
//! articles, in random order, some with a stale `expectedVersion`.
//!
//! Each article belongs to exactly one editor task, which sends that
//! article's mutations one at a time, so the task knows the article's
//! version at every moment and the order of its accepted actions is the
//! order they were committed in: "the last accepted action" is well defined.
//! A mutation with the current version must be accepted; one with a stale
//! version must be refused with `CONFLICT` naming the current version.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::client::{Api, Tally, article_gid};

const PUBLISH: &str = "mutation($id: ID!, $reason: String!, $v: Int) {
  publishArticle(id: $id, reason: $reason, expectedVersion: $v) { ...Done } }";
const UNPUBLISH: &str = "mutation($id: ID!, $reason: String!, $v: Int) {
  unpublishArticle(id: $id, reason: $reason, expectedVersion: $v) { ...Done } }";
const CLEAR: &str = "mutation($id: ID!, $reason: String!, $v: Int) {
  clearPublicationOverride(id: $id, reason: $reason, expectedVersion: $v) { ...Done } }";
const PAYLOAD: &str = "fragment Done on EditorialPayload {
  article { id published version publication { decidedBy override reason editor } }
  event { action editor reason } publicationChanged jobsEnqueued }";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Publish,
    Unpublish,
    Clear,
}

impl Action {
    /// The `editorial_event.action` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Publish => "publish",
            Action::Unpublish => "unpublish",
            Action::Clear => "clear_override",
        }
    }

    fn field(self) -> &'static str {
        match self {
            Action::Publish => "publishArticle",
            Action::Unpublish => "unpublishArticle",
            Action::Clear => "clearPublicationOverride",
        }
    }

    fn query(self) -> &'static str {
        match self {
            Action::Publish => PUBLISH,
            Action::Unpublish => UNPUBLISH,
            Action::Clear => CLEAR,
        }
    }
}

/// An accepted action, as the audit log must record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub action: Action,
    pub editor: String,
    pub reason: String,
}

/// One article an editor acts on: its current version and every action
/// accepted on it, in order.
#[derive(Debug, Clone)]
pub struct Target {
    pub article_id: i64,
    pub version: i64,
    pub accepted: Vec<Accepted>,
}

/// What an editor task did.
#[derive(Default)]
pub struct EditorReport {
    pub tally: Tally,
    pub targets: Vec<Target>,
    pub conflicts: u64,
}

/// An editor task's identity and articles.
pub struct Editor {
    /// The token's name: what the audit log records.
    pub name: String,
    pub token: String,
    pub targets: Vec<Target>,
    pub seed: u64,
}

/// One editor: until `until`, picks one of its articles and an action at
/// random; `stale_percent` of the mutations carry an outdated version.
pub async fn run(base: String, editor: Editor, stale_percent: u8, until: Instant, pause: Duration) -> EditorReport {
    let Editor {
        name,
        token,
        mut targets,
        seed,
    } = editor;
    let api = Api::new(&base);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut report = EditorReport::default();
    let mut sent = 0u64;
    while Instant::now() < until && !targets.is_empty() {
        let pick = rng.usize(..targets.len());
        let target = &mut targets[pick];
        let action = [Action::Publish, Action::Unpublish, Action::Clear][rng.usize(..3)];
        let stale = rng.u8(0..100) < stale_percent;
        sent += 1;
        let reason = format!("soak {name} #{sent}");
        let expected_version = if stale { target.version - 1 } else { target.version };
        let query = format!("{}\n{PAYLOAD}", action.query());
        let vars = json!({"id": article_gid(target.article_id), "reason": reason, "v": expected_version});
        let answer = api.post(Some(&token), &query, vars).await;
        let what = format!("{} article {} (v{expected_version})", action.field(), target.article_id);
        if stale {
            if report.tally.count(&what, &answer, &["CONFLICT"]) {
                report.conflicts += 1;
                let current =
                    &answer.as_ref().expect("counted as CONFLICT").body["errors"][0]["extensions"]["currentVersion"];
                if current != &json!(target.version) {
                    report.tally.unexpected(format!(
                        "{what}: CONFLICT names version {current}, the article is at {}",
                        target.version
                    ));
                }
            }
        } else if report.tally.count(&what, &answer, &["OK"]) {
            let payload = &answer.as_ref().expect("counted as OK").body["data"][action.field()];
            match check_payload(payload, action, &name, &reason, target.version + 1) {
                Ok(()) => {
                    target.version += 1;
                    target.accepted.push(Accepted {
                        action,
                        editor: name.clone(),
                        reason,
                    });
                }
                Err(problem) => {
                    report.tally.unexpected(format!("{what}: {problem}: {payload}"));
                    // resynchronise on the version the server reports
                    if let Some(v) = payload["article"]["version"].as_i64() {
                        target.version = v;
                    }
                }
            }
        }
        tokio::time::sleep(pause).await;
    }
    report.targets = targets;
    report
}

/// The payload of an accepted action says what the action did.
fn check_payload(payload: &Value, action: Action, editor: &str, reason: &str, version: i64) -> Result<(), String> {
    let article = &payload["article"];
    let publication = &article["publication"];
    if article["version"] != json!(version) {
        return Err(format!("expected version {version}"));
    }
    if payload["event"]["action"] != json!(action.as_str().to_uppercase())
        || payload["event"]["editor"] != json!(editor)
        || payload["event"]["reason"] != json!(reason)
    {
        return Err("the audit event does not match the action".into());
    }
    let (published, decided_by, override_) = match action {
        Action::Publish => (Some(true), "EDITOR", json!("PUBLISH")),
        Action::Unpublish => (Some(false), "EDITOR", json!("UNPUBLISH")),
        Action::Clear => (None, "WORKER", Value::Null),
    };
    if let Some(published) = published
        && article["published"] != json!(published)
    {
        return Err(format!("expected published = {published}"));
    }
    if publication["decidedBy"] != json!(decided_by) || publication["override"] != override_ {
        return Err(format!("expected decidedBy {decided_by} and override {override_}"));
    }
    Ok(())
}
