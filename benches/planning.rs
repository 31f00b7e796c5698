//! Planning on synthetic revision graphs of 10 to 100,000 revisions, with a
//! branch and a merge every ten revisions: build and validate the graph,
//! then plan base → head. The target is linear growth and under 50 ms at
//! 100,000.
//!
//! `cargo bench --bench planning`

use std::sync::Arc;

use arx_migrate::{FnMigration, Migration, RevisionGraph, Target};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// A chain of `n` revisions where every tenth forks into two that the next
/// one merges.
fn synthetic(n: usize) -> Vec<Arc<dyn Migration>> {
    let mut migrations: Vec<Arc<dyn Migration>> = Vec::with_capacity(n);
    let mut tips: Vec<String> = Vec::new();
    for i in 0..n {
        let id = format!("r{i:06}");
        let parents: Vec<&str> = tips.iter().map(String::as_str).collect();
        migrations.push(Arc::new(FnMigration::new(
            id.clone(),
            &parents,
            |_| Ok(()),
            |_| Ok(()),
        )));
        // After a fork point, the next two revisions share its parent.
        if i % 10 == 5 && tips.len() == 1 {
            tips = vec![id.clone()];
            let sibling = format!("r{i:06}b");
            migrations.push(Arc::new(FnMigration::new(
                sibling.clone(),
                &[&tips[0]],
                |_| Ok(()),
                |_| Ok(()),
            )));
            tips = vec![id, sibling];
        } else {
            tips = vec![id];
        }
    }
    migrations
}

fn planning(c: &mut Criterion) {
    let mut group = c.benchmark_group("plan base to head");
    group.sample_size(10);
    for n in [10usize, 1_000, 10_000, 100_000] {
        let migrations = synthetic(n);
        group.throughput(Throughput::Elements(migrations.len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(n),
            &migrations,
            |b, migrations| {
                b.iter(|| {
                    let graph = RevisionGraph::new(migrations.clone()).expect("valid graph");
                    let steps = graph.plan_upgrade(&[], &Target::Head).expect("a plan");
                    assert_eq!(steps.len(), migrations.len());
                    steps.len()
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, planning);
criterion_main!(benches);
