//! Width-aware text: display columns (CJK and emoji take two), truncation with `…`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use unicode_segmentation::UnicodeSegmentation;
use unicode_truncate::UnicodeTruncateStr;
use unicode_width::UnicodeWidthStr;

fn unsafe_char(c: char) -> bool {
    c.is_control() || undelete_common::sanitize::is_bidi_control(c)
}

/// Columns a grapheme takes, measured the way ratatui's buffer does (one grapheme at a time).
fn grapheme_width(g: &str) -> usize {
    if g.chars().any(unsafe_char) {
        0
    } else {
        g.width()
    }
}

/// Display width in terminal columns.
pub fn width(s: &str) -> usize {
    if s.is_ascii() {
        return s.bytes().filter(|b| !b.is_ascii_control()).count();
    }
    // Most names are letters that are each a grapheme of their own: their widths add up
    // without segmenting the text (a tenth of the cost). Between two such letters a grapheme
    // always ends, so only the stretches between those ends that hold anything else (an
    // emoji sequence, a mark) are segmented and measured grapheme by grapheme.
    let measured = |stretch: &str| stretch.graphemes(true).map(grapheme_width).sum::<usize>();
    let mut total = 0;
    // The stretch since the last certain end: where it starts, its width if it is plain.
    let mut start = 0;
    let mut plain = Some(0);
    let mut after_alone = false;
    for (at, c) in s.char_indices() {
        let alone = c.is_ascii() || stands_alone(c);
        if alone && after_alone {
            total += plain.unwrap_or_else(|| measured(&s[start..at]));
            start = at;
            plain = Some(0);
        }
        plain = plain.filter(|_| alone).map(|w| w + alone_width(c));
        after_alone = alone;
    }
    total + plain.unwrap_or_else(|| measured(&s[start..]))
}

/// The width of a character that is a grapheme of its own (`stands_alone`, or ASCII: a
/// control is one too, or with CR LF two that are 0 wide either way).
fn alone_width(c: char) -> usize {
    if c.is_ascii() {
        usize::from(!c.is_ascii_control())
    } else {
        unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
    }
}

/// Letters that never join a neighbour into one grapheme (no marks, joiners, prepended
/// signs, regional indicators or Hangul jamo) and are not controls: Latin, Greek, Cyrillic,
/// Hebrew and Arabic letters, kana, CJK ideographs and Hangul syllables. A string of them
/// and printable ASCII is as wide as its characters (a test checks each one).
fn stands_alone(c: char) -> bool {
    matches!(c,
        '\u{a0}'..='\u{ac}' | '\u{ae}'..='\u{2ff}' | '\u{370}'..='\u{482}'
        | '\u{48a}'..='\u{52f}' | '\u{5d0}'..='\u{5ea}' | '\u{620}'..='\u{64a}'
        | '\u{1e00}'..='\u{1fff}' | '\u{3041}'..='\u{3096}' | '\u{309b}'..='\u{30ff}'
        | '\u{4e00}'..='\u{9fff}' | '\u{ac00}'..='\u{d7a3}')
}

/// `s` cut to at most `max` display columns, ending in `…` when it was cut. Never splits a wide
/// character or an emoji sequence. Controls and bidi overrides, which `sanitize` already
/// removed from server strings, are dropped again here so nothing can move the cursor.
pub fn fit(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    if s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        // Printable ASCII (most cells): a column a byte, nothing to clean.
        if s.len() <= max {
            return s.to_string();
        }
        let mut out = String::with_capacity(max - 1 + '…'.len_utf8());
        out.push_str(&s[..max - 1]);
        out.push('…');
        return out;
    }
    fit_graphemes(s, max)
}

/// `fit` for any text, grapheme by grapheme.
fn fit_graphemes(s: &str, max: usize) -> String {
    let clean: Cow<'_, str> = if s.chars().any(unsafe_char) {
        Cow::Owned(
            s.graphemes(true)
                .filter(|g| !g.chars().any(unsafe_char))
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    };
    if width(&clean) <= max {
        return clean.into_owned();
    }
    // unicode-truncate cuts at grapheme boundaries measured with the same unicode-width as
    // `width` (and as ratatui's buffer), so the cut agrees with what is drawn.
    let (cut, _) = clean.unicode_truncate(max - 1);
    // Text cut before (a label's part, then the line it is in) ends in one `…`, not two, nor
    // `… ·…` when the second cut lands just past the separator after the first.
    let cut = match cut.trim_end().trim_end_matches(['·', '│']).trim_end() {
        again if again.ends_with('…') => again.trim_end_matches('…'),
        _ => cut,
    };
    let mut out = String::with_capacity(cut.len() + '…'.len_utf8());
    out.push_str(cut);
    out.push('…');
    out
}

/// Word-wraps plain text to `w` columns; a word wider than a line is cut with `…`.
///
/// Ours, not textwrap's: textwrap measures a string char by char (a ZWJ emoji sequence such
/// as 👩‍💻 counts 4 columns where the terminal and ratatui's buffer draw 2), splits long words
/// between the chars of a grapheme, and its default line breaking pulls in ICU segmentation.
/// The wrapped lines here must measure what is drawn, grapheme by grapheme.
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        if !cur.is_empty() && width(&cur) + 1 + width(word) > w {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter().map(|l| fit(&l, w)).collect()
}

/// `fit`, then padded with spaces to exactly `cols` columns (unicode-truncate's `unicode_pad`
/// cuts without the `…`).
pub fn pad(s: &str, cols: usize) -> String {
    let mut out = fit(s, cols);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    out
}

/// A span of time in its largest whole unit: "2 days", "5 hours", "40 minutes".
pub fn span(d: chrono::Duration) -> String {
    if d.num_days() >= 1 {
        count(d.num_days() as usize, "day", "days")
    } else if d.num_hours() >= 1 {
        count(d.num_hours() as usize, "hour", "hours")
    } else {
        count(d.num_minutes().max(0) as usize, "minute", "minutes")
    }
}

/// Counts in words ("1 user", "3 users"; "is"/"are"), the one rule the sandbox shares.
pub use undelete_common::words::{count, plural};

/// A moment as the sign-in mail says it, date and zone included: "2026-12-07 02:16 UTC".
/// Every screen that names a pass's expiry uses it, so the screen and the mail agree.
pub fn utc_moment(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// "3d ago", "5h ago", "just now"; shared by the table, the details pane and `undelete list`.
pub fn ago(then: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(then) = then else {
        return "—".into();
    };
    let secs = (now - then).num_seconds().max(0);
    match secs {
        s if s >= 86_400 => format!("{}d ago", s / 86_400),
        s if s >= 3_600 => format!("{}h ago", s / 3_600),
        s if s >= 60 => format!("{}m ago", s / 60),
        _ => "just now".into(),
    }
}

/// Word-wraps `s` to `w` display columns; a word wider than that is split between graphemes
/// (see `wrap` for why not textwrap).
pub fn wrap_words(s: &str, w: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ').filter(|x| !x.is_empty()) {
        let need = if cur.is_empty() {
            width(word)
        } else {
            width(&cur) + 1 + width(word)
        };
        if need <= w {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        let mut pieces = chunks(word, w);
        let last = pieces.pop().unwrap_or_default();
        out.extend(pieces);
        cur = last;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Wraps `s` to `w` display columns where a reader expects a break: after a space, `.`, `@`,
/// `-`, `_`, `#`, `,` or `;`, so an address splits as "alex.wilber@" / "contoso.sandbox";
/// a piece wider than a line is split between graphemes.
pub fn wrap_at_breaks(s: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut tokens: Vec<&str> = Vec::new();
    let mut from = 0;
    for (i, c) in s.char_indices() {
        if matches!(c, ' ' | '.' | '@' | '-' | '_' | '#' | ',' | ';') {
            let end = i + c.len_utf8();
            tokens.push(&s[from..end]);
            from = end;
        }
    }
    if from < s.len() {
        tokens.push(&s[from..]);
    }
    // A domain that fits a line stays whole: "alex.wilber@" / "contoso.sandbox".
    if let Some(at) = s.rfind('@')
        && width(&s[at + 1..]) <= w
        && let Some(k) = tokens.iter().position(|t| t.ends_with('@'))
    {
        let domain_start = tokens[..=k].iter().map(|t| t.len()).sum::<usize>();
        if domain_start == at + 1 && domain_start < s.len() {
            tokens.truncate(k + 1);
            tokens.push(&s[domain_start..]);
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for t in tokens {
        if width(&cur) + width(t.trim_end()) <= w {
            cur.push_str(t);
            continue;
        }
        if !cur.is_empty() {
            out.push(cur.trim_end().to_string());
        }
        let mut pieces = chunks(t, w);
        cur = pieces.pop().unwrap_or_default();
        out.extend(pieces);
    }
    let cur = cur.trim_end();
    if !cur.is_empty() {
        out.push(cur.to_string());
    }
    out
}

/// Splits `s` into pieces of at most `w` display columns (hard wrap, for ids and addresses).
pub fn chunks(s: &str, w: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let gw = width(g);
        if used + gw > w && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
            used = 0;
        }
        cur.push_str(g);
        used += gw;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_that_stand_alone_measure_as_their_graphemes_do() {
        let mut alone = 0;
        for c in (0xa0..0xd7a4)
            .filter_map(char::from_u32)
            .filter(|c| stands_alone(*c))
        {
            alone += 1;
            let one = c.to_string();
            let slow: usize = one.graphemes(true).map(grapheme_width).sum();
            assert_eq!(width(&one), slow, "{c:?}");
            // Not a mark, joiner or spacing mark (it would join the letter before), not a
            // prepended sign (it would join the letter after), not a regional indicator or
            // a Hangul jamo (two of them join).
            for pair in [format!("a{c}"), format!("{c}a"), format!("{c}{c}")] {
                assert_eq!(pair.graphemes(true).count(), 2, "{pair:?}");
            }
        }
        assert!(alone > 30_000, "{alone}");
        // Mixed with what does join, the text is measured by graphemes.
        assert_eq!(width("Zoë Ødegård 山田"), 16);
        assert_eq!(width("Zoe\u{308} 👩\u{200d}💻"), 6);
        assert_eq!(width("가\u{11a8}각"), 4);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        #[test]
        fn printable_ascii_fits_as_its_graphemes_do(text in "[ -~]{0,12}", max in 1usize..14) {
            proptest::prop_assert_eq!(fit(&text, max), fit_graphemes(&text, max));
        }

        // Letters that stand alone beside marks, joiners, emoji and their modifiers, regional
        // indicators, prepended and spacing marks, Hangul jamo, controls and CR LF.
        #[test]
        fn measuring_in_stretches_is_measuring_graphemes(
            text in "[a-z0-9 \\r\\n\\x07©®éŁ山김\u{1100}\u{1161}\u{11a8}\u{301}\u{200d}\u{fe0f}👩💻\u{1f3fd}\u{1f1e6}\u{1f1ea}\u{600}\u{903}\u{915}\u{94d}\u{e33}\u{202e}]{0,16}"
        ) {
            let slow: usize = text.graphemes(true).map(grapheme_width).sum();
            proptest::prop_assert_eq!(width(&text), slow);
        }
    }

    #[test]
    fn a_count_says_one_in_the_singular() {
        assert_eq!(count(1, "user", "users"), "1 user");
        assert_eq!(count(0, "user", "users"), "0 users");
        assert_eq!(count(3, "restore", "restores"), "3 restores");
    }

    #[test]
    fn wide_characters_count_twice_and_are_never_split() {
        assert_eq!(width("日本"), 4);
        assert_eq!(fit("日本語テキスト", 5), "日本…");
        assert_eq!(width(&fit("日本語テキスト", 6)), 5);
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("abcd", 3), "ab…");
        assert_eq!(fit("abcd", 0), "");
    }

    #[test]
    fn text_cut_twice_ends_in_one_ellipsis() {
        // A label whose domain was cut, cut again right after it.
        assert_eq!(fit("contoso… · admin@contoso", 9), "contoso…");
        assert_eq!(fit("contoso… · admin@contoso", 10), "contoso…");
        assert_eq!(fit("contoso…", 8), "contoso…");
        assert_eq!(fit("contoso…", 5), "cont…");
        // Cut just past the separator that followed the first cut.
        assert_eq!(fit("contoso… · admin@contoso", 11), "contoso…");
        assert_eq!(fit("contoso… │ admin@contoso", 11), "contoso…");
        // A separator after whole text stays as it was.
        assert_eq!(fit("contoso · admin@contoso", 10), "contoso ·…");
    }

    #[test]
    fn emoji_fit_in_their_columns() {
        let s = "👩‍💻👩‍💻👩‍💻 team";
        assert!(width(&fit(s, 7)) <= 7);
        assert_eq!(width(&pad("😀x", 6)), 6);
    }

    #[test]
    fn fit_cuts_where_the_hand_written_loop_did() {
        // The loop unicode-truncate replaced: graphemes while they fit in `max - 1`.
        fn old_fit(s: &str, max: usize) -> String {
            let total = width(s);
            if total <= max {
                return s
                    .graphemes(true)
                    .filter(|g| !g.chars().any(unsafe_char))
                    .collect();
            }
            let mut out = String::new();
            let mut used = 0;
            for g in s.graphemes(true).filter(|g| !g.chars().any(unsafe_char)) {
                let w = grapheme_width(g);
                if used + w > max - 1 {
                    break;
                }
                out.push_str(g);
                used += w;
            }
            out.push('…');
            out
        }
        let samples = [
            "abcdef",
            "山田太郎",
            "a山b田c",
            "👩‍💻👩‍💻 team",
            "e\u{301}e\u{301}e\u{301}e\u{301}",
            "zero\u{200b}width\u{200b}",
            "x\u{1b}[31my\u{202e}z",
            "🇫🇷🇩🇪 flags",
        ];
        for s in samples {
            for max in 1..=14 {
                assert_eq!(fit(s, max), old_fit(s, max), "{s:?} in {max}");
                assert!(width(&fit(s, max)) <= max, "{s:?} in {max}");
            }
        }
    }

    #[test]
    fn addresses_wrap_after_their_separators() {
        assert_eq!(
            wrap_at_breaks("alex.wilber@contoso.sandbox", 20),
            ["alex.wilber@", "contoso.sandbox"]
        );
        assert_eq!(
            wrap_at_breaks("smtp:zoe_fabrikam.com#EXT#@contoso.onmicrosoft.com", 22),
            ["smtp:zoe_fabrikam.com#", "EXT#@contoso.", "onmicrosoft.com"]
        );
        assert_eq!(wrap_at_breaks("short", 20), ["short"]);
        // A piece wider than the line is split, and nothing is lost.
        let id = "7f3c2a1be4d94c0f8a6b5e1d2c3b4a59";
        let lines = wrap_at_breaks(id, 10);
        assert_eq!(lines.concat(), id);
        assert!(lines.iter().all(|l| width(l) <= 10));
        // From 2: a wide character alone is wider than one column.
        for w in 2..30 {
            for s in [
                "Priya Raghunathan-Srinivasan",
                "a.b@c.d",
                "山田太郎@例え.jp",
            ] {
                let lines = wrap_at_breaks(s, w);
                assert!(lines.iter().all(|l| width(l) <= w), "{s} {w}: {lines:?}");
                assert_eq!(lines.concat().replace(' ', ""), s.replace(' ', ""));
            }
        }
    }

    #[test]
    fn controls_and_bidi_overrides_never_come_out() {
        let s = "evil\u{1b}[31m\u{202e}moc.live";
        let out = fit(s, 40);
        assert!(!out.contains('\u{1b}'));
        assert!(!out.contains('\u{202e}'));
        assert!(width(&out) <= 40);
    }
}
