//! Who got paged: Alertmanager's routing tree, read from its running
//! configuration (`/api/v2/status`, `config.original`) or a config file,
//! and evaluated for an alert's labels the way Alertmanager's dispatcher
//! does (and `amtool config routes test` prints):
//!
//! - a route matches when all its matchers (`match`, `match_re`,
//!   `matchers`) match; a missing label is the empty string;
//! - a matching route hands the alert to its children in order: the first
//!   child that matches ends the search unless it has `continue: true`;
//! - a route none of whose children match is itself the match;
//! - children inherit `receiver`, `group_by` and the three timings from
//!   their parent; mute and active time intervals are their own.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::sources::matcher::{self, Matcher, Op};

/// Alertmanager's defaults for a root route that does not set them.
const GROUP_WAIT: &str = "30s";
const GROUP_INTERVAL: &str = "5m";
const REPEAT_INTERVAL: &str = "4h";

/// One route of the tree, its options resolved (inherited ones filled in).
#[derive(Debug, Clone)]
pub struct Route {
    pub matchers: Vec<Matcher>,
    pub receiver: String,
    pub group_by: Vec<String>,
    pub group_wait: String,
    pub group_interval: String,
    pub repeat_interval: String,
    pub cont: bool,
    pub mute_time_intervals: Vec<String>,
    pub active_time_intervals: Vec<String>,
    /// Where it is in the configuration: `route.routes[0].routes[2]`.
    pub at: String,
    pub routes: Vec<Route>,
}

impl Route {
    /// Its matchers as Alertmanager prints them: `{a="b",c=~"d"}`, sorted
    /// by name; the root (and any route without matchers) is `{}`.
    pub fn label(&self) -> String {
        let mut ms: Vec<String> = self.matchers.iter().map(ToString::to_string).collect();
        ms.sort();
        format!("{{{}}}", ms.join(","))
    }

    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        matcher::all_match(&self.matchers, labels)
    }

    /// Alertmanager's `Route.Match`: the routes that take the alert, with
    /// the path to each (indices of the children taken).
    fn walk<'a>(
        &'a self,
        labels: &BTreeMap<String, String>,
        path: &mut Vec<&'a Route>,
        out: &mut Vec<Vec<&'a Route>>,
    ) -> bool {
        if !self.matches(labels) {
            return false;
        }
        path.push(self);
        let before = out.len();
        for child in &self.routes {
            let matched = child.walk(labels, path, out);
            if matched && !child.cont {
                break;
            }
        }
        if out.len() == before {
            out.push(path.clone());
        }
        path.pop();
        true
    }
}

/// The routing tree of one Alertmanager configuration.
#[derive(Debug, Clone)]
pub struct RoutingTree {
    pub root: Route,
    /// The receivers the configuration defines, in its order.
    pub receivers: Vec<String>,
}

/// One route an alert is sent through: who gets it, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paged {
    pub receiver: String,
    /// The matchers of each route from the root's first child down to the
    /// one that took the alert (empty: the root itself took it).
    pub path: Vec<String>,
    /// Where that route is in the configuration.
    pub at: String,
    pub group_by: Vec<String>,
    pub group_wait: String,
    pub group_interval: String,
    pub repeat_interval: String,
    /// Named time intervals during which this route sends nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mute_time_intervals: Vec<String>,
    /// Named time intervals outside which this route sends nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub active_time_intervals: Vec<String>,
}

impl Paged {
    /// "group by [alertname] · first after 30s · repeats every 4h", and
    /// the time intervals that mute it.
    pub fn how(&self) -> String {
        let mut how = format!(
            "group by [{}] · first after {} · repeats every {}",
            self.group_by.join(", "),
            self.group_wait,
            self.repeat_interval
        );
        if !self.mute_time_intervals.is_empty() {
            how.push_str(&format!(
                " · muted during {}",
                self.mute_time_intervals.join(", ")
            ));
        }
        if !self.active_time_intervals.is_empty() {
            how.push_str(&format!(
                " · only during {}",
                self.active_time_intervals.join(", ")
            ));
        }
        how
    }

    /// "{service="db"} → {severity="critical"}", or "the root route".
    pub fn via(&self) -> String {
        if self.path.is_empty() {
            "the root route (no other route matched)".to_string()
        } else {
            self.path.join(" → ")
        }
    }
}

impl RoutingTree {
    /// Read the `route:` and `receivers:` of an Alertmanager configuration
    /// (YAML). Errors name the field (`route.routes[1].matchers[0]`) or
    /// the YAML line.
    pub fn from_yaml(text: &str) -> Result<RoutingTree, String> {
        let raw: RawConfig = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
        let Some(root) = raw.route else {
            return Err("no `route:` (the routing tree's root is required)".into());
        };
        let receivers: Vec<String> = raw.receivers.into_iter().map(|r| r.name).collect();
        if !root.matchers.is_empty() || !root.match_eq.is_empty() || !root.match_re.is_empty() {
            return Err("route: the root route must not have any matchers".into());
        }
        if root.cont {
            return Err("route: the root route cannot have `continue`".into());
        }
        let defaults = Route {
            matchers: Vec::new(),
            receiver: String::new(),
            group_by: Vec::new(),
            group_wait: GROUP_WAIT.into(),
            group_interval: GROUP_INTERVAL.into(),
            repeat_interval: REPEAT_INTERVAL.into(),
            cont: false,
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
            at: String::new(),
            routes: Vec::new(),
        };
        let root = build(root, &defaults, "route".into(), &receivers)?;
        if root.receiver.is_empty() {
            return Err("route.receiver: the root route needs a receiver".into());
        }
        Ok(RoutingTree { root, receivers })
    }

    /// Read the running configuration from an `/api/v2/status` answer.
    pub fn from_status(body: &[u8]) -> Result<RoutingTree, String> {
        let status: Status = serde_json::from_slice(body)
            .map_err(|e| format!("not an Alertmanager /api/v2/status answer: {e}"))?;
        RoutingTree::from_yaml(&status.config.original)
            .map_err(|e| format!("its running configuration: {e}"))
    }

    /// The routes that take an alert with these labels, in Alertmanager's
    /// order (a receiver may appear twice, as amtool prints it).
    pub fn route(&self, labels: &BTreeMap<String, String>) -> Vec<Paged> {
        let mut out = Vec::new();
        self.root.walk(labels, &mut Vec::new(), &mut out);
        out.into_iter()
            .filter_map(|path| {
                let last = path.last()?;
                Some(Paged {
                    receiver: last.receiver.clone(),
                    path: path.iter().skip(1).map(|r| r.label()).collect(),
                    at: last.at.clone(),
                    group_by: last.group_by.clone(),
                    group_wait: last.group_wait.clone(),
                    group_interval: last.group_interval.clone(),
                    repeat_interval: last.repeat_interval.clone(),
                    mute_time_intervals: last.mute_time_intervals.clone(),
                    active_time_intervals: last.active_time_intervals.clone(),
                })
            })
            .collect()
    }

    /// The receivers of [`RoutingTree::route`], each once, in order.
    pub fn receivers_for(&self, labels: &BTreeMap<String, String>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in self.route(labels) {
            if !out.contains(&p.receiver) {
                out.push(p.receiver);
            }
        }
        out
    }

    /// The whole tree, one route per line, as `amtool config routes` draws
    /// it (remote text is the caller's to make safe).
    pub fn render(&self) -> String {
        self.render_marked(&[])
    }

    /// [`RoutingTree::render`] with the routes at `taken` marked `◀`.
    pub fn render_marked(&self, taken: &[&str]) -> String {
        let mut out = String::new();
        let mark = |r: &Route| {
            if taken.contains(&r.at.as_str()) {
                "  ◀"
            } else {
                ""
            }
        };
        let _ = writeln!(
            out,
            "root  receiver: {}{}",
            self.root.receiver,
            mark(&self.root)
        );
        render_children(&self.root, "", taken, &mut out);
        out
    }
}

fn render_children(route: &Route, prefix: &str, taken: &[&str], out: &mut String) {
    let n = route.routes.len();
    for (i, child) in route.routes.iter().enumerate() {
        let last = i + 1 == n;
        let (branch, more) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        let mut line = format!("{prefix}{branch}{}", child.label());
        if child.cont {
            line.push_str("  continue: true");
        }
        let mark = if taken.contains(&child.at.as_str()) {
            "  ◀"
        } else {
            ""
        };
        let _ = writeln!(out, "{line}  receiver: {}{mark}", child.receiver);
        render_children(child, &format!("{prefix}{more}"), taken, out);
    }
}

fn build(raw: RawRoute, parent: &Route, at: String, receivers: &[String]) -> Result<Route, String> {
    let mut matchers = Vec::new();
    for (name, value) in &raw.match_eq {
        matchers.push(
            Matcher::new(name, Op::Eq, &value.0).map_err(|e| format!("{at}.match.{name}: {e}"))?,
        );
    }
    for (name, value) in &raw.match_re {
        matchers.push(
            Matcher::new(name, Op::Re, &value.0)
                .map_err(|e| format!("{at}.match_re.{name}: {e}"))?,
        );
    }
    for (i, s) in raw.matchers.iter().enumerate() {
        let ms = matcher::parse(s).map_err(|e| format!("{at}.matchers[{i}]: `{s}`: {e}"))?;
        matchers.extend(ms);
    }
    let receiver = raw.receiver.unwrap_or_else(|| parent.receiver.clone());
    if !receiver.is_empty() && !receivers.is_empty() && !receivers.contains(&receiver) {
        return Err(format!(
            "{at}.receiver: `{receiver}` is not one of the receivers ({})",
            receivers.join(", ")
        ));
    }
    let mut route = Route {
        matchers,
        receiver,
        group_by: raw.group_by.unwrap_or_else(|| parent.group_by.clone()),
        group_wait: raw.group_wait.unwrap_or_else(|| parent.group_wait.clone()),
        group_interval: raw
            .group_interval
            .unwrap_or_else(|| parent.group_interval.clone()),
        repeat_interval: raw
            .repeat_interval
            .unwrap_or_else(|| parent.repeat_interval.clone()),
        cont: raw.cont,
        mute_time_intervals: raw.mute_time_intervals,
        active_time_intervals: raw.active_time_intervals,
        at: at.clone(),
        routes: Vec::new(),
    };
    let mut children = Vec::with_capacity(raw.routes.len());
    for (i, child) in raw.routes.into_iter().enumerate() {
        children.push(build(
            child,
            &route,
            format!("{at}.routes[{i}]"),
            receivers,
        )?);
    }
    route.routes = children;
    Ok(route)
}

#[derive(Deserialize)]
struct Status {
    config: StatusConfig,
}

#[derive(Deserialize)]
struct StatusConfig {
    original: String,
}

#[derive(Deserialize)]
struct RawConfig {
    route: Option<RawRoute>,
    #[serde(default)]
    receivers: Vec<RawReceiver>,
}

#[derive(Deserialize)]
struct RawReceiver {
    name: String,
}

/// A scalar label value: YAML may write `severity: 1` or `page: true`.
#[derive(Debug)]
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            S(String),
            B(bool),
            I(i64),
            F(f64),
        }
        Ok(Scalar(match Any::deserialize(d)? {
            Any::S(s) => s,
            Any::B(b) => b.to_string(),
            Any::I(i) => i.to_string(),
            Any::F(f) => f.to_string(),
        }))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawRoute {
    receiver: Option<String>,
    group_by: Option<Vec<String>>,
    #[serde(rename = "continue")]
    cont: bool,
    #[serde(rename = "match")]
    match_eq: BTreeMap<String, Scalar>,
    match_re: BTreeMap<String, Scalar>,
    matchers: Vec<String>,
    group_wait: Option<String>,
    group_interval: Option<String>,
    repeat_interval: Option<String>,
    mute_time_intervals: Vec<String>,
    active_time_intervals: Vec<String>,
    routes: Vec<RawRoute>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['service="db"']
      receiver: db-team
      continue: true
      group_wait: 10s
      routes:
        - match: {severity: critical}
          receiver: db-pager
    - match_re: {service: "db|api"}
      receiver: backend
      mute_time_intervals: [weekends]
    - matchers: ['{team=~"a.*", env!="dev"}']
      group_by: [team]
receivers:
  - name: default
  - name: db-team
  - name: db-pager
  - name: backend
"#;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn receivers(t: &RoutingTree, pairs: &[(&str, &str)]) -> Vec<String> {
        t.route(&labels(pairs))
            .into_iter()
            .map(|p| p.receiver)
            .collect()
    }

    #[test]
    fn continue_and_nesting_route_like_alertmanager() {
        let t = RoutingTree::from_yaml(CONFIG).unwrap();
        // db matches db-team (continue) whose child takes it; then backend.
        assert_eq!(
            receivers(&t, &[("service", "db"), ("severity", "critical")]),
            ["db-pager", "backend"]
        );
        // No child of db-team matches: db-team itself, then backend.
        assert_eq!(
            receivers(&t, &[("service", "db"), ("severity", "warning")]),
            ["db-team", "backend"]
        );
        // Nothing matches: the root.
        assert_eq!(receivers(&t, &[("service", "web")]), ["default"]);
        // A missing `env` is "", which is != "dev"; the receiver is inherited.
        let p = t.route(&labels(&[("team", "auth")]));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].receiver, "default");
        assert_eq!(p[0].group_by, ["team"]);
        assert_eq!(p[0].path, [r#"{env!="dev",team=~"a.*"}"#]);
        assert_eq!(p[0].at, "route.routes[2]");
        assert!(t
            .route(&labels(&[("team", "auth"), ("env", "dev")]))
            .iter()
            .all(|p| p.at == "route"));
    }

    #[test]
    fn options_are_inherited_and_intervals_are_their_own() {
        let t = RoutingTree::from_yaml(CONFIG).unwrap();
        let p = t.route(&labels(&[("service", "db"), ("severity", "critical")]));
        assert_eq!(p[0].group_wait, "10s", "inherited from db-team");
        assert_eq!(p[0].group_interval, "5m", "Alertmanager's default");
        assert_eq!(p[0].group_by, ["alertname"]);
        assert_eq!(p[0].path, [r#"{service="db"}"#, r#"{severity="critical"}"#]);
        assert_eq!(p[1].mute_time_intervals, ["weekends"]);
        assert!(p[0].mute_time_intervals.is_empty());
    }

    #[test]
    fn a_regex_is_anchored() {
        let t = RoutingTree::from_yaml(CONFIG).unwrap();
        assert_eq!(receivers(&t, &[("service", "dbx")]), ["default"]);
    }

    #[test]
    fn bad_configs_name_the_field() {
        let e = RoutingTree::from_yaml(
            "route:\n  receiver: a\n  routes:\n    - matchers: ['x=~\"(\"']\nreceivers: [{name: a}]\n",
        )
        .unwrap_err();
        assert!(e.starts_with("route.routes[0].matchers[0]"), "{e}");
        let e = RoutingTree::from_yaml(
            "route:\n  receiver: a\n  routes:\n    - receiver: nobody\nreceivers: [{name: a}]\n",
        )
        .unwrap_err();
        assert!(
            e.contains("route.routes[0].receiver") && e.contains("nobody"),
            "{e}"
        );
        let e = RoutingTree::from_yaml("route:\n  receiver: [a\n").unwrap_err();
        assert!(e.contains("line"), "{e}");
        let e = RoutingTree::from_yaml("global: {}\n").unwrap_err();
        assert!(e.contains("route"), "{e}");
    }

    #[test]
    fn the_tree_renders_like_amtool() {
        let t = RoutingTree::from_yaml(CONFIG).unwrap();
        let r = t.render();
        assert!(r.starts_with("root  receiver: default\n"), "{r}");
        assert!(r.contains("├── {service=\"db\"}  continue: true  receiver: db-team\n│   └── {severity=\"critical\"}  receiver: db-pager\n"), "{r}");
        assert!(
            r.contains("└── {env!=\"dev\",team=~\"a.*\"}  receiver: default"),
            "{r}"
        );
    }

    #[test]
    fn a_status_answer_carries_the_running_config() {
        let body = serde_json::json!({"config": {"original": CONFIG}, "cluster": {}});
        let t = RoutingTree::from_status(body.to_string().as_bytes()).unwrap();
        assert_eq!(t.receivers.len(), 4);
        assert!(RoutingTree::from_status(b"<html>").is_err());
    }
}
