//! [`Env`]: the environment variables a run reads (`DATABASE_URL`, a
//! service's `url_env`), from the process or from the program's own
//! values (`CliConfig::env`, `env_remove`, `env_clear`).

use std::collections::BTreeMap;
use std::fmt;

/// The process environment with the program's changes on top, the way
/// `std::process::Command` builds a child's environment; the process's own
/// environment is never modified.
#[derive(Clone)]
pub(crate) struct Env {
    /// Whether variables without an override come from the process.
    inherit: bool,
    /// Set (`Some`) or removed (`None`) by the program.
    overrides: BTreeMap<String, Option<String>>,
}

impl Default for Env {
    fn default() -> Self {
        Env {
            inherit: true,
            overrides: BTreeMap::new(),
        }
    }
}

impl Env {
    pub(crate) fn set(&mut self, name: String, value: String) {
        self.overrides.insert(name, Some(value));
    }

    pub(crate) fn remove(&mut self, name: String) {
        self.overrides.insert(name, None);
    }

    pub(crate) fn clear(&mut self) {
        self.inherit = false;
        self.overrides.clear();
    }

    /// The variable's value; unset, and not valid Unicode, are both `None`.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        match self.overrides.get(name) {
            Some(value) => value.clone(),
            None if self.inherit => std::env::var(name).ok(),
            None => None,
        }
    }
}

impl Env {
    /// Gives a child process this environment.
    pub(crate) fn apply_to(&self, command: &mut std::process::Command) {
        if !self.inherit {
            command.env_clear();
        }
        for (name, value) in &self.overrides {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
    }
}

/// The names only: values may be URLs with passwords.
impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut set = Vec::new();
        let mut removed = Vec::new();
        for (name, value) in &self.overrides {
            match value {
                Some(_) => set.push(name),
                None => removed.push(name),
            }
        }
        f.debug_struct("Env")
            .field("inherit", &self.inherit)
            .field("set", &set)
            .field("removed", &removed)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A variable every process has (on the platforms the tests run on).
    const PATH: &str = "PATH";

    #[test]
    fn overrides_come_before_the_process_environment() {
        let mut env = Env::default();
        assert_eq!(env.var(PATH), std::env::var(PATH).ok());
        env.set(PATH.into(), "/nowhere".into());
        env.set("ARX_MIGRATE_ENV_TEST_URL".into(), "sqlite::memory:".into());
        assert_eq!(env.var(PATH).as_deref(), Some("/nowhere"));
        assert_eq!(
            env.var("ARX_MIGRATE_ENV_TEST_URL").as_deref(),
            Some("sqlite::memory:")
        );
        env.remove(PATH.into());
        assert_eq!(env.var(PATH), None);
    }

    #[test]
    fn a_cleared_environment_has_only_what_is_set_after() {
        let mut env = Env::default();
        env.set("A".into(), "before".into());
        env.clear();
        assert_eq!(env.var(PATH), None);
        assert_eq!(env.var("A"), None);
        env.set("A".into(), "after".into());
        assert_eq!(env.var("A").as_deref(), Some("after"));
    }

    #[test]
    fn debug_shows_names_not_values() {
        let mut env = Env::default();
        env.set("DATABASE_URL".into(), "postgres://u:hunter2@h/d".into());
        env.remove("OTHER_URL".into());
        let shown = format!("{env:?}");
        assert!(
            shown.contains("DATABASE_URL") && shown.contains("OTHER_URL"),
            "{shown}"
        );
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
