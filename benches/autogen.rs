//! `revision --autogenerate` against the Arxos head, beside `check` on the
//! same database in the same run (ratios are what we compare).
//!
//! ```sh
//! ARX_MIGRATE_TEST_PG=postgresql://postgres@127.0.0.1:5432/postgres \
//!   cargo bench --features verify,testing --bench autogen
//! ```
//!
//! The database is the Arxos head with a table added (`sensors`, with a
//! foreign key to `rooms` and, on PostgreSQL, a GIST index). Both measured
//! calls replay the Arxos chain on a scratch database and introspect two
//! schemas:
//! - `check` (the baseline): the live schema against the replayed one;
//! - `autogenerate`: the replayed head and the live schema, the steps
//!   between them, lint over the chain with the new migration, and the
//!   Rust module written.

use arx_migrate::autogen::{head_schema, plan, read_schema, Generated};
use arx_migrate::check::{bookkeeping_tables, check, ScratchSource};
use arx_migrate::testing::{PgTestDatabase, TEST_PG_ENV};
use arx_migrate::{Connection, Migrator};
use criterion::{criterion_group, criterion_main, Criterion};

const SQLITE_CHANGE: &str = "CREATE TABLE sensors (id varchar(64) PRIMARY KEY, room_id varchar(64) NOT NULL REFERENCES rooms (id) ON DELETE CASCADE, kind text NOT NULL);
CREATE INDEX idx_sensors_room_id ON sensors (room_id);";

const POSTGRES_CHANGE: &str = "CREATE TABLE sensors (id varchar(64) PRIMARY KEY, room_id varchar(64) NOT NULL REFERENCES rooms (id) ON DELETE CASCADE, kind text NOT NULL, location geometry(Point, 4326));
CREATE INDEX idx_sensors_location ON sensors USING gist (location);
CREATE INDEX idx_sensors_room_id ON sensors (room_id);";

fn autogenerate(
    migrator: &Migrator,
    connection: &mut dyn Connection,
    scratch: &ScratchSource,
) -> String {
    let head = head_schema(migrator, scratch).unwrap();
    let wanted = read_schema(connection, &bookkeeping_tables(migrator)).unwrap();
    let steps = plan(&head, &wanted, &[]).unwrap();
    let generated = Generated::new(
        migrator.graph(),
        "bench01",
        "bench",
        scratch.backend(),
        steps,
    )
    .unwrap()
    .expect("a change");
    generated.to_rust("arx-migrate")
}

fn measure(
    c: &mut Criterion,
    name: &str,
    connection: &mut dyn Connection,
    scratch: &ScratchSource,
) {
    let migrator = arx_schema::migrator().unwrap();
    let mut group = c.benchmark_group(format!("autogenerate on the Arxos head ({name})"));
    group.sample_size(10);
    group.bench_function("check (baseline)", |b| {
        b.iter(|| assert!(!check(&migrator, connection, scratch).unwrap().is_clean()))
    });
    group.bench_function("autogenerate", |b| {
        b.iter(|| autogenerate(&migrator, connection, scratch))
    });
    group.finish();
}

fn sqlite(c: &mut Criterion) {
    let migrator = arx_schema::migrator().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut conn = rusqlite::Connection::open(dir.path().join("bench.db")).unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    conn.execute_batch(SQLITE_CHANGE).unwrap();
    measure(c, "sqlite", &mut conn, &ScratchSource::SqliteMemory);
}

fn postgres(c: &mut Criterion) {
    let Ok(server) = std::env::var(TEST_PG_ENV) else {
        eprintln!("PostgreSQL benchmarks skipped: set {TEST_PG_ENV}");
        return;
    };
    let migrator = arx_schema::migrator().unwrap();
    let db = PgTestDatabase::create(&server).unwrap();
    let mut client = db.connect().unwrap();
    migrator.upgrade(&mut client, "head").unwrap();
    client.batch_execute(POSTGRES_CHANGE).unwrap();
    measure(
        c,
        "postgres",
        &mut client,
        &ScratchSource::Postgres { url: server },
    );
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
