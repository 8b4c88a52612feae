//! Small pieces every type shares: the partial-date scalar, provenance, and row look-ups.

use crate::errors::{db, ApiError, ApiResult};
use crate::ids::{GlobalId, NodeKind};
use crate::loaders::{self, SourceById};
use crate::types::SourceDocument;
use async_graphql::{
    scalar, Context, InputValueError, InputValueResult, Object, OneofObject, Scalar, ScalarType,
    Value, ID,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Query, SelectStatement},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
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

/// The database handle every resolver uses.
pub fn conn<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// The rows of a join table that match `value`, as a subquery yielding the `pick` column.
pub fn members<J: EntityTrait>(
    pick: J::Column,
    by: J::Column,
    value: impl Into<sea_orm::Value>,
) -> SelectStatement {
    Query::select()
        .column(pick)
        .from(J::default())
        .and_where(by.eq(value))
        .to_owned()
}

// One shared `@oneOf` input rather than one per type: "exactly one" is refused at validation,
// before any resolver runs, and a client learns one shape for the nine lookups.
/// Which object to find: by its global ID or by its slug, exactly one of them, e.g.
/// `finding(by: {slug: "ai-co-pilot-not-replacement"})` or `finding(by: {id: $id})`.
#[derive(OneofObject)]
#[graphql(name = "Lookup")]
pub enum LookupInput {
    /// The object's global ID (as in `id` and `node(id:)`).
    Id(ID),
    /// The object's slug (as in `slug`), e.g. `privacy` for a theme.
    Slug(String),
}

/// How a root field was asked to find one object: by ID or by slug.
pub enum Lookup {
    Id(i32),
    Slug(String),
}

impl Lookup {
    /// Decodes the ID for `kind`; an ID of another type or an empty slug is the client's error.
    pub fn from_input(kind: NodeKind, by: LookupInput) -> ApiResult<Self> {
        match by {
            LookupInput::Id(id) => Ok(Lookup::Id(GlobalId::decode_int(&id, kind, "by.id")?)),
            LookupInput::Slug(slug) if !slug.trim().is_empty() => Ok(Lookup::Slug(slug)),
            LookupInput::Slug(_) => Err(ApiError::bad_input("by.slug", "`slug` must not be empty")),
        }
    }

    fn describe(&self) -> String {
        match self {
            Lookup::Id(_) => "this ID".to_string(),
            Lookup::Slug(slug) => format!("slug {slug:?}"),
        }
    }
}

/// Fetches one row by ID or slug; `NOT_FOUND` when there is none.
pub async fn fetch_one<E: EntityTrait>(
    ctx: &Context<'_>,
    kind: NodeKind,
    lookup: Lookup,
    id_column: E::Column,
    slug_column: E::Column,
) -> ApiResult<E::Model> {
    let select = match &lookup {
        Lookup::Id(id) => E::find().filter(id_column.eq(*id)),
        Lookup::Slug(slug) => E::find().filter(slug_column.eq(slug.as_str())),
    };
    let select = crate::visibility::restrict(crate::visibility::published_only(ctx), select);
    db(select.one(conn(ctx)).await)?.ok_or_else(|| {
        ApiError::not_found(format!(
            "No {} with {}",
            kind.type_name(),
            lookup.describe()
        ))
    })
}

/// Where a piece of evidence comes from: the source document and the passage in it.
pub struct Provenance {
    pub source_document_id: i32,
    pub locator: String,
}

/// Where a piece of evidence comes from, so every statement can be checked against its source.
#[Object]
impl Provenance {
    /// The document the evidence was taken from.
    async fn source(&self, ctx: &Context<'_>) -> ApiResult<SourceDocument> {
        let model = loaders::required(ctx, SourceById(self.source_document_id)).await?;
        Ok(SourceDocument(model))
    }

    /// A short verbatim passage of the source document (or a section name) that locates the evidence.
    async fn locator(&self) -> &str {
        &self.locator
    }
}

/// An integrator's key for an object: unique per source system.
#[derive(async_graphql::SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct ExternalKey {
    /// The integrator's system, e.g. `acme-crm`.
    pub source: String,
    /// The object's ID in that system.
    pub id: String,
}

impl ExternalKey {
    pub fn of(source: &Option<String>, id: &Option<String>) -> Option<Self> {
        match (source, id) {
            (Some(source), Some(id)) => Some(ExternalKey {
                source: source.clone(),
                id: id.clone(),
            }),
            _ => None,
        }
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
