//! The depth limit, applied to data fields only. Every client's introspection document (graphql-js's
//! nine levels of `ofType`, GraphiQL's, `gql`'s) is deeper than a sensible limit for data, yet
//! walking the fixed, small schema is cheap, so introspection (`__schema`, `__type`) is not counted
//! against `PUBLIC_VOICE_MAX_QUERY_DEPTH`. What makes introspection expensive is nesting the fields
//! that list types (`types { fields { type { fields { ... } } } }` grows with every level), so
//! introspection is bounded by graphql-js's own `MaxIntrospectionDepthRule` instead: at most two
//! nested levels of `fields`, `interfaces`, `possibleTypes` and `inputFields`. The complexity limit
//! still counts every field, introspection included.
//!
//! Both transports run [`check`] on the parsed document, after the document limits and before
//! validation and execution (not as an engine extension: any extension puts every field of every
//! response through the engine's slower per-field path).

use crate::errors::code;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, ServerError};
use std::collections::{HashMap, HashSet};

/// The introspection fields that open a walk of the schema.
const INTROSPECTION_ROOTS: [&str; 2] = ["__schema", "__type"];
/// The introspection fields that list types; graphql-js refuses three nested levels of them.
const TYPE_LISTS: [&str; 4] = ["fields", "interfaces", "possibleTypes", "inputFields"];
const MAX_TYPE_LIST_NESTING: usize = 2;

/// The recursion depth past which the engine refuses a document itself (async-graphql's default
/// `limit_recursive_depth`); such a document is left to it, so that it gets the engine's error.
const ENGINE_RECURSION_LIMIT: usize = 32;

/// Refuses a document whose data fields nest deeper than `max_depth`, or whose introspection
/// nests the type-listing fields more than twice.
pub fn check(document: &ExecutableDocument, max_depth: usize) -> Result<(), ServerError> {
    if beyond_recursion(document, ENGINE_RECURSION_LIMIT) {
        return Ok(());
    }
    let depths = Depths::of(document);
    if depths.data > max_depth {
        return Err(too_deep(format!(
            "Query is nested too deep: {} levels of fields, the limit is {max_depth}",
            depths.data
        )));
    }
    if depths.type_lists > MAX_TYPE_LIST_NESTING {
        return Err(too_deep(format!(
            "Introspection is nested too deep: at most {MAX_TYPE_LIST_NESTING} nested levels \
             of `fields`, `interfaces`, `possibleTypes` and `inputFields`"
        )));
    }
    Ok(())
}

/// Whether the engine's own recursion check refuses the document: it counts every nested
/// selection set (fragments entered wherever they are spread) from the operation's, which is 0.
fn beyond_recursion(document: &ExecutableDocument, limit: usize) -> bool {
    fn walk(document: &ExecutableDocument, set: &SelectionSet, depth: usize, limit: usize) -> bool {
        if depth > limit {
            return true;
        }
        set.items.iter().any(|selection| match &selection.node {
            Selection::Field(field) => {
                let below = &field.node.selection_set.node;
                !below.items.is_empty() && walk(document, below, depth + 1, limit)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .is_some_and(|f| walk(document, &f.node.selection_set.node, depth + 1, limit)),
            Selection::InlineFragment(f) => {
                walk(document, &f.node.selection_set.node, depth + 1, limit)
            }
        })
    }
    document
        .operations
        .iter()
        .any(|(_, op)| walk(document, &op.node.selection_set.node, 0, limit))
}

fn too_deep(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code::QUERY_TOO_DEEP);
    error
}

/// The deepest nesting of a document's operations, with fragments expanded where they are spread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Depths {
    /// Levels of fields outside introspection (the root field counts as one).
    pub data: usize,
    /// Nested levels of type-listing fields inside any introspection field.
    pub type_lists: usize,
}

impl Depths {
    pub fn of(document: &ExecutableDocument) -> Depths {
        let mut walker = Walker {
            document,
            data_memo: HashMap::new(),
            lists_memo: HashMap::new(),
            visiting: HashSet::new(),
        };
        document
            .operations
            .iter()
            .map(|(_, op)| walker.data(&op.node.selection_set))
            .fold(Depths::default(), |a, b| Depths {
                data: a.data.max(b.data),
                type_lists: a.type_lists.max(b.type_lists),
            })
    }
}

/// Walks selection sets once per fragment (results are memoised by fragment name, so a document
/// that spreads fragments into each other many times costs no more than its size). A fragment spread
/// inside itself counts as empty: validation refuses such documents anyway.
struct Walker<'a> {
    document: &'a ExecutableDocument,
    data_memo: HashMap<&'a str, Depths>,
    lists_memo: HashMap<&'a str, usize>,
    visiting: HashSet<(&'a str, bool)>,
}

impl<'a> Walker<'a> {
    fn data(&mut self, set: &'a Positioned<SelectionSet>) -> Depths {
        let mut depths = Depths::default();
        for selection in &set.node.items {
            let here = match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if INTROSPECTION_ROOTS.contains(&name) {
                        Depths {
                            data: 0,
                            type_lists: self.lists(&field.node.selection_set),
                        }
                    } else {
                        let below = self.data(&field.node.selection_set);
                        Depths {
                            data: below.data + 1,
                            type_lists: below.type_lists,
                        }
                    }
                }
                Selection::InlineFragment(fragment) => self.data(&fragment.node.selection_set),
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if let Some(known) = self.data_memo.get(name) {
                        *known
                    } else if let Some(fragment) = self.document.fragments.get(name) {
                        if !self.visiting.insert((name, false)) {
                            continue;
                        }
                        let found = self.data(&fragment.node.selection_set);
                        self.visiting.remove(&(name, false));
                        self.data_memo.insert(name, found);
                        found
                    } else {
                        continue;
                    }
                }
            };
            depths.data = depths.data.max(here.data);
            depths.type_lists = depths.type_lists.max(here.type_lists);
        }
        depths
    }

    fn lists(&mut self, set: &'a Positioned<SelectionSet>) -> usize {
        let mut deepest = 0;
        for selection in &set.node.items {
            let here = match &selection.node {
                Selection::Field(field) => {
                    let counted = TYPE_LISTS.contains(&field.node.name.node.as_str());
                    self.lists(&field.node.selection_set) + usize::from(counted)
                }
                Selection::InlineFragment(fragment) => self.lists(&fragment.node.selection_set),
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if let Some(known) = self.lists_memo.get(name) {
                        *known
                    } else if let Some(fragment) = self.document.fragments.get(name) {
                        if !self.visiting.insert((name, true)) {
                            continue;
                        }
                        let found = self.lists(&fragment.node.selection_set);
                        self.visiting.remove(&(name, true));
                        self.lists_memo.insert(name, found);
                        found
                    } else {
                        continue;
                    }
                }
            };
            deepest = deepest.max(here);
        }
        deepest
    }
}

/// Whether any operation of the document selects `__schema` or `__type` (through fragments too).
/// `__typename` is not introspection of the schema: it names the object at hand.
pub fn introspects(document: &ExecutableDocument) -> bool {
    fn walk<'a>(
        document: &'a ExecutableDocument,
        set: &'a SelectionSet,
        seen: &mut HashSet<&'a str>,
    ) -> bool {
        set.items.iter().any(|selection| match &selection.node {
            Selection::Field(field) => {
                INTROSPECTION_ROOTS.contains(&field.node.name.node.as_str())
                    || walk(document, &field.node.selection_set.node, seen)
            }
            Selection::InlineFragment(f) => walk(document, &f.node.selection_set.node, seen),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                seen.insert(name)
                    && document
                        .fragments
                        .get(name)
                        .is_some_and(|f| walk(document, &f.node.selection_set.node, seen))
            }
        })
    }
    let mut seen = HashSet::new();
    document
        .operations
        .iter()
        .any(|(_, op)| walk(document, &op.node.selection_set.node, &mut seen))
}

#[cfg(test)]
mod tests {
    use super::Depths;

    fn depths(query: &str) -> Depths {
        Depths::of(&async_graphql::parser::parse_query(query).expect("parses"))
    }

    #[test]
    fn data_fields_count_and_introspection_does_not() {
        assert_eq!(depths("{ a { b { c } } }").data, 3);
        assert_eq!(
            depths("{ a ...F } fragment F on Q { b { c { d } } }").data,
            3
        );
        let mixed =
            depths("{ a { b } __schema { types { fields { type { ofType { name } } } } } }");
        assert_eq!(
            mixed,
            Depths {
                data: 2,
                type_lists: 1
            }
        );
    }

    #[test]
    fn nested_type_lists_are_counted_through_fragments() {
        let q = "{ __type(name: \"Q\") { ...T } } fragment T on __Type { fields { type { ...U } } }
                 fragment U on __Type { interfaces { possibleTypes { name } } }";
        assert_eq!(depths(q).type_lists, 3);
    }

    #[test]
    fn introspection_is_found_through_fragments_and_typename_is_not_introspection() {
        let parse = |q: &str| async_graphql::parser::parse_query(q).expect("parses");
        assert!(super::introspects(&parse(
            "{ a ...F } fragment F on Q { __type(name: \"A\") { name } }"
        )));
        assert!(super::introspects(&parse(
            "{ ... on Q { __schema { description } } }"
        )));
        assert!(!super::introspects(&parse(
            "{ __typename a { __typename } }"
        )));
    }

    #[test]
    fn fragment_cycles_end() {
        let q = "{ ...A } fragment A on Q { a { ...B } } fragment B on Q { b { ...A } }";
        assert_eq!(depths(q).data, 2);
    }
}
