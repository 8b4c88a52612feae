//! Whole responses remembered at one change-log position: a dashboard that many readers open,
//! or that one reader's page polls, is computed once per write instead of once per request.
//!
//! What makes this exact rather than a cache with a lifetime: an answer is only ever used at the
//! read engine's change-log position it was computed at, and every logged write moves that
//! position (the write path applies its own change before it answers, so a writer's next read
//! is computed afresh; other replicas move on NOTIFY or their poll). So a remembered response is
//! what the same request would compute now, as far as this replica knows the evidence, which is
//! what its engine answers lists and totals from anyway.
//!
//! Only what cannot depend on the caller is remembered: queries from anonymous callers (a token
//! holder may see drafts, other thresholds and their own account), executed without any error,
//! whose resolvers did not mark them [`volatile`](crate::engine::volatile) (the time of a
//! citation, the caller's rate-limit account). The key is the operation's name, its document
//! and its variables; the position is read before the request runs, so an answer is never older
//! than the position it is kept under. A remembered answer still costs its points against the
//! caller's rate limit, as it did when it was computed. `PUBLIC_VOICE_RESPONSE_MEMO_KIB` bounds
//! the memory (oldest dropped first; 0 turns this off).

use crate::engine::memo::{Memo, Weight};
use crate::engine::Engine;
use actix_web::web::Bytes;
use std::sync::{Arc, Mutex};

/// One remembered response.
#[derive(Clone)]
pub struct Remembered {
    /// The JSON body as sent.
    pub body: Bytes,
    /// The points it cost against the rate limit (`None` when it was not charged).
    pub cost: Option<u64>,
    /// The operation's name, for metrics.
    pub operation: Arc<str>,
    /// The body's and the key's bytes.
    weight: usize,
}

impl Weight for Remembered {
    fn weight(&self) -> usize {
        self.weight
    }
}

/// The responses of one server process.
pub struct ResponseMemo {
    engine: Engine,
    answers: Option<Mutex<Memo<String, Remembered>>>,
}

impl ResponseMemo {
    /// A memo of at most `budget` bytes over `engine`'s positions (0: remembers nothing).
    pub fn new(engine: Engine, budget: usize) -> Self {
        ResponseMemo {
            engine,
            answers: (budget > 0).then(|| Mutex::new(Memo::new(budget))),
        }
    }

    /// Where `request` would be remembered: the engine's current position and the request's
    /// key; `None` when nothing can be remembered now (memo off, engine not ready).
    pub fn place(&self, request: &async_graphql::Request) -> Option<(i64, String)> {
        self.answers.as_ref()?;
        let seq = self.engine.position()?;
        let variables = serde_json::to_string(&request.variables).ok()?;
        let name = request.operation_name.as_deref().unwrap_or("");
        Some((seq, format!("{name}\u{0}{}\u{0}{variables}", request.query)))
    }

    /// The response remembered for `key` at `seq`, if any.
    pub fn recall(&self, seq: i64, key: &str) -> Option<Remembered> {
        self.answers.as_ref()?.lock().ok()?.get(seq, key)
    }

    /// Remembers a response computed after [`place`](Self::place) gave `seq` (ignored once a
    /// write has moved the engine on); whether it did.
    pub fn remember(
        &self,
        seq: i64,
        key: String,
        body: Bytes,
        cost: Option<u64>,
        operation: &str,
    ) -> bool {
        let Some(answers) = &self.answers else {
            return false;
        };
        if self.engine.position() != Some(seq) {
            return false;
        }
        let weight = body.len() + key.len();
        let remembered = Remembered {
            body,
            cost,
            operation: Arc::from(operation),
            weight,
        };
        match answers.lock() {
            Ok(mut answers) => {
                answers.put(seq, key, remembered);
                true
            }
            Err(_) => false,
        }
    }
}
