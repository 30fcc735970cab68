//! The sign-in info email sent after a restore, composed from plain-text templates in
//! `assets/mail/` so the wording can change without touching code.

use secrecy::{ExposeSecret, SecretString};

use crate::cli::Cloud;
use crate::directory::MailMessage;

const SIGN_IN_TEMPLATE: &str = include_str!("../assets/mail/sign_in.txt");
const ACCOUNT_TEMPLATE: &str = include_str!("../assets/mail/account.txt");
const ACCOUNT_NO_PASSWORD_TEMPLATE: &str = include_str!("../assets/mail/account_no_password.txt");

/// Where a user of this cloud signs in: the My Apps portal, or the Azure portal of 21Vianet,
/// which has no My Apps host of its own.
pub fn sign_in_url(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Global => "https://myapps.microsoft.com",
        Cloud::Usgov | Cloud::UsgovDod => "https://myapps.microsoft.us",
        Cloud::China => "https://portal.azure.cn",
    }
}

/// One restored account as the email lists it. No `Debug`: it may hold the password.
pub struct MailAccount<'a> {
    pub display_name: &'a str,
    pub upn: &'a str,
    pub password: Option<&'a SecretString>,
}

/// How the email is put together.
#[derive(Debug, Clone)]
pub struct SignInMail {
    /// Put each account's password in the body; off, the email says it comes another way.
    pub include_password: bool,
    /// The users must choose a new password at first sign-in (the email tells them).
    pub force_change: bool,
    pub sign_in_url: String,
    /// App-only sign-in sends as this mailbox; delegated sign-in sends as the admin.
    pub sender: Option<String>,
}

/// The subject line for `count` accounts.
pub fn subject(count: usize) -> String {
    if count == 1 {
        "Your account has been restored".to_string()
    } else {
        format!("{count} accounts have been restored")
    }
}

/// The plain-text body listing every account. The caller should zeroize it once sent when it
/// holds passwords.
pub fn body(accounts: &[MailAccount<'_>], options: &SignInMail) -> String {
    let mut listing = String::new();
    for account in accounts {
        let password = match account.password {
            Some(p) if options.include_password => Some(p.expose_secret()),
            _ => None,
        };
        let block = match password {
            Some(p) => render(
                ACCOUNT_TEMPLATE,
                &[
                    ("display_name", account.display_name),
                    ("upn", account.upn),
                    ("password", p),
                ],
            ),
            None => render(
                ACCOUNT_NO_PASSWORD_TEMPLATE,
                &[("display_name", account.display_name), ("upn", account.upn)],
            ),
        };
        listing.push_str(&block);
        listing.push('\n');
    }
    let intro = if accounts.len() == 1 {
        "Your account has been restored. Here is how to sign in:"
    } else {
        "These accounts have been restored. Here is how to sign in:"
    };
    let any_password_shown =
        options.include_password && accounts.iter().any(|a| a.password.is_some());
    let mut note = String::new();
    if !any_password_shown {
        note.push_str(
            "For your security, the password is not in this email: your IT administrator \
             will give it to you another way.",
        );
    } else if accounts.iter().any(|a| a.password.is_none()) {
        note.push_str(
            "Accounts listed without a password get theirs from your IT administrator \
             another way.",
        );
    }
    if options.force_change {
        if !note.is_empty() {
            note.push(' ');
        }
        note.push_str("You will be asked to choose a new password the first time you sign in.");
    }
    render(
        SIGN_IN_TEMPLATE,
        &[
            ("intro", intro),
            ("accounts", &listing),
            ("sign_in_url", &options.sign_in_url),
            ("password_note", &note),
        ],
    )
}

/// The whole message for `to`: one mail listing every account.
pub fn sign_in_message(
    accounts: &[MailAccount<'_>],
    to: &[String],
    options: &SignInMail,
) -> MailMessage {
    MailMessage {
        sender: options.sender.clone(),
        to: to.to_vec(),
        subject: subject(accounts.len()),
        body: body(accounts, options),
        html: false,
        // A copy of passwords in the admin's Sent Items would outlive this app's care for them.
        save_to_sent_items: !options.include_password,
    }
}

/// Replaces `{{name}}` with its value in one pass: values are inserted verbatim and never
/// scanned again, so a display name holding `{{password}}` stays just text. Unknown
/// placeholders are left as they are.
pub fn render(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = &after[..end];
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push_str("{{");
                        out.push_str(name);
                        out.push_str("}}");
                    }
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(include_password: bool) -> SignInMail {
        SignInMail {
            include_password,
            force_change: true,
            sign_in_url: sign_in_url(Cloud::Global).to_string(),
            sender: None,
        }
    }

    #[test]
    fn render_is_single_pass() {
        let out = render(
            "a {{x}} b {{y}} c {{unknown}} {{",
            &[("x", "{{y}}"), ("y", "Y")],
        );
        assert_eq!(out, "a {{y}} b Y c {{unknown}} {{");
    }

    #[test]
    fn body_with_passwords() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let accounts = [MailAccount {
            display_name: "Adele Vance",
            upn: "adele.vance@contoso.com",
            password: Some(&pw),
        }];
        let msg = sign_in_message(&accounts, &["admin@contoso.com".into()], &options(true));
        assert_eq!(msg.subject, "Your account has been restored");
        assert!(msg.body.contains("adele.vance@contoso.com"));
        assert!(msg.body.contains("Kiwi-Moon-42#x"));
        assert!(msg.body.contains("https://myapps.microsoft.com"));
        assert!(msg.body.contains("choose a new password"));
        assert!(!msg.body.contains("{{"), "{}", msg.body);
        assert!(!msg.html);
        assert!(!msg.save_to_sent_items);
    }

    #[test]
    fn body_without_passwords_says_they_come_another_way() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let accounts = [
            MailAccount {
                display_name: "Adele Vance",
                upn: "adele.vance@contoso.com",
                password: Some(&pw),
            },
            MailAccount {
                display_name: "Alex Wilber",
                upn: "alex.wilber2@contoso.com",
                password: Some(&pw),
            },
        ];
        let msg = sign_in_message(&accounts, &["a@b.c".into()], &options(false));
        assert_eq!(msg.subject, "2 accounts have been restored");
        assert!(!msg.body.contains("Kiwi-Moon-42#x"));
        assert!(!msg.body.contains("Password:"));
        assert!(msg.body.contains("another way"));
        assert!(msg.body.contains("alex.wilber2@contoso.com"));
    }

    #[test]
    fn clouds_have_their_own_portal() {
        assert_eq!(sign_in_url(Cloud::Usgov), "https://myapps.microsoft.us");
        assert!(sign_in_url(Cloud::China).ends_with(".cn"));
    }
}
