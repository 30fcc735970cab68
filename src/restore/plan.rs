//! The plan: who is restored and how, and every rule a plan must pass before anything is sent.
//! The TUI and the commands build their plans here; neither has a check of its own.

use std::collections::HashSet;

use secrecy::{ExposeSecret, SecretString};

use crate::directory::{DeletedUser, DirectoryError, ErrorKind};
use crate::password;

/// A user name Graph would accept: `local@domain`, no spaces, a dotted domain.
pub fn check_upn(upn: &str) -> Result<(), String> {
    check_address(upn).map_err(|e| format!("{upn:?} is not a valid user name: {e}"))
}


/// One user to restore and how.
#[derive(Debug, Clone)]
pub struct PlannedUser {
    pub user: DeletedUser,
    /// Restore under this name instead of the original (resolves a user-name conflict).
    pub new_upn: Option<String>,
    /// Let Entra drop proxy addresses another object now holds.
    pub reconcile_proxies: bool,
}

impl PlannedUser {
    pub fn as_is(user: DeletedUser) -> Self {
        Self {
            user,
            new_upn: None,
            reconcile_proxies: false,
        }
    }

    /// The name the user will have once restored.
    pub fn target_upn(&self) -> &str {
        self.new_upn.as_deref().unwrap_or(&self.user.original_upn)
    }
}

/// Where each user's password comes from. No `Debug`: it may hold one.
#[derive(Clone)]
pub enum PasswordChoice {
    /// A new generated password per user.
    Auto,
    /// This password for every user (it must pass the policy).
    Given(SecretString),
}

/// Everything a run needs to know. No `Debug`: it may hold a password.
#[derive(Clone)]
pub struct RestorePlan {
    pub users: Vec<PlannedUser>,
    pub password: PasswordChoice,
    pub force_change: bool,
    pub force_change_with_mfa: bool,
    /// Who the sign-in info will go to; recorded so an interrupted run can still send it.
    pub mail_to: Vec<String>,
    pub include_password: bool,
}

impl RestorePlan {
    /// Auto passwords, change required at first sign-in, no mail recipients yet.
    pub fn new(users: Vec<PlannedUser>) -> Self {
        Self {
            users,
            password: PasswordChoice::Auto,
            force_change: true,
            force_change_with_mfa: false,
            mail_to: Vec::new(),
            include_password: true,
        }
    }

    /// Refuses what would fail anyway, before anything is sent: a password that breaks the
    /// policy (naming the rule), a malformed new user name, a user listed twice.
    pub fn validate(&self) -> Result<(), DirectoryError> {
        if let PasswordChoice::Given(p) = &self.password
            && let Some(rule) = password::check(p.expose_secret()).first_failure()
        {
            return Err(DirectoryError::new(
                ErrorKind::WeakPassword,
                format!("Password rejected: {rule}"),
            ));
        }
        let mut seen = HashSet::new();
        for p in &self.users {
            if !seen.insert(p.user.id.as_str()) {
                return Err(DirectoryError::invalid(format!(
                    "{} ({}) is listed twice",
                    p.user.display_name, p.user.id
                )));
            }
            if let Some(upn) = &p.new_upn {
                check_upn(upn).map_err(DirectoryError::invalid)?;
            }
        }
        Ok(())
    }
}


/// Addresses separated by `;` or `,` (blanks ignored, duplicates dropped); the first malformed
/// one is named in the error. An empty or blank input gives no addresses.
pub fn parse_recipients(s: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split([';', ',']) {
        let address = part.trim();
        if address.is_empty() {
            continue;
        }
        check_address(address).map_err(|e| format!("{address:?} is not an email address: {e}"))?;
        if !out.iter().any(|a| a.eq_ignore_ascii_case(address)) {
            out.push(address.to_string());
        }
    }
    Ok(out)
}

/// A practical syntax check for `local@domain` (what Exchange accepts, not all of RFC 5322).
fn check_address(address: &str) -> Result<(), &'static str> {
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

    #[test]
    fn plan_validation_names_the_rule() {
        let mut plan = RestorePlan::new(vec![]);
        plan.password = PasswordChoice::Given(SecretString::from("short"));
        let e = plan.validate().unwrap_err();
        assert_eq!(e.kind, ErrorKind::WeakPassword);
        assert!(e.message.contains("8 to 256"), "{}", e.message);
        plan.password = PasswordChoice::Given(SecretString::from("onlylowercaseletters"));
        let e = plan.validate().unwrap_err();
        assert!(e.message.contains("at least 3"), "{}", e.message);
        plan.password = PasswordChoice::Given(SecretString::from("Kiwi-Moon-42#x"));
        assert!(plan.validate().is_ok());
    }

}
