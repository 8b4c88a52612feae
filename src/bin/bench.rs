//! The benchmark: generates a synthetic corpus in proportion to the seed (exercises, findings,
//! resources, tagged participant views), loads it into SQLite and PostgreSQL, starts the release
//! server as its own process, and drives a fixed mix of dashboard, analyst and integrator queries
//! at fixed concurrency. Reports requests per second, p50 and p99 latency, SQL statements per
//! request, the server's peak resident memory and, when the server reports it on `/metrics`, the
//! time it took to build its read index.
//!
//! `pv-bench import SIZES...` measures bulk import instead: for each size it writes a bundle of
//! that many new participant views (`pv-bench bundle N FILE` writes one alone), and runs
//! `public-voice import` on it as its own process against a freshly seeded database on each
//! backend, reporting rows per second and the process's peak resident memory.
//!
//! `pv-bench generate N DATABASE_URL` only generates and loads the corpus of N views into that
//! database (migrated and seeded first), for measuring a server on it by other means (for example
//! its instructions per request under a profiler).
//!
//! Run: `cargo build --profile dist --features bench --bins && target/dist/pv-bench 10000 100000`
//! (PostgreSQL from `PUBLIC_VOICE_BENCH_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/postgres;
//! `PUBLIC_VOICE_BENCH_TAG=x` suffixes its database and file names, to run two benchmarks at once).

use api::pagination::encode_cursor;
use chrono::Utc;
use entity::enums::{ExerciseKind, ExerciseStatus, FindingKind, Mission, ResourceKind, Stance};
use entity::{
    exercise, finding, participant_view, resource, resource_finding, view_mission, view_theme,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 16;
const SECONDS_PER_QUERY: u64 = 8;

/// A tiny deterministic generator, so every run builds the same corpus.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "privacy",
    "data",
    "trust",
    "health",
    "school",
    "police",
    "energy",
    "bias",
    "oversight",
    "staff",
    "decisions",
    "services",
    "support",
    "human",
    "contact",
    "commercial",
    "security",
    "transparency",
    "accountable",
    "community",
    "engagement",
    "public",
    "benefit",
    "pressure",
    "co-pilot",
    "replacement",
    "personal",
    "records",
    "teachers",
    "patients",
    "officers",
    "costs",
];

fn sentence(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

async fn generate(db: &DatabaseConnection, views: usize) -> Result<(), Box<dyn std::error::Error>> {
    api::db::migrate(db).await?;
    api::seed::seed(db).await?;
    let now = Utc::now();
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let exercises = (views / 1000).max(4);
    let findings = (views / 10).max(10);
    let resources = (views / 20).max(10);
    let missions = [
        Mission::Health,
        Mission::Education,
        Mission::CrimeAndPolicing,
        Mission::EnergyAndNetZero,
        Mission::EconomicGrowth,
    ];
    let stances = [
        Stance::Hope,
        Stance::Concern,
        Stance::Condition,
        Stance::Suggestion,
        Stance::Neutral,
    ];
    let themes: i32 = 20;
    let txn = db.begin().await?;
    // New rows take the ids after the largest stored, given explicitly (the tags name them):
    // stored ids need not run 1..=count (PostgreSQL's importer draws them a batch ahead).
    let base_ex = max_id(&txn, "exercise").await?;
    let base_f = max_id(&txn, "finding").await?;
    let base_v = max_id(&txn, "participant_view").await?;
    let base_r = max_id(&txn, "resource").await?;
    for chunk in (0..exercises).collect::<Vec<_>>().chunks(500) {
        exercise::Entity::insert_many(chunk.iter().map(|i| exercise::ActiveModel {
            id: Set(base_ex + 1 + *i as i32),
            slug: Set(format!("bench-exercise-{i}")),
            title: Set(format!("Bench dialogue {i}")),
            kind: Set(ExerciseKind::PublicDialogue),
            summary: Set(sentence(&mut Rng(*i as u64 + 1), 20)),
            start_date: Set(Some(format!("{}-{:02}", 2020 + i % 6, 1 + i % 12))),
            places: Set(json!(["Cambridge"])),
            status: Set(ExerciseStatus::Completed),
            source_document_id: Set(1),
            locator: Set("synthetic".into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
        // The place index the place filter reads (what `api::places::set_exercise_places`
        // writes), in bulk.
        entity::exercise_place::Entity::insert_many(chunk.iter().map(|i| {
            entity::exercise_place::ActiveModel {
                exercise_id: Set(base_ex + 1 + *i as i32),
                place_key: Set("cambridge".into()),
                place: Set("Cambridge".into()),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    for chunk in (0..findings).collect::<Vec<_>>().chunks(1000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|i| finding::ActiveModel {
                id: Set(base_f + 1 + *i as i32),
                slug: Set(format!("bench-finding-{i}")),
                exercise_id: Set(base_ex + 1 + (i % exercises) as i32),
                title: Set(sentence(&mut rng, 6)),
                summary: Set(sentence(&mut rng, 30)),
                kind: Set(FindingKind::Principle),
                position: Set(1 + (*i / exercises) as i32),
                source_document_id: Set(1),
                locator: Set("synthetic".into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .collect();
        finding::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    for chunk in (0..resources).collect::<Vec<_>>().chunks(1000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|i| resource::ActiveModel {
                id: Set(base_r + 1 + *i as i32),
                slug: Set(format!("bench-resource-{i}")),
                title: Set(format!("Report {i}: {}", sentence(&mut rng, 5))),
                kind: Set(ResourceKind::Report),
                url: Set(Some(format!("https://example.org/report/{i}"))),
                source_document_id: Set(1),
                locator: Set("synthetic".into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .collect();
        resource::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
        let links: Vec<_> = chunk
            .iter()
            .flat_map(|i| {
                (0..2).map(move |k| resource_finding::ActiveModel {
                    resource_id: Set(base_r + 1 + *i as i32),
                    finding_id: Set(base_f + 1 + ((i * 2 + k) % findings) as i32),
                })
            })
            .collect();
        resource_finding::Entity::insert_many(links)
            .exec_without_returning(&txn)
            .await?;
    }
    for chunk in (0..views).collect::<Vec<_>>().chunks(1000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|i| {
                let f = i % findings;
                participant_view::ActiveModel {
                    id: Set(base_v + 1 + *i as i32),
                    slug: Set(format!("bench-view-{i}")),
                    exercise_id: Set(base_ex + 1 + (f % exercises) as i32),
                    finding_id: Set(Some(base_f + 1 + f as i32)),
                    text: Set(sentence(&mut rng, 18)),
                    is_verbatim: Set(i % 7 == 0),
                    stance: Set(stances[i % 5]),
                    source_document_id: Set(1),
                    locator: Set("synthetic".into()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
            })
            .collect();
        participant_view::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
        let mut tags_m = Vec::new();
        let mut tags_t = Vec::new();
        for i in chunk {
            let id = base_v + 1 + *i as i32;
            let m1 = rng.below(5) as usize;
            tags_m.push(view_mission::ActiveModel {
                view_id: Set(id),
                mission_code: Set(missions[m1]),
            });
            if rng.below(3) == 0 {
                tags_m.push(view_mission::ActiveModel {
                    view_id: Set(id),
                    mission_code: Set(missions[(m1 + 1) % 5]),
                });
            }
            let t1 = rng.below(themes as u64) as i32;
            for k in 0..(1 + rng.below(3) as i32) {
                tags_t.push(view_theme::ActiveModel {
                    view_id: Set(id),
                    theme_id: Set(1 + (t1 + k * 7) % themes),
                });
            }
        }
        view_mission::Entity::insert_many(tags_m)
            .exec_without_returning(&txn)
            .await?;
        view_theme::Entity::insert_many(tags_t)
            .exec_without_returning(&txn)
            .await?;
    }
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Explicit ids leave the sequences behind: the next write takes the id after these.
        for table in ["exercise", "finding", "participant_view", "resource"] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
    }
    txn.commit().await?;
    // Fresh planner statistics, as a production database would have.
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

/// The largest id stored in `table` (0 when it is empty).
async fn max_id(txn: &impl ConnectionTrait, table: &str) -> Result<i32, sea_orm::DbErr> {
    let row = txn
        .query_one_raw(sea_orm::Statement::from_string(
            txn.get_database_backend(),
            format!("SELECT COALESCE(MAX(id), 0) AS n FROM {table}"),
        ))
        .await?;
    row.map_or(Ok(0), |r| r.try_get::<i32>("", "n"))
}

struct Case {
    name: &'static str,
    query: &'static str,
    variables: Value,
    /// When not empty: the variables each request takes in turn instead of `variables` (pages
    /// or filters that differ from one request to the next, so that no answer is asked twice
    /// in a row and the server's per-position memory of answers is measured apart).
    variants: Vec<Value>,
}

impl Case {
    fn new(name: &'static str, query: &'static str, variables: Value) -> Case {
        Case {
            name,
            query,
            variables,
            variants: Vec::new(),
        }
    }

    /// The request bodies the load sends in turn.
    fn bodies(&self) -> Vec<Value> {
        if self.variants.is_empty() {
            return vec![json!({"query": self.query, "variables": self.variables})];
        }
        self.variants
            .iter()
            .map(|v| json!({"query": self.query, "variables": v}))
            .collect()
    }
}

/// How many different pages "dashboard, varied pages" reads.
const VARIED_PAGES: i64 = 4096;

const MAP_UNDER: &str = "query($f: ViewFilter) { evidenceMap(rows: MISSION, columns: THEME, filter: $f) { totalViews cells { count byStance { stance count } } } }";

const DASHBOARD: &str = "query($after: String) { participantViews(first: 50, after: $after, filter: {
  missions: { anyOf: [HEALTH, EDUCATION] }, themes: { anyOf: [\"privacy\", \"bias-and-discrimination\"] },
  stances: [CONCERN, CONDITION] }) { totalCount nodes { text stance exercise { title startDate }
  finding { title resources(first: 3) { nodes { title url } } } } pageInfo { endCursor hasNextPage } } }";

async fn cases(client: &reqwest::Client, url: &str, db: &DatabaseConnection) -> Vec<Case> {
    // The deep page: the cursor of the row at 80% of the id range.
    let max: i64 = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT MAX(id) AS n FROM participant_view",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get::<i32>("", "n").ok().map(i64::from))
        .unwrap_or(1);
    let deep = encode_cursor((max * 8 / 10) as i32);
    let node: Value = client
        .post(url)
        .json(&json!({"query": "{ findings(first: 1, after: \"".to_string() + &encode_cursor((max / 20) as i32) + "\") { nodes { id } } }"}))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("node id")
        .json()
        .await
        .expect("json");
    let id = node["data"]["findings"]["nodes"][0]["id"].clone();
    let pages: Vec<Value> = (0..VARIED_PAGES)
        .map(|k| json!({"after": encode_cursor((max * k / VARIED_PAGES) as i32)}))
        .collect();
    // Every mission with every non-empty set of stances: 155 filters.
    let stances = ["HOPE", "CONCERN", "CONDITION", "SUGGESTION", "NEUTRAL"];
    let mut filters = Vec::new();
    for mission in [
        "CRIME_AND_POLICING",
        "ECONOMIC_GROWTH",
        "EDUCATION",
        "ENERGY_AND_NET_ZERO",
        "HEALTH",
    ] {
        for bits in 1..32u32 {
            let chosen: Vec<&str> = (0..5)
                .filter(|b| bits & (1 << b) != 0)
                .map(|b| stances[b])
                .collect();
            filters.push(json!({"f": {"missions": {"anyOf": [mission]}, "stances": chosen}}));
        }
    }
    // Every theme and every pair of themes (210 filters with the corpus' 20 themes): filters
    // the map cannot read off another map, so each is counted afresh.
    let slugs: Vec<String> = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT slug FROM theme ORDER BY id",
        ))
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.try_get::<String>("", "slug").ok())
        .collect();
    let mut by_themes = Vec::new();
    for (i, a) in slugs.iter().enumerate() {
        for b in &slugs[i..] {
            let chosen = if a == b { vec![a] } else { vec![a, b] };
            by_themes.push(json!({"f": {"themes": {"anyOf": chosen}}}));
        }
    }
    vec![
        Case::new("dashboard, first page", DASHBOARD, json!({})),
        Case::new("dashboard, deep page", DASHBOARD, json!({"after": deep})),
        Case {
            variables: pages[VARIED_PAGES as usize / 2].clone(),
            variants: pages,
            ..Case::new("dashboard, varied pages", DASHBOARD, json!({}))
        },
        Case::new(
            "search",
            "{ search(query: \"personal data privacy\", first: 20) { edges { node { score snippet node { __typename } } } } }",
            json!({}),
        ),
        Case::new(
            "search, filtered",
            "{ search(query: \"personal data privacy\", first: 20, views: { missions: { anyOf: [HEALTH] }, stances: [CONCERN] }, findings: { kinds: [CONCERN] }) { totalCount edges { node { score snippet node { __typename } } } pageInfo { endCursor hasNextPage } } }",
            json!({}),
        ),
        Case::new(
            "evidence map",
            "{ evidenceMap(rows: MISSION, columns: THEME, filter: { stances: [CONCERN] }) { totalViews cells { count byStance { stance count } } } }",
            json!({}),
        ),
        Case::new(
            "evidence map, filtered",
            "{ evidenceMap(rows: MISSION, columns: THEME, filter: { missions: { anyOf: [HEALTH] }, stances: [CONCERN, CONDITION] }) { totalViews cells { count byStance { stance count } } } }",
            json!({}),
        ),
        Case {
            variables: filters[0].clone(),
            variants: filters,
            ..Case::new("evidence map, varied filters", MAP_UNDER, json!({}))
        },
        Case {
            variables: by_themes.first().cloned().unwrap_or_else(|| json!({})),
            variants: by_themes,
            ..Case::new("evidence map, varied themes", MAP_UNDER, json!({}))
        },
        Case::new(
            "finding map",
            "{ findingMap(rows: MISSION, columns: KIND) { totalFindings cells { count } } }",
            json!({}),
        ),
        Case::new(
            "findings by title",
            "{ findings(first: 50, order: TITLE_A_TO_Z) { totalCount nodes { title kind exercise { title } } pageInfo { endCursor hasNextPage } } }",
            json!({}),
        ),
        Case::new(
            "exercise counts",
            "{ exercise(by: {slug: \"bench-exercise-0\"}) { title counts { views findings resources sessions metrics viewsByStance { stance count } } } }",
            json!({}),
        ),
        Case::new(
            "node lookup",
            "query($id: ID!) { node(id: $id) { id ... on Finding { title exercise { title } themes { label } } } }",
            json!({"id": id}),
        ),
    ]
}

/// What one query did under load.
struct Measured {
    rate: f64,
    p50: f64,
    p99: f64,
    errors: usize,
}

/// Sends `body` from CONCURRENCY clients for SECONDS_PER_QUERY seconds. A response with
/// `errors` counts as an error, not a latency.
async fn drive(client: &reqwest::Client, url: &str, bodies: &[Value]) -> Measured {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(SECONDS_PER_QUERY);
    let bodies = Arc::new(bodies.to_vec());
    let mut tasks = Vec::new();
    for client_no in 0..CONCURRENCY {
        let (client, url, bodies) = (client.clone(), url.to_string(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            // Each client takes the bodies in turn, the clients spread over them.
            let mut next = client_no * bodies.len() / CONCURRENCY;
            while Instant::now() < deadline {
                let body = &bodies[next % bodies.len()];
                next += 1;
                let t = Instant::now();
                match client.post(&url).json(body).send().await {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(b) if !has_errors(&b) => lat.push(t.elapsed()),
                        _ => errors += 1,
                    },
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("task");
        all.extend(lat);
        errors += e;
    }
    all.sort();
    // Over the time actually taken: a request started before the deadline may end long after.
    let elapsed = started.elapsed().as_secs_f64();
    Measured {
        rate: all.len() as f64 / elapsed,
        p50: percentile(&all, 0.5),
        p99: percentile(&all, 0.99),
        errors,
    }
}

/// `pv-bench drive URL FILE`: the same load, against any GraphQL endpoint, for the queries in
/// FILE (a JSON list of `{"name", "query", "variables"}`); used to compare engines on the same
/// database.
async fn drive_file(url: &str, file: &str) {
    let text = std::fs::read_to_string(file).expect("queries file");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("a JSON list of queries");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    println!("{url}, {CONCURRENCY} clients, {SECONDS_PER_QUERY} s per query");
    println!("| query | req/s | p50 ms | p99 ms | errors |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for case in cases {
        let body = json!({"query": case["query"], "variables": case["variables"]});
        // One request first, so a wrong query shows its error instead of a row of errors.
        let probe: Value = client
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        if probe.get("errors").is_some() {
            eprintln!("{}: {probe}", case["name"]);
        }
        let bodies: Vec<Value> = match case["variants"].as_array() {
            Some(variants) => variants
                .iter()
                .map(|v| json!({"query": case["query"], "variables": v}))
                .collect(),
            None => vec![body],
        };
        let m = drive(&client, url, &bodies).await;
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {} |",
            case["name"].as_str().unwrap_or("?"),
            m.rate,
            m.p50,
            m.p99,
            m.errors
        );
    }
}

/// Whether a GraphQL response has an `errors` entry, without parsing it: the load generator
/// shares the server's cores, so it spends as little as it can on each answer. A string value
/// cannot hold the pattern unescaped (its quotes would be `\"`).
fn has_errors(body: &[u8]) -> bool {
    body.windows(9).any(|w| w == b"\"errors\":")
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Counts the statements one request of each case issues, on an in-process server whose
/// connection reports every statement, once its read index is built (the build's statements
/// would otherwise count against whichever requests ran beside it).
async fn statements_per_request(url_db: &str, cases: &[Case]) -> Vec<usize> {
    let mut conn = api::db::connect(url_db, 4).await.expect("connect");
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    conn.set_metric_callback(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    let vars = [
        ("PUBLIC_VOICE_PORT", "0"),
        ("PUBLIC_VOICE_WORKERS", "1"),
        ("PUBLIC_VOICE_SEED_ON_START", "false"),
        // What computing each answer costs, not what sending a remembered one does.
        ("PUBLIC_VOICE_RESPONSE_MEMO_KIB", "0"),
    ];
    let settings = api::settings::Settings::from_lookup(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .expect("settings");
    let app = api::server::Application::build_with_connection(&settings, conn)
        .await
        .expect("app");
    let port = app.port();
    let url = format!("http://127.0.0.1:{port}/graphql");
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    // The requests' own statements, not the read index's build running beside them.
    let _ = index_build_seconds(&client, port).await;
    let mut out = Vec::new();
    for case in cases {
        let before = counter.load(Ordering::SeqCst);
        let _ = client
            .post(&url)
            .json(&json!({"query": case.query, "variables": case.variables}))
            .send()
            .await;
        out.push(counter.load(Ordering::SeqCst) - before);
    }
    out
}

/// The server's read-index build time, from the `public_voice_index_build_seconds` gauge on
/// `/metrics`, when the server has a read index and reports it (`None` otherwise). Waits up to
/// a minute for the build to finish.
async fn index_build_seconds(client: &reqwest::Client, port: u16) -> Option<f64> {
    for _ in 0..600 {
        let text = client
            .get(format!("http://127.0.0.1:{port}/metrics"))
            .send()
            .await
            .ok()?
            .error_for_status()
            .ok()?
            .text()
            .await
            .ok()?;
        let value = text
            .lines()
            .find(|l| l.starts_with("public_voice_index_build_seconds"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|v| v.parse::<f64>().ok());
        match value {
            Some(v) if v > 0.0 => return Some(v),
            // The gauge exists but the build is not done yet.
            Some(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            None => return None,
        }
    }
    None
}

/// Writes a bundle of `views` new participant views filed under the seed corpus' dialogue (each
/// with a session, 1-2 missions, 1-3 themes and an external key), as an integrator would send.
fn write_bundle(path: &std::path::Path, views: usize) -> std::io::Result<u64> {
    use std::io::Write;
    const THEMES: [&str; 8] = [
        "privacy",
        "bias-and-discrimination",
        "transparency",
        "security",
        "human-contact",
        "admin-burden",
        "accountability",
        "public-benefit",
    ];
    const MISSIONS: [&str; 5] = [
        "HEALTH",
        "EDUCATION",
        "CRIME_AND_POLICING",
        "ENERGY_AND_NET_ZERO",
        "ECONOMIC_GROWTH",
    ];
    const STANCES: [&str; 5] = ["HOPE", "CONCERN", "CONDITION", "SUGGESTION", "NEUTRAL"];
    const SESSIONS: [&str; 2] = ["ai-cam-dialogue-cambridge", "ai-cam-dialogue-liverpool"];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "{{\"type\":\"header\",\"format\":\"public-voice-bundle\",\"version\":1}}"
    )?;
    let mut rng = Rng(0x2545f4914f6cdd1d);
    for i in 0..views {
        let first = rng.below(5) as usize;
        let mut missions = vec![MISSIONS[first]];
        if rng.below(2) == 0 {
            missions.push(MISSIONS[(first + 1 + rng.below(4) as usize) % 5]);
        }
        let start = rng.below(THEMES.len() as u64) as usize;
        let themes: Vec<&str> = (0..1 + rng.below(3) as usize)
            .map(|k| THEMES[(start + k) % THEMES.len()])
            .collect();
        let row = json!({
            "type": "view",
            "slug": format!("import-bench-view-{i}"),
            "exercise": "ai-cam-public-dialogues-2024",
            "session": SESSIONS[i % 2],
            "text": sentence(&mut rng, 40),
            "verbatim": i % 3 == 0,
            "stance": STANCES[rng.below(5) as usize],
            "missions": missions,
            "themes": themes,
            "source": "ai-cam-2024-10-26",
            "locator": format!("synthetic, record {i}"),
            "externalSource": "import-bench",
            "externalId": format!("V-{i}"),
        });
        serde_json::to_writer(&mut out, &row)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Imports the bundle at `file` into a freshly seeded database with `public-voice import`, as
/// its own process; prints the wall time, rows per second, the process's peak memory, and the
/// CPU time the import took: the process's own and, on PostgreSQL, its server backend's. On a
/// shared machine the wall time says how long the import waited for a core; the CPU time says
/// what it cost, and `rows / CPU s` is the rate it reaches with a core to itself.
async fn import_run(backend: &str, db_url: &str, file: &std::path::Path, views: usize) {
    let db = api::db::connect(db_url, 1).await.expect("connect");
    api::db::migrate(&db).await.expect("migrate");
    api::seed::seed(&db).await.expect("seed");
    db.close().await.expect("close");
    // The server backend serving the import, found by its database (PostgreSQL only).
    let pg_name = db_url
        .starts_with("postgres")
        .then(|| db_url.rsplit('/').next().unwrap_or_default().to_string());
    let admin = match &pg_name {
        Some(_) => Some(
            api::db::connect(
                &format!(
                    "{}/postgres",
                    db_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(db_url)
                ),
                1,
            )
            .await
            .expect("connect"),
        ),
        None => None,
    };
    // Backends still closing from the seeding above are not the import's.
    let earlier = match (&admin, &pg_name) {
        (Some(admin), Some(name)) => backends_of(admin, name).await,
        _ => Vec::new(),
    };
    let exe = std::env::current_exe().expect("exe");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let started = Instant::now();
    let mut child = Command::new(exe.with_file_name("public-voice"))
        .args(["import", &file.display().to_string()])
        .env("DATABASE_URL", db_url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start public-voice beside pv-bench (build both: `cargo build --profile dist --features bench --bins`)");
    // Peak resident memory, sampled while it runs (the kernel's high-water mark, so a sample
    // taken late still sees an earlier peak); CPU times likewise (they only grow).
    let mut peak = 0;
    let mut cpu = 0.0f64;
    let mut backend_pid: Option<u32> = None;
    let mut backend_cpu = 0.0f64;
    let status = loop {
        peak = peak.max(peak_rss_kib(child.id()));
        cpu = cpu.max(cpu_seconds(child.id()));
        if let (Some(admin), Some(name)) = (&admin, &pg_name) {
            if backend_pid.is_none() {
                backend_pid = backends_of(admin, name)
                    .await
                    .into_iter()
                    .find(|pid| !earlier.contains(pid));
            }
            if let Some(pid) = backend_pid {
                backend_cpu = backend_cpu.max(cpu_seconds(pid));
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let secs = started.elapsed().as_secs_f64();
    assert!(status.success(), "the import failed: {status}");
    let load = load.split_whitespace().next().unwrap_or("?").to_string();
    let total_cpu = cpu + backend_cpu;
    println!(
        "| {backend} | {views} | {secs:.1} | {:.0} | {:.1} | {cpu:.1} | {backend_cpu:.1} | {:.0} | {load} |",
        views as f64 / secs,
        peak as f64 / 1024.0,
        views as f64 / total_cpu.max(0.001),
    );
}

/// The CPU time (user and system) a process has used so far, in seconds; 0 once it is gone.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The fields after the command name (which may hold spaces, hence the last parenthesis):
    // utime and stime are the 14th and 15th fields of the line, in clock ticks (100 a second).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The process ids of the PostgreSQL backends connected to database `name`.
async fn backends_of(admin: &DatabaseConnection, name: &str) -> Vec<u32> {
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
            [name.into()],
        ))
        .await
        .unwrap_or_default();
    rows.iter()
        .filter_map(|r| r.try_get::<i32>("", "pid").ok())
        .map(|p| p as u32)
        .collect()
}

fn start_server(db_url: &str, port: u16) -> Child {
    let exe = std::env::current_exe().expect("exe");
    let server = exe.with_file_name("public-voice");
    let mut command = Command::new(server);
    // PostgreSQL gets one connection per client; SQLite its own default pool (see
    // `api::db::SQLITE_POOL`), unless PUBLIC_VOICE_DB_MAX_CONNECTIONS says otherwise.
    if db_url.starts_with("postgres")
        && std::env::var_os("PUBLIC_VOICE_DB_MAX_CONNECTIONS").is_none()
    {
        command.env("PUBLIC_VOICE_DB_MAX_CONNECTIONS", CONCURRENCY.to_string());
    }
    command
        .env("DATABASE_URL", db_url)
        .env("PUBLIC_VOICE_PORT", port.to_string())
        .env("PUBLIC_VOICE_SEED_ON_START", "false")
        // The benchmark measures the engine, not the rate limiter that would throttle it.
        .env("PUBLIC_VOICE_RATE_LIMIT", "false")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start public-voice beside pv-bench (build both: `cargo build --profile dist --features bench --bins`)")
}

async fn run(backend: &str, db_url: &str, views: usize) {
    let db = api::db::connect(db_url, 4).await.expect("connect");
    let started = Instant::now();
    generate(&db, views).await.expect("generate");
    let load_secs = started.elapsed().as_secs_f64();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let mut child = start_server(db_url, port);
    let url = format!("http://127.0.0.1:{port}/graphql");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let index = index_build_seconds(&client, port).await;
    let cases = cases(&client, &url, &db).await;
    let statements = statements_per_request(db_url, &cases).await;
    println!("\n{backend}, {views} views (generated and loaded in {load_secs:.1} s), {CONCURRENCY} clients, {SECONDS_PER_QUERY} s per query");
    println!(
        "| query | req/s | p50 ms | p99 ms | errors | SQL statements/request | first request ms |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (case, stmts) in cases.iter().zip(statements) {
        let bodies = case.bodies();
        let body = &bodies[0];
        // One request alone first: its time is the cold cost (a search's first ranking of an
        // expression, say), reported apart from the load that follows it.
        let t = Instant::now();
        let first_ok = client
            .post(&url)
            .json(body)
            .send()
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        let first = t.elapsed().as_secs_f64() * 1000.0;
        let m = drive(&client, &url, &bodies).await;
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {} | {} | {:.1}{} |",
            case.name,
            m.rate,
            m.p50,
            m.p99,
            m.errors,
            stmts,
            first,
            if first_ok { "" } else { " (failed)" }
        );
    }
    println!(
        "server peak resident memory: {:.1} MiB",
        peak_rss_kib(child.id()) as f64 / 1024.0
    );
    match index {
        Some(secs) => println!("read index built in {secs:.2} s"),
        None => println!("read index build time: not reported by this server"),
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("drive") {
        match (args.get(2), args.get(3)) {
            (Some(url), Some(file)) => return drive_file(url, file).await,
            _ => panic!("usage: pv-bench drive URL QUERIES.json"),
        }
    }
    if args.get(1).map(String::as_str) == Some("bundle") {
        match (args.get(2).and_then(|n| n.parse().ok()), args.get(3)) {
            (Some(n), Some(file)) => {
                let bytes = write_bundle(std::path::Path::new(file), n).expect("write the bundle");
                println!("{n} views, {bytes} bytes: {file}");
                return;
            }
            _ => panic!("usage: pv-bench bundle N FILE"),
        }
    }
    if args.get(1).map(String::as_str) == Some("generate") {
        match (args.get(2).and_then(|n| n.parse().ok()), args.get(3)) {
            (Some(n), Some(url)) => {
                let db = api::db::connect(url, 4).await.expect("connect");
                let started = Instant::now();
                generate(&db, n).await.expect("generate");
                println!(
                    "{n} views in {:.1} s: {url}",
                    started.elapsed().as_secs_f64()
                );
                return;
            }
            _ => panic!("usage: pv-bench generate N DATABASE_URL"),
        }
    }
    let importing = args.get(1).map(String::as_str) == Some("import");
    // PUBLIC_VOICE_BENCH_KEEP=1 keeps the PostgreSQL database (for `drive` comparisons).
    let keep = std::env::var("PUBLIC_VOICE_BENCH_KEEP").is_ok_and(|v| v == "1");
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000]
    } else {
        sizes
    };
    let pg_admin = std::env::var("PUBLIC_VOICE_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    // PUBLIC_VOICE_BENCH_TAG keeps benchmarks run side by side apart (their files and databases).
    let tag = std::env::var("PUBLIC_VOICE_BENCH_TAG").unwrap_or_default();
    let tag: String = tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let dir = std::env::temp_dir().join(format!("public-voice-bench{tag}"));
    std::fs::create_dir_all(&dir).expect("bench dir");
    if importing {
        println!("| backend | rows | wall s | rows/s | peak MiB | import CPU s | server CPU s | rows per CPU s | load |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    }
    for views in sizes {
        let bundle = dir.join(format!("bundle-{views}.jsonl"));
        if importing {
            write_bundle(&bundle, views).expect("write the bundle");
        }
        let file = dir.join(format!("bench-{views}.db"));
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", file.display()));
        }
        let sqlite = format!("sqlite://{}?mode=rwc", file.display());
        if importing {
            import_run("SQLite", &sqlite, &bundle, views).await;
        } else {
            run("SQLite", &sqlite, views).await;
        }

        let name = format!("public_voice_bench_{views}{tag}");
        let admin = api::db::connect(&pg_admin, 1).await.expect("PostgreSQL");
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .expect("drop");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create");
        let base = pg_admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .unwrap_or(pg_admin.clone());
        if importing {
            import_run("PostgreSQL", &format!("{base}/{name}"), &bundle, views).await;
            let _ = std::fs::remove_file(&bundle);
        } else {
            run("PostgreSQL", &format!("{base}/{name}"), views).await;
        }
        if !keep {
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .expect("drop");
        }
    }
}
