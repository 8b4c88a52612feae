//! The places engagement exercises were held in: the `places` list on the exercise and its index
//! table `exercise_place`, which the place filters match on. Every write path that sets an
//! exercise's places goes through [`set_exercise_places`], so the two never disagree.

use entity::{exercise, exercise_place};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// The key a place is matched by: its name trimmed and lower-cased, so that filters ignore case.
/// (Migration `m20261123_000010` fills the table with the same rule.)
pub fn place_key(place: &str) -> String {
    place.trim().to_lowercase()
}

/// Replaces an exercise's places: its `places` list (names trimmed, blanks and case-insensitive
/// duplicates dropped, first spelling kept) and the `exercise_place` rows filters match on.
/// Does not touch `updated_at`: that is the caller's change to record.
pub async fn set_exercise_places<C: ConnectionTrait>(
    conn: &C,
    exercise_id: i32,
    places: &[String],
) -> Result<(), DbErr> {
    let mut kept: Vec<(String, String)> = Vec::new();
    for place in places {
        let key = place_key(place);
        if !key.is_empty() && !kept.iter().any(|(k, _)| *k == key) {
            kept.push((key, place.trim().to_string()));
        }
    }
    let names: Vec<&str> = kept.iter().map(|(_, name)| name.as_str()).collect();
    exercise::Entity::update_many()
        .col_expr(
            exercise::Column::Places,
            Expr::value(serde_json::json!(names)),
        )
        .filter(exercise::Column::Id.eq(exercise_id))
        .exec(conn)
        .await?;
    exercise_place::Entity::delete_many()
        .filter(exercise_place::Column::ExerciseId.eq(exercise_id))
        .exec(conn)
        .await?;
    if !kept.is_empty() {
        exercise_place::Entity::insert_many(kept.into_iter().map(|(key, place)| {
            exercise_place::ActiveModel {
                exercise_id: sea_orm::Set(exercise_id),
                place_key: sea_orm::Set(key),
                place: sea_orm::Set(place),
            }
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}
