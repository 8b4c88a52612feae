//! The HTTP application: binds (port 0 is fine: tests use it), connects, migrates, seeds an empty
//! database, and serves (subscriptions over WebSocket at `/graphql` too) until SIGINT or SIGTERM,
//! when it finishes in-flight requests and stops.

use crate::engine::Engine;
use crate::http::{graphiql, graphql, health, request_id, subscriptions};
use crate::schema::{self, PageLimits, SchemaConfig};
use crate::settings::{AllowedOrigins, Settings};
use crate::subscription::Hub;
use crate::{db, seed};
use actix_cors::Cors;
use actix_web::{dev::Server, guard, http::header, middleware, web, App, HttpResponse, HttpServer};
use std::net::TcpListener;

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
}

/// Why the application could not start.
#[derive(Debug)]
pub enum StartError {
    Bind(std::io::Error),
    Database(sea_orm::DbErr),
    Seed(seed::SeedError),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Bind(e) => write!(f, "could not bind the listening socket: {e}"),
            StartError::Database(e) => write!(f, "database: {e}"),
            StartError::Seed(e) => write!(f, "seed corpus: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

impl Application {
    pub async fn build(settings: &Settings) -> Result<Self, StartError> {
        let conn = db::connect(&settings.database_url, settings.db_max_connections)
            .await
            .map_err(StartError::Database)?;
        Self::build_with_connection(settings, conn).await
    }

    /// Builds the application over a connection the caller opened (tests use this to observe the
    /// statements the server issues); `settings.database_url` is then not used.
    pub async fn build_with_connection(
        settings: &Settings,
        conn: sea_orm::DatabaseConnection,
    ) -> Result<Self, StartError> {
        let listener = TcpListener::bind(settings.bind_address()).map_err(StartError::Bind)?;
        let port = listener.local_addr().map_err(StartError::Bind)?.port();
        db::migrate(&conn).await.map_err(StartError::Database)?;
        if settings.seed_on_start {
            seed::seed_if_empty(&conn).await.map_err(StartError::Seed)?;
        }
        let engine = if settings.engine {
            let poll = (settings.engine_poll_ms > 0)
                .then(|| std::time::Duration::from_millis(settings.engine_poll_ms));
            Engine::start(conn.clone(), poll).await
        } else {
            Engine::disabled()
        };
        let hub = Hub::start(conn.clone(), engine.clone())
            .await
            .map_err(|_| StartError::Database(sea_orm::DbErr::Custom("change hub".into())))?;
        let schema = schema::build(SchemaConfig {
            hub,
            engine: engine.clone(),
            db: conn.clone(),
            max_depth: settings.max_query_depth,
            max_complexity: settings.max_query_complexity,
            page_limits: PageLimits {
                default_size: settings.default_page_size,
                max_size: settings.max_page_size,
            },
        });
        let schema = web::Data::new(schema);
        let conn = web::Data::new(conn);
        // For health and metrics handlers: `engine.status()`.
        let engine = web::Data::new(engine);
        let limits = web::Data::new(graphql::HttpLimits {
            max_body_bytes: settings.max_body_bytes,
            require_token: settings.require_token,
        });
        let ws_config = web::Data::new(subscriptions::WsConfig {
            init_timeout: std::time::Duration::from_secs(settings.ws_init_timeout_secs),
            require_token: settings.require_token,
            max_message_bytes: settings.max_body_bytes,
        });
        let graphiql_config = web::Data::new(graphiql::GraphiqlConfig {
            assets_url: settings.graphiql_assets_url.clone(),
            endpoint: "/graphql".to_string(),
        });
        let origins = settings.cors_allowed_origins.clone();
        let graphiql_enabled = settings.graphiql_enabled;
        let mut server = HttpServer::new(move || {
            let mut app = App::new()
                .wrap(cors(&origins))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(request_id::middleware))
                .app_data(schema.clone())
                .app_data(conn.clone())
                .app_data(engine.clone())
                .app_data(limits.clone())
                .app_data(graphiql_config.clone())
                .app_data(ws_config.clone())
                .route("/graphql", web::post().to(graphql::post))
                // Before the plain GET route, which would otherwise take the upgrade request.
                .route(
                    "/graphql",
                    web::get()
                        .guard(guard::fn_guard(|ctx| subscriptions::is_upgrade(ctx.head())))
                        .to(subscriptions::upgrade),
                )
                .route("/graphql", web::get().to(graphql::get))
                .route("/health", web::get().to(health::health));
            if graphiql_enabled {
                app = app
                    .route("/", web::get().to(redirect_to_graphiql))
                    .route("/graphiql", web::get().to(graphiql::page))
                    .route("/graphiql/assets/{name}", web::get().to(graphiql::asset));
            }
            app
        })
        .shutdown_timeout(settings.shutdown_timeout_secs)
        .listen(listener)
        .map_err(StartError::Bind)?;
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.run(),
        })
    }

    /// The port actually bound (useful when the setting was 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until a shutdown signal, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn redirect_to_graphiql() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/graphiql"))
        .finish()
}

fn cors(origins: &AllowedOrigins) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::AUTHORIZATION,
            header::HeaderName::from_static(request_id::HEADER),
        ])
        .expose_headers([header::HeaderName::from_static(request_id::HEADER)])
        .max_age(3600);
    match origins {
        AllowedOrigins::Any => cors.allow_any_origin(),
        AllowedOrigins::List(list) => list
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin)),
    }
}
