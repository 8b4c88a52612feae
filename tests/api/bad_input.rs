//! No input a client can send is a server fault: malformed scalars and enums are refused with a
//! validation or `BAD_USER_INPUT` error naming the argument, never `INTERNAL` or a 5xx. The
//! issue's `updatedSince` cases first, then every argument of every root field, found by
//! introspection, with a malformed value of every kind; then every argument of every field of every
//! object type reachable from `Query`, reached through a path of fields over the seed corpus.

use crate::on_each_backend;
use serde_json::{json, Map, Value};

/// Every list whose filter takes `updatedSince`.
const LISTS: [(&str, &str); 6] = [
    ("findings", "FindingFilter"),
    ("participantViews", "ViewFilter"),
    ("exercises", "ExerciseFilter"),
    ("resources", "ResourceFilter"),
    ("metrics", "MetricFilter"),
    ("commitments", "CommitmentFilter"),
];

#[tokio::test]
async fn a_malformed_date_time_is_a_validation_error_naming_the_argument() {
    on_each_backend!(|app| {
        for (list, filter) in LISTS {
            for literal in ["\"yesterday\"", "\"2026-01-01\"", "\"\"", "5"] {
                let query =
                    format!("{{ {list}(filter: {{ updatedSince: {literal} }}) {{ totalCount }} }}");
                let body = app.graphql(&query, json!({})).await;
                let error = &body["errors"][0];
                assert_eq!(
                    error["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
                    "{query}: {body}"
                );
                assert!(
                    error["message"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("\"filter.updatedSince\""),
                    "{query}: {body}"
                );
            }
            for value in [json!("yesterday"), json!("2026-01-01"), json!(""), json!(5)] {
                let query = format!(
                    "query($d: DateTime) {{ {list}(filter: {{ updatedSince: $d }}) {{ totalCount }} }}"
                );
                let body = app.graphql(&query, json!({"d": value})).await;
                let error = &body["errors"][0];
                assert_eq!(
                    error["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
                    "{query} {value}: {body}"
                );
                assert!(
                    error["message"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("\"filter.updatedSince\""),
                    "{query} {value}: {body}"
                );
                // The filter object itself as a variable.
                let query =
                    format!("query($f: {filter}) {{ {list}(filter: $f) {{ totalCount }} }}");
                let body = app
                    .graphql(&query, json!({"f": {"updatedSince": value}}))
                    .await;
                assert_eq!(
                    body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
                    "{query} {value}: {body}"
                );
            }
            // A well-formed instant still filters.
            let query = format!("{{ {list}(filter: {{ updatedSince: \"2000-01-01T00:00:00Z\" }}) {{ totalCount }} }}");
            let data = app.data(&query, json!({})).await;
            assert!(
                data[list]["totalCount"].as_i64().is_some_and(|n| n > 0),
                "{query}: {data}"
            );
        }
    });
}

const INTROSPECT: &str = r#"{ __schema {
  queryType { name } mutationType { name }
  types { name kind enumValues { name } inputFields { name type { ...T } }
    fields { name args { name type { ...T } } type { ...T } } }
} }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

/// The named type under any list and non-null wrappers, and whether the outermost is non-null.
fn named(ty: &Value) -> (&str, &str) {
    let mut t = ty;
    while t["name"].is_null() {
        t = &t["ofType"];
    }
    (
        t["kind"].as_str().unwrap_or_default(),
        t["name"].as_str().unwrap_or_default(),
    )
}

fn types_by_name(schema: &Value) -> Map<String, Value> {
    schema["types"]
        .as_array()
        .expect("types")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or_default().to_string(),
                t.clone(),
            )
        })
        .collect()
}

/// A well-formed value for a required argument or input field, so that the malformed one under
/// test is what the server has to deal with.
fn plausible(ty: &Value, types: &Map<String, Value>, depth: usize) -> Value {
    if ty["kind"] == "NON_NULL" {
        return plausible(&ty["ofType"], types, depth);
    }
    if ty["kind"] == "LIST" {
        return json!([plausible(&ty["ofType"], types, depth)]);
    }
    let (kind, name) = named(ty);
    match (kind, name) {
        ("SCALAR", "Int") => json!(1),
        ("SCALAR", "Float") => json!(1.5),
        ("SCALAR", "Boolean") => json!(true),
        ("SCALAR", "DateTime") => json!("2030-01-01T00:00:00Z"),
        ("SCALAR", "PartialDate") => json!("2024"),
        ("SCALAR", "ID") => json!("RmluZGluZzox"),
        ("SCALAR", _) => json!("probe"),
        ("ENUM", _) => types[name]["enumValues"][0]["name"].clone(),
        ("INPUT_OBJECT", _) if depth < 4 => {
            let mut object = Map::new();
            for field in types[name]["inputFields"].as_array().into_iter().flatten() {
                if field["type"]["kind"] == "NON_NULL" {
                    object.insert(
                        field["name"].as_str().unwrap_or_default().to_string(),
                        plausible(&field["type"], types, depth + 1),
                    );
                }
            }
            Value::Object(object)
        }
        _ => json!({}),
    }
}

/// Malformed values of every kind: wrong type, wrong shape, out of range, not a known value.
fn malformed() -> Vec<Value> {
    vec![
        json!("not a valid value"),
        json!(""),
        json!(-1),
        json!(2_147_483_648i64),
        json!(1.5),
        json!(true),
        json!({"unknown": 1}),
        json!(["x", 1]),
        json!("2026-01-01"),
        json!("yesterday"),
        Value::Null,
    ]
}

/// GraphQL's spelling of a type reference (`[String!]!`).
fn type_ref(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_ref(&ty["ofType"])),
        Some("LIST") => format!("[{}]", type_ref(&ty["ofType"])),
        _ => ty["name"].as_str().unwrap_or_default().to_string(),
    }
}

#[tokio::test]
async fn every_argument_of_every_root_field_refuses_malformed_values_without_a_fault() {
    on_each_backend!(|app| {
        let admin = app.token("prober", "admin").await;
        let schema = app.data(INTROSPECT, json!({})).await["__schema"].clone();
        let types = types_by_name(&schema);
        let roots = [
            (
                "query",
                schema["queryType"]["name"]
                    .as_str()
                    .expect("query type")
                    .to_string(),
            ),
            (
                "mutation",
                schema["mutationType"]["name"]
                    .as_str()
                    .expect("mutation type")
                    .to_string(),
            ),
        ];
        let mut probes = 0;
        for (operation, root) in roots {
            for field in types[&root]["fields"].as_array().expect("fields") {
                let field_name = field["name"].as_str().unwrap_or_default();
                let args = field["args"].as_array().expect("args");
                let (kind, _) = named(&field["type"]);
                let selection = match kind {
                    "OBJECT" | "INTERFACE" | "UNION" => " { __typename }",
                    _ => "",
                };
                for arg in args {
                    for bad in malformed() {
                        // The argument under test comes as a variable of its own type; every other
                        // required argument gets a well-formed value.
                        let mut variables = Map::new();
                        let mut declared = Vec::new();
                        let mut passed = Vec::new();
                        for other in args {
                            let name = other["name"].as_str().unwrap_or_default();
                            let is_probe = other["name"] == arg["name"];
                            if !is_probe && other["type"]["kind"] != "NON_NULL" {
                                continue;
                            }
                            let value = if is_probe {
                                bad.clone()
                            } else {
                                plausible(&other["type"], &types, 0)
                            };
                            declared.push(format!("${name}: {}", type_ref(&other["type"])));
                            passed.push(format!("{name}: ${name}"));
                            variables.insert(name.to_string(), value);
                        }
                        let query = format!(
                            "{operation} Probe({}) {{ {field_name}({}){selection} }}",
                            declared.join(", "),
                            passed.join(", ")
                        );
                        let (status, body) = app
                            .graphql_as(&admin, &query, Value::Object(variables.clone()))
                            .await;
                        probes += 1;
                        assert!(status < 500, "{query} {variables:?}: HTTP {status} {body}");
                        for error in body["errors"].as_array().into_iter().flatten() {
                            assert_ne!(
                                error["extensions"]["code"], "INTERNAL",
                                "{query} {variables:?}: {body}"
                            );
                            assert!(error["extensions"]["code"].is_string(), "{query}: {body}");
                        }
                        // The same value written into the document.
                        if let Some(literal) = literal(&bad) {
                            let arg_name = arg["name"].as_str().unwrap_or_default();
                            let query = format!(
                                "{operation} {{ {field_name}({arg_name}: {literal}){selection} }}"
                            );
                            let (status, body) = app.graphql_as(&admin, &query, json!({})).await;
                            probes += 1;
                            assert!(status < 500, "{query}: HTTP {status} {body}");
                            for error in body["errors"].as_array().into_iter().flatten() {
                                assert_ne!(
                                    error["extensions"]["code"], "INTERNAL",
                                    "{query}: {body}"
                                );
                            }
                        }
                    }
                }
            }
        }
        println!(
            "{:?}: {probes} malformed requests, none a server fault",
            app.backend()
        );
        assert!(
            probes > 500,
            "the walk found the arguments ({probes} probes)"
        );
    });
}

/// The value as a GraphQL literal (objects and lists included); an enum-like bare word too.
fn literal(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).ok()?,
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .filter_map(literal)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(map) => format!(
            "{{ {} }}",
            map.iter()
                .filter_map(|(k, v)| Some(format!("{k}: {}", literal(v)?)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// A required variable the request leaves out is the client's error, named, before execution.
#[tokio::test]
async fn a_missing_required_variable_is_bad_user_input_naming_it() {
    on_each_backend!(|app| {
        let query = "query Org($org: ID!) { organisation(by: {id: $org}) { name } }";
        let body = app.graphql(query, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        assert_eq!(
            body["errors"][0]["message"], "Variable `$org` is required and was not given",
            "{body}"
        );
        assert!(body.get("data").is_none(), "{body}");
    });
}

const INTROSPECT_REACH: &str = r#"{ __schema {
  queryType { name }
  types { name kind enumValues { name } inputFields { name type { ...T } } possibleTypes { name }
    fields { name args { name type { ...T } } type { ...T } } }
} }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

/// A well-formed literal for the `nth` required argument met on the way to a type (an enum's `nth`
/// value, so that `rows:` and `columns:` differ; a small number; `true`), or `None` when no value
/// could be trusted to resolve (an ID, a string).
fn path_literal(ty: &Value, types: &Map<String, Value>, nth: usize) -> Option<String> {
    if ty["kind"] == "NON_NULL" {
        return path_literal(&ty["ofType"], types, nth);
    }
    match (ty["kind"].as_str()?, ty["name"].as_str()?) {
        ("SCALAR", "Int") => Some("2".to_string()),
        ("SCALAR", "Boolean") => Some("true".to_string()),
        ("ENUM", name) => {
            let values = types[name]["enumValues"].as_array()?;
            Some(
                values.get(nth % values.len().max(1))?["name"]
                    .as_str()?
                    .to_string(),
            )
        }
        _ => None,
    }
}

/// How each object type reachable from `Query` is reached: the opening of a document that selects
/// into it (`participantViews(first: 2) { nodes { `) and the braces that close it, found
/// breadth-first through fields whose required arguments take well-formed literals (lists are cut
/// to `first: 2`), and through `... on T` for an interface's or union's members.
fn paths_from_query(schema: &Value, types: &Map<String, Value>) -> Vec<(String, String, String)> {
    let root = schema["queryType"]["name"].as_str().expect("query type");
    let mut seen = std::collections::BTreeSet::from([root.to_string()]);
    let mut queue = std::collections::VecDeque::from([(root.to_string(), String::new(), 0usize)]);
    let mut paths = Vec::new();
    while let Some((type_name, opening, depth)) = queue.pop_front() {
        paths.push((type_name.clone(), opening.clone(), "} ".repeat(depth)));
        for field in types[&type_name]["fields"].as_array().into_iter().flatten() {
            let (kind, target) = named(&field["type"]);
            if !matches!(kind, "OBJECT" | "INTERFACE" | "UNION") || target.starts_with("__") {
                continue;
            }
            let mut args = Vec::new();
            let mut fillable = true;
            for arg in field["args"].as_array().into_iter().flatten() {
                let name = arg["name"].as_str().unwrap_or_default();
                if name == "first" {
                    args.push("first: 2".to_string());
                } else if arg["type"]["kind"] == "NON_NULL" {
                    match path_literal(&arg["type"], types, args.len()) {
                        Some(value) => args.push(format!("{name}: {value}")),
                        None => fillable = false,
                    }
                }
            }
            // A field whose arguments are all optional and not a list's is a lookup by key, which
            // finds nothing without one: the lists lead there instead. (The root lookups take a
            // required `by: Lookup!`, which is not filled in here, for the same reason.)
            let lookup = field["args"].as_array().is_some_and(|a| {
                !a.is_empty()
                    && a.iter()
                        .all(|arg| arg["type"]["kind"] != "NON_NULL" && arg["name"] != "first")
            });
            if !fillable || lookup {
                continue;
            }
            let call = match args.is_empty() {
                true => field["name"].as_str().unwrap_or_default().to_string(),
                false => format!(
                    "{}({})",
                    field["name"].as_str().unwrap_or_default(),
                    args.join(", ")
                ),
            };
            let members: Vec<String> = match kind {
                "OBJECT" => vec![target.to_string()],
                _ => types[target]["possibleTypes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t["name"].as_str().map(str::to_string))
                    .collect(),
            };
            for member in members {
                if !seen.insert(member.clone()) {
                    continue;
                }
                let (step, closes) = match kind {
                    "OBJECT" => (format!("{call} {{ "), 1),
                    _ => (format!("{call} {{ ... on {member} {{ "), 2),
                };
                queue.push_back((member, format!("{opening}{step}"), depth + closes));
            }
        }
    }
    paths
}

/// The malformed values of every kind, plus forged IDs and cursors, a page size far out of range
/// and malformed dates and JSON.
fn malformed_nested() -> Vec<Value> {
    let mut values = malformed();
    values.extend([
        json!(1_000_000_000),
        json!("Rm9yZ2VkOjE="),
        json!("RmluZGluZzo5OTk5OTk5OTk5OTk5OTk5OTk5OTk="),
        json!("2024-13-45"),
        json!("{not json"),
    ]);
    values
}

/// Every error in `body` has a code and none is `INTERNAL` (nor `RATE_LIMITED`, which would make
/// the walk vacuous); the status is below 500. Whether the request got past validation into
/// execution (it has `data`).
fn assert_no_fault(
    status: u16,
    body: &Value,
    what: &str,
    codes: &mut std::collections::BTreeMap<String, usize>,
) -> bool {
    assert!(status < 500, "{what}: HTTP {status} {body}");
    for error in body["errors"].as_array().into_iter().flatten() {
        let code = &error["extensions"]["code"];
        *codes
            .entry(code.as_str().unwrap_or_default().to_string())
            .or_default() += 1;
        assert!(code.is_string(), "{what}: {body}");
        assert_ne!(code, "INTERNAL", "{what}: {body}");
        assert_ne!(code, "RATE_LIMITED", "{what}: {body}");
    }
    body.get("data").is_some_and(|d| !d.is_null())
}

/// Every argument of every field of every object type reachable from `Query` (a finding's
/// `views(first:, filter:, order:)`, an exercise's `findings`, an evidence map cell's `views`...),
/// reached through a path of fields from `Query` over the seed corpus, refuses each kind of
/// malformed value, as a variable and written into the document, without a server fault.
#[tokio::test]
async fn every_argument_of_every_nested_field_refuses_malformed_values_without_a_fault() {
    on_each_backend!(|app| {
        let admin = app.token("prober", "admin").await;
        let schema = app.data(INTROSPECT_REACH, json!({})).await["__schema"].clone();
        let types = types_by_name(&schema);
        let root = schema["queryType"]["name"].as_str().expect("query type");
        let (mut fields, mut arguments, mut probes, mut executed) = (0, 0, 0, 0);
        let mut codes = std::collections::BTreeMap::new();
        let (mut walked_types, mut unreached) = (Vec::new(), Vec::new());
        for (type_name, opening, closing) in paths_from_query(&schema, &types) {
            if type_name == root {
                continue; // The root's own arguments are the other test's.
            }
            let with_args: Vec<&Value> = types[&type_name]["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["args"].as_array().is_some_and(|a| !a.is_empty()))
                .collect();
            if with_args.is_empty() {
                continue;
            }
            // The path really reaches an instance in the seed corpus, so the probes below run
            // the field's resolver rather than stopping at an empty list.
            let reach = format!("{{ {opening}__typename {closing}}}");
            let (_, body) = app.graphql_as(&admin, &reach, json!({})).await;
            if !body["data"]
                .to_string()
                .contains(&format!("\"__typename\":\"{type_name}\""))
            {
                unreached.push(format!("{type_name} via {reach}: {body}"));
                continue;
            }
            walked_types.push(type_name.clone());
            for field in with_args {
                fields += 1;
                let field_name = field["name"].as_str().unwrap_or_default();
                let args = field["args"].as_array().expect("args");
                let selection = match named(&field["type"]).0 {
                    "OBJECT" | "INTERFACE" | "UNION" => " { __typename }",
                    _ => "",
                };
                for arg in args {
                    arguments += 1;
                    let arg_name = arg["name"].as_str().unwrap_or_default();
                    for bad in malformed_nested() {
                        let mut variables = Map::new();
                        let mut declared = Vec::new();
                        let mut passed = Vec::new();
                        for other in args {
                            let name = other["name"].as_str().unwrap_or_default();
                            let is_probe = name == arg_name;
                            if !is_probe && other["type"]["kind"] != "NON_NULL" {
                                continue;
                            }
                            let value = match is_probe {
                                true => bad.clone(),
                                false => plausible(&other["type"], &types, 0),
                            };
                            declared.push(format!("$_{name}: {}", type_ref(&other["type"])));
                            passed.push(format!("{name}: $_{name}"));
                            variables.insert(format!("_{name}"), value);
                        }
                        let query = format!(
                            "query Probe({}) {{ {opening}{field_name}({}){selection} {closing}}}",
                            declared.join(", "),
                            passed.join(", ")
                        );
                        let variables = Value::Object(variables);
                        let (status, body) =
                            app.graphql_as(&admin, &query, variables.clone()).await;
                        probes += 1;
                        executed += usize::from(assert_no_fault(
                            status,
                            &body,
                            &format!("{query} {variables}"),
                            &mut codes,
                        ));
                        if let Some(literal) = literal(&bad) {
                            let query = format!(
                                "{{ {opening}{field_name}({arg_name}: {literal}){selection} {closing}}}"
                            );
                            let (status, body) = app.graphql_as(&admin, &query, json!({})).await;
                            probes += 1;
                            executed +=
                                usize::from(assert_no_fault(status, &body, &query, &mut codes));
                        }
                    }
                }
            }
        }
        println!(
            "{:?}: {} types ({}), {fields} fields, {arguments} arguments, {probes} malformed requests ({executed} past validation), none a server fault; error codes: {codes:?}",
            app.backend(),
            walked_types.len(),
            walked_types.join(", ")
        );
        // Every type with an argument-taking field is reached through the seed corpus.
        assert!(unreached.is_empty(), "not reached: {unreached:?}");
        assert!(executed > 0, "no malformed value got past validation");
        for expected in [
            "Finding",
            "Exercise",
            "EvidenceCell",
            "Organisation",
            "Theme",
        ] {
            assert!(
                walked_types.iter().any(|t| t == expected),
                "{expected} not walked: {walked_types:?}"
            );
        }
    });
}
