//! Public Voice: the GraphQL service for the evidence on what the public thinks about AI in public
//! services. This crate owns the whole public surface; `entity` and `migration` own storage.
//!
//! Where to look: `settings` (configuration), `telemetry` (logs), `db` (connecting and migrating),
//! `server` (the HTTP application), `http/` (endpoints), `schema` (builds the GraphQL schema once),
//! `query/` (root query fields, one file per domain), `types/` (GraphQL object types), `errors`
//! (the one public error type), `ids` (opaque global IDs), `places` (exercise places and their
//! index), `seed` (the curated corpus), `cli`.

pub mod auth;
pub mod bundle;
pub mod cli;
pub mod curation;
pub mod db;
pub mod depth_limit;
pub mod engine;
pub mod errors;
pub mod filters;
pub mod http;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod metrics;
pub mod mutation;
pub mod pagination;
pub mod persisted;
pub mod places;
pub mod pool_wait;
pub mod query;
pub mod ratelimit;
pub mod response_shape;
pub mod schema;
pub mod seed;
pub mod server;
pub mod settings;
pub mod shutdown;
pub mod subscription;
pub mod suppression;
pub mod telemetry;
pub mod types;
pub mod visibility;
