//! The revision-id rules (`arx-migrate-ids`), in this crate's words.

use arx_migrate_ids::{check_revision_id, IdProblem, MAX_REVISION_LEN};

/// Why `id` cannot be a revision id, or `None` when it can.
pub(crate) fn revision_id_problem(id: &str) -> Option<String> {
    match check_revision_id(id) {
        Ok(()) => None,
        Err(IdProblem::Empty) => Some("it is empty".to_string()),
        Err(IdProblem::TooLong) => Some(format!(
            "it is longer than {MAX_REVISION_LEN} characters (the version table's version_num is varchar({MAX_REVISION_LEN}))"
        )),
        Err(IdProblem::BadCharacter) => {
            Some("only ASCII letters, digits, '_' and '-' are allowed".to_string())
        }
        Err(IdProblem::Reserved) => Some("it is a reserved target name".to_string()),
        Err(_) => Some("it breaks the revision-id rules".to_string()),
    }
}
