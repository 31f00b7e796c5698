//! The five changes of issue 22, each in three variants: naive (the plain
//! statement), hand-written safe SQL (the physical limit), and through
//! arx-migrate's `Ops` calls in a `Migrator` run.

use std::time::{Duration, Instant};

use arx_migrate::sea_query::{ColumnDef, ForeignKey, Index};
use arx_migrate::{
    Backfill, Expand, FnMigration, LockRetry, MigrationSet, Migrator, Ops, Progress,
};
use postgres::error::SqlState;

type BoxError = Box<dyn std::error::Error>;

/// The `lock_timeout` of the safe variants (hand-written and calls): under
/// the writers' 2 s `statement_timeout`, so a writer queued behind a
/// waiting `ALTER` is released before its own timeout.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(1);

/// How long the rename's variants leave between the deploy of the code
/// that uses the new name and what follows it (the contract, or for the
/// naive variant the deploy comes this long after the rename): in-flight
/// requests of the old code drain meanwhile.
const DEPLOY_DRAIN: Duration = Duration::from_secs(1);

/// Rows per batch of the hand-written backfills (the figure).
const HAND_BATCH: i64 = 10_000;

/// A change to the busy table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `items.parent_id` references `parents.id`.
    ForeignKey,
    /// `items.score`, NOT NULL, filled from `parent_id` (which the
    /// writers never change, so the filled values can be checked).
    NotNullBackfill,
    /// `items.code` unique.
    Unique,
    /// An index on `items.qty`.
    Index,
    /// `items.note` becomes `items.remark` while the code moves over.
    Rename,
}

impl Change {
    /// All, in the order of the report.
    pub const ALL: [Change; 5] = [
        Change::ForeignKey,
        Change::NotNullBackfill,
        Change::Unique,
        Change::Index,
        Change::Rename,
    ];

    /// The name in the report and in `ARX_BENCH_CHANGES`.
    pub fn name(self) -> &'static str {
        match self {
            Change::ForeignKey => "foreign-key",
            Change::NotNullBackfill => "not-null-backfill",
            Change::Unique => "unique",
            Change::Index => "index",
            Change::Rename => "rename",
        }
    }
}

/// How the change is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The plain statements, no `lock_timeout`.
    Naive,
    /// The safe SQL by hand, with `lock_timeout` and retries.
    HandSafe,
    /// `Ops` calls run by a `Migrator` with `lock_retries`.
    Calls,
    /// The same calls, the backfill's batches held to the hand-written
    /// ones' 10,000 rows (`Backfill::batch_size`): what the defaults'
    /// larger batches cost the writers. Only for the changes with a
    /// backfill.
    CallsHandBatches,
}

impl Variant {
    /// All, in the order of the report.
    pub const ALL: [Variant; 4] = [
        Variant::Naive,
        Variant::HandSafe,
        Variant::Calls,
        Variant::CallsHandBatches,
    ];

    /// The name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Naive => "naive",
            Variant::HandSafe => "hand-written safe",
            Variant::Calls => "arx-migrate calls",
            Variant::CallsHandBatches => "calls, 10k-row batches",
        }
    }
}

/// What a variant's run reports besides its duration.
#[derive(Debug, Default)]
pub struct Made {
    /// Statements retried after a lock timeout.
    pub lock_retries: u32,
}

/// Whether the variant is one of the change's (the 10k-row batches only
/// where there is a backfill).
pub fn applies(change: Change, variant: Variant) -> bool {
    variant != Variant::CallsHandBatches
        || matches!(change, Change::NotNullBackfill | Change::Rename)
}

/// Makes `change` the `variant` way on the database of `client` (at
/// `url`).
pub fn make(
    change: Change,
    variant: Variant,
    client: &mut postgres::Client,
) -> Result<Made, BoxError> {
    match variant {
        Variant::Naive => naive(change, client).map(|()| Made::default()),
        Variant::HandSafe => hand_safe(change, client),
        Variant::Calls => through_calls(change, false, client),
        Variant::CallsHandBatches => through_calls(change, true, client),
    }
}

/// Whether a change is made again and again in one load until its
/// windows add up to a few seconds (those that take well under a second
/// at 1M rows, whose single window holds too few transactions for a
/// 99th percentile).
pub fn repeatable(change: Change) -> bool {
    matches!(change, Change::ForeignKey | Change::Unique | Change::Index)
}

/// Takes a repeatable change away again (outside the measured windows).
pub fn undo(
    change: Change,
    variant: Variant,
    client: &mut postgres::Client,
) -> Result<(), BoxError> {
    if matches!(variant, Variant::Calls | Variant::CallsHandBatches) {
        calls_migrator(change, false)?.downgrade(client, "base")?;
        return Ok(());
    }
    let mut made = Made::default();
    let sql = match change {
        Change::ForeignKey => "ALTER TABLE items DROP CONSTRAINT items_parent_fk",
        Change::Unique => "ALTER TABLE items DROP CONSTRAINT items_code_key",
        Change::Index => "DROP INDEX CONCURRENTLY items_qty_idx",
        Change::NotNullBackfill | Change::Rename => {
            return Err(format!("{} is not made twice", change.name()).into())
        }
    };
    client.batch_execute(&format!("SET lock_timeout = {}", LOCK_TIMEOUT.as_millis()))?;
    with_lock_retries(client, sql, None, &mut made)
}

fn naive(change: Change, client: &mut postgres::Client) -> Result<(), BoxError> {
    match change {
        Change::ForeignKey => client.batch_execute(
            "ALTER TABLE items ADD CONSTRAINT items_parent_fk FOREIGN KEY (parent_id) REFERENCES parents (id)",
        )?,
        Change::NotNullBackfill => {
            client.batch_execute("ALTER TABLE items ADD COLUMN score INTEGER NOT NULL DEFAULT 0")?;
            client.batch_execute("UPDATE items SET score = parent_id * 2")?;
        }
        Change::Unique => client
            .batch_execute("ALTER TABLE items ADD CONSTRAINT items_code_key UNIQUE (code)")?,
        Change::Index => client.batch_execute("CREATE INDEX items_qty_idx ON items (qty)")?,
        Change::Rename => {
            client.batch_execute("ALTER TABLE items RENAME COLUMN note TO remark")?;
            // The new code reaches the servers after a deploy; until then
            // the old code's statements fail.
            std::thread::sleep(DEPLOY_DRAIN);
            client.batch_execute("UPDATE bench_code SET col = 'remark'")?;
        }
    }
    Ok(())
}

/// Runs `sql` (one statement, autocommit) under [`LOCK_TIMEOUT`]; on a
/// lock timeout runs `cleanup` (if any), pauses and tries again: 100 ms,
/// doubling up to 2 s, ten attempts in all. Counts the retries.
fn with_lock_retries(
    client: &mut postgres::Client,
    sql: &str,
    cleanup: Option<&str>,
    made: &mut Made,
) -> Result<(), BoxError> {
    let mut pause = Duration::from_millis(100);
    for attempt in 1.. {
        match client.batch_execute(sql) {
            Ok(()) => return Ok(()),
            Err(error) if error.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) && attempt < 10 => {
                made.lock_retries += 1;
                if let Some(cleanup) = cleanup {
                    client.batch_execute(cleanup)?;
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            Err(error) => return Err(format!("{sql}: {error}").into()),
        }
    }
    unreachable!("the loop returns by its tenth attempt")
}

/// `UPDATE items SET <set> WHERE id in a range`, 10,000 ids at a time,
/// each batch committed on its own, up to the largest id when it started.
fn batched_update(client: &mut postgres::Client, set: &str) -> Result<(), BoxError> {
    let last: i64 = client
        .query_one("SELECT COALESCE(max(id), 0) FROM items", &[])?
        .get(0);
    let statement = client.prepare(&format!(
        "UPDATE items SET {set} WHERE id > $1 AND id <= $2"
    ))?;
    let mut from = 0;
    while from < last {
        client.execute(&statement, &[&from, &(from + HAND_BATCH)])?;
        from += HAND_BATCH;
    }
    Ok(())
}

fn hand_safe(change: Change, client: &mut postgres::Client) -> Result<Made, BoxError> {
    let mut made = Made::default();
    client.batch_execute(&format!("SET lock_timeout = {}", LOCK_TIMEOUT.as_millis()))?;
    let mut run =
        |client: &mut postgres::Client, sql: &str| with_lock_retries(client, sql, None, &mut made);
    match change {
        Change::ForeignKey => {
            run(client, "ALTER TABLE items ADD CONSTRAINT items_parent_fk FOREIGN KEY (parent_id) REFERENCES parents (id) NOT VALID")?;
            run(
                client,
                "ALTER TABLE items VALIDATE CONSTRAINT items_parent_fk",
            )?;
        }
        Change::NotNullBackfill => {
            run(
                client,
                "ALTER TABLE items ADD COLUMN score INTEGER DEFAULT 0",
            )?;
            batched_update(client, "score = parent_id * 2")?;
            run(client, "ALTER TABLE items ADD CONSTRAINT items_score_not_null CHECK (score IS NOT NULL) NOT VALID")?;
            run(
                client,
                "ALTER TABLE items VALIDATE CONSTRAINT items_score_not_null",
            )?;
            run(client, "ALTER TABLE items ALTER COLUMN score SET NOT NULL")?;
            run(
                client,
                "ALTER TABLE items DROP CONSTRAINT items_score_not_null",
            )?;
        }
        Change::Unique => {
            with_lock_retries(
                client,
                "CREATE UNIQUE INDEX CONCURRENTLY items_code_key ON items (code)",
                Some("DROP INDEX CONCURRENTLY IF EXISTS items_code_key"),
                &mut made,
            )?;
            with_lock_retries(
                client,
                "ALTER TABLE items ADD CONSTRAINT items_code_key UNIQUE USING INDEX items_code_key",
                None,
                &mut made,
            )?;
        }
        Change::Index => with_lock_retries(
            client,
            "CREATE INDEX CONCURRENTLY items_qty_idx ON items (qty)",
            Some("DROP INDEX CONCURRENTLY IF EXISTS items_qty_idx"),
            &mut made,
        )?,
        Change::Rename => {
            // Expand: the new column, kept equal to the old one in both
            // directions while old and new code run, then filled.
            run(client, "ALTER TABLE items ADD COLUMN remark TEXT")?;
            run(
                client,
                "CREATE FUNCTION items_note_remark_sync() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     IF TG_OP = 'INSERT' THEN
                         IF NEW.remark IS NULL THEN NEW.remark := NEW.note;
                         ELSIF NEW.note IS NULL THEN NEW.note := NEW.remark;
                         END IF;
                     ELSIF NEW.note IS DISTINCT FROM OLD.note THEN NEW.remark := NEW.note;
                     ELSIF NEW.remark IS DISTINCT FROM OLD.remark THEN NEW.note := NEW.remark;
                     END IF;
                     RETURN NEW;
                 END $$",
            )?;
            run(client, "CREATE TRIGGER items_note_remark_sync BEFORE INSERT OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION items_note_remark_sync()")?;
            batched_update(client, "remark = note")?;
            deploy_new_code(client)?;
            // Contract.
            run(client, "DROP TRIGGER items_note_remark_sync ON items")?;
            run(client, "DROP FUNCTION items_note_remark_sync()")?;
            run(client, "ALTER TABLE items DROP COLUMN note")?;
        }
    }
    Ok(made)
}

/// The migration of `change` as `Ops` calls, with its downgrade, run with
/// lock retries under [`LOCK_TIMEOUT`].
fn calls_migrator(change: Change, hand_batches: bool) -> Result<Migrator, BoxError> {
    type Step = fn(&mut Ops<'_>) -> arx_migrate::Result<()>;
    let (upgrade, downgrade): (Step, Step) = match (change, hand_batches) {
        (Change::ForeignKey, _) => (
            |op| {
                op.add_foreign_key_not_valid(
                    ForeignKey::create()
                        .name("items_parent_fk")
                        .from("items", "parent_id")
                        .to("parents", "id"),
                )?;
                op.validate_constraint("items", "items_parent_fk")
            },
            |op| op.drop_foreign_key("items", "items_parent_fk"),
        ),
        (Change::NotNullBackfill, false) => (
            |op| {
                op.add_column("items", ColumnDef::new("score").integer().default(0))?;
                op.backfill(Backfill::new("items").set("score", "parent_id * 2"))?;
                op.set_not_null("items", "score")
            },
            |op| op.drop_column("items", "score"),
        ),
        (Change::NotNullBackfill, true) => (
            |op| {
                op.add_column("items", ColumnDef::new("score").integer().default(0))?;
                op.backfill(
                    Backfill::new("items")
                        .set("score", "parent_id * 2")
                        .batch_size(HAND_BATCH as u64, HAND_BATCH as u64, HAND_BATCH as u64),
                )?;
                op.set_not_null("items", "score")
            },
            |op| op.drop_column("items", "score"),
        ),
        (Change::Unique, _) => (
            |op| op.add_unique("items", "items_code_key", &["code"]),
            |op| op.drop_unique("items", "items_code_key"),
        ),
        (Change::Index, _) => (
            |op| {
                op.create_index(
                    Index::create()
                        .name("items_qty_idx")
                        .table("items")
                        .col("qty"),
                )
            },
            |op| op.drop_index("items_qty_idx"),
        ),
        (Change::Rename, _) => {
            let renamed = move || {
                let change = Expand::rename_column("items", "note", "remark");
                if hand_batches {
                    change.batch_size(HAND_BATCH as u64, HAND_BATCH as u64, HAND_BATCH as u64)
                } else {
                    change
                }
            };
            let migrations = MigrationSet::new()
                .with(
                    FnMigration::new(
                        EXPAND_REVISION,
                        &[],
                        move |op| op.expand(&renamed()),
                        move |op| op.undo_expand(&renamed()),
                    )
                    .non_transactional(),
                )
                .with(
                    FnMigration::new(
                        "002",
                        &[EXPAND_REVISION],
                        move |op| op.contract(&renamed()),
                        move |op| op.undo_contract(&renamed()),
                    )
                    .non_transactional(),
                );
            return retrying(Migrator::new(migrations)?);
        }
    };
    let migrations = MigrationSet::new()
        .with(FnMigration::new("001", &[], upgrade, downgrade).non_transactional());
    retrying(Migrator::new(migrations)?)
}

/// `migrator` with lock retries under [`LOCK_TIMEOUT`], ten attempts.
fn retrying(migrator: Migrator) -> Result<Migrator, BoxError> {
    Ok(migrator.lock_retries(
        LockRetry::new()
            .timeout(LOCK_TIMEOUT)
            .attempts(10)
            .max_wait(Duration::from_secs(2)),
    ))
}

fn through_calls(
    change: Change,
    hand_batches: bool,
    client: &mut postgres::Client,
) -> Result<Made, BoxError> {
    let migrator = calls_migrator(change, hand_batches)?;
    let mut made = Made::default();
    let mut count_retries = |event: Progress<'_>| {
        if let Progress::LockRetry(_) = event {
            made.lock_retries += 1;
        }
    };
    if change == Change::Rename {
        // The expand revision, the deploy, then the contract revision.
        migrator.upgrade_with_progress(client, EXPAND_REVISION, &mut count_retries)?;
        deploy_new_code(client)?;
    }
    migrator.upgrade_with_progress(client, "head", &mut count_retries)?;
    Ok(made)
}

/// The rename's expand revision, in the calls variant (its contract is
/// the head).
const EXPAND_REVISION: &str = "001";

/// The code that uses `items.remark` reaches the servers; the old code's
/// requests in flight drain.
fn deploy_new_code(client: &mut postgres::Client) -> Result<(), BoxError> {
    client.batch_execute("UPDATE bench_code SET col = 'remark'")?;
    std::thread::sleep(DEPLOY_DRAIN);
    Ok(())
}

/// Times `make`.
pub fn timed(
    change: Change,
    variant: Variant,
    client: &mut postgres::Client,
) -> Result<(Made, Duration), BoxError> {
    let started = Instant::now();
    let made = make(change, variant, client)?;
    Ok((made, started.elapsed()))
}
