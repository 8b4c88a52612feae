//! Authenticated writes: tokens and roles, validation, review and visibility, optimistic
//! concurrency, upserts, the change feed and the audit log, on both backends.

use crate::helpers::TestApp;
use crate::on_each_backend;
use serde_json::{json, Value};

/// IDs of seed rows a new finding or view can point at.
pub(crate) struct Refs {
    exercise: String,
    other_exercise: String,
    source: String,
    privacy: String,
    bias: String,
    cambridge: String,
    liverpool_finding: String,
}

pub(crate) async fn refs(app: &TestApp) -> Refs {
    let d = app
        .data(
            r#"{
              exercise(by: {slug: "ai-cam-public-dialogues-2024"}) { id }
              other: exercise(by: {slug: "data-ai-public-engagement-cop"}) { id }
              sourceDocument(by: {slug: "ai-cam-2024-10-26"}) { id }
              privacy: theme(by: {slug: "privacy"}) { id }
              bias: theme(by: {slug: "bias-and-discrimination"}) { id }
              session(by: {slug: "ai-cam-dialogue-cambridge"}) { id }
              finding(by: {slug: "ai-co-pilot-not-replacement"}) { id }
            }"#,
            json!({}),
        )
        .await;
    let s = |v: &Value| v["id"].as_str().expect("id").to_string();
    Refs {
        exercise: s(&d["exercise"]),
        other_exercise: s(&d["other"]),
        source: s(&d["sourceDocument"]),
        privacy: s(&d["privacy"]),
        bias: s(&d["bias"]),
        cambridge: s(&d["session"]),
        liverpool_finding: s(&d["finding"]),
    }
}

const CREATE_FINDING: &str = r#"mutation($input: CreateFindingInput!) {
  createFinding(input: $input) { id slug title version reviewStatus missions themes { slug } }
}"#;

fn finding_input(r: &Refs, slug: &str) -> Value {
    json!({
        "slug": slug,
        "exerciseId": r.exercise,
        "title": "Participants want to be told when AI is used",
        "summary": "Transparency about where AI is used in a service came up in every session.",
        "kind": "PRINCIPLE",
        "position": 20,
        "missions": ["HEALTH", "EDUCATION"],
        "themeIds": [r.privacy, r.bias],
        "sourceId": r.source,
        "locator": "test fixture"
    })
}

pub(crate) const CREATE_VIEW: &str = r#"mutation($input: CreateViewInput!) {
  createView(input: $input) { id slug version reviewStatus verbatim stance session { slug } }
}"#;

pub(crate) fn view_input(r: &Refs, slug: &str) -> Value {
    json!({
        "slug": slug,
        "exerciseId": r.exercise,
        "sessionId": r.cambridge,
        "text": "I would want to know a machine had read my letter first.",
        "verbatim": true,
        "stance": "CONDITION",
        "missions": ["HEALTH"],
        "themeIds": [r.privacy],
        "sourceId": r.source,
        "locator": "test fixture"
    })
}

pub(crate) const REVIEW: &str = r#"mutation($id: ID!, $v: Int!) {
  submitForReview(id: $id, expectedVersion: $v) { ... on Finding { version reviewStatus } ... on ParticipantView { version reviewStatus } }
}"#;
pub(crate) const PUBLISH: &str = r#"mutation($id: ID!, $v: Int!) {
  publish(id: $id, expectedVersion: $v) { ... on Finding { version reviewStatus } ... on ParticipantView { version reviewStatus } }
}"#;
pub(crate) const RETRACT: &str = r#"mutation($id: ID!, $v: Int!) {
  retract(id: $id, expectedVersion: $v) { ... on Finding { version reviewStatus } ... on ParticipantView { version reviewStatus } }
}"#;

#[tokio::test]
async fn writes_need_a_valid_token_with_the_right_role() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let input = json!({"input": finding_input(&r, "needs-a-token")});
        // Anonymous: refused, nothing written.
        assert_eq!(
            app.error_code(CREATE_FINDING, input.clone()).await,
            "UNAUTHENTICATED"
        );
        let reader = app.token("dashboard", "reader").await;
        assert_eq!(
            app.error_code_as(&reader, CREATE_FINDING, input.clone())
                .await,
            "FORBIDDEN"
        );
        let editor = app.token("researcher", "editor").await;
        assert_eq!(
            app.error_code_as(&editor, "{ apiTokens { name } }", json!({}))
                .await,
            "FORBIDDEN"
        );
        // A token that is not one: 401 before any GraphQL work.
        let (status, body) = app
            .graphql_as("pv_not-a-real-token", "{ viewer { name } }", json!({}))
            .await;
        assert_eq!(status, 401);
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

        let d = app
            .data_as(
                &editor,
                "{ viewer { name role seesUnpublished } }",
                json!({}),
            )
            .await;
        assert_eq!(
            d["viewer"],
            json!({"name": "researcher", "role": "EDITOR", "seesUnpublished": true})
        );

        // Admins create, list and revoke tokens; a revoked token authenticates nothing.
        let admin = app.token("root", "admin").await;
        let d = app
            .data_as(
                &admin,
                r#"mutation { createApiToken(name: "integrator", role: EDITOR) { token apiToken { name role createdBy revokedAt } } }"#,
                json!({}),
            )
            .await;
        let created = &d["createApiToken"];
        assert_eq!(
            created["apiToken"],
            json!({"name": "integrator", "role": "EDITOR", "createdBy": "root", "revokedAt": null})
        );
        let integrator = created["token"].as_str().expect("token").to_string();
        assert!(integrator.starts_with("pv_"));
        let d = app
            .data_as(&integrator, "{ viewer { name } }", json!({}))
            .await;
        assert_eq!(d["viewer"]["name"], "integrator");
        assert_eq!(
            app.error_code_as(
                &admin,
                r#"mutation { createApiToken(name: "integrator", role: READER) { token } }"#,
                json!({})
            )
            .await,
            "CONFLICT"
        );
        let d = app
            .data_as(&admin, "{ apiTokens { name role } }", json!({}))
            .await;
        assert_eq!(
            d["apiTokens"],
            json!([
                {"name": "dashboard", "role": "READER"},
                {"name": "researcher", "role": "EDITOR"},
                {"name": "root", "role": "ADMIN"},
                {"name": "integrator", "role": "EDITOR"}
            ])
        );
        app.data_as(
            &admin,
            r#"mutation { revokeApiToken(name: "integrator") { revokedAt } }"#,
            json!({}),
        )
        .await;
        let (status, _) = app
            .graphql_as(&integrator, "{ viewer { name } }", json!({}))
            .await;
        assert_eq!(status, 401);
        assert_eq!(
            app.error_code_as(
                &admin,
                r#"mutation { revokeApiToken(name: "nobody") { name } }"#,
                json!({})
            )
            .await,
            "NOT_FOUND"
        );
        // Nothing was written by the refused attempts.
        let d = app.data(r#"{ findings { totalCount } }"#, json!({})).await;
        assert_eq!(d["findings"]["totalCount"], 12);
    });
}

#[tokio::test]
async fn a_service_can_require_a_token_to_read() {
    for backend in [
        crate::helpers::Backend::Sqlite,
        crate::helpers::Backend::Postgres,
    ] {
        let Some(app) =
            TestApp::spawn_with(backend, &[("PUBLIC_VOICE_REQUIRE_TOKEN", "true")]).await
        else {
            continue;
        };
        let res = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({"query": "{ findings { totalCount } }"}))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 401);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        let reader = app.token("dashboard", "reader").await;
        let d = app
            .data_as(&reader, "{ findings { totalCount } }", json!({}))
            .await;
        assert_eq!(d["findings"]["totalCount"], 12);
    }
}

#[tokio::test]
async fn drafts_stay_hidden_until_published() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        let d = app
            .data_as(
                &editor,
                CREATE_FINDING,
                json!({"input": finding_input(&r, "told-when-ai-is-used")}),
            )
            .await;
        let finding = d["createFinding"].clone();
        assert_eq!(finding["reviewStatus"], "DRAFT");
        assert_eq!(finding["version"], 1);
        assert_eq!(finding["missions"], json!(["HEALTH", "EDUCATION"]));
        assert_eq!(
            finding["themes"],
            json!([{"slug": "bias-and-discrimination"}, {"slug": "privacy"}])
        );
        let id = finding["id"].as_str().expect("id").to_string();

        let anonymous_view = r#"query($id: ID!) {
          node(id: $id) { id }
          findings(filter: { themes: { anyOf: ["privacy"] } }) { totalCount }
          exercise(by: {slug: "ai-cam-public-dialogues-2024"}) { findings { totalCount } }
          search(query: "told when AI is used transparency") { totalCount }
        }"#;
        // Readers see nothing of the draft: not by ID, slug, list, nested list or search.
        let before = app.data(anonymous_view, json!({"id": id})).await;
        assert_eq!(before["node"], Value::Null);
        assert_eq!(
            app.error_code(
                r#"{ finding(by: {slug: "told-when-ai-is-used"}) { id } }"#,
                json!({})
            )
            .await,
            "NOT_FOUND"
        );
        let reader = app.token("dashboard", "reader").await;
        let as_reader = app
            .data_as(&reader, anonymous_view, json!({"id": id}))
            .await;
        assert_eq!(as_reader, before);
        // Editors see it.
        let d = app
            .data_as(
                &editor,
                r#"{ finding(by: {slug: "told-when-ai-is-used"}) { reviewStatus } }"#,
                json!({}),
            )
            .await;
        assert_eq!(d["finding"]["reviewStatus"], "DRAFT");

        // Publishing needs review first.
        assert_eq!(
            app.error_code_as(&editor, PUBLISH, json!({"id": id, "v": 1}))
                .await,
            "CONFLICT"
        );
        let d = app
            .data_as(&editor, REVIEW, json!({"id": id, "v": 1}))
            .await;
        assert_eq!(
            d["submitForReview"],
            json!({"version": 2, "reviewStatus": "IN_REVIEW"})
        );
        let d = app
            .data_as(&editor, PUBLISH, json!({"id": id, "v": 2}))
            .await;
        assert_eq!(
            d["publish"],
            json!({"version": 3, "reviewStatus": "PUBLISHED"})
        );
        let after = app.data(anonymous_view, json!({"id": id})).await;
        assert_eq!(after["node"]["id"], json!(id));
        assert_eq!(
            after["findings"]["totalCount"].as_u64(),
            before["findings"]["totalCount"].as_u64().map(|n| n + 1)
        );
        assert_eq!(
            after["exercise"]["findings"]["totalCount"].as_u64(),
            before["exercise"]["findings"]["totalCount"]
                .as_u64()
                .map(|n| n + 1)
        );
        assert_eq!(
            after["search"]["totalCount"].as_u64(),
            before["search"]["totalCount"].as_u64().map(|n| n + 1)
        );

        // Retracting hides it again, search included.
        let d = app
            .data_as(&editor, RETRACT, json!({"id": id, "v": 3}))
            .await;
        assert_eq!(d["retract"]["reviewStatus"], "RETRACTED");
        let retracted = app.data(anonymous_view, json!({"id": id})).await;
        assert_eq!(retracted, before);

        // A draft view under a published finding is hidden from the finding's views too.
        let d = app
            .data_as(
                &editor,
                CREATE_VIEW,
                json!({"input": view_input(&r, "told-first")}),
            )
            .await;
        assert_eq!(
            d["createView"]["session"]["slug"],
            "ai-cam-dialogue-cambridge"
        );
        let counts = r#"{ participantViews { totalCount } evidenceMap(rows: MISSION, columns: STANCE) { totalViews }
          findingMap(rows: MISSION, columns: KIND) { totalFindings }
          exercise(by: {slug: "ai-cam-public-dialogues-2024"}) { counts { findings views } }
          mission(code: HEALTH) { counts { findings views } } }"#;
        let anonymous = app.data(counts, json!({})).await;
        let edited = app.data_as(&editor, counts, json!({})).await;
        let n = |v: &Value, path: &[&str]| {
            path.iter()
                .fold(v, |v, k| &v[*k])
                .as_i64()
                .unwrap_or_else(|| panic!("{path:?} in {v}"))
        };
        assert_eq!(n(&anonymous, &["participantViews", "totalCount"]), 40);
        assert_eq!(n(&anonymous, &["evidenceMap", "totalViews"]), 40);
        assert_eq!(n(&edited, &["participantViews", "totalCount"]), 41);
        assert_eq!(n(&edited, &["evidenceMap", "totalViews"]), 41);
        // The retracted finding and the draft view count for editors only.
        for path in [
            &["findingMap", "totalFindings"][..],
            &["exercise", "counts", "findings"],
            &["exercise", "counts", "views"],
            &["mission", "counts", "findings"],
            &["mission", "counts", "views"],
        ] {
            assert_eq!(n(&edited, path), n(&anonymous, path) + 1, "{path:?}");
        }
    });
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        let field_of = |body: &Value| {
            (
                body["errors"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                body["errors"][0]["extensions"]["field"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        };
        let cases: Vec<(Value, &str)> = vec![
            (json!({"title": "  "}), "input.title"),
            (json!({"slug": "Not A Slug"}), "input.slug"),
            (json!({"summary": "x".repeat(10_001)}), "input.summary"),
            (json!({"position": -1}), "input.position"),
            (
                json!({"themeIds": [r.privacy, r.privacy]}),
                "input.themeIds[1]",
            ),
            (
                json!({"missions": ["HEALTH", "HEALTH"]}),
                "input.missions[1]",
            ),
            // An ID of the wrong type, and one of the right type that does not exist.
            (json!({"exerciseId": r.source}), "input.exerciseId"),
            (json!({"themeIds": ["VGhlbWU6OTk5OQ"]}), "input.themeIds[0]"),
            (
                json!({"sourceId": "U291cmNlRG9jdW1lbnQ6OTk5"}),
                "input.sourceId",
            ),
        ];
        for (patch, field) in cases {
            let mut input = finding_input(&r, "bad-input");
            for (k, v) in patch.as_object().expect("object") {
                input[k] = v.clone();
            }
            let (_, body) = app
                .graphql_as(&editor, CREATE_FINDING, json!({"input": input}))
                .await;
            assert_eq!(
                field_of(&body),
                ("BAD_USER_INPUT".to_string(), field.to_string()),
                "{patch}"
            );
        }
        // A view's session and finding must belong to its exercise.
        let mut input = view_input(&r, "wrong-session");
        input["exerciseId"] = json!(r.other_exercise);
        let (_, body) = app
            .graphql_as(&editor, CREATE_VIEW, json!({"input": input}))
            .await;
        assert_eq!(
            field_of(&body),
            ("BAD_USER_INPUT".to_string(), "input.sessionId".to_string())
        );
        let mut input = view_input(&r, "wrong-finding");
        input["exerciseId"] = json!(r.other_exercise);
        input["sessionId"] = Value::Null;
        input["findingId"] = json!(r.liverpool_finding);
        let (_, body) = app
            .graphql_as(&editor, CREATE_VIEW, json!({"input": input}))
            .await;
        assert_eq!(
            field_of(&body),
            ("BAD_USER_INPUT".to_string(), "input.findingId".to_string())
        );
        // A slug in use is a conflict.
        let mut input = finding_input(&r, "ai-co-pilot-not-replacement");
        input["title"] = json!("A duplicate");
        assert_eq!(
            app.error_code_as(&editor, CREATE_FINDING, json!({"input": input}))
                .await,
            "CONFLICT"
        );
        let d = app
            .data_as(
                &editor,
                "{ findings { totalCount } participantViews { totalCount } changes { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(
            d,
            json!({"findings": {"totalCount": 12}, "participantViews": {"totalCount": 40}, "changes": {"totalCount": 0}})
        );
    });
}

const UPDATE_FINDING: &str = r#"mutation($input: UpdateFindingInput!) {
  updateFinding(input: $input) { title version missions }
}"#;
const DELETE_FINDING: &str = r#"mutation($id: ID!, $v: Int!) {
  deleteFinding(id: $id, expectedVersion: $v) { id version }
}"#;

#[tokio::test]
async fn stale_versions_conflict_and_deletes_leave_tombstones() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let alice = app.token("alice", "editor").await;
        let bob = app.token("bob", "editor").await;
        let d = app
            .data_as(
                &alice,
                CREATE_FINDING,
                json!({"input": finding_input(&r, "contested")}),
            )
            .await;
        let id = d["createFinding"]["id"].as_str().expect("id").to_string();
        // Both editors read version 1; Alice writes first, Bob is told CONFLICT.
        let d = app
            .data_as(
                &alice,
                UPDATE_FINDING,
                json!({"input": {"id": id, "expectedVersion": 1, "title": "Alice's title", "missions": ["EDUCATION"]}}),
            )
            .await;
        assert_eq!(
            d["updateFinding"],
            json!({"title": "Alice's title", "version": 2, "missions": ["EDUCATION"]})
        );
        assert_eq!(
            app.error_code_as(
                &bob,
                UPDATE_FINDING,
                json!({"input": {"id": id, "expectedVersion": 1, "title": "Bob's title"}})
            )
            .await,
            "CONFLICT"
        );
        // Nothing of Bob's change landed.
        let d = app
            .data_as(
                &bob,
                r#"{ finding(by: {slug: "contested"}) { title version } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            d["finding"],
            json!({"title": "Alice's title", "version": 2})
        );
        // An update that changes nothing keeps the version.
        let d = app
            .data_as(
                &bob,
                UPDATE_FINDING,
                json!({"input": {"id": id, "expectedVersion": 2, "title": "Alice's title"}}),
            )
            .await;
        assert_eq!(d["updateFinding"]["version"], 2);
        assert_eq!(
            app.error_code_as(&bob, DELETE_FINDING, json!({"id": id, "v": 1}))
                .await,
            "CONFLICT"
        );
        assert_eq!(
            app.error_code_as(&bob, DELETE_FINDING, json!({"id": id, "v": 0}))
                .await,
            "BAD_USER_INPUT"
        );
        let d = app
            .data_as(&bob, DELETE_FINDING, json!({"id": id, "v": 2}))
            .await;
        assert_eq!(d["deleteFinding"], json!({"id": id, "version": 2}));
        assert_eq!(
            app.error_code_as(&bob, DELETE_FINDING, json!({"id": id, "v": 2}))
                .await,
            "NOT_FOUND"
        );
        // A finding that views are filed under cannot be deleted.
        let d = app
            .data_as(
                &bob,
                r#"{ finding(by: {slug: "ai-co-pilot-not-replacement"}) { id version } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            app.error_code_as(
                &bob,
                DELETE_FINDING,
                json!({"id": d["finding"]["id"], "v": d["finding"]["version"]})
            )
            .await,
            "CONFLICT"
        );

        // The editor's feed: create, update, delete, in order, the last a tombstone.
        let feed = r#"query($after: String) { changes(after: $after) {
          edges { node { kind entity objectId slug version visible node { id } } }
          pageInfo { endCursor hasNextPage } totalCount } }"#;
        let d = app.data_as(&alice, feed, json!({})).await;
        let kinds: Vec<(Value, Value, Value)> = d["changes"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| {
                (
                    e["node"]["kind"].clone(),
                    e["node"]["version"].clone(),
                    e["node"]["node"].clone(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (json!("CREATE"), json!(1), Value::Null),
                (json!("UPDATE"), json!(2), Value::Null),
                (json!("DELETE"), json!(2), Value::Null),
            ]
        );
        assert_eq!(d["changes"]["edges"][2]["node"]["objectId"], json!(id));
        // An empty page keeps the reader's place.
        let end = d["changes"]["pageInfo"]["endCursor"].clone();
        let d = app.data_as(&alice, feed, json!({"after": end})).await;
        assert_eq!(d["changes"]["edges"], json!([]));
        assert_eq!(d["changes"]["pageInfo"]["endCursor"], end);
        // The drafts never reached the public feed.
        let d = app.data(feed, json!({})).await;
        assert_eq!(d["changes"]["totalCount"], 0);
        assert_eq!(
            app.error_code(
                r#"{ changes(after: "bm90LWEtY3Vyc29y") { totalCount } }"#,
                json!({})
            )
            .await,
            "BAD_USER_INPUT"
        );
    });
}

const UPSERT_VIEW: &str = r#"mutation($key: ExternalKeyInput!, $input: CreateViewInput!) {
  upsertView(externalKey: $key, input: $input) { outcome view { version externalKey { source id } } }
}"#;

#[tokio::test]
async fn upserts_by_external_key_are_idempotent() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let sync = app.token("acme-sync", "editor").await;
        let key = json!({"source": "acme-crm", "id": "view-0001"});
        let mut input = view_input(&r, "acme-view-0001");
        input["reviewStatus"] = json!("PUBLISHED");
        let vars = json!({"key": key, "input": input});
        let d = app.data_as(&sync, UPSERT_VIEW, vars.clone()).await;
        assert_eq!(
            d["upsertView"],
            json!({"outcome": "CREATED", "view": {"version": 1, "externalKey": {"source": "acme-crm", "id": "view-0001"}}})
        );
        let d = app.data_as(&sync, UPSERT_VIEW, vars.clone()).await;
        assert_eq!(d["upsertView"]["outcome"], "UNCHANGED");
        assert_eq!(d["upsertView"]["view"]["version"], 1);
        let mut changed = vars.clone();
        changed["input"]["stance"] = json!("CONCERN");
        let d = app.data_as(&sync, UPSERT_VIEW, changed).await;
        assert_eq!(d["upsertView"]["outcome"], "UPDATED");
        assert_eq!(d["upsertView"]["view"]["version"], 2);
        assert_eq!(
            app.error_code_as(
                &sync,
                UPSERT_VIEW,
                json!({"key": {"source": "", "id": "x"}, "input": vars["input"]})
            )
            .await,
            "BAD_USER_INPUT"
        );
        // Published through the upsert: readers see it, and the public feed has both changes.
        let d = app
            .data(
                r#"{ participantViews { totalCount } changes { edges { node { kind visible version } } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(d["participantViews"]["totalCount"], 41);
        assert_eq!(
            d["changes"]["edges"],
            json!([
                {"node": {"kind": "CREATE", "visible": true, "version": 1}},
                {"node": {"kind": "UPDATE", "visible": true, "version": 2}}
            ])
        );
    });
}

#[tokio::test]
async fn the_audit_log_shows_who_changed_what() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let alice = app.token("alice", "editor").await;
        let admin = app.token("root", "admin").await;
        let d = app
            .data_as(
                &alice,
                CREATE_VIEW,
                json!({"input": view_input(&r, "audited")}),
            )
            .await;
        let id = d["createView"]["id"].as_str().expect("id").to_string();
        app.data_as(&alice, REVIEW, json!({"id": id, "v": 1})).await;
        let audit = r#"query($actor: String) { auditLog(actor: $actor) {
            nodes { actor kind entity version before after } } }"#;
        let d = app.data_as(&admin, audit, json!({"actor": "alice"})).await;
        let nodes = d["auditLog"]["nodes"].as_array().expect("nodes").clone();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[0]["actor"], "alice");
        assert_eq!(nodes[0]["kind"], "CREATE");
        assert_eq!(nodes[0]["entity"], "ParticipantView");
        assert_eq!(nodes[0]["before"], Value::Null);
        assert_eq!(nodes[0]["after"]["reviewStatus"], "DRAFT");
        assert_eq!(nodes[0]["after"]["slug"], "audited");
        assert_eq!(nodes[1]["before"]["reviewStatus"], "DRAFT");
        assert_eq!(nodes[1]["after"]["reviewStatus"], "IN_REVIEW");
        let d = app.data_as(&admin, audit, json!({"actor": "bob"})).await;
        assert_eq!(d["auditLog"]["nodes"], json!([]));
        // Editors may read the feed but not who made each change.
        assert_eq!(
            app.error_code_as(&alice, audit, json!({})).await,
            "FORBIDDEN"
        );
        assert_eq!(
            app.error_code_as(&alice, "{ changes { nodes { actor } } }", json!({}))
                .await,
            "FORBIDDEN"
        );
    });
}

/// Writers race while a reader follows the feed: the reader ends with every change exactly
/// once, in strictly increasing order.
#[tokio::test]
async fn the_feed_never_skips_or_repeats_under_concurrent_writes() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let token = app.token("loader", "editor").await;
        let app = std::sync::Arc::new(app);
        const WRITERS: usize = 4;
        const EACH: usize = 8;
        let mut writers = Vec::new();
        for w in 0..WRITERS {
            let app = app.clone();
            let token = token.clone();
            let mut input = view_input(&r, "x");
            input["reviewStatus"] = json!("PUBLISHED");
            writers.push(tokio::spawn(async move {
                for i in 0..EACH {
                    let mut input = input.clone();
                    input["slug"] = json!(format!("race-{w}-{i}"));
                    let vars = json!({"key": {"source": "race", "id": format!("{w}-{i}")}, "input": input});
                    app.data_as(&token, UPSERT_VIEW, vars).await;
                }
            }));
        }
        let feed = r#"query($after: String) { changes(after: $after, first: 5) {
            edges { cursor node { sequence slug } } pageInfo { endCursor } } }"#;
        let mut seen: Vec<(i64, String)> = Vec::new();
        let mut cursor = Value::Null;
        let mut done = false;
        loop {
            let all_written = writers.iter().all(|w| w.is_finished());
            let d = app.data(feed, json!({"after": cursor})).await;
            for e in d["changes"]["edges"].as_array().expect("edges") {
                seen.push((
                    e["node"]["sequence"].as_i64().expect("seq"),
                    e["node"]["slug"].as_str().expect("slug").to_string(),
                ));
            }
            let empty = d["changes"]["edges"].as_array().is_some_and(Vec::is_empty);
            cursor = d["changes"]["pageInfo"]["endCursor"].clone();
            if done && empty {
                break;
            }
            done = all_written;
        }
        for w in writers {
            w.await.expect("writer");
        }
        assert_eq!(seen.len(), WRITERS * EACH, "every change once");
        assert!(
            seen.windows(2).all(|p| p[0].0 < p[1].0),
            "strictly increasing"
        );
        let mut slugs: Vec<&String> = seen.iter().map(|(_, s)| s).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), WRITERS * EACH);
    });
}

/// A change-log entry that names no kind of object (written by something other than this
/// service) is a server fault on the field that needs the kind, `INTERNAL`: never read as the
/// ID of some other kind of object. The fields that do not need it still answer.
#[tokio::test]
async fn a_change_of_an_unknown_kind_is_a_fault_not_a_guess() {
    use sea_orm::{ActiveModelTrait, Set};
    on_each_backend!(|app| {
        let editor = app.token("researcher", "editor").await;
        let conn = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        entity::change_log::ActiveModel {
            entity: Set("Gadget".to_string()),
            entity_id: Set(1),
            slug: Set("a-gadget".to_string()),
            kind: Set(entity::enums::ChangeKind::Create),
            version: Set(1),
            visible: Set(false),
            was_visible: Set(false),
            missions: Set(String::new()),
            actor: Set("elsewhere".to_string()),
            changed_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&conn)
        .await
        .expect("insert");
        let d = app
            .data_as(
                &editor,
                "{ changes(first: 5) { edges { node { entity slug } } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            d["changes"]["edges"],
            json!([{"node": {"entity": "Gadget", "slug": "a-gadget"}}])
        );
        let (_, body) = app
            .graphql_as(
                &editor,
                "{ changes(first: 5) { edges { node { slug objectId } } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "INTERNAL",
            "{body}"
        );
        assert_eq!(
            body["errors"][0]["path"],
            json!(["changes", "edges", 0, "node", "objectId"])
        );
    });
}
