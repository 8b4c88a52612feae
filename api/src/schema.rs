//! Builds the GraphQL schema once per process; the server clones the handle into every worker.

use crate::changes::Hub;
use crate::mutation::MutationRoot;
use crate::pagination::PageLimits;
use crate::query::QueryRoot;
use crate::subscription::SubscriptionRoot;
use async_graphql::{Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

/// The schema's own description: `__schema { description }` and the text above `schema` in the SDL.
pub const DESCRIPTION: &str = "Public Voice: evidence on what the public thinks about AI in public \
services. Public dialogues and other engagement exercises, their findings, the participant views \
behind them (tagged by UK Government Mission and by theme), the organisations involved, the figures \
they reported and their sources, each with its provenance. Every list is a Relay connection; \
objects are fetched by opaque ID or slug; writes need an API token.";

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// What the schema needs at run time.
pub struct SchemaConfig {
    pub db: DatabaseConnection,
    pub max_complexity: usize,
    pub page_limits: PageLimits,
    pub hub: Hub,
    /// Charges each request's complexity to its client's budget (none: not charged).
    pub rate_limiter: Option<std::sync::Arc<crate::ratelimit::RateLimiter>>,
    pub engine: crate::engine::Engine,
    /// Small-cell suppression's threshold (0: off).
    pub min_cell_count: u64,
}

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
}

/// The schema the server runs. The depth limit, the response shape (and with it the schema's
/// description in `__schema { description }`) are applied by the transports around the engine
/// (`depth_limit`, `response_shape`), not as extensions: any extension puts every field of every
/// response through the engine's slower per-field path. The rate limit stays an extension (it needs
/// the complexity the engine computes while validating), so that path is only taken when it is on.
pub fn build(config: SchemaConfig) -> AppSchema {
    let mut builder = builder();
    if let Some(limiter) = config.rate_limiter {
        builder = builder.extension(crate::ratelimit::RateLimitExtension(limiter));
    }
    builder
        .data(config.db)
        .data(config.page_limits)
        .data(config.hub)
        .data(config.engine)
        .data(crate::suppression::MinCellCount(config.min_cell_count))
        .limit_complexity(config.max_complexity)
        .finish()
}

/// The type facts responses are reshaped with (see `response_shape`), read from the schema's own
/// SDL; `None` (logged) if that did not parse, and responses then keep the engine's order.
pub fn shape() -> Option<crate::response_shape::Shape> {
    let shape = crate::response_shape::Shape::from_sdl(&sdl(), DESCRIPTION);
    if shape.is_none() {
        tracing::error!("the schema's own SDL did not parse: responses keep engine order");
    }
    shape
}

/// The schema with no database behind it: enough for SDL export and introspection.
pub fn without_database() -> AppSchema {
    builder().finish()
}

/// The directives the GraphQL specification defines. Like graphql-js's `printSchema`, the SDL leaves
/// their definitions out: every client knows them, and async-graphql would print them without
/// their arguments' descriptions, unlike what introspection shows.
const SPECIFIED_DIRECTIVES: [&str; 5] = ["include", "skip", "deprecated", "specifiedBy", "oneOf"];

/// The SDL, sorted so that the committed `schema.graphql` diffs cleanly. Needs no database.
pub fn sdl() -> String {
    let options = async_graphql::SDLExportOptions::new()
        .sorted_fields()
        .sorted_arguments()
        .sorted_enum_items()
        .include_specified_by();
    let sdl = without_specified_directives(&without_database().sdl_with_options(options));
    // async-graphql has no schema description; write it above the schema definition.
    sdl.replacen(
        "\nschema {",
        &format!("\n\"\"\"\n{DESCRIPTION}\n\"\"\"\nschema {{"),
        1,
    )
}

fn without_specified_directives(sdl: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    for line in sdl.lines() {
        let specified = line.strip_prefix("directive @").is_some_and(|rest| {
            let name = rest.split(['(', ' ']).next().unwrap_or_default();
            SPECIFIED_DIRECTIVES.contains(&name)
        });
        if !specified {
            lines.push(line);
            continue;
        }
        // Drop the definition's description block too.
        if lines.last() == Some(&"\"\"\"") {
            lines.pop();
            while let Some(line) = lines.pop() {
                if line == "\"\"\"" {
                    break;
                }
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}
