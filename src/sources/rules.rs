//! What is about to fire: Prometheus' alerting rules (`/api/v1/rules`,
//! which carries each rule's alerts with their state and `activeAt`),
//! read leniently. A pending alert fires when it has been active for the
//! rule's `for`: [`AlertRule::pending`] says when.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The state of a rule or of one of its alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RuleState {
    #[default]
    Inactive,
    Pending,
    Firing,
}

/// One alert of a rule (one label set its expression returned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleAlert {
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub state: RuleState,
    #[serde(rename = "activeAt", default)]
    pub active_at: Option<DateTime<Utc>>,
    /// The expression's value, as Prometheus printed it.
    #[serde(default)]
    pub value: String,
}

/// An alerting rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRule {
    pub name: String,
    pub group: String,
    pub file: String,
    /// How often its group is evaluated, in seconds (0: not said).
    pub interval_secs: f64,
    /// The PromQL expression.
    pub query: String,
    /// `for`: how long it must hold before it fires.
    pub for_secs: f64,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub state: RuleState,
    /// "ok", "err" or "unknown"; `last_error` says why when "err".
    pub health: String,
    pub last_error: Option<String>,
    pub alerts: Vec<RuleAlert>,
}

/// A pending alert and when it will fire if it keeps holding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pending<'a> {
    pub rule: &'a AlertRule,
    pub alert: &'a RuleAlert,
    /// `activeAt + for`; `None` when Prometheus did not say since when.
    pub fires_at: Option<DateTime<Utc>>,
}

impl AlertRule {
    /// Its pending alerts, soonest to fire first.
    pub fn pending(&self) -> impl Iterator<Item = Pending<'_>> {
        let for_ = Duration::milliseconds((self.for_secs * 1000.0) as i64);
        self.alerts
            .iter()
            .filter(|a| a.state == RuleState::Pending)
            .map(move |a| Pending {
                rule: self,
                alert: a,
                fires_at: a.active_at.map(|t| t + for_),
            })
    }
}

/// Every pending alert of `rules`, soonest to fire first (unknown last).
pub fn pending(rules: &[AlertRule]) -> Vec<Pending<'_>> {
    let mut v: Vec<Pending> = rules.iter().flat_map(AlertRule::pending).collect();
    v.sort_by(|a, b| match (a.fires_at, b.fires_at) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.rule.name.cmp(&b.rule.name),
    });
    v
}

/// The rule behind an alert: same alertname, and every label the rule
/// sets has the alert's value (a rule's own labels are on its alerts).
pub fn rule_for<'a>(
    rules: &'a [AlertRule],
    labels: &BTreeMap<String, String>,
) -> Option<&'a AlertRule> {
    let name = labels.get("alertname")?;
    let mut candidates = rules.iter().filter(|r| {
        &r.name == name
            && r.labels
                .iter()
                .all(|(k, v)| labels.get(k) == Some(v) || v.contains("{{"))
    });
    let first = candidates.next()?;
    // Two rules of that name whose labels both fit: their alerts tell.
    match candidates.next() {
        None => Some(first),
        Some(second) => [first, second].into_iter().chain(candidates).find(|r| {
            r.alerts
                .iter()
                .any(|a| a.labels.iter().all(|(k, v)| labels.get(k) == Some(v)))
        }),
    }
}

/// What to chart for a rule's expression: `rate(x[5m]) > 0.5` is drawn as
/// `rate(x[5m])` with a threshold line at 0.5 (the comparison alone would
/// draw only the points above it). Anything else (two comparisons, `and`,
/// `or`, `unless`, a comparison with no number) is drawn as written.
pub fn chart_query(expr: &str) -> (String, Option<f64>) {
    let as_is = (expr.trim().to_string(), None);
    let b = expr.as_bytes();
    let (mut depth, mut quote, mut found) = (0i32, None::<u8>, Vec::new());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == b'\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
        } else {
            match c {
                b'"' | b'\'' | b'`' => quote = Some(c),
                b'(' | b'{' | b'[' => depth += 1,
                b')' | b'}' | b']' => depth -= 1,
                b'>' | b'<' | b'=' | b'!' if depth == 0 => {
                    let two = b.get(i + 1) == Some(&b'=');
                    let op = if two {
                        &expr[i..i + 2]
                    } else {
                        &expr[i..i + 1]
                    };
                    if matches!(op, ">" | "<" | ">=" | "<=" | "==" | "!=") {
                        found.push((i, op));
                    }
                    if two {
                        i += 1;
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    let lowered = expr.to_ascii_lowercase();
    let words = lowered.split(|c: char| !c.is_ascii_alphanumeric() && c != '_');
    if found.len() != 1 || words.clone().any(|w| matches!(w, "and" | "or" | "unless")) {
        return as_is;
    }
    let (at, op) = found[0];
    let right = expr[at + op.len()..].trim();
    let right = right.strip_prefix("bool").map_or(right, str::trim);
    let Ok(n) = right.parse::<f64>() else {
        return as_is;
    };
    let left = expr[..at].trim();
    if left.is_empty() {
        return as_is;
    }
    let threshold = matches!(op, ">" | ">=").then_some(n);
    (left.to_string(), threshold)
}

/// `1h`, `5m`, `90s`, `1h30m`: a `for` as a person reads it (the
/// silences' duration format).
pub fn for_text(secs: f64) -> String {
    super::silence::format_duration(Duration::milliseconds((secs * 1000.0) as i64))
}

/// Read an `/api/v1/rules` answer: the alerting rules (recording rules
/// are left out). An error says what came instead.
pub fn parse_rules(body: &[u8]) -> Result<Vec<AlertRule>, String> {
    let env: Envelope = serde_json::from_slice(body)
        .map_err(|e| format!("not a Prometheus /api/v1/rules answer: {e}"))?;
    if env.status != "success" {
        return Err(format!(
            "{}: {}",
            env.error_type.unwrap_or_else(|| "error".into()),
            env.error.unwrap_or_default()
        ));
    }
    let Some(data) = env.data else {
        return Err("status is success but there is no data".into());
    };
    let mut out = Vec::new();
    for g in data.groups {
        for r in g.rules {
            if r.kind != "alerting" {
                continue;
            }
            out.push(AlertRule {
                name: r.name,
                group: g.name.clone(),
                file: g.file.clone(),
                interval_secs: g.interval,
                query: r.query,
                for_secs: r.duration,
                labels: r.labels,
                annotations: r.annotations,
                state: r.state,
                health: r.health,
                last_error: r.last_error.filter(|e| !e.is_empty()),
                alerts: r.alerts,
            });
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    data: Option<Data>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(default)]
    name: String,
    #[serde(default)]
    file: String,
    #[serde(default)]
    interval: f64,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
struct RawRule {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    duration: f64,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    state: RuleState,
    #[serde(default)]
    health: String,
    #[serde(rename = "lastError", default)]
    last_error: Option<String>,
    #[serde(default)]
    alerts: Vec<RuleAlert>,
    #[serde(rename = "type", default)]
    kind: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"{"status":"success","data":{"groups":[{"name":"api","file":"/etc/prometheus/rules.yml","interval":15,
      "rules":[
        {"state":"pending","name":"ErrorBudgetBurn","query":"sum(rate(errors[5m])) > 0.02","duration":600,
         "labels":{"severity":"page"},"annotations":{"summary":"burning"},
         "alerts":[{"labels":{"alertname":"ErrorBudgetBurn","severity":"page","service":"api"},"annotations":{},"state":"pending","activeAt":"2026-12-03T10:00:00Z","value":"3e-02"}],
         "health":"ok","type":"alerting"},
        {"state":"firing","name":"Down","query":"up == 0","duration":60,"labels":{},"annotations":{},
         "alerts":[{"labels":{"alertname":"Down","job":"x"},"state":"firing","activeAt":"2026-12-03T09:00:00Z","value":"0"},
                   {"labels":{"alertname":"Down","job":"y"},"state":"pending","activeAt":"2026-12-03T10:04:00Z","value":"0"}],
         "health":"err","lastError":"many-to-many matching","type":"alerting"},
        {"name":"job:up:sum","query":"sum(up)","health":"ok","type":"recording"}
      ]}]}}"#;

    #[test]
    fn pending_alerts_say_when_they_fire() {
        let rules = parse_rules(ANSWER.as_bytes()).unwrap();
        assert_eq!(rules.len(), 2, "the recording rule is left out");
        let p = pending(&rules);
        assert_eq!(p.len(), 2);
        // Down/y fires at 10:05, ErrorBudgetBurn at 10:10: soonest first.
        assert_eq!(p[0].rule.name, "Down");
        assert_eq!(
            p[0].fires_at.unwrap().to_rfc3339(),
            "2026-12-03T10:05:00+00:00"
        );
        assert_eq!(p[1].rule.name, "ErrorBudgetBurn");
        assert_eq!(
            p[1].fires_at.unwrap().to_rfc3339(),
            "2026-12-03T10:10:00+00:00"
        );
        assert_eq!(
            rules[1].last_error.as_deref(),
            Some("many-to-many matching")
        );
    }

    #[test]
    fn an_alert_finds_its_rule() {
        let rules = parse_rules(ANSWER.as_bytes()).unwrap();
        let labels: BTreeMap<String, String> =
            [("alertname", "ErrorBudgetBurn"), ("severity", "page")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(
            rule_for(&rules, &labels).unwrap().query,
            "sum(rate(errors[5m])) > 0.02"
        );
        let mut other = labels.clone();
        other.insert("severity".into(), "info".into());
        assert!(
            rule_for(&rules, &other).is_none(),
            "the rule sets severity=page"
        );
    }

    #[test]
    fn errors_say_what_came() {
        assert!(parse_rules(b"<html>")
            .unwrap_err()
            .contains("not a Prometheus"));
        let e = parse_rules(br#"{"status":"error","errorType":"bad_data","error":"nope"}"#)
            .unwrap_err();
        assert_eq!(e, "bad_data: nope");
    }

    #[test]
    fn a_comparison_is_charted_as_its_left_side_and_a_threshold() {
        assert_eq!(
            chart_query("sum(rate(errors{code=~\"5..\"}[5m])) > 0.02"),
            ("sum(rate(errors{code=~\"5..\"}[5m]))".into(), Some(0.02))
        );
        assert_eq!(chart_query("up == 0"), ("up".into(), None));
        for as_is in ["a > 1 and b > 2", "a > b", "vector(1)", "x{l=\">\"} > y"] {
            assert_eq!(chart_query(as_is), (as_is.into(), None), "{as_is}");
        }
    }

    #[test]
    fn for_reads_like_a_person_writes_it() {
        assert_eq!(for_text(3600.0), "1h");
        assert_eq!(for_text(5400.0), "1h30m");
        assert_eq!(for_text(90.0), "1m30s");
        assert_eq!(for_text(0.0), "0s");
    }
}
