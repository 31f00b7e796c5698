//! Figures over the history table's rows: per revision, how often its
//! steps ran, how long they took (median and worst), what they did to the
//! database's size; and the slowest steps. Over one database or, for
//! `fleet history --stats`, over many.

use crate::store::{HistoryEntry, HistoryOperation, HistoryOutcome};

/// What the history says about one revision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevisionStats {
    /// The revision.
    pub revision: String,
    /// Steps that ran (upgrades and downgrades, succeeded or failed; not
    /// stamps, repairs, nor steps still running).
    pub runs: usize,
    /// Of those, the ones that failed.
    pub failures: usize,
    /// The median duration of its steps that ran (nearest rank), in ms.
    pub p50_ms: Option<i64>,
    /// The longest of them, in ms.
    pub max_ms: Option<i64>,
    /// What its latest measured upgrade did to the database's size, in
    /// bytes (summed over the targets, for a fleet).
    pub size_delta: Option<i64>,
    /// The one table its latest measured upgrade changed.
    pub table: Option<String>,
    /// What that upgrade did to the table's size, in bytes (summed over
    /// the targets, for a fleet).
    pub table_delta: Option<i64>,
}

/// One of the slowest steps.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlowStep {
    /// The fleet target it ran on (`None` for one database).
    pub target: Option<String>,
    /// The revision.
    pub revision: String,
    /// Upgrade or downgrade.
    pub operation: HistoryOperation,
    /// How it ended.
    pub outcome: HistoryOutcome,
    /// When it started (UTC, RFC 3339).
    pub started_at: String,
    /// How long it took, in ms.
    pub duration_ms: i64,
    /// `user@host` that ran it.
    pub executed_by: Option<String>,
}

/// [`history_stats`]' answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryStats {
    /// Per revision, in the order each first ran.
    pub revisions: Vec<RevisionStats>,
    /// The slowest steps, slowest first.
    pub slowest: Vec<SlowStep>,
    /// How many targets' histories were read.
    pub targets: usize,
}

/// Figures over the histories of `targets` (a name, or `None` for one
/// database, with its rows oldest first), keeping the `slowest` slowest
/// steps.
pub fn history_stats<'a>(
    targets: impl IntoIterator<Item = (Option<&'a str>, &'a [HistoryEntry])>,
    slowest: usize,
) -> HistoryStats {
    let mut stats = HistoryStats::default();
    // Per revision: its durations, and per target its latest measured upgrade.
    let mut durations: Vec<Vec<i64>> = Vec::new();
    let mut steps = Vec::new();
    for (target, entries) in targets {
        stats.targets += 1;
        let mut latest: Vec<Option<&HistoryEntry>> = vec![None; stats.revisions.len()];
        for entry in entries {
            let ran = matches!(
                entry.operation,
                HistoryOperation::Upgrade | HistoryOperation::Downgrade
            ) && matches!(entry.outcome, HistoryOutcome::Ok | HistoryOutcome::Failed);
            if !ran {
                continue;
            }
            let index = match stats
                .revisions
                .iter()
                .position(|r| r.revision == entry.revision)
            {
                Some(index) => index,
                None => {
                    stats.revisions.push(RevisionStats {
                        revision: entry.revision.clone(),
                        ..RevisionStats::default()
                    });
                    durations.push(Vec::new());
                    stats.revisions.len() - 1
                }
            };
            latest.resize(stats.revisions.len(), None);
            let revision = &mut stats.revisions[index];
            revision.runs += 1;
            if entry.outcome == HistoryOutcome::Failed {
                revision.failures += 1;
            }
            if let Some(ms) = entry.duration_ms {
                durations[index].push(ms);
                steps.push(SlowStep {
                    target: target.map(str::to_string),
                    revision: entry.revision.clone(),
                    operation: entry.operation,
                    outcome: entry.outcome,
                    started_at: entry.started_at.clone(),
                    duration_ms: ms,
                    executed_by: entry.executed_by.clone(),
                });
            }
            if entry.operation == HistoryOperation::Upgrade
                && entry.outcome == HistoryOutcome::Ok
                && entry.sizes.is_measured()
            {
                latest[index] = Some(entry);
            }
        }
        for (revision, entry) in stats.revisions.iter_mut().zip(latest) {
            let Some(entry) = entry else { continue };
            if let Some(delta) = entry.sizes.database_delta() {
                *revision.size_delta.get_or_insert(0) += delta;
            }
            if let Some(table) = &entry.sizes.table {
                revision.table = Some(table.clone());
                if let Some(delta) = entry.sizes.table_delta() {
                    *revision.table_delta.get_or_insert(0) += delta;
                }
            }
        }
    }
    for (revision, mut durations) in stats.revisions.iter_mut().zip(durations) {
        durations.sort_unstable();
        revision.max_ms = durations.last().copied();
        // Nearest rank: the ⌈n/2⌉-th smallest.
        revision.p50_ms = durations
            .len()
            .checked_sub(1)
            .map(|last| durations[last / 2]);
    }
    // Slowest first; ties oldest first.
    steps.sort_by(|a, b| {
        b.duration_ms
            .cmp(&a.duration_ms)
            .then(a.started_at.cmp(&b.started_at))
    });
    steps.truncate(slowest);
    stats.slowest = steps;
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StepSizes;

    fn entry(
        revision: &str,
        operation: HistoryOperation,
        outcome: HistoryOutcome,
        ms: i64,
        sizes: (i64, i64),
    ) -> HistoryEntry {
        HistoryEntry {
            id: 0,
            revision: revision.to_string(),
            operation,
            checksum: None,
            started_at: format!("2026-01-01T00:00:{ms:02}.000Z"),
            duration_ms: Some(ms),
            executed_by: None,
            program: None,
            outcome,
            message: None,
            sizes: StepSizes {
                database_before: Some(sizes.0),
                database_after: Some(sizes.1),
                table: Some("t".into()),
                table_before: Some(0),
                table_after: Some(sizes.1 - sizes.0),
            },
        }
    }

    #[test]
    fn runs_median_worst_size_and_slowest() {
        use HistoryOperation::*;
        use HistoryOutcome::*;
        let one = [
            entry("a", Upgrade, Ok, 10, (100, 150)),
            entry("a", Downgrade, Ok, 30, (150, 100)),
            entry("a", Upgrade, Failed, 50, (100, 100)),
            entry("a", Upgrade, Ok, 20, (100, 170)),
            entry("b", Stamp, Ok, 99, (0, 0)),
            entry("b", Upgrade, Ok, 5, (170, 170)),
        ];
        let two = [entry("a", Upgrade, Ok, 40, (10, 20))];
        let stats = history_stats([(None, &one[..])], 2);
        assert_eq!(stats.revisions.len(), 2);
        let a = &stats.revisions[0];
        assert_eq!((a.runs, a.failures), (4, 1));
        assert_eq!((a.p50_ms, a.max_ms), (Some(20), Some(50)));
        // The latest measured successful upgrade: +70.
        assert_eq!((a.size_delta, a.table_delta), (Some(70), Some(70)));
        assert_eq!(stats.revisions[1].runs, 1, "a stamp is not a run");
        let slowest: Vec<i64> = stats.slowest.iter().map(|s| s.duration_ms).collect();
        assert_eq!(slowest, [50, 30]);

        let fleet = history_stats([(Some("x"), &one[..]), (Some("y"), &two[..])], 1);
        assert_eq!(fleet.targets, 2);
        let a = &fleet.revisions[0];
        assert_eq!(a.runs, 5);
        assert_eq!((a.p50_ms, a.max_ms), (Some(30), Some(50)));
        assert_eq!(a.size_delta, Some(80), "summed over targets");
        assert_eq!(fleet.slowest[0].target.as_deref(), Some("x"));
    }
}
