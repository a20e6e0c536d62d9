//! Which Markdown runbook an alert's `runbook_url` points at.
//!
//! The link is matched against the paths of the runbooks loaded from
//! the runbook directories, never used to open a file: an alert chooses
//! among the runbooks the responder has, not what is read from disk.
//! `https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping/`
//! matches `kubernetes/KubePodCrashLooping.md`; a GitHub link
//! (`.../blob/main/docs/disk-full.md#resize`), a relative path and a
//! `file://` URL match the same way. The longest match of trailing path
//! segments (case, extension, `README`/`index` aside) wins; a tie opens
//! none, rather than the wrong one.

use super::model::Playbook;

/// Path segments to compare: lowercase, no extension, no `README`.
fn segments(path: &str) -> Vec<String> {
    let mut segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .map(|s| decode(s).to_lowercase())
        .collect();
    if let Some(last) = segs.last_mut() {
        for ext in [".md", ".markdown", ".html", ".htm"] {
            if let Some(stem) = last.strip_suffix(ext) {
                *last = stem.to_string();
                break;
            }
        }
    }
    if segs
        .last()
        .is_some_and(|l| matches!(l.as_str(), "readme" | "index" | "_index"))
    {
        segs.pop();
    }
    segs
}

/// `%20` and friends, for ASCII; anything else is kept as written.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) if v.is_ascii() => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// The path part of a link: after `scheme://host`, before `?` or `#`.
fn path_of(url: &str) -> &str {
    let url = url.trim();
    let url = url.split(['?', '#']).next().unwrap_or(url);
    match url.split_once("://") {
        Some(("file", rest)) => rest,
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url,
    }
}

/// How many trailing segments two paths share.
fn shared_tail(a: &[String], b: &[String]) -> usize {
    a.iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// The runbook `url` points at, if exactly one matches best.
pub fn linked<'a>(playbooks: &'a [Playbook], url: &str) -> Option<&'a Playbook> {
    let want = segments(path_of(url));
    if want.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &Playbook)> = None;
    let mut tie = false;
    for p in playbooks {
        let Some(rel) = &p.runbook_path else { continue };
        let have = segments(rel);
        let n = shared_tail(&want, &have);
        if n == 0 {
            continue;
        }
        match best {
            Some((b, _)) if n < b => {}
            Some((b, _)) if n == b => tie = true,
            _ => {
                best = Some((n, p));
                tie = false;
            }
        }
    }
    best.filter(|_| !tie).map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::markdown;
    use crate::playbook::model::Source;
    use std::path::Path;

    fn rb(rel: &str) -> Playbook {
        let src = "## Look\n\nAt it.\n";
        match markdown::parse(Path::new(rel), src, Source::File(rel.into()), Some(rel)) {
            Ok(p) => p,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn links_of_every_usual_shape_find_their_runbook() {
        let all = vec![
            rb("kubernetes/KubePodCrashLooping.md"),
            rb("node/NodeFilesystemSpaceFillingUp.md"),
            rb("docs/disk-full/README.md"),
            rb("db/disk-full.md"),
        ];
        let name = |u: &str| linked(&all, u).map(|p| p.runbook_path.clone().unwrap_or_default());
        assert_eq!(
            name(
                "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping/"
            )
            .as_deref(),
            Some("kubernetes/KubePodCrashLooping.md")
        );
        assert_eq!(
            name("https://github.com/acme/ops/blob/main/node/NodeFilesystemSpaceFillingUp.md#mitigation").as_deref(),
            Some("node/NodeFilesystemSpaceFillingUp.md")
        );
        assert_eq!(
            name("docs/disk-full").as_deref(),
            Some("docs/disk-full/README.md")
        );
        assert_eq!(
            name("file:///srv/ops/db/disk-full.md").as_deref(),
            Some("db/disk-full.md")
        );
        // Two runbooks match "disk-full" equally well: open neither.
        assert_eq!(name("https://wiki/disk-full"), None);
        assert_eq!(name("https://wiki/something-else"), None);
        assert_eq!(name("https://wiki/"), None);
    }
}
