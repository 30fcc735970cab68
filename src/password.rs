//! The cloud-user password policy (DESIGN.md 4.4) checked locally, so an admin learns which rule
//! a password breaks before Graph answers with a generic "does not comply", and a generator
//! whose output always passes it.

use rand::seq::{IndexedRandom, SliceRandom};
use secrecy::SecretString;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 256;
/// Classes (lowercase, uppercase, digits, symbols) a password needs at least this many of.
pub const MIN_CLASSES: u8 = 3;
/// Length of generated passwords.
pub const GENERATED_LEN: usize = 16;

/// Symbols Entra accepts in a cloud user's password; a blank space also counts as a symbol.
pub const SYMBOLS: &str = "@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<>";

/// Characters a generated password never holds: they are easy to misread or mistype when the
/// password is read off a screen or an email (0/O/o, 1/l/I/i/|, quotes, and tiny punctuation).
pub const LOOK_ALIKES: &str = "0Oo1lIi|`'\".,:;";

// The generator's alphabets: the policy's classes minus LOOK_ALIKES. Symbols are also limited to
// ones that survive being pasted into a shell, a URL or an email client without surprises.
const GEN_LOWER: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
const GEN_UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const GEN_DIGITS: &[u8] = b"23456789";
const GEN_SYMBOLS: &[u8] = b"#$%&*+-=?@^_~!";

/// Entra also rejects passwords from a global banned list (server side). This short list catches
/// the most common offenders locally; variants with digits or symbols around them and simple
/// letter substitutions (p@ssw0rd) are caught too, as Entra's fuzzy matching would.
const BANNED: &[&str] = &[
    "password",
    "passw",
    "passwort",
    "motdepasse",
    "contrasena",
    "qwerty",
    "qwertz",
    "azerty",
    "asdf",
    "asdfgh",
    "zxcvbn",
    "letmein",
    "welcome",
    "welkom",
    "willkommen",
    "bienvenue",
    "admin",
    "administrator",
    "changeme",
    "iloveyou",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "master",
    "shadow",
    "superman",
    "trustno",
    "secret",
    "summer",
    "winter",
    "spring",
    "autumn",
    "january",
    "december",
    "microsoft",
    "office",
    "outlook",
    "windows",
    "azure",
    "entra",
    "login",
    "abc",
    "abcdef",
    "abcdefgh",
    "test",
    "user",
    "guest",
];

/// Passwords made only of a run or a repeat of one of these, whatever the case, are rejected too.
const BANNED_WHOLE: &[&str] = &[
    "12345678",
    "123456789",
    "1234567890",
    "0987654321",
    "87654321",
    "11111111",
    "00000000",
    "qwertyuiop",
    "1q2w3e4r",
    "1qaz2wsx",
    "zaq12wsx",
    "q1w2e3r4",
    "abcd1234",
    "aa123456",
    "passw0rd",
];

/// Which rules of DESIGN.md 4.4 a password meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyReport {
    /// 8 to 256 characters.
    pub length_ok: bool,
    /// How many of lowercase, uppercase, digits and symbols occur (0 to 4).
    pub classes: u8,
    pub classes_ok: bool,
    /// Only ASCII letters, digits, space and the allowed symbols.
    pub chars_ok: bool,
    /// Not a well-known password or a simple variant of one.
    pub not_common: bool,
}

impl PolicyReport {
    pub fn passes(&self) -> bool {
        self.length_ok && self.classes_ok && self.chars_ok && self.not_common
    }

    /// The first rule broken, in words an admin understands; `None` when the password passes.
    pub fn first_failure(&self) -> Option<String> {
        if !self.length_ok {
            return Some(format!("Use {MIN_LEN} to {MAX_LEN} characters."));
        }
        if !self.chars_ok {
            return Some(format!(
                "Use only ASCII letters, digits, spaces and these symbols: {SYMBOLS}"
            ));
        }
        if !self.classes_ok {
            return Some(format!(
                "Use at least {MIN_CLASSES} of: lowercase letters, uppercase letters, digits, \
                 symbols (this one has {}).",
                self.classes
            ));
        }
        if !self.not_common {
            return Some(
                "Too common: this password, or a simple variation of it, is on the banned list."
                    .to_string(),
            );
        }
        None
    }
}

/// A policy rule for a live checklist: its label and whether a report meets it.
pub type Rule = (&'static str, fn(&PolicyReport) -> bool);

/// The rules in the order a checklist shows them.
pub fn rules() -> [Rule; 4] {
    [
        ("8–256 characters", |r| r.length_ok),
        ("3 of lower/UPPER/digit/symbol", |r| r.classes_ok),
        ("only allowed characters", |r| r.chars_ok),
        ("not a common password", |r| r.not_common),
    ]
}

/// Whether Entra accepts this character in a cloud user's password.
pub fn allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == ' ' || SYMBOLS.contains(c)
}

fn is_symbol(c: char) -> bool {
    c == ' ' || SYMBOLS.contains(c)
}

/// Checks a password against DESIGN.md 4.4 and the local banned list.
pub fn check(password: &str) -> PolicyReport {
    let len = password.chars().count();
    let length_ok = (MIN_LEN..=MAX_LEN).contains(&len);
    let chars_ok = password.chars().all(allowed_char);
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(is_symbol),
    ]
    .iter()
    .filter(|&&present| present)
    .count() as u8;
    PolicyReport {
        length_ok,
        classes,
        classes_ok: classes >= MIN_CLASSES,
        chars_ok,
        not_common: !is_common(password),
    }
}

/// A banned word, a banned word wrapped in digits and symbols ("Password123!"), a leet variant
/// of one ("P@ssw0rd"), or a banned run repeated.
fn is_common(password: &str) -> bool {
    let lower = password.to_ascii_lowercase();
    if BANNED_WHOLE.iter().any(|b| is_repeat_of(&lower, b)) {
        return true;
    }
    // A password that is one character repeated (or two alternating) is as weak as a banned one.
    let distinct: std::collections::BTreeSet<char> = lower.chars().collect();
    if !lower.is_empty() && distinct.len() <= 2 {
        return true;
    }
    let core = lower.trim_matches(|c: char| c.is_ascii_digit() || !c.is_ascii_alphanumeric());
    let core: String = core.chars().map(unleet).collect();
    !core.is_empty() && BANNED.iter().any(|b| is_repeat_of(&core, b))
}

/// `s` is `unit` once or several times over (e.g. "adminadmin").
fn is_repeat_of(s: &str, unit: &str) -> bool {
    !unit.is_empty() && s.len().is_multiple_of(unit.len()) && s.len() >= unit.len() && {
        s.as_bytes()
            .chunks(unit.len())
            .all(|chunk| chunk == unit.as_bytes())
    }
}

fn unleet(c: char) -> char {
    match c {
        '@' | '4' => 'a',
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '$' | '5' => 's',
        '7' | '+' => 't',
        other => other,
    }
}

/// A password of `GENERATED_LEN` characters from the thread's CSPRNG (ChaCha, seeded from the
/// OS), with every class present and no character from `LOOK_ALIKES`.
pub fn generate() -> SecretString {
    let mut rng = rand::rng();
    let all: Vec<u8> = [GEN_LOWER, GEN_UPPER, GEN_DIGITS, GEN_SYMBOLS].concat();
    loop {
        let mut bytes: Vec<u8> = Vec::with_capacity(GENERATED_LEN);
        for class in [GEN_LOWER, GEN_UPPER, GEN_DIGITS, GEN_SYMBOLS] {
            bytes.extend(class.choose(&mut rng));
        }
        while bytes.len() < GENERATED_LEN {
            bytes.extend(all.choose(&mut rng));
        }
        bytes.shuffle(&mut rng);
        // Every byte comes from the ASCII alphabets above, so this cannot fail; a failure would
        // only mean "try again", never a panic.
        let Ok(candidate) = String::from_utf8(bytes) else {
            continue;
        };
        // Astronomically unlikely, but a random string could still look like a banned variant.
        if check(&candidate).passes() {
            return SecretString::from(candidate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use secrecy::ExposeSecret;

    #[test]
    fn a_good_password_passes() {
        let r = check("Tr4velling-Kiwi");
        assert!(r.passes(), "{r:?}");
        assert_eq!(r.classes, 4);
        assert_eq!(r.first_failure(), None);
    }

    #[test]
    fn length_bounds() {
        assert!(!check("Ab3$xyz").length_ok);
        assert!(check("Ab3$xyzq").length_ok);
        let long = "Ab3$".repeat(64);
        assert_eq!(long.len(), 256);
        assert!(check(&long).length_ok);
        assert!(!check(&format!("{long}x")).length_ok);
        assert!(
            check("Ab3$xyz")
                .first_failure()
                .is_some_and(|m| m.contains("8 to 256"))
        );
    }

    #[test]
    fn classes_are_counted() {
        let r = check("abcdefghXYZ");
        assert_eq!(r.classes, 2);
        assert!(!r.classes_ok);
        assert!(r.first_failure().is_some_and(|m| m.contains("at least 3")));
        assert_eq!(
            check("kiwi fruit BOWL").classes,
            3,
            "a space counts as a symbol"
        );
        assert!(check("kiwifruitBOWL9").classes_ok);
    }

    #[test]
    fn only_allowed_characters() {
        let r = check("Kiwifrüit-Bowl9");
        assert!(!r.chars_ok);
        assert!(r.first_failure().is_some_and(|m| m.contains("ASCII")));
        assert!(!check("Kiwi\tfruit-Bowl9").chars_ok);
        assert!(check("K{i}w[i]<f>(r)u;i\"t'~`9").chars_ok);
    }

    #[test]
    fn common_passwords_and_variants_are_banned() {
        for p in [
            "Password123!",
            "P@ssw0rd",
            "!!Welcome2024",
            "Qwerty123$",
            "12345678",
            "Summer2025!",
            "AdminAdmin1!",
            "aaaaaaaaaaaa",
            "abababababab",
        ] {
            let r = check(p);
            assert!(!r.not_common, "{p} should be banned");
            assert!(!r.passes());
        }
        assert!(
            check("P@ssw0rd")
                .first_failure()
                .is_some_and(|m| m.contains("common"))
        );
        assert!(check("Passionfruit-Moon7").not_common);
        assert!(
            check("Welcome-Kiwi-Moon7").not_common,
            "a banned word inside a phrase is fine"
        );
    }

    #[test]
    fn first_failure_reports_in_rule_order() {
        // Too short and too few classes: length is named first.
        assert!(
            check("abc")
                .first_failure()
                .is_some_and(|m| m.contains("8 to 256"))
        );
    }

    #[test]
    fn rules_match_the_report() {
        let r = check("abcdefghXYZ");
        let results: Vec<bool> = rules().iter().map(|(_, f)| f(&r)).collect();
        assert_eq!(results, vec![true, false, true, true]);
    }

    #[test]
    fn generated_passwords_differ() {
        let a = generate();
        let b = generate();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(a.expose_secret().len(), GENERATED_LEN);
    }

    #[test]
    fn generator_alphabets_avoid_look_alikes() {
        for set in [GEN_LOWER, GEN_UPPER, GEN_DIGITS, GEN_SYMBOLS] {
            for &b in set {
                assert!(!LOOK_ALIKES.contains(b as char), "{}", b as char);
                assert!(allowed_char(b as char));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        // The generator ignores proptest's inputs (it must use the CSPRNG), so the index only
        // makes proptest draw many independent passwords.
        #[test]
        fn generated_passwords_pass_and_have_no_look_alikes(_i in 0u32..1_000_000) {
            let p = generate();
            let p = p.expose_secret();
            prop_assert!(p.len() >= GENERATED_LEN);
            let r = check(p);
            prop_assert!(r.passes(), "{:?}", r);
            prop_assert_eq!(r.classes, 4);
            prop_assert!(!p.chars().any(|c| LOOK_ALIKES.contains(c)));
        }

        #[test]
        fn check_never_panics(s in ".{0,300}") {
            let r = check(&s);
            prop_assert_eq!(r.passes(), r.first_failure().is_none());
        }
    }
}
