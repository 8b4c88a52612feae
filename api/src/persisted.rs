//! Persisted documents: a request may name its document by SHA-256 instead of sending it.
//!
//! - **Trusted documents** are loaded once at start from `PUBLIC_VOICE_TRUSTED_DOCUMENTS`: a JSON
//!   manifest (`{"<sha256 hex>": "<document>"}`, what `public-voice persisted-manifest` and
//!   graphql-codegen's client preset write, or Apollo's `apollo-persisted-query-manifest`), or a
//!   directory of `.graphql` files, each identified by the SHA-256 of its exact text.
//! - **Automatic persisted queries** (Apollo's APQ protocol, `extensions.persistedQuery.sha256Hash`):
//!   a hash the server does not know gets `PERSISTED_QUERY_NOT_FOUND`; the client then sends the
//!   hash with the text, which is checked and remembered. Remembered in this process only, in a
//!   bounded FIFO (`PUBLIC_VOICE_APQ_CACHE_SIZE`): each replica learns on its own, and a client
//!   whose hash was evicted or went to another replica simply sends the text once more.
//! - With `PUBLIC_VOICE_ONLY_TRUSTED_DOCUMENTS`, any document that is not trusted is refused with
//!   `PERSISTED_QUERY_REQUIRED` (text included: it is accepted when its hash is trusted), and APQ
//!   registration is off.

use crate::errors::code;
use async_graphql::ServerError;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The SHA-256 of a document's exact text, in lower-case hex: its id.
pub fn document_id(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The manifest `public-voice persisted-manifest` prints: `{id: text}` for every `.graphql` file
/// under the given paths (files, or directories walked recursively), sorted by id.
pub fn manifest(paths: &[std::path::PathBuf]) -> Result<String, String> {
    let mut documents = std::collections::BTreeMap::new();
    for path in paths {
        for (id, text) in read_graphql_files(path)? {
            documents.insert(id, text);
        }
    }
    serde_json::to_string_pretty(&documents).map_err(|e| e.to_string())
}

fn read_graphql_files(path: &Path) -> Result<Vec<(String, String)>, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if meta.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        return Ok(vec![(document_id(&text), text)]);
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .map_err(|e| format!("{shown}: {e}"))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut found = Vec::new();
    for entry in entries {
        if entry.is_dir() || entry.extension().is_some_and(|e| e == "graphql") {
            found.extend(read_graphql_files(&entry)?);
        }
    }
    Ok(found)
}

/// Reads the trusted documents at `path` (a manifest file or a directory of `.graphql` files).
/// Every document must parse and every manifest id must be the SHA-256 of its text.
pub fn load_trusted(path: &str) -> Result<HashMap<String, Arc<str>>, String> {
    let p = Path::new(path);
    let entries = if p.is_dir() {
        read_graphql_files(p)?
    } else {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{path}: {e}"))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON: {e}"))?;
        manifest_entries(&json).ok_or_else(|| {
            format!(
                "{path}: expected {{\"<sha256>\": \"<document>\"}} or an \
                 apollo-persisted-query-manifest"
            )
        })?
    };
    let mut trusted = HashMap::new();
    for (id, text) in entries {
        let actual = document_id(&text);
        if actual != id.to_ascii_lowercase() {
            return Err(format!(
                "{path}: document {id} does not match its SHA-256 ({actual})"
            ));
        }
        if let Err(err) = async_graphql::parser::parse_query(&text) {
            return Err(format!("{path}: document {id} does not parse: {err}"));
        }
        trusted.insert(actual, Arc::from(text));
    }
    Ok(trusted)
}

fn manifest_entries(json: &serde_json::Value) -> Option<Vec<(String, String)>> {
    let object = json.as_object()?;
    if object.get("format").and_then(|f| f.as_str()) == Some("apollo-persisted-query-manifest") {
        return object
            .get("operations")?
            .as_array()?
            .iter()
            .map(|op| {
                Some((
                    op["id"].as_str()?.to_string(),
                    op["body"].as_str()?.to_string(),
                ))
            })
            .collect();
    }
    object
        .iter()
        .map(|(id, body)| Some((id.clone(), body.as_str()?.to_string())))
        .collect()
}

/// The persisted documents a server knows: trusted ones and those registered through APQ.
pub struct PersistedDocuments {
    trusted: HashMap<String, Arc<str>>,
    only_trusted: bool,
    apq_capacity: usize,
    apq: Mutex<Apq>,
}

#[derive(Default)]
struct Apq {
    documents: HashMap<String, Arc<str>>,
    order: VecDeque<String>,
}

fn error(message: &str, error_code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", error_code);
    error
}

impl PersistedDocuments {
    pub fn new(
        trusted: HashMap<String, Arc<str>>,
        only_trusted: bool,
        apq_capacity: usize,
    ) -> Self {
        Self {
            trusted,
            only_trusted,
            apq_capacity,
            apq: Mutex::new(Apq::default()),
        }
    }

    /// How many trusted documents were loaded.
    pub fn trusted_count(&self) -> usize {
        self.trusted.len()
    }

    /// The hash a request names, if it uses the persisted-query extension.
    pub fn requested_hash(request: &async_graphql::Request) -> Option<Result<String, ServerError>> {
        let extension = request.extensions.get("persistedQuery")?;
        let hash = match extension {
            async_graphql::Value::Object(map) => match map.get("sha256Hash") {
                Some(async_graphql::Value::String(h)) if h.len() == 64 => {
                    Ok(h.to_ascii_lowercase())
                }
                _ => Err(error(
                    "extensions.persistedQuery.sha256Hash must be a SHA-256 in hex",
                    code::BAD_REQUEST,
                )),
            },
            _ => Err(error(
                "extensions.persistedQuery must be an object",
                code::BAD_REQUEST,
            )),
        };
        Some(hash)
    }

    /// Fills in the request's document from its hash, registers an APQ document sent with its
    /// hash, and enforces the trusted-only setting. Errors are request errors (nothing runs).
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<(), ServerError> {
        let has_text = !request.query.trim().is_empty();
        match Self::requested_hash(request) {
            None if !has_text => Err(error("The request has no `query`", code::BAD_REQUEST)),
            None => {
                if self.only_trusted && !self.trusted.contains_key(&document_id(&request.query)) {
                    return Err(self.required());
                }
                Ok(())
            }
            Some(Err(err)) => Err(err),
            Some(Ok(hash)) if !has_text => match self.lookup(&hash) {
                Some(text) => {
                    request.query = text.to_string();
                    Ok(())
                }
                None if self.only_trusted => Err(self.required()),
                // Apollo clients match on this message and code to send the text next.
                None if self.apq_capacity == 0 => Err(error(
                    "PersistedQueryNotSupported",
                    code::PERSISTED_QUERY_NOT_SUPPORTED,
                )),
                None => Err(error(
                    "PersistedQueryNotFound",
                    code::PERSISTED_QUERY_NOT_FOUND,
                )),
            },
            Some(Ok(hash)) => {
                if document_id(&request.query) != hash {
                    return Err(error(
                        "The query's SHA-256 does not match extensions.persistedQuery.sha256Hash",
                        code::BAD_REQUEST,
                    ));
                }
                if self.trusted.contains_key(&hash) {
                    return Ok(());
                }
                if self.only_trusted {
                    return Err(self.required());
                }
                if self.apq_capacity == 0 {
                    return Err(error(
                        "PersistedQueryNotSupported",
                        code::PERSISTED_QUERY_NOT_SUPPORTED,
                    ));
                }
                // Only documents that parse are remembered.
                if request.parsed_query().is_ok() {
                    self.remember(hash, Arc::from(request.query.as_str()));
                }
                Ok(())
            }
        }
    }

    fn required(&self) -> ServerError {
        error(
            "This server runs trusted documents only: send the SHA-256 of a trusted document in \
             extensions.persistedQuery.sha256Hash",
            code::PERSISTED_QUERY_REQUIRED,
        )
    }

    fn lookup(&self, hash: &str) -> Option<Arc<str>> {
        if let Some(text) = self.trusted.get(hash) {
            return Some(text.clone());
        }
        let apq = self.apq.lock().unwrap_or_else(|e| e.into_inner());
        apq.documents.get(hash).cloned()
    }

    fn remember(&self, hash: String, text: Arc<str>) {
        let mut apq = self.apq.lock().unwrap_or_else(|e| e.into_inner());
        if apq.documents.contains_key(&hash) {
            return;
        }
        while apq.order.len() >= self.apq_capacity {
            match apq.order.pop_front() {
                Some(oldest) => {
                    apq.documents.remove(&oldest);
                }
                None => break,
            }
        }
        apq.order.push_back(hash.clone());
        apq.documents.insert(hash, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, hash: Option<&str>) -> async_graphql::Request {
        let mut body = serde_json::json!({ "query": query });
        if let Some(hash) = hash {
            body["extensions"] =
                serde_json::json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
        }
        serde_json::from_value(body).expect("request")
    }

    fn code_of(err: ServerError) -> String {
        err.extensions.unwrap().get("code").unwrap().to_string()
    }

    #[test]
    fn apq_registers_then_serves_by_hash_and_forgets_the_oldest() {
        let docs = PersistedDocuments::new(HashMap::new(), false, 2);
        let (a, b, c) = ("{ a }", "{ b }", "{ c }");
        let err = docs
            .resolve(&mut request("", Some(&document_id(a))))
            .unwrap_err();
        assert_eq!(code_of(err), "\"PERSISTED_QUERY_NOT_FOUND\"");
        for text in [a, b] {
            docs.resolve(&mut request(text, Some(&document_id(text))))
                .unwrap();
        }
        let mut by_hash = request("", Some(&document_id(a)));
        docs.resolve(&mut by_hash).unwrap();
        assert_eq!(by_hash.query, a);
        docs.resolve(&mut request(c, Some(&document_id(c))))
            .unwrap();
        let err = docs
            .resolve(&mut request("", Some(&document_id(a))))
            .unwrap_err();
        assert_eq!(code_of(err), "\"PERSISTED_QUERY_NOT_FOUND\"");
        let err = docs
            .resolve(&mut request(a, Some(&document_id(b))))
            .unwrap_err();
        assert_eq!(code_of(err), "\"BAD_REQUEST\"");
    }
}
