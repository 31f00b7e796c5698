//! `--metrics-file PATH`: the metrics of the command's runs, kept by a
//! small in-process recorder and written as a Prometheus text file
//! (format 0.0.4) when the command ends, on success and on failure, for
//! node_exporter's textfile collector. The file is replaced atomically (a
//! temporary file in the same folder, renamed over it), so that the
//! collector never reads half of it.

use std::path::{Path, PathBuf};

/// The metrics of one command, when `--metrics-file` asks for them.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    #[cfg(feature = "metrics")]
    /// Where the file is opened, how the command line named it, and the
    /// recorder.
    kept: Option<(PathBuf, PathBuf, std::sync::Arc<recorder::TextRecorder>)>,
}

impl Metrics {
    /// Metrics written at the end to `path`: where it is opened, and as
    /// the command line named it.
    pub(crate) fn new(path: Option<(PathBuf, PathBuf)>) -> Self {
        #[cfg(feature = "metrics")]
        {
            Metrics {
                kept: path.map(|(open, named)| (open, named, Default::default())),
            }
        }
        #[cfg(not(feature = "metrics"))]
        {
            let _ = path;
            Metrics {}
        }
    }

    /// Runs `work` with this command's recorder receiving the metrics
    /// emitted on this thread (each fleet worker calls it too).
    pub(crate) fn within<T>(&self, work: impl FnOnce() -> T) -> T {
        #[cfg(feature = "metrics")]
        if let Some((_, _, recorder)) = &self.kept {
            return metrics::with_local_recorder(&**recorder, work);
        }
        work()
    }

    /// Writes the file, with the command's own outcome; says why not.
    pub(crate) fn write(&self, command: &str, success: bool) -> Result<(), String> {
        #[cfg(feature = "metrics")]
        if let Some((open, named, recorder)) = &self.kept {
            recorder.command_ended(command, success);
            return write_atomically(open, &recorder.render()).map_err(|error| {
                format!("cannot write the metrics file {}: {error}", named.display())
            });
        }
        let _ = (command, success);
        Ok(())
    }
}

/// Writes `text` to a temporary file beside `path`, then renames it over
/// `path`.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file")
    })?;
    let temporary = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed
}

#[cfg(feature = "metrics")]
mod recorder {
    use std::collections::BTreeMap;
    use std::fmt::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{SystemTime, UNIX_EPOCH};

    use metrics::{
        Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString,
        Unit,
    };

    /// Upper bounds of the histograms' buckets, in seconds: from a
    /// millisecond statement to an hour-long backfill.
    const BUCKETS: [f64; 16] = [
        0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
        3600.0,
    ];

    /// A histogram's observations.
    #[derive(Debug, Default)]
    struct Samples(Mutex<Vec<f64>>);

    impl HistogramFn for Samples {
        fn record(&self, value: f64) {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).push(value);
        }
    }

    #[derive(Debug, Clone)]
    enum Cell {
        Counter(Arc<AtomicU64>),
        /// An `f64`'s bits.
        Gauge(Arc<AtomicU64>),
        Histogram(Arc<Samples>),
    }

    /// Series by name, then by their labels (sorted).
    type Series = BTreeMap<String, BTreeMap<Vec<(String, String)>, Cell>>;

    /// Keeps every series in memory and renders them as Prometheus text.
    #[derive(Debug, Default)]
    pub(crate) struct TextRecorder {
        series: Mutex<Series>,
        help: Mutex<BTreeMap<String, String>>,
    }

    impl TextRecorder {
        fn cell(&self, key: &Key, make: impl FnOnce() -> Cell) -> Cell {
            let mut labels: Vec<(String, String)> = key
                .labels()
                .map(|l| (l.key().to_string(), l.value().to_string()))
                .collect();
            labels.sort();
            let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
            series
                .entry(key.name().to_string())
                .or_default()
                .entry(labels)
                .or_insert_with(make)
                .clone()
        }

        fn describe(&self, key: KeyName, description: SharedString) {
            self.help
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key.as_str().to_string(), description.to_string());
        }

        /// The command's own outcome and time, so that a command that
        /// failed before any run still says so.
        pub(crate) fn command_ended(&self, command: &str, success: bool) {
            let labels = [("command", command.to_string())];
            self.describe(
                KeyName::from_const_str("arx_migrate_last_command_success"),
                "Whether the last arx-migrate command succeeded (1) or failed (0).".into(),
            );
            self.describe(
                KeyName::from_const_str("arx_migrate_last_command_timestamp_seconds"),
                "When the last arx-migrate command ended, in seconds since the Unix epoch.".into(),
            );
            let key = Key::from_parts("arx_migrate_last_command_success", &labels);
            self.register_gauge(&key, &METADATA)
                .set(if success { 1.0 } else { 0.0 });
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or_default();
            let key = Key::from_parts("arx_migrate_last_command_timestamp_seconds", &labels);
            self.register_gauge(&key, &METADATA).set(now);
        }

        /// The Prometheus text format: `# HELP`, `# TYPE`, then the series.
        pub(crate) fn render(&self) -> String {
            let series = self.series.lock().unwrap_or_else(|p| p.into_inner());
            let help = self.help.lock().unwrap_or_else(|p| p.into_inner());
            let mut text = String::new();
            for (name, by_labels) in series.iter() {
                let Some(first) = by_labels.values().next() else {
                    continue;
                };
                if let Some(help) = help.get(name) {
                    let _ = writeln!(text, "# HELP {name} {}", escape_help(help));
                }
                let kind = match first {
                    Cell::Counter(_) => "counter",
                    Cell::Gauge(_) => "gauge",
                    Cell::Histogram(_) => "histogram",
                };
                let _ = writeln!(text, "# TYPE {name} {kind}");
                for (labels, cell) in by_labels {
                    match cell {
                        Cell::Counter(value) => {
                            let value = value.load(Ordering::Relaxed);
                            let _ = writeln!(text, "{name}{} {value}", label_set(labels, None));
                        }
                        Cell::Gauge(bits) => {
                            let value = f64::from_bits(bits.load(Ordering::Relaxed));
                            let _ = writeln!(
                                text,
                                "{name}{} {}",
                                label_set(labels, None),
                                number(value)
                            );
                        }
                        Cell::Histogram(samples) => {
                            let samples = samples.0.lock().unwrap_or_else(|p| p.into_inner());
                            for bound in BUCKETS {
                                let below = samples.iter().filter(|v| **v <= bound).count();
                                let le = number(bound);
                                let _ = writeln!(
                                    text,
                                    "{name}_bucket{} {below}",
                                    label_set(labels, Some(&le))
                                );
                            }
                            let _ = writeln!(
                                text,
                                "{name}_bucket{} {}",
                                label_set(labels, Some("+Inf")),
                                samples.len()
                            );
                            let sum: f64 = samples.iter().sum();
                            let set = label_set(labels, None);
                            let _ = writeln!(text, "{name}_sum{set} {}", number(sum));
                            let _ = writeln!(text, "{name}_count{set} {}", samples.len());
                        }
                    }
                }
            }
            text
        }
    }

    static METADATA: Metadata<'static> = Metadata::new(module_path!(), metrics::Level::INFO, None);

    impl Recorder for TextRecorder {
        fn describe_counter(&self, key: KeyName, _: Option<Unit>, description: SharedString) {
            self.describe(key, description);
        }
        fn describe_gauge(&self, key: KeyName, _: Option<Unit>, description: SharedString) {
            self.describe(key, description);
        }
        fn describe_histogram(&self, key: KeyName, _: Option<Unit>, description: SharedString) {
            self.describe(key, description);
        }
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            match self.cell(key, || Cell::Counter(Arc::default())) {
                Cell::Counter(value) => Counter::from_arc(value),
                _ => Counter::noop(),
            }
        }
        fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
            match self.cell(key, || {
                Cell::Gauge(Arc::new(AtomicU64::new(0f64.to_bits())))
            }) {
                Cell::Gauge(value) => Gauge::from_arc(value),
                _ => Gauge::noop(),
            }
        }
        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            match self.cell(key, || Cell::Histogram(Arc::default())) {
                Cell::Histogram(samples) => Histogram::from_arc(samples),
                _ => Histogram::noop(),
            }
        }
    }

    /// `{a="1",b="2"}` (with `le` last for a bucket), or nothing.
    fn label_set(labels: &[(String, String)], le: Option<&str>) -> String {
        let mut pairs: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
            .collect();
        if let Some(le) = le {
            pairs.push(format!("le=\"{le}\""));
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!("{{{}}}", pairs.join(","))
        }
    }

    fn escape_label(value: &str) -> String {
        value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    }

    fn escape_help(text: &str) -> String {
        text.replace('\\', "\\\\").replace('\n', "\\n")
    }

    /// A float as Prometheus writes it (`+Inf`, `NaN`, shortest digits).
    fn number(value: f64) -> String {
        if value.is_nan() {
            "NaN".into()
        } else if value.is_infinite() {
            if value > 0.0 { "+Inf" } else { "-Inf" }.into()
        } else {
            format!("{value}")
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn renders_counters_gauges_and_histograms() {
            let recorder = TextRecorder::default();
            metrics::with_local_recorder(&recorder, || {
                metrics::describe_counter!("c_total", "A \"counter\"\nof things.");
                metrics::counter!("c_total", "a" => "x\"y\\z\n").increment(3);
                metrics::gauge!("g").set(1.5);
                metrics::histogram!("h_seconds", "b" => "1").record(0.02);
                metrics::histogram!("h_seconds", "b" => "1").record(7.0);
            });
            let text = recorder.render();
            assert!(
                text.contains("# HELP c_total A \"counter\"\\nof things.\n"),
                "{text}"
            );
            assert!(text.contains("c_total{a=\"x\\\"y\\\\z\\n\"} 3\n"), "{text}");
            assert!(text.contains("# TYPE g gauge\ng 1.5\n"), "{text}");
            assert!(
                text.contains("h_seconds_bucket{b=\"1\",le=\"0.01\"} 0\n"),
                "{text}"
            );
            assert!(
                text.contains("h_seconds_bucket{b=\"1\",le=\"0.05\"} 1\n"),
                "{text}"
            );
            assert!(
                text.contains("h_seconds_bucket{b=\"1\",le=\"+Inf\"} 2\n"),
                "{text}"
            );
            assert!(text.contains("h_seconds_sum{b=\"1\"} 7.02\n"), "{text}");
            assert!(text.contains("h_seconds_count{b=\"1\"} 2\n"), "{text}");
        }
    }
}
