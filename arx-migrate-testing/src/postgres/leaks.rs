//! What a rollback test may have committed into the database all rollback
//! tests share, found after the test ended its own transaction.
//!
//! The database is read-only outside a test's transaction, so a refused
//! `COMMIT` followed by writes leaves nothing. A test can still open a
//! read-write transaction of its own (`ROLLBACK AND CHAIN` keeps the
//! test's read-write mode; `BEGIN READ WRITE`) and commit it. Nothing else
//! ever commits there after the build, so the check is exact enough to be
//! simple: a baseline recorded when the database was built (each table's
//! row count, and the id of the last transaction of the build), compared
//! with what is there now. A row or catalog entry written by a newer
//! transaction, a row count that differs, a table that appeared or went:
//! the database changed, and is dropped ([`super::rollback`]).

use postgres::SimpleQueryMessage;

/// Installed when the database is built, after [`super::rollback::COMMIT_GUARD`]:
/// the baseline's tables and the function that compares with it.
pub(crate) const BASELINE: &str = "
CREATE TABLE arx_fixture.baseline_rows (relid oid PRIMARY KEY, row_count bigint NOT NULL);
CREATE TABLE arx_fixture.baseline_xact (built_by xid8 NOT NULL);
CREATE FUNCTION arx_fixture.user_tables() RETURNS TABLE (relid oid) LANGUAGE sql STABLE AS $tables$
    SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('information_schema', 'arx_fixture')
      AND n.nspname NOT LIKE 'pg\\_%'
$tables$;
CREATE FUNCTION arx_fixture.row_count(relid oid) RETURNS bigint LANGUAGE plpgsql AS $count$
DECLARE counted bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', relid::regclass) INTO counted;
    RETURN counted;
END
$count$;
CREATE FUNCTION arx_fixture.record_baseline() RETURNS void LANGUAGE sql AS $record$
    INSERT INTO arx_fixture.baseline_rows
        SELECT relid, arx_fixture.row_count(relid) FROM arx_fixture.user_tables();
    INSERT INTO arx_fixture.baseline_xact VALUES (pg_catalog.pg_current_xact_id());
$record$;
CREATE FUNCTION arx_fixture.changes() RETURNS SETOF text LANGUAGE plpgsql AS $changes$
DECLARE
    built xid := (SELECT pg_catalog.xid(built_by) FROM arx_fixture.baseline_xact);
    entry record;
    newer boolean;
BEGIN
    -- Rows: added, removed, or written after the build.
    FOR entry IN
        SELECT relid, present.relid IS NULL AS gone, base.row_count
        FROM arx_fixture.user_tables() present FULL JOIN arx_fixture.baseline_rows base USING (relid)
    LOOP
        IF entry.gone THEN
            RETURN NEXT format('a table (oid %s) was dropped', entry.relid);
        ELSIF entry.row_count IS NULL THEN
            RETURN NEXT format('table %s was created', entry.relid::regclass);
        ELSE
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE pg_catalog.age(xmin) < pg_catalog.age($1))',
                           entry.relid::regclass) INTO newer USING built;
            IF newer OR arx_fixture.row_count(entry.relid) <> entry.row_count THEN
                RETURN NEXT format('rows of %s were written', entry.relid::regclass);
            END IF;
        END IF;
    END LOOP;
    -- The schema: relations, columns, functions, schemas made or altered
    -- (temporary objects, private to their session, aside).
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname NOT LIKE 'pg\\_%' AND pg_catalog.age(c.xmin) < pg_catalog.age(built))
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname NOT LIKE 'pg\\_%' AND pg_catalog.age(a.xmin) < pg_catalog.age(built))
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                  WHERE n.nspname NOT LIKE 'pg\\_%' AND pg_catalog.age(p.xmin) < pg_catalog.age(built))
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n
                  WHERE n.nspname NOT LIKE 'pg\\_%' AND pg_catalog.age(n.xmin) < pg_catalog.age(built))
    THEN
        RETURN NEXT 'the schema was altered';
    END IF;
END
$changes$;
";

/// Records the baseline: the last transaction of the build.
pub(crate) const RECORD_BASELINE: &str = "SELECT arx_fixture.record_baseline()";

/// What changed in the database since it was built, in words; empty when
/// nothing did. Meant for a session outside any transaction, so that only
/// what was committed counts.
pub(crate) fn changes(client: &mut postgres::Client) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .simple_query("SELECT arx_fixture.changes()")?
        .iter()
        .filter_map(|reply| match reply {
            SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .collect())
}
