//! SQLite under concurrent writers: while another connection (here standing in for a CLI
//! `import` in another process) holds the write lock, a write waits the configured busy timeout
//! and then fails with the retryable `SERVICE_UNAVAILABLE` (HTTP 503, `Retry-After`), never
//! `INTERNAL`; once the lock is released the same write succeeds. SQLite only: PostgreSQL queues
//! writers on row locks and has no database-wide write lock.

use crate::helpers::{Backend, TestApp};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{json, Value};

const CREATE_THEME: &str =
    "mutation($input: CreateThemeInput!) { createTheme(input: $input) { slug } }";

#[tokio::test]
async fn a_write_blocked_past_the_busy_timeout_is_retryable_not_internal() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("PUBLIC_VOICE_SQLITE_BUSY_TIMEOUT_MS", "200")],
    )
    .await
    .expect("SQLite is always available");
    let editor = app.token("writer", "editor").await;
    let input = json!({"input": {"slug": "while-busy", "label": "Busy", "definition": "Written while another process writes."}});

    let holder = sea_orm::Database::connect(app.db.url())
        .await
        .expect("connect");
    let txn = holder.begin().await.expect("begin");
    // The same first statement as every writer: it takes the database's write lock.
    txn.execute_unprepared("UPDATE write_clock SET ticks = ticks + 1 WHERE id = 1")
        .await
        .expect("hold the write lock");

    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&editor)
        .json(&json!({"query": CREATE_THEME, "variables": input}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(
        res.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{body}"
    );
    assert_eq!(body["errors"][0]["path"], json!(["createTheme"]));
    // Reads are not blocked by a writer (WAL).
    let data = app.data("{ missions { code } }", json!({})).await;
    assert!(!data["missions"].as_array().expect("missions").is_empty());

    txn.rollback().await.expect("release");
    holder.close().await.ok();
    let data = app.data_as(&editor, CREATE_THEME, input).await;
    assert_eq!(data["createTheme"]["slug"], "while-busy");
}
