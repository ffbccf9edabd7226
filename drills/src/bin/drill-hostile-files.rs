//! hostile-files: the real `newsgraph import` on a directory of malformed
//! and edge-case files next to good ones. Every file must end either as a
//! correct import or as one clear error naming the file, the field and the
//! reason; good files must still import; the run must stay within a time and
//! memory bound.
//!
//! What a mature importer does with each kind of file (and what this drill
//! holds it to):
//! - Text that is unambiguously readable is imported, equal to the plain
//!   UTF-8/LF file: UTF-8 with a byte-order mark, CRLF line endings, UTF-16
//!   LE/BE *with* a byte-order mark, tabs as separators after `key:`, a huge
//!   body after the front matter (the body is not imported).
//! - Text whose encoding would have to be guessed is refused: UTF-16 without a
//!   byte-order mark, Latin-1. Guessing would store mojibake.
//! - Everything else malformed is refused with the field and the reason:
//!   YAML errors (tab indentation, alias bombs, duplicate keys, deep nesting),
//!   impossible dates, non-http(s) URLs in any URL field, values too long to
//!   be what their field says (titles, URLs, topic names), NUL bytes,
//!   files over the size limit, empty or unframed files.
//! - An article with 10,000 related items is imported with all of them.
//!
//! usage: drills/run hostile-files [--max-seconds S] [--max-rss-mb MB]

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use newsgraph_demo as demo;
use newsgraph_drills::{Running, fresh_database, newsgraph, server_url, verdict};
use newsgraph_shared::format;
use serde_json::Value;
use sqlx::{PgPool, Row};

const DRILL: &str = "hostile-files";
const DATABASE: &str = "newsgraph_drill_hostile_files";
/// The reference article every "imports equal" variant is compared with.
const PLAIN_URL: &str = "https://plain.example/story";
const RELATED_ITEMS: usize = 10_000;

/// What should become of one file.
#[derive(Debug, Clone)]
enum Expect {
    /// Imported, with stored fields equal to the plain reference article's.
    SameAsPlain { web_url: String },
    /// Imported as an article with this URL (and no error).
    Imported { web_url: String },
    /// Definitions and pages: imported with no error.
    Accepted,
    /// Refused with one error naming this field, its reason containing this.
    Rejected { field: String, reason: &'static str },
}

struct Case {
    path: String,
    bytes: Vec<u8>,
    expect: Expect,
}

/// A full article of ours: every URL field, provider with images, topics,
/// images and one related item. Variants are made by text replacement.
fn good_article(url: &str) -> String {
    format!(
        "---\ncategory: news\ntitle: \"Tide gauges show a record surge\"\n\
         excerpt: \"Harbor sensors logged the highest water in forty years.\"\n\
         publishedDateTime: 2026-11-20T10:00:00Z\nupdatedDateTime: 2026-11-20T12:00:00Z\n\
         originalUrl: \"{url}\"\nwebUrl: \"{url}\"\nampWebUrl: \"{url}.amp\"\n\
         cdnAmpWebUrl: \"https://cdn.plain.example/amp/{}\"\ntype: article\nquality: 110\nheat: 80\n\
         published: true\nlocale: en-us\n\nprovider:\n  name: Harbor Gazette\n  domain: harborgazette.example\n  images:\n\
         \x20   - url: \"https://harborgazette.example/logo.png\"\n      width: 50\n      height: 50\n\n\
         topics:\n  - World\n  - Climate\n\nimages:\n  - url: \"https://img.plain.example/surge.jpg\"\n\
         \x20   width: 1280\n    height: 720\n    isCached: true\n\nrelated:\n\
         \x20 - title: \"Sea wall vote delayed\"\n    webUrl: \"https://northwire.example/sea-wall\"\n\
         \x20   ampWebUrl: \"https://northwire.example/sea-wall.amp\"\n    publishedDateTime: 2026-11-19T08:00:00Z\n\
         \x20   provider:\n      name: Northwire\n      domain: northwire.example\n\n\
         secured: \"opaque==;value==\"\n---\n\nThe body is not imported.\n",
        url.rsplit('/').next().unwrap_or_default()
    )
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
    units
        .flat_map(|u| if big_endian { u.to_be_bytes() } else { u.to_le_bytes() })
        .collect()
}

fn rejected(field: &str, reason: &'static str) -> Expect {
    Expect::Rejected {
        field: field.to_string(),
        reason,
    }
}

/// The article files: the reference, variants that must import equal to it,
/// files that must import, and files that must be refused.
fn article_cases() -> Vec<Case> {
    let mut cases = vec![Case {
        path: "_news/2026-11-20-plain.md".into(),
        bytes: good_article(PLAIN_URL).into_bytes(),
        expect: Expect::SameAsPlain {
            web_url: PLAIN_URL.into(),
        },
    }];
    let mut add = |name: &str, bytes: Vec<u8>, expect: Expect| {
        cases.push(Case {
            path: format!("_news/2026-11-20-{name}.md"),
            bytes,
            expect,
        })
    };
    let variant_url = |name: &str| format!("https://variant.example/{name}");
    let same = |name: &str| Expect::SameAsPlain {
        web_url: format!("https://variant.example/{name}"),
    };

    // readable encodings and line endings: equal to the plain article
    let text = |name: &str| good_article(&variant_url(name));
    add(
        "utf8-bom",
        [b"\xEF\xBB\xBF".as_slice(), text("utf8-bom").as_bytes()].concat(),
        same("utf8-bom"),
    );
    add("crlf", text("crlf").replace('\n', "\r\n").into_bytes(), same("crlf"));
    add(
        "utf8-bom-crlf",
        [
            b"\xEF\xBB\xBF".as_slice(),
            text("utf8-bom-crlf").replace('\n', "\r\n").as_bytes(),
        ]
        .concat(),
        same("utf8-bom-crlf"),
    );
    add(
        "utf16le-bom",
        utf16(&text("utf16le-bom"), false, true),
        same("utf16le-bom"),
    );
    add(
        "utf16be-bom",
        utf16(&text("utf16be-bom"), true, true),
        same("utf16be-bom"),
    );
    add(
        "utf16le-bom-crlf",
        utf16(&text("utf16le-bom-crlf").replace('\n', "\r\n"), false, true),
        same("utf16le-bom-crlf"),
    );
    add(
        "tab-separators",
        text("tab-separators")
            .replace("title: ", "title:\t")
            .replace("quality: ", "quality:\t")
            .into_bytes(),
        same("tab-separators"),
    );
    add(
        "huge-body",
        {
            // just under the size limit: one 3 MB line of body text
            let mut bytes = text("huge-body").into_bytes();
            bytes.extend(std::iter::repeat_n(b'w', 3 * 1024 * 1024));
            bytes.push(b'\n');
            bytes
        },
        same("huge-body"),
    );
    add(
        "anchors",
        {
            // the provider defined once under another key and aliased
            let anchored = "gazette: &gazette\n  name: Harbor Gazette\n  domain: harborgazette.example\n  images:\n    \
                            - url: \"https://harborgazette.example/logo.png\"\n      width: 50\n      height: 50\n\
                            provider: *gazette\nold_provider:\n";
            text("anchors").replacen("provider:\n", anchored, 1).into_bytes()
        },
        same("anchors"),
    );

    // encodings that would have to be guessed
    add(
        "utf16le-no-bom",
        utf16(&text("utf16le-no-bom"), false, false),
        rejected("file", "UTF-16"),
    );
    add(
        "utf16be-no-bom",
        utf16(&text("utf16be-no-bom"), true, false),
        rejected("file", "UTF-16"),
    );
    add(
        "latin1",
        text("latin1")
            .replace("record surge", "record surge at the caf\u{e9}")
            .chars()
            .map(|c| c as u32 as u8)
            .collect(),
        rejected("file", "not UTF-8"),
    );

    // framing
    add("empty", Vec::new(), rejected("file", "empty"));
    add(
        "whitespace-only",
        b" \n\t\r\n  \n".to_vec(),
        rejected("file", "only whitespace"),
    );
    add(
        "no-front-matter",
        text("no-front-matter")
            .trim_start_matches("---\n")
            .replacen("---\n", "", 1)
            .into_bytes(),
        rejected("front matter", "missing"),
    );
    add(
        "never-closed",
        text("never-closed")
            .replace("---\n\nThe body", "\nThe body")
            .into_bytes(),
        rejected("front matter", "not closed"),
    );
    add(
        "empty-front-matter",
        b"---\n---\nBody.\n".to_vec(),
        rejected("front matter", "empty"),
    );
    add(
        "nul-byte",
        text("nul-byte").replace("record surge", "record\0surge").into_bytes(),
        rejected("file", "NUL"),
    );
    add(
        "50mb",
        {
            let mut bytes = text("50mb").into_bytes();
            bytes.resize(50 * 1024 * 1024, b'x');
            bytes
        },
        rejected("file", "larger than"),
    );

    // YAML that must not be expanded, guessed at or recursed into
    add(
        "tab-indentation",
        text("tab-indentation")
            .replace("\n  name: Harbor Gazette", "\n\tname: Harbor Gazette")
            .into_bytes(),
        rejected("front matter", "invalid YAML"),
    );
    let mut bomb =
        String::from("---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (name, prev) in ('b'..='j').zip('a'..='i') {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    bomb.push_str("title: \"Bomb\"\nwebUrl: \"https://bomb.example/x\"\n---\n");
    add(
        "alias-bomb",
        bomb.into_bytes(),
        rejected("front matter", "invalid YAML"),
    );
    add(
        "duplicate-keys",
        text("duplicate-keys")
            .replace("type: article\n", "type: article\ntitle: \"Second title\"\n")
            .into_bytes(),
        rejected("front matter", "duplicate"),
    );
    add(
        "deep-nesting",
        format!(
            "---\ntitle: T\nwebUrl: https://deep.example/x\nextra: {}\n---\n",
            "[".repeat(100_000)
        )
        .into_bytes(),
        rejected("front matter", "invalid YAML"),
    );
    add(
        "deep-nesting-blocks",
        {
            let mut yaml = String::from("---\ntitle: T\nwebUrl: https://deep.example/y\nextra:\n");
            for depth in 1..2_000 {
                yaml.push_str(&" ".repeat(depth));
                yaml.push_str("k:\n");
            }
            yaml.push_str("---\n");
            yaml.into_bytes()
        },
        rejected("front matter", "invalid YAML"),
    );

    // dates
    for (name, from, to, field) in [
        (
            "feb-30",
            "publishedDateTime: 2026-11-20T10:00:00Z",
            "publishedDateTime: 2026-02-30T10:00:00Z",
            "publishedDateTime",
        ),
        (
            "hour-25",
            "publishedDateTime: 2026-11-20T10:00:00Z",
            "publishedDateTime: 2026-11-20T25:00:00Z",
            "publishedDateTime",
        ),
        (
            "date-garbage",
            "publishedDateTime: 2026-11-20T10:00:00Z",
            "publishedDateTime: \"next tuesday\"",
            "publishedDateTime",
        ),
        (
            "updated-garbage",
            "updatedDateTime: 2026-11-20T12:00:00Z",
            "updatedDateTime: 2026-99-99",
            "updatedDateTime",
        ),
        (
            "related-bad-date",
            "publishedDateTime: 2026-11-19T08:00:00Z",
            "publishedDateTime: 2026-11-19T08:61:00Z",
            "related[0].publishedDateTime",
        ),
    ] {
        add(
            name,
            text(name).replace(from, to).into_bytes(),
            rejected(field, "not a date-time"),
        );
    }

    // non-http(s) URLs in every URL field
    for (scheme, bad) in [
        ("javascript", "javascript:alert(document.cookie)"),
        ("data", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
    ] {
        for (field, from) in [
            ("webUrl", "webUrl: \"https://variant.example/URL\""),
            ("originalUrl", "originalUrl: \"https://variant.example/URL\""),
            ("ampWebUrl", "ampWebUrl: \"https://variant.example/URL.amp\""),
            ("cdnAmpWebUrl", "cdnAmpWebUrl: \"https://cdn.plain.example/amp/URL\""),
            ("images[0].url", "  - url: \"https://img.plain.example/surge.jpg\""),
            (
                "provider.images[0].url",
                "    - url: \"https://harborgazette.example/logo.png\"",
            ),
            (
                "related[0].webUrl",
                "    webUrl: \"https://northwire.example/sea-wall\"",
            ),
            (
                "related[0].ampWebUrl",
                "    ampWebUrl: \"https://northwire.example/sea-wall.amp\"",
            ),
        ] {
            let name = format!(
                "{scheme}-{}",
                field.replace(['[', ']', '.'], "-").trim_end_matches('-').to_lowercase()
            );
            let original = text(&name);
            let from = from.replace("URL", &name);
            let key = from.split(':').next().unwrap_or_default().to_string();
            assert!(original.contains(&from), "{name}: template has no `{from}`");
            let bad_text = original.replacen(&from, &format!("{key}: \"{bad}\""), 1);
            add(
                &name,
                bad_text.into_bytes(),
                rejected(
                    field,
                    if scheme == "data" {
                        "scheme `data`"
                    } else {
                        "scheme `javascript`"
                    },
                ),
            );
        }
    }

    // values too long to be what their field says
    let long_title: String = (0..20_000).map(|i| format!("w{i} ")).collect();
    add(
        "long-title",
        text("long-title")
            .replace("Tide gauges show a record surge", &long_title)
            .into_bytes(),
        rejected("title", "longer than"),
    );
    let long_url = format!(
        "https://long.example/{}",
        (0..3_000).map(|i| format!("{i:x}")).collect::<String>()
    );
    add(
        "long-web-url",
        text("long-web-url")
            .replace(&variant_url("long-web-url"), &long_url)
            .into_bytes(),
        rejected("webUrl", "over the 2048-byte limit"),
    );
    add(
        "long-topic",
        text("long-topic")
            .replace("  - Climate\n", &format!("  - {}\n", long_title.trim()))
            .into_bytes(),
        rejected("topics[1]", "longer than"),
    );
    let long_excerpt: String = (0..400_000).map(|i| format!("z{i} ")).collect();
    add(
        "long-excerpt",
        text("long-excerpt")
            .replace("Harbor sensors logged the highest water in forty years.", &long_excerpt)
            .into_bytes(),
        rejected("excerpt", "longer than"),
    );
    add(
        "quality-overflow",
        text("quality-overflow")
            .replace("quality: 110", "quality: 99999999999")
            .into_bytes(),
        rejected("quality", "32-bit"),
    );
    add(
        "title-is-a-list",
        text("title-is-a-list")
            .replace("title: \"Tide gauges show a record surge\"", "title: [a, b]")
            .into_bytes(),
        rejected("title", "expected a string"),
    );

    // an article with 10,000 related items: all imported
    let mut many = text("many-related");
    let items: String = (0..RELATED_ITEMS - 1)
        .map(|i| format!("  - title: \"Related story {i}\"\n    webUrl: \"https://many.example/r/{i}\"\n    publishedDateTime: 2026-11-18T08:00:00Z\n"))
        .collect();
    many = many.replacen("\nsecured:", &format!("{items}\nsecured:"), 1);
    add(
        "many-related",
        many.into_bytes(),
        Expect::Imported {
            web_url: variant_url("many-related"),
        },
    );
    cases
}

/// Topic and organization definitions, good and bad, and JSON API pages.
fn definition_and_page_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |path: &str, bytes: Vec<u8>, expect: Expect| {
        cases.push(Case {
            path: path.to_string(),
            bytes,
            expect,
        })
    };
    add(
        "_data/topics/90-no-letters.yaml",
        b"taxonomy: topic\nname: \"!!! ???\"\n".to_vec(),
        rejected("name", "no letters"),
    );
    add(
        "_data/topics/91-alias-bomb.yaml",
        {
            let mut bomb =
                String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
            for (name, prev) in ('b'..='j').zip('a'..='i') {
                bomb.push_str(&format!(
                    "{name}: &{name} [{}]\n",
                    vec![format!("*{prev}"); 9].join(",")
                ));
            }
            bomb.push_str("name: Bomb\n");
            bomb.into_bytes()
        },
        rejected("file", "invalid YAML"),
    );
    add(
        "_data/topics/92-utf16le-bom.yaml",
        utf16(
            "taxonomy: topic\nname: Oceans\nparent: World\nkeywords:\n  - ocean\n",
            false,
            true,
        ),
        Expect::Accepted,
    );
    add(
        "_data/organizations/no-domain.example.md",
        b"---\ntaxonomy: organization\nname: Nowhere\n---\n".to_vec(),
        rejected("domain", "missing"),
    );
    add(
        "_data/organizations/javascript-image.example.md",
        b"---\ntaxonomy: organization\nname: Scripted\ndomain: javascript-image.example\nimages:\n  - url: \"javascript:alert(1)\"\n    width: 50\n    height: 50\n---\n"
            .to_vec(),
        rejected("images[0].url", "scheme `javascript`"),
    );

    let item = |title: &str, url: &str| {
        serde_json::json!({"path": format!("_news/2026-11-21-{}.md", url.rsplit('/').next().unwrap_or_default()),
            "title": title, "webUrl": url, "publishedDateTime": "2026-11-21T09:00:00-05:00",
            "provider": {"name": "Northwire", "domain": "northwire.example"},
            "categories": ["news"], "topics": ["World"], "heat": 40})
    };
    let page = |items: Vec<Value>| serde_json::json!({"page": 1, "value": items, "nextPage": 2}).to_string();
    add(
        "api/news/page/1/index.json",
        page(vec![
            item("Page story one", "https://page.example/one"),
            item("Page story two", "https://page.example/two"),
        ])
        .into_bytes(),
        Expect::Accepted,
    );
    add(
        "api/news/page/2/index.json",
        utf16(
            &page(vec![item("Page story three", "https://page.example/three")]),
            false,
            true,
        ),
        Expect::Accepted,
    );
    add(
        "api/news/page/3/index.json",
        page(vec![
            item("Fine", "https://page.example/fine"),
            item("Scripted", "javascript:alert(1)"),
        ])
        .into_bytes(),
        rejected("value[1].webUrl", "scheme `javascript`"),
    );
    add(
        "api/news/page/4/index.json",
        b"{\"page\": 4, \"value\": [{\"title\": \"cut off\"".to_vec(),
        rejected("file", "invalid JSON"),
    );
    add(
        "api/news/page/5/index.json",
        format!("{{\"page\": 5, \"value\": {}", "[".repeat(100_000)).into_bytes(),
        rejected("file", "invalid JSON"),
    );
    add(
        "api/news/page/6/index.json",
        b"{\"page\": 6, \"value\": {\"title\": \"not a list\"}}".to_vec(),
        rejected("value", "expected a list"),
    );
    cases
}

/// What the import run printed and cost.
struct ImportRun {
    report: Value,
    stderr: String,
    seconds: f64,
    peak_rss_mb: u64,
    timed_out: bool,
}

/// Runs `newsgraph import --json ROOT`, sampling its peak RSS until it exits
/// or `limit` passes (then it is killed).
fn run_import(database_url: &str, root: &Path, limit: Duration) -> Result<ImportRun> {
    let mut command = newsgraph(database_url);
    command
        .args(["import", "--json"])
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut running = Running::spawn(command)?;
    let mut stdout = running.child.stdout.take().context("import stdout")?;
    let mut stderr = running.child.stderr.take().context("import stderr")?;
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).map(|_| text)
    });
    let started = Instant::now();
    let (mut peak_kb, mut timed_out) = (0, false);
    loop {
        if let Some(kb) = newsgraph_drills::proc_status_kb(running.pid(), "VmHWM") {
            peak_kb = peak_kb.max(kb);
        }
        if running.child.try_wait()?.is_some() {
            break;
        }
        if started.elapsed() > limit {
            timed_out = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(running);
    let stdout = out.join().expect("reader thread")?;
    let stderr = err.join().expect("reader thread")?;
    let report = if timed_out {
        Value::Null
    } else {
        serde_json::from_str(stdout.trim())
            .with_context(|| format!("import did not print its JSON report; stderr:\n{stderr}"))?
    };
    Ok(ImportRun {
        report,
        stderr,
        seconds,
        peak_rss_mb: peak_kb / 1024,
        timed_out,
    })
}

/// The stored fields of an article that do not depend on its URL, for
/// comparing a variant with the plain reference.
async fn stored_fields(pool: &PgPool, web_url: &str) -> Result<Option<Value>> {
    let key = newsgraph_shared::urls::canonical_key(web_url)?;
    let row = sqlx::query(
        "select jsonb_build_object(
            'title', a.title, 'excerpt', a.excerpt, 'category', a.category, 'type', a.type,
            'published_at', a.published_at, 'updated_at', a.source_updated_at, 'locale', a.locale,
            'secured', a.secured, 'quality', a.source_quality, 'heat', a.source_heat,
            'published', a.source_published, 'removed', a.removed, 'source_kind', a.source_kind,
            'provider', (select jsonb_build_array(p.domain, p.name, p.images) from provider p
                         where p.provider_id = a.provider_id),
            'topics', (select jsonb_agg(t.name order by x.position) from article_topic x
                       join topic t using (topic_id) where x.article_id = a.article_id),
            'images', (select jsonb_agg(jsonb_build_array(i.url, i.width, i.height, i.is_cached)
                       order by i.position) from article_image i where i.article_id = a.article_id),
            'related', (select jsonb_agg(r.canonical_url order by x.position) from article_relation x
                        join article_with_state r on r.article_id = x.related_article_id
                        where x.article_id = a.article_id)
         ) as fields
         from article_with_state a where a.canonical_url = $1",
    )
    .bind(&key)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.get("fields")))
}

async fn related_count(pool: &PgPool, web_url: &str) -> Result<i64> {
    let key = newsgraph_shared::urls::canonical_key(web_url)?;
    Ok(sqlx::query_scalar(
        "select count(*) from article_relation x join article a using (article_id) where a.canonical_url = $1",
    )
    .bind(key)
    .fetch_one(pool)
    .await?)
}

struct Limits {
    max_seconds: u64,
    max_rss_mb: u64,
}

fn limits() -> Result<Limits> {
    let mut limits = Limits {
        max_seconds: 120,
        max_rss_mb: 512,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value: u64 = args
            .next()
            .with_context(|| format!("{arg} needs a value"))?
            .parse()
            .with_context(|| format!("{arg} takes a whole number"))?;
        match arg.as_str() {
            "--max-seconds" => limits.max_seconds = value,
            "--max-rss-mb" => limits.max_rss_mb = value,
            other => bail!("unknown argument `{other}`"),
        }
    }
    Ok(limits)
}

#[tokio::main]
async fn main() {
    let limits = match limits() {
        Ok(limits) => limits,
        Err(e) => verdict(DRILL, &[format!("{e:#}")], "bad arguments"),
    };
    match drill(&limits).await {
        Ok((failures, figures)) => verdict(DRILL, &failures, &figures),
        Err(e) => verdict(DRILL, &[format!("{e:#}")], "could not run"),
    }
}

async fn drill(limits: &Limits) -> Result<(Vec<String>, String)> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    let mut cases = article_cases();
    cases.extend(definition_and_page_cases());
    // good files of ours next to the hostile ones
    for file in demo::generate(30, 11) {
        // the site's config, definitions and JSON news pages are not article files
        let article_file =
            file.relative_path.extension().is_some_and(|e| e == "md") && !file.relative_path.starts_with("_data");
        let expect = match format::parse_article_file(file.contents.as_bytes(), "demo") {
            _ if !article_file => Expect::Accepted,
            Ok(record) => Expect::Imported {
                web_url: record.web_url,
            },
            Err(e) => bail!("demo file {} does not parse: {e}", file.relative_path.display()),
        };
        cases.push(Case {
            // a site of its own: its news page must not overwrite a hostile one
            path: format!("demo/{}", file.relative_path.display()),
            bytes: file.contents.into_bytes(),
            expect,
        });
    }
    for case in &cases {
        let path = root.join(&case.path);
        std::fs::create_dir_all(path.parent().unwrap_or(root))?;
        std::fs::write(&path, &case.bytes)?;
    }

    let server = server_url();
    let database_url = fresh_database(&server, DATABASE).await?;
    let run = run_import(&database_url, root, Duration::from_secs(limits.max_seconds))?;
    let pool = PgPool::connect(&database_url).await?;
    let mut failures = Vec::new();
    if run.timed_out {
        failures.push(format!("import did not finish within {} s", limits.max_seconds));
    }
    if run.peak_rss_mb > limits.max_rss_mb {
        failures.push(format!(
            "import peak RSS {} MB over the {} MB bound",
            run.peak_rss_mb, limits.max_rss_mb
        ));
    }
    let errors: Vec<(String, String, String)> = run.report["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                    (text("path"), text("field"), text("reason"))
                })
                .collect()
        })
        .unwrap_or_default();
    // every file written is read or skipped with a reason (the summary says which)
    let skipped: u64 = run.report["skipped"]
        .as_array()
        .map(|kinds| kinds.iter().filter_map(|k| k["count"].as_u64()).sum())
        .unwrap_or_default();
    let read = run.report["files_read"].as_u64().unwrap_or_default();
    if read + skipped != cases.len() as u64 && !run.timed_out {
        failures.push(format!(
            "import read {read} files and skipped {skipped} ({}), the drill wrote {}",
            run.report["skipped"],
            cases.len()
        ));
    }
    let plain = stored_fields(&pool, PLAIN_URL).await?;
    if plain.is_none() {
        failures.push("the plain reference article was not imported".into());
    }
    let (mut imported, mut rejected_clearly) = (0, 0);
    for case in &cases {
        let full_path = root.join(&case.path).display().to_string();
        let own: Vec<_> = errors.iter().filter(|(path, ..)| *path == full_path).collect();
        let mut fail = |what: String| failures.push(format!("{}: {what}", case.path));
        match &case.expect {
            Expect::Rejected { field, reason } => match own.as_slice() {
                [(_, got_field, got_reason)] if got_field == field && got_reason.contains(reason) => {
                    rejected_clearly += 1
                }
                [] => fail(format!("imported, expected an error on `{field}` ({reason})")),
                other => fail(format!(
                    "expected one error on `{field}` containing `{reason}`, got {other:?}"
                )),
            },
            _ if !own.is_empty() => fail(format!("rejected: {own:?}")),
            Expect::Accepted => imported += 1,
            Expect::Imported { web_url } => match stored_fields(&pool, web_url).await? {
                Some(_) => imported += 1,
                None => fail(format!("no article stored for {web_url}")),
            },
            Expect::SameAsPlain { web_url } => match stored_fields(&pool, web_url).await? {
                Some(fields) if Some(&fields) == plain.as_ref() => imported += 1,
                Some(fields) => fail(format!(
                    "stored differently from the plain article: {fields} vs {plain:?}"
                )),
                None => fail(format!("no article stored for {web_url}")),
            },
        }
    }
    // errors for files the drill did not write would be a surprise too
    for (path, field, reason) in &errors {
        if !cases.iter().any(|c| root.join(&c.path).display().to_string() == *path) {
            failures.push(format!("unexpected error: {path}: {field}: {reason}"));
        }
    }
    let related = related_count(&pool, "https://variant.example/many-related").await?;
    if related != RELATED_ITEMS as i64 {
        failures.push(format!(
            "many-related: {related} related links stored, expected {RELATED_ITEMS}"
        ));
    }
    // every error line on stderr names the file first
    for (path, field, _) in &errors {
        if !run.stderr.contains(&format!("{path}: {field}: ")) {
            failures.push(format!("stderr has no `{path}: {field}: ...` line"));
        }
    }
    pool.close().await;
    let figures = format!(
        "{} files, {imported} imported, {rejected_clearly} rejected with clear errors, peak RSS {} MB, {:.1} s",
        cases.len(),
        run.peak_rss_mb,
        run.seconds
    );
    drop_database(&server).await?;
    Ok((failures, figures))
}

async fn drop_database(server: &str) -> Result<()> {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(server).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "drop database if exists {DATABASE} with (force)"
    )))
    .execute(&mut admin)
    .await?;
    Ok(())
}
