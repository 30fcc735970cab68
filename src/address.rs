//! Email addresses as an admin types them: the syntax check shared by recipients and new user
//! names, and the recipient list parser. Below `config` and `restore`, which both use them (the
//! settings file checks its `email-to` with the same rule as the dialog and `--email-to`).

/// Addresses separated by `;` or `,` (blanks ignored, duplicates dropped); the first malformed
/// one is named in the error. An empty or blank input gives no addresses.
pub fn parse_recipients(s: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split([';', ',']) {
        let address = part.trim();
        if address.is_empty() {
            continue;
        }
        check(address).map_err(|e| format!("{address:?} is not an email address: {e}"))?;
        if !out.iter().any(|a| a.eq_ignore_ascii_case(address)) {
            out.push(address.to_string());
        }
    }
    Ok(out)
}

/// A practical syntax check for `local@domain` (what Exchange accepts, not all of RFC 5322).
pub fn check(address: &str) -> Result<(), &'static str> {
    if address.len() > 254 {
        return Err("longer than 254 characters");
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err("it has no @");
    };
    if local.is_empty() {
        return Err("nothing before the @");
    }
    if local.len() > 64 {
        return Err("the part before the @ is longer than 64 characters");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("dots misplaced before the @");
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    if !local_ok {
        return Err("unexpected character before the @");
    }
    if domain.is_empty() {
        return Err("nothing after the @");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("the domain needs a dot (e.g. contoso.com)");
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Err("empty or overlong part in the domain");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a domain part starts or ends with '-'");
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err("unexpected character in the domain");
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err("the domain ends in a number");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_split_checked_and_deduplicated() {
        assert_eq!(
            parse_recipients(" a@contoso.com; b@fabrikam.co.uk ,A@contoso.com;; ").unwrap(),
            vec!["a@contoso.com".to_string(), "b@fabrikam.co.uk".to_string()]
        );
        assert_eq!(parse_recipients("  ").unwrap(), Vec::<String>::new());
        let e = parse_recipients("a@contoso.com; bob@;c@d.e").unwrap_err();
        assert!(e.contains("\"bob@\""), "{e}");
        for bad in [
            "bob",
            "@contoso.com",
            "a b@contoso.com",
            "a@contoso",
            "a@-x.com",
            "a..b@c.com",
            "a@c..com",
            "a@1.2.3.4",
        ] {
            assert!(parse_recipients(bad).is_err(), "{bad} should be refused");
        }
        assert!(parse_recipients("first.last+tag@sub.contoso-mail.com").is_ok());
    }
}
