//! Full-text search across findings, participant views, exercises and resources: English
//! stemming, ranked (SQLite FTS5 bm25; PostgreSQL ts_rank_cd over a weighted tsvector), with a
//! highlighted snippet, paged by keyset on (rank, document) with opaque cursors.

use super::support::conn;
use super::{Exercise, Finding, ParticipantView, Resource};
use crate::errors::{db, ApiError, ApiResult};
use crate::loaders::{self, ExerciseById, FindingById, ResourceById, ViewById};
use crate::pagination::{Page, PageArgs, PageEdge};
use crate::schema::PageLimits;
use async_graphql::{Context, Enum, Object, Union};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// What kinds of object search looks through.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
pub enum SearchKind {
    /// Findings (title and summary).
    Finding,
    /// Participant views (their text).
    ParticipantView,
    /// Engagement exercises (title, summary and method).
    Exercise,
    /// Resources (title).
    Resource,
}

impl SearchKind {
    /// The kind's code in a search document id (`row id * 4 + code`), as the migration sets it.
    fn code(self) -> i64 {
        match self {
            SearchKind::Finding => 0,
            SearchKind::ParticipantView => 1,
            SearchKind::Exercise => 2,
            SearchKind::Resource => 3,
        }
    }
}

/// An object search found.
#[derive(Union)]
pub enum SearchResult {
    Finding(Finding),
    ParticipantView(ParticipantView),
    Exercise(Exercise),
    Resource(Resource),
}

/// One search hit.
pub struct SearchHit {
    doc_id: i64,
    score: f64,
    snippet: String,
}

/// One object that matched a search, with its relevance and a highlighted snippet.
#[Object]
impl SearchHit {
    /// The object found.
    async fn node(&self, ctx: &Context<'_>) -> ApiResult<SearchResult> {
        let id = i32::try_from(self.doc_id / 4).map_err(|_| ApiError::Internal)?;
        Ok(match self.doc_id % 4 {
            0 => SearchResult::Finding(Finding(loaders::required(ctx, FindingById(id)).await?)),
            1 => SearchResult::ParticipantView(ParticipantView(
                loaders::required(ctx, ViewById(id)).await?,
            )),
            2 => SearchResult::Exercise(Exercise(loaders::required(ctx, ExerciseById(id)).await?)),
            _ => SearchResult::Resource(Resource(loaders::required(ctx, ResourceById(id)).await?)),
        })
    }

    /// Relevance: higher is better. Comparable within one search only.
    async fn score(&self) -> f64 {
        self.score
    }

    /// A short passage of the matching text with the matched words wrapped in `<mark>` and
    /// `</mark>`. The rest is the stored text as is: escape it before inserting it as HTML.
    async fn snippet(&self) -> &str {
        &self.snippet
    }
}

/// The words of a search, for both backends' query languages (no operators reach the engine).
fn words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .take(16)
        .collect()
}

fn encode_cursor(score: f64, doc_id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("cursor:search:{:016x}:{doc_id}", score.to_bits()))
}

fn decode_cursor(cursor: &str, field: &str) -> ApiResult<(f64, i64)> {
    let invalid = || {
        ApiError::bad_input(
            field,
            format!("{cursor:?} is not a valid cursor for this search"),
        )
    };
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?)
        .map_err(|_| invalid())?;
    let rest = text.strip_prefix("cursor:search:").ok_or_else(invalid)?;
    let (bits, doc) = rest.split_once(':').ok_or_else(invalid)?;
    let bits = u64::from_str_radix(bits, 16).map_err(|_| invalid())?;
    Ok((f64::from_bits(bits), doc.parse().map_err(|_| invalid())?))
}

fn page_size(value: Option<i32>, field: &str, limits: PageLimits) -> ApiResult<Option<usize>> {
    match value {
        None => Ok(None),
        Some(n) if n < 0 => Err(ApiError::bad_input(
            field,
            format!("`{field}` must not be negative"),
        )),
        Some(n) if n as usize > limits.max_size => Err(ApiError::bad_input(
            field,
            format!("`{field}` may be at most {} (got {n})", limits.max_size),
        )),
        Some(n) => Ok(Some(n as usize)),
    }
}

/// Runs a search and returns one page of hits, best first. Pages like every connection:
/// forwards with `first`/`after`, backwards with `last`/`before`, by keyset on (score, document).
pub async fn search(
    ctx: &Context<'_>,
    query: &str,
    kinds: Option<Vec<SearchKind>>,
    args: PageArgs,
) -> ApiResult<Page<SearchHit>> {
    let limits = *ctx.data_unchecked::<PageLimits>();
    let words = words(query);
    if words.is_empty() {
        return Err(ApiError::bad_input(
            "query",
            "Search needs at least one word",
        ));
    }
    let first = page_size(args.first, "first", limits)?;
    let last = page_size(args.last, "last", limits)?;
    if first.is_some() && last.is_some() {
        return Err(ApiError::bad_input(
            "last",
            "Give `first` or `last`, not both",
        ));
    }
    let backwards = last.is_some();
    let size = last.or(first).unwrap_or(limits.default_size);
    let after = args
        .after
        .as_deref()
        .map(|c| decode_cursor(c, "after"))
        .transpose()?;
    let before = args
        .before
        .as_deref()
        .map(|c| decode_cursor(c, "before"))
        .transpose()?;
    let codes: Vec<i64> = kinds
        .unwrap_or_default()
        .into_iter()
        .map(SearchKind::code)
        .collect();
    let c = conn(ctx);
    let backend = c.get_database_backend();

    // Parameters: the search expression, then the keyset bound, then the limit.
    let (matching, rank, snippet) = match backend {
        DbBackend::Sqlite => (
            "search_index MATCH $1",
            "-bm25(search_index, 4.0, 1.0)",
            "snippet(search_index, -1, '<mark>', '</mark>', '…', 16)",
        ),
        _ => (
            "tsv @@ plainto_tsquery('english', $1)",
            "ts_rank_cd(tsv, plainto_tsquery('english', $1))::float8",
            "ts_headline('english', CASE WHEN body = '' THEN title WHEN title = '' THEN body ELSE title || ': ' || body END, plainto_tsquery('english', $1), \
             'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=1')",
        ),
    };
    let expression = match backend {
        DbBackend::Sqlite => words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" "),
        _ => words.join(" "),
    };
    let doc_id = if backend == DbBackend::Sqlite {
        "rowid"
    } else {
        "doc_id"
    };
    let kind_filter = if codes.is_empty() {
        String::new()
    } else {
        format!(
            " AND ({doc_id} % 4) IN ({})",
            codes
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut values: Vec<Value> = vec![expression.clone().into()];
    // Best first is (score descending, document ascending); "after" a hit is further along it.
    let mut bounds = Vec::new();
    if let Some((score, doc)) = after {
        values.push(score.into());
        values.push(doc.into());
        let (s, d) = (values.len() - 1, values.len());
        bounds.push(format!(
            "(score < ${s} OR (score = ${s} AND doc_id > ${d}))"
        ));
    }
    if let Some((score, doc)) = before {
        values.push(score.into());
        values.push(doc.into());
        let (s, d) = (values.len() - 1, values.len());
        bounds.push(format!(
            "(score > ${s} OR (score = ${s} AND doc_id < ${d}))"
        ));
    }
    let keyset = if bounds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", bounds.join(" AND "))
    };
    // Backwards, the page is read from the other end and turned round afterwards.
    let (inner, outer) = if backwards {
        ("score ASC, doc_id DESC", "page.score ASC, page.hit DESC")
    } else {
        ("score DESC, doc_id ASC", "page.score DESC, page.hit ASC")
    };
    values.push(((size + 1) as i64).into());
    let limit_param = values.len();
    // The snippet is computed only for the rows of the page.
    let sql = format!(
        "SELECT page.hit AS doc_id, page.score AS score, {snippet} AS snippet FROM search_index JOIN (
            SELECT doc_id AS hit, score FROM (
                SELECT {doc_id} AS doc_id, {rank} AS score FROM search_index WHERE {matching}{kind_filter}
            ) AS ranked {keyset} ORDER BY {inner} LIMIT ${limit_param}
         ) AS page ON page.hit = search_index.{doc_id} WHERE {matching} ORDER BY {outer}",
    );
    let rows = db(c
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await)?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        hits.push(SearchHit {
            doc_id: db(row.try_get::<i64>("", "doc_id"))?,
            score: db(row.try_get::<f64>("", "score"))?,
            snippet: db(row.try_get::<String>("", "snippet"))?,
        });
    }
    let more = hits.len() > size;
    hits.truncate(size);
    if backwards {
        hits.reverse();
    }

    let total_count = if ctx.look_ahead().field("totalCount").exists() {
        let sql = format!("SELECT COUNT(*) AS n FROM search_index WHERE {matching}{kind_filter}");
        let row = db(c
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [expression.into()],
            ))
            .await)?;
        match row {
            Some(row) => u64::try_from(db(row.try_get::<i64>("", "n"))?).unwrap_or(0),
            None => 0,
        }
    } else {
        0
    };
    let edges: Vec<PageEdge<SearchHit>> = hits
        .into_iter()
        .map(|hit| PageEdge::new(encode_cursor(hit.score, hit.doc_id), hit))
        .collect();
    // As for every connection, a cursor on the other side means items exist there.
    let (has_previous, has_next) = if backwards {
        (more, before.is_some())
    } else {
        (after.is_some(), more)
    };
    Ok(Page::new(edges, has_previous, has_next, total_count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_operators() {
        assert_eq!(words("co-pilot"), vec!["co", "pilot"]);
        assert_eq!(
            words("\"personal data\" OR *"),
            vec!["personal", "data", "or"]
        );
        assert!(words("  -- !! ").is_empty());
    }

    #[test]
    fn cursors_round_trip() {
        let c = encode_cursor(-1.25e-6, 41);
        assert_eq!(
            decode_cursor(&c, "before").map_err(|e| e.code()),
            Ok((-1.25e-6, 41))
        );
        assert!(decode_cursor("Y3Vyc29yOmlkOjM", "after").is_err());
    }
}
