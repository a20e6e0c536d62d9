//! firebreak's Unleash provider and `firebreak flag` against a real
//! Unleash 7.5.1 on PostgreSQL 15 (started by tests/it/support/unleash.rs;
//! run tests/setup.sh first). Flags are created and read back through
//! Unleash's own admin API; firebreak only flips them.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::unleash::{server, Unleash as Server};
use assert_cmd::Command;
use firebreak::flags::unleash::{Unleash, UnleashSettings};
use firebreak::flags::{self, FlagProvider};
use firebreak::sources::http::SecretRef;
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(10);

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A flag name no other test uses.
fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Unleash's admin API, used directly (not through firebreak).
struct Api {
    base: String,
    token: String,
    c: reqwest::Client,
}

impl Api {
    fn new(s: &Server) -> Api {
        Api {
            base: s.url.clone(),
            token: s.token.clone(),
            c: reqwest::Client::new(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, String) {
        let mut req = self
            .c
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", &self.token);
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }

    /// Create a kill-switch flag, on in `on_envs`.
    async fn create(&self, name: &str, on_envs: &[&str]) {
        let (st, body) = self
            .send(
                reqwest::Method::POST,
                "/api/admin/projects/default/features",
                Some(json!({"name": name, "type": "kill-switch", "description": "made by a firebreak test"})),
            )
            .await;
        assert_eq!(st, 201, "create {name}: {body}");
        for env in on_envs {
            let (st, body) = self
                .send(
                    reqwest::Method::POST,
                    &format!("/api/admin/projects/default/features/{name}/environments/{env}/on"),
                    None,
                )
                .await;
            assert_eq!(st, 200, "enable {name} in {env}: {body}");
        }
    }

    /// The flag's state in every environment, as Unleash says.
    async fn states(&self, name: &str) -> Vec<(String, bool)> {
        let (st, body) = self
            .send(
                reqwest::Method::GET,
                &format!("/api/admin/projects/default/features/{name}"),
                None,
            )
            .await;
        assert_eq!(st, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["environments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["name"].as_str().unwrap().to_string(),
                    e["enabled"].as_bool().unwrap(),
                )
            })
            .collect()
    }

    async fn state(&self, name: &str, env: &str) -> bool {
        self.states(name)
            .await
            .into_iter()
            .find(|(n, _)| n == env)
            .map(|(_, on)| on)
            .unwrap()
    }
}

fn token_file(dir: &Path, token: &str) -> std::path::PathBuf {
    let p = dir.join("unleash-token");
    std::fs::write(&p, format!("{token}\n")).unwrap();
    p
}

fn provider(url: &str, token: SecretRef, project: &str, env: &str, timeout: Duration) -> Unleash {
    Unleash::new(UnleashSettings {
        name: "unleash-test".into(),
        url: url.into(),
        project: project.into(),
        environment: env.into(),
        token,
        timeout,
        retries: 2,
    })
    .unwrap()
}

#[test]
fn provider_turns_a_flag_off_and_on_and_unleash_agrees() {
    let s = server();
    eprintln!("(Unleash startup took {:.1}s)", s.startup.as_secs_f64());
    let tmp = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let api = Api::new(s);
        let name = unique("kill-checkout");
        api.create(&name, &["development", "production"]).await;
        let p = provider(
            &s.url,
            SecretRef::File(token_file(tmp.path(), &s.token)),
            "default",
            "production",
            TIMEOUT,
        );

        let listed = p.list().await.unwrap();
        let f = listed.iter().find(|f| f.name == name).expect("flag listed");
        assert!(f.enabled);
        assert_eq!(f.env.as_deref(), Some("production"));
        assert_eq!(f.description, "made by a firebreak test");
        assert_eq!(f.provider, "unleash-test");

        // Off: read before, change, read back.
        let o = flags::flip(&p, &name, false, TIMEOUT).await.unwrap();
        assert_eq!((o.before, o.after, o.changed), (true, false, true));
        assert!(
            !api.state(&name, "production").await,
            "Unleash says production is still on"
        );
        assert!(
            api.state(&name, "development").await,
            "development must not change"
        );

        // A second press is a no-op, reported as such.
        let o = flags::flip(&p, &name, false, TIMEOUT).await.unwrap();
        assert_eq!((o.before, o.after, o.changed), (false, false, false));
        assert!(!api.state(&name, "production").await);

        // The last change comes from Unleash's event log.
        let got = p.get(&name).await.unwrap();
        let at = got.changed_at.expect("changed_at from events");
        assert!((chrono::Utc::now() - at).num_seconds().abs() < 120, "{at}");
        let envs = p.environments(&name).await.unwrap();
        assert!(
            envs.iter().any(|e| e.name == "development" && e.enabled),
            "{envs:?}"
        );
        assert!(
            envs.iter().any(|e| e.name == "production" && !e.enabled),
            "{envs:?}"
        );

        // And back on.
        let o = flags::flip(&p, &name, true, TIMEOUT).await.unwrap();
        assert_eq!((o.before, o.after, o.changed), (false, true, true));
        assert!(api.state(&name, "production").await);
    });
}

#[test]
fn cli_flips_reads_back_and_reports_noops() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let name = unique("read-only-mode");
    rt().block_on(Api::new(s).create(&name, &["production"]));
    let cfg = tmp.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "demo = false\nresponder = \"tester\"\n\n[[flags]]\nname = \"prod\"\nkind = \"unleash\"\nurl = \"{}\"\nproject = \"default\"\nenvironment = \"production\"\ntoken_env = \"FB_TEST_UNLEASH_TOKEN\"\n",
            s.url
        ),
    )
    .unwrap();
    let fb = |args: &[&str]| {
        let mut c = Command::cargo_bin("firebreak").unwrap();
        c.arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(tmp.path().join("data"));
        c.env("FB_TEST_UNLEASH_TOKEN", &s.token)
            .env_remove("FIREBREAK_CONFIG");
        c.args(args);
        c
    };

    let out = fb(&["flag", "off", &name, "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["before"], json!(true));
    assert_eq!(v["after"], json!(false));
    assert_eq!(v["changed"], json!(true));
    assert_eq!(v["env"], json!("production"));
    assert_eq!(v["by"], json!("tester"));
    assert!(!rt().block_on(Api::new(s).state(&name, "production")));

    let out = fb(&["flag", "off", &name])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("already off: nothing changed"), "{text}");

    // --env acts on another environment only.
    fb(&["flag", "on", &name, "--env", "development"])
        .assert()
        .success();
    let states = rt().block_on(Api::new(s).states(&name));
    assert!(states.contains(&("development".into(), true)), "{states:?}");
    assert!(states.contains(&("production".into(), false)), "{states:?}");

    let out = fb(&["flag", "get", &name, "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["enabled"], json!(false));
    assert_eq!(v["kind"], json!("unleash"));
    assert_eq!(v["environments"].as_array().map(Vec::len), Some(2), "{v}");

    let out = fb(&["flag", "list", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == json!(name) && f["enabled"] == json!(false)),
        "{v}"
    );

    let out = fb(&["flag", "on", &name])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("was off, now on"), "{text}");
    assert!(rt().block_on(Api::new(s).state(&name, "production")));

    // A flag that does not exist: non-zero exit, a message naming it.
    let out = fb(&["flag", "off", "no-such-flag"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("no flag `no-such-flag` in project `default`"),
        "{text}"
    );
}

#[test]
fn bad_token_is_reported_as_rejected_without_showing_it() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let bad = "*:*.not-the-right-token-0123456789";
    let p = provider(
        &s.url,
        SecretRef::File(token_file(tmp.path(), bad)),
        "default",
        "production",
        TIMEOUT,
    );
    let err = rt().block_on(p.list()).unwrap_err().to_string();
    assert!(err.contains("token rejected"), "{err}");
    assert!(err.contains(&s.url), "names the URL: {err}");
    assert!(
        err.contains("unleash-token"),
        "names where the token came from: {err}"
    );
    assert!(
        !err.contains("not-the-right-token"),
        "must not show the token: {err}"
    );

    let flip = rt()
        .block_on(flags::flip(&p, "anything", false, TIMEOUT))
        .unwrap_err();
    assert!(flip.message.contains("token rejected"), "{}", flip.message);

    // Same through the CLI.
    let cfg = tmp.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!("demo = false\n[[flags]]\nname = \"prod\"\nkind = \"unleash\"\nurl = \"{}\"\ntoken_env = \"FB_TEST_BAD_TOKEN\"\n", s.url),
    )
    .unwrap();
    let out = Command::cargo_bin("firebreak")
        .unwrap()
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(tmp.path())
        .args(["flag", "off", "whatever"])
        .env("FB_TEST_BAD_TOKEN", bad)
        .assert()
        .failure()
        .get_output()
        .clone();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("token rejected") && text.contains("FB_TEST_BAD_TOKEN"),
        "{text}"
    );
    assert!(
        !text.contains("not-the-right-token")
            && !String::from_utf8_lossy(&out.stdout).contains("not-the-right")
    );
}

#[test]
fn missing_flags_projects_and_environments_are_named() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    let tok = || SecretRef::File(token_file(tmp.path(), &s.token));
    rt().block_on(async {
        let p = provider(&s.url, tok(), "default", "production", TIMEOUT);
        let e = p
            .get("definitely-not-a-flag")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no flag `definitely-not-a-flag` in project `default`"),
            "{e}"
        );
        assert!(
            e.contains("/api/admin/projects/default/features/definitely-not-a-flag"),
            "{e}"
        );

        let p = provider(&s.url, tok(), "no-such-project", "production", TIMEOUT);
        let e = p.list().await.unwrap_err().to_string();
        assert!(e.contains("no project `no-such-project`"), "{e}");

        let api = Api::new(s);
        let name = unique("env-check");
        api.create(&name, &[]).await;
        let p = provider(&s.url, tok(), "default", "staging-does-not-exist", TIMEOUT);
        let e = flags::flip(&p, &name, true, TIMEOUT).await.unwrap_err();
        assert!(
            e.message
                .contains("no environment `staging-does-not-exist`"),
            "{}",
            e.message
        );
    });
}

#[test]
fn unreachable_and_silent_servers_fail_fast_with_the_url() {
    // Nothing listens on this port (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    std::env::set_var("FB_TEST_UNREACHABLE_TOKEN", "x");
    let tok = || SecretRef::Env("FB_TEST_UNREACHABLE_TOKEN".into());
    let p = provider(&url, tok(), "default", "production", Duration::from_secs(3));
    let t = Instant::now();
    let e = rt()
        .block_on(flags::flip(&p, "kill", false, Duration::from_secs(5)))
        .unwrap_err();
    assert!(e.message.contains("cannot reach Unleash"), "{}", e.message);
    assert!(e.message.contains("refused"), "{}", e.message);
    assert!(e.message.contains(&url), "{}", e.message);
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "took {:?}",
        t.elapsed()
    );

    // A server that accepts and never answers: the call's deadline holds.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let p = provider(
        &url,
        tok(),
        "default",
        "production",
        Duration::from_millis(800),
    );
    let t = Instant::now();
    let e = rt().block_on(p.get("kill")).unwrap_err().to_string();
    assert!(e.contains("timed out"), "{e}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    drop(silent);
}

#[test]
fn the_project_history_says_which_flags_were_turned_on_or_off_since_when_and_by_whom() {
    let s = server();
    let tmp = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let api = Api::new(s);
        // Another environment's change, and one made before `since`.
        let early = unique("early-flag");
        api.create(&early, &["production"]).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let since = chrono::Utc::now();
        let name = unique("guilty-flag");
        api.create(&name, &["development", "production"]).await;
        let p = provider(
            &s.url,
            SecretRef::File(token_file(tmp.path(), &s.token)),
            "default",
            "production",
            TIMEOUT,
        );
        flags::flip(&p, &name, false, TIMEOUT).await.unwrap();

        let changes = p
            .changes_since(since)
            .await
            .unwrap()
            .expect("Unleash keeps a history");
        let mine: Vec<&str> = changes
            .iter()
            .filter(|c| c.what.contains(&name) || c.what.contains(&early))
            .map(|c| c.what.as_str())
            .collect();
        // Turned on in production at creation, then off by firebreak;
        // the development change and the earlier flag are not listed.
        assert_eq!(
            mine,
            [
                format!("flag {name} turned on").as_str(),
                format!("flag {name} turned off").as_str()
            ],
            "{changes:?}"
        );
        let off = changes
            .iter()
            .find(|c| c.what == format!("flag {name} turned off"))
            .unwrap();
        assert!(off.at >= since && off.at <= chrono::Utc::now());
        assert!(off.by.as_deref().is_some_and(|b| !b.is_empty()), "{off:?}");

        // A token that may not read the event log: a clear error, not an
        // empty history.
        let bad = provider(
            &s.url,
            SecretRef::File(token_file(tmp.path(), "*:*.not-a-token")),
            "default",
            "production",
            TIMEOUT,
        );
        let err = bad.changes_since(since).await.unwrap_err().to_string();
        assert!(err.contains("401") || err.contains("token"), "{err}");
    });
}
