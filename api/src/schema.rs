//! Builds the GraphQL schema once per process; the server clones the handle into every worker.

use crate::mutation::MutationRoot;
use crate::query::QueryRoot;
use crate::subscription::{Hub, SubscriptionRoot};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{Schema, SchemaBuilder, ServerResult, Value};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// The schema's own description: `__schema { description }` and the text above `schema` in the SDL.
pub const DESCRIPTION: &str = "Public Voice: evidence on what the public thinks about AI in public \
services. Public dialogues and other engagement exercises, their findings, the participant views \
behind them (tagged by UK Government Mission and by theme), the organisations involved, the figures \
they reported and their sources, each with its provenance. Every list is a Relay connection; \
objects are fetched by opaque ID or slug; writes need an API token.";

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
    .extension(SchemaDescription)
}

/// Answers `__schema { description }` with [`DESCRIPTION`] (async-graphql answers it with the
/// specification's text about the `__Schema` type instead).
struct SchemaDescription;

impl ExtensionFactory for SchemaDescription {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SchemaDescription)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for SchemaDescription {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if !info.is_for_introspection || info.name != "description" {
            return next.run(ctx, info).await;
        }
        if info.parent_type == "__Schema" {
            return Ok(Some(Value::String(DESCRIPTION.to_string())));
        }
        next.run(ctx, info).await
    }
}

/// The schema the server runs.
pub fn build(config: SchemaConfig) -> AppSchema {
    let mut builder = builder();
    match crate::response_shape::Shape::from_sdl(&sdl()) {
        Some(shape) => {
            builder = builder.extension(crate::response_shape::ResponseShape(Arc::new(shape)))
        }
        None => tracing::error!("the schema's own SDL did not parse: responses keep engine order"),
    }
    if let Some(limiter) = config.rate_limiter {
        builder = builder.extension(crate::ratelimit::RateLimitExtension(limiter));
    }
    builder
        .data(config.db)
        .data(config.page_limits)
        .data(config.hub)
        .data(config.engine)
        .data(crate::suppression::MinCellCount(config.min_cell_count))
        // Not `limit_depth`: that counts introspection too, and refuses every client's own
        // introspection document.
        .extension(crate::depth_limit::DepthLimit {
            max_depth: config.max_depth,
        })
        .limit_complexity(config.max_complexity)
        .finish()
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
