//! `history --stats` on both backends: per revision its runs, durations
//! and size change, and the slowest steps, as text and JSON.

#[path = "cli/support.rs"]
mod support;

use support::Db;

#[test]
fn history_stats_counts_runs_and_shows_sizes() {
    for db in Db::each("history_stats_counts_runs_and_shows_sizes") {
        let name = db.name();
        // A stamp is not a run.
        db.cli(&["stamp", "base"]).ok();
        let run = db.cli(&["history", "--stats"]).ok();
        assert!(
            run.stdout.contains("no step has run here yet"),
            "{name}: {}",
            run.stdout
        );
        db.cli(&["upgrade", "head"]).ok();
        db.cli(&["downgrade", "c003"]).ok();
        db.cli(&["upgrade", "head"]).ok();
        let json = db
            .cli(&["history", "--stats", "--format", "json"])
            .ok()
            .json();
        let revisions = json["revisions"].as_array().unwrap();
        assert_eq!(revisions.len(), 6, "{name}: {json}");
        let e006 = revisions
            .iter()
            .find(|r| r["revision"] == "e006")
            .unwrap_or_else(|| panic!("{name}: {json}"));
        // Up, down, up again.
        assert_eq!(e006["runs"], 3, "{name}: {json}");
        assert_eq!(e006["failures"], 0, "{name}: {json}");
        assert!(
            e006["max_ms"].as_i64().unwrap() >= e006["p50_ms"].as_i64().unwrap(),
            "{name}: {json}"
        );
        let a001 = revisions.iter().find(|r| r["revision"] == "a001").unwrap();
        assert_eq!(a001["runs"], 1, "{name}: {json}");
        assert!(a001["size_delta_bytes"].is_i64(), "{name}: {json}");
        let slowest = json["slowest"].as_array().unwrap();
        assert_eq!(slowest.len(), 5, "{name}: {json}");
        let durations: Vec<i64> = slowest
            .iter()
            .map(|s| s["duration_ms"].as_i64().unwrap())
            .collect();
        assert!(durations.windows(2).all(|w| w[0] >= w[1]), "{durations:?}");

        let run = db.cli(&["history", "--stats"]).ok();
        assert!(
            run.stdout.starts_with("revision") && run.stdout.contains("slowest 5 steps:"),
            "{name}: {}",
            run.stdout
        );
        let json = db
            .cli(&["history", "--verbose", "--format", "json"])
            .ok()
            .json();
        let latest = &json["revisions"][0]["history"];
        assert!(
            latest
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["database_size_after"].is_i64()),
            "{name}: {json}"
        );
    }
}
