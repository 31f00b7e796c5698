//! Tenant schemas of one PostgreSQL database, or the databases of one
//! MariaDB/MySQL server (where a schema is a database), as a fleet's
//! targets: the schemas matching a pattern, entering one (its
//! `search_path`, or `USE`), and how many jobs the server can spare.

use crate::backend::{Backend, Connection};
use crate::error::DbError;
use crate::not_api::text::{quote_ident, quote_literal};

/// The most jobs [`default_jobs`] chooses: past a handful of connections a
/// server applying small migrations is busy with its own bookkeeping (see
/// BENCHMARKS.md §8), and the connections are better left to the
/// applications.
pub const MAX_DEFAULT_JOBS: usize = 8;

/// A schema pattern (`tenant_*`, `shop_?`) as a `LIKE` pattern: `*` is
/// any run of characters, `?` one character, everything else itself.
///
/// ```
/// assert_eq!(arx_migrate_core::fleet::like_pattern("tenant_*"), "tenant\\_%");
/// ```
pub fn like_pattern(glob: &str) -> String {
    let mut like = String::with_capacity(glob.len() + 4);
    for c in glob.chars() {
        match c {
            '*' => like.push('%'),
            '?' => like.push('_'),
            '%' | '_' | '\\' => {
                like.push('\\');
                like.push(c);
            }
            c => like.push(c),
        }
    }
    like
}

/// Whether `name` matches `glob`: `*` any run of characters, `?` one,
/// everything else itself (as [`like_pattern`] has `LIKE` match it, but
/// case-sensitively).
///
/// ```
/// use arx_migrate_core::fleet::glob_matches;
/// assert!(glob_matches("tenant_*", "tenant_42"));
/// assert!(!glob_matches("tenant_?", "tenant_42"));
/// ```
pub fn glob_matches(glob: &str, name: &str) -> bool {
    let (glob, name): (Vec<char>, Vec<char>) = (glob.chars().collect(), name.chars().collect());
    // The classic two-pointer match with one backtrack point per `*`.
    let (mut g, mut n, mut star, mut resume) = (0, 0, None, 0);
    while n < name.len() {
        match glob.get(g) {
            Some('*') => {
                star = Some(g);
                resume = n;
                g += 1;
            }
            Some(&c) if c == '?' || c == name[n] => {
                g += 1;
                n += 1;
            }
            _ => match star {
                Some(at) => {
                    g = at + 1;
                    resume += 1;
                    n = resume;
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|c| *c == '*')
}

/// The databases MariaDB and MySQL keep for themselves: never targets.
const MYSQL_SYSTEM_DATABASES: [&str; 4] =
    ["information_schema", "mysql", "performance_schema", "sys"];

/// The schemas whose names match `glob` (see [`like_pattern`]), sorted by
/// name: on PostgreSQL those of the connected database, where the
/// system's own schemas (`pg_*`, `information_schema`) never match; on
/// MariaDB and MySQL the server's databases (a schema is a database
/// there), where `mysql`, `sys`, `information_schema` and
/// `performance_schema` never match.
pub fn matching_schemas(
    connection: &mut dyn Connection,
    glob: &str,
) -> Result<Vec<String>, DbError> {
    if connection.backend() == Backend::Mysql {
        // Matched here rather than by LIKE: backslashes in string
        // literals depend on the server's sql_mode.
        let rows = connection.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")?;
        let mut names: Vec<String> = rows
            .into_iter()
            .filter_map(|row| row.into_iter().next().flatten())
            .filter(|name| {
                glob_matches(glob, name)
                    && !MYSQL_SYSTEM_DATABASES.contains(&name.to_ascii_lowercase().as_str())
            })
            .collect();
        names.sort();
        return Ok(names);
    }
    let rows = connection.query(&format!(
        "SELECT nspname FROM pg_catalog.pg_namespace \
         WHERE nspname LIKE {} ESCAPE '\\' \
         AND nspname NOT LIKE 'pg\\_%' ESCAPE '\\' AND nspname <> 'information_schema' \
         ORDER BY nspname COLLATE \"C\"",
        quote_literal(&like_pattern(glob))
    ))?;
    Ok(rows
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .collect())
}

/// Makes `schema` the connection's current schema, with
/// `extension_schema` (where PostGIS and other extensions live) after it,
/// so that a chain's unqualified names land in the tenant's schema and its
/// extension types and functions are found. Session-wide: it holds for
/// every transaction of the run that follows. On MariaDB and MySQL it is
/// `USE schema` (the run lock is then keyed by that database), and
/// `extension_schema` does not apply.
pub fn enter_schema(
    connection: &mut dyn Connection,
    schema: &str,
    extension_schema: Option<&str>,
) -> Result<(), DbError> {
    if connection.backend() == Backend::Mysql {
        return connection.execute(&format!("USE `{}`", schema.replace('`', "``")));
    }
    let mut path = quote_ident(schema);
    if let Some(extensions) = extension_schema.filter(|e| *e != schema) {
        path.push_str(", ");
        path.push_str(&quote_ident(extensions));
    }
    connection.execute(&format!("SET search_path TO {path}"))
}

/// How many more connections the server accepts from ordinary roles:
/// `max_connections`, less those reserved for superusers (and on
/// PostgreSQL 16 for `pg_use_reserved_connections`), less those open now.
/// On MariaDB and MySQL, `max_connections` less the sessions the user can
/// see in the process list (all of them with the PROCESS privilege).
pub fn free_connections(connection: &mut dyn Connection) -> Result<usize, DbError> {
    let rows = connection.query(if connection.backend() == Backend::Mysql {
        "SELECT @@max_connections - (SELECT COUNT(*) FROM information_schema.PROCESSLIST)"
    } else {
        "SELECT current_setting('max_connections')::int \
         - current_setting('superuser_reserved_connections')::int \
         - coalesce(nullif(current_setting('reserved_connections', true), '')::int, 0) \
         - (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend')::int"
    })?;
    let free = rows
        .first()
        .and_then(|row| row.first().cloned().flatten())
        .and_then(|value| value.parse::<i64>().ok())
        .unwrap_or(0);
    Ok(usize::try_from(free.max(0)).unwrap_or(0))
}

/// The jobs for a run on a server with `free_connections` (see
/// [`free_connections`]): half of them (the other half stays with the
/// applications), at least 1 and at most [`MAX_DEFAULT_JOBS`].
///
/// ```
/// use arx_migrate_core::fleet::default_jobs;
/// assert_eq!(default_jobs(97), 8);
/// assert_eq!(default_jobs(6), 3);
/// assert_eq!(default_jobs(0), 1);
/// ```
pub fn default_jobs(free_connections: usize) -> usize {
    (free_connections / 2).clamp(1, MAX_DEFAULT_JOBS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_become_like_patterns_with_like_characters_escaped() {
        assert_eq!(like_pattern("tenant_*"), "tenant\\_%");
        assert_eq!(like_pattern("a?b"), "a_b");
        assert_eq!(like_pattern("100%\\"), "100\\%\\\\");
        assert_eq!(like_pattern("*"), "%");
    }

    #[test]
    fn globs_match_whole_names() {
        assert!(glob_matches("tenant_*", "tenant_"));
        assert!(glob_matches("tenant_*", "tenant_a_b"));
        assert!(glob_matches("*_shop", "eu_shop"));
        assert!(glob_matches("a*b*c", "axxbyyc"));
        assert!(!glob_matches("a*b*c", "axxbyy"));
        assert!(glob_matches("shop_?", "shop_1"));
        assert!(!glob_matches("shop_?", "shop_12"));
        assert!(!glob_matches("tenant_*", "xtenant_1"));
        assert!(!glob_matches("Tenant_*", "tenant_1"), "case-sensitive");
        assert!(glob_matches("*", ""));
        assert!(!glob_matches("", "a"));
    }

    #[test]
    fn default_jobs_leave_half_the_free_connections() {
        assert_eq!(default_jobs(1), 1);
        assert_eq!(default_jobs(10), 5);
        assert_eq!(default_jobs(1000), MAX_DEFAULT_JOBS);
    }
}
