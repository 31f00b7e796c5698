//! Which part of a PostgreSQL URL is wrong, and how to write it: the driver
//! says only "invalid connection string". The URL is read the way the
//! driver (tokio-postgres, like libpq) reads it, so that what passes here
//! is what it accepts.

use arx_migrate_core::not_api::text::abbreviate;

/// What is wrong with a URL, and how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UrlProblem {
    pub(crate) problem: String,
    pub(crate) fix: String,
}

fn problem(problem: String, fix: impl Into<String>) -> UrlProblem {
    UrlProblem {
        problem,
        fix: fix.into(),
    }
}

/// The parameters the driver knows, and the values it takes where they
/// are a choice (`None`: free text, `Some(&[])`: a number).
const PARAMETERS: &[(&str, Option<&[&str]>)] = &[
    ("user", None),
    ("password", None),
    ("dbname", None),
    ("options", None),
    ("application_name", None),
    ("sslmode", Some(&["disable", "prefer", "require"])),
    ("sslnegotiation", Some(&["postgres", "direct"])),
    ("host", None),
    ("hostaddr", None),
    ("port", None),
    ("connect_timeout", Some(&[])),
    ("tcp_user_timeout", Some(&[])),
    ("keepalives", Some(&[])),
    ("keepalives_idle", Some(&[])),
    ("keepalives_interval", Some(&[])),
    ("keepalives_retries", Some(&[])),
    (
        "target_session_attrs",
        Some(&["any", "read-write", "read-only"]),
    ),
    ("channel_binding", Some(&["disable", "prefer", "require"])),
    ("load_balance_hosts", Some(&["disable", "random"])),
];

const SHAPE: &str = "postgresql://user:password@host:5432/database?sslmode=disable";

/// Checks a `postgres://` or `postgresql://` URL; `Ok` when the driver
/// will accept it.
pub(crate) fn check(url: &str) -> Result<(), UrlProblem> {
    let Some(rest) = url
        .strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
    else {
        return Ok(());
    };
    // The driver takes everything up to the first `@` as the credentials.
    let rest = match rest.split_once('@') {
        Some((credentials, after)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            decode(user, "the user name")?;
            after
        }
        None => rest,
    };
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let hosts = &rest[..host_end];
    check_hosts(hosts)?;
    let rest = &rest[host_end..];
    let (path, query) = match rest.find('?') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, ""),
    };
    decode(path.trim_start_matches('/'), "the database name")?;
    let parameters = parameters(query)?;
    if hosts.is_empty()
        && !parameters
            .iter()
            .any(|(key, _)| *key == "host" || *key == "hostaddr")
    {
        return Err(problem(
            "the URL names no host".to_string(),
            format!("write the server's host name or address after the `//`: {SHAPE}"),
        ));
    }
    check_parameters(&parameters)
}

fn check_hosts(hosts: &str) -> Result<(), UrlProblem> {
    for host in hosts.split(',').filter(|h| !h.is_empty()) {
        let port = if let Some(inner) = host.strip_prefix('[') {
            let Some(close) = inner.find(']') else {
                return Err(problem(
                    format!(
                        "the host {:?} has no closing `]`",
                        abbreviate(host, 60)
                    ),
                    "write an IPv6 address in brackets, with the port after them: postgresql://user@[::1]:5432/database",
                ));
            };
            let after = &inner[close + 1..];
            match after.strip_prefix(':') {
                Some(port) => Some(port),
                None if after.is_empty() => None,
                None => {
                    return Err(problem(
                        format!(
                            "after the IPv6 address [{}] comes {:?}",
                            abbreviate(&inner[..close], 60),
                            abbreviate(after, 40)
                        ),
                        "only a port may follow it: postgresql://user@[::1]:5432/database",
                    ))
                }
            }
        } else {
            host.split_once(':').map(|(_, port)| port)
        };
        if let Some(port) = port {
            check_port(port)?;
        }
    }
    Ok(())
}

fn check_port(port: &str) -> Result<(), UrlProblem> {
    let decoded = decode(port, "the port")?;
    if decoded.is_empty() || decoded.parse::<u16>().is_ok_and(|p| p > 0) {
        return Ok(());
    }
    Err(problem(
        format!(
            "the port {:?} is not a number from 1 to 65535",
            abbreviate(&decoded, 40)
        ),
        format!("write the port after the host and a colon: {SHAPE}"),
    ))
}

/// The `NAME=VALUE` pairs after the `?`, split as the driver splits them:
/// a name runs to the next `=`, a value to the next `&`.
fn parameters(query: &str) -> Result<Vec<(&str, &str)>, UrlProblem> {
    let mut pairs = Vec::new();
    let mut rest = query;
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            return Err(problem(
                format!("the parameter {:?} has no value", abbreviate(rest, 40)),
                "write each parameter as NAME=VALUE after a `?`, separated by single `&`s: ...?sslmode=disable&connect_timeout=10",
            ));
        };
        let (value, tail) = after.split_once('&').unwrap_or((after, ""));
        pairs.push((key, value));
        rest = tail;
    }
    Ok(pairs)
}

fn check_parameters(parameters: &[(&str, &str)]) -> Result<(), UrlProblem> {
    for &(key, value) in parameters {
        let key = decode(key, "a parameter name")?;
        let Some((_, choices)) = PARAMETERS.iter().find(|(name, _)| *name == key) else {
            let known: Vec<&str> = PARAMETERS.iter().map(|(name, _)| *name).collect();
            let suggestion = known
                .iter()
                .find(|name| close_to(&key, name))
                .map(|name| format!("did you mean {name}? "))
                .unwrap_or_default();
            return Err(problem(
                format!("unknown parameter {:?}", abbreviate(&key, 40)),
                format!("{suggestion}the parameters are: {}", known.join(", ")),
            ));
        };
        if key == "password" {
            continue; // never echoed, never checked
        }
        let value = decode(value, &format!("the value of {key}"))?;
        match (key.as_str(), choices) {
            ("port", _) => {
                for port in value.split(',') {
                    check_port(port)?;
                }
            }
            ("hostaddr", _) => {
                if let Some(bad) = value
                    .split(',')
                    .find(|a| a.parse::<std::net::IpAddr>().is_err())
                {
                    return Err(problem(
                        format!("hostaddr {:?} is not an IP address", abbreviate(bad, 40)),
                        "write hostaddr=192.0.2.10 or hostaddr=::1 (a name goes in the host)",
                    ));
                }
            }
            ("keepalives_retries", _) if value.parse::<u32>().is_err() => {
                return Err(not_a_number(&key, &value));
            }
            (_, Some([])) if value.parse::<i64>().is_err() => {
                return Err(not_a_number(&key, &value));
            }
            (_, Some(choices)) if !choices.is_empty() && !choices.contains(&value.as_str()) => {
                let tls = if key == "sslmode" {
                    " (this program connects without TLS: disable or prefer)"
                } else {
                    ""
                };
                return Err(problem(
                    format!(
                        "{key}={:?} is not a value {key} takes",
                        abbreviate(&value, 40)
                    ),
                    format!("write {key}= one of {}{tls}", choices.join(", ")),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn not_a_number(key: &str, value: &str) -> UrlProblem {
    problem(
        format!("{key}={:?} is not a whole number", abbreviate(value, 40)),
        format!("write {key}=10 (seconds, or a count for keepalives_retries)"),
    )
}

/// Percent-decodes as the driver does: `%` sequences must give UTF-8.
fn decode(text: &str, what: &str) -> Result<String, UrlProblem> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| {
        problem(
            format!("{what} is not UTF-8 once its %XX escapes are decoded"),
            "percent-encode each byte of a UTF-8 text (é is %C3%A9)",
        )
    })
}

/// Whether `typed` is a likely misspelling of `name`: one edit apart (a
/// letter added, dropped, changed, or two swapped), or the same but for
/// case or `-`/`_`.
fn close_to(typed: &str, name: &str) -> bool {
    let normal = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    if normal(typed) == name {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (typed.chars().collect(), name.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    // Optimal string alignment distance.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()] <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says(url: &str) -> String {
        let p = check(url).unwrap_err();
        format!("{} / {}", p.problem, p.fix)
    }

    #[test]
    fn good_urls_pass() {
        for url in [
            "postgresql://u@h/d",
            "postgres://u:p@ss@h:5432/d",
            "postgresql://[::1]:5432/d",
            "postgresql://[::1]/d",
            "postgresql://h1:5432,h2:5433/d?target_session_attrs=read-write",
            "postgresql:///d?host=/var/run/postgresql",
            "postgresql://h/d?sslmode=disable&connect_timeout=10&application_name=x%20y",
            "postgresql://h/d?password=a=b",
            "postgresql://h:/d",
            "postgresql://h/d?",
            "postgresql://h/d?sslmode=disable&",
            "postgresql:///d?host=localhost",
        ] {
            assert_eq!(check(url), Ok(()), "{url}");
            #[cfg(feature = "postgres")]
            url.parse::<postgres::Config>()
                .unwrap_or_else(|e| panic!("{url}: the driver refuses what passed: {e}"));
        }
    }

    #[test]
    fn each_problem_names_the_part_and_the_fix() {
        let cases = [
            ("postgresql://h:54x2/d", "port \"54x2\""),
            ("postgresql://h:70000/d", "1 to 65535"),
            ("postgresql://[::1", "no closing `]`"),
            ("postgresql://[::1]x/d", "only a port may follow"),
            ("postgresql://h/d?sslmode=bogus", "disable, prefer, require"),
            ("postgresql://h/d?sslmdoe=disable", "did you mean sslmode?"),
            ("postgresql://h/d?foo=1", "unknown parameter \"foo\""),
            ("postgresql://h/d?sslmode", "has no value"),
            ("postgresql://h/d?connect_timeout=soon", "whole number"),
            ("postgresql://h/d?hostaddr=db", "not an IP address"),
            ("postgresql://h/d?port=x", "port \"x\""),
            ("postgresql://h/d?&&", "has no value"),
            (
                "postgresql://h/d?&sslmode=disable",
                "unknown parameter \"&sslmode\"",
            ),
            ("postgresql://h/%ff", "the database name is not UTF-8"),
            ("postgresql://%ff@h/d", "the user name is not UTF-8"),
        ];
        for (url, expected) in cases {
            let said = says(url);
            assert!(said.contains(expected), "{url}: {said}");
            assert!(
                url.parse::<postgres::Config>().is_err(),
                "{url} passes the driver"
            );
        }
    }

    #[test]
    fn a_url_without_a_host_is_refused_before_connecting() {
        // The driver parses it and fails only when connecting.
        assert!(says("postgresql:///d").contains("names no host"));
        assert!(says("postgresql://u@/d?sslmode=disable").contains("names no host"));
    }

    #[test]
    fn passwords_and_long_values_are_not_echoed() {
        let long = "9".repeat(100_000);
        assert!(says(&format!("postgresql://u:secret@h:{long}/d")).len() < 300);
        assert!(!says("postgresql://u:secret@h/d?password=secret&foo=1").contains("secret"));
    }
}
