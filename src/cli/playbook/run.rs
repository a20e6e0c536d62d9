//! `firebreak playbook run`: a playbook headless, step by step, through
//! the same step code as the TUI ([`crate::playbook::exec`]).

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

use super::RunArgs;
use crate::domain::Event;
use crate::playbook::exec::{self, Ctx, StepAction};
use crate::playbook::model::{Playbook, StepKind};
use crate::playbook::template::Vars;
use crate::playbook::Confirm;
use crate::sources::MetricSource;
use crate::timeline::journal::Journal;
use crate::wiring::{self, Setup};

fn parse_kv(list: &[String], what: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut m = BTreeMap::new();
    for kv in list {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--{what} `{kv}`: write KEY=VALUE"))?;
        m.insert(k.trim().to_string(), v.to_string());
    }
    Ok(m)
}

/// The world a headless run acts on.
struct World {
    ctx: Ctx,
    metrics: Option<Arc<dyn MetricSource>>,
    prometheus: Option<crate::sources::prometheus::Prometheus>,
}

/// The same world as the cockpit's (the demo, flag providers, release
/// control), less the polled sources; query steps use `[prometheus]`.
fn world(setup: &Setup<'_>) -> anyhow::Result<(World, Vec<String>)> {
    let want = wiring::Want {
        fresh_demo: false,
        polled_sources: false,
    };
    let built = wiring::World::build(setup, want, Utc::now())?;
    let mut warnings = built.notices;
    let prometheus = if setup.config.prometheus.is_some() {
        match wiring::sources::prometheus(setup.config, None, None) {
            Ok(p) => Some(p),
            Err(e) => {
                warnings.push(format!("prometheus: {e:#}"));
                None
            }
        }
    } else {
        None
    };
    Ok((
        World {
            ctx: Ctx {
                providers: built.flag_providers,
                release: built.release,
                timeout: built.request_timeout,
                limits: Default::default(),
            },
            metrics: built.metric_sources.into_iter().next(),
            prometheus,
        },
        warnings,
    ))
}

/// Records run events on the open incident's journal, when asked.
struct Recorder {
    journal: Option<Journal>,
    actor: String,
}

impl Recorder {
    fn add(&mut self, event: Event) {
        if let Some(j) = self.journal.as_mut() {
            if let Err(e) = j.append(Utc::now(), &self.actor, event) {
                eprintln!("firebreak: NOT RECORDED: {e}");
            }
        }
    }
}

/// What the person at the terminal said.
enum Answer {
    Yes,
    No,
    Skip,
    Quit,
}

fn ask(prompt: &str) -> Answer {
    print!("{prompt}");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).unwrap_or(0) == 0 {
        return Answer::Quit;
    }
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Answer::Yes,
        "s" | "skip" => Answer::Skip,
        "q" | "quit" => Answer::Quit,
        _ => Answer::No,
    }
}

fn ask_typed(expect: &str) -> bool {
    print!("  type `{expect}` to confirm (anything else cancels): ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap_or(0) > 0 && line.trim() == expect
}

pub(super) async fn run_playbook(
    pb: &Playbook,
    args: &RunArgs,
    setup: &Setup<'_>,
) -> anyhow::Result<ExitCode> {
    let explicit = parse_kv(&args.inputs, "input")?;
    let labels = parse_kv(&args.labels, "label")?;
    let values = crate::playbook::prefill(pb, &explicit, &labels, setup.demo_mode);
    if let Err((_, e)) = crate::playbook::check_inputs(pb, &values) {
        anyhow::bail!(
            "{e} (pass it with --input KEY=VALUE; `firebreak playbook show {}` lists the inputs)",
            pb.name
        );
    }
    let mut vars = crate::playbook::vars(pb, &values, &labels, setup.demo_mode);
    let interactive = std::io::stdin().is_terminal();
    let (world, warnings) = world(setup)?;
    for w in warnings {
        eprintln!("firebreak: warning: {w}");
    }
    let actor = crate::wiring::responder_or_unnamed(setup.config);
    let mut rec = Recorder {
        journal: None,
        actor,
    };
    let run_id = format!("cli-{}", Utc::now().format("%H%M%S"));
    if args.record && !args.dry_run {
        match wiring::resume(setup, Utc::now())? {
            Some(r) => {
                for n in &r.notices {
                    eprintln!("firebreak: warning: {n}");
                }
                let s = &r.summary;
                println!("recording on incident {} ({})", s.id, s.incident.title);
                rec.journal = Some(r.journal);
            }
            None => anyhow::bail!("--record: no open incident in {}", setup.data_dir.display()),
        }
    }
    let skip = crate::playbook::not_applicable_steps(pb, &vars);
    rec.add(Event::PlaybookStarted {
        run_id: run_id.clone(),
        playbook: pb.name.clone(),
        title: pb.title.clone(),
        inputs: values.clone(),
        alert: labels.get("alertname").cloned(),
        labels: labels.clone(),
        steps: pb.step_titles(),
        not_applicable: skip.clone(),
    });
    println!(
        "{}{} — {}",
        if args.dry_run { "DRY RUN: " } else { "" },
        pb.name,
        pb.title
    );
    if !values.is_empty() {
        let kv: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("inputs: {}", crate::text::visible(&kv.join(" ")));
    }
    // Numbered as the TUI counts progress: the steps that apply.
    let total = pb.steps.len() - skip.len();
    let (mut done, mut skipped, mut not_applicable) = (0, 0, 0);
    let mut n = 0;
    for (i, step) in pb.steps.iter().enumerate() {
        // A title may use templates: filled in, like the rest.
        let title = crate::playbook::show(&step.title, &vars);
        if let Some(reason) = crate::playbook::not_applicable(step, &vars) {
            println!(
                "\n[–] {} ({})\n  skipped: {reason}",
                crate::text::visible(&title),
                step.kind_name()
            );
            not_applicable += 1;
            continue;
        }
        n += 1;
        println!(
            "\n[{n}/{total}] {} ({})",
            crate::text::visible(&title),
            step.kind_name()
        );
        for l in crate::playbook::describe_step(step, &vars) {
            println!("  {}", crate::text::visible(&l));
        }
        let action = crate::playbook::action(step, &vars)
            .map_err(|e| anyhow::anyhow!("step {}: {e}", i + 1))?;
        if args.dry_run {
            let what = step
                .dry_run()
                .map(|d| crate::playbook::show(d, &vars))
                .or_else(|| action.as_ref().map(StepAction::describe))
                .unwrap_or_else(|| "would ask you to confirm".into());
            println!("  DRY RUN: {what}");
            continue;
        }
        let started = Instant::now();
        let kind = step.kind_name().to_string();
        let finish = |rec: &mut Recorder,
                      (ok, exit_code, tail, detail, changed): (
            bool,
            Option<i32>,
            String,
            String,
            Option<bool>,
        )| {
            rec.add(Event::StepFinished {
                run_id: run_id.clone(),
                step: i,
                title: title.clone(),
                step_kind: kind.clone(),
                ok,
                exit_code,
                duration_ms: started.elapsed().as_millis() as u64,
                output_tail: tail,
                detail,
                changed,
            });
        };
        let guidance = || {
            step.on_failure
                .as_ref()
                .map(|g| format!("  if this fails: {}", crate::playbook::show(g, &vars)))
        };
        // Steps that need a person.
        let manual = matches!(
            step.kind,
            StepKind::Check | StepKind::Note | StepKind::Link { .. }
        ) || matches!(&step.kind, StepKind::Query(_))
            && world.metrics.is_none()
            && world.prometheus.is_none();
        if manual {
            let answer = if args.yes {
                println!("  confirmed (--yes)");
                Answer::Yes
            } else if interactive {
                ask("  done? [y]es / [n]o, it failed / [s]kip / [q]uit: ")
            } else {
                eprintln!(
                    "firebreak: step {} needs a person: run it in the TUI, or pass --yes",
                    i + 1
                );
                return Ok(ExitCode::from(3));
            };
            match answer {
                Answer::Yes => {
                    finish(
                        &mut rec,
                        (true, None, String::new(), "confirmed".into(), None),
                    );
                    vars.finished.insert(i, Utc::now());
                    done += 1;
                }
                Answer::Skip => {
                    rec.add(Event::StepSkipped {
                        run_id: run_id.clone(),
                        step: i,
                        title: title.clone(),
                        reason: "skipped".into(),
                    });
                    skipped += 1;
                }
                Answer::No => {
                    finish(
                        &mut rec,
                        (false, None, String::new(), "marked failed".into(), None),
                    );
                    if let Some(g) = guidance() {
                        println!("{g}");
                    }
                    return Ok(ExitCode::from(1));
                }
                Answer::Quit => return Ok(ExitCode::from(3)),
            }
            continue;
        }
        // Confirmation.
        let flag_env = None;
        match crate::playbook::confirmation(pb, step, &vars, flag_env) {
            Confirm::None => {}
            _ if args.yes => println!("  confirmed (--yes)"),
            Confirm::YesNo(q) if interactive => {
                if !matches!(ask(&format!("  {q} [y/N]: ")), Answer::Yes) {
                    println!("  not confirmed: stopping here");
                    return Ok(ExitCode::from(3));
                }
            }
            Confirm::Typed { question, expect } if interactive => {
                println!("  {question}");
                if !ask_typed(&expect) {
                    println!("  not confirmed: stopping here");
                    return Ok(ExitCode::from(3));
                }
            }
            _ => {
                eprintln!("firebreak: step {} needs confirmation: run it in the TUI or on a terminal, or pass --yes", i + 1);
                return Ok(ExitCode::from(3));
            }
        }
        let (ok, exit_code, tail, detail, changed) = match (&step.kind, action) {
            (_, Some(a)) => {
                rec.add(Event::StepStarted {
                    run_id: run_id.clone(),
                    step: i,
                    title: title.clone(),
                    step_kind: kind.clone(),
                    attempt: 1,
                    detail: a.describe(),
                });
                let mut print = |lines: Vec<String>| {
                    for l in lines {
                        println!("  | {}", crate::text::visible(&l));
                    }
                };
                let o = exec::execute(&a, &world.ctx, &mut print).await;
                if let Some(f) = &o.flag {
                    rec.add(Event::FlagChanged {
                        provider: f.provider.clone(),
                        flag: f.flag.clone(),
                        before: f.before,
                        after: f.after,
                        wanted: f.wanted,
                        ok: f.ok,
                        detail: format!("playbook run {run_id} (cli)"),
                    });
                }
                let tail = crate::playbook::runner::tail_text(&o.output, 20, 2000);
                let changed = o.changed_by(step);
                (o.ok, o.exit_code, tail, o.detail, Some(changed))
            }
            (StepKind::Wait { duration }, None) => {
                println!("  waiting {}s…", duration.as_secs());
                tokio::time::sleep(*duration).await;
                (
                    true,
                    None,
                    String::new(),
                    format!("waited {}s", duration.as_secs()),
                    None,
                )
            }
            (StepKind::Query(q), None) => {
                let (ok, detail) = poll_query(q, &vars, &world).await;
                (ok, None, String::new(), detail, None)
            }
            _ => (true, None, String::new(), String::new(), None),
        };
        println!(
            "  {}: {}",
            if ok { "ok" } else { "FAILED" },
            crate::text::visible(&detail)
        );
        finish(&mut rec, (ok, exit_code, tail, detail, changed));
        if !ok {
            if let Some(g) = guidance() {
                println!("{g}");
            }
            // Counted like the numbering: the steps that apply.
            let rest = total.saturating_sub(n);
            println!("\nstopped at step {n} of {total}; {rest} step(s) not run");
            return Ok(ExitCode::from(1));
        }
        vars.finished.insert(i, Utc::now());
        done += 1;
    }
    let summary = if args.dry_run {
        format!("{total} step(s) would run, {not_applicable} not applicable")
    } else {
        format!("{done} done, {skipped} skipped, {not_applicable} not applicable")
    };
    if !args.dry_run {
        rec.add(Event::PlaybookFinished {
            run_id,
            playbook: pb.name.clone(),
            ok: true,
            summary: summary.clone(),
        });
    }
    println!(
        "\n{}: {summary}",
        if args.dry_run {
            "dry run complete"
        } else {
            "playbook finished"
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Poll a query step until met or `within` passes: PromQL against the
/// configured Prometheus, else the named panel of the metric source.
async fn poll_query(
    q: &crate::playbook::model::QueryStep,
    vars: &Vars,
    world: &World,
) -> (bool, String) {
    let deadline = Instant::now() + q.within;
    let mut last: Option<f64> = None;
    loop {
        let value = match (&world.prometheus, &q.query, &world.metrics, &q.panel) {
            (Some(p), Some(promql), _, _) => {
                let promql = crate::playbook::show(promql, vars);
                match p.query(&promql, None).await {
                    Ok(r) => r.series().first().and_then(|s| s.last()),
                    Err(e) => {
                        println!("  | query error: {e}");
                        None
                    }
                }
            }
            (_, _, Some(m), Some(panel)) => match m.panels(chrono::Duration::minutes(15)).await {
                Ok(ps) => ps
                    .iter()
                    .find(|p| p.spec.name == *panel)
                    .and_then(|p| p.last()),
                Err(e) => {
                    println!("  | metrics error: {e:#}");
                    None
                }
            },
            _ => return (false, "no metric source can evaluate this query".into()),
        };
        if let Some(v) = value {
            println!("  | {v:.3} (want {})", q.expect.describe());
            last = Some(v);
            if q.expect.met(v) {
                return (true, format!("{v:.2} ({})", q.expect.describe()));
            }
        }
        if Instant::now() + q.every > deadline {
            let l = last.map_or("no data".to_string(), |v| format!("{v:.2}"));
            return (
                false,
                format!(
                    "still {l} after {}s (expected {})",
                    q.within.as_secs(),
                    q.expect.describe()
                ),
            );
        }
        tokio::time::sleep(q.every).await;
    }
}
