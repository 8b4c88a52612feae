//! The schema's own scalars: partial dates, instants and JSON documents. Plain values with no
//! resolvers, so filters, objects and the rate limiter can all use them.

use async_graphql::{scalar, InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A calendar date at the precision the source gives: `2024`, `2024-09` or `2024-10-26` (ISO 8601).
/// Sorting the strings sorts the dates.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct PartialDate(pub String);

scalar!(
    PartialDate,
    "PartialDate",
    "A calendar date at the precision its source gives: a year (`2024`), a month (`2024-09`) or a day (`2024-10-26`), in ISO 8601 form: the first three granularities of the W3C profile of ISO 8601 (its URL below), never a time. Sorting the strings sorts the dates; a year sorts before the months and days inside it. See the README, section \"Partial dates\".",
    "https://www.w3.org/TR/NOTE-datetime"
);

/// An instant, as an RFC 3339 string (`2026-01-01T00:00:00Z`). Unlike the engine's own date-time
/// scalar, a malformed value is refused while the document is validated (naming the argument, e.g.
/// `filter.updatedSince`), from a literal or a variable alike, instead of failing at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

/// A point in time: an RFC 3339 date-time string with its offset, such as `2026-01-31T09:30:00Z`
/// or `2026-01-31T10:30:00+01:00`. The service answers in UTC. A date alone (`2026-01-01`) is not
/// a point in time and is refused.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => DateTime::parse_from_rfc3339(s)
                .map(|t| Timestamp(t.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom("expected an RFC 3339 date-time")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(s) if DateTime::parse_from_rfc3339(s).is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

/// A JSON document (used for the before and after states in the audit log).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct JsonValue(pub serde_json::Value);

scalar!(
    JsonValue,
    "JSON",
    "A JSON document (RFC 8259), as stored: an object's writable fields with references as row IDs.",
    "https://www.rfc-editor.org/rfc/rfc8259"
);
