//! Lenient parsing of Alertmanager payloads.
//!
//! Real payloads vary between versions and proxies: `mutedBy` is missing
//! before 0.27, `endsAt` lies in the past on firing alerts (the state is in
//! `status.state`), zero times are `0001-01-01T00:00:00Z`, timestamps carry
//! nanoseconds and offsets, generatorURL may be relative or have no scheme,
//! receivers repeat, the same fingerprint appears in several groups, and
//! label values are sometimes not strings. All of that is accepted. What
//! cannot be used (not JSON, not a list of alerts, an API v1 envelope) is an
//! error that says what came instead.
//!
//! Why one file of this length: lenient parsing of Alertmanager's payloads field by field, checked against the shared real-world fixtures.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::sources::silence::{Silence, SilenceMatcher, SilenceState};
use crate::sources::{fingerprint, Alert, AlertDetail, AlertState};

/// Alerts parsed from one answer, with notes about oddities.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub alerts: Vec<Alert>,
    /// Alerts that could not be used (no labels and no fingerprint).
    pub skipped: usize,
    /// Human-readable notes about lenient fixes (counted, not per alert).
    pub notes: Vec<String>,
}

/// Parse `GET /api/v2/alerts` (also accepts `/api/v2/alerts/groups` and a
/// webhook body). `instance` becomes each alert's `source`; `now` stands in
/// for a missing start time.
pub fn parse_alerts(body: &[u8], instance: &str, now: DateTime<Utc>) -> Result<Parsed, String> {
    let top: Top = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
    let items = match top {
        Top::Items(items) => items,
        Top::Webhook(items) => items,
        Top::V1 => {
            return Err("this is an Alertmanager API v1 answer (`{\"status\":..,\"data\":..}`); firebreak needs API v2 (Alertmanager >= 0.16): check the URL".into())
        }
        Top::Other(keys) => {
            return Err(format!(
                "expected a JSON list of alerts, got an object with keys [{}]",
                keys.join(", ")
            ))
        }
        Top::Scalar(what) => return Err(format!("expected a JSON list of alerts, got {what}")),
    };
    let mut out = Parsed::default();
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(items.len());
    let mut no_start = 0usize;
    let mut resolved = 0usize;
    let mut odd_state = 0usize;
    let mut push = |raw: RawAlert, out: &mut Parsed| match convert(raw, instance, now) {
        Converted::Alert(a, flags) => {
            no_start += usize::from(flags.no_start);
            odd_state += usize::from(flags.odd_state);
            match seen.get(&a.fingerprint) {
                Some(&i) => merge(&mut out.alerts[i], a),
                None => {
                    seen.insert(a.fingerprint.clone(), out.alerts.len());
                    out.alerts.push(a);
                }
            }
        }
        Converted::Resolved => resolved += 1,
        Converted::Unusable => out.skipped += 1,
    };
    for item in items {
        match item.alerts {
            // A group: its alerts, not the group itself.
            Some(group) => {
                for raw in group {
                    push(raw, &mut out);
                }
            }
            None => push(item, &mut out),
        }
    }
    if out.skipped > 0 {
        out.notes.push(format!(
            "skipped {} alert(s) with neither labels nor fingerprint",
            out.skipped
        ));
    }
    if no_start > 0 {
        out.notes.push(format!(
            "{no_start} alert(s) had no valid startsAt; used updatedAt or the time of the poll"
        ));
    }
    if odd_state > 0 {
        out.notes.push(format!(
            "{odd_state} alert(s) had an unknown status.state; shown as active"
        ));
    }
    if resolved > 0 {
        out.notes
            .push(format!("ignored {resolved} resolved alert(s)"));
    }
    Ok(out)
}

struct Flags {
    no_start: bool,
    odd_state: bool,
}

// Returned once per alert and matched at once: boxing would only add an
// allocation per alert.
#[allow(clippy::large_enum_variant)]
enum Converted {
    Alert(Alert, Flags),
    Resolved,
    Unusable,
}

fn convert(raw: RawAlert, instance: &str, now: DateTime<Utc>) -> Converted {
    if raw.labels.is_empty() && raw.fingerprint.is_empty() {
        return Converted::Unusable;
    }
    let status = raw.status;
    let mut odd_state = false;
    let state = match status.state.to_ascii_lowercase().as_str() {
        "active" | "firing" => AlertState::Active,
        "suppressed" => AlertState::Suppressed,
        "unprocessed" => AlertState::Unprocessed,
        "resolved" => return Converted::Resolved,
        "" if !status.silenced_by.is_empty() || !status.inhibited_by.is_empty() => {
            AlertState::Suppressed
        }
        "" => AlertState::Active,
        _ => {
            // Unknown: never hide an alert because its state is odd.
            odd_state = true;
            AlertState::Active
        }
    };
    let no_start = raw.starts_at.is_none();
    let starts_at = raw.starts_at.or(raw.updated_at).unwrap_or(now);
    let fingerprint = if raw.fingerprint.is_empty() {
        fingerprint(&raw.labels)
    } else {
        raw.fingerprint
    };
    let mut receivers = raw.receivers;
    dedup_keep_order(&mut receivers);
    let alert = Alert {
        fingerprint,
        labels: raw.labels,
        annotations: raw.annotations,
        state,
        starts_at,
        generator_url: normalize_url(&raw.generator_url),
        source: instance.to_string(),
        detail: AlertDetail {
            ends_at: raw.ends_at,
            updated_at: raw.updated_at,
            silenced_by: status.silenced_by,
            inhibited_by: status.inhibited_by,
            muted_by: status.muted_by,
            receivers,
        },
    };
    Converted::Alert(
        alert,
        Flags {
            no_start,
            odd_state,
        },
    )
}

/// Fold a duplicate (same fingerprint: another group, or another HA
/// instance) into the alert already kept: the newer data wins, sources and
/// receivers are unioned.
pub fn merge(kept: &mut Alert, other: Alert) {
    let mut sources: Vec<String> = kept.source.split('+').map(str::to_string).collect();
    for s in other.source.split('+') {
        if !sources.iter().any(|k| k == s) {
            sources.push(s.to_string());
        }
    }
    let mut receivers = kept.detail.receivers.clone();
    receivers.extend(other.detail.receivers.iter().cloned());
    dedup_keep_order(&mut receivers);
    if other.detail.updated_at > kept.detail.updated_at {
        *kept = other;
    }
    kept.source = sources.join("+");
    kept.detail.receivers = receivers;
}

/// Remove repeats, keeping the first of each (lists are short).
fn dedup_keep_order(v: &mut Vec<String>) {
    let mut i = 1;
    while i < v.len() {
        if v[..i].contains(&v[i]) {
            v.remove(i);
        } else {
            i += 1;
        }
    }
}

/// generatorURL as something a person can open: none when empty, `http://`
/// added when there is no scheme; a relative path is kept as it is (there
/// is no way to know the Prometheus it came from).
pub fn normalize_url(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.contains("://") || s.starts_with('/') || s.starts_with('?') {
        return Some(s.to_string());
    }
    let host = s.split(['/', '?']).next().unwrap_or("");
    if host.contains('.') || host.contains(':') || host == "localhost" {
        Some(format!("http://{s}"))
    } else {
        Some(s.to_string())
    }
}

/// Parse `GET /api/v2/silences`. Silences with an unusable time or no id
/// are skipped and counted in the notes.
pub fn parse_silences(body: &[u8], instance: &str) -> Result<(Vec<Silence>, Vec<String>), String> {
    let raw: Vec<RawSilence> =
        match serde_json::from_slice::<serde_json::Value>(body).map_err(|e| json_error(&e))? {
            serde_json::Value::Array(items) => items
                .into_iter()
                .filter_map(|v| serde_json::from_value(v).ok())
                .collect(),
            other => {
                return Err(format!(
                    "expected a JSON list of silences, got {}",
                    kind_of(&other)
                ))
            }
        };
    let mut out = Vec::with_capacity(raw.len());
    let mut skipped = 0;
    for r in raw {
        let (Some(starts_at), Some(ends_at)) = (r.starts_at, r.ends_at) else {
            skipped += 1;
            continue;
        };
        if r.id.is_empty() {
            skipped += 1;
            continue;
        }
        let state = match r.status.state.as_str() {
            "active" => SilenceState::Active,
            "pending" => SilenceState::Pending,
            "expired" => SilenceState::Expired,
            _ if ends_at <= Utc::now() => SilenceState::Expired,
            _ if starts_at > Utc::now() => SilenceState::Pending,
            _ => SilenceState::Active,
        };
        out.push(Silence {
            id: r.id,
            matchers: r.matchers,
            starts_at,
            ends_at,
            updated_at: r.updated_at,
            created_by: r.created_by,
            comment: r.comment,
            state,
            source: instance.to_string(),
        });
    }
    let notes = if skipped > 0 {
        vec![format!(
            "skipped {skipped} silence(s) without id or valid times"
        )]
    } else {
        Vec::new()
    };
    Ok((out, notes))
}

/// serde_json's message, or what its recursion limit means.
fn json_error(e: &serde_json::Error) -> String {
    match crate::depth::json_too_deep(e) {
        Some(d) => format!("the JSON response is {d}"),
        None => e.to_string(),
    }
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Parse a timestamp leniently: RFC 3339 with any precision and offset; a
/// missing offset means UTC; empty, unparseable and the Go zero time
/// (`0001-01-01T00:00:00Z`) mean "none".
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.starts_with("0001-01-01") {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f %z") {
        return Some(t.with_timezone(&Utc));
    }
    None
}

// ---- raw shapes -----------------------------------------------------------

/// The top level of an alerts answer.
enum Top {
    Items(Vec<RawAlert>),
    Webhook(Vec<RawAlert>),
    V1,
    Other(Vec<String>),
    Scalar(&'static str),
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Top;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of alerts")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(100_000));
                while let Some(a) = seq.next_element::<RawAlert>()? {
                    v.push(a);
                }
                Ok(Top::Items(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
                let mut keys = Vec::new();
                let mut alerts = None;
                let mut v1 = false;
                while let Some(k) = map.next_key::<String>()? {
                    if k == "alerts" {
                        alerts = Some(map.next_value::<Vec<RawAlert>>()?);
                    } else {
                        if k == "data" {
                            v1 = true;
                        }
                        map.next_value::<IgnoredAny>()?;
                        keys.push(k);
                    }
                }
                Ok(match alerts {
                    Some(a) => Top::Webhook(a),
                    None if v1 => Top::V1,
                    None => Top::Other(keys),
                })
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Top, E> {
                Ok(Top::Scalar("a string"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Top, E> {
                Ok(Top::Scalar("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Top, E> {
                Ok(Top::Scalar("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Top, E> {
                Ok(Top::Scalar("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Top, E> {
                Ok(Top::Scalar("a number"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Top, E> {
                Ok(Top::Scalar("null"))
            }
        }
        d.deserialize_any(V)
    }
}

/// One alert, or a group (which has `alerts`).
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawAlert {
    #[serde(deserialize_with = "lenient_map")]
    labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "lenient_map")]
    annotations: BTreeMap<String, String>,
    #[serde(deserialize_with = "lenient_time")]
    starts_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "lenient_time")]
    ends_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "lenient_time")]
    updated_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "lenient_string")]
    fingerprint: String,
    #[serde(rename = "generatorURL", deserialize_with = "lenient_string")]
    generator_url: String,
    #[serde(deserialize_with = "lenient_receivers")]
    receivers: Vec<String>,
    status: RawStatus,
    alerts: Option<Vec<RawAlert>>,
}

#[derive(Default)]
struct RawStatus {
    state: String,
    silenced_by: Vec<String>,
    inhibited_by: Vec<String>,
    muted_by: Vec<String>,
}

impl<'de> Deserialize<'de> for RawStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawStatus;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an alert status (object or string)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawStatus, E> {
                Ok(RawStatus {
                    state: s.to_string(),
                    ..RawStatus::default()
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawStatus, E> {
                Ok(RawStatus::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawStatus, A::Error> {
                let mut s = RawStatus::default();
                while let Some(k) = map.next_key::<String>()? {
                    match k.as_str() {
                        "state" => s.state = map.next_value::<LStr>()?.0,
                        "silencedBy" => s.silenced_by = map.next_value::<LVec>()?.0,
                        "inhibitedBy" => s.inhibited_by = map.next_value::<LVec>()?.0,
                        "mutedBy" => s.muted_by = map.next_value::<LVec>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(s)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RawSilence {
    #[serde(deserialize_with = "lenient_string")]
    id: String,
    matchers: Vec<SilenceMatcher>,
    #[serde(deserialize_with = "lenient_time")]
    starts_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "lenient_time")]
    ends_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "lenient_time")]
    updated_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "lenient_string")]
    created_by: String,
    #[serde(deserialize_with = "lenient_string")]
    comment: String,
    status: RawSilenceStatus,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSilenceStatus {
    #[serde(deserialize_with = "lenient_string")]
    state: String,
}

/// A string from any scalar (null is empty).
struct LStr(String);

impl<'de> Deserialize<'de> for LStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LStr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<LStr, E> {
                Ok(LStr(s.to_string()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<LStr, E> {
                Ok(LStr(s))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<LStr, E> {
                Ok(LStr(b.to_string()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<LStr, E> {
                Ok(LStr(n.to_string()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<LStr, E> {
                Ok(LStr(n.to_string()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<LStr, E> {
                Ok(LStr(n.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LStr, E> {
                Ok(LStr(String::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<LStr, E> {
                Ok(LStr(String::new()))
            }
            // Nested values become their JSON text rather than an error.
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LStr, A::Error> {
                let mut parts = Vec::new();
                while let Some(v) = seq.next_element::<serde_json::Value>()? {
                    parts.push(v.to_string());
                }
                Ok(LStr(format!("[{}]", parts.join(","))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LStr, A::Error> {
                let mut obj = serde_json::Map::new();
                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                    obj.insert(k, v);
                }
                Ok(LStr(serde_json::Value::Object(obj).to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A list of strings; null is empty, a single string is a list of one.
struct LVec(Vec<String>);

impl<'de> Deserialize<'de> for LVec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LVec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LVec, A::Error> {
                let mut v = Vec::new();
                while let Some(s) = seq.next_element::<LStr>()? {
                    if !s.0.is_empty() {
                        v.push(s.0);
                    }
                }
                Ok(LVec(v))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<LVec, E> {
                Ok(LVec(if s.is_empty() {
                    Vec::new()
                } else {
                    vec![s.to_string()]
                }))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LVec, E> {
                Ok(LVec(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<LVec, E> {
                Ok(LVec(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(LStr::deserialize(d)?.0)
}

fn lenient_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<DateTime<Utc>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a timestamp")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(parse_time(s))
        }
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
            Ok(epoch(n as f64))
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
            Ok(epoch(n as f64))
        }
        fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
            Ok(epoch(n))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// Unix seconds (or milliseconds, when too large to be seconds).
fn epoch(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    let secs = if n > 1e11 { n / 1000.0 } else { n };
    DateTime::from_timestamp(secs.trunc() as i64, ((secs.fract()) * 1e9) as u32)
}

fn lenient_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of strings")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut m = BTreeMap::new();
            while let Some(k) = map.next_key::<String>()? {
                let v = map.next_value::<LStr>()?;
                m.insert(k, v.0);
            }
            Ok(m)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            // Some exporters send [] for "no labels".
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(BTreeMap::new())
        }
    }
    d.deserialize_any(V)
}

/// `[{"name": "x"}]` or `["x"]`.
fn lenient_receivers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct Recv(String);
    impl<'de> Deserialize<'de> for Recv {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Recv;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a receiver")
                }
                fn visit_str<E: de::Error>(self, s: &str) -> Result<Recv, E> {
                    Ok(Recv(s.to_string()))
                }
                fn visit_unit<E: de::Error>(self) -> Result<Recv, E> {
                    Ok(Recv(String::new()))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Recv, A::Error> {
                    let mut name = String::new();
                    while let Some(k) = map.next_key::<String>()? {
                        if k == "name" {
                            name = map.next_value::<LStr>()?.0;
                        } else {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    Ok(Recv(name))
                }
            }
            d.deserialize_any(V)
        }
    }
    let v: Option<Vec<Recv>> = Option::deserialize(d)?;
    Ok(v.unwrap_or_default()
        .into_iter()
        .map(|r| r.0)
        .filter(|s| !s.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        parse_time("2024-05-01T14:00:00Z").unwrap()
    }

    #[test]
    fn times_are_lenient() {
        let t = parse_time("2018-11-04T22:43:58.283995108+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2018-11-04T21:43:58.283995108+00:00");
        assert_eq!(parse_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_time(""), None);
        assert_eq!(parse_time("yesterday"), None);
        assert!(parse_time("2024-05-01T14:00:00").is_some());
    }

    #[test]
    fn urls_are_normalized() {
        assert_eq!(
            normalize_url("localhost/prometheus").as_deref(),
            Some("http://localhost/prometheus")
        );
        assert_eq!(
            normalize_url("prom.example:9090/graph?x").as_deref(),
            Some("http://prom.example:9090/graph?x")
        );
        assert_eq!(
            normalize_url("/graph?g0.expr=up").as_deref(),
            Some("/graph?g0.expr=up")
        );
        assert_eq!(normalize_url(" "), None);
    }

    #[test]
    fn v1_and_odd_tops_are_explained() {
        let e = parse_alerts(br#"{"status":"success","data":[]}"#, "am", now()).unwrap_err();
        assert!(e.contains("API v1"), "{e}");
        let e = parse_alerts(br#"{"foo":1}"#, "am", now()).unwrap_err();
        assert!(e.contains("keys [foo]"), "{e}");
        let e = parse_alerts(b"42", "am", now()).unwrap_err();
        assert!(e.contains("a number"), "{e}");
    }
}
