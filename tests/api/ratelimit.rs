//! Rate limits: each request costs its computed complexity against its client's budget (per
//! token, per address for anonymous callers); the `rateLimit` field and the `RateLimit-*` headers
//! say where the client stands; over budget is HTTP 429 `RATE_LIMITED` with `Retry-After`; on
//! PostgreSQL replicas share one budget per client; a secondary limit caps requests in flight.

use crate::helpers::{Backend, TestApp, TestDb};
use crate::on_each_backend;
use crate::subscriptions::start_replica_with;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{json, Value};

/// Costs 7: `rateLimit` 1 + its four fields, `missions` 1 + `code` 1.
const PROBE: &str = "{ rateLimit { limit cost remaining resetAt } missions { code } }";

async fn post(
    address: &str,
    token: Option<&str>,
    query: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .json(&json!({"query": query}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let res = request.send().await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.json().await.expect("JSON"))
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn each_request_costs_its_complexity_until_the_budget_is_spent() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(
            backend,
            &[
                ("PUBLIC_VOICE_RATE_LIMIT_ANONYMOUS", "10"),
                ("PUBLIC_VOICE_RATE_LIMIT_READER", "100"),
                ("PUBLIC_VOICE_RATE_LIMIT_WINDOW_SECS", "3600"),
            ],
        )
        .await
        else {
            continue;
        };
        let (status, headers, body) = post(&app.address, None, PROBE).await;
        assert_eq!(status, 200, "{body}");
        let limit = &body["data"]["rateLimit"];
        assert_eq!(
            (&limit["limit"], &limit["cost"], &limit["remaining"]),
            (&json!(10), &json!(7), &json!(3)),
            "{body}"
        );
        let reset =
            chrono::DateTime::parse_from_rfc3339(limit["resetAt"].as_str().expect("resetAt"))
                .expect("RFC 3339");
        let in_secs = (reset.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
        assert!((3590..=3600).contains(&in_secs), "{body}");
        assert_eq!(header(&headers, "ratelimit-limit"), "10");
        assert_eq!(header(&headers, "ratelimit-remaining"), "3");
        let reset_header: u64 = header(&headers, "ratelimit-reset")
            .parse()
            .expect("seconds");
        assert!((3590..=3600).contains(&reset_header));

        // The next one does not fit: refused before any resolver runs.
        let (status, headers, body) = post(&app.address, None, PROBE).await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
        assert_eq!(body["data"], Value::Null);
        let retry: u64 = header(&headers, "retry-after")
            .parse()
            .expect("Retry-After seconds");
        assert!((3590..=3600).contains(&retry));
        assert_eq!(header(&headers, "ratelimit-remaining"), "0");

        // A token has its own budget, set by its role.
        let reader = app.token("dashboard", "reader").await;
        let (status, headers, body) = post(&app.address, Some(&reader), PROBE).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["rateLimit"]["limit"], 100);
        assert_eq!(body["data"]["rateLimit"]["remaining"], 93);
        assert_eq!(header(&headers, "ratelimit-remaining"), "93");
    }
}

/// A response sent again from memory (see `http::memo`) costs what it cost when computed, and is
/// refused, as it would have been, once the budget is spent.
#[tokio::test]
async fn a_remembered_response_is_charged_like_a_computed_one() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(
            backend,
            &[
                ("PUBLIC_VOICE_RATE_LIMIT_ANONYMOUS", "3"),
                ("PUBLIC_VOICE_RATE_LIMIT_WINDOW_SECS", "3600"),
            ],
        )
        .await
        else {
            continue;
        };
        // Responses are only remembered once the read engine is ready.
        crate::helpers::engine_ready(&app.address).await;
        // `{ __typename }` costs one point: computed once, then sent from memory twice.
        for remaining in ["2", "1", "0"] {
            let (status, headers, body) = post(&app.address, None, "{ __typename }").await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body, json!({"data": {"__typename": "Query"}}));
            assert_eq!(header(&headers, "ratelimit-limit"), "3");
            assert_eq!(header(&headers, "ratelimit-remaining"), remaining);
        }
        let (status, headers, body) = post(&app.address, None, "{ __typename }").await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
        assert_eq!(body["data"], Value::Null);
        assert_eq!(header(&headers, "ratelimit-remaining"), "0");
        let retry: u64 = header(&headers, "retry-after")
            .parse()
            .expect("Retry-After seconds");
        assert!((3590..=3600).contains(&retry));
        assert_eq!(
            crate::helpers::remembered(&app.address, "sent").await,
            2,
            "{backend:?}: the second and third were sent from memory"
        );
    }
}

#[tokio::test]
async fn replicas_share_one_budget_per_client() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let budget = [("PUBLIC_VOICE_RATE_LIMIT_ANONYMOUS", "10")];
    let a = start_replica_with(db.url(), dir.path(), &budget);
    let b = start_replica_with(db.url(), dir.path(), &budget);
    let (status, _, body) = post(&a.address, None, PROBE).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["rateLimit"]["remaining"], 3);
    let (status, _, body) = post(&b.address, None, PROBE).await;
    assert_eq!(status, 429, "B charges the budget A used: {body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    let (status, _, body) = post(&b.address, None, "{ __typename }").await;
    assert_eq!(status, 429, "{body}");
    drop(a);
    drop(b);
}

#[tokio::test]
async fn a_client_may_have_only_so_many_requests_in_flight() {
    // A write held up by another writer's lock stays in flight; meanwhile the same client's other
    // requests are refused by the secondary limit, and other clients are served.
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("PUBLIC_VOICE_MAX_CONCURRENT_REQUESTS", "1"),
            ("PUBLIC_VOICE_SQLITE_BUSY_TIMEOUT_MS", "30000"),
        ],
    )
    .await
    .expect("SQLite");
    let editor = app.token("busy-editor", "editor").await;
    let holder = sea_orm::Database::connect(app.db.url())
        .await
        .expect("connect");
    let txn = holder.begin().await.expect("begin");
    txn.execute_unprepared("UPDATE write_clock SET ticks = ticks + 1 WHERE id = 1")
        .await
        .expect("hold the write lock");
    let write = || {
        let address = app.address.clone();
        let token = editor.clone();
        tokio::spawn(async move {
            post(
                &address,
                Some(&token),
                "mutation { createTheme(input: {slug: \"in-flight\", label: \"In flight\", definition: \"Waits for the lock.\"}) { slug } }",
            )
            .await
        })
    };
    let mut blocked = write();
    let mut refused = None;
    'attempt: for _ in 0..10 {
        for _ in 0..200 {
            let (status, _, body) = post(&app.address, Some(&editor), "{ __typename }").await;
            if status == 429 {
                refused = Some(body);
                break 'attempt;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            // The two requests race to the server: when a poll came first, the write is the
            // one refused, and is sent again.
            if blocked.is_finished() {
                let (status, _, body) = blocked.await.expect("the write");
                assert_eq!(status, 429, "{body}");
                assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
                blocked = write();
                continue 'attempt;
            }
        }
    }
    let refused = refused.expect("the second request in flight is refused");
    assert_eq!(refused["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(refused["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("PUBLIC_VOICE_MAX_CONCURRENT_REQUESTS"));
    // Another client (anonymous, its own key) is served meanwhile.
    let (status, _, _) = post(&app.address, None, "{ __typename }").await;
    assert_eq!(status, 200);

    txn.rollback().await.expect("release");
    let (status, _, body) = blocked.await.expect("the blocked write");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["createTheme"]["slug"], "in-flight");
    let (status, _, _) = post(&app.address, Some(&editor), "{ __typename }").await;
    assert_eq!(status, 200);
    holder.close().await.ok();
}

/// A query or mutation over WebSocket holds one of its client's places in flight until it
/// completes, shared with the client's HTTP requests: past the limit, a `subscribe` gets an
/// `error` with `RATE_LIMITED` (the socket stays open) and HTTP gets 429. Subscriptions hold no
/// place: they stay open by design.
#[tokio::test]
async fn websocket_queries_and_mutations_count_as_requests_in_flight() {
    use crate::subscriptions::{initialised, recv, recv_within, send, subscribe_to_publications};
    on_each_backend!(
        with & [
            ("PUBLIC_VOICE_MAX_CONCURRENT_REQUESTS", "1"),
            ("PUBLIC_VOICE_SQLITE_BUSY_TIMEOUT_MS", "30000"),
        ],
        |app| {
            let editor = app.token("socket-editor", "editor").await;
            let mut ws = initialised(&app.address, Some(json!({"token": editor}))).await;
            // A subscription holds no place.
            subscribe_to_publications(&mut ws).await;
            let (status, _, body) = post(&app.address, Some(&editor), "{ __typename }").await;
            assert_eq!(status, 200, "{body}");
            // A mutation held up by another writer's lock stays in flight.
            let holder = sea_orm::Database::connect(app.db.url())
                .await
                .expect("connect");
            let txn = holder.begin().await.expect("begin");
            txn.execute_unprepared("UPDATE write_clock SET ticks = ticks + 1 WHERE id = 1")
                .await
                .expect("hold the write lock");
            // The HTTP request and the WebSocket message travel separately: when the server
            // takes a poll first, the mutation is the one refused, and is sent again.
            let write = json!({"id": "write", "type": "subscribe", "payload": {"query":
                "mutation { createTheme(input: {slug: \"ws-in-flight\", label: \"WS in flight\", definition: \"Waits for the lock.\"}) { slug } }"}});
            let mut refused = None;
            'attempt: for _ in 0..10 {
                send(&mut ws, write.clone()).await;
                for _ in 0..200 {
                    let (status, _, body) =
                        post(&app.address, Some(&editor), "{ __typename }").await;
                    if status == 429 {
                        refused = Some(body);
                        break 'attempt;
                    }
                    let pause = std::time::Duration::from_millis(50);
                    if let Some(lost) = recv_within(&mut ws, pause).await {
                        assert_eq!(lost["id"], "write", "{lost}");
                        assert_eq!(lost["type"], "error", "{lost}");
                        assert_eq!(lost["payload"][0]["extensions"]["code"], "RATE_LIMITED");
                        continue 'attempt;
                    }
                }
            }
            let refused = refused.expect("HTTP is refused while the mutation is in flight");
            assert_eq!(refused["errors"][0]["extensions"]["code"], "RATE_LIMITED");
            send(
            &mut ws,
            json!({"id": "second", "type": "subscribe", "payload": {"query": "{ __typename }"}}),
        )
        .await;
            let second = recv(&mut ws).await;
            assert_eq!(second["type"], "error", "{second}");
            assert_eq!(second["id"], "second", "{second}");
            assert_eq!(second["payload"][0]["extensions"]["code"], "RATE_LIMITED");
            // Another client is served meanwhile.
            let (status, _, _) = post(&app.address, None, "{ __typename }").await;
            assert_eq!(status, 200);
            // The lock released, the mutation completes and gives its place back.
            txn.rollback().await.expect("release");
            let next = recv(&mut ws).await;
            assert_eq!(next["id"], "write", "{next}");
            assert_eq!(
                next["payload"]["data"]["createTheme"]["slug"], "ws-in-flight",
                "{next}"
            );
            assert_eq!(
                recv(&mut ws).await,
                json!({"id": "write", "type": "complete"})
            );
            let (status, _, body) = post(&app.address, Some(&editor), "{ __typename }").await;
            assert_eq!(status, 200, "{body}");
        }
    );
}
