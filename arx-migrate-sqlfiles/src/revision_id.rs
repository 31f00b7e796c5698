//! What a revision id may be.

/// The longest revision id: Alembic's `version_num` is `varchar(32)`.
pub const MAX_REVISION_LEN: usize = 32;

/// Why `id` cannot be a revision id, or `None` when it can: ASCII
/// letters, digits, `_` and `-`, at most [`MAX_REVISION_LEN`] characters,
/// and not a target name (`head`, `heads`, `base`).
pub fn revision_id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        Some("it is empty".to_string())
    } else if id.len() > MAX_REVISION_LEN {
        Some(format!(
            "it is longer than {MAX_REVISION_LEN} characters (the version table's version_num is varchar({MAX_REVISION_LEN}))"
        ))
    } else if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Some("only ASCII letters, digits, '_' and '-' are allowed".to_string())
    } else if matches!(id, "head" | "heads" | "base") {
        Some("it is a reserved target name".to_string())
    } else {
        None
    }
}
