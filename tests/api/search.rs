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
    on_each_backend!(|app| {
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
