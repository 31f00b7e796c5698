//! `revision --autogenerate` on a corpus of schema changes, on both
//! backends. For each case: generate the migration from the "before"
//! chain and the "after" schema; run it the way a compiled module runs
//! (its steps through the same `Ops` calls the Rust code makes) and, where
//! it can be written so, as the `.sql` migration `--format sql` writes
//! (through the `.sql` migration reader); upgrade, and find no drift from
//! the wanted schema; downgrade, and find none from the "before" one. The
//! Rust text must be rustfmt-clean.

mod corpus;
#[path = "../support/scratch_crate.rs"]
mod scratch_crate;

use std::path::Path;
use std::sync::Arc;

use arx_migrate::autogen::{
    head_schema, plan, read_schema, schema_from_sql, Call, Generated, Schema, Script, SqlFiles,
    DESTRUCTIVE_RULES,
};
use arx_migrate::check::{bookkeeping_tables, diff, ScratchDatabase, ScratchSource};
use arx_migrate::lint::{lint_migrations, Rule, UNFILLED_REASON};
use arx_migrate::testing::postgres_test_url;
use arx_migrate::{Backend, Migration, MigrationSet, Migrator, SqlMigration, SqlScript};
use corpus::{cases, Case};

const REVISION: &str = "autogen01";

fn sources() -> Vec<ScratchSource> {
    let mut sources = vec![ScratchSource::SqliteMemory];
    if let Some(url) = postgres_test_url("autogen corpus") {
        sources.push(ScratchSource::Postgres { url });
    }
    sources
}

/// A case ready to generate from: the chain, its head, both schemas.
struct Prepared {
    chain: Vec<Arc<dyn Migration>>,
    head_revision: String,
    head: Schema,
    wanted: Schema,
}

fn prepare(case: &Case, source: &ScratchSource) -> Result<Prepared, String> {
    let backend = source.backend();
    let migrator = if case.arxos {
        arx_schema::migrator().map_err(|e| e.to_string())?
    } else {
        let base = SqlMigration::new(
            "before",
            &[],
            SqlScript::new(case.before(backend)),
            Some(SqlScript::new("SELECT 1")),
        );
        Migrator::new(MigrationSet::new().with(base)).map_err(|e| e.to_string())?
    };
    let head = head_schema(&migrator, source).map_err(|e| format!("head: {e}"))?;
    let wanted = if case.arxos {
        let mut database = ScratchDatabase::create(source).map_err(|e| e.to_string())?;
        let connection = database.connection().map_err(|e| e.to_string())?;
        migrator
            .upgrade(connection, "heads")
            .map_err(|e| e.to_string())?;
        connection
            .execute(&case.after(backend))
            .map_err(|e| format!("after: {}", e.message))?;
        read_schema(connection, &bookkeeping_tables(&migrator)).map_err(|e| e.to_string())?
    } else {
        schema_from_sql(&case.after(backend), source, &[]).map_err(|e| format!("after: {e}"))?
    };
    Ok(Prepared {
        chain: migrator.graph().in_order().cloned().collect(),
        head_revision: migrator
            .graph()
            .single_head()
            .map_err(|e| e.to_string())?
            .to_string(),
        head,
        wanted,
    })
}

fn generate(case: &Case, prepared: &Prepared, backend: Backend) -> Result<Generated, String> {
    let steps = plan(&prepared.head, &prepared.wanted, &case.renames).map_err(|e| e.to_string())?;
    let graph =
        arx_migrate::RevisionGraph::new(prepared.chain.clone()).map_err(|e| e.to_string())?;
    Generated::new(
        &graph,
        REVISION,
        &format!("corpus {}", case.name),
        backend,
        steps,
    )
    .map_err(|e| e.to_string())?
    .ok_or_else(|| "no change detected".to_string())
}

fn no_drift(expected: &Schema, actual: &Schema, when: &str) -> Result<(), String> {
    let differences = diff(&expected.snapshot, &actual.snapshot);
    if !differences.is_empty() {
        let list: Vec<String> = differences.iter().map(|d| d.to_string()).collect();
        return Err(format!("{when}: drift:\n    {}", list.join("\n    ")));
    }
    if expected.extensions != actual.extensions {
        return Err(format!(
            "{when}: extensions {:?} != {:?}",
            actual.extensions, expected.extensions
        ));
    }
    Ok(())
}

/// Column order is part of the schema users see (`SELECT *`, `\d`,
/// `COPY`): a table the migration creates has its columns in `expected`'s
/// order, and columns it adds to a table keep their order among
/// themselves. (`start` is the schema the migration started from.)
fn column_order_kept(
    start: &Schema,
    expected: &Schema,
    actual: &Schema,
    when: &str,
) -> Result<(), String> {
    for (table, wanted) in &expected.column_order {
        let got = actual.column_order.get(table).cloned().unwrap_or_default();
        let (got, wanted) = match start.column_order.get(table) {
            None => (got, wanted.clone()),
            Some(had) => {
                let new = |columns: &[String]| -> Vec<String> {
                    columns
                        .iter()
                        .filter(|c| !had.contains(c))
                        .cloned()
                        .collect()
                };
                (new(&got), new(wanted))
            }
        };
        if got != wanted {
            return Err(format!(
                "{when}: the columns of {table} are in the order {got:?}, not {wanted:?}"
            ));
        }
    }
    Ok(())
}

/// What `check` does not compare: each index's definition as the database
/// keeps it (sort order, `NULLS FIRST`, operator classes, collations). On
/// SQLite, as written, compared without quotes, spaces or case.
fn index_definitions_kept(expected: &Schema, actual: &Schema, when: &str) -> Result<(), String> {
    let normal = |sql: &str| -> String {
        match expected.backend {
            Backend::Postgres => sql.to_string(),
            Backend::Mysql => panic!("the autogenerate corpus has no MySQL schemas"),
            Backend::Sqlite => sql
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '"')
                .collect::<String>()
                .to_lowercase(),
        }
    };
    for table in expected.snapshot.tables.values() {
        for index in table.indexes.keys() {
            let (Some(wanted), Some(got)) =
                (expected.create_sql.get(index), actual.create_sql.get(index))
            else {
                continue;
            };
            if normal(wanted) != normal(got) {
                return Err(format!("{when}: index {index} is `{got}`, not `{wanted}`"));
            }
        }
    }
    Ok(())
}

/// Upgrade, check against the wanted schema; downgrade, check against
/// the head's.
fn round_trip(
    migrations: MigrationSet,
    case: &Case,
    prepared: &Prepared,
    source: &ScratchSource,
) -> Result<(), String> {
    let probe = |connection: &mut dyn arx_migrate::Connection, sql: &Option<String>, when: &str| {
        match sql {
            Some(sql) => connection
                .execute(sql)
                .map_err(|e| format!("{when}, `{}` fails: {}", sql.trim(), e.message)),
            None => Ok(()),
        }
    };
    let migrator = Migrator::new(migrations).map_err(|e| e.to_string())?;
    let mut database = ScratchDatabase::create(source).map_err(|e| e.to_string())?;
    let connection = database.connection().map_err(|e| e.to_string())?;
    let exclude = bookkeeping_tables(&migrator);
    migrator
        .upgrade(connection, "heads")
        .map_err(|e| format!("upgrade: {e}"))?;
    let upgraded = read_schema(connection, &exclude).map_err(|e| e.to_string())?;
    no_drift(&prepared.wanted, &upgraded, "after the upgrade")?;
    column_order_kept(
        &prepared.head,
        &prepared.wanted,
        &upgraded,
        "after the upgrade",
    )?;
    index_definitions_kept(&prepared.wanted, &upgraded, "after the upgrade")?;
    probe(connection, &case.upgraded, "after the upgrade")?;
    migrator
        .downgrade(connection, &prepared.head_revision)
        .map_err(|e| format!("downgrade: {e}"))?;
    let downgraded = read_schema(connection, &exclude).map_err(|e| e.to_string())?;
    no_drift(&prepared.head, &downgraded, "after the downgrade")?;
    index_definitions_kept(&prepared.head, &downgraded, "after the downgrade")?;
    probe(connection, &case.downgraded, "after the downgrade")?;
    column_order_kept(
        &prepared.wanted,
        &prepared.head,
        &downgraded,
        "after the downgrade",
    )
}

fn chain_with(
    prepared: &Prepared,
    extra: impl IntoIterator<Item = Arc<dyn Migration>>,
) -> MigrationSet {
    let mut set = MigrationSet::new();
    for migration in prepared.chain.iter().cloned().chain(extra) {
        set.push(migration);
    }
    set
}

/// The `.sql` migration `--format sql` writes, read back by the reader
/// `sql_migrations!` and `from_sql_dir` use.
fn sql_migration(
    generated: &Generated,
    prepared: &Prepared,
    dir: &Path,
) -> Result<MigrationSet, String> {
    let files = generated.to_sql().map_err(|e| e.to_string())?;
    let folder = dir.join(format!("{REVISION}_corpus"));
    std::fs::create_dir_all(&folder).unwrap();
    let mut allow = String::new();
    if !files.transactional {
        allow.push_str(", transactional = false");
    }
    if !files.allow.is_empty() {
        allow.push_str(&format!(", {}", files.allow));
    }
    let header = format!(
        "-- arx-migrate: rev = \"{REVISION}\", down_rev = \"{}\"{allow}\n-- {}\n\n",
        prepared.head_revision, generated.message
    );
    // The options in the first up file, as the command line writes them.
    for (i, file) in files.up.files("up").into_iter().enumerate() {
        let header = if i == 0 {
            header.clone()
        } else {
            format!("-- {}\n\n", generated.message)
        };
        std::fs::write(folder.join(file.name), format!("{header}{}", file.sql)).unwrap();
    }
    for file in files.down.files("down") {
        std::fs::write(folder.join(file.name), file.sql).unwrap();
    }
    let read =
        MigrationSet::from_sql_dir(dir).map_err(|e| format!("reading the .sql files: {e}"))?;
    let migrations: Vec<Arc<dyn Migration>> = arx_migrate::MigrationSource::migrations(&read);
    Ok(chain_with(prepared, migrations))
}

/// What a module runs on one backend only (`op.postgres(…)`,
/// `op.sqlite(…)`) is in that backend's `.sql` files and not in the
/// other's, as in the module.
fn backend_only_sql_stays_in_its_files(
    generated: &Generated,
    files: &SqlFiles,
) -> Result<(), String> {
    let other = |backend| match backend {
        Backend::Postgres => Backend::Sqlite,
        Backend::Sqlite | Backend::Mysql => Backend::Postgres,
    };
    for step in &generated.steps {
        for (calls, script, direction) in [
            (&step.up, &files.up, "upgrade"),
            (&step.down, &files.down, "downgrade"),
        ] {
            for call in calls {
                let Call::Sql { backend, sql } = call else {
                    continue;
                };
                let sql = sql.trim().trim_end_matches(';');
                if !script.on(*backend).contains(sql) {
                    return Err(format!(
                        "the {direction}'s {backend} SQL lacks `{sql}`:\n{}",
                        script.on(*backend)
                    ));
                }
                if script.on(other(*backend)).contains(sql) {
                    return Err(format!(
                        "{backend}-only SQL `{sql}` is in the {direction} that runs on {}:\n{}",
                        other(*backend),
                        script.on(other(*backend))
                    ));
                }
            }
        }
    }
    Ok(())
}

/// rustfmt-clean, and within rustfmt's width: `rustfmt --check` passes a
/// line it cannot break (a long string literal, an attribute), so the
/// width is checked too.
fn rustfmt_clean(text: &str) -> Result<(), String> {
    if let Some(line) = text.lines().find(|l| l.chars().count() > 100) {
        return Err(format!(
            "a line is wider than rustfmt's 100 columns:\n{line}"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.rs");
    std::fs::write(&file, text).unwrap();
    let output = std::process::Command::new("rustfmt")
        .args(["--edition", "2021", "--check"])
        .arg(&file)
        .output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "not rustfmt-clean:\n{}",
            String::from_utf8_lossy(&output.stdout)
        ))
    }
}

/// What one case on one backend did: the SQL path taken or why not.
fn run_case(case: &Case, source: &ScratchSource) -> Result<bool, String> {
    let backend = source.backend();
    let prepared = prepare(case, source)?;
    let generated = generate(case, &prepared, backend)?;
    let rust = generated.to_rust("arx-migrate");
    rustfmt_clean(&rust)?;
    round_trip(
        chain_with(
            &prepared,
            [Arc::new(generated.clone()) as Arc<dyn Migration>],
        ),
        case,
        &prepared,
        source,
    )
    .map_err(|e| format!("{e}\n--- module ---\n{rust}"))?;
    match generated.to_sql() {
        Ok(files) => {
            backend_only_sql_stays_in_its_files(&generated, &files)?;
            let dir = tempfile::tempdir().unwrap();
            let set = sql_migration(&generated, &prepared, dir.path())?;
            round_trip(set, case, &prepared, source).map_err(|e| format!(".sql: {e}"))?;
            Ok(true)
        }
        // Only an SQLite rebuild has no plain SQL; it says what to do.
        Err(error) if backend == Backend::Sqlite && error.to_string().contains("--format rust") => {
            Ok(false)
        }
        Err(error) => Err(format!("--format sql: {error}")),
    }
}

/// How many cases run at once: each waits mostly on its scratch
/// databases (created, migrated and dropped on the server), so a few
/// threads overlap that waiting.
const CASE_THREADS: usize = 4;

/// Runs `cases` on a few threads; the outcomes in the cases' order.
fn run_cases(cases: &[&Case], source: &ScratchSource) -> Vec<Result<bool, String>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let outcomes = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..CASE_THREADS {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(case) = cases.get(index) else {
                    break;
                };
                let outcome = run_case(case, source);
                outcomes.lock().unwrap().push((index, outcome));
            });
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap();
    outcomes.sort_by_key(|(index, _)| *index);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

#[test]
fn every_corpus_case_round_trips_without_drift() {
    let cases = cases();
    let mut failures = Vec::new();
    for source in sources() {
        let backend = source.backend();
        let mut ran = 0;
        let mut sql_too = 0;
        let mine: Vec<&Case> = cases
            .iter()
            .filter(|c| c.backends.contains(&backend))
            .collect();
        for (case, outcome) in mine.iter().zip(run_cases(&mine, &source)) {
            match outcome {
                Ok(sql) => {
                    ran += 1;
                    sql_too += usize::from(sql);
                }
                Err(error) => failures.push(format!("{} on {backend}: {error}", case.name)),
            }
        }
        eprintln!("{backend}: {ran} cases round-trip ({sql_too} also as .sql migrations)");
        assert!(
            cases
                .iter()
                .filter(|c| c.backends.contains(&backend))
                .count()
                >= 30,
            "the corpus has fewer than 30 cases for {backend}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A PostgreSQL-only index (`USING gin`, `INCLUDE`) is written in
/// `up.postgres.sql` only, as `op.postgres(…)` runs on PostgreSQL only:
/// the folder loads and round-trips on PostgreSQL, and SQLite's up file
/// holds none of it and runs there (creating nothing, as the module).
#[test]
fn postgres_only_indexes_go_to_the_postgres_file_only() {
    let Some(url) = postgres_test_url("postgres_only_indexes_go_to_the_postgres_file_only") else {
        return;
    };
    let source = ScratchSource::Postgres { url };
    let case = case("64-postgres-only-indexes");
    let prepared = prepare(&case, &source).unwrap();
    let generated = generate(&case, &prepared, Backend::Postgres).unwrap();
    let files = generated.to_sql().unwrap();
    let names = |script: &Script, stem: &str| -> Vec<String> {
        script.files(stem).into_iter().map(|f| f.name).collect()
    };
    assert_eq!(names(&files.up, "up"), ["up.postgres.sql", "up.sqlite.sql"]);
    let postgres = files.up.on(Backend::Postgres);
    assert!(postgres.contains("USING gin (tags)"), "{postgres}");
    assert!(postgres.contains("INCLUDE (name)"), "{postgres}");
    let sqlite = files.up.on(Backend::Sqlite);
    for postgres_only in ["gin", "INCLUDE", "CREATE INDEX"] {
        assert!(!sqlite.contains(postgres_only), "{sqlite}");
    }
    assert!(sqlite.contains("-- Nothing on SQLite"), "{sqlite}");
    // Dropping an index is the same call on both backends, but PostgreSQL
    // drops an index of a table in use CONCURRENTLY.
    assert_eq!(
        names(&files.down, "down"),
        ["down.postgres.sql", "down.sqlite.sql"]
    );
    let down = files.down.on(Backend::Postgres);
    assert!(down.contains("DROP INDEX CONCURRENTLY"), "{down}");

    let dir = tempfile::tempdir().unwrap();
    let set = sql_migration(&generated, &prepared, dir.path()).unwrap();
    round_trip(set, &case, &prepared, &source).unwrap();

    let read = MigrationSet::from_sql_dir(dir.path()).unwrap();
    let base = SqlMigration::new(
        "before",
        &[],
        SqlScript::new(case.before(Backend::Sqlite)),
        Some(SqlScript::new("SELECT 1")),
    );
    let mut set = MigrationSet::new().with(base);
    for migration in arx_migrate::MigrationSource::migrations(&read) {
        set.push(migration);
    }
    let migrator = Migrator::new(set).unwrap();
    let mut database = ScratchDatabase::create(&ScratchSource::SqliteMemory).unwrap();
    let connection = database.connection().unwrap();
    migrator.upgrade(connection, "heads").unwrap();
    let indexes = connection
        .query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rooms'")
        .unwrap();
    assert!(indexes.is_empty(), "{indexes:?}");
}

fn case(name: &str) -> Case {
    cases().into_iter().find(|c| c.name == name).unwrap()
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let case = case("20-drop-table");
    let source = ScratchSource::SqliteMemory;
    let texts: Vec<(String, SqlFiles)> = (0..2)
        .map(|_| {
            let prepared = prepare(&case, &source).unwrap();
            let generated = generate(&case, &prepared, Backend::Sqlite).unwrap();
            (
                generated.to_rust("arx-migrate"),
                generated.to_sql().unwrap(),
            )
        })
        .collect();
    assert_eq!(texts[0], texts[1]);
}

#[test]
fn no_difference_means_no_migration() {
    let source = ScratchSource::SqliteMemory;
    let case = case("01-add-table");
    let prepared = prepare(&case, &source).unwrap();
    let steps = plan(&prepared.head, &prepared.head, &[]).unwrap();
    assert!(steps.is_empty());
    let graph = arx_migrate::RevisionGraph::new(prepared.chain.clone()).unwrap();
    assert!(
        Generated::new(&graph, REVISION, "nothing", Backend::Sqlite, steps)
            .unwrap()
            .is_none()
    );
}

/// Lint blocks a destructive step until its reason is filled in; the
/// other findings are allowed as generated.
#[test]
fn lint_blocks_destructive_steps_until_a_reason_is_given() {
    let source = ScratchSource::SqliteMemory;
    let case = case("20-drop-table");
    let prepared = prepare(&case, &source).unwrap();
    let mut generated = generate(&case, &prepared, Backend::Sqlite).unwrap();
    assert!(generated.needs_review());
    assert!(generated.allow.contains(&("drop-table", UNFILLED_REASON)));
    let blocking = |generated: &Generated| {
        let mut migrations = prepared.chain.clone();
        migrations.push(Arc::new(generated.clone()));
        let graph = arx_migrate::RevisionGraph::new(migrations).unwrap();
        lint_migrations(&graph, Backend::Sqlite)
            .findings
            .into_iter()
            .filter(|f| f.revision == REVISION && f.is_blocking())
            .map(|f| f.rule)
            .collect::<Vec<_>>()
    };
    let found = blocking(&generated);
    assert!(found.contains(&Rule::InvalidAllow), "{found:?}");
    assert!(found.contains(&Rule::DropTable), "{found:?}");
    for (rule, reason) in generated.allow.iter_mut() {
        if DESTRUCTIVE_RULES.contains(rule) {
            *reason = "the table was archived to the warehouse in #42";
        }
    }
    assert_eq!(blocking(&generated), Vec::new());

    // A change that destroys nothing passes lint as written.
    let case = self::case("11-add-index");
    let prepared = prepare(&case, &source).unwrap();
    let generated = generate(&case, &prepared, Backend::Sqlite).unwrap();
    assert!(!generated.needs_review());
    let mut migrations = prepared.chain.clone();
    migrations.push(Arc::new(generated));
    let graph = arx_migrate::RevisionGraph::new(migrations).unwrap();
    let report = lint_migrations(&graph, Backend::Sqlite);
    let blocking: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.revision == REVISION && f.is_blocking())
        .collect();
    assert!(blocking.is_empty(), "{blocking:?}");
}

/// Generated modules compile, without a warning: those of cases that use
/// every kind of call, written into a scratch crate that depends on this
/// workspace, built once with the workspace's target directory.
#[test]
fn generated_modules_compile() {
    let mut modules = Vec::new();
    let picked = [
        "01-add-table",
        "09-change-and-drop-defaults",
        "10-type-nullability-default-together",
        "11-add-index",
        "19-foreign-key-action",
        "20-drop-table",
        "21-add-check",
        "23-add-unique-constraint",
        "24-drop-unique-constraint",
        "25-change-primary-key",
        "28-rename-table",
        "29-rename-column",
        "34-add-trigger",
        "37-sequence",
        "40-extension",
        "44-arxos-new-table-fk-gist",
    ];
    for source in sources() {
        let backend = source.backend();
        for name in picked {
            let case = case(name);
            if !case.backends.contains(&backend) {
                continue;
            }
            let prepared = prepare(&case, &source).unwrap();
            let mut generated = generate(&case, &prepared, backend).unwrap();
            generated.revision = format!("c{:02}", modules.len());
            modules.push((
                format!("m{}_{backend}", name.replace('-', "_")),
                generated.to_rust("arx-migrate"),
            ));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    scratch_crate::write_manifest(root, "autogen_compiles", &[]);
    std::fs::create_dir_all(root.join("src/migrations")).unwrap();
    std::fs::write(
        root.join("src/lib.rs"),
        "//! Generated.\n\npub mod migrations;\n",
    )
    .unwrap();
    let mut listing = String::from("//! Generated modules.\n\n");
    for (module, text) in &modules {
        std::fs::write(root.join(format!("src/migrations/{module}.rs")), text).unwrap();
        listing.push_str(&format!("pub mod {module};\n"));
    }
    std::fs::write(root.join("src/migrations/mod.rs"), listing).unwrap();
    scratch_crate::assert_builds(root, "the generated modules");
    eprintln!("{} generated modules compile", modules.len());
}

/// On PostgreSQL, changes to a table an earlier revision created take the
/// forms that let writes go on, and the revision passes lint with nothing
/// to allow: `NOT NULL` through `set_not_null`, a foreign key and a CHECK
/// added `NOT VALID` then validated, an index and a unique constraint
/// built concurrently; the revision is `transactional = false` and waits
/// at most 5 s for each lock. It round-trips (in the corpus test); here,
/// also with a row that breaks nothing. On SQLite the same cases keep the
/// plain calls in one transaction.
#[test]
fn changes_to_existing_postgres_tables_take_the_safe_forms() {
    let Some(url) = postgres_test_url("changes_to_existing_postgres_tables_take_the_safe_forms")
    else {
        return;
    };
    let postgres = ScratchSource::Postgres { url };
    let expected: [(&str, &[&str]); 5] = [
        (
            "06-set-not-null",
            &["op.set_not_null(\"rooms\", \"name\")?;"],
        ),
        (
            "17-add-foreign-key",
            &[
                "op.add_foreign_key_not_valid(&key)?;",
                "op.validate_constraint(",
            ],
        ),
        (
            "21-add-check",
            &["op.add_check_not_valid(", "op.validate_constraint("],
        ),
        ("11-add-index", &["op.create_index(&index)?;"]),
        ("23-add-unique-constraint", &["op.add_unique("]),
    ];
    for (name, calls) in expected {
        let case = case(name);
        let prepared = prepare(&case, &postgres).unwrap();
        let generated = generate(&case, &prepared, Backend::Postgres).unwrap();
        let rust = generated.to_rust("arx-migrate");
        assert!(!generated.transactional, "{name}:\n{rust}");
        assert!(generated.allow.is_empty(), "{name}:\n{rust}");
        assert!(rust.contains("transactional = false"), "{name}:\n{rust}");
        for call in calls {
            assert!(rust.contains(call), "{name}: {call} is missing:\n{rust}");
        }
        let migrator = Migrator::new(chain_with(
            &prepared,
            [Arc::new(generated.clone()) as Arc<dyn Migration>],
        ))
        .unwrap();
        // Nothing blocks, and none of the rules the plain forms break (or
        // a missing lock timeout) is reported; a foreign key without an
        // index is the case's own warning.
        let report = lint_migrations(migrator.graph(), Backend::Postgres);
        let unsafe_forms = [
            Rule::AddingForeignKeyConstraint,
            Rule::ConstraintMissingNotValid,
            Rule::AddingNotNullableField,
            Rule::IndexNotConcurrent,
            Rule::RequireConcurrentIndexDeletion,
            Rule::DisallowedUniqueConstraint,
            Rule::BanConcurrentIndexCreationInTransaction,
            Rule::MissingLockTimeout,
        ];
        assert!(
            report
                .findings
                .iter()
                .filter(|f| f.revision == REVISION)
                .all(|f| !f.is_blocking() && !unsafe_forms.contains(&f.rule)),
            "{name}:\n{}",
            report.to_text()
        );

        let sqlite = prepare(&case, &ScratchSource::SqliteMemory).unwrap();
        let plain = generate(&case, &sqlite, Backend::Sqlite).unwrap();
        assert!(plain.transactional && !plain.lock_timeout, "{name}");
    }

    // A row that keeps NOT NULL: the check goes, the column is NOT NULL.
    let case = case("06-set-not-null");
    let prepared = prepare(&case, &postgres).unwrap();
    let generated = generate(&case, &prepared, Backend::Postgres).unwrap();
    let migrator = Migrator::new(chain_with(
        &prepared,
        [Arc::new(generated) as Arc<dyn Migration>],
    ))
    .unwrap();
    let mut database = ScratchDatabase::create(&postgres).unwrap();
    let connection = database.connection().unwrap();
    migrator.upgrade(connection, "before").unwrap();
    connection
        .execute("INSERT INTO rooms (id, name) VALUES (1, 'hall')")
        .unwrap();
    migrator.upgrade(connection, "heads").unwrap();
    let left = connection
        .query("SELECT conname FROM pg_constraint WHERE conname = 'rooms_name_not_null'")
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
    assert!(connection
        .execute("INSERT INTO rooms (id) VALUES (2)")
        .is_err());
    migrator.downgrade(connection, "before").unwrap();
    connection
        .execute("INSERT INTO rooms (id) VALUES (2)")
        .unwrap();
}
