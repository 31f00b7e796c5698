//! `branch_labels` and `depends_on` reach the `Migration` trait and the
//! graph: a billing branch that depends on a shop revision, labelled. A
//! test binary of its own, so that its registry holds this chain alone.

use arx_migrate::prelude::*;
use arx_migrate::{Migrator, Target};

/// Create the shop table
#[migration(rev = "s001", branch_labels = "shop")]
pub mod s001 {
    use super::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("CREATE TABLE shop (id INTEGER)")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DROP TABLE shop")
    }
}

/// Create the billing table
#[migration(rev = "b001", branch_labels = ["billing", "invoices"])]
pub mod b001 {
    use super::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("CREATE TABLE billing (id INTEGER)")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DROP TABLE billing")
    }
}

/// Bill shop orders
#[migration(rev = "b002", down_rev = "b001", depends_on = "shop")]
pub mod b002 {
    use super::*;

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.sql("CREATE TABLE billed_orders (id INTEGER)")
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.sql("DROP TABLE billed_orders")
    }
}

#[test]
fn branch_labels_and_depends_on_reach_the_trait_and_the_graph() {
    assert_eq!(b001::MIGRATION.branch_labels(), ["billing", "invoices"]);
    assert!(b001::MIGRATION.depends_on().is_empty());
    assert_eq!(b002::MIGRATION.depends_on(), ["shop"]);
    assert!(b002::MIGRATION.branch_labels().is_empty());

    let migrator = Migrator::from_registry().unwrap();
    let graph = migrator.graph();
    assert_eq!(graph.label_revision("billing"), Some("b001"));
    assert_eq!(graph.dependencies_of("b002"), ["s001"]);
    assert_eq!(graph.branch_names("b002"), ["billing", "invoices"]);

    // Upgrading the billing branch applies the shop revision it depends on.
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    let report = migrator.upgrade(&mut conn, "billing@head").unwrap();
    let mut applied: Vec<&str> = report.steps.iter().map(|s| s.revision.as_str()).collect();
    applied.sort();
    assert_eq!(applied, ["b001", "b002", "s001"]);
    assert_eq!(report.heads_after, ["b002"]);
    let _ = Target::branch_head("billing");
}
