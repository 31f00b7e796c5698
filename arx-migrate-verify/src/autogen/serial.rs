//! A PostgreSQL `serial` column (a default of `nextval` on a sequence the
//! column owns) turned into an identity column and back, keeping the
//! next value: the sequence is read at run time, since the database the
//! migration runs on has its own.

use super::source::Schema;
use crate::check::{ColumnSnapshot, Identity, ObjectSnapshot};
use arx_migrate_core::not_api::text::{quote_ident as q, quote_literal};

/// The sequence behind a `serial` column: the one its default calls
/// `nextval` on, when the column owns it. `(name, sequence)`.
pub(super) fn owned_sequence<'a>(
    schema: &'a Schema,
    table: &str,
    column: &str,
    c: &ColumnSnapshot,
) -> Option<(&'a String, &'a ObjectSnapshot)> {
    let name = c
        .default
        .as_deref()?
        .strip_prefix("nextval('")?
        .strip_suffix("'::regclass)")?;
    let (name, sequence) = schema.snapshot.sequences.get_key_value(name)?;
    sequence
        .definition
        .ends_with(&format!(" OWNED BY {table}.{column}"))
        .then_some((name, sequence))
}

/// PL/pgSQL that sets `next` to the value the column's sequence (serial or
/// identity, found by `pg_get_serial_sequence`) would give next.
fn read_next(table: &str, column: &str) -> String {
    format!(
        "seq := pg_get_serial_sequence({}, {}); \
         EXECUTE format('SELECT CASE WHEN q.is_called THEN q.last_value + s.seqincrement ELSE q.last_value END \
         FROM %s q, pg_sequence s WHERE s.seqrelid = %L::regclass', seq, seq) INTO next; ",
        quote_literal(&q(table)),
        quote_literal(column)
    )
}

/// The statement that makes serial column `column` of `table` (its
/// sequence `sequence`) an identity column of kind `identity` whose
/// sequence starts where the serial one was.
pub(super) fn serial_to_identity(
    table: &str,
    column: &str,
    sequence: &str,
    identity: Identity,
) -> String {
    format!(
        "DO $$ DECLARE seq text; next bigint; BEGIN {}\
         ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT; \
         DROP SEQUENCE {s}; \
         EXECUTE format('ALTER TABLE {t} ALTER COLUMN {c} ADD {identity} (START WITH %s)', next); END $$",
        read_next(table, column),
        t = q(table),
        c = q(column),
        s = q(sequence),
    )
}

/// The exact reverse of [`serial_to_identity`]: the identity dropped, the
/// sequence `sequence` (defined as `definition`, `OWNED BY` the column)
/// created at the identity's next value, the column's default `default`
/// restored.
pub(super) fn identity_to_serial(
    table: &str,
    column: &str,
    sequence: &str,
    definition: &str,
    default: &str,
) -> String {
    format!(
        "DO $$ DECLARE seq text; next bigint; BEGIN {}\
         ALTER TABLE {t} ALTER COLUMN {c} DROP IDENTITY; \
         CREATE SEQUENCE {s} {definition}; \
         PERFORM setval({sl}, next, false); \
         ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {default}; END $$",
        read_next(table, column),
        t = q(table),
        c = q(column),
        s = q(sequence),
        sl = quote_literal(&q(sequence)),
    )
}
