//! Full-text search across findings, participant views, exercises and resources: English
//! stemming, ranked (SQLite FTS5 bm25; PostgreSQL ts_rank_cd over a weighted tsvector), with a
//! highlighted snippet, paged by keyset on (rank, document) with opaque cursors; hits of views
//! and findings can be narrowed with the filters their lists take.

// Each GraphQL argument is a Rust argument: the query, its kinds, two filters and the four paging arguments.
#![allow(clippy::too_many_arguments)]

use crate::engine::{Engine, Ranked, Selected};
use crate::errors::{db, ApiError, ApiResult};
use crate::filters::{FindingFilter, ViewFilter};
use crate::pagination::{cursor, Page, PageArgs, PageEdge, PageLimits};
use crate::types::support::conn;
use crate::types::{SearchHit, SearchKind};
use crate::visibility::PUBLISHED;
use async_graphql::{Context, Object};
use entity::{finding, participant_view};
use futures_util::StreamExt;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement, StreamTrait, Value,
};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Searches findings, participant views, exercises and resources for all the words given
    /// (English stemming: "concerns" finds "concern"), best match first, each hit with a
    /// highlighted snippet. Pages forwards (`first`, `after`) and backwards (`last`, `before`)
    /// like every connection. `views` and `findings` narrow the hits of their kind with the
    /// filters of the `participantViews` and `findings` lists (`totalCount` counts what is left).
    #[graphql(
        complexity = "crate::limits::cost::SEARCH + crate::pagination::cost(first, last, child_complexity)"
    )]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The words to look for, e.g. `co-pilot` or `personal data`.")]
        query: String,
        #[graphql(desc = "Only these kinds of object (default: all).")] kinds: Option<
            Vec<SearchKind>,
        >,
        #[graphql(
            desc = "Only participant views that match every condition given, as in `participantViews(filter:)`. Narrows the view hits only: add `kinds: [PARTICIPANT_VIEW]` for views alone."
        )]
        views: Option<ViewFilter>,
        #[graphql(
            desc = "Only findings that match every condition given, as in `findings(filter:)`. Narrows the finding hits only: add `kinds: [FINDING]` for findings alone."
        )]
        findings: Option<FindingFilter>,
        #[graphql(
            desc = "Page forwards: at most this many hits from the best (or after `after`)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Page forwards: hits after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Page backwards: at most this many hits from the weakest (or before `before`)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Page backwards: hits before this cursor.")] before: Option<String>,
    ) -> ApiResult<Page<SearchHit>> {
        search(
            ctx,
            &query,
            kinds,
            SearchFilters { views, findings },
            PageArgs::new(first, after, last, before),
        )
        .await
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
    cursor::encode(
        "cursor:search",
        format!("{:016x}:{doc_id}", score.to_bits()),
    )
}

fn decode_cursor(text: &str, field: &str) -> ApiResult<(f64, i64)> {
    let invalid = || {
        ApiError::bad_input(
            field,
            format!("{text:?} is not a valid cursor for this search"),
        )
    };
    let rest = cursor::decode(text, "cursor:search").ok_or_else(invalid)?;
    let (bits, doc) = rest.split_once(':').ok_or_else(invalid)?;
    let bits = u64::from_str_radix(bits, 16).map_err(|_| invalid())?;
    Ok((f64::from_bits(bits), doc.parse().map_err(|_| invalid())?))
}

/// Narrows the hits of one kind with the filter its list takes.
#[derive(Default)]
pub struct SearchFilters {
    /// Applies to participant-view hits.
    pub views: Option<ViewFilter>,
    /// Applies to finding hits.
    pub findings: Option<FindingFilter>,
}

/// A filter's error names the search argument it came in, not the list's `filter`.
fn under(arg: &str, err: ApiError) -> ApiError {
    match err {
        ApiError::BadUserInput {
            message,
            field: Some(field),
        } => ApiError::BadUserInput {
            message,
            field: Some(match field.strip_prefix("filter") {
                Some(rest) => format!("{arg}{rest}"),
                None => field,
            }),
        },
        other => other,
    }
}

/// The rows of each filtered kind a hit may be: `None` for a kind without a filter.
struct Allowed {
    views: Option<Arc<Selected>>,
    findings: Option<Arc<Selected>>,
}

impl Allowed {
    fn admits(&self, doc_id: i64) -> bool {
        let set = match doc_id % 4 {
            0 => &self.findings,
            1 => &self.views,
            _ => return true,
        };
        match (set, u32::try_from(doc_id / 4)) {
            (None, _) => true,
            (Some(set), Ok(id)) => set.contains(id),
            (Some(_), Err(_)) => false,
        }
    }
}

/// Resolves the filters: from the engine's bitmaps when it is ready, from SQL otherwise, with the
/// same errors either way. Only published rows: search never shows a draft.
async fn allowed(
    ctx: &Context<'_>,
    engine: Option<&Engine>,
    filters: &SearchFilters,
) -> ApiResult<Allowed> {
    let c = conn(ctx)?;
    let views = match &filters.views {
        None => None,
        Some(filter) => Some(
            match crate::filters::select_views(engine, filter, true)
                .map_err(|e| under("views", e))?
            {
                Some(set) => set,
                None => {
                    let cond = filter.condition(c).await.map_err(|e| under("views", e))?;
                    ids(participant_view::Entity::find()
                        .select_only()
                        .column(participant_view::Column::Id)
                        .filter(participant_view::Column::ReviewStatus.eq(PUBLISHED))
                        .filter(cond)
                        .into_tuple::<i32>()
                        .all(c)
                        .await)?
                }
            },
        ),
    };
    let findings = match &filters.findings {
        None => None,
        Some(filter) => Some(
            match crate::filters::select_findings(engine, filter, true)
                .map_err(|e| under("findings", e))?
            {
                Some(set) => set,
                None => {
                    let cond = filter
                        .condition(c)
                        .await
                        .map_err(|e| under("findings", e))?;
                    ids(finding::Entity::find()
                        .select_only()
                        .column(finding::Column::Id)
                        .filter(finding::Column::ReviewStatus.eq(PUBLISHED))
                        .filter(cond)
                        .into_tuple::<i32>()
                        .all(c)
                        .await)?
                }
            },
        ),
    };
    Ok(Allowed { views, findings })
}

fn ids(rows: Result<Vec<i32>, sea_orm::DbErr>) -> ApiResult<Arc<Selected>> {
    Ok(Arc::new(Selected::new(
        db(rows)?
            .into_iter()
            .filter_map(|id| u32::try_from(id).ok())
            .collect(),
    )))
}

/// How each backend matches, ranks and highlights, over `search_index`; `$1` is the expression.
struct Dialect {
    doc_id: &'static str,
    matching: &'static str,
    rank: &'static str,
    snippet: &'static str,
}

fn dialect(backend: DbBackend) -> Dialect {
    match backend {
        DbBackend::Sqlite => Dialect {
            doc_id: "rowid",
            matching: "search_index MATCH $1",
            rank: "-bm25(search_index, 4.0, 1.0)",
            snippet: "snippet(search_index, -1, '<mark>', '</mark>', '…', 16)",
        },
        _ => Dialect {
            doc_id: "doc_id",
            matching: "tsv @@ plainto_tsquery('english', $1)",
            rank: "ts_rank_cd(tsv, plainto_tsquery('english', $1))::float8",
            snippet: "ts_headline('english', CASE WHEN body = '' THEN title WHEN title = '' THEN body ELSE title || ': ' || body END, plainto_tsquery('english', $1), \
             'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=1')",
        },
    }
}

/// The search expression in the backend's query language (quoted words: no operators).
fn expression(backend: DbBackend, words: &[String]) -> String {
    match backend {
        DbBackend::Sqlite => words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" "),
        _ => words.join(" "),
    }
}

/// Every match of the expression, ranked, best first, and whether it was remembered: the engine
/// keeps the list while no write intervenes (`recall` false reads the database regardless).
async fn ranked(
    c: &DatabaseConnection,
    engine: Option<&Engine>,
    expression: &str,
    recall: bool,
) -> ApiResult<(Ranked, bool)> {
    if let Some(list) = engine.filter(|_| recall).and_then(|e| e.recall(expression)) {
        return Ok((list, true));
    }
    // One request at a time ranks an expression; those that waited find its list remembered.
    let _turn = match engine {
        Some(e) => Some(e.ranking_turn(expression).await),
        None => None,
    };
    if let Some(list) = engine.filter(|_| recall).and_then(|e| e.recall(expression)) {
        return Ok((list, true));
    }
    let position = engine.and_then(Engine::position);
    let backend = c.get_database_backend();
    let d = dialect(backend);
    let sql = format!(
        "SELECT {} AS doc_id, {} AS score FROM search_index WHERE {}",
        d.doc_id, d.rank, d.matching
    );
    // Streamed: a common word matches most of a million documents, and the driver's rows (a copy
    // of each value, a few hundred bytes a row) would all be held at once before the list (16
    // bytes a match) is made of them.
    let mut rows = db(c
        .stream_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [expression.into()],
        ))
        .await)?;
    let mut list = Vec::new();
    while let Some(row) = rows.next().await {
        let row = db(row)?;
        list.push((
            db(row.try_get::<f64>("", "score"))?,
            db(row.try_get::<i64>("", "doc_id"))?,
        ));
    }
    drop(rows);
    // The SQL order: score descending, then document ascending.
    list.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let list: Ranked = Arc::new(list);
    if let (Some(engine), Some(seq)) = (engine, position) {
        engine.remember(seq, expression, list.clone());
    }
    Ok((list, false))
}

/// The snippets of the page's documents, by document.
async fn snippets(
    c: &DatabaseConnection,
    expression: &str,
    docs: &[i64],
) -> ApiResult<HashMap<i64, String>> {
    if docs.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = c.get_database_backend();
    let d = dialect(backend);
    // `$1` is the expression; the page's documents follow it.
    let (list, ids) = crate::db::id_params(backend, 2, docs);
    let sql = format!(
        "SELECT {doc} AS doc_id, {snippet} AS snippet FROM search_index WHERE {matching} AND {doc} IN ({list})",
        doc = d.doc_id,
        snippet = d.snippet,
        matching = d.matching,
    );
    let mut values = vec![expression.into()];
    values.extend(ids);
    let rows = db(c
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await)?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        out.insert(
            db(row.try_get::<i64>("", "doc_id"))?,
            db(row.try_get::<String>("", "snippet"))?,
        );
    }
    Ok(out)
}

/// Runs a search and returns one page of hits, best first. Pages like every connection:
/// forwards with `first`/`after`, backwards with `last`/`before`, by keyset on (score, document).
///
/// With a filter, the ranked matches are walked here: kinds, filters,
/// the keyset and `totalCount` are decided over the list (and the engine's bitmaps), and the
/// database is asked only for the ranked list (once per write, the engine remembering it) and
/// the page's snippets. Without one, one SQL statement ranks and pages as it always did.
pub async fn search(
    ctx: &Context<'_>,
    query: &str,
    kinds: Option<Vec<SearchKind>>,
    filters: SearchFilters,
    args: PageArgs,
) -> ApiResult<Page<SearchHit>> {
    let limits = *crate::errors::data::<PageLimits>(ctx)?;
    let words = words(query);
    if words.is_empty() {
        return Err(ApiError::bad_input(
            "query",
            "Search needs at least one word",
        ));
    }
    let first = limits.size(args.first, "first")?.map(|n| n as usize);
    let last = limits.size(args.last, "last")?.map(|n| n as usize);
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
    let c = conn(ctx)?;
    let backend = c.get_database_backend();
    let expression = expression(backend, &words);
    let engine = ctx.data_opt::<Engine>();
    let filtered = filters.views.is_some() || filters.findings.is_some();
    let window = Window {
        size,
        backwards,
        after,
        before,
    };
    let want_total = ctx.look_ahead().field("totalCount").exists();
    // With the engine ready, the ranked list is read once per expression and write (one request
    // reads it while the others wait for it) and every page is cut from it. Without the engine,
    // and without a filter, one SQL statement ranks and pages in the database.
    let listed = filtered || engine.is_some_and(|e| e.position().is_some());
    let (hits, more, total_count) = if listed {
        let allowed = allowed(ctx, engine, &filters).await?;
        let keep =
            |doc: i64| (codes.is_empty() || codes.contains(&(doc % 4))) && allowed.admits(doc);
        let mut recall = true;
        loop {
            let (list, remembered) = ranked(c, engine, &expression, recall).await?;
            let (page, more) = window.cut(&list, keep);
            let docs: Vec<i64> = page.iter().map(|(_, doc)| *doc).collect();
            let mut texts = snippets(c, &expression, &docs).await?;
            // A row changed by hand in the database (no change-log entry) can leave a
            // remembered list behind: a page hit that no longer matches shows it, and the
            // list is read again rather than answer with a row that is gone.
            if remembered && docs.iter().any(|d| !texts.contains_key(d)) {
                recall = false;
                continue;
            }
            let total = if !want_total {
                0
            } else if codes.is_empty() && !filtered {
                list.len() as u64
            } else {
                list.iter().filter(|(_, doc)| keep(*doc)).count() as u64
            };
            let hits = page
                .into_iter()
                .map(|(score, doc_id)| SearchHit {
                    doc_id,
                    score,
                    snippet: texts.remove(&doc_id).unwrap_or_default(),
                })
                .collect();
            break (hits, more, total);
        }
    } else {
        sql_page(c, &expression, &codes, &window, want_total).await?
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

/// Which page of hits a request asks for.
struct Window {
    size: usize,
    backwards: bool,
    after: Option<(f64, i64)>,
    before: Option<(f64, i64)>,
}

impl Window {
    /// The page's hits in reading order (best first), and whether more lie beyond it in the
    /// direction read.
    fn cut(&self, list: &[(f64, i64)], keep: impl Fn(i64) -> bool) -> (Vec<(f64, i64)>, bool) {
        // `list` is best first: (score descending, document ascending).
        let beyond = |hit: &(f64, i64), (score, doc): (f64, i64)| {
            hit.0 < score || (hit.0 == score && hit.1 > doc)
        };
        let from = self
            .after
            .map_or(0, |at| list.partition_point(|hit| !beyond(hit, at)));
        let to = self.before.map_or(list.len(), |at| {
            list.partition_point(|hit| hit.0 > at.0 || (hit.0 == at.0 && hit.1 < at.1))
        });
        let slice = list.get(from..to.max(from)).unwrap_or_default();
        let mut page: Vec<(f64, i64)> = if self.backwards {
            slice
                .iter()
                .rev()
                .filter(|hit| keep(hit.1))
                .take(self.size + 1)
                .copied()
                .collect()
        } else {
            slice
                .iter()
                .filter(|hit| keep(hit.1))
                .take(self.size + 1)
                .copied()
                .collect()
        };
        let more = page.len() > self.size;
        page.truncate(self.size);
        if self.backwards {
            page.reverse();
        }
        (page, more)
    }
}

/// One page ranked and cut by the database (no engine, no filter): the page, whether more lie
/// beyond it, and `totalCount` when asked for.
async fn sql_page(
    c: &DatabaseConnection,
    expression: &str,
    codes: &[i64],
    window: &Window,
    want_total: bool,
) -> ApiResult<(Vec<SearchHit>, bool, u64)> {
    let backend = c.get_database_backend();
    let Dialect {
        doc_id,
        matching,
        rank,
        snippet,
    } = dialect(backend);
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
    let mut values: Vec<Value> = vec![expression.into()];
    // Best first is (score descending, document ascending); "after" a hit is further along it.
    let mut bounds = Vec::new();
    if let Some((score, doc)) = window.after {
        values.push(score.into());
        values.push(doc.into());
        let (s, d) = (values.len() - 1, values.len());
        bounds.push(format!(
            "(score < ${s} OR (score = ${s} AND doc_id > ${d}))"
        ));
    }
    if let Some((score, doc)) = window.before {
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
    let (inner, outer) = if window.backwards {
        ("score ASC, doc_id DESC", "page.score ASC, page.hit DESC")
    } else {
        ("score DESC, doc_id ASC", "page.score DESC, page.hit ASC")
    };
    values.push(((window.size + 1) as i64).into());
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
    let more = hits.len() > window.size;
    hits.truncate(window.size);
    if window.backwards {
        hits.reverse();
    }

    let total_count = if want_total {
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
    Ok((hits, more, total_count))
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
