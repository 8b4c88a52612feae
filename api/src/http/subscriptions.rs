//! `/graphql` over WebSocket: the graphql-transport-ws protocol (the `graphql-ws` library's
//! PROTOCOL.md), written out here because async-graphql's own implementation closes with the
//! wrong codes and has no initialisation timeout.
//!
//! One task per connection runs the state machine below; every operation's response stream is
//! polled by that same task, so no message of an operation can overtake its `complete`, and a
//! client `complete` stops the operation before anything more of it is sent.
//!
//! - The `graphql-transport-ws` subprotocol (or the legacy one below) must be requested; otherwise
//!   the socket is opened and closed at once with 4406 (as the reference server does, so a client sees the reason).
//! - The legacy `graphql-ws` subprotocol (Apollo's subscriptions-transport-ws) is spoken too, by
//!   the same state machine with that protocol's message names (`start`, `stop`, `data`,
//!   `connection_terminate`), because Python `gql` uses it with its default settings: it offers
//!   both, legacy first, and cannot read which one the server chose (it looks the answer up as
//!   `Sec-WebSocket-Protocol`, case-sensitively, and HTTP/1 header names are sent in lower case),
//!   so it speaks the legacy one. The server takes the first subprotocol in the client's order of
//!   preference that it speaks. In that dialect an operation that never ran gets its errors as
//!   `data` and then `complete` (as the legacy reference server does), not `error`; a `stop` is
//!   answered with `complete`; there is no `ping`/`pong` (nor keep-alive `ka`, which is optional).
//! - `connection_init` must arrive within the configured timeout (4408). Its payload may carry
//!   `{"authorization": "Bearer <token>"}` or `{"token": "<token>"}`; an invalid or revoked token,
//!   or none when tokens are required, closes with 4403. Tokens are never logged.
//! - A second `connection_init` closes with 4429, `subscribe` before `connection_ack` with 4401, a
//!   `subscribe` reusing an active id with 4409, and any message that is not valid JSON or not a
//!   protocol message with 4400.
//! - An operation that does not parse or validate gets one `error` (GraphQL errors with
//!   `extensions.code`, as over HTTP); otherwise its results come as `next` and its end as
//!   `complete`. Queries and mutations give one `next`, then `complete`.
//! - When the server begins to shut down, every connection is closed with 1001 (going away), so
//!   open subscriptions do not hold the shutdown up; clients reconnect to another replica.
//! - A new operation is polled once before the next client message is read, so a `pong` to a later
//!   `ping` tells the client its subscription is listening.
//! - A connection that authenticated with a token closes with 4403 (stopping every operation it
//!   runs) as soon as the token is revoked (the hub says when one may have been; the connection
//!   then checks its own) or expires; the token is also checked again before each operation.

use crate::auth::{self, Viewer};
use crate::changes::Hub;
use crate::errors::code;
use crate::http::graphql::{finish, refuse_introspection, with_request_data};
use crate::http::request_id::RequestId;
use crate::metrics::Metrics;
use crate::persisted::PersistedDocuments;
use crate::response_shape::Shape;
use crate::schema::AppSchema;
use crate::shutdown::Shutdown;
use actix_web::{
    http::header::{self, HeaderValue},
    web, HttpMessage, HttpRequest, HttpResponse,
};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use futures_util::{
    future::{AbortHandle, Abortable, FutureExt},
    stream::{BoxStream, SelectAll},
    StreamExt,
};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tracing::Instrument;

/// The subprotocol this endpoint speaks.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// The legacy subprotocol (subscriptions-transport-ws) this endpoint also speaks.
pub const LEGACY_PROTOCOL: &str = "graphql-ws";

/// Which of the two subprotocols a connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    /// graphql-transport-ws.
    TransportWs,
    /// graphql-ws (subscriptions-transport-ws).
    Legacy,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Dialect::TransportWs => PROTOCOL,
            Dialect::Legacy => LEGACY_PROTOCOL,
        }
    }

    /// The message type for an operation's result.
    fn next(self) -> &'static str {
        match self {
            Dialect::TransportWs => "next",
            Dialect::Legacy => "data",
        }
    }
}

/// How the WebSocket endpoint behaves.
#[derive(Clone, Copy, Debug)]
pub struct WsConfig {
    /// How long a client has to send `connection_init` after the socket opens.
    pub init_timeout: Duration,
    /// Refuse connections without a valid API token.
    pub require_token: bool,
    /// The largest message accepted (the same limit as an HTTP body).
    pub max_message_bytes: usize,
    /// Let anonymous callers introspect the schema and see "Did you mean" suggestions.
    pub anonymous_introspection: bool,
    /// Aliases, directives, tokens and duplicated fields, checked before validation.
    pub document: crate::limits::DocumentLimits,
    /// The deepest nesting of data fields (`PUBLIC_VOICE_MAX_QUERY_DEPTH`, see `depth_limit`).
    pub max_depth: usize,
}

/// Whether a request asks to upgrade to WebSocket (the route guard for this handler).
pub fn is_upgrade(head: &actix_web::dev::RequestHead) -> bool {
    head.headers()
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
}

/// The first subprotocol the client offers in `Sec-WebSocket-Protocol` (in its order of
/// preference) that this endpoint speaks.
fn chosen_dialect(req: &HttpRequest) -> Option<Dialect> {
    req.headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| match p.trim() {
            PROTOCOL => Some(Dialect::TransportWs),
            LEGACY_PROTOCOL => Some(Dialect::Legacy),
            _ => None,
        })
}

/// Upgrades the request and runs the connection in its own task.
pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    schema: web::Data<AppSchema>,
    conn: web::Data<DatabaseConnection>,
    config: web::Data<WsConfig>,
    persisted: web::Data<PersistedDocuments>,
    hub: web::Data<Hub>,
) -> actix_web::Result<HttpResponse> {
    let (mut response, session, messages) = actix_ws::handle(&req, body)?;
    let dialect = chosen_dialect(&req);
    if let Some(dialect) = dialect {
        response.headers_mut().insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(dialect.name()),
        );
    }
    let messages = messages
        .max_frame_size(config.max_message_bytes)
        .aggregate_continuations()
        .max_continuation_size(config.max_message_bytes);
    let request_id = req.extensions().get::<RequestId>().cloned();
    let connection = Connection {
        schema: schema.into_inner(),
        conn: conn.get_ref().clone(),
        config: **config,
        // Registered by the server; read here rather than as arguments to keep the handler small.
        shutdown: req
            .app_data::<web::Data<Shutdown>>()
            .map(|s| s.get_ref().clone())
            .unwrap_or_default(),
        metrics: req
            .app_data::<web::Data<Metrics>>()
            .map(|m| m.clone().into_inner())
            .unwrap_or_default(),
        persisted: persisted.into_inner(),
        shape: req
            .app_data::<web::Data<Shape>>()
            .map(|s| s.clone().into_inner()),
        request_id: request_id.clone(),
        session,
        dialect: dialect.unwrap_or(Dialect::TransportWs),
        state: State::Waiting,
        credential: None,
        tokens: hub.token_changes(),
        rate_limiter: req
            .app_data::<web::Data<crate::ratelimit::RateLimiter>>()
            .map(|l| l.clone().into_inner()),
        peer: req.peer_addr().map(|a| a.ip()),
        operations: HashMap::new(),
        streams: SelectAll::new(),
    };
    let span = tracing::info_span!(
        "websocket",
        request_id = %request_id.as_ref().map(|r| r.0.as_str()).unwrap_or_default()
    );
    actix_web::rt::spawn(
        async move {
            if dialect.is_some() {
                connection.run(messages).await;
            } else {
                connection
                    .close(4406, "Subprotocol not acceptable".to_string())
                    .await;
            }
        }
        .instrument(span),
    );
    Ok(response)
}

/// A message from the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[allow(dead_code)]
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {
        #[allow(dead_code)]
        #[serde(default)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    Complete {
        id: String,
    },
    /// Only in the legacy protocol (`connection_terminate`): the client is leaving.
    #[serde(skip)]
    Terminate,
}

/// A message from a client of the legacy protocol, where it differs.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum LegacyMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Start {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    Stop {
        id: String,
    },
    ConnectionTerminate,
}

/// Where the connection is in the handshake.
enum State {
    /// No `connection_init` yet.
    Waiting,
    /// Acknowledged: operations run as this viewer.
    Ready(Viewer),
}

/// One item of an operation's stream: a response, or `None` when the stream has ended.
type Tagged = (String, Option<async_graphql::Response>);

/// Why the connection loop stops.
enum Stop {
    /// Close the socket with this code and reason.
    Close(u16, String),
    /// The client went away or closed: nothing more to send.
    Gone,
}

struct Connection {
    schema: std::sync::Arc<AppSchema>,
    conn: DatabaseConnection,
    config: WsConfig,
    shutdown: Shutdown,
    metrics: std::sync::Arc<Metrics>,
    persisted: std::sync::Arc<PersistedDocuments>,
    /// The type facts responses are reshaped with (registered by the server).
    shape: Option<std::sync::Arc<Shape>>,
    request_id: Option<RequestId>,
    session: Session,
    dialect: Dialect,
    state: State,
    /// Charges each operation to the client's budget, as over HTTP.
    rate_limiter: Option<std::sync::Arc<crate::ratelimit::RateLimiter>>,
    /// The client's address (the rate-limit key of anonymous callers).
    peer: Option<std::net::IpAddr>,
    /// The token the connection authenticated with, checked again when the hub says so.
    credential: Option<auth::Credential>,
    /// Changes whenever a token may have been revoked.
    tokens: tokio::sync::watch::Receiver<u64>,
    /// Active operations by id, each with the handle that stops it and whether it has sent yet.
    operations: HashMap<String, (AbortHandle, bool)>,
    streams: SelectAll<Abortable<BoxStream<'static, Tagged>>>,
}

impl Connection {
    async fn run(mut self, mut messages: actix_ws::AggregatedMessageStream) {
        let deadline = tokio::time::Instant::now() + self.config.init_timeout;
        self.metrics.websockets_open(1);
        let shutdown = self.shutdown.clone();
        let stop = loop {
            let waiting = matches!(self.state, State::Waiting);
            let watching = self.credential.is_some();
            let expiry = self.expiry();
            let operations = self.operations.len();
            let step = tokio::select! {
                // First, so that a busy connection cannot delay it.
                biased;
                _ = shutdown.begun() => Err(Stop::Close(1001, "Server is shutting down".into())),
                message = messages.recv() => match message {
                    Some(Ok(message)) => self.on_frame(message).await,
                    Some(Err(actix_ws::ProtocolError::Overflow)) => {
                        Err(Stop::Close(1009, "Message too big".into()))
                    }
                    Some(Err(err)) => {
                        tracing::debug!(error = %err, "WebSocket protocol error");
                        Err(Stop::Close(1002, "WebSocket protocol error".into()))
                    }
                    None => Err(Stop::Gone),
                },
                Some((id, response)) = self.streams.next(), if !self.streams.is_empty() => {
                    self.on_response(id, response).await
                }
                _ = tokio::time::sleep_until(deadline), if waiting => {
                    Err(Stop::Close(4408, "Connection initialisation timeout".into()))
                }
                changed = self.tokens.changed(), if watching => match changed {
                    Ok(()) => self.check_token().await,
                    // The hub is gone: the server is stopping.
                    Err(_) => Err(Stop::Close(1001, "Going away".into())),
                },
                _ = tokio::time::sleep_until(expiry.unwrap_or(deadline)), if expiry.is_some() => {
                    Err(Stop::Close(4403, "Forbidden: the token has expired".into()))
                }
            };
            self.metrics
                .subscriptions_open(self.operations.len() as i64 - operations as i64);
            if let Err(stop) = step {
                break stop;
            }
        };
        for (handle, _) in self.operations.values() {
            handle.abort();
        }
        self.metrics
            .subscriptions_open(-(self.operations.len() as i64));
        self.metrics.websockets_open(-1);
        if let Stop::Close(code, reason) = stop {
            self.close(code, reason).await;
        }
    }

    /// When the connection's token expires, as a timer deadline.
    fn expiry(&self) -> Option<tokio::time::Instant> {
        let at = self.credential.as_ref()?.expires_at?;
        let left = (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
        Some(tokio::time::Instant::now() + left)
    }

    /// Closes with 4403 unless the connection's token is still valid.
    async fn check_token(&mut self) -> Result<(), Stop> {
        let Some(credential) = &self.credential else {
            return Ok(());
        };
        match auth::still_valid(&self.conn, credential).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Stop::Close(
                4403,
                "Forbidden: the token was revoked or has expired".into(),
            )),
            // Cannot tell now; the next signal or operation checks again.
            Err(_) => Ok(()),
        }
    }

    async fn close(self, code: u16, mut reason: String) {
        // A close frame's reason is limited to 123 bytes.
        if reason.len() > 123 {
            let mut end = 123;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
        }
        tracing::debug!(code, reason = %reason, "closing WebSocket");
        let _ = self
            .session
            .close(Some(CloseReason {
                code: CloseCode::from(code),
                description: Some(reason),
            }))
            .await;
    }

    async fn send(&mut self, message: Value) -> Result<(), Stop> {
        self.session
            .text(message.to_string())
            .await
            .map_err(|_| Stop::Gone)
    }

    async fn on_frame(&mut self, frame: AggregatedMessage) -> Result<(), Stop> {
        let text = match frame {
            AggregatedMessage::Text(text) => text.to_string(),
            // The protocol sends JSON text; a binary frame holding UTF-8 JSON is read the same way.
            AggregatedMessage::Binary(bytes) => match String::from_utf8(bytes.to_vec()) {
                Ok(text) => text,
                Err(_) => return Err(Stop::Close(4400, "Binary message is not UTF-8".into())),
            },
            AggregatedMessage::Ping(bytes) => {
                return self.session.pong(&bytes).await.map_err(|_| Stop::Gone)
            }
            AggregatedMessage::Pong(_) => return Ok(()),
            AggregatedMessage::Close(reason) => {
                tracing::debug!(code = ?reason.as_ref().map(|r| r.code), "client closed");
                // Answer with a close frame of our own, as RFC 6455 asks.
                return Err(Stop::Close(1000, String::new()));
            }
        };
        // The payload may hold a token: parse errors must not quote it.
        let parsed = match self.dialect {
            Dialect::TransportWs => serde_json::from_str::<ClientMessage>(&text),
            Dialect::Legacy => serde_json::from_str::<LegacyMessage>(&text).map(|m| match m {
                LegacyMessage::ConnectionInit { payload } => {
                    ClientMessage::ConnectionInit { payload }
                }
                LegacyMessage::Start { id, payload } => ClientMessage::Subscribe { id, payload },
                LegacyMessage::Stop { id } => ClientMessage::Complete { id },
                LegacyMessage::ConnectionTerminate => ClientMessage::Terminate,
            }),
        };
        let message = match parsed {
            Ok(message) => message,
            Err(err) => {
                return Err(Stop::Close(
                    4400,
                    invalid_message(&text, &err, self.dialect),
                ))
            }
        };
        self.on_message(message).await
    }

    async fn on_message(&mut self, message: ClientMessage) -> Result<(), Stop> {
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if let State::Ready(_) = self.state {
                    return Err(Stop::Close(4429, "Too many initialisation requests".into()));
                }
                let (viewer, credential) = self.authenticate(payload).await?;
                self.state = State::Ready(viewer);
                self.credential = credential;
                // Revocations before this moment were seen by the check just made.
                self.tokens.mark_unchanged();
                self.send(json!({"type": "connection_ack"})).await
            }
            ClientMessage::Ping { .. } => self.send(json!({"type": "pong"})).await,
            ClientMessage::Pong { .. } => Ok(()),
            ClientMessage::Terminate => Err(Stop::Close(1000, String::new())),
            ClientMessage::Subscribe { id, payload } => {
                if !matches!(self.state, State::Ready(_)) {
                    return Err(Stop::Close(4401, "Unauthorized".into()));
                }
                // A revocation must bite even if its signal has not arrived yet.
                self.check_token().await?;
                let State::Ready(viewer) = &self.state else {
                    return Err(Stop::Close(4401, "Unauthorized".into()));
                };
                if self.operations.contains_key(&id) {
                    return Err(Stop::Close(
                        4409,
                        format!("Subscriber for {id} already exists"),
                    ));
                }
                let stream = self.start(viewer.clone(), id.clone(), *payload);
                let (handle, registration) = AbortHandle::new_pair();
                self.streams.push(Abortable::new(stream, registration));
                self.operations.insert(id, (handle, false));
                // Poll the new operation once now, so a subscription is listening before the next
                // client message is read: a client that gets `pong` for a later `ping` knows that
                // no event committed after it can be missed.
                while let Some(Some((id, response))) = self.streams.next().now_or_never() {
                    self.on_response(id, response).await?;
                }
                Ok(())
            }
            ClientMessage::Complete { id } => {
                // Completing an unknown or finished operation is allowed and does nothing.
                if let Some((handle, _)) = self.operations.remove(&id) {
                    handle.abort();
                    // A legacy `stop` is answered with `complete` (clients wait for it).
                    if self.dialect == Dialect::Legacy {
                        return self.send(json!({"id": id, "type": "complete"})).await;
                    }
                }
                Ok(())
            }
        }
    }

    /// Resolves the `connection_init` payload to a viewer and its token, or the 4403 that refuses
    /// it.
    async fn authenticate(
        &self,
        payload: Option<Value>,
    ) -> Result<(Viewer, Option<auth::Credential>), Stop> {
        let header = match &payload {
            None | Some(Value::Null) => None,
            // Any case: GraphiQL sends its headers editor's `Authorization` here.
            Some(Value::Object(map)) => match (
                map.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                    .map(|(_, v)| v),
                map.get("token"),
            ) {
                (Some(Value::String(h)), _) => Some(h.clone()),
                (None | Some(Value::Null), Some(Value::String(t))) => Some(format!("Bearer {t}")),
                (None | Some(Value::Null), None | Some(Value::Null)) => None,
                _ => {
                    return Err(Stop::Close(
                        4400,
                        "`authorization` and `token` must be strings".into(),
                    ))
                }
            },
            Some(_) => {
                return Err(Stop::Close(
                    4400,
                    "The connection_init payload must be an object".into(),
                ))
            }
        };
        match auth::authenticate_credential(&self.conn, header.as_deref()).await {
            Ok((Viewer::Anonymous, _)) if self.config.require_token => {
                Err(Stop::Close(4403, "Forbidden".into()))
            }
            Ok(found) => Ok(found),
            Err(err) if err.code() == code::INTERNAL => {
                Err(Stop::Close(1011, "Internal server error".into()))
            }
            Err(_) => Err(Stop::Close(4403, "Forbidden".into())),
        }
    }

    /// Starts an operation; its stream ends with `None` when the operation is complete.
    fn start(
        &self,
        viewer: Viewer,
        id: String,
        mut request: async_graphql::Request,
    ) -> BoxStream<'static, Tagged> {
        let hide_schema =
            !self.config.anonymous_introspection && matches!(viewer, Viewer::Anonymous);
        // Document limits first, as over HTTP: the token count runs on the text, before anything
        // parses the document.
        let refused = match self.persisted.resolve(&mut request) {
            Err(error) => Some(error),
            Ok(()) => match crate::limits::check(&mut request, &self.config.document) {
                Err(error) => Some(error),
                Ok(()) if hide_schema => refuse_introspection(&mut request),
                Ok(()) => None,
            },
        };
        if let Some(refused) = refused {
            let response = async_graphql::Response::from_errors(vec![refused]);
            return futures_util::stream::iter([(id.clone(), Some(response)), (id, None)]).boxed();
        }
        // A query or mutation holds one of its client's places in flight (shared with the client's
        // HTTP requests on this replica) until it completes. Subscriptions do not: they are meant
        // to stay open, and many readers behind one address would otherwise lock each other out.
        let mut in_flight = None;
        let subscription = is_subscription(&mut request);
        if let Some(limiter) = &self.rate_limiter {
            let client = crate::ratelimit::client_key(&viewer, self.peer);
            if !subscription {
                match limiter.enter(&client) {
                    Some(guard) => in_flight = Some(guard),
                    None => {
                        let mut refused = async_graphql::ServerError::new(
                            format!(
                                "Secondary rate limit: at most {} requests and operations from one client at once (PUBLIC_VOICE_MAX_CONCURRENT_REQUESTS)",
                                limiter.settings().max_concurrent
                            ),
                            None,
                        );
                        refused
                            .extensions
                            .get_or_insert_with(Default::default)
                            .set("code", code::RATE_LIMITED);
                        let response = async_graphql::Response::from_errors(vec![refused]);
                        return futures_util::stream::iter([
                            (id.clone(), Some(response)),
                            (id, None),
                        ])
                        .boxed();
                    }
                }
            }
            request = request.data(crate::ratelimit::RateSlot::new(
                client,
                limiter.settings().budget(&viewer),
            ));
        }
        // The depth limit, where the engine ran it before validation (see `depth_limit`).
        let too_deep = request
            .parsed_query()
            .ok()
            .and_then(|document| crate::depth_limit::check(document, self.config.max_depth).err());
        if let Some(refused) = too_deep {
            let response = async_graphql::Response::from_errors(vec![refused]);
            return futures_util::stream::iter([(id.clone(), Some(response)), (id, None)]).boxed();
        }
        request = with_request_data(request, &self.conn, viewer, self.request_id.as_ref());
        let parse_failed = request.parsed_query().is_err();
        let shape = self.shape.clone();
        let prepared = shape.as_ref().and_then(|shape| shape.prepare(&mut request));
        tracing::debug!(
            operation = %request.operation_name.as_deref().unwrap_or_default(),
            subscription_id = %id,
            "operation started"
        );
        let end_id = id.clone();
        self.schema
            .execute_stream(request)
            .map(move |mut response| {
                let _holds_its_place = &in_flight;
                finish(
                    &mut response,
                    shape.as_deref(),
                    prepared.as_ref(),
                    parse_failed,
                    hide_schema,
                );
                (id.clone(), Some(response))
            })
            .chain(futures_util::stream::once(async move { (end_id, None) }))
            .boxed()
    }

    async fn on_response(
        &mut self,
        id: String,
        response: Option<async_graphql::Response>,
    ) -> Result<(), Stop> {
        let Some(response) = response else {
            if self.operations.remove(&id).is_some() {
                self.send(json!({"id": id, "type": "complete"})).await?;
            }
            return Ok(());
        };
        let Some((handle, started)) = self.operations.get_mut(&id) else {
            return Ok(());
        };
        let first = !*started;
        *started = true;
        let not_executed = response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty());
        if first && not_executed {
            // The operation never ran: `error` ends it, and no `complete` follows.
            handle.abort();
            self.operations.remove(&id);
            let errors = serde_json::to_value(&response.errors).unwrap_or_else(|err| {
                tracing::error!(error = %err, "could not serialise GraphQL errors");
                json!([{"message": "Internal server error", "extensions": {"code": code::INTERNAL}}])
            });
            if self.dialect == Dialect::Legacy {
                // The legacy `error` carries one error object; `data` carries them all.
                self.send(json!({"id": id, "type": "data", "payload": {"errors": errors}}))
                    .await?;
                return self.send(json!({"id": id, "type": "complete"})).await;
            }
            return self
                .send(json!({"id": id, "type": "error", "payload": errors}))
                .await;
        }
        let payload = serde_json::to_value(&response).unwrap_or_else(|err| {
            tracing::error!(error = %err, "could not serialise a GraphQL response");
            json!({"errors": [{"message": "Internal server error", "extensions": {"code": code::INTERNAL}}]})
        });
        let kind = self.dialect.next();
        self.send(json!({"id": id, "type": kind, "payload": payload}))
            .await
    }
}

/// The reason for a 4400 close: what was wrong, without echoing the message (it may hold a token).
fn invalid_message(text: &str, err: &serde_json::Error, dialect: Dialect) -> String {
    let known: &[&str] = match dialect {
        Dialect::TransportWs => &["connection_init", "ping", "pong", "subscribe", "complete"],
        Dialect::Legacy => &["connection_init", "start", "stop", "connection_terminate"],
    };
    match serde_json::from_str::<Value>(text) {
        Err(_) => "Invalid message: not JSON".to_string(),
        Ok(value) => match value.get("type").and_then(Value::as_str) {
            None => "Invalid message: no `type`".to_string(),
            Some(kind) if known.contains(&kind) => {
                // serde's message names the missing or mistyped field, never a value.
                let detail = err.to_string();
                let detail = detail.split(" at line").next().unwrap_or_default();
                format!("Invalid {kind} message: {detail}")
            }
            Some(_) => "Invalid message: unknown `type`".to_string(),
        },
    }
}

/// Whether the request runs a subscription (false when its document does not parse: the engine
/// reports that).
fn is_subscription(request: &mut async_graphql::Request) -> bool {
    super::graphql::operation_type(request)
        == Some(async_graphql::parser::types::OperationType::Subscription)
}
