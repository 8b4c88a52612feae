//! `/graphql` over HTTP, following the GraphQL-over-HTTP specification:
//! - POST takes `application/json` only. Form-encoded, multipart and `text/plain` bodies, which a
//!   browser can send cross-site without a preflight, are refused with 415 (CSRF protection).
//! - GET takes `query`, `operationName`, `variables` and `extensions` in the query string and runs
//!   queries only: a mutation over GET is refused with 405.
//! - The response is `application/graphql-response+json` when the client accepts it (with the
//!   specification's status codes: 400 when the document could not be executed at all), else
//!   `application/json` (always 200 once the request was understood); 406 when neither is
//!   acceptable.
//! - Every error carries a stable `extensions.code`.

use crate::auth::{self, Viewer};
use crate::engine::Volatile;
use crate::errors::code;
use crate::http::memo::{Remembered, ResponseMemo};
use crate::http::request_id::RequestId;
use crate::loaders;
use crate::persisted::PersistedDocuments;
use crate::ratelimit::{self, RateLimiter, RateSlot};
use crate::response_shape::Shape;
use crate::schema::AppSchema;
use actix_web::{
    http::{header, StatusCode},
    web::{self, Bytes},
    HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder,
};
use async_graphql::{
    parser::types::{DocumentOperations, OperationType},
    PathSegment, ServerError,
};
use futures_util::StreamExt;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use std::sync::Arc;
use tracing::Instrument;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// Limits the handler enforces before any GraphQL work.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    pub max_body_bytes: usize,
    /// Aliases, directives, tokens and duplicated fields, checked before validation.
    pub document: crate::limits::DocumentLimits,
    /// The deepest nesting of data fields (`PUBLIC_VOICE_MAX_QUERY_DEPTH`, see `depth_limit`).
    pub max_depth: usize,
    /// Refuse requests without a valid API token (reads included).
    pub require_token: bool,
    /// Let anonymous callers introspect the schema and see "Did you mean" suggestions.
    pub anonymous_introspection: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Media {
    GraphqlResponseJson,
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response media type from `Accept`, by quality then by our preference.
fn negotiate(req: &HttpRequest) -> Option<Media> {
    let Some(accept) = req.headers().get(header::ACCEPT) else {
        return Some(Media::Json);
    };
    let accept = accept.to_str().ok()?;
    if accept.trim().is_empty() {
        return Some(Media::Json);
    }
    let mut best: Option<(f32, Media)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let range = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let mut q = 1.0f32;
        for param in parts {
            if let Some(v) = param.trim().strip_prefix("q=") {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        if q <= 0.0 {
            continue;
        }
        let media = match range.as_str() {
            GRAPHQL_RESPONSE_JSON => Media::GraphqlResponseJson,
            JSON | "application/*" | "*/*" => Media::Json,
            _ => continue,
        };
        let better = match best {
            None => true,
            Some((bq, bm)) => {
                q > bq || (q == bq && media == Media::GraphqlResponseJson && bm != media)
            }
        };
        if better {
            best = Some((q, media));
        }
    }
    best.map(|(_, m)| m)
}

fn error_body(message: &str, error_code: &str) -> serde_json::Value {
    serde_json::json!({"errors": [{"message": message, "extensions": {"code": error_code}}]})
}

fn http_error(status: StatusCode, media: Media, message: &str, error_code: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(media.content_type())
        .json(error_body(message, error_code))
}

/// Parameters of a GET request.
#[derive(Deserialize)]
struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

pub async fn get(
    req: HttpRequest,
    schema: web::Data<AppSchema>,
    limits: web::Data<HttpLimits>,
    conn: web::Data<DatabaseConnection>,
    persisted: web::Data<PersistedDocuments>,
) -> HttpResponse {
    let Some(media) = negotiate(&req) else {
        return not_acceptable();
    };
    let params = match web::Query::<GetParams>::from_query(req.query_string()) {
        Ok(p) => p.into_inner(),
        Err(_) => {
            return http_error(
                StatusCode::BAD_REQUEST,
                media,
                "Malformed query string",
                code::BAD_REQUEST,
            )
        }
    };
    // The query may be left out when extensions.persistedQuery names it.
    let mut request = async_graphql::Request::new(params.query.unwrap_or_default());
    if let Some(name) = params.operation_name.filter(|n| !n.is_empty()) {
        request = request.operation_name(name);
    }
    for (field, raw) in [
        ("variables", &params.variables),
        ("extensions", &params.extensions),
    ] {
        let Some(raw) = raw.as_deref().filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let value: serde_json::Value = match serde_json::from_str(raw) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            _ => {
                return http_error(
                    StatusCode::BAD_REQUEST,
                    media,
                    &format!("The `{field}` parameter must be a JSON object"),
                    code::BAD_REQUEST,
                )
            }
        };
        if field == "variables" {
            request = request.variables(async_graphql::Variables::from_json(value));
        } else if let Ok(ext) = serde_json::from_value(value) {
            request.extensions = ext;
        }
    }
    if let Some(refused) = use_persisted(&persisted, &mut request, media) {
        return refused;
    }
    // Only queries may run over GET: a GET must be safe, and a link or image tag can send one.
    if matches!(
        operation_type(&mut request),
        Some(OperationType::Mutation | OperationType::Subscription)
    ) {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .content_type(media.content_type())
            .json(error_body(
                "Only queries can be sent with GET; send mutations with POST",
                code::METHOD_NOT_ALLOWED,
            ));
    }
    execute(&req, &schema, &conn, &limits, request, media).await
}

pub async fn post(
    req: HttpRequest,
    mut payload: web::Payload,
    schema: web::Data<AppSchema>,
    limits: web::Data<HttpLimits>,
    conn: web::Data<DatabaseConnection>,
    persisted: web::Data<PersistedDocuments>,
) -> HttpResponse {
    let Some(media) = negotiate(&req) else {
        return not_acceptable();
    };
    let content_type = req.mime_type().ok().flatten();
    let is_json = content_type
        .as_ref()
        .is_some_and(|m| m.essence_str() == JSON);
    if !is_json {
        return http_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "POST bodies must be application/json",
            code::UNSUPPORTED_MEDIA_TYPE,
        );
    }
    let too_large = || {
        http_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            media,
            &format!(
                "The request body is larger than the limit of {} bytes",
                limits.max_body_bytes
            ),
            code::PAYLOAD_TOO_LARGE,
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes) {
        return too_large();
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return http_error(
                StatusCode::BAD_REQUEST,
                media,
                "The request body could not be read",
                code::BAD_REQUEST,
            );
        };
        if body.len() + chunk.len() > limits.max_body_bytes {
            return too_large();
        }
        body.extend_from_slice(&chunk);
    }
    let mut request = match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(r) => r,
        Err(err) => {
            return http_error(
                StatusCode::BAD_REQUEST,
                media,
                &format!("The body is not a GraphQL request: {err}"),
                code::BAD_REQUEST,
            )
        }
    };
    if let Some(refused) = use_persisted(&persisted, &mut request, media) {
        return refused;
    }
    execute(&req, &schema, &conn, &limits, request, media).await
}

/// Resolves a persisted document (see `persisted`); `Some` is the request error to answer with.
fn use_persisted(
    persisted: &PersistedDocuments,
    request: &mut async_graphql::Request,
    media: Media,
) -> Option<HttpResponse> {
    persisted.resolve(request).err().map(|error| {
        let malformed = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from(code::BAD_REQUEST));
        let status = if malformed || media == Media::GraphqlResponseJson {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        HttpResponse::build(status)
            .content_type(media.content_type())
            .json(serde_json::json!({ "errors": [error] }))
    })
}

/// Any method other than GET and POST on `/graphql`.
pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET, POST"))
        .content_type(Media::Json.content_type())
        .json(error_body(
            "/graphql accepts GET (queries) and POST",
            code::METHOD_NOT_ALLOWED,
        ))
}

fn not_acceptable() -> HttpResponse {
    HttpResponse::NotAcceptable()
        .content_type(Media::Json.content_type())
        .json(error_body(
            "Acceptable media types are application/graphql-response+json and application/json",
            code::NOT_ACCEPTABLE,
        ))
}

/// Who is calling, or the 401 response that refuses them. The token itself is never logged.
async fn viewer(
    req: &HttpRequest,
    conn: &DatabaseConnection,
    limits: &HttpLimits,
    media: Media,
) -> Result<Viewer, HttpResponse> {
    let header = match req.headers().get(header::AUTHORIZATION).map(|v| v.to_str()) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => Some(""),
    };
    let refuse = |message: &str, error_code: &str| {
        let status = if error_code == code::INTERNAL {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::UNAUTHORIZED
        };
        HttpResponse::build(status)
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .content_type(media.content_type())
            .json(error_body(message, error_code))
    };
    match auth::authenticate(conn, header).await {
        Ok(Viewer::Anonymous) if limits.require_token => Err(refuse(
            "This service requires an API token: send `Authorization: Bearer <token>`",
            code::UNAUTHENTICATED,
        )),
        Ok(viewer) => Ok(viewer),
        Err(err) => Err(refuse(&err.message(), err.code())),
    }
}

async fn execute(
    req: &HttpRequest,
    schema: &AppSchema,
    conn: &DatabaseConnection,
    limits: &HttpLimits,
    mut request: async_graphql::Request,
    media: Media,
) -> HttpResponse {
    let viewer = match viewer(req, conn, limits, media).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    // Rate limits: the secondary limit (requests in flight) now, the points budget once the
    // engine has computed the request's cost.
    let limiter = req
        .app_data::<web::Data<RateLimiter>>()
        .map(|l| l.clone().into_inner());
    let mut _in_flight = None;
    let mut slot = None;
    if let Some(limiter) = &limiter {
        let client = ratelimit::client_key(&viewer, req.peer_addr().map(|a| a.ip()));
        match limiter.enter(&client) {
            Some(guard) => _in_flight = Some(guard),
            None => {
                return HttpResponse::TooManyRequests()
                    .insert_header((header::RETRY_AFTER, "1"))
                    .content_type(media.content_type())
                    .json(error_body(
                        &format!(
                            "Secondary rate limit: at most {} requests from one client at once (PUBLIC_VOICE_MAX_CONCURRENT_REQUESTS)",
                            limiter.settings().max_concurrent
                        ),
                        code::RATE_LIMITED,
                    ))
            }
        }
        let account = RateSlot::new(client, limiter.settings().budget(&viewer));
        request = request.data(account.clone());
        slot = Some(account);
    }
    // A query answered before at the engine's current position is sent again as it was (see
    // `memo`): it passed every check below then, and they depend only on its text.
    let memo = req
        .app_data::<web::Data<ResponseMemo>>()
        .filter(|_| matches!(viewer, Viewer::Anonymous));
    let place = memo.and_then(|m| m.place(&request));
    if let (Some(memo), Some((seq, key))) = (memo, &place) {
        if let Some(hit) = memo.recall(*seq, key) {
            let limiter = limiter.as_deref().filter(|l| l.settings().enabled);
            if let Some(response) = remembered(req, hit, limiter, slot.as_deref(), media).await {
                return response;
            }
        }
    }
    // Document limits first: the token count runs on the text, so a document far over it is
    // refused before anything parses it.
    let refused = crate::limits::check(&mut request, &limits.document).err();
    // The name the client chose, or that of the document's only operation (for spans and metrics).
    let operation = request
        .operation_name
        .clone()
        .or_else(|| {
            if refused.is_some() {
                return None;
            }
            match &request.parsed_query().ok()?.operations {
                DocumentOperations::Multiple(ops) if ops.len() == 1 => {
                    ops.keys().next().map(|name| name.to_string())
                }
                _ => None,
            }
        })
        .unwrap_or_default();
    let hide_schema = !limits.anonymous_introspection && matches!(viewer, Viewer::Anonymous);
    if hide_schema && refused.is_none() {
        if let Some(refused) = refuse_introspection(&mut request) {
            let status = match media {
                Media::GraphqlResponseJson => StatusCode::BAD_REQUEST,
                Media::Json => StatusCode::OK,
            };
            return HttpResponse::build(status)
                .content_type(media.content_type())
                .json(serde_json::json!({ "errors": [refused] }));
        }
    }
    // The depth limit, where the engine ran it before validation (see `depth_limit`).
    let refused = refused.or_else(|| {
        let document = request.parsed_query().ok()?;
        crate::depth_limit::check(document, limits.max_depth).err()
    });
    request = with_request_data(request, conn, viewer, req.extensions().get::<RequestId>());
    // A document that does not parse never reaches execution; remember that for its error code.
    let parse_failed = refused.is_none() && request.parsed_query().is_err();
    let shape = req.app_data::<web::Data<Shape>>();
    let prepared = match (&refused, shape) {
        (None, Some(shape)) => shape.prepare(&mut request),
        _ => None,
    };
    // Remembered only when it is a query, run to the end without an error, and no resolver
    // said it depends on more than the evidence.
    let volatile = Arc::new(Volatile::default());
    let place = place.filter(|_| {
        refused.is_none() && operation_type(&mut request) == Some(OperationType::Query)
    });
    if place.is_some() {
        request = request.data(volatile.clone());
    }
    let span = tracing::info_span!("graphql", operation = %operation);
    let started = std::time::Instant::now();
    let mut response = match refused {
        None => schema.execute(request).instrument(span).await,
        Some(refused) => async_graphql::Response::from_errors(vec![refused]),
    };
    let not_executed = finish(
        &mut response,
        shape.map(|s| s.get_ref()),
        prepared.as_ref(),
        parse_failed,
        hide_schema,
    );
    if let Some(metrics) = req.app_data::<web::Data<crate::metrics::Metrics>>() {
        let outcome = response
            .errors
            .first()
            .and_then(|e| e.extensions.as_ref())
            .and_then(|ext| match ext.get("code") {
                Some(async_graphql::Value::String(code)) => Some(code.as_str()),
                _ => None,
            })
            .unwrap_or("OK");
        metrics.graphql_request(Some(&operation), outcome, started.elapsed());
    }
    // A busy database is retryable: say so in the status and when to try again.
    let busy = response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from(code::SERVICE_UNAVAILABLE))
    });
    let charge = slot.and_then(|s| s.charged());
    let limited = charge.is_some_and(|c| c.exceeded());
    let status = if limited {
        StatusCode::TOO_MANY_REQUESTS
    } else if busy {
        StatusCode::SERVICE_UNAVAILABLE
    } else if media == Media::GraphqlResponseJson && not_executed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    match response_body(&response, not_executed) {
        Ok(body) => {
            let body = Bytes::from(body);
            if let (Some(memo), Some((seq, key))) = (memo, place) {
                if status == StatusCode::OK && response.errors.is_empty() && !volatile.is_set() {
                    let cost = charge.map(|c| c.cost);
                    if memo.remember(seq, key, body.clone(), cost, &operation) {
                        if let Some(metrics) = req.app_data::<web::Data<crate::metrics::Metrics>>()
                        {
                            metrics.remembered_response("stored");
                        }
                    }
                }
            }
            let mut builder = HttpResponse::build(status);
            rate_headers(&mut builder, charge, limited);
            if busy && !limited {
                builder.insert_header((header::RETRY_AFTER, "1"));
            }
            builder.content_type(media.content_type()).body(body)
        }
        Err(err) => {
            tracing::error!(error = %err, "could not serialise a GraphQL response");
            http_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                media,
                "Internal server error",
                code::INTERNAL,
            )
        }
    }
}

/// The rate-limit headers of a charged request, and when it went over, when to try again.
fn rate_headers(
    builder: &mut HttpResponseBuilder,
    charge: Option<ratelimit::Charge>,
    limited: bool,
) {
    if let Some(charge) = charge {
        builder
            .insert_header(("RateLimit-Limit", charge.limit.to_string()))
            .insert_header(("RateLimit-Remaining", charge.remaining().to_string()))
            .insert_header(("RateLimit-Reset", charge.reset_in_secs().to_string()));
    }
    if limited {
        builder.insert_header((
            header::RETRY_AFTER,
            charge.map_or(1, |c| c.reset_in_secs()).to_string(),
        ));
    }
}

/// Sends a remembered response, charging the caller what it cost when it was computed (and
/// refusing it, as then, when the budget cannot pay). `None` when it cannot be charged that way
/// (it was not charged when computed): the request then runs.
async fn remembered(
    req: &HttpRequest,
    hit: Remembered,
    limiter: Option<&RateLimiter>,
    slot: Option<&RateSlot>,
    media: Media,
) -> Option<HttpResponse> {
    let started = std::time::Instant::now();
    let charge = match (limiter, slot) {
        // The limiter's store failing must not take reads down with it: serve uncharged.
        (Some(limiter), Some(slot)) => limiter
            .charge(&slot.client, slot.limit, hit.cost?)
            .await
            .ok(),
        _ => None,
    };
    let limited = charge.is_some_and(|c| c.exceeded());
    if let Some(metrics) = req.app_data::<web::Data<crate::metrics::Metrics>>() {
        let outcome = if limited { code::RATE_LIMITED } else { "OK" };
        metrics.graphql_request(Some(&hit.operation), outcome, started.elapsed());
        if !limited {
            metrics.remembered_response("sent");
        }
    }
    let status = if limited {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::OK
    };
    let mut builder = HttpResponse::build(status);
    rate_headers(&mut builder, charge, limited);
    builder.content_type(media.content_type());
    Some(match charge.filter(|c| c.exceeded()) {
        Some(charge) => {
            builder.json(serde_json::json!({ "errors": [ratelimit::exceeded(&charge)] }))
        }
        None => builder.body(hit.body),
    })
}

/// The type of the operation `request` runs: the document's only one, or the one named by
/// `operationName`; `None` when the document does not parse or names no such operation (the
/// engine reports that).
pub(crate) fn operation_type(request: &mut async_graphql::Request) -> Option<OperationType> {
    let name = request.operation_name.clone();
    let doc = request.parsed_query().ok()?;
    let operation = match (&doc.operations, name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    };
    operation.map(|op| op.node.ty)
}

/// What every operation carries into the engine, over HTTP and WebSocket alike: its DataLoaders,
/// its caller and its request's id.
pub(crate) fn with_request_data(
    request: async_graphql::Request,
    conn: &DatabaseConnection,
    viewer: Viewer,
    request_id: Option<&RequestId>,
) -> async_graphql::Request {
    let request = request
        .data(loaders::for_request(
            conn.clone(),
            viewer.sees_unpublished(),
        ))
        .data(viewer);
    match request_id {
        Some(id) => request.data(id.clone()),
        None => request,
    }
}

/// What every operation's response goes through, over HTTP and WebSocket alike: the shape the
/// specification prescribes, a stable code on every error, and no field suggestions where the
/// schema is hidden. Returns whether the document was not executed at all.
pub(crate) fn finish(
    response: &mut async_graphql::Response,
    shape: Option<&Shape>,
    prepared: Option<&crate::response_shape::Prepared>,
    parse_failed: bool,
    hide_schema: bool,
) -> bool {
    if let (Some(shape), Some(prepared)) = (shape, prepared) {
        prepared.reshape(shape, response);
    }
    let not_executed = finish_errors(response, parse_failed);
    if hide_schema {
        without_suggestions(response);
    }
    not_executed
}

/// The response as JSON. A document that was not executed has no `data` key at all (the GraphQL
/// specification: "if an error was raised before execution begins, the data entry should not be
/// present"), which is how clients tell a request error from a field error.
pub(crate) fn response_body(
    response: &async_graphql::Response,
    not_executed: bool,
) -> serde_json::Result<Vec<u8>> {
    if !not_executed {
        return serde_json::to_vec(response);
    }
    #[derive(serde::Serialize)]
    struct RequestError<'a> {
        errors: &'a [ServerError],
    }
    serde_json::to_vec(&RequestError {
        errors: &response.errors,
    })
}

/// The error for an anonymous introspection when `PUBLIC_VOICE_ANONYMOUS_INTROSPECTION` is off.
pub(crate) fn refuse_introspection(request: &mut async_graphql::Request) -> Option<ServerError> {
    let document = request.parsed_query().ok()?;
    if !crate::depth_limit::introspects(document) {
        return None;
    }
    let mut error = ServerError::new(
        "Introspection (__schema, __type) needs an API token on this server",
        None,
    );
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code::GRAPHQL_VALIDATION_FAILED);
    Some(error)
}

/// Takes the "Did you mean" hints out of error messages: they reveal field and type names to
/// callers who may not introspect.
pub(crate) fn without_suggestions(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        if let Some(at) = error.message.find(" Did you mean") {
            error.message.truncate(at);
        }
    }
}

/// Completes a response's errors as every transport sends them: a stable `extensions.code` on each,
/// and `null` in `data` where a field failed. Returns whether the document was not executed at all
/// (it did not parse or validate, or exceeded a limit), which the transports report differently.
pub(crate) fn finish_errors(response: &mut async_graphql::Response, parse_failed: bool) -> bool {
    let mut not_executed =
        response.data == async_graphql::Value::Null && !response.errors.is_empty();
    for error in &mut response.errors {
        if !error.path.is_empty() {
            not_executed = false;
            null_at(&mut response.data, &error.path);
        }
        ensure_code(error, parse_failed);
    }
    not_executed
}

/// Puts `null` where a field failed. async-graphql leaves a failed field out of its parent object,
/// but the GraphQL specification (and clients such as Relay) expect the key to be present as null.
/// `response_shape` does this (with null propagation) for the server's schema; this covers any
/// response it did not reshape.
fn null_at(data: &mut async_graphql::Value, path: &[PathSegment]) {
    use async_graphql::Value;
    // A null `data` is null propagated from a failed non-null field (see `response_shape`).
    if *data == Value::Null {
        return;
    }
    let mut current = data;
    for (i, segment) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        current = match (segment, current) {
            (PathSegment::Field(name), Value::Object(map)) => {
                let key = async_graphql::Name::new(name);
                if last {
                    map.entry(key).or_insert(Value::Null);
                    return;
                }
                match map.get_mut(&key) {
                    Some(next) => next,
                    None => return,
                }
            }
            (PathSegment::Index(index), Value::List(items)) if !last => match items.get_mut(*index)
            {
                Some(next) => next,
                None => return,
            },
            // An ancestor is already null (or the path does not fit): nothing to fill in.
            _ => return,
        };
    }
}

/// Gives errors raised by the GraphQL engine itself (parsing, validation, limits) a stable code.
fn ensure_code(error: &mut ServerError, parse_failed: bool) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some());
    if has_code {
        return;
    }
    let error_code = if parse_failed {
        code::GRAPHQL_PARSE_FAILED
    } else if error.message.starts_with("Query is too complex") {
        code::QUERY_TOO_COMPLEX
    } else if error.path.is_empty() {
        code::GRAPHQL_VALIDATION_FAILED
    } else if error.message.starts_with("Invalid value for argument")
        || error.message.starts_with("Failed to parse")
        || error.message.starts_with("Expected input type")
        || error.message.contains("(occurred while parsing")
    {
        // An argument the engine could not coerce at run time (e.g. null from a variable, or a
        // scalar whose validation let a bad value through): the client's input, never a fault.
        code::BAD_USER_INPUT
    } else {
        // Resolvers always raise coded ApiErrors; anything else is a server fault.
        tracing::error!(message = %error.message, "uncoded resolver error");
        error.message = "Internal server error".to_string();
        code::INTERNAL
    };
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", error_code);
}
