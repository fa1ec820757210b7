//! The table on stdout and the JSON file.

use serde_json::{Map, Value, json};
use std::path::Path;

/// Whether a figure meets its goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    Missed,
    /// No goal, or nothing to compare.
    Info,
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub part: String,
    pub metric: String,
    pub value: String,
    pub goal: String,
    pub verdict: Verdict,
}

/// Everything measured.
#[derive(Default)]
pub struct Report {
    pub json: Map<String, Value>,
    pub rows: Vec<Row>,
    pub errors: Vec<String>,
}

impl Report {
    pub fn row(&mut self, part: &str, metric: &str, value: String) {
        self.rows.push(Row {
            part: part.into(),
            metric: metric.into(),
            value,
            goal: String::new(),
            verdict: Verdict::Info,
        });
    }

    /// A row with a goal: `met` says whether the value meets it.
    pub fn goal(&mut self, part: &str, metric: &str, value: String, goal: &str, met: Option<bool>) {
        let verdict = match met {
            Some(true) => Verdict::Met,
            Some(false) => Verdict::Missed,
            None => Verdict::Info,
        };
        self.rows.push(Row { part: part.into(), metric: metric.into(), value, goal: goal.into(), verdict });
    }

    pub fn set(&mut self, part: &str, v: Value) {
        self.json.insert(part.into(), v);
    }

    pub fn error(&mut self, part: &str, e: &anyhow::Error) {
        eprintln!("[{part}] FAILED: {e:#}");
        self.errors.push(format!("{part}: {e:#}"));
    }

    pub fn print(&self) {
        let w0 = self.rows.iter().map(|r| r.part.len()).max().unwrap_or(4).max(4);
        let w1 = self.rows.iter().map(|r| r.metric.chars().count()).max().unwrap_or(6).max(6);
        let w2 = self.rows.iter().map(|r| r.value.chars().count()).max().unwrap_or(5).max(5);
        let w3 = self.rows.iter().map(|r| r.goal.chars().count()).max().unwrap_or(4).max(4);
        println!();
        println!("{:<w0$}  {:<w1$}  {:>w2$}  {:<w3$}  ", "part", "metric", "value", "goal");
        println!("{}", "-".repeat(w0 + w1 + w2 + w3 + 14));
        let mut last = "";
        for r in &self.rows {
            let part = if r.part == last { "" } else { r.part.as_str() };
            last = &r.part;
            let v = match r.verdict {
                Verdict::Met => "met",
                Verdict::Missed => "MISSED",
                Verdict::Info => "",
            };
            println!(
                "{:<w0$}  {:<w1$}  {:>w2$}  {:<w3$}  {v}",
                part,
                r.metric,
                r.value,
                r.goal,
                w1 = w1,
                w2 = w2,
                w3 = w3
            );
        }
    }

    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({"part": r.part, "metric": r.metric, "value": r.value, "goal": r.goal,
                       "verdict": match r.verdict { Verdict::Met => "met", Verdict::Missed => "missed", Verdict::Info => "" }})
            })
            .collect();
        let mut all = self.json.clone();
        all.insert("table".into(), Value::Array(rows));
        all.insert("errors".into(), json!(self.errors));
        std::fs::write(path, serde_json::to_string_pretty(&Value::Object(all))? + "\n")
    }
}

/// `12.345` with a unit.
pub fn ms(x: f64) -> String {
    if x.is_finite() { format!("{x:.2} ms") } else { "n/a".into() }
}

pub fn mib(x: f64) -> String {
    format!("{x:.1} MiB")
}
