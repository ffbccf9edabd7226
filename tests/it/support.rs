//! Test databases and corpus access.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// Server the tests use; `TEST_DATABASE_URL` overrides it. Databases are
/// created and dropped on it, so it must allow `create database`.
fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The template name carries a hash of the migrations, so a changed schema
/// gets a fresh template instead of a stale one.
fn template_name() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for file in files {
        for byte in std::fs::read(&file)
            .unwrap()
            .into_iter()
            .chain(file.to_string_lossy().bytes())
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("newsgraph_template_{:012x}", hash & 0xffff_ffff_ffff)
}

async fn admin() -> PgConnection {
    let options = PgConnectOptions::from_str(&server_url()).unwrap();
    options
        .connect()
        .await
        .expect("PostgreSQL must be running for the integration tests (see README)")
}

/// The test server's URL with another database name.
pub fn url_for(name: &str) -> String {
    let mut url = url::Url::parse(&server_url()).unwrap();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

async fn drop_databases_of_ended_tests(admin: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("select datname from pg_database where datname like 'newsgraph\\_test\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap();
    for name in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
            // another process may be dropping it at the same moment: ignore errors
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "drop database if exists {name} with (force)"
            )))
            .execute(&mut *admin)
            .await;
        }
    }
}

/// Creates the migrated template once per schema version; concurrent test
/// processes wait for each other on an advisory lock.
async fn ensure_template(admin: &mut PgConnection) -> String {
    let template = template_name();
    sqlx::query("select pg_advisory_lock(727274)")
        .execute(&mut *admin)
        .await
        .unwrap();
    let exists: bool = sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
        .bind(&template)
        .fetch_one(&mut *admin)
        .await
        .unwrap();
    if !exists {
        let building = format!("{template}_building");
        sqlx::query(sqlx::AssertSqlSafe(format!("drop database if exists {building}")))
            .execute(&mut *admin)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {building}")))
            .execute(&mut *admin)
            .await
            .unwrap();
        let pool = PgPool::connect(&url_for(&building)).await.unwrap();
        newsgraph_shared::db::migrate(&pool).await.unwrap();
        pool.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "alter database {building} rename to {template}"
        )))
        .execute(&mut *admin)
        .await
        .unwrap();
    }
    sqlx::query("select pg_advisory_unlock(727274)")
        .execute(&mut *admin)
        .await
        .unwrap();
    template
}

/// A database of its own for one test. Its name carries the test process's
/// pid; databases of processes that have ended are dropped by the next test
/// that starts (a `Drop` impl cannot run async cleanup on a blocked runtime,
/// and would miss crashed tests anyway).
///
/// A test that leaves runnable jobs in its queue fails when its `TestDb`
/// is dropped (work it queued that nothing checked), unless it says it
/// means to with [`TestDb::leaves_jobs`].
pub struct TestDb {
    pub pool: PgPool,
    pub url: String,
    leaves_jobs: std::sync::atomic::AtomicBool,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if std::thread::panicking() || self.leaves_jobs.load(Ordering::Relaxed) {
            return;
        }
        // a runtime of its own: the test's may be shutting down
        let url = self.url.clone();
        let runnable = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let pool = PgPool::connect(&url).await.ok()?;
                let counts = newsgraph_shared::queue::counts(&pool).await.ok();
                pool.close().await;
                counts
            })
        })
        .join()
        .ok()
        .flatten();
        if let Some(counts) = runnable
            && counts.runnable > 0
        {
            panic!(
                "the test left {} runnable jobs in its queue: drain them (support::drain_jobs) \
                 or say it means to (TestDb::leaves_jobs)",
                counts.runnable
            );
        }
    }
}

impl TestDb {
    /// A database with the current schema.
    pub async fn new() -> Self {
        let mut admin = admin().await;
        let template = ensure_template(&mut admin).await;
        Self::create(admin, Some(&template)).await
    }

    /// An empty database, for tests of the migrations themselves.
    pub async fn unmigrated() -> Self {
        Self::create(admin().await, None).await
    }

    async fn create(mut admin: PgConnection, template: Option<&str>) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        drop_databases_of_ended_tests(&mut admin).await;
        let name = format!(
            "newsgraph_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_subsec_micros()
        );
        let template = template.map(|t| format!(" template {t}")).unwrap_or_default();
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}{template}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = url_for(&name);
        let pool = PgPool::connect(&url).await.unwrap();
        Self {
            pool,
            url,
            leaves_jobs: Default::default(),
        }
    }

    /// This test means to leave runnable jobs behind (it checks what was
    /// queued, not what a worker makes of it).
    pub fn leaves_jobs(&self) {
        self.leaves_jobs.store(true, Ordering::Relaxed);
    }

    /// The id of the article with this canonical URL.
    pub async fn article_id(&self, url: &str) -> i64 {
        sqlx::query_scalar("select article_id from article where canonical_url = $1")
            .bind(url)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("no article {url}: {e}"))
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Jobs waiting in the recompute queue.
    pub async fn queued_jobs(&self) -> i64 {
        newsgraph_shared::queue::jobs_of(&self.pool, newsgraph_shared::jobs::RECOMPUTE_ARTICLE_QUEUE)
            .await
            .unwrap()
    }
}

/// The real Smartable corpus beside the project, if it is there.
pub fn corpus_dir() -> Option<PathBuf> {
    corpus_named("smartable-election", "_news")
}

/// The second corpus: large real article files, an events page and a
/// learning article (see its SOURCE.md).
pub fn more_corpus_dir() -> Option<PathBuf> {
    corpus_named("smartable-election-more", "_news")
}

fn corpus_named(name: &str, marker: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(name);
    if dir.join(marker).is_dir() {
        Some(dir)
    } else {
        missing(
            &format!("the corpus {name}"),
            &format!("expected at {}; it sits beside the project in CI", dir.display()),
        );
        None
    }
}

/// A test cannot run because `what` is not on this machine. Under CI
/// (`CI` set and not `false`/`0`) that fails the test, so a run without its
/// corpus or browser cannot pass quietly; elsewhere the test prints
/// `SKIPPED: ...`, which `.config/nextest.toml` shows at the end of the run.
pub fn missing(what: &str, hint: &str) {
    let under_ci = std::env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "false" | "0"));
    assert!(!under_ci, "{what} is missing and CI requires it: {hint}");
    println!("SKIPPED: {what} is missing ({hint})");
}

/// Runs the `newsgraph` binary on `database_url` with `RUST_LOG=warn`.
pub fn newsgraph(database_url: &str, args: &[&str]) -> std::process::Output {
    newsgraph_logging(database_url, "warn", args)
}

/// Runs the `newsgraph` binary on `database_url` with this `RUST_LOG`.
pub fn newsgraph_logging(database_url: &str, rust_log: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_newsgraph"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", rust_log)
        .output()
        .unwrap()
}

/// Writes `contents` to `dir/relative`, creating directories.
pub fn write(dir: &Path, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, contents).unwrap();
    path
}

/// A small valid article file of ours.
pub fn article(title: &str, url: &str) -> String {
    format!(
        "---\ncategory: news\ntitle: \"{title}\"\nexcerpt: \"An excerpt about {title}.\"\npublishedDateTime: 2026-11-20T10:00:00Z\n\
         originalUrl: \"{url}\"\nwebUrl: \"{url}\"\ntype: article\nquality: 100\nheat: 90\npublished: true\n\n\
         provider:\n  name: Harbor Gazette\n  domain: harborgazette.example\n\ntopics:\n  - World\n  - Climate\n\n\
         secured: \"opaque==;value==\"\n---\n\n"
    )
}

/// Runs the real worker in-process, scoring with `config`, until nothing
/// runnable is queued; then every job must be done (none failed for good).
/// Returns the jobs it ran.
pub async fn drain_jobs(db: &TestDb, config: &newsgraph_shared::scoring::ScoringConfig) -> i64 {
    let done = async || newsgraph_shared::queue::counts(&db.pool).await.unwrap().done;
    let before = done().await;
    let mut options = newsgraph_worker::WorkerOptions::new(config.clone());
    options.drain = true;
    options.poll_interval = std::time::Duration::from_millis(200);
    tokio::time::timeout(
        std::time::Duration::from_secs(120),
        newsgraph_worker::run(db.pool.clone(), options),
    )
    .await
    .expect("the queue drains")
    .unwrap();
    let after = newsgraph_shared::queue::counts(&db.pool).await.unwrap();
    assert_eq!(after.not_done(), 0, "jobs left after a drain: {after:?}");
    after.done - before
}

/// Editor actions as production runs them (`editorial::perform`: the
/// action, its jobs and its notification in one transaction).
pub mod editor {
    use newsgraph_shared::editorial::{self, Action, EditorialError, Outcome, Request};

    /// The editor actions as production runs them: `editorial::perform`.
    pub async fn act(
        pool: &sqlx::PgPool,
        article_id: i64,
        editor: &str,
        action: Action,
        reason: Option<&str>,
        expected_version: Option<i64>,
    ) -> Result<Outcome, EditorialError> {
        editorial::perform(
            pool,
            Request {
                article_id,
                editor,
                action,
                reason,
                expected_version,
            },
        )
        .await
    }

    pub async fn publish(
        pool: &sqlx::PgPool,
        id: i64,
        editor: &str,
        reason: &str,
        version: Option<i64>,
    ) -> Result<Outcome, EditorialError> {
        act(pool, id, editor, Action::Publish, Some(reason), version).await
    }

    pub async fn unpublish(
        pool: &sqlx::PgPool,
        id: i64,
        editor: &str,
        reason: &str,
        version: Option<i64>,
    ) -> Result<Outcome, EditorialError> {
        act(pool, id, editor, Action::Unpublish, Some(reason), version).await
    }

    pub async fn clear_override(
        pool: &sqlx::PgPool,
        id: i64,
        editor: &str,
        version: Option<i64>,
    ) -> Result<Outcome, EditorialError> {
        act(pool, id, editor, Action::ClearOverride, None, version).await
    }

    pub async fn request_recompute(
        pool: &sqlx::PgPool,
        id: i64,
        editor: &str,
        version: Option<i64>,
    ) -> Result<Outcome, EditorialError> {
        act(pool, id, editor, Action::Recompute, None, version).await
    }
}
