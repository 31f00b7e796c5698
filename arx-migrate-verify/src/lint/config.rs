//! Which rules run: every rule on by default ([`Rule::default_enabled`]),
//! plus the ones switched on, minus the ones switched off — the `[lint]`
//! section of `arx-migrate.toml`:
//!
//! ```toml
//! [lint]
//! enable = ["prefer-text-field", "prefer-timestamptz"]   # or "prefer-*", "all"
//! disable = ["fk-without-index"]
//! ```

use std::collections::BTreeSet;

use super::rules::Rule;

/// Which rules run.
///
/// ```
/// use arx_migrate_verify::lint::{LintConfig, Rule};
///
/// let config = LintConfig::from_names(&["prefer-*"], &["fk-without-index"]).unwrap();
/// assert!(config.is_enabled(Rule::PreferTextField));
/// assert!(!config.is_enabled(Rule::FkWithoutIndex));
/// assert!(config.is_enabled(Rule::DropTable));
/// assert!(!LintConfig::default().is_enabled(Rule::PreferTextField));
/// assert!(LintConfig::from_names(&["no-such-rule"], &[]).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintConfig {
    enabled: BTreeSet<Rule>,
    disabled: BTreeSet<Rule>,
}

impl LintConfig {
    /// The default: the rules that are on by default.
    pub fn new() -> Self {
        LintConfig::default()
    }

    /// Switches a rule on.
    pub fn enable(mut self, rule: Rule) -> Self {
        self.disabled.remove(&rule);
        self.enabled.insert(rule);
        self
    }

    /// Switches a rule off.
    pub fn disable(mut self, rule: Rule) -> Self {
        self.enabled.remove(&rule);
        self.disabled.insert(rule);
        self
    }

    /// From lists of rule ids (or aliases), each optionally ending in `*`
    /// (`prefer-*`), or `all`. `disable` wins over `enable`. An id that
    /// names no rule is an error that says which.
    pub fn from_names<S: AsRef<str>>(enable: &[S], disable: &[S]) -> Result<Self, String> {
        let mut config = LintConfig::default();
        for name in enable {
            for rule in matching(name.as_ref())? {
                config = config.enable(rule);
            }
        }
        for name in disable {
            for rule in matching(name.as_ref())? {
                config = config.disable(rule);
            }
        }
        Ok(config)
    }

    /// Whether the rule runs.
    pub fn is_enabled(&self, rule: Rule) -> bool {
        !self.disabled.contains(&rule) && (rule.default_enabled() || self.enabled.contains(&rule))
    }
}

/// The rules a name in `[lint]` stands for.
fn matching(name: &str) -> Result<Vec<Rule>, String> {
    let name = name.trim();
    if name == "all" || name == "*" {
        return Ok(Rule::ALL.to_vec());
    }
    if let Some(prefix) = name.strip_suffix('*') {
        let rules: Vec<Rule> = Rule::ALL
            .into_iter()
            .filter(|r| r.id().starts_with(prefix))
            .collect();
        return if rules.is_empty() {
            Err(format!("{name:?} matches no lint rule"))
        } else {
            Ok(rules)
        };
    }
    Rule::from_id(name).map(|r| vec![r]).ok_or_else(|| {
        format!(
            "{name:?} names no lint rule{}; `lint --rules` lists them",
            Rule::closest(name)
                .map(|r| format!(" (did you mean {r}?)"))
                .unwrap_or_default()
        )
    })
}
