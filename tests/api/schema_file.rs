//! The committed `schema.graphql` must equal what the server serves, and every type, field,
//! argument and enum value must be documented. Regenerate the file with
//! `cargo run -- schema > schema.graphql`.

use serde_json::Value;

#[test]
fn committed_sdl_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql exists at the repository root");
    assert!(
        committed == api::schema::sdl(),
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` and commit it"
    );
}

const INTROSPECTION: &str = "{ __schema { types {
  name kind description
  fields { name description args { name description } }
  enumValues { name description }
  inputFields { name description }
} } }";

fn documented(v: &Value) -> bool {
    v["description"]
        .as_str()
        .is_some_and(|d| !d.trim().is_empty())
}

#[tokio::test]
async fn every_type_field_argument_and_value_is_documented() {
    let response = api::schema::without_database().execute(INTROSPECTION).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("json");
    let mut missing = Vec::new();
    for ty in data["__schema"]["types"].as_array().expect("types") {
        let name = ty["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if !documented(ty) {
            missing.push(name.to_string());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let f = field["name"].as_str().unwrap_or_default();
            if !documented(field) {
                missing.push(format!("{name}.{f}"));
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if !documented(arg) {
                    missing.push(format!("{name}.{f}({})", arg["name"]));
                }
            }
        }
        for item in ty["enumValues"]
            .as_array()
            .into_iter()
            .chain(ty["inputFields"].as_array())
            .flatten()
        {
            if !documented(item) {
                missing.push(format!("{name}.{}", item["name"]));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}
