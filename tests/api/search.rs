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
