//! Gives every request an id (the caller's `X-Request-Id` when it sends a sane one) and a tracing
//! span carrying it, and echoes the id back in the response. The span continues the caller's W3C
//! trace (`traceparent`/`tracestate`) when traces are exported, and each request is counted in the
//! HTTP metrics by its route pattern (never its raw path, which would make the series unbounded).

use crate::metrics::Metrics;
use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderMap, HeaderName, HeaderValue},
    middleware::Next,
    web, Error, HttpMessage,
};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Reads propagation headers (`traceparent`, `tracestate`) for the OpenTelemetry propagator.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

pub const HEADER: &str = "x-request-id";

/// The request's id, available to handlers through request extensions.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().to_string();
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        request_id = %id,
        method = %method,
        path = %req.path(),
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
    );
    // Without an exporter installed this does nothing; with one, the request joins the caller's trace.
    let parent = TraceContextPropagator::new().extract(&Headers(req.headers()));
    let _ = span.set_parent(parent);
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    async move {
        let started = std::time::Instant::now();
        let mut res = next.call(req).await?;
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut()
                .insert(HeaderName::from_static(HEADER), value);
        }
        let status = res.status().as_u16();
        tracing::Span::current().record("http.response.status_code", status);
        if let Some(metrics) = metrics {
            metrics.http_request(&method, &route, status, started.elapsed());
        }
        tracing::info!(
            status,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        );
        Ok(res)
    }
    .instrument(span)
    .await
}
