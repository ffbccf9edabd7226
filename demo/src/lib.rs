//! The project's own demo data set: invented news articles, topics and
//! organizations in the Smartable markdown format, so `newsgraph dev` can fill
//! an empty database without shipping anyone's real articles.
//!
//! Everything is fictional: outlets live under the reserved `.example` TLD and
//! headlines are built combinatorially from word lists. Output depends only on
//! `(articles, seed)` -- a fixed base date instead of the clock and a
//! hand-written PRNG instead of a crate -- so fixtures and bug reports can be
//! reproduced byte for byte.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};

/// One generated file: a path relative to the output root and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoFile {
    pub relative_path: PathBuf,
    pub contents: String,
}

/// The root topic every article lists first; the others are its children.
const ROOT: &str = "World";
/// (name, keywords). Index 0 is the root.
const TOPICS: [(&str, &[&str]); 6] = [
    (ROOT, &["world", "international"]),
    ("Climate", &["climate", "environment", "energy"]),
    ("Economy", &["economy", "business", "markets"]),
    ("Technology", &["technology", "tech", "internet"]),
    ("Health", &["health", "medicine", "hospitals"]),
    ("Politics", &["politics", "elections", "government"]),
];
/// Highlight colours (text, background) of TOPICS[i] in the feeds, as
/// Smartable's JSON pages carry them.
const HIGHLIGHTS: [(&str, &str); 6] = [
    ("#FFFFFF", "#1F3A5F"),
    ("#FFFFFF", "#2E7D32"),
    ("#1B1B1B", "#F9A825"),
    ("#FFFFFF", "#6A1B9A"),
    ("#FFFFFF", "#C62828"),
    ("#FFFFFF", "#37474F"),
];
/// The demo site's own address (`_config.yml`): the organization files'
/// logo paths resolve against it.
const SITE_URL: &str = "https://demo.newsgraph.example";
/// Fictional outlets: (domain, display name).
const ORGS: [(&str, &str); 10] = [
    ("harborgazette.example", "Harbor Gazette"),
    ("northwire.example", "Northwire"),
    ("dailylantern.example", "The Daily Lantern"),
    ("meridianpost.example", "Meridian Post"),
    ("civicledger.example", "Civic Ledger"),
    ("tidewaterherald.example", "Tidewater Herald"),
    ("summitdispatch.example", "Summit Dispatch"),
    ("brightfieldnews.example", "Brightfield News"),
    ("eastgatetimes.example", "Eastgate Times"),
    ("keystonechronicle.example", "Keystone Chronicle"),
];
/// Plural subjects and noun-phrase objects per child topic (TOPICS[i + 1]),
/// so a headline and its topic agree.
const SUBJECTS: [&[&str]; 5] = [
    &[
        "Coastal towns",
        "Regional councils",
        "Wind farm operators",
        "Fishing cooperatives",
        "Climate scientists",
        "Farmers' unions",
        "Island nations",
        "Energy regulators",
        "Youth activists",
        "Port authorities",
    ],
    &[
        "Central bankers",
        "Small retailers",
        "Dockworkers",
        "Finance ministers",
        "Pension funds",
        "Freight companies",
        "Bakery chains",
        "Tax inspectors",
        "Credit unions",
        "Landlords",
    ],
    &[
        "Chipmakers",
        "Startup founders",
        "Privacy regulators",
        "Satellite operators",
        "Robotics labs",
        "Telecom firms",
        "App developers",
        "School districts",
        "Cloud providers",
        "Game studios",
    ],
    &[
        "Hospital unions",
        "Rural clinics",
        "Vaccine makers",
        "Health ministers",
        "Pharmacists",
        "Nursing homes",
        "Medical students",
        "Insurers",
        "Public health officials",
        "Patient groups",
    ],
    &[
        "Lawmakers",
        "City councils",
        "Opposition leaders",
        "Election monitors",
        "Coalition partners",
        "Mayors",
        "Senators",
        "Voters",
        "Party delegates",
        "Constitutional judges",
    ],
];
const OBJECTS: [&[&str]; 5] = [
    &[
        "new tram line",
        "carbon border levy",
        "coastal flood barriers",
        "plastic bag ban",
        "offshore wind auction",
        "river restoration plan",
        "heat wave warning system",
        "peatland protection rules",
        "electric ferry fleet",
        "glacier monitoring network",
        "urban tree program",
        "water rationing plan",
    ],
    &[
        "four-day work week",
        "minimum wage increase",
        "harbour tax reform",
        "grain export deal",
        "rent freeze",
        "digital currency pilot",
        "port expansion",
        "bread price caps",
        "pension overhaul",
        "regional stimulus package",
        "tariff truce",
        "cash-free payments",
    ],
    &[
        "facial recognition limits",
        "rural broadband rollout",
        "AI tutoring trial",
        "right-to-repair rules",
        "satellite internet deal",
        "quantum computing center",
        "data center moratorium",
        "age checks for social apps",
        "open-source procurement",
        "drone delivery pilot",
        "chip factory subsidy",
        "encrypted messaging rules",
    ],
    &[
        "night-shift staffing rules",
        "free dental checkups",
        "sugar tax",
        "hospital merger",
        "flu vaccine campaign",
        "mental health hotline",
        "drug price ceiling",
        "air ambulance contract",
        "school meal standards",
        "clinic closure plan",
        "organ donor registry",
        "heat illness guidelines",
    ],
    &[
        "electoral map redraw",
        "term limit proposal",
        "lobbying register",
        "snap election call",
        "budget compromise",
        "border checkpoint plan",
        "lower voting age",
        "press freedom bill",
        "regional autonomy vote",
        "anti-corruption panel",
        "citizen assembly",
        "public records law",
    ],
];
const VERBS: [&str; 20] = [
    "approve",
    "reject",
    "delay",
    "back",
    "unveil",
    "scrap",
    "weigh",
    "rethink",
    "push for",
    "push back on",
    "fast-track",
    "revive",
    "defend",
    "quietly shelve",
    "clash over",
    "question",
    "pause",
    "expand",
    "cut funding for",
    "vote on",
];
const TAILS: [&str; 16] = [
    "after marathon session",
    "amid protests",
    "ahead of winter",
    "in surprise vote",
    "as deadline looms",
    "despite budget fears",
    "for second time this year",
    "after leaked memo",
    "under public pressure",
    "as costs climb",
    "after months of delays",
    "before key summit",
    "amid legal challenge",
    "with little warning",
    "following critical audit",
    "in late-night deal",
];
/// Excerpt sentences; some carry `"` on purpose so the quoting gets exercised.
const OPENERS: [&str; 6] = [
    "The decision follows months of debate over the {o}.",
    "Critics say the move on the {o} comes too late.",
    "Officials called the {o} \"a first step\" and promised more detail.",
    "{S} said talks about the {o} would continue next week.",
    "Details of the {o} remain unclear, people familiar with the matter said.",
    "Supporters of the {o} hailed the outcome as \"long overdue\".",
];
const DETAILS: [&str; 6] = [
    "Local reaction was mixed.",
    "A final vote is expected before the end of the year.",
    "Analysts expect further changes in the coming months.",
    "Opponents have vowed to challenge the plan.",
    "The cost has not been disclosed.",
    "Neighbouring regions are watching closely.",
];
/// Feature image sizes seen in the real feed.
const IMAGE_SIZES: [(u32, u32); 5] = [(1200, 675), (1050, 550), (1280, 720), (1024, 576), (800, 533)];
const CDN: &str = "https://cdn.newsgraph.example";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// SplitMix64: tiny, well-mixed, and stable across platforms and releases
/// (unlike std's hasher), which is all a demo data set needs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant here.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: i64, hi_inclusive: i64) -> i64 {
        lo + (self.next() % (hi_inclusive - lo + 1) as u64) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// An invented story: enough to render it as a file or as someone's related item.
/// `org` and `topic` index ORGS and SUBJECTS; `image` is (url, width, height).
struct Story {
    title: String,
    slug: String,
    excerpt: String,
    at: DateTime<Utc>,
    org: usize,
    topic: usize,
    amp: bool,
    image: Option<(String, u32, u32)>,
    quality: i64,
    /// Bare everywhere it appears (no excerpt, image or AMP page), as real
    /// feeds have some: the publication rule refuses it for its quality.
    thin: bool,
}

impl Story {
    fn web_url(&self) -> String {
        format!(
            "https://www.{}/{}/{}",
            ORGS[self.org].0,
            self.at.format("%Y/%m/%d"),
            self.slug
        )
    }
    fn amp_urls(&self) -> Option<(String, String)> {
        let domain = ORGS[self.org].0;
        let path = format!("www.{domain}/{}/{}.amp", self.at.format("%Y/%m/%d"), self.slug);
        (self.amp && !self.thin).then(|| {
            let cdn_host = format!("www-{}", domain.replace('.', "-"));
            (
                format!("https://{path}"),
                format!("https://{cdn_host}.cdn.ampproject.example/c/s/{path}"),
            )
        })
    }
}

/// Lowercase ASCII words joined by `-`; apostrophes vanish ("won't" ->
/// "wont") like in the project's own `slug::slugify`, so file names agree.
fn slugify(text: &str) -> String {
    let mut slug = String::new();
    let mut dash = false;
    for ch in text.chars().filter(|c| *c != '\'') {
        if ch.is_ascii_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(ch.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    slug
}

/// A YAML double-quoted scalar; only `"` and `\` need escaping in our text.
fn q(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn stamp(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A headline for child topic `t`. A few are deliberately clickbait or
/// shouty, because the real feed has those and quality scoring must cope.
fn headline(rng: &mut Rng, t: usize) -> (String, String, String) {
    let (s, v, o) = (rng.pick(SUBJECTS[t]), rng.pick(&VERBS), rng.pick(OBJECTS[t]));
    let tail = if rng.chance(70) {
        format!(" {}", rng.pick(&TAILS))
    } else {
        String::new()
    };
    let lower = s.to_lowercase();
    let title = match rng.below(100) {
        0..=1 => format!("You won't believe what {lower} just did to the {o}"),
        2..=3 => format!("{s} {v} {o} and nobody saw it coming!!"),
        4..=5 => format!("{s} {} {o}{tail}", v.to_uppercase()),
        6 => format!("BREAKING: {lower} {v} {o}{tail}"),
        7 => format!("This is why {lower} {v} the {o}"),
        _ => format!("{s} {v} {o}{tail}"),
    };
    (capitalize(&title), s.to_string(), o.to_string())
}

/// A new story whose title slug is unused so far (titles stay unique even
/// when they differ only in case or punctuation, and so do file names).
fn new_story(rng: &mut Rng, used: &mut HashSet<String>, base: DateTime<Utc>) -> Story {
    let topic = rng.below(SUBJECTS.len());
    let (title, subject, object) = (0..)
        .map(|attempt| {
            let (t, s, o) = headline(rng, topic);
            // the combinations run out long after 5,000; this keeps larger sets finite
            if attempt < 40 {
                (t, s, o)
            } else {
                (format!("{t}, update {attempt}"), s, o)
            }
        })
        .find(|(t, _, _)| used.insert(slugify(t)))
        .expect("an unbounded search always finds a free title");
    let mut excerpt = format!(
        "{} {}",
        rng.pick(&OPENERS).replace("{o}", &object).replace("{S}", &subject),
        rng.pick(&DETAILS)
    );
    if rng.chance(30) {
        excerpt.push_str(" ...");
    }
    let at = base - Duration::seconds(rng.range(60, 30 * 86_400));
    let slug = slugify(&title);
    let image = (!rng.chance(8)).then(|| {
        let (w, h) = IMAGE_SIZES[rng.below(IMAGE_SIZES.len())];
        let stem: Vec<&str> = slug.split('-').take(4).collect();
        (
            format!(
                "{CDN}/images/{}/{}-{:04x}.jpg",
                at.format("%Y/%m/%d"),
                stem.join("-"),
                rng.next() & 0xffff
            ),
            w,
            h,
        )
    });
    let (org, amp, quality) = (rng.below(ORGS.len()), !rng.chance(10), rng.range(30, 190));
    Story {
        title,
        slug,
        excerpt,
        at,
        org,
        topic,
        amp,
        image,
        quality,
        thin: false,
    }
}

/// Fake `secured` token: opaque base64-looking blob, `;`, 24 base64 chars.
fn secured(rng: &mut Rng) -> String {
    let mut chunk = |n: usize| (0..n).map(|_| B64[rng.below(64)] as char).collect::<String>();
    format!("{}==;{}==", chunk(86), chunk(22))
}

fn topic_file(i: usize) -> DemoFile {
    let (name, keywords) = TOPICS[i];
    let id = slugify(name);
    let mut out = format!("taxonomy: topic\n_id: {id}\nname: {name}\nshortname: {name}\n");
    if i > 0 {
        out.push_str(&format!("parent: {ROOT}\n"));
    }
    out.push_str("keywords:\n");
    keywords.iter().for_each(|k| out.push_str(&format!("  - {k}\n")));
    out.push_str(&format!(
        "hashtags:\n  - \"#{name}\"\nimages:\n  - {CDN}/topics/{id}.jpg\n"
    ));
    DemoFile {
        relative_path: PathBuf::from(format!("_data/topics/{:02}-{id}.yaml", i + 1)),
        contents: out,
    }
}

fn organization_file((domain, name): (&str, &str)) -> DemoFile {
    let contents = format!(
        "---\ntaxonomy: organization\n_id: {domain}\nname: {name}\ndomain: {domain}\nimages:\n  \
         - url: /assets/images/organizations/{domain}-50x50.jpg\n    width: 50\n    height: 50\n---\n"
    );
    DemoFile {
        relative_path: PathBuf::from(format!("_data/organizations/{domain}.md")),
        contents,
    }
}

/// Jekyll's site configuration: the address site paths resolve against.
fn site_config() -> DemoFile {
    DemoFile {
        relative_path: PathBuf::from("_config.yml"),
        contents: format!("title: newsgraph demo\nurl: \"{SITE_URL}\"\nbaseurl: \"\"\n"),
    }
}

/// A Smartable JSON news page (`api/news/page/1/index.json`): one story per
/// topic, each item carrying its topic's highlight colours, which is how
/// topics get theirs.
fn news_page(stories: &[&Story]) -> DemoFile {
    let items: Vec<serde_json::Value> = stories
        .iter()
        .enumerate()
        .map(|(topic, s)| {
            let (domain, name) = ORGS[s.org];
            let (text_color, background_color) = HIGHLIGHTS[topic];
            let images: Vec<serde_json::Value> = s
                .image
                .iter()
                .map(|(url, width, height)| {
                    serde_json::json!({"url": url, "width": width, "height": height,
                        "title": null, "attribution": null, "isCached": true})
                })
                .collect();
            serde_json::json!({
                "path": format!("_news/{}-{}.md", s.at.format("%Y-%m-%d"), s.slug),
                "title": s.title,
                "excerpt": s.excerpt,
                "webUrl": s.web_url(),
                "originalUrl": s.web_url(),
                "ampWebUrl": s.amp_urls().map(|(amp, _)| amp),
                "highlight": {"text": TOPICS[topic].0, "textColor": text_color, "backgroundColor": background_color},
                "heat": 120,
                "quality": s.quality,
                "images": images,
                "type": "article",
                "publishedDateTime": stamp(&s.at),
                "updatedDateTime": null,
                "provider": {"name": name, "domain": domain, "images": null, "publishers": null, "authors": null},
                "locale": "en-us",
                "categories": ["news"],
                "topics": [ROOT, TOPICS[s.topic + 1].0],
            })
        })
        .collect();
    let page = serde_json::json!({"page": 1, "value": items, "nextPage": null});
    DemoFile {
        relative_path: PathBuf::from("api/news/page/1/index.json"),
        contents: serde_json::to_string_pretty(&page).expect("a JSON value serialises") + "\n",
    }
}

/// One `related:` entry, indented as in the real files.
fn push_related(out: &mut String, s: &Story) {
    out.push_str(&format!("  - title: {}\n", q(&s.title)));
    if !s.thin {
        out.push_str(&format!("    excerpt: {}\n", q(&s.excerpt)));
    }
    out.push_str(&format!(
        "    publishedDateTime: {}\n    webUrl: {}\n",
        stamp(&s.at),
        q(&s.web_url())
    ));
    if let Some((amp, cdn)) = s.amp_urls() {
        out.push_str(&format!("    ampWebUrl: {}\n    cdnAmpWebUrl: {}\n", q(&amp), q(&cdn)));
    }
    let (domain, name) = ORGS[s.org];
    out.push_str(&format!(
        "    type: article\n    provider:\n      name: {name}\n      domain: {domain}\n"
    ));
    out.push_str(&format!("    quality: {}\n", s.quality));
    if let Some((url, _, _)) = s.image.as_ref().filter(|_| !s.thin) {
        out.push_str(&format!(
            "    images:\n      - url: {}\n        width: 800\n        height: 450\n        isCached: true\n",
            q(url)
        ));
    }
}

fn article_file(rng: &mut Rng, s: &Story, related: &[&Story]) -> DemoFile {
    let thin = s.thin;
    let (domain, name) = ORGS[s.org];
    let url = s.web_url();
    let mut out = format!("---\ncategory: news\ntitle: {}\n", q(&s.title));
    if !thin {
        out.push_str(&format!("excerpt: {}\n", q(&s.excerpt)));
    }
    out.push_str(&format!(
        "publishedDateTime: {}\noriginalUrl: {}\nwebUrl: {}\n",
        stamp(&s.at),
        q(&url),
        q(&url)
    ));
    if let Some((amp, cdn)) = s.amp_urls() {
        out.push_str(&format!("ampWebUrl: {}\ncdnAmpWebUrl: {}\n", q(&amp), q(&cdn)));
    }
    let (heat, published) = if rng.chance(20) {
        (-1, false)
    } else {
        (rng.range(30, 400), true)
    };
    // A few withdrawn by their source, as real feeds have: never published.
    let removed = if rng.chance(3) { "removed: true\n" } else { "" };
    let published = published && removed.is_empty();
    let heat = if published { heat } else { -1 };
    out.push_str(&format!(
        "type: article\nquality: {}\nheat: {heat}\n{removed}published: {published}\n\n",
        s.quality
    ));
    out.push_str(&format!("provider:\n  name: {name}\n  domain: {domain}\n  images:\n"));
    out.push_str(&format!(
        "    - url: {}\n      width: 50\n      height: 50\n\n",
        q(&format!("{CDN}/organizations/{domain}-50x50.jpg"))
    ));
    out.push_str(&format!("topics:\n  - {ROOT}\n  - {}\n", TOPICS[s.topic + 1].0));
    if rng.chance(35) {
        let other = (s.topic + 1 + rng.below(SUBJECTS.len() - 1)) % SUBJECTS.len();
        out.push_str(&format!("  - {}\n", TOPICS[other + 1].0));
    }
    if let Some((image, w, h)) = &s.image {
        let mut images = format!(
            "\nimages:\n  - url: {}\n    width: {w}\n    height: {h}\n    isCached: true\n",
            q(image)
        );
        if rng.chance(15) {
            let second = image.replace(".jpg", "-2.jpg");
            images.push_str(&format!(
                "  - url: {}\n    width: {w}\n    height: {h}\n    isCached: true\n",
                q(&second)
            ));
        }
        if !thin {
            out.push_str(&images);
        }
    }
    if !related.is_empty() {
        out.push_str("\nrelated:\n");
        related.iter().for_each(|r| push_related(&mut out, r));
    }
    out.push_str(&format!("\nsecured: {}\n---\n\n", q(&secured(rng))));
    let path = format!("_news/{}-{}.md", s.at.format("%Y-%m-%d"), s.slug);
    DemoFile {
        relative_path: PathBuf::from(path),
        contents: out,
    }
}

/// Generates `articles` article files plus topic and organization definition files.
/// Same (articles, seed) -> byte-identical output.
pub fn generate(articles: usize, seed: u64) -> Vec<DemoFile> {
    let mut rng = Rng(seed);
    let base = Utc
        .with_ymd_and_hms(2026, 11, 27, 0, 0, 0)
        .single()
        .expect("valid fixed date");
    let mut used = HashSet::new();
    // The first `articles` stories get files; the rest are known only as
    // someone's related item, as in the real feed where related links often
    // point at articles that never got a file of their own.
    let extras = (articles / 3).max(8);
    let mut stories: Vec<Story> = (0..articles + extras)
        .map(|_| new_story(&mut rng, &mut used, base))
        .collect();
    // one story in 29 is bare; the random draws stay the same, so the rest
    // of the set does not change
    for (j, story) in stories.iter_mut().enumerate() {
        story.thin = j % 29 == 13;
    }

    // Coverage groups: related items mostly cover the same topic, so the
    // lead rule picks one story of a group and holds back the others.
    let mut same_topic: Vec<Vec<usize>> = vec![Vec::new(); SUBJECTS.len()];
    for (j, story) in stories.iter().enumerate() {
        same_topic[story.topic].push(j);
    }
    let mut files: Vec<DemoFile> = vec![site_config()];
    files.extend((0..TOPICS.len()).map(topic_file));
    files.extend(ORGS.iter().copied().map(organization_file));
    // the feed page: for each topic a story known so far only as a related
    // item (a story of its own for each child topic when there is one; the
    // root topic takes another), each story once
    let mut featured: Vec<&Story> = Vec::new();
    for topic in 0..TOPICS.len() {
        let unused = |j: &usize| !featured.iter().any(|f| std::ptr::eq(*f, &stories[*j]));
        let j = (articles..stories.len())
            .filter(unused)
            .find(|&j| topic.checked_sub(1).is_none_or(|t| stories[j].topic == t))
            .or_else(|| (articles..stories.len()).find(unused))
            .unwrap_or(articles);
        featured.push(&stories[j]);
    }
    files.push(news_page(&featured));
    for (i, story) in stories[..articles].iter().enumerate() {
        let mut related: Vec<&Story> = Vec::new();
        let (mut picked, wanted) = (
            HashSet::from([i]),
            if rng.chance(60) { rng.range(1, 6) as usize } else { 0 },
        );
        while related.len() < wanted {
            // mostly the same topic, mostly other articles of the set;
            // `extras >= 8` always fills a list of 6
            let pool = &same_topic[story.topic];
            let j = if pool.len() > 6 && rng.chance(80) {
                pool[rng.below(pool.len())]
            } else if articles > 1 && rng.chance(75) {
                rng.below(articles)
            } else {
                articles + rng.below(extras)
            };
            if picked.insert(j) {
                related.push(&stories[j]);
            }
        }
        files.push(article_file(&mut rng, story, &related));
    }
    files
}

/// Writes generate(..) under `root` (creating directories) and returns the number of files written.
pub fn write_to(root: &Path, articles: usize, seed: u64) -> std::io::Result<usize> {
    let files = generate(articles, seed);
    for file in &files {
        let path = root.join(&file.relative_path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &file.contents)?;
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn news(files: &[DemoFile]) -> Vec<&DemoFile> {
        files.iter().filter(|f| f.relative_path.starts_with("_news")).collect()
    }

    /// Unquoted values of `key: "..."` lines indented by exactly `indent`.
    fn quoted<'a>(text: &'a str, indent: &str, key: &str) -> Vec<&'a str> {
        let prefix = format!("{indent}{key}: \"");
        text.lines()
            .filter_map(|l| l.strip_prefix(prefix.as_str()))
            .map(|v| v.trim_end_matches('"'))
            .collect()
    }

    #[test]
    fn same_inputs_give_identical_output_and_seeds_matter() {
        assert_eq!(generate(300, 7), generate(300, 7));
        assert_ne!(generate(300, 7), generate(300, 8));
    }

    #[test]
    fn article_count_matches_request_and_write_to_creates_the_tree() {
        for n in [0, 1, 2, 37, 500] {
            assert_eq!(news(&generate(n, 42)).len(), n);
        }
        let root = std::env::temp_dir().join(format!("newsgraph-demo-test-{}", std::process::id()));
        assert_eq!(write_to(&root, 12, 9).unwrap(), 12 + TOPICS.len() + ORGS.len() + 2);
        assert!(root.join("_config.yml").is_file());
        assert!(root.join("api/news/page/1/index.json").is_file());
        assert_eq!(std::fs::read_dir(root.join("_news")).unwrap().count(), 12);
        assert_eq!(
            std::fs::read_dir(root.join("_data/topics")).unwrap().count(),
            TOPICS.len()
        );
        assert!(root.join("_data/organizations/harborgazette.example.md").is_file());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn article_files_are_framed_named_and_titled_uniquely() {
        let files = generate(5000, 1);
        let (mut titles, mut paths) = (HashSet::new(), HashSet::new());
        for file in news(&files) {
            assert!(
                file.contents.starts_with("---\n") && file.contents.ends_with("---\n\n"),
                "{:?}",
                file.relative_path
            );
            let title = quoted(&file.contents, "", "title");
            assert_eq!(title.len(), 1);
            assert!(titles.insert(title[0]), "duplicate title {}", title[0]);
            let stem = file.relative_path.file_stem().unwrap().to_str().unwrap();
            let word_ok = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            assert!(stem.split('-').all(word_ok), "{stem}");
            assert!(paths.insert(&file.relative_path));
        }
    }

    #[test]
    fn related_items_link_to_https_example_urls_mostly_in_the_set() {
        let files = generate(800, 3);
        let articles = news(&files);
        let own: HashSet<&str> = articles
            .iter()
            .flat_map(|f| quoted(&f.contents, "", "webUrl"))
            .collect();
        let related: Vec<&str> = articles
            .iter()
            .flat_map(|f| quoted(&f.contents, "    ", "webUrl"))
            .collect();
        assert!(!related.is_empty());
        for url in &related {
            let host = url
                .strip_prefix("https://")
                .and_then(|r| r.split('/').next())
                .unwrap_or_default();
            assert!(
                host.ends_with(".example") && url.len() > host.len() + 9 && !url.contains(' '),
                "bad URL {url}"
            );
        }
        let in_set = related.iter().filter(|u| own.contains(*u)).count();
        assert!(
            in_set * 100 / related.len() >= 60,
            "only {in_set} of {} related items are articles",
            related.len()
        );
        assert!(
            in_set < related.len(),
            "some related items should exist only as related entries"
        );
    }

    #[test]
    fn files_are_valid_yaml_with_the_requested_variation() {
        use serde_yaml_ng::Value;
        let files = generate(2000, 11);
        let base = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap();
        let mut parsed = Vec::new();
        for file in &files {
            let yaml = file
                .contents
                .trim_start_matches("---\n")
                .split("\n---\n")
                .next()
                .unwrap();
            let value: Value =
                serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("{:?}: {e}", file.relative_path));
            if file.relative_path.starts_with("_news") {
                let topics = value["topics"].as_sequence().unwrap();
                assert!(topics[0].as_str() == Some(ROOT) && (2..=3).contains(&topics.len()));
                assert_eq!(value["published"].as_bool(), Some(value["heat"].as_i64() != Some(-1)));
                assert!((30..=190).contains(&value["quality"].as_i64().unwrap()));
                assert!(
                    value["related"]
                        .as_sequence()
                        .is_none_or(|r| (1..=6).contains(&r.len()))
                );
                assert_eq!(
                    value["secured"].as_str().unwrap().split(';').nth(1).map(str::len),
                    Some(24)
                );
                let line = file
                    .contents
                    .lines()
                    .find(|l| l.starts_with("publishedDateTime: "))
                    .unwrap();
                let at: DateTime<Utc> = line[19..].parse().unwrap();
                assert!(
                    at < base && at >= base - Duration::days(30) && line.ends_with('Z'),
                    "{line}"
                );
                parsed.push(value);
            }
        }
        let share = |pred: &dyn Fn(&Value) -> bool| parsed.iter().filter(|v| pred(v)).count() * 100 / parsed.len();
        assert!((3..=14).contains(&share(&|v| v.get("images").is_none())));
        assert!((5..=16).contains(&share(&|v| v.get("ampWebUrl").is_none())));
        assert!((32..=48).contains(&share(&|v| v.get("related").is_none())));
        assert!((14..=26).contains(&share(&|v| v["heat"].as_i64() == Some(-1))));
        assert!(share(&|v| v["title"].as_str().unwrap().contains("!!")) >= 1);
    }
}
