//! Creating, changing, upserting and deleting themes.

use super::{
    begin, by_external, caller, commit, id_of, version_arg, ExternalKeyInput, Tombstone,
    WriteOutcome,
};
use crate::auth::Role;
use crate::curation::{self, themes::ThemeFields, themes::Themes};
use crate::errors::ApiResult;
use crate::ids::NodeKind;
use crate::types::Theme;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use entity::theme;

/// A new theme.
#[derive(InputObject)]
pub struct CreateThemeInput {
    /// Stable key: lower-case letters, digits and single hyphens, unique among themes.
    pub slug: String,
    /// Display name (at most 200 characters).
    pub label: String,
    /// What counts as falling under the theme (at most 5,000 characters).
    pub definition: String,
}

impl CreateThemeInput {
    fn fields(&self, _at: &str) -> ApiResult<ThemeFields> {
        Ok(ThemeFields {
            slug: self.slug.clone(),
            label: self.label.clone(),
            definition: self.definition.clone(),
        })
    }
}

/// Changes to a theme: only the fields given change.
#[derive(InputObject)]
pub struct UpdateThemeInput {
    /// The theme to change.
    pub id: ID,
    /// The version the change was based on (`Theme.version`); if the theme has moved on, the
    /// update is refused with `CONFLICT`.
    pub expected_version: i64,
    /// New slug.
    pub slug: Option<String>,
    /// New label.
    pub label: Option<String>,
    /// New definition.
    pub definition: Option<String>,
}

impl UpdateThemeInput {
    fn apply(&self, mut f: ThemeFields) -> ApiResult<ThemeFields> {
        if let Some(v) = &self.slug {
            f.slug = v.clone();
        }
        if let Some(v) = &self.label {
            f.label = v.clone();
        }
        if let Some(v) = &self.definition {
            f.definition = v.clone();
        }
        Ok(f)
    }
}

/// The result of an upsert.
#[derive(SimpleObject)]
pub struct ThemeUpsert {
    /// The theme as stored.
    pub theme: Theme,
    /// Whether it was created, updated or left unchanged.
    pub outcome: WriteOutcome,
}

#[derive(Default)]
pub struct ThemeMutation;

/// Themes.
#[Object]
impl ThemeMutation {
    /// Creates a theme. Needs an editor token.
    async fn create_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new theme.")] input: CreateThemeInput,
    ) -> ApiResult<Theme> {
        let viewer = caller(ctx, Role::Editor)?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let model =
            curation::create::<Themes, _>(&txn, viewer.actor(), &fields, None, "input").await?;
        commit(ctx, txn).await?;
        Ok(Theme(model))
    }

    /// Changes a theme, if it is still at `expectedVersion`. Needs an editor token.
    async fn update_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme and the changes.")] input: UpdateThemeInput,
    ) -> ApiResult<Theme> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&input.id, NodeKind::Theme, "input.id")?;
        let expected = version_arg(input.expected_version, "input.expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) = curation::current::<Themes, _>(&txn, id, Some(expected)).await?;
        let after = input.apply(before.clone())?;
        let (model, _) =
            curation::update::<Themes, _>(&txn, viewer.actor(), &model, &before, &after, "input")
                .await?;
        commit(ctx, txn).await?;
        Ok(Theme(model))
    }

    /// Creates or updates the theme an integrator knows by `externalKey`: sending the same
    /// values again changes nothing. Needs an editor token.
    async fn upsert_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The integrator's key for the theme.")] external_key: ExternalKeyInput,
        #[graphql(desc = "The theme's values.")] input: CreateThemeInput,
    ) -> ApiResult<ThemeUpsert> {
        let viewer = caller(ctx, Role::Editor)?;
        let external = external_key.checked("externalKey")?;
        let fields = input.fields("input")?;
        let txn = begin(ctx).await?;
        let existing = by_external::<theme::Entity, _>(
            &txn,
            &external,
            theme::Column::ExternalSource,
            theme::Column::ExternalId,
            |m| m.id,
        )
        .await?;
        let (model, outcome) = curation::upsert::<Themes, _>(
            &txn,
            viewer.actor(),
            existing,
            &fields,
            &external,
            "input",
        )
        .await?;
        commit(ctx, txn).await?;
        Ok(ThemeUpsert {
            theme: Theme(model),
            outcome: outcome.into(),
        })
    }

    /// Deletes a theme, if it is still at `expectedVersion`, leaving a tombstone in the
    /// change feed. Refused (`CONFLICT`) while findings or views are tagged with it. Needs an editor token.
    async fn delete_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme to delete.")] id: ID,
        #[graphql(desc = "The version the deletion was based on.")] expected_version: i64,
    ) -> ApiResult<Tombstone> {
        let viewer = caller(ctx, Role::Editor)?;
        let id = id_of(&id, NodeKind::Theme, "id")?;
        let expected = version_arg(expected_version, "expectedVersion")?;
        let txn = begin(ctx).await?;
        let (model, before) = curation::current::<Themes, _>(&txn, id, Some(expected)).await?;
        curation::delete::<Themes, _>(&txn, viewer.actor(), &model, &before).await?;
        commit(ctx, txn).await?;
        Ok(Tombstone::new(NodeKind::Theme, id, model.version))
    }
}
