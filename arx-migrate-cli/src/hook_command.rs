//! Runs one hook command: through the shell, with a document on its
//! stdin and variables in its environment, killed (with whatever it
//! started) when it outlives its timeout.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::env::Env;

/// How much of a hook's output is kept for the report.
const KEPT_OUTPUT: usize = 4000;

/// How to run a hook's command.
pub(crate) struct Invocation<'a> {
    /// The shell command line.
    pub(crate) command: &'a str,
    /// Written to its stdin.
    pub(crate) stdin: String,
    /// Variables set for it.
    pub(crate) vars: Vec<(String, String)>,
    /// Variables it must not see (they may hold a database password).
    pub(crate) hidden: Vec<String>,
    /// The environment it starts from (the program's).
    pub(crate) env: &'a Env,
    /// Where it runs.
    pub(crate) current_dir: Option<PathBuf>,
    /// How long it may run.
    pub(crate) timeout: Duration,
}

/// How a hook's command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// It exited with this status (`None`: killed by a signal).
    Exited(Option<i32>),
    /// It outlived its timeout and was killed.
    TimedOut,
    /// It could not be started.
    NotStarted(String),
}

/// What one command did.
#[derive(Debug, Clone)]
pub(crate) struct Ran {
    pub(crate) ending: Ending,
    /// Its stdout and stderr, the end of them.
    pub(crate) output: String,
    pub(crate) duration: Duration,
}

impl Ran {
    pub(crate) fn succeeded(&self) -> bool {
        self.ending == Ending::Exited(Some(0))
    }
}

/// Runs the command and waits for it, at most its timeout.
pub(crate) fn run(invocation: &Invocation<'_>) -> Ran {
    let started = Instant::now();
    let mut command = shell(invocation.command);
    invocation.env.apply_to(&mut command);
    for name in &invocation.hidden {
        command.env_remove(name);
    }
    command
        .envs(invocation.vars.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = &invocation.current_dir {
        command.current_dir(dir);
    }
    #[cfg(unix)]
    {
        // Its own process group, so that a timeout kills what it started.
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            return Ran {
                ending: Ending::NotStarted(error.to_string()),
                output: String::new(),
                duration: started.elapsed(),
            }
        }
    };
    // Fed and read on threads: a hook that reads no stdin, or writes much
    // output, must not block the run.
    if let Some(mut stdin) = child.stdin.take() {
        let document = invocation.stdin.clone();
        std::thread::spawn(move || {
            let _ = stdin.write_all(document.as_bytes());
        });
    }
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut stream| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stream.read_to_end(&mut bytes);
            bytes
        })
    })
    .collect();
    let ending = wait(&mut child, invocation.timeout);
    let mut output = String::new();
    for reader in readers {
        // After a kill the group is gone and the pipes close; a reader
        // still blocked (a grandchild that left the group) is left behind.
        if ending != Ending::TimedOut || reader.is_finished() {
            if let Ok(bytes) = reader.join() {
                output.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    Ran {
        ending,
        output: tail(output.trim_end(), KEPT_OUTPUT),
        duration: started.elapsed(),
    }
}

/// The platform's shell running `line`.
fn shell(line: &str) -> Command {
    if cfg!(windows) {
        let mut command = Command::new("cmd");
        command.arg("/C").arg(line);
        command
    } else {
        // By path: the environment may have been cleared (no PATH).
        let mut command = Command::new("/bin/sh");
        command.arg("-c").arg(line);
        command
    }
}

/// Waits for the child up to `timeout`; past it, kills its process group.
fn wait(child: &mut Child, timeout: Duration) -> Ending {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ending::Exited(status.code()),
            Ok(None) if Instant::now() >= deadline => {
                kill(child);
                let _ = child.wait();
                return Ending::TimedOut;
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(error) => return Ending::NotStarted(error.to_string()),
        }
    }
}

fn kill(child: &mut Child) {
    #[cfg(unix)]
    {
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: kill(2) with a negative pid signals the process
            // group the child leads (made with process_group(0)); it
            // touches no memory of this process.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
    let _ = child.kill();
}

/// The last `max` bytes of `text`, on a character boundary.
fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}
