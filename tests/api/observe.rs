//! What a platform team relies on: `/metrics` (the exact series after real requests), `/ready`
//! distinct from `/health`, OpenTelemetry traces exported over OTLP/HTTP that continue the caller's
//! `traceparent` (received by a real listener), and WebSockets closed with 1001 at shutdown.

use crate::helpers::{Backend, TestApp, TestDb};
use crate::on_each_backend;
use crate::subscriptions::{closed, initialised, round_trip, send};
use migration::{Migrator, MigratorTrait};
use prost::Message as _;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QuerySelect, TransactionTrait};
use serde_json::{json, Value};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_public-voice");

async fn scrape(app: &TestApp) -> String {
    let res = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    res.text().await.expect("body")
}

/// The value of exactly this series (name and labels as written), or `None` when absent.
fn series(text: &str, name_and_labels: &str) -> Option<String> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            line.strip_prefix(name_and_labels)
                .and_then(|rest| rest.strip_prefix(' '))
                .map(str::to_string)
        })
}

fn expect_series(text: &str, name_and_labels: &str, value: &str) {
    assert_eq!(
        series(text, name_and_labels).as_deref(),
        Some(value),
        "{name_and_labels} in:\n{text}"
    );
}

async fn last_seq(db: &TestDb) -> i64 {
    let conn = sea_orm::Database::connect(db.url()).await.expect("connect");
    let max: Option<i64> = entity::change_log::Entity::find()
        .select_only()
        .column_as(entity::change_log::Column::Seq.max(), "m")
        .into_tuple::<Option<i64>>()
        .one(&conn)
        .await
        .expect("max seq")
        .flatten();
    conn.close().await.ok();
    max.unwrap_or(0)
}

#[tokio::test]
async fn metrics_count_operations_by_name_and_code_and_describe_the_pool_hub_and_sockets() {
    on_each_backend!(|app| {
        let data = app
            .data("query Missions { missions { code } }", json!({}))
            .await;
        assert_eq!(data["missions"].as_array().map(Vec::len), Some(5));
        assert_eq!(
            app.error_code("{ noSuchField }", json!({})).await,
            "GRAPHQL_VALIDATION_FAILED"
        );
        let text = scrape(&app).await;
        expect_series(
            &text,
            r#"public_voice_graphql_requests_total{operation="Missions",code="OK"}"#,
            "1",
        );
        expect_series(
            &text,
            r#"public_voice_graphql_requests_total{operation="anonymous",code="GRAPHQL_VALIDATION_FAILED"}"#,
            "1",
        );
        expect_series(
            &text,
            r#"public_voice_graphql_request_duration_seconds_count{operation="Missions"}"#,
            "1",
        );
        assert!(
            series(
                &text,
                r#"public_voice_graphql_request_duration_seconds_bucket{le="30.0",operation="Missions"}"#
            )
            .is_some(),
            "latency buckets:\n{text}"
        );
        expect_series(
            &text,
            r#"public_voice_http_requests_total{method="POST",route="/graphql",status="200"}"#,
            "2",
        );
        expect_series(
            &text,
            r#"public_voice_http_request_duration_seconds_count{method="POST",route="/graphql"}"#,
            "2",
        );
        expect_series(&text, "public_voice_db_pool_max_connections", "4");
        let in_use: i64 = series(&text, r#"public_voice_db_pool_connections{state="in_use"}"#)
            .expect("in use")
            .parse()
            .expect("a number");
        let idle: i64 = series(&text, r#"public_voice_db_pool_connections{state="idle"}"#)
            .expect("idle")
            .parse()
            .expect("a number");
        // The scrape itself holds a connection for the hub's backlog query at most.
        assert!((0..=4).contains(&in_use) && (0..=4).contains(&idle) && in_use + idle >= 1);
        expect_series(&text, "public_voice_websocket_connections_open", "0");
        expect_series(&text, "public_voice_subscriptions_open", "0");
        expect_series(&text, "public_voice_change_hub_pending_events", "0");
        expect_series(&text, "public_voice_change_hub_lag_seconds", "0.0");
        expect_series(
            &text,
            "public_voice_change_hub_last_seq",
            &last_seq(&app.db).await.to_string(),
        );
        expect_series(&text, "public_voice_subscription_events_dropped_total", "0");
        assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with # EOF");

        // A WebSocket with one subscription running.
        let mut ws = initialised(&app.address, None).await;
        send(
            &mut ws,
            json!({"id": "s", "type": "subscribe", "payload": {"query": "subscription { changes { cursor } }"}}),
        )
        .await;
        round_trip(&mut ws).await;
        let text = scrape(&app).await;
        expect_series(&text, "public_voice_websocket_connections_open", "1");
        expect_series(&text, "public_voice_subscriptions_open", "1");
        send(&mut ws, json!({"id": "s", "type": "complete"})).await;
        round_trip(&mut ws).await;
        let text = scrape(&app).await;
        expect_series(&text, "public_voice_subscriptions_open", "0");
        // The scrapes were counted under their route too.
        expect_series(
            &text,
            r#"public_voice_http_requests_total{method="GET",route="/metrics",status="200"}"#,
            "2",
        );
    });
}

/// Observations of the acquire-wait histogram above 0.1 s (its count minus the `le="0.1"` bucket).
fn acquire_waits_over_a_tenth(text: &str) -> u64 {
    let count: u64 = series(text, "public_voice_db_pool_acquire_wait_seconds_count")
        .expect("the acquire-wait count")
        .parse()
        .expect("a number");
    let fast: u64 = series(
        text,
        r#"public_voice_db_pool_acquire_wait_seconds_bucket{le="0.1"}"#,
    )
    .expect("the 0.1 s bucket")
    .parse()
    .expect("a number");
    count - fast
}

/// A request that waits for the pool's only free connection is in the acquire-wait histogram.
/// Two writes run while another writer holds the database's write lock: whichever takes the
/// connection waits for the lock while holding it, and the other waits for the connection until
/// the lock is released (a second later). The histogram is the process's (see `pool_wait`), so
/// the test counts what it adds.
#[tokio::test]
async fn a_wait_for_a_pool_connection_is_observed_in_the_acquire_wait_histogram() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        // PostgreSQL's change listener keeps a connection of its own from the pool.
        let pool = if backend == Backend::Sqlite { "1" } else { "2" };
        let Some(app) = TestApp::spawn_with(
            backend,
            &[
                ("PUBLIC_VOICE_DB_MAX_CONNECTIONS", pool),
                ("PUBLIC_VOICE_SQLITE_BUSY_TIMEOUT_MS", "30000"),
            ],
        )
        .await
        else {
            continue;
        };
        let editor = app.token("pool-editor", "editor").await;
        let text = scrape(&app).await;
        for line in [
            "# HELP public_voice_db_pool_acquire_wait_seconds Time each database statement waited for a pool connection (every acquire, from sqlx's own events; sqlx does not expose how many wait right now).",
            "# TYPE public_voice_db_pool_acquire_wait_seconds histogram",
            "# UNIT public_voice_db_pool_acquire_wait_seconds seconds",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
        }
        let before = acquire_waits_over_a_tenth(&text);

        let holder = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        let txn = holder.begin().await.expect("begin");
        txn.execute_unprepared("UPDATE write_clock SET ticks = ticks + 1 WHERE id = 1")
            .await
            .expect("hold the write lock");
        let write = |slug: &'static str| {
            let query = format!(
                "mutation {{ createTheme(input: {{slug: \"{slug}\", label: \"Pool\", definition: \"Waits for the pool.\"}}) {{ slug }} }}"
            );
            let (app, editor) = (&app, &editor);
            async move { app.graphql_as(editor, &query, json!({})).await }
        };
        let release = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            txn.rollback().await.expect("release");
        };
        let ((status_a, body_a), (status_b, body_b), ()) =
            tokio::join!(write("pool-a"), write("pool-b"), release);
        assert_eq!(
            (status_a, &body_a["data"]["createTheme"]["slug"]),
            (200, &json!("pool-a")),
            "{body_a}"
        );
        assert_eq!(
            (status_b, &body_b["data"]["createTheme"]["slug"]),
            (200, &json!("pool-b")),
            "{body_b}"
        );
        holder.close().await.ok();

        let after = acquire_waits_over_a_tenth(&scrape(&app).await);
        assert!(
            after > before,
            "{backend:?}: {before} then {after} waits over 0.1 s"
        );
    }
}

#[tokio::test]
async fn operation_names_from_clients_are_bounded_as_label_values() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    // Not a GraphQL name: the document fails to parse, and the label is `other`.
    let body = app.graphql("{ missions { code } }", json!({})).await;
    assert!(body.get("errors").is_none());
    let res: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": "query A { missions { code } }", "operationName": "no such name!"}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(res["errors"][0]["extensions"]["code"].is_string(), "{res}");
    let text = scrape(&app).await;
    expect_series(
        &text,
        r#"public_voice_graphql_requests_total{operation="anonymous",code="OK"}"#,
        "1",
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(r#"public_voice_graphql_requests_total{operation="other","#)),
        "{text}"
    );
    assert!(!text.contains("no such name"), "{text}");
}

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let res = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.expect("JSON body"))
}

/// `/ready` is 200 and reports the read engine ready, and `/metrics` says the same.
async fn assert_ready(app: &TestApp) {
    let (status, body) = get_json(app, "/ready").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["engine"], "ready", "{body}");
    assert!(body["engineAppliedSeq"].is_i64(), "{body}");
    let text = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains("public_voice_index_state{state=\"ready\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("public_voice_index_state{state=\"behind\"} 0"),
        "{text}"
    );
    assert!(text.contains("public_voice_index_build_seconds "), "{text}");
}

#[tokio::test]
async fn ready_only_when_every_migration_is_applied_and_the_database_answers() {
    on_each_backend!(|app| {
        assert_ready(&app).await;
        // Roll the newest migration back behind the server's back: alive, but not ready.
        let conn = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        Migrator::down(&conn, Some(1)).await.expect("roll back");
        assert_eq!(
            get_json(&app, "/ready").await,
            (
                503,
                json!({"status": "unavailable", "reason": "1 migration(s) not applied"})
            )
        );
        assert_eq!(get_json(&app, "/health").await.0, 200);
        Migrator::up(&conn, None).await.expect("migrate again");
        assert_ready(&app).await;
        // Without the migrations table at all, the check reads and never creates it.
        use sea_orm::ConnectionTrait;
        conn.execute_unprepared("DROP TABLE seaql_migrations")
            .await
            .expect("drop the migrations table");
        assert_eq!(
            get_json(&app, "/ready").await,
            (
                503,
                json!({
                    "status": "unavailable",
                    "reason": format!("{} migration(s) not applied", Migrator::migrations().len())
                })
            )
        );
        let tables: Option<i64> = conn
            .query_one_raw(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                match app.backend() {
                    Backend::Sqlite => {
                        "SELECT count(*) FROM sqlite_master WHERE name = 'seaql_migrations'"
                    }
                    Backend::Postgres => {
                        "SELECT count(*) FROM pg_tables WHERE tablename = 'seaql_migrations'"
                    }
                },
            ))
            .await
            .expect("query")
            .and_then(|row| row.try_get_by_index(0).ok());
        assert_eq!(tables, Some(0), "readiness must not create the table");
        conn.close().await.ok();
    });
}

#[tokio::test]
async fn ready_and_health_refuse_when_the_database_does_not_answer() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let TestDb::Postgres {
        admin_url, name, ..
    } = &app.db
    else {
        unreachable!("a PostgreSQL database")
    };
    let admin = sea_orm::Database::connect(admin_url.as_str())
        .await
        .expect("connect");
    use sea_orm::ConnectionTrait;
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
        ))
        .await
        .expect("refuse connections");
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .expect("end the server's connections");
    assert_eq!(
        get_json(&app, "/ready").await,
        (
            503,
            json!({"status": "unavailable", "reason": "database unreachable"})
        )
    );
    assert_eq!(get_json(&app, "/health").await.0, 503);
    admin
        .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await
        .expect("allow connections again");
    // The read engine missed its refreshes during the outage ("behind": reads were answered from
    // SQL); its next poll catches up.
    for _ in 0..100 {
        if get_json(&app, "/ready").await.1["engine"] == "ready" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ready(&app).await;
    admin.close().await.ok();
}

/// A server process of the real binary, killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the binary over a fresh SQLite file and reads its address from the log.
    fn start(dir: &std::path::Path, extra: &[(&str, &str)]) -> Server {
        let mut command = Command::new(BIN);
        command
            .current_dir(dir)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}?mode=rwc", dir.join("pv.db").display()),
            )
            .env("PUBLIC_VOICE_PORT", "0")
            .env("PUBLIC_VOICE_WORKERS", "1")
            .env("PUBLIC_VOICE_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in extra {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("spawn the server");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = std::io::BufReader::new(stderr).lines();
        let mut address = None;
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            let Ok(event) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if event["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("serving GraphQL"))
            {
                address = event["address"].as_str().map(str::to_string);
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let address = address.expect("the server logged its address");
        Server { child, address }
    }

    fn terminate(&self) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
    }

    /// Waits for the process to exit; `None` if it is still running after `patience`.
    async fn exit_status(&mut self, patience: Duration) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + patience;
        while tokio::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}

/// A minimal OTLP/HTTP receiver: answers every `POST /v1/traces` with 200 and hands the bodies on.
async fn otlp_receiver() -> (u16, tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut stream = tokio::io::BufReader::new(stream);
                loop {
                    let mut request_line = String::new();
                    if stream.read_line(&mut request_line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0usize;
                    let mut content_type = String::new();
                    loop {
                        let mut line = String::new();
                        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = line.split_once(':') {
                            match k.trim().to_ascii_lowercase().as_str() {
                                "content-length" => length = v.trim().parse().unwrap_or(0),
                                "content-type" => content_type = v.trim().to_string(),
                                _ => {}
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    if stream.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let path = request_line.split_whitespace().nth(1).unwrap_or_default();
                    let status = if request_line.starts_with("POST ") && path == "/v1/traces" {
                        let _ = tx.send((content_type, body));
                        "200 OK"
                    } else {
                        "404 Not Found"
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n"
                    );
                    if stream
                        .get_mut()
                        .write_all(response.as_bytes())
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (port, rx)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn traces_go_to_the_otlp_endpoint_and_continue_the_callers_traceparent() {
    let (port, mut bodies) = otlp_receiver().await;
    let dir = tempfile::tempdir().expect("dir");
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut server = Server::start(
        dir.path(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_SERVICE_NAME", "pv-under-test"),
        ],
    );
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let body: Value = reqwest::Client::new()
        .post(format!("{}/graphql", server.address))
        .header("traceparent", format!("00-{trace_id}-{parent_id}-01"))
        .json(&json!({"query": "query TracedMissions { missions { code } }"}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(body["data"]["missions"].as_array().map(Vec::len), Some(5));
    // The exporter batches; stopping the server flushes what it holds.
    server.terminate();
    let status = server
        .exit_status(Duration::from_secs(30))
        .await
        .expect("the server stops");
    assert!(status.success(), "{status}");

    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    let mut spans = Vec::new();
    let mut services = Vec::new();
    while let Ok((content_type, body)) = bodies.try_recv() {
        assert_eq!(content_type, "application/x-protobuf");
        let request = ExportTraceServiceRequest::decode(body.as_slice()).expect("OTLP protobuf");
        for resource in request.resource_spans {
            if let Some(resource) = &resource.resource {
                for attribute in &resource.attributes {
                    if attribute.key == "service.name" {
                        services.push(format!("{:?}", attribute.value));
                    }
                }
            }
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
    }
    let request_span = spans
        .iter()
        .find(|s| s.name == "POST /graphql")
        .unwrap_or_else(|| {
            panic!(
                "no request span among {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            )
        });
    assert_eq!(hex(&request_span.trace_id), trace_id);
    assert_eq!(hex(&request_span.parent_span_id), parent_id);
    let graphql_span = spans
        .iter()
        .find(|s| s.name == "graphql")
        .expect("the GraphQL operation's span");
    assert_eq!(hex(&graphql_span.trace_id), trace_id);
    assert_eq!(graphql_span.parent_span_id, request_span.span_id);
    assert!(
        services.iter().all(|s| s.contains("pv-under-test")) && !services.is_empty(),
        "{services:?}"
    );
}

#[tokio::test]
async fn shutdown_closes_websockets_with_1001_and_is_not_held_up_by_them() {
    let dir = tempfile::tempdir().expect("dir");
    // A long drain limit: had the socket held the shutdown up, the exit would wait for all of it.
    let mut server = Server::start(dir.path(), &[("PUBLIC_VOICE_SHUTDOWN_TIMEOUT_SECS", "300")]);
    let mut ws = initialised(&server.address, None).await;
    send(
        &mut ws,
        json!({"id": "s", "type": "subscribe", "payload": {"query": "subscription { changes { cursor } }"}}),
    )
    .await;
    round_trip(&mut ws).await;
    server.terminate();
    let (code, reason) = closed(&mut ws).await;
    assert_eq!((code, reason.as_str()), (1001, "Server is shutting down"));
    let status = server
        .exit_status(Duration::from_secs(60))
        .await
        .expect("the server exits without waiting for its drain limit");
    assert!(status.success(), "exit 0, got {status}");
}

/// `/metrics` reports the read engine's own memory per index, at least the per-row arrays every
/// held row costs (16 bytes of facts, 8 of `updated_at`, 4 in the recency order), so an
/// operator can tell the index's share of the process from the rest.
#[tokio::test]
async fn metrics_report_the_index_memory() {
    on_each_backend!(|app| {
        assert_ready(&app).await;
        let text = scrape(&app).await;
        for kind in ["view", "finding"] {
            let number = |name: &str| -> u64 {
                series(&text, &format!("{name}{{kind=\"{kind}\"}}"))
                    .unwrap_or_else(|| panic!("no {name} for {kind}: {text}"))
                    .parse()
                    .expect("a whole number")
            };
            let rows = number("public_voice_index_rows");
            let bytes = number("public_voice_index_bytes");
            assert!(rows > 0, "the seeded corpus has {kind}s: {text}");
            assert!(
                bytes >= 28 * rows,
                "{bytes} bytes for {rows} {kind}s is less than their arrays alone"
            );
        }
    });
}
