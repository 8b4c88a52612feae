//! Public Voice: the GraphQL service for the evidence on what the public thinks about AI in public
//! services. This crate owns the whole public surface; `entity` and `migration` own storage.
//!
//! The map, from the bottom up: a module uses only modules of its own layer or of the layers
//! above it, and no two modules use each other, however indirectly (`tests/api/layout.rs` holds
//! the code to this map).
//!
//! - Plumbing: `telemetry` (logs), `pool_wait` (how long requests wait for a connection),
//!   `shutdown`, `db` (connecting, migrating, the sort key both backends share).
//! - The domain, with no GraphQL in it: `errors` (the one public error type), `ids` (opaque
//!   global IDs), `auth` (tokens and roles), `visibility` (what a caller may see), `places`,
//!   `suppression` (small-cell suppression), `curation/` (every write, validated and logged),
//!   `changes` (this replica's hub of committed changes), `engine/` (the in-memory read
//!   engine), `seed` (the curated corpus), `bundle/` (bulk import and export).
//! - The GraphQL surface: `enums` and `scalars` (plain values), `filters` (list filters, in SQL
//!   and against the engine), `loaders` (DataLoaders), `pagination` (Relay connections),
//!   `types/` (object types), `query/`, `mutation/` and `subscription/` (the three roots),
//!   `limits`, `depth_limit`, `persisted`, `ratelimit` and `response_shape` (what a document
//!   may ask and how the answer is shaped), `schema` (builds it all once).
//! - The service: `settings` (configuration, read once at start), `metrics` (Prometheus),
//!   `http/` (endpoints), `server` (the HTTP application), `cli` (the command line).

pub mod auth;
pub mod bundle;
pub mod changes;
pub mod cli;
pub mod curation;
pub mod db;
pub mod depth_limit;
pub mod engine;
pub mod enums;
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
pub mod scalars;
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
