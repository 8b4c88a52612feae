//! Persisted documents: Apollo's APQ protocol as Apollo clients drive it (hash first, then hash
//! and text), trusted documents loaded at start from a manifest the CLI writes or from a directory
//! of `.graphql` files, and the trusted-only mode that refuses anything else.

use crate::helpers::{Backend, TestApp};
use serde_json::{json, Value};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_public-voice");
const MISSIONS: &str = "query Missions { missions { code } }";

fn sha256(text: &str) -> String {
    api::persisted::document_id(text)
}

fn apq(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&body)
        .send()
        .await
        .expect("request");
    (res.status().as_u16(), res.json().await.expect("JSON"))
}

async fn get(app: &TestApp, params: &[(&str, String)]) -> (u16, Value) {
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(params)
        .send()
        .await
        .expect("request");
    (res.status().as_u16(), res.json().await.expect("JSON"))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("(none)")
}

#[tokio::test]
async fn apq_as_apollo_clients_drive_it_over_post_and_get() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    let expected = app.data(MISSIONS, json!({})).await;
    let hash = sha256(MISSIONS);

    // 1. The hash alone: unknown, so the client must send the text.
    let (status, body) = post(&app, json!({"extensions": apq(&hash)})).await;
    assert_eq!(status, 200);
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert!(body.get("data").is_none(), "{body}");

    // 2. Hash and text: checked, run and remembered.
    let (status, body) = post(&app, json!({"query": MISSIONS, "extensions": apq(&hash)})).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], expected);

    // 3. The hash alone now runs, over POST and over GET (how Apollo sends APQ queries).
    let (_, body) = post(&app, json!({"extensions": apq(&hash)})).await;
    assert_eq!(body["data"], expected);
    let (status, body) = get(&app, &[("extensions", apq(&hash).to_string())]).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], expected);

    // A text that does not match its hash is refused, and not remembered.
    let other = "{ themes(first: 1) { totalCount } }";
    let (status, body) = post(
        &app,
        json!({"query": other, "extensions": apq(&sha256("{ something else }"))}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "BAD_REQUEST");
    let (_, body) = post(
        &app,
        json!({"extensions": apq(&sha256("{ something else }"))}),
    )
    .await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");

    // A mutation named by hash is still refused over GET.
    let mutation = "mutation { revokeApiToken(name: \"x\") { name } }";
    post(
        &app,
        json!({"query": mutation, "extensions": apq(&sha256(mutation))}),
    )
    .await;
    let (status, _) = get(&app, &[("extensions", apq(&sha256(mutation)).to_string())]).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn apq_can_be_turned_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("PUBLIC_VOICE_APQ_CACHE_SIZE", "0")])
        .await
        .expect("sqlite");
    let hash = sha256(MISSIONS);
    let (_, body) = post(&app, json!({"extensions": apq(&hash)})).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_SUPPORTED");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotSupported");
    // Plain documents still run.
    app.data(MISSIONS, json!({})).await;
}

#[tokio::test]
async fn trusted_documents_from_the_cli_manifest_and_the_trusted_only_mode() {
    let dir = tempfile::tempdir().expect("dir");
    let docs = dir.path().join("documents");
    std::fs::create_dir_all(docs.join("nested")).unwrap();
    let themes = "query Themes {\n  themes(first: 2) { totalCount }\n}\n";
    std::fs::write(docs.join("missions.graphql"), MISSIONS).unwrap();
    std::fs::write(docs.join("nested").join("themes.graphql"), themes).unwrap();
    std::fs::write(docs.join("notes.txt"), "not a document").unwrap();

    let out = Command::new(BIN)
        .arg("persisted-manifest")
        .arg(&docs)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: Value = serde_json::from_slice(&out.stdout).expect("JSON manifest");
    assert_eq!(
        manifest,
        json!({ sha256(MISSIONS): MISSIONS, sha256(themes): themes })
    );
    let manifest_file = dir.path().join("manifest.json");
    std::fs::write(&manifest_file, &out.stdout).unwrap();

    for source in [manifest_file.to_str().unwrap(), docs.to_str().unwrap()] {
        let app = TestApp::spawn_with(
            Backend::Sqlite,
            &[
                ("PUBLIC_VOICE_TRUSTED_DOCUMENTS", source),
                ("PUBLIC_VOICE_ONLY_TRUSTED_DOCUMENTS", "true"),
            ],
        )
        .await
        .expect("sqlite");
        // A trusted document runs by hash (no registration needed) and by its exact text.
        let (_, by_hash) = post(&app, json!({"extensions": apq(&sha256(themes))})).await;
        assert_eq!(by_hash["data"]["themes"]["totalCount"], 20, "{by_hash}");
        let by_text = app.data(themes, json!({})).await;
        assert_eq!(by_text, by_hash["data"]);
        // Anything else is refused with a clear code, APQ registration included.
        let (status, body) = post(&app, json!({"query": "{ missions { code label } }"})).await;
        assert_eq!(status, 200);
        assert_eq!(code(&body), "PERSISTED_QUERY_REQUIRED", "{body}");
        assert!(body.get("data").is_none());
        let other = "{ missions { label } }";
        let (_, body) = post(
            &app,
            json!({"query": other, "extensions": apq(&sha256(other))}),
        )
        .await;
        assert_eq!(code(&body), "PERSISTED_QUERY_REQUIRED");
        let (_, body) = post(&app, json!({"extensions": apq(&sha256(other))})).await;
        assert_eq!(code(&body), "PERSISTED_QUERY_REQUIRED");
    }
}

#[tokio::test]
async fn a_bad_trusted_document_stops_the_server_from_starting() {
    let dir = tempfile::tempdir().expect("dir");
    let wrong = dir.path().join("wrong.json");
    std::fs::write(&wrong, json!({ sha256("{ a }"): "{ b }" }).to_string()).unwrap();
    let unparsable = dir.path().join("unparsable.json");
    std::fs::write(&unparsable, json!({ sha256("{ a "): "{ a " }).to_string()).unwrap();
    for (file, expected) in [(wrong, "does not match"), (unparsable, "does not parse")] {
        let db = crate::helpers::TestDb::create(Backend::Sqlite)
            .await
            .unwrap();
        let vars = [
            ("DATABASE_URL", db.url().to_string()),
            ("PUBLIC_VOICE_PORT", "0".to_string()),
            ("PUBLIC_VOICE_TRUSTED_DOCUMENTS", file.display().to_string()),
        ];
        let settings = api::settings::Settings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("settings");
        let err = match api::server::Application::build(&settings).await {
            Ok(_) => panic!("started with a bad trusted document"),
            Err(err) => err.to_string(),
        };
        assert!(err.contains(expected), "{err}");
    }
}
