//! The entries of the benchmarks' big journals: a realistic mix of notes,
//! alerts and flag flips (shared by `benches/journal.rs` and
//! `examples/gen_journal.rs`).

use chrono::{DateTime, TimeZone, Utc};
use firebreak::domain::incident::Severity;
use firebreak::domain::Event;
use firebreak::domain::SYSTEM_ACTOR;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 14, 0, 0).unwrap()
}

pub fn declaration(id: &str) -> Event {
    Event::IncidentDeclared {
        id: id.into(),
        title: "Checkout errors in EU".into(),
        severity: Severity::Sev2,
        demo: false,
    }
}

/// A realistic mix of entries (notes, alerts, flag flips).
pub fn event(i: usize) -> (String, Event) {
    match i % 4 {
        0 => (
            "ann".into(),
            Event::Note {
                text: format!("checked dashboard {i}: error ratio still above 5% in eu-west"),
                at: None,
            },
        ),
        1 => (
            SYSTEM_ACTOR.into(),
            Event::AlertFiring {
                fingerprint: format!("{i:016x}"),
                name: "HighErrorRate".into(),
                severity: "critical".into(),
                summary: "5xx ratio above 5% for checkout".into(),
                labels: [
                    ("service".to_string(), "checkout".to_string()),
                    ("region".to_string(), "eu-west-1".to_string()),
                ]
                .into(),
                since: Some(t0()),
            },
        ),
        2 => (
            "ann".into(),
            Event::FlagChanged {
                provider: "unleash".into(),
                flag: "new-checkout".into(),
                before: Some(true),
                after: Some(false),
                wanted: false,
                ok: true,
                detail: String::new(),
            },
        ),
        _ => (
            SYSTEM_ACTOR.into(),
            Event::AlertResolved {
                fingerprint: format!("{i:016x}"),
                name: "HighErrorRate".into(),
            },
        ),
    }
}
