//! The read engine answers exactly as SQL does.
//!
//! A seeded random walk writes through the real API (creates, updates, retags, deletes, review
//! steps, exercise dates, places and organisations, bundle imports) on a server whose reads use
//! the engine; after every few writes, random filters (every `ViewFilter` field, valid and not)
//! are read from it and from a second server on the same database with the engine turned off:
//! every page of every order (forwards and backwards, with cursors, `pageInfo` and `totalCount`)
//! and every evidence-map cell must be identical, for readers and for editors. Each total is
//! also checked against the database's rows, read with plain SQL and filtered in the test.
//!
//! And on PostgreSQL, two replicas with engines converge after writes on either.

use crate::helpers::{post, Backend, TestApp};
use crate::on_each_backend;
use api::server::Application;
use api::settings::Settings;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// A small deterministic generator (xorshift64*), so a failure can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn some<T: Clone>(&mut self, items: &[T], most: usize) -> Vec<T> {
        let n = 1 + self.below(most);
        let mut out: Vec<T> = Vec::new();
        let mut used = BTreeSet::new();
        for _ in 0..n {
            let i = self.below(items.len());
            if used.insert(i) {
                out.push(items[i].clone());
            }
        }
        out
    }
}

const STANCES: [&str; 5] = ["HOPE", "CONCERN", "CONDITION", "SUGGESTION", "NEUTRAL"];
const MISSIONS: [&str; 5] = [
    "HEALTH",
    "EDUCATION",
    "CRIME_AND_POLICING",
    "ENERGY_AND_NET_ZERO",
    "ECONOMIC_GROWTH",
];
const ORDERS: [&str; 5] = [
    "OLDEST_FIRST",
    "NEWEST_FIRST",
    "DATE_EARLIEST_FIRST",
    "DATE_LATEST_FIRST",
    "RECENTLY_UPDATED",
];
const DIMENSIONS: [&str; 4] = ["MISSION", "THEME", "STANCE", "EXERCISE"];
const FINDING_DIMENSIONS: [&str; 4] = ["MISSION", "THEME", "KIND", "EXERCISE"];
const KINDS: [&str; 7] = [
    "PRINCIPLE",
    "HOPE",
    "CONCERN",
    "CONDITION",
    "RECOMMENDATION",
    "OBSERVATION",
    "REFLECTION",
];
const FINDING_ORDERS: [&str; 7] = [
    "OLDEST_FIRST",
    "NEWEST_FIRST",
    "DATE_EARLIEST_FIRST",
    "DATE_LATEST_FIRST",
    "TITLE_A_TO_Z",
    "TITLE_Z_TO_A",
    "RECENTLY_UPDATED",
];
const DATES: [Option<&str>; 6] = [
    None,
    Some("2023"),
    Some("2024"),
    Some("2024-03"),
    Some("2024-03-05"),
    Some("2025-11-30"),
];
const PLACES: [&str; 4] = ["Leeds", "Cambridge", "Online", "Liverpool"];

/// The corpus's references, as the API names them.
struct Vocabulary {
    exercises: Vec<String>,
    themes: Vec<(String, String)>,
    sessions: Vec<(String, String)>,
    findings: Vec<(String, String)>,
    sources: Vec<String>,
    organisations: Vec<String>,
}

/// A view the walk created and may change: (id, version, review status).
struct Written {
    id: String,
    version: i64,
    status: String,
}

/// A second server on the same database with the engine off: the SQL answers.
async fn sql_twin(app: &TestApp) -> String {
    server_on(app.db.url(), false).await
}

pub(crate) async fn server_on(url: &str, engine: bool) -> String {
    let vars: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", url.to_string()),
        ("PUBLIC_VOICE_PORT", "0".to_string()),
        ("PUBLIC_VOICE_WORKERS", "2".to_string()),
        ("PUBLIC_VOICE_DB_MAX_CONNECTIONS", "4".to_string()),
        ("PUBLIC_VOICE_SEED_ON_START", "false".to_string()),
        ("PUBLIC_VOICE_ENGINE", engine.to_string()),
        // The walk sends thousands of requests a minute from one address: it checks answers,
        // not budgets (a fast machine spent the anonymous budget mid-walk).
        ("PUBLIC_VOICE_RATE_LIMIT", "false".to_string()),
    ]);
    let settings = Settings::from_lookup(|k| vars.get(k).cloned()).expect("settings");
    let app = Application::build(&settings).await.expect("server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    address
}

fn ids(list: &Value) -> Vec<String> {
    list["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|n| n["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn vocabulary(app: &TestApp, token: &str) -> Vocabulary {
    let d = app
        .data_as(
            token,
            "{ exercises(first: 100) { nodes { id } }
               themes(first: 100) { nodes { id slug } }
               sessions(first: 100) { nodes { id exercise { id } } }
               findings(first: 100) { nodes { id exercise { id } } }
               sourceDocuments(first: 100) { nodes { id } }
               organisations(first: 100) { nodes { id } } }",
            json!({}),
        )
        .await;
    let pairs = |list: &Value, second: &dyn Fn(&Value) -> String| -> Vec<(String, String)> {
        list["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| (n["id"].as_str().expect("id").to_string(), second(n)))
            .collect()
    };
    let exercise_of = |n: &Value| n["exercise"]["id"].as_str().unwrap_or("").to_string();
    Vocabulary {
        exercises: ids(&d["exercises"]),
        themes: pairs(&d["themes"], &|n| {
            n["slug"].as_str().unwrap_or("").to_string()
        }),
        sessions: pairs(&d["sessions"], &exercise_of),
        findings: pairs(&d["findings"], &exercise_of),
        sources: ids(&d["sourceDocuments"]),
        organisations: ids(&d["organisations"]),
    }
}

const VIEW_FIELDS: &str = "id version reviewStatus";

/// One random write through the API; returns what it was, for the log.
async fn random_write(
    app: &TestApp,
    token: &str,
    rng: &mut Rng,
    vocab: &Vocabulary,
    written: &mut Vec<Written>,
    findings: &mut Vec<Written>,
    step: usize,
) -> String {
    let choice = if written.is_empty() { 0 } else { rng.below(14) };
    match choice {
        10 => {
            let input = json!({
                "slug": format!("walk-finding-{step}"), "exerciseId": rng.pick(&vocab.exercises),
                "title": finding_title(rng, step),
                "summary": "Found in the walk.", "kind": rng.pick(&KINDS),
                "missions": rng.some(&MISSIONS, 2),
                "themeIds": rng.some(&vocab.themes, 2).into_iter().map(|t| t.0).collect::<Vec<_>>(),
                "sourceId": rng.pick(&vocab.sources), "locator": "walk",
                "reviewStatus": if rng.chance(60) { "PUBLISHED" } else { "DRAFT" },
            });
            let d = post(
                &app.address,
                Some(token),
                &format!("mutation($i: CreateFindingInput!) {{ createFinding(input: $i) {{ {VIEW_FIELDS} }} }}"),
                json!({"i": input}),
            )
            .await;
            assert!(d.get("errors").is_none(), "create finding: {d}");
            remember(&d["data"]["createFinding"], findings);
            format!("create finding {}", d["data"]["createFinding"]["id"])
        }
        11 | 12 if !findings.is_empty() => {
            let i = rng.below(findings.len());
            let mut input = json!({"id": findings[i].id, "expectedVersion": findings[i].version});
            if rng.chance(50) {
                input["kind"] = json!(rng.pick(&KINDS));
            }
            if rng.chance(50) {
                input["missions"] = json!(rng.some(&MISSIONS, 3));
            }
            if rng.chance(50) {
                let themes: Vec<String> = rng
                    .some(&vocab.themes, 3)
                    .into_iter()
                    .map(|t| t.0)
                    .collect();
                input["themeIds"] = json!(themes);
            }
            if rng.chance(30) {
                input["exerciseId"] = json!(rng.pick(&vocab.exercises));
            }
            if rng.chance(30) {
                input["title"] = json!(finding_title(rng, step));
            }
            let d = post(
                &app.address,
                Some(token),
                &format!("mutation($i: UpdateFindingInput!) {{ updateFinding(input: $i) {{ {VIEW_FIELDS} }} }}"),
                json!({"i": input}),
            )
            .await;
            assert!(d.get("errors").is_none(), "update finding: {d}");
            findings[i].version = d["data"]["updateFinding"]["version"].as_i64().unwrap_or(0);
            format!("update finding {input}")
        }
        13 if !findings.is_empty() => {
            if rng.chance(70) {
                let i = rng.below(findings.len());
                review_step(app, token, rng, &mut findings[i], "Finding").await
            } else {
                let w = findings.remove(rng.below(findings.len()));
                let d = post(
                    &app.address,
                    Some(token),
                    "mutation($id: ID!, $v: Int!) { deleteFinding(id: $id, expectedVersion: $v) { id } }",
                    json!({"id": w.id, "v": w.version}),
                )
                .await;
                assert!(d.get("errors").is_none(), "delete finding: {d}");
                format!("delete finding {}", w.id)
            }
        }
        0..=2 => {
            let input = view_input(rng, vocab, &format!("walk-{step}"));
            let d = post(
                    &app.address,
                    Some(token),
                    &format!("mutation($i: CreateViewInput!) {{ createView(input: $i) {{ {VIEW_FIELDS} }} }}"),
                    json!({"i": input}),
                )
                .await;
            remember(&d["data"]["createView"], written);
            format!("create {}", d["data"]["createView"]["id"])
        }
        3 | 4 => {
            let i = rng.below(written.len());
            let mut input = json!({"id": written[i].id, "expectedVersion": written[i].version});
            if rng.chance(50) {
                input["stance"] = json!(rng.pick(&STANCES));
            }
            if rng.chance(50) {
                input["missions"] = json!(rng.some(&MISSIONS, 3));
            }
            if rng.chance(50) {
                let themes: Vec<String> = rng
                    .some(&vocab.themes, 3)
                    .into_iter()
                    .map(|t| t.0)
                    .collect();
                input["themeIds"] = json!(themes);
            }
            if rng.chance(30) {
                input["verbatim"] = json!(rng.chance(50));
            }
            if rng.chance(25) {
                input["exerciseId"] = json!(rng.pick(&vocab.exercises));
                input["sessionId"] = Value::Null;
                input["findingId"] = Value::Null;
            }
            let d = post(
                    &app.address,
                    Some(token),
                    &format!("mutation($i: UpdateViewInput!) {{ updateView(input: $i) {{ {VIEW_FIELDS} }} }}"),
                    json!({"i": input}),
                )
                .await;
            if let Some(v) = d["data"]["updateView"].as_object() {
                written[i].version = v["version"].as_i64().unwrap_or(0);
            }
            format!("update {} {}", written[i].id, input)
        }
        5 => {
            let i = rng.below(written.len());
            let w = written.remove(i);
            let d = post(
                &app.address,
                Some(token),
                "mutation($id: ID!, $v: Int!) { deleteView(id: $id, expectedVersion: $v) { id } }",
                json!({"id": w.id, "v": w.version}),
            )
            .await;
            assert!(d.get("errors").is_none(), "delete: {d}");
            format!("delete {}", w.id)
        }
        6 => {
            let i = rng.below(written.len());
            review_step(app, token, rng, &mut written[i], "ParticipantView").await
        }
        7 => {
            let exercise = rng.pick(&vocab.exercises).clone();
            let d = app
                .data_as(
                    token,
                    "query($id: ID!) { node(id: $id) { ... on Exercise { version } } }",
                    json!({"id": exercise}),
                )
                .await;
            let version = d["node"]["version"].as_i64().unwrap_or(1);
            let mut input = json!({"id": exercise, "expectedVersion": version});
            if rng.chance(60) {
                input["startDate"] = json!(rng.pick(&DATES));
            }
            if rng.chance(50) {
                input["places"] = json!(rng.some(&PLACES, 2));
            }
            if rng.chance(40) {
                let orgs: Vec<Value> = rng
                    .some(&vocab.organisations, 2)
                    .into_iter()
                    .map(|o| json!({"organisationId": o, "role": "PARTNER"}))
                    .collect();
                input["organisations"] = json!(orgs);
            }
            let d = post(
                &app.address,
                Some(token),
                "mutation($i: UpdateExerciseInput!) { updateExercise(input: $i) { id } }",
                json!({"i": input}),
            )
            .await;
            format!("exercise {input} -> {}", d.get("errors").is_none())
        }
        _ => {
            // A bundle of views, imported in one transaction.
            let mut bundle = String::from(
                "{\"type\":\"header\",\"format\":\"public-voice-bundle\",\"version\":1}\n",
            );
            let d = app
                .data_as(
                    token,
                    "{ exercises(first: 100) { nodes { slug } } themes(first: 100) { nodes { slug } }
                       sourceDocuments(first: 100) { nodes { slug } } }",
                    json!({}),
                )
                .await;
            let slugs = |l: &Value| -> Vec<String> {
                l["nodes"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|n| n["slug"].as_str().unwrap_or("").to_string())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (exercises, themes, sources) = (
                slugs(&d["exercises"]),
                slugs(&d["themes"]),
                slugs(&d["sourceDocuments"]),
            );
            for k in 0..1 + rng.below(4) {
                let row = json!({
                    "type": "view", "slug": format!("bundle-{step}-{k}"),
                    "exercise": rng.pick(&exercises), "text": "Imported.",
                    "stance": rng.pick(&STANCES), "verbatim": rng.chance(50),
                    "missions": rng.some(&MISSIONS, 2), "themes": rng.some(&themes, 2),
                    "source": rng.pick(&sources), "locator": "bundle",
                    "reviewStatus": if rng.chance(70) { "PUBLISHED" } else { "DRAFT" },
                });
                bundle.push_str(&row.to_string());
                bundle.push('\n');
            }
            let d = post(
                &app.address,
                Some(token),
                "mutation($b: String!) { importBundle(bundle: $b) { created } }",
                json!({"b": bundle}),
            )
            .await;
            assert!(d.get("errors").is_none(), "import: {d}");
            format!("import {}", d["data"]["importBundle"]["created"])
        }
    }
}

/// A finding title: some equal but for ASCII case (ties broken by id), some with letters
/// outside ASCII, some that differ only in the number.
fn finding_title(rng: &mut Rng, step: usize) -> String {
    let stem = rng.pick(&["alpha", "Alpha", "Beta", "gamma", "Émile", "émile", "zeta"]);
    if rng.chance(40) {
        stem.to_string()
    } else {
        format!("{stem} finding {step}")
    }
}

/// The next review step for a view or finding, through the API.
async fn review_step(
    app: &TestApp,
    token: &str,
    rng: &mut Rng,
    w: &mut Written,
    type_name: &str,
) -> String {
    let step_name = match w.status.as_str() {
        "DRAFT" => "submitForReview",
        "IN_REVIEW" if rng.chance(70) => "publish",
        "IN_REVIEW" => "returnToDraft",
        "PUBLISHED" => "retract",
        _ => "returnToDraft",
    };
    let d = post(
        &app.address,
        Some(token),
        &format!("mutation($id: ID!, $v: Int!) {{ {step_name}(id: $id, expectedVersion: $v) {{ ... on {type_name} {{ {VIEW_FIELDS} }} }} }}"),
        json!({"id": w.id, "v": w.version}),
    )
    .await;
    assert!(d.get("errors").is_none(), "{step_name}: {d}");
    let v = &d["data"][step_name];
    w.version = v["version"].as_i64().unwrap_or(0);
    w.status = v["reviewStatus"].as_str().unwrap_or("").to_string();
    format!("{step_name} {}", w.id)
}

fn remember(view: &Value, written: &mut Vec<Written>) {
    if let Some(id) = view["id"].as_str() {
        written.push(Written {
            id: id.to_string(),
            version: view["version"].as_i64().unwrap_or(1),
            status: view["reviewStatus"].as_str().unwrap_or("").to_string(),
        });
    }
}

fn view_input(rng: &mut Rng, vocab: &Vocabulary, slug: &str) -> Value {
    let exercise = rng.pick(&vocab.exercises).clone();
    let sessions: Vec<&String> = vocab
        .sessions
        .iter()
        .filter(|s| s.1 == exercise)
        .map(|s| &s.0)
        .collect();
    let findings: Vec<&String> = vocab
        .findings
        .iter()
        .filter(|s| s.1 == exercise)
        .map(|s| &s.0)
        .collect();
    let mut input = json!({
        "slug": slug, "exerciseId": exercise, "text": "Said in the walk.",
        "verbatim": rng.chance(40), "stance": rng.pick(&STANCES),
        "missions": rng.some(&MISSIONS, 3),
        "themeIds": rng.some(&vocab.themes, 3).into_iter().map(|t| t.0).collect::<Vec<_>>(),
        "sourceId": rng.pick(&vocab.sources), "locator": "walk",
        "reviewStatus": if rng.chance(60) { "PUBLISHED" } else { "DRAFT" },
    });
    if !sessions.is_empty() && rng.chance(40) {
        input["sessionId"] = json!(rng.pick(&sessions));
    }
    if !findings.is_empty() && rng.chance(40) {
        input["findingId"] = json!(rng.pick(&findings));
    }
    input
}

/// A random `ViewFilter`; now and then one with an unknown theme or a malformed value.
fn random_filter(rng: &mut Rng, vocab: &Vocabulary, times: &[String]) -> Value {
    let mut f = json!({});
    let slugs: Vec<String> = vocab.themes.iter().map(|t| t.1.clone()).collect();
    if rng.chance(30) {
        let mut m = json!({});
        if rng.chance(70) {
            m["anyOf"] = json!(rng.some(&MISSIONS, 2));
        }
        if rng.chance(40) {
            m["allOf"] = json!(rng.some(&MISSIONS, 2));
        }
        f["missions"] = m;
    }
    if rng.chance(30) {
        let mut t = json!({});
        if rng.chance(70) {
            t["anyOf"] = json!(rng.some(&slugs, 3));
        }
        if rng.chance(30) {
            t["allOf"] = json!(rng.some(&slugs, 2));
        }
        if rng.chance(5) {
            t["anyOf"] = json!(["no-such-theme"]);
        }
        f["themes"] = t;
    }
    if rng.chance(30) {
        f["stances"] = json!(rng.some(&STANCES, 3));
    }
    if rng.chance(15) {
        f["exercise"] = json!(rng.pick(&vocab.exercises));
    }
    if rng.chance(10) && !vocab.sessions.is_empty() {
        f["session"] = json!(rng.pick(&vocab.sessions).0);
    }
    if rng.chance(10) && !vocab.findings.is_empty() {
        f["finding"] = json!(rng.pick(&vocab.findings).0);
    }
    if rng.chance(20) {
        f["verbatim"] = json!(rng.chance(50));
    }
    if rng.chance(20) {
        let mut r = json!({});
        if rng.chance(60) {
            r["from"] = json!(rng.pick(&["2023", "2024", "2024-03", "2024-03-06"]));
        }
        if rng.chance(60) {
            r["to"] = json!(rng.pick(&["2024", "2024-03", "2024-10-26", "2025"]));
        }
        if rng.chance(5) {
            r["to"] = json!("last year");
        }
        f["exerciseStarted"] = r;
    }
    if rng.chance(20) {
        f["places"] = json!(rng
            .some(&PLACES, 2)
            .into_iter()
            .map(|p| if rng.chance(50) {
                p.to_uppercase()
            } else {
                p.to_string()
            })
            .collect::<Vec<_>>());
    }
    if rng.chance(15) && !vocab.organisations.is_empty() {
        f["organisation"] = json!(rng.pick(&vocab.organisations));
    }
    if rng.chance(25) && !times.is_empty() {
        f["updatedSince"] = json!(rng.pick(times));
    }
    if rng.chance(3) {
        f["exercise"] = json!("not-an-id");
    }
    f
}

const PAGE: &str = "query($f: ViewFilter, $o: ListOrder, $first: Int, $after: String, $last: Int, $before: String) {
  participantViews(filter: $f, order: $o, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id slug stance themes { slug } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

const FINDING_PAGE: &str = "query($f: FindingFilter, $o: ListOrder, $first: Int, $after: String, $last: Int, $before: String) {
  participantViews: findings(filter: $f, order: $o, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id slug kind themes { slug } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

const FINDING_MAP: &str = "query($r: FindingDimension!, $c: FindingDimension!, $f: FindingFilter) {
  findingMap(rows: $r, columns: $c, filter: $f) {
    totalFindings
    rows { key } columns { key }
    cells { row { key } column { key } count }
  }
}";

const MAP: &str = "query($r: EvidenceDimension!, $c: EvidenceDimension!, $f: ViewFilter) {
  evidenceMap(rows: $r, columns: $c, filter: $f) {
    totalViews
    rows { key } columns { key }
    cells { row { key } column { key } count byStance { stance count } }
  }
}";

const COUNTS: &str = "{
  exercises(first: 100) { totalCount nodes { id counts {
    findings views viewsByStance { stance count } resources metrics sessions } } }
  missions { code counts { exercises findings views viewsByStance { stance count } } }
}";

/// Nested connections' pages and totals (each its own request, for the complexity limit):
/// first pages, last pages, and the lists of missions.
const NESTED: [&str; 8] = [
    "{ exercises(first: 100) { nodes { id counts { views findings }
        views(first: 2) { totalCount pageInfo { hasNextPage } nodes { id } }
        findings(first: 2) { totalCount pageInfo { hasNextPage } nodes { id } } } } }",
    "{ exercises(first: 100) { nodes { sessions(first: 4) { nodes { id
        views(first: 2) { totalCount nodes { id } } } } } } }",
    "{ findings(first: 100) { nodes { id views(first: 2) { totalCount nodes { id } } } } }",
    "{ themes(first: 100) { nodes { slug views(first: 2) { totalCount nodes { id } }
        findings(first: 2) { totalCount nodes { id } } } } }",
    "{ missions { code
        views(first: 3) { totalCount nodes { id } pageInfo { hasNextPage hasPreviousPage endCursor } }
        findings(first: 3) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } } }",
    "{ missions { code views(last: 2) { totalCount nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor } }
        findings(last: 2) { totalCount edges { cursor node { id } } } } }",
    "{ exercises(first: 100) { nodes { id
        views(last: 2) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor } nodes { id } }
        findings(last: 2) { totalCount pageInfo { hasPreviousPage } nodes { id } } } } }",
    "{ themes(first: 100) { nodes { slug views(last: 2) { totalCount nodes { id } }
        findings(last: 1) { totalCount nodes { id } } } }
       findings(first: 100) { nodes { id views(last: 1) { totalCount nodes { id } } } } }",
];

/// Nested pages after (or before) a cursor: the same id cursor in every parent's list.
const NESTED_AFTER: &str = "query($a: String, $b: String) {
  missions { code views(first: 3, after: $a) { totalCount nodes { id } pageInfo { hasNextPage hasPreviousPage } }
    findings(last: 2, before: $b) { nodes { id } pageInfo { hasNextPage hasPreviousPage } } }
  exercises(first: 30) { nodes { views(first: 2, after: $a) { nodes { id } pageInfo { hasNextPage } }
    sessions(first: 3) { nodes { views(first: 2, after: $a) { nodes { id } } } } } }
}";

/// A map's cells drilled into: each cell's first page, and a page after a cursor.
const CELLS: &str =
    "query($r: EvidenceDimension!, $c: EvidenceDimension!, $f: ViewFilter, $a: String) {
  evidenceMap(rows: $r, columns: $c, filter: $f) {
    cells { count views(first: 2) { totalCount nodes { id } pageInfo { hasNextPage endCursor } }
      later: views(first: 2, after: $a) { nodes { id } pageInfo { hasPreviousPage hasNextPage } } }
  }
}";

const FINDING_CELLS: &str = "query($r: FindingDimension!, $c: FindingDimension!, $f: FindingFilter, $a: String) {
  findingMap(rows: $r, columns: $c, filter: $f) {
    cells { count findings(first: 2) { totalCount nodes { id } pageInfo { hasNextPage endCursor } }
      earlier: findings(last: 2, before: $a) { nodes { id } pageInfo { hasPreviousPage hasNextPage } } }
  }
}";

/// An id-ordered list's cursor (what the nested lists' cursors are), for a row in the middle.
fn id_cursor(id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("cursor:id:{id}"))
}

/// Drills into every cell of a random map of views and of findings, under a random filter, and
/// pages after a cursor inside every cell: the same from both servers; each cell's total is
/// its count.
async fn drill_into_cells(
    engine: &str,
    sql: &str,
    editor: &str,
    rng: &mut Rng,
    vocab: &Vocabulary,
    times: &[String],
) -> usize {
    let mut checked = 0;
    for token in [None, Some(editor)] {
        let filter = random_filter(rng, vocab, times);
        let r = rng.below(DIMENSIONS.len());
        let c = (r + 1 + rng.below(DIMENSIONS.len() - 1)) % DIMENSIONS.len();
        let cursor = id_cursor(1 + rng.below(60) as i64);
        let map = same(
            engine,
            sql,
            token,
            CELLS,
            json!({"r": DIMENSIONS[r], "c": DIMENSIONS[c], "f": filter, "a": cursor}),
        )
        .await;
        for cell in map["data"]["evidenceMap"]["cells"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert_eq!(cell["views"]["totalCount"], cell["count"], "{cell}");
            checked += 1;
        }
        let mut ff = filter.clone();
        if let Some(f) = ff.as_object_mut() {
            for field in ["stances", "session", "finding", "verbatim"] {
                f.remove(field);
            }
        }
        let r = rng.below(FINDING_DIMENSIONS.len());
        let c = (r + 1 + rng.below(FINDING_DIMENSIONS.len() - 1)) % FINDING_DIMENSIONS.len();
        let map = same(
            engine,
            sql,
            token,
            FINDING_CELLS,
            json!({"r": FINDING_DIMENSIONS[r], "c": FINDING_DIMENSIONS[c], "f": ff, "a": cursor}),
        )
        .await;
        for cell in map["data"]["findingMap"]["cells"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert_eq!(cell["findings"]["totalCount"], cell["count"], "{cell}");
            checked += 1;
        }
        let nested = same(
            engine,
            sql,
            token,
            NESTED_AFTER,
            json!({"a": cursor, "b": id_cursor(1 + rng.below(30) as i64)}),
        )
        .await;
        assert!(nested.get("errors").is_none(), "{nested}");
        checked += 1;
    }
    checked
}

/// The dashboard counts of every exercise and mission, the same from both servers, and
/// consistent with the rows read in plain SQL: each mission's views are the views of the
/// `missions.anyOf` filter, and the exercises' views add up to all the views a reader sees.
async fn check_counts(
    engine: &str,
    sql: &str,
    token: Option<&str>,
    db: &sea_orm::DatabaseConnection,
    published_only: bool,
    vocab: &Vocabulary,
) -> usize {
    let counts = same(engine, sql, token, COUNTS, json!({})).await;
    assert!(counts.get("errors").is_none(), "{counts}");
    let exercises = counts["data"]["exercises"]["nodes"]
        .as_array()
        .expect("exercises");
    let mut all = 0;
    for e in exercises {
        let c = &e["counts"];
        let views = c["views"].as_u64().expect("views");
        let by_stance: u64 = c["viewsByStance"]
            .as_array()
            .expect("by stance")
            .iter()
            .map(|s| s["count"].as_u64().expect("count"))
            .sum();
        assert_eq!(views, by_stance, "{e}");
        all += views;
    }
    if counts["data"]["exercises"]["totalCount"] == json!(exercises.len()) {
        let expected = reference_total(db, &json!({}), published_only, vocab).await;
        assert_eq!(
            all, expected,
            "exercises' views add up (published only: {published_only})"
        );
    }
    let missions = counts["data"]["missions"].as_array().expect("missions");
    for m in missions {
        let filter = json!({"missions": {"anyOf": [m["code"]]}});
        let expected = reference_total(db, &filter, published_only, vocab).await;
        assert_eq!(m["counts"]["views"], json!(expected), "{m}");
    }
    let mut checked = exercises.len() + missions.len();
    for query in NESTED {
        let nested = same(engine, sql, token, query, json!({})).await;
        assert!(nested.get("errors").is_none(), "{nested}");
        checked += 1;
    }
    let nested = same(engine, sql, token, NESTED[0], json!({})).await;
    for e in nested["data"]["exercises"]["nodes"]
        .as_array()
        .expect("exercises")
    {
        assert_eq!(e["views"]["totalCount"], e["counts"]["views"], "{e}");
        assert_eq!(e["findings"]["totalCount"], e["counts"]["findings"], "{e}");
    }
    checked
}

/// Reads the same thing from both servers and insists on the same answer.
async fn same(engine: &str, sql: &str, token: Option<&str>, query: &str, vars: Value) -> Value {
    let a = post(engine, token, query, vars.clone()).await;
    let b = post(sql, token, query, vars.clone()).await;
    assert_eq!(a, b, "engine and SQL differ for {vars}");
    if let Some(code) = a["errors"][0]["extensions"]["code"].as_str() {
        assert_eq!(code, "BAD_USER_INPUT", "{a}");
    }
    a
}

/// Every page of a filtered, ordered list, forwards, then the last page backwards; returns
/// the ids in order (empty when the filter is refused).
async fn walk_pages(
    engine: &str,
    sql: &str,
    token: Option<&str>,
    filter: &Value,
    order: &str,
) -> Option<(Vec<String>, u64)> {
    walk_list(engine, sql, token, PAGE, filter, order).await
}

async fn walk_list(
    engine: &str,
    sql: &str,
    token: Option<&str>,
    page_query: &str,
    filter: &Value,
    order: &str,
) -> Option<(Vec<String>, u64)> {
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut total = 0;
    for _ in 0..200 {
        let page = same(
            engine,
            sql,
            token,
            page_query,
            json!({"f": filter, "o": order, "first": 7, "after": after}),
        )
        .await;
        if page.get("errors").is_some() {
            return None;
        }
        let list = &page["data"]["participantViews"];
        total = list["totalCount"].as_u64().expect("total");
        for e in list["edges"].as_array().expect("edges") {
            seen.push(e["node"]["id"].as_str().expect("id").to_string());
        }
        if list["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = list["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len() as u64, total, "pages add up to the total");
    // Backwards from the end, and from the middle.
    let back = same(
        engine,
        sql,
        token,
        page_query,
        json!({"f": filter, "o": order, "last": 5}),
    )
    .await;
    if let Some(cursor) = back["data"]["participantViews"]["pageInfo"]["startCursor"].as_str() {
        same(
            engine,
            sql,
            token,
            page_query,
            json!({"f": filter, "o": order, "last": 3, "before": cursor}),
        )
        .await;
    }
    Some((seen, total))
}

/// The database's rows, read with plain SQL, filtered in the test: the expected total.
async fn reference_total(
    db: &sea_orm::DatabaseConnection,
    filter: &Value,
    published_only: bool,
    vocab: &Vocabulary,
) -> u64 {
    let backend = db.get_database_backend();
    let rows = |sql: &str| Statement::from_string(backend, sql.to_string());
    let key = |id: &str| -> i64 {
        // Global IDs are base64 of "Kind:key".
        use base64::Engine;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id)
            .or_else(|_| base64::engine::general_purpose::STANDARD.decode(id))
            .expect("global id");
        let text = String::from_utf8(raw).expect("utf8");
        text.rsplit(':')
            .next()
            .and_then(|k| k.parse().ok())
            .expect("int key")
    };
    let views = db
        .query_all_raw(rows(
            "SELECT id, stance, exercise_id, session_id, finding_id, is_verbatim, review_status, updated_at FROM participant_view",
        ))
        .await
        .expect("views");
    let pairs = |sql: &'static str| async move {
        db.query_all_raw(rows(sql))
            .await
            .expect("rows")
            .into_iter()
            .map(|r| {
                (
                    r.try_get_by_index::<i32>(0).expect("a"),
                    r.try_get_by_index::<String>(1)
                        .or_else(|_| r.try_get_by_index::<i32>(1).map(|v| v.to_string()))
                        .expect("b"),
                )
            })
            .collect::<Vec<(i32, String)>>()
    };
    let missions = pairs("SELECT view_id, mission_code FROM view_mission").await;
    let themes = pairs("SELECT view_id, theme_id FROM view_theme").await;
    let places = pairs("SELECT exercise_id, place_key FROM exercise_place").await;
    let orgs = pairs("SELECT exercise_id, organisation_id FROM exercise_organisation").await;
    let dates: HashMap<i32, Option<String>> = db
        .query_all_raw(rows("SELECT id, start_date FROM exercise"))
        .await
        .expect("exercises")
        .into_iter()
        .map(|r| {
            (
                r.try_get_by_index::<i32>(0).expect("id"),
                r.try_get_by_index::<Option<String>>(1).expect("date"),
            )
        })
        .collect();
    let slug_id: HashMap<&str, String> = vocab
        .themes
        .iter()
        .map(|(id, slug)| (slug.as_str(), key(id).to_string()))
        .collect();
    let has = |list: &[(i32, String)], id: i32, value: &str| {
        list.iter().any(|(i, v)| *i == id && v == value)
    };
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|s| s.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut total = 0;
    for v in views {
        let id: i32 = v.try_get_by_index(0).expect("id");
        let stance: String = v.try_get_by_index(1).expect("stance");
        let exercise: i32 = v.try_get_by_index(2).expect("exercise");
        let session: Option<i32> = v.try_get_by_index(3).expect("session");
        let finding: Option<i32> = v.try_get_by_index(4).expect("finding");
        let verbatim: bool = v.try_get_by_index(5).expect("verbatim");
        let status: String = v.try_get_by_index(6).expect("status");
        let updated: chrono::DateTime<chrono::Utc> = v.try_get_by_index(7).expect("updated");
        let mut ok = !published_only || status == "PUBLISHED";
        if let Some(since) = filter["updatedSince"].as_str() {
            let since = chrono::DateTime::parse_from_rfc3339(since).expect("time");
            let mut since = since.with_timezone(&chrono::Utc);
            if backend == sea_orm::DbBackend::Postgres {
                // PostgreSQL keeps microseconds: the bound it compares with is cut to them.
                use chrono::{DurationRound, TimeDelta};
                since = since
                    .duration_trunc(TimeDelta::microseconds(1))
                    .expect("truncate");
            }
            ok &= updated >= since;
        }
        let stances = strings(&filter["stances"]);
        ok &= stances.is_empty() || stances.contains(&stance);
        if let Some(e) = filter["exercise"].as_str() {
            ok &= i64::from(exercise) == key(e);
        }
        if let Some(s) = filter["session"].as_str() {
            ok &= session.map(i64::from) == Some(key(s));
        }
        if let Some(f) = filter["finding"].as_str() {
            ok &= finding.map(i64::from) == Some(key(f));
        }
        if let Some(b) = filter["verbatim"].as_bool() {
            ok &= verbatim == b;
        }
        let range = &filter["exerciseStarted"];
        if range["from"].is_string() || range["to"].is_string() {
            let date = dates.get(&exercise).cloned().flatten();
            let r = &filter["exerciseStarted"];
            ok &= date.as_deref().is_some_and(|d| {
                r["from"].as_str().is_none_or(|f| d >= f)
                    && r["to"].as_str().is_none_or(|t| {
                        let upper = if t.len() == 10 {
                            t.to_string()
                        } else {
                            format!("{t}-99")
                        };
                        d <= upper.as_str()
                    })
            });
        }
        let wanted_places: Vec<String> = strings(&filter["places"])
            .iter()
            .map(|p| p.trim().to_lowercase())
            .collect();
        if !wanted_places.is_empty() {
            ok &= wanted_places.iter().any(|p| has(&places, exercise, p));
        }
        if let Some(o) = filter["organisation"].as_str() {
            ok &= has(&orgs, exercise, &key(o).to_string());
        }
        let any = strings(&filter["missions"]["anyOf"]);
        ok &= any.is_empty() || any.iter().any(|m| has(&missions, id, m));
        ok &= strings(&filter["missions"]["allOf"])
            .iter()
            .all(|m| has(&missions, id, m));
        let any = strings(&filter["themes"]["anyOf"]);
        ok &= any.is_empty() || any.iter().any(|t| has(&themes, id, &slug_id[t.as_str()]));
        ok &= strings(&filter["themes"]["allOf"])
            .iter()
            .all(|t| has(&themes, id, &slug_id[t.as_str()]));
        if ok {
            total += 1;
        }
    }
    total
}

async fn random_walk(app: TestApp, seed: u64) {
    let mut rng = Rng(seed);
    let sql = sql_twin(&app).await;
    let editor = app.token("walker", "editor").await;
    let vocab = vocabulary(&app, &editor).await;
    let db = sea_orm::Database::connect(app.db.url())
        .await
        .expect("connect");
    let mut written = Vec::new();
    let mut findings = Vec::new();
    let mut log = Vec::new();
    let mut checked = 0;
    // Moments for `updatedSince`: between writes, and exactly a row's `updatedAt`.
    let mut times = Vec::new();
    for step in 0..64 {
        times.push(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true));
        log.push(
            random_write(
                &app,
                &editor,
                &mut rng,
                &vocab,
                &mut written,
                &mut findings,
                step,
            )
            .await,
        );
        if step % 8 != 7 {
            continue;
        }
        for list in [&written, &findings] {
            if list.is_empty() {
                continue;
            }
            let id = &list[rng.below(list.len())].id;
            let d = post(
                &app.address,
                Some(&editor),
                "query($id: ID!) { node(id: $id) { ... on ParticipantView { updatedAt } ... on Finding { updatedAt } } }",
                json!({"id": id}),
            )
            .await;
            if let Some(at) = d["data"]["node"]["updatedAt"].as_str() {
                times.push(at.to_string());
            }
        }
        checked += drill_into_cells(&app.address, &sql, &editor, &mut rng, &vocab, &times).await;
        for (token, published_only) in [(None, true), (Some(editor.as_str()), false)] {
            checked += check_counts(&app.address, &sql, token, &db, published_only, &vocab).await;
        }
        for _ in 0..5 {
            let filter = random_filter(&mut rng, &vocab, &times);
            for (token, published_only) in [(None, true), (Some(editor.as_str()), false)] {
                let mut totals = Vec::new();
                for order in ORDERS {
                    if let Some((ids, total)) =
                        walk_pages(&app.address, &sql, token, &filter, order).await
                    {
                        let mut sorted = ids.clone();
                        sorted.sort();
                        sorted.dedup();
                        assert_eq!(sorted.len(), ids.len(), "no view twice in {order}");
                        totals.push(total);
                        checked += 1;
                    }
                }
                if let Some(total) = totals.first() {
                    assert!(totals.iter().all(|t| t == total), "{totals:?}");
                    let expected = reference_total(&db, &filter, published_only, &vocab).await;
                    assert_eq!(
                        *total, expected,
                        "total for {filter} (published only: {published_only}) after {log:?}"
                    );
                }
                let r = rng.below(DIMENSIONS.len());
                let c = (r + 1 + rng.below(DIMENSIONS.len() - 1)) % DIMENSIONS.len();
                let map = same(
                    &app.address,
                    &sql,
                    token,
                    MAP,
                    json!({"r": DIMENSIONS[r], "c": DIMENSIONS[c], "f": filter}),
                )
                .await;
                if let Some(total) = totals.first() {
                    assert_eq!(map["data"]["evidenceMap"]["totalViews"], json!(total));
                }
                // The same filter, less what findings lack, over findings.
                let mut ff = filter.clone();
                if let Some(f) = ff.as_object_mut() {
                    for field in ["stances", "session", "finding", "verbatim"] {
                        f.remove(field);
                    }
                    if rng.chance(40) {
                        f.insert("kinds".into(), json!(rng.some(&KINDS, 3)));
                    }
                }
                let mut finding_totals = Vec::new();
                for order in FINDING_ORDERS {
                    if let Some((_, total)) =
                        walk_list(&app.address, &sql, token, FINDING_PAGE, &ff, order).await
                    {
                        finding_totals.push(total);
                        checked += 1;
                    }
                }
                let r = rng.below(FINDING_DIMENSIONS.len());
                let c =
                    (r + 1 + rng.below(FINDING_DIMENSIONS.len() - 1)) % FINDING_DIMENSIONS.len();
                let map = same(
                    &app.address,
                    &sql,
                    token,
                    FINDING_MAP,
                    json!({"r": FINDING_DIMENSIONS[r], "c": FINDING_DIMENSIONS[c], "f": ff}),
                )
                .await;
                if let Some(total) = finding_totals.first() {
                    assert!(finding_totals.iter().all(|t| t == total));
                    assert_eq!(map["data"]["findingMap"]["totalFindings"], json!(total));
                }
            }
        }
    }
    db.close().await.ok();
    println!(
        "{:?} seed {seed}: {} writes, {checked} filtered lists walked and compared",
        app.backend(),
        log.len()
    );
}

/// The walk's seeds: `PUBLIC_VOICE_TEST_ENGINE_SEEDS` (comma-separated) to replay a failure or
/// to walk further; one fixed seed by default, to keep the suite's time in bounds.
fn seeds() -> Vec<u64> {
    match std::env::var("PUBLIC_VOICE_TEST_ENGINE_SEEDS") {
        Ok(list) => list
            .split(',')
            .map(|s| s.trim().parse().expect("a seed is a number"))
            .collect(),
        Err(_) => vec![0x9E37_79B9_7F4A_7C15],
    }
}

#[tokio::test]
async fn the_engine_answers_exactly_as_sql_after_random_writes() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for seed in seeds() {
            if let Some(app) =
                TestApp::spawn_with(backend, &[("PUBLIC_VOICE_RATE_LIMIT", "false")]).await
            {
                random_walk(app, seed).await;
            }
        }
    }
}

#[tokio::test]
async fn two_replicas_converge_after_writes_on_either() {
    let Some(a) =
        TestApp::spawn_with(Backend::Postgres, &[("PUBLIC_VOICE_RATE_LIMIT", "false")]).await
    else {
        return;
    };
    let b = server_on(a.db.url(), true).await;
    let editor = a.token("replicas", "editor").await;
    let vocab = vocabulary(&a, &editor).await;
    let mut rng = Rng(7);
    let count = "{ participantViews(filter: { stances: [HOPE, CONCERN, CONDITION, SUGGESTION, NEUTRAL] }) { totalCount } }";
    // Asked before every write, so that a remembered answer outliving a write would show.
    let mut before = post(&a.address, None, count, json!({})).await["data"]["participantViews"]
        ["totalCount"]
        .as_u64()
        .expect("a total");
    for round in 0..6 {
        let (writer, reader) = if round % 2 == 0 {
            (a.address.clone(), b.clone())
        } else {
            (b.clone(), a.address.clone())
        };
        let mut input = view_input(&mut rng, &vocab, &format!("replica-{round}"));
        input["reviewStatus"] = json!("PUBLISHED");
        let d = post(
            &writer,
            Some(&editor),
            "mutation($i: CreateViewInput!) { createView(input: $i) { id } }",
            json!({"i": input}),
        )
        .await;
        assert!(d.get("errors").is_none(), "{d}");
        let committed = std::time::Instant::now();
        let expected = post(&writer, None, count, json!({})).await["data"]["participantViews"]
            ["totalCount"]
            .clone();
        assert_eq!(
            expected,
            json!(before + 1),
            "round {round}: the writer reads its own write"
        );
        before += 1;
        let mut polls = 0;
        loop {
            let seen = post(&reader, None, count, json!({})).await["data"]["participantViews"]
                ["totalCount"]
                .clone();
            if seen == expected {
                break;
            }
            polls += 1;
            assert!(
                polls < 2000,
                "the replicas never converged: {seen} vs {expected}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        println!(
            "round {round}: visible on the other replica after {:?} ({polls} polls)",
            committed.elapsed()
        );
    }
}

#[tokio::test]
async fn the_engine_builds_from_the_database_and_follows_the_log() {
    use api::engine::{Engine, EngineState};
    on_each_backend!(|app| {
        let conn = sea_orm::Database::connect(app.db.url())
            .await
            .expect("connect");
        let count = || async {
            conn.query_one_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT COUNT(*) FROM participant_view",
            ))
            .await
            .expect("count")
            .expect("row")
            .try_get_by_index::<i64>(0)
            .expect("n") as u64
        };
        let engine = Engine::start(conn.clone(), None).await;
        let built = engine.status();
        assert_eq!(built.state, EngineState::Ready);
        assert_eq!(built.views, count().await);
        assert!(built.views > 0);
        assert!(built.build_time.is_some());

        let editor = app.token("follower", "editor").await;
        let vocab = vocabulary(&app, &editor).await;
        let mut rng = Rng(11);
        let input = view_input(&mut rng, &vocab, "followed");
        let d = app
            .data_as(
                &editor,
                "mutation($i: CreateViewInput!) { createView(input: $i) { id version } }",
                json!({"i": input}),
            )
            .await;
        engine.refresh(&conn).await;
        let after = engine.status();
        assert_eq!(after.views, built.views + 1);
        assert!(after.applied_seq > built.applied_seq);
        app.data_as(
            &editor,
            "mutation($id: ID!, $v: Int!) { deleteView(id: $id, expectedVersion: $v) { id } }",
            json!({"id": d["createView"]["id"], "v": d["createView"]["version"]}),
        )
        .await;
        engine.refresh(&conn).await;
        assert_eq!(engine.status().views, built.views);
        assert_eq!(Engine::disabled().status().state, EngineState::Disabled);
        conn.close().await.ok();
    });
}

/// With the engine, a filtered page with its total is one statement (the rows, by primary key)
/// in every order, an evidence map two the first time (its row and column labels, remembered
/// until the next write: the last map reads no labels), and each nested level of pages one; without it, the filter's lookups, the COUNT and the GROUP BY come on top, and the
/// lists of the missions and of the map's cells are read one parent at a time.
#[tokio::test]
async fn lists_totals_and_maps_come_from_the_index() {
    use std::sync::atomic::Ordering;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let mut counts = Vec::new();
        for engine in [true, false] {
            let Some((_db, address, statements)) = counted_server(backend, engine).await else {
                continue;
            };
            let mut measured = Vec::new();
            for query in [
                r#"{ participantViews(first: 5, filter: { stances: [CONCERN, CONDITION],
                     themes: { anyOf: ["privacy", "transparency"] } }) { totalCount nodes { id } } }"#,
                "{ evidenceMap(rows: MISSION, columns: THEME) { totalViews cells { count } } }",
                r#"{ findings(first: 3, order: TITLE_Z_TO_A, filter: { kinds: [CONCERN, HOPE] }) {
                     totalCount nodes { id } } }"#,
                r#"{ participantViews(first: 3, order: RECENTLY_UPDATED,
                     filter: { updatedSince: "2000-01-01T00:00:00Z", stances: [HOPE] }) {
                     totalCount nodes { id } } }"#,
                "{ missions { views(first: 2) { totalCount nodes { id } }
                     findings(first: 2) { totalCount nodes { id } } } }",
                "{ evidenceMap(rows: MISSION, columns: STANCE) { cells { views(first: 1) {
                     totalCount nodes { id } } } } }",
            ] {
                let before = statements.load(Ordering::SeqCst);
                let d = post(&address, None, query, json!({})).await;
                assert!(d.get("errors").is_none(), "{d}");
                measured.push(statements.load(Ordering::SeqCst) - before);
            }
            counts.push(measured);
        }
        if counts.is_empty() {
            continue;
        }
        println!("{backend:?}: statements with and without the engine: {counts:?}");
        assert_eq!(counts[0], vec![1, 2, 1, 1, 3, 1], "{backend:?}");
        assert!(
            counts[1][0] > 1 && counts[1][1] > 2 && counts[1][4] > 3 && counts[1][5] > 2,
            "{backend:?}: {counts:?}"
        );
    }
}

/// A seeded server (its engine on or off) over a fresh database, whose connection counts the
/// statements requests run (housekeeping left out); `None` when the backend is not configured.
async fn counted_server(
    backend: Backend,
    engine: bool,
) -> Option<(
    crate::helpers::TestDb,
    String,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
)> {
    counted_server_with(backend, engine, "0").await
}

/// [`counted_server`] with `PUBLIC_VOICE_RESPONSE_MEMO_KIB` set to `memo_kib`.
async fn counted_server_with(
    backend: Backend,
    engine: bool,
    memo_kib: &str,
) -> Option<(
    crate::helpers::TestDb,
    String,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let db = crate::helpers::TestDb::create(backend).await?;
    let mut conn = api::db::connect(db.url(), 4).await.expect("connect");
    let statements = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    conn.set_metric_callback(move |info| {
        if !crate::n_plus_one::housekeeping(&info.statement.sql) {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let vars: HashMap<&str, String> = HashMap::from([
        ("PUBLIC_VOICE_PORT", "0".to_string()),
        ("PUBLIC_VOICE_WORKERS", "1".to_string()),
        ("PUBLIC_VOICE_ENGINE_POLL_MS", "0".to_string()),
        ("PUBLIC_VOICE_RESPONSE_MEMO_KIB", memo_kib.to_string()),
        ("PUBLIC_VOICE_ENGINE", engine.to_string()),
    ]);
    let settings = Settings::from_lookup(|k| vars.get(k).cloned()).expect("settings");
    let app = Application::build_with_connection(&settings, conn)
        .await
        .expect("app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    // Let the change listener connect (PostgreSQL) before counting.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    Some((db, address, statements))
}

/// A map redrawn under the same filter is counted once per change-log position, and its themes
/// and missions are read once: the second request runs no statement where the first ran two
/// (a mission relabelled by an import is logged: see the next test). A theme written in between is
/// a new column at the very next request, with its own counts, on both backends.
#[tokio::test]
async fn a_redrawn_map_is_counted_once_until_the_next_write() {
    use std::sync::atomic::Ordering;
    const MAP: &str =
        "{ evidenceMap(rows: MISSION, columns: THEME, filter: { stances: [CONCERN] }) {
        totalViews columns { key label } cells { count byStance { stance count } } } }";
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((db, address, statements)) = counted_server(backend, true).await else {
            continue;
        };
        let mut maps = Vec::new();
        let mut ran = Vec::new();
        for _ in 0..2 {
            let before = statements.load(Ordering::SeqCst);
            let d = post(&address, None, MAP, json!({})).await;
            assert!(d.get("errors").is_none(), "{d}");
            ran.push(statements.load(Ordering::SeqCst) - before);
            maps.push(d);
        }
        assert_eq!(ran, vec![2, 0], "{backend:?}");
        assert_eq!(maps[0], maps[1], "{backend:?}");
        let columns = |d: &Value| -> Vec<String> {
            d["data"]["evidenceMap"]["columns"]
                .as_array()
                .expect("columns")
                .iter()
                .map(|c| c["key"].as_str().expect("key").to_string())
                .collect()
        };
        assert!(!columns(&maps[0]).contains(&"drawn-later".to_string()));

        let editor = editor_token(db.url()).await;
        let created = post(
            &address,
            Some(&editor),
            "mutation($input: CreateThemeInput!) { createTheme(input: $input) { slug } }",
            json!({"input": {"slug": "drawn-later", "label": "Drawn later",
                   "definition": "A theme written after the map was first drawn."}}),
        )
        .await;
        assert_eq!(
            created["data"]["createTheme"]["slug"], "drawn-later",
            "{created}"
        );
        let again = post(&address, None, MAP, json!({})).await;
        let keys = columns(&again);
        assert!(
            keys.contains(&"drawn-later".to_string()),
            "{backend:?}: {keys:?}"
        );
        assert_eq!(keys.len(), columns(&maps[0]).len() + 1, "{backend:?}");
        // The new column is empty; every other cell holds what it held.
        let cells = |d: &Value| {
            d["data"]["evidenceMap"]["cells"]
                .as_array()
                .expect("cells")
                .clone()
        };
        let width = keys.len();
        let at = keys
            .iter()
            .position(|k| k == "drawn-later")
            .expect("new column");
        let old_cells = cells(&maps[0]);
        for (i, cell) in cells(&again).iter().enumerate() {
            let (row, column) = (i / width, i % width);
            if column == at {
                assert_eq!(cell["count"], json!(0), "{backend:?}");
            } else {
                let old_column = if column > at { column - 1 } else { column };
                assert_eq!(
                    cell,
                    &old_cells[row * (width - 1) + old_column],
                    "{backend:?}"
                );
            }
        }
        assert_eq!(
            again["data"]["evidenceMap"]["totalViews"],
            maps[0]["data"]["evidenceMap"]["totalViews"],
            "{backend:?}"
        );
    }
}

/// A bundle that relabels a mission is logged like any curated change: the change feed reports
/// it (entity `GovernmentMission`, the mission's own ID, the label before and after), and the
/// maps, which remember missions' labels until the change-log position moves, and remembered
/// responses, show the new label at the very next request, on both backends.
#[tokio::test]
async fn a_relabelled_mission_is_logged_and_redrawn() {
    const MAP: &str = "{ evidenceMap(rows: MISSION, columns: STANCE) { rows { id key label } } }";
    const FEED: &str = "query { changes(entities: [GOVERNMENT_MISSION]) { totalCount nodes {
        entity kind objectId slug version visible
        node { ... on GovernmentMission { code label } } } } }";
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((db, address, _)) = counted_server_with(backend, true, "4096").await else {
            continue;
        };
        let label_of = |d: &Value, key: &str| -> (String, String) {
            let rows = d["data"]["evidenceMap"]["rows"].as_array().expect("rows");
            let row = rows.iter().find(|r| r["key"] == key).expect("mission row");
            (
                row["id"].as_str().expect("id").to_string(),
                row["label"].as_str().expect("label").to_string(),
            )
        };
        // Drawn twice: the second comes from memory.
        let first = post(&address, None, MAP, json!({})).await;
        assert_eq!(post(&address, None, MAP, json!({})).await, first);
        let (health_id, old_label) = label_of(&first, "HEALTH");
        assert_ne!(old_label, "Health and care, relabelled");
        let empty = post(&address, None, FEED, json!({})).await;
        assert_eq!(
            empty["data"]["changes"],
            json!({"totalCount": 0, "nodes": []}),
            "{backend:?}"
        );

        let conn = sea_orm::Database::connect(db.url()).await.expect("connect");
        use sea_orm::EntityTrait;
        let health = entity::mission::Entity::find_by_id(entity::enums::Mission::Health)
            .one(&conn)
            .await
            .expect("read")
            .expect("seeded");
        conn.close().await.ok();
        let bundle = format!(
            "{}\n{}\n",
            json!({"type": "header", "format": "public-voice-bundle", "version": 1}),
            json!({"type": "mission", "code": "HEALTH", "label": "Health and care, relabelled",
                   "description": health.description, "position": health.position})
        );
        let editor = editor_token(db.url()).await;
        // Imports the bundle, and checks that it committed and how many rows it updated.
        let import = |updated: u64| {
            let (address, editor, bundle) = (&address, &editor, &bundle);
            async move {
                let d = post(
                    address,
                    Some(editor),
                    "mutation($b: String!) { importBundle(bundle: $b) { committed updated } }",
                    json!({"b": bundle}),
                )
                .await;
                assert_eq!(
                    d["data"]["importBundle"],
                    json!({"committed": true, "updated": updated}),
                    "{backend:?}: {d}"
                );
            }
        };
        import(1).await;

        let redrawn = post(&address, None, MAP, json!({})).await;
        assert_eq!(
            label_of(&redrawn, "HEALTH"),
            (health_id.clone(), "Health and care, relabelled".to_string()),
            "{backend:?}"
        );
        let feed = post(&address, None, FEED, json!({})).await;
        assert_eq!(
            feed["data"]["changes"],
            json!({"totalCount": 1, "nodes": [{
                "entity": "GovernmentMission", "kind": "UPDATE", "objectId": health_id,
                "slug": "HEALTH", "version": 1, "visible": true,
                "node": {"code": "HEALTH", "label": "Health and care, relabelled"}}]}),
            "{backend:?}"
        );
        // The same bundle again changes nothing and logs nothing.
        import(0).await;
        let feed = post(&address, None, FEED, json!({})).await;
        assert_eq!(feed["data"]["changes"]["totalCount"], 1, "{backend:?}");
    }
}

/// The statements one request runs on a counted server, and its answer.
async fn counted(
    address: &str,
    statements: &std::sync::atomic::AtomicUsize,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (Value, usize) {
    use std::sync::atomic::Ordering;
    let before = statements.load(Ordering::SeqCst);
    let answer = post(address, token, query, variables).await;
    (answer, statements.load(Ordering::SeqCst) - before)
}

/// A query asked again at the same change-log position is sent as it was, from memory; other
/// variables, a write, or a token holder (who may see drafts) make it run again, and an answer
/// that depends on the time is never remembered. Whether an answer came from memory is read
/// from the server's metrics: on PostgreSQL, the server's own reaction to a write (NOTIFY, the
/// hub reading the change log) runs statements at times of its own, so counts of statements
/// only say that something ran.
#[tokio::test]
async fn responses_are_remembered_until_the_next_write() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((db, address, statements)) = counted_server_with(backend, true, "4096").await
        else {
            continue;
        };
        let conn = sea_orm::Database::connect(db.url()).await.expect("connect");
        let role = api::auth::parse_role("editor").expect("role");
        let (_, editor) = api::auth::create_token(&conn, "memo", role, "test")
            .await
            .expect("token");
        let list = "query($n: Int) { participantViews(first: $n, order: NEWEST_FIRST) { totalCount nodes { slug text } } }";
        let ask = |token: Option<&'static str>, n: i64| {
            let address = address.clone();
            let statements = statements.clone();
            async move { counted(&address, &statements, token, list, json!({"n": n})).await }
        };
        let sent = || crate::helpers::remembered(&address, "sent");
        crate::helpers::engine_ready(&address).await;
        let (first, ran) = ask(None, 2).await;
        assert!(first.get("errors").is_none(), "{first}");
        assert!(ran > 0, "{backend:?}: the first answer is computed");
        assert_eq!(
            crate::helpers::remembered(&address, "stored").await,
            1,
            "{backend:?}"
        );
        assert_eq!(sent().await, 0, "{backend:?}");
        let (again, _) = ask(None, 2).await;
        assert_eq!(again, first, "{backend:?}");
        assert_eq!(
            sent().await,
            1,
            "{backend:?}: asked again, it is remembered"
        );
        let (_, ran) = ask(None, 3).await;
        assert!(ran > 0, "{backend:?}");
        assert_eq!(
            sent().await,
            1,
            "{backend:?}: other variables are another answer"
        );

        // A draft: logged, so the position moves; only a token holder sees it.
        let ids = post(
            &address,
            None,
            "{ exercises(first: 1) { nodes { id } } sourceDocuments(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await["data"]
            .clone();
        let input = |slug: &str, status: &str| {
            json!({"i": {
                "exerciseId": ids["exercises"]["nodes"][0]["id"],
                "sourceId": ids["sourceDocuments"]["nodes"][0]["id"],
                "locator": "p. 1", "slug": slug, "stance": "HOPE",
                "text": format!("Remembered until {slug}"), "reviewStatus": status,
            }})
        };
        let create = "mutation($i: CreateViewInput!) { createView(input: $i) { id } }";
        let d = post(
            &address,
            Some(&editor),
            create,
            input("memo-draft", "DRAFT"),
        )
        .await;
        assert!(d.get("errors").is_none(), "{d}");
        let total = |d: &Value| d["data"]["participantViews"]["totalCount"].as_u64();
        let (anonymous, _) = ask(None, 2).await;
        assert_eq!(sent().await, 1, "{backend:?}: a write moved the position");
        assert_eq!(
            total(&anonymous),
            total(&first),
            "{backend:?}: drafts stay hidden"
        );
        let editor: &'static str = Box::leak(editor.into_boxed_str());
        let (curator, _) = ask(Some(editor), 2).await;
        assert_eq!(
            total(&curator),
            total(&first).map(|n| n + 1),
            "{backend:?}: a token holder is never sent an anonymous answer"
        );
        assert_eq!(sent().await, 1, "{backend:?}");
        let (again, _) = ask(None, 2).await;
        assert_eq!(again, anonymous, "{backend:?}");
        assert_eq!(sent().await, 2, "{backend:?}");

        // Published: the writer's next read is computed afresh and shows it.
        let d = post(
            &address,
            Some(editor),
            create,
            input("memo-published", "PUBLISHED"),
        )
        .await;
        assert!(d.get("errors").is_none(), "{d}");
        let (after, _) = ask(None, 2).await;
        assert_eq!(sent().await, 2, "{backend:?}");
        assert_eq!(total(&after), total(&first).map(|n| n + 1), "{backend:?}");
        assert_eq!(
            after["data"]["participantViews"]["nodes"][0]["text"],
            json!("Remembered until memo-published"),
            "{backend:?}"
        );

        // A citation carries today's date: computed every time, never kept.
        let stored = crate::helpers::remembered(&address, "stored").await;
        let cite = "{ citation(permalink: \"/explore?rows=MISSION&columns=THEME\") { text } }";
        for _ in 0..2 {
            let (c, ran) = counted(&address, &statements, None, cite, json!({})).await;
            assert!(c.get("errors").is_none(), "{c}");
            assert!(ran > 0, "{backend:?}");
        }
        assert_eq!(
            sent().await,
            2,
            "{backend:?}: a volatile answer is not remembered"
        );
        assert_eq!(
            crate::helpers::remembered(&address, "stored").await,
            stored,
            "{backend:?}"
        );
    }
}

/// A map under a filter on stances (on kinds, for findings) is the same map without that
/// filter, cut to the stances chosen: the engine counts the wider map once and reads the
/// narrower ones off it. Every answer equals SQL's, whether the narrower map is asked before
/// or after the wider one, with the stances on either dimension or neither, on both backends.
#[tokio::test]
async fn maps_under_chosen_stances_equal_sql_whichever_is_asked_first() {
    const FINDINGS: &str =
        "query($r: FindingDimension!, $c: FindingDimension!, $f: FindingFilter) {
      findingMap(rows: $r, columns: $c, filter: $f) {
        totalFindings cells { row { key } column { key } count } } }";
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((db, engine, _)) = counted_server(backend, true).await else {
            continue;
        };
        let sql = server_on(db.url(), false).await;
        let mut checked = 0;
        for (r, c) in [
            ("MISSION", "THEME"),
            ("STANCE", "THEME"),
            ("MISSION", "STANCE"),
        ] {
            for f in [
                json!({"stances": ["CONCERN"]}),
                json!({}),
                json!({"stances": ["HOPE", "CONDITION"]}),
                json!({"stances": STANCES}),
                json!({"missions": {"anyOf": ["HEALTH"]}, "stances": ["CONCERN", "HOPE"]}),
                json!({"verbatim": false, "stances": ["SUGGESTION", "CONCERN"]}),
                // Outside the profiles: the map is read off the one without stances.
                json!({"updatedSince": "2000-01-01T00:00:00Z", "stances": ["CONCERN"]}),
                json!({"updatedSince": "2000-01-01T00:00:00Z"}),
                json!({"updatedSince": "2000-01-01T00:00:00Z", "stances": ["HOPE", "NEUTRAL"]}),
            ] {
                let map = same(&engine, &sql, None, MAP, json!({"r": r, "c": c, "f": f})).await;
                assert!(map.get("errors").is_none(), "{map}");
                let cells = map["data"]["evidenceMap"]["cells"]
                    .as_array()
                    .expect("cells");
                if let Some(chosen) = f["stances"].as_array() {
                    for cell in cells {
                        for s in cell["byStance"].as_array().expect("byStance") {
                            assert!(
                                s["count"] == 0 || chosen.contains(&s["stance"]),
                                "{backend:?}: {f}: {cell}"
                            );
                        }
                    }
                }
                checked += cells.len();
            }
        }
        for (r, c, f) in [
            ("MISSION", "KIND", json!({"kinds": ["CONCERN"]})),
            ("MISSION", "KIND", json!({})),
            (
                "MISSION",
                "KIND",
                json!({"kinds": ["HOPE", "CONCERN", "PRINCIPLE"]}),
            ),
            ("THEME", "MISSION", json!({"kinds": ["CONCERN", "HOPE"]})),
        ] {
            let map = same(
                &engine,
                &sql,
                None,
                FINDINGS,
                json!({"r": r, "c": c, "f": f}),
            )
            .await;
            assert!(map.get("errors").is_none(), "{map}");
            checked += map["data"]["findingMap"]["cells"]
                .as_array()
                .expect("cells")
                .len();
        }
        assert!(checked > 100, "{backend:?}: only {checked} cells compared");
    }
}

/// A row's themes come from the read engine: a page of findings with their themes is one
/// statement once every theme's row has been read at the position, and the answers equal
/// SQL's, in label order, before and after a theme is relabelled (which reorders them) and a
/// finding retagged, at the very next request, on both backends.
#[tokio::test]
async fn themes_of_rows_come_from_the_engine_and_follow_relabels() {
    use std::sync::atomic::Ordering;
    const PAGE: &str = "{ findings(first: 20) { nodes { id version themes { id slug label } } }
        participantViews(first: 20) { nodes { themes { slug label } } } }";
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((db, engine, statements)) = counted_server(backend, true).await else {
            continue;
        };
        let sql = server_on(db.url(), false).await;
        crate::helpers::engine_ready(&engine).await;
        let editor = editor_token(db.url()).await;
        let mut ran = Vec::new();
        for _ in 0..2 {
            let before = statements.load(Ordering::SeqCst);
            let page = same(&engine, &sql, None, PAGE, json!({})).await;
            assert!(page.get("errors").is_none(), "{page}");
            ran.push(statements.load(Ordering::SeqCst) - before);
        }
        // The two pages, and every theme's row once at this position (a loader's batch window
        // that closes early under load can split that read in two); then the pages alone,
        // where the loaders would read each page's tags (four statements).
        assert!((3..=4).contains(&ran[0]), "{backend:?}: {ran:?}");
        assert_eq!(ran[1], 2, "{backend:?}: {ran:?}");
        let page = same(&engine, &sql, None, PAGE, json!({})).await;
        let finding = page["data"]["findings"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|f| f["themes"].as_array().is_some_and(|t| t.len() > 1))
            .expect("a finding with two themes")
            .clone();
        let last = finding["themes"]
            .as_array()
            .expect("themes")
            .last()
            .expect("theme")
            .clone();
        let theme = post(
            &engine,
            None,
            "query($id: ID!) { node(id: $id) { ... on Theme { version } } }",
            json!({"id": last["id"]}),
        )
        .await;
        // The same finding in a page answered now.
        let the_finding = |page: &Value| -> Value {
            page["data"]["findings"]["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .find(|f| f["id"] == finding["id"])
                .expect("the finding")
                .clone()
        };
        let relabelled = post(
            &engine,
            Some(&editor),
            "mutation($i: UpdateThemeInput!) { updateTheme(input: $i) { label } }",
            json!({"i": {"id": last["id"], "label": "AAA relabelled first",
                         "expectedVersion": theme["data"]["node"]["version"]}}),
        )
        .await;
        assert_eq!(
            relabelled["data"]["updateTheme"]["label"], "AAA relabelled first",
            "{relabelled}"
        );
        let now = the_finding(&same(&engine, &sql, None, PAGE, json!({})).await);
        assert_eq!(
            now["themes"][0]["label"], "AAA relabelled first",
            "{backend:?}: {now}"
        );
        // Retagged: only the relabelled theme is left.
        let retagged = post(
            &engine,
            Some(&editor),
            "mutation($i: UpdateFindingInput!) { updateFinding(input: $i) { themes { slug } } }",
            json!({"i": {"id": finding["id"], "expectedVersion": finding["version"],
                         "themeIds": [last["id"]]}}),
        )
        .await;
        assert!(retagged.get("errors").is_none(), "{retagged}");
        let now = the_finding(&same(&engine, &sql, None, PAGE, json!({})).await);
        assert_eq!(
            now["themes"].as_array().map(Vec::len),
            Some(1),
            "{backend:?}: {now}"
        );
    }
}

/// An editor's token, written straight into the database at `url`.
async fn editor_token(url: &str) -> String {
    let conn = sea_orm::Database::connect(url).await.expect("connect");
    let (_, editor) = api::auth::create_token(&conn, "curator", api::auth::Role::Editor, "test")
        .await
        .expect("token");
    conn.close().await.ok();
    editor
}
