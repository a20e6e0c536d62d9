//! The team database against a real PostgreSQL 15 (started by the
//! harness): schema, idempotent pushes, pulls by cursor, forks, forged
//! rows.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use chrono::Utc;
use firebreak::domain::incident::Severity;
use firebreak::domain::Event;
use firebreak::team::db::{Settings, SharedIncident, SslMode, Team, TeamError};
use firebreak::team::keys::Identity;
use firebreak::team::verify::Feeds;
use firebreak::team::Row;
use firebreak::timeline::journal::{self, Journal};

use crate::support::postgres::Pg;

static PG: OnceLock<Mutex<Pg>> = OnceLock::new();

/// A fresh database on the shared server, and settings to reach it.
pub(crate) async fn fresh_db(name: &str) -> Settings {
    let pg = PG.get_or_init(|| match Pg::start("team") {
        Ok(pg) => Mutex::new(pg),
        Err(e) => panic!("cannot start PostgreSQL for the team tests: {e}"),
    });
    let (url, db) = {
        let pg = pg.lock().unwrap();
        (pg.url("postgres"), pg.url(name))
    };
    admin(&url, &format!("CREATE DATABASE {name}")).await;
    settings(&db)
}

/// SQL as the database's superuser (what a database administrator can do).
async fn admin(url: &str, sql: &str) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client.batch_execute(sql).await.unwrap();
}

fn settings(url: &str) -> Settings {
    Settings {
        url: url.into(),
        password: None,
        sslmode: SslMode::Disable,
        ca_file: None,
        timeout: std::time::Duration::from_secs(10),
    }
}

fn incident() -> SharedIncident {
    SharedIncident {
        id: "inc-team".into(),
        title: "Checkout errors".into(),
        declared_at: Utc::now(),
        declared_by: "alice".into(),
    }
}

/// Alice's journal of the incident, signed into rows.
fn feed(dir: &std::path::Path, me: &Identity, notes: &[&str]) -> Vec<Row> {
    let mut j = Journal::create(dir, "inc-team").unwrap();
    j.append(
        Utc::now(),
        "alice",
        Event::IncidentDeclared {
            id: "inc-team".into(),
            title: "Checkout errors".into(),
            severity: Severity::Sev2,
            demo: false,
        },
    )
    .unwrap();
    for n in notes {
        j.append(
            Utc::now(),
            "alice",
            Event::Note {
                text: (*n).into(),
                at: None,
            },
        )
        .unwrap();
    }
    rows(j.path(), me)
}

fn rows(path: &std::path::Path, me: &Identity) -> Vec<Row> {
    journal::read_lines(path)
        .unwrap()
        .into_iter()
        .map(|(e, line)| Row {
            author: me.author(),
            seq: e.seq as i64,
            prev: e.prev.clone(),
            hash: e.hash.clone(),
            sig: me.sign("inc-team", e.seq as i64, &e.hash),
            line,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn init_is_idempotent_and_says_the_version() {
    let s = fresh_db("t_init").await;
    let mut team = Team::connect(&s).await.unwrap();
    assert_eq!(team.version().await.unwrap(), 0);
    assert!(team.require_schema().await.is_err());
    let m = team.init().await.unwrap();
    assert_eq!((m.from, m.to), (0, firebreak::team::schema::latest()));
    let again = team.init().await.unwrap();
    assert_eq!(again.from, again.to, "a second init changes nothing");
    team.require_schema().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn pushes_are_idempotent_and_pulls_verify_in_arrival_order() {
    let s = fresh_db("t_push").await;
    let mut team = Team::connect(&s).await.unwrap();
    team.init().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (alice, _) = Identity::load_or_create(&dir.path().join("alice.key")).unwrap();
    let rows = feed(dir.path(), &alice, &["one", "two"]);

    let first = team.push(&incident(), &rows[..2]).await.unwrap();
    assert_eq!(first.inserted.len(), 2);
    // The same rows again (a retry after a lost answer), and the rest.
    let second = team.push(&incident(), &rows).await.unwrap();
    assert_eq!((second.inserted.len(), second.already), (1, 2));
    assert!(second.forks.is_empty());

    // Everyone pulls the same rows in the same order; a cursor resumes.
    let all = team.pull("inc-team", 0, 100).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.windows(2).all(|w| w[0].arrival < w[1].arrival));
    let after = team.pull("inc-team", all[0].arrival, 100).await.unwrap();
    assert_eq!(after.len(), 2);
    let mut feeds = Feeds::default();
    let notes: Vec<String> = all
        .iter()
        .map(|a| feeds.accept("inc-team", &a.row).unwrap())
        .filter_map(|e| match e.event {
            Event::Note { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(notes, ["one", "two"]);
    assert_eq!(team.incidents().await.unwrap()[0].title, "Checkout errors");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rewritten_history_is_a_fork_reported_and_never_stored_over() {
    let s = fresh_db("t_fork").await;
    let mut team = Team::connect(&s).await.unwrap();
    team.init().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (alice, _) = Identity::load_or_create(&dir.path().join("alice.key")).unwrap();
    let rows = feed(dir.path(), &alice, &["the truth"]);
    team.push(&incident(), &rows).await.unwrap();

    // The same author (a restored backup, a copied key) with another
    // history: every entry of it that takes a stored key is a fork.
    let other = tempfile::tempdir().unwrap();
    let forked = feed(other.path(), &alice, &["another story"]);
    let pushed = team.push(&incident(), &forked).await.unwrap();
    let seqs: Vec<i64> = pushed.forks.iter().map(|f| f.seq).collect();
    assert_eq!(seqs, [1, 2]);
    assert!(pushed.inserted.is_empty());
    assert_eq!(team.forks("inc-team").await.unwrap().len(), 2);
    let stored = team.pull("inc-team", 0, 100).await.unwrap();
    assert!(stored[1].row.line.contains("the truth"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_row_edited_in_the_database_is_caught_by_its_signature() {
    let s = fresh_db("t_forged").await;
    let mut team = Team::connect(&s).await.unwrap();
    team.init().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (alice, _) = Identity::load_or_create(&dir.path().join("alice.key")).unwrap();
    let rows = feed(dir.path(), &alice, &["rolled back at 14:10"]);
    team.push(&incident(), &rows).await.unwrap();

    // A database administrator rewrites the note into a line that is a
    // perfectly good entry 2 after alice's entry 1 (hashes are no secret):
    // only the signature can tell.
    let forged_dir = tempfile::tempdir().unwrap();
    let forged = journal::journal_path(forged_dir.path(), "inc-team");
    std::fs::create_dir_all(forged.parent().unwrap()).unwrap();
    std::fs::write(&forged, format!("{}\n", rows[0].line)).unwrap();
    let (mut j, _) = Journal::open(&forged).unwrap();
    let fake = j
        .append(
            Utc::now(),
            "alice",
            Event::Note {
                text: "rolled back at 14:30".into(),
                at: None,
            },
        )
        .unwrap();
    let fake_line = journal::read_lines(&forged).unwrap()[1].1.clone();
    assert_eq!(fake.prev, rows[0].hash);
    admin(
        &s.url,
        &format!(
            "UPDATE firebreak_entries SET line = '{}', hash = '{}' WHERE seq = 2",
            fake_line.replace('\'', "''"),
            fake.hash,
        ),
    )
    .await;
    let pulled = team.pull("inc-team", 0, 100).await.unwrap();
    let mut feeds = Feeds::default();
    feeds.accept("inc-team", &pulled[0].row).unwrap();
    let err = feeds.accept("inc-team", &pulled[1].row).unwrap_err();
    assert!(err.contains("the signature does not match"), "{err}");
    assert!(err.starts_with("entry 2 of "), "{err}");
}

/// `firebreak` with a config whose `[team]` points at `url`.
fn fb_team(dir: &std::path::Path, url: &str) -> assert_cmd::Command {
    fb_team_as(dir, url, "alice")
}

/// The same, as responder `name`.
pub(crate) fn fb_team_as(dir: &std::path::Path, url: &str, name: &str) -> assert_cmd::Command {
    let cfg = dir.join("config.toml");
    std::fs::write(
        &cfg,
        format!("responder = \"{name}\"\n[team]\nurl = \"{url}\"\nsslmode = \"disable\"\nconnect_timeout_secs = 2\n"),
    )
    .unwrap();
    let mut c = assert_cmd::Command::cargo_bin("firebreak").unwrap();
    c.arg("--config")
        .arg(&cfg)
        .env("FIREBREAK_DATA_DIR", dir.join("data"))
        .env("XDG_CONFIG_HOME", dir.join("xdg"))
        .env_remove("PGPASSWORD");
    c
}

/// Run firebreak as `name` in `home` against the team database at `url`:
/// (succeeded, stdout and stderr).
pub(crate) fn fb_run(
    home: &std::path::Path,
    url: &str,
    name: &str,
    args: &[&str],
) -> (bool, String) {
    let out = fb_team_as(home, url, name).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn team_init_then_status_and_an_outage_of_the_database() {
    use predicates::prelude::*;
    // A server of this test's own: it is crashed and restarted.
    let mut pg = Pg::start("team-outage").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url("postgres");
    fb_team(dir.path(), &url)
        .args(["team", "status"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("run `firebreak team init`"));
    fb_team(dir.path(), &url)
        .args(["team", "init"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "schema version 0 → {}",
            firebreak::team::schema::latest()
        )));
    fb_team(dir.path(), &url)
        .args(["team", "init"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "schema already at version {}",
            firebreak::team::schema::latest()
        )));
    let ok = fb_team(dir.path(), &url)
        .args(["team", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("reachable"))
        .stdout(predicate::str::contains(format!(
            "schema      version {}",
            firebreak::team::schema::latest()
        )));
    // The key is made on first use and is the same the next time.
    let key = String::from_utf8_lossy(&ok.get_output().stdout)
        .lines()
        .find(|l| l.starts_with("you"))
        .unwrap()
        .to_string();
    assert!(key.contains("alice (key "), "{key}");

    pg.crash();
    fb_team(dir.path(), &url)
        .args(["team", "status"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("UNREACHABLE"))
        .stdout(predicate::str::contains("Connection refused"))
        .stdout(predicate::str::contains(key.as_str()));
    pg.restart().unwrap();
    fb_team(dir.path(), &url)
        .args(["team", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains("reachable"));
}

#[test]
fn a_password_in_the_team_url_is_refused_naming_the_field() {
    use predicates::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    fb_team(dir.path(), "postgres://alice:hunter2@db:5432/firebreak")
        .args(["team", "status"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("team.url"))
        .stderr(predicate::str::contains("holds a password"))
        .stderr(predicate::str::contains("hunter2").not());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_documented_least_privilege_role_is_enough_to_work() {
    let s = fresh_db("t_role").await;
    let mut owner = Team::connect(&s).await.unwrap();
    owner.init().await.unwrap();
    // Exactly the grants the README documents.
    admin(
        &s.url,
        "DO $$ BEGIN CREATE ROLE firebreak_responder LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
         GRANT SELECT ON firebreak_schema TO firebreak_responder;
         GRANT SELECT, INSERT ON firebreak_incidents, firebreak_entries, firebreak_forks
           TO firebreak_responder;
         GRANT SELECT, INSERT, UPDATE ON firebreak_presence TO firebreak_responder;
         GRANT SELECT, INSERT, UPDATE, DELETE ON firebreak_claims TO firebreak_responder;",
    )
    .await;
    let mut responder = Team::connect(&settings(
        &s.url
            .replace("postgres://postgres@", "postgres://firebreak_responder@"),
    ))
    .await
    .unwrap();
    responder.require_schema().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (alice, _) = Identity::load_or_create(&dir.path().join("alice.key")).unwrap();
    let rows = feed(dir.path(), &alice, &["as a responder"]);
    responder.push(&incident(), &rows).await.unwrap();
    assert_eq!(responder.pull("inc-team", 0, 10).await.unwrap().len(), 2);
    responder
        .heartbeat("inc-team", &alice.author(), "alice", "laptop")
        .await
        .unwrap();
    responder
        .heartbeat("inc-team", &alice.author(), "alice", "laptop")
        .await
        .unwrap();
    let me = (alice.author(), "alice");
    let ttl = std::time::Duration::from_secs(60);
    assert_eq!(
        responder
            .claim("inc-team", "flag", "f", (&me.0, me.1), ttl)
            .await
            .unwrap(),
        None
    );
    responder
        .release("inc-team", "flag", "f", &me.0)
        .await
        .unwrap();
    // And it can only add: no editing what is there.
    let (client, conn) = tokio_postgres::connect(
        &s.url
            .replace("postgres://postgres@", "postgres://firebreak_responder@"),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let err = client
        .batch_execute("UPDATE firebreak_entries SET line = 'x'")
        .await
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("permission denied for table firebreak_entries"),
        "{err:?}"
    );
}

/// A responder on their own machine: a data dir, a key, a journal of
/// the incident (the declarer's starts with the declaration).
struct Responder {
    _dir: tempfile::TempDir,
    journal: Journal,
    name: &'static str,
    sync: firebreak::team::sync::Sync,
}

fn responder(
    name: &'static str,
    declares: bool,
) -> (Responder, Vec<firebreak::team::sync::Received>) {
    let dir = tempfile::tempdir().unwrap();
    let (me, _) = Identity::load_or_create(&dir.path().join("team.key")).unwrap();
    let mut journal = Journal::create(dir.path(), "inc-team").unwrap();
    if declares {
        journal
            .append(
                Utc::now(),
                name,
                Event::IncidentDeclared {
                    id: "inc-team".into(),
                    title: "Checkout errors".into(),
                    severity: Severity::Sev2,
                    demo: false,
                },
            )
            .unwrap();
    }
    let (sync, held) = firebreak::team::sync::Sync::open("inc-team", me, journal.path()).unwrap();
    (
        Responder {
            _dir: dir,
            journal,
            name,
            sync,
        },
        held,
    )
}

impl Responder {
    fn note(&mut self, text: &str) {
        self.journal
            .append(
                Utc::now(),
                self.name,
                Event::Note {
                    text: text.into(),
                    at: None,
                },
            )
            .unwrap();
    }
}

fn texts(received: &[firebreak::team::sync::Received]) -> Vec<String> {
    received
        .iter()
        .filter_map(|r| match &r.entry.event {
            Event::Note { text, .. } => Some(format!("{}: {text}", r.entry.actor)),
            _ => None,
        })
        .collect()
}

#[test]
fn three_responders_work_offline_through_a_crash_and_nothing_is_lost_or_doubled() {
    let mut pg = Pg::start("team-sync").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = settings(&pg.url("postgres"));
    rt.block_on(async { Team::connect(&s).await.unwrap().init().await.unwrap() });
    let (mut alice, _) = responder("alice", true);
    let (mut bob, _) = responder("bob", false);
    let (mut carol, _) = responder("carol", false);
    let mut seen: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    let round = |r: &mut Responder, seen: &mut std::collections::BTreeMap<&str, Vec<String>>| {
        rt.block_on(async {
            let mut team = Team::connect(&s).await?;
            r.sync.round(&mut team).await
        })
        .map(|done| {
            assert!(
                done.rejected.is_empty() && done.forks.is_empty(),
                "{done:?}"
            );
            seen.entry(r.name)
                .or_default()
                .extend(texts(&done.received));
            done.sent
        })
    };

    alice.note("error ratio 14%");
    bob.note("looking at the deploy");
    for r in [&mut alice, &mut bob, &mut carol] {
        round(r, &mut seen).unwrap();
    }
    // A second round for those who sent after the others pulled.
    for r in [&mut alice, &mut bob, &mut carol] {
        round(r, &mut seen).unwrap();
    }
    assert_eq!(
        seen["carol"],
        ["alice: error ratio 14%", "bob: looking at the deploy"]
    );

    // The database crashes; alice and bob keep writing.
    pg.crash();
    alice.note("flag off new-checkout-flow");
    bob.note("rollback ready");
    assert!(
        round(&mut alice, &mut seen).is_err(),
        "offline: the round fails"
    );
    assert_eq!(alice.sync.unsent().unwrap(), 1, "alice has 1 to send");
    // bob's firebreak is killed between his local append and the send:
    // a new Sync on the same journal starts from its mirror.
    let (me, _) = Identity::load_or_create(&bob._dir.path().join("team.key")).unwrap();
    let (restarted, held) =
        firebreak::team::sync::Sync::open("inc-team", me, bob.journal.path()).unwrap();
    assert_eq!(
        texts(&held),
        ["alice: error ratio 14%"],
        "what bob had received, offline"
    );
    bob.sync = restarted;

    pg.restart().unwrap();
    for _ in 0..2 {
        for r in [&mut alice, &mut bob, &mut carol] {
            round(r, &mut seen).unwrap();
        }
    }
    let everyone = |who: &str| {
        let mut all = seen[who].clone();
        all.sort();
        all
    };
    assert_eq!(
        everyone("carol"),
        [
            "alice: error ratio 14%",
            "alice: flag off new-checkout-flow",
            "bob: looking at the deploy",
            "bob: rollback ready",
        ]
    );
    assert_eq!(
        everyone("alice"),
        ["bob: looking at the deploy", "bob: rollback ready"]
    );
    // bob, restarted, received alice's first note before (from the mirror
    // on restart, not counted here) and exactly her second one now.
    assert_eq!(
        everyone("bob"),
        [
            "alice: error ratio 14%",
            "alice: flag off new-checkout-flow"
        ]
    );
    assert_eq!(alice.sync.unsent().unwrap(), 0);

    // The database holds every entry exactly once, every row checks.
    let rows = rt.block_on(async {
        Team::connect(&s)
            .await
            .unwrap()
            .pull("inc-team", 0, 100)
            .await
            .unwrap()
    });
    assert_eq!(rows.len(), 1 + 2 + 2);
    let mut feeds = Feeds::default();
    for r in &rows {
        feeds.accept("inc-team", &r.row).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_row_is_rejected_reported_and_not_shown() {
    let s = fresh_db("t_sync_forged").await;
    let mut team = Team::connect(&s).await.unwrap();
    team.init().await.unwrap();
    let (mut alice, _) = responder("alice", true);
    alice.note("rolled back at 14:10");
    alice.sync.round(&mut team).await.unwrap();
    // The administrator swaps alice's note for another (signature kept).
    admin(
        &s.url,
        "UPDATE firebreak_entries SET line = replace(line, '14:10', '14:30') WHERE seq = 2",
    )
    .await;
    let (mut carol, _) = responder("carol", false);
    let done = carol.sync.round(&mut team).await.unwrap();
    assert_eq!(texts(&done.received), Vec::<String>::new());
    assert_eq!(done.rejected.len(), 1, "{done:?}");
    assert!(
        done.rejected[0].1.starts_with("entry 2 of "),
        "{:?}",
        done.rejected
    );
    // Kept as rejected: after a restart it is still not believed.
    let (me, _) = Identity::load_or_create(&carol._dir.path().join("team.key")).unwrap();
    let (_, held) =
        firebreak::team::sync::Sync::open("inc-team", me, carol.journal.path()).unwrap();
    assert!(texts(&held).is_empty());
    assert!(held
        .iter()
        .all(|r| !matches!(r.entry.event, Event::Note { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn in_a_long_page_the_one_row_with_another_rows_signature_is_named() {
    // Joining checks a page's signatures in batches; a batch that fails
    // must still name the row, and believe the ones before it.
    let s = fresh_db("t_sync_batch").await;
    let mut team = Team::connect(&s).await.unwrap();
    team.init().await.unwrap();
    let (mut alice, _) = responder("alice", true);
    for i in 2..=600 {
        alice.note(&format!("note {i}"));
    }
    alice.sync.round(&mut team).await.unwrap();
    admin(
        &s.url,
        "UPDATE firebreak_entries SET sig = (SELECT sig FROM firebreak_entries WHERE seq = 451) \
         WHERE seq = 450",
    )
    .await;
    let (mut carol, _) = responder("carol", false);
    let done = carol.sync.round(&mut team).await.unwrap();
    let got = texts(&done.received);
    assert_eq!(got.len(), 448, "entries 2..=449 believed");
    assert_eq!(got.last().map(String::as_str), Some("alice: note 449"));
    let (arrival, why) = &done.rejected[0];
    assert!(
        why.starts_with("entry 450 of ") && why.contains("the signature does not match"),
        "{why}"
    );
    // What follows the forged row does not chain on to what was believed.
    assert_eq!(done.rejected.len(), 151, "{:?}", &done.rejected[..3]);
    assert!(done.rejected[1..]
        .iter()
        .all(|(a, w)| a > arrival && w.contains("does not follow")));
}

#[tokio::test(flavor = "multi_thread")]
async fn three_firebreak_processes_share_one_incident_and_export_everyones_entries() {
    let s = fresh_db("t_three").await;
    Team::connect(&s).await.unwrap().init().await.unwrap();
    let url = s.url.clone();
    tokio::task::spawn_blocking(move || {
        let homes: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let run =
            |who: usize, name: &str, args: &[&str]| fb_run(homes[who].path(), &url, name, args);
        // Alice declared it (as her cockpit would) and noted something.
        let mut j = Journal::create(&homes[0].path().join("data"), "inc-shared").unwrap();
        j.append(
            Utc::now(),
            "alice",
            Event::IncidentDeclared {
                id: "inc-shared".into(),
                title: "Checkout errors".into(),
                severity: Severity::Sev2,
                demo: false,
            },
        )
        .unwrap();
        drop(j);
        assert!(run(0, "alice", &["note", "error ratio 14%"]).0);
        let (ok, text) = run(0, "alice", &["team", "sync"]);
        assert!(ok, "{text}");
        assert!(text.contains("sent 2, received 0"), "{text}");

        // Before joining, carol's list shows it, and how to join.
        let (ok, list) = run(2, "carol", &["incident", "list"]);
        assert!(ok, "{list}");
        assert!(
            list.contains("not joined")
                && list.contains("[shared by alice: firebreak team join inc-shared]"),
            "{list}"
        );
        // Bob receives alice's two entries; carol those and bob's join.
        for (who, name, got) in [(1, "bob", 2), (2, "carol", 3)] {
            let (ok, text) = run(who, name, &["team", "join", "inc-shared"]);
            assert!(ok, "{text}");
            assert!(
                text.contains("joined incident inc-shared: Checkout errors"),
                "{text}"
            );
            assert!(text.contains(&format!("sent 1, received {got}")), "{text}");
            assert!(run(who, name, &["note", &format!("{name} is here")]).0);
        }
        for _ in 0..2 {
            for (who, name) in [(0, "alice"), (1, "bob"), (2, "carol")] {
                let (ok, text) = run(who, name, &["team", "sync"]);
                assert!(ok, "{name}: {text}");
            }
        }
        let (ok, json) = run(2, "carol", &["timeline", "export", "--format", "json"]);
        assert!(ok, "{json}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let notes: Vec<&str> = v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"]["kind"] == "note")
            .map(|e| e["event"]["text"].as_str().unwrap())
            .collect();
        let mut sorted = notes.clone();
        sorted.sort();
        assert_eq!(sorted, ["bob is here", "carol is here", "error ratio 14%"]);
        let feeds = v["feeds"].as_array().unwrap();
        assert_eq!(feeds.len(), 3, "{feeds:?}");
        assert!(feeds.iter().all(|f| f["verified"] == true), "{feeds:?}");
        let mut who: Vec<&str> = feeds
            .iter()
            .map(|f| f["responder"].as_str().unwrap())
            .collect();
        who.sort();
        assert_eq!(who, ["alice", "bob", "carol"]);
        // Alice's draft: the same incident, everyone's feed verified.
        let (ok, md) = run(0, "alice", &["timeline", "export"]);
        assert!(ok, "{md}");
        assert!(md.contains("## Responders' feeds"), "{md}");
        assert_eq!(md.matches("| yes |").count(), 3, "{md}");
        assert!(md.contains("carol is here"), "{md}");
    })
    .await
    .unwrap();
}

/// A cockpit (headless driver) with a shared incident, and bob's journal
/// of the same incident, as the sync would hand them over.
pub(crate) fn cockpit_and_bob() -> (tempfile::TempDir, crate::support::state::Driver, Journal) {
    use crate::support::state::{new_state, t, Driver};
    let dir = tempfile::tempdir().unwrap();
    let mut state = new_state(false);
    state.settings.responder = "alice".into();
    state.team.configured = true;
    let mut d = Driver::new(state, dir.path(), t("2026-12-02T03:00:00Z"));
    d.send(crate::support::state::key('D'));
    d.keys("Checkout errors");
    d.send(crate::support::state::code(
        crossterm::event::KeyCode::Enter,
    ));
    let bob_dir = dir.path().join("bob");
    let mut bob = Journal::create(&bob_dir, "bob-feed").unwrap();
    let id = d.state.incident.as_ref().unwrap().id.clone();
    bob.append(
        d.now,
        "bob",
        Event::TeamJoined {
            id,
            title: "Checkout errors".into(),
            severity: Severity::Sev3,
            declared_by: "alice".into(),
            declared_at: d.now,
        },
    )
    .unwrap();
    (dir, d, bob)
}

#[test]
fn declaring_with_a_team_database_shares_the_incident_at_once() {
    let (_dir, mut d, _bob) = cockpit_and_bob();
    let id = d.state.incident.as_ref().unwrap().id.clone();
    assert!(
        d.take_outbox()
            .contains(&firebreak::state::Effect::ShareIncident { id }),
        "shared as soon as it is declared"
    );
}

#[test]
fn other_responders_entries_reach_the_timeline_once_and_the_teams_order_decides() {
    use firebreak::state::team::TeamMsg;
    use firebreak::state::Msg;
    let (_dir, mut d, mut bob) = cockpit_and_bob();
    // Alice sets SEV2; bob, concurrently, SEV1, received after hers.
    d.send(crate::support::state::key('s'));
    d.send(crate::support::state::key('2'));
    let mine: Vec<_> = d.state.timeline.entries.clone();
    let b1 = bob
        .append(
            d.now,
            "bob",
            Event::Note {
                text: "db failover done".into(),
                at: None,
            },
        )
        .unwrap();
    let b2 = bob
        .append(
            d.now,
            "bob",
            Event::SeverityChanged {
                from: Severity::Sev3,
                to: Severity::Sev1,
            },
        )
        .unwrap();
    let b3 = bob
        .append(
            d.now,
            firebreak::domain::SYSTEM_ACTOR,
            Event::AlertResolved {
                fingerprint: "f1".into(),
                name: "HighErrorRate".into(),
            },
        )
        .unwrap();
    let mut canonical = mine.clone();
    canonical.extend([b1, b2, b3]);
    for _ in 0..2 {
        d.send(Msg::Team(TeamMsg::Merged {
            canonical: canonical.clone(),
            responders: vec![("alice".into(), true), ("bob".into(), true)],
        }));
    }
    let texts: Vec<String> = d
        .state
        .timeline
        .entries
        .iter()
        .map(|e| format!("{}: {}", e.actor, e.event.describe()))
        .collect();
    assert_eq!(
        texts
            .iter()
            .filter(|t| t.starts_with("bob:"))
            .collect::<Vec<_>>(),
        ["bob: Note: db failover done", "bob: Severity SEV3 -> SEV1"],
        "once each, and bob's cockpit's own observations are not repeated: {texts:?}"
    );
    let inc = d.state.incident.as_ref().unwrap();
    assert_eq!(
        inc.severity,
        Severity::Sev1,
        "bob's change came later in the team's order"
    );
    let notice = d.state.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.contains("bob changed it too: severity SEV1 (yours: SEV2) stands"),
        "{notice}"
    );
    assert_eq!(d.state.team.responders, [("bob".to_string(), true)]);
}

#[test]
fn the_header_says_who_is_here_and_offline_counts_what_waits() {
    use firebreak::state::team::TeamMsg;
    use firebreak::state::Msg;
    let (_dir, mut d, _bob) = cockpit_and_bob();
    d.send(Msg::Team(TeamMsg::Status {
        online: true,
        detail: String::new(),
        unsent: 0,
        present: vec!["bob".into()],
    }));
    let draw = |d: &crate::support::state::Driver| {
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
        let theme = firebreak::config::theme::Theme::default_theme();
        term.draw(|f| firebreak::ui::draw(f, &d.state, &theme, d.now))
            .unwrap();
        format!("{}", term.backend())
    };
    let screen = draw(&d);
    assert!(screen.contains("team ✓ only you · here: bob"), "{screen}");
    d.send(Msg::Team(TeamMsg::Status {
        online: false,
        detail: "Connection refused".into(),
        unsent: 2,
        present: Vec::new(),
    }));
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    let theme = firebreak::config::theme::Theme::default_theme();
    term.draw(|f| firebreak::ui::draw(f, &d.state, &theme, d.now))
        .unwrap();
    let screen = format!("{}", term.backend());
    assert!(screen.contains("team: offline · 2 to send"), "{screen}");
    let notice = d.state.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("working offline"), "{notice}");
}

#[tokio::test(flavor = "multi_thread")]
async fn presence_is_a_fresh_heartbeat_and_a_stale_one_is_gone() {
    let s = fresh_db("t_presence").await;
    let mut team = Team::connect(&s).await.unwrap();
    team.init().await.unwrap();
    team.heartbeat("inc-p", "key-a", "alice", "laptop")
        .await
        .unwrap();
    team.heartbeat("inc-p", "key-b", "bob", "desk")
        .await
        .unwrap();
    team.heartbeat("inc-other", "key-c", "carol", "desk")
        .await
        .unwrap();
    let here = team
        .present("inc-p", std::time::Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(
        here,
        [
            ("alice".to_string(), "key-a".to_string()),
            ("bob".to_string(), "key-b".to_string())
        ]
    );
    // Bob's cockpit died 20 s ago: no heartbeat since.
    admin(
        &s.url,
        "UPDATE firebreak_presence SET seen_at = now() - interval '20 seconds' WHERE author = 'key-b'",
    )
    .await;
    let here = team
        .present("inc-p", std::time::Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(here, [("alice".to_string(), "key-a".to_string())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_action_claimed_by_one_responder_cannot_be_started_by_another() {
    let s = fresh_db("t_claims").await;
    let mut team = Team::connect(&s).await.unwrap();
    team.init().await.unwrap();
    let ttl = std::time::Duration::from_secs(120);
    let alice = ("key-a", "alice");
    let bob = ("key-b", "bob");
    assert_eq!(
        team.claim("inc", "flag", "new-checkout-flow", alice, ttl)
            .await
            .unwrap(),
        None
    );
    // Bob's cockpit, at the same time: refused, saying who.
    let held = team
        .claim("inc", "flag", "new-checkout-flow", bob, ttl)
        .await
        .unwrap();
    assert_eq!(held.map(|h| h.0).as_deref(), Some("alice"));
    // Another flag, or a rollback: free.
    assert_eq!(
        team.claim("inc", "flag", "recommendations-v2", bob, ttl)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        team.claim("inc", "rollback", "release", bob, ttl)
            .await
            .unwrap(),
        None
    );
    // Alice again (a retry): still hers.
    assert_eq!(
        team.claim("inc", "flag", "new-checkout-flow", alice, ttl)
            .await
            .unwrap(),
        None
    );
    // Bob cannot let go of alice's claim; alice can.
    team.release("inc", "flag", "new-checkout-flow", "key-b")
        .await
        .unwrap();
    assert!(team
        .claim("inc", "flag", "new-checkout-flow", bob, ttl)
        .await
        .unwrap()
        .is_some());
    team.release("inc", "flag", "new-checkout-flow", "key-a")
        .await
        .unwrap();
    assert_eq!(
        team.claim("inc", "flag", "new-checkout-flow", bob, ttl)
            .await
            .unwrap(),
        None
    );
    // A claim whose holder died expires.
    admin(
        &s.url,
        "UPDATE firebreak_claims SET expires_at = now() - interval '1 second' WHERE author = 'key-b' AND action = 'rollback'",
    )
    .await;
    assert_eq!(
        team.claim("inc", "rollback", "release", alice, ttl)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cockpit_refuses_a_flip_another_responder_is_making_and_goes_ahead_offline() {
    let s = fresh_db("t_claim_cockpit").await;
    let team = {
        let mut t = Team::connect(&s).await.unwrap();
        t.init().await.unwrap();
        t
    };
    let dir = tempfile::tempdir().unwrap();
    let parts = firebreak::effects::TeamParts {
        settings: s.clone(),
        key: dir.path().join("team.key"),
        responder: "alice".into(),
        host: "laptop".into(),
    };
    let ttl = std::time::Duration::from_secs(60);
    team.claim(
        "inc-x",
        "flag",
        "new-checkout-flow",
        ("key-bob", "bob"),
        ttl,
    )
    .await
    .unwrap();
    let refused = firebreak::effects::claim(
        Some((parts.clone(), "inc-x".into())),
        "flag",
        "new-checkout-flow",
    )
    .await;
    let Err(why) = refused else {
        panic!("alice's flip must be refused while bob's is in flight");
    };
    assert!(why.starts_with("bob is already doing it (since "), "{why}");
    // Another flag is alice's to flip, and she lets go after.
    let ok = firebreak::effects::claim(Some((parts.clone(), "inc-x".into())), "flag", "other")
        .await
        .unwrap()
        .expect("claimed");
    ok.release().await;
    // The database unreachable: the action goes ahead (offline first).
    let mut offline = parts.clone();
    offline.settings.url = "postgres://postgres@127.0.0.1:1/postgres".into();
    offline.settings.timeout = std::time::Duration::from_secs(2);
    let ahead =
        firebreak::effects::claim(Some((offline, "inc-x".into())), "flag", "new-checkout-flow")
            .await;
    assert!(
        matches!(ahead, Ok(None)),
        "offline: not coordinated, not blocked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_playbook_step_another_responder_is_carrying_out_is_not_run_twice() {
    use firebreak::playbook::exec::{Ctx, StepAction, StepJob};
    use firebreak::playbook::runner::{CommandSpec, Program};
    let s = fresh_db("t_claim_step").await;
    let team = {
        let mut t = Team::connect(&s).await.unwrap();
        t.init().await.unwrap();
        t
    };
    let dir = tempfile::tempdir().unwrap();
    let parts = firebreak::effects::TeamParts {
        settings: s.clone(),
        key: dir.path().join("team.key"),
        responder: "alice".into(),
        host: "laptop".into(),
    };
    let marker = dir.path().join("restarted");
    let cmd = CommandSpec {
        program: Program::Argv(vec!["touch".into(), marker.display().to_string()]),
        cwd: None,
        env: Vec::new(),
        timeout: std::time::Duration::from_secs(10),
        expect_exit: vec![0],
    };
    let job = StepJob {
        run_id: "r1".into(),
        step: 2,
        attempt: 1,
        claim: Some(("command", cmd.display())),
        action: StepAction::Command(cmd.clone()),
    };
    let ctx = Ctx {
        providers: Vec::new(),
        release: None,
        timeout: std::time::Duration::from_secs(5),
        limits: Default::default(),
    };
    let team_of = || Some((parts.clone(), "inc-s".to_string()));
    // Bob is running the same dangerous command from his copy of the run.
    let ttl = std::time::Duration::from_secs(60);
    let bobs = team
        .claim("inc-s", "command", &cmd.display(), ("key-bob", "bob"), ttl)
        .await
        .unwrap();
    assert_eq!(bobs, None, "bob holds it");
    let refused = firebreak::effects::carry_out_step(&job, &ctx, team_of(), &mut |_| {}).await;
    assert!(!refused.ok);
    assert!(
        refused
            .detail
            .starts_with("not run: bob is already doing it"),
        "{}",
        refused.detail
    );
    assert!(!marker.exists(), "the command did not run a second time");
    // Bob is done: alice's run goes ahead, and lets go after.
    team.release("inc-s", "command", &cmd.display(), "key-bob")
        .await
        .unwrap();
    let ran = firebreak::effects::carry_out_step(&job, &ctx, team_of(), &mut |_| {}).await;
    assert!(ran.ok, "{}", ran.detail);
    assert!(marker.exists());
    assert_eq!(
        team.claim("inc-s", "command", &cmd.display(), ("key-bob", "bob"), ttl)
            .await
            .unwrap(),
        None,
        "alice let go of it once the step was done"
    );
}

#[test]
fn with_nothing_open_the_cockpit_offers_the_shared_incidents_and_joins_one() {
    use crate::support::state::{code, key, new_state, t, Driver};
    use crossterm::event::KeyCode;
    use firebreak::state::team::{Joinable, TeamMsg};
    use firebreak::state::{ChooseKind, Effect, Mode, Msg};
    let dir = tempfile::tempdir().unwrap();
    let mut state = new_state(false);
    state.settings.responder = "bob".into();
    state.team.configured = true;
    let now = t("2026-12-02T03:10:00Z");
    let mut d = Driver::new(state, dir.path(), now);
    let fx = firebreak::state::start(&mut d.state, now);
    assert_eq!(fx, [Effect::ListShared], "asked at start");
    let shared = |id: &str, title: &str| Joinable {
        id: id.into(),
        title: title.into(),
        declared_by: "alice".into(),
        declared_at: t("2026-12-02T03:00:00Z"),
    };
    d.send(Msg::Team(TeamMsg::Shared(Ok(vec![
        shared("inc-20261202-030000", "Checkout errors"),
        shared("inc-20261202-020000", "Search slow\x1b[2J"),
    ]))));
    let Mode::Choose {
        kind: ChooseKind::Join { choices },
        ..
    } = &d.state.mode
    else {
        panic!("the picker opens by itself: {:?}", d.state.mode);
    };
    assert_eq!(choices.len(), 2);
    let screen = crate::support::state::render(&d.state, 120, 30);
    assert!(screen.contains("Shared incidents: join one"), "{screen}");
    assert!(
        screen.contains("Checkout errors (declared by alice"),
        "{screen}"
    );
    assert!(!screen.contains('\x1b'), "remote text is shown escaped");
    // Not now: esc; the header still says there is one to join.
    d.send(code(KeyCode::Esc));
    assert_eq!(d.state.mode, Mode::Normal);
    let screen = crate::support::state::render(&d.state, 160, 30);
    assert!(screen.contains("J to join one of 2 shared"), "{screen}");
    // Another answer (a later look) does not open it by itself again.
    d.send(Msg::Team(TeamMsg::Shared(Ok(vec![shared(
        "inc-20261202-030000",
        "Checkout errors",
    )]))));
    assert_eq!(d.state.mode, Mode::Normal);
    // J asks, and the answer opens it; the first row joins.
    d.send(key('J'));
    assert!(d.take_outbox().contains(&Effect::ListShared));
    d.send(Msg::Team(TeamMsg::Shared(Ok(vec![shared(
        "inc-20261202-030000",
        "Checkout errors",
    )]))));
    d.send(code(KeyCode::Enter));
    let inc = d.state.incident.as_ref().expect("joined");
    assert_eq!(inc.id, "inc-20261202-030000");
    assert_eq!(inc.title, "Checkout errors");
    assert!(
        d.take_outbox().contains(&Effect::ShareIncident {
            id: "inc-20261202-030000".into()
        }),
        "its sync starts"
    );
    let journal = firebreak::timeline::journal::journal_path(dir.path(), "inc-20261202-030000");
    let (_, replay) = Journal::open(&journal).unwrap();
    assert!(matches!(
        replay.entries[0].event,
        Event::TeamJoined { ref declared_by, .. } if declared_by == "alice"
    ));
    assert_eq!(replay.entries[0].actor, "bob");
    // Now working it, J says so instead of switching.
    d.send(key('J'));
    assert!(d.take_outbox().is_empty());
    let notice = d.state.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("resolve it first"), "{notice}");
}

#[test]
fn join_without_a_team_database_says_how_to_set_one_up() {
    use crate::support::state::{key, new_state, t, Driver};
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-12-02T03:10:00Z");
    let mut d = Driver::new(new_state(false), dir.path(), now);
    assert!(firebreak::state::start(&mut d.state, now).is_empty());
    d.send(key('J'));
    assert!(d.take_outbox().is_empty());
    let notice = d.state.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("[team] url"), "{notice}");
}

#[test]
fn others_hypotheses_and_playbook_runs_are_in_your_panes_with_one_budget() {
    use crate::support::state::{key, render_at};
    use firebreak::domain::hypotheses::Outcome;
    use firebreak::state::team::TeamMsg;
    use firebreak::state::{ChooseKind, Mode, Msg};
    let (_dir, mut d, mut bob) = cockpit_and_bob();
    let start = d.now;
    let mut canonical: Vec<firebreak::domain::Entry> = d.state.timeline.entries.clone();
    let mut from_bob = |d: &mut crate::support::state::Driver, at, event| {
        canonical.push(bob.append(at, "bob", event).unwrap());
        d.send(Msg::Team(TeamMsg::Merged {
            canonical: canonical.clone(),
            responders: vec![("alice".into(), true), ("bob".into(), true)],
        }));
    };
    from_bob(
        &mut d,
        start,
        Event::HypothesisStarted {
            id: 1,
            text: "the v2.14.0 deploy broke checkout".into(),
            planned: "roll back".into(),
            box_secs: 600,
            override_reason: None,
        },
    );
    from_bob(
        &mut d,
        start,
        Event::PlaybookStarted {
            run_id: "run-1".into(),
            playbook: "rollback".into(),
            title: "Roll back checkout".into(),
            inputs: Default::default(),
            alert: None,
            labels: Default::default(),
            steps: vec!["Confirm the deploy".into(), "Roll back".into()],
            not_applicable: vec![],
        },
    );
    from_bob(
        &mut d,
        start,
        Event::StepStarted {
            run_id: "run-1".into(),
            step: 0,
            title: "Confirm the deploy".into(),
            step_kind: "command".into(),
            attempt: 1,
            detail: "kubectl rollout history".into(),
        },
    );
    d.now = start + chrono::Duration::minutes(4);
    let screen = render_at(&d.state, 160, 40, d.now);
    assert!(
        screen.contains("H1 (bob) 6m00s left"),
        "bob's countdown: {screen}"
    );
    let run = d
        .state
        .playbooks
        .run("bob/run-1")
        .expect("bob's run is in the pane under his name");
    assert_eq!(run.title, "Roll back checkout (bob)");
    assert_eq!(
        run.steps[0].status,
        firebreak::state::playbooks::StepStatus::Running,
        "who is running which step"
    );
    assert!(run.def.is_none(), "watched, never run from here");
    // Alice's h works on the incident's hypothesis: its outcome, for bob's H1.
    d.send(key('h'));
    assert!(matches!(
        d.state.mode,
        Mode::Choose {
            kind: ChooseKind::Outcome,
            ..
        }
    ));
    d.send(key('2')); // refuted
    d.keys("deploy is fine: same errors on v2.13");
    d.send(crate::support::state::code(
        crossterm::event::KeyCode::Enter,
    ));
    let last = d.state.timeline.entries.last().unwrap();
    assert_eq!(last.actor, "alice");
    assert!(
        matches!(
            &last.event,
            Event::HypothesisClosed { id: 1, by: Some(b), outcome: Outcome::Refuted, .. } if b == "bob"
        ),
        "{:?}",
        last.event
    );
    assert!(d.state.hyp.fold.active().is_none());
    // Bob, offline meanwhile, tried one at the same time as his H1 (and
    // numbered it H1 too): one budget, their overlap counted once.
    from_bob(
        &mut d,
        start + chrono::Duration::minutes(1),
        Event::HypothesisStarted {
            id: 1,
            text: "db pool exhausted".into(),
            planned: String::new(),
            box_secs: 300,
            override_reason: None,
        },
    );
    let hyp = &d.state.hyp.fold;
    assert_eq!(hyp.list.len(), 2, "two hypotheses, not one overwritten");
    assert_eq!(hyp.quick_count(), 2);
    let spent = hyp.quick_spent(d.now);
    assert_eq!(
        spent,
        chrono::Duration::minutes(4),
        "the union of the windows (0-4 min and 1-4 min), not their sum"
    );
}

#[test]
fn leaving_in_the_cockpit_releases_your_roles_records_it_and_closes() {
    use crate::support::state::{key, new_state, t, Driver};
    use firebreak::domain::roles::Role;
    use firebreak::state::Mode;
    let dir = tempfile::tempdir().unwrap();
    let mut state = new_state(false);
    state.settings.responder = "bob".into();
    state.team.configured = true;
    let mut d = Driver::new(state, dir.path(), t("2026-12-02T03:10:00Z"));
    let as_bob = |event| firebreak::state::Effect::Record {
        actor: "bob".into(),
        event,
        then: Vec::new(),
    };
    d.run(vec![as_bob(Event::TeamJoined {
        id: "inc-20261202-030000".into(),
        title: "Checkout errors".into(),
        severity: Severity::Sev2,
        declared_by: "alice".into(),
        declared_at: t("2026-12-02T03:00:00Z"),
    })]);
    d.run(vec![as_bob(Event::RoleChanged {
        role: Role::Comms,
        from: None,
        to: Some("bob".into()),
    })]);
    d.send(key('L'));
    let Mode::Confirm { question, .. } = &d.state.mode else {
        panic!("leaving asks first: {:?}", d.state.mode);
    };
    assert!(
        question.contains("firebreak team join inc-20261202-030000"),
        "{question}"
    );
    d.send(key('y'));
    let tail: Vec<String> = d
        .state
        .timeline
        .entries
        .iter()
        .rev()
        .take(2)
        .map(|e| format!("{}: {}", e.actor, e.event.describe()))
        .collect();
    assert_eq!(
        tail,
        [
            "bob: Left the incident (their entries stay on the record)",
            "bob: Comms: bob released it"
        ]
    );
    assert!(d.state.quit, "the cockpit closes once the leave is durable");
    let inc = d.state.incident.as_ref().unwrap();
    assert!(inc.left.contains("bob") && !inc.roles.holds("bob", Role::Comms));
}

#[test]
fn the_commander_hands_ic_on_before_leaving() {
    use crate::support::state::key;
    let (_dir, mut d, _bob) = cockpit_and_bob();
    d.send(key('L'));
    assert_eq!(d.state.mode, firebreak::state::Mode::Normal);
    let notice = d.state.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("hand IC on first"), "{notice}");
    assert!(!d.state.quit);
}

#[tokio::test(flavor = "multi_thread")]
async fn leave_and_join_again_headless_through_the_database() {
    use crate::support::state::{code, key, new_state, Driver};
    let s = fresh_db("t_leave").await;
    Team::connect(&s).await.unwrap().init().await.unwrap();
    let url = s.url.clone();
    tokio::task::spawn_blocking(move || {
        let homes: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
        let run =
            |who: usize, name: &str, args: &[&str]| fb_run(homes[who].path(), &url, name, args);
        let mut state = new_state(false);
        state.settings.responder = "alice".into();
        state.team.configured = true;
        let mut d = Driver::new(state, &homes[0].path().join("data"), chrono::Utc::now());
        d.send(key('D'));
        d.keys("Checkout errors");
        d.send(code(crossterm::event::KeyCode::Enter));
        let id = d.state.incident.as_ref().unwrap().id.clone();
        assert!(run(0, "alice", &["team", "sync"]).0);
        let (ok, text) = run(1, "bob", &["team", "join", &id]);
        assert!(ok, "{text}");
        // Alice is IC: refused, saying what to do.
        let (ok, text) = run(0, "alice", &["team", "leave"]);
        assert!(!ok && text.contains("hand IC on first"), "{text}");
        let (ok, text) = run(1, "bob", &["team", "leave"]);
        assert!(
            ok && text.contains(&format!("left incident {id}")),
            "{text}"
        );
        // Bob's firebreak no longer has it open: a note has nowhere to go.
        let (ok, text) = run(1, "bob", &["note", "still here?"]);
        assert!(!ok, "{text}");
        let (ok, text) = run(1, "bob", &["team", "leave"]);
        assert!(!ok && text.contains("no open incident"), "{text}");
        let (ok, text) = run(1, "bob", &["team", "leave", "--incident", &id]);
        assert!(ok && text.contains("already left"), "{text}");
        // Alice sees it on the record.
        assert!(run(0, "alice", &["team", "sync"]).0);
        let (ok, text) = run(0, "alice", &["timeline", "export", "--format", "markdown"]);
        assert!(ok, "{text}");
        assert!(text.contains("Left the incident"), "{text}");
        // And bob comes back.
        let (ok, text) = run(1, "bob", &["team", "join", &id]);
        assert!(
            ok && text.contains("joined incident") && text.contains("again"),
            "{text}"
        );
        let (ok, text) = run(1, "bob", &["note", "back on it"]);
        assert!(ok, "{text}");
    })
    .await
    .unwrap();
}

/// The port of a `postgres://user@127.0.0.1:PORT/db` URL.
fn port_of(url: &str) -> u16 {
    let (_, rest) = url.rsplit_once(':').unwrap();
    rest.split('/').next().unwrap().parse().unwrap()
}

/// `s`, reaching the database through `proxy`, with deadline `timeout`.
fn through(s: &Settings, proxy: &crate::support::proxy::Proxy, timeout: Duration) -> Settings {
    let mut via = s.clone();
    via.url = s.url.replace(
        &format!(":{}/", port_of(&s.url)),
        &format!(":{}/", proxy.port),
    );
    via.timeout = timeout;
    via
}

/// `fut`'s output; a panic if it is still waiting after `limit` (it hung:
/// the deadline it was given is far shorter).
async fn or_hung<T>(limit: Duration, what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: still waiting after {limit:?}: it hangs on a stalled connection"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_connection_gives_up_within_its_deadline_and_nothing_is_lost_or_doubled() {
    use crate::support::proxy::Proxy;
    let s = fresh_db("t_stall").await;
    Team::connect(&s).await.unwrap().init().await.unwrap();
    let proxy = Proxy::start(port_of(&s.url)).await;
    let deadline = Duration::from_secs(1);
    let via = through(&s, &proxy, deadline);
    let hung = deadline * 20;
    // Alice syncs through the proxy; bob reaches the database directly.
    let (mut alice, _) = responder("alice", true);
    let (mut bob, _) = responder("bob", false);
    let mut direct = Team::connect(&s).await.unwrap();
    alice.note("error ratio 14%");
    let mut team = Team::connect(&via).await.unwrap();
    assert_eq!(alice.sync.round(&mut team).await.unwrap().sent, 2);
    let got = bob.sync.round(&mut direct).await.unwrap();
    assert_eq!(texts(&got.received), ["alice: error ratio 14%"]);

    // The path goes silent: no reset, no close, nothing answers. A round
    // with nothing to send (asking what arrived), then one with a note to
    // send, each gives up at its deadline, with an error.
    proxy.stall();
    let failed = or_hung(hung, "a round", alice.sync.round(&mut team)).await;
    assert!(
        matches!(failed, Err(TeamError::Timeout(d)) if d == deadline),
        "{failed:?}"
    );
    alice.note("rolled back checkout");
    let failed = or_hung(hung, "a round", alice.sync.round(&mut team)).await;
    assert!(
        matches!(failed, Err(TeamError::Timeout(d)) if d == deadline),
        "{failed:?}"
    );
    assert_eq!(
        alice.sync.unsent().unwrap(),
        1,
        "kept in her journal, to send"
    );
    // As the cockpit does after a failed round: drop it, connect again.
    // Through the silent path TCP connects, PostgreSQL never answers.
    drop(team);
    let again = or_hung(hung, "a connect", Team::connect(&via)).await;
    assert!(
        matches!(again, Err(TeamError::Timeout(d)) if d == deadline),
        "{:?}",
        again.err()
    );
    // Both keep working meanwhile.
    alice.note("error ratio 0.4%");
    bob.note("deploys frozen");
    assert_eq!(bob.sync.round(&mut direct).await.unwrap().sent, 1);
    assert_eq!(alice.sync.unsent().unwrap(), 2);

    // The path comes back: a new connection sends what waited.
    proxy.resume();
    let mut team = or_hung(hung, "a connect", Team::connect(&via))
        .await
        .unwrap();
    let done = alice.sync.round(&mut team).await.unwrap();
    assert_eq!(texts(&done.received), ["bob: deploys frozen"]);
    assert_eq!(alice.sync.unsent().unwrap(), 0);
    let got = bob.sync.round(&mut direct).await.unwrap();
    assert_eq!(
        texts(&got.received),
        ["alice: rolled back checkout", "alice: error ratio 0.4%"],
        "each once, in order"
    );
    // Nothing more, for either.
    assert!(bob
        .sync
        .round(&mut direct)
        .await
        .unwrap()
        .received
        .is_empty());
    let done = alice.sync.round(&mut team).await.unwrap();
    assert!(done.received.is_empty() && done.sent == 0, "{done:?}");
    // The database holds every entry once, and every chain verifies.
    let rows = direct.pull("inc-team", 0, 100).await.unwrap();
    assert_eq!(
        rows.len(),
        4 + 1,
        "alice's declaration and 3 notes, bob's note"
    );
    let mut feeds = Feeds::default();
    for r in &rows {
        feeds.accept("inc-team", &r.row).unwrap();
    }
}

/// The next message on `rx` that `pick` takes, or a panic naming `what`.
async fn next_msg<T>(
    rx: &mut tokio::sync::mpsc::Receiver<firebreak::state::Msg>,
    what: &str,
    mut pick: impl FnMut(&firebreak::state::Msg) -> Option<T>,
) -> T {
    or_hung(Duration::from_secs(60), what, async {
        loop {
            match rx.recv().await {
                Some(m) => {
                    if let Some(v) = pick(&m) {
                        return v;
                    }
                }
                None => panic!("{what}: the runner stopped"),
            }
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cockpits_team_task_goes_offline_on_a_stalled_connection_and_catches_up_once() {
    use crate::support::proxy::Proxy;
    use firebreak::effects::{Parts, Runner, TeamParts};
    use firebreak::state::team::TeamMsg;
    use firebreak::state::{Effect, Msg};
    let s = fresh_db("t_stall_task").await;
    Team::connect(&s).await.unwrap().init().await.unwrap();
    let proxy = Proxy::start(port_of(&s.url)).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let (parts, _themes) = crate::support::runner_parts(tx, &data, &dir.path().join("exports"));
    let runner = Runner::new(Parts {
        team: Some(TeamParts {
            settings: through(&s, &proxy, Duration::from_secs(1)),
            key: dir.path().join("team.key"),
            responder: "alice".into(),
            host: "laptop".into(),
        }),
        ..parts
    });
    let note = |text: &str| Effect::Record {
        actor: "alice".into(),
        event: Event::Note {
            text: text.into(),
            at: None,
        },
        then: Vec::new(),
    };
    // Alice declares; the cockpit shares it at once.
    runner.run(Effect::Record {
        actor: "alice".into(),
        event: Event::IncidentDeclared {
            id: "inc-team".into(),
            title: "Checkout errors".into(),
            severity: Severity::Sev2,
            demo: false,
        },
        then: Vec::new(),
    });
    next_msg(&mut rx, "the declaration recorded", |m| {
        matches!(m, Msg::Recorded { .. }).then_some(())
    })
    .await;
    runner.run(Effect::ShareIncident {
        id: "inc-team".into(),
    });
    let online = |m: &Msg| {
        matches!(
            m,
            Msg::Team(TeamMsg::Status {
                online: true,
                unsent: 0,
                ..
            })
        )
        .then_some(())
    };
    next_msg(&mut rx, "online, everything sent", online).await;

    // The path stalls; alice writes a note. Her team task must say it is
    // offline with one to send, not wait forever for an answer.
    proxy.stall();
    runner.run(note("written during the stall"));
    next_msg(&mut rx, "offline, 1 to send", |m| {
        matches!(
            m,
            Msg::Team(TeamMsg::Status {
                online: false,
                unsent: 1,
                ..
            })
        )
        .then_some(())
    })
    .await;
    // Bob, on a good path, writes meanwhile.
    let (mut bob, _) = responder("bob", false);
    let mut direct = Team::connect(&s).await.unwrap();
    bob.note("deploys frozen");
    let got = bob.sync.round(&mut direct).await.unwrap();
    assert_eq!(got.sent, 1);
    assert!(
        texts(&got.received).is_empty(),
        "alice's note waits in her journal"
    );

    // The path is back: the task reconnects by itself, sends, receives.
    proxy.resume();
    next_msg(&mut rx, "online again, everything sent", online).await;
    let notes = next_msg(&mut rx, "bob's note merged", |m| match m {
        Msg::Team(TeamMsg::Merged { canonical, .. }) => {
            let notes: Vec<String> = canonical
                .iter()
                .filter_map(|e| match &e.event {
                    Event::Note { text, .. } => Some(format!("{}: {text}", e.actor)),
                    _ => None,
                })
                .collect();
            notes.iter().any(|n| n.starts_with("bob:")).then_some(notes)
        }
        _ => None,
    })
    .await;
    assert_eq!(
        notes,
        ["bob: deploys frozen", "alice: written during the stall"],
        "each once, in the database's order (bob's arrived first)"
    );
    let got = bob.sync.round(&mut direct).await.unwrap();
    assert_eq!(texts(&got.received), ["alice: written during the stall"]);
    let rows = direct.pull("inc-team", 0, 100).await.unwrap();
    assert_eq!(rows.len(), 3, "alice's declaration and note, bob's note");
    let mut feeds = Feeds::default();
    for r in &rows {
        feeds.accept("inc-team", &r.row).unwrap();
    }
}
