//! Which PostgreSQL statements only a superuser may run (or a role the
//! DBA prepared for them), read from their words: shared by the lint rule
//! `needs-superuser` and by `arx-migrate grants`.

/// Extensions marked `trusted` in PostgreSQL 13+ contrib: a role with
/// `CREATE` on the database may install them without being a superuser.
/// Everything else (PostGIS, `pg_stat_statements`, `postgres_fdw`, …)
/// needs a superuser, or the extension created beforehand by one.
pub const TRUSTED_EXTENSIONS: &[&str] = &[
    "btree_gin",
    "btree_gist",
    "citext",
    "cube",
    "dict_int",
    "fuzzystrmatch",
    "hstore",
    "intarray",
    "isn",
    "lo",
    "ltree",
    "pgcrypto",
    "pg_trgm",
    "seg",
    "tablefunc",
    "tcn",
    "tsm_system_rows",
    "tsm_system_time",
    "unaccent",
    "uuid-ossp",
    "plpgsql",
    "plperl",
    "pltcl",
];

/// Procedural languages that are trusted (any role with `USAGE` may write
/// functions in them); `CREATE LANGUAGE` of any other needs a superuser.
const TRUSTED_LANGUAGES: &[&str] = &["plpgsql", "sql", "plperl", "pltcl", "plv8"];

/// Why `sql` needs a superuser on PostgreSQL, or `None`.
pub fn superuser_reason(sql: &str) -> Option<String> {
    let words = words(sql);
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let is = |i: usize, w: &str| word(i).eq_ignore_ascii_case(w);
    if is(0, "CREATE") && is(1, "EXTENSION") {
        let mut i = 2;
        if is(i, "IF") && is(i + 1, "NOT") && is(i + 2, "EXISTS") {
            i += 3;
        }
        let name = unquote(word(i));
        if TRUSTED_EXTENSIONS.contains(&name.to_lowercase().as_str()) {
            return None;
        }
        return Some(format!(
            "CREATE EXTENSION {name}: {name} is not a trusted extension, so only a superuser \
             can create it; have the DBA create it beforehand (the migration's IF NOT EXISTS \
             then passes)"
        ));
    }
    if is(0, "ALTER") && is(1, "SYSTEM") {
        return Some("ALTER SYSTEM changes the server's configuration: superuser only (or a role granted ALTER SYSTEM on the parameter, PostgreSQL 15+)".into());
    }
    if is(0, "CREATE") {
        let mut i = 1;
        if is(i, "OR") && is(i + 1, "REPLACE") {
            i += 2;
        }
        let trusted = is(i, "TRUSTED");
        if trusted {
            i += 1;
        }
        if is(i, "PROCEDURAL") {
            i += 1;
        }
        if is(i, "LANGUAGE") {
            let name = unquote(word(i + 1)).to_lowercase();
            if !trusted || !TRUSTED_LANGUAGES.contains(&name.as_str()) {
                return Some(format!(
                    "CREATE LANGUAGE {name}: an untrusted language lets its functions reach the server's files and processes: superuser only"
                ));
            }
        }
    }
    if (is(0, "CREATE") || is(0, "ALTER")) && (is(1, "ROLE") || is(1, "USER")) {
        for flag in ["SUPERUSER", "REPLICATION", "BYPASSRLS"] {
            if words.iter().any(|w| w.eq_ignore_ascii_case(flag)) {
                return Some(format!(
                    "a role with {flag} can only be made by a superuser"
                ));
            }
        }
    }
    if is(0, "COPY") && words.iter().any(|w| w.starts_with('\'')) {
        return Some(
            "COPY to or from a server file needs superuser or pg_read_server_files / pg_write_server_files".into(),
        );
    }
    if is(0, "LOAD") {
        return Some("LOAD of a library outside $libdir/plugins: superuser only".into());
    }
    None
}

/// The statement's words, quoted names and strings as written.
fn words(sql: &str) -> Vec<String> {
    // Line comments go first (a `--` inside a string is rare in DDL, and
    // at worst hides the rest of that line from this check).
    let sql: String = sql
        .lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || c == ';' || c == ',' || c == '(' || c == ')' {
            chars.next();
        } else if c == '"' || c == '\'' {
            let quote = c;
            let mut word = String::from(c);
            chars.next();
            for c in chars.by_ref() {
                word.push(c);
                if c == quote {
                    break;
                }
            }
            out.push(word);
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || "();,".contains(c) {
                    break;
                }
                word.push(c);
                chars.next();
            }
            out.push(word);
        }
    }
    out
}

fn unquote(word: &str) -> String {
    word.trim_matches('"').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn superuser_statements_are_named_and_trusted_ones_pass() {
        for sql in [
            "CREATE EXTENSION IF NOT EXISTS postgis",
            "create extension \"postgis_topology\"",
            "ALTER SYSTEM SET work_mem = '64MB'",
            "CREATE LANGUAGE plpython3u",
            "CREATE ROLE admin SUPERUSER",
            "COPY t FROM '/etc/passwd'",
        ] {
            assert!(superuser_reason(sql).is_some(), "{sql}");
        }
        for sql in [
            "CREATE EXTENSION IF NOT EXISTS pgcrypto",
            "CREATE EXTENSION \"uuid-ossp\"",
            "CREATE TRUSTED LANGUAGE plpgsql",
            "CREATE TABLE language (id int)",
            "COPY t FROM STDIN",
            "ALTER TABLE system ADD COLUMN a int",
        ] {
            assert_eq!(superuser_reason(sql), None, "{sql}");
        }
    }
}
