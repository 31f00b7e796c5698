//! The Arxos chain lints clean on both backends: no finding of severity
//! warning or error that its migration does not allow with a reason.

use arx_migrate::lint::{self, Severity};
use arx_migrate::Backend;

#[test]
fn the_arxos_chain_lints_clean_on_both_backends() -> arx_migrate::Result<()> {
    let migrator = arx_schema::migrator()?;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let report = lint::lint_migrations(migrator.graph(), backend);
        assert_eq!(report.revisions, 6, "{backend}");
        let unallowed: Vec<_> = report
            .unallowed()
            .filter(|f| f.severity >= Severity::Warning)
            .collect();
        assert!(
            unallowed.is_empty(),
            "{backend}: {} finding(s):\n{}",
            unallowed.len(),
            report.to_text()
        );
        assert!(!report.has_errors(), "{backend}");
        for finding in &report.findings {
            if let Some(reason) = &finding.allowed {
                assert!(!reason.trim().is_empty(), "{backend}: {finding:?}");
            }
        }
    }
    Ok(())
}
