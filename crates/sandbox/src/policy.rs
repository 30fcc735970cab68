//! The server-side password rules (DESIGN.md 4.4, a small banned list and the tenant's own
//! name) and the salted hash the store keeps instead of the password. The same rules answer
//! `PATCH /users/{id}` and `POST /beta/users/validatePassword`, so the two never disagree.

use aws_lc_rs::digest::{SHA256, digest};

const SYMBOLS: &str = "@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ";

/// Substrings Entra's global banned-password list would catch (compared case-insensitively,
/// after undoing common character swaps). The tenant's name is added per tenant, not here.
const BANNED: &[&str] = &[
    "password",
    "passw0rd",
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

/// Entra's custom banned words are 4 to 16 characters; a shorter tenant label ("ab") would
/// refuse half of all passwords, so it is not banned.
const MIN_TENANT_WORD: usize = 4;

/// The tenant words Entra bans: the first label of each verified domain, lower-cased, once.
pub fn tenant_words<'a>(verified_domains: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in verified_domains {
        let label = d.split('.').next().unwrap_or("").to_ascii_lowercase();
        if label.chars().count() >= MIN_TENANT_WORD && !out.contains(&label) {
            out.push(label);
        }
    }
    out
}

/// One rule's verdict, as `validatePassword` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleResult {
    pub rule_name: &'static str,
    pub passed: bool,
    pub message: &'static str,
}

/// Every rule's verdict for `password`. Rule names follow the one Graph documents
/// (`password_not_meet_complexity`); the others are the sandbox's, in the same style.
pub fn validate(password: &str, tenant_words: &[String]) -> Vec<RuleResult> {
    let len = password.chars().count();
    let length_ok = (8..=256).contains(&len);
    let chars_ok = password
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || SYMBOLS.contains(c));
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    let complex = classes.iter().filter(|&&b| b).count() >= 3;
    let banned = is_banned(password, tenant_words);
    let rule = |rule_name, passed, ok: &'static str, failed: &'static str| RuleResult {
        rule_name,
        passed,
        message: if passed { ok } else { failed },
    };
    vec![
        rule(
            "password_not_meet_length_requirement",
            length_ok,
            "Password meets the length requirement.",
            "Password must be between 8 and 256 characters long.",
        ),
        rule(
            "password_contains_invalid_characters",
            chars_ok,
            "Password contains only allowed characters.",
            "Password contains characters that are not allowed.",
        ),
        rule(
            "password_not_meet_complexity",
            complex,
            "Password meets complexity requirements.",
            "Password does not meet complexity requirements.",
        ),
        rule(
            "password_banned",
            !banned,
            "Password does not contain a banned word.",
            "Password contains a word, phrase or pattern that makes it easily guessable.",
        ),
    ]
}

fn is_banned(password: &str, tenant_words: &[String]) -> bool {
    let lower = password.to_lowercase();
    let folded: String = lower
        .chars()
        .map(|c| match c {
            '@' => 'a',
            '$' => 's',
            '!' => 'i',
            '0' => 'o',
            '1' => 'l',
            '3' => 'e',
            other => other,
        })
        .collect();
    BANNED
        .iter()
        .copied()
        .chain(tenant_words.iter().map(String::as_str))
        .any(|b| lower.contains(b) || folded.contains(b))
}

/// `Ok` when Entra would accept the password for a cloud user of a tenant whose name gives
/// `tenant_words`; otherwise the name of the first rule it breaks.
pub fn check(password: &str, tenant_words: &[String]) -> Result<(), &'static str> {
    match validate(password, tenant_words)
        .into_iter()
        .find(|r| !r.passed)
    {
        Some(r) => Err(r.rule_name),
        None => Ok(()),
    }
}

/// Iterated, salted SHA-256: this is a test server, the point is only that the password
/// itself is never stored.
pub fn hash(salt: &str, password: &str) -> String {
    let mut d = digest(&SHA256, format!("{salt}:{password}").as_bytes());
    for _ in 0..1000 {
        d = digest(&SHA256, d.as_ref());
    }
    hex::encode(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contoso() -> Vec<String> {
        tenant_words(["contoso.sandbox", "contoso.onmicrosoft.com"])
    }

    #[test]
    fn policy() {
        let t = contoso();
        assert!(check("Tr0ub4dor&3x", &t).is_ok());
        assert!(check("abcDEF12", &t).is_ok());
        assert_eq!(
            check("Ab1!", &t),
            Err("password_not_meet_length_requirement")
        );
        assert_eq!(
            check("alllowercase1", &t),
            Err("password_not_meet_complexity")
        );
        assert_eq!(
            check("Pässword123!", &t),
            Err("password_contains_invalid_characters")
        );
        assert_eq!(check("MyP@ssword99", &t), Err("password_banned"));
        assert!(check(&"aB3".repeat(86), &t).is_err());
    }

    #[test]
    fn the_tenant_name_is_banned_only_in_its_own_tenant() {
        assert_eq!(
            tenant_words(["contoso.sandbox", "contoso.onmicrosoft.com"]),
            ["contoso"]
        );
        assert_eq!(check("Contoso2026!", &contoso()), Err("password_banned"));
        assert_eq!(check("C0nt0s0-2026", &contoso()), Err("password_banned"));
        let fabrikam = tenant_words(["fabrikam.example"]);
        assert!(check("Contoso2026!", &fabrikam).is_ok());
        assert_eq!(check("Fabrikam2026!", &fabrikam), Err("password_banned"));
        // Too short to ban without refusing most passwords.
        assert!(tenant_words(["ab.example"]).is_empty());
    }

    #[test]
    fn validation_reports_every_rule() {
        let r = validate("contoso", &contoso());
        assert_eq!(r.len(), 4);
        assert_eq!(
            r.iter()
                .filter(|r| !r.passed)
                .map(|r| r.rule_name)
                .collect::<Vec<_>>(),
            [
                "password_not_meet_length_requirement",
                "password_not_meet_complexity",
                "password_banned"
            ]
        );
        assert!(
            validate("Tr0ub4dor&3x", &contoso())
                .iter()
                .all(|r| r.passed)
        );
    }

    #[test]
    fn hash_depends_on_salt() {
        assert_ne!(hash("a", "x"), hash("b", "x"));
        assert_eq!(hash("a", "x"), hash("a", "x"));
    }
}
