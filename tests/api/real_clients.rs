//! The clients our users run, against this build's server binary: GraphiQL in headless Chromium,
//! urql with graphql-ws, Apollo Client, Python `gql`, graphql-codegen, graphql-http's audits, every
//! GraphQL block of the README and the schema gate (`tests/clients/run.mjs`, which starts the
//! binary on fresh SQLite and PostgreSQL databases). Run here so that `cargo test` is the whole
//! suite. Needs Node with `npm ci` done in `tests/clients`, Chromium and a Python with `gql`
//! (`PYTHON`, else the venv `.ci/run` makes); without them it is skipped with a printed line, and
//! under `CI=true` it fails instead.

use std::path::{Path, PathBuf};
use std::process::Command;

fn ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"))
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PYTHON") {
        return PathBuf::from(p);
    }
    let venv = std::env::var_os("HOME")
        .map(|home| Path::new(&home).join(".cache/public-voice/clients-venv/bin/python"));
    match venv {
        Some(v) if v.exists() => v,
        _ => PathBuf::from("python3"),
    }
}

#[test]
fn the_real_clients_work_against_the_real_server() {
    let clients = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok || !clients.join("node_modules").exists() {
        let why = "the real-client checks need Node and `npm ci` in tests/clients";
        assert!(!ci(), "{why}");
        println!("skipping: {why}");
        return;
    }
    let status = Command::new("node")
        .arg("run.mjs")
        .current_dir(&clients)
        .env("PUBLIC_VOICE_BIN", env!("CARGO_BIN_EXE_public-voice"))
        .env("PYTHON", python())
        .status()
        .expect("run node");
    assert!(status.success(), "the real-client checks failed: {status}");
    // The breaking-change gate: schema.graphql against its previous committed version.
    let status = Command::new("node")
        .arg("schema-gate.mjs")
        .current_dir(&clients)
        .status()
        .expect("run node");
    assert!(status.success(), "the schema gate failed: {status}");
}
