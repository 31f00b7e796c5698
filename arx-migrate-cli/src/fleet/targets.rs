//! Where a fleet's targets come from, beyond the engine's tenant schemas
//! (`arx_migrate_core::fleet::matching_schemas`): lists of URLs.

/// The URLs of a `--urls` file: one per line; blank lines and lines
/// starting with `#` are skipped, surrounding spaces trimmed.
pub(crate) fn url_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_lists_skip_comments_and_blank_lines() {
        let text = "# tenants\n\n  postgres://a@h/one  \npostgres://a@h/two\n   # off\n";
        assert_eq!(url_list(text), ["postgres://a@h/one", "postgres://a@h/two"]);
    }
}
