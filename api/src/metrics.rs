//! The service's Prometheus metrics, one registry per application (no process-wide globals), served
//! at `/metrics` in the OpenMetrics text format that Prometheus scrapes.
//!
//! Counters and histograms are updated where things happen (the request middleware, the GraphQL
//! handler, the WebSocket connections); gauges that describe a state elsewhere (the database pool,
//! the change hub) are read when scraped, so they are never stale. The pool's acquire waits come
//! from `pool_wait`, one histogram per process.
//!
//! Operation names come from clients, so they are bounded before they become label values: only
//! valid GraphQL names of at most 64 characters, and at most `MAX_OPERATION_NAMES` distinct ones;
//! anything else is counted under `other` (and a request without a name under `anonymous`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::collections::HashSet;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::Duration;

/// How many distinct operation names get their own label value.
pub const MAX_OPERATION_NAMES: usize = 200;

/// Latency buckets, in seconds: 1 ms to about 16 s.
const LATENCY_BUCKETS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 16.0, 30.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationOutcome {
    operation: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpOutcome {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpRoute {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolState {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IndexState {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MemoOutcome {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IndexRows {
    kind: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The database pool as seen at one instant.
#[derive(Clone, Copy, Debug)]
pub struct PoolSample {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

/// The change hub as seen at one instant.
#[derive(Clone, Copy, Debug)]
pub struct HubSample {
    /// Committed changes the hub has not broadcast yet.
    pub pending_events: i64,
    /// Age of the oldest of them (0 when none is pending).
    pub lag: Duration,
    /// Sequence number of the last change broadcast.
    pub last_seq: i64,
}

/// Every metric this service exports.
pub struct Metrics {
    registry: Registry,
    graphql_requests: Family<OperationOutcome, Counter>,
    graphql_duration: Family<Operation, Histogram>,
    http_requests: Family<HttpOutcome, Counter>,
    http_duration: Family<HttpRoute, Histogram>,
    pool_connections: Family<PoolState, Gauge>,
    pool_max: Gauge,
    websockets_open: Gauge,
    subscriptions_open: Gauge,
    hub_pending: Gauge,
    hub_lag: Gauge<f64, AtomicU64>,
    hub_last_seq: Gauge,
    subscriber_dropped: Counter,
    index_state: Family<IndexState, Gauge>,
    index_build: Gauge<f64, AtomicU64>,
    index_applied_seq: Gauge,
    index_rows: Family<IndexRows, Gauge>,
    index_bytes: Family<IndexRows, Gauge>,
    remembered_responses: Family<MemoOutcome, Counter>,
    operation_names: Mutex<HashSet<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("public_voice");
        let graphql_requests = Family::<OperationOutcome, Counter>::default();
        registry.register(
            "graphql_requests",
            "GraphQL operations executed over HTTP, by operation name and outcome code (OK, or the first error's extensions.code)",
            graphql_requests.clone(),
        );
        let graphql_duration =
            Family::<Operation, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register_with_unit(
            "graphql_request_duration",
            "Time to execute a GraphQL operation over HTTP, by operation name",
            Unit::Seconds,
            graphql_duration.clone(),
        );
        let http_requests = Family::<HttpOutcome, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            http_requests.clone(),
        );
        let http_duration =
            Family::<HttpRoute, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by method and route",
            Unit::Seconds,
            http_duration.clone(),
        );
        let pool_connections = Family::<PoolState, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database pool connections, by state (in_use: lent to a query; idle: open and free)",
            pool_connections.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "Most connections the database pool opens; queries wait when all are in use",
            pool_max.clone(),
        );
        // The one histogram of the process (see `pool_wait`): every application shows it.
        registry.register_with_unit(
            "db_pool_acquire_wait",
            "Time each database statement waited for a pool connection (every acquire, from sqlx's own events; sqlx does not expose how many wait right now)",
            Unit::Seconds,
            crate::pool_wait::histogram(),
        );
        let websockets_open = Gauge::default();
        registry.register(
            "websocket_connections_open",
            "WebSocket connections open at /graphql",
            websockets_open.clone(),
        );
        let subscriptions_open = Gauge::default();
        registry.register(
            "subscriptions_open",
            "Operations running over WebSocket connections (subscriptions until they complete)",
            subscriptions_open.clone(),
        );
        let hub_pending = Gauge::default();
        registry.register(
            "change_hub_pending_events",
            "Committed changes this replica's change hub has not yet broadcast to subscribers",
            hub_pending.clone(),
        );
        let hub_lag = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "change_hub_lag",
            "Age of the oldest committed change not yet broadcast (0 when the hub is up to date)",
            Unit::Seconds,
            hub_lag.clone(),
        );
        let hub_last_seq = Gauge::default();
        registry.register(
            "change_hub_last_seq",
            "Change-log sequence number of the last change broadcast",
            hub_last_seq.clone(),
        );
        let subscriber_dropped = Counter::default();
        registry.register(
            "subscription_events_dropped",
            "Events skipped by subscribers that fell behind the hub's buffer (they catch up with the change feed)",
            subscriber_dropped.clone(),
        );
        let index_state = Family::<IndexState, Gauge>::default();
        registry.register(
            "index_state",
            "The read engine's state: 1 for the current one (ready, building, behind, failed, disabled); reads use SQL unless it is ready",
            index_state.clone(),
        );
        let index_build = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "index_build",
            "How long the read engine's last full build took",
            Unit::Seconds,
            index_build.clone(),
        );
        let index_applied_seq = Gauge::default();
        registry.register(
            "index_applied_seq",
            "The last change-log sequence number the read engine has applied (compare with change_hub_last_seq)",
            index_applied_seq.clone(),
        );
        let index_rows = Family::<IndexRows, Gauge>::default();
        registry.register(
            "index_rows",
            "Rows the read engine holds, by kind (drafts included)",
            index_rows.clone(),
        );
        let index_bytes = Family::<IndexRows, Gauge>::default();
        registry.register_with_unit(
            "index",
            "The read engine's own memory, by kind: its bitmaps, per-row arrays and maps (an estimate of their heap, read at scrape time)",
            Unit::Bytes,
            index_bytes.clone(),
        );
        let remembered_responses = Family::<MemoOutcome, Counter>::default();
        registry.register(
            "remembered_responses",
            "GraphQL responses remembered at the read engine's change-log position (stored: computed and kept; sent: sent again without running)",
            remembered_responses.clone(),
        );
        Metrics {
            registry,
            remembered_responses,
            index_state,
            index_bytes,
            index_build,
            index_applied_seq,
            index_rows,
            graphql_requests,
            graphql_duration,
            http_requests,
            http_duration,
            pool_connections,
            pool_max,
            websockets_open,
            subscriptions_open,
            hub_pending,
            hub_lag,
            hub_last_seq,
            subscriber_dropped,
            operation_names: Mutex::new(HashSet::new()),
        }
    }

    /// Counts one GraphQL operation executed over HTTP.
    pub fn graphql_request(&self, operation: Option<&str>, code: &str, elapsed: Duration) {
        let operation = self.operation_label(operation);
        self.graphql_requests
            .get_or_create(&OperationOutcome {
                operation: operation.clone(),
                code: code.to_string(),
            })
            .inc();
        self.graphql_duration
            .get_or_create(&Operation { operation })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a response remembered (`stored`) or sent again from memory (`sent`).
    pub fn remembered_response(&self, outcome: &'static str) {
        self.remembered_responses
            .get_or_create(&MemoOutcome { outcome })
            .inc();
    }

    /// Counts one HTTP request; `route` is the matched route pattern, never the raw path.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let (method, route) = (method.to_string(), route.to_string());
        self.http_requests
            .get_or_create(&HttpOutcome {
                method: method.clone(),
                route: route.clone(),
                status,
            })
            .inc();
        self.http_duration
            .get_or_create(&HttpRoute { method, route })
            .observe(elapsed.as_secs_f64());
    }

    /// Adds `delta` (negative to remove) to the open WebSocket connections.
    pub fn websockets_open(&self, delta: i64) {
        self.websockets_open.inc_by(delta);
    }

    /// Adds `delta` (negative to remove) to the operations running over WebSockets.
    pub fn subscriptions_open(&self, delta: i64) {
        self.subscriptions_open.inc_by(delta);
    }

    /// Records the read engine's state and the memory its indexes hold (views', findings'),
    /// for the next render.
    pub fn engine(&self, status: &crate::engine::EngineStatus, bytes: (u64, u64)) {
        use crate::engine::EngineState;
        for state in [
            EngineState::Disabled,
            EngineState::Building,
            EngineState::Ready,
            EngineState::Behind,
            EngineState::Failed,
        ] {
            self.index_state
                .get_or_create(&IndexState {
                    state: state.as_str(),
                })
                .set(i64::from(state == status.state));
        }
        if let Some(took) = status.build_time {
            self.index_build.set(took.as_secs_f64());
        }
        self.index_applied_seq.set(status.applied_seq);
        for (kind, rows) in [("view", status.views), ("finding", status.findings)] {
            self.index_rows
                .get_or_create(&IndexRows { kind })
                .set(i64::try_from(rows).unwrap_or(i64::MAX));
        }
        for (kind, bytes) in [("view", bytes.0), ("finding", bytes.1)] {
            self.index_bytes
                .get_or_create(&IndexRows { kind })
                .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
    }

    /// Renders every metric, after reading the pool and the hub.
    pub fn render(&self, pool: PoolSample, hub: Option<HubSample>, dropped_total: u64) -> String {
        self.pool_connections
            .get_or_create(&PoolState { state: "in_use" })
            .set(pool.in_use.into());
        self.pool_connections
            .get_or_create(&PoolState { state: "idle" })
            .set(pool.idle.into());
        self.pool_max.set(pool.max.into());
        if let Some(hub) = hub {
            self.hub_pending.set(hub.pending_events);
            self.hub_lag.set(hub.lag.as_secs_f64());
            self.hub_last_seq.set(hub.last_seq);
        }
        // The hub counts drops itself; bring the exported counter up to its total.
        let seen = self.subscriber_dropped.get();
        if dropped_total > seen {
            self.subscriber_dropped.inc_by(dropped_total - seen);
        }
        let mut out = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %err, "could not encode metrics");
        }
        out
    }

    /// The label value for an operation name, with the number of distinct values bounded.
    fn operation_label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation.filter(|n| !n.is_empty()) else {
            return "anonymous".to_string();
        };
        let valid = name.len() <= 64
            && name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return "other".to_string();
        }
        let mut names = match self.operation_names.lock() {
            Ok(names) => names,
            Err(poisoned) => poisoned.into_inner(),
        };
        if names.contains(name) {
            return name.to_string();
        }
        if names.len() >= MAX_OPERATION_NAMES {
            return "other".to_string();
        }
        names.insert(name.to_string());
        name.to_string()
    }
}
