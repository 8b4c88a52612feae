//! No input a client can send is a server fault: malformed scalars and enums are refused with a
//! validation or `BAD_USER_INPUT` error naming the argument, never `INTERNAL` or a 5xx. The
//! issue's `updatedSince` cases first, then every argument of every root field, found by
//! introspection, with a malformed value of every kind.

use crate::on_each_backend;
use serde_json::{json, Map, Value};

/// Every list whose filter takes `updatedSince`.
const LISTS: [(&str, &str); 5] = [
    ("findings", "FindingFilter"),
    ("participantViews", "ViewFilter"),
    ("exercises", "ExerciseFilter"),
    ("resources", "ResourceFilter"),
    ("metrics", "MetricFilter"),
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
        let query = "query Org($org: ID!) { organisation(id: $org) { name } }";
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
