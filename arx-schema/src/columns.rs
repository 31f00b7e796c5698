//! The spec's column words (`serial pk`, `varchar(n)`, `timestamp now`,
//! `bool false`, `jsonb`, `fk → t`, …) as sea-query definitions, rendered
//! the way `shared/arxos-schema.md` says for each backend.
//!
//! On SQLite the declared types are the conventional names (`varchar(255)`,
//! `timestamp`, `boolean`, `text`, `integer`) rather than sea-query's own
//! (`timestamp_text`, `jsonb_text`): other clients read declared types, so
//! every type here goes through [`ColumnDef::custom`] or a sea-query type
//! whose SQLite rendering already is the conventional name.
//!
//! On MariaDB every table is `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
//! COLLATE=utf8mb4_nopad_bin` ([`create_table`]), `text` is `LONGTEXT`
//! (indexed through a 255-character prefix, [`index`]), timestamps are
//! `DATETIME(6)`.

use arx_migrate::prelude::*;
use arx_migrate::sea_query::{
    ColumnDef, Expr, ForeignKey, ForeignKeyAction, ForeignKeyCreateStatement, Index,
    IndexCreateStatement, IndexDropStatement, Table, TableCreateStatement,
};

/// The collation of every Arxos table on MariaDB: binary and NO PAD, so
/// that equality and UNIQUE compare exactly, as on PostgreSQL (MariaDB's
/// default collations ignore case, and its PAD SPACE ones trailing spaces).
pub(crate) const MYSQL_COLLATION: &str = "utf8mb4_nopad_bin";

/// How many characters of a `LONGTEXT` column a MariaDB index holds: the
/// spec's prefix. Three such prefixes (3 × 255 × 4 bytes) still fit
/// InnoDB's 3072-byte key, which `idx_catalog_items_make_model_type` needs.
pub(crate) const MYSQL_TEXT_PREFIX: u32 = 255;

/// `CREATE TABLE name`, with MariaDB's table options (InnoDB, utf8mb4,
/// [`MYSQL_COLLATION`]) on that backend.
pub(crate) fn create_table(backend: Backend, name: &str) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(name.to_string());
    if backend == Backend::Mysql {
        table
            .engine("InnoDB")
            .character_set("utf8mb4")
            .collate(MYSQL_COLLATION);
    }
    table
}

/// `id serial pk`: `INTEGER PRIMARY KEY AUTOINCREMENT` on SQLite, an
/// `integer` identity primary key on PostgreSQL.
pub(crate) fn serial_pk() -> ColumnDef {
    ColumnDef::new("id")
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}

/// `id varchar(n) pk`. NOT NULL is spelled out: PostgreSQL implies it for a
/// primary key, SQLite would otherwise accept NULL keys.
pub(crate) fn text_pk(len: u32) -> ColumnDef {
    ColumnDef::new("id")
        .string_len(len)
        .not_null()
        .primary_key()
        .take()
}

/// `name varchar(n)` (nullable).
pub(crate) fn varchar(name: &str, len: u32) -> ColumnDef {
    ColumnDef::new(name.to_string()).string_len(len).take()
}

/// `name varchar(n) NOT NULL`.
pub(crate) fn varchar_not_null(name: &str, len: u32) -> ColumnDef {
    varchar(name, len).not_null().take()
}

/// `name text` (nullable): `LONGTEXT` on MariaDB, whose `TEXT` stops at
/// 64 KB.
pub(crate) fn text(backend: Backend, name: &str) -> ColumnDef {
    let mut column = ColumnDef::new(name.to_string());
    match backend {
        Backend::Mysql => column.custom("LONGTEXT"),
        Backend::Postgres | Backend::Sqlite => column.text(),
    };
    column
}

/// `name text NOT NULL`.
pub(crate) fn text_not_null(backend: Backend, name: &str) -> ColumnDef {
    text(backend, name).not_null().take()
}

/// `name integer` (nullable; foreign-key columns).
pub(crate) fn integer(name: &str) -> ColumnDef {
    ColumnDef::new(name.to_string()).integer().take()
}

/// `name timestamp` (nullable). sea-query's own timestamp type is
/// `timestamp_text` on SQLite, so the type is given by name. On MariaDB it
/// is `DATETIME(6) NULL`: `TIMESTAMP` there converts time zones, ends in
/// 2038, and (with `explicit_defaults_for_timestamp` off) is NOT NULL.
pub(crate) fn timestamp(backend: Backend, name: &str) -> ColumnDef {
    let mut column = ColumnDef::new(name.to_string());
    match backend {
        Backend::Mysql => column.custom("DATETIME(6)").null(),
        Backend::Postgres | Backend::Sqlite => column.custom("timestamp"),
    };
    column
}

/// `name timestamp now`: nullable, `DEFAULT CURRENT_TIMESTAMP`
/// (`CURRENT_TIMESTAMP(6)` on MariaDB, to the column's microseconds).
pub(crate) fn timestamp_now(backend: Backend, name: &str) -> ColumnDef {
    let now = match backend {
        Backend::Mysql => Expr::cust("CURRENT_TIMESTAMP(6)"),
        Backend::Postgres | Backend::Sqlite => Expr::current_timestamp(),
    };
    timestamp(backend, name).default(now).take()
}

/// `name bool false`: `boolean DEFAULT false` on PostgreSQL,
/// `boolean DEFAULT 0` on SQLite.
pub(crate) fn bool_false(backend: Backend, name: &str) -> ColumnDef {
    let mut column = ColumnDef::new(name.to_string());
    column.boolean();
    match backend {
        Backend::Postgres => column.default(false),
        Backend::Sqlite => column.default(Expr::val(0)),
        Backend::Mysql => column.default(Expr::cust("FALSE")),
    };
    column
}

/// `name jsonb`: `jsonb` on PostgreSQL; on SQLite `text` with
/// `CHECK (name IS NULL OR json_valid(name))`; on MariaDB `JSON`, to which
/// the server itself adds `CHECK (json_valid(name))`.
pub(crate) fn jsonb(backend: Backend, name: &str) -> ColumnDef {
    let mut column = ColumnDef::new(name.to_string());
    match backend {
        Backend::Postgres => {
            column.json_binary();
        }
        Backend::Mysql => {
            column.json();
        }
        Backend::Sqlite => {
            column
                .custom("text")
                .check(Expr::cust(format!("{name} IS NULL OR json_valid({name})")));
        }
    }
    column
}

/// `geom geom(T)`: PostGIS `geometry(T, 4326)` on PostgreSQL; on SQLite
/// `text` holding a GeoJSON geometry of type `T`, checked.
///
/// The check is the spec's with one change: `IS 'T'` where the spec writes
/// `= 'T'`. With `=`, a valid JSON value without a `type` member (`{}`,
/// `[1]`, `42`) makes the comparison NULL, and a CHECK that is NULL passes:
/// such values would be accepted as geometries. `IS` is false for them.
///
/// The PostGIS type has no sea-query word; it is given as a custom type
/// name, which sea-query writes as is.
///
/// On MariaDB: `T REF_SYSTEM_ID=4326 NULL` with `CHECK (ST_SRID(geom) =
/// 4326)`, since MariaDB records the SRID of the column but accepts
/// geometries of any SRID.
pub(crate) fn geom(backend: Backend, geometry_type: &str) -> ColumnDef {
    let mut column = ColumnDef::new("geom");
    match backend {
        Backend::Postgres => {
            column.custom(format!("geometry({geometry_type}, 4326)"));
        }
        Backend::Mysql => {
            column
                .custom(format!("{geometry_type} REF_SYSTEM_ID=4326"))
                .null()
                .check(Expr::cust("ST_SRID(geom) = 4326"));
        }
        Backend::Sqlite => {
            column.custom("text").check(Expr::cust(format!(
                "geom IS NULL OR (json_valid(geom) AND json_extract(geom, '$.type') IS '{geometry_type}')"
            )));
        }
    }
    column
}

/// The ON DELETE behaviour of a foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnDelete {
    /// No clause (NO ACTION).
    NoAction,
    /// `ON DELETE CASCADE`.
    Cascade,
    /// `ON DELETE SET NULL`.
    SetNull,
}

/// `table.column fk → references(id)`, with its ON DELETE.
pub(crate) fn fk(
    table: &str,
    column: &str,
    references: &str,
    on_delete: OnDelete,
) -> ForeignKeyCreateStatement {
    let mut key = ForeignKey::create();
    key.from(table.to_string(), column.to_string())
        .to(references.to_string(), "id");
    match on_delete {
        OnDelete::NoAction => {}
        OnDelete::Cascade => {
            key.on_delete(ForeignKeyAction::Cascade);
        }
        OnDelete::SetNull => {
            key.on_delete(ForeignKeyAction::SetNull);
        }
    }
    key
}

/// A plain named b-tree index on `columns`.
pub(crate) fn index(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name.to_string()).table(table.to_string());
    for column in columns {
        index.col(column.to_string());
    }
    index
}

/// A plain named index on `columns`, where on MariaDB the columns in
/// `long_text` (`LONGTEXT`, which InnoDB indexes only by a prefix) are
/// indexed by their first [`MYSQL_TEXT_PREFIX`] characters.
pub(crate) fn prefixed_index(
    backend: Backend,
    name: &str,
    table: &str,
    columns: &[&str],
    long_text: &[&str],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name.to_string()).table(table.to_string());
    for column in columns {
        if backend == Backend::Mysql && long_text.contains(column) {
            index.col((column.to_string(), MYSQL_TEXT_PREFIX));
        } else {
            index.col(column.to_string());
        }
    }
    index
}

/// `covering (key…) include (extra…)`: `INCLUDE` on PostgreSQL; on SQLite
/// and MariaDB, which have no `INCLUDE`, a plain index on `(key…, extra…)`
/// (the same covering effect).
pub(crate) fn covering_index(
    backend: Backend,
    name: &str,
    table: &str,
    key: &[&str],
    include: &[&str],
) -> IndexCreateStatement {
    match backend {
        Backend::Postgres => {
            let mut statement = index(name, table, key);
            for column in include {
                statement.include(column.to_string());
            }
            statement
        }
        Backend::Sqlite | Backend::Mysql => {
            let columns: Vec<&str> = key.iter().chain(include).copied().collect();
            index(name, table, &columns)
        }
    }
}

/// `DROP INDEX name`.
pub(crate) fn drop_index(name: &str) -> IndexDropStatement {
    let mut statement = Index::drop();
    statement.name(name.to_string());
    statement
}

/// Creates the plain named indexes `(name, columns)` on `table`, in order.
pub(crate) fn create_indexes(op: &mut Ops, table: &str, indexes: &[(&str, &[&str])]) -> Result<()> {
    for (name, columns) in indexes {
        op.exec(index(name, table, columns))?;
    }
    Ok(())
}

/// Creates the named indexes `(name, columns)` on `table`, in order, the
/// columns in `long_text` indexed by a prefix on MariaDB
/// ([`prefixed_index`]).
pub(crate) fn create_text_indexes(
    op: &mut Ops,
    table: &str,
    indexes: &[(&str, &[&str])],
    long_text: &[&str],
) -> Result<()> {
    let backend = op.backend();
    for (name, columns) in indexes {
        op.exec(prefixed_index(backend, name, table, columns, long_text))?;
    }
    Ok(())
}

/// Drops the indexes of [`create_indexes`], in the reverse order. On
/// MariaDB nothing: the indexes go with their table (InnoDB refuses to
/// drop an index that a foreign key needs, and each drop would be one more
/// implicit commit).
pub(crate) fn drop_indexes(op: &mut Ops, indexes: &[(&str, &[&str])]) -> Result<()> {
    if op.backend() == Backend::Mysql {
        return Ok(());
    }
    for (name, _) in indexes.iter().rev() {
        op.exec(drop_index(name))?;
    }
    Ok(())
}

/// Drops one index of a table that the same downgrade then drops: nothing
/// on MariaDB (see [`drop_indexes`]).
pub(crate) fn drop_index_before_its_table(op: &mut Ops, name: &str) -> Result<()> {
    if op.backend() == Backend::Mysql {
        return Ok(());
    }
    op.exec(drop_index(name))
}
