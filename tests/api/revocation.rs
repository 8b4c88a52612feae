//! Revocation and expiry bite at once: a revoked or expired token closes every WebSocket that
//! authenticated with it (4403), on every replica, and an operation sent on such a socket is
//! refused. The revoke-to-close latency is printed (never asserted: speed is not a test's job).

use crate::helpers::{Backend, TestDb};
use crate::on_each_backend;
use crate::subscriptions::{
    authorised, closed, initialised, round_trip, start_replica, subscribe_to_publications, Ws,
};
use futures_util::SinkExt;
use serde_json::{json, Value};
use std::process::Command;
use std::time::Instant;
use tokio_tungstenite::tungstenite::Message;

const BIN: &str = env!("CARGO_BIN_EXE_public-voice");

const REVOKE: &str = "mutation($name: String!) { revokeApiToken(name: $name) { name revokedAt } }";

const CREATE_THEME: &str =
    "mutation($input: CreateThemeInput!) { createTheme(input: $input) { id } }";

/// Sends a mutation on a socket the server may already have closed (a failed send is fine: the
/// point is that the mutation never runs), then returns the close.
async fn mutation_refused(ws: &mut Ws, slug: &str) -> (u16, String) {
    let message = json!({"id": "late", "type": "subscribe", "payload": {
        "query": CREATE_THEME,
        "variables": {"input": {"slug": slug, "label": "Late", "definition": "Sent after revocation."}}
    }});
    let _ = ws.send(Message::text(message.to_string())).await;
    closed(ws).await
}

/// Whether a theme with this slug exists (read with the admin token).
async fn theme_exists(address: &str, admin: &str, slug: &str) -> bool {
    let body: Value = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .bearer_auth(admin)
        .json(
            &json!({"query": "query($slug: String!) { theme(by: {slug: $slug}) { id } }",
            "variables": {"slug": slug}}),
        )
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    match body["errors"][0]["extensions"]["code"].as_str() {
        None => !body["data"]["theme"].is_null(),
        Some("NOT_FOUND") => false,
        Some(other) => panic!("unexpected error {other}: {body}"),
    }
}

#[tokio::test]
async fn a_token_revoked_by_mutation_closes_its_sockets_and_refuses_their_operations() {
    on_each_backend!(|app| {
        let admin = app.token("root", "admin").await;
        let editor = app.token("leaked", "editor").await;
        let mut listening = initialised(&app.address, Some(json!({"token": editor}))).await;
        subscribe_to_publications(&mut listening).await;
        let mut idle = initialised(
            &app.address,
            Some(json!({"authorization": format!("Bearer {editor}")})),
        )
        .await;
        round_trip(&mut idle).await;
        let mut anonymous = initialised(&app.address, None).await;

        let started = Instant::now();
        let data = app.data_as(&admin, REVOKE, json!({"name": "leaked"})).await;
        assert_eq!(data["revokeApiToken"]["name"], "leaked");
        assert_eq!(closed(&mut listening).await.0, 4403);
        println!(
            "{:?}: revokeApiToken sent -> socket closed (4403) in {:?}",
            app.backend(),
            started.elapsed()
        );
        assert_eq!(
            mutation_refused(&mut idle, "after-revocation").await.0,
            4403
        );
        assert!(!theme_exists(&app.address, &admin, "after-revocation").await);
        // Other connections are untouched.
        round_trip(&mut anonymous).await;
        // Over HTTP the token is refused too.
        let (status, body) = app
            .graphql_as(&editor, "{ viewer { name } }", json!({}))
            .await;
        assert_eq!(status, 401);
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    });
}

#[tokio::test]
async fn a_token_revoked_on_the_command_line_closes_its_sockets() {
    on_each_backend!(|app| {
        let admin = app.token("root", "admin").await;
        let editor = app.token("leaked", "editor").await;
        let mut listening = initialised(&app.address, Some(json!({"token": editor}))).await;
        subscribe_to_publications(&mut listening).await;
        let mut idle = initialised(&app.address, Some(json!({"token": editor}))).await;

        let started = Instant::now();
        let out = Command::new(BIN)
            .env("DATABASE_URL", app.db.url())
            .env("RUST_LOG", "warn")
            .args(["token", "revoke", "leaked"])
            .output()
            .expect("run the command line");
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "revoked leaked"
        );
        assert_eq!(closed(&mut listening).await.0, 4403);
        println!(
            "{:?}: `token revoke` started -> socket closed (4403) in {:?}",
            app.backend(),
            started.elapsed()
        );
        // Whether or not the signal reached this socket yet, its next operation is refused.
        assert_eq!(
            mutation_refused(&mut idle, "after-cli-revocation").await.0,
            4403
        );
        assert!(!theme_exists(&app.address, &admin, "after-cli-revocation").await);
    });
}

#[tokio::test]
async fn tokens_expire_and_their_sockets_close() {
    on_each_backend!(|app| {
        let admin = app.token("root", "admin").await;
        // Whole seconds: the databases keep microseconds, and the comparison below is exact.
        let expires_at = (chrono::Utc::now() + chrono::Duration::seconds(4))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let created = app
            .data_as(
                &admin,
                "mutation($at: DateTime!) { createApiToken(name: \"brief\", role: EDITOR, expiresAt: $at) { token apiToken { name expiresAt revokedAt } } }",
                json!({"at": expires_at}),
            )
            .await;
        let token = created["createApiToken"]["token"]
            .as_str()
            .expect("token")
            .to_string();
        let shown = &created["createApiToken"]["apiToken"];
        assert_eq!(shown["name"], "brief");
        assert_eq!(shown["revokedAt"], Value::Null);
        let shown_at =
            chrono::DateTime::parse_from_rfc3339(shown["expiresAt"].as_str().expect("expiresAt"))
                .expect("RFC 3339");
        let asked = chrono::DateTime::parse_from_rfc3339(&expires_at).expect("RFC 3339");
        assert_eq!(shown_at, asked);
        let listed = app
            .data_as(&admin, "{ apiTokens { name expiresAt } }", json!({}))
            .await;
        let names: Vec<(&str, bool)> = listed["apiTokens"]
            .as_array()
            .expect("list")
            .iter()
            .map(|t| {
                (
                    t["name"].as_str().unwrap_or_default(),
                    t["expiresAt"].is_null(),
                )
            })
            .collect();
        assert_eq!(names, vec![("root", true), ("brief", false)]);

        let (status, _) = app
            .graphql_as(&token, "{ viewer { name } }", json!({}))
            .await;
        assert_eq!(status, 200, "valid before it expires");
        let mut ws = initialised(&app.address, Some(json!({"token": token}))).await;
        subscribe_to_publications(&mut ws).await;
        // No revocation: the socket closes when the expiry comes (the helper waits at most 20 s).
        assert_eq!(closed(&mut ws).await.0, 4403);
        let (status, body) = app
            .graphql_as(&token, "{ viewer { name } }", json!({}))
            .await;
        assert_eq!(status, 401);
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

        // An expiry in the past is refused, naming the argument.
        let (_, body) = app
            .graphql_as(
                &admin,
                "mutation { createApiToken(name: \"stale\", role: READER, expiresAt: \"2020-01-01T00:00:00Z\") { token } }",
                json!({}),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], "expiresAt");
    });
}

#[tokio::test]
async fn the_command_line_creates_expiring_tokens_and_lists_their_expiry() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let run = |args: &[&str]| {
        Command::new(BIN)
            .env("DATABASE_URL", db.url())
            .env("RUST_LOG", "warn")
            .args(args)
            .output()
            .expect("run")
    };
    assert!(run(&["migrate"]).status.success());
    let out = run(&[
        "token",
        "create",
        "quarterly",
        "--role",
        "reader",
        "--expires-in",
        "90d",
    ]);
    assert!(out.status.success(), "{out:?}");
    let out = run(&["token", "create", "forever", "--role", "reader"]);
    assert!(out.status.success(), "{out:?}");
    let out = run(&["token", "create", "bad", "--expires-in", "soon"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--expires-in"),
        "{out:?}"
    );

    let listed = String::from_utf8_lossy(&run(&["token", "list"]).stdout).to_string();
    let lines: Vec<Vec<&str>> = listed.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert_eq!(lines[0][0], "quarterly");
    let expiry = lines[0][3].strip_prefix("expires ").expect("an expiry");
    let expiry = chrono::DateTime::parse_from_rfc3339(expiry).expect("RFC 3339");
    let days = (expiry.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((89 * 24..=90 * 24).contains(&days), "{listed}");
    assert_eq!(lines[1][0], "forever");
    assert_eq!(lines[1][3], "never expires");
    assert_eq!(lines[1][4], "active");
}

/// The scenario across replicas: a socket on replica A authenticated with a token that an
/// admin revokes through replica B is closed by A (PostgreSQL NOTIFY).
#[tokio::test]
async fn a_revocation_on_one_replica_closes_sockets_on_another() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let a = start_replica(db.url(), dir.path());
    let b = start_replica(db.url(), dir.path());
    let app_conn = sea_orm::Database::connect(db.url()).await.expect("connect");
    let (_, admin) = api::auth::create_token(&app_conn, "root", api::auth::Role::Admin, "test")
        .await
        .expect("token");
    let (_, editor) = api::auth::create_token(&app_conn, "leaked", api::auth::Role::Editor, "test")
        .await
        .expect("token");
    app_conn.close().await.ok();

    let mut ws = initialised(&a.address, Some(json!({"token": editor}))).await;
    subscribe_to_publications(&mut ws).await;
    let started = Instant::now();
    let data = authorised(&b.address, &admin, REVOKE, json!({"name": "leaked"})).await;
    assert_eq!(data["revokeApiToken"]["name"], "leaked");
    assert_eq!(closed(&mut ws).await.0, 4403);
    println!(
        "PostgreSQL, two replicas: revokeApiToken sent to B -> socket on A closed (4403) in {:?}",
        started.elapsed()
    );
    drop(a);
    drop(b);
}
