//! Panics: catching one without its message reaching stderr, and the
//! message of a caught one. A leaf module: it imports nothing of the crate.
//!
//! sea-query panics on statements a backend cannot express. [`Ops`] checks
//! for every such statement it knows of before rendering (see
//! `ops::statement`); this is the net under those checks, for a path a
//! newer sea-query adds. `catch_unwind` alone is not enough: the panic hook
//! prints the message before the unwind is caught. So a hook is installed
//! once that stays silent while the current thread is rendering, and hands
//! every other panic to the hook that was there before it.
//!
//! The PostgreSQL backend uses it too, to ask tokio whether the current
//! thread may block before the blocking client is called (tokio answers
//! with a panic).
//!
//! [`Ops`]: crate::Ops

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static INSTALL: Once = Once::new();

/// Runs `f`; a panic in it is returned as its message, printed nowhere.
pub fn catch_quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was_quiet = QUIET.with(|quiet| quiet.replace(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|quiet| quiet.set(was_quiet));
    outcome.map_err(|panic| panic_message(&*panic))
}

/// The message of a caught panic (`catch_unwind`'s payload).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        let caught = catch_quietly(|| -> u8 { panic!("not for this backend") });
        assert_eq!(caught, Err("not for this backend".to_string()));
        assert_eq!(catch_quietly(|| 7), Ok(7));
    }

    #[test]
    fn quiet_is_only_for_the_duration_of_the_call() {
        let _ = catch_quietly(|| -> u8 { panic!("x") });
        assert!(!QUIET.with(Cell::get));
        let nested = catch_quietly(|| catch_quietly(|| -> u8 { panic!("inner") }));
        assert_eq!(nested, Ok(Err("inner".to_string())));
        assert!(!QUIET.with(Cell::get));
    }
}
