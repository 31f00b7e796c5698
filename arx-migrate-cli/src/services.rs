//! The services file, `arx-migrate.toml`: one `[services.NAME]` section per
//! database.
//!
//! ```toml
//! [services.billing]
//! url_env = "BILLING_DATABASE_URL"   # or: url = "postgres://app@db/billing"
//! version_table = "alembic_version"  # optional
//! schema = "billing"                 # optional, PostgreSQL
//! lock_wait = "30s"                  # optional: how long to wait for another run
//! lock_timeout = "5s"                # optional, PostgreSQL: ms, s, min
//! statement_timeout = "10min"        # optional, PostgreSQL
//! lock_retries = 4                   # optional, PostgreSQL: attempts after the first (0: off)
//! lock_retry_timeout = "2s"          # optional: each attempt's lock wait
//! lock_retry_max_wait = "10s"        # optional: the longest pause between attempts
//!
//! [lint]                             # optional: which lint rules run
//! enable = ["prefer-text-field"]     # rule ids, "prefer-*", "all"
//! disable = ["fk-without-index"]
//!
//! [hooks]                            # optional: commands around upgrades
//! on_error = "./page-oncall.sh"      # and downgrades (see hooks.rs)
//! timeout = "30s"
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use arx_migrate_verify::lint::LintConfig;

use super::error::CliError;

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServicesFile {
    #[serde(default)]
    pub(crate) services: BTreeMap<String, Service>,
    /// The `[lint]` section.
    #[serde(default)]
    pub(crate) lint: LintSection,
    /// The `[hooks]` section.
    #[serde(default)]
    pub(crate) hooks: HooksSection,
}

/// The `[lint]` section: rules switched on and off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LintSection {
    #[serde(default)]
    pub(crate) enable: Vec<String>,
    #[serde(default)]
    pub(crate) disable: Vec<String>,
}

impl LintSection {
    /// The lint configuration it describes.
    pub(crate) fn config(&self) -> Result<LintConfig, String> {
        LintConfig::from_names(&self.enable, &self.disable)
    }
}

/// One `[services.NAME]` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Service {
    pub(crate) url: Option<String>,
    pub(crate) url_env: Option<String>,
    pub(crate) version_table: Option<String>,
    pub(crate) schema: Option<String>,
    pub(crate) lock_wait: Option<TimeoutValue>,
    pub(crate) lock_timeout: Option<TimeoutValue>,
    pub(crate) statement_timeout: Option<TimeoutValue>,
    pub(crate) lock_retries: Option<u32>,
    pub(crate) lock_retry_timeout: Option<TimeoutValue>,
    pub(crate) lock_retry_max_wait: Option<TimeoutValue>,
}

/// How long a hook's command may run unless `timeout` says otherwise.
pub(crate) const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(30);

/// The `[hooks]` section: shell commands run around upgrades and
/// downgrades (hooks.rs runs them).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HooksSection {
    pub(crate) before_run: Option<String>,
    pub(crate) after_run: Option<String>,
    pub(crate) before_step: Option<String>,
    pub(crate) after_step: Option<String>,
    pub(crate) on_error: Option<String>,
    /// How long each command may run (default 30 s).
    pub(crate) timeout: Option<TimeoutValue>,
}

impl HooksSection {
    /// Whether any command is set.
    pub(crate) fn is_empty(&self) -> bool {
        [
            &self.before_run,
            &self.after_run,
            &self.before_step,
            &self.after_step,
            &self.on_error,
        ]
        .iter()
        .all(|c| c.as_deref().is_none_or(|c| c.trim().is_empty()))
    }

    /// The timeout, or why it is not one.
    pub(crate) fn timeout(&self) -> Result<Duration, String> {
        match &self.timeout {
            None => Ok(DEFAULT_HOOK_TIMEOUT),
            Some(value) => value.duration(),
        }
    }

    pub(crate) fn command(&self, event: &str) -> Option<&str> {
        match event {
            "before_run" => self.before_run.as_deref(),
            "after_run" => self.after_run.as_deref(),
            "before_step" => self.before_step.as_deref(),
            "after_step" => self.after_step.as_deref(),
            _ => self.on_error.as_deref(),
        }
        .filter(|c| !c.trim().is_empty())
    }
}

/// A timeout written as milliseconds (`5000`) or with a unit (`"5s"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum TimeoutValue {
    Millis(u64),
    Text(String),
}

impl ServicesFile {
    /// Reads the file at `open`, named `path` in messages; `Ok(None)` when
    /// it does not exist.
    pub(crate) fn load(open: &Path, path: &Path) -> Result<Option<Self>, CliError> {
        let text = match std::fs::read_to_string(open) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(CliError::new(
                    "config",
                    format!("cannot read {}: {error}", path.display()),
                ))
            }
        };
        Self::parse(&text, path).map(Some)
    }

    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self, CliError> {
        let file: ServicesFile = toml::from_str(text).map_err(|error| {
            CliError::new("config", format!("{} is not valid: {}", path.display(), error.message().trim()))
                .hint("each service is a [services.NAME] section with url or url_env, and optionally version_table, schema, lock_wait, lock_timeout, statement_timeout, lock_retries, lock_retry_timeout, lock_retry_max_wait; [lint] takes enable = [...] and disable = [...]; [hooks] takes before_run, after_run, before_step, after_step, on_error (shell commands) and timeout")
        })?;
        file.lint.config().map_err(|reason| {
            CliError::new("config", format!("{}, [lint]: {reason}", path.display()))
                .hint("name rules by their id from `lint --rules`, a prefix with * (\"prefer-*\"), or \"all\"")
        })?;
        for (name, service) in &file.services {
            service.check(name, path)?;
        }
        file.hooks.timeout().map_err(|reason| {
            CliError::new(
                "config",
                format!("{}, [hooks] timeout: {reason}", path.display()),
            )
        })?;
        Ok(file)
    }

    /// The service called `name`, or an error listing the known ones.
    pub(crate) fn service(&self, name: &str, path: &Path) -> Result<&Service, CliError> {
        self.services.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.services.keys().map(String::as_str).collect();
            CliError::new(
                "unknown_service",
                format!(
                    "{} has no service {:?}",
                    path.display(),
                    arx_migrate_core::not_api::text::abbreviate(name, 60)
                ),
            )
            .hint(if known.is_empty() {
                format!(
                    "add a [services.{}] section with its url or url_env",
                    arx_migrate_core::not_api::text::abbreviate(name, 60)
                )
            } else {
                format!("the services are: {}", known.join(", "))
            })
        })
    }
}

impl Service {
    fn check(&self, name: &str, path: &Path) -> Result<(), CliError> {
        let invalid = |message: String| {
            CliError::new(
                "config",
                format!("{}, [services.{name}]: {message}", path.display()),
            )
        };
        match (&self.url, &self.url_env) {
            (Some(_), Some(_)) => return Err(invalid("give url or url_env, not both".into())),
            (None, None) => {
                return Err(invalid(
                    "no database: add url = \"...\" or url_env = \"VARIABLE\"".into(),
                ))
            }
            _ => {}
        }
        for (key, value) in [
            ("lock_wait", &self.lock_wait),
            ("lock_timeout", &self.lock_timeout),
            ("statement_timeout", &self.statement_timeout),
            ("lock_retry_timeout", &self.lock_retry_timeout),
            ("lock_retry_max_wait", &self.lock_retry_max_wait),
        ] {
            if let Some(value) = value {
                value
                    .duration()
                    .map_err(|reason| invalid(format!("{key}: {reason}")))?;
            }
        }
        Ok(())
    }

    /// The service's URL, read from its environment variable (looked up
    /// with `var`) if it names one.
    pub(crate) fn url(
        &self,
        name: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<String, CliError> {
        if let Some(url) = &self.url {
            return Ok(url.clone());
        }
        let variable = self.url_env.as_deref().unwrap_or_default();
        match var(variable) {
            Some(url) if !url.trim().is_empty() => Ok(url),
            _ => Err(CliError::new(
                "no_database",
                format!("service {name} takes its URL from ${variable}, which is not set"),
            )
            .hint(format!(
                "export {variable}=postgres://... or give the service a url"
            ))),
        }
    }

    pub(crate) fn lock_wait(&self) -> Option<Duration> {
        self.lock_wait.as_ref().and_then(|v| v.duration().ok())
    }

    pub(crate) fn lock_timeout(&self) -> Option<Duration> {
        self.lock_timeout.as_ref().and_then(|v| v.duration().ok())
    }

    pub(crate) fn lock_retry_timeout(&self) -> Option<Duration> {
        self.lock_retry_timeout
            .as_ref()
            .and_then(|v| v.duration().ok())
    }

    pub(crate) fn lock_retry_max_wait(&self) -> Option<Duration> {
        self.lock_retry_max_wait
            .as_ref()
            .and_then(|v| v.duration().ok())
    }

    pub(crate) fn statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout
            .as_ref()
            .and_then(|v| v.duration().ok())
    }
}

impl TimeoutValue {
    pub(crate) fn duration(&self) -> Result<Duration, String> {
        match self {
            TimeoutValue::Millis(ms) => Ok(Duration::from_millis(*ms)),
            TimeoutValue::Text(text) => parse_duration(text),
        }
    }
}

/// `"250ms"`, `"5s"`, `"2min"`, `"1h"`, or a bare number of milliseconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let shown = arx_migrate_core::not_api::text::abbreviate(text, 40);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{shown:?} is not a duration; write e.g. 500ms, 5s, 2min"))?;
    let millis = match unit.trim() {
        "" | "ms" => Some(number),
        "s" => number.checked_mul(1_000),
        "min" | "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        other => {
            return Err(format!(
                "unknown unit {:?} in {shown:?}; use ms, s, min or h",
                arx_migrate_core::not_api::text::abbreviate(other, 20)
            ))
        }
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{shown:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2min"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("100"), Ok(Duration::from_millis(100)));
        assert!(parse_duration("5 fortnights").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn services_are_checked() {
        let path = Path::new("arx-migrate.toml");
        let file = ServicesFile::parse(
            "[services.a]\nurl = \"sqlite::memory:\"\nlock_timeout = 500\nlock_wait = \"30s\"\n[services.b]\nurl_env = \"B_URL\"\nstatement_timeout = \"1s\"\n",
            path,
        )
        .unwrap();
        assert_eq!(file.services.len(), 2);
        assert_eq!(
            file.services["a"].lock_timeout(),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            file.services["a"].lock_wait(),
            Some(Duration::from_secs(30))
        );
        assert!(file
            .service("c", path)
            .unwrap_err()
            .hint
            .unwrap()
            .contains("a, b"));
        let lint = ServicesFile::parse(
            "[lint]\nenable = [\"prefer-*\"]\ndisable = [\"fk-without-index\"]\n",
            path,
        )
        .unwrap();
        let config = lint.lint.config().unwrap();
        assert!(config.is_enabled(arx_migrate_verify::lint::Rule::PreferTimestamptz));
        assert!(!config.is_enabled(arx_migrate_verify::lint::Rule::FkWithoutIndex));
        for bad in [
            "[lint]\nenable = [\"prefer-txt-field\"]\n",
            "[lint]\nonly = [\"drop-table\"]\n",
            "[services.a]\n",
            "[services.a]\nurl = \"x\"\nurl_env = \"Y\"\n",
            "[services.a]\nurl = \"x\"\ntimeout = 1\n",
            "[services.a]\nurl = \"x\"\nlock_timeout = \"soon\"\n",
            "[services.a]\nurl = \"x\"\nlock_wait = \"5 fortnights\"\n",
        ] {
            assert!(ServicesFile::parse(bad, path).is_err(), "{bad}");
        }
    }
}
