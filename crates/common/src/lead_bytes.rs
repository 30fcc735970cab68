//! Finding the few characters a rule is about without decoding every character of a string: a
//! table of the UTF-8 bytes those characters can start with. No table byte may be a
//! continuation byte (0x80–0xBF), so wherever one is found a character starts there.

/// A table of first bytes, from the list of them.
pub(crate) const fn table(leads: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < leads.len() {
        assert!(leads[i] < 0x80 || leads[i] > 0xbf, "a continuation byte");
        table[leads[i] as usize] = true;
        i += 1;
    }
    table
}

/// The characters of `s` that start with a byte in `table`, each with where it starts.
pub(crate) fn candidates<'a>(
    s: &'a str,
    table: &'a [bool; 256],
) -> impl Iterator<Item = (usize, char)> + 'a {
    s.bytes()
        .enumerate()
        .filter(|(_, b)| table[usize::from(*b)])
        .filter_map(|(i, _)| s[i..].chars().next().map(|c| (i, c)))
}

/// Whether every character `wanted` picks out starts with a byte in `table` (for tests).
#[cfg(test)]
pub(crate) fn covers(table: &[bool; 256], wanted: impl Fn(char) -> bool) -> Result<(), char> {
    let mut buf = [0u8; 4];
    for c in (0..=0x10ffff)
        .filter_map(char::from_u32)
        .filter(|c| wanted(*c))
    {
        if !table[usize::from(c.encode_utf8(&mut buf).as_bytes()[0])] {
            return Err(c);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_whole_characters_where_they_start() {
        let t = table(&[0xe2, 0x7f]);
        let found: Vec<(usize, char)> = candidates("a\u{202e}é\u{7f}€", &t).collect();
        assert_eq!(found, [(1, '\u{202e}'), (6, '\u{7f}'), (7, '€')]);
    }
}
