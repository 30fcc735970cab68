//! What an access token says about us, read without verifying it (Graph verifies; we only look
//! at our own token to warn early), and the permission self-check built on it: which permission
//! the app lacks, which action that blocks, and what to grant.

use jsonwebtoken::errors::ErrorKind;
use serde::Deserialize;
use serde_json::Value;

use undelete_common::sanitize;

/// The claims undelete cares about. Every string is sanitized: they are shown in the header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenClaims {
    /// Delegated scopes (`scp`, space separated in the token).
    pub scopes: Vec<String>,
    /// Application permissions (`roles`).
    pub roles: Vec<String>,
    /// Directory role template ids of the caller (`wids`), when the token carries them.
    pub wids: Option<Vec<String>>,
    pub tenant_id: Option<String>,
    /// `upn`, else `preferred_username`, else `unique_name`.
    pub account: Option<String>,
    pub name: Option<String>,
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    pub object_id: Option<String>,
    /// `idtyp`: `user` or `app` when present.
    pub identity_type: Option<String>,
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Delegated,
    AppOnly,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Mode::Delegated => "delegated",
            Mode::AppOnly => "app-only",
        }
    }
}

impl TokenClaims {
    /// Decodes the payload of a JWT, without verifying it (see the module's note). Fails on
    /// anything that is not three base64url parts with a JSON object in the middle.
    pub fn decode(token: &str) -> Result<Self, String> {
        let not_a_jwt = || "the access token is not a JWT (expected three dot-separated parts)";
        if token.split('.').count() != 3 {
            return Err(not_a_jwt().into());
        }
        let raw: Raw =
            jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|e| match e.kind() {
                ErrorKind::InvalidToken => not_a_jwt().to_string(),
                ErrorKind::Base64(why) => {
                    format!("the access token payload is not base64url: {why}")
                }
                _ => format!("the access token payload is not a JSON object: {e}"),
            })?;
        Ok(raw.into_claims())
    }

    /// App-only tokens carry `roles` and no `scp`; `idtyp` settles it when present.
    pub fn mode(&self) -> Mode {
        match self.identity_type.as_deref() {
            Some(t) if t.eq_ignore_ascii_case("app") => Mode::AppOnly,
            Some(t) if t.eq_ignore_ascii_case("user") => Mode::Delegated,
            _ if self.scopes.is_empty() && self.account.is_none() => Mode::AppOnly,
            _ => Mode::Delegated,
        }
    }

    /// The permissions the token grants in its mode.
    pub fn granted(&self) -> &[String] {
        match self.mode() {
            Mode::Delegated => &self.scopes,
            Mode::AppOnly => &self.roles,
        }
    }

    fn grants_any(&self, perms: &[&str]) -> bool {
        self.granted()
            .iter()
            .any(|g| perms.iter().any(|p| g.eq_ignore_ascii_case(p)))
    }

    /// Who the header should name: the account, else the app's name or id.
    pub fn principal(&self) -> String {
        self.account
            .clone()
            .or_else(|| self.app_name.clone())
            .or_else(|| self.app_id.clone())
            .unwrap_or_else(|| "unknown".into())
    }
}

#[derive(Deserialize)]
struct Raw {
    scp: Option<String>,
    #[serde(default)]
    roles: Option<Value>,
    wids: Option<Vec<String>>,
    tid: Option<String>,
    upn: Option<String>,
    preferred_username: Option<String>,
    unique_name: Option<String>,
    name: Option<String>,
    appid: Option<String>,
    azp: Option<String>,
    app_displayname: Option<String>,
    oid: Option<String>,
    idtyp: Option<String>,
    exp: Option<Value>,
}

impl Raw {
    fn into_claims(self) -> TokenClaims {
        let clean = |s: Option<String>| sanitize::clean_opt(s.as_deref()).filter(|s| !s.is_empty());
        let scopes = self
            .scp
            .as_deref()
            .map(|s| s.split_whitespace().map(sanitize::clean).collect())
            .unwrap_or_default();
        // `roles` is an array; a lone string has been seen from other issuers.
        let roles = match self.roles {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(sanitize::clean)
                .collect(),
            Some(Value::String(s)) => vec![sanitize::clean(&s)],
            _ => Vec::new(),
        };
        let exp = match self.exp {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        TokenClaims {
            scopes,
            roles,
            wids: self
                .wids
                .map(|w| w.iter().map(|s| sanitize::clean(s)).collect()),
            tenant_id: clean(self.tid),
            account: clean(self.upn)
                .or_else(|| clean(self.preferred_username))
                .or_else(|| clean(self.unique_name)),
            name: clean(self.name),
            app_id: clean(self.appid).or_else(|| clean(self.azp)),
            app_name: clean(self.app_displayname),
            object_id: clean(self.oid),
            identity_type: clean(self.idtyp),
            expires_at: exp,
        }
    }
}

/// What the admin can try to do, for the self-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ListDeleted,
    Restore,
    SetPassword,
    SendMail,
    Purge,
    /// Issue a Temporary Access Pass: optional, so not in `ALL` (see `tap_check`).
    IssueTap,
    /// The conflict sweep's reads of active users, groups and org contacts, and the audit
    /// log's deletions: optional too (see `optional_checks`); the table works without them.
    SweepUsers,
    SweepGroups,
    SweepContacts,
    ReadDeletions,
    /// Giving back what an offboarding took: optional too; the dialog greys what the
    /// sign-in cannot give back.
    BringBackGroups,
    /// A group's ownership: Graph asks more than for a membership.
    BringBackOwners,
    BringBackLicences,
    BringBackSignIn,
    BringBackRoles,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::ListDeleted,
        Action::Restore,
        Action::SetPassword,
        Action::SendMail,
        Action::Purge,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Action::ListDeleted => "listing deleted users",
            Action::Restore => "restoring users",
            Action::SetPassword => "setting passwords",
            Action::SendMail => "emailing sign-in info",
            Action::Purge => "purging users",
            Action::IssueTap => "issuing Temporary Access Passes",
            Action::SweepUsers => "checking conflicts with active users",
            Action::SweepGroups => "checking conflicts with groups",
            Action::SweepContacts => "checking conflicts with org contacts",
            Action::ReadDeletions => {
                "showing who deleted each user and what offboarding took (the audit log)"
            }
            Action::BringBackGroups => "bringing back group memberships",
            Action::BringBackOwners => "bringing back group ownerships",
            Action::BringBackLicences => "bringing back licences",
            Action::BringBackSignIn => "allowing sign-in again",
            Action::BringBackRoles => "bringing back directory roles",
        }
    }

    /// Permissions that allow the action, least privileged first (the one to grant).
    pub const fn permissions(self) -> &'static [&'static str] {
        match self {
            Action::ListDeleted => &[
                "User.Read.All",
                "User.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            Action::Restore | Action::Purge => &[
                "User.DeleteRestore.All",
                "User.ReadWrite.All",
                "Directory.ReadWrite.All",
            ],
            Action::SetPassword => &[
                "User-PasswordProfile.ReadWrite.All",
                "User.ReadWrite.All",
                "Directory.ReadWrite.All",
                // Delegated only; Graph requires it to reset an administrator's password.
                "Directory.AccessAsUser.All",
            ],
            Action::SendMail => &["Mail.Send"],
            Action::IssueTap => &["UserAuthenticationMethod.ReadWrite.All"],
            // learn.microsoft.com: "List users", "List groups", "List orgContacts" and their
            // delta functions, "List directoryAudits"; least privileged first.
            Action::SweepUsers => &[
                "User.Read.All",
                "User.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            Action::SweepGroups => &[
                "GroupMember.Read.All",
                "Group.Read.All",
                "GroupMember.ReadWrite.All",
                "Group.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            Action::SweepContacts => &[
                "OrgContact.Read.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            Action::ReadDeletions => &["AuditLog.Read.All"],
            // "Add members", "assignLicense", "Update user" (accountEnabled) and "Create
            // unifiedRoleAssignment" on learn.microsoft.com; least privileged first.
            Action::BringBackGroups => &[
                "GroupMember.ReadWrite.All",
                "Group.ReadWrite.All",
                "Directory.ReadWrite.All",
            ],
            Action::BringBackOwners => &["Group.ReadWrite.All", "Directory.ReadWrite.All"],
            Action::BringBackLicences => &[
                "LicenseAssignment.ReadWrite.All",
                "User.ReadWrite.All",
                "Directory.ReadWrite.All",
            ],
            Action::BringBackSignIn => &[
                "User.EnableDisableAccount.All",
                "User.ReadWrite.All",
                "Directory.ReadWrite.All",
            ],
            Action::BringBackRoles => &["RoleManagement.ReadWrite.Directory"],
        }
    }

    /// Entra roles (template ids) that may do it; the first is the one to assign.
    fn roles(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Action::ListDeleted
            | Action::SendMail
            | Action::SweepUsers
            | Action::SweepGroups
            | Action::SweepContacts
            | Action::ReadDeletions
            | Action::BringBackGroups
            | Action::BringBackOwners
            | Action::BringBackLicences
            | Action::BringBackSignIn
            | Action::BringBackRoles => &[],
            Action::IssueTap => &[AUTH_ADMIN, PRIVILEGED_AUTH_ADMIN, GLOBAL_ADMIN],
            Action::Restore | Action::Purge => &[USER_ADMIN, GLOBAL_ADMIN],
            Action::SetPassword => &[
                USER_ADMIN,
                PRIVILEGED_AUTH_ADMIN,
                GLOBAL_ADMIN,
                HELPDESK_ADMIN,
                PASSWORD_ADMIN,
                AUTH_ADMIN,
            ],
        }
    }
}

const USER_ADMIN: (&str, &str) = ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1");
const GLOBAL_ADMIN: (&str, &str) = (
    "Global Administrator",
    "62e90394-69f5-4237-9190-012177145e10",
);
const PRIVILEGED_AUTH_ADMIN: (&str, &str) = (
    "Privileged Authentication Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
);
const HELPDESK_ADMIN: (&str, &str) = (
    "Helpdesk Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8",
);
const PASSWORD_ADMIN: (&str, &str) = (
    "Password Administrator",
    "966707d0-3269-4727-9be2-8c3a10f19b9d",
);
const AUTH_ADMIN: (&str, &str) = (
    "Authentication Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f",
);

/// One problem the self-check found, worded for the header and `undelete login`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The token lacks every permission that allows `action`.
    MissingPermission {
        action: Action,
        mode: Mode,
        grant: &'static str,
    },
    /// The token names the caller's roles and none of them allows `action`.
    MissingRole {
        action: Action,
        mode: Mode,
        assign: &'static str,
    },
    /// App-only mail has no mailbox to send from.
    NoMailSender,
}

impl Warning {
    pub fn action(&self) -> Action {
        match self {
            Warning::MissingPermission { action, .. } | Warning::MissingRole { action, .. } => {
                *action
            }
            Warning::NoMailSender => Action::SendMail,
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::MissingPermission {
                action,
                mode,
                grant,
            } => {
                let kind = match mode {
                    Mode::Delegated => "delegated permission",
                    Mode::AppOnly => "application permission",
                };
                write!(
                    f,
                    "{} will fail: the token lacks {grant}. Grant the {kind} {grant} to the app \
                     (with admin consent), then sign in again.",
                    capitalize(action.describe())
                )
            }
            Warning::MissingRole {
                action,
                mode,
                assign,
            } => {
                let who = match mode {
                    Mode::Delegated => "the signed-in account",
                    Mode::AppOnly => "the app's service principal",
                };
                write!(
                    f,
                    "{} will fail: {who} has no Entra role that allows it. Assign the \
                     {assign} role, then sign in again.",
                    capitalize(action.describe())
                )
            }
            Warning::NoMailSender => f.write_str(
                "Emailing sign-in info needs a sender mailbox with app-only sign-in: \
                 pass --mail-from UPN (a mailbox the app may send as).",
            ),
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The self-check: for each action, whether the token allows it. Roles are only checked when
/// the token lists them (`wids`); when it does not, Graph will say so at the first try.
pub fn self_check(claims: &TokenClaims, mail_from: Option<&str>) -> Vec<Warning> {
    let mode = claims.mode();
    let mut out = Vec::new();
    for action in Action::ALL {
        let perms = action.permissions();
        if !claims.grants_any(perms) {
            out.push(Warning::MissingPermission {
                action,
                mode,
                grant: perms[0],
            });
            continue;
        }
        // An app's own permission is enough to restore and purge; only a password reset also
        // needs a directory role in app-only mode (Graph's "Update user" rules).
        let roles = match (mode, action) {
            (Mode::AppOnly, a) if a != Action::SetPassword => &[][..],
            _ => action.roles(),
        };
        if let (Some(wids), Some(first)) = (&claims.wids, roles.first()) {
            let has_role = roles
                .iter()
                .any(|(_, id)| wids.iter().any(|w| w.eq_ignore_ascii_case(id)));
            if !has_role {
                out.push(Warning::MissingRole {
                    action,
                    mode,
                    assign: first.0,
                });
            }
        }
    }
    if mode == Mode::AppOnly && mail_from.is_none_or(|m| m.trim().is_empty()) {
        out.push(Warning::NoMailSender);
    }
    out
}

/// Whether the token may issue Temporary Access Passes: the permission, and (delegated, when
/// the token lists roles) an authentication administrator's role. Kept out of `self_check`:
/// the pass is an optional hand-off, and a tenant without it still restores with passwords.
pub fn tap_check(claims: &TokenClaims) -> Option<Warning> {
    let mode = claims.mode();
    let action = Action::IssueTap;
    let perms = action.permissions();
    if !claims.grants_any(perms) {
        return Some(Warning::MissingPermission {
            action,
            mode,
            grant: perms[0],
        });
    }
    let roles = action.roles();
    if mode == Mode::Delegated
        && let Some(wids) = &claims.wids
        && !roles
            .iter()
            .any(|(_, id)| wids.iter().any(|w| w.eq_ignore_ascii_case(id)))
    {
        return Some(Warning::MissingRole {
            action,
            mode,
            assign: roles[0].0,
        });
    }
    None
}

/// The optional reads and writes the token does not allow: the conflict sweep's (active users,
/// groups, org contacts), the audit log's, and giving back what offboarding took. Apart from
/// `self_check`: without them the table still lists and restores; its badges, the details
/// pane and the restore dialog say what is missing.
pub fn optional_checks(claims: &TokenClaims) -> Vec<Warning> {
    let mode = claims.mode();
    [
        Action::SweepUsers,
        Action::SweepGroups,
        Action::SweepContacts,
        Action::ReadDeletions,
        Action::BringBackGroups,
        Action::BringBackOwners,
        Action::BringBackLicences,
        Action::BringBackSignIn,
        Action::BringBackRoles,
    ]
    .into_iter()
    .filter(|a| !claims.grants_any(a.permissions()))
    .map(|action| Warning::MissingPermission {
        action,
        mode,
        grant: action.permissions()[0],
    })
    .collect()
}

/// The sender for the sign-in email: the signed-in admin (delegated, `None`: `/me/sendMail`) or
/// `--mail-from` (app-only). App-only without `--mail-from` is an error that says what to pass.
pub fn mail_sender(mode: Mode, mail_from: Option<&str>) -> Result<Option<String>, String> {
    let given = mail_from.map(str::trim).filter(|m| !m.is_empty());
    match (mode, given) {
        (_, Some(m)) if !m.contains('@') => Err(format!(
            "--mail-from {m:?} is not a mailbox address (expected a UPN such as helpdesk@contoso.com)"
        )),
        (Mode::AppOnly, Some(m)) => Ok(Some(m.to_string())),
        (Mode::AppOnly, None) => Err(Warning::NoMailSender.to_string()),
        // Delegated mail always goes out as the signed-in admin; --mail-from would be misleading.
        (Mode::Delegated, _) => Ok(None),
    }
}

#[cfg(test)]
pub(crate) fn fake_jwt(payload: &serde_json::Value) -> String {
    use base64::Engine;
    let enc = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    format!(
        "{}.{}.{}",
        enc(br#"{"alg":"none"}"#),
        enc(payload.to_string().as_bytes()),
        enc(b"sig")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(v: serde_json::Value) -> TokenClaims {
        TokenClaims::decode(&fake_jwt(&v)).unwrap_or_else(|e| panic!("{e}"))
    }

    const ALL_DELEGATED: &str = "User.Read.All User.DeleteRestore.All \
        User-PasswordProfile.ReadWrite.All Mail.Send";

    #[test]
    fn delegated_token_with_every_scope_passes() {
        let c = decode(json!({"scp": ALL_DELEGATED, "upn": "admin@contoso.com", "tid": "t1"}));
        assert_eq!(c.mode(), Mode::Delegated);
        assert_eq!(c.principal(), "admin@contoso.com");
        assert!(self_check(&c, None).is_empty());
    }

    #[test]
    fn missing_scope_names_the_action_and_the_grant() {
        let c = decode(json!({"scp": "User.Read.All Mail.Send", "upn": "a@b.c"}));
        let w = self_check(&c, None);
        let actions: Vec<Action> = w.iter().map(Warning::action).collect();
        assert_eq!(
            actions,
            vec![Action::Restore, Action::SetPassword, Action::Purge]
        );
        let text = w[0].to_string();
        assert!(text.contains("Restoring users will fail"), "{text}");
        assert!(
            text.contains("delegated permission User.DeleteRestore.All"),
            "{text}"
        );
    }

    #[test]
    fn higher_privileged_permissions_count() {
        let c = decode(json!({"roles": ["Directory.ReadWrite.All", "Mail.Send"], "idtyp": "app"}));
        assert_eq!(c.mode(), Mode::AppOnly);
        assert!(self_check(&c, Some("helpdesk@contoso.com")).is_empty());
        let w = self_check(&c, None);
        assert_eq!(w, vec![Warning::NoMailSender]);
        assert!(w[0].to_string().contains("--mail-from"));
    }

    #[test]
    fn app_only_scopes_are_case_insensitive_and_scp_is_ignored() {
        let c = decode(json!({
            "roles": ["user.read.all", "USER.DELETERESTORE.ALL", "Mail.Send"],
            "scp": "User-PasswordProfile.ReadWrite.All",
            "idtyp": "app", "appid": "app-1"
        }));
        let w = self_check(&c, Some("x@y.z"));
        assert_eq!(
            w,
            vec![Warning::MissingPermission {
                action: Action::SetPassword,
                mode: Mode::AppOnly,
                grant: "User-PasswordProfile.ReadWrite.All"
            }]
        );
        assert!(w[0].to_string().contains("application permission"));
        assert_eq!(c.principal(), "app-1");
    }

    #[test]
    fn roles_are_checked_only_when_the_token_lists_them() {
        let plain_user = "b79fbf4d-3ef9-4689-8143-76b194e85509";
        let c = decode(json!({"scp": ALL_DELEGATED, "upn": "a@b.c", "wids": [plain_user]}));
        let w = self_check(&c, None);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w.iter().all(|w| matches!(
            w,
            Warning::MissingRole {
                assign: "User Administrator",
                ..
            }
        )));
        let c = decode(json!({"scp": ALL_DELEGATED, "upn": "a@b.c", "wids": [USER_ADMIN.1]}));
        assert!(self_check(&c, None).is_empty());
        // A helpdesk admin can reset passwords but not restore.
        let c = decode(json!({"scp": ALL_DELEGATED, "upn": "a@b.c", "wids": [HELPDESK_ADMIN.1]}));
        let actions: Vec<Action> = self_check(&c, None).iter().map(Warning::action).collect();
        assert_eq!(actions, vec![Action::Restore, Action::Purge]);
    }

    #[test]
    fn app_only_needs_a_role_for_passwords_only() {
        let roles = json!([
            "User.Read.All",
            "User.DeleteRestore.All",
            "User-PasswordProfile.ReadWrite.All",
            "Mail.Send"
        ]);
        let c = decode(json!({"roles": roles, "idtyp": "app", "wids": []}));
        let w = self_check(&c, Some("helpdesk@b.c"));
        assert_eq!(
            w,
            vec![Warning::MissingRole {
                action: Action::SetPassword,
                mode: Mode::AppOnly,
                assign: "User Administrator"
            }]
        );
        let c = decode(json!({"roles": roles, "idtyp": "app", "wids": [USER_ADMIN.1]}));
        assert!(self_check(&c, Some("helpdesk@b.c")).is_empty());
    }

    #[test]
    fn bad_tokens_are_errors_not_panics() {
        assert!(TokenClaims::decode("").is_err());
        assert!(TokenClaims::decode("a.b").is_err());
        assert!(TokenClaims::decode("a.!!!.c").is_err());
        use base64::Engine;
        let array = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("[1]");
        assert!(TokenClaims::decode(&format!("a.{array}.c")).is_err());
        assert!(TokenClaims::decode("a.b.c.d").is_err());
    }

    #[test]
    fn hostile_claims_are_sanitized() {
        let c = decode(json!({"upn": "evil\u{1b}]0;pwned\u{7}@x", "scp": "Mail.Send"}));
        assert!(!c.principal().contains('\u{1b}'));
    }

    #[test]
    fn mail_sender_rules() {
        assert_eq!(mail_sender(Mode::Delegated, None), Ok(None));
        assert_eq!(mail_sender(Mode::Delegated, Some("x@y.z")), Ok(None));
        assert_eq!(
            mail_sender(Mode::AppOnly, Some(" helpdesk@contoso.com ")),
            Ok(Some("helpdesk@contoso.com".into()))
        );
        let e = mail_sender(Mode::AppOnly, None).err().unwrap_or_default();
        assert!(e.contains("--mail-from"), "{e}");
        assert!(mail_sender(Mode::AppOnly, Some("nope")).is_err());
    }

    #[test]
    fn optional_reads_are_listed_apart_with_the_permission_to_grant() {
        // Delegated, as undelete asks: the sweep's users read is allowed, the rest is not.
        let c = decode(json!({"scp": "User.Read.All Mail.Send", "upn": "a@b.c"}));
        let missing: Vec<(Action, &str)> = optional_checks(&c)
            .into_iter()
            .map(|w| match w {
                Warning::MissingPermission { action, grant, .. } => (action, grant),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            missing,
            [
                (Action::SweepGroups, "GroupMember.Read.All"),
                (Action::SweepContacts, "OrgContact.Read.All"),
                (Action::ReadDeletions, "AuditLog.Read.All"),
                (Action::BringBackGroups, "GroupMember.ReadWrite.All"),
                (Action::BringBackOwners, "Group.ReadWrite.All"),
                (Action::BringBackLicences, "LicenseAssignment.ReadWrite.All"),
                (Action::BringBackSignIn, "User.EnableDisableAccount.All"),
                (Action::BringBackRoles, "RoleManagement.ReadWrite.Directory"),
            ]
        );
        // Never part of the self-check: the table works without them.
        assert!(self_check(&c, None).iter().all(|w| !matches!(
            w,
            Warning::MissingPermission {
                action: Action::SweepGroups | Action::SweepContacts | Action::ReadDeletions,
                ..
            }
        )));
        // A membership comes back with GroupMember.ReadWrite.All; an ownership does not.
        let members = decode(json!({"scp": "GroupMember.ReadWrite.All", "upn": "a@b.c"}));
        let lacking: Vec<Action> = optional_checks(&members)
            .into_iter()
            .map(|w| w.action())
            .collect();
        assert!(!lacking.contains(&Action::BringBackGroups), "{lacking:?}");
        assert!(lacking.contains(&Action::BringBackOwners), "{lacking:?}");
        let all = decode(json!({
            "roles": [
                "Directory.ReadWrite.All",
                "AuditLog.Read.All",
                "RoleManagement.ReadWrite.Directory"
            ],
            "idtyp": "app"
        }));
        assert!(optional_checks(&all).is_empty());
    }
}
