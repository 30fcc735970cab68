//! OSC 52: asks the terminal to put text on the system clipboard. Works over SSH; a terminal
//! without it ignores the sequence. One writer for every copy the app makes, secrets included,
//! so the encoded copy of a password is wiped once written.

use std::io::{self, Write};

use base64::Engine;
use zeroize::Zeroizing;

/// Writes the OSC 52 sequence for `text` to `out` and flushes it.
pub fn copy(out: &mut (impl Write + ?Sized), text: &[u8]) -> io::Result<()> {
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(text));
    // BEL ends the sequence: older terminals (and tmux) know it better than ST.
    out.write_all(b"\x1b]52;c;")?;
    out.write_all(encoded.as_bytes())?;
    out.write_all(b"\x07")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_text_goes_base64_encoded_between_the_osc_52_markers() {
        let mut out = Vec::new();
        super::copy(&mut out, b"ABCD-EFGH").expect("write");
        assert_eq!(out, b"\x1b]52;c;QUJDRC1FRkdI\x07");
    }
}
