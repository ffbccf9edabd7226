//! Who is asking, and what they may see: the one place that decides it.
//!
//! Anonymous callers see published articles only. For them an unpublished
//! article does not exist: it is absent from every list, count and relation,
//! and looking it up by id, slug or URL answers null. Editors (with the
//! editorial work, through a bearer token) see everything, including the
//! score breakdown and the editor's name on an override.
//! Bearer tokens map to viewers in [`Viewer::for_principal`].
//!
//! Every article query in `sql/` takes its visibility from here, either as a
//! literal predicate (feeds: a literal `a.published` lets PostgreSQL use the
//! partial feed indexes) or as a bound flag (lookups by key).

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Viewer {
    /// No credentials: published content only.
    #[default]
    Anonymous,
    /// An editor, named by their token: every article, editorial detail.
    Editor { name: String },
}

impl Viewer {
    /// The caller without credentials.
    pub fn anonymous() -> Self {
        Self::Anonymous
    }

    /// An editor; the auth layer builds this from a valid editor token.
    pub fn editor(name: impl Into<String>) -> Self {
        Self::Editor { name: name.into() }
    }

    /// The viewer of an authenticated caller (or of an anonymous one):
    /// `editor` and `admin` tokens see what editors see; `ingest` tokens see
    /// what anonymous callers see.
    pub fn for_principal(principal: Option<&newsgraph_shared::auth::Principal>) -> Self {
        match principal {
            Some(p) if p.role.allows(newsgraph_shared::auth::Role::Editor) => Self::editor(p.name.clone()),
            _ => Self::Anonymous,
        }
    }

    /// Whether an article in this publication state exists for this caller
    /// (for checks in Rust, e.g. of subscription events).
    pub fn sees_article(&self, published: bool) -> bool {
        published || self.sees_unpublished()
    }

    /// Whether unpublished articles exist for this caller.
    pub fn sees_unpublished(&self) -> bool {
        matches!(self, Self::Editor { .. })
    }

    /// Whether score breakdowns and editors' names are shown.
    pub fn sees_editorial_detail(&self) -> bool {
        matches!(self, Self::Editor { .. })
    }

    /// The article predicate for dynamic (feed) SQL, on the alias `a`.
    pub(crate) fn article_predicate(&self) -> &'static str {
        if self.sees_unpublished() { "true" } else { "a.published" }
    }

    /// The flag bound to `($n or a.published)` in static lookups.
    pub(crate) fn all_articles_flag(&self) -> bool {
        self.sees_unpublished()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_sees_published_only_and_editors_see_all() {
        assert_eq!(Viewer::anonymous().article_predicate(), "a.published");
        assert!(!Viewer::anonymous().all_articles_flag());
        assert_eq!(Viewer::editor("e").article_predicate(), "true");
        assert!(Viewer::editor("e").sees_editorial_detail());
    }
}
