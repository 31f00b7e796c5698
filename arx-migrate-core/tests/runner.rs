//! The runner's behaviour, one test body on every backend.

mod support;

use arx_migrate_core::{
    ChecksumPolicy, Direction, Error, FnMigration, MigrationSet, Migrator, Ops, Progress,
    TransactionMode, Warning,
};
use support::*;

#[test]
fn round_trip_through_a_branch_and_a_merge() {
    for db in backends("round_trip_through_a_branch_and_a_merge") {
        let migrator = Migrator::new(branchy_chain()).unwrap();
        let mut conn = db.connect();

        let report = migrator.upgrade(&mut *conn, "002").unwrap();
        assert_eq!(report.heads_after, ["002"]);
        assert_eq!(db.tables(), names(&["001", "002"]));

        // Up one branch only, then the merge pulls in the other.
        migrator.upgrade(&mut *conn, "003b").unwrap();
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["003b"]);
        let report = migrator.upgrade(&mut *conn, "head").unwrap();
        let applied: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
        assert_eq!(applied, ["003a", "004", "005"], "{:?}", db.backend());
        assert_eq!(report.heads_after, ["005"]);
        assert_eq!(
            db.tables(),
            names(&["001", "002", "003a", "003b", "004", "005"])
        );

        // Reverting the merge exposes both branch heads. -2 would walk
        // through the merge, which has two ways down (refused, as in
        // Alembic); naming a parent is not.
        assert!(migrator.downgrade(&mut *conn, "-2").is_err());
        migrator.downgrade(&mut *conn, "003b").unwrap();
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["003a", "003b"]);
        assert_eq!(db.tables(), names(&["001", "002", "003a", "003b"]));

        // A downgrade target only trims its own branch: the other stays.
        let report = migrator.downgrade(&mut *conn, "003a").unwrap();
        assert!(report.steps.is_empty());
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["003a", "003b"]);
        migrator.downgrade(&mut *conn, "002").unwrap();
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["002"]);
        assert_eq!(db.tables(), names(&["001", "002"]));

        migrator.upgrade(&mut *conn, "heads").unwrap();
        migrator.downgrade(&mut *conn, "base").unwrap();
        assert!(migrator.current(&mut *conn).unwrap().is_empty());
        assert!(db.tables().is_empty());

        // Every step is in the history, in order, with a checksum.
        let history = migrator.history(&mut *conn).unwrap();
        assert!(history
            .iter()
            .all(|h| h.outcome == "ok" && h.checksum.is_some()));
        // Who ran it is known even where USER is not set (services, CI).
        if cfg!(target_os = "linux") {
            let who = history[0].executed_by.as_deref().unwrap_or_default();
            assert!(!who.starts_with("unknown@") && who.contains('@'), "{who}");
        }
        assert_eq!(history.first().map(|h| h.revision.as_str()), Some("001"));
        assert_eq!(
            history
                .last()
                .map(|h| (h.revision.as_str(), h.operation.as_str())),
            Some(("001", "downgrade"))
        );
    }
}

/// A chain of five where revision `k` creates its table and then fails.
fn chain_failing_at(k: usize) -> MigrationSet {
    let mut set = MigrationSet::new();
    for i in 1..=5 {
        let id = format!("{i:03}");
        let parent = format!("{:03}", i - 1);
        let parents: Vec<&str> = if i == 1 { vec![] } else { vec![&parent] };
        let table = format!("t{id}");
        let drop = table.clone();
        let fails = i == k;
        set = set.with(FnMigration::new(
            id,
            &parents,
            move |op: &mut Ops| {
                op.sql(format!("CREATE TABLE {table} (id INTEGER)"))?;
                op.sql(format!("INSERT INTO {table} VALUES (1)"))?;
                if fails {
                    op.sql("INSERT INTO no_such_table VALUES (1)")?;
                }
                Ok(())
            },
            move |op: &mut Ops| op.sql(format!("DROP TABLE {drop}")),
        ));
    }
    set
}

#[test]
fn a_failing_migration_leaves_the_database_at_the_revision_before_it() {
    for db in backends("a_failing_migration_leaves_the_database_at_the_revision_before_it") {
        for k in 1..=5 {
            for mode in [TransactionMode::PerMigration, TransactionMode::AllInOne] {
                let mut conn = db.connect();
                let migrator = Migrator::new(chain_failing_at(k))
                    .unwrap()
                    .transaction_mode(mode);
                let error = migrator.upgrade(&mut *conn, "head").unwrap_err();
                let text = error.to_string();
                match &error {
                    Error::Statement(failure) => {
                        assert_eq!(failure.revision, format!("{k:03}"));
                        assert_eq!(failure.direction, Direction::Upgrade);
                        assert!(failure.statement.contains("no_such_table"));
                        assert!(failure.rolled_back);
                    }
                    other => panic!("unexpected error {other:?}"),
                }
                assert!(
                    text.contains(&format!("{k:03}")) && text.contains("no_such_table"),
                    "{text}"
                );
                let expected: Vec<String> = match mode {
                    TransactionMode::PerMigration => (1..k).map(|i| format!("{i:03}")).collect(),
                    TransactionMode::AllInOne => Vec::new(),
                };
                assert_eq!(
                    db.tables(),
                    expected.iter().map(|e| format!("t{e}")).collect()
                );
                let current = migrator.current(&mut *conn).unwrap();
                assert_eq!(
                    current,
                    expected.last().cloned().into_iter().collect::<Vec<_>>()
                );
                // The failure is in the history; the database is usable.
                let history = migrator.history(&mut *conn).unwrap();
                assert_eq!(history.last().map(|h| h.outcome.as_str()), Some("failed"));
                migrator.downgrade(&mut *conn, "base").unwrap();
                assert!(db.tables().is_empty());
            }
        }
    }
}

#[test]
fn a_database_ahead_of_the_code_is_an_error_and_is_left_alone() {
    for db in backends("a_database_ahead_of_the_code_is_an_error_and_is_left_alone") {
        let mut conn = db.connect();
        Migrator::new(branchy_chain())
            .unwrap()
            .upgrade(&mut *conn, "head")
            .unwrap();
        let older = Migrator::new(
            MigrationSet::new()
                .with(table_migration("001", &[]))
                .with(table_migration("002", &["001"])),
        )
        .unwrap();
        for result in [
            older.upgrade(&mut *conn, "head").map(|_| ()),
            older.downgrade(&mut *conn, "base").map(|_| ()),
        ] {
            match result.unwrap_err() {
                Error::UnknownDatabaseRevision { unknown } => assert_eq!(unknown, ["005"]),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(db.tables().len(), 6);
        assert_eq!(older.current(&mut *conn).unwrap(), ["005"]);
    }
}

fn edited_chain(first_sql: &'static str) -> MigrationSet {
    MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            move |op| op.sql(first_sql),
            |op| op.sql("DROP TABLE a"),
        ))
        .with(table_migration("002", &["001"]))
}

#[test]
fn an_edited_migration_is_reported_and_can_be_repaired() {
    for db in backends("an_edited_migration_is_reported_and_can_be_repaired") {
        let mut conn = db.connect();
        let original = Migrator::new(edited_chain("CREATE TABLE a (id INTEGER)")).unwrap();
        original.upgrade(&mut *conn, "001").unwrap();

        // Formatting is not an edit.
        let reformatted =
            Migrator::new(edited_chain("create   table a(\n  id integer\n);")).unwrap();
        reformatted.upgrade(&mut *conn, "001").unwrap();

        let edited = Migrator::new(edited_chain("CREATE TABLE a (id BIGINT)")).unwrap();
        match edited.upgrade(&mut *conn, "head").unwrap_err() {
            Error::ChecksumMismatch { revision, .. } => assert_eq!(revision, "001"),
            other => panic!("unexpected {other:?}"),
        }
        // Nothing was applied.
        assert_eq!(edited.current(&mut *conn).unwrap(), ["001"]);
        // The no-op startup path reports it too.
        assert!(matches!(
            edited.upgrade(&mut *conn, "001"),
            Err(Error::ChecksumMismatch { .. })
        ));

        let lenient = Migrator::new(edited_chain("CREATE TABLE a (id BIGINT)"))
            .unwrap()
            .checksum_policy(ChecksumPolicy::Warn);
        let report = lenient.upgrade(&mut *conn, "001").unwrap();
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        assert!(report.warnings[0].to_string().contains("001"));
        // The warning carries the change, and says it as the error does.
        match &report.warnings[0] {
            Warning::ChecksumChanged(change) => {
                assert_eq!(change.revision, "001");
                let error = edited.upgrade(&mut *conn, "001").unwrap_err();
                assert_eq!(report.warnings[0].to_string(), error.to_string());
            }
            other => panic!("unexpected {other:?}"),
        }

        // The read-only status says so, as a deploy gate needs.
        let status = edited.status(&mut *conn).unwrap();
        assert_eq!(status.edited.len(), 1, "{status:?}");
        assert_eq!(status.edited[0].revision, "001");
        assert!(!status.is_ready());
        assert!(original.status(&mut *conn).unwrap().edited.is_empty());

        let repaired = edited.repair(&mut *conn).unwrap();
        assert_eq!(repaired.checksums.len(), 1);
        assert_eq!(repaired.checksums[0].revision, "001");
        assert!(repaired.interrupted.is_empty());
        assert!(edited.status(&mut *conn).unwrap().edited.is_empty());
        let report = edited.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(report.heads_after, ["002"]);
        assert!(edited.repair(&mut *conn).unwrap().is_empty());
    }
}

#[test]
fn at_head_a_run_costs_one_query_and_writes_nothing() {
    for db in backends("at_head_a_run_costs_one_query_and_writes_nothing") {
        let mut conn = db.connect();
        let migrator = Migrator::new(branchy_chain()).unwrap();
        migrator.upgrade(&mut *conn, "head").unwrap();

        let mut counting = Counting::new(&mut *conn);
        let report = migrator.upgrade(&mut counting, "head").unwrap();
        assert!(report.steps.is_empty());
        assert_eq!(counting.statements(), 1, "{:#?}", counting.log);
        assert!(counting.log[0].starts_with("SELECT"), "{:#?}", counting.log);
    }
}

#[test]
fn work_to_do_takes_the_lock_and_rereads_under_it() {
    for db in backends("work_to_do_takes_the_lock_and_rereads_under_it") {
        let mut conn = db.connect();
        let migrator = Migrator::new(branchy_chain()).unwrap();
        let mut counting = Counting::new(&mut *conn);
        migrator.upgrade(&mut counting, "001").unwrap();
        let log = counting.log.join("\n");
        // Read without the lock, read again under it, then create the
        // bookkeeping in the first step's own transaction (no extra commit).
        let first_read = log.find("SELECT 'head'").unwrap();
        let reread = log.rfind("SELECT 'head'").unwrap();
        let begin = log.find("BEGIN").unwrap();
        let create = log.find("CREATE TABLE IF NOT EXISTS").unwrap();
        assert!(
            first_read < reread && reread < begin && begin < create,
            "{log}"
        );
        assert_eq!(log.matches("COMMIT").count(), 1, "{log}");
    }
}

#[test]
fn a_panicking_migration_is_an_error_and_changes_nothing() {
    for db in backends("a_panicking_migration_is_an_error_and_changes_nothing") {
        let mut conn = db.connect();
        let set = MigrationSet::new()
            .with(table_migration("001", &[]))
            .with(FnMigration::new(
                "002",
                &["001"],
                |op| {
                    op.sql("CREATE TABLE t002 (id INTEGER)")?;
                    panic!("boom in a migration");
                },
                ok,
            ));
        let migrator = Migrator::new(set).unwrap();
        let error = migrator.upgrade(&mut *conn, "head").unwrap_err();
        assert!(error.to_string().contains("boom in a migration"), "{error}");
        assert!(error.to_string().contains("002"), "{error}");
        assert_eq!(db.tables(), names(&["001"]));
        // The lock is free and the connection usable.
        let other = Migrator::new(
            MigrationSet::new()
                .with(table_migration("001", &[]))
                .with(table_migration("002", &["001"])),
        )
        .unwrap()
        .lock_wait(std::time::Duration::from_millis(500));
        let mut second = db.connect();
        other.upgrade(&mut *second, "head").unwrap();
        assert_eq!(db.tables(), names(&["001", "002"]));
    }
}

#[test]
fn custom_errors_name_their_revision() {
    for db in backends("custom_errors_name_their_revision") {
        let mut conn = db.connect();
        let set = MigrationSet::new().with(FnMigration::new(
            "001",
            &[],
            |_| Err(arx_migrate_core::Error::custom("the data is not ready")),
            ok,
        ));
        let error = Migrator::new(set)
            .unwrap()
            .upgrade(&mut *conn, "head")
            .unwrap_err();
        match error {
            Error::Migration {
                revision, message, ..
            } => {
                assert_eq!(revision, "001");
                assert!(message.contains("the data is not ready"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn two_migration_sets_in_one_database_do_not_interfere() {
    for db in backends("two_migration_sets_in_one_database_do_not_interfere") {
        let mut conn = db.connect();
        let first = Migrator::new(branchy_chain()).unwrap();
        let second = Migrator::new(MigrationSet::new().with(table_migration("x1", &[])))
            .unwrap()
            .version_table("other_version");
        first.upgrade(&mut *conn, "head").unwrap();
        second.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(first.current(&mut *conn).unwrap(), ["005"]);
        assert_eq!(second.current(&mut *conn).unwrap(), ["x1"]);
        assert!(second
            .history(&mut *conn)
            .unwrap()
            .iter()
            .all(|h| h.revision == "x1"));
        second.downgrade(&mut *conn, "base").unwrap();
        assert_eq!(first.current(&mut *conn).unwrap(), ["005"]);
    }
}

#[test]
fn stamp_moves_the_version_without_running_anything() {
    for db in backends("stamp_moves_the_version_without_running_anything") {
        let mut conn = db.connect();
        let migrator = Migrator::new(branchy_chain()).unwrap();
        assert_eq!(migrator.stamp(&mut *conn, "004").unwrap(), ["004"]);
        assert!(db.tables().is_empty());
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["004"]);
        let report = migrator.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(report.steps.len(), 1);
        assert_eq!(
            migrator.stamp(&mut *conn, "base").unwrap(),
            Vec::<String>::new()
        );
        assert!(migrator.current(&mut *conn).unwrap().is_empty());
    }
}

#[test]
fn an_interrupted_non_transactional_step_is_reported_until_repaired() {
    for db in backends("an_interrupted_non_transactional_step_is_reported_until_repaired") {
        let mut conn = db.connect();
        let migrator = Migrator::new(branchy_chain()).unwrap();
        migrator.upgrade(&mut *conn, "001").unwrap();
        // What a crash in the middle of a non-transactional step leaves.
        conn.execute(
            "INSERT INTO arx_migrate_history (version_table, revision, operation, started_at, outcome) \
             VALUES ('arx_migrate_version', '002', 'upgrade', '2026-01-01T00:00:00Z', 'started')",
        )
        .unwrap();
        match migrator.upgrade(&mut *conn, "head").unwrap_err() {
            Error::Interrupted {
                revision,
                direction,
            } => {
                assert_eq!(revision, "002");
                assert_eq!(direction, Direction::Upgrade);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["001"]);
        // The read-only status reports it, and repair says what it changed.
        let status = migrator.status(&mut *conn).unwrap();
        assert_eq!(status.interrupted.len(), 1, "{status:?}");
        assert_eq!(status.interrupted[0].revision, "002");
        let repaired = migrator.repair(&mut *conn).unwrap();
        assert_eq!(repaired.interrupted.len(), 1, "{repaired:?}");
        assert_eq!(repaired.interrupted[0].direction, Direction::Upgrade);
        assert!(repaired.checksums.is_empty());
        assert!(migrator.status(&mut *conn).unwrap().interrupted.is_empty());
        assert!(migrator.repair(&mut *conn).unwrap().is_empty());
        migrator.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["005"]);
    }
}

#[test]
fn a_non_transactional_migration_is_recorded_only_when_it_succeeds() {
    for db in backends("a_non_transactional_migration_is_recorded_only_when_it_succeeds") {
        let mut conn = db.connect();
        let failing = MigrationSet::new().with(table_migration("001", &[])).with(
            FnMigration::new(
                "002",
                &["001"],
                |op| {
                    op.sql("CREATE TABLE t002 (id INTEGER)")?;
                    op.sql("CREATE INDEX idx_missing ON no_such_table (id)")
                },
                |op| op.sql("DROP TABLE t002"),
            )
            .non_transactional(),
        );
        let migrator = Migrator::new(failing).unwrap();
        let error = migrator.upgrade(&mut *conn, "head").unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("not transactional") && text.contains("002"),
            "{text}"
        );
        assert!(matches!(
            error,
            Error::Statement(ref failure) if !failure.rolled_back
        ));
        // The first statement stays (no transaction), the version does not move.
        assert_eq!(db.tables(), names(&["001", "002"]));
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["001"]);
        let last = migrator.history(&mut *conn).unwrap().pop().unwrap();
        assert_eq!(
            (last.revision.as_str(), last.outcome.as_str()),
            ("002", "failed")
        );
        conn.execute("DROP TABLE t002").unwrap();

        let fixed = MigrationSet::new().with(table_migration("001", &[])).with(
            FnMigration::new(
                "002",
                &["001"],
                |op| op.sql("CREATE TABLE t002 (id INTEGER)"),
                |op| op.sql("DROP TABLE t002"),
            )
            .non_transactional(),
        );
        let migrator = Migrator::new(fixed).unwrap();
        migrator.upgrade(&mut *conn, "head").unwrap();
        assert_eq!(migrator.current(&mut *conn).unwrap(), ["002"]);
        let last = migrator.history(&mut *conn).unwrap().pop().unwrap();
        assert_eq!(
            (last.revision.as_str(), last.outcome.as_str()),
            ("002", "ok")
        );
        assert!(last.checksum.is_some());
    }
}

#[test]
fn offline_scripts_render_without_a_connection() {
    let migrator = Migrator::new(branchy_chain()).unwrap();
    for backend in [
        arx_migrate_core::Backend::Sqlite,
        arx_migrate_core::Backend::Postgres,
    ] {
        let script = migrator
            .offline_script(backend, &[], "head", Direction::Upgrade)
            .unwrap();
        assert!(script.contains("CREATE TABLE t004"));
        assert!(script.contains("INSERT INTO \"arx_migrate_version\" (version_num) VALUES ('005')"));
        // Running the SQLite script gives the same tables and version.
        if backend == arx_migrate_core::Backend::Sqlite {
            let conn = rusqlite::Connection::open_in_memory().unwrap();
            conn.execute_batch(&script).unwrap();
            let mut conn = conn;
            assert_eq!(
                tables(&mut conn),
                names(&["001", "002", "003a", "003b", "004", "005"])
            );
            assert_eq!(migrator.current(&mut conn).unwrap(), ["005"]);
        }
    }
}

#[test]
fn an_alter_sea_query_cannot_render_for_sqlite_is_an_error_not_a_panic() {
    use arx_migrate_core::sea_query::{Alias, ColumnDef, Table};
    let set = MigrationSet::new()
        .with(table_migration("001", &[]))
        .with(FnMigration::new(
            "002",
            &["001"],
            |op: &mut Ops| {
                op.exec(
                    Table::alter()
                        .table(Alias::new("t001"))
                        .modify_column(ColumnDef::new(Alias::new("note")).big_integer()),
                )
            },
            ok,
        ));
    let migrator = Migrator::new(set).unwrap();
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    match &error {
        Error::Unsupported {
            operation, backend, ..
        } => {
            assert!(
                operation.contains("ALTER TABLE") && operation.contains("002"),
                "{error}"
            );
            assert_eq!(*backend, "sqlite");
        }
        other => panic!("unexpected {other:?}"),
    }
    // It names the portable call, which rebuilds the table on SQLite.
    assert!(error.to_string().contains("op.alter_column"), "{error}");
    assert_eq!(migrator.current(&mut conn).unwrap(), ["001"]);
    // The same statement renders for PostgreSQL.
    let widen = FnMigration::new(
        "002",
        &["001"],
        |op| {
            op.exec(
                Table::alter()
                    .table(Alias::new("t001"))
                    .modify_column(ColumnDef::new(Alias::new("note")).big_integer()),
            )
        },
        |_| Ok(()),
    );
    let sql = arx_migrate_core::render(
        &widen,
        arx_migrate_core::Backend::Postgres,
        arx_migrate_core::Direction::Upgrade,
    )
    .into_result()
    .unwrap();
    assert!(sql[0].contains("ALTER COLUMN"), "{sql:?}");
}

#[test]
fn observers_hear_each_step_as_it_commits() {
    for mode in [TransactionMode::PerMigration, TransactionMode::AllInOne] {
        let mut heard = Vec::new();
        let migrator = Migrator::new(branchy_chain())
            .unwrap()
            .transaction_mode(mode);
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut log = |event: Progress<'_>| {
            if let Progress::Step(step) = event {
                heard.push(format!("{} {}", step.direction, step.revision))
            }
        };
        migrator
            .upgrade_with_progress(&mut conn, "003a", &mut log)
            .unwrap();
        migrator
            .downgrade_with_progress(&mut conn, "001", &mut log)
            .unwrap();
        assert_eq!(
            heard,
            [
                "upgrade 001",
                "upgrade 002",
                "upgrade 003a",
                "downgrade 003a",
                "downgrade 002"
            ]
        );
    }
}

#[test]
fn a_migration_s_statements_go_in_one_round_trip_and_errors_still_name_the_statement() {
    for db in backends("a_migration_s_statements_go_in_one_round_trip") {
        let set = MigrationSet::new().with(FnMigration::new(
            "001",
            &[],
            |op: &mut Ops| {
                op.sql("CREATE TABLE a (id INTEGER)")?;
                op.sql("CREATE TABLE b (id INTEGER)")?;
                op.sql("CREATE INDEX idx_a_id ON a (id)")
            },
            |op: &mut Ops| {
                op.sql("DROP TABLE b")?;
                op.sql("DROP TABLE nowhere")?;
                op.sql("DROP TABLE a")
            },
        ));
        let migrator = Migrator::new(set).unwrap();
        let mut conn = db.connect();
        let mut counting = Counting::new(&mut *conn);
        let report = migrator.upgrade(&mut counting, "head").unwrap();
        assert_eq!(report.steps[0].statements, 3);
        let batches: Vec<&String> = counting
            .log
            .iter()
            .filter(|sql| sql.contains("CREATE TABLE a"))
            .collect();
        assert_eq!(batches.len(), 1, "{:#?}", counting.log);
        assert!(batches[0].contains("CREATE INDEX idx_a_id"));

        match migrator.downgrade(&mut *conn, "base").unwrap_err() {
            Error::Statement(failure) => {
                assert_eq!(failure.statement, "DROP TABLE nowhere");
                assert!(failure.rolled_back);
            }
            other => panic!("unexpected {other:?}"),
        }
        // The statement before the failing one was rolled back too.
        assert_eq!(db.tables(), ["a".to_string(), "b".to_string()].into());
    }
}

#[test]
fn progress_is_reported_per_call_as_each_step_commits() {
    for db in backends("progress_is_reported_per_call_as_each_step_commits") {
        let migrator = Migrator::new(branchy_chain()).unwrap();
        let mut conn = db.connect();
        let mut heard = Vec::new();
        let report = migrator
            .upgrade_with_progress(&mut *conn, "004", &mut |event| {
                if let Progress::Step(step) = event {
                    heard.push(step.revision.clone())
                }
            })
            .unwrap();
        assert_eq!(heard, ["001", "002", "003a", "003b", "004"]);
        assert_eq!(report.steps.len(), heard.len());
        heard.clear();
        migrator
            .downgrade_with_progress(&mut *conn, "002", &mut |event| {
                if let Progress::Step(step) = event {
                    heard.push(step.revision.clone())
                }
            })
            .unwrap();
        assert_eq!(heard, ["004", "003b", "003a"]);
    }
}
