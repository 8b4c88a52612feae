//! Downloads under `/export/`: CSV and JSON of the participant views, the findings, the evidence
//! map and the finding map under any filter, and the editor's JSON Lines bundle.
//!
//! Lists and maps are read through the GraphQL schema itself (the documents below, run with the
//! caller's own identity), so a download obeys exactly what the API obeys: visibility (anonymous
//! callers get published rows only), the read engine, small-cell suppression. A list is read page
//! by page at the largest page size and written as each page arrives, so no download holds a whole
//! list in memory; the first page is read before the response starts, so a bad filter or a
//! suppressed drill-down gets a proper status and error body. The bundle is the CLI's `export`
//! (`bundle::export`), streamed.
//!
//! `PUBLIC_VOICE_EXPORTS=false` turns the endpoints off.

use crate::auth::{self, Role, Viewer};
use crate::errors::code;
use crate::ratelimit::{self, InFlight, RateLimiter, RateSlot};
use crate::schema::AppSchema;
use actix_web::{http::header, http::StatusCode, web, HttpRequest, HttpResponse};
use futures_util::stream::{self, Stream, StreamExt};
use sea_orm::DatabaseConnection;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// What the endpoints need besides the schema and the database.
#[derive(Clone, Copy, Debug)]
pub struct ExportConfig {
    /// How many items each GraphQL page reads (the largest page size allowed).
    pub page_size: usize,
    /// Refuse callers without a token (`PUBLIC_VOICE_REQUIRE_TOKEN`).
    pub require_token: bool,
}

/// The stances, in the order of the map's `byStance` (and of the CSV's columns).
const STANCES: [&str; 5] = ["HOPE", "CONCERN", "CONDITION", "SUGGESTION", "NEUTRAL"];

/// The dimensions of `evidenceMap` and of `findingMap`.
const VIEW_DIMENSIONS: [&str; 4] = ["MISSION", "THEME", "STANCE", "EXERCISE"];
const FINDING_DIMENSIONS: [&str; 4] = ["MISSION", "THEME", "KIND", "EXERCISE"];

/// A failure before the download starts: its status, message and stable code.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    message: String,
    code: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>, code: &str) -> Self {
        Refusal {
            status,
            message: message.into(),
            code: code.to_string(),
        }
    }

    fn bad_input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, code::BAD_USER_INPUT)
    }

    fn response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        response
            .content_type("application/json; charset=utf-8")
            .json(json!({"errors": [{"message": self.message, "extensions": {"code": self.code}}]}))
    }

    /// The HTTP status for a GraphQL error code.
    fn from_code(code_name: &str, message: String) -> Self {
        let status = match code_name {
            code::BAD_USER_INPUT | code::GRAPHQL_VALIDATION_FAILED => StatusCode::BAD_REQUEST,
            code::NOT_FOUND => StatusCode::NOT_FOUND,
            code::UNAUTHENTICATED => StatusCode::UNAUTHORIZED,
            code::FORBIDDEN | code::SUPPRESSED => StatusCode::FORBIDDEN,
            code::SERVICE_UNAVAILABLE => StatusCode::SERVICE_UNAVAILABLE,
            code::RATE_LIMITED => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        // Validation of a variable is the caller's bad input, whatever the engine calls it.
        let code_name = if code_name == code::GRAPHQL_VALIDATION_FAILED {
            code::BAD_USER_INPUT
        } else {
            code_name
        };
        Self::new(status, message, code_name)
    }
}

/// The file formats of lists and maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// Who is calling, as `/graphql` decides it.
async fn viewer(
    req: &HttpRequest,
    conn: &DatabaseConnection,
    config: &ExportConfig,
) -> Result<Viewer, Refusal> {
    let header = match req.headers().get(header::AUTHORIZATION).map(|v| v.to_str()) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => Some(""),
    };
    match auth::authenticate(conn, header).await {
        Ok(Viewer::Anonymous) if config.require_token => Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            "This service requires an API token: send `Authorization: Bearer <token>`",
            code::UNAUTHENTICATED,
        )),
        Ok(viewer) => Ok(viewer),
        Err(err) => Err(Refusal::from_code(err.code(), err.message())),
    }
}

/// Runs one GraphQL document as the reader's caller and returns its data, or the first error as
/// a refusal. Each document is charged to the caller's rate-limit budget like a request to
/// `/graphql` (a download past the budget is refused, or cut off mid-way).
async fn run(reader: &Reader, document: &str, variables: Value) -> Result<Value, Refusal> {
    let mut request = async_graphql::Request::new(document)
        .variables(async_graphql::Variables::from_json(variables))
        .data(crate::loaders::for_request(
            reader.conn.clone(),
            reader.viewer.sees_unpublished(),
        ))
        .data(reader.viewer.clone());
    if let Some(slot) = &reader.rate {
        request = request.data(slot.clone());
    }
    let mut response = reader.schema.execute(request).await;
    super::graphql::finish_errors(&mut response, false);
    if let Some(error) = response.errors.first() {
        let code_name = error
            .extensions
            .as_ref()
            .and_then(|ext| match ext.get("code") {
                Some(async_graphql::Value::String(c)) => Some(c.clone()),
                _ => None,
            })
            .unwrap_or_else(|| code::INTERNAL.to_string());
        return Err(Refusal::from_code(&code_name, error.message.clone()));
    }
    response.data.into_json().map_err(|err| {
        tracing::error!(error = %err, "an export's data did not convert to JSON");
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            code::INTERNAL,
        )
    })
}

/// The query string's parameters (each once).
fn params(req: &HttpRequest) -> Result<HashMap<String, String>, Refusal> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|err| Refusal::bad_input(format!("The query string does not parse: {err}")))
}

/// The `filter` parameter: URL-encoded JSON of the filter, written as the GraphQL variable
/// would be (null when absent).
fn filter(params: &HashMap<String, String>) -> Result<Value, Refusal> {
    match params.get("filter").map(|f| f.trim()) {
        None | Some("") => Ok(Value::Null),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(v @ (Value::Object(_) | Value::Null)) => Ok(v),
            Ok(_) => Err(Refusal::bad_input("`filter` must be a JSON object")),
            Err(err) => Err(Refusal::bad_input(format!(
                "`filter` is not valid JSON: {err}"
            ))),
        },
    }
}

/// A dimension parameter (`rows` or `columns`), upper-cased, checked against `allowed`.
fn dimension(
    params: &HashMap<String, String>,
    name: &str,
    allowed: &[&str],
) -> Result<String, Refusal> {
    let value = params
        .get(name)
        .map(|v| v.trim().to_ascii_uppercase())
        .unwrap_or_default();
    if allowed.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(Refusal::bad_input(format!(
            "`{name}` must be one of {}",
            allowed.join(", ")
        )))
    }
}

/// One column of a list download: its header and where its value sits in a node.
#[derive(Clone, Copy)]
enum Column {
    /// A scalar at this JSON pointer.
    At(&'static str, &'static str),
    /// A list at this pointer, of items (or of the field `.1` of each item): `;`-joined in CSV.
    Joined(&'static str, &'static str, &'static str),
}

impl Column {
    fn header(self) -> &'static str {
        match self {
            Column::At(h, _) | Column::Joined(h, _, _) => h,
        }
    }

    fn json(self, node: &Value) -> Value {
        match self {
            Column::At(_, pointer) => node.pointer(pointer).cloned().unwrap_or(Value::Null),
            Column::Joined(_, pointer, field) => Value::Array(
                node.pointer(pointer)
                    .and_then(Value::as_array)
                    .map(|items| {
                        items
                            .iter()
                            .map(|i| {
                                if field.is_empty() {
                                    i.clone()
                                } else {
                                    i.get(field).cloned().unwrap_or(Value::Null)
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
        }
    }

    fn csv(self, node: &Value) -> String {
        match self.json(node) {
            Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(";"),
            v => text(&v),
        }
    }
}

/// A scalar as CSV text: strings as they are, null as nothing.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One kind of list download.
struct ListKind {
    /// The root field.
    field: &'static str,
    /// The filter's input type.
    filter_type: &'static str,
    /// The node's selection.
    selection: &'static str,
    columns: &'static [Column],
}

const VIEW_COLUMNS: &[Column] = &[
    Column::At("id", "/id"),
    Column::At("slug", "/slug"),
    Column::At("text", "/text"),
    Column::At("stance", "/stance"),
    Column::At("verbatim", "/verbatim"),
    Column::At("exercise", "/exercise/slug"),
    Column::Joined("missions", "/missions", ""),
    Column::Joined("themes", "/themes", "slug"),
    Column::At("finding", "/finding/slug"),
    Column::At("source", "/provenance/source/slug"),
    Column::At("locator", "/provenance/locator"),
    Column::At("review_status", "/reviewStatus"),
];

const VIEWS: ListKind = ListKind {
    field: "participantViews",
    filter_type: "ViewFilter",
    selection: "id slug text stance verbatim reviewStatus exercise { slug } missions \
                themes { slug } finding { slug } provenance { locator source { slug } }",
    columns: VIEW_COLUMNS,
};

const FINDING_COLUMNS: &[Column] = &[
    Column::At("id", "/id"),
    Column::At("slug", "/slug"),
    Column::At("title", "/title"),
    Column::At("summary", "/summary"),
    Column::At("kind", "/kind"),
    Column::At("exercise", "/exercise/slug"),
    Column::Joined("missions", "/missions", ""),
    Column::Joined("themes", "/themes", "slug"),
    Column::At("source", "/provenance/source/slug"),
    Column::At("locator", "/provenance/locator"),
    Column::At("review_status", "/reviewStatus"),
];

const FINDINGS: ListKind = ListKind {
    field: "findings",
    filter_type: "FindingFilter",
    selection: "id slug title summary kind reviewStatus exercise { slug } missions \
                themes { slug } provenance { locator source { slug } }",
    columns: FINDING_COLUMNS,
};

const COMMITMENT_COLUMNS: &[Column] = &[
    Column::At("id", "/id"),
    Column::At("slug", "/slug"),
    Column::At("title", "/title"),
    Column::At("statement", "/statement"),
    Column::At("status", "/status"),
    Column::At("stated_on", "/statedOn"),
    Column::At("organisation", "/organisation/slug"),
    Column::At("source", "/provenance/source/slug"),
    Column::At("locator", "/provenance/locator"),
    Column::At("review_status", "/reviewStatus"),
];

const COMMITMENTS: ListKind = ListKind {
    field: "commitments",
    filter_type: "CommitmentFilter",
    selection: "id slug title statement status statedOn reviewStatus organisation { slug } \
                provenance { locator source { slug } }",
    columns: COMMITMENT_COLUMNS,
};

const EXERCISE_COLUMNS: &[Column] = &[
    Column::At("id", "/id"),
    Column::At("slug", "/slug"),
    Column::At("title", "/title"),
    Column::At("kind", "/kind"),
    Column::At("status", "/status"),
    Column::At("start_date", "/startDate"),
    Column::At("end_date", "/endDate"),
    Column::Joined("missions", "/missions", ""),
    Column::Joined("places", "/places", ""),
    Column::At("participant_count", "/participantCount"),
    Column::At("part_of", "/partOf/slug"),
    Column::At("source", "/provenance/source/slug"),
    Column::At("locator", "/provenance/locator"),
];

const EXERCISES: ListKind = ListKind {
    field: "exercises",
    filter_type: "ExerciseFilter",
    selection: "id slug title kind status startDate endDate missions places participantCount \
                partOf { slug } provenance { locator source { slug } }",
    columns: EXERCISE_COLUMNS,
};

const RESOURCE_COLUMNS: &[Column] = &[
    Column::At("id", "/id"),
    Column::At("slug", "/slug"),
    Column::At("title", "/title"),
    Column::At("kind", "/kind"),
    Column::At("url", "/url"),
    Column::At("published_on", "/publishedOn"),
    Column::At("publisher", "/publisher/slug"),
    Column::At("source", "/provenance/source/slug"),
    Column::At("locator", "/provenance/locator"),
];

const RESOURCES: ListKind = ListKind {
    field: "resources",
    filter_type: "ResourceFilter",
    selection: "id slug title kind url publishedOn publisher { slug } \
                provenance { locator source { slug } }",
    columns: RESOURCE_COLUMNS,
};

const METRIC_COLUMNS: &[Column] = &[
    Column::At("id", "/id"),
    Column::At("slug", "/slug"),
    Column::At("label", "/label"),
    Column::At("value", "/value"),
    Column::At("unit", "/unit"),
    Column::At("base", "/base"),
    Column::At("exercise", "/exercise/slug"),
    Column::At("source", "/provenance/source/slug"),
    Column::At("locator", "/provenance/locator"),
];

const METRICS: ListKind = ListKind {
    field: "metrics",
    filter_type: "MetricFilter",
    selection:
        "id slug label value unit base exercise { slug } provenance { locator source { slug } }",
    columns: METRIC_COLUMNS,
};

const ORGANISATION_COLUMNS: &[Column] = &[
    Column::At("id", "/id"),
    Column::At("slug", "/slug"),
    Column::At("name", "/name"),
    Column::At("kind", "/kind"),
    Column::At("website", "/website"),
    Column::At("description", "/description"),
    Column::At("source", "/provenance/source/slug"),
    Column::At("locator", "/provenance/locator"),
];

const ORGANISATIONS: ListKind = ListKind {
    field: "organisations",
    filter_type: "OrganisationFilter",
    selection: "id slug name kind website description provenance { locator source { slug } }",
    columns: ORGANISATION_COLUMNS,
};

/// The list downloads by name (`/export/{name}.csv|json`).
const LISTS: &[(&str, &ListKind)] = &[
    ("participant-views", &VIEWS),
    ("findings", &FINDINGS),
    ("commitments", &COMMITMENTS),
    ("exercises", &EXERCISES),
    ("resources", &RESOURCES),
    ("metrics", &METRICS),
    ("organisations", &ORGANISATIONS),
];

/// CSV text of one record (RFC 4180: quoted when needed, CRLF line ends).
fn csv_line(fields: &[String]) -> Result<Vec<u8>, Refusal> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer
        .write_record(fields)
        .and_then(|_| writer.flush().map_err(csv::Error::from))
        .map_err(|err| {
            tracing::error!(error = %err, "could not write a CSV record");
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error",
                code::INTERNAL,
            )
        })?;
    writer.into_inner().map_err(|_| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            code::INTERNAL,
        )
    })
}

/// Everything a list download needs to read its next page.
#[derive(Clone)]
struct Reader {
    schema: AppSchema,
    conn: DatabaseConnection,
    viewer: Viewer,
    filter: Value,
    page_size: usize,
    /// The caller's rate-limit account, charged for every page (none when limits are off).
    rate: Option<Arc<RateSlot>>,
    /// The caller's place among its requests in flight, held until the download ends.
    _in_flight: Option<Arc<InFlight>>,
}

impl Reader {
    /// One page of `kind` after `after`: its nodes, and the cursor to go on from when there is
    /// more.
    async fn page(
        &self,
        kind: &ListKind,
        after: Option<String>,
    ) -> Result<(Vec<Value>, Option<String>), Refusal> {
        let document = format!(
            "query Export($filter: {}, $first: Int, $after: String) {{ \
             list: {}(filter: $filter, first: $first, after: $after) {{ \
             pageInfo {{ hasNextPage endCursor }} nodes {{ {} }} }} }}",
            kind.filter_type, kind.field, kind.selection
        );
        let data = run(
            self,
            &document,
            json!({"filter": self.filter, "first": self.page_size, "after": after}),
        )
        .await?;
        let nodes = data
            .pointer("/list/nodes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let more = data
            .pointer("/list/pageInfo/hasNextPage")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let next = data
            .pointer("/list/pageInfo/endCursor")
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|_| more);
        Ok((nodes, next))
    }
}

/// The bytes of one page of a list in `format` (`first`: it is the first page).
fn page_bytes(
    kind: &ListKind,
    format: Format,
    nodes: &[Value],
    first: bool,
) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        match format {
            Format::Csv => {
                let fields: Vec<String> = kind.columns.iter().map(|c| c.csv(node)).collect();
                out.extend(csv_line(&fields)?);
            }
            Format::Json => {
                if !(first && i == 0) {
                    out.extend(b",\n");
                }
                let object: serde_json::Map<String, Value> = kind
                    .columns
                    .iter()
                    .map(|c| (c.header().to_string(), c.json(node)))
                    .collect();
                out.extend(Value::Object(object).to_string().into_bytes());
            }
        }
    }
    Ok(out)
}

/// Streams every item of a list, page by page.
async fn list(
    reader: Reader,
    kind: &'static ListKind,
    format: Format,
) -> Result<impl Stream<Item = Result<web::Bytes, actix_web::Error>>, Refusal> {
    let (nodes, next) = reader.page(kind, None).await?;
    let mut head = match format {
        Format::Csv => {
            let headers: Vec<String> = kind
                .columns
                .iter()
                .map(|c| c.header().to_string())
                .collect();
            csv_line(&headers)?
        }
        Format::Json => b"[\n".to_vec(),
    };
    head.extend(page_bytes(kind, format, &nodes, true)?);
    let wrote_any = !nodes.is_empty();
    if next.is_none() && format == Format::Json {
        head.extend(b"\n]\n");
    }
    let first = stream::once(async move { Ok(web::Bytes::from(head)) });
    // State: the cursor to read after (None when the list is done), and whether an item was
    // written (JSON separates items with commas).
    let rest = stream::unfold((next, wrote_any), move |(after, wrote_any)| {
        let reader = reader.clone();
        async move {
            let after = after?;
            let (chunk, state) = match reader.page(kind, Some(after)).await {
                Ok((nodes, next)) => match page_bytes(kind, format, &nodes, !wrote_any) {
                    Ok(mut bytes) => {
                        if next.is_none() && format == Format::Json {
                            bytes.extend(b"\n]\n");
                        }
                        let wrote_any = wrote_any || !nodes.is_empty();
                        (Ok(web::Bytes::from(bytes)), (next, wrote_any))
                    }
                    Err(_) => (Err(stream_error()), (None, wrote_any)),
                },
                Err(refusal) => {
                    tracing::warn!(
                        message = %refusal.message,
                        code = %refusal.code,
                        "an export stopped mid-way"
                    );
                    (Err(stream_error()), (None, wrote_any))
                }
            };
            Some((chunk, state))
        }
    });
    Ok(first.chain(rest))
}

/// The error that ends a download mid-way (the client sees a cut-off body).
fn stream_error() -> actix_web::Error {
    actix_web::error::ErrorInternalServerError("the export stopped mid-way")
}

/// A map as CSV or JSON: one record per cell.
async fn map(
    reader: &Reader,
    params: &HashMap<String, String>,
    views: bool,
    format: Format,
) -> Result<Vec<u8>, Refusal> {
    let allowed: &[&str] = if views {
        &VIEW_DIMENSIONS
    } else {
        &FINDING_DIMENSIONS
    };
    let rows = dimension(params, "rows", allowed)?;
    let columns = dimension(params, "columns", allowed)?;
    let document = if views {
        "query ExportMap($rows: EvidenceDimension!, $columns: EvidenceDimension!, $filter: ViewFilter) { \
         state: evidenceState { minCellCount } \
         map: evidenceMap(rows: $rows, columns: $columns, filter: $filter) { \
         cells { row { key label } column { key label } count suppressed \
         byStance { stance count suppressed } } } }"
    } else {
        "query ExportMap($rows: FindingDimension!, $columns: FindingDimension!, $filter: FindingFilter) { \
         state: evidenceState { minCellCount } \
         map: findingMap(rows: $rows, columns: $columns, filter: $filter) { \
         cells { row { key label } column { key label } count } } }"
    };
    let data = run(
        reader,
        document,
        json!({"rows": rows, "columns": columns, "filter": reader.filter}),
    )
    .await?;
    let k = data.pointer("/state/minCellCount").and_then(Value::as_u64);
    let cells = data
        .pointer("/map/cells")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let shown = |count: Option<&Value>, suppressed: bool| -> String {
        match (count, suppressed, k) {
            (_, true, Some(k)) => format!("<{k}"),
            (Some(v), _, _) => text(v),
            (None, _, _) => String::new(),
        }
    };
    let stance_of = |cell: &Value, stance: &str| -> Option<Value> {
        cell.get("byStance")?
            .as_array()?
            .iter()
            .find(|s| s.get("stance").and_then(Value::as_str) == Some(stance))
            .cloned()
    };
    match format {
        Format::Csv => {
            let mut headers = vec![
                "row_key",
                "row_label",
                "column_key",
                "column_label",
                "count",
            ];
            if views {
                headers.extend(STANCES);
            }
            let headers: Vec<String> = headers.into_iter().map(str::to_string).collect();
            let mut out = csv_line(&headers)?;
            for cell in &cells {
                let suppressed = cell.get("suppressed").and_then(Value::as_bool) == Some(true);
                let mut fields = vec![
                    text(cell.pointer("/row/key").unwrap_or(&Value::Null)),
                    text(cell.pointer("/row/label").unwrap_or(&Value::Null)),
                    text(cell.pointer("/column/key").unwrap_or(&Value::Null)),
                    text(cell.pointer("/column/label").unwrap_or(&Value::Null)),
                    shown(cell.get("count"), suppressed),
                ];
                if views {
                    for stance in STANCES {
                        let s = stance_of(cell, stance).unwrap_or(Value::Null);
                        let suppressed = s.get("suppressed").and_then(Value::as_bool) == Some(true);
                        fields.push(shown(s.get("count"), suppressed));
                    }
                }
                out.extend(csv_line(&fields)?);
            }
            Ok(out)
        }
        Format::Json => {
            let records: Vec<Value> = cells
                .iter()
                .map(|cell| {
                    let mut record = json!({
                        "row_key": cell.pointer("/row/key"),
                        "row_label": cell.pointer("/row/label"),
                        "column_key": cell.pointer("/column/key"),
                        "column_label": cell.pointer("/column/label"),
                        "count": cell.get("count"),
                    });
                    if views {
                        record["suppressed"] = cell.get("suppressed").cloned().into();
                        let by_stance: serde_json::Map<String, Value> = STANCES
                            .iter()
                            .map(|stance| {
                                let s = stance_of(cell, stance).unwrap_or(Value::Null);
                                (
                                    stance.to_string(),
                                    json!({"count": s.get("count"), "suppressed": s.get("suppressed")}),
                                )
                            })
                            .collect();
                        record["by_stance"] = Value::Object(by_stance);
                    }
                    record
                })
                .collect();
            let body = json!({"min_cell_count": k, "cells": records});
            Ok(format!("{body}\n").into_bytes())
        }
    }
}

fn attachment(name: &str) -> (header::HeaderName, String) {
    (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{name}\""),
    )
}

/// `GET /export/{name}`: `participant-views`, `findings`, `evidence-map` or `finding-map`, each
/// `.csv` or `.json`; and `bundle.jsonl` (editor token).
pub async fn download(
    req: HttpRequest,
    name: web::Path<String>,
    schema: web::Data<AppSchema>,
    conn: web::Data<DatabaseConnection>,
    config: web::Data<ExportConfig>,
) -> HttpResponse {
    match respond(&req, &name, &schema, &conn, &config).await {
        Ok(response) => response,
        Err(refusal) => refusal.response(),
    }
}

async fn respond(
    req: &HttpRequest,
    name: &str,
    schema: &AppSchema,
    conn: &DatabaseConnection,
    config: &ExportConfig,
) -> Result<HttpResponse, Refusal> {
    let not_found = || {
        Refusal::new(
            StatusCode::NOT_FOUND,
            format!(
                "No export is called {name:?}: try participant-views, findings, commitments, \
                 exercises, resources, metrics, organisations, evidence-map or finding-map \
                 with .csv or .json, or bundle.jsonl"
            ),
            code::NOT_FOUND,
        )
    };
    if name == "bundle.jsonl" {
        let viewer = viewer(req, conn, config).await?;
        viewer
            .require(Role::Editor)
            .map_err(|err| Refusal::from_code(err.code(), err.message()))?;
        return Ok(bundle(conn.clone()));
    }
    let (stem, format) = match name.rsplit_once('.') {
        Some((stem, "csv")) => (stem, Format::Csv),
        Some((stem, "json")) => (stem, Format::Json),
        _ => return Err(not_found()),
    };
    let list_kind = LISTS.iter().find(|(n, _)| *n == stem).map(|(_, k)| *k);
    if list_kind.is_none() && !matches!(stem, "evidence-map" | "finding-map") {
        return Err(not_found());
    }
    let viewer = viewer(req, conn, config).await?;
    let params = params(req)?;
    // Rate limits as on `/graphql`: a place in flight for the whole download, and every page
    // charged to the caller's budget.
    let (rate, in_flight) = match req.app_data::<web::Data<RateLimiter>>() {
        Some(limiter) => {
            let limiter = limiter.clone().into_inner();
            let client = ratelimit::client_key(&viewer, req.peer_addr().map(|a| a.ip()));
            let guard = limiter.enter(&client).ok_or_else(|| {
                Refusal::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Secondary rate limit: at most {} requests from one client at once (PUBLIC_VOICE_MAX_CONCURRENT_REQUESTS)",
                        limiter.settings().max_concurrent
                    ),
                    code::RATE_LIMITED,
                )
            })?;
            let budget = limiter.settings().budget(&viewer);
            (Some(RateSlot::new(client, budget)), Some(Arc::new(guard)))
        }
        None => (None, None),
    };
    let reader = Reader {
        schema: schema.clone(),
        conn: conn.clone(),
        viewer,
        filter: filter(&params)?,
        page_size: config.page_size,
        rate,
        _in_flight: in_flight,
    };
    let mut response = HttpResponse::Ok();
    response
        .content_type(format.content_type())
        .insert_header(attachment(name));
    Ok(match (list_kind, stem) {
        (Some(kind), _) => response.streaming(list(reader, kind, format).await?),
        (None, "evidence-map") => response.body(map(&reader, &params, true, format).await?),
        (None, _) => response.body(map(&reader, &params, false, format).await?),
    })
}

/// Writes into a channel in chunks, so the bundle's writer (which is synchronous) can feed a
/// streamed response.
struct ChannelWriter {
    buffer: Vec<u8>,
    sender: tokio::sync::mpsc::UnboundedSender<web::Bytes>,
}

const CHUNK_BYTES: usize = 64 * 1024;

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = web::Bytes::from(std::mem::take(&mut self.buffer));
        self.sender
            .send(chunk)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

/// The CLI's bundle, streamed as it is written.
fn bundle(conn: DatabaseConnection) -> HttpResponse {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<web::Bytes>();
    actix_web::rt::spawn(async move {
        let mut out = ChannelWriter {
            buffer: Vec::new(),
            sender,
        };
        match crate::bundle::export(&conn, &mut out, &[]).await {
            Ok(rows) => {
                if let Err(err) = std::io::Write::flush(&mut out) {
                    tracing::info!(error = %err, "bundle export: the client went away");
                } else {
                    tracing::info!(rows, "bundle exported over HTTP");
                }
            }
            // The response has started: the client sees a cut-off body (no final newline).
            Err(err) => tracing::error!(code = err.code(), "bundle export failed mid-way"),
        }
    });
    let body = stream::poll_fn(move |cx| {
        receiver
            .poll_recv(cx)
            .map(|chunk| chunk.map(Ok::<_, actix_web::Error>))
    });
    HttpResponse::Ok()
        .content_type("application/x-ndjson; charset=utf-8")
        .insert_header(attachment("bundle.jsonl"))
        .streaming(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_as_rfc_4180_says() {
        let line = csv_line(&["plain".into(), "a, \"quoted\"\nline".into(), String::new()])
            .expect("writes");
        assert_eq!(
            String::from_utf8(line).expect("utf-8"),
            "plain,\"a, \"\"quoted\"\"\nline\",\r\n"
        );
    }

    #[test]
    fn joined_columns_use_semicolons() {
        let node = json!({"themes": [{"slug": "a"}, {"slug": "b"}], "missions": ["HEALTH"]});
        assert_eq!(Column::Joined("t", "/themes", "slug").csv(&node), "a;b");
        assert_eq!(Column::Joined("m", "/missions", "").csv(&node), "HEALTH");
        assert_eq!(Column::At("x", "/finding/slug").csv(&node), "");
    }
}
