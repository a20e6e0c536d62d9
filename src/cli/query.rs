//! `firebreak query 'PROMQL'`: an instant query, or a range query with
//! `--range 30m`, printed as a table (with a sparkline) or JSON. Values keep
//! Prometheus' spelling: NaN, +Inf, -Inf.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::json;

use super::alerts::{runtime, Format};
use crate::config::Config;
use crate::sources::prometheus::{format_value, QueryResult, Series};
use crate::sources::silence::parse_duration;

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The PromQL expression
    pub promql: String,
    /// Prometheus URL [default: [prometheus] url in the config]
    #[arg(long, short = 'p', value_name = "URL")]
    pub prometheus: Option<String>,
    /// Query a range ending now (15m, 1h, 6h...) instead of an instant
    #[arg(long, short = 'r', value_name = "DURATION")]
    pub range: Option<String>,
    /// Resolution of a range query [default: about 240 points]
    #[arg(long, value_name = "DURATION", requires = "range")]
    pub step: Option<String>,
    /// Deadline in seconds, retries included [default: request_timeout_secs]
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

fn std_duration(s: &str, what: &str) -> anyhow::Result<Duration> {
    let d = parse_duration(s).map_err(|e| anyhow::anyhow!("--{what}: {e}"))?;
    d.to_std()
        .map_err(|_| anyhow::anyhow!("--{what}: `{s}` is out of range"))
}

pub fn run(args: &QueryArgs, cfg: &Config) -> anyhow::Result<ExitCode> {
    let prom = crate::wiring::sources::prometheus(cfg, args.prometheus.as_deref(), args.timeout)?;
    let range = args
        .range
        .as_deref()
        .map(|r| std_duration(r, "range"))
        .transpose()?;
    let step = args
        .step
        .as_deref()
        .map(|s| std_duration(s, "step"))
        .transpose()?;
    let rt = runtime()?;
    let result = rt.block_on(async {
        match range {
            Some(w) => {
                let end = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
                prom.query_range(&args.promql, end, w, step).await
            }
            None => prom.query(&args.promql, None).await,
        }
    })?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Json => writeln!(out, "{}", to_json(&result))?,
        Format::Table => write_table(&mut out, &result)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The result as Prometheus shapes it (values as strings, so NaN and
/// infinities survive JSON).
pub fn to_json(r: &QueryResult) -> serde_json::Value {
    let point = |(t, v): &(f64, f64)| json!([t, format_value(*v)]);
    match r {
        QueryResult::Vector(s) => json!({
            "resultType": "vector",
            "result": s.iter().map(|s| json!({"metric": s.metric, "value": s.points.first().map(point)})).collect::<Vec<_>>(),
        }),
        QueryResult::Matrix(s) => json!({
            "resultType": "matrix",
            "result": s.iter().map(|s| json!({"metric": s.metric, "values": s.points.iter().map(point).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        }),
        QueryResult::Scalar(p) => json!({"resultType": "scalar", "result": point(p)}),
        QueryResult::String((t, s)) => json!({"resultType": "string", "result": [t, s]}),
    }
}

pub fn write_table(out: &mut impl Write, r: &QueryResult) -> std::io::Result<()> {
    match r {
        QueryResult::String((_, s)) => writeln!(out, "{s}"),
        QueryResult::Scalar((_, v)) => writeln!(out, "{}", format_value(*v)),
        QueryResult::Vector(series) => {
            if series.is_empty() {
                return writeln!(out, "no data");
            }
            let w = width(series);
            writeln!(out, "{:<w$}  VALUE", "SERIES")?;
            for s in series {
                writeln!(
                    out,
                    "{:<w$}  {}",
                    s.label(),
                    s.last().map(format_value).unwrap_or_default()
                )?;
            }
            Ok(())
        }
        QueryResult::Matrix(series) => {
            if series.is_empty() {
                return writeln!(out, "no data");
            }
            let w = width(series);
            writeln!(
                out,
                "{:<w$}  {:>6}  {:>10}  {:>10}  {:>10}  TREND",
                "SERIES", "POINTS", "MIN", "MAX", "LAST"
            )?;
            for s in series {
                let finite: Vec<f64> = s
                    .points
                    .iter()
                    .map(|p| p.1)
                    .filter(|v| v.is_finite())
                    .collect();
                let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
                let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let (min, max) = if finite.is_empty() {
                    ("-".into(), "-".into())
                } else {
                    (format_value(min), format_value(max))
                };
                writeln!(
                    out,
                    "{:<w$}  {:>6}  {:>10}  {:>10}  {:>10}  {}",
                    s.label(),
                    s.points.len(),
                    min,
                    max,
                    s.last().map(format_value).unwrap_or_default(),
                    sparkline(&s.points, 40)
                )?;
            }
            Ok(())
        }
    }
}

fn width(series: &[Series]) -> usize {
    series
        .iter()
        .map(|s| s.label().chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 80)
}

/// A unicode sparkline of up to `n` buckets (NaN/Inf shown as a space).
pub fn sparkline(points: &[(f64, f64)], n: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if points.is_empty() || n == 0 {
        return String::new();
    }
    let chunk = points.len().div_ceil(n);
    let vals: Vec<f64> = points
        .chunks(chunk)
        .map(|c| {
            c.iter()
                .map(|p| p.1)
                .filter(|v| v.is_finite())
                .fold(f64::NAN, f64::max)
        })
        .collect();
    let lo = vals
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let hi = vals
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    vals.iter()
        .map(|v| {
            if !v.is_finite() {
                ' '
            } else if hi <= lo {
                BARS[3]
            } else {
                BARS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_special_values_as_strings() {
        let r = QueryResult::Matrix(vec![Series {
            metric: Default::default(),
            points: vec![(1.0, f64::NAN), (2.0, f64::INFINITY), (3.0, 0.5)],
        }]);
        let j = to_json(&r).to_string();
        assert!(
            j.contains("\"NaN\"") && j.contains("\"+Inf\"") && j.contains("\"0.5\""),
            "{j}"
        );
    }

    #[test]
    fn sparkline_spans_low_to_high() {
        let pts: Vec<(f64, f64)> = (0..8).map(|i| (i as f64, i as f64)).collect();
        assert_eq!(sparkline(&pts, 8), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&[(0.0, f64::NAN)], 4), " ");
    }
}
