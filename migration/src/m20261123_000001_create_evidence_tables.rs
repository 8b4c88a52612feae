//! Creates the evidence corpus: source documents, missions, themes, organisations,
//! engagement exercises with their sessions, findings, participant views and metrics,
//! the resources that report them, and the join tables between them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_source_document(manager).await?;
        create_mission(manager).await?;
        create_theme(manager).await?;
        create_organisation(manager).await?;
        create_exercise(manager).await?;
        create_join_table(
            manager,
            ExerciseMission::Table,
            exercise_key(ExerciseMission::ExerciseId),
            mission_key(ExerciseMission::MissionCode),
            None,
        )
        .await?;
        // An organisation can play several roles in one exercise, so the role is part of the key.
        create_join_table(
            manager,
            ExerciseOrganisation::Table,
            exercise_key(ExerciseOrganisation::ExerciseId),
            JoinKey::new(
                ExerciseOrganisation::OrganisationId,
                Organisation::Table,
                Organisation::Id,
            ),
            Some(ExerciseOrganisation::Role.into_iden()),
        )
        .await?;
        create_session(manager).await?;
        create_finding(manager).await?;
        create_join_table(
            manager,
            FindingMission::Table,
            finding_key(FindingMission::FindingId),
            mission_key(FindingMission::MissionCode),
            None,
        )
        .await?;
        create_join_table(
            manager,
            FindingTheme::Table,
            finding_key(FindingTheme::FindingId),
            theme_key(FindingTheme::ThemeId),
            None,
        )
        .await?;
        create_participant_view(manager).await?;
        create_join_table(
            manager,
            ViewMission::Table,
            view_key(ViewMission::ViewId),
            mission_key(ViewMission::MissionCode),
            None,
        )
        .await?;
        create_join_table(
            manager,
            ViewTheme::Table,
            view_key(ViewTheme::ViewId),
            theme_key(ViewTheme::ThemeId),
            None,
        )
        .await?;
        create_metric(manager).await?;
        create_resource(manager).await?;
        create_join_table(
            manager,
            ResourceExercise::Table,
            resource_key(ResourceExercise::ResourceId),
            exercise_key(ResourceExercise::ExerciseId),
            None,
        )
        .await?;
        create_join_table(
            manager,
            ResourceFinding::Table,
            resource_key(ResourceFinding::ResourceId),
            finding_key(ResourceFinding::FindingId),
            None,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents, so no table is dropped while another still references it.
        let tables = [
            ResourceFinding::Table.into_iden(),
            ResourceExercise::Table.into_iden(),
            Resource::Table.into_iden(),
            Metric::Table.into_iden(),
            ViewTheme::Table.into_iden(),
            ViewMission::Table.into_iden(),
            ParticipantView::Table.into_iden(),
            FindingTheme::Table.into_iden(),
            FindingMission::Table.into_iden(),
            Finding::Table.into_iden(),
            Session::Table.into_iden(),
            ExerciseOrganisation::Table.into_iden(),
            ExerciseMission::Table.into_iden(),
            Exercise::Table.into_iden(),
            Organisation::Table.into_iden(),
            Theme::Table.into_iden(),
            Mission::Table.into_iden(),
            SourceDocument::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_source_document(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut table = Table::create()
        .table(SourceDocument::Table)
        .col(pk_auto(SourceDocument::Id))
        .col(text_uniq(SourceDocument::Slug))
        .col(text(SourceDocument::FileName))
        .col(text(SourceDocument::Title))
        .col(text(SourceDocument::Publisher))
        .col(text_null(SourceDocument::PublishedOn))
        .col(text_null(SourceDocument::Url))
        .take();
    manager
        .create_table(with_timestamps(&mut table).take())
        .await
}

async fn create_mission(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut table = Table::create()
        .table(Mission::Table)
        .col(text(Mission::Code).primary_key())
        .col(text(Mission::Label))
        .col(text(Mission::Description))
        .col(integer(Mission::Position))
        .take();
    manager
        .create_table(with_timestamps(&mut table).take())
        .await
}

async fn create_theme(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut table = Table::create()
        .table(Theme::Table)
        .col(pk_auto(Theme::Id))
        .col(text_uniq(Theme::Slug))
        .col(text(Theme::Label))
        .col(text(Theme::Definition))
        .take();
    manager
        .create_table(with_timestamps(&mut table).take())
        .await
}

async fn create_organisation(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut table = Table::create()
        .table(Organisation::Table)
        .col(pk_auto(Organisation::Id))
        .col(text_uniq(Organisation::Slug))
        .col(text(Organisation::Name))
        .col(text(Organisation::Kind))
        .col(text_null(Organisation::Website))
        .col(text_null(Organisation::Description))
        .take();
    create_with_provenance(manager, Organisation::Table, &mut table).await
}

async fn create_exercise(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut table = Table::create()
        .table(Exercise::Table)
        .col(pk_auto(Exercise::Id))
        .col(text_uniq(Exercise::Slug))
        .col(text(Exercise::Title))
        .col(text(Exercise::Kind))
        .col(text_null(Exercise::Method))
        .col(text(Exercise::Summary))
        .col(text_null(Exercise::StartDate))
        .col(text_null(Exercise::EndDate))
        .col(json(Exercise::Places))
        .col(integer_null(Exercise::ParticipantCount))
        .col(integer_null(Exercise::SessionCount))
        .col(text(Exercise::Status))
        .col(integer_null(Exercise::ParentId))
        .foreign_key(&mut foreign_key(
            Exercise::Table,
            Exercise::ParentId,
            Exercise::Table,
            Exercise::Id,
            ForeignKeyAction::SetNull,
        ))
        .take();
    create_with_provenance(manager, Exercise::Table, &mut table).await?;
    create_index(manager, Exercise::Table, Exercise::ParentId).await
}

async fn create_session(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut table = Table::create()
        .table(Session::Table)
        .col(pk_auto(Session::Id))
        .col(text_uniq(Session::Slug))
        .col(integer(Session::ExerciseId))
        .col(text(Session::Title))
        .col(integer_null(Session::Sequence))
        .col(text_null(Session::Date))
        .col(text_null(Session::Place))
        .col(text_null(Session::Format))
        .foreign_key(&mut foreign_key(
            Session::Table,
            Session::ExerciseId,
            Exercise::Table,
            Exercise::Id,
            ForeignKeyAction::Cascade,
        ))
        .take();
    create_with_provenance(manager, Session::Table, &mut table).await?;
    create_index(manager, Session::Table, Session::ExerciseId).await
}

async fn create_finding(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut table = Table::create()
        .table(Finding::Table)
        .col(pk_auto(Finding::Id))
        .col(text_uniq(Finding::Slug))
        .col(integer(Finding::ExerciseId))
        .col(text(Finding::Title))
        .col(text(Finding::Summary))
        .col(text(Finding::Kind))
        .col(integer(Finding::Position))
        .foreign_key(&mut foreign_key(
            Finding::Table,
            Finding::ExerciseId,
            Exercise::Table,
            Exercise::Id,
            ForeignKeyAction::Cascade,
        ))
        .take();
    create_with_provenance(manager, Finding::Table, &mut table).await?;
    create_index(manager, Finding::Table, Finding::ExerciseId).await
}

async fn create_participant_view(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut table = Table::create()
        .table(ParticipantView::Table)
        .col(pk_auto(ParticipantView::Id))
        .col(text_uniq(ParticipantView::Slug))
        .col(integer(ParticipantView::ExerciseId))
        .col(integer_null(ParticipantView::SessionId))
        .col(integer_null(ParticipantView::FindingId))
        .col(text(ParticipantView::Text))
        .col(boolean(ParticipantView::IsVerbatim))
        .col(text(ParticipantView::Stance))
        .foreign_key(&mut foreign_key(
            ParticipantView::Table,
            ParticipantView::ExerciseId,
            Exercise::Table,
            Exercise::Id,
            ForeignKeyAction::Cascade,
        ))
        // A view outlives the session or finding it was filed under; it just loses that link.
        .foreign_key(&mut foreign_key(
            ParticipantView::Table,
            ParticipantView::SessionId,
            Session::Table,
            Session::Id,
            ForeignKeyAction::SetNull,
        ))
        .foreign_key(&mut foreign_key(
            ParticipantView::Table,
            ParticipantView::FindingId,
            Finding::Table,
            Finding::Id,
            ForeignKeyAction::SetNull,
        ))
        .take();
    create_with_provenance(manager, ParticipantView::Table, &mut table).await?;
    create_index(manager, ParticipantView::Table, ParticipantView::ExerciseId).await?;
    create_index(manager, ParticipantView::Table, ParticipantView::SessionId).await?;
    create_index(manager, ParticipantView::Table, ParticipantView::FindingId).await
}

async fn create_metric(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut table = Table::create()
        .table(Metric::Table)
        .col(pk_auto(Metric::Id))
        .col(text_uniq(Metric::Slug))
        .col(integer(Metric::ExerciseId))
        .col(text(Metric::Label))
        .col(double(Metric::Value))
        .col(text(Metric::Unit))
        .col(integer_null(Metric::Base))
        .foreign_key(&mut foreign_key(
            Metric::Table,
            Metric::ExerciseId,
            Exercise::Table,
            Exercise::Id,
            ForeignKeyAction::Cascade,
        ))
        .take();
    create_with_provenance(manager, Metric::Table, &mut table).await?;
    create_index(manager, Metric::Table, Metric::ExerciseId).await
}

async fn create_resource(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut table = Table::create()
        .table(Resource::Table)
        .col(pk_auto(Resource::Id))
        .col(text_uniq(Resource::Slug))
        .col(text(Resource::Title))
        .col(text(Resource::Kind))
        .col(text_null(Resource::Url))
        .col(integer_null(Resource::PublisherId))
        .col(text_null(Resource::PublishedOn))
        .foreign_key(&mut foreign_key(
            Resource::Table,
            Resource::PublisherId,
            Organisation::Table,
            Organisation::Id,
            ForeignKeyAction::SetNull,
        ))
        .take();
    create_with_provenance(manager, Resource::Table, &mut table).await?;
    create_index(manager, Resource::Table, Resource::PublisherId).await
}

/// Adds the timestamps every table carries.
fn with_timestamps(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone(Shared::CreatedAt))
        .col(timestamp_with_time_zone(Shared::UpdatedAt))
}

/// Finishes a table whose rows are drawn from a source document, then creates it.
///
/// Provenance uses RESTRICT: deleting a document that evidence still cites would
/// silently orphan (or cascade away) the evidence, so the database refuses instead.
async fn create_with_provenance(
    manager: &SchemaManager<'_>,
    name: impl IntoIden,
    table: &mut TableCreateStatement,
) -> Result<(), DbErr> {
    let name = name.into_iden();
    table
        .col(integer(Shared::SourceDocumentId))
        .col(text(Shared::Locator))
        .foreign_key(&mut foreign_key(
            name.clone(),
            Shared::SourceDocumentId,
            SourceDocument::Table,
            SourceDocument::Id,
            ForeignKeyAction::Restrict,
        ));
    manager.create_table(with_timestamps(table).take()).await?;
    create_index(manager, name, Shared::SourceDocumentId).await
}

fn foreign_key(
    table: impl IntoIden,
    column: impl IntoIden,
    parent: impl IntoIden,
    parent_key: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    let (table, column) = (table.into_iden(), column.into_iden());
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(parent.into_iden(), parent_key.into_iden())
        .on_delete(on_delete)
        .take()
}

async fn create_index(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    let (table, column) = (table.into_iden(), column.into_iden());
    manager
        .create_index(
            Index::create()
                .name(format!("idx_{table}_{column}"))
                .table(table)
                .col(column)
                .take(),
        )
        .await
}

/// One key column of a join table, naming the parent row it belongs to.
struct JoinKey {
    column: DynIden,
    parent: DynIden,
    parent_key: DynIden,
    /// Mission codes are text; every other parent has an integer id.
    is_text: bool,
}

impl JoinKey {
    fn new(column: impl IntoIden, parent: impl IntoIden, parent_key: impl IntoIden) -> Self {
        Self {
            column: column.into_iden(),
            parent: parent.into_iden(),
            parent_key: parent_key.into_iden(),
            is_text: false,
        }
    }

    fn column_def(&self) -> ColumnDef {
        if self.is_text {
            text(self.column.clone())
        } else {
            integer(self.column.clone())
        }
    }
}

fn exercise_key(column: impl IntoIden) -> JoinKey {
    JoinKey::new(column, Exercise::Table, Exercise::Id)
}

fn finding_key(column: impl IntoIden) -> JoinKey {
    JoinKey::new(column, Finding::Table, Finding::Id)
}

fn view_key(column: impl IntoIden) -> JoinKey {
    JoinKey::new(column, ParticipantView::Table, ParticipantView::Id)
}

fn theme_key(column: impl IntoIden) -> JoinKey {
    JoinKey::new(column, Theme::Table, Theme::Id)
}

fn resource_key(column: impl IntoIden) -> JoinKey {
    JoinKey::new(column, Resource::Table, Resource::Id)
}

fn mission_key(column: impl IntoIden) -> JoinKey {
    JoinKey {
        is_text: true,
        ..JoinKey::new(column, Mission::Table, Mission::Code)
    }
}

/// Creates a join table keyed on (`first`, `second`[, `extra_key`]).
///
/// A link means nothing once either end is gone, so both foreign keys cascade.
/// The primary key's index already serves lookups by `first`; only `second`
/// needs an index of its own.
async fn create_join_table(
    manager: &SchemaManager<'_>,
    name: impl IntoIden,
    first: JoinKey,
    second: JoinKey,
    extra_key: Option<DynIden>,
) -> Result<(), DbErr> {
    let name = name.into_iden();
    let mut primary_key = Index::create()
        .col(first.column.clone())
        .col(second.column.clone())
        .take();
    let mut table = Table::create()
        .table(name.clone())
        .col(first.column_def())
        .col(second.column_def())
        .take();
    if let Some(extra_key) = extra_key {
        table.col(text(extra_key.clone()));
        primary_key.col(extra_key);
    }
    for key in [&first, &second] {
        table.foreign_key(&mut foreign_key(
            name.clone(),
            key.column.clone(),
            key.parent.clone(),
            key.parent_key.clone(),
            ForeignKeyAction::Cascade,
        ));
    }
    manager
        .create_table(table.primary_key(&mut primary_key).take())
        .await?;
    create_index(manager, name, second.column).await
}

/// Columns shared by many tables.
#[derive(DeriveIden)]
enum Shared {
    CreatedAt,
    UpdatedAt,
    SourceDocumentId,
    Locator,
}

#[derive(DeriveIden)]
enum SourceDocument {
    Table,
    Id,
    Slug,
    FileName,
    Title,
    Publisher,
    PublishedOn,
    Url,
}

#[derive(DeriveIden)]
enum Mission {
    Table,
    Code,
    Label,
    Description,
    Position,
}

#[derive(DeriveIden)]
enum Theme {
    Table,
    Id,
    Slug,
    Label,
    Definition,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
    Slug,
    Name,
    Kind,
    Website,
    Description,
}

#[derive(DeriveIden)]
enum Exercise {
    Table,
    Id,
    Slug,
    Title,
    Kind,
    Method,
    Summary,
    StartDate,
    EndDate,
    Places,
    ParticipantCount,
    SessionCount,
    Status,
    ParentId,
}

#[derive(DeriveIden)]
enum ExerciseMission {
    Table,
    ExerciseId,
    MissionCode,
}

#[derive(DeriveIden)]
enum ExerciseOrganisation {
    Table,
    ExerciseId,
    OrganisationId,
    Role,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    Slug,
    ExerciseId,
    Title,
    Sequence,
    Date,
    Place,
    Format,
}

#[derive(DeriveIden)]
enum Finding {
    Table,
    Id,
    Slug,
    ExerciseId,
    Title,
    Summary,
    Kind,
    Position,
}

#[derive(DeriveIden)]
enum FindingMission {
    Table,
    FindingId,
    MissionCode,
}

#[derive(DeriveIden)]
enum FindingTheme {
    Table,
    FindingId,
    ThemeId,
}

#[derive(DeriveIden)]
enum ParticipantView {
    Table,
    Id,
    Slug,
    ExerciseId,
    SessionId,
    FindingId,
    Text,
    IsVerbatim,
    Stance,
}

#[derive(DeriveIden)]
enum ViewMission {
    Table,
    ViewId,
    MissionCode,
}

#[derive(DeriveIden)]
enum ViewTheme {
    Table,
    ViewId,
    ThemeId,
}

#[derive(DeriveIden)]
enum Metric {
    Table,
    Id,
    Slug,
    ExerciseId,
    Label,
    Value,
    Unit,
    Base,
}

#[derive(DeriveIden)]
enum Resource {
    Table,
    Id,
    Slug,
    Title,
    Kind,
    Url,
    PublisherId,
    PublishedOn,
}

#[derive(DeriveIden)]
enum ResourceExercise {
    Table,
    ResourceId,
    ExerciseId,
}

#[derive(DeriveIden)]
enum ResourceFinding {
    Table,
    ResourceId,
    FindingId,
}
