//! Typed settings, read once at start from the environment (and `.env` when present). Every
//! problem is collected and reported together, each with the variable's name.

use crate::telemetry::LogFormat;
use std::fmt;

/// Which browser origins may call the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Any origin (`*`): the API is read-only and uses no cookies, so this is the default.
    Any,
    /// Only these exact origins, e.g. `https://dashboard.example.org`.
    List(Vec<String>),
}

/// The request headers a browser may send cross-origin when nothing is configured: what GraphiQL,
/// Apollo Client, urql, graphql-ws clients and OpenTelemetry's browser instrumentation send.
pub const DEFAULT_CORS_ALLOWED_HEADERS: &str =
    "authorization, content-type, accept, x-request-id, \
traceparent, tracestate, apollographql-client-name, apollographql-client-version, \
apollo-require-preflight";

/// Which request headers browsers may send cross-origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedHeaders {
    /// Any header (`*`).
    Any,
    /// Only these (lower-case) names.
    List(Vec<String>),
}

/// Everything the service can be configured with. See `.env.example` for the variables.
#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub host: String,
    pub port: u16,
    pub cors_allowed_origins: AllowedOrigins,
    pub cors_allowed_headers: AllowedHeaders,
    pub max_body_bytes: usize,
    pub max_query_depth: usize,
    pub max_query_complexity: usize,
    pub default_page_size: usize,
    pub max_page_size: usize,
    pub graphiql_enabled: bool,
    pub graphiql_assets_url: String,
    /// Serve the evidence explorer at `/explore`.
    pub explorer_enabled: bool,
    /// Whether anonymous callers may introspect and get "Did you mean" suggestions.
    pub anonymous_introspection: bool,
    /// A file of trusted documents, or a directory of them, loaded at start.
    pub trusted_documents: Option<String>,
    /// Refuse any document that is not trusted (nor already registered through APQ).
    pub only_trusted_documents: bool,
    /// How many automatic persisted queries are kept in process (0: APQ off).
    pub apq_cache_size: usize,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub seed_on_start: bool,
    /// When true, every request needs a valid API token, reads included.
    pub require_token: bool,
    pub db_max_connections: u32,
    pub workers: Option<usize>,
    pub shutdown_timeout_secs: u64,
    /// How long a WebSocket client has to send `connection_init` before it is disconnected.
    pub ws_init_timeout_secs: u64,
    /// How long an SQLite write waits for another writer's lock before `SERVICE_UNAVAILABLE`.
    pub sqlite_busy_timeout_ms: u64,
    /// Limits on a document's aliases, directives, tokens and duplicated fields.
    pub document_limits: crate::limits::DocumentLimits,
    /// Points budgets per role and window, and the concurrency cap per client.
    pub rate_limit: crate::ratelimit::RateLimitSettings,
    /// Where to send traces over OTLP/HTTP (protobuf), from the standard `OTEL_EXPORTER_OTLP_*`
    /// variables; `None` (the default) sends none.
    pub otlp_traces_endpoint: Option<String>,
    /// Whether list, count and map reads use the in-memory read engine.
    pub engine: bool,
    /// How often the read engine checks the change log for writes it was not told about (made
    /// by another process); 0: only when told.
    pub engine_poll_ms: u64,
    /// Small-cell suppression: counts of participant views below this are withheld from callers
    /// without an editor token (0: off). See `suppression`.
    pub min_cell_count: u64,
    /// Whether `/export/...` (CSV, JSON and bundle downloads) is served.
    pub exports_enabled: bool,
    /// How many KiB of whole responses to anonymous queries are remembered at the read engine's
    /// change-log position (0: none). See `http::memo`.
    pub response_memo_kib: usize,
}

/// All the problems found in the environment, each naming its variable.
#[derive(Debug)]
pub struct SettingsError(pub Vec<String>);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid settings ({} problem(s)):", self.0.len())?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SettingsError {}

/// The default database: an SQLite file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://public-voice.db?mode=rwc";

impl Settings {
    /// Reads `.env` (if present) and then the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        // A missing .env is normal; a malformed one is worth knowing about.
        if let Err(err) = dotenvy::dotenv() {
            if !err.not_found() {
                return Err(SettingsError(vec![format!(".env: {err}")]));
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds settings from any variable lookup, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let mut p = Parser {
            lookup: &lookup,
            problems: Vec::new(),
        };
        // The pool's default size depends on the backend (see `db::SQLITE_POOL`).
        let sqlite = lookup("DATABASE_URL").is_none_or(|url| url.starts_with("sqlite:"));
        let settings = Settings {
            database_url: p.string("DATABASE_URL", DEFAULT_DATABASE_URL),
            host: p.string("PUBLIC_VOICE_HOST", "127.0.0.1"),
            port: p.number("PUBLIC_VOICE_PORT", 8000u16, 0),
            cors_allowed_origins: p.origins("PUBLIC_VOICE_CORS_ALLOWED_ORIGINS"),
            cors_allowed_headers: p.headers("PUBLIC_VOICE_CORS_ALLOWED_HEADERS"),
            max_body_bytes: p.number("PUBLIC_VOICE_MAX_BODY_BYTES", 1_048_576usize, 1024),
            max_query_depth: p.number("PUBLIC_VOICE_MAX_QUERY_DEPTH", 12usize, 1),
            max_query_complexity: p.number("PUBLIC_VOICE_MAX_QUERY_COMPLEXITY", 5000usize, 1),
            default_page_size: p.number("PUBLIC_VOICE_DEFAULT_PAGE_SIZE", 20usize, 1),
            max_page_size: p.number("PUBLIC_VOICE_MAX_PAGE_SIZE", 100usize, 1),
            graphiql_enabled: p.boolean("PUBLIC_VOICE_GRAPHIQL", true),
            graphiql_assets_url: p.string("PUBLIC_VOICE_GRAPHIQL_ASSETS_URL", "/graphiql/assets"),
            explorer_enabled: p.boolean("PUBLIC_VOICE_EXPLORER", true),
            anonymous_introspection: p.boolean("PUBLIC_VOICE_ANONYMOUS_INTROSPECTION", true),
            trusted_documents: p
                .raw("PUBLIC_VOICE_TRUSTED_DOCUMENTS")
                .filter(|v| !v.trim().is_empty()),
            only_trusted_documents: p.boolean("PUBLIC_VOICE_ONLY_TRUSTED_DOCUMENTS", false),
            apq_cache_size: p.number("PUBLIC_VOICE_APQ_CACHE_SIZE", 1000usize, 0),
            log_format: p.log_format("PUBLIC_VOICE_LOG_FORMAT"),
            log_filter: p.string("RUST_LOG", "info"),
            seed_on_start: p.boolean("PUBLIC_VOICE_SEED_ON_START", true),
            require_token: p.boolean("PUBLIC_VOICE_REQUIRE_TOKEN", false),
            db_max_connections: p.number(
                "PUBLIC_VOICE_DB_MAX_CONNECTIONS",
                if sqlite {
                    crate::db::SQLITE_POOL
                } else {
                    10u32
                },
                1,
            ),
            workers: p.optional_number("PUBLIC_VOICE_WORKERS"),
            shutdown_timeout_secs: p.number("PUBLIC_VOICE_SHUTDOWN_TIMEOUT_SECS", 10u64, 0),
            ws_init_timeout_secs: p.number("PUBLIC_VOICE_WS_INIT_TIMEOUT_SECS", 10u64, 1),
            sqlite_busy_timeout_ms: p.number("PUBLIC_VOICE_SQLITE_BUSY_TIMEOUT_MS", 5000u64, 0),
            document_limits: {
                let d = crate::limits::DocumentLimits::default();
                crate::limits::DocumentLimits {
                    max_aliases: p.number("PUBLIC_VOICE_MAX_ALIASES", d.max_aliases, 0),
                    max_directives: p.number("PUBLIC_VOICE_MAX_DIRECTIVES", d.max_directives, 0),
                    max_tokens: p.number("PUBLIC_VOICE_MAX_TOKENS", d.max_tokens, 1),
                    max_duplicate_fields: p.number(
                        "PUBLIC_VOICE_MAX_DUPLICATE_FIELDS",
                        d.max_duplicate_fields,
                        0,
                    ),
                }
            },
            rate_limit: crate::ratelimit::RateLimitSettings {
                enabled: p.boolean("PUBLIC_VOICE_RATE_LIMIT", true),
                window: std::time::Duration::from_secs(p.number(
                    "PUBLIC_VOICE_RATE_LIMIT_WINDOW_SECS",
                    60u64,
                    1,
                )),
                anonymous: p.number("PUBLIC_VOICE_RATE_LIMIT_ANONYMOUS", 500_000u64, 1),
                reader: p.number("PUBLIC_VOICE_RATE_LIMIT_READER", 1_000_000u64, 1),
                editor: p.number("PUBLIC_VOICE_RATE_LIMIT_EDITOR", 2_000_000u64, 1),
                admin: p.number("PUBLIC_VOICE_RATE_LIMIT_ADMIN", 2_000_000u64, 1),
                max_concurrent: p.number("PUBLIC_VOICE_MAX_CONCURRENT_REQUESTS", 64usize, 1),
            },
            otlp_traces_endpoint: p.otlp_traces_endpoint(),
            engine: p.boolean("PUBLIC_VOICE_ENGINE", true),
            engine_poll_ms: p.number("PUBLIC_VOICE_ENGINE_POLL_MS", 500u64, 0),
            min_cell_count: p.number("PUBLIC_VOICE_MIN_CELL_COUNT", 0u64, 0),
            exports_enabled: p.boolean("PUBLIC_VOICE_EXPORTS", true),
            response_memo_kib: p.number("PUBLIC_VOICE_RESPONSE_MEMO_KIB", 2048usize, 0),
        };
        if settings.default_page_size > settings.max_page_size {
            p.problems.push(format!(
                "PUBLIC_VOICE_DEFAULT_PAGE_SIZE: {} is larger than PUBLIC_VOICE_MAX_PAGE_SIZE ({})",
                settings.default_page_size, settings.max_page_size
            ));
        }
        if settings.database_url.trim().is_empty() {
            p.problems
                .push("DATABASE_URL: must not be empty".to_string());
        } else if !(settings.database_url.starts_with("sqlite:")
            || settings.database_url.starts_with("postgres://")
            || settings.database_url.starts_with("postgresql://"))
        {
            p.problems.push(
                "DATABASE_URL: expected a sqlite:// or postgres:// URL (the value is not shown, it may hold a password)"
                    .to_string(),
            );
        }
        if p.problems.is_empty() {
            Ok(settings)
        } else {
            Err(SettingsError(p.problems))
        }
    }

    /// How long an SQLite write waits for another writer's lock.
    pub fn sqlite_busy_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.sqlite_busy_timeout_ms)
    }

    /// The address the server binds to.
    pub fn bind_address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

struct Parser<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<String>,
}

impl Parser<'_> {
    fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    fn string(&mut self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or_else(|| default.to_string())
    }

    fn number<T>(&mut self, name: &str, default: T, min: T) -> T
    where
        T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
    {
        match self.raw(name) {
            None => default,
            Some(v) => match v.trim().parse::<T>() {
                Ok(n) if n >= min => n,
                Ok(n) => {
                    self.problems
                        .push(format!("{name}: {n} is too small (the minimum is {min})"));
                    default
                }
                Err(_) => {
                    self.problems
                        .push(format!("{name}: expected a whole number, got {v:?}"));
                    default
                }
            },
        }
    }

    fn optional_number(&mut self, name: &str) -> Option<usize> {
        let v = self.raw(name)?;
        match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.problems.push(format!(
                    "{name}: expected a positive whole number, got {v:?}"
                ));
                None
            }
        }
    }

    /// The OTLP traces URL as the OpenTelemetry specification derives it: the signal's own
    /// variable as given, else the base endpoint with `/v1/traces` appended; none when the SDK is
    /// disabled (`OTEL_SDK_DISABLED=true`).
    fn otlp_traces_endpoint(&mut self) -> Option<String> {
        if self.boolean("OTEL_SDK_DISABLED", false) {
            return None;
        }
        let url = match self.raw("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            Some(url) => ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url.trim().to_string()),
            None => {
                let base = self.raw("OTEL_EXPORTER_OTLP_ENDPOINT")?;
                (
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    format!("{}/v1/traces", base.trim().trim_end_matches('/')),
                )
            }
        };
        if !url.1.starts_with("http://") {
            self.problems.push(format!(
                "{}: expected an http:// URL (send to a local collector; https is not built in)",
                url.0
            ));
            return None;
        }
        Some(url.1)
    }

    fn boolean(&mut self, name: &str, default: bool) -> bool {
        match self.raw(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => default,
            Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => true,
            Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => false,
            Some(v) => {
                self.problems
                    .push(format!("{name}: expected true or false, got {v:?}"));
                default
            }
        }
    }

    fn log_format(&mut self, name: &str) -> LogFormat {
        match self.raw(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => LogFormat::Pretty,
            Some(v) if v == "pretty" || v == "text" => LogFormat::Pretty,
            Some(v) if v == "json" => LogFormat::Json,
            Some(v) => {
                self.problems
                    .push(format!("{name}: expected pretty or json, got {v:?}"));
                LogFormat::Pretty
            }
        }
    }

    fn origins(&mut self, name: &str) -> AllowedOrigins {
        let Some(v) = self.raw(name) else {
            return AllowedOrigins::Any;
        };
        if v.trim() == "*" {
            return AllowedOrigins::Any;
        }
        let mut list = Vec::new();
        for origin in v.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            if (origin.starts_with("http://") || origin.starts_with("https://"))
                && !origin.ends_with('/')
            {
                list.push(origin.to_string());
            } else {
                self.problems.push(format!(
                    "{name}: {origin:?} is not an origin (expected e.g. https://dashboard.example.org, no trailing slash, or *)"
                ));
            }
        }
        AllowedOrigins::List(list)
    }

    fn headers(&mut self, name: &str) -> AllowedHeaders {
        let v = self
            .raw(name)
            .unwrap_or_else(|| DEFAULT_CORS_ALLOWED_HEADERS.to_string());
        if v.trim() == "*" {
            return AllowedHeaders::Any;
        }
        let mut list = Vec::new();
        for header in v.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            let token = header
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if token {
                list.push(header.to_ascii_lowercase());
            } else {
                self.problems
                    .push(format!("{name}: {header:?} is not a header name"));
            }
        }
        AllowedHeaders::List(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_need_no_environment() {
        let s = from(&[]).expect("defaults are valid");
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.bind_address(), "127.0.0.1:8000");
        assert_eq!(s.cors_allowed_origins, AllowedOrigins::Any);
        assert_eq!(s.log_format, LogFormat::Pretty);
        assert!(s.seed_on_start);
        assert_eq!(s.ws_init_timeout_secs, 10);
    }

    #[test]
    fn websocket_init_timeout_must_be_positive() {
        let err = from(&[("PUBLIC_VOICE_WS_INIT_TIMEOUT_SECS", "0")]).expect_err("too small");
        assert!(
            err.0[0].starts_with("PUBLIC_VOICE_WS_INIT_TIMEOUT_SECS:"),
            "{:?}",
            err.0
        );
        let s = from(&[("PUBLIC_VOICE_WS_INIT_TIMEOUT_SECS", "3")]).expect("valid");
        assert_eq!(s.ws_init_timeout_secs, 3);
    }

    #[test]
    fn every_problem_is_reported_with_its_name() {
        let err = from(&[
            ("PUBLIC_VOICE_PORT", "eighty"),
            ("PUBLIC_VOICE_LOG_FORMAT", "xml"),
            (
                "PUBLIC_VOICE_CORS_ALLOWED_ORIGINS",
                "https://ok.example, nope",
            ),
            ("PUBLIC_VOICE_GRAPHIQL", "maybe"),
            ("DATABASE_URL", "mysql://x"),
        ])
        .expect_err("invalid settings");
        let names: Vec<&str> = err
            .0
            .iter()
            .map(|p| p.split(':').next().unwrap_or_default())
            .collect();
        assert_eq!(
            names,
            vec![
                "PUBLIC_VOICE_PORT",
                "PUBLIC_VOICE_CORS_ALLOWED_ORIGINS",
                "PUBLIC_VOICE_GRAPHIQL",
                "PUBLIC_VOICE_LOG_FORMAT",
                "DATABASE_URL"
            ]
        );
    }

    #[test]
    fn allowed_headers_default_to_what_clients_send_and_can_be_replaced() {
        let s = from(&[]).expect("valid");
        let AllowedHeaders::List(list) = s.cors_allowed_headers else {
            panic!("a list by default");
        };
        for header in [
            "authorization",
            "content-type",
            "x-request-id",
            "traceparent",
            "tracestate",
            "apollographql-client-name",
            "apollographql-client-version",
            "apollo-require-preflight",
        ] {
            assert!(list.iter().any(|h| h == header), "{header}");
        }
        let s = from(&[(
            "PUBLIC_VOICE_CORS_ALLOWED_HEADERS",
            "Content-Type, X-Custom",
        )])
        .expect("valid");
        assert_eq!(
            s.cors_allowed_headers,
            AllowedHeaders::List(vec!["content-type".into(), "x-custom".into()])
        );
        let s = from(&[("PUBLIC_VOICE_CORS_ALLOWED_HEADERS", "*")]).expect("valid");
        assert_eq!(s.cors_allowed_headers, AllowedHeaders::Any);
        let err = from(&[("PUBLIC_VOICE_CORS_ALLOWED_HEADERS", "good, bad header")]).unwrap_err();
        assert!(
            err.0[0].starts_with("PUBLIC_VOICE_CORS_ALLOWED_HEADERS"),
            "{err}"
        );
    }

    #[test]
    fn origins_list_is_parsed() {
        let s = from(&[(
            "PUBLIC_VOICE_CORS_ALLOWED_ORIGINS",
            "https://a.example, http://localhost:3000",
        )])
        .expect("valid");
        assert_eq!(
            s.cors_allowed_origins,
            AllowedOrigins::List(vec![
                "https://a.example".into(),
                "http://localhost:3000".into()
            ])
        );
    }
}
