//! Keeps unpublished findings and participant views out of the search index, so that search can
//! never disclose a draft: a row is indexed while its review status is PUBLISHED, and removed from
//! the index when it is retracted or sent back to draft.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, kind code, title expression, body expression), as in the search-index migration.
const REVIEWED: [(&str, i32, &str, &str); 2] = [
    ("finding", 0, "{r}.title", "{r}.summary"),
    ("participant_view", 1, "''", "{r}.text"),
];

fn sqlite(published_only: bool) -> Vec<String> {
    let mut sql = Vec::new();
    for (table, kind, title, body) in REVIEWED {
        let (t, b) = (title.replace("{r}", "new"), body.replace("{r}", "new"));
        let when = if published_only {
            " WHEN new.review_status = 'PUBLISHED'"
        } else {
            ""
        };
        let guard = if published_only {
            " WHERE new.review_status = 'PUBLISHED'"
        } else {
            ""
        };
        sql.push(format!("DROP TRIGGER IF EXISTS {table}_search_insert"));
        sql.push(format!("DROP TRIGGER IF EXISTS {table}_search_update"));
        sql.push(format!(
            "CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table}{when} BEGIN \
             INSERT INTO search_index(rowid, title, body) VALUES (new.id * 4 + {kind}, {t}, {b}); END"
        ));
        sql.push(format!(
            "CREATE TRIGGER {table}_search_update AFTER UPDATE ON {table} BEGIN \
             DELETE FROM search_index WHERE rowid = old.id * 4 + {kind}; \
             INSERT INTO search_index(rowid, title, body) SELECT new.id * 4 + {kind}, {t}, {b}{guard}; END"
        ));
        if published_only {
            sql.push(format!(
                "DELETE FROM search_index WHERE rowid IN \
                 (SELECT id * 4 + {kind} FROM {table} WHERE review_status <> 'PUBLISHED')"
            ));
        }
    }
    sql
}

fn postgres(published_only: bool) -> Vec<String> {
    let mut sql = Vec::new();
    for (table, kind, title, body) in REVIEWED {
        let (t, b) = (title.replace("{r}", "NEW"), body.replace("{r}", "NEW"));
        let unpublished = if published_only {
            format!(
                "IF NEW.review_status <> 'PUBLISHED' THEN
                    DELETE FROM search_index WHERE doc_id = NEW.id::bigint * 4 + {kind};
                    RETURN NEW;
                END IF;"
            )
        } else {
            String::new()
        };
        sql.push(format!(
            "CREATE OR REPLACE FUNCTION {table}_search() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    DELETE FROM search_index WHERE doc_id = OLD.id::bigint * 4 + {kind};
                    RETURN OLD;
                END IF;
                {unpublished}
                INSERT INTO search_index (doc_id, title, body)
                VALUES (NEW.id::bigint * 4 + {kind}, {t}, {b})
                ON CONFLICT (doc_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body;
                RETURN NEW;
            END $$"
        ));
        if published_only {
            sql.push(format!(
                "DELETE FROM search_index WHERE doc_id IN \
                 (SELECT id::bigint * 4 + {kind} FROM {table} WHERE review_status <> 'PUBLISHED')"
            ));
        }
    }
    sql
}

// Going down, unpublished rows stay out of the index until they next change; nothing is lost.
batch_migration!("search index");
