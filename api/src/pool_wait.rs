//! How long requests wait for a database connection, as a Prometheus histogram fed by sqlx's own
//! acquire events.
//!
//! sqlx keeps its pool's waiters private and sea-orm acquires inside every statement, so nothing
//! here can see a wait begin: there is no honest gauge of "waiting right now". What sqlx does
//! publish, when the pool's `acquire_time_level` is set (see `db`), is one event per acquire, with
//! target [`TARGET`] and the wait in the field `acquired_after_secs`, emitted as the connection is
//! handed over. A `tracing` layer reads that field into a histogram: its `_count` and `_sum` see
//! every wait, even those that start and end between two scrapes, which an instantaneous count
//! would miss.
//!
//! The events carry no pool identity and `tracing` delivers them to one process-wide subscriber,
//! so the histogram is one per process, shared by every application's `/metrics` (in production a
//! process runs one server; a test process running several sees their waits together).

use prometheus_client::metrics::histogram::Histogram;
use std::sync::OnceLock;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The target of sqlx's acquire events.
pub const TARGET: &str = "sqlx::pool::acquire";

/// The level the pool emits its acquire events at. Below the logs' default (`info`), so they
/// feed the histogram without filling the logs; sqlx still warns about acquires slower than
/// its slow threshold (2 s), with the same field, and those count too.
pub const EVENT_LEVEL: Level = Level::TRACE;

const FIELD: &str = "acquired_after_secs";

/// Wait buckets, in seconds: an idle connection is handed over in microseconds; a starved pool
/// makes requests wait up to the acquire timeout (10 s).
const BUCKETS: [f64; 14] = [
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's histogram of acquire waits (clones share the observations).
pub fn histogram() -> Histogram {
    static WAITS: OnceLock<Histogram> = OnceLock::new();
    WAITS.get_or_init(|| Histogram::new(BUCKETS)).clone()
}

/// The layer that feeds [`histogram`], filtered to sqlx's acquire events alone, whatever the
/// log filter lets through.
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    layer_into(histogram())
}

fn layer_into<S>(waits: Histogram) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    AcquireWaits(waits).with_filter(Targets::new().with_target(TARGET, EVENT_LEVEL))
}

/// For processes that run the server without `telemetry::init` (the integration tests, other
/// embedders): installs a global subscriber holding only this layer, so the histogram is fed
/// and nothing is logged. Does nothing when a global subscriber is already set.
pub fn install_if_no_subscriber() {
    if !tracing::dispatcher::has_been_set() {
        // Losing a race with another installer is fine: `telemetry::init` includes this layer.
        let _ = tracing_subscriber::registry().with(layer()).try_init();
    }
}

struct AcquireWaits(Histogram);

impl<S: Subscriber> Layer<S> for AcquireWaits {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let mut wait = WaitField(None);
        event.record(&mut wait);
        if let Some(secs) = wait.0.filter(|s| s.is_finite() && *s >= 0.0) {
            self.0.observe(secs);
        }
    }
}

struct WaitField(Option<f64>);

impl Visit for WaitField {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == FIELD {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_acquire_events_wait_is_observed() {
        let waits = Histogram::new(BUCKETS);
        let subscriber = tracing_subscriber::registry().with(layer_into(waits.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::event!(target: "sqlx::pool::acquire", Level::TRACE, acquired_after_secs = 0.75_f64, "acquired connection");
            tracing::event!(target: "sqlx::pool::acquire", Level::WARN, acquired_after_secs = 3.0_f64, "slow");
            tracing::event!(target: "sqlx::query", Level::TRACE, acquired_after_secs = 9.0_f64, "other");
            tracing::event!(target: "sqlx::pool::acquire", Level::TRACE, elapsed = 9.0_f64, "no wait");
        });
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register("waits", "Acquire waits", waits);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
        assert!(text.contains("\nwaits_sum 3.75\n"), "{text}");
        assert!(text.contains("\nwaits_count 2\n"), "{text}");
        assert!(text.contains("\nwaits_bucket{le=\"1.0\"} 1\n"), "{text}");
    }
}
