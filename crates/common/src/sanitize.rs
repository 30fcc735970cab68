//! Makes strings that came from a server safe to put on a terminal.
//!
//! A display name is attacker-controlled (anyone who can create a user can name it), and a
//! terminal obeys what it is sent: `ESC ] 0 ; title BEL` renames the window, `ESC ] 52` writes
//! the clipboard, CSI sequences move the cursor and repaint other rows, and bidi overrides make
//! `evil.com` read as `moc.live`. So every server string passes through `clean` in `wire.rs`
//! before it reaches a domain type: whole escape sequences are removed (not just their ESC, which
//! would leave `[31m` behind), controls are dropped, and line breaks become spaces so a name can
//! never spill onto the next table row.

use crate::lead_bytes;

/// The cleaned form of `s`: no C0/C1 controls, no DEL, no escape sequences, no bidi controls, no
/// invisible zero-width characters (a ZWJ between two emoji is kept, it joins them into one),
/// and tabs and line breaks turned into single spaces.
pub fn clean(s: &str) -> String {
    // Fast path: most names are plain and need no copy-by-char work beyond this scan.
    if is_plain(s) {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\u{1b}' => i = skip_escape(&chars, i),
            // C1 forms of CSI, OSC, DCS, SOS, PM and APC start a sequence just like ESC [ etc.
            '\u{9b}' => i = skip_csi(&chars, i + 1),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => i = skip_string(&chars, i + 1),
            '\r' if chars.get(i + 1) == Some(&'\n') => {
                push_space(&mut out);
                i += 2;
            }
            '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                push_space(&mut out);
                i += 1;
            }
            '\u{200d}' => {
                let joins_emoji = i > 0
                    && chars.get(i + 1).is_some_and(|n| is_emoji(*n))
                    && is_emoji_or_modifier(chars[i - 1]);
                if joins_emoji {
                    out.push(c);
                }
                i += 1;
            }
            c if is_removed(c) => i += 1,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// `clean` of a string already owned: a plain one (most are) is kept as it is, not copied.
pub fn clean_owned(s: String) -> String {
    if is_plain(&s) { s } else { clean(&s) }
}

/// True when `clean` would keep `s` as it is because nothing in it needs attention (a string
/// it would still keep whole, such as an emoji joined by a ZWJ, may say false). Only the
/// characters that start with a byte one needing attention can start with are decoded.
pub fn is_plain(s: &str) -> bool {
    !lead_bytes::candidates(s, &MAY_NEED_ATTENTION).any(|(_, c)| needs_attention(c))
}

/// The bytes the UTF-8 of a character `needs_attention` can start with: the C0 controls and
/// DEL, and the lead bytes of U+0080–U+00BF, U+0600–U+063F, U+1000–U+1FFF, U+2000–U+2FFF and
/// U+F000–U+FFFF.
const MAY_NEED_ATTENTION: [bool; 256] = lead_bytes::table(&[
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x7f, 0xc2, 0xd8, 0xe1, 0xe2, 0xef,
]);

/// `clean` for optional fields; an empty result stays `Some("")` so "present but blank" is kept.
pub fn clean_opt(s: Option<&str>) -> Option<String> {
    s.map(clean)
}

/// Whether `c` is something `clean` would change. Public so tests elsewhere can assert on it.
pub fn needs_attention(c: char) -> bool {
    c.is_control() || is_removed(c) || matches!(c, '\u{200d}' | '\u{2028}' | '\u{2029}')
}

fn is_removed(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || is_invisible(c)
}

/// The characters that change the direction text is drawn in (Unicode's explicit and isolate
/// formatting characters, the implicit marks and the Arabic letter mark).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
    )
}

/// Zero-width and other invisible format characters that let two different names look equal.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{200c}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
            | '\u{00ad}' | '\u{180e}' | '\u{206a}'..='\u{206f}'
    )
}

fn is_emoji(c: char) -> bool {
    matches!(c, '\u{1f000}'..='\u{1faff}' | '\u{2600}'..='\u{27bf}')
}

fn is_emoji_or_modifier(c: char) -> bool {
    // A skin tone modifier or a variation selector may sit between an emoji and its ZWJ.
    is_emoji(c) || matches!(c, '\u{1f3fb}'..='\u{1f3ff}' | '\u{fe0f}')
}

/// Collapses runs of whitespace made from line breaks, so "a\r\n\r\nb" reads "a b".
fn push_space(out: &mut String) {
    if !out.ends_with(' ') {
        out.push(' ');
    }
}

/// `chars[i]` is ESC: returns the index just past the whole sequence it starts.
fn skip_escape(chars: &[char], i: usize) -> usize {
    match chars.get(i + 1) {
        None => i + 1,
        Some('[') => skip_csi(chars, i + 2),
        // OSC, DCS, SOS, PM, APC: a string ended by BEL or ST.
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars, i + 2),
        Some(_) => {
            // nF sequences: intermediates (0x20-0x2F) then one final byte, e.g. ESC ( B.
            let mut j = i + 1;
            while chars
                .get(j)
                .is_some_and(|c| ('\u{20}'..='\u{2f}').contains(c))
            {
                j += 1;
            }
            match chars.get(j) {
                Some(c) if ('\u{30}'..='\u{7e}').contains(c) => j + 1,
                // Not a valid sequence: drop only what was consumed; the rest is cleaned as text.
                _ => j,
            }
        }
    }
}

/// Skips CSI parameters and intermediates up to and including the final byte (0x40-0x7E).
fn skip_csi(chars: &[char], mut j: usize) -> usize {
    while let Some(&c) = chars.get(j) {
        j += 1;
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return j;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            // A character that cannot be inside CSI ends it early; do not swallow real text.
            return j - 1;
        }
    }
    j
}

/// Skips a control string up to its terminator: BEL, ST (ESC \) or the C1 ST.
fn skip_string(chars: &[char], mut j: usize) -> usize {
    while let Some(&c) = chars.get(j) {
        match c {
            '\u{07}' | '\u{9c}' => return j + 1,
            '\u{1b}' if chars.get(j + 1) == Some(&'\\') => return j + 2,
            // An unterminated string ends at the next ESC: a terminal would also abort there.
            '\u{1b}' => return j,
            _ => j += 1,
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_character_needing_attention_starts_with_a_byte_of_the_table() {
        assert_eq!(
            crate::lead_bytes::covers(&MAY_NEED_ATTENTION, needs_attention),
            Ok(())
        );
    }

    #[test]
    fn plain_text_is_unchanged() {
        for s in [
            "Adele Vance",
            "Zoë Ødegård",
            "محمد العلي",
            "山田 太郎",
            "",
            "a b",
        ] {
            assert_eq!(clean(s), s);
        }
    }

    #[test]
    fn csi_sequences_are_removed_whole() {
        assert_eq!(clean("\u{1b}[31mRed\u{1b}[0m Alert"), "Red Alert");
        assert_eq!(clean("a\u{1b}[2J\u{1b}[1;1Hb"), "ab");
        assert_eq!(clean("x\u{9b}31my"), "xy");
        assert_eq!(clean("\u{1b}[?1049h"), "");
    }

    #[test]
    fn osc_and_dcs_strings_are_removed_whole() {
        assert_eq!(clean("\u{1b}]0;pwned\u{7}Bob"), "Bob");
        assert_eq!(clean("\u{1b}]52;c;ZXZpbA==\u{1b}\\Eve"), "Eve");
        assert_eq!(
            clean("\u{1b}]8;;https://evil\u{1b}\\link\u{1b}]8;;\u{1b}\\"),
            "link"
        );
        assert_eq!(clean("\u{1b}Pq#0;2;0;0;0\u{1b}\\ok"), "ok");
        assert_eq!(clean("\u{9d}0;t\u{9c}ok"), "ok");
        // Unterminated: everything to the end is the string.
        assert_eq!(clean("ok\u{1b}]0;never ends"), "ok");
    }

    #[test]
    fn short_escapes_and_lone_esc() {
        assert_eq!(clean("a\u{1b}cb"), "ab");
        assert_eq!(clean("a\u{1b}(Bb"), "ab");
        assert_eq!(clean("trailing\u{1b}"), "trailing");
    }

    #[test]
    fn controls_and_del_are_dropped() {
        assert_eq!(
            clean("a\u{0}b\u{7}c\u{8}d\u{7f}e\u{85}f\u{9c}g"),
            "abcde fg"
        );
        assert_eq!(clean("a\u{0}b"), "ab");
        assert_eq!(clean("back\u{8}\u{8}\u{8}\u{8}fake"), "backfake");
    }

    #[test]
    fn line_breaks_and_tabs_become_one_space() {
        assert_eq!(clean("a\tb"), "a b");
        assert_eq!(clean("a\r\nb"), "a b");
        assert_eq!(clean("a\n\n\nb"), "a b");
        assert_eq!(clean("a\u{2028}b"), "a b");
    }

    #[test]
    fn bidi_controls_are_removed() {
        assert_eq!(clean("admin\u{202e}moc.live"), "adminmoc.live");
        assert_eq!(clean("\u{2067}x\u{2069}\u{200f}\u{200e}\u{61c}"), "x");
    }

    #[test]
    fn zero_width_characters_are_removed_but_emoji_joins_kept() {
        assert_eq!(clean("ad\u{200b}min\u{feff}"), "admin");
        assert_eq!(clean("a\u{200d}b"), "ab");
        let family = "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}";
        assert_eq!(clean(family), family);
        let pilot = "\u{1f9d1}\u{1f3fd}\u{200d}\u{2708}\u{fe0f}";
        assert_eq!(clean(pilot), pilot);
    }

    #[test]
    fn clean_opt_maps() {
        assert_eq!(clean_opt(None), None);
        assert_eq!(clean_opt(Some("\u{1b}[1mx")), Some("x".to_string()));
    }

    proptest! {
        #[test]
        fn output_never_holds_a_control_or_bidi_char(s in "\\PC*|[\\x00-\\x{9f}\u{200b}-\u{206f}a\\[\\]]{0,64}") {
            let out = clean(&s);
            prop_assert!(!out.chars().any(|c| c.is_control() || is_bidi_control(c)), "{:?}", out);
            prop_assert!(!out.contains('\u{200b}'), "zero-width space left in {:?}", out);
        }

        #[test]
        fn a_plain_string_is_kept_and_owned_cleaning_is_cleaning(s in "\\PC*|[\\x00-\\x{9f}\u{200b}-\u{206f}a-z ]{0,64}") {
            if is_plain(&s) {
                prop_assert_eq!(clean(&s), s.clone());
            }
            prop_assert_eq!(clean_owned(s.clone()), clean(&s));
        }

        #[test]
        fn cleaning_is_idempotent(s in "[\\x00-\\x{9f}\u{200b}-\u{206f}a-z\\[\\];]{0,64}") {
            let once = clean(&s);
            prop_assert_eq!(clean(&once), once.clone());
        }
    }
}
