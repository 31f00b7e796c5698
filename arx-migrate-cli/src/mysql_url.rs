//! Which part of a MySQL URL is wrong, and how to write it: the driver's
//! own errors say little ("URL ParseError { invalid port number }").

use super::pg_url::UrlProblem;

/// How a MySQL URL is written.
const SHAPE: &str = "mysql://user:password@host:3306/database (or mariadb://…)";

fn problem(problem: String) -> UrlProblem {
    UrlProblem {
        problem,
        fix: format!("write the URL as {SHAPE}"),
    }
}

/// Checks a `mysql://` or `mariadb://` URL; `Ok` when the driver will
/// accept it. The password never appears in a problem.
pub(crate) fn check(url: &str) -> Result<(), UrlProblem> {
    let Some(rest) = url
        .strip_prefix("mysql://")
        .or_else(|| url.strip_prefix("mariadb://"))
    else {
        return Ok(());
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host_port = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    if host_port.is_empty() {
        return Err(problem("the URL names no host".to_string()));
    }
    // `[::1]:3306`: the port follows the bracket.
    let port = match host_port.rfind(']') {
        Some(bracket) => host_port[bracket + 1..].strip_prefix(':'),
        None => host_port.rsplit_once(':').map(|(_, port)| port),
    };
    if let Some(port) = port {
        if !matches!(port.parse::<u16>(), Ok(1..)) {
            return Err(problem(format!(
                "the port {:?} is not a number from 1 to 65535",
                arx_migrate_core::not_api::text::abbreviate(port, 40)
            )));
        }
    }
    let database = path
        .strip_prefix('/')
        .map(|p| &p[..p.find(['?', '#']).unwrap_or(p.len())])
        .unwrap_or("");
    if database.is_empty() {
        return Err(problem(
            "the URL names no database; the migrations' tables live in one".to_string(),
        ));
    }
    driver_check(url)
}

/// What the driver says of the URL (unknown parameters, bad values).
#[cfg(feature = "mysql")]
fn driver_check(url: &str) -> Result<(), UrlProblem> {
    arx_migrate_core::backend::mysql::opts_from_url(url)
        .map(|_| ())
        .map_err(|error| problem(error.message))
}

/// Without the driver there is nothing more to ask.
#[cfg(not(feature = "mysql"))]
fn driver_check(_: &str) -> Result<(), UrlProblem> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_named_without_the_password() {
        assert!(check("mysql://root@127.0.0.1:3306/test").is_ok());
        assert!(check("mariadb://u:pw@[::1]:3306/d").is_ok());
        let error = check("mysql://u:hunter2@h:port/d").unwrap_err();
        assert!(error.problem.contains("port \"port\""), "{error:?}");
        assert!(!format!("{error:?}").contains("hunter2"));
        let error = check("mysql://u:hunter2@h:3306").unwrap_err();
        assert!(error.problem.contains("no database"), "{error:?}");
        assert!(check("mysql://u@h:0/d").is_err());
        assert!(check("mysql:///d").is_err());
    }
}
