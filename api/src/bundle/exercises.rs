//! Exercises in a bundle: places, missions, involved organisations and the larger exercise they
//! are `partOf`.
//!
//! `partOf` may name an exercise later in the same bundle (export writes exercises in id order,
//! and nothing makes a whole older than its parts). So an exercise whose larger exercise is not
//! in the database yet is written without it, and [`link_parents`] links it once every line has
//! been read; a larger exercise that never arrives is reported at the row's line, field
//! `partOf`. Within one transaction, so nothing of this is seen half-done.

use super::{
    codec, external_of, next_chunk, parse_row, reject, row_field, slot, slug, write_row, Codec,
    ImportReport,
};
use crate::curation::exercises::{ExerciseFields, Exercises, Involvement as InvolvementFields};
use crate::curation::{self, Actor, Curated, External, Outcome, Problem, Tags};
use crate::curation::{organisations::Organisations, slugs_of, source_documents::SourceDocuments};
use crate::errors::{db, ApiError, ApiResult};
use entity::enums::{ExerciseKind, ExerciseStatus, Mission, OrganisationRole};
use entity::{exercise, exercise_organisation, organisation};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// An organisation's part in an exercise, by slug.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Involvement {
    pub organisation: String,
    pub role: OrganisationRole,
}

/// An exercise row: the seed corpus' fields, plus external key.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExerciseRow {
    pub slug: String,
    pub title: String,
    pub kind: ExerciseKind,
    #[serde(default)]
    pub method: Option<String>,
    pub summary: String,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub places: Vec<String>,
    #[serde(default)]
    pub participant_count: Option<i32>,
    #[serde(default)]
    pub session_count: Option<i32>,
    pub status: ExerciseStatus,
    #[serde(default)]
    pub part_of: Option<String>,
    #[serde(default)]
    pub missions: Vec<Mission>,
    #[serde(default)]
    pub organisations: Vec<Involvement>,
    pub source: String,
    pub locator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// An exercise written without its larger exercise, to be linked at the end of the import.
pub(crate) struct LaterParent {
    line: u64,
    id: i32,
    parent: String,
    outcome: Outcome,
}

/// Imports one exercise row, putting off a `partOf` that names no exercise yet.
pub(super) async fn import_row<C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    later: &mut Vec<LaterParent>,
    line_no: u64,
    value: serde_json::Value,
    actor: Actor<'_>,
) -> ApiResult<()> {
    let Some(mut row) = parse_row::<ExerciseRow>(report, Exercises::TYPE, line_no, value) else {
        return Ok(());
    };
    let mut parent = None;
    if let Some(p) = &row.part_of {
        if crate::curation::id_by_slug::<Exercises, C>(conn, p)
            .await?
            .is_none()
        {
            parent = row.part_of.take();
        }
    }
    let written = write_row::<Exercises, C>(conn, report, line_no, &row, actor).await?;
    if let (Some(parent), Some((outcome, id))) = (parent, written) {
        later.push(LaterParent {
            line: line_no,
            id,
            parent,
            outcome,
        });
    }
    Ok(())
}

/// The second pass: links every exercise whose larger exercise came later in the bundle.
pub(super) async fn link_parents<C: ConnectionTrait>(
    conn: &C,
    report: &mut ImportReport,
    later: Vec<LaterParent>,
    actor: Actor<'_>,
) -> ApiResult<()> {
    let kind = Exercises::TYPE;
    for l in later {
        let parent_id = crate::curation::id_by_slug::<Exercises, C>(conn, &l.parent).await?;
        let (model, before) = curation::current::<Exercises, C>(conn, l.id, None).await?;
        let mut after = before.clone();
        after.part_of_id = parent_id;
        let problems = match parent_id {
            None => vec![Problem::new(
                "partOf",
                format!("No exercise has slug {:?}", l.parent),
            )],
            Some(_) => Exercises::validate_existing(conn, l.id, &after)
                .await?
                .into_iter()
                .map(|p| Problem::new(row_field(&p.field), p.message))
                .collect(),
        };
        if !problems.is_empty() {
            report.uncount(kind, slot(l.outcome));
            reject(report, kind, l.line, problems);
            continue;
        }
        let (_, outcome) =
            curation::update::<Exercises, C>(conn, actor, &model, &before, &after, "").await?;
        // A row left unchanged by the first pass did change once its parent was linked.
        if l.outcome == Outcome::Unchanged && outcome == Outcome::Updated {
            report.uncount(kind, slot(Outcome::Unchanged));
            report.count(kind, slot(Outcome::Updated));
        }
    }
    Ok(())
}

impl Codec for Exercises {
    const TYPE: &'static str = "exercise";
    type Row = ExerciseRow;

    fn row_slug(row: &ExerciseRow) -> &str {
        &row.slug
    }

    fn external(row: &ExerciseRow) -> Option<External> {
        external_of(&row.external_source, &row.external_id)
    }

    async fn resolve<C: ConnectionTrait>(
        conn: &C,
        row: &ExerciseRow,
        problems: &mut Vec<Problem>,
    ) -> ApiResult<Option<ExerciseFields>> {
        // Any problem here refuses the row (a mission unknown too), so `failed` is not read.
        let (before, mut failed) = (problems.len(), false);
        let part_of_id =
            codec::opt::<Exercises, C>(conn, problems, &mut failed, "partOf", &row.part_of).await?;
        let missions = codec::missions(conn, problems, &row.missions).await?;
        let mut organisations = Vec::new();
        for (i, o) in row.organisations.iter().enumerate() {
            let at = format!("organisations[{i}].organisation");
            let organisation_id =
                codec::one::<Organisations, C>(conn, problems, &mut failed, &at, &o.organisation)
                    .await?;
            organisations.push(InvolvementFields {
                organisation_id,
                role: o.role,
            });
        }
        let source_document_id =
            codec::one::<SourceDocuments, C>(conn, problems, &mut failed, "source", &row.source)
                .await?;
        if problems.len() > before {
            return Ok(None);
        }
        Ok(Some(
            ExerciseFields {
                slug: row.slug.clone(),
                title: row.title.clone(),
                kind: row.kind,
                method: row.method.clone(),
                summary: row.summary.clone(),
                start_date: row.start_date.clone(),
                end_date: row.end_date.clone(),
                places: row.places.clone(),
                participant_count: row.participant_count,
                session_count: row.session_count,
                status: row.status,
                part_of_id,
                missions: Tags(missions),
                organisations: Tags(organisations),
                source_document_id,
                locator: row.locator.clone(),
            }
            .normalised(),
        ))
    }

    async fn export_chunk<C: ConnectionTrait>(
        conn: &C,
        after: i32,
        limit: u64,
    ) -> ApiResult<Vec<(i32, ExerciseRow)>> {
        let rows =
            next_chunk::<exercise::Entity, C>(conn, exercise::Column::Id, after, limit).await?;
        let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
        let sources =
            slugs_of::<SourceDocuments, C>(conn, rows.iter().map(|r| r.source_document_id)).await?;
        let parents =
            slugs_of::<Exercises, C>(conn, rows.iter().filter_map(|r| r.parent_id)).await?;
        let missions =
            codec::linked_missions(conn, &crate::curation::exercises::MISSIONS, &ids).await?;
        // In the organisations' id order, which an export and import keeps.
        let mut organisations: HashMap<i32, Vec<(i32, Involvement)>> = HashMap::new();
        for (t, o) in db(exercise_organisation::Entity::find()
            .filter(exercise_organisation::Column::ExerciseId.is_in(ids))
            .find_also_related(organisation::Entity)
            .order_by_asc(exercise_organisation::Column::OrganisationId)
            .all(conn)
            .await)?
        {
            if let Some(o) = o {
                organisations.entry(t.exercise_id).or_default().push((
                    o.id,
                    Involvement {
                        organisation: o.slug,
                        role: t.role,
                    },
                ));
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let places = serde_json::from_value::<Vec<String>>(r.places).map_err(|err| {
                tracing::error!(error = %err, exercise = r.id, "places is not a list of names");
                ApiError::Internal
            })?;
            let m = missions.get(&r.id).cloned().unwrap_or_default();
            let mut o = organisations.remove(&r.id).unwrap_or_default();
            o.sort_by_key(|(id, i)| (*id, i.role as u8));
            out.push((
                r.id,
                ExerciseRow {
                    source: slug(&sources, r.source_document_id)?,
                    part_of: r.parent_id.map(|id| slug(&parents, id)).transpose()?,
                    missions: m,
                    organisations: o.into_iter().map(|(_, i)| i).collect(),
                    places,
                    slug: r.slug,
                    title: r.title,
                    kind: r.kind,
                    method: r.method,
                    summary: r.summary,
                    start_date: r.start_date,
                    end_date: r.end_date,
                    participant_count: r.participant_count,
                    session_count: r.session_count,
                    status: r.status,
                    locator: r.locator,
                    external_source: r.external_source,
                    external_id: r.external_id,
                },
            ));
        }
        Ok(out)
    }
}
