//! Markdown runbooks read as playbooks.
//!
//! Teams keep their runbooks in Markdown; firebreak reads them as they
//! are, with a CommonMark parser (pulldown-cmark), into the same
//! [`PlaybookFile`] a TOML playbook is, and validates it with the same
//! rules:
//!
//! - each heading starts a section; its text explains the steps it holds;
//! - a fenced shell block (`sh`, `bash`, `zsh`, `shell`, `console`, or no
//!   language with Runme attributes) is a command step, run as a fixed
//!   script: values reach it only as environment variables;
//! - a task list item (`- [ ] ...`) is a check;
//! - a paragraph or list item that is a link (with at most a few words
//!   around it: "See [Debugging Pods](...)") is a link step;
//! - a section with text only is a note.
//!
//! Runme's fence attributes (`{"name":"restart","promptEnv":"no"}` and
//! the older `{ name=restart }`) and its `export NAME="value"` prompts
//! (the value becomes an input) are understood; front matter (YAML `---`
//! or TOML `+++`) carries what TOML playbooks have: `applies_to`,
//! `inputs`, `environment`, `dangerous`, `timeout`, and Runme's `shell`,
//! `cwd` and `skipPrompts`. Keys of other tools (Hugo's `weight`,
//! Runme's `runme`) are ignored; a near miss of ours (`applies-to`) is an
//! error.
//!
//! Why one file of this length: the whole Markdown-to-playbook reading, from events to steps, read in one go next to the README's Markdown runbooks section.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, Event, MetadataBlockKind, Options, Parser, Tag, TagEnd,
};
use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use super::model::*;
use super::validate::Validator;
use crate::error::{line_of, FileError};

/// Largest runbook read (a runbook is prose and a few blocks).
pub const MAX_BYTES: usize = 1 << 20;

/// Front matter, as written. Unknown keys belong to other tools.
#[derive(Debug, Default, Deserialize)]
struct FrontMatter {
    name: Option<String>,
    title: Option<String>,
    description: Option<String>,
    tags: Option<OneOrMany>,
    applies_to: Option<OneOrMany>,
    environment: Option<String>,
    #[serde(default)]
    inputs: Vec<InputFile>,
    dangerous: Option<bool>,
    timeout: Option<String>,
    shell: Option<String>,
    cwd: Option<String>,
    #[serde(rename = "skipPrompts")]
    skip_prompts: Option<bool>,
    #[serde(flatten)]
    other: BTreeMap<String, serde::de::IgnoredAny>,
}

const FRONT_MATTER_KEYS: &[&str] = &[
    "name",
    "title",
    "description",
    "tags",
    "applies_to",
    "environment",
    "inputs",
    "dangerous",
    "timeout",
    "shell",
    "cwd",
    "skipPrompts",
];

/// Environment variables an input may not be exported as: the shell and
/// the loader read them.
fn reserved_env(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "PATH",
        "HOME",
        "SHELL",
        "IFS",
        "ENV",
        "BASH_ENV",
        "PS4",
        "CDPATH",
        "USER",
        "LOGNAME",
        "PWD",
        "OLDPWD",
        "TERM",
        "LANG",
        "TMPDIR",
        "HOSTNAME",
        "SHELLOPTS",
        "BASHOPTS",
        "GLOBIGNORE",
        "PROMPT_COMMAND",
    ];
    NAMES.contains(&name)
        || ["LD_", "DYLD_", "BASH_FUNC", "FB_", "LC_"]
            .iter()
            .any(|p| name.starts_with(p))
}

// ---------------------------------------------------------------------
// Events to blocks.
// ---------------------------------------------------------------------

/// A piece of the document, in order.
#[derive(Debug)]
enum Block {
    Heading {
        level: u8,
        text: String,
        at: usize,
    },
    Text(String),
    Code {
        lang: String,
        attrs: Result<BTreeMap<String, String>, String>,
        code: String,
        at: usize,
    },
    Task {
        text: String,
        at: usize,
    },
    Link {
        text: String,
        url: String,
        at: usize,
    },
}

/// A paragraph or list item being read, to tell a link on its own.
struct Unit {
    start: usize,
    at: usize,
    outside: String,
    links: Vec<(String, String)>,
}

/// A top-level list being read: its start in the text, its item count,
/// its link-only items (text, url, offset).
type TopList = (usize, usize, Vec<(String, String, usize)>);

/// A code block being read: language, attributes, text, offset.
type Code = (
    String,
    Result<BTreeMap<String, String>, String>,
    String,
    usize,
);

#[derive(Default)]
struct Walker {
    blocks: Vec<Block>,
    buf: String,
    heading: Option<(u8, String, usize)>,
    task: Option<(usize, String, usize)>,
    code: Option<Code>,
    link: Option<(String, usize)>,
    unit: Option<Unit>,
    lists: Vec<Option<u64>>,
    /// The top-level list being read: where it starts in `buf`, how many
    /// items it has, and those that are a link on their own. A list of
    /// links only is link steps; a link among other items stays text.
    top_list: Option<TopList>,
    image: usize,
    /// The front matter being read, then read: its kind, its text, the
    /// offset of its first line.
    front: Option<(MetadataBlockKind, String, usize)>,
    front_matter: Option<(MetadataBlockKind, String, usize)>,
    /// Nothing written yet in the list item just begun (its first
    /// paragraph follows the marker on the same line).
    item_fresh: bool,
}

impl Walker {
    fn sink(&mut self) -> &mut String {
        if let Some((_, t, _)) = &mut self.heading {
            t
        } else if let Some((_, t, _)) = &mut self.task {
            t
        } else {
            &mut self.buf
        }
    }

    fn flush(&mut self) {
        self.top_list = None;
        let t = std::mem::take(&mut self.buf);
        if !t.trim().is_empty() {
            self.blocks.push(Block::Text(t));
        }
    }

    fn separate(&mut self) {
        let s = self.sink();
        if !s.is_empty() && !s.ends_with("\n\n") {
            s.push_str(if s.ends_with('\n') { "\n" } else { "\n\n" });
        }
    }

    fn text(&mut self, t: &str) {
        if self.image > 0 {
            return;
        }
        if let Some((_, _, code, _)) = &mut self.code {
            code.push_str(t);
            return;
        }
        self.item_fresh = false;
        if self.link.is_none() {
            if let Some(u) = &mut self.unit {
                u.outside.push_str(t);
            }
        }
        self.sink().push_str(t);
    }

    fn event(&mut self, ev: Event<'_>, at: usize) {
        match ev {
            Event::Start(tag) => self.start(tag, at),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => {
                if let Some((_, fm, first)) = &mut self.front {
                    if fm.is_empty() {
                        *first = at;
                    }
                    fm.push_str(&t);
                } else {
                    self.text(&t);
                }
            }
            Event::Code(t) => self.text(&format!("`{t}`")),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.text("\n"),
            Event::Rule => self.separate(),
            Event::TaskListMarker(_) => {
                // The item's marker was written: take it back, the item
                // is a check of its own.
                if let Some(u) = self.unit.take() {
                    self.buf.truncate(u.start);
                }
                self.flush();
                self.task = Some((self.lists.len(), String::new(), at));
                self.item_fresh = true;
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => self.text(&t),
            Event::Html(_) | Event::InlineHtml(_) | Event::FootnoteReference(_) => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>, at: usize) {
        match tag {
            Tag::MetadataBlock(kind) => self.front = Some((kind, String::new(), at)),
            Tag::Heading { level, .. } => {
                self.flush();
                self.unit = None;
                self.heading = Some((level as u8, String::new(), at));
            }
            Tag::Paragraph => {
                let in_item = !self.lists.is_empty();
                let fresh = self.item_fresh || self.sink().is_empty();
                if !(in_item && fresh) {
                    self.separate();
                }
                if !in_item && self.task.is_none() {
                    self.unit = Some(Unit {
                        start: self.buf.len(),
                        at,
                        outside: String::new(),
                        links: Vec::new(),
                    });
                }
            }
            Tag::List(first) => {
                self.unit = None;
                let s = self.sink();
                if !s.is_empty() && !s.ends_with('\n') {
                    s.push('\n');
                }
                if self.lists.is_empty() && self.task.is_none() {
                    self.separate();
                    self.top_list = Some((self.buf.len(), 0, Vec::new()));
                }
                self.lists.push(first);
            }
            Tag::Item => {
                let depth = self.lists.len().saturating_sub(1);
                if depth == 0 {
                    if let Some((_, items, _)) = &mut self.top_list {
                        *items += 1;
                    }
                }
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "- ".to_string(),
                };
                let s = self.sink();
                if !s.is_empty() && !s.ends_with('\n') {
                    s.push('\n');
                }
                let start = s.len();
                s.push_str(&"  ".repeat(depth));
                s.push_str(&marker);
                self.item_fresh = true;
                if self.task.is_none() {
                    self.unit = Some(Unit {
                        start,
                        at,
                        outside: String::new(),
                        links: Vec::new(),
                    });
                }
            }
            Tag::BlockQuote(kind) => {
                self.separate();
                if let Some(k) = kind {
                    let label = match k {
                        BlockQuoteKind::Note => "Note: ",
                        BlockQuoteKind::Tip => "Tip: ",
                        BlockQuoteKind::Important => "Important: ",
                        BlockQuoteKind::Warning => "Warning: ",
                        BlockQuoteKind::Caution => "Caution: ",
                    };
                    self.sink().push_str(label);
                }
            }
            Tag::CodeBlock(kind) => {
                self.unit = None;
                let info = match kind {
                    CodeBlockKind::Fenced(i) => i.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let (lang, attrs) = split_info(&info);
                self.code = Some((lang, attrs, String::new(), at));
            }
            Tag::Link { dest_url, .. } => {
                let start = self.sink().len();
                self.link = Some((dest_url.to_string(), start));
            }
            Tag::Image { .. } => self.image += 1,
            Tag::Table(_) => self.separate(),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::MetadataBlock(_) => self.front_matter = self.front.take(),
            TagEnd::Heading(_) => {
                if let Some((level, text, at)) = self.heading.take() {
                    self.blocks.push(Block::Heading {
                        level,
                        text: text.trim().to_string(),
                        at,
                    });
                }
            }
            TagEnd::Paragraph => {
                if self.lists.is_empty() {
                    self.end_unit();
                }
                let s = self.sink();
                if !s.ends_with('\n') {
                    s.push('\n');
                }
            }
            TagEnd::Item => {
                if self
                    .task
                    .as_ref()
                    .is_some_and(|(d, _, _)| *d == self.lists.len())
                {
                    if let Some((_, text, at)) = self.task.take() {
                        self.blocks.push(Block::Task {
                            text: tidy(&text).to_string(),
                            at,
                        });
                    }
                } else {
                    self.end_unit();
                }
                let s = self.sink();
                if !s.ends_with('\n') {
                    s.push('\n');
                }
            }
            TagEnd::List(_) => {
                self.lists.pop();
                if self.lists.is_empty() && self.task.is_none() {
                    if let Some((start, items, links)) = self.top_list.take() {
                        if items > 0 && links.len() == items {
                            self.buf.truncate(start);
                            self.flush();
                            for (text, url, at) in links {
                                self.blocks.push(Block::Link { text, url, at });
                            }
                        }
                    }
                    self.separate();
                }
            }
            TagEnd::CodeBlock => {
                let Some((lang, attrs, code, at)) = self.code.take() else {
                    return;
                };
                let shell = is_shell(&lang, &attrs);
                if shell && self.task.is_none() && self.heading.is_none() {
                    self.flush();
                    self.blocks.push(Block::Code {
                        lang,
                        attrs,
                        code,
                        at,
                    });
                } else {
                    // Shown, not run: a code line keeps its place.
                    self.separate();
                    let s = self.sink();
                    for l in code.lines() {
                        s.push('\t');
                        s.push_str(l);
                        s.push('\n');
                    }
                    if !lang.is_empty()
                        && !shell
                        && attrs.as_ref().is_ok_and(|a| a.contains_key("name"))
                    {
                        s.push_str(&format!(
                            "({lang} block: not run; firebreak runs sh, bash and zsh blocks)\n"
                        ));
                    }
                    s.push('\n');
                }
            }
            TagEnd::Link => {
                let Some((url, start)) = self.link.take() else {
                    return;
                };
                let s = self.sink();
                let text = s.get(start..).unwrap_or_default().trim().to_string();
                if !text.is_empty() && text != url && !url.is_empty() {
                    s.push_str(&format!(" <{url}>"));
                }
                if let Some(u) = &mut self.unit {
                    u.links.push((text, url));
                }
            }
            TagEnd::Image => self.image = self.image.saturating_sub(1),
            TagEnd::TableCell => self.sink().push_str(" | "),
            TagEnd::TableRow | TagEnd::TableHead => self.sink().push('\n'),
            _ => {}
        }
    }

    /// A paragraph or item that is one link, with at most four words
    /// around it, becomes a link step.
    fn end_unit(&mut self) {
        let Some(u) = self.unit.take() else { return };
        let [(text, url)] = u.links.as_slice() else {
            return;
        };
        let words = u
            .outside
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count();
        if text.is_empty() || url.is_empty() || url.starts_with('#') || words > 4 {
            return;
        }
        if !self.lists.is_empty() {
            if self.lists.len() == 1 {
                if let Some((_, _, links)) = &mut self.top_list {
                    links.push((text.clone(), url.clone(), u.at));
                }
            }
            return;
        }
        self.buf.truncate(u.start);
        self.flush();
        self.blocks.push(Block::Link {
            text: text.clone(),
            url: url.clone(),
            at: u.at,
        });
    }
}

/// A fence's info string: its language and its attributes (Runme's JSON
/// `{"name":"x"}` or the older `{ name=x interactive=false }`).
fn split_info(info: &str) -> (String, Result<BTreeMap<String, String>, String>) {
    let info = info.trim();
    let cut = info
        .find(|c: char| c.is_whitespace() || c == '{')
        .unwrap_or(info.len());
    let lang = info[..cut].trim().to_ascii_lowercase();
    let rest = info[cut..].trim();
    if !(rest.starts_with('{') && rest.ends_with('}')) {
        return (lang, Ok(BTreeMap::new()));
    }
    if let Ok(map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(rest) {
        let attrs = map
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect();
        return (lang, Ok(attrs));
    }
    let inner = &rest[1..rest.len() - 1];
    let mut attrs = BTreeMap::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let Some(_) = chars.peek() else { break };
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace() && *c != '=')).collect();
        if chars.next_if_eq(&'=').is_none() {
            // A bare word (`{ .class }`): not an attribute of ours.
            continue;
        }
        let value: String = match chars.peek().copied() {
            Some(q @ ('"' | '\'')) => {
                chars.next();
                let v = std::iter::from_fn(|| chars.next_if(|c| *c != q)).collect();
                if chars.next().is_none() {
                    return (
                        lang,
                        Err(format!(
                            "the block's attributes `{rest}` have an unclosed quote"
                        )),
                    );
                }
                v
            }
            _ => std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())).collect(),
        };
        if key.is_empty() {
            return (
                lang,
                Err(format!(
                    "cannot read the block's attributes `{rest}`: write {{\"name\":\"x\"}} or {{ name=x }}"
                )),
            );
        }
        attrs.insert(key, value);
    }
    (lang, Ok(attrs))
}

/// The languages whose blocks run.
const SHELL_LANGS: &[&str] = &["sh", "bash", "zsh", "shell", "console", "shell-session"];

fn is_shell(lang: &str, attrs: &Result<BTreeMap<String, String>, String>) -> bool {
    SHELL_LANGS.contains(&lang)
        // Runme runs a block without a language as shell; firebreak does
        // when its attributes say it is meant to run.
        || (lang.is_empty() && attrs.as_ref().map_or(true, |a| !a.is_empty()))
}

// ---------------------------------------------------------------------
// Blocks to a playbook.
// ---------------------------------------------------------------------

/// Parse and validate a Markdown runbook. `rel` is its path inside the
/// directory it was loaded from (matched against `runbook_url`).
pub fn parse(
    file: &Path,
    src: &str,
    source: Source,
    rel: Option<&str>,
) -> Result<Playbook, Vec<FileError>> {
    if src.len() > MAX_BYTES {
        return Err(vec![FileError::new(
            file,
            None,
            None,
            format!(
                "{} bytes: a runbook may be at most {} KiB",
                src.len(),
                MAX_BYTES / 1024
            ),
        )]);
    }
    let opts = Options::ENABLE_TASKLISTS
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
        | Options::ENABLE_GFM;
    let mut w = Walker::default();
    for (ev, range) in Parser::new_ext(src, opts).into_offset_iter() {
        w.event(ev, range.start);
    }
    w.flush();
    let mut b = Builder {
        file,
        src,
        errors: Vec::new(),
        fm: FrontMatter::default(),
        fm_at: 0,
        fm_text: String::new(),
        inputs: Vec::new(),
        env_names: BTreeMap::new(),
        steps: Vec::new(),
    };
    if let Some((kind, text, at)) = w.front_matter.take() {
        b.front_matter(kind, text, at);
    }
    if !b.errors.is_empty() {
        return Err(b.errors);
    }
    let pf = b.build(std::mem::take(&mut w.blocks));
    if !b.errors.is_empty() {
        return Err(b.errors);
    }
    let mut v = Validator {
        file,
        src,
        errors: Vec::new(),
        markdown: true,
    };
    let mut pb = v.playbook(pf, source);
    if !v.errors.is_empty() {
        return Err(v.errors);
    }
    pb.runbook_path = rel.map(str::to_owned);
    Ok(pb)
}

struct Builder<'a> {
    file: &'a Path,
    src: &'a str,
    errors: Vec<FileError>,
    fm: FrontMatter,
    fm_at: usize,
    fm_text: String,
    inputs: Vec<Spanned<InputFile>>,
    /// Input name → the variable it is exported as in shell blocks.
    env_names: BTreeMap<String, String>,
    steps: Vec<Spanned<StepFile>>,
}

/// A section: a heading (with its empty parents) and what follows it.
struct Section {
    title: String,
    at: usize,
    blocks: Vec<Block>,
}

impl Builder<'_> {
    fn err(&mut self, at: Option<usize>, field: Option<&str>, msg: impl Into<String>) {
        let line = at.map(|o| line_of(self.src, o));
        self.errors
            .push(FileError::new(self.file, line, field, msg));
    }

    /// Offset of the front matter line that sets `key` (YAML `key:` or
    /// TOML `key =`), else the front matter's start.
    fn fm_key(&self, key: &str, value: Option<&str>) -> usize {
        let mut off = self.fm_at;
        for l in self.fm_text.split_inclusive('\n') {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            if let Some(rest) = t.strip_prefix(key) {
                let rest = rest.trim_start();
                if rest.starts_with(':') || rest.starts_with('=') {
                    let v = rest[1..].trim().trim_matches(|c| c == '"' || c == '\'');
                    if value.is_none_or(|want| v == want) {
                        return off;
                    }
                }
            }
            off += l.len();
        }
        self.fm_at
    }

    fn front_matter(&mut self, kind: MetadataBlockKind, text: String, at: usize) {
        self.fm_at = at;
        self.fm_text = text;
        let parsed: Result<FrontMatter, (Option<usize>, String)> = match kind {
            MetadataBlockKind::YamlStyle => {
                if self.fm_text.trim().is_empty() {
                    Ok(FrontMatter::default())
                } else {
                    yaml_serde::from_str(&self.fm_text).map_err(|e| {
                        let off = e.location().map(|l| {
                            let line0 = line_of(self.src, at);
                            let target = line0 + l.line().saturating_sub(1);
                            offset_of_line(self.src, target)
                        });
                        // Its own "at line 3 column 1" counts from the
                        // front matter's first line: from the file's.
                        let first = line_of(self.src, at);
                        (
                            off,
                            format!("front matter (YAML): {}", file_lines(&e.to_string(), first)),
                        )
                    })
                }
            }
            MetadataBlockKind::PlusesStyle => crate::depth::toml(&self.fm_text)
                .map_err(|d| (None, d.to_string()))
                .and_then(|()| {
                    toml::from_str(&self.fm_text).map_err(|e| {
                        (
                            e.span().map(|s| at + s.start),
                            format!("front matter (TOML): {}", e.message().trim()),
                        )
                    })
                }),
        };
        match parsed {
            Ok(fm) => {
                let near: Vec<(String, &str)> = fm
                    .other
                    .keys()
                    .filter_map(|k| {
                        let n = norm(k);
                        FRONT_MATTER_KEYS
                            .iter()
                            .find(|known| norm(known) == n)
                            .map(|known| (k.clone(), *known))
                    })
                    .collect();
                for (k, known) in near {
                    let off = self.fm_key(&k, None);
                    self.err(
                        Some(off),
                        Some(&k),
                        format!("`{k}` is not a front matter key: did you mean `{known}`?"),
                    );
                }
                self.fm = fm;
            }
            Err((off, msg)) => self.err(off.or(Some(at)), None, msg),
        }
    }

    fn build(&mut self, blocks: Vec<Block>) -> PlaybookFile {
        let stem = self
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        // The document's title: the front matter's, else its first
        // heading when that is a level-1 heading.
        let mut blocks = blocks.into_iter().peekable();
        let mut intro: Vec<Block> = Vec::new();
        let mut h1: Option<String> = None;
        while let Some(b) = blocks.next_if(|b| !matches!(b, Block::Heading { .. })) {
            intro.push(b);
        }
        if let Some(Block::Heading { level: 1, .. }) = blocks.peek() {
            if let Some(Block::Heading { text, .. }) = blocks.next() {
                h1 = Some(text);
            }
            while let Some(b) = blocks.next_if(|b| !matches!(b, Block::Heading { .. })) {
                intro.push(b);
            }
        }
        let title = self
            .fm
            .title
            .clone()
            .or(h1)
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| stem.clone());
        // Sections, with a heading that holds nothing of its own named in
        // its children's titles ("Mitigation: Data retention").
        let mut sections = vec![Section {
            title: String::new(),
            at: 0,
            blocks: intro,
        }];
        let mut stack: Vec<(u8, String, usize)> = Vec::new();
        for b in blocks {
            match b {
                Block::Heading { level, text, at } => {
                    while stack.last().is_some_and(|(l, _, _)| *l >= level) {
                        stack.pop();
                    }
                    let empty_parents: Vec<&str> = stack
                        .iter()
                        .filter(|(_, _, i)| sections.get(*i).is_some_and(|s| s.blocks.is_empty()))
                        .map(|(_, t, _)| t.as_str())
                        .collect();
                    let mut full = empty_parents.join(": ");
                    if !full.is_empty() {
                        full.push_str(": ");
                    }
                    full.push_str(&text);
                    stack.push((level, text, sections.len()));
                    sections.push(Section {
                        title: full,
                        at,
                        blocks: Vec::new(),
                    });
                }
                other => {
                    if let Some(s) = sections.last_mut() {
                        s.blocks.push(other);
                    }
                }
            }
        }
        let mut description = self.fm.description.clone();
        for (i, s) in sections.into_iter().enumerate() {
            if i == 0 && s.blocks.iter().all(|b| matches!(b, Block::Text(_))) {
                // An introduction of text only: the description, and a
                // step when it says more than one paragraph.
                let text: String = s
                    .blocks
                    .iter()
                    .filter_map(|b| match b {
                        Block::Text(t) => Some(t.as_str()),
                        _ => None,
                    })
                    .collect();
                let paragraphs: Vec<&str> = text
                    .split("\n\n")
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect();
                if description.is_none() {
                    description = paragraphs.first().map(|p| p.replace('\n', " "));
                }
                if paragraphs.len() > 1 {
                    self.note("Overview", &text, self.fm_at);
                }
                continue;
            }
            self.section(s, &title);
        }
        let name = match &self.fm.name {
            Some(n) => n.clone(),
            None => slug(&stem),
        };
        let mut applies_to = Vec::new();
        for a in self
            .fm
            .applies_to
            .take()
            .map(OneOrMany::into_vec)
            .unwrap_or_default()
        {
            let off = self.fm_key("applies_to", None);
            applies_to.push(Spanned::new(off..off, a));
        }
        let mut inputs: Vec<Spanned<InputFile>> = Vec::new();
        for mut i in std::mem::take(&mut self.fm.inputs) {
            let off = self.fm_key("name", Some(&i.name));
            if i.from_label.is_none() {
                i.from_label = Some(i.name.clone());
            }
            let env = i.name.to_ascii_uppercase();
            if reserved_env(&env) {
                self.err(
                    Some(off),
                    Some("inputs"),
                    format!(
                        "input `{}` would be exported to the runbook's shell blocks as ${env}, which the shell itself uses: rename it",
                        i.name
                    ),
                );
            }
            self.env_names.insert(i.name.clone(), env);
            inputs.push(Spanned::new(off..off, i));
        }
        inputs.append(&mut self.inputs);
        // Every shell block sees every input under its variable name, as
        // a Runme session keeps its exports across blocks.
        for s in &mut self.steps {
            let f = s.get_mut();
            if f.script.is_some() {
                let env = f.env.get_or_insert_with(BTreeMap::new);
                for (input, var) in &self.env_names {
                    env.entry(var.clone())
                        .or_insert_with(|| format!("{{{{{input}}}}}"));
                }
            }
        }
        if self.steps.is_empty() {
            self.err(
                None,
                Some("steps"),
                "no steps: a runbook needs a heading with text, a shell block, a task (- [ ]) or a link",
            );
        }
        PlaybookFile {
            name: {
                let off = self.fm_key("name", None);
                Spanned::new(off..off, name)
            },
            title: Some(title.clone()),
            description: description.unwrap_or(title),
            tags: self
                .fm
                .tags
                .take()
                .map(OneOrMany::into_vec)
                .unwrap_or_default(),
            applies_to,
            environment: self.fm.environment.as_ref().map(|e| {
                let off = self.fm_key("environment", None);
                Spanned::new(off..off, e.clone())
            }),
            inputs,
            steps: std::mem::take(&mut self.steps),
        }
    }

    fn push(&mut self, at: usize, f: StepFile) {
        self.steps.push(Spanned::new(at..at, f));
    }

    fn note(&mut self, title: &str, text: &str, at: usize) {
        self.push(
            at,
            StepFile {
                title: literal(title),
                kind: KindName::Note,
                text: Some(literal(tidy(text))),
                ..StepFile::default()
            },
        );
    }

    fn section(&mut self, s: Section, doc_title: &str) {
        let heading = s.title;
        let first = self.steps.len();
        let mut pending = String::new();
        let mut made = 0usize;
        let step_title = |made: usize, name: Option<&str>, fallback: &str| -> String {
            match (heading.is_empty(), name) {
                (false, Some(n)) => format!("{heading}: {n}"),
                (false, None) if made == 0 => heading.clone(),
                (false, None) => format!("{heading} ({})", made + 1),
                (true, Some(n)) => n.to_string(),
                (true, None) if !fallback.is_empty() => fallback.to_string(),
                (true, None) => format!("{doc_title} ({})", made + 1),
            }
        };
        for b in s.blocks {
            match b {
                Block::Text(t) => {
                    if !pending.is_empty() && !pending.ends_with("\n\n") {
                        pending.push('\n');
                    }
                    pending.push_str(&t);
                }
                Block::Code {
                    lang,
                    attrs,
                    code,
                    at,
                } => {
                    let attrs = match attrs {
                        Ok(a) => a,
                        Err(e) => {
                            self.err(Some(at), None, e);
                            BTreeMap::new()
                        }
                    };
                    let text = std::mem::take(&mut pending);
                    self.code_step(&lang, &attrs, &code, at, text, &|fallback| {
                        step_title(made, attrs.get("name").map(String::as_str), fallback)
                    });
                    made += 1;
                }
                Block::Task { text, at } => {
                    let lead = self.lead(&mut pending, &mut made, at, &step_title);
                    let (title, rest) = split_title(&text);
                    let text = join(lead, &rest);
                    self.push(
                        at,
                        StepFile {
                            title: literal(&title),
                            kind: KindName::Check,
                            text: (!text.is_empty()).then(|| literal(&text)),
                            ..StepFile::default()
                        },
                    );
                    made += 1;
                }
                Block::Link { text, url, at } => {
                    let lead = self.lead(&mut pending, &mut made, at, &step_title);
                    let lead = lead.unwrap_or_default();
                    self.push(
                        at,
                        StepFile {
                            title: literal(&text),
                            kind: KindName::Link,
                            text: (!lead.is_empty()).then(|| literal(&lead)),
                            url: Some(literal(&url)),
                            ..StepFile::default()
                        },
                    );
                    made += 1;
                }
                Block::Heading { .. } => {}
            }
        }
        if pending.trim().is_empty() {
            return;
        }
        if made == 0 {
            let t = step_title(0, None, "");
            self.note(&t, &pending, s.at);
        } else if self.steps.len() > first {
            let Some(last) = self.steps.last_mut() else {
                return;
            };
            let t = last.get_mut().text.get_or_insert_with(String::new);
            if !t.is_empty() {
                t.push_str("\n\n");
            }
            t.push_str(&literal(tidy(&pending)));
        }
    }

    /// The text before a task or a link: in a section that has no step
    /// yet, a note of its own under the heading (which the task's title
    /// would otherwise lose); after other steps, the task's own text.
    fn lead(
        &mut self,
        pending: &mut String,
        made: &mut usize,
        at: usize,
        step_title: &dyn Fn(usize, Option<&str>, &str) -> String,
    ) -> Option<String> {
        let text = std::mem::take(pending);
        if text.trim().is_empty() {
            return None;
        }
        if *made == 0 {
            let t = step_title(0, None, "");
            self.note(&t, &text, at);
            *made += 1;
            return None;
        }
        Some(tidy(&text).to_string())
    }

    /// A shell block: a command step, or a check to do by hand when it
    /// holds placeholders (`<virtual-storage>`) nobody can fill in.
    fn code_step(
        &mut self,
        lang: &str,
        attrs: &BTreeMap<String, String>,
        code: &str,
        at: usize,
        text: String,
        title: &dyn Fn(&str) -> String,
    ) {
        let prompts = !self.fm.skip_prompts.unwrap_or(false)
            && !attrs
                .get("promptEnv")
                .is_some_and(|v| matches!(v.as_str(), "no" | "false" | "0" | "never"));
        let (script, output) = commands_of(code);
        let mut kept = Vec::new();
        for line in script.lines() {
            match prompts.then(|| export_of(line)).flatten() {
                Some((var, value)) => self.export_input(&var, &value, at),
                None => kept.push(line),
            }
        }
        let script = kept.join("\n").trim_matches('\n').to_string();
        let first_line = script
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| clip(l, 60))
            .unwrap_or_default();
        let title = title(&first_line);
        let mut text = literal(tidy(&text));
        if !output.is_empty() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str("Expected output (not run):\n\n");
            for l in &output {
                text.push('\t');
                text.push_str(&literal(l));
                text.push('\n');
            }
        }
        if script.trim().is_empty() {
            // Only exports: its values are the run's inputs.
            if !text.trim().is_empty() {
                self.note(&title, &text, at);
            }
            return;
        }
        let holes = placeholders(&script);
        if !holes.is_empty() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&format!(
                "Fill in {} and run it yourself: firebreak does not run a block with placeholders.\n\n",
                holes.join(", ")
            ));
            for l in script.lines() {
                text.push('\t');
                text.push_str(&literal(l));
                text.push('\n');
            }
            self.push(
                at,
                StepFile {
                    title: literal(&title),
                    kind: KindName::Check,
                    text: Some(text),
                    ..StepFile::default()
                },
            );
            return;
        }
        let shell = attrs
            .get("interpreter")
            .filter(|i| super::validate::shell_program(i).is_some())
            .cloned()
            .or_else(|| match lang {
                "bash" | "zsh" => Some(lang.to_string()),
                _ => self.fm.shell.clone(),
            });
        let flag = |k: &str| -> Option<bool> {
            attrs
                .get(k)
                .map(|v| matches!(v.as_str(), "true" | "yes" | "1"))
        };
        let dangerous = flag("dangerous")
            .or(self.fm.dangerous)
            .unwrap_or_else(|| looks_destructive(&script));
        let cwd = attrs
            .get("cwd")
            .or(self.fm.cwd.as_ref())
            .map(|d| self.resolve_dir(d));
        self.push(
            at,
            StepFile {
                title: literal(&title),
                kind: KindName::Command,
                text: (!text.is_empty()).then_some(text),
                script: Some(format!("{script}\n")),
                shell,
                cwd,
                timeout: attrs.get("timeout").or(self.fm.timeout.as_ref()).cloned(),
                dangerous: Some(dangerous),
                mitigation: flag("mitigation"),
                ..StepFile::default()
            },
        );
    }

    /// `export NAME="value"` in a block: NAME is an input of the run
    /// (Runme prompts for it), with the value as its default.
    fn export_input(&mut self, var: &str, value: &str, at: usize) {
        let name = var.to_ascii_lowercase();
        if self.env_names.contains_key(&name) {
            return;
        }
        let placeholder = value.starts_with('<') && value.ends_with('>');
        self.env_names.insert(name.clone(), var.to_string());
        self.inputs.push(Spanned::new(
            at..at,
            InputFile {
                name: name.clone(),
                description: format!("${var} in the runbook's shell blocks"),
                ty: InputType::String,
                default: (!placeholder).then(|| Scalar::Str(value.to_string())),
                demo_default: None,
                from_label: Some(name),
                choices: Vec::new(),
                pattern: None,
                required: Some(placeholder),
            },
        ));
    }

    /// A directory named in the runbook, relative to the runbook's own.
    fn resolve_dir(&self, d: &str) -> String {
        if d.starts_with('/') || d.starts_with("~/") {
            return literal(d);
        }
        match self.file.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(p) => literal(&p.join(d).display().to_string()),
            None => literal(d),
        }
    }
}

/// Text as firebreak shows it, never templated: `{{` in a runbook is
/// Go templates or Helm, not firebreak's inputs.
fn literal(s: &str) -> String {
    s.replace("{{", "{{{{")
}

/// "at line 3" in a message about text that starts at line `first` of
/// the file: the file's line.
fn file_lines(msg: &str, first: usize) -> String {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(re) = RE.get_or_init(|| Regex::new(r"line (\d+)").ok()).as_ref() else {
        return msg.to_string();
    };
    re.replace_all(msg, |c: &regex::Captures<'_>| {
        let n: usize = c[1].parse().unwrap_or(1);
        format!("line {}", n + first.saturating_sub(1))
    })
    .into_owned()
}

/// A lead-in and a text, as one text.
fn join(lead: Option<String>, rest: &str) -> String {
    match lead {
        Some(l) if rest.is_empty() => l,
        Some(l) => format!("{l}\n\n{rest}"),
        None => rest.to_string(),
    }
}

/// Trim a text's ends, keeping the tab that starts a code line.
fn tidy(s: &str) -> &str {
    s.trim_start_matches([' ', '\n', '\r']).trim_end()
}

fn norm(k: &str) -> String {
    k.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn offset_of_line(src: &str, line: usize) -> usize {
    src.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}

/// A playbook name from a file name: `KubePodCrashLooping` →
/// `kubepodcrashlooping`, `Disk full!` → `disk-full`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "runbook".into()
    } else {
        out
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A task's first line (or sentence, up to 80 characters) is its title.
fn split_title(text: &str) -> (String, String) {
    let first = text.lines().next().unwrap_or_default().trim();
    let rest = tidy(&text[text.find('\n').unwrap_or(text.len())..]);
    if first.chars().count() <= 80 {
        return (first.to_string(), rest.to_string());
    }
    (clip(first, 80), text.trim().to_string())
}

/// A block written as a terminal session (`$ cmd` lines, output lines):
/// the commands (with their `\` continuations) and the output, which is
/// shown, never run. A block without prompts is all commands.
fn commands_of(code: &str) -> (String, Vec<String>) {
    let prompt = |l: &str| {
        let t = l.trim_start();
        t == "$" || t.starts_with("$ ")
    };
    if !code.lines().any(prompt) {
        return (code.to_string(), Vec::new());
    }
    let mut script = Vec::new();
    let mut output = Vec::new();
    let mut continued = false;
    for l in code.lines() {
        if prompt(l) {
            let t = l.trim_start();
            let cmd = t.strip_prefix('$').unwrap_or(t);
            let cmd = cmd.strip_prefix(' ').unwrap_or(cmd);
            script.push(cmd.to_string());
            continued = cmd.trim_end().ends_with('\\');
        } else if continued {
            script.push(l.to_string());
            continued = l.trim_end().ends_with('\\');
        } else if l.trim().is_empty() {
            script.push(String::new());
        } else {
            output.push(l.to_string());
        }
    }
    (script.join("\n"), output)
}

/// `export NAME=value` with a literal value: (NAME, value).
fn export_of(line: &str) -> Option<(String, String)> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| {
            Regex::new(
                r#"^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(?:'([^']*)'|"([^"$`\\]*)"|([A-Za-z0-9_./:@,+%<>-]*))\s*(?:#.*)?$"#,
            )
            .ok()
        })
        .as_ref()?;
    let c = re.captures(line)?;
    let var = c.get(1)?.as_str();
    if reserved_env(var) {
        return None;
    }
    let value = c
        .get(2)
        .or_else(|| c.get(3))
        .or_else(|| c.get(4))
        .map_or("", |m| m.as_str());
    Some((var.to_string(), value.to_string()))
}

/// `<virtual-storage>` style holes in a block (not `<<EOF` or `< file`).
fn placeholders(script: &str) -> Vec<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| {
            Regex::new(r"(?:^|[^<\w])(<[A-Za-z][A-Za-z0-9_.:/-]*(?: [A-Za-z0-9_.-]+)*>)").ok()
        })
        .as_ref()
    else {
        return Vec::new();
    };
    // Only outside quotes: `echo "<empty>"` prints it, while an unquoted
    // `<volume>` is a hole (as shell, a broken redirection).
    let mut bare = String::with_capacity(script.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for ch in script.chars() {
        let inside = quote.is_some();
        match (quote, ch) {
            _ if escaped => escaped = false,
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (None, '\'' | '"') => quote = Some(ch),
            (q, '\\') if q != Some('\'') => escaped = true,
            _ => {}
        }
        bare.push(if inside || quote.is_some() { ' ' } else { ch });
    }
    let mut out: Vec<String> = Vec::new();
    for c in re.captures_iter(&bare) {
        if let Some(m) = c.get(1) {
            let h = m.as_str().to_string();
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    out
}

/// Does a block look like it changes something? Then it is confirmed
/// before it runs, unless the block says `dangerous=false`.
fn looks_destructive(script: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?m)(?:^|[\s;|&(`])(?:sudo|rm|rmdir|dd|mkfs(?:\.\w+)?|wipefs|fdisk|kill|pkill|killall|reboot|shutdown|halt|poweroff|truncate)(?:\s|$)|\b(?:delete|drop|destroy|drain|cordon|scale|restart|stop|rollback|undo|uninstall|upgrade|apply|patch|replace|purge|terminate|failover|promote|reconcile|accept-dataloss|flushall|flushdb)\b|--force\b",
        )
        .ok()
    })
    .as_ref()
    .is_some_and(|re| re.is_match(script))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(src: &str) -> Playbook {
        match parse(
            Path::new("ops/x.md"),
            src,
            Source::File("ops/x.md".into()),
            None,
        ) {
            Ok(p) => p,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn fence_attributes_in_both_runme_forms() {
        let (l, a) = split_info(r#"sh {"name":"restart","interactive":false}"#);
        assert_eq!(l, "sh");
        let a = a.unwrap();
        assert_eq!(a["name"], "restart");
        assert_eq!(a["interactive"], "false");
        let (l, a) = split_info("sh { name=restart interactive=false }");
        assert_eq!(l, "sh");
        assert_eq!(a.unwrap()["name"], "restart");
        let (l, a) = split_info(r#"{"name": "bash-echo-2"}"#);
        assert_eq!(l, "");
        assert_eq!(a.unwrap()["name"], "bash-echo-2");
        assert!(split_info(r#"sh { name="open }"#).1.is_err());
    }

    #[test]
    fn a_session_block_runs_its_commands_not_its_output() {
        let (s, out) =
            commands_of("$ kubectl get pods\nNAME  READY\nweb-1 1/1\n$ echo a \\\n  b\n");
        assert_eq!(s, "kubectl get pods\necho a \\\n  b");
        assert_eq!(out, vec!["NAME  READY", "web-1 1/1"]);
    }

    #[test]
    fn placeholders_are_found_and_heredocs_are_not() {
        assert_eq!(
            placeholders("praefect -virtual-storage <virtual-storage> -target <outdated-storage>"),
            vec!["<virtual-storage>", "<outdated-storage>"]
        );
        assert!(placeholders("cat <<EOF\nx\nEOF\nwc -l < /etc/hosts 2>&1").is_empty());
        assert!(
            placeholders("echo \"<empty>\" '<x>'").is_empty(),
            "quoted: text"
        );
        assert_eq!(
            placeholders("a \\\"<v>"),
            vec!["<v>"],
            "an escaped quote opens nothing"
        );
    }

    #[test]
    fn headings_blocks_tasks_and_links_become_steps() {
        let pb = load(
            "# Disk full\n\nThe disk fills.\n\n## Diagnosis\n\nLook first.\n\n```sh\ndf -h /var\n```\n\nThen the biggest:\n\n```bash {\"name\":\"biggest\"}\ndu -sh /var/* | sort -h | tail\n```\n\n## Checklist\n\n- [ ] paged storage\n- [ ] told support\n\n## More\n\nSee [Debugging](https://example.com/debug)\n",
        );
        assert_eq!(pb.title, "Disk full");
        assert_eq!(pb.description, "The disk fills.");
        let titles: Vec<&str> = pb.steps.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            vec![
                "Diagnosis",
                "Diagnosis: biggest",
                "paged storage",
                "told support",
                "Debugging"
            ]
        );
        assert_eq!(pb.steps[0].kind_name(), "command");
        assert_eq!(pb.steps[0].text, "Look first.");
        let StepKind::Command(c) = &pb.steps[1].kind else {
            panic!()
        };
        assert!(matches!(&c.run, Run::Script { shell, .. } if shell == "bash"));
        assert!(!c.dangerous);
        assert_eq!(pb.steps[2].kind_name(), "check");
        assert!(
            matches!(&pb.steps[4].kind, StepKind::Link { url } if url == "https://example.com/debug")
        );
    }

    #[test]
    fn exports_become_inputs_passed_as_environment() {
        let pb = load(
            "## Restart\n\n```sh\n$ export NAMESPACE=\"default\"\n$ export POD=\"<pod>\"\n$ kubectl -n \"$NAMESPACE\" delete pod \"$POD\"\n```\n",
        );
        let names: Vec<&str> = pb.inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, vec!["namespace", "pod"]);
        assert_eq!(pb.inputs[0].default.as_deref(), Some("default"));
        assert!(pb.inputs[1].required);
        assert_eq!(pb.inputs[1].from_label.as_deref(), Some("pod"));
        let StepKind::Command(c) = &pb.steps[0].kind else {
            panic!()
        };
        assert!(c.dangerous, "delete is confirmed");
        assert_eq!(c.env.get("POD").map(String::as_str), Some("{{pod}}"));
        let Run::Script { text, .. } = &c.run else {
            panic!()
        };
        assert_eq!(text, "kubectl -n \"$NAMESPACE\" delete pod \"$POD\"\n");
    }

    #[test]
    fn a_near_miss_in_front_matter_names_its_line() {
        let e = parse(
            Path::new("x.md"),
            "---\ntitle: X\napplies-to: '{a=\"b\"}'\n---\n\n## A\n\ntext\n",
            Source::File("x.md".into()),
            None,
        )
        .unwrap_err();
        assert_eq!(e[0].line, Some(3));
        assert!(e[0].message.contains("applies_to"), "{}", e[0].message);
    }

    #[test]
    fn a_bad_yaml_front_matter_names_its_line() {
        let e = parse(
            Path::new("x.md"),
            "---\ntitle: X\ninputs:\n  - name: a\n    typo: 1\n---\n\n## A\n\ntext\n",
            Source::File("x.md".into()),
            None,
        )
        .unwrap_err();
        assert!(e[0].message.contains("typo"), "{}", e[0].message);
        assert!(
            e[0].line.is_some_and(|l| (3..=5).contains(&l)),
            "{:?}",
            e[0]
        );
    }
}
