//! A step a backend has no plain SQL for, in that backend's `.sql` file:
//! a comment that says why, and a statement that fails with the same
//! advice when the revision runs there. A Rust module makes such a step
//! through its `Ops` calls (SQLite rebuilds the table from its live
//! definition); a `.sql` file cannot, and must not silently do less than
//! the module would.

use arx_migrate_core::not_api::text::{abbreviate, quote_ident, quote_literal};
use arx_migrate_core::Backend;

/// The comment written before the failing statement, in `backend`'s file.
pub(super) fn unwritten_note(backend: Backend) -> String {
    let name = proper_name(backend);
    let why = match backend {
        Backend::Sqlite => {
            "SQLite makes it by rebuilding\n-- the table from its live definition, which a .sql file cannot read"
        }
        Backend::Postgres | Backend::Mysql => "it needs the live database",
    };
    format!(
        "-- No {name} SQL was written for this step: {why}.\n-- The revision fails here on {name} until the next statement is replaced\n-- by SQL that makes the change; `revision --autogenerate --format rust`\n-- writes a module whose Ops calls make it.\n"
    )
}

/// The statement that stands for the step `comment` in `file` (such as
/// `up.sqlite.sql`): it fails on `backend` with a message that names the
/// step, the file and what to do.
pub(super) fn unwritten_statement(backend: Backend, comment: &str, file: &str) -> String {
    let message = format!(
        "arx-migrate wrote no {} SQL for step \"{}\": replace this statement in {file} with SQL that makes it, or write the revision as a Rust module (revision --autogenerate --format rust)",
        proper_name(backend),
        abbreviate(comment, 160)
    );
    match backend {
        // SQLite's RAISE() works only in a trigger; its error for a
        // missing table quotes the name, which here is the message.
        Backend::Sqlite => format!("SELECT * FROM {}", quote_ident(&message)),
        // The same on MySQL, in its quotes: the error names the table.
        Backend::Mysql => format!("SELECT * FROM `{}`", message.replace('`', "``")),
        Backend::Postgres => {
            let mut tag = String::from("$arx_migrate$");
            while message.contains(&tag) {
                tag.insert(tag.len() - 1, '_');
            }
            format!(
                "DO {tag} BEGIN RAISE EXCEPTION USING MESSAGE = {}; END {tag}",
                quote_literal(&message)
            )
        }
    }
}

/// The backend's name in prose: `PostgreSQL`, `SQLite`.
pub fn proper_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "PostgreSQL",
        Backend::Sqlite => "SQLite",
        Backend::Mysql => "MariaDB/MySQL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_quotes_the_message() {
        let sqlite = unwritten_statement(Backend::Sqlite, "Key \"odd\" on t.", "up.sqlite.sql");
        assert!(
            sqlite.starts_with("SELECT * FROM \"arx-migrate wrote no SQLite SQL for step \"\"Key \"\"odd\"\" on t.\"\": replace this statement in up.sqlite.sql"),
            "{sqlite}"
        );
        let postgres =
            unwritten_statement(Backend::Postgres, "it's $arx_migrate$", "up.postgres.sql");
        assert!(
            postgres.starts_with("DO $arx_migrate_$ BEGIN RAISE EXCEPTION USING MESSAGE = 'arx-migrate wrote no PostgreSQL SQL for step \"it''s $arx_migrate$\""),
            "{postgres}"
        );
        assert!(postgres.ends_with("; END $arx_migrate_$"), "{postgres}");
    }
}
