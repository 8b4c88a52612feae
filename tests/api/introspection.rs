//! Every client's own introspection document, sent exactly as the client sends it, must pass the
//! default limits and describe exactly the schema in the committed `schema.graphql`. The documents
//! live in tests/fixtures/introspection/, written by the clients' own code (see
//! tests/clients/introspection-fixtures.mjs and introspection_fixtures.py).
//!
//! The comparison is structural and exhaustive: both the SDL file (parsed) and the introspection
//! result are turned into the same model (every type, kind, description, field, argument, type
//! reference, default value, deprecation, interface, possible type, enum value, scalar URL, oneOf
//! flag and directive), and the two models must be equal. Attributes a client does not ask for
//! (say `specifiedByURL`) are left out of both sides for that client only.

use crate::helpers::{Backend, TestApp};
use async_graphql_parser::types::{
    BaseType, FieldDefinition, InputValueDefinition, Type, TypeKind, TypeSystemDefinition,
};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/introspection");
const BUILT_IN_SCALARS: [&str; 5] = ["Boolean", "Float", "ID", "Int", "String"];
/// Directives the specification defines; an SDL may leave their definitions out.
const BUILT_IN_DIRECTIVES: [&str; 5] = ["deprecated", "include", "oneOf", "skip", "specifiedBy"];
/// Model keys a client may not ask for, with the introspection key that tells whether it did.
const OPTIONAL_KEYS: [&str; 6] = [
    "specifiedByURL",
    "isOneOf",
    "isRepeatable",
    "inputIsDeprecated",
    "inputDeprecationReason",
    "schemaDescription",
];

fn committed_sdl() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql")
}

fn fixtures() -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::fs::read_dir(FIXTURES)
        .expect("fixture directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "graphql"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("fixture"))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn the_fixtures_cover_every_client() {
    let names: Vec<String> = fixtures().into_iter().map(|(name, _)| name).collect();
    for client in [
        "graphiql-",
        "graphql-js-16",
        "graphql-core-3",
        "gql-",
        "get-graphql-schema-",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(client)),
            "no fixture for {client}: {names:?}"
        );
    }
}

#[tokio::test]
async fn every_clients_introspection_passes_the_default_limits_and_matches_the_sdl() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    let expected = sdl_model(&committed_sdl());
    let mut saw_one_of = 0;
    for (name, document) in fixtures() {
        // Clients name the operation (GraphiQL and graphql-js send `IntrospectionQuery`).
        let res = app
            .client
            .post(format!("{}/graphql", app.address))
            .header(
                "accept",
                "application/graphql-response+json, application/json",
            )
            .json(&json!({"query": document, "operationName": "IntrospectionQuery"}))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 200, "{name}: HTTP status");
        let body: Value = res.json().await.expect("JSON");
        assert!(body.get("errors").is_none(), "{name}: {body}");
        if document.contains("isOneOf") {
            // The root lookups' `by:` input is a oneOf input object, and says so.
            let lookup = body["data"]["__schema"]["types"]
                .as_array()
                .and_then(|types| types.iter().find(|t| t["name"] == "Lookup"))
                .unwrap_or_else(|| panic!("{name}: no Lookup type"));
            assert_eq!(lookup["isOneOf"], true, "{name}: {lookup}");
            saw_one_of += 1;
        }
        let actual = introspection_model(&body["data"]["__schema"]);
        let expected = without_unasked(&expected, &actual);
        assert_model_eq(&name, &expected, &actual);
    }
    assert!(
        saw_one_of > 0,
        "a fixture asks for isOneOf (graphql-js with every option)"
    );
}

#[tokio::test]
async fn data_fields_are_still_limited_in_depth_and_introspection_in_nesting() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    // 13 levels of data fields, one more than the default limit.
    let deep = "{ exercises(first: 1) { nodes { findings(first: 1) { nodes { exercise {
        findings(first: 1) { nodes { exercise { findings(first: 1) { nodes { exercise {
        findings(first: 1) { totalCount } } } } } } } } } } } } }";
    assert_eq!(app.error_code(deep, json!({})).await, "QUERY_TOO_DEEP");
    // The same through a fragment, next to an introspection field that does not excuse it.
    let via_fragment = "{ __schema { queryType { name } } ...Deep }
        fragment Deep on Query { exercises(first: 1) { nodes { findings(first: 1) { nodes {
        exercise { findings(first: 1) { nodes { exercise { findings(first: 1) { nodes {
        exercise { findings(first: 1) { totalCount } } } } } } } } } } } } }";
    assert_eq!(
        app.error_code(via_fragment, json!({})).await,
        "QUERY_TOO_DEEP"
    );
    // Twelve levels pass.
    let allowed = "{ exercises(first: 1) { nodes { findings(first: 1) { nodes { exercise {
        findings(first: 1) { nodes { exercise { findings(first: 1) { nodes { exercise {
        title } } } } } } } } } } } }";
    assert!(app
        .graphql(allowed, json!({}))
        .await
        .get("errors")
        .is_none());
    // Introspection that nests the type lists three times multiplies its work at every level.
    let fan_out =
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    let body = app.graphql(fan_out, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_DEEP",
        "{body}"
    );
    let two = "{ __type(name: \"Query\") { fields { type { ofType { fields { name } } } } } }";
    assert!(app.graphql(two, json!({})).await.get("errors").is_none());
}

#[tokio::test]
async fn the_schema_and_every_custom_scalar_are_described_and_specified() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    let data = app
        .data(
            "{ __schema { description types { kind name description specifiedByURL } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["__schema"]["description"], api::schema::DESCRIPTION);
    let scalars: BTreeMap<String, (String, Value)> = list(&data["__schema"]["types"])
        .filter(|t| {
            t["kind"] == "SCALAR" && !BUILT_IN_SCALARS.contains(&t["name"].as_str().unwrap())
        })
        .map(|t| {
            let description = t["description"].as_str().unwrap_or_default().to_string();
            (
                t["name"].as_str().unwrap().to_string(),
                (description, t["specifiedByURL"].clone()),
            )
        })
        .collect();
    let urls: BTreeMap<&str, &str> = scalars
        .iter()
        .map(|(name, (_, url))| (name.as_str(), url.as_str().unwrap_or("(none)")))
        .collect();
    assert_eq!(
        urls,
        BTreeMap::from([
            ("DateTime", "https://datatracker.ietf.org/doc/html/rfc3339"),
            ("JSON", "https://www.rfc-editor.org/rfc/rfc8259"),
            ("PartialDate", "https://www.w3.org/TR/NOTE-datetime"),
        ])
    );
    for (name, (description, _)) in &scalars {
        assert!(description.len() > 40, "{name}: {description}");
        assert!(
            !description.starts_with("Implement"),
            "{name}: {description}"
        );
    }
}

// ---- the model ---------------------------------------------------------------------------------

type Model = BTreeMap<String, Value>;

fn type_string(ty: &Type) -> String {
    let base = match &ty.base {
        BaseType::Named(name) => name.to_string(),
        BaseType::List(inner) => format!("[{}]", type_string(inner)),
    };
    if ty.nullable {
        base
    } else {
        format!("{base}!")
    }
}

fn directive_arg(
    directives: &[async_graphql_parser::Positioned<async_graphql_parser::types::ConstDirective>],
    directive: &str,
    arg: &str,
) -> Option<Value> {
    let found = directives
        .iter()
        .find(|d| d.node.name.node.as_str() == directive)?;
    Some(
        found
            .node
            .get_argument(arg)
            .map(|v| v.node.clone().into_json().expect("json"))
            .unwrap_or(Value::Null),
    )
}

fn deprecation(
    directives: &[async_graphql_parser::Positioned<async_graphql_parser::types::ConstDirective>],
) -> (bool, Value) {
    match directive_arg(directives, "deprecated", "reason") {
        // The specification's default reason.
        Some(Value::Null) => (true, json!("No longer supported")),
        Some(reason) => (true, reason),
        None => (false, Value::Null),
    }
}

fn description(d: &Option<async_graphql_parser::Positioned<String>>) -> Value {
    d.as_ref()
        .map_or(Value::Null, |d| Value::String(d.node.clone()))
}

fn sdl_input_value(v: &InputValueDefinition) -> Value {
    let (deprecated, reason) = deprecation(&v.directives);
    json!({
        "name": v.name.node.as_str(),
        "description": description(&v.description),
        "type": type_string(&v.ty.node),
        "defaultValue": v.default_value.as_ref().map(|d| d.node.to_string()),
        "inputIsDeprecated": deprecated,
        "inputDeprecationReason": reason,
    })
}

fn sdl_field(f: &FieldDefinition) -> Value {
    let (deprecated, reason) = deprecation(&f.directives);
    json!({
        "name": f.name.node.as_str(),
        "description": description(&f.description),
        "args": sorted(f.arguments.iter().map(|a| sdl_input_value(&a.node)).collect()),
        "type": type_string(&f.ty.node),
        "isDeprecated": deprecated,
        "deprecationReason": reason,
    })
}

fn sorted(mut items: Vec<Value>) -> Value {
    items.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Value::Array(items)
}

fn names(items: impl IntoIterator<Item = String>) -> Value {
    let set: BTreeSet<String> = items.into_iter().collect();
    json!(set)
}

/// The description the SDL gives the schema itself: a block string right before `schema {`.
fn sdl_schema_description(sdl: &str) -> Value {
    let Some(at) = sdl.find("\nschema {") else {
        return Value::Null;
    };
    let before = sdl[..at].trim_end();
    if !before.ends_with("\"\"\"") {
        return Value::Null;
    }
    let body = &before[..before.len() - 3];
    let start = body.rfind("\"\"\"").expect("opening quotes");
    // A block string: common indentation and the first and last blank lines go.
    Value::String(body[start + 3..].trim_matches('\n').to_string())
}

/// The model of a schema written as SDL. The parser does not know schema descriptions, so one is
/// read separately and cut out before parsing.
fn sdl_model(sdl: &str) -> Model {
    let schema_description = sdl_schema_description(sdl);
    let parsable = match (&schema_description, sdl.find("\nschema {")) {
        (Value::String(_), Some(at)) => {
            let before = sdl[..at].trim_end();
            let start = before[..before.len() - 3].rfind("\"\"\"").unwrap();
            format!("{}{}", &sdl[..start], &sdl[at..])
        }
        _ => sdl.to_string(),
    };
    let document = async_graphql_parser::parse_schema(&parsable).expect("schema.graphql parses");
    let mut model = Model::new();
    let mut roots =
        json!({"query": "Query", "mutation": "Mutation", "subscription": "Subscription"});
    let mut implementors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut directives = Vec::new();
    for definition in &document.definitions {
        match definition {
            TypeSystemDefinition::Schema(schema) => {
                let s = &schema.node;
                roots = json!({
                    "query": s.query.as_ref().map(|n| n.node.to_string()),
                    "mutation": s.mutation.as_ref().map(|n| n.node.to_string()),
                    "subscription": s.subscription.as_ref().map(|n| n.node.to_string()),
                });
            }
            TypeSystemDefinition::Directive(d) => {
                let d = &d.node;
                directives.push(json!({
                    "name": d.name.node.as_str(),
                    "description": description(&d.description),
                    "isRepeatable": d.is_repeatable,
                    "locations": names(d.locations.iter().map(|l| location_name(&l.node))),
                    "args": sorted(d.arguments.iter().map(|a| sdl_input_value(&a.node)).collect()),
                }));
            }
            TypeSystemDefinition::Type(t) => {
                let t = &t.node;
                let name = t.name.node.to_string();
                let mut entry = Map::new();
                entry.insert("description".into(), description(&t.description));
                let kind = match &t.kind {
                    TypeKind::Scalar => {
                        entry.insert(
                            "specifiedByURL".into(),
                            directive_arg(&t.directives, "specifiedBy", "url")
                                .unwrap_or(Value::Null),
                        );
                        "SCALAR"
                    }
                    TypeKind::Object(o) => {
                        for i in &o.implements {
                            implementors
                                .entry(i.node.to_string())
                                .or_default()
                                .push(name.clone());
                        }
                        entry.insert(
                            "fields".into(),
                            sorted(o.fields.iter().map(|f| sdl_field(&f.node)).collect()),
                        );
                        entry.insert(
                            "interfaces".into(),
                            names(o.implements.iter().map(|i| i.node.to_string())),
                        );
                        "OBJECT"
                    }
                    TypeKind::Interface(i) => {
                        entry.insert(
                            "fields".into(),
                            sorted(i.fields.iter().map(|f| sdl_field(&f.node)).collect()),
                        );
                        entry.insert(
                            "interfaces".into(),
                            names(i.implements.iter().map(|i| i.node.to_string())),
                        );
                        entry.insert("possibleTypes".into(), json!([]));
                        "INTERFACE"
                    }
                    TypeKind::Union(u) => {
                        entry.insert(
                            "possibleTypes".into(),
                            names(u.members.iter().map(|m| m.node.to_string())),
                        );
                        "UNION"
                    }
                    TypeKind::Enum(e) => {
                        let values = e
                            .values
                            .iter()
                            .map(|v| {
                                let (deprecated, reason) = deprecation(&v.node.directives);
                                json!({
                                    "name": v.node.value.node.as_str(),
                                    "description": description(&v.node.description),
                                    "isDeprecated": deprecated,
                                    "deprecationReason": reason,
                                })
                            })
                            .collect();
                        entry.insert("enumValues".into(), sorted(values));
                        "ENUM"
                    }
                    TypeKind::InputObject(i) => {
                        entry.insert(
                            "inputFields".into(),
                            sorted(i.fields.iter().map(|f| sdl_input_value(&f.node)).collect()),
                        );
                        entry.insert(
                            "isOneOf".into(),
                            json!(t.directives.iter().any(|d| d.node.name.node == "oneOf")),
                        );
                        "INPUT_OBJECT"
                    }
                };
                entry.insert("kind".into(), json!(kind));
                model.insert(format!("type {name}"), Value::Object(entry));
            }
        }
    }
    for (interface, objects) in implementors {
        if let Some(Value::Object(entry)) = model.get_mut(&format!("type {interface}")) {
            entry.insert("possibleTypes".into(), names(objects));
        }
    }
    for directive in directives {
        model.insert(
            format!("directive @{}", directive["name"].as_str().unwrap()),
            directive,
        );
    }
    model.insert(
        "schema".into(),
        json!({"roots": roots, "schemaDescription": schema_description}),
    );
    model
}

fn location_name(location: &async_graphql_parser::types::DirectiveLocation) -> String {
    // The enum's Debug names are the specification's names in CamelCase.
    let camel = format!("{location:?}");
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn ref_string(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", ref_string(&ty["ofType"])),
        Some("LIST") => format!("[{}]", ref_string(&ty["ofType"])),
        _ => ty["name"].as_str().expect("named type").to_string(),
    }
}

/// Copies `key` from an introspection object into the model when the client asked for it.
fn copy_if_asked(entry: &mut Map<String, Value>, from: &Value, key: &str, as_key: &str) {
    if let Some(v) = from.get(key) {
        entry.insert(as_key.into(), v.clone());
    }
}

fn intro_input_value(v: &Value) -> Value {
    let mut entry = Map::new();
    entry.insert("name".into(), v["name"].clone());
    entry.insert("description".into(), v["description"].clone());
    entry.insert("type".into(), json!(ref_string(&v["type"])));
    entry.insert("defaultValue".into(), v["defaultValue"].clone());
    copy_if_asked(&mut entry, v, "isDeprecated", "inputIsDeprecated");
    copy_if_asked(&mut entry, v, "deprecationReason", "inputDeprecationReason");
    Value::Object(entry)
}

fn list(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

fn intro_names(v: &Value) -> Value {
    names(list(v).map(|t| t["name"].as_str().expect("name").to_string()))
}

/// The model of an introspection result (`data.__schema`).
fn introspection_model(schema: &Value) -> Model {
    let mut model = Model::new();
    for t in list(&schema["types"]) {
        let name = t["name"].as_str().expect("type name");
        if name.starts_with("__") || BUILT_IN_SCALARS.contains(&name) {
            continue;
        }
        let kind = t["kind"].as_str().expect("kind");
        let mut entry = Map::new();
        entry.insert("kind".into(), json!(kind));
        entry.insert("description".into(), t["description"].clone());
        match kind {
            "SCALAR" => copy_if_asked(&mut entry, t, "specifiedByURL", "specifiedByURL"),
            "OBJECT" | "INTERFACE" => {
                let fields = list(&t["fields"])
                    .map(|f| {
                        json!({
                            "name": f["name"],
                            "description": f["description"],
                            "args": sorted(list(&f["args"]).map(intro_input_value).collect()),
                            "type": ref_string(&f["type"]),
                            "isDeprecated": f["isDeprecated"],
                            "deprecationReason": f["deprecationReason"],
                        })
                    })
                    .collect();
                entry.insert("fields".into(), sorted(fields));
                entry.insert("interfaces".into(), intro_names(&t["interfaces"]));
                if kind == "INTERFACE" {
                    entry.insert("possibleTypes".into(), intro_names(&t["possibleTypes"]));
                }
            }
            "UNION" => {
                entry.insert("possibleTypes".into(), intro_names(&t["possibleTypes"]));
            }
            "ENUM" => {
                let values = list(&t["enumValues"])
                    .map(|v| {
                        json!({
                            "name": v["name"],
                            "description": v["description"],
                            "isDeprecated": v["isDeprecated"],
                            "deprecationReason": v["deprecationReason"],
                        })
                    })
                    .collect();
                entry.insert("enumValues".into(), sorted(values));
            }
            "INPUT_OBJECT" => {
                let fields = list(&t["inputFields"]).map(intro_input_value).collect();
                entry.insert("inputFields".into(), sorted(fields));
                copy_if_asked(&mut entry, t, "isOneOf", "isOneOf");
            }
            other => panic!("unexpected kind {other}"),
        }
        model.insert(format!("type {name}"), Value::Object(entry));
    }
    for d in list(&schema["directives"]) {
        let mut entry = Map::new();
        entry.insert("name".into(), d["name"].clone());
        entry.insert("description".into(), d["description"].clone());
        copy_if_asked(&mut entry, d, "isRepeatable", "isRepeatable");
        entry.insert(
            "locations".into(),
            names(list(&d["locations"]).map(|l| l.as_str().unwrap().to_string())),
        );
        entry.insert(
            "args".into(),
            sorted(list(&d["args"]).map(intro_input_value).collect()),
        );
        model.insert(
            format!("directive @{}", d["name"].as_str().unwrap()),
            Value::Object(entry),
        );
    }
    let root = |key: &str| schema[key]["name"].clone();
    let mut entry = Map::new();
    entry.insert(
        "roots".into(),
        json!({"query": root("queryType"), "mutation": root("mutationType"),
               "subscription": root("subscriptionType")}),
    );
    copy_if_asked(&mut entry, schema, "description", "schemaDescription");
    model.insert("schema".into(), Value::Object(entry));
    model
}

/// The SDL model restricted to what this client asked for. Whether it asked is read from the
/// first object of each kind in its answer, which always carries every key the document selects.
fn without_unasked(expected: &Model, actual: &Model) -> Model {
    let asked = |key: &str| {
        actual.values().any(|v| {
            v.get(key).is_some()
                || list(&v["fields"]).any(|f| list(&f["args"]).any(|a| a.get(key).is_some()))
                || list(&v["inputFields"]).any(|a| a.get(key).is_some())
                || list(&v["args"]).any(|a| a.get(key).is_some())
        })
    };
    let mut model = expected.clone();
    for key in OPTIONAL_KEYS {
        if !asked(key) {
            for v in model.values_mut() {
                strip(v, key);
            }
        }
    }
    model
}

fn strip(v: &mut Value, key: &str) {
    match v {
        Value::Object(map) => {
            map.remove(key);
            map.values_mut().for_each(|v| strip(v, key));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip(v, key)),
        _ => {}
    }
}

fn assert_model_eq(client: &str, expected: &Model, actual: &Model) {
    let mut differences = Vec::new();
    for (key, want) in expected {
        match actual.get(key) {
            None => differences.push(format!("{key}: missing from introspection")),
            Some(got) if got != want => differences.push(format!(
                "{key}:\n  SDL:           {want}\n  introspection: {got}"
            )),
            Some(_) => {}
        }
    }
    for key in actual.keys() {
        let built_in = key
            .strip_prefix("directive @")
            .is_some_and(|d| BUILT_IN_DIRECTIVES.contains(&d));
        if !expected.contains_key(key) && !built_in {
            differences.push(format!("{key}: in introspection but not in schema.graphql"));
        }
    }
    assert!(
        differences.is_empty(),
        "{client}: introspection differs from schema.graphql:\n{}",
        differences.join("\n")
    );
}
