//! Integration tests: one binary (so the stack links once) with one module per area. Every test
//! starts the real server on port 0 and talks HTTP to it.

mod helpers;

mod bad_input;
mod bundles;
mod busy;
mod cli;
mod clients;
mod commitments;
mod connections;
mod corpus;
mod curation;
mod dashboards;
mod engine;
mod errors;
mod exports;
mod feed_gaps;
mod filters;
mod http;
mod introspection;
mod layout;
mod limits;
mod migrations;
mod n_plus_one;
mod observe;
mod orders;
mod pagination;
mod persisted;
mod places;
mod ratelimit;
mod real_clients;
mod revocation;
mod schema_file;
mod search;
mod seed;
mod subscriptions;
mod writes;
