//! Prometheus HTTP API client: instant and range queries, and the metric
//! source that draws the configured panels.
//!
//! Sample values are strings in the API ("1.5", "NaN", "+Inf", "-Inf");
//! they are kept as they came (NaN and infinities survive). Errors the API
//! reports (`bad_data`, `execution`, `timeout`...), a proxy answering with
//! HTML and timeouts all end up as the panel's error text, never swallowed.
//!
//! Why one file of this length: the Prometheus client and its panel queries; past 500 lines because of its tests.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use reqwest::{Method, Url};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::http::{self, HttpClient, HttpError};
use super::{MetricSource, Panel, PanelSpec};

pub use super::series::Series;

/// What a query returned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub enum QueryResult {
    Vector(Vec<Series>),
    Matrix(Vec<Series>),
    Scalar((f64, f64)),
    String((f64, String)),
}

impl QueryResult {
    pub fn series(&self) -> Vec<Series> {
        match self {
            QueryResult::Vector(s) | QueryResult::Matrix(s) => s.clone(),
            QueryResult::Scalar((t, v)) => vec![Series {
                metric: BTreeMap::new(),
                points: vec![(*t, *v)],
            }],
            QueryResult::String(_) => Vec::new(),
        }
    }
}

/// A failed query: transport (the server could not be asked) or API (it
/// answered with an error).
#[derive(Debug, Clone, PartialEq)]
pub enum QueryError {
    Http(HttpError),
    /// Prometheus said no: errorType (bad_data, execution, timeout...) and
    /// its message.
    Api {
        url: String,
        error_type: String,
        error: String,
    },
}

impl QueryError {
    /// Could the server not be asked at all (vs. it refused the query)?
    pub fn is_transport(&self) -> bool {
        matches!(self, QueryError::Http(e) if e.is_transport())
    }

    /// The text for a panel: short, the API's own words first.
    pub fn panel_text(&self) -> String {
        match self {
            QueryError::Api {
                error_type, error, ..
            } => format!("{error_type}: {error}"),
            QueryError::Http(e) => e.message.clone(),
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Http(e) => write!(f, "{e}"),
            QueryError::Api {
                url,
                error_type,
                error,
            } => write!(f, "{url}: Prometheus error {error_type}: {error}"),
        }
    }
}

impl std::error::Error for QueryError {}

/// A configured panel: what to draw and the query behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelQuery {
    pub spec: PanelSpec,
    pub query: String,
}

/// A Prometheus server.
pub struct Prometheus {
    name: String,
    base: Url,
    http: HttpClient,
    panels: Vec<PanelQuery>,
    /// A query a responder asked to chart (the rule behind an alert),
    /// drawn before the configured panels.
    charted: std::sync::Mutex<Option<PanelQuery>>,
}

impl fmt::Debug for Prometheus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prometheus")
            .field("base", &http::redact(&self.base))
            .finish()
    }
}

/// Prometheus refuses more than 11,000 points per series.
const MAX_POINTS: f64 = 11_000.0;

/// A step giving ~240 points over `window`, rounded to a readable value.
pub fn auto_step(window: Duration) -> Duration {
    const NICE: [u64; 17] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400,
    ];
    let target = window.as_secs_f64() / 240.0;
    let step = NICE
        .iter()
        .copied()
        .find(|s| *s as f64 >= target)
        .unwrap_or(86_400);
    let min = (window.as_secs_f64() / MAX_POINTS).ceil() as u64;
    Duration::from_secs(step.max(min).max(1))
}

impl Prometheus {
    pub fn new(url: &str, http: HttpClient, panels: Vec<PanelQuery>) -> Result<Prometheus, String> {
        let base = http::parse_base_url(url).map_err(|e| format!("prometheus URL {e}"))?;
        Ok(Prometheus {
            name: "prometheus".into(),
            base,
            http,
            panels,
            charted: std::sync::Mutex::new(None),
        })
    }

    pub fn url(&self) -> String {
        http::redact(&self.base)
    }

    /// GET /api/v1/query.
    pub async fn query(&self, promql: &str, time: Option<f64>) -> Result<QueryResult, QueryError> {
        let mut url = http::join(&self.base, "api/v1/query");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("query", promql);
            if let Some(t) = time {
                q.append_pair("time", &format!("{t:.3}"));
            }
        }
        self.call(url).await
    }

    /// GET /api/v1/query_range over `window` ending at `end` (unix
    /// seconds); `step` defaults to [`auto_step`].
    pub async fn query_range(
        &self,
        promql: &str,
        end: f64,
        window: Duration,
        step: Option<Duration>,
    ) -> Result<QueryResult, QueryError> {
        let step = step.unwrap_or_else(|| auto_step(window));
        let mut url = http::join(&self.base, "api/v1/query_range");
        url.query_pairs_mut()
            .append_pair("query", promql)
            .append_pair("start", &format!("{:.3}", end - window.as_secs_f64()))
            .append_pair("end", &format!("{end:.3}"))
            .append_pair("step", &format!("{}", step.as_secs_f64()));
        self.call(url).await
    }

    async fn call(&self, url: Url) -> Result<QueryResult, QueryError> {
        let resp = self
            .http
            .send_with(Method::GET, url.clone(), None, true)
            .await
            .map_err(QueryError::Http)?;
        decode(&resp, &url)
    }

    /// GET /api/v1/rules?type=alert: the alerting rules and their alerts.
    pub async fn fetch_rules(&self) -> Result<Vec<super::rules::AlertRule>, HttpError> {
        let mut url = http::join(&self.base, "api/v1/rules");
        url.query_pairs_mut().append_pair("type", "alert");
        let resp = self
            .http
            .send_with(Method::GET, url.clone(), None, true)
            .await?;
        super::rules::parse_rules(&resp.body).map_err(|message| unusable(&resp, &url, message))
    }

    /// How often `alertname` fired before (see [`super::history`]): a
    /// few exact queries over the raw samples, at once.
    pub async fn alert_history(
        &self,
        alertname: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<super::history::History, QueryError> {
        use super::history;
        let now = chrono::Utc::now();
        let t = now.timestamp_millis() as f64 / 1000.0;
        let qs = history::queries(alertname);
        let daily_q = history::daily_query(alertname);
        let days = Duration::from_secs(86_400 * history::DAYS as u64);
        let (answers, daily, rules) = futures::join!(
            futures::future::join_all(qs.iter().map(|q| self.query(q, Some(t)))),
            self.query_range(&daily_q, t, days, Some(Duration::from_secs(86_400))),
            self.fetch_rules(),
        );
        let mut got = Vec::with_capacity(answers.len());
        for a in answers {
            got.push(a?.series());
        }
        let daily = daily.map(|d| d.series());
        let answers: [Vec<Series>; 6] = got.try_into().map_err(|_| QueryError::Api {
            url: self.url(),
            error_type: "bad_response".into(),
            error: "fewer answers than questions".into(),
        })?;
        // The evaluation interval of its rule turns samples into time.
        let interval = rules
            .ok()
            .and_then(|rs| rs.into_iter().find(|r| r.name == alertname))
            .map_or(60.0, |r| {
                if r.interval_secs > 0.0 {
                    r.interval_secs
                } else {
                    60.0
                }
            });
        let daily = daily.as_deref().ok();
        let first = history::fold(labels, &answers, daily, None, interval, now);
        // The activation before the latest: asked at just before it began.
        let previous = match first.last_active_at {
            Some(at) => self
                .query(
                    &history::previous_query(alertname),
                    Some(at.timestamp() as f64 - 1.0),
                )
                .await
                .ok()
                .map(|r| r.series()),
            None => None,
        };
        Ok(history::fold(
            labels,
            &answers,
            daily,
            previous.as_deref(),
            interval,
            now,
        ))
    }

    /// Run every panel's range query (a few at a time), the charted query
    /// first.
    pub async fn fetch_panels(&self, window: Duration) -> Vec<(Panel, Option<QueryError>)> {
        let end = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
        let charted = self.charted.lock().ok().and_then(|c| c.clone());
        let panels: Vec<PanelQuery> = charted
            .into_iter()
            .chain(self.panels.iter().cloned())
            .collect();
        futures::stream::iter(panels)
            .map(|p| async move {
                match self.query_range(&p.query, end, window, None).await {
                    Ok(r) => (panel_from(&p, &r), None),
                    Err(e) => (
                        Panel {
                            spec: p.spec.clone(),
                            points: Vec::new(),
                            error: Some(e.panel_text()),
                        },
                        Some(e),
                    ),
                }
            })
            .buffered(4)
            .collect()
            .await
    }
}

/// A panel from a query result: with several series the worst one (highest
/// last value) is drawn; with none the panel says "no data".
pub fn panel_from(p: &PanelQuery, r: &QueryResult) -> Panel {
    let series = r.series();
    let worst = series.iter().max_by(|a, b| {
        let la = a
            .points
            .iter()
            .rev()
            .map(|x| x.1)
            .find(|v| v.is_finite())
            .unwrap_or(f64::NEG_INFINITY);
        let lb = b
            .points
            .iter()
            .rev()
            .map(|x| x.1)
            .find(|v| v.is_finite())
            .unwrap_or(f64::NEG_INFINITY);
        la.total_cmp(&lb)
    });
    match worst {
        Some(s) => Panel {
            spec: p.spec.clone(),
            points: s.points.clone(),
            error: None,
        },
        None => Panel {
            spec: p.spec.clone(),
            points: Vec::new(),
            error: Some("no data: the query returned no series".into()),
        },
    }
}

#[async_trait]
impl MetricSource for Prometheus {
    fn name(&self) -> &str {
        &self.name
    }

    fn has_rules(&self) -> bool {
        true
    }

    async fn rules(&self) -> anyhow::Result<Vec<super::rules::AlertRule>> {
        Ok(self.fetch_rules().await?)
    }

    fn chart(&self, panel: Option<(PanelSpec, String)>) {
        if let Ok(mut c) = self.charted.lock() {
            *c = panel.map(|(spec, query)| PanelQuery { spec, query });
        }
    }

    async fn history(
        &self,
        alertname: &str,
        labels: &BTreeMap<String, String>,
    ) -> anyhow::Result<super::history::History> {
        Ok(self.alert_history(alertname, labels).await?)
    }

    async fn panels(&self, window: chrono::Duration) -> anyhow::Result<Vec<Panel>> {
        let window = window.to_std().unwrap_or(Duration::from_secs(900));
        let results = self.fetch_panels(window).await;
        // The source is down when no query got an answer from Prometheus
        // itself: unreachable, HTTP 500, a proxy's HTML page, truncated
        // JSON. A header saying "metrics ✓" over panels that all show such
        // errors would be the "all quiet" lie. Prometheus refusing a query
        // (bad_data: the panel's PromQL is wrong) is an answer: the source
        // is up and the panel says why. Each panel keeps its own error.
        let unanswered = |e: &Option<QueryError>| matches!(e, Some(QueryError::Http(_)));
        if !results.is_empty() && results.iter().all(|(_, e)| unanswered(e)) {
            if let Some((_, Some(e))) = results.into_iter().next() {
                return Err(e.into());
            }
            anyhow::bail!("prometheus unreachable");
        }
        Ok(results.into_iter().map(|(p, _)| p).collect())
    }
}

/// An answer that could not be used: a body error, or the status's.
fn unusable(resp: &http::Response, url: &Url, message: String) -> HttpError {
    HttpError {
        method: "GET".into(),
        url: http::redact(url),
        kind: if resp.status.is_success() {
            http::ErrorKind::Body
        } else {
            http::ErrorKind::Status(resp.status.as_u16())
        },
        message,
        attempts: 1,
    }
}

/// Decode a Prometheus API answer (success or error envelope).
pub fn decode(resp: &http::Response, url: &Url) -> Result<QueryResult, QueryError> {
    let env: Envelope = match serde_json::from_slice(&resp.body) {
        Ok(e) => e,
        Err(e) => {
            let mut message = http::json_error_text(&resp.content_type, &resp.body, &e);
            if !resp.status.is_success() {
                message = format!("HTTP {}: {message}", resp.status.as_u16());
            }
            return Err(QueryError::Http(unusable(resp, url, message)));
        }
    };
    let plain_url = {
        let mut u = url.clone();
        u.set_query(None);
        http::redact(&u)
    };
    if env.status != "success" {
        return Err(QueryError::Api {
            url: plain_url,
            error_type: if env.error_type.is_empty() {
                format!("HTTP {}", resp.status.as_u16())
            } else {
                env.error_type
            },
            error: if env.error.is_empty() {
                "(no message)".into()
            } else {
                env.error
            },
        });
    }
    for w in &env.warnings {
        tracing::debug!("prometheus warning from {plain_url}: {w}");
    }
    let Some(data) = env.data else {
        return Err(QueryError::Api {
            url: plain_url,
            error_type: "bad_response".into(),
            error: "status is success but there is no data".into(),
        });
    };
    let result = match data.result_type.as_str() {
        "vector" => {
            QueryResult::Vector(series_list(data.result, false).map_err(|e| bad(&plain_url, e))?)
        }
        "matrix" => {
            QueryResult::Matrix(series_list(data.result, true).map_err(|e| bad(&plain_url, e))?)
        }
        "scalar" => {
            let p: Point =
                serde_json::from_value(data.result).map_err(|e| bad(&plain_url, e.to_string()))?;
            QueryResult::Scalar((p.0, p.1))
        }
        "string" => {
            let (t, s): (f64, String) =
                serde_json::from_value(data.result).map_err(|e| bad(&plain_url, e.to_string()))?;
            QueryResult::String((t, s))
        }
        other => return Err(bad(&plain_url, format!("unknown resultType `{other}`"))),
    };
    Ok(result)
}

fn bad(url: &str, e: String) -> QueryError {
    QueryError::Api {
        url: url.to_string(),
        error_type: "bad_response".into(),
        error: e,
    }
}

fn series_list(v: serde_json::Value, matrix: bool) -> Result<Vec<Series>, String> {
    if v.is_null() {
        return Ok(Vec::new());
    }
    let raw: Vec<RawSeries> = serde_json::from_value(v).map_err(|e| e.to_string())?;
    Ok(raw
        .into_iter()
        .map(|r| Series {
            metric: r.metric,
            points: if matrix {
                r.values.into_iter().map(|p| (p.0, p.1)).collect()
            } else {
                r.value.map(|p| vec![(p.0, p.1)]).unwrap_or_default()
            },
        })
        .collect())
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: String,
    #[serde(default)]
    error: String,
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    #[serde(default)]
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    value: Option<Point>,
    #[serde(default)]
    values: Vec<Point>,
}

/// `[1435781451.781, "1"]`: time as a number, value as a string.
struct Point(f64, f64);

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Point;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("[time, \"value\"]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Point, A::Error> {
                let t: NumOrStr = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let v: NumOrStr = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                Ok(Point(t.0, v.0))
            }
        }
        d.deserialize_seq(V)
    }
}

/// A float from a JSON number or a Prometheus value string.
struct NumOrStr(f64);

impl<'de> Deserialize<'de> for NumOrStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NumOrStr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a number as a string")
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<NumOrStr, E> {
                Ok(NumOrStr(n))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<NumOrStr, E> {
                Ok(NumOrStr(n as f64))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<NumOrStr, E> {
                Ok(NumOrStr(n as f64))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<NumOrStr, E> {
                parse_value(s)
                    .map(NumOrStr)
                    .ok_or_else(|| E::custom(format!("`{s}` is not a number")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A Prometheus sample value: a float, or NaN, +Inf, -Inf.
pub fn parse_value(s: &str) -> Option<f64> {
    match s.trim() {
        "NaN" | "nan" => Some(f64::NAN),
        "+Inf" | "Inf" | "inf" | "+inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}

/// A number for people: NaN and infinities as Prometheus writes them.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 0.001 {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, ct: &str, body: &str) -> http::Response {
        http::Response {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            content_type: ct.into(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn url() -> Url {
        Url::parse("http://prom:9090/api/v1/query?query=up").unwrap()
    }

    #[test]
    fn steps_are_nice_and_bounded() {
        assert_eq!(auto_step(Duration::from_secs(900)), Duration::from_secs(5));
        assert_eq!(
            auto_step(Duration::from_secs(3600)),
            Duration::from_secs(15)
        );
        assert_eq!(
            auto_step(Duration::from_secs(6 * 3600)),
            Duration::from_secs(120)
        );
        assert_eq!(auto_step(Duration::from_secs(30)), Duration::from_secs(1));
    }

    #[test]
    fn special_values_survive() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"x","job":"a"},"values":[[1,"NaN"],[2,"+Inf"],[3,"-Inf"],[4,"1.5e3"]]}]}}"#;
        let r = decode(&resp(200, "application/json", body), &url()).unwrap();
        let s = &r.series()[0];
        assert!(s.points[0].1.is_nan());
        assert_eq!(s.points[1].1, f64::INFINITY);
        assert_eq!(s.points[2].1, f64::NEG_INFINITY);
        assert_eq!(s.points[3].1, 1500.0);
        assert_eq!(s.label(), r#"x{job="a"}"#);
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(0.25), "0.25");
    }

    #[test]
    fn api_errors_keep_their_type() {
        let body = r#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"}"#;
        let e = decode(&resp(400, "application/json", body), &url()).unwrap_err();
        assert_eq!(
            e.panel_text(),
            "bad_data: 1:5: parse error: unclosed left parenthesis"
        );
        assert!(!e.is_transport());
        assert!(
            e.to_string().contains("http://prom:9090/api/v1/query"),
            "{e}"
        );
    }

    #[test]
    fn html_from_a_proxy_is_named() {
        let e = decode(
            &resp(200, "text/html", "<html><title>Log in</title></html>"),
            &url(),
        )
        .unwrap_err();
        assert!(
            e.panel_text().contains("HTML page titled \"Log in\""),
            "{}",
            e.panel_text()
        );
    }

    #[test]
    fn scalars_vectors_and_empty_results() {
        let r = decode(
            &resp(
                200,
                "application/json",
                r#"{"status":"success","data":{"resultType":"scalar","result":[1.5,"2"]}}"#,
            ),
            &url(),
        )
        .unwrap();
        assert_eq!(r, QueryResult::Scalar((1.5, 2.0)));
        let r = decode(
            &resp(
                200,
                "application/json",
                r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
            ),
            &url(),
        )
        .unwrap();
        let p = PanelQuery {
            spec: PanelSpec {
                name: "x".into(),
                unit: String::new(),
                warning: None,
                critical: None,
            },
            query: "x".into(),
        };
        assert!(panel_from(&p, &r).error.unwrap().contains("no data"));
    }
}
