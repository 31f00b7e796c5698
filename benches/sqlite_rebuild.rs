//! The SQLite table rebuild of the Arxos `rooms` table (a column's type
//! changed, a column dropped: one rebuild), against the same work done by
//! hand in one batch — create the new table, copy the rows, drop, rename,
//! create the 18 indexes and 3 R*Tree triggers again — with none of the
//! rebuild's reading and checking. Interleaved rounds on fresh databases;
//! prints the median of each and the ratio.
//!
//! ```sh
//! cargo bench --bench sqlite_rebuild -- 20000     # rows in rooms
//! ```

use std::time::{Duration, Instant};

use arx_migrate::sea_query::ColumnType;
use arx_migrate::{AlterColumn, FnMigration, MigrationSet, Migrator};

const ROUNDS: usize = 5;

fn seeded(rows: usize) -> rusqlite::Connection {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    arx_schema::migrator()
        .unwrap()
        .upgrade(&mut conn, "006")
        .unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut insert = tx
            .prepare("INSERT INTO rooms (id, name, layer, status, geom) VALUES (?1, 'n', 'l', 'active', ?2)")
            .unwrap();
        for i in 0..rows {
            let (x, y) = ((i % 1000) as i64, (i / 1000) as i64);
            let geom = format!(
                r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{x1},{y}],[{x1},{y1}],[{x},{y1}],[{x},{y}]]]}}"#,
                x1 = x + 1,
                y1 = y + 1
            );
            insert
                .execute(rusqlite::params![format!("r{i}"), geom])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    conn
}

/// The rebuild written out by hand for this one table and change.
fn by_hand(conn: &rusqlite::Connection) -> String {
    let text = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let table = &text("SELECT sql FROM sqlite_master WHERE name = 'rooms'")[0];
    let new_table = table
        .replacen("CREATE TABLE \"rooms\"", "CREATE TABLE \"rooms_new\"", 1)
        .replace("\"name\" varchar(255)", "\"name\" text")
        .replace("\"layer\" varchar(100), ", "");
    let columns =
        text(r#"SELECT '"' || name || '"' FROM pragma_table_info('rooms') WHERE name <> 'layer'"#)
            .join(", ");
    let recreated = text(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'rooms' AND type IN ('index', 'trigger') \
         AND sql IS NOT NULL AND name <> 'idx_rooms_layer' ORDER BY rowid",
    );
    format!(
        "BEGIN; {new_table}; INSERT INTO rooms_new ({columns}) SELECT {columns} FROM rooms; DROP TABLE rooms; \
         ALTER TABLE rooms_new RENAME TO rooms; {}; COMMIT",
        recreated.join("; ")
    )
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let rows: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let mut set = MigrationSet::new();
    for migration in arx_schema::migrator().unwrap().graph().in_order() {
        set.push(migration.clone());
    }
    let migrator = Migrator::new(set.with(FnMigration::new(
        "bench",
        &["006"],
        |op| {
            op.alter_column(
                "rooms",
                "name",
                AlterColumn::new().set_type(ColumnType::Text),
            )?;
            op.drop_column("rooms", "layer")
        },
        |_| Ok(()),
    )))
    .unwrap()
    .version_table(arx_schema::VERSION_TABLE);

    let (mut ours, mut baseline) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let conn = seeded(rows);
        let sql = by_hand(&conn);
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        let started = Instant::now();
        conn.execute_batch(&sql).unwrap();
        baseline.push(started.elapsed());

        let mut conn = seeded(rows);
        let started = Instant::now();
        migrator.upgrade(&mut conn, "bench").unwrap();
        ours.push(started.elapsed());
    }
    let (ours, baseline) = (median(ours), median(baseline));
    println!("rooms with {rows} rows, median of {ROUNDS} interleaved rounds");
    println!("  by hand, one batch (baseline): {baseline:.1?}");
    println!(
        "  Ops::alter_column + drop_column (one rebuild, checks included): {ours:.1?} ({:.2} x the baseline)",
        ours.as_secs_f64() / baseline.as_secs_f64()
    );
}
