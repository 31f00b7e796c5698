//! What hooks and metrics add to the startup case (a database already at
//! head), beside the same call without them, measured in the same run.
//!
//! ```sh
//! ARX_MIGRATE_TEST_PG=postgresql://postgres@127.0.0.1:5432/postgres cargo bench --bench observe --features metrics,testing
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arx_migrate::observe::{Hooks, RunInfo};
use arx_migrate::testing::{fresh_postgres, TEST_PG_ENV};
use arx_migrate::Report;
use criterion::{criterion_group, criterion_main, Criterion};
use metrics_exporter_prometheus::PrometheusBuilder;

/// Counts the runs it sees: a hook that does almost nothing.
#[derive(Clone, Default)]
struct CountRuns(Arc<AtomicU64>);

impl Hooks for CountRuns {
    fn after_run(&self, _: &RunInfo, _: &Report) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn startup_observed(c: &mut Criterion) {
    let plain = arx_schema::migrator().unwrap();
    let hooked = arx_schema::migrator().unwrap().hooks(CountRuns::default());
    let recorder = PrometheusBuilder::new().build_recorder();
    let mut group = c.benchmark_group("startup at head, observed");

    let dir = tempfile::tempdir().unwrap();
    let mut conn = arx_migrate::rusqlite::Connection::open(dir.path().join("arx.db")).unwrap();
    plain.upgrade(&mut conn, "head").unwrap();
    let mut cases = |name: &str, conn: &mut dyn arx_migrate::Connection| {
        group.bench_function(
            format!("{name}: Migrator::upgrade(head), no hooks, no recorder"),
            |b| b.iter(|| plain.upgrade(conn, "head").unwrap()),
        );
        group.bench_function(format!("{name}: with hooks"), |b| {
            b.iter(|| hooked.upgrade(conn, "head").unwrap())
        });
        group.bench_function(
            format!("{name}: with hooks and a Prometheus recorder"),
            |b| {
                metrics::with_local_recorder(&recorder, || {
                    b.iter(|| hooked.upgrade(conn, "head").unwrap())
                })
            },
        );
    };
    cases("sqlite file", &mut conn);
    if let Some(server) = std::env::var(TEST_PG_ENV).ok().filter(|u| !u.is_empty()) {
        let db = fresh_postgres(&plain, &server).unwrap();
        let mut client = db.connect().unwrap();
        cases("postgres", &mut client);
    }
    group.finish();
}

criterion_group!(benches, startup_observed);
criterion_main!(benches);
