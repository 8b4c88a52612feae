//! A curated type's writable state, stated once with [`fields!`]: the struct, how it is read
//! from its row and written back to it, and the join tables ([`Link`]) that hold its tags.

use super::External;
use crate::errors::{db, ApiResult};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TryGetable, Value,
};
use serde::Serialize;
use std::future::Future;

/// What `fields!` writes for a curated type's fields: the columns they hold, read from the row
/// and written to it as they are (tags start empty: the type's own code reads and writes them).
pub trait Columns: Clone + PartialEq + Serialize + Send + Sync + Sized {
    /// The row as stored.
    type Model: Clone + Send + Sync;
    /// The row and its columns' fields; `None` when there is no such row.
    fn find<C: ConnectionTrait>(
        conn: &C,
        id: i32,
    ) -> impl Future<Output = ApiResult<Option<(Self::Model, Self)>>> + Send;
    /// Inserts (`id` is `None`) or overwrites the row's columns; returns the stored row.
    fn save<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: Option<i32>,
        version: i64,
        external: Option<&External>,
    ) -> impl Future<Output = ApiResult<Self::Model>> + Send;
    fn delete<C: ConnectionTrait>(conn: &C, id: i32) -> impl Future<Output = ApiResult<()>> + Send;
    fn id(model: &Self::Model) -> i32;
    fn version(model: &Self::Model) -> i64;
    fn slug(&self) -> &str;
}

/// Declares a curated type's fields (`Name: table { columns } renamed { field = column }
/// tags { tag lists }`) and implements [`Columns`] for them. Every table has `id`, `slug`,
/// `version`, `created_at`, `updated_at`, `external_source` and `external_id` columns; the
/// columns listed are the ones a writer sets.
macro_rules! fields {
    (
        $(#[$meta:meta])*
        $name:ident: $table:ident {
            $( $(#[$cmeta:meta])* $col:ident: $cty:ty, )*
        }
        $( renamed { $( $(#[$rmeta:meta])* $field:ident: $rty:ty = $column:ident, )* } )?
        $( tags { $( $(#[$tmeta:meta])* $tag:ident: $tty:ty, )* } )?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $( $(#[$cmeta])* pub $col: $cty, )*
            $($( $(#[$rmeta])* pub $field: $rty, )*)?
            $($( $(#[$tmeta])* pub $tag: $tty, )*)?
        }

        impl $name {
            /// The fields the row's columns hold; tags empty.
            #[allow(clippy::clone_on_copy)]
            pub fn of_row(m: &entity::$table::Model) -> Self {
                $name {
                    $( $col: m.$col.clone(), )*
                    $($( $field: m.$column.clone(), )*)?
                    $($( $tag: Default::default(), )*)?
                }
            }

            /// The row to write: the columns, `version`, `updated_at`, the external key when
            /// given, and `created_at` on insert (`id` is `None`).
            #[allow(clippy::clone_on_copy)]
            pub fn active(
                &self,
                id: Option<i32>,
                version: i64,
                external: Option<&$crate::curation::External>,
            ) -> entity::$table::ActiveModel {
                use sea_orm::{NotSet, Set};
                let now = chrono::Utc::now();
                let mut row = entity::$table::ActiveModel {
                    id: id.map(Set).unwrap_or(NotSet),
                    $( $col: Set(self.$col.clone()), )*
                    $($( $column: Set(self.$field.clone()), )*)?
                    updated_at: Set(now),
                    version: Set(version),
                    ..Default::default()
                };
                if let Some(e) = external {
                    row.external_source = Set(Some(e.source.clone()));
                    row.external_id = Set(Some(e.id.clone()));
                }
                if id.is_none() {
                    row.created_at = Set(now);
                }
                row
            }
        }

        impl $crate::curation::Columns for $name {
            type Model = entity::$table::Model;

            async fn find<C: sea_orm::ConnectionTrait>(
                conn: &C,
                id: i32,
            ) -> $crate::errors::ApiResult<Option<(entity::$table::Model, Self)>> {
                use sea_orm::EntityTrait;
                let Some(m) = $crate::errors::db(entity::$table::Entity::find_by_id(id).one(conn).await)? else {
                    return Ok(None);
                };
                let fields = $name::of_row(&m);
                Ok(Some((m, fields)))
            }

            async fn save<C: sea_orm::ConnectionTrait>(
                &self,
                conn: &C,
                id: Option<i32>,
                version: i64,
                external: Option<&$crate::curation::External>,
            ) -> $crate::errors::ApiResult<entity::$table::Model> {
                use sea_orm::ActiveModelTrait;
                let row = self.active(id, version, external);
                $crate::errors::db(match id {
                    None => row.insert(conn).await,
                    Some(_) => row.update(conn).await,
                })
            }

            async fn delete<C: sea_orm::ConnectionTrait>(
                conn: &C,
                id: i32,
            ) -> $crate::errors::ApiResult<()> {
                use sea_orm::EntityTrait;
                $crate::errors::db(entity::$table::Entity::delete_by_id(id).exec(conn).await)?;
                Ok(())
            }

            fn id(m: &entity::$table::Model) -> i32 {
                m.id
            }

            fn version(m: &entity::$table::Model) -> i64 {
                m.version
            }

            fn slug(&self) -> &str {
                &self.slug
            }
        }
    };
}

/// A join table that tags rows of a curated table: `owner` is the column naming the tagged row,
/// `tag` the column holding the tag (a theme's id, a mission's code).
pub struct Link<J: EntityTrait> {
    pub owner: J::Column,
    pub tag: J::Column,
}

impl<J: EntityTrait> Link<J> {
    pub const fn new(owner: J::Column, tag: J::Column) -> Self {
        Link { owner, tag }
    }

    /// The row's tags, in the order stored (`sorted`: in the tag's order).
    pub async fn read<V: TryGetable, C: ConnectionTrait>(
        &self,
        conn: &C,
        id: i32,
        sorted: bool,
    ) -> ApiResult<Vec<V>> {
        let mut select = J::find()
            .select_only()
            .column(self.tag)
            .filter(self.owner.eq(id));
        if sorted {
            select = select.order_by_asc(self.tag);
        }
        db(select.into_tuple::<V>().all(conn).await)
    }

    /// The tags of each of the rows `ids`, as (row, tag) in the tags' order.
    pub async fn read_many<V: TryGetable, C: ConnectionTrait>(
        &self,
        conn: &C,
        ids: &[i32],
    ) -> ApiResult<Vec<(i32, V)>> {
        db(J::find()
            .select_only()
            .column(self.owner)
            .column(self.tag)
            .filter(self.owner.is_in(ids.iter().copied()))
            .order_by_asc(self.tag)
            .into_tuple::<(i32, V)>()
            .all(conn)
            .await)
    }

    /// A subquery: the rows tagged with any of `tags`.
    pub fn tagged_with<V>(&self, tags: V) -> SelectStatement
    where
        V: IntoIterator,
        V::Item: Into<Value>,
    {
        Query::select()
            .column(self.owner)
            .from(J::default())
            .and_where(self.tag.is_in(tags))
            .to_owned()
    }

    /// Tags the row with each of `tags` (none: nothing is written).
    pub async fn write<V: Into<Value> + Clone, C: ConnectionTrait>(
        &self,
        conn: &C,
        id: i32,
        tags: &[V],
    ) -> ApiResult<()> {
        if tags.is_empty() {
            return Ok(());
        }
        let rows = tags
            .iter()
            .map(|tag| {
                let mut row = <J::ActiveModel as ActiveModelTrait>::default();
                row.try_set(self.owner, id.into())?;
                row.try_set(self.tag, tag.clone().into())?;
                Ok(row)
            })
            .collect::<Result<Vec<_>, _>>();
        db(J::insert_many(db(rows)?).exec_without_returning(conn).await)?;
        Ok(())
    }

    /// Removes the row's tags.
    pub async fn clear<C: ConnectionTrait>(&self, conn: &C, id: i32) -> ApiResult<()> {
        db(J::delete_many().filter(self.owner.eq(id)).exec(conn).await)?;
        Ok(())
    }
}
