//! The four writes every curated type has, written once: create, update (at the version the
//! writer read), upsert by an integrator's key, and delete (leaving a tombstone). A type's file
//! holds its input objects, how they turn into the type's fields ([`Values`], [`Changes`]), and
//! one [`writes!`] naming its mutations and describing them for the schema.

use super::{begin, commit, id_of, version_arg, ExternalKeyInput, Tombstone, WriteOutcome};
use crate::auth::{caller, Role};
use crate::curation::{self, Curated};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use async_graphql::{Context, MaybeUndefined, ID};

/// A create (or upsert) input of `T`: the fields it sets, with references decoded. `at` is where
/// the input sits in the request, for the paths of errors (`input`).
pub(crate) trait Values<T: Curated>: Sync {
    fn fields(&self, at: &str) -> ApiResult<T::Fields>;
}

/// An update input of `T`: the fields it changes, applied to the row's current fields.
pub(crate) trait Changes<T: Curated>: Sync {
    fn apply(&self, fields: T::Fields) -> ApiResult<T::Fields>;
}

/// Creates a row of `T`. Needs an editor token.
pub(crate) async fn create<T: Curated>(
    ctx: &Context<'_>,
    input: &impl Values<T>,
) -> ApiResult<T::Model> {
    let viewer = caller(ctx, Role::Editor)?;
    let fields = input.fields("input")?;
    let txn = begin(ctx).await?;
    let model =
        curation::create::<T, _>(&txn, viewer.actor().into(), &fields, None, "input").await?;
    commit(ctx, txn).await?;
    Ok(model)
}

/// Changes the row `id` of `T`, if it is still at `expected_version`. Needs an editor token.
pub(crate) async fn update<T: Curated>(
    ctx: &Context<'_>,
    id: &ID,
    expected_version: i64,
    input: &impl Changes<T>,
) -> ApiResult<T::Model> {
    let viewer = caller(ctx, Role::Editor)?;
    let id = id_of(id, T::KIND, "input.id")?;
    let expected = version_arg(expected_version, "input.expectedVersion")?;
    let txn = begin(ctx).await?;
    let (model, before) = curation::current::<T, _>(&txn, id, Some(expected)).await?;
    let after = input.apply(before.clone())?;
    let (model, _) = curation::update::<T, _>(
        &txn,
        viewer.actor().into(),
        &model,
        &before,
        &after,
        "input",
    )
    .await?;
    commit(ctx, txn).await?;
    Ok(model)
}

/// Creates or updates the row of `T` an integrator knows by `key`. Needs an editor token.
pub(crate) async fn upsert<T: Curated>(
    ctx: &Context<'_>,
    key: &ExternalKeyInput,
    input: &impl Values<T>,
) -> ApiResult<(T::Model, WriteOutcome)> {
    let viewer = caller(ctx, Role::Editor)?;
    let external = key.checked("externalKey")?;
    let fields = input.fields("input")?;
    let txn = begin(ctx).await?;
    let existing = curation::id_by_external::<T, _>(&txn, &external).await?;
    let (model, outcome) = curation::upsert::<T, _>(
        &txn,
        viewer.actor().into(),
        existing,
        &fields,
        &external,
        "input",
    )
    .await?;
    commit(ctx, txn).await?;
    Ok((model, outcome.into()))
}

/// Deletes the row `id` of `T`, if it is still at `expected_version`. Needs an editor token.
pub(crate) async fn delete<T: Curated>(
    ctx: &Context<'_>,
    id: &ID,
    expected_version: i64,
) -> ApiResult<Tombstone> {
    let viewer = caller(ctx, Role::Editor)?;
    let id = id_of(id, T::KIND, "id")?;
    let expected = version_arg(expected_version, "expectedVersion")?;
    let txn = begin(ctx).await?;
    let (model, before) = curation::current::<T, _>(&txn, id, Some(expected)).await?;
    curation::delete::<T, _>(&txn, viewer.actor().into(), &model, &before).await?;
    commit(ctx, txn).await?;
    Ok(Tombstone::new(T::KIND, id, T::version(&model)))
}

/// A curated type's mutations, as one object of the merged `Mutation` root, and the result type
/// of its upsert. The type states the names and the descriptions; [`create`], [`update`],
/// [`upsert`] and [`delete`] do the work.
macro_rules! writes {
    (
        $(#[doc = $doc:literal])*
        $object:ident: $curated:ident => $output:ident,
        $upsert_type:ident { $field:ident: $field_doc:literal }

        $(#[doc = $create_doc:literal])*
        $create:ident($create_input:ident: $create_arg:literal)

        $(#[doc = $update_doc:literal])*
        $update:ident($update_input:ident: $update_arg:literal)

        $(#[doc = $upsert_doc:literal])*
        $upsert:ident($key_arg:literal, $values_arg:literal)

        $(#[doc = $delete_doc:literal])*
        $delete:ident($delete_arg:literal)
    ) => {
        /// The result of an upsert.
        #[derive(async_graphql::SimpleObject)]
        pub struct $upsert_type {
            #[doc = $field_doc]
            pub $field: $output,
            /// Whether it was created, updated or left unchanged.
            pub outcome: $crate::mutation::WriteOutcome,
        }

        #[derive(Default)]
        pub struct $object;

        $(#[doc = $doc])*
        #[async_graphql::Object]
        impl $object {
            $(#[doc = $create_doc])*
            async fn $create(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = $create_arg)] input: $create_input,
            ) -> $crate::errors::ApiResult<$output> {
                $crate::mutation::writes::create::<$curated>(ctx, &input)
                    .await
                    .map($output)
            }

            $(#[doc = $update_doc])*
            async fn $update(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = $update_arg)] input: $update_input,
            ) -> $crate::errors::ApiResult<$output> {
                $crate::mutation::writes::update::<$curated>(
                    ctx,
                    &input.id,
                    input.expected_version,
                    &input,
                )
                .await
                .map($output)
            }

            $(#[doc = $upsert_doc])*
            async fn $upsert(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = $key_arg)] external_key: $crate::mutation::ExternalKeyInput,
                #[graphql(desc = $values_arg)] input: $create_input,
            ) -> $crate::errors::ApiResult<$upsert_type> {
                let (model, outcome) =
                    $crate::mutation::writes::upsert::<$curated>(ctx, &external_key, &input)
                        .await?;
                Ok($upsert_type {
                    $field: $output(model),
                    outcome,
                })
            }

            $(#[doc = $delete_doc])*
            async fn $delete(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = $delete_arg)] id: async_graphql::ID,
                #[graphql(desc = "The version the deletion was based on.")] expected_version: i64,
            ) -> $crate::errors::ApiResult<$crate::mutation::Tombstone> {
                $crate::mutation::writes::delete::<$curated>(ctx, &id, expected_version).await
            }
        }
    };
}

/// A create input's field as the curated type's field: cloned, and converted from the schema's
/// enum to the stored one where they differ.
pub(crate) trait Take<T> {
    fn take(&self) -> T;
}

impl<T, U: Clone + Into<T>> Take<T> for U {
    fn take(&self) -> T {
        self.clone().into()
    }
}

/// An update input's field: how it changes the current value. An absent field keeps it; a
/// `MaybeUndefined` field's `null` clears it.
pub(crate) trait Patch<T> {
    fn patch(&self, current: &mut T);
}

impl<T, U: Clone + Into<T>> Patch<T> for Option<U> {
    fn patch(&self, current: &mut T) {
        if let Some(v) = self {
            *current = v.clone().into();
        }
    }
}

impl<T, U: Clone + Into<T>> Patch<Option<T>> for MaybeUndefined<U> {
    fn patch(&self, current: &mut Option<T>) {
        match self {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => *current = None,
            MaybeUndefined::Value(v) => *current = Some(v.clone().into()),
        }
    }
}

/// The fields of a create input: those named first are taken as they are ([`Take`]), the rest
/// given as `field: value`.
macro_rules! fields_of {
    ($input:ident => $ty:ident { $($same:ident),* ; $($field:ident: $value:expr),* $(,)? }) => {
        $ty {
            $( $same: $crate::mutation::writes::Take::take(&$input.$same), )*
            $( $field: $value, )*
        }
    };
}

/// Applies an update input's fields of the same name to the current fields ([`Patch`]).
macro_rules! patch {
    ($input:ident => $fields:ident: $($field:ident),* $(,)?) => {
        $( $crate::mutation::writes::Patch::patch(&$input.$field, &mut $fields.$field); )*
    };
}

/// An update input's reference: a global ID decoded as `kind` (`at` names the argument in
/// errors). An absent one keeps the current reference; a `MaybeUndefined` one's `null` clears it.
pub(crate) trait PatchRef<T> {
    fn patch_ref(&self, current: &mut T, kind: NodeKind, at: &str) -> ApiResult<()>;
}

impl PatchRef<i32> for Option<ID> {
    fn patch_ref(&self, current: &mut i32, kind: NodeKind, at: &str) -> ApiResult<()> {
        if let Some(id) = self {
            *current = id_of(id, kind, at)?;
        }
        Ok(())
    }
}

impl PatchRef<Option<i32>> for MaybeUndefined<ID> {
    fn patch_ref(&self, current: &mut Option<i32>, kind: NodeKind, at: &str) -> ApiResult<()> {
        match self {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => *current = None,
            MaybeUndefined::Value(id) => *current = Some(id_of(id, kind, at)?),
        }
        Ok(())
    }
}

/// Applies an update input's references ([`PatchRef`]): `field <- argument: Kind "path"`.
macro_rules! patch_refs {
    ($input:ident => $fields:ident: $($field:ident <- $arg:ident: $kind:ident $at:literal),* $(,)?) => {
        $( $crate::mutation::writes::PatchRef::patch_ref(
            &$input.$arg,
            &mut $fields.$field,
            $crate::ids::NodeKind::$kind,
            $at,
        )?; )*
    };
}
