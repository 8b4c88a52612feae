//! "What happened next": the seeded commitments read back exactly, the list's filters and
//! orders, the nested connections under findings and exercises, and a commitment's life through
//! review and the change feed (what readers and editors each see), on both backends.

use crate::helpers::TestApp;
use crate::on_each_backend;
use serde_json::{json, Value};

const FIELDS: &str = "slug title statement statedOn status reviewStatus organisation { slug } \
    exercises { nodes { slug } } findings { nodes { slug } } \
    provenance { source { slug } locator } version";

const DIALOGUE: &str = "ai-cam-public-dialogues-2024";
const COP: &str = "data-ai-public-engagement-cop";

/// The five seeded commitments, in id order, as `FIELDS` reads them.
fn seeded() -> Value {
    let integrate =
        "ai@cam will be integrating insights from these dialogues into the next phase of our work.";
    let policy_lab =
        "In the near-term, we’ll be using these findings to inform our Policy Lab activities.";
    let platform =
        "In the longer-term, we’re looking at how we can create a platform for continuing \
        these conversations between publics, policymakers, and researchers about our future vision \
        for AI, and how to deliver it.";
    let videos =
        "Where we had permission from speakers, we’ve published videos of presentations on \
        individual meeting pages, on our YouTube channel and collected them in this blogpost.";
    let notes =
        "We’ll also be keeping the notes live for people signed up to the community of practice.";
    let row = |slug: &str,
               title: &str,
               said: &str,
               org: &str,
               on: Value,
               status: &str,
               exercise: &str,
               findings: &[&str],
               source: &str| {
        json!({
            "slug": slug, "title": title, "statement": said, "statedOn": on, "status": status,
            "reviewStatus": "PUBLISHED", "organisation": {"slug": org},
            "exercises": {"nodes": [{"slug": exercise}]},
            "findings": {"nodes": findings.iter().map(|f| json!({"slug": f})).collect::<Vec<_>>()},
            "provenance": {"source": {"slug": source}, "locator": said}, "version": 1
        })
    };
    json!([
        row(
            "ai-cam-integrate-dialogue-insights",
            "Integrate insights from the dialogues into the next phase of ai@cam's work",
            integrate,
            "ai-cam",
            json!("2024-10-26"),
            "STATED",
            DIALOGUE,
            &[],
            "ai-cam-2024-10-26"
        ),
        row(
            "ai-cam-inform-policy-lab",
            "Use the dialogue findings to inform ai@cam's Policy Lab activities",
            policy_lab,
            "ai-cam",
            json!("2024-10-26"),
            "STATED",
            DIALOGUE,
            &[
                "ai-co-pilot-not-replacement",
                "public-benefit-primary-driver",
                "robust-governance-checks-and-balances",
                "democratic-approach-to-ai-governance",
                "benefits-with-guardrails"
            ],
            "ai-cam-2024-10-26"
        ),
        row(
            "ai-cam-platform-for-continuing-conversations",
            "Look at creating a platform for continuing the conversations between publics, policymakers and researchers",
            platform,
            "ai-cam",
            json!("2024-10-26"),
            "STATED",
            DIALOGUE,
            &["democratic-approach-to-ai-governance"],
            "ai-cam-2024-10-26"
        ),
        row(
            "cop-publish-presentation-videos",
            "Publish videos of the community of practice's presentations",
            videos,
            "connected-by-data",
            Value::Null,
            "DONE",
            COP,
            &[],
            "connected-by-data-cop-future"
        ),
        row(
            "cop-keep-meeting-notes-live",
            "Keep the meeting notes live for people signed up to the community of practice",
            notes,
            "connected-by-data",
            Value::Null,
            "STATED",
            COP,
            &[],
            "connected-by-data-cop-future"
        ),
    ])
}

fn slugs(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("expected nodes, got {connection}"))
        .iter()
        .map(|n| n["slug"].as_str().expect("slug").to_string())
        .collect()
}

async fn id_of(app: &TestApp, field: &str, slug: &str) -> String {
    let q = format!("{{ {field}(by: {{slug: \"{slug}\"}}) {{ id }} }}");
    app.data(&q, json!({})).await[field]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

#[tokio::test]
async fn the_seeded_commitments_read_back_exactly() {
    on_each_backend!(|app| {
        let q = format!("{{ commitments {{ totalCount nodes {{ {FIELDS} }} }} }}");
        let d = app.data(&q, json!({})).await;
        assert_eq!(d["commitments"]["totalCount"], 5);
        assert_eq!(d["commitments"]["nodes"], seeded());
        // The lookup by slug and `node` by ID give the same object.
        let q = format!(
            "{{ commitment(by: {{slug: \"ai-cam-inform-policy-lab\"}}) {{ id {FIELDS} }} }}"
        );
        let one = app.data(&q, json!({})).await["commitment"].clone();
        let mut expected = seeded()[1].clone();
        expected["id"] = one["id"].clone();
        assert_eq!(one, expected);
        let node = app
            .data(
                "query($id: ID!) { node(id: $id) { __typename ... on Commitment { slug } } }",
                json!({"id": one["id"]}),
            )
            .await;
        assert_eq!(
            node["node"],
            json!({"__typename": "Commitment", "slug": "ai-cam-inform-policy-lab"})
        );
    });
}

#[tokio::test]
async fn findings_exercises_and_organisations_list_their_commitments() {
    on_each_backend!(|app| {
        let d = app
            .data(
                r#"{
                  democratic: finding(by: {slug: "democratic-approach-to-ai-governance"}) {
                    commitments { totalCount nodes { slug organisation { slug } } } }
                  coPilot: finding(by: {slug: "ai-co-pilot-not-replacement"}) {
                    commitments(first: 5) { totalCount nodes { slug } } }
                  valued: finding(by: {slug: "cop-attendees-valued"}) { commitments { totalCount nodes { slug } } }
                  dialogue: exercise(by: {slug: "ai-cam-public-dialogues-2024"}) {
                    commitments { totalCount nodes { slug } } }
                  cop: exercise(by: {slug: "data-ai-public-engagement-cop"}) {
                    commitments(first: 1) { totalCount pageInfo { hasNextPage } nodes { slug } } }
                  cbd: organisation(by: {slug: "connected-by-data"}) { commitments { totalCount nodes { slug status } } }
                  dsit: organisation(by: {slug: "dsit"}) { commitments { totalCount nodes { slug } } }
                }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            d["democratic"]["commitments"],
            json!({"totalCount": 2, "nodes": [
                {"slug": "ai-cam-inform-policy-lab", "organisation": {"slug": "ai-cam"}},
                {"slug": "ai-cam-platform-for-continuing-conversations", "organisation": {"slug": "ai-cam"}}
            ]})
        );
        assert_eq!(
            d["coPilot"]["commitments"],
            json!({"totalCount": 1, "nodes": [{"slug": "ai-cam-inform-policy-lab"}]})
        );
        assert_eq!(
            d["valued"]["commitments"],
            json!({"totalCount": 0, "nodes": []})
        );
        assert_eq!(
            slugs(&d["dialogue"]["commitments"]),
            [
                "ai-cam-integrate-dialogue-insights",
                "ai-cam-inform-policy-lab",
                "ai-cam-platform-for-continuing-conversations"
            ]
        );
        assert_eq!(d["dialogue"]["commitments"]["totalCount"], 3);
        assert_eq!(
            d["cop"]["commitments"],
            json!({"totalCount": 2, "pageInfo": {"hasNextPage": true},
                   "nodes": [{"slug": "cop-publish-presentation-videos"}]})
        );
        assert_eq!(
            d["cbd"]["commitments"],
            json!({"totalCount": 2, "nodes": [
                {"slug": "cop-publish-presentation-videos", "status": "DONE"},
                {"slug": "cop-keep-meeting-notes-live", "status": "STATED"}
            ]})
        );
        assert_eq!(
            d["dsit"]["commitments"],
            json!({"totalCount": 0, "nodes": []})
        );
    });
}

#[tokio::test]
async fn the_list_filters_and_orders() {
    on_each_backend!(|app| {
        let cbd = id_of(&app, "organisation", "connected-by-data").await;
        let democratic = id_of(&app, "finding", "democratic-approach-to-ai-governance").await;
        let cop = id_of(&app, "exercise", COP).await;
        let list = "query($f: CommitmentFilter, $o: ListOrder) { commitments(filter: $f, order: $o) { totalCount nodes { slug } } }";
        let cases = [
            (
                json!({"statuses": ["DONE"]}),
                vec!["cop-publish-presentation-videos"],
            ),
            (json!({"statuses": ["IN_PROGRESS", "DROPPED"]}), vec![]),
            (
                json!({"organisation": cbd}),
                vec![
                    "cop-publish-presentation-videos",
                    "cop-keep-meeting-notes-live",
                ],
            ),
            (
                json!({"finding": democratic}),
                vec![
                    "ai-cam-inform-policy-lab",
                    "ai-cam-platform-for-continuing-conversations",
                ],
            ),
            (
                json!({"exercise": cop, "statuses": ["STATED"]}),
                vec!["cop-keep-meeting-notes-live"],
            ),
            (
                json!({"stated": {"from": "2024-10", "to": "2024"}}),
                vec![
                    "ai-cam-integrate-dialogue-insights",
                    "ai-cam-inform-policy-lab",
                    "ai-cam-platform-for-continuing-conversations",
                ],
            ),
            (json!({"stated": {"from": "2025"}}), vec![]),
        ];
        for (filter, expected) in cases {
            let d = app.data(list, json!({"f": filter})).await;
            assert_eq!(slugs(&d["commitments"]), expected, "{filter}");
            assert_eq!(d["commitments"]["totalCount"], expected.len(), "{filter}");
        }
        let d = app.data(list, json!({"o": "TITLE_A_TO_Z"})).await;
        assert_eq!(
            slugs(&d["commitments"]),
            [
                "ai-cam-integrate-dialogue-insights",
                "cop-keep-meeting-notes-live",
                "ai-cam-platform-for-continuing-conversations",
                "cop-publish-presentation-videos",
                "ai-cam-inform-policy-lab"
            ]
        );
        let d = app.data(list, json!({"o": "DATE_LATEST_FIRST"})).await;
        assert_eq!(
            slugs(&d["commitments"]),
            [
                "ai-cam-platform-for-continuing-conversations",
                "ai-cam-inform-policy-lab",
                "ai-cam-integrate-dialogue-insights",
                "cop-keep-meeting-notes-live",
                "cop-publish-presentation-videos"
            ]
        );
        // Bad filters name their field.
        for (filter, field) in [
            (json!({"finding": cop}), "filter.finding"),
            (json!({"organisation": "not an id"}), "filter.organisation"),
            (json!({"stated": {"from": "2024-13"}}), "filter.stated.from"),
        ] {
            let body = app.graphql(list, json!({"f": filter})).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{filter}: {body}"
            );
            assert_eq!(
                body["errors"][0]["extensions"]["field"], field,
                "{filter}: {body}"
            );
        }
        // A status that does not exist is refused before anything runs.
        let body = app
            .graphql(list, json!({"f": {"statuses": ["PROMISED"]}}))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{body}"
        );
    });
}

const CREATE: &str = "mutation($input: CreateCommitmentInput!) { createCommitment(input: $input) { id version reviewStatus } }";
const FEED: &str =
    "{ changes(entities: [COMMITMENT]) { nodes { kind entity slug version visible } } }";
const UNDER_FINDING: &str = r#"{ finding(by: {slug: "democratic-approach-to-ai-governance"}) {
    commitments { totalCount nodes { slug status } } } }"#;

async fn step(app: &TestApp, editor: &str, mutation: &str, id: &str, v: i64) -> Value {
    let q = format!(
        "mutation($id: ID!, $v: Int!) {{ {mutation}(id: $id, expectedVersion: $v) {{ ... on Commitment {{ version reviewStatus }} }} }}"
    );
    app.data_as(editor, &q, json!({"id": id, "v": v})).await[mutation].clone()
}

#[tokio::test]
async fn a_commitment_goes_through_review_and_the_change_feed() {
    on_each_backend!(|app| {
        let editor = app.token("researcher", "editor").await;
        let ai_cam = id_of(&app, "organisation", "ai-cam").await;
        let source = id_of(&app, "sourceDocument", "ai-cam-2024-10-26").await;
        let democratic = id_of(&app, "finding", "democratic-approach-to-ai-governance").await;
        let dialogue = id_of(&app, "exercise", DIALOGUE).await;
        let input = json!({
            "slug": "ai-cam-policy-lab-briefing",
            "title": "Brief the Policy Lab on the dialogue",
            "statement": "test fixture",
            "organisationId": ai_cam,
            "statedOn": "2025-01",
            "exerciseIds": [dialogue],
            "findingIds": [democratic],
            "sourceId": source,
            "locator": "test fixture"
        });
        // A new commitment is a draft (and STATED) unless told otherwise: readers do not see it.
        let d = app.data_as(&editor, CREATE, json!({"input": input})).await;
        let id = d["createCommitment"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        assert_eq!(
            d["createCommitment"],
            json!({"id": id, "version": 1, "reviewStatus": "DRAFT"})
        );
        let lookup =
            "{ commitment(by: {slug: \"ai-cam-policy-lab-briefing\"}) { status statedOn } }";
        assert_eq!(app.error_code(lookup, json!({})).await, "NOT_FOUND");
        assert_eq!(
            app.data_as(&editor, lookup, json!({})).await["commitment"],
            json!({"status": "STATED", "statedOn": "2025-01"})
        );
        assert_eq!(
            app.data(UNDER_FINDING, json!({})).await["finding"]["commitments"]["totalCount"],
            2
        );
        assert_eq!(
            app.data_as(&editor, UNDER_FINDING, json!({})).await["finding"]["commitments"]
                ["totalCount"],
            3
        );
        assert_eq!(
            app.data(FEED, json!({})).await["changes"]["nodes"],
            json!([])
        );

        // Review: submitted, then published; readers see it from then on.
        assert_eq!(
            step(&app, &editor, "submitForReview", &id, 1).await,
            json!({"version": 2, "reviewStatus": "IN_REVIEW"})
        );
        assert_eq!(
            step(&app, &editor, "publish", &id, 2).await,
            json!({"version": 3, "reviewStatus": "PUBLISHED"})
        );
        // A transition from the wrong status is refused.
        let q = "mutation($id: ID!) { publish(id: $id, expectedVersion: 3) { __typename } }";
        assert_eq!(
            app.error_code_as(&editor, q, json!({"id": id})).await,
            "CONFLICT"
        );
        let d = app.data(UNDER_FINDING, json!({})).await;
        assert_eq!(d["finding"]["commitments"]["totalCount"], 3);
        assert_eq!(
            d["finding"]["commitments"]["nodes"][2],
            json!({"slug": "ai-cam-policy-lab-briefing", "status": "STATED"})
        );

        // The organisation reports it done.
        let q = "mutation($input: UpdateCommitmentInput!) { updateCommitment(input: $input) { version status reviewStatus } }";
        let d = app
            .data_as(
                &editor,
                q,
                json!({"input": {"id": id, "expectedVersion": 3, "status": "DONE"}}),
            )
            .await;
        assert_eq!(
            d["updateCommitment"],
            json!({"version": 4, "status": "DONE", "reviewStatus": "PUBLISHED"})
        );
        let d = app
            .data(
                "{ commitments(filter: { statuses: [DONE] }) { nodes { slug } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            slugs(&d["commitments"]),
            [
                "cop-publish-presentation-videos",
                "ai-cam-policy-lab-briefing"
            ]
        );

        // Retracted, then deleted: readers' copies are told to drop it; the tombstone is for
        // editors only, since readers never saw the retracted row.
        assert_eq!(
            step(&app, &editor, "retract", &id, 4).await,
            json!({"version": 5, "reviewStatus": "RETRACTED"})
        );
        assert_eq!(app.error_code(lookup, json!({})).await, "NOT_FOUND");
        let q = "mutation($id: ID!, $v: Int!) { deleteCommitment(id: $id, expectedVersion: $v) { id version } }";
        let d = app.data_as(&editor, q, json!({"id": id, "v": 5})).await;
        assert_eq!(d["deleteCommitment"], json!({"id": id, "version": 5}));

        let event = |kind: &str, version: i64, visible: bool| {
            json!({"kind": kind, "entity": "Commitment", "slug": "ai-cam-policy-lab-briefing",
                   "version": version, "visible": visible})
        };
        assert_eq!(
            app.data(FEED, json!({})).await["changes"]["nodes"],
            json!([
                event("UPDATE", 3, true),
                event("UPDATE", 4, true),
                event("UPDATE", 5, false)
            ])
        );
        assert_eq!(
            app.data_as(&editor, FEED, json!({})).await["changes"]["nodes"],
            json!([
                event("CREATE", 1, false),
                event("UPDATE", 2, false),
                event("UPDATE", 3, true),
                event("UPDATE", 4, true),
                event("UPDATE", 5, false),
                event("DELETE", 5, false)
            ])
        );
        assert_eq!(
            app.data_as(&editor, UNDER_FINDING, json!({})).await["finding"]["commitments"]
                ["totalCount"],
            2
        );
    });
}

#[tokio::test]
async fn bad_input_is_refused_with_its_field() {
    on_each_backend!(|app| {
        let editor = app.token("researcher", "editor").await;
        let ai_cam = id_of(&app, "organisation", "ai-cam").await;
        let source = id_of(&app, "sourceDocument", "ai-cam-2024-10-26").await;
        let dialogue = id_of(&app, "exercise", DIALOGUE).await;
        let input = json!({
            "slug": "never-written",
            "title": "T",
            "statement": "S",
            "organisationId": ai_cam,
            "sourceId": source,
            "locator": "test fixture"
        });
        let bad = [
            // A finding ID that names no finding; an exercise's ID where a finding's belongs.
            (
                json!({"findingIds": ["RmluZGluZzo5OTk5"]}),
                "BAD_USER_INPUT",
                "input.findingIds[0]",
            ),
            (
                json!({"findingIds": [dialogue]}),
                "BAD_USER_INPUT",
                "input.findingIds[0]",
            ),
            (
                json!({"statedOn": "26 October 2024"}),
                "BAD_USER_INPUT",
                "input.statedOn",
            ),
            (
                json!({"statedOn": "2024-02-30"}),
                "BAD_USER_INPUT",
                "input.statedOn",
            ),
            (
                json!({"organisationId": "T3JnYW5pc2F0aW9uOjk5OTk"}),
                "BAD_USER_INPUT",
                "input.organisationId",
            ),
            (
                json!({"exerciseIds": [dialogue, dialogue]}),
                "BAD_USER_INPUT",
                "input.exerciseIds[1]",
            ),
            (
                json!({"statement": " "}),
                "BAD_USER_INPUT",
                "input.statement",
            ),
        ];
        for (patch, code, field) in bad {
            let mut v = input.clone();
            for (k, x) in patch.as_object().expect("object") {
                v[k] = x.clone();
            }
            let (_, body) = app.graphql_as(&editor, CREATE, json!({"input": v})).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], code,
                "{patch}: {body}"
            );
            assert_eq!(
                body["errors"][0]["extensions"]["field"], field,
                "{patch}: {body}"
            );
        }
        // A status that does not exist never reaches the resolver.
        let mut v = input.clone();
        v["status"] = json!("PROMISED");
        let (_, body) = app.graphql_as(&editor, CREATE, json!({"input": v})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{body}"
        );
        // Anonymous callers may not write; nothing was written.
        assert_eq!(
            app.error_code(CREATE, json!({"input": input})).await,
            "UNAUTHENTICATED"
        );
        assert_eq!(
            app.error_code_as(
                &editor,
                "{ commitment(by: {slug: \"never-written\"}) { slug } }",
                json!({})
            )
            .await,
            "NOT_FOUND"
        );
        // An organisation or source that a commitment cites cannot be deleted.
        let q = "{ organisation(by: {slug: \"connected-by-data\"}) { id version } }";
        let org = app.data(q, json!({})).await["organisation"].clone();
        let del = "mutation($id: ID!, $v: Int!) { deleteOrganisation(id: $id, expectedVersion: $v) { id } }";
        let (_, body) = app
            .graphql_as(&editor, del, json!({"id": org["id"], "v": org["version"]}))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "CONFLICT",
            "{body}"
        );
    });
}

#[tokio::test]
async fn commitments_travel_in_bundles_with_their_links() {
    on_each_backend!(|app| {
        let editor = app.token("acme-sync", "editor").await;
        let import = "mutation($b: String!) { importBundle(bundle: $b) { committed created } }";
        let good = json!({"type": "commitment", "slug": "cop-share-survey-results",
            "title": "Share the survey results", "statement": "test fixture",
            "organisation": "connected-by-data", "status": "DONE",
            "exercises": ["data-ai-public-engagement-cop-survey"], "findings": ["cop-less-useful"],
            "source": "connected-by-data-cop-future", "locator": "test fixture",
            "externalSource": "acme-crm", "externalId": "c-1"});
        let d = app
            .data_as(&editor, import, json!({"b": format!("{good}\n")}))
            .await;
        assert_eq!(d["importBundle"], json!({"committed": true, "created": 1}));
        let d = app
            .data(
                r#"{ commitment(by: {slug: "cop-share-survey-results"}) { status reviewStatus
                     organisation { slug } exercises { nodes { slug } } findings { nodes { slug } }
                     externalKey { source id } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            d["commitment"],
            json!({"status": "DONE", "reviewStatus": "PUBLISHED",
                   "organisation": {"slug": "connected-by-data"},
                   "exercises": {"nodes": [{"slug": "data-ai-public-engagement-cop-survey"}]},
                   "findings": {"nodes": [{"slug": "cop-less-useful"}]},
                   "externalKey": {"source": "acme-crm", "id": "c-1"}})
        );
        // Unknown references are reported by line and field; nothing is written.
        let mut bad = good.clone();
        bad["slug"] = json!("never-written");
        bad["externalId"] = json!("c-2");
        bad["findings"] = json!(["no-such-finding"]);
        bad["organisation"] = json!("no-such-organisation");
        let (_, body) = app
            .graphql_as(&editor, import, json!({"b": format!("{bad}\n")}))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        let rows: Vec<(i64, String)> = body["errors"][0]["extensions"]["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("rows: {body}"))
            .iter()
            .map(|r| {
                (
                    r["line"].as_i64().expect("line"),
                    r["field"].as_str().expect("field").to_string(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (1, "organisation".to_string()),
                (1, "findings[0]".to_string())
            ]
        );
    });
}
