//! Gives every request an id (the caller's `X-Request-Id` when it sends a sane one) and a tracing
//! span carrying it, and echoes the id back in the response.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    Error, HttpMessage,
};
use tracing::Instrument;

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
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.path(),
    );
    async move {
        let started = std::time::Instant::now();
        let mut res = next.call(req).await?;
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut()
                .insert(HeaderName::from_static(HEADER), value);
        }
        tracing::info!(
            status = res.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        );
        Ok(res)
    }
    .instrument(span)
    .await
}
