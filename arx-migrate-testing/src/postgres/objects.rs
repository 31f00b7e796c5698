//! Building and dropping the schemas and databases the pool hands out.

use arx_migrate_core::error::Result;
use arx_migrate_core::not_api::scratch::with_database;

use super::clients::PooledClient;
use super::registry::{fixture_error, Kind, Object};

/// How to build one object of a migration set.
#[derive(Debug, Clone)]
pub(crate) enum Recipe {
    /// A schema in the shared database `database` (whose extensions are
    /// installed), filled by `setup`: the migrations' recorded SQL, without
    /// transaction control, run with the schema first on the search path.
    Schema { database: String, setup: String },
    /// A copy of the template database `template`.
    Database { template: String },
}

impl Recipe {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Recipe::Schema { .. } => Kind::Schema,
            Recipe::Database { .. } => Kind::Database,
        }
    }
}

/// Builds `object` by `recipe`. A schema is built in one transaction, so a
/// build cut short (the process killed) leaves nothing behind.
pub(crate) fn build(server_url: &str, object: &Object, recipe: &Recipe) -> Result<()> {
    let name = &object.name;
    match recipe {
        Recipe::Schema { database, setup } => {
            let (mut client, _) = PooledClient::take(&with_database(server_url, database))?;
            let built = client.batch_execute(&format!(
                "BEGIN;\nCREATE SCHEMA {name};\nSET LOCAL search_path TO {name}, public;\n{setup}COMMIT;"
            ));
            if let Err(error) = built {
                // The session is inside a failed transaction: not reusable.
                client.discard();
                return Err(fixture_error(&format!(
                    "building the test schema {name} in {database}"
                ))(error));
            }
            Ok(())
        }
        Recipe::Database { template } => PooledClient::take(server_url)?
            .0
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .map_err(fixture_error(&format!(
                "copying the template {template} to {name}"
            ))),
    }
}

/// Drops `object` if it exists. A database is dropped even while sessions
/// are still connected to it (`WITH (FORCE)`): its owner is done with it.
pub(crate) fn destroy(server_url: &str, kind: Kind, object: &Object) -> Result<()> {
    let name = &object.name;
    match kind {
        Kind::Schema => {
            let url = with_database(server_url, &object.database);
            let (mut client, _) = match PooledClient::take(&url) {
                Ok(client) => client,
                // The database itself is gone, and the schema with it.
                Err(arx_migrate_core::Error::Database(e)) if e.code.as_deref() == Some("3D000") => {
                    return Ok(())
                }
                Err(error) => return Err(error),
            };
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .map_err(fixture_error(&format!("dropping the test schema {name}")))
        }
        Kind::Database => PooledClient::take(server_url)?
            .0
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .map_err(fixture_error(&format!("dropping the test database {name}"))),
    }
}

/// The system catalogs that creating and dropping schemas churns; vacuumed
/// now and then so that the shared database does not grow with every
/// schema ever built in it.
const CHURNED_CATALOGS: &str = "pg_catalog.pg_class, pg_catalog.pg_attribute, \
    pg_catalog.pg_type, pg_catalog.pg_depend, pg_catalog.pg_index, pg_catalog.pg_constraint, \
    pg_catalog.pg_attrdef, pg_catalog.pg_namespace, pg_catalog.pg_description, \
    pg_catalog.pg_trigger, pg_catalog.pg_statistic, pg_catalog.pg_sequence, pg_catalog.pg_proc, \
    pg_catalog.pg_rewrite, pg_catalog.pg_init_privs";

/// Vacuums the churned catalogs of `database`.
pub(crate) fn vacuum_catalogs(server_url: &str, database: &str) -> Result<()> {
    let (mut client, _) = PooledClient::take(&with_database(server_url, database))?;
    client
        .batch_execute(&format!("VACUUM (SKIP_LOCKED) {CHURNED_CATALOGS}"))
        .map_err(fixture_error(&format!(
            "vacuuming the catalogs of {database}"
        )))
}
