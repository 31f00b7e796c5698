//! The BIM object tables (rooms, walls, doors, windows, devices, labels,
//! zones): one description of what they share — columns, foreign keys,
//! indexes, the spatial index — and a [`BimTable`] per table giving only
//! what differs (its own columns, geometry type, room_id, extra indexes).

use arx_migrate::prelude::*;
use arx_migrate::sea_query::{ConditionalStatement, Expr, ExprTrait, IndexType, Table};

use crate::columns::{
    covering_index, create_table, drop_index, fk, geom, index, integer, text_pk, varchar,
    varchar_not_null, OnDelete, MYSQL_COLLATION,
};

/// What one BIM object table has of its own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BimTable {
    /// The table's name.
    pub name: &'static str,
    /// Its own `varchar(n)` columns, right after `id`: (name, n).
    pub own_columns: &'static [(&'static str, u32)],
    /// The GeoJSON / PostGIS geometry type of `geom` (`Polygon`, …).
    pub geometry: &'static str,
    /// Whether the table has `room_id fk → rooms` (all but rooms and zones).
    pub has_room_id: bool,
    /// Indexes of its own, after the shared ones.
    pub extra_indexes: &'static [ExtraIndex],
}

/// An index of one BIM table, named `idx_<table>_<suffix>`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExtraIndex {
    /// The name's suffix.
    pub suffix: &'static str,
    /// The key columns.
    pub columns: &'static [&'static str],
    /// Columns carried by a covering index (`INCLUDE`); empty for a plain one.
    pub include: &'static [&'static str],
}

impl ExtraIndex {
    /// A plain b-tree index.
    pub const fn plain(suffix: &'static str, columns: &'static [&'static str]) -> Self {
        ExtraIndex {
            suffix,
            columns,
            include: &[],
        }
    }

    /// A covering index: `(columns) INCLUDE (include)`.
    pub const fn covering(
        suffix: &'static str,
        columns: &'static [&'static str],
        include: &'static [&'static str],
    ) -> Self {
        ExtraIndex {
            suffix,
            columns,
            include,
        }
    }
}

/// The predicate of a shared partial index.
#[derive(Debug, Clone, Copy)]
enum Predicate {
    /// `status = 'active'`.
    StatusActive,
    /// `locked_by IS NOT NULL`.
    Locked,
}

/// One shared index: (suffix, columns, partial predicate).
type SharedIndex = (&'static str, &'static [&'static str], Option<Predicate>);

/// The shared b-tree indexes, in creation order (the spatial index on `geom`
/// comes first and `room_id`'s only where the table has the column; both are
/// handled apart).
const SHARED_BEFORE_ROOM: &[SharedIndex] = &[
    ("assigned_to", &["assigned_to"], None),
    ("status", &["status"], None),
    ("created_by", &["created_by"], None),
    ("locked_by", &["locked_by"], None),
    ("building_id", &["building_id"], None),
    ("project_id", &["project_id"], None),
    ("floor_id", &["floor_id"], None),
    ("layer", &["layer"], None),
    ("category", &["category"], None),
];

const SHARED_AFTER_ROOM: &[SharedIndex] = &[
    ("building_floor", &["building_id", "floor_id"], None),
    ("project_status", &["project_id", "status"], None),
    (
        "building_floor_status",
        &["building_id", "floor_id", "status"],
        None,
    ),
    ("assigned_status", &["assigned_to", "status"], None),
    (
        "active",
        &["building_id", "floor_id"],
        Some(Predicate::StatusActive),
    ),
    (
        "locked",
        &["building_id", "floor_id"],
        Some(Predicate::Locked),
    ),
];

impl BimTable {
    /// Creates the table, its indexes and its spatial index.
    pub fn create(&self, op: &mut Ops) -> Result<()> {
        let backend = op.backend();
        let name = self.name;
        let mut table = create_table(backend, name);
        table.col(text_pk(64));
        for (column, len) in self.own_columns {
            table.col(varchar(column, *len));
        }
        table
            .col(varchar("layer", 100))
            .col(integer("created_by"))
            .col(varchar("status", 50))
            .col(varchar("source_svg", 255))
            .col(varchar("svg_id", 255))
            .col(integer("locked_by"))
            .col(integer("assigned_to"));
        if self.has_room_id {
            table.col(varchar("room_id", 64));
        }
        table
            .col(integer("building_id"))
            .col(integer("floor_id"))
            .col(geom(backend, self.geometry))
            .col(varchar_not_null("category", 100).default("").take())
            .col(integer("project_id"));
        for (column, references) in self.foreign_keys() {
            table.foreign_key(&mut fk(name, column, references, OnDelete::NoAction));
        }
        op.exec(&table)?;

        self.create_spatial_index(op)?;
        for (_, statement) in self.btree_indexes(backend) {
            op.exec(statement)?;
        }
        Ok(())
    }

    /// Drops what [`BimTable::create`] made, in the reverse order. On
    /// MariaDB the b-tree indexes go with the table (InnoDB refuses to
    /// drop an index a foreign key needs), and so do the triggers.
    pub fn drop(&self, op: &mut Ops) -> Result<()> {
        let backend = op.backend();
        if backend != Backend::Mysql {
            for (index_name, _) in self.btree_indexes(backend).into_iter().rev() {
                op.exec(drop_index(&index_name))?;
            }
        }
        self.drop_spatial_index(op)?;
        op.exec(Table::drop().table(self.name))
    }

    /// The foreign keys: (column, referenced table), all without ON DELETE.
    fn foreign_keys(&self) -> Vec<(&'static str, &'static str)> {
        let mut keys = vec![
            ("created_by", "users"),
            ("locked_by", "users"),
            ("assigned_to", "users"),
        ];
        if self.has_room_id {
            keys.push(("room_id", "rooms"));
        }
        keys.extend([
            ("building_id", "buildings"),
            ("floor_id", "floors"),
            ("project_id", "projects"),
        ]);
        keys
    }

    /// The spatial index's name, `idx_<table>_geom`.
    fn spatial_index_name(&self) -> String {
        format!("idx_{}_geom", self.name)
    }

    /// Every b-tree index (shared, then the table's own), named, in
    /// creation order.
    fn btree_indexes(
        &self,
        backend: Backend,
    ) -> Vec<(String, arx_migrate::sea_query::IndexCreateStatement)> {
        let table = self.name;
        let shared = |(suffix, columns, predicate): &SharedIndex| {
            let name = format!("idx_{table}_{suffix}");
            let statement = match (predicate, backend) {
                (None, _) => index(&name, table, columns),
                // MariaDB has no partial indexes. The rows of
                // `WHERE status = 'active'` are one range of an index
                // that starts with status; those of `locked_by IS NOT
                // NULL` one range of its last column, per (k…).
                (Some(Predicate::StatusActive), Backend::Mysql) => {
                    let full: Vec<&str> = std::iter::once("status")
                        .chain(columns.iter().copied())
                        .collect();
                    index(&name, table, &full)
                }
                (Some(Predicate::Locked), Backend::Mysql) => {
                    let full: Vec<&str> = columns
                        .iter()
                        .copied()
                        .chain(std::iter::once("locked_by"))
                        .collect();
                    index(&name, table, &full)
                }
                (Some(Predicate::StatusActive), _) => {
                    let mut statement = index(&name, table, columns);
                    statement.and_where(Expr::col("status").eq("active"));
                    statement
                }
                (Some(Predicate::Locked), _) => {
                    let mut statement = index(&name, table, columns);
                    statement.and_where(Expr::col("locked_by").is_not_null());
                    statement
                }
            };
            (name, statement)
        };
        let mut out: Vec<_> = SHARED_BEFORE_ROOM.iter().map(shared).collect();
        if self.has_room_id {
            out.push(shared(&("room_id", &["room_id"], None)));
        }
        out.extend(SHARED_AFTER_ROOM.iter().map(shared));
        for extra in self.extra_indexes {
            let name = format!("idx_{table}_{}", extra.suffix);
            let statement = if extra.include.is_empty() {
                index(&name, table, extra.columns)
            } else {
                covering_index(backend, &name, table, extra.columns, extra.include)
            };
            out.push((name, statement));
        }
        out
    }

    /// `gist(geom)`: a GIST index on PostgreSQL; on SQLite an R*Tree kept
    /// by triggers (see [`sqlite_spatial_index`]); on MariaDB a side table
    /// with a SPATIAL index, kept by triggers (see [`mysql_spatial_index`]).
    fn create_spatial_index(&self, op: &mut Ops) -> Result<()> {
        let name = self.spatial_index_name();
        match op.backend() {
            Backend::Postgres => op.exec(
                index(&name, self.name, &["geom"]).index_type(IndexType::Custom("GIST".into())),
            ),
            Backend::Sqlite => {
                for statement in sqlite_spatial_index(self.name, &name) {
                    op.sql(statement)?;
                }
                Ok(())
            }
            Backend::Mysql => {
                for statement in mysql_spatial_index(self.name, &name, self.geometry) {
                    op.sql(statement)?;
                }
                Ok(())
            }
        }
    }

    fn drop_spatial_index(&self, op: &mut Ops) -> Result<()> {
        let name = self.spatial_index_name();
        match op.backend() {
            Backend::Postgres => op.exec(drop_index(&name)),
            Backend::Sqlite => {
                for statement in sqlite_drop_spatial_index(&name) {
                    op.sql(statement)?;
                }
                Ok(())
            }
            // The triggers are on the BIM table and go with it.
            Backend::Mysql => op.sql(format!("DROP TABLE {name}")),
        }
    }
}

/// The MariaDB spatial index of `table.geom` (a geometry of type
/// `geometry`), named `index`. Raw SQL: sea-query has no words for
/// SPATIAL indexes, geometry types or triggers.
///
/// # Design
///
/// - MariaDB's SPATIAL index needs a NOT NULL column, and `geom` is
///   nullable. So, as on SQLite, the index lives in a side table `index (id
///   VARCHAR(64) PRIMARY KEY, geom T REF_SYSTEM_ID=4326 NOT NULL, SPATIAL
///   INDEX index (geom))` holding one row per row of `table` whose `geom`
///   is not NULL. A query finds ids with
///   `SELECT id FROM idx_rooms_geom WHERE MBRIntersects(geom, @box)`, which
///   uses the R-tree.
/// - Its `id` references `table(id)` ON DELETE CASCADE ON UPDATE CASCADE:
///   InnoDB itself removes the entry of a deleted row and follows a changed
///   id, so no delete trigger is needed (InnoDB's cascades do not fire
///   triggers, but none is needed for them).
/// - Two triggers keep the geometry current, so any client that writes rows
///   keeps the index right: AFTER INSERT adds the entry when `geom` is not
///   NULL; AFTER UPDATE, when `geom` (or the id) changed, replaces it (and
///   removes it when `geom` became NULL).
/// - The side table has the same table options as the BIM tables, so its
///   `id` compares exactly like theirs.
pub(crate) fn mysql_spatial_index(table: &str, index: &str, geometry: &str) -> Vec<String> {
    let add = format!(
        "IF NEW.geom IS NOT NULL THEN INSERT INTO {index} (id, geom) VALUES (NEW.id, NEW.geom); END IF;"
    );
    vec![
        format!(
            "CREATE TABLE {index} (\
             id VARCHAR(64) NOT NULL PRIMARY KEY, \
             geom {geometry} REF_SYSTEM_ID=4326 NOT NULL, \
             SPATIAL INDEX {index} (geom), \
             CONSTRAINT {index}_id_fk FOREIGN KEY (id) REFERENCES {table} (id) \
             ON DELETE CASCADE ON UPDATE CASCADE\
             ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={MYSQL_COLLATION}"
        ),
        format!(
            "CREATE TRIGGER {index}_insert AFTER INSERT ON {table} FOR EACH ROW BEGIN {add} END"
        ),
        format!(
            "CREATE TRIGGER {index}_update AFTER UPDATE ON {table} FOR EACH ROW BEGIN \
             IF NOT (OLD.geom <=> NEW.geom) OR NOT (OLD.id <=> NEW.id) THEN \
             DELETE FROM {index} WHERE id = NEW.id; {add} \
             END IF; END"
        ),
    ]
}

/// The SQLite spatial index of `table.geom`, named `index`. Raw SQL: sea-query
/// has no words for virtual tables or triggers.
///
/// # Design
///
/// - `index` is an R*Tree virtual table `(id, minx, maxx, miny, maxy,
///   +obj_id)`: the bounding box of the row's GeoJSON geometry, and, as an
///   auxiliary column, the row's text id. A bounding-box query reads the ids
///   straight from it:
///   `SELECT obj_id FROM idx_rooms_geom WHERE maxx >= :x0 AND minx <= :x1
///   AND maxy >= :y0 AND miny <= :y1`.
/// - The R*Tree is *not* keyed on the base table's rowid. The BIM tables have
///   text primary keys, so their rowids are not stable: `VACUUM` may
///   renumber them. Nor is it keyed on a hash of the id (collisions). Its
///   integer key is allocated in a mapping table `<index>_map (id INTEGER
///   PRIMARY KEY, obj_id TEXT NOT NULL UNIQUE)`: one row per indexed object.
///   Every table involved (the map, the R*Tree's shadow tables) has an
///   INTEGER PRIMARY KEY, which `VACUUM` preserves, so the pairing of key and
///   object id survives it. The map makes finding an object's entry a
///   b-tree lookup on its text id (the R*Tree cannot search its auxiliary
///   column without a full scan).
/// - Three AFTER triggers keep both current, using SQLite built-ins only, so
///   any client (Python's sqlite3, the sqlite3 shell) keeps the index right:
///   on INSERT and on UPDATE OF id or geom, the object's old entry (if any)
///   is removed and the new box added; on DELETE the entry is removed.
///   The INSERT trigger also removes an existing entry for the new id first:
///   `INSERT OR REPLACE` deletes the replaced row without firing DELETE
///   triggers (unless `recursive_triggers` is on), which would otherwise
///   leave a stale entry behind. The UPDATE trigger does the same for the
///   new id (`UPDATE OR REPLACE` onto another row's id).
/// - The box is computed with `json_tree` over `$.coordinates`: every number
///   in a GeoJSON geometry's coordinates belongs to a position, whose
///   element 0 is x and 1 is y, so `min`/`max` of those give the box for
///   Point, LineString and Polygon alike. A NULL geometry, or one without
///   coordinates, has no entry.
/// - R*Tree boxes are stored as 32-bit floats, rounded outwards: a query may
///   return an object whose true box only touches the query box within
///   float precision; callers that need exactness re-check the geometry.
pub(crate) fn sqlite_spatial_index(table: &str, index: &str) -> Vec<String> {
    let map = format!("{index}_map");
    let bbox = |geometry: &str| {
        format!(
            "(SELECT min(CASE WHEN key = 0 THEN atom END) AS minx, \
             max(CASE WHEN key = 0 THEN atom END) AS maxx, \
             min(CASE WHEN key = 1 THEN atom END) AS miny, \
             max(CASE WHEN key = 1 THEN atom END) AS maxy \
             FROM json_tree({geometry}, '$.coordinates') \
             WHERE type IN ('integer', 'real'))"
        )
    };
    let remove = |id: &str| {
        format!(
            "DELETE FROM {index} WHERE id = (SELECT id FROM {map} WHERE obj_id = {id}); \
             DELETE FROM {map} WHERE obj_id = {id};"
        )
    };
    let add = format!(
        "INSERT INTO {map} (obj_id) SELECT NEW.id FROM {box_new} AS b \
         WHERE b.minx IS NOT NULL AND b.miny IS NOT NULL; \
         INSERT INTO {index} (id, minx, maxx, miny, maxy, obj_id) \
         SELECT m.id, b.minx, b.maxx, b.miny, b.maxy, m.obj_id FROM {map} AS m, {box_new} AS b \
         WHERE m.obj_id = NEW.id AND b.minx IS NOT NULL AND b.miny IS NOT NULL;",
        box_new = bbox("NEW.geom"),
    );
    vec![
        format!("CREATE VIRTUAL TABLE {index} USING rtree(id, minx, maxx, miny, maxy, +obj_id)"),
        format!("CREATE TABLE {map} (id INTEGER PRIMARY KEY, obj_id TEXT NOT NULL UNIQUE)"),
        format!(
            "CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN {} {add} END",
            remove("NEW.id")
        ),
        format!(
            "CREATE TRIGGER {index}_update AFTER UPDATE OF id, geom ON {table} BEGIN {} {} {add} END",
            remove("OLD.id"),
            remove("NEW.id")
        ),
        format!(
            "CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN {} END",
            remove("OLD.id")
        ),
    ]
}

/// Drops what [`sqlite_spatial_index`] made, in the reverse order.
pub(crate) fn sqlite_drop_spatial_index(index: &str) -> Vec<String> {
    vec![
        format!("DROP TRIGGER {index}_delete"),
        format!("DROP TRIGGER {index}_update"),
        format!("DROP TRIGGER {index}_insert"),
        format!("DROP TABLE {index}_map"),
        format!("DROP TABLE {index}"),
    ]
}

/// Creates the tables, in order.
pub(crate) fn create_all(op: &mut Ops, tables: &[BimTable]) -> Result<()> {
    for table in tables {
        table.create(op)?;
    }
    Ok(())
}

/// Drops the tables, in the reverse order.
pub(crate) fn drop_all(op: &mut Ops, tables: &[BimTable]) -> Result<()> {
    for table in tables.iter().rev() {
        table.drop(op)?;
    }
    Ok(())
}
