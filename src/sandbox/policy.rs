//! The server-side password rules (DESIGN.md 4.4 plus a small banned list) and the salted hash
//! the store keeps instead of the password.

use sha2::{Digest, Sha256};

const SYMBOLS: &str = "@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ";

/// Substrings Entra's banned-password list would catch (compared case-insensitively, after
/// undoing common character swaps).
const BANNED: &[&str] = &[
    "password",
    "passw0rd",
    "contoso",
    "sandbox",
    "welcome",
    "qwerty",
    "letmein",
    "12345678",
    "iloveyou",
    "microsoft",
    "summer20",
    "winter20",
    "admin123",
];

/// `Ok` when Entra would accept the password for a cloud user.
pub fn check(password: &str) -> Result<(), &'static str> {
    let len = password.chars().count();
    if !(8..=256).contains(&len) {
        return Err("length");
    }
    if !password
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || SYMBOLS.contains(c))
    {
        return Err("characters");
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|&&b| b).count() < 3 {
        return Err("classes");
    }
    let folded: String = password
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '@' => 'a',
            '$' => 's',
            '!' => 'i',
            other => other,
        })
        .collect();
    if BANNED
        .iter()
        .any(|b| folded.contains(b) || password.to_lowercase().contains(b))
    {
        return Err("banned");
    }
    Ok(())
}

/// Iterated, salted SHA-256: this is a test server, the point is only that the password
/// itself is never stored.
pub fn hash(salt: &str, password: &str) -> String {
    let mut digest = Sha256::digest(format!("{salt}:{password}").as_bytes());
    for _ in 0..1000 {
        digest = Sha256::digest(digest);
    }
    hex::encode(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(check("Tr0ub4dor&3x").is_ok());
        assert!(check("abcDEF12").is_ok());
        assert_eq!(check("Ab1!"), Err("length"));
        assert_eq!(check("alllowercase1"), Err("classes"));
        assert_eq!(check("Pässword123!"), Err("characters"));
        assert_eq!(check("MyP@ssword99"), Err("banned"));
        assert_eq!(check("Contoso2026!"), Err("banned"));
        assert!(check(&"aB3".repeat(86)).is_err());
    }

    #[test]
    fn hash_depends_on_salt() {
        assert_ne!(hash("a", "x"), hash("b", "x"));
        assert_eq!(hash("a", "x"), hash("a", "x"));
    }
}
