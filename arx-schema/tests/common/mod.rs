//! Test support: the Arxos schema as `shared/arxos-schema.md` states it,
//! written here from the spec (not from the migration code), and readers
//! of the live schema from SQLite (`sqlite_master` and pragmas),
//! PostgreSQL (catalogs) and MariaDB (`information_schema`) into the same
//! description.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use arx_migrate::Backend;

// ---------------------------------------------------------------------------
// The description compared on both sides.

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Column {
    pub name: String,
    /// The declared type (SQLite) or `format_type` (PostgreSQL).
    pub ty: String,
    pub not_null: bool,
    pub default: Option<String>,
}

/// A foreign key: (column, referenced table, referenced column, ON DELETE).
pub type ForeignKey = (String, String, String, String);

/// One table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    /// Whether the primary key is `serial` (AUTOINCREMENT / identity).
    pub serial: bool,
    pub uniques: BTreeSet<Vec<String>>,
    pub foreign_keys: BTreeSet<ForeignKey>,
    pub checks: BTreeSet<String>,
}

/// One named index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDesc {
    pub table: String,
    /// `btree`, `gist` (PostgreSQL spatial), `rtree` (SQLite spatial) or
    /// `spatial` (MariaDB's side table). On MariaDB a column indexed by a
    /// prefix is written `name(255)`.
    pub method: String,
    pub columns: Vec<String>,
    pub include: Vec<String>,
    pub predicate: Option<String>,
}

/// A schema: tables and named indexes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
    pub indexes: BTreeMap<String, IndexDesc>,
}

impl Schema {
    pub fn spatial_count(&self) -> usize {
        self.indexes
            .values()
            .filter(|i| matches!(i.method.as_str(), "gist" | "rtree" | "spatial"))
            .count()
    }
    pub fn partial_count(&self) -> usize {
        self.indexes
            .values()
            .filter(|i| i.predicate.is_some())
            .count()
    }
    pub fn covering_count(&self) -> usize {
        self.indexes
            .values()
            .filter(|i| !i.include.is_empty())
            .count()
    }
}

/// Panics with a readable list of every difference.
pub fn assert_schema_eq(actual: &Schema, expected: &Schema, context: &str) {
    let mut out = String::new();
    let names = |m: &BTreeMap<String, Table>| m.keys().cloned().collect::<BTreeSet<_>>();
    let (a, e) = (names(&actual.tables), names(&expected.tables));
    for t in e.difference(&a) {
        let _ = writeln!(out, "missing table {t}");
    }
    for t in a.difference(&e) {
        let _ = writeln!(out, "unexpected table {t}");
    }
    for t in a.intersection(&e) {
        let (at, et) = (&actual.tables[t], &expected.tables[t]);
        if at.columns != et.columns {
            let _ = writeln!(
                out,
                "table {t} columns differ:\n  actual   {:?}\n  expected {:?}",
                at.columns, et.columns
            );
        }
        macro_rules! field {
            ($f:ident) => {
                if at.$f != et.$f {
                    let _ = writeln!(
                        out,
                        "table {t} {} differ:\n  actual   {:?}\n  expected {:?}",
                        stringify!($f),
                        at.$f,
                        et.$f
                    );
                }
            };
        }
        field!(primary_key);
        field!(serial);
        field!(uniques);
        field!(foreign_keys);
        field!(checks);
    }
    let (a, e): (BTreeSet<_>, BTreeSet<_>) = (
        actual.indexes.keys().collect(),
        expected.indexes.keys().collect(),
    );
    for i in e.difference(&a) {
        let _ = writeln!(out, "missing index {i}");
    }
    for i in a.difference(&e) {
        let _ = writeln!(out, "unexpected index {i}");
    }
    for i in a.intersection(&e) {
        if actual.indexes[*i] != expected.indexes[*i] {
            let _ = writeln!(
                out,
                "index {i} differs:\n  actual   {:?}\n  expected {:?}",
                actual.indexes[*i], expected.indexes[*i]
            );
        }
    }
    assert!(
        out.is_empty(),
        "{context}: schema differs from the spec:\n{out}"
    );
}

// ---------------------------------------------------------------------------
// The spec, in its own words.

/// A table of the spec: its columns in the spec's words, and table-level
/// UNIQUE constraints.
struct SpecTable {
    name: &'static str,
    columns: Vec<String>,
    uniques: Vec<Vec<&'static str>>,
}

/// An index of the spec.
struct SpecIndex {
    name: String,
    table: String,
    columns: Vec<String>,
    include: Vec<String>,
    spatial: bool,
    predicate: Option<&'static str>,
}

fn plain(table: &str, name: &str, columns: &[&str]) -> SpecIndex {
    SpecIndex {
        name: name.to_string(),
        table: table.to_string(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        include: vec![],
        spatial: false,
        predicate: None,
    }
}

fn covering(table: &str, name: &str, columns: &[&str], include: &[&str]) -> SpecIndex {
    SpecIndex {
        include: include.iter().map(|c| c.to_string()).collect(),
        ..plain(table, name, columns)
    }
}

fn cols(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn table(name: &'static str, columns: &[&str]) -> SpecTable {
    SpecTable {
        name,
        columns: cols(columns),
        uniques: vec![],
    }
}

/// A BIM object table, as "The BIM object tables" section says.
fn bim(
    name: &'static str,
    own: &[&str],
    geom: &str,
    room_id: bool,
    extra: Vec<SpecIndex>,
) -> (SpecTable, Vec<SpecIndex>) {
    let mut columns = vec!["id varchar(64) pk".to_string()];
    columns.extend(cols(own));
    columns.extend(cols(&[
        "layer varchar(100)",
        "created_by integer fk → users",
        "status varchar(50)",
        "source_svg varchar(255)",
        "svg_id varchar(255)",
        "locked_by integer fk → users",
        "assigned_to integer fk → users",
    ]));
    if room_id {
        columns.push("room_id varchar(64) fk → rooms".into());
    }
    columns.extend(cols(&[
        "building_id integer fk → buildings",
        "floor_id integer fk → floors",
    ]));
    columns.push(format!("geom geom({geom})"));
    columns.extend(cols(&[
        "category varchar(100) NOT NULL DEFAULT ''",
        "project_id integer fk → projects",
    ]));

    let n = |suffix: &str| format!("idx_{name}_{suffix}");
    let mut indexes = vec![SpecIndex {
        spatial: true,
        ..plain(name, &n("geom"), &["geom"])
    }];
    for c in [
        "assigned_to",
        "status",
        "created_by",
        "locked_by",
        "building_id",
        "project_id",
        "floor_id",
        "layer",
        "category",
    ] {
        indexes.push(plain(name, &n(c), &[c]));
    }
    if room_id {
        indexes.push(plain(name, &n("room_id"), &["room_id"]));
    }
    indexes.push(plain(
        name,
        &n("building_floor"),
        &["building_id", "floor_id"],
    ));
    indexes.push(plain(name, &n("project_status"), &["project_id", "status"]));
    indexes.push(plain(
        name,
        &n("building_floor_status"),
        &["building_id", "floor_id", "status"],
    ));
    indexes.push(plain(
        name,
        &n("assigned_status"),
        &["assigned_to", "status"],
    ));
    indexes.push(SpecIndex {
        predicate: Some("status = 'active'"),
        ..plain(name, &n("active"), &["building_id", "floor_id"])
    });
    indexes.push(SpecIndex {
        predicate: Some("locked_by IS NOT NULL"),
        ..plain(name, &n("locked"), &["building_id", "floor_id"])
    });
    indexes.extend(extra);
    (
        table(
            name,
            &columns.iter().map(String::as_str).collect::<Vec<_>>(),
        ),
        indexes,
    )
}

/// What revision `rev` (1 ..= 6) adds.
fn revision(rev: usize) -> (Vec<SpecTable>, Vec<SpecIndex>) {
    match rev {
        1 => (
            vec![
                table(
                    "users",
                    &[
                        "id serial pk",
                        "email varchar(255) UNIQUE NOT NULL",
                        "username varchar(100) UNIQUE NOT NULL",
                        "password_hash varchar(255) NOT NULL",
                        "role varchar(50) NOT NULL DEFAULT 'user'",
                        "created_at timestamp now",
                        "updated_at timestamp now",
                    ],
                ),
                table(
                    "projects",
                    &[
                        "id serial pk",
                        "name varchar(255) NOT NULL",
                        "user_id integer fk → users cascade",
                        "created_at timestamp now",
                        "updated_at timestamp now",
                    ],
                ),
            ],
            vec![
                plain("projects", "idx_projects_user_id", &["user_id"]),
                plain("projects", "idx_projects_created_at", &["created_at"]),
            ],
        ),
        2 => (
            vec![
                table(
                    "buildings",
                    &[
                        "id serial pk",
                        "name varchar(255) NOT NULL",
                        "address varchar(255)",
                        "owner_id integer fk → users set null",
                        "project_id integer fk → projects cascade",
                        "created_at timestamp now",
                        "updated_at timestamp now",
                    ],
                ),
                table(
                    "floors",
                    &[
                        "id serial pk",
                        "name varchar(255) NOT NULL",
                        "building_id integer fk → buildings cascade",
                        "svg_path varchar(255)",
                        "created_at timestamp now",
                        "updated_at timestamp now",
                    ],
                ),
            ],
            vec![
                plain("buildings", "idx_buildings_project_id", &["project_id"]),
                plain("buildings", "idx_buildings_owner_id", &["owner_id"]),
                plain("buildings", "idx_buildings_created_at", &["created_at"]),
                plain("buildings", "idx_buildings_updated_at", &["updated_at"]),
                covering(
                    "buildings",
                    "idx_buildings_covering",
                    &["owner_id"],
                    &["name", "address", "created_at"],
                ),
                plain("floors", "idx_floors_building_id", &["building_id"]),
                plain("floors", "idx_floors_name", &["name"]),
            ],
        ),
        3 => {
            let (t, i) = bim(
                "rooms",
                &["name varchar(255)"],
                "Polygon",
                false,
                vec![
                    plain("rooms", "idx_rooms_name", &["name"]),
                    plain(
                        "rooms",
                        "idx_rooms_building_category",
                        &["building_id", "category"],
                    ),
                    covering(
                        "rooms",
                        "idx_rooms_covering",
                        &["building_id", "floor_id"],
                        &["name", "status", "category"],
                    ),
                ],
            );
            (vec![t], i)
        }
        4 => {
            let mut tables = vec![];
            let mut indexes = vec![];
            for (t, g) in [
                ("walls", "LineString"),
                ("doors", "Point"),
                ("windows", "LineString"),
            ] {
                let (st, si) = bim(
                    t,
                    &["material varchar(100)"],
                    g,
                    true,
                    vec![
                        plain(t, &format!("idx_{t}_material"), &["material"]),
                        plain(
                            t,
                            &format!("idx_{t}_building_material"),
                            &["building_id", "material"],
                        ),
                    ],
                );
                tables.push(st);
                indexes.extend(si);
            }
            (tables, indexes)
        }
        5 => {
            let (d, di) = bim(
                "devices",
                &[
                    "type varchar(100)",
                    "system varchar(100)",
                    "subtype varchar(100)",
                ],
                "Point",
                true,
                vec![
                    plain("devices", "idx_devices_type", &["type"]),
                    plain("devices", "idx_devices_system", &["system"]),
                    plain("devices", "idx_devices_subtype", &["subtype"]),
                    plain(
                        "devices",
                        "idx_devices_building_system_type",
                        &["building_id", "system", "type"],
                    ),
                    covering(
                        "devices",
                        "idx_devices_covering",
                        &["building_id", "floor_id"],
                        &["type", "system", "status"],
                    ),
                ],
            );
            let (l, li) = bim(
                "labels",
                &["text varchar(255)"],
                "Point",
                true,
                vec![plain("labels", "idx_labels_text", &["text"])],
            );
            let (z, zi) = bim(
                "zones",
                &["name varchar(255)"],
                "Polygon",
                false,
                vec![plain("zones", "idx_zones_name", &["name"])],
            );
            (vec![d, l, z], di.into_iter().chain(li).chain(zi).collect())
        }
        6 => {
            let one = |t: &str, columns: &[&str]| -> Vec<SpecIndex> {
                columns
                    .iter()
                    .map(|c| plain(t, &format!("idx_{t}_{c}"), &[c]))
                    .collect()
            };
            let mut indexes = vec![];
            indexes.extend(one("drawings", &["project_id", "name", "created_at"]));
            indexes.extend(one(
                "comments",
                &["user_id", "object_id", "object_type", "created_at"],
            ));
            indexes.extend(one(
                "assignments",
                &[
                    "user_id",
                    "object_id",
                    "status",
                    "object_type",
                    "assigned_at",
                ],
            ));
            indexes.extend(one(
                "object_history",
                &[
                    "user_id",
                    "object_id",
                    "change_type",
                    "object_type",
                    "changed_at",
                ],
            ));
            indexes.push(plain(
                "object_history",
                "idx_object_history_user_changed",
                &["user_id", "changed_at"],
            ));
            indexes.push(plain(
                "object_history",
                "idx_object_history_object_changed",
                &["object_id", "changed_at"],
            ));
            indexes.extend(one("categories", &["building_id", "name"]));
            indexes.extend(one(
                "user_category_permissions",
                &["user_id", "category_id", "project_id", "can_edit"],
            ));
            indexes.extend(one(
                "audit_logs",
                &[
                    "user_id",
                    "object_id",
                    "action",
                    "object_type",
                    "created_at",
                ],
            ));
            indexes.push(plain(
                "audit_logs",
                "idx_audit_logs_user_action",
                &["user_id", "action"],
            ));
            indexes.push(plain(
                "audit_logs",
                "idx_audit_logs_user_created",
                &["user_id", "created_at"],
            ));
            indexes.extend(one(
                "chat_messages",
                &["building_id", "user_id", "audit_log_id", "created_at"],
            ));
            indexes.extend(one(
                "catalog_items",
                &[
                    "category_id",
                    "created_by",
                    "make",
                    "model",
                    "type",
                    "approved",
                    "created_at",
                ],
            ));
            indexes.push(plain(
                "catalog_items",
                "idx_catalog_items_make_model_type",
                &["make", "model", "type"],
            ));
            let mut ucp = table(
                "user_category_permissions",
                &[
                    "id serial pk",
                    "user_id integer fk → users cascade",
                    "category_id integer fk → categories cascade",
                    "project_id integer fk → projects cascade",
                    "can_edit bool false",
                    "created_at timestamp now",
                    "updated_at timestamp now",
                ],
            );
            ucp.uniques = vec![vec!["user_id", "category_id", "project_id"]];
            let tables = vec![
                table(
                    "drawings",
                    &[
                        "id serial pk",
                        "name varchar(255) NOT NULL",
                        "project_id integer fk → projects cascade",
                        "svg text NOT NULL",
                        "created_at timestamp now",
                        "updated_at timestamp now",
                    ],
                ),
                table(
                    "comments",
                    &[
                        "id serial pk",
                        "object_type varchar(50) NOT NULL",
                        "object_id varchar(64) NOT NULL",
                        "user_id integer fk → users",
                        "content text NOT NULL",
                        "created_at timestamp now",
                        "updated_at timestamp now",
                    ],
                ),
                table(
                    "assignments",
                    &[
                        "id serial pk",
                        "object_type varchar(50) NOT NULL",
                        "object_id varchar(64) NOT NULL",
                        "user_id integer fk → users",
                        "status varchar(50)",
                        "assigned_at timestamp now",
                        "released_at timestamp",
                    ],
                ),
                table(
                    "object_history",
                    &[
                        "id serial pk",
                        "object_type varchar(50) NOT NULL",
                        "object_id varchar(64) NOT NULL",
                        "user_id integer fk → users",
                        "change_type varchar(50) NOT NULL",
                        "change_data jsonb",
                        "changed_at timestamp now",
                    ],
                ),
                table(
                    "categories",
                    &[
                        "id serial pk",
                        "name varchar(100) UNIQUE NOT NULL",
                        "building_id integer fk → buildings",
                        "created_at timestamp now",
                        "updated_at timestamp now",
                    ],
                ),
                ucp,
                table(
                    "audit_logs",
                    &[
                        "id serial pk",
                        "user_id integer fk → users",
                        "object_type text",
                        "object_id text",
                        "action text",
                        "payload jsonb",
                        "created_at timestamp now",
                    ],
                ),
                table(
                    "chat_messages",
                    &[
                        "id serial pk",
                        "building_id integer fk → buildings cascade",
                        "user_id integer fk → users cascade",
                        "message text NOT NULL",
                        "audit_log_id integer fk → audit_logs",
                        "created_at timestamp now",
                    ],
                ),
                table(
                    "catalog_items",
                    &[
                        "id serial pk",
                        "make text NOT NULL",
                        "model text NOT NULL",
                        "serial_number text",
                        "category_id integer fk → categories",
                        "type text",
                        "specs jsonb",
                        "datasheet_url text",
                        "approved bool false",
                        "created_by integer fk → users",
                        "created_at timestamp now",
                        "updated_at timestamp now",
                    ],
                ),
            ];
            (tables, indexes)
        }
        _ => panic!("no revision {rev}"),
    }
}

/// The schema after revisions 1 ..= `rev` (0 = base), for `backend`.
pub fn expected(rev: usize, backend: Backend) -> Schema {
    let mut schema = Schema::default();
    for r in 1..=rev {
        let (tables, indexes) = revision(r);
        for t in tables {
            schema
                .tables
                .insert(t.name.to_string(), spec_table(&t, backend));
        }
        for i in indexes {
            let (method, include, columns) = match (i.spatial, backend) {
                (true, Backend::Postgres) => ("gist", vec![], i.columns),
                (true, Backend::Sqlite) => ("rtree", vec![], i.columns),
                (true, Backend::Mysql) => ("spatial", vec![], i.columns),
                // SQLite has no INCLUDE: the spec says a plain index on (k…, c…).
                (false, Backend::Sqlite) => (
                    "btree",
                    vec![],
                    i.columns.into_iter().chain(i.include).collect(),
                ),
                (false, Backend::Postgres) => ("btree", i.include, i.columns),
                // MariaDB: no INCLUDE, no partial indexes (the spec's
                // MariaDB table), and LONGTEXT columns by a 255 prefix.
                (false, Backend::Mysql) => {
                    let mut columns: Vec<String> = i.columns.into_iter().chain(i.include).collect();
                    match i.predicate {
                        Some("status = 'active'") => columns.insert(0, "status".into()),
                        Some("locked_by IS NOT NULL") => columns.push("locked_by".into()),
                        Some(other) => panic!("no MariaDB form for predicate {other}"),
                        None => {}
                    }
                    let table = &schema.tables[&i.table];
                    let columns = columns
                        .into_iter()
                        .map(|c| {
                            let long = table
                                .columns
                                .iter()
                                .any(|d| d.name == c && d.ty == "longtext");
                            if long {
                                format!("{c}(255)")
                            } else {
                                c
                            }
                        })
                        .collect();
                    ("btree", vec![], columns)
                }
            };
            let predicate =
                i.predicate
                    .filter(|_| backend != Backend::Mysql)
                    .map(|p| match backend {
                        Backend::Sqlite => p.to_string(),
                        Backend::Mysql => unreachable!(),
                        // How PostgreSQL deparses the two predicates of the spec.
                        Backend::Postgres => match p {
                            "status = 'active'" => "((status)::text = 'active'::text)".to_string(),
                            "locked_by IS NOT NULL" => "(locked_by IS NOT NULL)".to_string(),
                            other => panic!("no PostgreSQL form for predicate {other}"),
                        },
                    });
            let previous = schema.indexes.insert(
                i.name.clone(),
                IndexDesc {
                    table: i.table,
                    method: method.to_string(),
                    columns,
                    include,
                    predicate,
                },
            );
            assert!(previous.is_none(), "the spec names index {} twice", i.name);
        }
    }
    schema
}

/// Turns the spec's column words into the description for `backend`.
fn spec_table(spec: &SpecTable, backend: Backend) -> Table {
    if backend == Backend::Mysql {
        return mysql_spec_table(spec);
    }
    let pg = backend == Backend::Postgres;
    let mut table = Table::default();
    for words in &spec.columns {
        let (name, rest) = words.split_once(' ').expect("name and type");
        let mut rest = rest.to_string();
        // Foreign key: "fk → t [cascade|set null]" (always last).
        let mut fk = None;
        if let Some(i) = rest.find("fk → ") {
            let clause = rest[i + "fk → ".len()..].to_string();
            rest.truncate(i);
            rest = rest.trim().to_string();
            let (target, action) = match clause.split_once(' ') {
                Some((t, "cascade")) => (t.to_string(), "CASCADE"),
                Some((t, "set null")) => (t.to_string(), "SET NULL"),
                None => (clause.clone(), "NO ACTION"),
                Some((_, other)) => panic!("unknown ON DELETE {other}"),
            };
            fk = Some((
                name.to_string(),
                target,
                "id".to_string(),
                action.to_string(),
            ));
        }
        let mut take = |flag: &str| -> bool {
            if let Some(i) = rest.find(flag) {
                rest.replace_range(i..i + flag.len(), "");
                rest = rest.split_whitespace().collect::<Vec<_>>().join(" ");
                true
            } else {
                false
            }
        };
        let unique = take("UNIQUE");
        let mut not_null = take("NOT NULL");
        let mut default = None;
        if let Some(i) = rest.find("DEFAULT ") {
            let literal = rest[i + "DEFAULT ".len()..].to_string();
            rest.truncate(i);
            rest = rest.trim().to_string();
            default = Some(literal);
        }
        let mut check = None;
        let ty = match rest.as_str() {
            "serial pk" => {
                table.primary_key.push(name.to_string());
                table.serial = true;
                not_null = true;
                "integer".to_string()
            }
            "varchar(64) pk" => {
                table.primary_key.push(name.to_string());
                not_null = true;
                if pg {
                    "character varying(64)"
                } else {
                    "varchar(64)"
                }
                .to_string()
            }
            "timestamp now" => {
                default = Some("CURRENT_TIMESTAMP".to_string());
                if pg {
                    "timestamp without time zone"
                } else {
                    "timestamp"
                }
                .to_string()
            }
            "timestamp" => if pg {
                "timestamp without time zone"
            } else {
                "timestamp"
            }
            .to_string(),
            "bool false" => {
                default = Some(if pg { "false" } else { "0" }.to_string());
                "boolean".to_string()
            }
            "text" => "text".to_string(),
            "integer" => "integer".to_string(),
            "jsonb" => {
                if pg {
                    "jsonb".to_string()
                } else {
                    check = Some(format!("{name} IS NULL OR json_valid({name})"));
                    "text".to_string()
                }
            }
            other if other.starts_with("varchar(") => {
                if pg {
                    other.replace("varchar", "character varying")
                } else {
                    other.to_string()
                }
            }
            other if other.starts_with("geom(") => {
                let t = &other["geom(".len()..other.len() - 1];
                if pg {
                    format!("geometry({t},4326)")
                } else {
                    // The spec's check, with `IS` for `=`: with `=` a JSON
                    // value without a "type" makes the check NULL, which
                    // passes (see sqlite_rejects_bad_json_and_bad_geojson).
                    check = Some(format!(
                        "geom IS NULL OR (json_valid(geom) AND json_extract(geom, '$.type') IS '{t}')"
                    ));
                    "text".to_string()
                }
            }
            other => panic!("unknown spec type {other:?} in {words:?}"),
        };
        // PostgreSQL shows a varchar default with its cast.
        let default = default.map(|d| {
            if pg && d.starts_with('\'') {
                format!("{d}::character varying")
            } else {
                d
            }
        });
        if unique {
            table.uniques.insert(vec![name.to_string()]);
        }
        if let Some(fk) = fk {
            table.foreign_keys.insert(fk);
        }
        if let Some(check) = check {
            table.checks.insert(check);
        }
        table.columns.push(Column {
            name: name.to_string(),
            ty,
            not_null,
            default,
        });
    }
    for unique in &spec.uniques {
        table
            .uniques
            .insert(unique.iter().map(|c| c.to_string()).collect());
    }
    table
}

/// The spec's column words on MariaDB, as `information_schema` shows them
/// (the spec's "MariaDB" conventions table).
fn mysql_spec_table(spec: &SpecTable) -> Table {
    let mut table = Table::default();
    for words in &spec.columns {
        let (name, rest) = words.split_once(' ').expect("name and type");
        let mut rest = rest.to_string();
        if let Some(i) = rest.find("fk → ") {
            let clause = rest[i + "fk → ".len()..].to_string();
            rest.truncate(i);
            rest = rest.trim().to_string();
            let (target, action) = match clause.split_once(' ') {
                Some((t, "cascade")) => (t.to_string(), "CASCADE"),
                Some((t, "set null")) => (t.to_string(), "SET NULL"),
                // No clause: InnoDB reports RESTRICT (its NO ACTION).
                None => (clause.clone(), "RESTRICT"),
                Some((_, other)) => panic!("unknown ON DELETE {other}"),
            };
            table.foreign_keys.insert((
                name.to_string(),
                target,
                "id".to_string(),
                action.to_string(),
            ));
        }
        let mut take = |flag: &str| -> bool {
            if let Some(i) = rest.find(flag) {
                rest.replace_range(i..i + flag.len(), "");
                rest = rest.split_whitespace().collect::<Vec<_>>().join(" ");
                true
            } else {
                false
            }
        };
        if take("UNIQUE") {
            table.uniques.insert(vec![name.to_string()]);
        }
        let mut not_null = take("NOT NULL");
        let mut default = None;
        if let Some(i) = rest.find("DEFAULT ") {
            default = Some(rest[i + "DEFAULT ".len()..].to_string());
            rest.truncate(i);
            rest = rest.trim().to_string();
        }
        let ty = match rest.as_str() {
            "serial pk" => {
                table.primary_key.push(name.to_string());
                table.serial = true;
                not_null = true;
                "int(11)".to_string()
            }
            "varchar(64) pk" => {
                table.primary_key.push(name.to_string());
                not_null = true;
                "varchar(64)".to_string()
            }
            "timestamp now" => {
                default = Some("current_timestamp(6)".to_string());
                "datetime(6)".to_string()
            }
            "timestamp" => "datetime(6)".to_string(),
            "bool false" => {
                default = Some("0".to_string());
                "tinyint(1)".to_string()
            }
            "text" => "longtext".to_string(),
            "integer" => "int(11)".to_string(),
            "jsonb" => {
                table.checks.insert(format!("json_valid(`{name}`)"));
                "longtext".to_string()
            }
            other if other.starts_with("varchar(") => other.to_string(),
            other if other.starts_with("geom(") => {
                table.checks.insert(format!("srid(`{name}`) = 4326"));
                other["geom(".len()..other.len() - 1].to_lowercase()
            }
            other => panic!("unknown spec type {other:?} in {words:?}"),
        };
        table.columns.push(Column {
            name: name.to_string(),
            ty,
            not_null,
            default,
        });
    }
    for unique in &spec.uniques {
        table
            .uniques
            .insert(unique.iter().map(|c| c.to_string()).collect());
    }
    table
}

// ---------------------------------------------------------------------------
// SQLite

/// The bookkeeping tables, never part of the compared schema.
pub const BOOKKEEPING: [&str; 2] = ["alembic_version", "arx_migrate_history"];

/// On MariaDB also the journal of half-applied revisions, which every run
/// there keeps.
pub const MYSQL_BOOKKEEPING: [&str; 3] = [
    "alembic_version",
    "arx_migrate_history",
    "arx_migrate_journal",
];

fn sqlite_strings(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |row| {
            (0..n)
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => None,
                        rusqlite::types::ValueRef::Integer(v) => Some(v.to_string()),
                        rusqlite::types::ValueRef::Real(v) => Some(v.to_string()),
                        rusqlite::types::ValueRef::Text(v) | rusqlite::types::ValueRef::Blob(v) => {
                            Some(String::from_utf8_lossy(v).into_owned())
                        }
                    })
                })
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap();
    rows.map(|r| r.unwrap()).collect()
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// The CHECK expressions of a CREATE TABLE statement, whitespace-collapsed.
fn sqlite_checks(sql: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let upper = sql.to_uppercase();
    let mut from = 0;
    while let Some(i) = upper[from..].find("CHECK") {
        let start = from + i + "CHECK".len();
        let open = start + sql[start..].find('(').unwrap();
        let mut depth = 0;
        let mut end = open;
        for (j, c) in sql[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let expr = sql[open + 1..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        out.insert(expr);
        from = end;
    }
    out
}

/// Reads the schema of an SQLite database, and checks that every object in
/// `sqlite_master` is accounted for: the compared tables and indexes, the
/// bookkeeping tables, `sqlite_sequence`, and the objects of each spatial
/// index (R*Tree, its shadow tables, its map table, its three triggers).
pub fn sqlite_schema(conn: &rusqlite::Connection) -> Schema {
    let master = sqlite_strings(conn, "SELECT type, name, tbl_name, sql FROM sqlite_master");
    let mut schema = Schema::default();
    let mut accounted: BTreeSet<String> = BTreeSet::new();

    // Spatial indexes: the R*Tree virtual tables.
    let rtrees: Vec<(String, String)> = master
        .iter()
        .filter(|r| s(&r[0]) == "table" && s(&r[3]).to_uppercase().contains("USING RTREE"))
        .map(|r| (s(&r[1]), s(&r[3])))
        .collect();
    for (name, sql) in &rtrees {
        let columns: Vec<String> = sqlite_strings(conn, &format!("PRAGMA table_info({name})"))
            .iter()
            .map(|r| s(&r[1]))
            .collect();
        assert_eq!(
            columns,
            ["id", "minx", "maxx", "miny", "maxy", "obj_id"],
            "R*Tree {name} columns ({sql})"
        );
        let triggers: Vec<&Vec<Option<String>>> = master
            .iter()
            .filter(|r| s(&r[0]) == "trigger" && s(&r[1]).starts_with(&format!("{name}_")))
            .collect();
        let trigger_names: BTreeSet<String> = triggers.iter().map(|r| s(&r[1])).collect();
        assert_eq!(
            trigger_names,
            ["delete", "insert", "update"]
                .iter()
                .map(|k| format!("{name}_{k}"))
                .collect(),
            "triggers of spatial index {name}"
        );
        let tables: BTreeSet<String> = triggers.iter().map(|r| s(&r[2])).collect();
        assert_eq!(tables.len(), 1, "triggers of {name} on one table");
        let table = tables.into_iter().next().unwrap();
        // The indexed column: what the insert trigger reads the box from.
        let insert_sql = triggers
            .iter()
            .find(|r| s(&r[1]).ends_with("_insert"))
            .map(|r| s(&r[3]))
            .unwrap();
        assert!(insert_sql.contains("json_tree(NEW.geom"), "{insert_sql}");
        schema.indexes.insert(
            name.clone(),
            IndexDesc {
                table,
                method: "rtree".into(),
                columns: vec!["geom".into()],
                include: vec![],
                predicate: None,
            },
        );
        accounted.insert(name.clone());
        accounted.extend(trigger_names);
        accounted.insert(format!("sqlite_autoindex_{name}_map_1"));
        for shadow in ["node", "rowid", "parent", "map"] {
            let shadow = format!("{name}_{shadow}");
            assert!(
                master.iter().any(|r| s(&r[1]) == shadow),
                "spatial index {name} lacks {shadow}"
            );
            accounted.insert(shadow);
        }
    }

    for row in &master {
        let (kind, name, sql) = (s(&row[0]), s(&row[1]), s(&row[3]));
        if kind != "table"
            || accounted.contains(&name)
            || name == "sqlite_sequence"
            || BOOKKEEPING.contains(&name.as_str())
        {
            continue;
        }
        accounted.insert(name.clone());
        let mut table = Table::default();
        let mut pk: Vec<(i64, String)> = vec![];
        for c in sqlite_strings(conn, &format!("PRAGMA table_info(\"{name}\")")) {
            // cid, name, type, notnull, dflt_value, pk
            let column = s(&c[1]);
            let pk_pos: i64 = s(&c[5]).parse().unwrap();
            if pk_pos > 0 {
                pk.push((pk_pos, column.clone()));
            }
            // SQLite (3.37+) reports the standard type names (INTEGER, TEXT)
            // in capitals whatever their declared case; compare in lower case.
            table.columns.push(Column {
                name: column,
                ty: s(&c[2]).to_lowercase(),
                not_null: s(&c[3]) == "1",
                default: c[4].clone(),
            });
        }
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        table.serial = sql.to_uppercase().contains("AUTOINCREMENT")
            && table.primary_key.len() == 1
            && table
                .columns
                .iter()
                .any(|c| c.name == table.primary_key[0] && c.ty.eq_ignore_ascii_case("integer"));
        for fk in sqlite_strings(conn, &format!("PRAGMA foreign_key_list(\"{name}\")")) {
            // id, seq, table, from, to, on_update, on_delete, match
            table
                .foreign_keys
                .insert((s(&fk[3]), s(&fk[2]), s(&fk[4]), s(&fk[6])));
        }
        table.checks = sqlite_checks(&sql);
        for index in sqlite_strings(conn, &format!("PRAGMA index_list(\"{name}\")")) {
            // seq, name, unique, origin, partial
            let (index_name, origin, partial) = (s(&index[1]), s(&index[3]), s(&index[4]));
            let mut columns = vec![];
            let mut info = sqlite_strings(conn, &format!("PRAGMA index_xinfo(\"{index_name}\")"));
            info.sort_by_key(|r| s(&r[0]).parse::<i64>().unwrap());
            for r in info {
                // seqno, cid, name, desc, coll, key
                if s(&r[5]) == "1" {
                    columns.push(s(&r[2]));
                }
            }
            match origin.as_str() {
                "u" => {
                    table.uniques.insert(columns);
                }
                "pk" => {}
                _ => {
                    let index_sql = master
                        .iter()
                        .find(|r| s(&r[1]) == index_name)
                        .map(|r| s(&r[3]))
                        .unwrap_or_default();
                    let predicate = (partial == "1").then(|| {
                        let i = index_sql.to_uppercase().rfind(" WHERE ").unwrap();
                        index_sql[i + " WHERE ".len()..]
                            .replace('"', "")
                            .trim()
                            .to_string()
                    });
                    schema.indexes.insert(
                        index_name.clone(),
                        IndexDesc {
                            table: name.clone(),
                            method: "btree".into(),
                            columns,
                            include: vec![],
                            predicate,
                        },
                    );
                }
            }
            accounted.insert(index_name);
        }
        schema.tables.insert(name, table);
    }

    // Nothing else may exist.
    let unexplained: Vec<String> = master
        .iter()
        .map(|r| format!("{} {}", s(&r[0]), s(&r[1])))
        .filter(|entry| {
            let name = entry.split_once(' ').unwrap().1;
            !(accounted.contains(name)
                || name == "sqlite_sequence"
                || BOOKKEEPING.contains(&name)
                || (name.starts_with("sqlite_autoindex_")
                    && BOOKKEEPING.iter().any(|b| name.contains(b))))
        })
        .collect();
    assert!(
        unexplained.is_empty(),
        "unexplained objects: {unexplained:?}"
    );
    schema
}

// ---------------------------------------------------------------------------
// PostgreSQL

fn pg_rows(client: &mut postgres::Client, sql: &str) -> Vec<Vec<Option<String>>> {
    client
        .simple_query(sql)
        .unwrap()
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => None,
        })
        .collect()
}

/// Splits a `{a,b}` array literal.
fn pg_array(v: &Option<String>) -> Vec<String> {
    let text = s(v);
    let inner = text.trim_start_matches('{').trim_end_matches('}');
    if inner.is_empty() {
        vec![]
    } else {
        inner
            .split(',')
            .map(|x| x.trim_matches('"').to_string())
            .collect()
    }
}

/// Tables of the current schema that are not compared: the bookkeeping
/// tables and PostGIS's own.
pub const PG_IGNORED: [&str; 3] = ["alembic_version", "arx_migrate_history", "spatial_ref_sys"];

/// Reads the schema of the current PostgreSQL schema from the catalogs.
pub fn pg_schema(client: &mut postgres::Client) -> Schema {
    let mut schema = Schema::default();
    let ignored = PG_IGNORED.map(|t| format!("'{t}'")).join(",");
    let relations = pg_rows(
        client,
        &format!(
            "SELECT c.relname, c.relkind FROM pg_class c \
             WHERE c.relnamespace = current_schema()::regnamespace \
             AND c.relkind IN ('r','p','v','m','f') AND c.relname NOT IN ({ignored}) \
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                             AND d.objid = c.oid AND d.deptype = 'e') ORDER BY 1"
        ),
    );
    for r in &relations {
        assert_eq!(s(&r[1]), "r", "{} is an ordinary table", s(&r[0]));
    }
    for r in relations {
        let name = s(&r[0]);
        let mut table = Table::default();
        for c in pg_rows(
            client,
            &format!(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                 pg_get_expr(d.adbin, d.adrelid), a.attidentity \
                 FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE a.attrelid = '{name}'::regclass AND a.attnum > 0 AND NOT a.attisdropped \
                 ORDER BY a.attnum"
            ),
        ) {
            let default = c[3].clone();
            if s(&c[4]) == "d" || s(&c[4]) == "a" || s(&default).starts_with("nextval(") {
                table.serial = true;
            }
            table.columns.push(Column {
                name: s(&c[0]),
                ty: s(&c[1]),
                not_null: s(&c[2]) == "t",
                default: default.filter(|d| !d.starts_with("nextval(")),
            });
        }
        for k in pg_rows(
            client,
            &format!(
                "SELECT con.contype, \
                 ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o) \
                       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o), \
                 con.confrelid::regclass::text, \
                 ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o) \
                       JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o), \
                 con.confdeltype, pg_get_constraintdef(con.oid) \
                 FROM pg_constraint con WHERE con.conrelid = '{name}'::regclass"
            ),
        ) {
            let columns = pg_array(&k[1]);
            match s(&k[0]).as_str() {
                "p" => table.primary_key = columns,
                "u" => {
                    table.uniques.insert(columns);
                }
                "f" => {
                    assert_eq!(columns.len(), 1);
                    let action = match s(&k[4]).as_str() {
                        "a" => "NO ACTION",
                        "c" => "CASCADE",
                        "n" => "SET NULL",
                        "r" => "RESTRICT",
                        "d" => "SET DEFAULT",
                        other => panic!("confdeltype {other}"),
                    };
                    table.foreign_keys.insert((
                        columns[0].clone(),
                        s(&k[2]),
                        pg_array(&k[3])[0].clone(),
                        action.to_string(),
                    ));
                }
                "c" => {
                    table.checks.insert(s(&k[5]));
                }
                other => panic!("unexpected constraint kind {other} on {name}"),
            }
        }
        schema.tables.insert(name, table);
    }
    // Named indexes: those not backing a constraint.
    for i in pg_rows(
        client,
        &format!(
            "SELECT ic.relname, tc.relname, am.amname, x.indnkeyatts, \
             ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o) \
                   JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o), \
             pg_get_expr(x.indpred, x.indrelid), array_length(x.indkey::int2[], 1) \
             FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid \
             JOIN pg_class tc ON tc.oid = x.indrelid JOIN pg_am am ON am.oid = ic.relam \
             WHERE tc.relnamespace = current_schema()::regnamespace \
             AND tc.relname NOT IN ({ignored}) \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        ),
    ) {
        let all = pg_array(&i[4]);
        assert_eq!(
            all.len().to_string(),
            s(&i[6]),
            "index {} has expression columns",
            s(&i[0])
        );
        let keys: usize = s(&i[3]).parse().unwrap();
        schema.indexes.insert(
            s(&i[0]),
            IndexDesc {
                table: s(&i[1]),
                method: s(&i[2]),
                columns: all[..keys].to_vec(),
                include: all[keys..].to_vec(),
                predicate: i[5].clone(),
            },
        );
    }
    schema
}

/// What must remain on PostgreSQL at base: the bookkeeping tables, PostGIS
/// and its `spatial_ref_sys`, nothing else in the schema.
pub fn assert_pg_base(client: &mut postgres::Client) {
    let relations: BTreeSet<String> = pg_rows(
        client,
        "SELECT relname FROM pg_class c WHERE relnamespace = current_schema()::regnamespace \
         AND relkind IN ('r','p','v','m','f') \
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                         AND d.objid = c.oid AND d.deptype = 'e' AND c.relname <> 'spatial_ref_sys')",
    )
    .iter()
    .map(|r| s(&r[0]))
    .collect();
    assert_eq!(
        relations,
        PG_IGNORED.iter().map(|t| t.to_string()).collect(),
        "tables left at base"
    );
    let postgis = pg_rows(
        client,
        "SELECT 1 FROM pg_extension WHERE extname = 'postgis'",
    );
    assert_eq!(postgis.len(), 1, "the postgis extension stays at base");
    let triggers = pg_rows(
        client,
        "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal",
    );
    assert!(triggers.is_empty(), "triggers left: {triggers:?}");
}

/// What must remain on SQLite at base: the bookkeeping tables (and SQLite's
/// own `sqlite_sequence`), nothing else.
pub fn assert_sqlite_base(conn: &rusqlite::Connection) {
    let names: BTreeSet<String> = sqlite_strings(
        conn,
        "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
    )
    .iter()
    .map(|r| s(&r[0]))
    .collect();
    assert_eq!(
        names,
        BOOKKEEPING.iter().map(|t| t.to_string()).collect(),
        "objects left at base"
    );
}

/// A migrated scratch SQLite database in a temporary directory, with
/// foreign keys enforced as the spec requires of connections.
pub fn sqlite_db() -> (tempfile::TempDir, rusqlite::Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("arx.db")).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    (dir, conn)
}

// ---------------------------------------------------------------------------
// MariaDB

fn my_rows(conn: &mut dyn arx_migrate::Connection, sql: &str) -> Vec<Vec<Option<String>>> {
    conn.query(sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"))
}

/// The collation every Arxos table and text column has on MariaDB; JSON
/// columns have MariaDB's own `utf8mb4_bin`.
pub const MYSQL_COLLATION: &str = "utf8mb4_nopad_bin";

/// Reads the schema of the connection's database from `information_schema`.
///
/// Besides the description, it asserts what the description does not hold:
/// every table is InnoDB with [`MYSQL_COLLATION`] (and so is every text
/// column but JSON ones), every geometry column has SRID 4326, and each
/// spatial index is a side table `idx_<t>_geom` of the spec's shape, kept by
/// exactly its two triggers on `<t>`. Nothing else (views, routines,
/// other triggers) may exist.
pub fn mysql_schema(conn: &mut dyn arx_migrate::Connection) -> Schema {
    let mut schema = Schema::default();
    let db = "TABLE_SCHEMA = DATABASE()";
    let tables = my_rows(
        conn,
        &format!(
            "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION FROM information_schema.TABLES \
             WHERE {db} ORDER BY 1"
        ),
    );
    let mut side_tables = BTreeSet::new();
    for t in &tables {
        let name = s(&t[0]);
        if MYSQL_BOOKKEEPING.contains(&name.as_str()) {
            continue;
        }
        assert_eq!(s(&t[1]), "BASE TABLE", "{name} is a table");
        assert_eq!(s(&t[2]), "InnoDB", "{name}'s engine");
        assert_eq!(s(&t[3]), MYSQL_COLLATION, "{name}'s collation");
        if name.starts_with("idx_") && name.ends_with("_geom") {
            side_tables.insert(name);
        }
    }
    let geometry_srids: BTreeMap<(String, String), String> = my_rows(
        conn,
        "SELECT G_TABLE_NAME, G_GEOMETRY_COLUMN, SRID FROM information_schema.GEOMETRY_COLUMNS \
         WHERE G_TABLE_SCHEMA = DATABASE()",
    )
    .into_iter()
    .map(|r| ((s(&r[0]), s(&r[1])), s(&r[2])))
    .collect();
    for ((table, column), srid) in &geometry_srids {
        assert_eq!(srid, "4326", "SRID of {table}.{column}");
    }
    let triggers = my_rows(
        conn,
        "SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT \
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
    );
    let mut accounted_triggers = BTreeSet::new();
    for side in &side_tables {
        let columns = my_rows(
            conn,
            &format!(
                "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS \
                 WHERE {db} AND TABLE_NAME = '{side}' ORDER BY ORDINAL_POSITION"
            ),
        );
        let shape: Vec<(String, String, String)> = columns
            .iter()
            .map(|r| (s(&r[0]), s(&r[1]), s(&r[2])))
            .collect();
        assert_eq!(shape.len(), 2, "side table {side}: {shape:?}");
        assert_eq!(
            shape[0],
            ("id".into(), "varchar(64)".into(), "NO".into()),
            "{side}"
        );
        assert_eq!(
            (&shape[1].0, &shape[1].2),
            (&"geom".to_string(), &"NO".to_string()),
            "{side}"
        );
        let keys = my_rows(
            conn,
            &format!(
                "SELECT INDEX_NAME, INDEX_TYPE, COLUMN_NAME FROM information_schema.STATISTICS \
                 WHERE {db} AND TABLE_NAME = '{side}' ORDER BY INDEX_NAME, SEQ_IN_INDEX"
            ),
        );
        let keys: BTreeSet<(String, String, String)> = keys
            .iter()
            .map(|r| (s(&r[0]), s(&r[1]), s(&r[2])))
            .collect();
        assert_eq!(
            keys,
            [
                ("PRIMARY".to_string(), "BTREE".to_string(), "id".to_string()),
                (side.clone(), "SPATIAL".to_string(), "geom".to_string()),
            ]
            .into_iter()
            .collect(),
            "indexes of {side}"
        );
        let fks = my_rows(
            conn,
            &format!(
                "SELECT k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE \
                 FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                 ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
                 WHERE k.{db} AND k.TABLE_NAME = '{side}'"
            ),
        );
        assert_eq!(fks.len(), 1, "{side} has one foreign key");
        let table = s(&fks[0][1]);
        assert_eq!(
            (s(&fks[0][0]), s(&fks[0][2]), s(&fks[0][3]), s(&fks[0][4])),
            ("id".into(), "id".into(), "CASCADE".into(), "CASCADE".into()),
            "{side}'s foreign key"
        );
        assert_eq!(side, &format!("idx_{table}_geom"), "{side} indexes {table}");
        // Its geometry type is the indexed column's.
        let base_type = my_rows(
            conn,
            &format!(
                "SELECT COLUMN_TYPE FROM information_schema.COLUMNS \
                 WHERE {db} AND TABLE_NAME = '{table}' AND COLUMN_NAME = 'geom'"
            ),
        );
        assert_eq!(s(&base_type[0][0]), shape[1].1, "geometry type of {side}");
        let mine: BTreeMap<String, (String, String, String, String)> = triggers
            .iter()
            .filter(|r| s(&r[0]).starts_with(&format!("{side}_")))
            .map(|r| (s(&r[0]), (s(&r[1]), s(&r[2]), s(&r[3]), s(&r[4]))))
            .collect();
        let kinds: BTreeSet<String> = mine.keys().cloned().collect();
        assert_eq!(
            kinds,
            [format!("{side}_insert"), format!("{side}_update")]
                .into_iter()
                .collect(),
            "triggers of {side}"
        );
        for (trigger, (event, on, timing, body)) in &mine {
            assert_eq!(on, &table, "{trigger} is on {table}");
            assert_eq!(timing, "AFTER", "{trigger}");
            assert!(
                trigger.ends_with(&format!("_{}", event.to_lowercase())),
                "{trigger}: {event}"
            );
            assert!(
                body.contains(&format!("INSERT INTO {side}")),
                "{trigger}: {body}"
            );
        }
        accounted_triggers.extend(kinds);
        schema.indexes.insert(
            side.clone(),
            IndexDesc {
                table,
                method: "spatial".into(),
                columns: vec!["geom".into()],
                include: vec![],
                predicate: None,
            },
        );
    }
    let unexplained: Vec<String> = triggers
        .iter()
        .map(|r| s(&r[0]))
        .filter(|t| !accounted_triggers.contains(t))
        .collect();
    assert!(
        unexplained.is_empty(),
        "unexplained triggers: {unexplained:?}"
    );
    let routines = my_rows(
        conn,
        "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()",
    );
    assert!(routines.is_empty(), "unexplained routines: {routines:?}");

    for t in &tables {
        let name = s(&t[0]);
        if MYSQL_BOOKKEEPING.contains(&name.as_str()) || side_tables.contains(&name) {
            continue;
        }
        let mut table = Table::default();
        for c in my_rows(
            conn,
            &format!(
                "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLLATION_NAME, DATA_TYPE \
                 FROM information_schema.COLUMNS WHERE {db} AND TABLE_NAME = '{name}' ORDER BY ORDINAL_POSITION"
            ),
        ) {
            let column = s(&c[0]);
            if s(&c[4]).contains("auto_increment") {
                table.serial = true;
            }
            if let Some(collation) = &c[5] {
                let is_json = my_rows(
                    conn,
                    &format!(
                        "SELECT 1 FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() \
                         AND TABLE_NAME = '{name}' AND CHECK_CLAUSE = 'json_valid(`{column}`)'"
                    ),
                )
                .len()
                    == 1;
                let want = if is_json { "utf8mb4_bin" } else { MYSQL_COLLATION };
                assert_eq!(collation, want, "collation of {name}.{column}");
            }
            // MariaDB writes a NULL default as the word NULL.
            let default = c[3].clone().filter(|d| d != "NULL");
            table.columns.push(Column {
                name: column,
                ty: s(&c[1]),
                not_null: s(&c[2]) == "NO",
                default,
            });
        }
        for fk in my_rows(
            conn,
            &format!(
                "SELECT k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE \
                 FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                 ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
                 WHERE k.{db} AND k.TABLE_NAME = '{name}'"
            ),
        ) {
            table
                .foreign_keys
                .insert((s(&fk[0]), s(&fk[1]), s(&fk[2]), s(&fk[3])));
        }
        for check in my_rows(
            conn,
            &format!(
                "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS \
                 WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = '{name}'"
            ),
        ) {
            table.checks.insert(s(&check[0]));
        }
        // Indexes: (name, non_unique, type) → columns (with prefixes).
        let mut indexes: BTreeMap<String, (bool, String, Vec<String>)> = BTreeMap::new();
        for i in my_rows(
            conn,
            &format!(
                "SELECT INDEX_NAME, NON_UNIQUE, INDEX_TYPE, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS \
                 WHERE {db} AND TABLE_NAME = '{name}' ORDER BY INDEX_NAME, SEQ_IN_INDEX"
            ),
        ) {
            let column = match &i[4] {
                Some(prefix) => format!("{}({prefix})", s(&i[3])),
                None => s(&i[3]),
            };
            indexes
                .entry(s(&i[0]))
                .or_insert_with(|| (s(&i[1]) == "1", s(&i[2]), vec![]))
                .2
                .push(column);
        }
        for (index_name, (non_unique, kind, columns)) in indexes {
            if index_name == "PRIMARY" {
                table.primary_key = columns;
            } else if !non_unique {
                table.uniques.insert(columns);
            } else {
                schema.indexes.insert(
                    index_name,
                    IndexDesc {
                        table: name.clone(),
                        method: kind.to_lowercase(),
                        columns,
                        include: vec![],
                        predicate: None,
                    },
                );
            }
        }
        schema.tables.insert(name, table);
    }
    schema
}

/// What must remain on MariaDB at base: the bookkeeping tables, and no
/// trigger, view or routine.
pub fn assert_mysql_base(conn: &mut dyn arx_migrate::Connection) {
    let names: BTreeSet<String> = my_rows(
        conn,
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    )
    .iter()
    .map(|r| s(&r[0]))
    .collect();
    assert_eq!(
        names,
        MYSQL_BOOKKEEPING.iter().map(|t| t.to_string()).collect(),
        "tables left at base"
    );
    let triggers = my_rows(
        conn,
        "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
    );
    assert!(triggers.is_empty(), "triggers left: {triggers:?}");
}
