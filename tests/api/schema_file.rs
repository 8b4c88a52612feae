//! The committed `schema.graphql` must equal what the server serves. Regenerate it with
//! `cargo run -- schema > schema.graphql`.

#[test]
fn committed_sdl_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql exists at the repository root");
    let current = api::schema::sdl();
    assert!(
        committed == current,
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` and commit it"
    );
}

#[test]
fn every_type_field_and_argument_is_documented() {
    // Introspection-free check on the SDL: every definition line is preceded by a description.
    let sdl = api::schema::sdl();
    let mut undocumented = Vec::new();
    let mut previous = "";
    for line in sdl.lines() {
        let t = line.trim();
        let is_definition = t.starts_with("type ")
            || t.starts_with("enum ")
            || t.starts_with("interface ")
            || t.starts_with("scalar ")
            || t.starts_with("input ")
            || t.starts_with("union ")
            || (line.starts_with('\t') && !t.is_empty() && !t.starts_with('"') && !t.starts_with('}') && !t.starts_with('#') && !t.starts_with(')'));
        let builtin = t.starts_with("schema") || t.starts_with("directive") || t.starts_with("query:") || t.starts_with("scalar DateTime") ;
        if is_definition && !builtin && !previous.ends_with('"') {
            undocumented.push(t.to_string());
        }
        previous = t;
    }
    assert!(undocumented.is_empty(), "undocumented: {undocumented:#?}");
}
