//! The anonymous change feed does not reveal hidden changes: readers without an editor token
//! number their changes by a sequence of their own, without the gaps that would count the draft
//! changes in between; the sync loop's contract (endCursor always storable) holds.

use crate::on_each_backend;
use crate::subscriptions::write_and_publish;
use serde_json::{json, Value};

const FEED: &str = "query($after: String) { changes(after: $after, first: 50) {
    edges { cursor node { sequence kind entity visible } }
    pageInfo { endCursor hasNextPage } } }";

fn sequences(data: &Value) -> Vec<i64> {
    data["changes"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["sequence"].as_i64().expect("sequence"))
        .collect()
}

#[tokio::test]
async fn readers_see_no_gaps_where_hidden_changes_were() {
    on_each_backend!(|app| {
        let editor = app.token("curator", "editor").await;
        // Each publication is three changes: a draft, its submission, its publication; readers
        // see only the last.
        write_and_publish(&app.address, &editor, "first-public").await;
        write_and_publish(&app.address, &editor, "second-public").await;

        let full = app.data_as(&editor, FEED, json!({})).await;
        assert_eq!(sequences(&full), vec![1, 2, 3, 4, 5, 6]);

        let public = app.data(FEED, json!({})).await;
        assert_eq!(sequences(&public), vec![1, 2], "{public}");
        let kinds: Vec<(&str, bool)> = public["changes"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| {
                (
                    e["node"]["kind"].as_str().unwrap_or_default(),
                    e["node"]["visible"] == true,
                )
            })
            .collect();
        assert_eq!(kinds, vec![("UPDATE", true), ("UPDATE", true)]);

        // The sync loop: the stored cursor reads nothing new, and keeps its place.
        let end = public["changes"]["pageInfo"]["endCursor"].clone();
        let again = app.data(FEED, json!({"after": end})).await;
        assert_eq!(sequences(&again), Vec::<i64>::new());
        assert_eq!(again["changes"]["pageInfo"]["endCursor"], end);
        // More hidden work, then one more publication: the reader's next number is 3.
        write_and_publish(&app.address, &editor, "third-public").await;
        let next = app.data(FEED, json!({"after": end})).await;
        assert_eq!(sequences(&next), vec![3]);
        let first_cursor = public["changes"]["edges"][0]["cursor"].clone();
        let from_first = app.data(FEED, json!({"after": first_cursor})).await;
        assert_eq!(sequences(&from_first), vec![2, 3]);

        // The feeds' cursors do not mix.
        let editor_cursor = full["changes"]["pageInfo"]["endCursor"].clone();
        assert_eq!(
            app.error_code(FEED, json!({"after": editor_cursor})).await,
            "BAD_USER_INPUT"
        );
        assert_eq!(
            app.error_code_as(&editor, FEED, json!({"after": end}))
                .await,
            "BAD_USER_INPUT"
        );
    });
}
