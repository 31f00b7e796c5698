//! SQLite's shadow tables: the tables a virtual table keeps its data in,
//! made and dropped with it. They are not the schema's own tables, but a
//! table that only shares the virtual table's name as a prefix is (the
//! `<index>_map` table an Arxos spatial index keeps beside its R*Tree).

/// The suffixes of the shadow tables of a virtual table made with
/// `CREATE VIRTUAL TABLE name USING <module>(…)`, by module.
fn shadow_suffixes(definition: &str) -> &'static [&'static str] {
    let module = definition
        .to_ascii_lowercase()
        .split_once(" using ")
        .map(|(_, rest)| {
            rest.trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .unwrap_or_default();
    match module.as_str() {
        "rtree" | "rtree_i32" | "geopoly" => &["node", "parent", "rowid"],
        "fts5" => &["data", "idx", "content", "docsize", "config"],
        "fts3" | "fts4" => &["content", "segments", "segdir", "docsize", "stat"],
        _ => &[],
    }
}

/// Whether `table` is a shadow table of one of `virtual_tables`
/// (`(name, definition)`).
pub(super) fn is_shadow_table<'a>(
    table: &str,
    mut virtual_tables: impl Iterator<Item = (&'a String, &'a String)>,
) -> bool {
    virtual_tables.any(|(name, definition)| {
        table
            .strip_prefix(name.as_str())
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|suffix| shadow_suffixes(definition).contains(&suffix))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_modules_own_suffixes_are_shadow_tables() {
        let rtree = (
            "idx_rooms_geom".to_string(),
            "CREATE VIRTUAL TABLE idx_rooms_geom USING rtree(id, minx, maxx, miny, maxy, +obj_id)"
                .to_string(),
        );
        let shadow = |table: &str| is_shadow_table(table, [(&rtree.0, &rtree.1)].into_iter());
        assert!(shadow("idx_rooms_geom_node"));
        assert!(shadow("idx_rooms_geom_parent"));
        assert!(shadow("idx_rooms_geom_rowid"));
        assert!(!shadow("idx_rooms_geom_map"));
        assert!(!shadow("idx_rooms_geom"));
        let fts = (
            "docs".to_string(),
            "CREATE VIRTUAL TABLE docs USING fts5(body)".to_string(),
        );
        assert!(is_shadow_table(
            "docs_content",
            [(&fts.0, &fts.1)].into_iter()
        ));
        assert!(!is_shadow_table(
            "docs_node",
            [(&fts.0, &fts.1)].into_iter()
        ));
    }
}
