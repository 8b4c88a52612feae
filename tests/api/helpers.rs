//! Test harness: starts the real server on port 0 against a fresh database built by the real
//! migrations (a temporary SQLite file, or a fresh PostgreSQL database that is dropped afterwards).
//!
//! PostgreSQL tests need `PUBLIC_VOICE_TEST_POSTGRES_URL` (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`). Without it they are skipped with a printed line,
//! except under CI (`CI=true`), where they fail.

use api::server::Application;
use api::settings::Settings;
use serde_json::{json, Value};
use std::collections::HashMap;

pub const PG_URL_VAR: &str = "PUBLIC_VOICE_TEST_POSTGRES_URL";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database made for one test, removed when dropped.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    /// A fresh, empty database; `None` when PostgreSQL is not configured (outside CI).
    pub async fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                Some(TestDb::Sqlite { _dir: dir, url })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url()?;
                let name = format!("pv_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {PG_URL_VAR}: {e}"));
                use sea_orm::ConnectionTrait;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = replace_database(&admin_url, &name);
                Some(TestDb::Postgres {
                    admin_url,
                    name,
                    url,
                })
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            TestDb::Sqlite { .. } => Backend::Sqlite,
            TestDb::Postgres { .. } => Backend::Postgres,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime, which cannot block on itself: use a thread.
            let dropped = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    use sea_orm::ConnectionTrait;
                    if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        admin.close().await.ok();
                    }
                });
            })
            .join();
            if dropped.is_err() {
                eprintln!("could not drop test database");
            }
        }
    }
}

fn postgres_admin_url() -> Option<String> {
    match std::env::var(PG_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("{PG_URL_VAR} must be set under CI: the PostgreSQL tests may not be skipped")
        }
        _ => {
            eprintln!("skipping PostgreSQL: {PG_URL_VAR} is not set");
            None
        }
    }
}

/// The same server URL with another database name.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A running server over a fresh database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
}

impl TestApp {
    /// Starts the server with the seed corpus loaded; `None` when the backend is not configured.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, &[]).await
    }

    /// Starts the server with extra settings (`PUBLIC_VOICE_*` variables).
    pub async fn spawn_with(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
        let db = TestDb::create(backend).await?;
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".to_string(), db.url().to_string()),
            ("PUBLIC_VOICE_PORT".to_string(), "0".to_string()),
            ("PUBLIC_VOICE_WORKERS".to_string(), "2".to_string()),
            (
                "PUBLIC_VOICE_DB_MAX_CONNECTIONS".to_string(),
                "4".to_string(),
            ),
        ]);
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        let settings = Settings::from_lookup(|name| vars.get(name).cloned()).expect("settings");
        let app = Application::build(&settings).await.expect("server starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Some(TestApp {
            address,
            client: reqwest::Client::new(),
            db,
        })
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// POSTs a GraphQL request and returns the JSON body (asserting HTTP 200).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let res = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 200, "HTTP status");
        res.json().await.expect("JSON body")
    }

    /// Creates an API token with `role` ("reader", "editor" or "admin") directly in the database.
    pub async fn token(&self, name: &str, role: &str) -> String {
        let conn = sea_orm::Database::connect(self.db.url())
            .await
            .expect("connect");
        let role = api::auth::parse_role(role).expect("role");
        let (_, token) = api::auth::create_token(&conn, name, role, "test")
            .await
            .expect("token");
        conn.close().await.ok();
        token
    }

    /// POSTs a GraphQL request with a bearer token; returns (HTTP status, JSON body).
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(token)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("JSON body"))
    }

    /// Runs a request with a token that must succeed and returns its `data`.
    pub async fn data_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql_as(token, query, variables).await;
        assert_eq!(status, 200, "HTTP status: {body}");
        assert!(
            body.get("errors").is_none(),
            "unexpected errors on {:?}: {body}",
            self.backend()
        );
        body["data"].clone()
    }

    /// Runs a request with a token that must fail and returns `errors[0].extensions.code`.
    pub async fn error_code_as(&self, token: &str, query: &str, variables: Value) -> String {
        let (_, body) = self.graphql_as(token, query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with a code, got {body}"))
            .to_string()
    }

    /// Runs a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(
            body.get("errors").is_none(),
            "unexpected errors on {:?}: {body}",
            self.backend()
        );
        body["data"].clone()
    }

    /// Runs a query that must fail and returns `errors[0].extensions.code`.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let body = self.graphql(query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with a code, got {body}"))
            .to_string()
    }
}

/// The body of a GET of `url`, as text.
pub(crate) async fn get_text(url: &str) -> String {
    reqwest::get(url)
        .await
        .expect("GET")
        .text()
        .await
        .expect("text")
}

/// Waits (up to 10 s) until the server at `address` says its read engine is ready.
pub(crate) async fn engine_ready(address: &str) {
    for _ in 0..200 {
        if get_text(&format!("{address}/ready"))
            .await
            .contains(r#""engine":"ready""#)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// How many responses the server at `address` has remembered (`stored`) or sent from memory
/// (`sent`), from its metrics (see `http::memo`).
pub(crate) async fn remembered(address: &str, outcome: &str) -> u64 {
    let metrics = get_text(&format!("{address}/metrics")).await;
    let series = format!("public_voice_remembered_responses_total{{outcome=\"{outcome}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&series))
        .map_or(0, |n| n.parse().expect("a count"))
}

/// Runs a test body against SQLite and then PostgreSQL (each with a fresh server and database).
#[macro_export]
macro_rules! on_each_backend {
    (with $vars:expr, |$app:ident| $body:block) => {
        for backend in [
            $crate::helpers::Backend::Sqlite,
            $crate::helpers::Backend::Postgres,
        ] {
            if let Some($app) = $crate::helpers::TestApp::spawn_with(backend, $vars).await {
                $body
            }
        }
    };
    (|$app:ident| $body:block) => {
        for backend in [
            $crate::helpers::Backend::Sqlite,
            $crate::helpers::Backend::Postgres,
        ] {
            if let Some($app) = $crate::helpers::TestApp::spawn(backend).await {
                $body
            }
        }
    };
}

/// POSTs a GraphQL request to the server at `address`, with a bearer token when given; returns
/// the whole JSON answer.
pub(crate) async fn post(
    address: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("HTTP {status}, not JSON ({e}): {text:?} for {query}"))
}

/// The `data` of a request that must succeed (see [`post`]).
pub(crate) async fn post_data(
    address: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let body = post(address, token, query, variables).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}
