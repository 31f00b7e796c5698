//! A consumer's revision that changes an Arxos table: one migration, the
//! same calls on SQLite and PostgreSQL.
//!
//! On PostgreSQL each call is an `ALTER TABLE`. On SQLite, whose ALTER
//! TABLE cannot change a column's type or add a constraint, the changes to
//! `rooms` are made together by one rebuild of the table; its rows, its
//! indexes and its R*Tree come through.
//!
//! ```sh
//! cargo run --example consumer_alterations                      # SQLite, in memory
//! DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch cargo run --example consumer_alterations
//! ```

use arx_migrate::migration;
use arx_migrate::redact::redact_url;
use arx_migrate::{render, Backend, Connection, Direction};

/// Rooms get an area, names of any length and categories from the catalogue
#[migration(rev = "acme010", down_rev = "006")]
pub mod acme010_room_areas {
    use arx_migrate::prelude::*;
    use arx_migrate::sea_query::{
        ColumnDef, ColumnType, Expr, ExprTrait, ForeignKey, Index, StringLen,
    };

    pub fn upgrade(op: &mut Ops) -> Result<()> {
        op.add_column("rooms", ColumnDef::new("area_m2").double())?;
        op.alter_column(
            "rooms",
            "name",
            AlterColumn::new().set_type(ColumnType::Text),
        )?;
        op.drop_column("rooms", "svg_id")?;
        op.add_check(
            "rooms",
            "ck_rooms_area",
            Expr::col("area_m2")
                .is_null()
                .or(Expr::col("area_m2").gte(0)),
        )?;
        op.add_foreign_key(
            ForeignKey::create()
                .name("fk_rooms_category")
                .from("rooms", "category")
                .to("categories", "name"),
        )?;
        // This names `rooms`: on SQLite the rebuild happens just before it.
        op.create_index(
            Index::create()
                .name("idx_rooms_area")
                .table("rooms")
                .col("area_m2"),
        )
    }

    pub fn downgrade(op: &mut Ops) -> Result<()> {
        op.drop_index("idx_rooms_area")?;
        op.drop_foreign_key("rooms", "fk_rooms_category")?;
        op.drop_check("rooms", "ck_rooms_area")?;
        op.add_column("rooms", ColumnDef::new("svg_id").string_len(255))?;
        op.alter_column(
            "rooms",
            "name",
            AlterColumn::new().set_type(ColumnType::String(StringLen::N(255))),
        )?;
        op.drop_column("rooms", "area_m2")
    }
}

const SEED: &str = "INSERT INTO categories (name) VALUES ('office'), ('lab');
INSERT INTO rooms (id, name, category) VALUES ('r1', 'North office', 'office'), ('r2', 'Clean room', 'lab');";

fn run(conn: &mut dyn Connection) -> arx_migrate::Result<()> {
    let migrator = arx_schema::migrator()?;
    migrator.upgrade(conn, arx_schema::HEAD)?;
    conn.execute(SEED).map_err(arx_migrate::Error::Database)?;
    if conn.backend() == Backend::Sqlite {
        conn.execute(
            r#"UPDATE rooms SET geom = '{"type":"Polygon","coordinates":[[[0,0],[8,0],[8,5],[0,5],[0,0]]]}' WHERE id = 'r1'"#,
        )
        .map_err(arx_migrate::Error::Database)?;
    }

    let report = migrator.upgrade(conn, "head")?;
    for step in &report.steps {
        println!(
            "upgrade {} in {:.1?}: {}",
            step.revision, step.duration, step.message
        );
    }
    conn.execute("UPDATE rooms SET area_m2 = 40 WHERE id = 'r1'")
        .map_err(arx_migrate::Error::Database)?;
    let rooms = conn
        .query("SELECT id, name, category, area_m2 FROM rooms ORDER BY id")
        .map_err(arx_migrate::Error::Database)?;
    println!("rooms after the upgrade: {rooms:?}");
    if conn.backend() == Backend::Sqlite {
        let found = conn
            .query("SELECT obj_id FROM idx_rooms_geom WHERE maxx >= 1 AND minx <= 2 AND maxy >= 1 AND miny <= 2")
            .map_err(arx_migrate::Error::Database)?;
        println!("the R*Tree still finds {found:?} at (1..2, 1..2)");
    }
    let refused = conn.execute("INSERT INTO rooms (id, category) VALUES ('r3', 'kitchen')");
    println!(
        "a room in an unknown category: {}",
        refused.map_or_else(|e| format!("refused ({e})"), |()| "accepted".into())
    );

    let report = migrator.downgrade(conn, arx_schema::HEAD)?;
    println!(
        "downgraded {:?}; at {:?}",
        report.steps.iter().map(|s| &s.revision).collect::<Vec<_>>(),
        report.heads_after
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // What the upgrade renders for each backend (lint and `show` read the
    // same): on SQLite the changes that need a rebuild are marked.
    for backend in [Backend::Postgres, Backend::Sqlite] {
        println!("-- {backend}");
        let rendered =
            render(acme010_room_areas::MIGRATION, backend, Direction::Upgrade).into_result()?;
        for statement in rendered {
            println!("{statement};");
        }
    }

    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            println!("\non {}", redact_url(&url));
            let mut client = postgres::Client::connect(&url, postgres::NoTls)
                .map_err(|e| format!("cannot connect to {}: {e}", redact_url(&url)))?;
            run(&mut client)?;
        }
        _ => {
            println!("\non SQLite, in memory");
            let mut conn = rusqlite::Connection::open_in_memory()?;
            run(&mut conn)?;
        }
    }
    Ok(())
}
