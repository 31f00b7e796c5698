//! The `cli_demo` command line as a process of its own, for runs that are
//! killed or that race: the test binary, run again with only
//! [`cli_process`], which runs the command line in process and exits with
//! its code. Included by the test files that need it as `mod process`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::support::{demo, run_in};

/// Set in a child process of a test binary: the folder and arguments of
/// the `cli_demo` run it is to be (JSON).
const CLI_PROCESS: &str = "ARX_MIGRATE_TEST_CLI_PROCESS";

/// Starts `cli_demo ARGS…` in `dir` as a process of its own.
pub fn spawn_cli(dir: &Path, args: &[&str]) -> Child {
    let run = serde_json::json!({ "dir": dir, "args": args });
    Command::new(std::env::current_exe().unwrap())
        .args([
            "process::cli_process",
            "--exact",
            "--ignored",
            "--test-threads=1",
        ])
        .env(CLI_PROCESS, run.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The child of [`spawn_cli`]: run only by it.
#[test]
#[ignore = "the child process of spawn_cli, which runs it"]
fn cli_process() {
    let Ok(run) = std::env::var(CLI_PROCESS) else {
        return;
    };
    let run: serde_json::Value = serde_json::from_str(&run).unwrap();
    let args: Vec<&str> = run["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arg| arg.as_str().unwrap())
        .collect();
    let dir = Path::new(run["dir"].as_str().unwrap());
    std::process::exit(run_in(demo(), dir, &args, &[]).code);
}

/// Polls `check` until it holds; a minute only keeps a broken test from
/// hanging.
pub fn until(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "gave up waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
