//! The blocking PostgreSQL client on a thread that drives an async runtime:
//! an error, with no panic message on stderr; on a blocking thread
//! (`spawn_blocking`) it works. One test in its own binary, because it
//! watches the process's panic hook.

mod support;

use std::sync::{Arc, Mutex};

use arx_migrate_core::{Error, Migrator};
use support::{backends, branchy_chain, TestDb};

#[test]
fn inside_a_runtime_is_an_error_with_nothing_on_stderr() {
    let Some(db) = backends("inside_a_runtime_is_an_error_with_nothing_on_stderr")
        .into_iter()
        .find_map(|db| match db {
            TestDb::Postgres(db) => Some(db),
            TestDb::Sqlite { .. } => None,
        })
    else {
        return;
    };
    // Whatever the panic hook is asked to print, recorded instead.
    let printed: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = printed.clone();
    std::panic::set_hook(Box::new(move |info| {
        record.lock().unwrap().push(info.to_string());
    }));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // The check for code that opens a client of its own: refused on the
    // runtime's thread, quietly; allowed on a blocking thread and outside.
    use arx_migrate_core::backend::postgres::refuse_inside_async_runtime;
    assert!(matches!(
        runtime.block_on(async { refuse_inside_async_runtime() }),
        Err(Error::InsideAsyncRuntime)
    ));
    let on_blocking_thread = runtime.block_on(async {
        tokio::task::spawn_blocking(refuse_inside_async_runtime)
            .await
            .unwrap()
    });
    assert!(on_blocking_thread.is_ok(), "{on_blocking_thread:?}");
    assert!(refuse_inside_async_runtime().is_ok());
    assert!(
        printed.lock().unwrap().is_empty(),
        "the check's panic reached the panic hook: {:?}",
        printed.lock().unwrap()
    );

    let migrator = Arc::new(Migrator::new(branchy_chain()).unwrap());
    let mut client = arx_migrate_testing::connect(db.url()).unwrap();
    let (client, result) = runtime.block_on(async {
        let result = migrator.upgrade(&mut client, "head");
        (client, result)
    });
    assert!(
        matches!(result, Err(Error::InsideAsyncRuntime)),
        "{result:?}"
    );
    assert!(
        printed.lock().unwrap().is_empty(),
        "the driver's panic reached the panic hook: {:?}",
        printed.lock().unwrap()
    );

    // On a blocking thread the same client works.
    let report = runtime
        .block_on(async move {
            let migrator = migrator.clone();
            tokio::task::spawn_blocking(move || {
                let mut client = client;
                migrator.upgrade(&mut client, "head")
            })
            .await
        })
        .unwrap()
        .unwrap();
    assert_eq!(report.heads_after, ["005"]);

    // Other panics still reach the hook.
    let _ = std::panic::catch_unwind(|| panic!("an unrelated panic"));
    assert_eq!(printed.lock().unwrap().len(), 1);
    let _ = std::panic::take_hook();
}
