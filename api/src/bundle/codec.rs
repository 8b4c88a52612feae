//! A row type's bundle codec, stated once with [`codec!`]: which of its fields are copied as
//! they are and which are references written as slugs (one, optional, or a list through a join
//! table), from which both directions follow: import resolves slugs to ids, export ids to slugs.

use super::{check_missions, required_ref, slug};
use crate::curation::{slugs_of, Link, Problem, Record};
use crate::errors::ApiResult;
use entity::enums::Mission;
use sea_orm::{ConnectionTrait, EntityTrait};
use std::collections::HashMap;

/// A required reference: its id (0 when it names nothing: the row has failed).
pub(crate) async fn one<T: Record, C: ConnectionTrait>(
    conn: &C,
    problems: &mut Vec<Problem>,
    failed: &mut bool,
    field: &str,
    slug: &str,
) -> ApiResult<i32> {
    let id = required_ref::<T, C>(conn, problems, field, slug).await?;
    *failed |= id.is_none();
    Ok(id.unwrap_or_default())
}

/// An optional reference.
pub(crate) async fn opt<T: Record, C: ConnectionTrait>(
    conn: &C,
    problems: &mut Vec<Problem>,
    failed: &mut bool,
    field: &str,
    slug: &Option<String>,
) -> ApiResult<Option<i32>> {
    match slug {
        None => Ok(None),
        Some(s) => one::<T, C>(conn, problems, failed, field, s)
            .await
            .map(Some),
    }
}

/// A list of references, each checked (`field[i]`).
pub(crate) async fn many<T: Record, C: ConnectionTrait>(
    conn: &C,
    problems: &mut Vec<Problem>,
    failed: &mut bool,
    field: &str,
    slugs: &[String],
) -> ApiResult<Vec<i32>> {
    let mut ids = Vec::with_capacity(slugs.len());
    for (i, s) in slugs.iter().enumerate() {
        ids.push(one::<T, C>(conn, problems, failed, &format!("{field}[{i}]"), s).await?);
    }
    Ok(ids)
}

/// Mission codes, each checked against the missions the database holds (a missing one is a
/// problem, but does not stop the row's other checks).
pub(crate) async fn missions<C: ConnectionTrait>(
    conn: &C,
    problems: &mut Vec<Problem>,
    codes: &[Mission],
) -> ApiResult<Vec<Mission>> {
    check_missions(conn, problems, codes).await?;
    Ok(codes.to_vec())
}

/// For export: the slugs of the `T`s each of the rows `ids` links to through `link`, in the
/// linked rows' id order (ids keep their order through an export and import, so the bytes of a
/// second export match the first).
pub(crate) async fn linked_slugs<T: Record, J: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    link: &Link<J>,
    ids: &[i32],
) -> ApiResult<HashMap<i32, Vec<String>>> {
    let pairs = link.read_many::<i32, C>(conn, ids).await?;
    let slugs = slugs_of::<T, C>(conn, pairs.iter().map(|(_, tag)| *tag)).await?;
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    for (owner, tag) in pairs {
        out.entry(owner).or_default().push(slug(&slugs, tag)?);
    }
    Ok(out)
}

/// For export: the missions of each of the rows `ids`, in the missions' order.
pub(crate) async fn linked_missions<J: EntityTrait, C: ConnectionTrait>(
    conn: &C,
    link: &Link<J>,
    ids: &[i32],
) -> ApiResult<HashMap<i32, Vec<Mission>>> {
    let mut out: HashMap<i32, Vec<Mission>> = HashMap::new();
    for (owner, code) in link.read_many::<Mission, C>(conn, ids).await? {
        out.entry(owner).or_default().push(code);
    }
    for codes in out.values_mut() {
        codes.sort_by_key(|m| *m as u8);
    }
    Ok(out)
}

/// One reference of a [`codec!`]: resolved on import, looked up in batch and written on export.
macro_rules! cell {
    (resolve one $t:ty, $conn:ident, $p:ident, $failed:ident, $row:ident . $rf:ident) => {
        $crate::bundle::codec::one::<$t, C>($conn, $p, &mut $failed, stringify!($rf), &$row.$rf)
            .await?
    };
    (resolve opt $t:ty, $conn:ident, $p:ident, $failed:ident, $row:ident . $rf:ident) => {
        $crate::bundle::codec::opt::<$t, C>($conn, $p, &mut $failed, stringify!($rf), &$row.$rf)
            .await?
    };
    (resolve many $t:ty, $conn:ident, $p:ident, $failed:ident, $row:ident . $rf:ident) => {
        $crate::bundle::codec::many::<$t, C>($conn, $p, &mut $failed, stringify!($rf), &$row.$rf)
            .await?
    };
    (resolve missions $t:ty, $conn:ident, $p:ident, $failed:ident, $row:ident . $rf:ident) => {
        $crate::bundle::codec::missions::<C>($conn, $p, &$row.$rf).await?
    };
    (prepare one $t:ty, $conn:ident, $models:ident, $ids:ident, $ff:ident) => {
        $crate::curation::slugs_of::<$t, C>($conn, $models.iter().map(|m| m.$ff)).await?
    };
    (prepare opt $t:ty, $conn:ident, $models:ident, $ids:ident, $ff:ident) => {
        $crate::curation::slugs_of::<$t, C>($conn, $models.iter().filter_map(|m| m.$ff)).await?
    };
    (prepare many $t:ty, $conn:ident, $models:ident, $ids:ident, $ff:ident, $link:path) => {
        $crate::bundle::codec::linked_slugs::<$t, _, C>($conn, &$link, &$ids).await?
    };
    (prepare missions $t:ty, $conn:ident, $models:ident, $ids:ident, $ff:ident, $link:path) => {
        $crate::bundle::codec::linked_missions::<_, C>($conn, &$link, &$ids).await?
    };
    (export one, $map:ident, $value:expr, $id:ident) => {
        $crate::bundle::slug(&$map, $value)?
    };
    (export opt, $map:ident, $value:expr, $id:ident) => {
        $value.map(|v| $crate::bundle::slug(&$map, v)).transpose()?
    };
    (export many, $map:ident, $value:expr, $id:ident) => {
        $map.get(&$id).cloned().unwrap_or_default()
    };
    (export missions, $map:ident, $value:expr, $id:ident) => {
        $map.get(&$id).cloned().unwrap_or_default()
    };
}

/// Implements [`super::Codec`] for a curated type: `same { .. }` lists the fields the bundle
/// row and the fields share as they are; each following entry `kind Type: row_field ->
/// fields_field [by LINK];` is a reference (`one`, `opt`, `many` through a join table, or
/// `missions`), resolved on import in the order given; `then` names a function the resolved
/// fields pass through (e.g. putting tag lists in order).
macro_rules! codec {
    (
        $curated:ty: $type_name:literal, $row:ident => $fields:ident $(, then $post:path)? {
            same { $($same:ident),* $(,)? }
            $( $kind:ident $t:ty: $rf:ident -> $ff:ident $(by $link:path)?; )*
        }
    ) => {
        impl $crate::bundle::Codec for $curated {
            const TYPE: &'static str = $type_name;
            type Row = $row;

            fn row_slug(row: &$row) -> &str {
                &row.slug
            }

            fn external(row: &$row) -> Option<$crate::curation::External> {
                $crate::bundle::external_of(&row.external_source, &row.external_id)
            }

            // A type without references uses neither `conn` nor `failed`.
            #[allow(clippy::clone_on_copy, unused_mut, unused_variables)]
            async fn resolve<C: sea_orm::ConnectionTrait>(
                conn: &C,
                row: &$row,
                problems: &mut Vec<$crate::curation::Problem>,
            ) -> $crate::errors::ApiResult<Option<$fields>> {
                let mut failed = false;
                $( let $ff = cell!(resolve $kind $t, conn, problems, failed, row.$rf); )*
                if failed {
                    return Ok(None);
                }
                Ok(Some($($post)?($fields {
                    $( $same: row.$same.clone(), )*
                    $( $ff: From::from($ff), )*
                })))
            }

            // A type without references or tags uses no `ids`.
            #[allow(unused_variables)]
            async fn export_chunk<C: sea_orm::ConnectionTrait>(
                conn: &C,
                after: i32,
                limit: u64,
            ) -> $crate::errors::ApiResult<Vec<(i32, $row)>> {
                use $crate::curation::{Curated, Record};
                let models = $crate::bundle::next_chunk::<<$curated as Record>::Entity, C>(
                    conn,
                    <$curated as Record>::ID,
                    after,
                    limit,
                )
                .await?;
                let ids: Vec<i32> = models.iter().map(<$curated as Curated>::id).collect();
                $( let $ff = cell!(prepare $kind $t, conn, models, ids, $ff $(, $link)?); )*
                let mut out = Vec::with_capacity(models.len());
                for m in models {
                    let f = $fields::of_row(&m);
                    let id = <$curated as Curated>::id(&m);
                    out.push((
                        id,
                        $row {
                            $( $rf: cell!(export $kind, $ff, f.$ff, id), )*
                            $( $same: f.$same, )*
                            external_source: m.external_source,
                            external_id: m.external_id,
                        },
                    ));
                }
                Ok(out)
            }
        }
    };
}
