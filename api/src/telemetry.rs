//! Logging set up once per process: human-readable by default, JSON when asked. Logs go to
//! standard error, so that commands which print data (`export`, `token create`, `schema`) keep
//! standard output clean.

use crate::settings::LogFormat;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber. A second call (as in tests) is a no-op.
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}
