//! Guardrails on the source tree itself: which layer may import which, and
//! how long a file may grow. They read `src/**/*.rs` as text, so they fail
//! the moment a forbidden `use` (or doc link) appears, whatever compiles.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Longest file allowed under `src/`, in lines.
const MAX_FILE_LINES: usize = 600;

/// Whether code in the top-level module `layer` may name the top-level module
/// `other` (through `crate::…`, `super::…` or a doc link).
fn allowed(layer: &str, other: &str) -> bool {
    if layer == other {
        return true;
    }
    match layer {
        "domain" => false,
        "config" => other == "domain",
        "db" => matches!(other, "domain" | "config"),
        "render" => !matches!(other, "notify" | "app" | "web" | "cli"),
        "notify" => !matches!(other, "app" | "web" | "cli"),
        "app" => !matches!(other, "web" | "cli"),
        // Logs and metrics: used by notify, app and web, so they import
        // nothing above config.
        "telemetry" => matches!(other, "domain" | "config"),
        _ => true,
    }
}

#[test]
fn layers_import_only_what_they_may() {
    let src = src_dir();
    let tops = top_level_modules(&src);
    let mut violations = Vec::new();
    for file in rust_files(&src) {
        let module = module_path(&src, &file);
        let Some(layer) = module.first() else {
            continue; // lib.rs and main.rs wire everything together
        };
        let text = fs::read_to_string(&file).expect("read source file");
        for (line, other) in references(&text, &module) {
            if tops.contains(&other) && !allowed(layer, &other) {
                violations.push(format!(
                    "{}:{line}: {layer} imports {other}",
                    display(&file)
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "{} forbidden import(s) between layers:\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[test]
fn no_source_file_is_longer_than_the_limit() {
    let mut offenders = Vec::new();
    for file in rust_files(&src_dir()) {
        let lines = fs::read_to_string(&file)
            .expect("read source file")
            .lines()
            .count();
        if lines > MAX_FILE_LINES {
            offenders.push(format!("{}: {lines} lines", display(&file)));
        }
    }
    assert!(
        offenders.is_empty(),
        "{} file(s) under src/ longer than {MAX_FILE_LINES} lines (split them into a folder module):\n{}",
        offenders.len(),
        offenders.join("\n")
    );
}

#[test]
fn the_scanner_resolves_groups_super_paths_and_doc_links() {
    let text = r#"
use crate::{db::Pool, notify::Wake};
use crate::{
    render,
    web::State,
};
/// See [`crate::app::Context`].
fn f() {
    let s = "crate::cli is only a string { with a brace";
    let c = '{';
    let _: &'static str = s;
}
mod inner {
    use super::super::config;
    use super::super::super::super::ignored;
}
use super::super::{error, telemetry as t};
macro_rules! m { () => { $crate::hidden } }
"#;
    let found = references(text, &["db".into(), "models".into()]);
    let expected = [
        (2, "db"),
        (2, "notify"),
        (4, "render"),
        (5, "web"),
        (7, "app"),
        (14, "db"),
        (17, "error"),
        (17, "telemetry"),
    ];
    let expected: Vec<(usize, String)> = expected
        .iter()
        .map(|(line, name)| (*line, (*name).to_string()))
        .collect();
    assert_eq!(found, expected);
    assert!(!allowed("db", "notify"));
    assert!(allowed("db", "config"));
    assert!(!allowed("config", "db"));
    assert!(allowed("web", "app"));
    assert!(allowed("notify", "telemetry"));
    assert!(!allowed("telemetry", "app"));
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn display(file: &Path) -> String {
    file.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(file)
        .display()
        .to_string()
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("read source dir") {
            let path = entry.expect("source dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The crate's top-level modules: `src/<name>.rs` and `src/<name>/`.
fn top_level_modules(src: &Path) -> BTreeSet<String> {
    fs::read_dir(src)
        .expect("read src")
        .map(|entry| entry.expect("src entry").path())
        .filter_map(|path| {
            let name = path.file_stem()?.to_str()?.to_string();
            let module = path.is_dir() || path.extension().is_some_and(|e| e == "rs");
            (module && name != "lib" && name != "main").then_some(name)
        })
        .collect()
}

/// The module a file defines: `src/db/models/outbox.rs` → `[db, models,
/// outbox]`, `src/notify/mod.rs` → `[notify]`, `src/lib.rs` → `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("file under src");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    let crate_root = parts.is_empty() && matches!(stem, "lib" | "main");
    if stem != "mod" && !crate_root {
        parts.push(stem.to_string());
    }
    parts
}

/// The top-level module named by every `crate::…` and `super::…` path in
/// `text` (code, comments and doc links alike), with its line, for a file
/// defining `module`. String and char literals are skipped; inline `mod x {`
/// blocks are followed so `super` resolves from where it is written.
fn references(text: &str, module: &[String]) -> Vec<(usize, String)> {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        pos: 0,
        line: 1,
        depth: 0,
        inline: Vec::new(),
        module: module.to_vec(),
        found: Vec::new(),
    };
    scanner.run();
    scanner.found
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    depth: usize,
    /// Inline modules open at this point: name and the brace depth inside.
    inline: Vec<(String, usize)>,
    module: Vec<String>,
    found: Vec<(usize, String)>,
}

impl Scanner<'_> {
    fn peek(&self, offset: usize) -> u8 {
        self.bytes.get(self.pos + offset).copied().unwrap_or(0)
    }

    fn bump(&mut self) {
        if self.peek(0) == b'\n' {
            self.line += 1;
        }
        self.pos += 1;
    }

    fn run(&mut self) {
        while self.pos < self.bytes.len() {
            match (self.peek(0), self.peek(1)) {
                (b'/', b'/') => self.line_comment(),
                (b'/', b'*') => self.block_comment(),
                (b'"', _) => self.string(),
                (b'\'', _) => self.quote(),
                (b'{', _) => {
                    self.depth += 1;
                    self.bump();
                }
                (b'}', _) => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.inline.last().is_some_and(|(_, d)| self.depth < *d) {
                        self.inline.pop();
                    }
                    self.bump();
                }
                (c, _) if is_ident_start(c) => self.word(true),
                _ => self.bump(),
            }
        }
    }

    /// Comments are scanned for paths too (doc links count), but their
    /// braces and quotes are prose.
    fn line_comment(&mut self) {
        while self.pos < self.bytes.len() && self.peek(0) != b'\n' {
            self.comment_char();
        }
    }

    fn block_comment(&mut self) {
        let mut nesting = 0;
        while self.pos < self.bytes.len() {
            match (self.peek(0), self.peek(1)) {
                (b'/', b'*') => {
                    nesting += 1;
                    self.pos += 2;
                }
                (b'*', b'/') => {
                    nesting -= 1;
                    self.pos += 2;
                    if nesting == 0 {
                        return;
                    }
                }
                _ => self.comment_char(),
            }
        }
    }

    fn comment_char(&mut self) {
        if is_ident_start(self.peek(0)) {
            self.word(false);
        } else {
            self.bump();
        }
    }

    fn string(&mut self) {
        self.bump();
        while self.pos < self.bytes.len() && self.peek(0) != b'"' {
            if self.peek(0) == b'\\' {
                self.bump();
            }
            self.bump();
        }
        self.bump();
    }

    fn raw_string(&mut self) {
        // At `r`, `br` already consumed up to the `r`.
        self.bump();
        let mut hashes = 0;
        while self.peek(0) == b'#' {
            hashes += 1;
            self.bump();
        }
        self.bump(); // the opening quote
        while self.pos < self.bytes.len() {
            if self.peek(0) == b'"' && (1..=hashes).all(|i| self.peek(i) == b'#') {
                self.pos += 1 + hashes;
                return;
            }
            self.bump();
        }
    }

    /// A char literal (`'{'`, `'\n'`) or a lifetime (`'a`).
    fn quote(&mut self) {
        self.bump();
        if self.peek(0) == b'\\' {
            self.pos += 2;
            while self.pos < self.bytes.len() && self.peek(0) != b'\'' {
                self.bump();
            }
            self.bump();
        } else if self.peek(1) == b'\'' {
            self.pos += 2;
        }
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while is_ident_char(self.peek(0)) {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.bytes[start..self.pos]).into_owned()
    }

    fn skip_space(&mut self) {
        while self.peek(0).is_ascii_whitespace() {
            self.bump();
        }
    }

    fn path_sep(&mut self) -> bool {
        self.skip_space();
        if self.peek(0) == b':' && self.peek(1) == b':' {
            self.pos += 2;
            self.skip_space();
            true
        } else {
            false
        }
    }

    /// An identifier; in code (not comments) also raw strings and inline
    /// `mod` blocks.
    fn word(&mut self, code: bool) {
        let before = self.pos.checked_sub(1).map(|i| self.bytes[i]);
        let after_sep = self.pos >= 2 && &self.bytes[self.pos - 2..self.pos] == b"::";
        let c = self.peek(0);
        if code && (c == b'r' || c == b'b') {
            let r = usize::from(c == b'b');
            let hashes = (r + 1..).take_while(|&i| self.peek(i) == b'#').count();
            if self.peek(r) == b'r' && self.peek(r + 1 + hashes) == b'"' {
                self.pos += r;
                return self.raw_string();
            }
        }
        let word = self.ident();
        match word.as_str() {
            "crate" if before != Some(b'$') && !after_sep && self.path_sep() => {
                self.targets(Vec::new());
            }
            "super" if !after_sep => {
                let mut ups = 1;
                let mut open = false;
                while self.path_sep() {
                    let save = (self.pos, self.line);
                    if self.ident() == "super" {
                        ups += 1;
                    } else {
                        (self.pos, self.line) = save;
                        open = true;
                        break;
                    }
                }
                if open {
                    let mut here = self.module.clone();
                    here.extend(self.inline.iter().map(|(name, _)| name.clone()));
                    if ups <= here.len() {
                        here.truncate(here.len() - ups);
                        self.targets(here);
                    }
                }
            }
            "mod" if code => {
                self.skip_space();
                let name = self.ident();
                self.skip_space();
                if !name.is_empty() && self.peek(0) == b'{' {
                    self.inline.push((name, self.depth + 1));
                }
            }
            _ => {}
        }
    }

    /// After `crate::` or `super::`: `base` is the module reached so far
    /// (empty at the crate root). Records the top-level module of the name or
    /// of each item of a `{…}` group.
    fn targets(&mut self, base: Vec<String>) {
        if let Some(top) = base.first() {
            self.found.push((self.line, top.clone()));
            return;
        }
        if self.peek(0) != b'{' {
            let line = self.line;
            let name = self.ident();
            if !name.is_empty() {
                self.found.push((line, name));
            }
            return;
        }
        // A group: the first identifier of each top-level item.
        self.bump();
        let mut nesting = 1;
        let mut item_start = true;
        while self.pos < self.bytes.len() && nesting > 0 {
            match self.peek(0) {
                b'{' => nesting += 1,
                b'}' => nesting -= 1,
                b',' if nesting == 1 => item_start = true,
                c if item_start && nesting == 1 && is_ident_start(c) => {
                    let line = self.line;
                    let name = self.ident();
                    self.found.push((line, name));
                    item_start = false;
                    continue;
                }
                _ => {}
            }
            self.bump();
        }
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
