//! The HTTP endpoints: `/graphql` (GET and POST, and WebSocket for subscriptions), `/graphiql` and
//! its assets, `/explore` (the evidence explorer) and its assets, `/export/...` (downloads),
//! `/health`, plus the request-id middleware that gives every request its own tracing span.

pub mod explore;
pub mod export;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod memo;
pub mod metrics;
pub mod request_id;
pub mod subscriptions;
