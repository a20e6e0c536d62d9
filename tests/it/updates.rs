//! Status updates: the webhook sender against a real local HTTP receiver
//! (payload format, timeouts, 500s, 429 with Retry-After, a lost answer
//! never posted twice), the cockpit's editor, recording and resend
//! guard driven through `update`, and `firebreak update` headless.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossterm::event::KeyCode;
use firebreak::chat::webhook::{client, post, Policy};
use firebreak::chat::{Channel, Kind, Message};
use firebreak::domain::Event;
use firebreak::sources::http::SecretRef;
use firebreak::state::{Effect, Mode, Msg};

use crate::support::state::{code, ctrl, key, Driver};
use crate::support::webhook::{Receiver, Reply};

fn message() -> Message {
    Message {
        incident: "inc-1".into(),
        id: "u1".into(),
        headline: "SEV2 · Investigating · Checkout errors".into(),
        conditions: "5xx at 13% <!here> \x1b[31mred".into(),
        actions: "- 14:04 flag new-checkout off".into(),
        needs: "A DBA for the orders database".into(),
        next_update_at: None,
        by: "alice".into(),
    }
}

/// A channel whose URL is in a file (env vars are process-wide; tests
/// run in parallel).
fn channel(dir: &std::path::Path, url: &str) -> Channel {
    let f = dir.join("webhook-url");
    std::fs::write(&f, url).unwrap();
    Channel {
        name: "incident-room".into(),
        kind: Kind::Slack,
        url: SecretRef::File(f),
    }
}

fn policy() -> Policy {
    Policy {
        timeout: Duration::from_millis(700),
        attempts: 3,
        backoff: Duration::from_millis(50),
        max_wait: Duration::from_secs(5),
    }
}

async fn send(url: &str, p: &Policy) -> (Result<String, String>, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let ch = channel(dir.path(), url);
    let started = Instant::now();
    let c = client(p).unwrap();
    let r = post(&c, &ch, &message(), p).await;
    (r, started.elapsed())
}

#[tokio::test]
async fn the_receiver_gets_slack_json_text_and_section_blocks_once() {
    let rx = Receiver::start(&[], Reply::Ok).await;
    let (r, _) = send(&rx.url(), &policy()).await;
    assert_eq!(r, Ok("sent (HTTP 200)".to_string()));
    let got = rx.received();
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(req.path, "/hooks/T000-secret-B000");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(
        req.header("idempotency-key"),
        Some("firebreak:inc-1:u1:incident-room")
    );
    let v = req.json();
    let obj = v.as_object().unwrap();
    assert_eq!(
        obj.keys().collect::<Vec<_>>(),
        vec!["blocks", "text"],
        "only Slack's fields"
    );
    let text = v["text"].as_str().unwrap();
    assert!(
        text.starts_with("Status update u1 on inc-1: SEV2"),
        "{text}"
    );
    let blocks = v["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 5);
    for b in blocks {
        // Slack's section block: {"type":"section","text":{"type":"mrkdwn","text":...}}
        assert_eq!(b.as_object().unwrap().len(), 2, "{b}");
        assert_eq!(b["type"], "section");
        assert_eq!(b["text"].as_object().unwrap().len(), 2, "{b}");
        assert_eq!(b["text"]["type"], "mrkdwn");
        let t = b["text"]["text"].as_str().unwrap();
        assert!(!t.is_empty() && t.chars().count() <= 3000);
    }
    let conditions = blocks[1]["text"]["text"].as_str().unwrap();
    assert_eq!(
        conditions, "*Conditions*\n5xx at 13% &lt;!here&gt; \\x1b[31mred",
        "mrkdwn escaped, the escape sequence shown, not sent"
    );
    assert!(!String::from_utf8_lossy(&req.body).contains('\u{1b}'));
}

#[tokio::test]
async fn a_500_is_retried_within_bounds_then_reported() {
    let rx = Receiver::start(&[Reply::Status(500), Reply::Status(503)], Reply::Ok).await;
    let (r, _) = send(&rx.url(), &policy()).await;
    assert_eq!(r, Ok("sent (HTTP 200, attempt 3 of 3)".to_string()));
    assert_eq!(rx.received().len(), 3);

    let rx = Receiver::start(&[], Reply::Status(500)).await;
    let (r, took) = send(&rx.url(), &policy()).await;
    let e = r.unwrap_err();
    assert!(e.contains("HTTP 500: rollup_error"), "{e}");
    assert!(e.contains("after 3 attempts"), "{e}");
    assert_eq!(rx.received().len(), 3, "bounded: no fourth attempt");
    // Backoff 50 ms then 100 ms (+-50%): well under a second.
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The same key on every attempt, for receivers that deduplicate.
    let keys: Vec<_> = rx
        .received()
        .iter()
        .map(|r| r.header("idempotency-key").map(str::to_string))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test]
async fn a_429_waits_for_retry_after_and_a_long_one_is_not_waited_for() {
    let rx = Receiver::start(&[Reply::TooMany(1)], Reply::Ok).await;
    let (r, _) = send(&rx.url(), &policy()).await;
    assert_eq!(r, Ok("sent (HTTP 200, attempt 2 of 3)".to_string()));
    let got = rx.received();
    assert_eq!(got.len(), 2);
    let gap = got[1].at - got[0].at;
    assert!(gap >= Duration::from_millis(950), "waited {gap:?}");
    assert!(gap < Duration::from_secs(3), "waited {gap:?}");

    let rx = Receiver::start(&[Reply::TooMany(120)], Reply::Ok).await;
    let (r, took) = send(&rx.url(), &policy()).await;
    let e = r.unwrap_err();
    assert!(e.contains("rate limited (HTTP 429"), "{e}");
    assert!(e.contains("asks to wait 120s"), "{e}");
    assert_eq!(rx.received().len(), 1);
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn a_lost_answer_is_never_retried_so_it_never_posts_twice() {
    // The receiver took the post (it is in the channel) and the answer
    // was lost: the connection closes unanswered.
    let rx = Receiver::start(&[Reply::Drop], Reply::Ok).await;
    let (r, _) = send(&rx.url(), &policy()).await;
    let e = r.unwrap_err();
    assert!(e.contains("may have been posted"), "{e}");
    assert_eq!(rx.received().len(), 1, "one post only");

    // No answer at all: the timeout, then no retry.
    let rx = Receiver::start(&[Reply::Hang], Reply::Ok).await;
    let (r, took) = send(&rx.url(), &policy()).await;
    let e = r.unwrap_err();
    assert!(e.contains("may have been posted"), "{e}");
    assert_eq!(rx.received().len(), 1, "one post only");
    assert!(took >= Duration::from_millis(650), "{took:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn a_refused_connection_is_retried_and_no_error_shows_the_url() {
    // A port nobody listens on: never reached, so retrying is safe.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hooks/T000-secret-B000");
    let (r, _) = send(&url, &policy()).await;
    let e = r.unwrap_err();
    assert!(e.contains("connection refused"), "{e}");
    assert!(e.contains("after 3 attempts"), "{e}");
    assert!(
        !e.contains("secret") && !e.contains(&port.to_string()),
        "{e}"
    );
    let rx = Receiver::start(&[], Reply::Status(404)).await;
    let (r, _) = send(&rx.url(), &policy()).await;
    let e = r.unwrap_err();
    assert_eq!(e, "HTTP 404: rollup_error", "a 4xx is not retried");
    assert_eq!(rx.received().len(), 1);
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[test]
fn in_the_cockpit_an_update_is_edited_recorded_then_sent_and_a_resend_is_guarded() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-03-01T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    d.state.viewport = (120, 40);
    d.state.settings.status_updates.channels = vec!["incident-room".into(), "execs".into()];
    // The demo's cadence is set in the cockpit; here the default one.
    d.state.settings.status_updates.cadence = firebreak::domain::updates::Cadence::demo();
    let due = |d: &Driver, at| firebreak::state::updates::due(&d.state, at).map(|x| x.label());
    assert_eq!(due(&d, now).as_deref(), Some("update in 2m"));
    d.now = now + chrono::Duration::minutes(3);
    d.send(Msg::Tick);
    assert_eq!(due(&d, d.now).as_deref(), Some("update overdue 1m"));
    let notice = d.state.notice.clone().unwrap().text;
    assert!(notice.contains("status update is due"), "{notice}");
    // Reminded once only.
    d.state.notice = None;
    d.send(Msg::Tick);
    assert!(d.state.notice.is_none());

    // u: the editor, pre-filled.
    d.send(key('u'));
    assert_eq!(d.state.mode, Mode::UpdateEditor);
    let ed = d.state.updates.draft.clone().unwrap();
    assert!(
        ed.fields[0].text.starts_with("SEV2 investigating"),
        "{:?}",
        ed.fields[0].text
    );
    // Type into Needs (where it starts), a multi-line paste too.
    // A ctrl key the editor does not bind types nothing.
    d.send(ctrl('k'));
    d.keys(" Need DB");
    d.send(Msg::Paste("A\r\nB\x1b[2J".into()));
    let needs = d.state.updates.draft.as_ref().unwrap().fields[2]
        .text
        .clone();
    assert_eq!(needs, "Nothing at the moment. Need DBA\nB[2J");
    // Esc: closed, nothing recorded, nothing lost.
    let before = d.state.timeline.entries.len();
    d.send(code(KeyCode::Esc));
    assert_eq!(d.state.mode, Mode::Normal);
    assert_eq!(d.state.timeline.entries.len(), before);
    d.send(key('u'));
    assert_eq!(
        d.state.updates.draft.as_ref().unwrap().fields[2].text,
        needs,
        "the draft is as it was left"
    );
    // Ctrl-S: recorded first; the sends and the copy run after.
    d.send(ctrl('s'));
    assert_eq!(d.state.mode, Mode::Normal);
    let last = d.state.timeline.entries.last().unwrap().clone();
    let Event::StatusUpdateRecorded {
        id,
        needs: n,
        channels,
        ..
    } = &last.event
    else {
        panic!("{:?}", last.event)
    };
    assert_eq!((id.as_str(), n.as_str()), ("u1", needs.as_str()));
    assert_eq!(
        channels,
        &vec!["incident-room".to_string(), "execs".to_string()]
    );
    let out = d.take_outbox();
    let sends: Vec<&String> = out
        .iter()
        .filter_map(|e| match e {
            Effect::SendUpdate { channel, .. } => Some(channel),
            _ => None,
        })
        .collect();
    assert_eq!(sends, vec!["incident-room", "execs"]);
    assert!(out
        .iter()
        .any(|e| matches!(e, Effect::Copy(t) if t.contains("Need DBA"))));
    assert!(d.state.updates.draft.is_none());
    assert_eq!(due(&d, d.now).as_deref(), Some("update in 30m"));

    // Results land on the timeline, one per channel.
    d.send(Msg::UpdateSent {
        id: "u1".into(),
        channel: "incident-room".into(),
        result: Ok("sent (HTTP 200)".into()),
    });
    d.send(Msg::UpdateSent {
        id: "u1".into(),
        channel: "execs".into(),
        result: Err("HTTP 500: rollup_error (after 3 attempts)".into()),
    });
    let described: Vec<String> = d
        .state
        .timeline
        .entries
        .iter()
        .rev()
        .take(2)
        .map(|e| e.event.describe())
        .collect();
    assert_eq!(
        described,
        vec![
            "FAILED to send status update u1 to execs (HTTP 500: rollup_error (after 3 attempts))",
            "Status update u1 sent to incident-room (sent (HTTP 200))",
        ]
    );
    // U resends to execs only (never again to incident-room), after a yes.
    d.send(key('U'));
    assert!(
        matches!(d.state.mode, Mode::Confirm { ref question, .. } if question.contains("to execs?"))
    );
    d.send(key('y'));
    let out = d.take_outbox();
    assert_eq!(out.len(), 1);
    assert!(matches!(&out[0], Effect::SendUpdate { channel, .. } if channel == "execs"));
    // In flight: a second U offers nothing.
    d.send(key('U'));
    assert_eq!(d.state.mode, Mode::Normal);
    assert!(d.take_outbox().is_empty());
    d.send(Msg::UpdateSent {
        id: "u1".into(),
        channel: "execs".into(),
        result: Ok("sent (HTTP 200)".into()),
    });
    d.send(key('U'));
    assert_eq!(d.state.mode, Mode::Normal);
    assert!(d
        .state
        .notice
        .as_ref()
        .unwrap()
        .text
        .contains("Nothing to resend"));
    // The header says when the next is due.
    let screen = crate::support::state::render_at(&d.state, 160, 40, d.now);
    // The demo's teammate took comms: whose job it is shows.
    assert!(
        screen.contains("journal ✓  update in 30m (comms: sam (demo))"),
        "{screen}"
    );
    // Overdue: loud, first on the health line, at any width that works.
    d.now += chrono::Duration::minutes(33);
    for w in [80, 120] {
        let screen = crate::support::state::render_at(&d.state, w, 30, d.now);
        let health = screen.lines().nth(1).unwrap_or_default().to_string();
        assert!(
            health.starts_with(" update overdue 3m (comms: sam (demo)) "),
            "{health}"
        );
    }
}

#[test]
fn after_a_restart_an_update_never_sent_is_offered_not_resent() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-03-01T14:00:00Z");
    let mut d = Driver::started(dir.path(), now);
    d.state.viewport = (120, 40);
    d.state.settings.status_updates.channels = vec!["incident-room".into()];
    d.send(key('u'));
    d.send(ctrl('s'));
    // The cockpit stops before any answer: replay the journal.
    let entries = d.state.timeline.entries.clone();
    let mut d2 = Driver::new(crate::support::state::new_state(true), dir.path(), now);
    d2.state.viewport = (120, 40);
    d2.state.settings.status_updates.channels = vec!["incident-room".into()];
    d2.state.resume(entries, Vec::new());
    d2.send(Msg::Tick);
    assert!(d2.take_outbox().is_empty(), "nothing resent by itself");
    let n = d2.state.notice.clone().unwrap().text;
    assert!(
        n.contains("recorded but never sent: u1 to incident-room"),
        "{n}"
    );
    d2.send(key('U'));
    d2.send(key('y'));
    let out = d2.take_outbox();
    assert!(
        matches!(&out[..], [Effect::SendUpdate { channel, message }] if channel == "incident-room" && message.id == "u1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firebreak_update_headless_records_sends_and_says_what_happened() {
    let rx = Receiver::start(&[Reply::Status(500)], Reply::Ok).await;
    let bad = Receiver::start(&[], Reply::Status(403)).await;
    let data = tempfile::tempdir().unwrap();
    let mut j = firebreak::timeline::journal::Journal::create(data.path(), "inc-9").unwrap();
    j.append(
        Utc::now(),
        "alice",
        Event::IncidentDeclared {
            id: "inc-9".into(),
            title: "Checkout errors".into(),
            severity: firebreak::domain::Severity::Sev2,
            demo: false,
        },
    )
    .unwrap();
    drop(j);
    std::fs::write(data.path().join("room-url"), rx.url()).unwrap();
    std::fs::write(data.path().join("bad-url"), bad.url()).unwrap();
    let cfg = data.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "responder = \"alice\"\n[status_updates]\nattempts = 2\n\n[[status_updates.channels]]\nname = \"room\"\nkind = \"slack\"\nurl_file = \"{}\"\n\n[[status_updates.channels]]\nname = \"bad\"\nkind = \"slack\"\nurl_file = \"{}\"\n",
            data.path().join("room-url").display(),
            data.path().join("bad-url").display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("firebreak"))
            .env("FIREBREAK_DATA_DIR", data.path())
            .env("FIREBREAK_CONFIG", &cfg)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, out, _) = tokio::task::block_in_place(|| run(&["update", "--prefill"]));
    assert_eq!(code, Some(0));
    assert!(out.contains("Conditions:\nSEV2 investigating"), "{out}");
    assert!(rx.received().is_empty(), "--prefill sends nothing");

    let (code, out, err) = tokio::task::block_in_place(|| {
        run(&[
            "update",
            "--needs",
            "A DBA",
            "--conditions",
            "Checkout down",
        ])
    });
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("recorded status update u1 on incident inc-9"),
        "{out}"
    );
    assert!(
        out.contains("u1 → room: sent (HTTP 200, attempt 2 of 2)"),
        "{out}"
    );
    assert!(out.contains("u1 → bad: FAILED: HTTP 403"), "{out}");
    assert!(
        !out.contains("secret") && !err.contains("secret"),
        "{out}{err}"
    );
    assert_eq!(rx.received().len(), 2);
    let posted = rx.received()[1].json();
    assert!(posted["blocks"][1]["text"]["text"]
        .as_str()
        .unwrap()
        .contains("Checkout down"));

    // Resend: the one that failed only; room is refused.
    let (code, out, _) = tokio::task::block_in_place(|| run(&["update", "--resend", "u1"]));
    assert_eq!(code, Some(1), "bad still fails: {out}");
    assert!(
        out.contains("u1 → room: already sent, not sent again"),
        "{out}"
    );
    assert_eq!(rx.received().len(), 2, "never posted twice");
    assert_eq!(bad.received().len(), 2);
    // The journal holds the update and each result, never the URL.
    let journal = std::fs::read_to_string(data.path().join("incidents").join("inc-9.jsonl"))
        .or_else(|_| {
            let p = firebreak::timeline::journal::list(data.path()).unwrap()[0]
                .path
                .clone();
            std::fs::read_to_string(p)
        })
        .unwrap();
    assert!(!journal.contains("secret") && !journal.contains("127.0.0.1"));
    assert_eq!(
        journal.matches("status_update_sent").count(),
        3,
        "{journal}"
    );
}

/// A shared incident: bob holds comms and writes the update on his
/// machine. It reaches alice's cockpit through the team merge and moves
/// the due time in her header (no reminder at the old time); his failed
/// send is his to resend, not hers; her own next update gets an id that
/// names her, so it can never be mistaken for his, on screen, in a relay's
/// idempotency key or in the shared postmortem.
#[test]
fn a_teammates_update_counts_for_the_cadence_and_ids_never_collide() {
    use firebreak::domain::roles::Role;
    use firebreak::domain::SYSTEM_ACTOR;
    use firebreak::state::team::TeamMsg;
    use firebreak::timeline::export;
    use firebreak::timeline::journal::Replay;

    let (_dir, mut d, mut bob) = crate::team::cockpit_and_bob();
    d.state.settings.status_updates.channels = vec!["incident-room".into()];
    let start = d.now;
    let min = chrono::Duration::minutes;
    let due = |d: &Driver| firebreak::state::updates::due(&d.state, d.now).map(|x| x.label());
    // SEV2: the first update is due one period (30m) after the declaration.
    d.now = start + min(20);
    assert_eq!(due(&d).as_deref(), Some("update in 10m"));

    let mut canonical: Vec<firebreak::domain::Entry> = d.state.timeline.entries.clone();
    let bobs = [
        (
            "bob",
            Event::RoleChanged {
                role: Role::Comms,
                from: None,
                to: Some("bob".into()),
            },
        ),
        (
            "bob",
            Event::StatusUpdateRecorded {
                id: "bob/u1".into(),
                headline: "SEV2 · Investigating · Checkout errors".into(),
                conditions: "Checkout failing for some EU customers".into(),
                actions: "Rolling back v2.14.0".into(),
                needs: "Nothing".into(),
                next_update_at: Some(start + min(35)),
                channels: vec!["incident-room".into()],
            },
        ),
        (
            SYSTEM_ACTOR,
            Event::StatusUpdateSent {
                id: "bob/u1".into(),
                channel: "incident-room".into(),
                ok: false,
                detail: "HTTP 500: rollup_error (after 3 attempts)".into(),
            },
        ),
    ];
    for (actor, event) in bobs {
        canonical.push(bob.append(d.now, actor, event).unwrap());
    }
    for _ in 0..2 {
        d.send(Msg::Team(TeamMsg::Merged {
            canonical: canonical.clone(),
            responders: vec![("alice".into(), true), ("bob".into(), true)],
        }));
    }
    // Folded once; due when bob promised (before his cadence would say).
    assert_eq!(d.state.updates.fold.list.len(), 1);
    assert_eq!(due(&d).as_deref(), Some("update in 15m"));
    let screen = crate::support::state::render_at(&d.state, 160, 40, d.now);
    assert!(screen.contains("update in 15m (comms: bob)"), "{screen}");
    assert!(
        screen.contains("Status update bob/u1 (to incident-room)"),
        "on the timeline: {screen}"
    );
    // The old due time (30m) passes quietly: it is no longer due.
    d.now = start + min(31);
    d.state.notice = None;
    d.send(Msg::Tick);
    assert_eq!(due(&d).as_deref(), Some("update in 4m"));
    assert!(d.state.notice.is_none(), "{:?}", d.state.notice);
    // bob's send failed, but it is his to resend (his journal has the
    // outcome; alice's channels may differ): U offers nothing.
    d.take_outbox();
    d.send(key('U'));
    assert_eq!(d.state.mode, Mode::Normal);
    assert!(d.take_outbox().is_empty());
    let n = d.state.notice.as_ref().unwrap().text.clone();
    assert!(n.contains("Nothing to resend"), "{n}");

    // alice writes one: her id names her, not "u2", never "bob/u1".
    d.send(key('u'));
    d.send(ctrl('s'));
    let Some(Event::StatusUpdateRecorded { id, .. }) =
        d.state.timeline.entries.last().map(|e| e.event.clone())
    else {
        panic!("not recorded")
    };
    assert_eq!(id, "alice/u1");
    let out = d.take_outbox();
    let sent: Vec<&firebreak::chat::Message> = out
        .iter()
        .filter_map(|e| match e {
            Effect::SendUpdate { message, .. } => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 1);
    let mut bobs_message = sent[0].clone();
    bobs_message.id = "bob/u1".into();
    assert_ne!(
        sent[0].idempotency_key("incident-room"),
        bobs_message.idempotency_key("incident-room"),
        "a relay that deduplicates keeps both"
    );
    // Her next is due from hers now (SEV2: 30m).
    assert_eq!(due(&d).as_deref(), Some("update in 30m"));
    d.send(Msg::UpdateSent {
        id: "alice/u1".into(),
        channel: "incident-room".into(),
        result: Ok("sent (HTTP 200)".into()),
    });

    // The shared postmortem (everyone's entries in the team's order) has
    // both, each with its own delivery.
    let mut all = canonical.clone();
    all.extend(
        d.state
            .timeline
            .entries
            .iter()
            .filter(|e| !canonical.iter().any(|c| c.hash == e.hash))
            .cloned(),
    );
    let replay = Replay {
        entries: all,
        ..Default::default()
    };
    let inc = d.state.incident.clone().unwrap();
    let v = export::json(&inc, &replay, d.now);
    let list = v["status_updates"].as_array().unwrap();
    let summary: Vec<(String, String, serde_json::Value)> = list
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                u["by"].as_str().unwrap().to_string(),
                u["delivery"][0]["ok"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("bob/u1".into(), "bob".into(), serde_json::json!(false)),
            ("alice/u1".into(), "alice".into(), serde_json::json!(true)),
        ]
    );
}
