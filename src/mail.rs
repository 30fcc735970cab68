//! The sign-in info email sent after a restore, composed from plain-text templates in
//! `assets/mail/` so the wording can change without touching code.

use secrecy::{ExposeSecret, SecretString};

use crate::directory::MailMessage;
use undelete_common::cloud::Cloud;
use undelete_common::sanitize::clean;

const SIGN_IN_TEMPLATE: &str = include_str!("../assets/mail/sign_in.txt");
const SIGN_IN_RECIPIENT_TEMPLATE: &str = include_str!("../assets/mail/sign_in_recipient.txt");
const ACCOUNT_TEMPLATE: &str = include_str!("../assets/mail/account.txt");
const ACCOUNT_NO_PASSWORD_TEMPLATE: &str = include_str!("../assets/mail/account_no_password.txt");
const ACCOUNT_GUEST_TEMPLATE: &str = include_str!("../assets/mail/account_guest.txt");
const ACCOUNT_TAP_TEMPLATE: &str = include_str!("../assets/mail/account_tap.txt");
const PHRASES: &str = include_str!("../assets/mail/phrases.txt");

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
/// The strings come from the directory; the mail cleans them again (`sanitize::clean`) so a
/// caller that skipped it cannot put a line break into the subject or the listing.
pub struct MailAccount<'a> {
    pub display_name: &'a str,
    /// The user name it has now, after the restore.
    pub upn: &'a str,
    pub password: Option<&'a SecretString>,
    /// The user name before the restore, when the restore changed it (a conflict).
    pub previous_upn: Option<&'a str>,
    /// Its `mail`, when it has one: how a recipient is recognised as this user when it differs
    /// from the UPN (guests, whose UPN is `name_home.com#EXT#@tenant`).
    pub mail: Option<&'a str>,
    /// Synced from on-premises AD (`onPremisesSyncEnabled`): the next sync deletes it again
    /// unless it is restored there too.
    pub synced: bool,
    /// A guest (`userType` Guest): signs in with their home account, so no password is shown.
    pub guest: bool,
    /// `password` is a Temporary Access Pass with these terms.
    pub tap: Option<crate::directory::tap::TapTerms>,
    /// The account is disabled: nothing in the mail works until it is enabled.
    pub disabled: bool,
}

impl MailAccount<'_> {
    /// Whether `address` is this user's own (case-insensitive, as mail addresses are in Entra).
    fn is_addressed_by(&self, address: &str) -> bool {
        let address = address.trim();
        [Some(self.upn), self.previous_upn, self.mail]
            .into_iter()
            .flatten()
            .any(|a| !a.is_empty() && a.eq_ignore_ascii_case(address))
    }

    /// The password the listing shows, if any: never for a guest, only when asked for.
    fn shown_password(&self, options: &SignInMail) -> Option<&str> {
        match self.password {
            Some(p) if options.include_password && !self.guest => Some(p.expose_secret()),
            _ => None,
        }
    }
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

/// Who the email speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    /// Every recipient is one of the restored users: "Your account has been restored".
    User,
    /// Someone else reads it (by default the admin) and passes the sign-in info on:
    /// "Adele Vance's account (…) was restored. Give them this sign-in info".
    Recipient,
}

/// `User` only when every recipient is one of the restored users' own addresses; anyone else
/// on the list (the admin, a manager) reads it too, so it speaks about the users, not to them.
pub fn voice(accounts: &[MailAccount<'_>], to: &[String]) -> Voice {
    let all_users = !to.is_empty()
        && to
            .iter()
            .all(|r| accounts.iter().any(|a| a.is_addressed_by(r)));
    if all_users {
        Voice::User
    } else {
        Voice::Recipient
    }
}

/// The sentence `key` of `assets/mail/phrases.txt`, its placeholders filled from `vars`.
fn phrase(key: &str, vars: &[(&str, &str)]) -> String {
    let text = PHRASES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(": "))
        .unwrap_or_default();
    render(text, vars)
}

fn voiced(stem: &str, voice: Voice) -> String {
    match voice {
        Voice::User => format!("{stem}_user"),
        Voice::Recipient => format!("{stem}_recipient"),
    }
}

/// The subject line.
pub fn subject(accounts: &[MailAccount<'_>], voice: Voice) -> String {
    let count = accounts.len().to_string();
    match (voice, accounts) {
        (Voice::User, [_]) => phrase("subject_user_one", &[]),
        (Voice::User, _) => phrase("subject_user_many", &[("count", &count)]),
        (Voice::Recipient, [one]) => phrase(
            "subject_recipient_one",
            &[
                ("display_name", &clean(one.display_name)),
                ("upn", &clean(one.upn)),
            ],
        ),
        (Voice::Recipient, _) => phrase("subject_recipient_many", &[("count", &count)]),
    }
}

/// The plain-text body listing every account. The caller should zeroize it once sent when it
/// holds passwords.
pub fn body(accounts: &[MailAccount<'_>], voice: Voice, options: &SignInMail) -> String {
    let mut listing = String::new();
    for account in accounts {
        push_account(&mut listing, account, options);
    }
    let intro = intro(accounts, voice);
    let notes = notes(accounts, voice, options);
    // The last account's blank line is the template's.
    if listing.ends_with("\n\n") {
        listing.pop();
    }
    let template = match voice {
        Voice::User => SIGN_IN_TEMPLATE,
        Voice::Recipient => SIGN_IN_RECIPIENT_TEMPLATE,
    };
    render(
        template,
        &[
            ("intro", &intro),
            ("accounts", &listing),
            ("sign_in_url", &options.sign_in_url),
            ("notes", &notes),
        ],
    )
}

/// One account's block of the listing, its renamed and disabled lines, and a blank line.
fn push_account(listing: &mut String, account: &MailAccount<'_>, options: &SignInMail) {
    let upn = clean(account.upn);
    listing.push_str(&account_block(account, options));
    if let Some(previous) = account
        .previous_upn
        .filter(|p| !p.eq_ignore_ascii_case(account.upn))
    {
        if !listing.ends_with('\n') {
            listing.push('\n');
        }
        listing.push_str("  ");
        listing.push_str(&phrase(
            "renamed",
            &[("previous_upn", &clean(previous)), ("upn", &upn)],
        ));
        listing.push('\n');
    }
    if account.disabled {
        if !listing.ends_with('\n') {
            listing.push('\n');
        }
        listing.push_str("  ");
        listing.push_str(&phrase("disabled_line", &[]));
        listing.push('\n');
    }
    listing.push('\n');
}

/// The account's template filled in: a guest's, or with its pass, its password or neither.
fn account_block(account: &MailAccount<'_>, options: &SignInMail) -> String {
    let name = clean(account.display_name);
    let upn = clean(account.upn);
    let vars = [("display_name", name.as_str()), ("upn", upn.as_str())];
    if account.guest {
        return render(ACCOUNT_GUEST_TEMPLATE, &vars);
    }
    match (account.shown_password(options), account.tap) {
        (Some(p), Some(tap)) => {
            let expires = crate::text::utc_moment(tap.expires);
            let once = if tap.usable_once {
                ", one use only"
            } else {
                ""
            };
            render(
                ACCOUNT_TAP_TEMPLATE,
                &[
                    vars[0],
                    vars[1],
                    ("password", p),
                    ("expires", &expires),
                    ("once", once),
                ],
            )
        }
        (Some(p), None) => render(ACCOUNT_TEMPLATE, &[vars[0], vars[1], ("password", p)]),
        (None, _) => render(ACCOUNT_NO_PASSWORD_TEMPLATE, &vars),
    }
}

/// The first paragraph: who was restored, worded for the reader.
fn intro(accounts: &[MailAccount<'_>], voice: Voice) -> String {
    match (voice, accounts) {
        (Voice::User, [_]) => phrase("intro_user_one", &[]),
        (Voice::User, _) => phrase("intro_user_many", &[]),
        (Voice::Recipient, [one]) => phrase(
            "intro_recipient_one",
            &[
                ("display_name", &clean(one.display_name)),
                ("upn", &clean(one.upn)),
            ],
        ),
        (Voice::Recipient, _) => phrase(
            "intro_recipient_many",
            &[("count", &accounts.len().to_string())],
        ),
    }
}

/// The paragraphs after the listing, each with its blank line: what is missing from it, then
/// what the reader must know (a disabled account first).
fn notes(accounts: &[MailAccount<'_>], voice: Voice, options: &SignInMail) -> String {
    let mut notes: Vec<String> = Vec::new();
    // Guests have no password to hand over: they count for neither note.
    let members: Vec<&MailAccount<'_>> = accounts.iter().filter(|a| !a.guest).collect();
    let shown = members
        .iter()
        .filter(|a| a.shown_password(options).is_some())
        .count();
    let all_taps = members.iter().all(|a| a.tap.is_some());
    if !members.is_empty() {
        if shown == 0 && all_taps {
            notes.push(phrase(&voiced("no_tap", voice), &[]));
        } else if shown == 0 {
            notes.push(phrase(&voiced("no_password", voice), &[]));
        } else if shown < members.len() {
            notes.push(phrase(&voiced("some_passwords", voice), &[]));
        }
        // A pass is not a password: nothing is changed at its first use.
        if options.force_change && !all_taps {
            notes.push(phrase(&voiced("force_change", voice), &[]));
        }
    }
    let names = |pick: fn(&MailAccount<'_>) -> bool| {
        accounts
            .iter()
            .filter(|a| pick(a))
            .map(|a| clean(a.display_name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let tap_names = names(|a| a.tap.is_some() && !a.guest);
    if !tap_names.is_empty() {
        notes.push(phrase(&voiced("tap", voice), &[("names", &tap_names)]));
    }
    // Before anything else the reader must know: the sign-in cannot work yet.
    let disabled = names(|a| a.disabled);
    if !disabled.is_empty() {
        notes.insert(
            0,
            phrase(&voiced("disabled", voice), &[("names", &disabled)]),
        );
    }
    let synced = names(|a| a.synced);
    if !synced.is_empty() {
        notes.push(phrase(&voiced("synced", voice), &[("names", &synced)]));
    }
    let guests = names(|a| a.guest);
    if !guests.is_empty() {
        notes.push(phrase(
            &voiced("guest", voice),
            &[("names", &guests), ("sign_in_url", &options.sign_in_url)],
        ));
    }
    // Each paragraph brings its own blank line, so no notes leave no gap behind.
    notes.iter().map(|n| format!("{n}\n\n")).collect()
}

/// The whole message for `to`: one mail listing every account, worded for whoever `to` is.
pub fn sign_in_message(
    accounts: &[MailAccount<'_>],
    to: &[String],
    options: &SignInMail,
) -> MailMessage {
    let voice = voice(accounts, to);
    MailMessage {
        sender: options.sender.clone(),
        to: to.to_vec(),
        subject: subject(accounts, voice),
        body: body(accounts, voice, options),
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

    fn account<'a>(name: &'a str, upn: &'a str, pw: &'a SecretString) -> MailAccount<'a> {
        MailAccount {
            display_name: name,
            upn,
            password: Some(pw),
            previous_upn: None,
            mail: None,
            synced: false,
            guest: false,
            tap: None,
            disabled: false,
        }
    }

    fn admin() -> Vec<String> {
        vec!["admin@contoso.com".into()]
    }

    #[test]
    fn to_the_admin_about_one_user() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let accounts = [account("Adele Vance", "adele.vance@contoso.com", &pw)];
        let msg = sign_in_message(&accounts, &admin(), &options(true));
        assert_eq!(
            msg.subject,
            "Sign-in info for Adele Vance (adele.vance@contoso.com)"
        );
        assert!(
            msg.body.contains(
                "Adele Vance's account (adele.vance@contoso.com) was restored. \
                 Give them this sign-in info:"
            ),
            "{}",
            msg.body
        );
        assert!(msg.body.contains("Password:  Kiwi-Moon-42#x"));
        assert!(msg.body.contains("https://myapps.microsoft.com"));
        assert!(
            msg.body
                .contains("They will be asked to choose a new password")
        );
        // Nothing in it speaks to the admin as if they were the user.
        assert!(!msg.body.contains("Your account"), "{}", msg.body);
        assert!(!msg.body.contains("You will be asked"), "{}", msg.body);
        assert!(!msg.body.contains("{{"), "{}", msg.body);
        // One blank line between paragraphs, never a gap where a note was left out.
        assert!(!msg.body.contains("\n\n\n"), "{}", msg.body);
        assert!(!msg.html);
        assert!(!msg.save_to_sent_items);
    }

    #[test]
    fn to_the_admin_about_several_users() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let accounts = [
            account("Adele Vance", "adele.vance@contoso.com", &pw),
            account("Alex Wilber", "alex.wilber2@contoso.com", &pw),
            account("Diego Siciliani", "diego@contoso.com", &pw),
        ];
        // The admin plus one of the users: someone else reads it, so it speaks about them.
        let to = vec!["admin@contoso.com".into(), "adele.vance@contoso.com".into()];
        let msg = sign_in_message(&accounts, &to, &options(true));
        assert_eq!(msg.subject, "Sign-in info for 3 restored users");
        assert!(
            msg.body
                .contains("3 accounts were restored. Give each user their own")
        );
        assert!(msg.body.contains("alex.wilber2@contoso.com"));
        assert!(!msg.body.contains("Your account"));
    }

    #[test]
    fn to_the_users_themselves() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let mut adele = account("Adele Vance", "adele.vance@contoso.com", &pw);
        adele.mail = Some("Adele.Vance@Contoso.com");
        // Matched case-insensitively, by UPN or by mail, spaces around the address ignored.
        for to in ["ADELE.VANCE@contoso.com", " adele.vance@contoso.com "] {
            let accounts = [account("Adele Vance", "adele.vance@contoso.com", &pw)];
            assert_eq!(voice(&accounts, &[to.into()]), Voice::User, "{to}");
        }
        let accounts = [adele];
        let msg = sign_in_message(
            &accounts,
            &["adele.vance@contoso.com".into()],
            &options(true),
        );
        assert_eq!(msg.subject, "Your account has been restored");
        assert!(
            msg.body
                .contains("Your account has been restored. Here is how to sign in:")
        );
        assert!(
            msg.body
                .contains("You will be asked to choose a new password")
        );
        assert!(!msg.body.contains("Give them"));
        // Several users, each mailed on the same list: still their own voice.
        let pw2 = SecretString::from("Other-Pass-9!");
        let accounts = [
            account("Adele Vance", "adele.vance@contoso.com", &pw),
            account("Alex Wilber", "alex.wilber@contoso.com", &pw2),
        ];
        let to = vec![
            "alex.wilber@contoso.com".into(),
            "adele.vance@contoso.com".into(),
        ];
        let msg = sign_in_message(&accounts, &to, &options(true));
        assert_eq!(msg.subject, "2 accounts have been restored");
        // No recipients at all is nobody's own address.
        assert_eq!(voice(&accounts, &[]), Voice::Recipient);
    }

    #[test]
    fn a_renamed_user_name_is_spelled_out() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let mut alex = account("Alex Wilber", "alex.wilber2@contoso.com", &pw);
        alex.previous_upn = Some("alex.wilber@contoso.com");
        let msg = sign_in_message(&[alex], &admin(), &options(true));
        assert!(
            msg.body.contains(
                "The user name changed in the restore: alex.wilber@contoso.com → \
                 alex.wilber2@contoso.com"
            ),
            "{}",
            msg.body
        );
        // The old name is theirs too: mailing it is mailing the user.
        let mut alex = account("Alex Wilber", "alex.wilber2@contoso.com", &pw);
        alex.previous_upn = Some("alex.wilber@contoso.com");
        assert_eq!(
            voice(&[alex], &["alex.wilber@contoso.com".into()]),
            Voice::User
        );
        // Unchanged (only the case differs): nothing to say.
        let mut same = account("Alex Wilber", "alex.wilber@contoso.com", &pw);
        same.previous_upn = Some("Alex.Wilber@contoso.com");
        let msg = sign_in_message(&[same], &admin(), &options(true));
        assert!(!msg.body.contains("changed in the restore"));
    }

    #[test]
    fn a_synced_user_must_be_restored_on_premises_too() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let mut diego = account("Diego Siciliani", "diego@contoso.com", &pw);
        diego.synced = true;
        let accounts = [diego, account("Adele Vance", "adele@contoso.com", &pw)];
        let msg = sign_in_message(&accounts, &admin(), &options(true));
        assert!(
            msg.body.contains(
                "Diego Siciliani: synced from on-premises Active Directory. Restore them there"
            ),
            "{}",
            msg.body
        );
        assert!(msg.body.contains("next directory sync deletes them again"));
        assert!(!msg.body.contains("Adele Vance: synced"));
        let mut diego = account("Diego Siciliani", "diego@contoso.com", &pw);
        diego.synced = true;
        let msg = sign_in_message(&[diego], &["diego@contoso.com".into()], &options(true));
        assert!(
            msg.body
                .contains("Your IT administrator must restore it there as well")
        );
        // Nobody synced, no such paragraph.
        let msg = sign_in_message(
            &[account("Adele Vance", "adele@contoso.com", &pw)],
            &admin(),
            &options(true),
        );
        assert!(!msg.body.contains("on-premises"));
    }

    #[test]
    fn a_disabled_account_is_said_to_block_sign_in_until_it_is_enabled() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let mut megan = account("Megan Bowen", "megan@contoso.com", &pw);
        megan.disabled = true;
        let accounts = [megan, account("Adele Vance", "adele@contoso.com", &pw)];
        let msg = sign_in_message(&accounts, &admin(), &options(true));
        assert!(
            msg.body.contains(
                // layout: the template's labels are aligned.
                "  User name: megan@contoso.com\n  Password:  Kiwi-Moon-42#x\n  Sign-in:   \
                 blocked until the account is enabled (see below)\n"
            ),
            "{}",
            msg.body
        );
        // Said once, before the other notes, with how to enable it; Adele is not named.
        let note = "Megan Bowen: the account is disabled (it was when it was deleted, and a \
                    restore keeps it so). Signing in fails, with this password or any other, \
                    until it is enabled: in the Entra admin center";
        assert!(msg.body.contains(note), "{}", msg.body);
        assert!(msg.body.find(note) < msg.body.find("They will be asked"));
        assert!(msg.body.contains("\"accountEnabled\": true"));
        assert!(!msg.body.contains("Adele Vance: the account is disabled"));
        assert!(!msg.body.contains("\n\n\n"), "{}", msg.body);
        // To the user: it speaks to them, and names who can enable it.
        let mut megan = account("Megan Bowen", "megan@contoso.com", &pw);
        megan.disabled = true;
        let msg = sign_in_message(&[megan], &["megan@contoso.com".into()], &options(true));
        assert!(
            msg.body
                .contains("still disabled, so signing in will not work yet"),
            "{}",
            msg.body
        );
        assert!(
            msg.body
                .contains("Your IT administrator must enable it first.")
        );
        // Nobody disabled: not a word of it.
        let msg = sign_in_message(
            &[account("Adele Vance", "adele@contoso.com", &pw)],
            &admin(),
            &options(true),
        );
        assert!(!msg.body.contains("disabled") && !msg.body.contains("Sign-in:"));
    }

    #[test]
    fn a_guest_gets_no_password_and_is_told_how_to_get_back_in() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let mut zoe = account("Zoë Ødegård", "zoe_fabrikam.com#EXT#@contoso.com", &pw);
        zoe.guest = true;
        zoe.mail = Some("zoe@fabrikam.com");
        let accounts = [zoe];
        let msg = sign_in_message(&accounts, &admin(), &options(true));
        assert!(!msg.body.contains("Kiwi-Moon-42#x"), "{}", msg.body);
        assert!(!msg.body.contains("Password:"), "{}", msg.body);
        assert!(
            // layout: the template's labels are aligned.
            msg.body.contains("Guest:     no password here"),
            "{}",
            msg.body
        );
        assert!(msg.body.contains("Zoë Ødegård: a guest"));
        assert!(msg.body.contains("the account they were invited with"));
        assert!(msg.body.contains("from https://myapps.microsoft.com"));
        assert!(msg.body.contains("resend their invitation"));
        // No "the password is not in this email" or "choose a new password": there is none.
        assert!(!msg.body.contains("another way"), "{}", msg.body);
        assert!(!msg.body.contains("new password"), "{}", msg.body);
        // Mailed to their home address, it speaks to them.
        let msg = sign_in_message(&accounts, &["ZOE@fabrikam.com".into()], &options(true));
        assert_eq!(msg.subject, "Your account has been restored");
        assert!(msg.body.contains("You are a guest in this organisation"));
        assert!(!msg.body.contains("Kiwi-Moon-42#x"));
    }

    #[test]
    fn include_password_off_leaves_every_password_out() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let accounts = [
            account("Adele Vance", "adele.vance@contoso.com", &pw),
            account("Alex Wilber", "alex.wilber2@contoso.com", &pw),
        ];
        let msg = sign_in_message(&accounts, &admin(), &options(false));
        assert!(!msg.body.contains("Kiwi-Moon-42#x"));
        assert!(!msg.body.contains("Password:"));
        assert!(
            msg.body
                .contains("not in this email: hand it over another way")
        );
        assert!(msg.body.contains("alex.wilber2@contoso.com"));
        assert!(!msg.body.contains("\n\n\n"), "{}", msg.body);
        assert!(msg.save_to_sent_items, "no secret in it, so it may be kept");
        let msg = sign_in_message(
            &accounts[..1],
            &["adele.vance@contoso.com".into()],
            &options(false),
        );
        assert!(
            msg.body
                .contains("your IT administrator will give it to you another way")
        );
    }

    #[test]
    fn some_passwords_missing_is_said() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let mut alex = account("Alex Wilber", "alex.wilber2@contoso.com", &pw);
        alex.password = None;
        let accounts = [account("Adele Vance", "adele.vance@contoso.com", &pw), alex];
        let msg = sign_in_message(&accounts, &admin(), &options(true));
        assert!(msg.body.contains("Password:  Kiwi-Moon-42#x"));
        assert!(
            msg.body
                .contains("Accounts listed without a password get theirs another way.")
        );
    }

    #[test]
    fn server_strings_cannot_break_lines_or_inject_placeholders() {
        let pw = SecretString::from("Kiwi-Moon-42#x");
        let accounts = [account(
            "Eve\r\nBcc: x@evil.com \u{1b}[31m{{password}}",
            "eve@contoso.com",
            &pw,
        )];
        let msg = sign_in_message(&accounts, &admin(), &options(true));
        assert!(
            !msg.subject.contains(['\r', '\n', '\u{1b}']),
            "{:?}",
            msg.subject
        );
        assert!(!msg.body.contains('\u{1b}'));
        assert!(
            msg.body.contains("Eve Bcc: x@evil.com {{password}}"),
            "{}",
            msg.body
        );
    }

    #[test]
    fn a_pass_is_listed_with_its_expiry_and_no_password_change_note() {
        let pass = SecretString::from("Tq8#kPz4".to_string());
        let expires = chrono::DateTime::parse_from_rfc3339("2026-03-01T10:30:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let account = MailAccount {
            display_name: "Adele Vance",
            upn: "adele@contoso.com",
            password: Some(&pass),
            previous_upn: None,
            mail: None,
            synced: false,
            guest: false,
            tap: Some(crate::directory::tap::TapTerms {
                expires,
                usable_once: true,
            }),
            disabled: false,
        };
        let msg = sign_in_message(
            std::slice::from_ref(&account),
            &["it@contoso.com".to_string()],
            &options(true),
        );
        assert!(
            msg.body.contains("Temporary Access Pass: Tq8#kPz4"),
            "{}",
            msg.body
        );
        assert!(
            msg.body
                .contains("Valid until: 2026-03-01 10:30 UTC, one use only"),
            "{}",
            msg.body
        );
        assert!(msg.body.contains("mysecurityinfo"), "{}", msg.body);
        assert!(!msg.body.contains("new password"), "{}", msg.body);
        let msg = sign_in_message(&[account], &["it@contoso.com".to_string()], &options(false));
        assert!(!msg.body.contains("Tq8#kPz4"), "{}", msg.body);
        assert!(
            msg.body
                .contains("the Temporary Access Pass is not in this email"),
            "{}",
            msg.body
        );
    }

    #[test]
    fn every_phrase_exists() {
        for key in [
            "subject_user_one",
            "subject_user_many",
            "subject_recipient_one",
            "subject_recipient_many",
            "intro_user_one",
            "intro_user_many",
            "intro_recipient_one",
            "intro_recipient_many",
            "renamed",
            "disabled_line",
        ] {
            assert!(!phrase(key, &[]).is_empty(), "{key}");
        }
        for stem in [
            "no_tap",
            "tap",
            "no_password",
            "some_passwords",
            "force_change",
            "synced",
            "guest",
            "disabled",
        ] {
            for v in [Voice::User, Voice::Recipient] {
                assert!(!phrase(&voiced(stem, v), &[]).is_empty(), "{stem} {v:?}");
            }
        }
    }

    #[test]
    fn clouds_have_their_own_portal() {
        assert_eq!(sign_in_url(Cloud::Usgov), "https://myapps.microsoft.us");
        assert!(sign_in_url(Cloud::China).ends_with(".cn"));
    }
}
