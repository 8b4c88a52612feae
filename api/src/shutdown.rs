//! The moment the server starts to stop. Set once, on SIGTERM or SIGINT; WebSocket connections
//! watch it to close with 1001 (going away) instead of holding the shutdown up, and `/ready` turns
//! 503 so load balancers stop sending new traffic while in-flight requests finish.

use std::sync::Arc;
use tokio::sync::watch;

/// Shared by the server and the connections it serves; clones watch the same moment.
#[derive(Clone, Debug)]
pub struct Shutdown {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown {
            sender: Arc::new(watch::channel(false).0),
        }
    }

    /// Starts the shutdown; later calls do nothing more.
    pub fn begin(&self) {
        self.sender.send_replace(true);
    }

    /// Whether the shutdown has started.
    pub fn has_begun(&self) -> bool {
        *self.sender.borrow()
    }

    /// Resolves once the shutdown has started (at once if it already has).
    pub async fn begun(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives as long as `self`, so this cannot fail while we wait.
        let _ = receiver.wait_for(|begun| *begun).await;
    }
}
