//! What a fleet run shows while it runs, on stderr: a progress bar (done,
//! failed, running, pending, ETA) on a terminal; otherwise one line per
//! finished target, as text or, with `--format json`, as a JSON object per
//! line for a log collector.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use arx_migrate_core::fleet::{Event, Outcome};

use super::summary::{outcome_line, record_json};
use super::Record;
use crate::error::CliError;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Nothing (`--quiet`).
    Silent,
    /// A bar redrawn in place: stderr is a terminal.
    Bar,
    /// A text line per finished target.
    Lines,
    /// A JSON object per finished target.
    JsonLines,
}

/// The progress display of one run.
pub(crate) struct Display<'a> {
    style: Style,
    bar: Option<ProgressBar>,
    /// Prints one line to stderr.
    print: Option<&'a dyn Fn(&str)>,
    total: usize,
    finished: usize,
    failed: usize,
    running: usize,
}

impl<'a> Display<'a> {
    pub(crate) fn new(style: Style, total: usize, print: Option<&'a dyn Fn(&str)>) -> Self {
        let bar = (style == Style::Bar).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} done, {msg} [{elapsed_precise}, ETA {eta}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            // No steady tick: its thread would write to stderr, which
            // `run` keeps locked on this thread; the bar is redrawn on each
            // event instead.
            bar
        });
        Display {
            style,
            bar,
            print,
            total,
            finished: 0,
            failed: 0,
            running: 0,
        }
    }

    fn say(&self, line: &str) {
        match (&self.bar, self.print) {
            (Some(bar), _) => bar.println(line),
            (None, Some(print)) => print(line),
            (None, None) => {}
        }
    }

    fn refresh(&self) {
        if let Some(bar) = &self.bar {
            // The message first: setting the position redraws.
            bar.set_message(format!(
                "{} failed, {} running, {} pending",
                self.failed,
                self.running,
                self.total - self.finished - self.running
            ));
            bar.set_position(self.finished as u64);
        }
    }

    /// Shows one event of the run.
    pub(crate) fn event(&mut self, event: Event<'_, CliError>) {
        match event {
            Event::Started(_) => self.running += 1,
            Event::Finished(index, record) => {
                self.running = self.running.saturating_sub(1);
                self.finished += 1;
                if record.outcome == Outcome::Failed {
                    self.failed += 1;
                }
                self.finished_line(index, record);
            }
            Event::CanaryPassed => self.phase_line(
                "canary_passed",
                "the canary targets succeeded; the others follow",
            ),
            Event::CanaryFailed => self.phase_line(
                "canary_failed",
                "a canary target failed: no other target is started",
            ),
            // An event of a newer engine: nothing to show.
            _ => {}
        }
        self.refresh();
    }

    fn finished_line(&self, index: usize, record: &Record) {
        match self.style {
            Style::Silent => {}
            Style::JsonLines => {
                let mut value = record_json(record);
                value["event"] = json!("finished");
                value["index"] = json!(index);
                value["of"] = json!(self.total);
                self.say(&value.to_string());
            }
            // On a terminal the bar counts; only what went wrong is said.
            Style::Bar if record.outcome != Outcome::Failed => {}
            Style::Bar | Style::Lines => self.say(&format!(
                "[{}/{}] {}",
                self.finished,
                self.total,
                outcome_line(record)
            )),
        }
    }

    fn phase_line(&self, event: &str, text: &str) {
        match self.style {
            Style::Silent => {}
            Style::JsonLines => self.say(&json!({ "event": event }).to_string()),
            Style::Bar | Style::Lines => self.say(text),
        }
    }

    /// Clears the bar: the summary follows.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
