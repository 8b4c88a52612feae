//! `Query.citation`: a citation of what an explorer permalink shows, in plain text, BibTeX and
//! CSL-JSON, with the source documents behind the evidence it shows and the date it was read.
//!
//! A permalink is a URL of the explorer page, `/explore?rows=MISSION&columns=THEME&split=STANCE&
//! filter=<JSON>&q=<search>&seq=<N>` (absolute or from `/explore`); every parameter is optional.
//! When a dimension or the split is `KIND` the page shows findings and `filter` is a
//! `FindingFilter`; otherwise participant views and a `ViewFilter`.

use crate::errors::{db, ApiError, ApiResult};
use crate::filters::{FindingFilter, ViewFilter};
use crate::types::{JsonValue, SourceDocument, Timestamp};
use async_graphql::{Context, InputType, Object, SimpleObject};
use chrono::{DateTime, Datelike, Utc};
use entity::{finding, participant_view, source_document};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The service's name, as cited.
pub const SERVICE_NAME: &str = "Public Voice";

#[derive(Default)]
pub struct CitationQuery;

#[Object]
impl CitationQuery {
    /// A citation of what an explorer permalink shows: its title, the service's name, the
    /// permalink, the change-feed sequence it was read at (`seq`), the source documents behind
    /// the evidence matching its filter and today's date, in plain text, BibTeX and CSL-JSON. A
    /// permalink that is not an explorer URL, or whose parameters do not parse, is
    /// `BAD_USER_INPUT`.
    async fn citation(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The explorer URL to cite: `/explore?rows=&columns=&split=&filter=&q=&seq=` (absolute, or from `/explore`)."
        )]
        permalink: String,
        #[graphql(
            desc = "The title to cite it under (default: one made from the permalink's dimensions, filter and search)."
        )]
        title: Option<String>,
    ) -> ApiResult<Citation> {
        // Today's date is part of the answer.
        crate::engine::volatile(ctx);
        let link = Permalink::parse(&permalink)?;
        let published_only = crate::visibility::published_only(ctx);
        let conn = crate::errors::data::<DatabaseConnection>(ctx)?;
        let sources = link.sources(conn, published_only).await?;
        let title = title
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| link.title());
        Ok(Citation::new(&link, title, sources, Utc::now()))
    }
}

/// A citation of an explorer view, in three forms.
#[derive(SimpleObject)]
pub struct Citation {
    /// The citation as one line of plain text: title, service, URL, the change it was read at,
    /// the access date and the sources.
    pub text: String,
    /// The citation as a BibTeX `@misc` entry (biblatex's `url` and `urldate` fields).
    pub bibtex: String,
    /// The citation as one CSL-JSON item (type `dataset`), for Zotero, Pandoc and other
    /// citation processors.
    pub csl_json: JsonValue,
    /// When it was read: now.
    pub accessed: Timestamp,
    /// The source documents behind the evidence the permalink shows (views, or findings when it
    /// shows findings, matching its filter, as the caller may see them), distinct, in corpus
    /// order.
    pub sources: Vec<SourceDocument>,
}

/// What a permalink encodes.
#[derive(Debug)]
struct Permalink {
    /// The URL as cited (characters a URL may not hold percent-encoded).
    url: String,
    rows: Option<String>,
    columns: Option<String>,
    split: Option<String>,
    filter: Value,
    query: Option<String>,
    sequence: Option<i64>,
}

const DIMENSIONS: [&str; 5] = ["MISSION", "THEME", "STANCE", "EXERCISE", "KIND"];

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_input("permalink", message)
}

impl Permalink {
    fn parse(permalink: &str) -> ApiResult<Self> {
        let url = permalink.trim();
        let after_scheme = match url.split_once("://") {
            Some(("http" | "https", rest)) => rest.find('/').map(|i| &rest[i..]).unwrap_or(""),
            Some(_) => {
                return Err(bad(
                    "The permalink must be an http(s) URL or start with /explore",
                ))
            }
            None => url,
        };
        let (path, query) = after_scheme.split_once('?').unwrap_or((after_scheme, ""));
        let query = query.split('#').next().unwrap_or_default();
        if path.trim_end_matches('/') != "/explore" {
            return Err(bad(
                "The permalink must be a URL of the explorer page, /explore",
            ));
        }
        let params: HashMap<String, String> =
            actix_web::web::Query::<HashMap<String, String>>::from_query(query)
                .map(actix_web::web::Query::into_inner)
                .map_err(|err| bad(format!("The permalink's parameters do not parse: {err}")))?;
        let dimension = |name: &str| -> ApiResult<Option<String>> {
            match params.get(name).map(|v| v.trim().to_ascii_uppercase()) {
                None => Ok(None),
                Some(v) if v.is_empty() || v == "NONE" => Ok(None),
                Some(v) if DIMENSIONS.contains(&v.as_str()) => Ok(Some(v)),
                Some(v) => Err(bad(format!(
                    "The permalink's `{name}` is {v:?}: expected one of {}",
                    DIMENSIONS.join(", ")
                ))),
            }
        };
        let filter = match params.get("filter").map(|f| f.trim()) {
            None | Some("") => Value::Null,
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(v @ (Value::Object(_) | Value::Null)) => v,
                _ => return Err(bad("The permalink's `filter` is not a JSON object")),
            },
        };
        let sequence = match params.get("seq").map(|s| s.trim()) {
            None | Some("") => None,
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n >= 0 => Some(n),
                _ => {
                    return Err(bad(format!(
                        "The permalink's `seq` is {s:?}: expected a whole number, 0 or more"
                    )))
                }
            },
        };
        let link = Permalink {
            url: encode_unsafe(url),
            rows: dimension("rows")?,
            columns: dimension("columns")?,
            split: dimension("split")?,
            filter,
            query: params
                .get("q")
                .map(|q| q.trim().to_string())
                .filter(|q| !q.is_empty()),
            sequence,
        };
        // Check the filter now, so a bad one is the caller's error whatever is asked.
        if link.findings() {
            link.finding_filter()?;
        } else {
            link.view_filter()?;
        }
        Ok(link)
    }

    /// Whether the page shows findings (a dimension or the split is a finding's kind).
    fn findings(&self) -> bool {
        [&self.rows, &self.columns, &self.split]
            .iter()
            .any(|d| d.as_deref() == Some("KIND"))
    }

    fn view_filter(&self) -> ApiResult<ViewFilter> {
        parse_input(&self.filter)
    }

    fn finding_filter(&self) -> ApiResult<FindingFilter> {
        parse_input(&self.filter)
    }

    /// A title made from the dimensions, the filter and the search.
    fn title(&self) -> String {
        let mut title = String::from(if self.findings() {
            "Findings"
        } else {
            "Participant views"
        });
        let label = |d: &str| d.to_ascii_lowercase();
        match (&self.rows, &self.columns) {
            (Some(r), Some(c)) => title.push_str(&format!(" by {} and {}", label(r), label(c))),
            (Some(d), None) | (None, Some(d)) => title.push_str(&format!(" by {}", label(d))),
            (None, None) => {}
        }
        if let Some(split) = &self.split {
            title.push_str(&format!(", split by {}", label(split)));
        }
        let mut conditions = Vec::new();
        flatten(&self.filter, "", &mut conditions);
        if !conditions.is_empty() {
            title.push_str(&format!("; filter: {}", conditions.join(", ")));
        }
        if let Some(q) = &self.query {
            title.push_str(&format!("; search: \"{q}\""));
        }
        title
    }

    /// The source documents behind the evidence matching the filter, in corpus order.
    async fn sources(
        &self,
        conn: &DatabaseConnection,
        published_only: bool,
    ) -> ApiResult<Vec<SourceDocument>> {
        let ids: Vec<i32> = if self.findings() {
            let select =
                finding::Entity::find().filter(self.finding_filter()?.condition(conn).await?);
            db(crate::visibility::restrict(published_only, select)
                .select_only()
                .column(finding::Column::SourceDocumentId)
                .distinct()
                .into_tuple::<i32>()
                .all(conn)
                .await)?
        } else {
            let select =
                participant_view::Entity::find().filter(self.view_filter()?.condition(conn).await?);
            db(crate::visibility::restrict(published_only, select)
                .select_only()
                .column(participant_view::Column::SourceDocumentId)
                .distinct()
                .into_tuple::<i32>()
                .all(conn)
                .await)?
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(db(source_document::Entity::find()
            .filter(source_document::Column::Id.is_in(ids))
            .order_by_asc(source_document::Column::Id)
            .all(conn)
            .await)?
        .into_iter()
        .map(SourceDocument)
        .collect())
    }
}

/// Parses a permalink's filter as the GraphQL input it stands for.
fn parse_input<T: InputType + Default>(filter: &Value) -> ApiResult<T> {
    if filter.is_null() {
        return Ok(T::default());
    }
    T::parse(Some(
        async_graphql::Value::from_json(filter.clone())
            .map_err(|_| bad("The permalink's `filter` is not a JSON object"))?,
    ))
    .map_err(|err| {
        bad(format!(
            "The permalink's `filter` is not a valid {}: {}",
            T::type_name(),
            err.into_server_error(async_graphql::Pos::default()).message
        ))
    })
}

/// `missions.anyOf=HEALTH` for every leaf of the filter, keys in order.
fn flatten(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                flatten(&map[key], &path, out);
            }
        }
        Value::Null => {}
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(scalar_text).collect();
            out.push(format!("{path}={}", items.join("|")));
        }
        leaf => out.push(format!("{path}={}", scalar_text(leaf))),
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Percent-encodes what a URL may not hold as it is (spaces, quotes, braces...), as a browser's
/// address bar does, so the URL can be cited in BibTeX and plain text unchanged.
fn encode_unsafe(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        if c.is_ascii_graphic() && !"\"<>\\^`{|}".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Escapes BibTeX's (LaTeX's) special characters in a field value.
fn bibtex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '%' | '&' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            c => out.push(c),
        }
    }
    out
}

impl Citation {
    fn new(
        link: &Permalink,
        title: String,
        sources: Vec<SourceDocument>,
        now: DateTime<Utc>,
    ) -> Self {
        let date = now.format("%Y-%m-%d").to_string();
        let read_at = link
            .sequence
            .map(|n| format!("evidence as at change {n}; "))
            .unwrap_or_default();
        let source_list: Vec<String> = sources
            .iter()
            .map(|s| match &s.0.published_on {
                Some(on) => format!("{}, {} ({on})", s.0.title, s.0.publisher),
                None => format!("{}, {}", s.0.title, s.0.publisher),
            })
            .collect();
        let sources_text = if source_list.is_empty() {
            String::new()
        } else {
            format!(" Sources: {}.", source_list.join("; "))
        };
        let text = format!(
            "{SERVICE_NAME}. {title}. {url} ({read_at}accessed {date}).{sources_text}",
            url = link.url
        );
        let mut fields = vec![
            format!("  title = {{{}}}", bibtex_escape(&title)),
            format!("  author = {{{{{SERVICE_NAME}}}}}"),
            format!("  year = {{{}}}", now.year()),
            format!("  url = {{{}}}", link.url),
            format!("  urldate = {{{date}}}"),
        ];
        if let Some(n) = link.sequence {
            fields.push(format!("  version = {{change {n}}}"));
        }
        if !source_list.is_empty() {
            fields.push(format!(
                "  note = {{Sources: {}}}",
                bibtex_escape(&source_list.join("; "))
            ));
        }
        let key = format!("publicvoice{}", now.format("%Y%m%d"));
        let bibtex = format!("@misc{{{key},\n{}\n}}\n", fields.join(",\n"));
        let mut csl = json!({
            "id": key,
            "type": "dataset",
            "title": title,
            "author": [{"literal": SERVICE_NAME}],
            "publisher": SERVICE_NAME,
            "URL": link.url,
            "accessed": {"date-parts": [[now.year(), now.month(), now.day()]]},
        });
        if let Some(n) = link.sequence {
            csl["version"] = json!(format!("change {n}"));
        }
        if !source_list.is_empty() {
            csl["note"] = json!(format!("Sources: {}", source_list.join("; ")));
        }
        Citation {
            text,
            bibtex,
            csl_json: JsonValue(csl),
            accessed: Timestamp(now),
            sources,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permalink_parses_and_titles_itself() {
        let link = Permalink::parse(
            "http://127.0.0.1:8000/explore?rows=MISSION&columns=THEME&split=STANCE\
             &filter=%7B%22stances%22%3A%5B%22CONCERN%22%5D%7D&q=data&seq=12",
        )
        .expect("parses");
        assert_eq!(link.sequence, Some(12));
        assert_eq!(
            link.title(),
            "Participant views by mission and theme, split by stance; filter: stances=CONCERN; search: \"data\""
        );
        let link = Permalink::parse("/explore?filter={\"verbatim\":true}").expect("parses");
        assert_eq!(link.url, "/explore?filter=%7B%22verbatim%22:true%7D");
    }

    #[test]
    fn bad_permalinks_are_refused() {
        for bad in [
            "/graphiql?rows=MISSION",
            "ftp://host/explore",
            "/explore?rows=PLANET",
            "/explore?seq=-1",
            "/explore?filter=[1]",
            "/explore?filter=%7B%22stances%22%3A%5B%22GLEE%22%5D%7D",
        ] {
            let err = Permalink::parse(bad).expect_err(bad);
            assert_eq!(err.code(), "BAD_USER_INPUT", "{bad}");
        }
    }
}
