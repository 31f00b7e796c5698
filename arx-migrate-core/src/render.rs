//! Running a migration's function: the one place that calls
//! `upgrade`/`downgrade`, guards against a panic in it, and names the
//! revision in its errors. A live run and every render without a database
//! (checksums, offline SQL, lint, `show`) go through here.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::backend::Backend;
use crate::error::{Direction, Error, Result};
use crate::migration::Migration;
use crate::ops::Ops;

/// What a migration renders for one backend and direction, without a
/// database.
#[derive(Debug)]
#[non_exhaustive]
pub struct Rendered {
    /// The SQL statements, in order, up to the point where the render
    /// stopped.
    pub statements: Vec<String>,
    /// The checksum of the rendered SQL (what a live run records).
    pub checksum: String,
    /// Why the render stopped early, if it did. A migration that asks for
    /// the connection (a data migration) stops with
    /// [`Error::NeedsConnection`]; its statements so far are still here.
    pub error: Option<Error>,
}

impl Rendered {
    /// The statements, or the error that stopped the render.
    pub fn into_result(self) -> Result<Vec<String>> {
        match self.error {
            None => Ok(self.statements),
            Some(error) => Err(error),
        }
    }
}

/// Renders `migration` for `backend` in `direction` without a database.
///
/// ```
/// use arx_migrate_core::{render, Backend, Direction, FnMigration};
///
/// let notes = FnMigration::new(
///     "n001",
///     &[],
///     |op| op.sql("CREATE TABLE notes (id INTEGER PRIMARY KEY)"),
///     |op| op.sql("DROP TABLE notes"),
/// );
/// let down = render(&notes, Backend::Sqlite, Direction::Downgrade).into_result()?;
/// assert_eq!(down, ["DROP TABLE notes"]);
/// # Ok::<(), arx_migrate_core::Error>(())
/// ```
pub fn render(migration: &dyn Migration, backend: Backend, direction: Direction) -> Rendered {
    let ops = Ops::recording(backend, migration.revision(), direction);
    render_into(migration, ops)
}

/// Renders `migration` as a script to run elsewhere (`upgrade --sql`): like
/// [`render`], except that what cannot be written as SQL the backend runs
/// as it is (an SQLite table rebuild, which reads the live table) is an
/// error.
pub fn render_script(
    migration: &dyn Migration,
    backend: Backend,
    direction: Direction,
) -> Rendered {
    let ops = Ops::scripting(backend, migration.revision(), direction);
    render_into(migration, ops)
}

fn render_into(migration: &dyn Migration, ops: Ops<'_>) -> Rendered {
    // CONCURRENTLY index builds depend on it, so checksums must too.
    let mut ops = ops.transactional(migration.transactional());
    let error = invoke(migration, &mut ops).err();
    Rendered {
        checksum: ops.finish_checksum(),
        statements: ops.into_recorded(),
        error,
    }
}

/// Calls the migration's function for `op`'s direction. A panic in it
/// becomes [`Error::Migration`], and an error raised with [`Error::custom`]
/// gets the revision filled in.
pub(crate) fn invoke(migration: &dyn Migration, op: &mut Ops<'_>) -> Result<()> {
    let direction = op.direction();
    let outcome = catch_unwind(AssertUnwindSafe(|| match direction {
        Direction::Upgrade => migration.upgrade(op),
        Direction::Downgrade => migration.downgrade(op),
    }));
    let result = match outcome {
        Ok(result) => result,
        Err(panic) => Err(Error::Migration {
            revision: migration.revision().to_string(),
            direction,
            message: format!(
                "panicked: {}",
                crate::not_api::panic::panic_message(&*panic)
            ),
        }),
    };
    result.map_err(|error| attach_revision(error, migration.revision(), direction))
}

/// Fills in the revision of an error raised with [`Error::custom`].
fn attach_revision(error: Error, revision: &str, direction: Direction) -> Error {
    match error {
        Error::Migration {
            revision: r,
            message,
            ..
        } if r.is_empty() => Error::Migration {
            revision: revision.to_string(),
            direction,
            message,
        },
        other => other,
    }
}
