//! JSON for a terminal: the one writer of every JSON line and document the commands print
//! (`list --format json`, `check`, `restore`, `finish`, `purge`, `sandbox outbox --json`).
//!
//! The JSON output keeps each string exactly as the directory stores it, so a script sees the
//! real value. serde_json escapes only `"`, `\` and C0 controls; a terminal also acts on DEL,
//! on C1 controls (U+009B is CSI on some terminals, so `\u{9b}2J` clears the screen) and on
//! Unicode's format characters (bidi overrides that make `evil.com` read as `moc.live`,
//! zero-width characters that make two names look alike). Those are written as `\uXXXX` here:
//! parsed back, every string is exactly the stored one, and none of them reaches a terminal raw.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use crate::lead_bytes;

/// Whether `c` is written as `\uXXXX`: DEL, the C1 controls, the line and paragraph
/// separators, and every format character (Unicode's general category Cf).
pub fn escaped(c: char) -> bool {
    matches!(
        c,
        '\u{7f}'..='\u{9f}'
            | '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// The bytes the UTF-8 of an `escaped` character can start with: DEL, and the lead bytes of
/// the blocks those characters are in (U+0080–U+00BF, U+0600–U+063F, U+06C0–U+073F,
/// U+0800–U+2FFF, U+F000–U+FFFF, the supplementary planes they use).
const MAY_START_ESCAPED: [bool; 256] = lead_bytes::table(&[
    0x7f, 0xc2, 0xd8, 0xdb, 0xdc, 0xe0, 0xe1, 0xe2, 0xef, 0xf0, 0xf3,
]);

/// serde_json's own formatter, with the characters above escaped inside strings.
struct Escaping<F>(F);

impl<F: Formatter> Formatter for Escaping<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Only characters starting with a byte of the table can need it: the rest of the
        // fragment, international names too, is not decoded.
        let mut plain_from = 0;
        for (i, c) in lead_bytes::candidates(fragment, &MAY_START_ESCAPED) {
            if escaped(c) {
                writer.write_all(&fragment.as_bytes()[plain_from..i])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                plain_from = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[plain_from..])
    }

    // The layout is the wrapped formatter's (compact or pretty).
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

fn write_with<W: Write + ?Sized, F: Formatter, T: Serialize + ?Sized>(
    out: &mut W,
    formatter: F,
    value: &T,
) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, Escaping(formatter));
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// `value` as compact JSON.
pub fn to_writer<W: Write + ?Sized, T: Serialize + ?Sized>(
    out: &mut W,
    value: &T,
) -> io::Result<()> {
    write_with(out, CompactFormatter, value)
}

/// `value` as indented JSON.
pub fn to_writer_pretty<W: Write + ?Sized, T: Serialize + ?Sized>(
    out: &mut W,
    value: &T,
) -> io::Result<()> {
    write_with(out, PrettyFormatter::new(), value)
}

/// One JSON line: `value`, compact, then `\n`.
pub fn write_line<W: Write + ?Sized, T: Serialize + ?Sized>(
    out: &mut W,
    value: &T,
) -> io::Result<()> {
    to_writer(out, value)?;
    out.write_all(b"\n")
}

/// `value` as compact JSON text.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    // Writing to a Vec fails only if serializing does, which a Value or a derived Serialize
    // of strings and numbers never does.
    if to_writer(&mut out, value).is_err() {
        return String::new();
    }
    // Escaping keeps the text UTF-8: only whole characters are replaced.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    #[test]
    fn what_a_terminal_obeys_is_escaped_and_reads_back_the_same() {
        let hostile = "a\u{7f}b\u{9b}2Jc\u{85}d\u{202e}moc.live\u{202c}e\u{200b}f\u{feff}g\u{2028}h\u{61c}\u{e0041}";
        let line = to_string(&json!({ "displayName": hostile }));
        assert_eq!(
            line,
            r#"{"displayName":"a\u007fb\u009b2Jc\u0085d\u202emoc.live\u202ce\u200bf\ufeffg\u2028h\u061c\udb40\udc41"}"#
        );
        assert!(line.is_ascii());
        let back: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["displayName"], hostile);
    }

    #[test]
    fn every_escaped_character_starts_with_a_byte_the_fast_path_stops_at() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|c| escaped(*c))
        {
            let first = c.encode_utf8(&mut buf).as_bytes()[0];
            assert!(MAY_START_ESCAPED[usize::from(first)], "{c:?}");
        }
    }

    #[test]
    fn plain_and_international_text_is_written_as_it_is() {
        let names = json!([
            "Adele Vance",
            "Zoë Ødegård",
            "محمد العلي",
            "山田 太郎",
            "👩‍💻",
            "\u{1b}[31m"
        ]);
        let line = to_string(&names);
        // serde_json's own escapes stay as they were (ESC as \u001b).
        assert_eq!(
            line,
            r#"["Adele Vance","Zoë Ødegård","محمد العلي","山田 太郎","👩\u200d💻","\u001b[31m"]"#
        );
        assert_eq!(serde_json::from_str::<Value>(&line).unwrap(), names);
    }

    #[test]
    fn pretty_output_keeps_its_layout() {
        let v = json!({"a": ["\u{9b}x", 1], "b": {}});
        let mut out = Vec::new();
        to_writer_pretty(&mut out, &v).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut plain = Vec::new();
        serde_json::to_writer_pretty(&mut plain, &v).unwrap();
        let plain = String::from_utf8(plain)
            .unwrap()
            .replace('\u{9b}', "\\u009b");
        assert_eq!(text, plain);
    }

    #[test]
    fn a_line_ends_with_one_newline() {
        let mut out = Vec::new();
        write_line(&mut out, &json!({"k": "\u{200f}"})).unwrap();
        assert_eq!(out, b"{\"k\":\"\\u200f\"}\n");
    }

    #[test]
    fn the_escaped_set_is_the_controls_and_format_characters() {
        for c in [
            '\u{7f}', '\u{80}', '\u{9f}', '\u{ad}', '\u{202a}', '\u{2066}', '\u{2069}', '\u{180e}',
        ] {
            assert!(escaped(c), "{:04x}", c as u32);
        }
        for c in [
            'a',
            '~',
            '\u{a0}',
            'é',
            '\u{300}',
            '\u{fe0f}',
            '\u{1f600}',
            '\u{2030}',
        ] {
            assert!(!escaped(c), "{:04x}", c as u32);
        }
    }

    proptest! {
        #[test]
        fn any_string_reads_back_exactly_and_carries_nothing_raw(s in "\\PC*|[\\u{0}-\\u{ff}\\u{2000}-\\u{206f}\\u{feff}]*") {
            let line = to_string(&json!({ "s": s }));
            prop_assert!(!line.chars().any(|c| escaped(c) || c.is_control()), "{line:?}");
            let back: Value = serde_json::from_str(&line).unwrap();
            prop_assert_eq!(back["s"].as_str().unwrap(), s.as_str());
        }
    }
}
