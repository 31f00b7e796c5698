//! Lint reads an expand/contract pair as safe: the added column, the sync
//! trigger and its function, the backfill, and the contract's drop of the
//! old column raise no alarm on either backend; a plain drop still does.

use arx_migrate_core::{Backend, Expand, FnMigration, MigrationSet, Migrator, Ops};
use arx_migrate_verify::lint::{self, LintReport, Rule, Severity};

fn changes(backend: Backend) -> Vec<Expand> {
    let (first, last) = match backend {
        Backend::Postgres => ("split_part(name, ' ', 1)", "split_part(name, ' ', 2)"),
        Backend::Sqlite => (
            "substr(name, 1, instr(name, ' ') - 1)",
            "substr(name, instr(name, ' ') + 1)",
        ),
        Backend::Mysql => unreachable!("expand/contract is refused on MySQL"),
    };
    vec![
        Expand::rename_column("users", "name", "full_name"),
        Expand::change_type("users", "area", "area_num", "numeric(12,2)"),
        Expand::split("users", "name")
            .into_column("given", "text", first)
            .into_column("family", "text", last)
            .backward("given || ' ' || family"),
        Expand::merge(
            "users",
            &["given_name", "family_name"],
            "both_names",
            "text",
            "given_name || ' ' || family_name",
        )
        .backward_for("given_name", "given_name")
        .backward_for("family_name", "family_name"),
        Expand::set_not_null("users", "email").fill("''"),
    ]
}

/// 001 creates `users`; 002 expands `change`; 003 contracts it.
fn lint_pair(backend: Backend, change: Expand) -> LintReport {
    let (expand, undo) = (change.clone(), change.clone());
    let (contract, undo_contract) = (change.clone(), change);
    let set = MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            |op: &mut Ops| {
                op.sql(
                    "CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL, email TEXT, \
                     area DOUBLE PRECISION, given_name TEXT, family_name TEXT)",
                )
            },
            |op: &mut Ops| op.sql("DROP TABLE users"),
        ))
        .with(
            FnMigration::new(
                "002",
                &["001"],
                move |op: &mut Ops| op.expand(&expand),
                move |op: &mut Ops| op.undo_expand(&undo),
            )
            .non_transactional(),
        )
        .with(
            FnMigration::new(
                "003",
                &["002"],
                move |op: &mut Ops| op.contract(&contract),
                move |op: &mut Ops| op.undo_contract(&undo_contract),
            )
            .non_transactional(),
        );
    lint::lint_migrations(Migrator::new(set).unwrap().graph(), backend)
}

#[test]
fn an_expand_contract_pair_raises_no_alarm() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for change in changes(backend) {
            let name = change.name();
            let report = lint_pair(backend, change);
            let noisy: Vec<_> = report
                .unallowed()
                .filter(|f| f.severity > Severity::Info)
                .collect();
            assert!(noisy.is_empty(), "{backend} {name}:\n{}", report.to_text());
        }
    }
}

#[test]
fn a_plain_drop_of_the_same_column_still_fires() {
    let set = MigrationSet::new()
        .with(FnMigration::new(
            "001",
            &[],
            |op: &mut Ops| op.sql("CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT)"),
            |op: &mut Ops| op.sql("DROP TABLE users"),
        ))
        .with(FnMigration::new(
            "002",
            &["001"],
            |op: &mut Ops| op.sql("ALTER TABLE users DROP COLUMN name"),
            |op: &mut Ops| op.sql("ALTER TABLE users ADD COLUMN name TEXT"),
        ));
    let report = lint::lint_migrations(Migrator::new(set).unwrap().graph(), Backend::Postgres);
    assert!(
        report.unallowed().any(|f| f.rule == Rule::DropColumn),
        "{}",
        report.to_text()
    );
}
