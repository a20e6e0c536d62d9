//! The fuzz harness: every parser of outside data fed mutated real inputs,
//! in process, on stable Rust (cargo-fuzz needs nightly).
//!
//! Seeds are the repository's own files: the flag files, configs, keymaps,
//! themes, playbooks and API answers in `tests/fixtures`, the shipped
//! config examples, keymap, themes, playbooks and demo scenario, and
//! journals and a demo world written by firebreak itself. Each input is a
//! seed (as is, for the first ones) with one to four mutations: bit flips,
//! interesting bytes, truncation, deleted and duplicated ranges, splices
//! from another seed, format tokens, deep nesting (up to 5,000 levels, in
//! place of a value so that the document often stays valid), huge and odd
//! numbers, invalid UTF-8, control and invisible characters.
//!
//! For every input: no panic (a stack overflow would abort the whole test
//! binary, naming the thread `fuzz::<parser>`), and errors are errors:
//! what serde_json or toml refuses, firebreak refuses too (never an empty
//! success), and every error names its file or URL. Per parser: a flag
//! file's flips re-validate and read back as wanted, every journal line is
//! an entry or a problem, matchers print back to themselves.
//!
//! - `FIREBREAK_FUZZ_ITERS`: inputs per parser (default [`DEFAULT_ITERS`];
//!   all parsers in a few seconds of a debug build).
//! - `FIREBREAK_FUZZ_SEED`: another sequence of inputs (default 0).
//! - `FIREBREAK_FUZZ_TRACE=1`: print each input's number before it runs,
//!   to find the one that aborted.
//!
//! Each parser prints `fuzz <parser>: N inputs (A accepted, R refused) in
//! T s, seed S` on stderr (past the test harness's capture, so CI logs
//! show it). A failing input is written to
//! `target/tmp/fuzz-failures/<parser>-<seed>-<n>` and the test fails with
//! the parser, the seed, the input's number and what was wrong.

use std::fmt::Display;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};
use firebreak::config::keymap::Keymap;
use firebreak::config::theme::Theme;
use firebreak::config::Config;
use firebreak::demo::{Scenario, World, WorldState};
use firebreak::domain::incident::{Severity, Status};
use firebreak::domain::Event;
use firebreak::flags::flagd::{self, Flagd, Mode};
use firebreak::flags::unleash::{Unleash, UnleashSettings};
use firebreak::playbook::{loader, model::Source, template};
use firebreak::sources::alertmanager::{parse_alerts, parse_silences};
use firebreak::sources::http::{self, Response, SecretRef};
use firebreak::sources::{matcher, prometheus};
use firebreak::timeline::journal::{self, Journal};
use reqwest::{StatusCode, Url};

/// Inputs per parser when `FIREBREAK_FUZZ_ITERS` is not set.
const DEFAULT_ITERS: usize = 1_500;

fn iters() -> usize {
    std::env::var("FIREBREAK_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(DEFAULT_ITERS)
}

fn seed() -> u64 {
    std::env::var("FIREBREAK_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

// ---- inputs ---------------------------------------------------------------

/// SplitMix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// The bytes that make a format what it is.
struct Syntax {
    tokens: &'static [&'static str],
    /// Open, innermost value, close: nested `k` times in place of a value.
    nest: &'static [(&'static str, &'static str, &'static str)],
    /// Bytes after which a value starts.
    value_starts: &'static [u8],
}

const JSON: Syntax = Syntax {
    tokens: &[
        "{",
        "}",
        "[",
        "]",
        "\"",
        ":",
        ",",
        "\\",
        "\\u0000",
        "\\ud800",
        "\\u00e9",
        "null",
        "true",
        "false",
        "-",
        "1e",
        ".5",
        "\"state\"",
        "\"ENABLED\"",
        "\"DISABLED\"",
        "\"variants\"",
        "\"targeting\"",
        "\"defaultVariant\"",
        "\"$ref\"",
        "\"$evaluators\"",
        "\"flags\"",
        "\"key\"",
        "\"labels\"",
        "\"annotations\"",
        "\"alerts\"",
        "\"status\"",
        "\"state\"",
        "\"active\"",
        "\"data\"",
        "\"resultType\"",
        "\"matrix\"",
        "\"result\"",
        "\"values\"",
        "\"seq\"",
        "\"prev\"",
        "\"hash\"",
        "\"kind\"",
        "\"event\"",
        "\"fingerprint\"",
        "\"features\"",
        "\"environments\"",
        "\"enabled\"",
    ],
    nest: &[
        ("[", "1", "]"),
        ("{\"a\":", "1", "}"),
        ("{\"!\":[", "true", "]}"),
        ("[{\"labels\":", "{}", "}]"),
    ],
    value_starts: b":[,",
};

const TOML: Syntax = Syntax {
    tokens: &[
        "[",
        "]",
        "[[",
        "]]",
        "{",
        "}",
        "=",
        ".",
        "\"",
        "'",
        "\"\"\"",
        "'''",
        "#",
        "\n",
        "\\",
        "\\u00e9",
        ",",
        "true",
        "1979-05-27T07:32:00Z",
        "07:32:00",
        "inf",
        "nan",
        "0x7f",
        "0o7",
        "+",
        "_",
        "1_000",
        "\n[[steps]]\n",
        "\n[[inputs]]\n",
        "kind = \"flag\"",
        "kind = \"command\"",
        "kind = \"query\"",
        "when = ",
        "{{labels.alertname}}",
        "{{",
        "}}",
        "a.b.c = 1\n",
    ],
    nest: &[
        ("[", "1", "]"),
        ("{a = ", "1", "}"),
        ("{a.b.c = ", "[]", "}"),
        // Within toml's own limits (80 inline tables, 80 key segments),
        // thousands of levels together.
        (
            "{a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a = ",
            "1",
            "}",
        ),
    ],
    value_starts: b"=[,",
};

const TEXT: Syntax = Syntax {
    tokens: &[
        "{", "}", "\"", "=", "=~", "!=", "!~", ",", " ", "\\", "\\\"", "{{", "}}", "labels.", ".*",
        "(", ")", "|", "[", "'", "\n",
    ],
    nest: &[("(", "a", ")"), ("{{", "x", "}}"), ("[", "a", "]")],
    value_starts: b"=~\"",
};

const DEPTHS: &[usize] = &[2, 10, 63, 64, 65, 66, 126, 127, 128, 129, 1_000, 5_000];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1e999999",
    "-1e999999",
    "1.7976931348623157e309",
    "18446744073709551616",
    "-9223372036854775809",
    "99999999999999999999999999999999999999",
    "0.000000000000000000000000000000000001",
    "1e-400",
    "NaN",
    "inf",
    "-inf",
    "+1",
    "01",
    "1.",
    ".1",
    "1e",
    "0x10",
    "4294967296",
];

const BAD_UTF8: &[&[u8]] = &[
    &[0xff],
    &[0xc3],
    &[0xed, 0xa0, 0x80],
    &[0xf4, 0x90, 0x80, 0x80],
    &[0xe2, 0x82],
    &[0xc0, 0xaf],
    &[0xfe, 0xff],
];

const CONTROLS: &[&str] = &[
    "\0",
    "\x1b[2J",
    "\x1b]0;pwned\x07",
    "\x1b]52;c;cm0gLXJmIC8=\x07",
    "\r",
    "\r\n",
    "\t",
    "\x7f",
    "\u{9b}",
    "\u{202e}",
    "\u{feff}",
    "\u{200b}",
    "\u{2028}",
];

const BYTES: &[u8] = &[
    0, 0xff, 0x7f, 0x80, b'\n', b'"', b'\\', b'\'', 0x1b, b'{', b'}', b'[', b']', b'=', b'.', b',',
    b'#', b':',
];

fn insert(v: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    let at = at.min(v.len());
    v.splice(at..at, bytes.iter().copied());
}

/// A range of `v`: start and end.
fn range(rng: &mut Rng, len: usize) -> (usize, usize) {
    let a = rng.below(len + 1);
    let b = a + rng.below(len - a + 1).min(1 + rng.below(256));
    (a, b)
}

/// Replace the value that starts after a random value-start byte (to the
/// next `,`, `}`, `]` or line end) with `open^k inner close^k`.
fn nest(rng: &mut Rng, v: &mut Vec<u8>, syn: &Syntax) {
    let (open, inner, close) = *rng.pick(syn.nest);
    let k = *rng.pick(DEPTHS);
    let starts: Vec<usize> = v
        .iter()
        .enumerate()
        .filter(|(_, b)| syn.value_starts.contains(b))
        .map(|(i, _)| i + 1)
        .collect();
    let at = if starts.is_empty() {
        rng.below(v.len() + 1)
    } else {
        *rng.pick(&starts)
    };
    let mut p = at;
    while v.get(p).is_some_and(|b| *b == b' ') {
        p += 1;
    }
    let end = v[p.min(v.len())..]
        .iter()
        .position(|b| matches!(b, b',' | b'}' | b']' | b'\n'))
        .map_or(v.len(), |i| p + i);
    let deep = format!("{}{inner}{}", open.repeat(k), close.repeat(k));
    v.splice(p.min(end)..end, deep.bytes());
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], syn: &Syntax) -> Vec<u8> {
    let mut v = rng.pick(seeds).clone();
    // Mostly one mutation, so that many inputs stay close to valid and
    // reach the code behind the syntax check; sometimes up to four.
    let n = if rng.below(3) == 0 {
        2 + rng.below(3)
    } else {
        1
    };
    for _ in 0..n {
        let len = v.len();
        match rng.below(13) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = *rng.pick(BYTES);
            }
            2 => v.truncate(rng.below(len + 1)),
            3 => {
                let (a, b) = range(rng, len);
                v.drain(a..b);
            }
            4 => {
                let (a, b) = range(rng, len);
                let piece = v[a..b].to_vec();
                let at = rng.below(len + 1);
                insert(&mut v, at, &piece);
            }
            5 => {
                let other = rng.pick(seeds).clone();
                let (a, b) = range(rng, other.len());
                let at = rng.below(len + 1);
                if rng.below(2) == 0 {
                    v.truncate(at);
                }
                insert(&mut v, at, &other[a..b]);
            }
            6 | 7 => {
                let t = *rng.pick(syn.tokens);
                let at = rng.below(len + 1);
                insert(&mut v, at, t.as_bytes());
            }
            8 | 9 => nest(rng, &mut v, syn),
            10 => {
                // A number: in place of a digit run, or anywhere.
                let n = *rng.pick(NUMBERS);
                let digits: Vec<usize> = (0..len).filter(|i| v[*i].is_ascii_digit()).collect();
                if digits.is_empty() {
                    let at = rng.below(len + 1);
                    insert(&mut v, at, n.as_bytes());
                } else {
                    let a = *rng.pick(&digits);
                    let b = (a..len).find(|i| !v[*i].is_ascii_digit()).unwrap_or(len);
                    v.splice(a..b, n.bytes());
                }
            }
            11 => {
                let at = rng.below(len + 1);
                let bad = *rng.pick(BAD_UTF8);
                insert(&mut v, at, bad);
            }
            _ => {
                let at = rng.below(len + 1);
                let c = *rng.pick(CONTROLS);
                insert(&mut v, at, c.as_bytes());
            }
        }
    }
    v
}

// ---- the run ----------------------------------------------------------------

/// What a parser did with one input: accepted it, or refused it with an
/// error that passed the checks. `Err`: a broken promise.
type Verdict = Result<bool, String>;

fn ensure(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(why())
    }
}

fn report(line: &str) {
    // Straight to the process's stderr, past the test harness's capture
    // (which only takes print!/eprint!), so CI logs show the counts.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn mix(seed: u64, name: &str, i: usize) -> u64 {
    // FNV-1a of the name, then the seed and the input's number.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i as u64).wrapping_mul(0xd1b5_4a32_d192_ed03)
}

/// Feed `iters()` inputs to `check`, on a thread named after the parser
/// with a 2 MiB stack (a tokio thread's), and fail with every broken one.
fn run<F>(name: &'static str, seeds: Vec<Vec<u8>>, syn: &'static Syntax, check: F)
where
    F: Fn(&[u8]) -> Verdict + Send + 'static,
{
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let n = iters();
    let seed = seed();
    let trace = std::env::var_os("FIREBREAK_FUZZ_TRACE").is_some();
    let started = Instant::now();
    let (accepted, refused, failures) = std::thread::Builder::new()
        .name(format!("fuzz::{name}"))
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let (mut accepted, mut refused, mut failures) = (0usize, 0usize, Vec::new());
            for i in 0..n {
                let input = match seeds.get(i) {
                    Some(s) => s.clone(),
                    None => mutate(&mut Rng(mix(seed, name, i)), &seeds, syn),
                };
                if trace {
                    report(&format!("fuzz {name}: input {i} ({} bytes)", input.len()));
                }
                let verdict =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&input)))
                        .unwrap_or_else(|p| {
                            let msg = p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            Err(format!("panicked: {msg}"))
                        });
                match verdict {
                    Ok(true) => accepted += 1,
                    Ok(false) => refused += 1,
                    Err(why) => {
                        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
                        let file = dir.join(format!("{name}-{seed}-{i}"));
                        let _ = std::fs::create_dir_all(&dir);
                        let _ = std::fs::write(&file, &input);
                        failures.push(format!("input {i} ({}): {why}", file.display()));
                        if failures.len() >= 5 {
                            break;
                        }
                    }
                }
            }
            (accepted, refused, failures)
        })
        .unwrap()
        .join()
        .unwrap();
    report(&format!(
        "fuzz {name}: {} inputs ({accepted} accepted, {refused} refused) in {:.1} s, seed {seed}",
        accepted + refused + failures.len(),
        started.elapsed().as_secs_f64()
    ));
    assert!(
        failures.is_empty(),
        "fuzz {name} (FIREBREAK_FUZZ_SEED={seed}):\n{}",
        failures.join("\n")
    );
}

// ---- seeds ----------------------------------------------------------------

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files of these directories (relative to the repository), and these
/// files, sorted.
fn files(dirs: &[&str], extra: &[&str]) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for d in dirs {
        for e in std::fs::read_dir(root().join(d)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                paths.push(p);
            }
        }
    }
    paths.extend(extra.iter().map(|f| root().join(f)));
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn texts(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// Journals written by firebreak: a short one, and one with a torn tail.
fn journal_seeds() -> Vec<Vec<u8>> {
    let tmp = tempfile::tempdir().unwrap();
    let mut j = Journal::create(tmp.path(), "inc-fuzz").unwrap();
    let at = t("2026-11-27T14:00:00Z");
    let labels = [("alertname", "HighErrorRate"), ("service", "checkout")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let events = [
        Event::IncidentDeclared {
            id: "inc-fuzz".into(),
            title: "Checkout errors ünïcode \u{1b}[2J".into(),
            severity: Severity::Sev2,
            demo: false,
        },
        Event::AlertFiring {
            fingerprint: "69c2e62f0b0aec37".into(),
            name: "HighErrorRate".into(),
            severity: "critical".into(),
            summary: "checkout 5xx rate above 5%".into(),
            labels,
            since: Some(t("2026-11-27T13:55:00Z")),
        },
        Event::Note {
            text: "rolled back\nsecond line".into(),
            at: None,
        },
        Event::FlagChanged {
            provider: "demo".into(),
            flag: "new-checkout-flow".into(),
            before: Some(true),
            after: Some(false),
            wanted: false,
            ok: true,
            detail: String::new(),
        },
        Event::StatusChanged {
            from: Status::Investigating,
            to: Status::Monitoring,
        },
    ];
    for (i, e) in events.into_iter().enumerate() {
        j.append(at + chrono::Duration::seconds(i as i64), "alice", e)
            .unwrap();
    }
    let whole = std::fs::read(j.path()).unwrap();
    let torn = whole[..whole.len() - 17].to_vec();
    vec![whole, torn]
}

// ---- the parsers --------------------------------------------------------

fn valid_json(b: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(b).is_ok()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A TOML parser's verdict: what it accepts is TOML; its errors name the
/// file.
fn toml_verdict<T, E: Display>(file: &str, src: &str, r: Result<T, E>) -> Verdict {
    match r {
        Ok(_) => {
            // Safe: an accepted file passed the depth check.
            ensure(toml::from_str::<toml::Table>(src).is_ok(), || {
                "accepted a file that is not TOML".into()
            })?;
            Ok(true)
        }
        Err(e) => {
            let e = e.to_string();
            ensure(
                e.starts_with(&format!("{file}:")) && e.len() > file.len() + 3,
                || format!("an error that does not name the file: {e:?}"),
            )?;
            Ok(false)
        }
    }
}

#[test]
fn flagd_files() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("flags.json");
    let shown = path.display().to_string();
    run(
        "flagd",
        files(
            &["tests/fixtures/flagd/valid", "tests/fixtures/flagd/invalid"],
            &[],
        ),
        &JSON,
        move |input| {
            // Through the file, as the provider reads it (UTF-8 check too).
            std::fs::write(&path, input).map_err(|e| e.to_string())?;
            let file = match Flagd::new("fuzz", &path, Mode::State).load() {
                Ok(f) => f,
                Err(e) => {
                    let e = e.to_string();
                    ensure(e.starts_with(&shown) && e.len() > shown.len() + 3, || {
                        format!("an error that does not name the file: {e:?}")
                    })?;
                    return Ok(false);
                }
            };
            ensure(valid_json(input), || {
                "accepted a file that is not JSON".into()
            })?;
            let text = std::str::from_utf8(input).map_err(|e| e.to_string())?;
            // Every flip a responder could ask for re-validates and reads
            // back as wanted (else the provider would refuse to write).
            for mode in [Mode::State, Mode::DefaultVariant] {
                for f in &file.flags {
                    let _ = f.describe(mode);
                    for wanted in [true, false] {
                        let Ok(Some((span, new))) = f.edit(mode, wanted) else {
                            continue;
                        };
                        let edited = format!(
                            "{}{new}{}",
                            text.get(..span.start)
                                .ok_or("span not on a char boundary")?,
                            text.get(span.end..).ok_or("span not on a char boundary")?
                        );
                        let after = flagd::parse(&path, &edited).map_err(|e| {
                            format!(
                                "turning {:?} {wanted} ({mode:?}) broke the file: {e}",
                                f.key
                            )
                        })?;
                        let now = after.flag(&f.key).map(|g| g.enabled(mode));
                        ensure(now == Some(Ok(wanted)), || {
                            format!("turning {:?} {wanted} ({mode:?}) reads {now:?}", f.key)
                        })?;
                    }
                }
            }
            Ok(true)
        },
    );
}

#[test]
fn config_files() {
    run(
        "config",
        files(
            &[
                "tests/fixtures/config/valid",
                "tests/fixtures/config/invalid",
            ],
            &[
                "assets/config.example.toml",
                "assets/config.flags.example.toml",
                "assets/config.sources.example.toml",
            ],
        ),
        &TOML,
        |input| {
            let src = lossy(input);
            toml_verdict("c.toml", &src, Config::parse(Path::new("c.toml"), &src))
        },
    );
}

#[test]
fn keymap_files() {
    let builtin = Keymap::builtin();
    run(
        "keymap",
        files(
            &["tests/fixtures/keymap/invalid"],
            &["assets/keymap.toml", "tests/fixtures/keymap/valid.toml"],
        ),
        &TOML,
        move |input| {
            let src = lossy(input);
            let mut km = builtin.clone();
            let r = km.overlay(Path::new("keymap.toml"), &src);
            toml_verdict("keymap.toml", &src, r)
        },
    );
}

#[test]
fn theme_files() {
    run(
        "theme",
        files(&["themes", "tests/fixtures/theme/invalid"], &[]),
        &TOML,
        |input| {
            let src = lossy(input);
            let r = Theme::parse("t", Path::new("t.toml"), &src).map(|_| ());
            toml_verdict("t.toml", &src, r)
        },
    );
}

#[test]
fn playbook_files() {
    run(
        "playbook",
        files(&["playbooks", "tests/fixtures/playbooks/invalid"], &[]),
        &TOML,
        |input| {
            let src = lossy(input);
            let f = Path::new("p.toml");
            match loader::parse(f, &src, Source::File(f.into())) {
                Ok(_) => toml_verdict("p.toml", &src, Ok::<(), String>(())),
                Err(errors) => {
                    ensure(!errors.is_empty(), || "refused without a reason".into())?;
                    for e in errors {
                        toml_verdict("p.toml", &src, Err::<(), _>(e))?;
                    }
                    Ok(false)
                }
            }
        },
    );
}

#[test]
fn demo_scenario_files() {
    run(
        "scenario",
        files(&[], &["assets/demo/scenario.toml"]),
        &TOML,
        |input| {
            let src = lossy(input);
            let r = Scenario::parse(Path::new("s.toml"), &src).map(|_| ());
            toml_verdict("s.toml", &src, r)
        },
    );
}

#[test]
fn journals() {
    run("journal", journal_seeds(), &JSON, |input| {
        let r = journal::verify_bytes(input);
        let mut lines = input.split(|b| *b == b'\n').count();
        if input.is_empty() || input.ends_with(b"\n") {
            lines -= 1;
        }
        // Every line is an entry, or a problem says why it is not.
        let not_entries = r
            .problems
            .iter()
            .filter(|p| {
                [
                    "empty line",
                    "unreadable line",
                    "torn last line",
                    "internal error",
                ]
                .iter()
                .any(|s| p.message.starts_with(s))
            })
            .count();
        ensure(r.entries.len() + not_entries == lines, || {
            format!(
                "{lines} lines, {} entries, problems {:?}",
                r.entries.len(),
                r.problems
            )
        })?;
        ensure(
            r.problems.iter().all(|p| (1..=lines).contains(&p.line)),
            || format!("a problem on a line that is not there: {:?}", r.problems),
        )?;
        Ok(r.chain_ok())
    });
}

fn api_seeds(dir: &str) -> Vec<Vec<u8>> {
    files(&[dir], &[])
}

#[test]
fn alertmanager_answers() {
    let now = t("2026-11-27T23:00:00Z");
    run(
        "alertmanager",
        api_seeds("tests/fixtures/api/alertmanager"),
        &JSON,
        move |input| {
            let json = valid_json(input);
            let silences = match parse_silences(input, "am") {
                Ok((s, _)) => {
                    ensure(json, || "accepted silences that are not JSON".into())?;
                    ensure(s.iter().all(|s| !s.id.is_empty()), || {
                        "a silence without id".into()
                    })?;
                    true
                }
                Err(e) => {
                    ensure(!e.trim().is_empty(), || "an empty error".into())?;
                    false
                }
            };
            match parse_alerts(input, "am", now) {
                Ok(p) => {
                    ensure(json, || "accepted alerts that are not JSON".into())?;
                    let mut seen = std::collections::HashSet::new();
                    for a in &p.alerts {
                        ensure(seen.insert(a.fingerprint.clone()), || {
                            format!("alert {} listed twice", a.fingerprint)
                        })?;
                    }
                    Ok(true)
                }
                Err(e) => {
                    ensure(!e.trim().is_empty(), || "an empty error".into())?;
                    Ok(silences)
                }
            }
        },
    );
}

/// A response as the HTTP client hands it over; the status and content
/// type vary with the input.
fn response(input: &[u8]) -> Response {
    let statuses = [200, 200, 200, 200, 400, 422, 500, 503];
    let status = statuses[input.len() % statuses.len()];
    Response {
        status: StatusCode::from_u16(status).unwrap(),
        content_type: if input.len() % 7 == 3 {
            "text/html".into()
        } else {
            "application/json".into()
        },
        body: input.to_vec(),
    }
}

#[test]
fn prometheus_answers() {
    let url = Url::parse("http://prometheus.test:9090/api/v1/query?query=up").unwrap();
    run(
        "prometheus",
        api_seeds("tests/fixtures/api/prometheus"),
        &JSON,
        move |input| match prometheus::decode(&response(input), &url) {
            Ok(r) => {
                ensure(valid_json(input), || {
                    "accepted an answer that is not JSON".into()
                })?;
                for s in r.series() {
                    let _ = (s.last(), s.label());
                }
                Ok(true)
            }
            Err(e) => {
                let e = e.to_string();
                ensure(
                    e.contains("http://prometheus.test:9090/api/v1/query"),
                    || format!("an error that does not name the URL: {e:?}"),
                )?;
                Ok(false)
            }
        },
    );
}

#[test]
fn unleash_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let token = tmp.path().join("token");
    std::fs::write(&token, "t0ken").unwrap();
    let u = Unleash::new(UnleashSettings {
        name: "u".into(),
        url: "http://unleash.test:4242".into(),
        project: "default".into(),
        environment: "production".into(),
        token: SecretRef::File(token),
        timeout: std::time::Duration::from_secs(1),
        retries: 0,
    })
    .unwrap();
    let url = Url::parse("http://unleash.test:4242/api/admin/projects/default/features").unwrap();
    run(
        "unleash",
        api_seeds("tests/fixtures/api/unleash"),
        &JSON,
        move |input| match u.decode_list(&response(input), &url) {
            Ok(_) => {
                ensure(valid_json(input), || {
                    "accepted an answer that is not JSON".into()
                })?;
                Ok(true)
            }
            Err(e) => {
                let e = format!("{e:#}");
                ensure(e.contains(url.as_str()), || {
                    format!("an error that does not name the URL: {e:?}")
                })?;
                Ok(false)
            }
        },
    );
}

#[test]
fn http_error_bodies() {
    // What a server says when it fails is shown to the responder: short.
    let mut seeds = files(
        &[
            "tests/fixtures/api/alertmanager",
            "tests/fixtures/api/prometheus",
            "tests/fixtures/api/unleash",
        ],
        &[],
    );
    seeds.extend(texts(&[
        "<!DOCTYPE html>\n<html><head><title>Sign in - Corp SSO</title></head><body>Please log in</body></html>",
        "<html><head><title>\n  502 Bad\tGateway </title>",
        "panic: runtime error: index out of range\ngoroutine 1 [running]:\n",
        "{\"message\":\"invalid or missing bearer token\"}",
        "\"just a string\"",
        "",
    ]));
    run("http", seeds, &JSON, |input| {
        let url = Url::parse("http://am.test:9093/api/v2/alerts").unwrap();
        let resp = response(input);
        let excerpt = http::body_excerpt(&resp.content_type, input);
        ensure(excerpt.chars().count() <= 320, || {
            format!("an excerpt of {} characters", excerpt.chars().count())
        })?;
        match http::decode_json::<serde_json::Value>(&resp, "GET", &url) {
            Ok(_) => {
                ensure(valid_json(input), || {
                    "accepted a body that is not JSON".into()
                })?;
                Ok(true)
            }
            Err(e) => {
                let e = e.to_string();
                ensure(
                    e.starts_with("GET http://am.test:9093/api/v2/alerts: "),
                    || format!("an error that does not name the URL: {e:?}"),
                )?;
                ensure(e.chars().count() < 1_000, || format!("a long error: {e:?}"))?;
                Ok(false)
            }
        }
    });
}

#[test]
fn matchers() {
    let seeds = texts(&[
        r#"{alertname=~"HighErrorRate|.*ErrorRate.*|.*5xx.*|.*Errors.*"}"#,
        r#"{alertname=~"LatencyHigh|.*Latency.*"}"#,
        r#"{severity="critical", service=~"check.*"}"#,
        "severity=critical service!=db",
        r#"{env!~"staging|dev",team="payments"}"#,
        r#"{a="with \"quotes\" and \\ backslash", b=""}"#,
        "{}",
        r#"{ünïcode="✓"}"#,
    ]);
    run("matchers", seeds, &TEXT, |input| {
        let s = lossy(input);
        match matcher::parse(&s) {
            Ok(ms) => {
                // Printed (in a silence, on the timeline) and read back,
                // a matcher list is the same list.
                let shown = matcher::display_list(&ms);
                let again = matcher::parse(&shown).map_err(|e| format!("{shown:?}: {e}"))?;
                ensure(again == ms, || format!("{s:?} reads back as {shown:?}"))?;
                Ok(true)
            }
            Err(e) => {
                ensure(!e.message.is_empty() && e.column >= 1, || format!("{e:?}"))?;
                Ok(false)
            }
        }
    });
}

#[test]
fn templates() {
    let seeds = texts(&[
        "kubectl -n {{namespace}} rollout undo deploy/{{labels.service}}",
        "Put its name in the `flag` input: this run uses {{flag}}.",
        "go template: {{{{ .Values }}",
        "{{ labels.alertname }} on {{labels.instance}}",
        "no templates at all ✓",
        "'quoted words' \"and more\" plain",
    ]);
    run("templates", seeds, &TEXT, |input| {
        let s = lossy(input);
        let parsed = template::parse(&s);
        let _ = template::split_words(&s);
        if let Ok(pieces) = &parsed {
            ensure(s.contains("{{") || pieces.len() <= 1, || {
                format!("{s:?} has no `{{{{` but parsed to {pieces:?}")
            })?;
        }
        Ok(parsed.is_ok())
    });
}

#[test]
fn demo_world_state() {
    let world = World::new(Scenario::builtin().unwrap(), t("2026-11-27T14:00:00Z"));
    let seeds = vec![
        serde_json::to_vec_pretty(&world.state).unwrap(),
        serde_json::to_vec(&world.state).unwrap(),
    ];
    run(
        "demo-world",
        seeds,
        &JSON,
        |input| match serde_json::from_slice::<WorldState>(input) {
            Ok(_) => {
                ensure(valid_json(input), || {
                    "accepted a state that is not JSON".into()
                })?;
                Ok(true)
            }
            Err(_) => Ok(false),
        },
    );
}
