//! Writes to every entity type besides findings and views (which `curation` covers; commitments
//! are reviewed too, see `commitments`, but walk here like the others): create,
//! read back through the public queries, update with a version, stale versions, validation
//! paths, upsert idempotence, deletes and refused deletes, on both backends.

use crate::helpers::TestApp;
use crate::on_each_backend;
use serde_json::{json, Value};

/// IDs of seed rows new rows can point at.
struct Refs {
    source: String,
    other_source: String,
    exercise: String,
    ai_cam: String,
    dsit: String,
    finding: String,
}

async fn refs(app: &TestApp) -> Refs {
    let d = app
        .data(
            r#"{
              source: sourceDocument(by: {slug: "ai-cam-2024-10-26"}) { id }
              other: sourceDocument(by: {slug: "connected-by-data-cop-future"}) { id }
              exercise(by: {slug: "ai-cam-public-dialogues-2024"}) { id }
              aiCam: organisation(by: {slug: "ai-cam"}) { id }
              dsit: organisation(by: {slug: "dsit"}) { id }
              finding(by: {slug: "ai-co-pilot-not-replacement"}) { id }
            }"#,
            json!({}),
        )
        .await;
    let s = |k: &str| d[k]["id"].as_str().expect("id").to_string();
    Refs {
        source: s("source"),
        other_source: s("other"),
        exercise: s("exercise"),
        ai_cam: s("aiCam"),
        dsit: s("dsit"),
        finding: s("finding"),
    }
}

/// IDs of the right types that name no row.
const NO_ORGANISATION: &str = "T3JnYW5pc2F0aW9uOjk5OTk";
const NO_EXERCISE: &str = "RXhlcmNpc2U6OTk5OQ";
const NO_FINDING: &str = "RmluZGluZzo5OTk5";
const NO_SOURCE: &str = "U291cmNlRG9jdW1lbnQ6OTk5OQ";

/// One entity type's walk through the write API.
struct Spec<'a> {
    /// The GraphQL type, e.g. `Theme`: mutations are `createTheme`, `updateTheme`...
    ty: &'a str,
    /// The query root field that reads one by slug, e.g. `theme`.
    field: &'a str,
    /// What is read back.
    selection: &'a str,
    /// A valid create input.
    input: Value,
    /// What `selection` reads after the create.
    created: Value,
    /// An update (without `id` and `expectedVersion`) and what `selection` reads after it.
    patch: Value,
    updated: Value,
    /// Changes to `input` that make it invalid, with the field path the error names.
    invalid: Vec<(Value, &'a str)>,
}

fn merged(base: &Value, patch: &Value) -> Value {
    let mut v = base.clone();
    for (k, x) in patch.as_object().expect("object") {
        v[k] = x.clone();
    }
    v
}

/// The code and field path of the first error.
fn code_and_field(body: &Value) -> (String, String) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        s(&body["errors"][0]["extensions"]["code"]),
        s(&body["errors"][0]["extensions"]["field"]),
    )
}

async fn read(app: &TestApp, spec: &Spec<'_>, slug: &str) -> Value {
    let q = format!(
        "query($slug: String!) {{ {}(by: {{slug: $slug}}) {{ {} }} }}",
        spec.field, spec.selection
    );
    app.data(&q, json!({"slug": slug})).await[spec.field].clone()
}

/// Runs the shared walk; returns the created object's ID (left at version 2).
async fn walk(app: &TestApp, editor: &str, spec: &Spec<'_>) -> String {
    let ty = spec.ty;
    let result = {
        let mut c = ty.chars();
        let first = c.next().expect("type name");
        format!("{}{}", first.to_ascii_lowercase(), c.as_str())
    };
    let create = format!(
        "mutation($input: Create{ty}Input!) {{ create{ty}(input: $input) {{ id version }} }}"
    );
    let update = format!(
        "mutation($input: Update{ty}Input!) {{ update{ty}(input: $input) {{ id version }} }}"
    );
    let upsert = format!(
        "mutation($key: ExternalKeyInput!, $input: Create{ty}Input!) {{ upsert{ty}(externalKey: $key, input: $input) {{ outcome {result} {{ id version slug }} }} }}"
    );
    let delete = format!(
        "mutation($id: ID!, $v: Int!) {{ delete{ty}(id: $id, expectedVersion: $v) {{ id version }} }}"
    );
    let slug = spec.input["slug"].as_str().expect("slug").to_string();

    // Create, then read back exactly what was written, as any reader.
    let d = app
        .data_as(editor, &create, json!({"input": spec.input}))
        .await;
    let id = d[format!("create{ty}")]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(d[format!("create{ty}")]["version"], 1, "{ty}");
    assert_eq!(read(app, spec, &slug).await, spec.created, "{ty} created");

    // Update at the version read; then the same update again is stale.
    let mut change = merged(&spec.patch, &json!({"id": id, "expectedVersion": 1}));
    let d = app.data_as(editor, &update, json!({"input": change})).await;
    assert_eq!(d[format!("update{ty}")]["version"], 2, "{ty}");
    assert_eq!(read(app, spec, &slug).await, spec.updated, "{ty} updated");
    assert_eq!(
        app.error_code_as(editor, &update, json!({"input": change}))
            .await,
        "CONFLICT",
        "{ty} stale update"
    );
    // Sending the values it already holds changes nothing, not even the version.
    change["expectedVersion"] = json!(2);
    let d = app.data_as(editor, &update, json!({"input": change})).await;
    assert_eq!(d[format!("update{ty}")]["version"], 2, "{ty}");

    // Invalid input names its field and writes nothing.
    for (patch, field) in &spec.invalid {
        let input = merged(
            &merged(&spec.input, &json!({"slug": "never-written"})),
            patch,
        );
        let (_, body) = app
            .graphql_as(editor, &create, json!({"input": input}))
            .await;
        assert_eq!(
            code_and_field(&body),
            ("BAD_USER_INPUT".to_string(), field.to_string()),
            "{ty} {patch}: {body}"
        );
    }
    assert_eq!(
        app.error_code(
            &format!(
                "{{ {}(by: {{slug: \"never-written\"}}) {{ slug }} }}",
                spec.field
            ),
            json!({})
        )
        .await,
        "NOT_FOUND",
        "{ty}"
    );

    // Upserting the same values twice: created, then unchanged.
    let ext = merged(&spec.input, &json!({"slug": format!("{slug}-ext")}));
    let key = json!({"source": "acme-crm", "id": format!("{ty}-1")});
    let first = app
        .data_as(editor, &upsert, json!({"key": key, "input": ext}))
        .await[format!("upsert{ty}")]
    .clone();
    assert_eq!(first["outcome"], "CREATED", "{ty}");
    assert_eq!(first[&result]["version"], 1, "{ty}");
    let again = app
        .data_as(editor, &upsert, json!({"key": key, "input": ext}))
        .await[format!("upsert{ty}")]
    .clone();
    assert_eq!(
        again,
        json!({"outcome": "UNCHANGED", result.clone(): first[&result]}),
        "{ty}"
    );

    // Deleting: a stale version is refused, the current one leaves a tombstone.
    let ext_id = first[&result]["id"].as_str().expect("id").to_string();
    let d = app
        .data_as(editor, &delete, json!({"id": id, "v": 2}))
        .await;
    assert_eq!(d[format!("delete{ty}")], json!({"id": id, "version": 2}));
    assert_eq!(
        app.error_code_as(editor, &delete, json!({"id": ext_id, "v": 2}))
            .await,
        "CONFLICT",
        "{ty} stale delete"
    );
    // Recreate the first object so the caller can go on using it.
    let d = app
        .data_as(editor, &create, json!({"input": spec.input}))
        .await;
    let id = d[format!("create{ty}")]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let d = app
        .data_as(
            editor,
            &update,
            json!({"input": merged(&spec.patch, &json!({"id": id, "expectedVersion": 1}))}),
        )
        .await;
    assert_eq!(d[format!("update{ty}")]["version"], 2, "{ty}");
    id
}

/// Deleting the seed row `slug` is refused while rows depend on it, and leaves it in place.
async fn refused_delete(app: &TestApp, editor: &str, ty: &str, field: &str, slug: &str) {
    let q = format!("{{ {field}(by: {{slug: \"{slug}\"}}) {{ id version }} }}");
    let before = app.data(&q, json!({})).await[field].clone();
    let delete = format!(
        "mutation($id: ID!, $v: Int!) {{ delete{ty}(id: $id, expectedVersion: $v) {{ id }} }}"
    );
    assert_eq!(
        app.error_code_as(
            editor,
            &delete,
            json!({"id": before["id"], "v": before["version"]})
        )
        .await,
        "CONFLICT",
        "{ty} {slug}"
    );
    assert_eq!(app.data(&q, json!({})).await[field], before);
}

async fn delete_as(app: &TestApp, editor: &str, ty: &str, id: &str, v: i64) -> String {
    let delete = format!(
        "mutation($id: ID!, $v: Int!) {{ delete{ty}(id: $id, expectedVersion: $v) {{ id }} }}"
    );
    let (_, body) = app
        .graphql_as(editor, &delete, json!({"id": id, "v": v}))
        .await;
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("OK")
        .to_string()
}

#[tokio::test]
async fn source_documents() {
    on_each_backend!(|app| {
        let editor = app.token("researcher", "editor").await;
        let input = json!({
            "slug": "nhs-ai-survey-2025",
            "fileName": "nhs-ai-survey.pdf",
            "title": "Public attitudes to AI in the NHS",
            "publisher": "NHS England",
            "publishedOn": "2025-03",
            "url": "https://example.org/nhs-ai-survey.pdf"
        });
        let created = merged(&input, &json!({"version": 1, "externalKey": null}));
        let spec = Spec {
            ty: "SourceDocument",
            field: "sourceDocument",
            selection:
                "slug fileName title publisher publishedOn url version externalKey { source id }",
            input: input.clone(),
            created,
            patch: json!({"title": "Public attitudes to AI in the NHS, 2025", "url": null}),
            updated: merged(
                &input,
                &json!({"title": "Public attitudes to AI in the NHS, 2025", "url": null, "version": 2, "externalKey": null}),
            ),
            invalid: vec![
                (json!({"publishedOn": "March 2025"}), "input.publishedOn"),
                (json!({"url": "ftp://example.org/x"}), "input.url"),
                (json!({"title": " "}), "input.title"),
                (json!({"fileName": "x".repeat(301)}), "input.fileName"),
            ],
        };
        let id = walk(&app, &editor, &spec).await;
        // The upserted copy carries its external key.
        let d = app
            .data(
                r#"{ sourceDocument(by: {slug: "nhs-ai-survey-2025-ext"}) { externalKey { source id } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            d["sourceDocument"]["externalKey"],
            json!({"source": "acme-crm", "id": "SourceDocument-1"})
        );
        // Cited documents stay; an uncited one goes.
        refused_delete(
            &app,
            &editor,
            "SourceDocument",
            "sourceDocument",
            "ai-cam-2024-10-26",
        )
        .await;
        assert_eq!(
            delete_as(&app, &editor, "SourceDocument", &id, 2).await,
            "OK"
        );
    });
}

#[tokio::test]
async fn themes() {
    on_each_backend!(|app| {
        let editor = app.token("researcher", "editor").await;
        let input = json!({
            "slug": "environmental-cost",
            "label": "Environmental cost",
            "definition": "The energy and water AI systems use."
        });
        let spec = Spec {
            ty: "Theme",
            field: "theme",
            selection: "slug label definition version",
            input: input.clone(),
            created: merged(&input, &json!({"version": 1})),
            patch: json!({"label": "Environmental costs"}),
            updated: merged(
                &input,
                &json!({"label": "Environmental costs", "version": 2}),
            ),
            invalid: vec![
                (json!({"slug": "Environmental Cost"}), "input.slug"),
                (json!({"definition": ""}), "input.definition"),
                (json!({"label": "x".repeat(201)}), "input.label"),
            ],
        };
        let id = walk(&app, &editor, &spec).await;
        // A slug already taken is a conflict, not bad input.
        assert_eq!(
            app.error_code_as(
                &editor,
                "mutation($input: CreateThemeInput!) { createTheme(input: $input) { id } }",
                json!({"input": merged(&input, &json!({"slug": "privacy"}))}),
            )
            .await,
            "CONFLICT"
        );
        refused_delete(&app, &editor, "Theme", "theme", "privacy").await;
        assert_eq!(delete_as(&app, &editor, "Theme", &id, 2).await, "OK");
    });
}

#[tokio::test]
async fn organisations() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        let input = json!({
            "slug": "leeds-civic-trust",
            "name": "Leeds Civic Trust",
            "kind": "CHARITY",
            "website": "https://leedscivictrust.org.uk",
            "description": "A civic society for Leeds.",
            "sourceId": r.source,
            "locator": "test fixture"
        });
        let selection =
            "slug name kind website description provenance { source { slug } locator } version";
        let shown = |v: Value| {
            json!({
                "slug": "leeds-civic-trust",
                "name": "Leeds Civic Trust",
                "kind": "CHARITY",
                "website": v["website"],
                "description": v["description"],
                "provenance": {"source": {"slug": v["source"]}, "locator": "test fixture"},
                "version": v["version"]
            })
        };
        let spec = Spec {
            ty: "Organisation",
            field: "organisation",
            selection,
            input,
            created: shown(json!({
                "website": "https://leedscivictrust.org.uk",
                "description": "A civic society for Leeds.",
                "source": "ai-cam-2024-10-26",
                "version": 1
            })),
            patch: json!({"description": null, "sourceId": r.other_source}),
            updated: shown(json!({
                "website": "https://leedscivictrust.org.uk",
                "description": null,
                "source": "connected-by-data-cop-future",
                "version": 2
            })),
            invalid: vec![
                (json!({"website": "www.example.org"}), "input.website"),
                (json!({"sourceId": NO_SOURCE}), "input.sourceId"),
                (json!({"sourceId": r.exercise}), "input.sourceId"),
                (json!({"locator": ""}), "input.locator"),
            ],
        };
        let id = walk(&app, &editor, &spec).await;
        refused_delete(&app, &editor, "Organisation", "organisation", "ai-cam").await;
        assert_eq!(delete_as(&app, &editor, "Organisation", &id, 2).await, "OK");
    });
}

const EXERCISE_SELECTION: &str = "slug title kind method summary startDate endDate places \
    participantCount sessionCount status partOf { slug } missions \
    involvements { role organisation { slug } } provenance { source { slug } locator } version";

fn exercise_input(r: &Refs, slug: &str) -> Value {
    json!({
        "slug": slug,
        "title": "Leeds citizens' jury on AI in social care",
        "kind": "CITIZENS_JURY",
        "method": "Five evenings of deliberation",
        "summary": "A jury of 20 Leeds residents weighed up AI in adult social care.",
        "startDate": "2025-02-03",
        "endDate": "2025-03",
        "places": [" Leeds ", "Bradford"],
        "participantCount": 20,
        "sessionCount": 5,
        "status": "COMPLETED",
        "partOfId": r.exercise,
        "missions": ["HEALTH"],
        "organisations": [
            {"organisationId": r.ai_cam, "role": "ORGANISER"},
            {"organisationId": r.dsit, "role": "FUNDER"}
        ],
        "sourceId": r.source,
        "locator": "test fixture"
    })
}

#[tokio::test]
async fn exercises() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        let input = exercise_input(&r, "leeds-jury");
        let created = json!({
            "slug": "leeds-jury",
            "title": "Leeds citizens' jury on AI in social care",
            "kind": "CITIZENS_JURY",
            "method": "Five evenings of deliberation",
            "summary": "A jury of 20 Leeds residents weighed up AI in adult social care.",
            "startDate": "2025-02-03",
            "endDate": "2025-03",
            "places": ["Leeds", "Bradford"],
            "participantCount": 20,
            "sessionCount": 5,
            "status": "COMPLETED",
            "partOf": {"slug": "ai-cam-public-dialogues-2024"},
            "missions": ["HEALTH"],
            "involvements": [
                {"role": "ORGANISER", "organisation": {"slug": "ai-cam"}},
                {"role": "FUNDER", "organisation": {"slug": "dsit"}}
            ],
            "provenance": {"source": {"slug": "ai-cam-2024-10-26"}, "locator": "test fixture"},
            "version": 1
        });
        let updated = merged(
            &created,
            &json!({
                "method": null,
                "places": ["York"],
                "participantCount": null,
                "partOf": null,
                "missions": ["HEALTH", "ECONOMIC_GROWTH"],
                "involvements": [{"role": "PARTNER", "organisation": {"slug": "dsit"}}],
                "version": 2
            }),
        );
        let spec = Spec {
            ty: "Exercise",
            field: "exercise",
            selection: EXERCISE_SELECTION,
            input: input.clone(),
            created,
            patch: json!({
                "method": null,
                "places": ["York"],
                "participantCount": null,
                "partOfId": null,
                "missions": ["ECONOMIC_GROWTH", "HEALTH"],
                "organisations": [{"organisationId": r.dsit, "role": "PARTNER"}]
            }),
            updated,
            invalid: vec![
                (json!({"endDate": "2025-01"}), "input.endDate"),
                (json!({"startDate": "2025-13"}), "input.startDate"),
                (json!({"places": ["Leeds", " "]}), "input.places[1]"),
                (json!({"places": ["Leeds", "LEEDS"]}), "input.places[1]"),
                (json!({"sessionCount": -1}), "input.sessionCount"),
                (json!({"partOfId": NO_EXERCISE}), "input.partOfId"),
                (
                    json!({"missions": ["HEALTH", "HEALTH"]}),
                    "input.missions[1]",
                ),
                (
                    json!({"organisations": [
                        {"organisationId": r.ai_cam, "role": "ORGANISER"},
                        {"organisationId": NO_ORGANISATION, "role": "FUNDER"}
                    ]}),
                    "input.organisations[1].organisationId",
                ),
                (
                    json!({"organisations": [
                        {"organisationId": r.ai_cam, "role": "ORGANISER"},
                        {"organisationId": r.source, "role": "FUNDER"}
                    ]}),
                    "input.organisations[1].organisationId",
                ),
                (
                    json!({"organisations": [
                        {"organisationId": r.ai_cam, "role": "ORGANISER"},
                        {"organisationId": r.ai_cam, "role": "ORGANISER"}
                    ]}),
                    "input.organisations[1]",
                ),
            ],
        };
        let id = walk(&app, &editor, &spec).await;

        // An end date at a coarser precision may share the start's year or month.
        let mut coarse = exercise_input(&r, "coarse-dates");
        coarse["startDate"] = json!("2025-02-03");
        coarse["endDate"] = json!("2025");
        app.data_as(
            &editor,
            "mutation($input: CreateExerciseInput!) { createExercise(input: $input) { id } }",
            json!({"input": coarse}),
        )
        .await;

        // Deleting an exercise with rows under it is refused; seed ones and a new one with parts.
        refused_delete(
            &app,
            &editor,
            "Exercise",
            "exercise",
            "ai-cam-public-dialogues-2024",
        )
        .await;
        let d = app
            .data_as(
                &editor,
                "mutation($input: CreateExerciseInput!) { createExercise(input: $input) { id } }",
                json!({"input": merged(&exercise_input(&r, "leeds-jury-evening-1"), &json!({"partOfId": id}))}),
            )
            .await;
        let part = d["createExercise"]["id"].as_str().expect("id").to_string();
        refused_delete(&app, &editor, "Exercise", "exercise", "leeds-jury").await;

        // No cycles: an exercise can be part of neither itself nor one of its parts.
        let update =
            "mutation($input: UpdateExerciseInput!) { updateExercise(input: $input) { version } }";
        for parent in [&id, &part] {
            let (_, body) = app
                .graphql_as(
                    &editor,
                    update,
                    json!({"input": {"id": id, "expectedVersion": 2, "partOfId": parent}}),
                )
                .await;
            assert_eq!(
                code_and_field(&body),
                ("BAD_USER_INPUT".to_string(), "input.partOfId".to_string())
            );
        }
        assert_eq!(delete_as(&app, &editor, "Exercise", &part, 1).await, "OK");
        assert_eq!(delete_as(&app, &editor, "Exercise", &id, 2).await, "OK");
    });
}

#[tokio::test]
async fn exercise_places_written_by_mutations_are_found_by_the_place_filter() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        let by_place = |place: &'static str| {
            let app = &app;
            async move {
                let d = app
                    .data(
                        "query($p: [String!]) { exercises(filter: { places: $p }) { nodes { slug } } }",
                        json!({"p": [place]}),
                    )
                    .await;
                let mut slugs = d["exercises"]["nodes"]
                    .as_array()
                    .expect("nodes")
                    .iter()
                    .map(|n| n["slug"].as_str().unwrap_or_default().to_string())
                    .collect::<Vec<_>>();
                slugs.sort();
                slugs
            }
        };
        let d = app
            .data_as(
                &editor,
                "mutation($input: CreateExerciseInput!) { createExercise(input: $input) { id places } }",
                json!({"input": exercise_input(&r, "leeds-jury")}),
            )
            .await;
        assert_eq!(d["createExercise"]["places"], json!(["Leeds", "Bradford"]));
        let id = d["createExercise"]["id"].as_str().expect("id").to_string();
        assert_eq!(by_place("leeds").await, vec!["leeds-jury"]);
        // The search index follows the write too.
        let search = r#"{ search(query: "jury adult social care") { totalCount } }"#;
        assert_eq!(app.data(search, json!({})).await["search"]["totalCount"], 1);
        assert_eq!(by_place("BRADFORD").await, vec!["leeds-jury"]);

        app.data_as(
            &editor,
            "mutation($input: UpdateExerciseInput!) { updateExercise(input: $input) { version } }",
            json!({"input": {"id": id, "expectedVersion": 1, "places": ["Cambridge", "York"]}}),
        )
        .await;
        assert!(by_place("Leeds").await.is_empty());
        assert_eq!(by_place("york").await, vec!["leeds-jury"]);
        assert_eq!(
            by_place("cambridge").await,
            vec!["ai-cam-public-dialogues-2024", "leeds-jury"]
        );

        // A deleted exercise leaves nothing behind in the index.
        assert_eq!(delete_as(&app, &editor, "Exercise", &id, 2).await, "OK");
        assert!(by_place("York").await.is_empty());
        assert_eq!(app.data(search, json!({})).await["search"]["totalCount"], 0);
    });
}

#[tokio::test]
async fn sessions() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        let input = json!({
            "slug": "ai-cam-dialogue-leeds",
            "exerciseId": r.exercise,
            "title": "Public dialogue session in Leeds",
            "sequence": 3,
            "date": "2024-09-21",
            "place": "Leeds",
            "format": "IN_PERSON",
            "sourceId": r.source,
            "locator": "test fixture"
        });
        let created = json!({
            "slug": "ai-cam-dialogue-leeds",
            "exercise": {"slug": "ai-cam-public-dialogues-2024"},
            "title": "Public dialogue session in Leeds",
            "sequence": 3,
            "date": "2024-09-21",
            "place": "Leeds",
            "format": "IN_PERSON",
            "provenance": {"source": {"slug": "ai-cam-2024-10-26"}, "locator": "test fixture"},
            "version": 1
        });
        let spec = Spec {
            ty: "Session",
            field: "session",
            selection: "slug exercise { slug } title sequence date place format provenance { source { slug } locator } version",
            input,
            created: created.clone(),
            patch: json!({"format": "HYBRID", "sequence": null, "place": null}),
            updated: merged(
                &created,
                &json!({"format": "HYBRID", "sequence": null, "place": null, "version": 2}),
            ),
            invalid: vec![
                (json!({"exerciseId": NO_EXERCISE}), "input.exerciseId"),
                (json!({"sequence": -1}), "input.sequence"),
                (json!({"date": "2024-02-30"}), "input.date"),
                (json!({"place": "x".repeat(201)}), "input.place"),
            ],
        };
        let id = walk(&app, &editor, &spec).await;

        // A view filed under the session keeps it.
        let view = app
            .data_as(
                &editor,
                "mutation($input: CreateViewInput!) { createView(input: $input) { id } }",
                json!({"input": {
                    "slug": "leeds-view",
                    "exerciseId": r.exercise,
                    "sessionId": id,
                    "text": "Tell me when a machine decides.",
                    "stance": "CONDITION",
                    "sourceId": r.source,
                    "locator": "test fixture"
                }}),
            )
            .await["createView"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        refused_delete(&app, &editor, "Session", "session", "ai-cam-dialogue-leeds").await;
        // Nor can it move to another exercise while the view is filed under it.
        let other = app
            .data(
                r#"{ exercise(by: {slug: "data-ai-public-engagement-cop"}) { id } }"#,
                json!({}),
            )
            .await["exercise"]["id"]
            .clone();
        let (_, body) = app
            .graphql_as(
                &editor,
                "mutation($input: UpdateSessionInput!) { updateSession(input: $input) { version } }",
                json!({"input": {"id": id, "expectedVersion": 2, "exerciseId": other}}),
            )
            .await;
        assert_eq!(
            code_and_field(&body),
            ("BAD_USER_INPUT".to_string(), "input.exerciseId".to_string())
        );
        assert_eq!(delete_view(&app, &editor, &view).await, "OK");
        assert_eq!(delete_as(&app, &editor, "Session", &id, 2).await, "OK");
    });
}

/// Deletes a participant view (its mutation is `deleteView`).
async fn delete_view(app: &TestApp, editor: &str, id: &str) -> String {
    let (_, body) = app
        .graphql_as(
            editor,
            "mutation($id: ID!) { deleteView(id: $id, expectedVersion: 1) { id } }",
            json!({"id": id}),
        )
        .await;
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("OK")
        .to_string()
}

#[tokio::test]
async fn metrics() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        let input = json!({
            "slug": "ai-cam-share-supportive",
            "exerciseId": r.exercise,
            "label": "Participants supportive of AI in public services",
            "value": 62.5,
            "unit": "%",
            "base": 48,
            "sourceId": r.source,
            "locator": "test fixture"
        });
        let created = json!({
            "slug": "ai-cam-share-supportive",
            "exercise": {"slug": "ai-cam-public-dialogues-2024"},
            "label": "Participants supportive of AI in public services",
            "value": 62.5,
            "unit": "%",
            "base": 48,
            "provenance": {"source": {"slug": "ai-cam-2024-10-26"}, "locator": "test fixture"},
            "version": 1
        });
        let spec = Spec {
            ty: "Metric",
            field: "metric",
            selection: "slug exercise { slug } label value unit base provenance { source { slug } locator } version",
            input,
            created: created.clone(),
            patch: json!({"value": 0.25, "unit": "share", "base": null}),
            updated: merged(
                &created,
                &json!({"value": 0.25, "unit": "share", "base": null, "version": 2}),
            ),
            invalid: vec![
                (json!({"base": -3}), "input.base"),
                (json!({"unit": ""}), "input.unit"),
                (json!({"exerciseId": NO_EXERCISE}), "input.exerciseId"),
                (json!({"label": "x".repeat(301)}), "input.label"),
            ],
        };
        let id = walk(&app, &editor, &spec).await;
        // Nothing depends on a metric.
        assert_eq!(delete_as(&app, &editor, "Metric", &id, 2).await, "OK");
    });
}

const RESOURCE_SELECTION: &str = "slug title kind url publishedOn publisher { slug } \
    exercises { nodes { slug } } findings { nodes { slug } } \
    provenance { source { slug } locator } version";

#[tokio::test]
async fn resources() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        let input = json!({
            "slug": "ai-cam-dialogue-briefing",
            "title": "Briefing: the public on AI in public services",
            "kind": "REPORT",
            "url": "https://example.org/briefing.pdf",
            "publisherId": r.ai_cam,
            "publishedOn": "2024-11",
            "exerciseIds": [r.exercise],
            "findingIds": [r.finding],
            "sourceId": r.source,
            "locator": "test fixture"
        });
        let created = json!({
            "slug": "ai-cam-dialogue-briefing",
            "title": "Briefing: the public on AI in public services",
            "kind": "REPORT",
            "url": "https://example.org/briefing.pdf",
            "publishedOn": "2024-11",
            "publisher": {"slug": "ai-cam"},
            "exercises": {"nodes": [{"slug": "ai-cam-public-dialogues-2024"}]},
            "findings": {"nodes": [{"slug": "ai-co-pilot-not-replacement"}]},
            "provenance": {"source": {"slug": "ai-cam-2024-10-26"}, "locator": "test fixture"},
            "version": 1
        });
        let spec = Spec {
            ty: "Resource",
            field: "resource",
            selection: RESOURCE_SELECTION,
            input,
            created: created.clone(),
            patch: json!({"publisherId": null, "url": null, "exerciseIds": []}),
            updated: merged(
                &created,
                &json!({"publisher": null, "url": null, "exercises": {"nodes": []}, "version": 2}),
            ),
            invalid: vec![
                (json!({"url": "not a url"}), "input.url"),
                (json!({"publisherId": NO_ORGANISATION}), "input.publisherId"),
                (json!({"publishedOn": "2024-11-31"}), "input.publishedOn"),
                (
                    json!({"findingIds": [r.finding, NO_FINDING]}),
                    "input.findingIds[1]",
                ),
                (
                    json!({"exerciseIds": [r.exercise, r.exercise]}),
                    "input.exerciseIds[1]",
                ),
                (json!({"exerciseIds": [r.finding]}), "input.exerciseIds[0]"),
            ],
        };
        let id = walk(&app, &editor, &spec).await;
        // Nothing depends on a resource; its links go with it.
        assert_eq!(delete_as(&app, &editor, "Resource", &id, 2).await, "OK");
    });
}

const COMMITMENT_SELECTION: &str = "slug title statement statedOn status reviewStatus \
    organisation { slug } exercises { nodes { slug } } findings { nodes { slug } } \
    provenance { source { slug } locator } version";

#[tokio::test]
async fn commitments() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        // Published from the start, so the walk can read it back as any reader.
        let input = json!({
            "slug": "ai-cam-policy-lab-session",
            "title": "Hold a Policy Lab session on the dialogue",
            "statement": "test fixture",
            "organisationId": r.ai_cam,
            "statedOn": "2024-11",
            "status": "IN_PROGRESS",
            "exerciseIds": [r.exercise],
            "findingIds": [r.finding],
            "sourceId": r.source,
            "locator": "test fixture",
            "reviewStatus": "PUBLISHED"
        });
        let created = json!({
            "slug": "ai-cam-policy-lab-session",
            "title": "Hold a Policy Lab session on the dialogue",
            "statement": "test fixture",
            "statedOn": "2024-11",
            "status": "IN_PROGRESS",
            "reviewStatus": "PUBLISHED",
            "organisation": {"slug": "ai-cam"},
            "exercises": {"nodes": [{"slug": "ai-cam-public-dialogues-2024"}]},
            "findings": {"nodes": [{"slug": "ai-co-pilot-not-replacement"}]},
            "provenance": {"source": {"slug": "ai-cam-2024-10-26"}, "locator": "test fixture"},
            "version": 1
        });
        let spec = Spec {
            ty: "Commitment",
            field: "commitment",
            selection: COMMITMENT_SELECTION,
            input,
            created: created.clone(),
            patch: json!({"status": "DROPPED", "statedOn": null, "organisationId": r.dsit,
                          "findingIds": []}),
            updated: merged(
                &created,
                &json!({"status": "DROPPED", "statedOn": null, "organisation": {"slug": "dsit"},
                        "findings": {"nodes": []}, "version": 2}),
            ),
            invalid: vec![
                (
                    json!({"organisationId": NO_ORGANISATION}),
                    "input.organisationId",
                ),
                (json!({"statedOn": "2024-11-31"}), "input.statedOn"),
                (
                    json!({"findingIds": [r.finding, NO_FINDING]}),
                    "input.findingIds[1]",
                ),
                (
                    json!({"exerciseIds": [NO_EXERCISE]}),
                    "input.exerciseIds[0]",
                ),
                (json!({"sourceId": NO_SOURCE}), "input.sourceId"),
                (json!({"title": "x".repeat(301)}), "input.title"),
            ],
        };
        let id = walk(&app, &editor, &spec).await;
        // The organisation that made a commitment cannot be deleted while it stands, and the
        // refusal says why.
        refused_delete(&app, &editor, "Organisation", "organisation", "dsit").await;
        let dsit = app
            .data(
                "{ organisation(by: {slug: \"dsit\"}) { id version } }",
                json!({}),
            )
            .await["organisation"]
            .clone();
        let (_, body) = app
            .graphql_as(
                &editor,
                "mutation($id: ID!, $v: Int!) { deleteOrganisation(id: $id, expectedVersion: $v) { id } }",
                json!({"id": dsit["id"], "v": dsit["version"]}),
            )
            .await;
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("1 commitment(s)"), "{body}");
        // Nothing depends on a commitment; its links go with it.
        assert_eq!(delete_as(&app, &editor, "Commitment", &id, 2).await, "OK");
    });
}

#[tokio::test]
async fn a_report_linked_to_findings_is_listed_under_them() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        let listed = r#"{ finding(by: {slug: "ai-co-pilot-not-replacement"}) { resources(first: 50) { nodes { slug } } } }"#;
        let slugs = |d: Value| {
            d["finding"]["resources"]["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| n["slug"].as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        };
        let before = slugs(app.data(listed, json!({})).await);
        assert!(!before.contains(&"leeds-report".to_string()));

        let d = app
            .data_as(
                &editor,
                "mutation($input: CreateResourceInput!) { createResource(input: $input) { id } }",
                json!({"input": {
                    "slug": "leeds-report",
                    "title": "What Leeds said",
                    "kind": "REPORT",
                    "sourceId": r.source,
                    "locator": "test fixture"
                }}),
            )
            .await;
        let id = d["createResource"]["id"].as_str().expect("id").to_string();
        assert_eq!(slugs(app.data(listed, json!({})).await), before);

        // Linking the report to the finding is an update of the resource.
        let update = "mutation($input: UpdateResourceInput!) { updateResource(input: $input) { version findings { nodes { slug } } } }";
        let d = app
            .data_as(
                &editor,
                update,
                json!({"input": {"id": id, "expectedVersion": 1, "findingIds": [r.finding]}}),
            )
            .await;
        assert_eq!(
            d["updateResource"],
            json!({"version": 2, "findings": {"nodes": [{"slug": "ai-co-pilot-not-replacement"}]}})
        );
        let after = slugs(app.data(listed, json!({})).await);
        assert_eq!(after.len(), before.len() + 1);
        assert!(after.contains(&"leeds-report".to_string()));

        // Unlinking takes it off again.
        app.data_as(
            &editor,
            update,
            json!({"input": {"id": id, "expectedVersion": 2, "findingIds": []}}),
        )
        .await;
        assert_eq!(slugs(app.data(listed, json!({})).await), before);
    });
}

#[tokio::test]
async fn writes_reach_the_change_feed_and_the_audit_log() {
    on_each_backend!(|app| {
        let r = refs(&app).await;
        let editor = app.token("researcher", "editor").await;
        let admin = app.token("root", "admin").await;
        let d = app
            .data_as(
                &editor,
                "mutation($input: CreateExerciseInput!) { createExercise(input: $input) { id } }",
                json!({"input": exercise_input(&r, "leeds-jury")}),
            )
            .await;
        let id = d["createExercise"]["id"].as_str().expect("id").to_string();
        app.data_as(
            &editor,
            "mutation($input: UpdateExerciseInput!) { updateExercise(input: $input) { version } }",
            json!({"input": {"id": id, "expectedVersion": 1, "title": "Leeds jury"}}),
        )
        .await;
        assert_eq!(delete_as(&app, &editor, "Exercise", &id, 2).await, "OK");

        // Exercises are always visible, so readers see every change, the tombstone included.
        let d = app
            .data(
                "{ changes(entities: [EXERCISE]) { nodes { kind entity objectId slug version visible } } }",
                json!({}),
            )
            .await;
        let event = |kind: &str, version: i64, visible: bool| {
            json!({"kind": kind, "entity": "Exercise", "objectId": id, "slug": "leeds-jury",
                   "version": version, "visible": visible})
        };
        assert_eq!(
            d["changes"]["nodes"],
            json!([
                event("CREATE", 1, true),
                event("UPDATE", 2, true),
                event("DELETE", 2, false)
            ])
        );

        // The audit log keeps the exercise's places and missions as written.
        let d = app
            .data_as(
                &admin,
                "{ auditLog(entities: [EXERCISE]) { nodes { actor before after } } }",
                json!({}),
            )
            .await;
        let nodes = d["auditLog"]["nodes"].as_array().expect("nodes").clone();
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes[0]["actor"], "researcher");
        assert_eq!(nodes[0]["before"], Value::Null);
        assert_eq!(nodes[0]["after"]["places"], json!(["Leeds", "Bradford"]));
        assert_eq!(nodes[0]["after"]["missions"], json!(["HEALTH"]));
        assert_eq!(
            nodes[1]["before"]["title"],
            json!("Leeds citizens' jury on AI in social care")
        );
        assert_eq!(nodes[1]["after"]["title"], json!("Leeds jury"));
        assert_eq!(nodes[2]["after"], Value::Null);
    });
}
