//! Every change made to curated rows, in commit order: the change feed and the audit log.

use sea_orm::entity::prelude::*;

use crate::enums::ChangeKind;

/// One change to one row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    /// Position in the log; strictly increasing in commit order.
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// The table's entity name, e.g. `Finding`.
    #[sea_orm(column_type = "Text")]
    pub entity: String,
    /// The row's id.
    pub entity_id: i32,
    /// The row's slug at the time of the change.
    #[sea_orm(column_type = "Text")]
    pub slug: String,
    /// Created, updated or deleted.
    pub kind: ChangeKind,
    /// The row's version after the change (the last version, for a deletion).
    pub version: i64,
    /// Whether readers can see the row after the change.
    pub visible: bool,
    /// Whether readers could see the row before the change.
    pub was_visible: bool,
    /// The missions the row is tagged with, comma-separated codes (for subscription filters).
    #[sea_orm(column_type = "Text")]
    pub missions: String,
    /// The token name that made the change (`cli` or `seed` for local commands).
    #[sea_orm(column_type = "Text")]
    pub actor: String,
    /// When the change was committed.
    pub changed_at: DateTimeUtc,
    /// The row before the change, as JSON; absent for a creation.
    pub before: Option<Json>,
    /// The row after the change, as JSON; absent for a deletion.
    pub after: Option<Json>,
    /// The change's number in the readers' feed (changes to objects that were or became
    /// visible, numbered without gaps); null for changes readers never see.
    pub public_seq: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
