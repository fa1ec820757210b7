//! Medians and percentiles of samples in milliseconds, and their JSON form.

use serde_json::{Value, json};
use std::time::Duration;

/// Samples of one measurement, in milliseconds.
#[derive(Debug, Clone, Default)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64() * 1000.0);
    }

    pub fn extend(&mut self, other: &Samples) {
        self.0.extend_from_slice(&other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The `p`-th percentile (0..=100, nearest rank); NaN when empty.
    pub fn pct(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return f64::NAN;
        }
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }

    pub fn median(&self) -> f64 {
        if self.0.is_empty() {
            return f64::NAN;
        }
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
    }

    pub fn json(&self) -> Value {
        json!({
            "n": self.len(),
            "median_ms": round3(self.median()),
            "p50_ms": round3(self.pct(50.0)),
            "p99_ms": round3(self.pct(99.0)),
            "min_ms": round3(self.pct(0.0)),
            "max_ms": round3(self.pct(100.0)),
        })
    }
}

/// `x` rounded to 3 decimals (JSON null when not finite).
pub fn round3(x: f64) -> Value {
    if x.is_finite() { json!((x * 1000.0).round() / 1000.0) } else { Value::Null }
}

/// Median of plain numbers.
pub fn median_of(v: &[f64]) -> f64 {
    Samples(v.to_vec()).median()
}
