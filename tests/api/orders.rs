//! Title and date orders on the root lists: exact order from the seed corpus, the same items
//! walking forwards and backwards in small pages (undated items included), cursors bound to
//! their order, and lists that have no such order refusing it.

use crate::helpers::TestApp;
use crate::on_each_backend;
use serde_json::{json, Value};

fn slugs(conn: &Value) -> Vec<String> {
    conn["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["slug"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn query(field: &str) -> String {
    format!(
        "query($order: ListOrder, $first: Int, $after: String, $last: Int, $before: String) {{
          {field}(order: $order, first: $first, after: $after, last: $last, before: $before) {{
            totalCount nodes {{ slug }}
            pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
          }}
        }}"
    )
}

/// Every item of `field` in `order`, walked in pages of `size`, forwards or backwards.
async fn walk(app: &TestApp, field: &str, order: &str, forward: bool, size: i64) -> Vec<String> {
    let q = query(field);
    let mut seen: Vec<String> = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let vars = if forward {
            json!({"order": order, "first": size, "after": cursor})
        } else {
            json!({"order": order, "last": size, "before": cursor})
        };
        let page = app.data(&q, vars).await[field].clone();
        let got = slugs(&page);
        assert!(got.len() as i64 <= size);
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

/// Checks one list in one order: the whole list at once, then walked both ways.
async fn check(app: &TestApp, field: &str, order: &str, expected: &[&str]) {
    let all = app
        .data(&query(field), json!({"order": order, "first": 100}))
        .await[field]
        .clone();
    assert_eq!(slugs(&all), expected, "{field} {order}");
    assert_eq!(all["totalCount"], expected.len(), "{field} {order}");
    assert_eq!(
        walk(app, field, order, true, 3).await,
        expected,
        "{field} {order} forwards"
    );
    assert_eq!(
        walk(app, field, order, false, 2).await,
        expected,
        "{field} {order} backwards"
    );
}

fn reversed<'a>(list: &[&'a str]) -> Vec<&'a str> {
    list.iter().rev().copied().collect()
}

#[tokio::test]
async fn titles_a_to_z_and_z_to_a() {
    on_each_backend!(|app| {
        let exercises = [
            "ai-cam-public-dialogues-2024",
            "data-ai-public-engagement-cop-survey",
            "data-ai-public-engagement-cop",
            "giving-communities-a-powerful-say",
        ];
        check(&app, "exercises", "TITLE_A_TO_Z", &exercises).await;
        check(&app, "exercises", "TITLE_Z_TO_A", &reversed(&exercises)).await;
        let findings = [
            "democratic-approach-to-ai-governance",
            "ai-co-pilot-not-replacement",
            "cop-attendees-valued",
            "benefits-with-guardrails",
            "cop-civil-servant-participation",
            "cop-no-further-meetings",
            "public-benefit-primary-driver",
            "cop-engagement-has-real-value",
            "cop-early-stages",
            "cop-less-useful",
            "robust-governance-checks-and-balances",
            "cop-format-preferences",
        ];
        check(&app, "findings", "TITLE_A_TO_Z", &findings).await;
        check(&app, "findings", "TITLE_Z_TO_A", &reversed(&findings)).await;
        let resources = [
            "ai-opportunities-action-plan-tor",
            "ai-public-dialogue-report",
            "public-involvement-case-studies",
            "cop-meeting-notes",
            "dsit-new-digital-centre",
            "missions-for-government",
            "project-resources",
            "cop-meetings-summary",
            "future-of-the-cop",
            "ai-cam-blog-using-ai-for-public-benefit",
            "cop-presentation-videos",
        ];
        check(&app, "resources", "TITLE_A_TO_Z", &resources).await;
        check(&app, "resources", "TITLE_Z_TO_A", &reversed(&resources)).await;
    });
}

#[tokio::test]
async fn dates_with_undated_items_last() {
    on_each_backend!(|app| {
        // Exercises by start date: 2024-07, 2024-09, then the two undated ones.
        check(
            &app,
            "exercises",
            "DATE_EARLIEST_FIRST",
            &[
                "data-ai-public-engagement-cop",
                "ai-cam-public-dialogues-2024",
                "giving-communities-a-powerful-say",
                "data-ai-public-engagement-cop-survey",
            ],
        )
        .await;
        check(
            &app,
            "exercises",
            "DATE_LATEST_FIRST",
            &[
                "ai-cam-public-dialogues-2024",
                "data-ai-public-engagement-cop",
                "data-ai-public-engagement-cop-survey",
                "giving-communities-a-powerful-say",
            ],
        )
        .await;
        // Resources by publication date: two share 2024-10-26 (the id breaks the tie); nine are
        // undated and page stably after them.
        let undated = [
            "ai-opportunities-action-plan-tor",
            "missions-for-government",
            "dsit-new-digital-centre",
            "future-of-the-cop",
            "cop-meetings-summary",
            "project-resources",
            "cop-meeting-notes",
            "cop-presentation-videos",
            "public-involvement-case-studies",
        ];
        let mut earliest = vec![
            "ai-public-dialogue-report",
            "ai-cam-blog-using-ai-for-public-benefit",
        ];
        earliest.extend(undated);
        check(&app, "resources", "DATE_EARLIEST_FIRST", &earliest).await;
        let mut latest = vec![
            "ai-cam-blog-using-ai-for-public-benefit",
            "ai-public-dialogue-report",
        ];
        latest.extend(reversed(&undated));
        check(&app, "resources", "DATE_LATEST_FIRST", &latest).await;

        // Findings by their exercise's start date.
        let cop = [
            "cop-civil-servant-participation",
            "cop-early-stages",
            "cop-engagement-has-real-value",
            "cop-no-further-meetings",
        ];
        let dialogue = [
            "ai-co-pilot-not-replacement",
            "public-benefit-primary-driver",
            "robust-governance-checks-and-balances",
            "democratic-approach-to-ai-governance",
            "benefits-with-guardrails",
        ];
        let survey = [
            "cop-attendees-valued",
            "cop-less-useful",
            "cop-format-preferences",
        ];
        let earliest: Vec<&str> = cop
            .iter()
            .chain(&dialogue)
            .chain(&survey)
            .copied()
            .collect();
        check(&app, "findings", "DATE_EARLIEST_FIRST", &earliest).await;
        let latest: Vec<&str> = reversed(&dialogue)
            .into_iter()
            .chain(reversed(&cop))
            .chain(reversed(&survey))
            .collect();
        check(&app, "findings", "DATE_LATEST_FIRST", &latest).await;

        // Views: the 25 dialogue views (2024-09) come before the 15 undated survey views.
        let oldest = slugs(
            &app.data(&query("participantViews"), json!({"first": 100}))
                .await["participantViews"],
        );
        let oldest: Vec<&str> = oldest.iter().map(String::as_str).collect();
        check(&app, "participantViews", "DATE_EARLIEST_FIRST", &oldest).await;
        let latest: Vec<&str> = reversed(&oldest[..25])
            .into_iter()
            .chain(reversed(&oldest[25..]))
            .collect();
        assert_eq!(latest[0], "tackle-power-imbalances");
        assert_eq!(latest[25], "visibility-not-good");
        check(&app, "participantViews", "DATE_LATEST_FIRST", &latest).await;
    });
}

#[tokio::test]
async fn a_date_order_follows_changes_to_the_exercise() {
    // The date is changed here directly in the database, outside the write path and its change
    // log (which is all the read engine follows): this test is about the copy of the date that
    // the database's trigger keeps for the SQL order, so it reads SQL.
    on_each_backend!(with & [("PUBLIC_VOICE_ENGINE", "false")], |app| {
        let db = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        use sea_orm::ConnectionTrait;
        db.execute_unprepared(
            "UPDATE exercise SET start_date = '2023' WHERE slug = 'data-ai-public-engagement-cop-survey'",
        )
        .await
        .expect("update");
        db.close().await.ok();
        let page = app
            .data(
                &query("findings"),
                json!({"order": "DATE_EARLIEST_FIRST", "first": 3}),
            )
            .await;
        assert_eq!(
            slugs(&page["findings"]),
            vec![
                "cop-attendees-valued",
                "cop-less-useful",
                "cop-format-preferences"
            ]
        );
    });
}

#[tokio::test]
async fn cursors_belong_to_their_order_and_lists_refuse_orders_they_lack() {
    on_each_backend!(|app| {
        let q = query("findings");
        let page = app
            .data(&q, json!({"order": "TITLE_A_TO_Z", "first": 2}))
            .await;
        let cursor = page["findings"]["pageInfo"]["endCursor"].clone();
        for (order, arg) in [
            ("TITLE_Z_TO_A", "after"),
            ("DATE_EARLIEST_FIRST", "before"),
            ("OLDEST_FIRST", "after"),
        ] {
            let vars = json!({"order": order, "first": 2, arg: cursor});
            let body = app.graphql(&q, vars).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{order}"
            );
            assert_eq!(body["errors"][0]["extensions"]["field"], arg, "{order}");
        }
        // An id-order cursor is not a title cursor either.
        let id_cursor =
            app.data(&q, json!({"first": 2})).await["findings"]["pageInfo"]["endCursor"].clone();
        assert_eq!(
            app.error_code(&q, json!({"order": "TITLE_A_TO_Z", "after": id_cursor}))
                .await,
            "BAD_USER_INPUT"
        );
        // Views have no title.
        let body = app
            .graphql(
                &query("participantViews"),
                json!({"order": "TITLE_A_TO_Z", "first": 2}),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], "order");
        // An empty page past the end.
        let last = app
            .data(&q, json!({"order": "DATE_LATEST_FIRST", "last": 1}))
            .await["findings"]
            .clone();
        assert_eq!(slugs(&last), vec!["cop-attendees-valued"]);
        let beyond = app
            .data(
                &q,
                json!({"order": "DATE_LATEST_FIRST", "first": 5, "after": last["pageInfo"]["endCursor"]}),
            )
            .await["findings"]
            .clone();
        assert_eq!(beyond["nodes"], json!([]));
        assert_eq!(beyond["pageInfo"]["hasNextPage"], false);
    });
}
