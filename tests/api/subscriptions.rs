//! Subscriptions over WebSocket (graphql-transport-ws): every close code of the protocol, ping and
//! pong, operations over the socket, a live `viewPublished` event, and two replicas of the real
//! binary sharing one PostgreSQL database.

use crate::helpers::{Backend, TestApp, TestDb};
use crate::on_each_backend;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, protocol::CloseFrame, Message};

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A safety net so a broken server fails the test instead of hanging it; no assertion is timed.
const PATIENCE: Duration = Duration::from_secs(20);

async fn connect_with(address: &str, protocol: Option<&str>) -> Ws {
    let url = format!("{}/graphql", address.replace("http://", "ws://"));
    let mut request = url.into_client_request().expect("request");
    if let Some(protocol) = protocol {
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            protocol.parse().expect("header value"),
        );
    }
    let (ws, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket handshake");
    if protocol.is_some() {
        assert_eq!(
            response
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws"),
            "the subprotocol is echoed"
        );
    }
    ws
}

pub(crate) async fn connect(address: &str) -> Ws {
    connect_with(address, Some("graphql-transport-ws")).await
}

pub(crate) async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::text(message.to_string()))
        .await
        .expect("send");
}

/// The next protocol message (WebSocket pings are skipped); panics on a close.
pub(crate) async fn recv(ws: &mut Ws) -> Value {
    recv_within(ws, PATIENCE).await.expect("a message in time")
}

/// The next protocol message if one arrives within `within` (pings skipped); None otherwise.
pub(crate) async fn recv_within(ws: &mut Ws, within: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(within, ws.next()).await {
            Err(_) => return None,
            Ok(frame) => match frame.expect("the socket is open").expect("a frame") {
                Message::Text(text) => {
                    return Some(serde_json::from_str(&text).expect("JSON message"))
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a message, got {other:?}"),
            },
        }
    }
}

/// Reads until the server closes; returns the close code and reason.
pub(crate) async fn closed(ws: &mut Ws) -> (u16, String) {
    loop {
        let frame = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a close in time");
        match frame {
            Some(Ok(Message::Close(Some(CloseFrame { code, reason })))) => {
                return (u16::from(code), reason.to_string())
            }
            Some(Ok(Message::Close(None))) => panic!("closed without a code"),
            Some(Ok(Message::Text(text))) => panic!("expected a close, got {text}"),
            Some(Ok(_)) => continue,
            Some(Err(err)) => panic!("socket error before the close: {err}"),
            None => panic!("the socket ended without a close frame"),
        }
    }
}

/// Opens a connection and completes the handshake with this `connection_init` payload.
pub(crate) async fn initialised(address: &str, payload: Option<Value>) -> Ws {
    let mut ws = connect(address).await;
    let mut init = json!({"type": "connection_init"});
    if let Some(payload) = payload {
        init["payload"] = payload;
    }
    send(&mut ws, init).await;
    assert_eq!(recv(&mut ws).await["type"], "connection_ack");
    ws
}

/// Sends `ping` and waits for `pong`: every message sent before it has then been handled.
pub(crate) async fn round_trip(ws: &mut Ws) {
    send(ws, json!({"type": "ping"})).await;
    assert_eq!(recv(ws).await, json!({"type": "pong"}));
}

/// Sends one raw message on a fresh, initialised connection and returns the close it causes.
async fn close_after(app: &TestApp, init: bool, message: &str) -> (u16, String) {
    let mut ws = if init {
        initialised(&app.address, None).await
    } else {
        connect(&app.address).await
    };
    ws.send(Message::text(message)).await.expect("send");
    closed(&mut ws).await
}

pub(crate) async fn editor_token(db: &TestDb, name: &str) -> String {
    let conn = sea_orm::Database::connect(db.url()).await.expect("connect");
    let (_, token) = api::auth::create_token(&conn, name, api::auth::Role::Editor, "test")
        .await
        .expect("token");
    conn.close().await.ok();
    token
}

#[tokio::test]
async fn the_subprotocol_must_be_requested() {
    on_each_backend!(|app| {
        let mut ws = connect_with(&app.address, None).await;
        assert_eq!(
            closed(&mut ws).await,
            (4406, "Subprotocol not acceptable".to_string())
        );
        // Only another subprotocol offered: none is echoed, so the client itself refuses the
        // handshake (as browsers do).
        let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
        let mut request = url.into_client_request().expect("request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-sse".parse().expect("value"),
        );
        let refused = tokio_tungstenite::connect_async(request).await;
        assert!(
            matches!(
                refused,
                Err(tokio_tungstenite::tungstenite::Error::Protocol(
                    tokio_tungstenite::tungstenite::error::ProtocolError::SecWebSocketSubProtocolError(_)
                ))
            ),
            "{refused:?}"
        );
    });
}

/// Python `gql`'s default offer (the legacy `graphql-ws` first, then graphql-transport-ws) gets the
/// legacy protocol, spoken with its own message names by the same state machine.
#[tokio::test]
async fn the_legacy_protocol_for_clients_that_prefer_it() {
    on_each_backend!(|app| {
        let token = app.token("legacy", "editor").await;
        let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
        let mut request = url.into_client_request().expect("request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-ws, graphql-transport-ws".parse().expect("value"),
        );
        let (mut ws, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("WebSocket handshake");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some("graphql-ws")
        );
        send(
            &mut ws,
            json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}),
        )
        .await;
        assert_eq!(recv(&mut ws).await, json!({"type": "connection_ack"}));

        send(
            &mut ws,
            json!({"id": "1", "type": "start", "payload": {
            "query": "subscription { changes(entities: [THEME]) { entity slug kind } }"}}),
        )
        .await;
        // Answered only after the subscription above is listening (each new operation is polled
        // before the next message is read).
        send(
            &mut ws,
            json!({"id": "2", "type": "start", "payload": {
            "query": "{ missions { code } }"}}),
        )
        .await;
        let data = recv(&mut ws).await;
        assert_eq!(data["id"], "2", "{data}");
        assert_eq!(data["type"], "data", "{data}");
        assert_eq!(
            data["payload"]["data"]["missions"].as_array().map(Vec::len),
            Some(5),
            "{data}"
        );
        assert_eq!(recv(&mut ws).await, json!({"id": "2", "type": "complete"}));

        // An operation that does not validate: its errors as `data`, then `complete`.
        send(
            &mut ws,
            json!({"id": "3", "type": "start", "payload": {
            "query": "{ noSuchField }"}}),
        )
        .await;
        let data = recv(&mut ws).await;
        assert_eq!(data["type"], "data", "{data}");
        assert_eq!(
            data["payload"]["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{data}"
        );
        assert_eq!(recv(&mut ws).await, json!({"id": "3", "type": "complete"}));

        authorised(
            &app.address,
            &token,
            r#"mutation { createTheme(input: {slug: "legacy-theme", label: "Legacy", definition: "Heard over the legacy protocol."}) { id } }"#,
            json!({}),
        )
        .await;
        let event = recv(&mut ws).await;
        assert_eq!(
            event,
            json!({"id": "1", "type": "data", "payload": {"data": {"changes":
                {"entity": "Theme", "slug": "legacy-theme", "kind": "CREATE"}}}})
        );
        // `stop` is answered with `complete`; `connection_terminate` closes normally.
        send(&mut ws, json!({"id": "1", "type": "stop"})).await;
        assert_eq!(recv(&mut ws).await, json!({"id": "1", "type": "complete"}));
        send(&mut ws, json!({"type": "connection_terminate"})).await;
        assert_eq!(closed(&mut ws).await, (1000, String::new()));

        let (mut ws, _) = tokio_tungstenite::connect_async({
            let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
            let mut request = url.into_client_request().expect("request");
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                "graphql-ws".parse().expect("value"),
            );
            request
        })
        .await
        .expect("WebSocket handshake");
        send(&mut ws, json!({"type": "connection_init"})).await;
        assert_eq!(recv(&mut ws).await, json!({"type": "connection_ack"}));
        // The other protocol's messages are not this one's.
        send(&mut ws, json!({"type": "ping"})).await;
        assert_eq!(
            closed(&mut ws).await,
            (4400, "Invalid message: unknown `type`".to_string())
        );
    });
}

#[tokio::test]
async fn protocol_violations_close_with_their_codes() {
    on_each_backend!(|app| {
        let subscribe = json!({"id": "1", "type": "subscribe",
            "payload": {"query": "subscription { viewPublished { objectId } }"}})
        .to_string();
        assert_eq!(
            close_after(&app, false, &subscribe).await,
            (4401, "Unauthorized".to_string())
        );
        assert_eq!(
            close_after(&app, true, r#"{"type":"connection_init"}"#).await,
            (4429, "Too many initialisation requests".to_string())
        );
        for (message, reason) in [
            ("not json", "not JSON"),
            (r#"{"id":"1"}"#, "no `type`"),
            (r#"{"type":"shout"}"#, "unknown `type`"),
            (r#"{"type":"subscribe","id":"1"}"#, "payload"),
            (
                r#"{"type":"subscribe","payload":{"query":"{ missions { code } }"}}"#,
                "`id`",
            ),
            (r#"{"type":"complete"}"#, "`id`"),
        ] {
            let (code, text) = close_after(&app, true, message).await;
            assert_eq!(code, 4400, "{message}: {text}");
            assert!(text.contains(reason), "{message}: {text}");
        }
        let (code, _) =
            close_after(&app, false, r#"{"type":"connection_init","payload":"x"}"#).await;
        assert_eq!(code, 4400);

        let mut ws = initialised(&app.address, None).await;
        send(&mut ws, serde_json::from_str(&subscribe).expect("json")).await;
        round_trip(&mut ws).await;
        send(&mut ws, serde_json::from_str(&subscribe).expect("json")).await;
        assert_eq!(
            closed(&mut ws).await,
            (4409, "Subscriber for 1 already exists".to_string())
        );
    });
}

#[tokio::test]
async fn an_id_may_be_reused_once_its_operation_is_complete() {
    on_each_backend!(|app| {
        let mut ws = initialised(&app.address, None).await;
        let subscribe = json!({"id": "s", "type": "subscribe",
            "payload": {"query": "subscription { viewPublished { objectId } }"}});
        send(&mut ws, subscribe.clone()).await;
        send(&mut ws, json!({"id": "s", "type": "complete"})).await;
        send(&mut ws, subscribe).await;
        round_trip(&mut ws).await;
        // A query's id is free again once the server has sent `complete`.
        let query = json!({"id": "q", "type": "subscribe",
            "payload": {"query": "{ missions { code } }"}});
        for _ in 0..2 {
            send(&mut ws, query.clone()).await;
            assert_eq!(recv(&mut ws).await["type"], "next");
            assert_eq!(recv(&mut ws).await, json!({"id": "q", "type": "complete"}));
        }
    });
}

#[tokio::test]
async fn tokens_are_checked_at_initialisation() {
    on_each_backend!(|app| {
        for payload in [
            json!({"authorization": "Bearer pv_not-a-real-token"}),
            json!({"token": "pv_not-a-real-token"}),
            json!({"authorization": "Basic abc"}),
        ] {
            let mut ws = connect(&app.address).await;
            send(
                &mut ws,
                json!({"type": "connection_init", "payload": payload}),
            )
            .await;
            assert_eq!(closed(&mut ws).await, (4403, "Forbidden".to_string()));
        }
        let token = editor_token(&app.db, "ws-editor").await;
        for payload in [
            json!({"authorization": format!("Bearer {token}")}),
            json!({"token": token}),
        ] {
            let mut ws = initialised(&app.address, Some(payload)).await;
            send(
                &mut ws,
                json!({"id": "1", "type": "subscribe", "payload": {
                "query": "{ missions { code } }"}}),
            )
            .await;
            let next = recv(&mut ws).await;
            assert_eq!(next["type"], "next", "{next}");
        }
    });
}

#[tokio::test]
async fn a_token_is_required_when_the_service_says_so() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) =
            TestApp::spawn_with(backend, &[("PUBLIC_VOICE_REQUIRE_TOKEN", "true")]).await
        else {
            continue;
        };
        let mut ws = connect(&app.address).await;
        send(&mut ws, json!({"type": "connection_init"})).await;
        assert_eq!(closed(&mut ws).await, (4403, "Forbidden".to_string()));
        let token = editor_token(&app.db, "required").await;
        initialised(&app.address, Some(json!({"token": token}))).await;
    }
}

#[tokio::test]
async fn initialisation_must_come_in_time() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) =
            TestApp::spawn_with(backend, &[("PUBLIC_VOICE_WS_INIT_TIMEOUT_SECS", "1")]).await
        else {
            continue;
        };
        let mut ws = connect(&app.address).await;
        // Ping is answered before initialisation too, but does not count as one.
        round_trip(&mut ws).await;
        assert_eq!(
            closed(&mut ws).await,
            (4408, "Connection initialisation timeout".to_string())
        );
    }
}

#[tokio::test]
async fn ping_pong_and_operations_over_the_socket() {
    on_each_backend!(|app| {
        let mut ws = initialised(&app.address, Some(json!({}))).await;
        round_trip(&mut ws).await;
        // A pong from the client needs no answer.
        send(&mut ws, json!({"type": "pong"})).await;
        round_trip(&mut ws).await;

        send(&mut ws, json!({"id": "q", "type": "subscribe", "payload": {
            "query": "query Codes($n: Int!) { missions { code } participantViews(first: $n) { nodes { slug } } }",
            "operationName": "Codes",
            "variables": {"n": 1}}}))
        .await;
        let next = recv(&mut ws).await;
        assert_eq!(next["id"], "q");
        assert_eq!(next["type"], "next");
        assert_eq!(
            next["payload"]["data"]["missions"].as_array().map(Vec::len),
            Some(5),
            "{next}"
        );
        assert!(next["payload"].get("errors").is_none(), "{next}");
        assert_eq!(recv(&mut ws).await, json!({"id": "q", "type": "complete"}));

        // A document that does not validate gets `error`, with codes as over HTTP, and no complete.
        send(
            &mut ws,
            json!({"id": "bad", "type": "subscribe",
            "payload": {"query": "{ noSuchField }"}}),
        )
        .await;
        let error = recv(&mut ws).await;
        assert_eq!(error["id"], "bad");
        assert_eq!(error["type"], "error");
        assert_eq!(
            error["payload"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{error}"
        );
        send(
            &mut ws,
            json!({"id": "syntax", "type": "subscribe",
            "payload": {"query": "{ missions { "}}),
        )
        .await;
        let error = recv(&mut ws).await;
        assert_eq!(error["type"], "error");
        assert_eq!(
            error["payload"][0]["extensions"]["code"],
            "GRAPHQL_PARSE_FAILED"
        );
        round_trip(&mut ws).await;

        // A mutation needing a token runs, and fails as a field error, in `next`.
        send(
            &mut ws,
            json!({"id": "m", "type": "subscribe", "payload": {
            "query": "mutation { revokeApiToken(name: \"x\") { name } }"}}),
        )
        .await;
        let next = recv(&mut ws).await;
        assert_eq!(next["type"], "next", "{next}");
        assert_eq!(
            next["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{next}"
        );
        assert_eq!(recv(&mut ws).await, json!({"id": "m", "type": "complete"}));

        // A client close is answered with a normal close.
        ws.close(None).await.expect("close");
        assert_eq!(closed(&mut ws).await.0, 1000);
    });
}

/// POSTs a GraphQL request with a bearer token; returns `data`, asserting no errors.
pub(crate) async fn authorised(address: &str, token: &str, query: &str, variables: Value) -> Value {
    crate::helpers::post_data(address, Some(token), query, variables).await
}

/// Creates a draft view through `writer`, submits it and publishes it; returns its ID.
pub(crate) async fn write_and_publish(writer: &str, token: &str, slug: &str) -> String {
    let seed = authorised(
        writer,
        token,
        "{ participantViews(first: 1) { nodes { exercise { id } provenance { source { id } } } } }",
        json!({}),
    )
    .await;
    let seed = &seed["participantViews"]["nodes"][0];
    let created = authorised(
        writer,
        token,
        "mutation($input: CreateViewInput!) { createView(input: $input) { id version } }",
        json!({"input": {
            "exerciseId": seed["exercise"]["id"],
            "sourceId": seed["provenance"]["source"]["id"],
            "locator": "p. 1",
            "slug": slug,
            "stance": "HOPE",
            "text": "Live updates should reach every replica.",
        }}),
    )
    .await;
    let id = created["createView"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let version = &created["createView"]["version"];
    let submitted = authorised(
        writer,
        token,
        "mutation($id: ID!, $v: Int!) { submitForReview(id: $id, expectedVersion: $v) { ... on ParticipantView { version } } }",
        json!({"id": id, "v": version}),
    )
    .await;
    authorised(
        writer,
        token,
        "mutation($id: ID!, $v: Int!) { publish(id: $id, expectedVersion: $v) { id } }",
        json!({"id": id, "v": submitted["submitForReview"]["version"]}),
    )
    .await;
    id
}

const VIEW_PUBLISHED: &str =
    "subscription { viewPublished { objectId entity node { id ... on ParticipantView { slug } } } }";

/// Subscribes to `viewPublished`; when this returns, the subscription is listening.
pub(crate) async fn subscribe_to_publications(ws: &mut Ws) {
    send(
        ws,
        json!({"id": "live", "type": "subscribe",
        "payload": {"query": VIEW_PUBLISHED}}),
    )
    .await;
    round_trip(ws).await;
}

#[tokio::test]
async fn an_anonymous_subscriber_hears_of_a_view_when_it_is_published() {
    on_each_backend!(|app| {
        let mut ws = initialised(&app.address, None).await;
        subscribe_to_publications(&mut ws).await;
        let token = editor_token(&app.db, "live-editor").await;
        let id = write_and_publish(&app.address, &token, "live-view").await;
        // The first message is the publication: nothing was sent for the draft or the review.
        let next = recv(&mut ws).await;
        assert_eq!(
            next,
            json!({"id": "live", "type": "next", "payload": {"data": {"viewPublished": {
                "objectId": id, "entity": "ParticipantView",
                "node": {"id": id, "slug": "live-view"}}}}})
        );
        round_trip(&mut ws).await;
        send(&mut ws, json!({"id": "live", "type": "complete"})).await;
        round_trip(&mut ws).await;
    });
}

const CHANGES: &str = "subscription($entities: [EntityKind!], $missions: [Mission!]) {
  changes(entities: $entities, missions: $missions) { kind entity slug visible } }";

/// `changes` keeps what its filters ask for, and readers never hear of drafts.
#[tokio::test]
async fn change_subscriptions_filter_by_entity_and_mission_and_hide_drafts() {
    on_each_backend!(|app| {
        let token = editor_token(&app.db, "filter-editor").await;
        let mut editor = initialised(
            &app.address,
            Some(json!({"authorization": format!("Bearer {token}")})),
        )
        .await;
        send(
            &mut editor,
            json!({"id": "ed", "type": "subscribe", "payload": {"query": CHANGES,
                "variables": {"entities": ["PARTICIPANT_VIEW"], "missions": ["EDUCATION"]}}}),
        )
        .await;
        round_trip(&mut editor).await;
        let mut reader = initialised(&app.address, None).await;
        send(
            &mut reader,
            json!({"id": "anon", "type": "subscribe", "payload": {"query": CHANGES}}),
        )
        .await;
        round_trip(&mut reader).await;

        let seed = authorised(
            &app.address,
            &token,
            r#"{ exercise(by: {slug: "ai-cam-public-dialogues-2024"}) { id } sourceDocument(by: {slug: "ai-cam-2024-10-26"}) { id } }"#,
            json!({}),
        )
        .await;
        let create = |slug: &str, mission: &str| {
            json!({"input": {"exerciseId": seed["exercise"]["id"], "sourceId": seed["sourceDocument"]["id"],
                "locator": "p. 1", "slug": slug, "stance": "HOPE", "text": "Filtered.", "missions": [mission]}})
        };
        const CREATE: &str =
            "mutation($input: CreateViewInput!) { createView(input: $input) { id version } }";
        // A health view (the editor filtered it out) and an education view, both drafts.
        authorised(
            &app.address,
            &token,
            CREATE,
            create("health-draft", "HEALTH"),
        )
        .await;
        let d = authorised(
            &app.address,
            &token,
            CREATE,
            create("education-view", "EDUCATION"),
        )
        .await;
        let id = d["createView"]["id"].clone();
        let d = authorised(
            &app.address,
            &token,
            "mutation($id: ID!) { submitForReview(id: $id, expectedVersion: 1) { ... on ParticipantView { version } } }",
            json!({"id": id}),
        )
        .await;
        assert_eq!(d["submitForReview"]["version"], 2);
        authorised(
            &app.address,
            &token,
            "mutation($id: ID!) { publish(id: $id, expectedVersion: 2) { id } }",
            json!({"id": id}),
        )
        .await;
        let event = |kind: &str, visible: bool| json!({"kind": kind, "entity": "ParticipantView", "slug": "education-view", "visible": visible});
        for expected in [
            event("CREATE", false),
            event("UPDATE", false),
            event("UPDATE", true),
        ] {
            let next = recv(&mut editor).await;
            assert_eq!(next["id"], "ed");
            assert_eq!(next["payload"]["data"]["changes"], expected);
        }
        // The reader's first event is the publication.
        let next = recv(&mut reader).await;
        assert_eq!(next["payload"]["data"]["changes"], event("UPDATE", true));
        round_trip(&mut editor).await;
        round_trip(&mut reader).await;
    });
}

/// A server process of the real binary, killed when dropped.
pub(crate) struct Replica {
    child: Child,
    pub(crate) address: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port and reads the address from its "serving GraphQL" log line.
pub(crate) fn start_replica(database_url: &str, dir: &std::path::Path) -> Replica {
    start_replica_with(database_url, dir, &[])
}

/// [`start_replica`] with extra settings.
pub(crate) fn start_replica_with(
    database_url: &str,
    dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> Replica {
    let mut child = Command::new(env!("CARGO_BIN_EXE_public-voice"))
        .envs(extra.iter().copied())
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("PUBLIC_VOICE_PORT", "0")
        .env("PUBLIC_VOICE_WORKERS", "1")
        .env("PUBLIC_VOICE_DB_MAX_CONNECTIONS", "4")
        .env("PUBLIC_VOICE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the server");
    // Logs go to standard error.
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
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let mut replica = Replica {
        child,
        address: String::new(),
    };
    replica.address = address.expect("the server logged the address it serves at");
    replica
}

#[tokio::test]
async fn a_publication_on_one_replica_reaches_subscribers_of_another() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    // One after the other: the first migrates and seeds, the second finds it done.
    let a = start_replica(db.url(), dir.path());
    let b = start_replica(db.url(), dir.path());
    assert_ne!(a.address, b.address);

    let mut ws = initialised(&a.address, None).await;
    subscribe_to_publications(&mut ws).await;
    let token = editor_token(&db, "replica-editor").await;
    let id = write_and_publish(&b.address, &token, "across-replicas").await;
    let next = recv(&mut ws).await;
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(next["payload"]["data"]["viewPublished"]["objectId"], id);
    assert_eq!(
        next["payload"]["data"]["viewPublished"]["node"]["slug"],
        "across-replicas"
    );
    drop(ws);
    drop(a);
    drop(b);
}
