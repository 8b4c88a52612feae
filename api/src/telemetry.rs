//! Logging set up once per process: human-readable by default, JSON when asked. Logs go to
//! standard error, so that commands which print data (`export`, `token create`, `schema`) keep
//! standard output clean. The same subscriber holds the layer that measures pool waits
//! (`pool_wait`).
//!
//! When an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`), the same spans are also
//! exported as OpenTelemetry traces over OTLP/HTTP (protobuf), batched on a thread of their own;
//! the request middleware continues a caller's W3C `traceparent`. Off by default.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

/// Keeps the trace exporter alive; dropping it flushes the spans not yet sent.
#[must_use = "dropping the guard stops the trace exporter"]
pub struct Guard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            if let Err(err) = provider.shutdown() {
                eprintln!("could not flush traces: {err}");
            }
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Installs the global subscriber (a second call, as in tests, installs nothing). Call it outside
/// the async runtime: the exporter's HTTP client has a runtime of its own.
pub fn init(format: LogFormat, filter: &str, otlp_traces_endpoint: Option<&str>) -> Guard {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = match format {
        LogFormat::Pretty => fmt::layer()
            .with_target(true)
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let provider = otlp_traces_endpoint.and_then(|endpoint| match tracer_provider(endpoint) {
        Ok(provider) => Some(provider),
        Err(err) => {
            eprintln!("traces will not be exported: {err}");
            None
        }
    });
    let traces = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer().with_tracer(provider.tracer(env!("CARGO_PKG_NAME")))
    });
    // The log filter applies to the logs and traces only: the pool-wait layer needs sqlx's
    // acquire events, which are below the logs' level.
    let installed = tracing_subscriber::registry()
        .with(logs.and_then(traces).with_filter(filter))
        .with(crate::pool_wait::layer())
        .try_init()
        .is_ok();
    Guard {
        provider: provider.filter(|_| installed),
    }
}

fn tracer_provider(
    endpoint: &str,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .build()?;
    // `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` still apply; this is only the default.
    let mut resource = opentelemetry_sdk::Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("public-voice");
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
}
