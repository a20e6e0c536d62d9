//! The flagd flag-file provider on real flag files (tests/fixtures/flagd):
//! flips change exactly one value and nothing else, invalid files are
//! refused with file:line and what is wrong, concurrent flips (threads and
//! processes) do not lose or corrupt anything.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use firebreak::flags::flagd::{Flagd, Mode};
use firebreak::flags::{self, FlagProvider};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(10);

fn fixture(kind: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/flagd")
        .join(kind)
        .join(name)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Copy a fixture into a temp dir (with mode 0640), return its path.
fn copy(tmp: &Path, kind: &str, name: &str) -> PathBuf {
    let to = tmp.join(name);
    std::fs::copy(fixture(kind, name), &to).unwrap();
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o640)).unwrap();
    to
}

fn parse(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The flag's JSON object inside a parsed document (map or array form).
fn flag_mut<'a>(doc: &'a mut Value, key: &str) -> &'a mut Value {
    match &mut doc["flags"] {
        Value::Object(m) => m.get_mut(key).unwrap(),
        Value::Array(a) => a.iter_mut().find(|f| f["key"] == json!(key)).unwrap(),
        other => panic!("flags is {other}"),
    }
}

/// Bytes that differ between two texts: (common prefix, common suffix).
fn diff_window(a: &str, b: &str) -> (usize, usize) {
    let pre = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let suf = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (pre, suf.min(a.len() - pre).min(b.len() - pre))
}

#[test]
fn every_flag_of_every_valid_file_flips_and_nothing_else_changes() {
    let rt = rt();
    let files = [
        "shop.flagd.json",
        "import-array.flagd.json",
        "null-default.flagd.json",
        "minified-no-newline.json",
    ];
    let mut flipped = 0;
    for file in files {
        let tmp = tempfile::tempdir().unwrap();
        let path = copy(tmp.path(), "valid", file);
        let original = std::fs::read_to_string(&path).unwrap();
        let p = Flagd::new("files", &path, Mode::State);
        let listed = rt
            .block_on(p.list())
            .unwrap_or_else(|e| panic!("{file}: {e:#}"));
        assert!(!listed.is_empty(), "{file}");
        for f in listed {
            let before_text = std::fs::read_to_string(&path).unwrap();
            let mut expected = parse(&path);
            let wanted = !f.enabled;
            let o = rt
                .block_on(flags::flip(&p, &f.name, wanted, T))
                .unwrap_or_else(|e| panic!("{file} {}: {e}", f.name));
            assert!(o.changed && o.after == wanted, "{file} {}: {o:?}", f.name);
            let after_text = std::fs::read_to_string(&path).unwrap();

            // Semantically: exactly the one field changed.
            flag_mut(&mut expected, &f.name)["state"] =
                json!(if wanted { "ENABLED" } else { "DISABLED" });
            assert_eq!(parse(&path), expected, "{file} {}", f.name);

            // Byte for byte: only the state's value text changed.
            let (pre, suf) = diff_window(&before_text, &after_text);
            let old = &before_text[pre..before_text.len() - suf];
            let new = &after_text[pre..after_text.len() - suf];
            // ("ENABLED" and "DISABLED" share the suffix "ABLED".)
            assert!(
                matches!((old, new), ("EN", "DIS") | ("DIS", "EN")),
                "{file} {}: changed {old:?} -> {new:?}",
                f.name
            );
            assert_eq!(
                &before_text[pre - 1..pre],
                "\"",
                "{file} {}: the edit starts inside the quotes",
                f.name
            );
            flipped += 1;
        }
        // Flip everything back: the file is byte-identical to the original.
        for f in rt.block_on(p.list()).unwrap() {
            rt.block_on(flags::flip(&p, &f.name, !f.enabled, T))
                .unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), original, "{file}");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "{file}: file mode kept");
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temp files left: {leftovers:?}");
    }
    assert!(flipped >= 14, "{flipped}");
}

#[test]
fn lists_in_file_order_with_descriptions() {
    let p = Flagd::new("files", fixture("valid", "shop.flagd.json"), Mode::State);
    let flags = rt().block_on(p.list()).unwrap();
    let names: Vec<&str> = flags.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "checkout-kill-switch",
            "read-only-mode",
            "search-backend",
            "max-basket-items",
            "theme",
            "fläg-with-ünïcode \"quoted\"",
            "new-pricing"
        ]
    );
    assert!(flags[0].enabled && !flags[1].enabled);
    assert!(
        flags[0]
            .description
            .starts_with("Turn off to stop taking orders"),
        "{}",
        flags[0].description
    );
    assert!(
        flags[2].description.contains("has targeting"),
        "{}",
        flags[2].description
    );
    assert_eq!(flags[0].provider, "files");
    assert_eq!(flags[0].env, None);
}

#[test]
fn default_variant_mode_edits_only_default_variant() {
    let rt = rt();
    let tmp = tempfile::tempdir().unwrap();
    let path = copy(tmp.path(), "valid", "shop.flagd.json");
    let p = Flagd::new("files", &path, Mode::DefaultVariant);
    let mut expected = parse(&path);

    // checkout-kill-switch: ENABLED, default "on" -> off by default variant.
    let o = rt
        .block_on(flags::flip(&p, "checkout-kill-switch", false, T))
        .unwrap();
    assert!(o.changed);
    flag_mut(&mut expected, "checkout-kill-switch")["defaultVariant"] = json!("off");
    assert_eq!(
        parse(&path),
        expected,
        "state untouched, defaultVariant off"
    );

    // new-pricing defaults to "off" already: a no-op, file untouched.
    let before = std::fs::read(&path).unwrap();
    let o = rt
        .block_on(flags::flip(&p, "new-pricing", false, T))
        .unwrap();
    assert!(!o.changed);
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // A DISABLED flag reads as off; turning it on is refused with a reason.
    let e = rt
        .block_on(flags::flip(&p, "read-only-mode", true, T))
        .unwrap_err();
    assert!(e.message.contains("state DISABLED"), "{}", e.message);
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // Non-boolean flags fall back to `state`.
    let o = rt
        .block_on(flags::flip(&p, "search-backend", false, T))
        .unwrap();
    assert!(o.changed);
    flag_mut(&mut expected, "search-backend")["state"] = json!("DISABLED");
    assert_eq!(parse(&path), expected);
}

#[test]
fn null_and_missing_default_variants() {
    let rt = rt();
    let tmp = tempfile::tempdir().unwrap();
    let path = copy(tmp.path(), "valid", "null-default.flagd.json");
    // state mode: fine, they are just ENABLED flags.
    let p = Flagd::new("files", &path, Mode::State);
    assert!(rt.block_on(p.get("code-default")).unwrap().enabled);
    // default_variant mode: the file cannot say whether they are on.
    let p = Flagd::new("files", &path, Mode::DefaultVariant);
    let e = rt.block_on(p.get("code-default")).unwrap_err().to_string();
    assert!(
        e.contains("defaultVariant is null") && e.contains("null-default.flagd.json"),
        "{e}"
    );
    let e = rt.block_on(p.get("no-default")).unwrap_err().to_string();
    assert!(e.contains("defaultVariant is not set"), "{e}");
    let e = rt
        .block_on(flags::flip(&p, "code-default", false, T))
        .unwrap_err();
    assert_eq!(e.before, None);
    // A string flag with a null default falls back to `state`.
    assert!(rt.block_on(p.get("greeting")).unwrap().enabled);
}

#[test]
fn invalid_files_are_refused_with_file_line_and_reason() {
    // (file, line, what the message must say)
    let cases: &[(&str, Option<usize>, &str)] = &[
        ("trailing-comma.json", Some(7), "not valid JSON"),
        ("no-flags.json", Some(1), "has no `flags` member"),
        ("flags-is-a-string.json", Some(1), "flags: is a string"),
        (
            "state-lowercase.json",
            Some(4),
            "flags.checkout-kill-switch.state: is \"enabled\"",
        ),
        ("missing-state.json", Some(3), "has no `state`"),
        ("no-variants.json", Some(5), "variants: is empty"),
        (
            "mixed-variant-types.json",
            Some(5),
            "all variants of a flag must have the same type",
        ),
        (
            "null-variant-value.json",
            Some(5),
            "flags.limit.variants.unset: is null",
        ),
        (
            "default-variant-number.json",
            Some(6),
            "defaultVariant: is a number",
        ),
        (
            "unknown-operator.json",
            Some(8),
            "`matches_regex` is not a targeting operator",
        ),
        (
            "metadata-object-value.json",
            Some(7),
            "flags.beta.metadata.owner: is an object",
        ),
        (
            "array-under-flags-schema.json",
            Some(3),
            "only allows an object keyed by flag name",
        ),
        (
            "array-flag-without-key.json",
            Some(3),
            "flags[0]: has no `key`",
        ),
        ("top-level-array.json", Some(1), "top level: is an array"),
        ("flags.yaml", Some(1), "YAML flag files are not supported"),
        ("empty.json", None, "the file is empty"),
        (
            "two-operators.json",
            Some(7),
            "exactly one operator, found 2",
        ),
    ];
    let rt = rt();
    let dir = fixture("invalid", "");
    let mut seen = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect::<Vec<_>>();
    seen.sort();
    let mut listed: Vec<String> = cases.iter().map(|c| c.0.to_string()).collect();
    listed.sort();
    assert_eq!(seen, listed, "every invalid fixture has a case");
    for (file, line, what) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let path = copy(tmp.path(), "invalid", file);
        let before = std::fs::read(&path).unwrap();
        let p = Flagd::new("files", &path, Mode::State);
        let e = rt.block_on(p.list()).unwrap_err().to_string();
        let prefix = match line {
            Some(l) => format!("{}:{l}: ", path.display()),
            None => format!("{}: ", path.display()),
        };
        assert!(
            e.starts_with(&prefix),
            "{file}: expected `{prefix}...`, got: {e}"
        );
        assert!(e.contains(what), "{file}: expected `{what}` in: {e}");
        // And nothing is ever written to it.
        let _ = rt.block_on(p.set("checkout-kill-switch", false));
        assert_eq!(std::fs::read(&path).unwrap(), before, "{file} was modified");
    }
}

#[test]
fn unusual_but_valid_text_is_kept_byte_for_byte() {
    let rt = rt();
    let tmp = tempfile::tempdir().unwrap();
    // CRLF line ends, tabs, a duplicated key (the last one wins, as in
    // flagd), escapes in strings.
    let text = "{\r\n\t\"flags\" : {\r\n\t\t\"dup\": {\"state\": \"DISABLED\", \"variants\": {\"on\": true}},\r\n\t\t\"dup\": {\"state\":\"ENABLED\",\"variants\":{\"on\":true,\"off\":false},\"defaultVariant\":\"on\"},\r\n\t\t\"esc\\u00e9\\n\": {\"state\":\"ENABLED\",\"variants\":{\"a\":\"\\\"x\\\"\"}}\r\n\t}\r\n}\r\n";
    let path = tmp.path().join("odd.json");
    std::fs::write(&path, text).unwrap();
    let p = Flagd::new("files", &path, Mode::State);
    let names: Vec<String> = rt
        .block_on(p.list())
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["dup", "esc\u{e9}\n"]);
    rt.block_on(flags::flip(&p, "dup", false, T)).unwrap();
    let expected = text.replacen(
        "\"state\":\"ENABLED\",\"variants\":{\"on\":true,\"off\"",
        "\"state\":\"DISABLED\",\"variants\":{\"on\":true,\"off\"",
        1,
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
    rt.block_on(flags::flip(&p, "esc\u{e9}\n", false, T))
        .unwrap();
    assert!(!rt.block_on(p.get("esc\u{e9}\n")).unwrap().enabled);
}

#[test]
fn a_very_deeply_nested_file_is_refused_not_a_crash() {
    // 100,000 levels used to pass validation and overflow the stack.
    let rt = rt();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("deep.json");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let text = format!(
        "{{\n  \"flags\": {{\"f\": {{\"state\": \"ENABLED\", \"variants\": {{\"on\": true}}}}}},\n  \"x\": {deep}\n}}\n"
    );
    std::fs::write(&path, &text).unwrap();
    let p = Flagd::new("files", &path, Mode::State);
    let e = rt.block_on(p.list()).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:3: flag file nested deeper than 64 levels at line 3, column 71",
            path.display()
        )
    );
    assert!(rt.block_on(p.set("f", false)).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "untouched");
}

#[test]
fn a_symlinked_file_stays_a_symlink() {
    let rt = rt();
    let tmp = tempfile::tempdir().unwrap();
    let real_dir = tmp.path().join("data");
    std::fs::create_dir(&real_dir).unwrap();
    let real = copy(&real_dir, "valid", "shop.flagd.json");
    let link = tmp.path().join("flags.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let p = Flagd::new("files", &link, Mode::State);
    rt.block_on(flags::flip(&p, "checkout-kill-switch", false, T))
        .unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        parse(&real)["flags"]["checkout-kill-switch"]["state"],
        json!("DISABLED")
    );
}

#[test]
fn concurrent_flips_from_threads_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let path = copy(tmp.path(), "valid", "shop.flagd.json");
    let original = parse(&path);
    let names = [
        "checkout-kill-switch",
        "search-backend",
        "max-basket-items",
        "theme",
        "new-pricing",
    ];
    // Two independent providers per flag (like two firebreak processes),
    // all flipping at once; each flag is pressed twice.
    let handles: Vec<_> = names
        .iter()
        .flat_map(|n| [n.to_string(), n.to_string()])
        .map(|n| {
            let path = path.clone();
            std::thread::spawn(move || {
                let p = Flagd::new("files", &path, Mode::State);
                p.set_blocking(&n, false)
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let mut expected = original;
    for n in names {
        expected["flags"][n]["state"] = json!("DISABLED");
    }
    assert_eq!(parse(&path), expected);
    let leftovers = std::fs::read_dir(tmp.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no temp files left");
}

#[test]
fn cli_flips_flag_files_and_two_processes_at_once_are_safe() {
    let tmp = tempfile::tempdir().unwrap();
    let path = copy(tmp.path(), "valid", "import-array.flagd.json");
    let cfg = tmp.path().join("config.toml");
    std::fs::write(
        &cfg,
        "demo = false\n[[flags]]\nname = \"files\"\nkind = \"flagd\"\npath = \"import-array.flagd.json\"\n\n[service_modes]\nread_only = { provider = \"files\", flag = \"payments-v2\", active_when = \"off\" }\n",
    )
    .unwrap();
    let fb = |args: &[&str]| {
        let mut c = Command::cargo_bin("firebreak").unwrap();
        c.arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(tmp.path().join("data"))
            .env_remove("FIREBREAK_CONFIG");
        c.args(args);
        c
    };
    let out = fb(&["check"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("flags    files (flagd): ok, 3 flags in"),
        "{text}"
    );

    let out = fb(&["flag", "list", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3, "{v}");

    // Two processes at once, on different flags of the same file.
    let bin = assert_cmd::cargo::cargo_bin("firebreak");
    let spawn = |flag: &str| {
        std::process::Command::new(&bin)
            .arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(tmp.path().join("data"))
            .args(["flag", "off", flag])
            .output()
            .unwrap()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| spawn("payments-v2"));
        let b = s.spawn(|| spawn("fraud-check"));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let doc = parse(&path);
    let states: Vec<&str> = doc["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["DISABLED", "DISABLED", "DISABLED"]);

    let out = fb(&["flag", "off", "payments-v2"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("already off: nothing changed"));
    fb(&["flag", "on", "payments-v2", "--format", "json"])
        .assert()
        .success();
    assert_eq!(parse(&path)["flags"][0]["state"], json!("ENABLED"));

    // --env means nothing to a flag file.
    let out = fb(&["flag", "off", "payments-v2", "--env", "production"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out)
        .contains("--env production applies to Unleash providers only"));

    // A broken file: non-zero exit naming the file and line.
    std::fs::write(
        &path,
        "{ \"flags\": { \"x\": { \"state\": \"ON\", \"variants\": {\"a\": 1} } } }\n",
    )
    .unwrap();
    let out = fb(&["flag", "get", "x"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("import-array.flagd.json:1: flags.x.state: is \"ON\""),
        "{text}"
    );
    let out = fb(&["check"]).assert().code(2).get_output().stdout.clone();
    assert!(String::from_utf8_lossy(&out).contains("flags.x.state: is \"ON\""));
}

#[test]
fn check_reports_an_unreadable_unleash_token_without_contacting_it() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("config.toml");
    std::fs::write(
        &cfg,
        "demo = false\n[[flags]]\nname = \"prod\"\nkind = \"unleash\"\nurl = \"http://127.0.0.1:9\"\ntoken_env = \"FB_TEST_TOKEN_NOT_SET\"\n",
    )
    .unwrap();
    let out = Command::cargo_bin("firebreak")
        .unwrap()
        .arg("--config")
        .arg(&cfg)
        .arg("check")
        .env_remove("FB_TEST_TOKEN_NOT_SET")
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("prod (unleash): flag provider `prod` token: environment variable FB_TEST_TOKEN_NOT_SET is not set"), "{text}");
}

#[test]
fn service_modes_follow_their_flags() {
    use firebreak::flags::Flag;
    use firebreak::state::{ServiceMode, State};
    let mut state = State::new(
        crate::support::state::settings(false),
        firebreak::config::keymap::Keymap::builtin(),
        "dark",
    );
    state.flags.service_modes = vec![
        ServiceMode {
            label: "READ-ONLY".into(),
            provider: "files".into(),
            flag: "ro".into(),
            active_when: true,
        },
        ServiceMode {
            label: "MAINTENANCE".into(),
            provider: "files".into(),
            flag: "writes".into(),
            active_when: false,
        },
    ];
    let flag = |name: &str, enabled| Flag {
        name: name.into(),
        enabled,
        description: String::new(),
        provider: "files".into(),
        env: None,
        changed_at: None,
    };
    let now = |s: &State| {
        s.service_modes_now()
            .into_iter()
            .map(|(m, a)| (m.label.clone(), a))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        now(&state),
        [
            ("READ-ONLY".to_string(), None),
            ("MAINTENANCE".to_string(), None)
        ]
    );
    state.flags.items = vec![flag("ro", true), flag("writes", true)];
    assert_eq!(
        now(&state),
        [
            ("READ-ONLY".to_string(), Some(true)),
            ("MAINTENANCE".to_string(), Some(false))
        ]
    );
    state.flags.items = vec![flag("ro", false), flag("writes", false)];
    assert_eq!(
        now(&state),
        [
            ("READ-ONLY".to_string(), Some(false)),
            ("MAINTENANCE".to_string(), Some(true))
        ]
    );
}

#[test]
fn a_broken_provider_does_not_hide_the_others_but_blocks_ambiguous_flips() {
    let tmp = tempfile::tempdir().unwrap();
    let path = copy(tmp.path(), "valid", "import-array.flagd.json");
    let cfg = tmp.path().join("config.toml");
    std::fs::write(
        &cfg,
        "demo = false\n[[flags]]\nname = \"files\"\nkind = \"flagd\"\npath = \"import-array.flagd.json\"\n\n[[flags]]\nname = \"prod\"\nkind = \"unleash\"\nurl = \"http://127.0.0.1:9\"\ntoken_env = \"FB_TEST_TOKEN_NOT_SET\"\n",
    )
    .unwrap();
    let fb = |args: &[&str]| {
        let mut c = Command::cargo_bin("firebreak").unwrap();
        c.arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(tmp.path().join("data"))
            .env_remove("FIREBREAK_CONFIG")
            .env_remove("FB_TEST_TOKEN_NOT_SET");
        c.args(args);
        c
    };
    let out = fb(&["flag", "list"]).assert().code(1).get_output().clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("payments-v2"), "{stdout}");
    assert!(
        stderr.contains("FB_TEST_TOKEN_NOT_SET is not set"),
        "{stderr}"
    );

    // Reading is fine; changing needs certainty about where the flag is.
    fb(&["flag", "get", "payments-v2"]).assert().success();
    let out = fb(&["flag", "off", "payments-v2"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("pass --provider to choose"), "{text}");
    assert_eq!(parse(&path)["flags"][0]["state"], json!("ENABLED"));
    fb(&["flag", "off", "payments-v2", "--provider", "files"])
        .assert()
        .success();
    assert_eq!(parse(&path)["flags"][0]["state"], json!("DISABLED"));
    // Naming the broken provider is an error about it.
    let out = fb(&["flag", "list", "--provider", "prod"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("FB_TEST_TOKEN_NOT_SET"));
}
