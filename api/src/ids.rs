//! Opaque, stable global IDs (Relay `Node` IDs): the type name and the row's key, base64url-encoded.
//! Clients must treat them as opaque; they stay the same for the life of a row.

use crate::errors::ApiError;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

/// The kinds of object that have a global ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    SourceDocument,
    GovernmentMission,
    Theme,
    Organisation,
    Exercise,
    Session,
    Finding,
    ParticipantView,
    Metric,
    Resource,
    Commitment,
}

impl NodeKind {
    pub const ALL: [NodeKind; 11] = [
        NodeKind::SourceDocument,
        NodeKind::GovernmentMission,
        NodeKind::Theme,
        NodeKind::Organisation,
        NodeKind::Exercise,
        NodeKind::Session,
        NodeKind::Finding,
        NodeKind::ParticipantView,
        NodeKind::Metric,
        NodeKind::Resource,
        NodeKind::Commitment,
    ];

    /// The GraphQL type name, which is also the ID's prefix.
    pub fn type_name(self) -> &'static str {
        match self {
            NodeKind::SourceDocument => "SourceDocument",
            NodeKind::GovernmentMission => "GovernmentMission",
            NodeKind::Theme => "Theme",
            NodeKind::Organisation => "Organisation",
            NodeKind::Exercise => "Exercise",
            NodeKind::Session => "Session",
            NodeKind::Finding => "Finding",
            NodeKind::ParticipantView => "ParticipantView",
            NodeKind::Metric => "Metric",
            NodeKind::Resource => "Resource",
            NodeKind::Commitment => "Commitment",
        }
    }

    /// The kind a type name names (an ID's prefix, a change-log entry's `entity`).
    pub fn from_type_name(name: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.type_name() == name)
    }
}

/// A decoded global ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalId {
    pub kind: NodeKind,
    /// The row's key: an integer primary key, or a mission code.
    pub key: String,
}

impl GlobalId {
    pub fn encode(kind: NodeKind, key: impl std::fmt::Display) -> async_graphql::ID {
        async_graphql::ID(URL_SAFE_NO_PAD.encode(format!("{}:{}", kind.type_name(), key)))
    }

    /// Decodes any global ID; a string that is not one is `BAD_USER_INPUT` on `field`.
    pub fn decode(id: &str, field: &str) -> Result<Self, ApiError> {
        let malformed = || ApiError::bad_input(field, format!("{id:?} is not a valid ID"));
        let bytes = URL_SAFE_NO_PAD.decode(id).map_err(|_| malformed())?;
        let text = String::from_utf8(bytes).map_err(|_| malformed())?;
        let (prefix, key) = text.split_once(':').ok_or_else(malformed)?;
        let kind = NodeKind::from_type_name(prefix).ok_or_else(malformed)?;
        if key.is_empty() {
            return Err(malformed());
        }
        Ok(GlobalId {
            kind,
            key: key.to_string(),
        })
    }

    /// Decodes an ID that must be of `kind` with an integer key.
    pub fn decode_int(id: &str, kind: NodeKind, field: &str) -> Result<i32, ApiError> {
        let gid = Self::decode(id, field)?;
        if gid.kind != kind {
            return Err(ApiError::bad_input(
                field,
                format!(
                    "ID {id:?} belongs to a {}, not a {}",
                    gid.kind.type_name(),
                    kind.type_name()
                ),
            ));
        }
        gid.int_key(id, field)
    }

    /// The integer key of an ID whose kind has integer keys.
    pub fn int_key(&self, id: &str, field: &str) -> Result<i32, ApiError> {
        self.key
            .parse::<i32>()
            .map_err(|_| ApiError::bad_input(field, format!("{id:?} is not a valid ID")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let id = GlobalId::encode(NodeKind::Finding, 42);
        assert_eq!(
            GlobalId::decode(&id, "id").expect("valid"),
            GlobalId {
                kind: NodeKind::Finding,
                key: "42".into()
            }
        );
        assert_eq!(GlobalId::decode_int(&id, NodeKind::Finding, "id"), Ok(42));
    }

    #[test]
    fn rejects_garbage_and_wrong_kinds() {
        for bad in ["", "!!", "Zm9v", &URL_SAFE_NO_PAD.encode("Nope:1")] {
            let err = GlobalId::decode(bad, "id").expect_err("malformed");
            assert_eq!(err.code(), "BAD_USER_INPUT");
        }
        let exercise = GlobalId::encode(NodeKind::Exercise, 1);
        let err = GlobalId::decode_int(&exercise, NodeKind::Finding, "id").expect_err("wrong kind");
        assert_eq!(err.code(), "BAD_USER_INPUT");
        let text = URL_SAFE_NO_PAD.encode("Finding:abc");
        let err = GlobalId::decode_int(&text, NodeKind::Finding, "id").expect_err("not int");
        assert_eq!(err.code(), "BAD_USER_INPUT");
    }
}
