//! Every string literal of the source, read back by a test: a message must not carry a run of
//! spaces nobody meant. Two mistakes put one there, and rustfmt fixes neither:
//!
//! - a literal that goes on to the next line without a `\` at the end, so the next line's
//!   indentation becomes part of the message ("their                  passwords");
//! - a run of three or more spaces between two words inside a line.
//!
//! Layout on purpose (a column gap, an aligned label, a SQL schema) says so with a comment
//! holding `layout:` on the literal's first line or the line above it.

/// A string literal as written: where it starts, and its text with escapes read (`\n` is a
/// line break; any other escape stands for one visible character).
#[derive(Debug, PartialEq, Eq)]
struct Literal {
    line: usize,
    text: String,
    /// `r"…"`: it cannot use a `\` continuation, so its line breaks are meant.
    raw: bool,
}

/// The string literals of Rust source `src`, comments skipped.
fn literals(src: &str) -> Vec<Literal> {
    let mut scan = Scanner {
        chars: src.chars().collect(),
        i: 0,
        line: 1,
        out: Vec::new(),
    };
    while let Some(&c) = scan.chars.get(scan.i) {
        let next = scan.chars.get(scan.i + 1).copied();
        match c {
            '\n' => {
                scan.line += 1;
                scan.i += 1;
            }
            '/' if next == Some('/') => scan.line_comment(),
            '/' if next == Some('*') => scan.block_comment(),
            '\'' => scan.char_or_lifetime(next),
            'r' | 'b' if scan.i == 0 || !ident(scan.chars[scan.i - 1]) => scan.prefixed(c),
            '"' => scan.quoted(),
            _ => scan.i += 1,
        }
    }
    scan.out
}

fn ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A walk through the source: where it is, on which line, and the literals found so far.
struct Scanner {
    chars: Vec<char>,
    i: usize,
    line: usize,
    out: Vec<Literal>,
}

impl Scanner {
    fn line_comment(&mut self) {
        while self.i < self.chars.len() && self.chars[self.i] != '\n' {
            self.i += 1;
        }
    }

    /// `/* … */`, nested as Rust nests them.
    fn block_comment(&mut self) {
        let chars = &self.chars;
        let mut depth = 0;
        while self.i < chars.len() {
            match (chars[self.i], chars.get(self.i + 1)) {
                ('/', Some('*')) => {
                    depth += 1;
                    self.i += 2;
                }
                ('*', Some('/')) => {
                    depth -= 1;
                    self.i += 2;
                    if depth == 0 {
                        break;
                    }
                }
                ('\n', _) => {
                    self.line += 1;
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
    }

    /// A char literal ('"', '\'', '\u{1b}') or a lifetime ('a).
    fn char_or_lifetime(&mut self, next: Option<char>) {
        if next == Some('\\') {
            self.i += 2;
            while self.i < self.chars.len() && self.chars[self.i] != '\'' {
                self.i += 1;
            }
            self.i += 1;
        } else if self.chars.get(self.i + 2) == Some(&'\'') {
            self.i += 3;
        } else {
            self.i += 1;
        }
    }

    /// r"…", r#"…"#, br"…", b"…": only when a quote follows the prefix; otherwise the word
    /// that starts with `c` is skipped.
    fn prefixed(&mut self, c: char) {
        let i = self.i;
        let mut j = i + 1;
        if c == 'b' && self.chars.get(j) == Some(&'r') {
            j += 1;
        }
        let raw = c == 'r' || j == i + 2;
        let mut hashes = 0;
        while raw && self.chars.get(j) == Some(&'#') {
            hashes += 1;
            j += 1;
        }
        if self.chars.get(j) != Some(&'"') {
            self.i += 1;
            while self.i < self.chars.len() && ident(self.chars[self.i]) {
                self.i += 1;
            }
        } else if raw {
            self.raw(j, hashes);
        } else {
            self.i = j;
        }
    }

    /// A raw string whose opening quote is at `j`, closed by a quote and `hashes` hashes.
    fn raw(&mut self, mut j: usize, hashes: usize) {
        let chars = &self.chars;
        let start = self.line;
        let mut text = String::new();
        j += 1;
        while j < chars.len() {
            if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                break;
            }
            if chars[j] == '\n' {
                self.line += 1;
            }
            text.push(chars[j]);
            j += 1;
        }
        self.out.push(Literal {
            line: start,
            text,
            raw: true,
        });
        self.i = j + 1 + hashes;
    }

    /// A "…" string, its escapes read.
    fn quoted(&mut self) {
        let start = self.line;
        let mut text = String::new();
        self.i += 1;
        while self.i < self.chars.len() && self.chars[self.i] != '"' {
            match self.chars[self.i] {
                '\\' => self.escape(&mut text),
                '\n' => {
                    // A line break in the source: kept, as the compiler keeps it.
                    text.push('\u{2028}');
                    self.line += 1;
                    self.i += 1;
                }
                ch => {
                    text.push(ch);
                    self.i += 1;
                }
            }
        }
        self.out.push(Literal {
            line: start,
            text,
            raw: false,
        });
        self.i += 1;
    }

    /// The escape at the backslash under `i`.
    fn escape(&mut self, text: &mut String) {
        match self.chars.get(self.i + 1) {
            // A continuation: the line break and the indentation are not text.
            Some('\n') => {
                self.i += 1;
                while self.i < self.chars.len() && self.chars[self.i].is_whitespace() {
                    if self.chars[self.i] == '\n' {
                        self.line += 1;
                    }
                    self.i += 1;
                }
            }
            Some('n') => {
                text.push('\n');
                self.i += 2;
            }
            Some('t') => {
                text.push('\t');
                self.i += 2;
            }
            Some('u') => {
                text.push('x');
                while self.i < self.chars.len() && self.chars[self.i] != '}' {
                    self.i += 1;
                }
                self.i += 1;
            }
            _ => {
                text.push('x');
                self.i += 2;
            }
        }
    }
}

/// What is wrong with a literal's spaces, if anything.
fn stray_spaces(lit: &Literal) -> Option<&'static str> {
    // U+2028 marks a line break written in the source (not `\n`): followed by indentation, it
    // is the next line's indent inside the message.
    if !lit.raw
        && lit
            .text
            .split('\u{2028}')
            .skip(1)
            .any(|l| l.starts_with([' ', '\t']))
    {
        return Some("goes on to a new line without a `\\`: the indentation is in the message");
    }
    let interior = lit.text.split(['\n', '\u{2028}']).any(|l| {
        let words = l.trim();
        words.contains("   ")
    });
    interior.then_some("has a run of 3 or more spaces between words")
}

/// Whether the source says this literal's spaces are layout on purpose.
fn marked_layout(lines: &[&str], line: usize) -> bool {
    let at = |n: usize| n.checked_sub(1).and_then(|i| lines.get(i));
    [at(line), at(line.saturating_sub(1))]
        .into_iter()
        .flatten()
        .any(|l| {
            l.split_once("//")
                .is_some_and(|(_, c)| c.contains("layout:"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read src")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn no_message_in_the_source_carries_a_stray_run_of_spaces() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        assert!(files.len() > 50, "the source was found: {}", files.len());
        let mut found = Vec::new();
        let mut read = 0;
        for path in &files {
            let src = std::fs::read_to_string(path).expect("read a source file");
            let lines: Vec<&str> = src.lines().collect();
            for lit in literals(&src) {
                read += 1;
                if let Some(why) = stray_spaces(&lit)
                    && !marked_layout(&lines, lit.line)
                {
                    let rel = path.strip_prefix(root).unwrap_or(path);
                    found.push(format!("{}:{}: {why}", rel.display(), lit.line));
                }
            }
        }
        assert!(read > 2000, "the literals were read: {read}");
        assert!(
            found.is_empty(),
            "stray spaces in {} (use a `\\` continuation, or say `// layout: why` above \
             deliberate spacing):\n{}",
            crate::text::count(found.len(), "string", "strings"),
            found.join("\n")
        );
    }

    /// Source text with `_` standing for a space, so this file's own literals stay clean.
    fn src(s: &str) -> String {
        s.replace('_', " ")
    }

    #[test]
    fn a_line_break_without_a_backslash_and_an_inner_run_are_found() {
        let code = src(
            "let a = \"their\n________passwords\";\nlet b = \"one_\\\n________two\";\n\
             let c = \"a___b\";\nlet d = \"___indent and pad___\";\nlet e = \"x\\n___y\";",
        );
        let lits = literals(&code);
        let why: Vec<Option<&str>> = lits.iter().map(stray_spaces).collect();
        assert_eq!(lits.len(), 5, "{lits:?}");
        assert!(why[0].is_some_and(|w| w.contains("new line")), "{why:?}");
        assert_eq!(
            lits[1].text,
            src("one_two"),
            "a continuation joins the words"
        );
        assert_eq!(why[1], None);
        assert!(why[2].is_some_and(|w| w.contains("run of 3")), "{why:?}");
        assert_eq!(why[3], None, "leading and trailing spaces are layout");
        assert_eq!(why[4], None, "an escaped line break may be indented");
        assert_eq!(lits[0].line, 1);
        assert_eq!(lits[2].line, 5);
    }

    #[test]
    fn comments_chars_lifetimes_and_raw_strings_do_not_confuse_it() {
        let code = src(
            "// \"a___b\" in a comment\n/* \"c___d\" /* nested */ */\nlet q = '\"';\n\
             fn f<'a>(x: &'a str) -> char { '\\'' }\nlet r = r#\"{\n__\"k\": 1\n}\"#;\n\
             let s = b\"e___f\";\nlet t = br\"g\";",
        );
        let lits = literals(&code);
        let texts: Vec<&str> = lits.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [src("{\n__\"k\": 1\n}").as_str(), &src("e___f"), "g"],
            "{lits:?}"
        );
        assert!(lits[0].raw && stray_spaces(&lits[0]).is_none());
        assert!(stray_spaces(&lits[1]).is_some());
    }

    #[test]
    fn a_layout_comment_allows_deliberate_spacing() {
        let code = src("// layout: two columns\nlet a = \"x___y\";\nlet b = \"x___y\";");
        let lines: Vec<&str> = code.lines().collect();
        let lits = literals(&code);
        assert!(marked_layout(&lines, lits[0].line));
        assert!(!marked_layout(&lines, lits[1].line));
    }
}
