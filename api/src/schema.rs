//! Builds the GraphQL schema once per process; the server clones the handle into every worker.

use crate::mutation::MutationRoot;
use crate::query::QueryRoot;
use crate::subscription::{Hub, SubscriptionRoot};
use async_graphql::{Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Paging limits every connection field obeys.
#[derive(Clone, Copy, Debug)]
pub struct PageLimits {
    pub default_size: usize,
    pub max_size: usize,
}

/// What the schema needs at run time.
pub struct SchemaConfig {
    pub db: DatabaseConnection,
    pub max_depth: usize,
    pub max_complexity: usize,
    pub page_limits: PageLimits,
    pub hub: Hub,
    pub engine: crate::engine::Engine,
}

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
}

/// The schema the server runs.
pub fn build(config: SchemaConfig) -> AppSchema {
    builder()
        .data(config.db)
        .data(config.page_limits)
        .data(config.hub)
        .data(config.engine)
        .limit_depth(config.max_depth)
        .limit_complexity(config.max_complexity)
        .finish()
}

/// The schema with no database behind it: enough for SDL export and introspection.
pub fn without_database() -> AppSchema {
    builder().finish()
}

/// The SDL, sorted so that the committed `schema.graphql` diffs cleanly. Needs no database.
pub fn sdl() -> String {
    let options = async_graphql::SDLExportOptions::new()
        .sorted_fields()
        .sorted_arguments()
        .sorted_enum_items();
    without_database().sdl_with_options(options)
}
