//! Relay connections: forwards, backwards, empty and last pages, and bad paging arguments.

use crate::on_each_backend;
use serde_json::{json, Value};

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
  participantViews(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { slug } }
    nodes { slug }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

fn slugs(conn: &Value) -> Vec<String> {
    conn["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["slug"].as_str().expect("slug").to_string())
        .collect()
}

#[tokio::test]
async fn forwards_and_backwards_walks_agree() {
    on_each_backend!(|app| {
        let all = app.data(PAGE, json!({"first": 100})).await["participantViews"].clone();
        let everything = slugs(&all);
        let total = all["totalCount"].as_u64().expect("totalCount") as usize;
        assert_eq!(everything.len(), total);
        assert!(total > 7, "the corpus has more than one page of 3 views");
        assert_eq!(all["pageInfo"]["hasNextPage"], false);

        // Forwards, three at a time.
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = app.data(PAGE, json!({"first": 3, "after": after})).await
                ["participantViews"]
                .clone();
            assert_eq!(page["totalCount"].as_u64(), Some(total as u64));
            let got = slugs(&page);
            assert!(got.len() <= 3);
            let edge_slugs: Vec<String> = page["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"]["slug"].as_str().expect("slug").to_string())
                .collect();
            assert_eq!(edge_slugs, got);
            seen.extend(got);
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, everything);

        // Backwards, four at a time.
        let mut seen_back: Vec<String> = Vec::new();
        let mut before = Value::Null;
        loop {
            let page = app.data(PAGE, json!({"last": 4, "before": before})).await
                ["participantViews"]
                .clone();
            let mut got = slugs(&page);
            got.extend(seen_back);
            seen_back = got;
            if page["pageInfo"]["hasPreviousPage"] == false {
                break;
            }
            before = page["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(seen_back, everything);
    });
}

#[tokio::test]
async fn empty_and_last_pages() {
    on_each_backend!(|app| {
        let all = app.data(PAGE, json!({"first": 100})).await["participantViews"].clone();
        let last_cursor = all["pageInfo"]["endCursor"].clone();
        let beyond = app
            .data(PAGE, json!({"first": 5, "after": last_cursor}))
            .await["participantViews"]
            .clone();
        assert_eq!(beyond["nodes"], json!([]));
        assert_eq!(beyond["pageInfo"]["hasNextPage"], false);
        assert_eq!(beyond["pageInfo"]["hasPreviousPage"], true);
        assert_eq!(beyond["pageInfo"]["startCursor"], Value::Null);

        let none = app.data(PAGE, json!({"first": 0})).await["participantViews"].clone();
        assert_eq!(none["nodes"], json!([]));
        assert_eq!(none["pageInfo"]["hasNextPage"], true);

        let tail = app.data(PAGE, json!({"last": 2})).await["participantViews"].clone();
        let everything = slugs(&all);
        assert_eq!(slugs(&tail), everything[everything.len() - 2..].to_vec());
        assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
        assert_eq!(tail["pageInfo"]["hasNextPage"], false);
    });
}

#[tokio::test]
async fn default_page_size_applies() {
    on_each_backend!(|app| {
        let page = app
            .data("{ participantViews { nodes { slug } } }", json!({}))
            .await;
        assert_eq!(
            page["participantViews"]["nodes"].as_array().map(Vec::len),
            Some(20)
        );
    });
}

#[tokio::test]
async fn bad_paging_arguments_are_rejected() {
    on_each_backend!(|app| {
        for vars in [
            json!({"first": 101}),
            json!({"last": 101}),
            json!({"first": -1}),
            json!({"first": 2, "last": 2}),
            json!({"first": 2, "after": "forged"}),
            json!({"last": 2, "before": "Y3Vyc29yOmRhdGU6Mw"}),
        ] {
            assert_eq!(
                app.error_code(PAGE, vars.clone()).await,
                "BAD_USER_INPUT",
                "{vars}"
            );
        }
        let body = app
            .graphql(PAGE, json!({"first": 2, "after": "forged"}))
            .await;
        assert_eq!(body["errors"][0]["extensions"]["field"], "after");
    });
}

const ORDERED: &str =
    "query($order: ListOrder, $first: Int, $after: String, $last: Int, $before: String) {
  participantViews(order: $order, first: $first, after: $after, last: $last, before: $before) {
    nodes { slug }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

async fn walk(app: &crate::helpers::TestApp, order: &str, forward: bool, size: i64) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let vars = if forward {
            json!({"order": order, "first": size, "after": cursor})
        } else {
            json!({"order": order, "last": size, "before": cursor})
        };
        let page = app.data(ORDERED, vars).await["participantViews"].clone();
        let got = slugs(&page);
        if forward {
            seen.extend(got);
            if page["pageInfo"]["hasNextPage"] == false {
                return seen;
            }
            cursor = page["pageInfo"]["endCursor"].clone();
        } else {
            let mut got = got;
            got.extend(seen);
            seen = got;
            if page["pageInfo"]["hasPreviousPage"] == false {
                return seen;
            }
            cursor = page["pageInfo"]["startCursor"].clone();
        }
    }
}

#[tokio::test]
async fn orders_page_stably_both_ways() {
    on_each_backend!(|app| {
        let oldest = slugs(&app.data(ORDERED, json!({"first": 100})).await["participantViews"]);
        let mut newest = oldest.clone();
        newest.reverse();
        assert_eq!(walk(&app, "NEWEST_FIRST", true, 7).await, newest);
        assert_eq!(walk(&app, "NEWEST_FIRST", false, 6).await, newest);

        // Give three views distinct, later update times through the API (the write path, which
        // the read engine follows; an update that changes nothing keeps the time); the rest
        // share the seed's time.
        let editor = app.token("orderer", "editor").await;
        for slug in [
            "valued-networking",
            "personal-data-sold",
            "reduce-admin-burden",
        ] {
            let view = app
                .data_as(
                    &editor,
                    "query($s: String!) { participantView(by: {slug: $s}) { id version } }",
                    json!({"s": slug}),
                )
                .await["participantView"]
                .clone();
            app.data_as(
                &editor,
                "mutation($i: UpdateViewInput!) { updateView(input: $i) { id } }",
                json!({"i": {"id": view["id"], "expectedVersion": view["version"],
                             "locator": format!("{slug}, re-read")}}),
            )
            .await;
        }
        let mut expected: Vec<String> = [
            "reduce-admin-burden",
            "personal-data-sold",
            "valued-networking",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        expected.extend(
            newest
                .iter()
                .filter(|s| !expected.contains(s))
                .cloned()
                .collect::<Vec<_>>(),
        );
        assert_eq!(walk(&app, "RECENTLY_UPDATED", true, 4).await, expected);
        assert_eq!(walk(&app, "RECENTLY_UPDATED", false, 5).await, expected);

        // A cursor belongs to its order.
        let cursor = app.data(ORDERED, json!({"first": 2})).await["participantViews"]["pageInfo"]
            ["endCursor"]
            .clone();
        assert_eq!(
            app.error_code(
                ORDERED,
                json!({"order": "NEWEST_FIRST", "first": 2, "after": cursor})
            )
            .await,
            "BAD_USER_INPUT"
        );
    });
}
