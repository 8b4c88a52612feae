//! The command line as a newcomer uses it: the real binary, its settings and its shutdown.

use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_public-voice");

#[test]
fn schema_command_prints_the_committed_sdl() {
    let out = Command::new(BIN).arg("schema").output().expect("run");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), api::schema::sdl());
}

#[test]
fn every_bad_setting_is_reported_by_name() {
    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .env("PUBLIC_VOICE_PORT", "http")
        .env("PUBLIC_VOICE_LOG_FORMAT", "xml")
        .env("PUBLIC_VOICE_MAX_PAGE_SIZE", "0")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in [
        "PUBLIC_VOICE_PORT",
        "PUBLIC_VOICE_LOG_FORMAT",
        "PUBLIC_VOICE_MAX_PAGE_SIZE",
    ] {
        assert!(stderr.contains(name), "{name} missing from: {stderr}");
    }
}

#[tokio::test]
async fn serve_creates_migrates_seeds_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .env("PUBLIC_VOICE_PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(res) = client.get(format!("{base}/health")).send().await {
            healthy = res.status().is_success();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "the server did not come up");
    assert!(
        dir.path().join("public-voice.db").exists(),
        "the default SQLite file"
    );
    let body: Value = client
        .post(format!("{base}/graphql"))
        .json(&json!({"query": "{ missions { code } }"}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        body["data"]["missions"].as_array().map(Vec::len),
        Some(5),
        "seeded on first start: {body}"
    );

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().expect("wait") {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(status) = status else {
        let _ = child.kill();
        panic!("the server did not stop within 10 s of SIGTERM");
    };
    assert!(status.success(), "graceful stop exits 0, got {status}");
}

/// Tokens made on the command line work over HTTP, are listed without their secret, can be
/// revoked, and never appear in the server's logs, even at debug level.
#[tokio::test]
async fn tokens_from_the_command_line_and_never_in_logs() {
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "debug")
            .args(args)
            .output()
            .expect("run");
        assert!(out.status.success(), "{args:?}: {out:?}");
        (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (stdout, _) = run(&["token", "create", "ops", "--role", "admin"]);
    let token = stdout.trim().to_string();
    assert!(token.starts_with("pv_") && token.len() == 46, "{token}");
    let (stdout, _) = run(&["token", "list"]);
    assert!(stdout.starts_with("ops\tADMIN\tcreated "), "{stdout}");
    assert!(!stdout.contains(&token));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let log = dir.path().join("server.log");
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .env("PUBLIC_VOICE_PORT", port.to_string())
        .env("RUST_LOG", "debug")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut body = Value::Null;
    for _ in 0..100 {
        if let Ok(res) = client
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .json(&json!({"query": "{ viewer { name role } }"}))
            .send()
            .await
        {
            body = res.json().await.expect("json");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        body["data"]["viewer"],
        json!({"name": "ops", "role": "ADMIN"})
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("graphql"), "the log has the request");
    assert!(!logged.contains(&token), "the token was logged");
    assert!(!logged.contains(&token[3..]), "the token was logged");

    run(&["token", "revoke", "ops"]);
    let (stdout, _) = run(&["token", "list"]);
    assert!(stdout.contains("\trevoked "), "{stdout}");
}
