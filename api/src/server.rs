//! The HTTP application: binds (port 0 is fine: tests use it), connects, migrates, seeds an empty
//! database, and serves (subscriptions over WebSocket at `/graphql` too) until SIGINT or SIGTERM,
//! when it turns `/ready` to 503, closes WebSockets with 1001, finishes in-flight requests and
//! stops. Also serves `/health`, `/ready` and `/metrics`.

use crate::changes::Hub;
use crate::engine::Engine;
use crate::http::{
    explore, export, graphiql, graphql, health, metrics as metrics_endpoint, request_id,
    subscriptions,
};
use crate::metrics::Metrics;
use crate::pagination::PageLimits;
use crate::schema::{self, SchemaConfig};
use crate::settings::{AllowedHeaders, AllowedOrigins, Settings};
use crate::shutdown::Shutdown;
use crate::{db, persisted, seed};
use actix_cors::Cors;
use actix_web::{dev::Server, guard, http::header, middleware, web, App, HttpResponse, HttpServer};
use std::net::TcpListener;

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    shutdown: Shutdown,
}

/// Why the application could not start.
#[derive(Debug)]
pub enum StartError {
    Bind(std::io::Error),
    Database(sea_orm::DbErr),
    Seed(seed::SeedError),
    /// `PUBLIC_VOICE_TRUSTED_DOCUMENTS` could not be read, or holds a bad document.
    TrustedDocuments(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Bind(e) => write!(f, "could not bind the listening socket: {e}"),
            StartError::Database(e) => write!(f, "database: {e}"),
            StartError::Seed(e) => write!(f, "seed corpus: {e}"),
            StartError::TrustedDocuments(e) => write!(f, "PUBLIC_VOICE_TRUSTED_DOCUMENTS: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

impl Application {
    pub async fn build(settings: &Settings) -> Result<Self, StartError> {
        let conn = db::connect_with_busy_timeout(
            &settings.database_url,
            settings.db_max_connections,
            settings.sqlite_busy_timeout(),
        )
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
        crate::pool_wait::install_if_no_subscriber();
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
        let hub_data = web::Data::new(hub.clone());
        let rate_limiter = settings
            .rate_limit
            .enabled
            .then(|| crate::ratelimit::RateLimiter::new(settings.rate_limit, &conn));
        let rate_limiter_data = rate_limiter.clone().map(web::Data::from);
        let metrics = web::Data::new(Metrics::new());
        let shutdown = Shutdown::new();
        let shutdown_data = web::Data::new(shutdown.clone());
        let schema = schema::build(SchemaConfig {
            hub,
            rate_limiter,
            engine: engine.clone(),
            min_cell_count: settings.min_cell_count,
            db: conn.clone(),
            max_complexity: settings.max_query_complexity,
            page_limits: PageLimits {
                default_size: settings.default_page_size,
                max_size: settings.max_page_size,
            },
        });
        let trusted = match &settings.trusted_documents {
            Some(path) => persisted::load_trusted(path).map_err(StartError::TrustedDocuments)?,
            None => Default::default(),
        };
        let persisted = web::Data::new(persisted::PersistedDocuments::new(
            trusted,
            settings.only_trusted_documents,
            settings.apq_cache_size,
        ));
        let schema = web::Data::new(schema);
        let shape = schema::shape().map(web::Data::new);
        let conn = web::Data::new(conn);
        let memo = web::Data::new(crate::http::memo::ResponseMemo::new(
            engine.clone(),
            settings.response_memo_kib.saturating_mul(1024),
        ));
        // For health and metrics handlers: `engine.status()`.
        let engine = web::Data::new(engine);
        let limits = web::Data::new(graphql::HttpLimits {
            max_body_bytes: settings.max_body_bytes,
            document: settings.document_limits,
            max_depth: settings.max_query_depth,
            require_token: settings.require_token,
            anonymous_introspection: settings.anonymous_introspection,
        });
        let ws_config = web::Data::new(subscriptions::WsConfig {
            init_timeout: std::time::Duration::from_secs(settings.ws_init_timeout_secs),
            require_token: settings.require_token,
            max_message_bytes: settings.max_body_bytes,
            anonymous_introspection: settings.anonymous_introspection,
            document: settings.document_limits,
            max_depth: settings.max_query_depth,
        });
        let graphiql_config = web::Data::new(graphiql::GraphiqlConfig {
            assets_url: settings.graphiql_assets_url.clone(),
            endpoint: "/graphql".to_string(),
        });
        let export_config = web::Data::new(export::ExportConfig {
            page_size: settings.max_page_size,
            require_token: settings.require_token,
        });
        let exports_enabled = settings.exports_enabled;
        let origins = settings.cors_allowed_origins.clone();
        let allowed_headers = settings.cors_allowed_headers.clone();
        let graphiql_enabled = settings.graphiql_enabled;
        let explorer_enabled = settings.explorer_enabled;
        let mut server = HttpServer::new(move || {
            let mut app = App::new();
            if let Some(limiter) = &rate_limiter_data {
                app = app.app_data(limiter.clone());
            }
            if let Some(shape) = &shape {
                app = app.app_data(shape.clone());
            }
            let mut app = app
                .wrap(cors(&origins, &allowed_headers))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(request_id::middleware))
                .app_data(schema.clone())
                .app_data(conn.clone())
                .app_data(engine.clone())
                .app_data(memo.clone())
                .app_data(limits.clone())
                .app_data(graphiql_config.clone())
                .app_data(ws_config.clone())
                .app_data(hub_data.clone())
                .app_data(metrics.clone())
                .app_data(shutdown_data.clone())
                .app_data(persisted.clone())
                .app_data(export_config.clone())
                .route("/graphql", web::post().to(graphql::post))
                // Before the plain GET route, which would otherwise take the upgrade request.
                .route(
                    "/graphql",
                    web::get()
                        .guard(guard::fn_guard(|ctx| subscriptions::is_upgrade(ctx.head())))
                        .to(subscriptions::upgrade),
                )
                .route("/graphql", web::get().to(graphql::get))
                .route("/graphql", web::route().to(graphql::method_not_allowed))
                .route("/health", web::get().to(health::health))
                .route("/ready", web::get().to(health::ready))
                .route("/metrics", web::get().to(metrics_endpoint::metrics));
            if exports_enabled {
                app = app.route("/export/{name}", web::get().to(export::download));
            }
            if graphiql_enabled {
                app = app
                    .route("/", web::get().to(redirect_to_graphiql))
                    .route("/graphiql", web::get().to(graphiql::page))
                    .route("/graphiql/assets/{name}", web::get().to(graphiql::asset));
            }
            if explorer_enabled {
                app = app
                    .route("/explore", web::get().to(explore::page))
                    .route("/explore/assets/{name}", web::get().to(explore::asset));
            }
            app
        })
        .shutdown_timeout(settings.shutdown_timeout_secs)
        // Signals are handled in `run_until_stopped`, which must tell WebSockets first.
        .disable_signals()
        .listen(listener)
        .map_err(StartError::Bind)?;
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.run(),
            shutdown,
        })
    }

    /// The port actually bound (useful when the setting was 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then closes WebSockets (1001) and drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let shutdown = self.shutdown;
        tokio::spawn(async move {
            if let Err(err) = stop_signal().await {
                tracing::error!(error = %err, "cannot listen for stop signals");
                return;
            }
            tracing::info!("stop signal received: shutting down");
            shutdown.begin();
            handle.stop(true).await;
        });
        self.server.await
    }
}

/// Resolves on the first SIGTERM or SIGINT.
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = term.recv() => Ok(()),
            result = tokio::signal::ctrl_c() => result,
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

async fn redirect_to_graphiql() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/graphiql"))
        .finish()
}

fn cors(origins: &AllowedOrigins, headers: &AllowedHeaders) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST"])
        .expose_headers([header::HeaderName::from_static(request_id::HEADER)])
        .max_age(3600);
    let cors = match headers {
        AllowedHeaders::Any => cors.allow_any_header(),
        // The names were checked when the settings were read.
        AllowedHeaders::List(list) => cors.allowed_headers(
            list.iter()
                .filter_map(|h| header::HeaderName::from_bytes(h.as_bytes()).ok()),
        ),
    };
    match origins {
        AllowedOrigins::Any => cors.allow_any_origin(),
        AllowedOrigins::List(list) => list
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin)),
    }
}
