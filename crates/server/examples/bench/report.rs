//! Errors, the printed report, latency quantiles and small helpers.

use std::fmt::{self, Display};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::{sleep, Instant};

use crate::nodes::Backend;

/// Why a scenario could not run (network, server or setup trouble).
#[derive(Debug)]
pub struct BenchError(pub String);

impl BenchError {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

impl Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for BenchError {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

pub type Result<T, E = BenchError> = std::result::Result<T, E>;

pub trait Context<T> {
    fn context(self, what: impl Display) -> Result<T>;
}

impl<T, E: Display> Context<T> for Result<T, E> {
    fn context(self, what: impl Display) -> Result<T> {
        self.map_err(|e| BenchError(format!("{what}: {e}")))
    }
}

/// One headline figure of the summary: the target and what Confab and the
/// Node `ws` relay each reached in this run.
struct Figure {
    what: String,
    target: String,
    confab: Option<f64>,
    node: Option<f64>,
}

#[derive(Default)]
pub struct Report {
    rows: Vec<(String, String, String)>,
    figures: Vec<Figure>,
    /// Failed correctness checks, each a sentence.
    pub violations: Vec<String>,
    /// Scenarios that could not run.
    pub errors: Vec<String>,
}

impl Report {
    pub fn row(&mut self, scenario: &str, what: impl Into<String>, value: impl Display) {
        self.rows
            .push((scenario.to_owned(), what.into(), value.to_string()));
    }

    /// A headline figure (`what` names its unit), measured on `backend`;
    /// the summary puts Confab's and the Node relay's side by side.
    pub fn figure(&mut self, what: &str, target: &str, backend: Backend, value: f64) {
        let i = match self.figures.iter().position(|f| f.what == what) {
            Some(i) => i,
            None => {
                self.figures.push(Figure {
                    what: what.to_owned(),
                    target: target.to_owned(),
                    confab: None,
                    node: None,
                });
                self.figures.len() - 1
            }
        };
        let slot = match backend {
            Backend::NodeRelay => &mut self.figures[i].node,
            _ => &mut self.figures[i].confab,
        };
        // The first Confab figure of a kind wins (SQLite before pg, cluster).
        slot.get_or_insert(value);
    }

    /// A correctness count: shown always, a violation unless zero.
    pub fn check(&mut self, scenario: &str, what: &str, count: usize) {
        self.row(scenario, what, count);
        if count > 0 {
            self.violations.push(format!("{scenario}: {what}: {count}"));
        }
    }

    pub fn print(&self) {
        let width = self
            .rows
            .iter()
            .map(|r| r.1.len())
            .max()
            .unwrap_or(0)
            .max(11);
        let sw = self
            .rows
            .iter()
            .map(|r| r.0.len())
            .max()
            .unwrap_or(0)
            .max(9);
        println!();
        println!("{:<sw$} {:<width$} value", "scenario", "measurement");
        println!("{:-<sw$} {:-<width$} {:-<24}", "", "", "");
        let mut last = "";
        for (scenario, what, value) in &self.rows {
            let name = if scenario == last { "" } else { scenario };
            last = scenario;
            println!("{name:<sw$} {what:<width$} {value}");
        }
        println!();
        self.print_summary();
        for e in &self.errors {
            println!("ERROR      {e}");
        }
        for v in &self.violations {
            println!("VIOLATION  {v}");
        }
        if self.errors.is_empty() && self.violations.is_empty() {
            println!("all correctness checks passed");
        }
    }
}

impl Report {
    fn print_summary(&self) {
        if self.figures.is_empty() {
            return;
        }
        let width = self
            .figures
            .iter()
            .map(|f| f.what.chars().count())
            .max()
            .unwrap_or(0);
        let num = |v: Option<f64>| match v {
            Some(v) if v >= 100.0 => format!("{v:.0}"),
            Some(v) => format!("{v:.2}"),
            None => "-".into(),
        };
        println!(
            "{:<width$}  {:>10}  {:>10}  {:>10}  {:>12}",
            "summary", "target", "Confab", "Node ws", "Confab/Node"
        );
        println!(
            "{:-<width$}  {:->10}  {:->10}  {:->10}  {:->12}",
            "", "", "", "", ""
        );
        for f in &self.figures {
            let ratio = match (f.confab, f.node) {
                (Some(c), Some(n)) if n > 0.0 => format!("{:.2}", c / n),
                _ => "-".into(),
            };
            println!(
                "{:<width$}  {:>10}  {:>10}  {:>10}  {:>12}",
                f.what,
                f.target,
                num(f.confab),
                num(f.node),
                ratio
            );
        }
        println!();
    }
}

/// Sorted latencies in nanoseconds.
pub struct Latencies(Vec<u64>);

impl Latencies {
    pub fn new(mut v: Vec<u64>) -> Self {
        v.sort_unstable();
        Self(v)
    }

    pub fn quantile(&self, q: f64) -> Option<u64> {
        let n = self.0.len();
        if n == 0 {
            return None;
        }
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        Some(self.0[rank - 1])
    }

    /// "p50 / p99 / max" in milliseconds.
    pub fn summary(&self) -> String {
        let ms = |v: Option<u64>| match v {
            Some(ns) => format!("{:.2}", ns as f64 / 1e6),
            None => "-".into(),
        };
        format!(
            "{} / {} / {} ms",
            ms(self.quantile(0.5)),
            ms(self.quantile(0.99)),
            ms(self.0.last().copied())
        )
    }
}

pub fn per_sec(count: usize, nanos: u64) -> String {
    if nanos == 0 {
        return "-".into();
    }
    format!("{:.0}/s", count as f64 / (nanos as f64 / 1e9))
}

pub fn secs(nanos: u64) -> String {
    format!("{:.3} s", nanos as f64 / 1e9)
}

pub fn nanos_since(base: Instant) -> u64 {
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Polls until `count` reaches `want`.
pub async fn wait_count(
    count: &AtomicUsize,
    want: usize,
    deadline: Instant,
    what: &str,
) -> Result<()> {
    while count.load(Ordering::Relaxed) < want {
        if Instant::now() >= deadline {
            return Err(BenchError(format!(
                "only {} of {want} {what} in time",
                count.load(Ordering::Relaxed)
            )));
        }
        sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}
