//! The documentation's links: every relative link in the README, `docs/` and the crates'
//! READMEs names a file that exists, every `#anchor` a heading of that file, and every page of
//! `docs/` can be reached from the README. External links are not fetched (tests run offline).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .expect("the manifest dir")
}

/// Every Markdown file the docs consist of.
fn pages() -> Vec<PathBuf> {
    let root = root();
    let mut pages = vec![root.join("README.md")];
    for dir in ["docs", "crates"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .flat_map(|p| {
                if p.is_dir() {
                    vec![p.join("README.md")]
                } else {
                    vec![p]
                }
            })
            .filter(|p| p.extension().is_some_and(|e| e == "md") && p.is_file())
            .collect();
        found.sort();
        pages.extend(found);
    }
    pages
}

/// The lines of a Markdown file outside fenced code blocks, with inline code removed, so a
/// `[x](y)` or a `# comment` inside code is neither a link nor a heading.
fn prose(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut out = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                out.push_str(part);
            }
        }
        lines.push(out);
    }
    lines
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens; a
/// repeated heading gets `-1`, `-2`, ….
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let slug: String = title
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .flat_map(char::to_lowercase)
            .collect();
        let n = seen.entry(slug.clone()).or_default();
        out.insert(if *n == 0 {
            slug.clone()
        } else {
            format!("{slug}-{n}")
        });
        *n += 1;
    }
    out
}

/// The targets of the `[text](target)` and `![alt](target)` links in a file's prose.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            match after.find(')') {
                Some(end) => {
                    out.push(after[..end].to_string());
                    rest = &after[end..];
                }
                None => break,
            }
        }
    }
    out
}

/// Each broken link of `page`, in words.
fn broken(page: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(page).expect("page");
    let mut broken = Vec::new();
    for target in links(&text) {
        if target.starts_with("http://") || target.starts_with("https://") {
            continue;
        }
        let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
        let file = if path.is_empty() {
            page.to_path_buf()
        } else {
            page.parent().expect("a folder").join(path)
        };
        if !file.exists() {
            broken.push(format!("{target}: no such file"));
            continue;
        }
        if !anchor.is_empty() {
            let headings = anchors(&std::fs::read_to_string(&file).expect("target"));
            if !headings.contains(anchor) {
                broken.push(format!(
                    "{target}: no heading #{anchor} there: {headings:?}"
                ));
            }
        }
    }
    broken
}

#[test]
fn every_link_in_the_docs_resolves() {
    let root = root();
    let mut all = Vec::new();
    for page in pages() {
        let name = page
            .strip_prefix(&root)
            .unwrap_or(&page)
            .display()
            .to_string();
        all.extend(broken(&page).into_iter().map(|b| format!("{name}: {b}")));
    }
    assert!(all.is_empty(), "broken links:\n{}", all.join("\n"));
}

#[test]
fn every_page_of_the_docs_is_reachable_from_the_readme() {
    let root = root();
    let mut reached = BTreeSet::new();
    let mut queue = vec![root.join("README.md")];
    while let Some(page) = queue.pop() {
        if !reached.insert(page.clone()) {
            continue;
        }
        let text = std::fs::read_to_string(&page).expect("page");
        for target in links(&text) {
            let path = target.split('#').next().unwrap_or_default();
            if path.ends_with(".md") && !path.starts_with("http") {
                let next = page.parent().expect("folder").join(path);
                if let Ok(next) = next.canonicalize() {
                    queue.push(next);
                }
            }
        }
    }
    for page in pages() {
        assert!(
            reached.contains(&page),
            "{} is not linked from the README or a page it links to",
            page.display()
        );
    }
}

#[test]
fn the_anchor_rule_is_githubs() {
    let text =
        "# Hand-off: a password or a Temporary Access Pass\n## `c` again\n## Keys\n## Keys\n";
    let got = anchors(text);
    for want in [
        "hand-off-a-password-or-a-temporary-access-pass",
        "c-again",
        "keys",
        "keys-1",
    ] {
        assert!(got.contains(want), "{want} in {got:?}");
    }
    assert_eq!(
        links("a [b](c.md#d) `[e](f)` ![g](h.png)"),
        ["c.md#d", "h.png"]
    );
}
