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

/// What a file is, judged by where it sits and its extension. `explicit` is
/// true for files named on the command line: those are taken as articles
/// whatever their name.
pub fn classify(path: &Path, explicit: bool) -> Option<InputKind> {
    let ext = extension(path)?;
    let in_topics = parent_dir_is(path, &["_data", "topics"]);
    let in_organizations = parent_dir_is(path, &["_data", "organizations"]);
    match ext.as_str() {
        "yaml" | "yml" if in_topics => Some(InputKind::TopicDefinition),
        "md" if in_organizations => Some(InputKind::OrganizationDefinition),
        "md" if explicit || is_article_name(path) => Some(InputKind::Article),
        "json" if explicit || path.components().any(|c| c.as_os_str() == "api") => Some(InputKind::JsonPage),
        _ => None,
    }
}

/// What [`discover`] found.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<InputFile>,
    /// Entries below the given directories that could not be walked (a
    /// symlink loop, an unreadable directory, a dangling link), each with its
    /// path and why; the walk went on past them.
    pub unwalkable: Vec<FileError>,
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
            if let Some(kind) = classify(root, true) {
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
            if entry.file_type().is_file()
                && let Some(kind) = classify(entry.path(), false)
            {
                found.files.push(InputFile {
                    path: entry.into_path(),
                    kind,
                });
            }
        }
    }
    found.files.sort_by(|a, b| {
        let rank = |k: InputKind| match k {
            InputKind::TopicDefinition => 0,
            InputKind::OrganizationDefinition => 1,
            InputKind::Article | InputKind::JsonPage => 2,
        };
        rank(a.kind).cmp(&rank(b.kind)).then_with(|| a.path.cmp(&b.path))
    });
    found.files.dedup_by(|a, b| a.path == b.path);
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
        assert_eq!(c("x/_data/topics/00-election.yaml"), Some(InputKind::TopicDefinition));
        assert_eq!(
            c("x/_data/organizations/npr.org.md"),
            Some(InputKind::OrganizationDefinition)
        );
        assert_eq!(c("x/_news/2020-09-05-a-story.md"), Some(InputKind::Article));
        assert_eq!(c("x/api/news/trump/page/1/index.json"), Some(InputKind::JsonPage));
        assert_eq!(c("x/PROFILE.md"), None);
        assert_eq!(c("x/_config.yml"), None);
        assert_eq!(c("x/package.json"), None);
        assert_eq!(classify(Path::new("notes.md"), true), Some(InputKind::Article));
    }
}
