//! Small pieces every type shares: provenance, external keys and row look-ups.

use crate::errors::{db, ApiError, ApiResult};
use crate::ids::{GlobalId, NodeKind};
use crate::loaders::{self, SourceById};
use crate::types::SourceDocument;
use async_graphql::{Context, Object, OneofObject, ID};
use sea_orm::{
    sea_query::{Query, SelectStatement},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

/// The database handle every resolver uses.
pub fn conn<'a>(ctx: &Context<'a>) -> ApiResult<&'a DatabaseConnection> {
    crate::errors::data::<DatabaseConnection>(ctx)
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
    db(select.one(conn(ctx)?).await)?.ok_or_else(|| {
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

/// What every curated row carries: when it was made and last changed, its version, and the
/// integrator's key. Each object type flattens these fields into its own (`stamps`).
pub struct Stamps {
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub version: i64,
    pub external_key: Option<ExternalKey>,
}

/// The [`Stamps`] of a model: every curated table has the columns.
macro_rules! stamps {
    ($m:expr) => {
        $crate::types::support::Stamps {
            created_at: $m.created_at,
            updated_at: $m.updated_at,
            version: $m.version,
            external_key: $crate::types::ExternalKey::of(&$m.external_source, &$m.external_id),
        }
    };
}

#[async_graphql::Object]
impl Stamps {
    /// When this row was created.
    async fn created_at(&self) -> crate::types::Timestamp {
        crate::types::Timestamp(self.created_at)
    }

    /// When this row last changed.
    async fn updated_at(&self) -> crate::types::Timestamp {
        crate::types::Timestamp(self.updated_at)
    }

    /// The row's version, bumped by every change. Send it back as `expectedVersion` when
    /// updating or deleting: a write against a version that has moved on is refused (`CONFLICT`).
    async fn version(&self) -> i64 {
        self.version
    }

    /// The integrator's key for this object, when it was written through an upsert or import.
    async fn external_key(&self) -> Option<&ExternalKey> {
        self.external_key.as_ref()
    }
}
