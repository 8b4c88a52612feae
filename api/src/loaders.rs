//! DataLoaders, one set per request: every "belongs to" reference and every tag list is fetched
//! for all the parents of a page in one statement, so the statements a request issues grow with
//! its nesting depth, not with its number of rows. A fresh set per request keeps answers current.

use crate::errors::{db, ApiError, ApiResult};
use async_graphql::{dataloader::DataLoader, dataloader::Loader, Context};
use entity::enums::Mission;
use entity::{
    exercise, exercise_mission, finding, finding_mission, finding_theme, organisation,
    participant_view, resource, session, source_document, theme, view_mission, view_theme,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// The batch functions, over the request's database handle.
pub struct Store {
    db: DatabaseConnection,
}

/// The per-request loaders, in the GraphQL request's data.
pub type Loaders = DataLoader<Store>;

/// A new, empty set of loaders for one request.
pub fn for_request(db: DatabaseConnection) -> Loaders {
    DataLoader::new(Store { db }, tokio::spawn)
}

/// The request's loaders.
pub fn of<'a>(ctx: &Context<'a>) -> ApiResult<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| {
        tracing::error!("request has no DataLoaders");
        ApiError::Internal
    })
}

/// Rows by primary key: `Key(id)` loads the row with that id.
macro_rules! by_id {
    ($(#[$doc:meta])* $key:ident => $module:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for Store {
            type Value = $module::Model;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, ApiError> {
                let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
                let rows = db($module::Entity::find()
                    .filter($module::Column::Id.is_in(ids))
                    .all(&self.db)
                    .await)?;
                Ok(rows.into_iter().map(|m| ($key(m.id), m)).collect())
            }
        }
    };
}

by_id!(/// An exercise by id.
    ExerciseById => exercise);
by_id!(/// A finding by id.
    FindingById => finding);
by_id!(/// A participant view by id.
    ViewById => participant_view);
by_id!(/// A resource by id.
    ResourceById => resource);
by_id!(/// A session by id.
    SessionById => session);
by_id!(/// An organisation by id.
    OrganisationById => organisation);
by_id!(/// A source document by id.
    SourceById => source_document);

/// Mission tags: `Key(owner_id)` loads the owner's missions, in the missions' usual order.
macro_rules! missions_of {
    ($(#[$doc:meta])* $key:ident => $join:ident :: $column:ident . $owner:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for Store {
            type Value = Vec<Mission>;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, ApiError> {
                let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
                let rows = db($join::Entity::find()
                    .filter($join::Column::$column.is_in(ids))
                    .all(&self.db)
                    .await)?;
                let mut out: HashMap<$key, Vec<Mission>> = HashMap::new();
                for row in rows {
                    out.entry($key(row.$owner)).or_default().push(row.mission_code);
                }
                for list in out.values_mut() {
                    list.sort_by_key(|m| *m as u8);
                }
                Ok(out)
            }
        }
    };
}

/// Theme tags: `Key(owner_id)` loads the owner's themes, by label, with one joined statement.
macro_rules! themes_of {
    ($(#[$doc:meta])* $key:ident => $join:ident :: $column:ident . $owner:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for Store {
            type Value = Vec<theme::Model>;
            type Error = ApiError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, ApiError> {
                let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
                let rows = db($join::Entity::find()
                    .filter($join::Column::$column.is_in(ids))
                    .find_also_related(theme::Entity)
                    .all(&self.db)
                    .await)?;
                let mut out: HashMap<$key, Vec<theme::Model>> = HashMap::new();
                for (row, theme) in rows {
                    if let Some(theme) = theme {
                        out.entry($key(row.$owner)).or_default().push(theme);
                    }
                }
                for list in out.values_mut() {
                    list.sort_by(|a, b| a.label.cmp(&b.label));
                }
                Ok(out)
            }
        }
    };
}

missions_of!(/// The missions a participant view is tagged with.
    ViewMissions => view_mission::ViewId.view_id);
missions_of!(/// The missions a finding is tagged with.
    FindingMissions => finding_mission::FindingId.finding_id);
missions_of!(/// The missions an exercise covered.
    ExerciseMissions => exercise_mission::ExerciseId.exercise_id);
themes_of!(/// The themes a participant view is tagged with.
    ViewThemes => view_theme::ViewId.view_id);
themes_of!(/// The themes a finding is tagged with.
    FindingThemes => finding_theme::FindingId.finding_id);

/// Loads a row a foreign key points at; a dangling key is a server fault, not a client error.
pub async fn required<K>(ctx: &Context<'_>, key: K) -> ApiResult<<Store as Loader<K>>::Value>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + std::fmt::Debug + 'static,
    Store: Loader<K, Error = ApiError>,
{
    match of(ctx)?.load_one(key.clone()).await? {
        Some(v) => Ok(v),
        None => {
            tracing::error!(?key, "dangling reference");
            Err(ApiError::Internal)
        }
    }
}

/// Loads an optional reference, or a tag list (empty when the owner has none).
pub async fn optional<K>(
    ctx: &Context<'_>,
    key: K,
) -> ApiResult<Option<<Store as Loader<K>>::Value>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    Store: Loader<K, Error = ApiError>,
{
    of(ctx)?.load_one(key).await
}
