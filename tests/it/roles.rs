//! Roles in the cockpit: the chooser (`c`), the confirmed handoff of the
//! incident commander, the team's order when two change a role at once,
//! read-only refusal, and the header.

use crossterm::event::KeyCode;
use firebreak::domain::{Event, Role};
use firebreak::state::roles::RoleChoice;
use firebreak::state::team::TeamMsg;
use firebreak::state::{ChooseKind, Effect, Mode, Msg};
use firebreak::timeline::journal::Journal;

use crate::support::state::{code, key, new_state, t, Driver};
use crate::team::cockpit_and_bob;

/// Alice's cockpit, with bob on the team (his join merged in).
fn with_bob() -> (tempfile::TempDir, Driver, Journal) {
    let (dir, mut d, mut bob) = cockpit_and_bob();
    let joined = journal_entries(&mut bob);
    merge(&mut d, joined);
    (dir, d, bob)
}

fn journal_entries(j: &mut Journal) -> Vec<firebreak::domain::Entry> {
    firebreak::timeline::journal::read(j.path())
        .unwrap()
        .entries
}

/// The team sync hands over alice's entries, then `theirs`.
fn merge(d: &mut Driver, theirs: Vec<firebreak::domain::Entry>) {
    let mut canonical = d.state.timeline.entries.clone();
    canonical.retain(|e| !theirs.iter().any(|t| t.hash == e.hash));
    canonical.extend(theirs);
    d.send(Msg::Team(TeamMsg::Merged {
        canonical,
        responders: vec![("alice".into(), true), ("bob".into(), true)],
    }));
}

fn choices(d: &Driver) -> Vec<RoleChoice> {
    match &d.state.mode {
        Mode::Choose {
            kind: ChooseKind::Role { choices },
            ..
        } => choices.clone(),
        other => panic!("no roles chooser: {other:?}"),
    }
}

fn last_line(d: &Driver) -> String {
    let e = d.state.timeline.entries.last().unwrap();
    format!("{}: {}", e.actor, e.event.describe())
}

fn header(d: &Driver, w: u16, h: u16) -> Vec<String> {
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    let theme = firebreak::config::theme::Theme::default_theme();
    term.draw(|f| firebreak::ui::draw(f, &d.state, &theme, d.now))
        .unwrap();
    let buf = term.backend().buffer();
    (0..2)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect()
}

#[test]
fn the_declarer_is_ic_and_hands_it_to_a_teammate_after_a_confirmation() {
    let (_dir, mut d, _bob) = with_bob();
    let roles = &d.state.incident.as_ref().unwrap().roles;
    assert_eq!(roles.commander(), Some("alice"), "she declared it");
    d.send(key('c'));
    assert_eq!(
        choices(&d),
        [
            RoleChoice::HandCommand("bob".into()),
            RoleChoice::Take(Role::Comms),
            RoleChoice::Take(Role::Scribe),
            RoleChoice::Take(Role::Operations),
            RoleChoice::Take(Role::Observer),
        ]
    );
    d.send(key('1'));
    let Mode::Confirm { question, .. } = &d.state.mode else {
        panic!("a handoff asks first: {:?}", d.state.mode);
    };
    assert!(
        question.contains("Hand incident commander to bob?"),
        "{question}"
    );
    assert!(question.contains("alice → bob"), "{question}");
    let before = d.state.timeline.entries.len();
    d.send(key('x')); // a stray key does not answer
    assert_eq!(d.state.timeline.entries.len(), before);
    d.send(key('y'));
    assert_eq!(last_line(&d), "alice: Incident commander: alice → bob");
    let roles = &d.state.incident.as_ref().unwrap().roles;
    assert_eq!(roles.commander(), Some("bob"));
    assert_eq!(roles.holders(Role::IncidentCommander).len(), 1);
    // No longer IC: she can take it back (asking), or take comms (not asking).
    d.send(key('c'));
    assert_eq!(choices(&d)[0], RoleChoice::Take(Role::IncidentCommander));
    d.send(key('2'));
    assert_eq!(d.state.mode, Mode::Normal, "comms is taken without asking");
    assert_eq!(last_line(&d), "alice: Comms: alice");
    // Released again from the chooser.
    d.send(key('c'));
    assert_eq!(choices(&d)[1], RoleChoice::Release(Role::Comms));
    d.send(code(KeyCode::Esc));
    assert_eq!(d.state.mode, Mode::Normal);
}

#[test]
fn without_a_team_there_is_nobody_to_hand_the_commander_to() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = new_state(false);
    state.settings.responder = "alice".into();
    let mut d = Driver::new(state, dir.path(), t("2026-12-02T03:00:00Z"));
    d.send(key('c'));
    assert_eq!(d.state.mode, Mode::Normal, "no incident: nothing to choose");
    d.send(key('D'));
    d.keys("Checkout errors");
    d.send(code(KeyCode::Enter));
    d.send(key('c'));
    let c = choices(&d);
    assert!(
        !c.iter().any(|c| matches!(c, RoleChoice::HandCommand(_))),
        "{c:?}"
    );
    assert_eq!(c[0], RoleChoice::Take(Role::Comms));
    // And the same from the palette.
    d.send(code(KeyCode::Esc));
    d.send(key(':'));
    d.keys("role take scribe");
    d.send(code(KeyCode::Enter));
    assert_eq!(last_line(&d), "alice: Scribe: alice");
}

#[test]
fn when_two_change_the_commander_at_once_the_teams_order_decides_and_says_so() {
    let (_dir, mut d, mut bob) = with_bob();
    // Alice hands IC to bob while bob, at the same moment, takes it from
    // her himself, and takes comms: one commander, one change each.
    d.send(key('c'));
    d.send(key('1'));
    d.send(key('y'));
    let taken = bob
        .append(
            d.now,
            "bob",
            Event::RoleChanged {
                role: Role::IncidentCommander,
                from: Some("alice".into()),
                to: Some("bob".into()),
            },
        )
        .unwrap();
    let comms = bob
        .append(
            d.now,
            "bob",
            Event::RoleChanged {
                role: Role::Comms,
                from: None,
                to: Some("bob".into()),
            },
        )
        .unwrap();
    let mut theirs = journal_entries(&mut bob);
    theirs.retain(|e| e.hash != taken.hash && e.hash != comms.hash);
    theirs.extend([taken, comms]);
    merge(&mut d, theirs);
    let roles = &d.state.incident.as_ref().unwrap().roles;
    assert_eq!(roles.commander(), Some("bob"));
    assert_eq!(roles.summary(), "IC bob · comms bob");
    let notice = d.state.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.contains("bob changed it too: roles IC bob · comms bob (yours: IC bob)"),
        "{notice}"
    );
    // Now alice takes comms back while bob releases it: in the team's
    // order (hers first), bob's release comes after and does not undo her.
    d.send(key('c'));
    let i = choices(&d)
        .iter()
        .position(|c| *c == RoleChoice::Take(Role::Comms))
        .unwrap();
    d.send(key(char::from_digit(i as u32 + 1, 10).unwrap()));
    assert_eq!(last_line(&d), "alice: Comms: bob → alice");
    let release = bob
        .append(
            d.now,
            "bob",
            Event::RoleChanged {
                role: Role::Comms,
                from: Some("bob".into()),
                to: None,
            },
        )
        .unwrap();
    merge(&mut d, vec![release]);
    let roles = &d.state.incident.as_ref().unwrap().roles;
    assert_eq!(roles.summary(), "IC bob · comms alice");
    assert!(
        d.state
            .timeline
            .entries
            .iter()
            .any(|e| e.event.describe() == "Comms: bob released it"),
        "every change is on the timeline"
    );
}

#[test]
fn a_read_only_cockpit_refuses_roles() {
    let (_dir, mut d, _bob) = with_bob();
    d.state.follow(None);
    d.take_outbox();
    let before = d.state.timeline.entries.len();
    d.send(key('c'));
    assert_eq!(d.state.mode, Mode::Normal);
    let fx = firebreak::state::update(
        &mut d.state,
        Msg::Key(crossterm::event::KeyEvent::from(KeyCode::Char('c'))),
        d.now,
    );
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Record { .. })),
        "{fx:?}"
    );
    assert_eq!(d.state.timeline.entries.len(), before);
    assert!(firebreak::action::Action::SetRole.writes());
}

#[test]
fn the_header_shows_who_holds_which_role_and_gives_way_when_narrow() {
    let (_dir, mut d, _bob) = with_bob();
    d.send(Msg::Team(TeamMsg::Status {
        online: true,
        detail: String::new(),
        unsent: 0,
        present: Vec::new(),
    }));
    d.send(key('c'));
    d.send(key('2')); // comms
    d.send(key('c'));
    d.send(key('1')); // hand IC to bob
    d.send(key('y'));
    let wide = header(&d, 120, 40);
    assert!(
        wide[1].contains("team ✓ +1  IC bob · comms alice  journal ✓"),
        "{wide:?}"
    );
    // Narrower: the commander and how many others hold a role, then the
    // commander alone; the title line keeps its place.
    let narrow = header(&d, 100, 30);
    assert!(
        narrow[1].contains("team ✓ +1  IC bob +1  journal ✓"),
        "{narrow:?}"
    );
    let narrow = header(&d, 80, 24);
    assert!(narrow[1].contains("team ✓ +1  IC bob"), "{narrow:?}");
    assert!(!narrow[1].contains("comms alice"), "{narrow:?}");
    assert!(
        narrow[0].contains("INVESTIGATING  ⏱ 0s  Checkout errors"),
        "{narrow:?}"
    );
}

#[test]
fn the_roles_chooser_says_what_each_choice_does_at_80x24() {
    let (_dir, mut d, _bob) = with_bob();
    d.send(key('c'));
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    let theme = firebreak::config::theme::Theme::default_theme();
    term.draw(|f| firebreak::ui::draw(f, &d.state, &theme, d.now))
        .unwrap();
    let screen = format!("{}", term.backend());
    for text in [
        "Roles (IC alice): you are alice",
        "1 Hand IC to bob",
        "2 Take comms",
        "4 Join ops",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
}
