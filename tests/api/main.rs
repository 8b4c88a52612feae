//! Integration tests: one binary (so the stack links once) with one module per area. Every test
//! starts the real server on port 0 and talks HTTP to it.

mod helpers;

mod bundles;
mod cli;
mod corpus;
mod curation;
mod dashboards;
mod engine;
mod errors;
mod filters;
mod http;
mod migrations;
mod n_plus_one;
mod orders;
mod pagination;
mod places;
mod schema_file;
mod search;
mod seed;
mod subscriptions;
mod writes;
