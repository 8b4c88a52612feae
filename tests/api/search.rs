//! Full-text search on both backends: stemming, ranking, snippets, kinds, paging, and an index
//! that follows the rows it covers.

use crate::on_each_backend;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

const SEARCH: &str = "query($q: String!, $kinds: [SearchKind!], $first: Int, $after: String) {
  search(query: $q, kinds: $kinds, first: $first, after: $after) {
    totalCount
    edges { cursor node { score snippet node { __typename
      ... on Finding { slug } ... on ParticipantView { slug } ... on Exercise { slug } ... on Resource { slug } } } }
    pageInfo { hasNextPage endCursor }
  }
}";

fn hits(search: &Value) -> Vec<(String, String)> {
    search["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let node = &e["node"]["node"];
            (
                node["__typename"].as_str().unwrap_or_default().to_string(),
                node["slug"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn finds_ranks_and_highlights() {
    on_each_backend!(|app| {
        let s = app.data(SEARCH, json!({"q": "co-pilot"})).await["search"].clone();
        assert_eq!(s["totalCount"], 2);
        assert_eq!(
            hits(&s),
            vec![
                (
                    "Finding".to_string(),
                    "ai-co-pilot-not-replacement".to_string()
                ),
                (
                    "ParticipantView".to_string(),
                    "ai-supports-decisions".to_string()
                ),
            ]
        );
        let first = &s["edges"][0]["node"];
        assert!(
            first["score"].as_f64().unwrap_or_default()
                > s["edges"][1]["node"]["score"].as_f64().unwrap_or_default()
        );
        for edge in s["edges"].as_array().expect("edges") {
            let snippet = edge["node"]["snippet"].as_str().unwrap_or_default();
            assert!(snippet.contains("<mark>pilot</mark>"), "{snippet}");
        }

        // English stemming: "regulator" finds "Regulators".
        let s = app
            .data(
                SEARCH,
                json!({"q": "regulator", "kinds": ["PARTICIPANT_VIEW"]}),
            )
            .await["search"]
            .clone();
        let slugs: Vec<String> = hits(&s).into_iter().map(|(_, slug)| slug).collect();
        assert_eq!(slugs.len(), 4, "{slugs:?}");
        for slug in [
            "regulators-ensure-transparency",
            "regulators-maintain-security",
            "regulators-prevent-bias",
            "regulators-protect-privacy",
        ] {
            assert!(slugs.contains(&slug.to_string()), "{slug} in {slugs:?}");
        }

        let s = app
            .data(SEARCH, json!({"q": "personal data", "kinds": ["FINDING"]}))
            .await["search"]
            .clone();
        assert_eq!(
            hits(&s),
            vec![(
                "Finding".to_string(),
                "public-benefit-primary-driver".to_string()
            )]
        );
        let s = app
            .data(SEARCH, json!({"q": "report", "kinds": ["RESOURCE"]}))
            .await["search"]
            .clone();
        assert_eq!(
            hits(&s),
            vec![(
                "Resource".to_string(),
                "ai-public-dialogue-report".to_string()
            )]
        );
    });
}

#[tokio::test]
async fn pages_through_hits_without_gaps() {
    on_each_backend!(|app| {
        let all = app.data(SEARCH, json!({"q": "public", "first": 100})).await["search"].clone();
        let everything = hits(&all);
        assert!(everything.len() > 10, "{}", everything.len());
        assert_eq!(all["totalCount"].as_u64(), Some(everything.len() as u64));
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = app
                .data(SEARCH, json!({"q": "public", "first": 4, "after": after}))
                .await["search"]
                .clone();
            seen.extend(hits(&page));
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, everything);
    });
}

#[tokio::test]
async fn bad_searches_are_rejected() {
    on_each_backend!(|app| {
        assert_eq!(
            app.error_code(SEARCH, json!({"q": " -- !! "})).await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(SEARCH, json!({"q": "ai", "after": "forged"}))
                .await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code(SEARCH, json!({"q": "ai", "first": 101}))
                .await,
            "BAD_USER_INPUT"
        );
        // Operators of the engines' query languages are plain words here.
        let s = app
            .data(SEARCH, json!({"q": "\"co-pilot\" OR NEAR(*)"}))
            .await;
        assert_eq!(s["search"]["totalCount"], 0);
    });
}

#[tokio::test]
async fn the_index_follows_the_rows() {
    // Rows edited by hand, outside the write path: the text index's triggers follow them, while
    // a remembered response (like the read engine) only moves with logged writes, so none here.
    on_each_backend!(with & [("PUBLIC_VOICE_RESPONSE_MEMO_KIB", "0")], |app| {
        let db = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        db.execute_unprepared(
            "UPDATE finding SET title = 'Zebra crossings for AI' WHERE slug = 'ai-co-pilot-not-replacement'",
        )
        .await
        .expect("update");
        let s = app.data(SEARCH, json!({"q": "zebra"})).await["search"].clone();
        assert_eq!(
            hits(&s),
            vec![(
                "Finding".to_string(),
                "ai-co-pilot-not-replacement".to_string()
            )]
        );
        let s = app.data(SEARCH, json!({"q": "co-pilot"})).await["search"].clone();
        assert_eq!(
            hits(&s),
            vec![(
                "ParticipantView".to_string(),
                "ai-supports-decisions".to_string()
            )]
        );
        db.execute_unprepared("DELETE FROM participant_view WHERE slug = 'ai-supports-decisions'")
            .await
            .expect("delete");
        let s = app.data(SEARCH, json!({"q": "co-pilot"})).await["search"].clone();
        assert_eq!(s["totalCount"], 0);
        db.close().await.ok();
    });
}

const SEARCH_BACK: &str = "query($q: String!, $first: Int, $after: String, $last: Int, $before: String) {
  search(query: $q, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { score node { __typename
      ... on Finding { slug } ... on ParticipantView { slug } ... on Exercise { slug } ... on Resource { slug } } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

#[tokio::test]
async fn pages_backwards_like_every_connection() {
    on_each_backend!(|app| {
        let all = app
            .data(SEARCH_BACK, json!({"q": "public", "first": 100}))
            .await["search"]
            .clone();
        let everything = hits(&all);
        assert!(everything.len() > 10, "{}", everything.len());

        // The last page: the weakest hits, in the same best-first order.
        let tail = app
            .data(SEARCH_BACK, json!({"q": "public", "last": 3}))
            .await["search"]
            .clone();
        assert_eq!(hits(&tail), everything[everything.len() - 3..].to_vec());
        assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
        assert_eq!(tail["pageInfo"]["hasNextPage"], false);
        assert_eq!(tail["totalCount"].as_u64(), Some(everything.len() as u64));

        // Walking backwards, four at a time, meets every hit the forward walk met, in order.
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut before = Value::Null;
        loop {
            let page = app
                .data(
                    SEARCH_BACK,
                    json!({"q": "public", "last": 4, "before": before}),
                )
                .await["search"]
                .clone();
            let mut got = hits(&page);
            assert!(got.len() <= 4);
            got.extend(seen);
            seen = got;
            if page["pageInfo"]["hasPreviousPage"] == false {
                break;
            }
            before = page["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(seen, everything);

        // Before the best hit there is nothing: an empty page.
        let best = all["edges"][0]["cursor"].clone();
        let empty = app
            .data(
                SEARCH_BACK,
                json!({"q": "public", "last": 5, "before": best}),
            )
            .await["search"]
            .clone();
        assert_eq!(empty["edges"], json!([]));
        assert_eq!(empty["pageInfo"]["hasPreviousPage"], false);
        assert_eq!(empty["pageInfo"]["hasNextPage"], true);
        assert_eq!(empty["pageInfo"]["startCursor"], Value::Null);

        // Between two cursors: the hits strictly between them.
        let window = app
            .data(
                SEARCH_BACK,
                json!({"q": "public", "last": 100, "after": all["edges"][1]["cursor"],
                       "before": all["edges"][5]["cursor"]}),
            )
            .await["search"]
            .clone();
        assert_eq!(hits(&window), everything[2..5].to_vec());

        // A search cursor works only as a search cursor, and forged ones are refused by name.
        for (vars, field) in [
            (
                json!({"q": "public", "last": 2, "before": "forged"}),
                "before",
            ),
            (
                json!({"q": "public", "last": 2, "before": "Y3Vyc29yOmlkOjM"}),
                "before",
            ),
            (json!({"q": "public", "last": 101}), "last"),
            (json!({"q": "public", "last": -1}), "last"),
            (json!({"q": "public", "first": 2, "last": 2}), "last"),
        ] {
            let body = app.graphql(SEARCH_BACK, vars.clone()).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{vars}"
            );
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{vars}");
        }
    });
}

const FILTERED: &str = "query($q: String!, $kinds: [SearchKind!], $views: ViewFilter,
    $findings: FindingFilter, $first: Int, $after: String, $last: Int, $before: String) {
  search(query: $q, kinds: $kinds, views: $views, findings: $findings, first: $first,
         after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { score snippet node { __typename
      ... on Finding { slug } ... on ParticipantView { slug } ... on Exercise { slug } ... on Resource { slug } } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

fn slugs_of(list: &Value) -> Vec<String> {
    list["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["slug"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The unfiltered hits, less the views and findings the lists leave out under the same filters:
/// what a filtered search must answer, in the same order.
async fn reference(
    app: &crate::helpers::TestApp,
    q: &str,
    views: &Value,
    findings: &Value,
) -> Vec<(String, String)> {
    let all = app.data(FILTERED, json!({"q": q, "first": 100})).await["search"].clone();
    let lists = app
        .data(
            "query($v: ViewFilter, $f: FindingFilter) {
               participantViews(filter: $v, first: 100) { nodes { slug } }
               findings(filter: $f, first: 100) { nodes { slug } } }",
            json!({"v": views, "f": findings}),
        )
        .await;
    let (v, f) = (
        slugs_of(&lists["participantViews"]),
        slugs_of(&lists["findings"]),
    );
    hits(&all)
        .into_iter()
        .filter(|(kind, slug)| match kind.as_str() {
            "ParticipantView" => views.is_null() || v.contains(slug),
            "Finding" => findings.is_null() || f.contains(slug),
            _ => true,
        })
        .collect()
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, s)| (k.to_string(), s.to_string()))
        .collect()
}

fn sorted(mut list: Vec<(String, String)>) -> Vec<(String, String)> {
    list.sort();
    list
}

#[tokio::test]
async fn filters_narrow_the_hits_of_their_kind() {
    on_each_backend!(|app| {
        // Views: only the CONCERN views that mention "public".
        let views = json!({"stances": ["CONCERN"]});
        let s = app
            .data(
                FILTERED,
                json!({"q": "public", "kinds": ["PARTICIPANT_VIEW"], "views": views}),
            )
            .await["search"]
            .clone();
        assert_eq!(
            sorted(hits(&s)),
            owned(&[
                ("ParticipantView", "junior-civil-servants-reticent"),
                ("ParticipantView", "low-trust-in-tech-developers"),
            ])
        );
        assert_eq!(s["totalCount"], 2);
        let expected: Vec<_> = reference(&app, "public", &views, &Value::Null)
            .await
            .into_iter()
            .filter(|(k, _)| k == "ParticipantView")
            .collect();
        assert_eq!(hits(&s), expected, "best first, as unfiltered");

        // Findings: only the REFLECTION findings.
        let findings = json!({"kinds": ["REFLECTION"]});
        let s = app
            .data(
                FILTERED,
                json!({"q": "public", "kinds": ["FINDING"], "findings": findings}),
            )
            .await["search"]
            .clone();
        assert_eq!(
            sorted(hits(&s)),
            owned(&[
                ("Finding", "cop-early-stages"),
                ("Finding", "cop-engagement-has-real-value"),
            ])
        );
        assert_eq!(s["totalCount"], 2);

        // Without `kinds`, a filter narrows its own kind only: exercises, resources and the
        // other kind stay.
        let views = json!({"themes": {"anyOf": ["privacy"]}});
        let s = app
            .data(FILTERED, json!({"q": "data", "views": views, "first": 100}))
            .await["search"]
            .clone();
        let expected = reference(&app, "data", &views, &Value::Null).await;
        assert_eq!(hits(&s), expected);
        assert_eq!(s["totalCount"].as_u64(), Some(expected.len() as u64));
        let shown: Vec<String> = expected
            .iter()
            .filter(|(k, _)| k == "ParticipantView")
            .map(|(_, s)| s.clone())
            .collect();
        assert_eq!(
            {
                let mut s = shown.clone();
                s.sort();
                s
            },
            vec!["personal-data-sold", "regulators-protect-privacy"]
        );
        assert!(expected.iter().any(|(k, _)| k == "Finding"), "{expected:?}");

        // Both filters at once, and a filter nothing passes.
        let both = json!({"q": "public", "first": 100, "views": {"verbatim": true},
                          "findings": {"exercise": null, "kinds": ["PRINCIPLE", "CONDITION"]}});
        let s = app.data(FILTERED, both.clone()).await["search"].clone();
        let expected = reference(&app, "public", &both["views"], &both["findings"]).await;
        assert_eq!(hits(&s), expected);
        assert_eq!(s["totalCount"].as_u64(), Some(expected.len() as u64));
        let none = app
            .data(
                FILTERED,
                json!({"q": "public", "kinds": ["PARTICIPANT_VIEW"],
                       "views": {"stances": ["HOPE"], "verbatim": true}}),
            )
            .await["search"]
            .clone();
        assert_eq!(none["totalCount"], 0);
        assert_eq!(none["edges"], json!([]));
        assert_eq!(none["pageInfo"]["hasNextPage"], false);
    });
}

#[tokio::test]
async fn filtered_hits_page_both_ways_without_gaps() {
    on_each_backend!(|app| {
        let base = json!({"q": "public", "views": {"missions": {"anyOf": ["HEALTH"]}},
                          "findings": {"themes": {"anyOf": ["public-engagement"]}}});
        let mut all = base.clone();
        all["first"] = json!(100);
        let all = app.data(FILTERED, all).await["search"].clone();
        let everything = hits(&all);
        let expected = reference(&app, "public", &base["views"], &base["findings"]).await;
        assert_eq!(everything, expected);
        assert!(everything.len() > 5, "{everything:?}");
        assert_eq!(all["totalCount"].as_u64(), Some(everything.len() as u64));

        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let mut vars = base.clone();
            vars["first"] = json!(2);
            vars["after"] = after.clone();
            let page = app.data(FILTERED, vars).await["search"].clone();
            assert_eq!(page["totalCount"], all["totalCount"]);
            assert_eq!(page["pageInfo"]["hasPreviousPage"], !after.is_null());
            seen.extend(hits(&page));
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, everything);

        let mut seen: Vec<(String, String)> = Vec::new();
        let mut before = Value::Null;
        loop {
            let mut vars = base.clone();
            vars["last"] = json!(3);
            vars["before"] = before.clone();
            let page = app.data(FILTERED, vars).await["search"].clone();
            let mut got = hits(&page);
            got.extend(seen);
            seen = got;
            if page["pageInfo"]["hasPreviousPage"] == false {
                break;
            }
            before = page["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(seen, everything);

        // Between two cursors of the filtered walk: the filtered hits strictly between.
        let mut vars = base.clone();
        vars["first"] = json!(100);
        vars["after"] = all["edges"][0]["cursor"].clone();
        vars["before"] = all["edges"][4]["cursor"].clone();
        let window = app.data(FILTERED, vars).await["search"].clone();
        assert_eq!(hits(&window), everything[1..4].to_vec());
    });
}

#[tokio::test]
async fn drafts_stay_out_of_filtered_hits() {
    on_each_backend!(|app| {
        let r = crate::curation::refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        let created = app
            .data_as(
                &editor,
                crate::curation::CREATE_VIEW,
                json!({"input": crate::curation::view_input(&r, "letter-read-by-machine")}),
            )
            .await;
        let id = created["createView"]["id"].clone();
        assert_eq!(created["createView"]["reviewStatus"], "DRAFT");
        let vars = json!({"q": "machine letter", "views": {"themes": {"anyOf": ["privacy"]}}});
        // Not for readers, and not for the editor who wrote it either: search shows what is
        // published.
        let s = app.data(FILTERED, vars.clone()).await["search"].clone();
        assert_eq!(s["totalCount"], 0);
        let s = app.data_as(&editor, FILTERED, vars.clone()).await["search"].clone();
        assert_eq!(s["totalCount"], 0);

        app.data_as(&editor, crate::curation::REVIEW, json!({"id": id, "v": 1}))
            .await;
        app.data_as(&editor, crate::curation::PUBLISH, json!({"id": id, "v": 2}))
            .await;
        let s = app.data(FILTERED, vars.clone()).await["search"].clone();
        assert_eq!(s["totalCount"], 1);
        assert_eq!(
            hits(&s),
            owned(&[("ParticipantView", "letter-read-by-machine")])
        );
        // Published, but outside the filter.
        let s = app
            .data(
                FILTERED,
                json!({"q": "machine letter", "views": {"stances": ["HOPE"]}}),
            )
            .await["search"]
            .clone();
        assert_eq!(s["totalCount"], 0);

        app.data_as(&editor, crate::curation::RETRACT, json!({"id": id, "v": 3}))
            .await;
        let s = app.data(FILTERED, vars).await["search"].clone();
        assert_eq!(s["totalCount"], 0);
        assert_eq!(s["edges"], json!([]));
    });
}

#[tokio::test]
async fn the_engine_and_sql_give_the_same_hits() {
    on_each_backend!(|app| {
        let sql = crate::engine::server_on(app.db.url(), false).await;
        let engine = &app.address;
        let cases = [
            json!({"q": "public"}),
            json!({"q": "public", "first": 3}),
            json!({"q": "public", "last": 4}),
            json!({"q": "public", "views": {"stances": ["CONCERN", "NEUTRAL"]}}),
            json!({"q": "public", "kinds": ["PARTICIPANT_VIEW"], "views": {"verbatim": false, "missions": {"allOf": ["HEALTH", "EDUCATION"]}}}),
            json!({"q": "ai", "findings": {"kinds": ["PRINCIPLE"]}, "first": 2}),
            json!({"q": "ai", "views": {"exerciseStarted": {"from": "2024"}}, "findings": {"places": ["Cambridge"]}}),
            json!({"q": "data", "views": {"themes": {"allOf": ["privacy", "commercial-use-of-data"]}}}),
            json!({"q": "public engagement", "findings": {"themes": {"anyOf": ["public-engagement"]}}, "last": 2}),
        ];
        for vars in cases {
            let a = crate::helpers::post(engine, None, FILTERED, vars.clone()).await;
            let b = crate::helpers::post(&sql, None, FILTERED, vars.clone()).await;
            assert!(a.get("errors").is_none(), "{a}");
            assert_eq!(a, b, "{vars}");
            // The next page from the same cursor, both ways.
            let mut next = vars.clone();
            next["after"] = a["data"]["search"]["pageInfo"]["endCursor"].clone();
            next["first"] = json!(2);
            next.as_object_mut().map(|o| o.remove("last"));
            let a = crate::helpers::post(engine, None, FILTERED, next.clone()).await;
            let b = crate::helpers::post(&sql, None, FILTERED, next.clone()).await;
            assert_eq!(a, b, "{next}");
        }
    });
}

#[tokio::test]
async fn bad_filter_values_are_rejected_as_by_the_lists() {
    on_each_backend!(|app| {
        let sql = crate::engine::server_on(app.db.url(), false).await;
        let cases = [
            (json!({"exercise": "not-an-id"}), "views.exercise"),
            (
                json!({"themes": {"anyOf": ["no-such-theme"]}}),
                "views.themes.anyOf",
            ),
            (
                json!({"exerciseStarted": {"from": "someday"}}),
                "views.exerciseStarted.from",
            ),
        ];
        for (filter, field) in cases {
            for server in [&app.address, &sql] {
                let list = crate::helpers::post(
                    server,
                    None,
                    "query($f: ViewFilter) { participantViews(filter: $f) { totalCount } }",
                    json!({"f": filter}),
                )
                .await;
                let found = crate::helpers::post(
                    server,
                    None,
                    FILTERED,
                    json!({"q": "public", "views": filter}),
                )
                .await;
                assert_eq!(
                    list["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                    "{list}"
                );
                assert_eq!(
                    found["errors"][0]["extensions"]["code"],
                    list["errors"][0]["extensions"]["code"],
                    "{found}"
                );
                assert_eq!(found["errors"][0]["extensions"]["field"], field, "{found}");
                assert_eq!(found["data"], Value::Null);
            }
        }
        let found = app
            .error_code(
                FILTERED,
                json!({"q": "public", "findings": {"organisation": "T3JnYW5pc2F0aW9uOng"}}),
            )
            .await;
        assert_eq!(found, "BAD_USER_INPUT");
    });
}

/// `ANALYZE` samples the full-text index's own tables too, and with those samples SQLite
/// re-prepares FTS5's internal statements at every lookup; opening the database drops them and
/// keeps every other table's. SQLite only: PostgreSQL keeps no such samples.
#[tokio::test]
async fn opening_sqlite_drops_the_full_text_index_planner_samples() {
    use crate::helpers::{Backend, TestApp};
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let count = |conn: sea_orm::DatabaseConnection, search: bool| async move {
        let sql = format!(
            "SELECT COUNT(*) FROM sqlite_stat4 WHERE tbl {} LIKE 'search\\_index\\_%' ESCAPE '\\'",
            if search { "" } else { "NOT" }
        );
        conn.query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            sql,
        ))
        .await
        .expect("count")
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("a number")
    };
    let plain = sea_orm::Database::connect(app.db.url())
        .await
        .expect("connect");
    plain.execute_unprepared("ANALYZE").await.expect("analyze");
    let others = count(plain.clone(), false).await;
    assert!(count(plain.clone(), true).await > 0, "ANALYZE sampled them");
    assert!(others > 0);

    let opened = api::db::connect(app.db.url(), 1).await.expect("connect");
    assert_eq!(count(opened.clone(), true).await, 0);
    assert_eq!(count(opened, false).await, others);
    let hits = app
        .data("{ search(query: \"co-pilot\") { totalCount } }", json!({}))
        .await;
    assert!(hits["search"]["totalCount"].as_i64() > Some(0), "{hits}");
}
