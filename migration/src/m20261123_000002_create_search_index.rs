//! Full-text search over findings, participant views, exercises and resources, kept current by
//! triggers. SQLite: an FTS5 table with the Porter stemmer. PostgreSQL: a table with an English
//! `tsvector` (title weighted above body) and a GIN index. Each indexed row is one document whose
//! id is `row id * 4 + kind` (0 finding, 1 view, 2 exercise, 3 resource), so updates and deletes
//! touch one document by key.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, kind code, title expression, body expression) of every indexed table, with `{r}` for
/// the row (NEW or OLD).
const SOURCES: [(&str, i32, &str, &str); 4] = [
    ("finding", 0, "{r}.title", "{r}.summary"),
    ("participant_view", 1, "''", "{r}.text"),
    (
        "exercise",
        2,
        "{r}.title",
        "{r}.summary || ' ' || COALESCE({r}.method, '')",
    ),
    ("resource", 3, "{r}.title", "''"),
];

fn sqlite_up() -> Vec<String> {
    let mut sql = vec![
        "CREATE VIRTUAL TABLE search_index USING fts5(title, body, tokenize = 'porter unicode61')"
            .to_string(),
    ];
    for (table, kind, title, body) in SOURCES {
        let (t_new, b_new) = (title.replace("{r}", "new"), body.replace("{r}", "new"));
        sql.push(format!(
            "CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN \
             INSERT INTO search_index(rowid, title, body) VALUES (new.id * 4 + {kind}, {t_new}, {b_new}); END"
        ));
        sql.push(format!(
            "CREATE TRIGGER {table}_search_update AFTER UPDATE ON {table} BEGIN \
             DELETE FROM search_index WHERE rowid = old.id * 4 + {kind}; \
             INSERT INTO search_index(rowid, title, body) VALUES (new.id * 4 + {kind}, {t_new}, {b_new}); END"
        ));
        sql.push(format!(
            "CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN \
             DELETE FROM search_index WHERE rowid = old.id * 4 + {kind}; END"
        ));
        // Rows that exist before this migration are indexed too.
        sql.push(format!(
            "INSERT INTO search_index(rowid, title, body) SELECT id * 4 + {kind}, {}, {} FROM {table} AS r",
            title.replace("{r}", "r"),
            body.replace("{r}", "r")
        ));
    }
    sql
}

fn sqlite_down() -> Vec<String> {
    let mut sql = Vec::new();
    for (table, _, _, _) in SOURCES {
        for op in ["insert", "update", "delete"] {
            sql.push(format!("DROP TRIGGER IF EXISTS {table}_search_{op}"));
        }
    }
    sql.push("DROP TABLE IF EXISTS search_index".to_string());
    sql
}

fn postgres_up() -> Vec<String> {
    let mut sql = vec![
        "CREATE TABLE search_index (
            doc_id bigint PRIMARY KEY,
            title text NOT NULL,
            body text NOT NULL,
            tsv tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
            ) STORED
        )"
        .to_string(),
        "CREATE INDEX idx_search_index_tsv ON search_index USING GIN (tsv)".to_string(),
    ];
    for (table, kind, title, body) in SOURCES {
        let (t_new, b_new) = (title.replace("{r}", "NEW"), body.replace("{r}", "NEW"));
        sql.push(format!(
            "CREATE FUNCTION {table}_search() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    DELETE FROM search_index WHERE doc_id = OLD.id::bigint * 4 + {kind};
                    RETURN OLD;
                END IF;
                INSERT INTO search_index (doc_id, title, body)
                VALUES (NEW.id::bigint * 4 + {kind}, {t_new}, {b_new})
                ON CONFLICT (doc_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body;
                RETURN NEW;
            END $$"
        ));
        sql.push(format!(
            "CREATE TRIGGER {table}_search AFTER INSERT OR UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION {table}_search()"
        ));
        sql.push(format!(
            "INSERT INTO search_index (doc_id, title, body) SELECT id::bigint * 4 + {kind}, {}, {} FROM {table} AS r",
            title.replace("{r}", "r"),
            body.replace("{r}", "r")
        ));
    }
    sql
}

fn postgres_down() -> Vec<String> {
    let mut sql = Vec::new();
    for (table, _, _, _) in SOURCES {
        sql.push(format!("DROP TRIGGER IF EXISTS {table}_search ON {table}"));
        sql.push(format!("DROP FUNCTION IF EXISTS {table}_search()"));
    }
    sql.push("DROP TABLE IF EXISTS search_index".to_string());
    sql
}

async fn run(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => run(manager, sqlite_up()).await,
            DbBackend::Postgres => run(manager, postgres_up()).await,
            other => Err(DbErr::Migration(format!(
                "search index: unsupported backend {other:?}"
            ))),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => run(manager, sqlite_down()).await,
            DbBackend::Postgres => run(manager, postgres_down()).await,
            other => Err(DbErr::Migration(format!(
                "search index: unsupported backend {other:?}"
            ))),
        }
    }
}
