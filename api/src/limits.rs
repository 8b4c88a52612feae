//! Limits on a GraphQL document, checked on the parsed document before validation or execution
//! (modelled on graphql-armor's defaults): aliases, directives, tokens, and fields selected again
//! under the same name in one selection set. Each is configurable; a document over a limit is
//! refused with the limit named in the message. The cost limit (complexity) is the engine's, with
//! the aggregate fields' costs set here in [`cost`].
//!
//! Introspection-only documents (every operation selects only `__schema`, `__type` or
//! `__typename` at its root) are exempt from the token limit up to [`INTROSPECTION_MAX_TOKENS`]:
//! graphql-js's full introspection query is longer than the default limit, and GraphiQL must
//! still load the schema. Tokens are counted on the text before parsing, so a document over both
//! is refused without being parsed.

use crate::errors::code;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{Pos, ServerError};
use std::collections::HashMap;

/// The costs the complexity limit (and the rate limit) gives to fields that do more work than
/// reading a column.
pub mod cost {
    /// `evidenceMap`, `findingMap`: a GROUP BY over every matching row, then the cell grid.
    pub const MAP: usize = 100;
    /// `search`: a full-text query ranked over the whole index, on top of its page's cost.
    pub const SEARCH: usize = 50;
    /// `counts` of an exercise or mission: several COUNT statements (batched per page).
    pub const COUNTS: usize = 10;
    /// `totalCount` of a connection: one COUNT statement (batched for nested lists).
    pub const TOTAL_COUNT: usize = 2;
}

/// The document limits a deployment configures.
#[derive(Clone, Copy, Debug)]
pub struct DocumentLimits {
    /// Most aliases in one document (`PUBLIC_VOICE_MAX_ALIASES`).
    pub max_aliases: usize,
    /// Most directives in one document (`PUBLIC_VOICE_MAX_DIRECTIVES`).
    pub max_directives: usize,
    /// Most lexical tokens in one document (`PUBLIC_VOICE_MAX_TOKENS`).
    pub max_tokens: usize,
    /// Most repeated selections of one response name in a selection set, summed over the
    /// document (`PUBLIC_VOICE_MAX_DUPLICATE_FIELDS`).
    pub max_duplicate_fields: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits {
            max_aliases: 15,
            max_directives: 50,
            max_tokens: 1000,
            max_duplicate_fields: 15,
        }
    }
}

/// Counts the GraphQL lexical tokens of `source` (punctuators, names, numbers, strings), skipping
/// what the grammar ignores (white space, commas, comments). Stops counting past `stop`.
pub fn count_tokens(source: &str, stop: usize) -> usize {
    let bytes = source.as_bytes();
    let mut i = 0;
    let mut n = 0;
    while i < bytes.len() && n <= stop {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' => {
                n += 1;
                if bytes[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                        i += if bytes[i..].starts_with(b"\\\"\"\"") {
                            4
                        } else {
                            1
                        };
                    }
                    i += 3;
                } else {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                n += 1;
                i += 3;
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                n += 1;
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
            }
            b'-' | b'0'..=b'9' => {
                n += 1;
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'.' | b'+' | b'-'))
                {
                    i += 1;
                }
            }
            _ => {
                // A punctuator, or a character the parser will refuse: one token either way.
                n += 1;
                i += source[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    n
}

/// What one walk of the document counts.
#[derive(Default)]
struct Counts {
    aliases: usize,
    directives: usize,
    duplicates: usize,
}

fn walk(set: &SelectionSet, counts: &mut Counts) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                if field.alias.is_some() {
                    counts.aliases += 1;
                }
                counts.directives += field.directives.len();
                let key = field.response_key().node.as_str();
                let times = seen.entry(key).or_default();
                if *times > 0 {
                    counts.duplicates += 1;
                }
                *times += 1;
                walk(&field.selection_set.node, counts);
            }
            Selection::FragmentSpread(spread) => {
                counts.directives += spread.node.directives.len();
            }
            Selection::InlineFragment(fragment) => {
                counts.directives += fragment.node.directives.len();
                walk(&fragment.node.selection_set.node, counts);
            }
        }
    }
}

/// Whether every operation selects only introspection fields at its root.
fn introspection_only(doc: &ExecutableDocument) -> bool {
    fn only_meta(set: &SelectionSet, doc: &ExecutableDocument, depth: usize) -> bool {
        depth < 8
            && set.items.iter().all(|s| match &s.node {
                Selection::Field(f) => f.node.name.node.starts_with("__"),
                Selection::InlineFragment(f) => {
                    only_meta(&f.node.selection_set.node, doc, depth + 1)
                }
                Selection::FragmentSpread(spread) => doc
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .is_some_and(|f| only_meta(&f.node.selection_set.node, doc, depth + 1)),
            })
    }
    doc.operations
        .iter()
        .all(|(_, op)| only_meta(&op.node.selection_set.node, doc, 0))
}

/// The most tokens an introspection-only document may have (it is exempt from the token limit
/// below this): several times graphql-js's full introspection query, and small enough that a
/// document over it is refused before it is parsed.
pub const INTROSPECTION_MAX_TOKENS: usize = 5000;

fn refuse(error_code: &str, message: String) -> ServerError {
    let mut error = ServerError::new(message, Some(Pos { line: 1, column: 1 }));
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", error_code);
    error
}

/// Checks a request's document against the limits. A document that does not parse is left to
/// the engine (which reports `GRAPHQL_PARSE_FAILED`), after the token limit. The document is
/// parsed once here and kept in the request, so the engine does not parse it again.
pub fn check(
    request: &mut async_graphql::Request,
    limits: &DocumentLimits,
) -> Result<(), ServerError> {
    // Counted on the text, before parsing: a document far over the limit costs no parse at all.
    let operation_name = request.operation_name.clone();
    let tokens = count_tokens(
        &request.query,
        INTROSPECTION_MAX_TOKENS.max(limits.max_tokens),
    );
    if tokens > INTROSPECTION_MAX_TOKENS.max(limits.max_tokens) {
        return Err(too_many_tokens(limits));
    }
    let Ok(doc) = request.parsed_query() else {
        if tokens > limits.max_tokens {
            return Err(too_many_tokens(limits));
        }
        return Ok(());
    };
    let mut counts = Counts::default();
    let operations: Vec<_> = match &doc.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.values().collect(),
    };
    for op in operations {
        counts.directives += op.node.directives.len();
        for variable in &op.node.variable_definitions {
            counts.directives += variable.node.directives.len();
        }
        walk(&op.node.selection_set.node, &mut counts);
    }
    for fragment in doc.fragments.values() {
        counts.directives += fragment.node.directives.len();
        walk(&fragment.node.selection_set.node, &mut counts);
    }
    if counts.aliases > limits.max_aliases {
        return Err(refuse(
            code::QUERY_TOO_COMPLEX,
            format!(
                "The document has {} aliases; the limit (PUBLIC_VOICE_MAX_ALIASES) is {}",
                counts.aliases, limits.max_aliases
            ),
        ));
    }
    if counts.duplicates > limits.max_duplicate_fields {
        return Err(refuse(
            code::QUERY_TOO_COMPLEX,
            format!(
                "The document selects {} fields again under a name already selected beside them; the limit (PUBLIC_VOICE_MAX_DUPLICATE_FIELDS) is {}",
                counts.duplicates, limits.max_duplicate_fields
            ),
        ));
    }
    if counts.directives > limits.max_directives {
        return Err(refuse(
            code::BAD_REQUEST,
            format!(
                "The document has {} directives; the limit (PUBLIC_VOICE_MAX_DIRECTIVES) is {}",
                counts.directives, limits.max_directives
            ),
        ));
    }
    // Last, so that a document over a more specific limit is told about that one.
    if tokens > limits.max_tokens && !introspection_only(doc) {
        return Err(too_many_tokens(limits));
    }
    // A required variable the request does not give is a request error (the specification's
    // variable coercion), named here; the engine would only fail the operation at run time.
    let operation = match (&doc.operations, operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    };
    let required: Vec<String> = operation
        .map(|op| {
            op.node
                .variable_definitions
                .iter()
                .filter(|v| !v.node.var_type.node.nullable && v.node.default_value.is_none())
                .map(|v| v.node.name.node.to_string())
                .collect()
        })
        .unwrap_or_default();
    if let Some(missing) = required.iter().find(|name| {
        !request
            .variables
            .contains_key(&async_graphql::Name::new(name.as_str()))
    }) {
        return Err(refuse(
            code::BAD_USER_INPUT,
            format!("Variable `${missing}` is required and was not given"),
        ));
    }
    Ok(())
}

fn too_many_tokens(limits: &DocumentLimits) -> ServerError {
    refuse(
        code::BAD_REQUEST,
        format!(
            "The document has more than {} tokens, the limit (PUBLIC_VOICE_MAX_TOKENS); introspection-only documents are exempt",
            limits.max_tokens
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_counted_as_the_grammar_reads_them() {
        assert_eq!(count_tokens("{ a }", 100), 3);
        assert_eq!(
            count_tokens("query($x: Int = -5) { a(b: \"c, d\") ...F }", 100),
            19
        );
        assert_eq!(count_tokens("# comment\n{ a, b }", 100), 4);
        assert_eq!(count_tokens("{ a(s: \"\"\"x \"y\" z\"\"\") }", 100), 8);
        assert_eq!(
            count_tokens("{ a b c d e f }", 3),
            4,
            "stops past the limit"
        );
    }

    fn checked(query: &str, limits: DocumentLimits) -> Result<(), String> {
        let mut request = async_graphql::Request::new(query);
        check(&mut request, &limits).map_err(|e| {
            format!(
                "{} {}",
                e.extensions
                    .as_ref()
                    .and_then(|x| x.get("code"))
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                e.message
            )
        })
    }

    #[test]
    fn each_limit_is_named_when_exceeded() {
        let limits = DocumentLimits {
            max_aliases: 2,
            max_directives: 2,
            max_tokens: 40,
            max_duplicate_fields: 1,
        };
        assert!(checked("{ a: x b: x }", limits).is_ok());
        let err = checked("{ a: x b: x c: x }", limits).unwrap_err();
        assert!(
            err.contains("QUERY_TOO_COMPLEX") && err.contains("PUBLIC_VOICE_MAX_ALIASES"),
            "{err}"
        );
        let err = checked("{ x @a @b y @c }", limits).unwrap_err();
        assert!(
            err.contains("BAD_REQUEST") && err.contains("PUBLIC_VOICE_MAX_DIRECTIVES"),
            "{err}"
        );
        assert!(checked("{ x x y { z } }", limits).is_ok());
        let err = checked("{ x x x }", limits).unwrap_err();
        assert!(err.contains("PUBLIC_VOICE_MAX_DUPLICATE_FIELDS"), "{err}");
        let long = format!(
            "{{ {} }}",
            (0..50)
                .map(|i| format!("f{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let err = checked(&long, limits).unwrap_err();
        assert!(
            err.contains("BAD_REQUEST") && err.contains("PUBLIC_VOICE_MAX_TOKENS"),
            "{err}"
        );
        let introspection = format!(
            "query Q {{ __schema {{ types {{ {} }} }} }} fragment F on __Type {{ name }}",
            "name ".repeat(50)
        );
        assert!(checked(
            &introspection,
            DocumentLimits {
                max_duplicate_fields: 100,
                ..limits
            }
        )
        .is_ok());
    }
}
