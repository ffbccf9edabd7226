//! Limits on the shape of a query document, checked before async-graphql
//! validates it: how many selections it has once every fragment spread is
//! expanded, how many aliases, how deep its fields nest, and how often
//! introspection lists a type's members within members.
//!
//! async-graphql's own checks (recursion depth, validation rules,
//! complexity and depth) expand fragment spreads inline without remembering
//! what they already expanded: a few lines of fragments that each spread
//! the next one twice expand to 2^30 selections, and checking them would
//! hold a server thread for minutes. This check computes each fragment's
//! size once, so it costs time linear in the document's length, and refuses
//! such documents before anything else looks at them. Aliases are counted
//! because each alias of a field resolves it again: a thousand aliases of a
//! cheap-looking field are a thousand SQL statements.
//!
//! Depth does not count introspection's `ofType`: a type reference nests
//! only as deep as its list and non-null wrappers, then answers null, so
//! those levels cost nothing — and GraphiQL's own introspection query
//! (graphql-js 16) nests `ofType` nine levels deep, past any depth limit
//! that still means something for data. What can cost is a type's members
//! listed within members (`fields { type { fields { type { fields ...`):
//! each level multiplies the answer by the schema's width, so at most one
//! of `fields`, `inputFields`, `interfaces`, `possibleTypes` and
//! `enumValues` may appear along any path (as in graphql-java's "good faith
//! introspection"); the standard introspection query needs no more. Our
//! own schema has no fields by those names.

use crate::graphql::errors::ErrorCode;
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, Request, ServerError, ServerResult};

use crate::graphql::errors::server_error;

/// Most selections (fields, fragment spreads, inline fragments) an operation
/// or fragment may have with its fragment spreads expanded. GraphiQL's
/// introspection query has about 200.
pub const MAX_SELECTIONS: usize = 2_000;
/// Most aliased fields an operation or fragment may have, spreads expanded.
pub const MAX_ALIASES: usize = 50;
/// Deepest nesting of fields (introspection's `ofType` not counted).
pub const MAX_DEPTH: usize = 12;
/// Introspection fields that list a type's members; at most one of them
/// along any path.
const MEMBER_LISTS: [&str; 5] = ["fields", "inputFields", "interfaces", "possibleTypes", "enumValues"];

/// The size of a selection set with its fragment spreads expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    pub selections: usize,
    pub aliases: usize,
    /// Deepest field nesting below (and including) this set.
    pub depth: usize,
    /// Most [`MEMBER_LISTS`] fields along one path.
    pub member_lists: usize,
}

impl Size {
    /// The size of two sibling selections together.
    fn add(self, other: Size) -> Size {
        Size {
            selections: self.selections.saturating_add(other.selections),
            aliases: self.aliases.saturating_add(other.aliases),
            depth: self.depth.max(other.depth),
            member_lists: self.member_lists.max(other.member_lists),
        }
    }
}

/// Refuses a document one of whose operations or fragments is over
/// [`MAX_SELECTIONS`], [`MAX_ALIASES`] or [`MAX_DEPTH`], or nests
/// introspection member lists (`QUERY_TOO_COMPLEX`), or whose fragments
/// spread each other in a cycle (`GRAPHQL_VALIDATION_FAILED`).
pub fn check(doc: &ExecutableDocument) -> Result<(), ServerError> {
    let mut sizes = Sizes {
        doc,
        fragments: HashMap::new(),
    };
    for name in doc.fragments.keys() {
        let size = sizes.fragment(name.as_str())?;
        within_limits(size, &format!("fragment `{name}`"))?;
    }
    let operations: Vec<_> = match &doc.operations {
        DocumentOperations::Single(op) => vec![("the operation".to_string(), op)],
        DocumentOperations::Multiple(ops) => ops
            .iter()
            .map(|(name, op)| (format!("operation `{name}`"), op))
            .collect(),
    };
    for (what, op) in operations {
        let size = sizes.selection_set(&op.node.selection_set)?;
        within_limits(size, &what)?;
    }
    Ok(())
}

fn within_limits(size: Size, what: &str) -> Result<(), ServerError> {
    if size.selections > MAX_SELECTIONS {
        return Err(server_error(
            ErrorCode::QueryTooComplex,
            format!(
                "{what} has {} selections once its fragments are expanded; at most {MAX_SELECTIONS} are allowed",
                shown(size.selections)
            ),
        ));
    }
    if size.aliases > MAX_ALIASES {
        return Err(server_error(
            ErrorCode::QueryTooComplex,
            format!(
                "{what} uses {} aliases; at most {MAX_ALIASES} are allowed",
                shown(size.aliases)
            ),
        ));
    }
    if size.depth > MAX_DEPTH {
        return Err(server_error(
            ErrorCode::QueryTooComplex,
            format!(
                "{what} nests fields {} levels deep; at most {MAX_DEPTH} are allowed",
                shown(size.depth)
            ),
        ));
    }
    if size.member_lists > 1 {
        return Err(server_error(
            ErrorCode::QueryTooComplex,
            format!(
                "{what} lists introspection members within members ({} levels of {}); \
                 at most one level is allowed",
                shown(size.member_lists),
                MEMBER_LISTS.join(", ")
            ),
        ));
    }
    Ok(())
}

/// A count that may have saturated.
fn shown(n: usize) -> String {
    if n == usize::MAX {
        "too many".to_string()
    } else {
        n.to_string()
    }
}

struct Sizes<'a> {
    doc: &'a ExecutableDocument,
    /// Computed sizes; `None` while a fragment is being computed (seeing it
    /// again then means a cycle).
    fragments: HashMap<&'a str, Option<Size>>,
}

impl<'a> Sizes<'a> {
    fn fragment(&mut self, name: &'a str) -> Result<Size, ServerError> {
        match self.fragments.get(name) {
            Some(Some(size)) => return Ok(*size),
            Some(None) => {
                return Err(server_error(
                    ErrorCode::ValidationFailed,
                    format!("fragment `{name}` spreads itself (directly or through other fragments)"),
                ));
            }
            None => {}
        }
        // An unknown fragment is left to validation, which names it.
        let Some(fragment) = self.doc.fragments.get(name) else {
            return Ok(Size::default());
        };
        self.fragments.insert(name, None);
        let size = self.selection_set(&fragment.node.selection_set)?;
        self.fragments.insert(name, Some(size));
        Ok(size)
    }

    fn selection_set(&mut self, set: &'a Positioned<SelectionSet>) -> Result<Size, ServerError> {
        let mut total = Size::default();
        for selection in &set.node.items {
            let own = Size {
                selections: 1,
                ..Size::default()
            };
            let size = match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let inner = self.selection_set(&field.node.selection_set)?;
                    Size {
                        selections: inner.selections.saturating_add(1),
                        aliases: inner.aliases.saturating_add(usize::from(field.node.alias.is_some())),
                        depth: inner.depth.saturating_add(usize::from(name != "ofType")),
                        member_lists: inner
                            .member_lists
                            .saturating_add(usize::from(MEMBER_LISTS.contains(&name))),
                    }
                }
                Selection::FragmentSpread(spread) => own.add(self.fragment(spread.node.fragment_name.node.as_str())?),
                Selection::InlineFragment(inline) => own.add(self.selection_set(&inline.node.selection_set)?),
            };
            total = total.add(size);
        }
        Ok(total)
    }
}

/// The schema extension that runs [`check`] on every request (HTTP and
/// WebSocket) before async-graphql's own checks. Add it after the persisted
/// queries extension, so that a query found by its hash is checked too.
pub struct QueryLimits;

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryLimitsExtension)
    }
}

struct QueryLimitsExtension;

#[async_trait::async_trait]
impl Extension for QueryLimitsExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let doc = request
            .parsed_query()
            .map_err(|error| server_error(ErrorCode::ParseFailed, error.message))?;
        check(doc)?;
        next.run(ctx, request).await
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn code_and_message(query: &str) -> Option<(String, String)> {
        let doc = parse_query(query).expect("the test query parses");
        check(&doc).err().map(|error| {
            (
                crate::graphql::errors::code_of(&error).unwrap_or("none").to_string(),
                error.message,
            )
        })
    }

    #[test]
    fn ordinary_queries_pass() {
        let feed = "query Feed($slug: String!) { topic(slug: $slug) { name articles(first: 20) { \
                    nodes { id title provider { name } images { url } topics { slug } related { title } } } } }";
        assert_eq!(code_and_message(feed), None);
        let aliased = "{ a: topic(slug: \"a\") { ...T } b: topic(slug: \"b\") { ...T } } fragment T on Topic { name }";
        assert_eq!(code_and_message(aliased), None);
    }

    #[test]
    fn the_graphiql_introspection_query_passes() {
        assert_eq!(code_and_message(INTROSPECTION), None);
    }

    #[test]
    fn depth_counts_fields_through_fragments_but_not_of_type() {
        let related = |levels: usize| {
            let mut inner = String::from("title");
            for _ in 0..levels {
                inner = format!("related {{ {inner} }}");
            }
            format!("{{ article(slug: \"x\") {{ ...A }} }} fragment A on Article {{ {inner} }}")
        };
        // article + 10 related + title = 12 levels
        assert_eq!(code_and_message(&related(10)), None);
        let (code, message) = code_and_message(&related(11)).unwrap();
        assert_eq!(code, "QUERY_TOO_COMPLEX");
        assert_eq!(
            message,
            "the operation nests fields 13 levels deep; at most 12 are allowed"
        );
        let of_types = format!(
            "{{ __type(name: \"Article\") {{ {}kind{} }} }}",
            "ofType { ".repeat(30),
            " }".repeat(30)
        );
        assert_eq!(code_and_message(&of_types), None);
    }

    #[test]
    fn nested_member_lists_in_introspection_are_too_complex() {
        let query = "{ __type(name: \"Article\") { fields { type { fields { name } } } } }";
        let (code, message) = code_and_message(query).unwrap();
        assert_eq!(code, "QUERY_TOO_COMPLEX");
        assert!(message.contains("2 levels of fields, inputFields"), "{message}");
        let through_fragment =
            "{ __schema { types { ...T } } } fragment T on __Type { possibleTypes { interfaces { name } } }";
        assert_eq!(code_and_message(through_fragment).unwrap().0, "QUERY_TOO_COMPLEX");
    }

    #[test]
    fn an_alias_bomb_is_too_complex() {
        let fields: Vec<String> = (0..1000).map(|i| format!("a{i}: topics {{ slug }}")).collect();
        let (code, message) = code_and_message(&format!("{{ {} }}", fields.join(" "))).unwrap();
        assert_eq!(code, "QUERY_TOO_COMPLEX");
        assert_eq!(message, "the operation uses 1000 aliases; at most 50 are allowed");
    }

    #[test]
    fn aliases_inside_fragments_count_once_per_spread() {
        let fields: Vec<String> = (0..10).map(|i| format!("a{i}: name")).collect();
        let spreads = "...T ".repeat(6);
        let query = format!(
            "{{ topics {{ {spreads} }} }} fragment T on Topic {{ {} }}",
            fields.join(" ")
        );
        let (code, message) = code_and_message(&query).unwrap();
        assert_eq!(code, "QUERY_TOO_COMPLEX");
        assert!(message.contains("60 aliases"), "{message}");
    }

    #[test]
    fn an_exponential_fragment_tree_is_refused_quickly() {
        // F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^40 selections.
        let mut query = String::from("{ topics { ...F0 } }");
        for level in 0..40 {
            query.push_str(&format!(
                " fragment F{level} on Topic {{ ...F{next} ...F{next} }}",
                next = level + 1
            ));
        }
        query.push_str(" fragment F40 on Topic { name }");
        let (code, message) = code_and_message(&query).unwrap();
        assert_eq!(code, "QUERY_TOO_COMPLEX");
        assert!(
            message.contains("selections once its fragments are expanded"),
            "{message}"
        );
    }

    #[test]
    fn a_fragment_cycle_is_a_validation_error() {
        let query = "{ topics { ...A } } fragment A on Topic { name ...B } fragment B on Topic { ...A }";
        let (code, message) = code_and_message(query).unwrap();
        assert_eq!(code, "GRAPHQL_VALIDATION_FAILED");
        assert!(message.contains("spreads itself"), "{message}");
    }

    #[test]
    fn an_unused_exploding_fragment_is_refused_too() {
        let mut query = String::from("{ topics { name } }");
        for level in 0..30 {
            query.push_str(&format!(
                " fragment F{level} on Topic {{ ...F{next} ...F{next} ...F{next} }}",
                next = level + 1
            ));
        }
        query.push_str(" fragment F30 on Topic { name }");
        assert_eq!(code_and_message(&query).unwrap().0, "QUERY_TOO_COMPLEX");
    }

    /// GraphiQL 4's introspection query: graphql-js 16's
    /// `getIntrospectionQuery` with every option GraphiQL turns on.
    const INTROSPECTION: &str = include_str!("../../tests/introspection.graphql");
}
