//! Deeply nested input to every parser of outside data (flag files, TOML
//! files, journals, API answers): a clear error that names the file or
//! URL and the limit, never a crash. A stack overflow aborts the process,
//! so a regression here takes the whole test binary down with the
//! "has overflowed its stack" message of the thread that hit it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command;
use firebreak::config::keymap::Keymap;
use firebreak::config::theme::Theme;
use firebreak::config::Config;
use firebreak::demo::Scenario;
use firebreak::flags::flagd::{Flagd, Mode};
use firebreak::flags::unleash::{Unleash, UnleashSettings};
use firebreak::flags::FlagProvider;
use firebreak::playbook::loader;
use firebreak::playbook::model::Source;
use firebreak::sources::alertmanager::{parse_alerts, parse_silences, Alertmanager};
use firebreak::sources::http::{HttpClient, HttpSettings, SecretRef};
use firebreak::sources::prometheus::{PanelQuery, Prometheus};
use firebreak::sources::{poller, AlertSource, MetricSource, PanelSpec};
use firebreak::state::health::Freshness;
use firebreak::state::{update, Msg};
use firebreak::timeline::journal::{self, Journal};
use predicates::prelude::*;

use crate::support::fault::FaultServer;
use crate::support::state::{new_state, t};

/// "A few thousand levels deep".
const N: usize = 5_000;

fn arrays(n: usize) -> String {
    format!("{}{}", "[".repeat(n), "]".repeat(n))
}

/// Run `f` on a thread with the stack a tokio worker or blocking thread
/// has (2 MiB), whatever RUST_MIN_STACK says.
fn on_worker_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn fb(data: &Path) -> Command {
    crate::support::firebreak(&data.join("no-config"), data)
}

// ---- flagd flag files ---------------------------------------------------

/// A valid flag file but for one deep place: in a targeting rule, or in
/// an object variant.
fn deep_flag_files() -> [(&'static str, String); 2] {
    let rule = format!("{}true{}", "{\"!\":[".repeat(N), "]}".repeat(N));
    let value = format!("{}1{}", "{\"a\":".repeat(N), "}".repeat(N));
    [
        (
            "targeting.flagd.json",
            format!(
                "{{\n  \"flags\": {{\n    \"f\": {{\"state\": \"ENABLED\", \"variants\": {{\"on\": true, \"off\": false}}, \"defaultVariant\": \"on\",\n      \"targeting\": {rule}}}\n  }}\n}}\n"
            ),
        ),
        (
            "variant.flagd.json",
            format!(
                "{{\n  \"flags\": {{\n    \"f\": {{\"state\": \"ENABLED\", \"defaultVariant\": \"a\",\n      \"variants\": {{\"a\": {value}}}}}\n  }}\n}}\n"
            ),
        ),
    ]
}

#[test]
fn flag_list_refuses_a_deep_flag_file_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, text) in deep_flag_files() {
        let path = tmp.path().join(name);
        std::fs::write(&path, &text).unwrap();
        let config = tmp.path().join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!(
                "[[flags]]\nname = \"edge\"\nkind = \"flagd\"\npath = \"{}\"\n",
                path.display()
            ),
        )
        .unwrap();
        for args in [&["flag", "list"][..], &["flag", "off", "f"]] {
            fb(tmp.path())
                .arg("--config")
                .arg(&config)
                .args(args)
                .assert()
                .code(1)
                .stderr(predicate::str::contains(format!(
                    "{}:4: flag file nested deeper than 64 levels at line 4, column ",
                    path.display()
                )));
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "untouched");
    }
}

#[test]
fn a_deep_flag_file_in_the_cockpit_is_a_down_provider_not_a_crash() {
    // The cockpit polls flag files on its tokio runtime, with the terminal
    // in the alternate screen: the poll must come back as an error.
    let tmp = tempfile::tempdir().unwrap();
    let (name, text) = &deep_flag_files()[0];
    let path = tmp.path().join(name);
    std::fs::write(&path, text).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let msg = rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        let p: Arc<dyn FlagProvider> = Arc::new(Flagd::new("edge", &path, Mode::State));
        let fetch = |p: Arc<dyn FlagProvider>| async move { p.list().await };
        let _refresh = poller::watch(
            p,
            "edge",
            Duration::from_secs(60),
            Duration::from_secs(10),
            &tx,
            fetch,
            Msg::Flags,
        );
        rx.recv().await.unwrap()
    });
    let mut state = new_state(false);
    let now = t("2026-11-27T14:00:00Z");
    update(&mut state, msg, now);
    match state.flags.health.freshness(now) {
        Freshness::Down(why) => assert!(
            why.starts_with(&format!(
                "{}:4: flag file nested deeper than 64 levels",
                path.display()
            )),
            "{why}"
        ),
        other => panic!("expected the provider to be down, got {other:?}"),
    }
}

// ---- TOML: config, keymap, themes, playbooks, demo scenario -------------

/// Deep TOML of every shape, on line 2 of a file.
fn deep_toml() -> Vec<(&'static str, String)> {
    let key = vec!["a"; 70].join(".");
    let mut v = vec![
        ("arrays", format!("x = {}", arrays(N))),
        (
            "inline tables",
            format!("x = {}1{}", "{a = ".repeat(N), "}".repeat(N)),
        ),
        ("a dotted key", format!("{} = 1", vec!["a"; N].join("."))),
        ("a table header", format!("[{}]", vec!["a"; N].join("."))),
        // Within each of the toml crate's own limits (80 levels of inline
        // tables, 80 segments of a key), 5,250 levels together.
        (
            "dotted keys in inline tables",
            format!(
                "x = {}1{}",
                format!("{{{key} = ").repeat(75),
                "}".repeat(75)
            ),
        ),
    ];
    for (_, text) in &mut v {
        text.insert_str(0, "# deep\n");
        text.push('\n');
    }
    v
}

/// Assert an error is the depth error at line 2 of `file`.
fn is_depth_error(e: &str, file: &str, what: &str) {
    assert!(
        e.starts_with(&format!(
            "{file}:2: nested deeper than 64 levels at line 2, column "
        )),
        "{what}: {e}"
    );
}

#[test]
fn every_toml_parser_refuses_deep_files_with_file_line_and_limit() {
    on_worker_stack(|| {
        for (what, src) in deep_toml() {
            let f = Path::new("deep.toml");
            let e = Config::parse(f, &src).unwrap_err();
            is_depth_error(&e.to_string(), "deep.toml", what);
            let e = Keymap::builtin().overlay(f, &src).unwrap_err();
            is_depth_error(&e.to_string(), "deep.toml", what);
            let e = Theme::parse("deep", f, &src).err().unwrap();
            is_depth_error(&e.to_string(), "deep.toml", what);
            let e = Scenario::parse(f, &src).err().unwrap();
            is_depth_error(&e.to_string(), "deep.toml", what);
            let e = loader::parse(f, &src, Source::File(f.into()))
                .err()
                .unwrap();
            assert_eq!(e.len(), 1, "{what}: {e:?}");
            is_depth_error(&e[0].to_string(), "deep.toml", what);
        }
    });
}

#[test]
fn the_toml_limit_leaves_room_for_real_files() {
    // 64 levels (the root table is one) are read as before.
    let src = format!("x = {}\n", arrays(63));
    let e = Config::parse(Path::new("c.toml"), &src).unwrap_err();
    assert!(e.to_string().contains("unknown field `x`"), "{e}");
    let src = format!("x = {}\n", arrays(64));
    let e = Config::parse(Path::new("c.toml"), &src).unwrap_err();
    assert!(e.to_string().contains("nested deeper than 64"), "{e}");
}

#[test]
fn check_refuses_a_deep_config_keymap_and_theme_naming_the_file() {
    let data = tempfile::tempdir().unwrap();
    for (what, src) in deep_toml() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, &src).unwrap();
        fb(data.path())
            .arg("--config")
            .arg(&config)
            .arg("check")
            .assert()
            .failure()
            .stderr(predicate::str::contains(format!(
                "{}:2: nested deeper than 64 levels at line 2, column ",
                config.display()
            )));
        // A good config, with a deep keymap next to it, and a deep theme.
        std::fs::write(&config, "responder = \"x\"\ntheme = \"deep\"\n").unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(dir.path().join("keymap.toml"), &src).unwrap();
        std::fs::write(dir.path().join("themes/deep.toml"), &src).unwrap();
        let out = fb(data.path())
            .arg("--config")
            .arg(&config)
            .arg("check")
            .assert()
            .code(2)
            .get_output()
            .stdout
            .clone();
        let out = String::from_utf8_lossy(&out);
        for file in ["keymap.toml", "themes/deep.toml"] {
            let want = format!(
                "{}:2: nested deeper than 64 levels at line 2, column ",
                dir.path().join(file).display()
            );
            assert!(out.contains(&want), "{what}: {want} not in {out}");
        }
    }
}

#[test]
fn a_deep_playbook_is_skipped_naming_its_file_not_an_abort() {
    // Dotted keys inside inline tables in an input's `default` (an
    // untagged value, buffered recursively by serde) used to abort
    // `firebreak playbook list` with a stack overflow.
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, deep) = deep_toml().pop().unwrap();
    let value = deep.lines().nth(1).unwrap().trim_start_matches("x = ");
    let src = format!(
        "name = \"deep\"\ndescription = \"d\"\n[[inputs]]\nname = \"i\"\ndefault = {value}\n[[steps]]\ntitle = \"t\"\nkind = \"check\"\ntext = \"x\"\n"
    );
    let path = dir.path().join("deep.toml");
    std::fs::write(&path, &src).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("playbook_dirs = [\"{}\"]\n", dir.path().display()),
    )
    .unwrap();
    let want = format!(
        "{}:5: nested deeper than 64 levels at line 5, column ",
        path.display()
    );
    fb(data.path())
        .arg("--config")
        .arg(&config)
        .args(["playbook", "list"])
        .assert()
        .success()
        .stderr(predicate::str::contains(want.clone()))
        .stdout(predicate::str::contains("rollback"));
    fb(data.path())
        .arg("--config")
        .arg(&config)
        .args(["playbook", "check"])
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(want));
}

// ---- JSON: journals, API answers ----------------------------------------

#[test]
fn a_deep_journal_line_is_a_problem_on_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let mut j = Journal::create(tmp.path(), "inc-deep").unwrap();
    let at = t("2026-11-27T14:00:00Z");
    j.append(
        at,
        "alice",
        firebreak::domain::Event::Note {
            text: "one".into(),
            at: None,
        },
    )
    .unwrap();
    let path = j.path().to_path_buf();
    drop(j);
    // A deep event whose kind comes last (so it is buffered, recursively,
    // before its kind is known), then a good-looking line after it.
    let line = format!(
        "{{\"seq\":2,\"ts\":\"2026-11-27T14:01:00Z\",\"prev\":\"x\",\"actor\":\"a\",\"event\":{{\"text\":{},\"kind\":\"note\"}}}}\n",
        arrays(N)
    );
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&line);
    text.push_str(&line);
    std::fs::write(&path, text).unwrap();
    let replay = on_worker_stack(move || journal::read(&path).unwrap());
    assert_eq!(replay.entries.len(), 1);
    let deep: Vec<_> = replay
        .problems
        .iter()
        .filter(|p| p.message.contains("nested deeper than 127 levels"))
        .map(|p| p.line)
        .collect();
    assert_eq!(deep, [2], "{:?}", replay.problems);
    assert!(
        replay.problems.iter().any(|p| p.line == 3),
        "the last line is torn: {:?}",
        replay.problems
    );
}

#[test]
fn deep_alertmanager_payloads_are_refused_with_the_limit() {
    on_worker_stack(|| {
        let now = t("2026-11-27T14:00:00Z");
        let deep = arrays(N);
        // Not an alert at all: skipped (iteratively), and said so.
        let p = parse_alerts(format!("[{deep}]").as_bytes(), "am", now).unwrap();
        assert_eq!((p.alerts.len(), p.skipped), (0, 1));
        assert!(p.notes[0].starts_with("skipped 1 alert"), "{:?}", p.notes);
        let bodies = [
            format!("[{{\"labels\":{{\"a\":{deep}}}}}]"),
            format!("{{\"alerts\":[{{\"annotations\":{{\"a\":{deep}}}}}]}}"),
        ];
        for body in bodies {
            let e = parse_alerts(body.as_bytes(), "am", now).unwrap_err();
            assert!(
                e.starts_with(
                    "the JSON response is nested deeper than 127 levels at line 1, column "
                ),
                "{e}"
            );
            let e = parse_silences(body.as_bytes(), "am").unwrap_err();
            assert!(e.contains("nested deeper than 127 levels"), "{e}");
        }
        // 100 levels in a label value are read (as JSON text).
        let body = format!(
            "[{{\"labels\":{{\"alertname\":\"A\",\"x\":{}}}}}]",
            arrays(100)
        );
        let p = parse_alerts(body.as_bytes(), "am", now).unwrap();
        assert_eq!(p.alerts.len(), 1);
    });
}

fn http() -> HttpSettings {
    HttpSettings {
        request_timeout: Duration::from_secs(5),
        retries: 0,
        max_body: 1024 * 1024,
        ..HttpSettings::default()
    }
}

#[tokio::test]
async fn deep_answers_are_errors_naming_the_url_and_the_limit() {
    // `deep` answers valid JSON nested `fault::DEEP` (10,000) levels.
    let f = FaultServer::start().await;
    let url = f.url("deep");
    let limit = "is nested deeper than 127 levels at line 1, column ";

    let am = Alertmanager::new(
        std::slice::from_ref(&url),
        HttpClient::new("alertmanager", http()).unwrap(),
        Vec::new(),
    )
    .unwrap();
    let e = format!("{:#}", am.alerts().await.unwrap_err());
    assert!(e.contains(&format!("{url}api/v2/alerts")), "{e}");
    assert!(e.contains(limit), "{e}");
    let e = format!("{:#}", am.silences().await.unwrap_err());
    assert!(e.contains(&format!("{url}api/v2/silences")), "{e}");
    assert!(e.contains(limit), "{e}");

    let panel = PanelQuery {
        spec: PanelSpec {
            name: "errors".into(),
            unit: "%".into(),
            warning: None,
            critical: None,
        },
        query: "sum(up)".into(),
    };
    let prom = Prometheus::new(
        &url,
        HttpClient::new("prometheus", http()).unwrap(),
        vec![panel],
    )
    .unwrap();
    let e = format!(
        "{:#}",
        prom.panels(chrono::Duration::minutes(15))
            .await
            .unwrap_err()
    );
    assert!(e.contains(&format!("{url}api/v1/query")), "{e}");
    assert!(e.contains(limit), "{e}");
    let e = prom.query("up", None).await.unwrap_err().to_string();
    assert!(e.contains(limit), "{e}");

    // Unleash reads nothing of this shape recursively: a plain error.
    let tmp = tempfile::tempdir().unwrap();
    let token = tmp.path().join("token");
    std::fs::write(&token, "t0ken").unwrap();
    let unleash = Unleash::new(UnleashSettings {
        name: "u".into(),
        url: url.clone(),
        project: "default".into(),
        environment: "production".into(),
        token: SecretRef::File(token),
        timeout: Duration::from_secs(5),
        retries: 0,
    })
    .unwrap();
    let e = format!("{:#}", unleash.list().await.unwrap_err());
    assert!(
        e.contains(&format!("{url}api/admin/projects/default/features")),
        "{e}"
    );
    assert!(e.contains("JSON"), "{e}");
}
