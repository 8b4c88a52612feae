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
