//! The run lock's identity: one lock per database schema and version table,
//! so two migration sets in one database do not block each other while two
//! replicas of one service do.

/// The advisory-lock key for a version table in a schema: the first eight
/// bytes of a SHA-256 of both names, stable across versions and platforms.
pub fn lock_key(schema: &str, version_table: &str) -> i64 {
    let digest =
        hmac_sha256::Hash::hash(format!("arx-migrate\0{schema}\0{version_table}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_schema_and_table_and_are_stable() {
        let key = lock_key("public", "alembic_version");
        assert_eq!(key, lock_key("public", "alembic_version"));
        assert_ne!(key, lock_key("other", "alembic_version"));
        assert_ne!(key, lock_key("public", "arx_migrate_version"));
        // Not ambiguous where names could run together.
        assert_ne!(lock_key("ab", "c"), lock_key("a", "bc"));
    }
}
