//! Finding input files and deciding what each one is.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::report::FileError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InputKind {
    TopicDefinition,
    OrganizationDefinition,
    Article,
    JsonPage,
    /// Jekyll's `_config.yml`: the site's own address (`url` + `baseurl`),
    /// against which site paths such as `/assets/...` are resolved.
    SiteConfig,
}

/// Why a file found while walking a directory was left alone. Counted in
/// the import summary, so a directory that imports nothing says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// Markdown not named like a Jekyll post (`YYYY-MM-DD-title.md`).
    NotAnArticleName,
    /// JSON under `api/` outside `api/news/`: events, learning articles.
    NotANewsPage,
}

impl SkipReason {
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::NotAnArticleName => "markdown not named YYYY-MM-DD-title.md",
            SkipReason::NotANewsPage => "not a news page (JSON under api/ outside api/news/)",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    pub kind: InputKind,
}

fn parent_dir_is(path: &Path, names: &[&str]) -> bool {
    let mut parents = path.parent().into_iter().flat_map(Path::components).rev();
    let Some(parent) = parents.next() else { return false };
    let Some(grandparent) = parents.next() else {
        return false;
    };
    names.len() == 2 && parent.as_os_str() == names[1] && grandparent.as_os_str() == names[0]
}

fn extension(path: &Path) -> Option<String> {
    path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase)
}

/// Article files follow Jekyll's post naming: `YYYY-MM-DD-title.md`. Other
/// markdown found while walking a directory (READMEs, notes) is not ours.
fn is_article_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let bytes = name.as_bytes();
    bytes.len() > 14
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && bytes[10] == b'-'
}

/// Whether a path lies under `api/news/`, where Smartable keeps its news
/// pages (`api/news/<topic>/page/N/index.json`).
fn is_news_page_path(path: &Path) -> bool {
    path.components()
        .zip(path.components().skip(1))
        .any(|(a, b)| a.as_os_str() == "api" && b.as_os_str() == "news")
}

/// What a file is, judged by where it sits and its extension. `explicit` is
/// true for files named on the command line: those are taken as articles
/// (or news pages) whatever their name. `Err` is a file of ours that is left
/// alone, with the reason; `Ok(None)` a file that is not ours at all.
pub fn classify(path: &Path, explicit: bool) -> Result<Option<InputKind>, SkipReason> {
    let Some(ext) = extension(path) else { return Ok(None) };
    let in_topics = parent_dir_is(path, &["_data", "topics"]);
    let in_organizations = parent_dir_is(path, &["_data", "organizations"]);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    Ok(Some(match ext.as_str() {
        "yaml" | "yml" if in_topics => InputKind::TopicDefinition,
        "yaml" | "yml" if name.starts_with("_config.") => InputKind::SiteConfig,
        "md" if in_organizations => InputKind::OrganizationDefinition,
        "md" if explicit || is_article_name(path) => InputKind::Article,
        "md" => return Err(SkipReason::NotAnArticleName),
        "json" if explicit || is_news_page_path(path) => InputKind::JsonPage,
        "json" if path.components().any(|c| c.as_os_str() == "api") => return Err(SkipReason::NotANewsPage),
        _ => return Ok(None),
    }))
}

/// What [`discover`] found.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<InputFile>,
    /// Entries below the given directories that could not be walked (a
    /// symlink loop, an unreadable directory, a dangling link), each with its
    /// path and why; the walk went on past them.
    pub unwalkable: Vec<FileError>,
    /// Files of ours left alone while walking, with the reason.
    pub skipped: Vec<(SkipReason, PathBuf)>,
}

/// Expands files and directories (recursively) into input files: definition
/// files first (topics, then organizations) so articles find them, then
/// articles and JSON pages in sorted path order, so a later file's fields win
/// deterministically. Hidden entries are skipped. A path given that does not
/// exist is an error; a bad entry found while walking is reported in
/// [`Discovered::unwalkable`] and skipped.
pub fn discover(paths: &[PathBuf]) -> std::io::Result<Discovered> {
    let mut found = Discovered::default();
    for root in paths {
        let meta =
            std::fs::metadata(root).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", root.display())))?;
        if meta.is_file() {
            if let Ok(Some(kind)) = classify(root, true) {
                found.files.push(InputFile {
                    path: root.clone(),
                    kind,
                });
            }
            continue;
        }
        let walker = WalkDir::new(root).follow_links(true).into_iter().filter_entry(|entry| {
            entry.depth() == 0 || !entry.file_name().to_str().is_some_and(|n| n.starts_with('.'))
        });
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    found.unwalkable.push(unwalkable(root, &error));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            match classify(entry.path(), false) {
                Ok(Some(kind)) => found.files.push(InputFile {
                    path: entry.into_path(),
                    kind,
                }),
                Ok(None) => {}
                Err(reason) => found.skipped.push((reason, entry.into_path())),
            }
        }
    }
    found.files.sort_by(|a, b| {
        let rank = |k: InputKind| match k {
            InputKind::SiteConfig => 0,
            InputKind::TopicDefinition => 1,
            InputKind::OrganizationDefinition => 2,
            InputKind::Article | InputKind::JsonPage => 3,
        };
        rank(a.kind).cmp(&rank(b.kind)).then_with(|| a.path.cmp(&b.path))
    });
    found.files.dedup_by(|a, b| a.path == b.path);
    found.skipped.sort();
    found.skipped.dedup();
    Ok(found)
}

fn unwalkable(root: &Path, error: &walkdir::Error) -> FileError {
    let path = error.path().unwrap_or(root).display().to_string();
    let reason = match (error.loop_ancestor(), error.io_error()) {
        (Some(ancestor), _) => format!("symlink loop: leads back to {}", ancestor.display()),
        (None, Some(io)) => format!("cannot read: {io}"),
        (None, None) => error.to_string(),
    };
    FileError {
        path,
        field: "file".into(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_classified_by_place_and_name() {
        let c = |p: &str| classify(Path::new(p), false);
        assert_eq!(
            c("x/_data/topics/00-election.yaml"),
            Ok(Some(InputKind::TopicDefinition))
        );
        assert_eq!(
            c("x/_data/organizations/npr.org.md"),
            Ok(Some(InputKind::OrganizationDefinition))
        );
        assert_eq!(c("x/_news/2020-09-05-a-story.md"), Ok(Some(InputKind::Article)));
        assert_eq!(c("x/api/news/trump/page/1/index.json"), Ok(Some(InputKind::JsonPage)));
        assert_eq!(c("x/PROFILE.md"), Err(SkipReason::NotAnArticleName));
        assert_eq!(c("x/_config.yml"), Ok(Some(InputKind::SiteConfig)));
        assert_eq!(c("x/package.json"), Ok(None));
        assert_eq!(c("x/api/events/page/1/index.json"), Err(SkipReason::NotANewsPage));
        assert_eq!(
            c("x/api/learning/articles/who-can-vote/index.json"),
            Err(SkipReason::NotANewsPage)
        );
        assert_eq!(classify(Path::new("notes.md"), true), Ok(Some(InputKind::Article)));
    }
}
