//! The plan: who is restored and how, and every rule a plan must pass before anything is sent.
//! The TUI and the commands collect choices into a `PlanRequest` and call `validate` here;
//! neither has a check of its own.

use std::collections::HashSet;

use secrecy::{ExposeSecret, SecretString};

use super::preflight::{Preflight, holder_words};
use crate::address::{self, parse_recipients};
use crate::directory::bring_back::BringBack;
use crate::directory::tap::{LIFETIME_RANGE, TapRequest};
use crate::directory::{DeletedUser, DirectoryError, ErrorKind};
use crate::password::{self, PolicyReport};

// ---------------------------------------------------------------------------------------------
// What the rules need to know about the tenant
// ---------------------------------------------------------------------------------------------

/// The tenant's verified domains (`GET /domains`). Unknown when they could not be read: new
/// user names are then checked for their form only, and the tenant's name is not banned from
/// passwords (the directory still refuses what it refuses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tenant {
    /// Verified domain names, lowercase. Empty: not known.
    domains: Vec<String>,
}

impl Tenant {
    /// From the domains the directory listed, as (name, verified).
    pub fn from_domains<'a>(domains: impl IntoIterator<Item = (&'a str, bool)>) -> Self {
        let mut verified: Vec<String> = domains
            .into_iter()
            .filter(|(_, v)| *v)
            .map(|(d, _)| d.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        verified.dedup();
        Self { domains: verified }
    }

    pub fn known(&self) -> bool {
        !self.domains.is_empty()
    }

    pub fn domains(&self) -> &[String] {
        &self.domains
    }

    /// `Some(true)` when the domain is one of the tenant's verified domains; `None` when they
    /// are not known.
    pub fn owns(&self, domain: &str) -> Option<bool> {
        self.known()
            .then(|| self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
    }

    /// The tenant's name as Entra's banned-password check sees it: the first label of each
    /// verified domain (`contoso` of `contoso.com` and `contoso.onmicrosoft.com`).
    pub fn names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for d in &self.domains {
            let label = d.split('.').next().unwrap_or_default();
            if label.len() >= MIN_NAME_LEN && !out.iter().any(|o| o == label) {
                out.push(label.to_string());
            }
        }
        out
    }
}

/// Shorter names are not banned: they would refuse passwords by accident ("Al", "Li").
const MIN_NAME_LEN: usize = 3;

/// The words of a user's name that a password must not contain, as Entra's banned-password
/// matching refuses the user's own first and last name: the display name's words and the
/// user name's parts, lowercase ASCII letters only (other scripts cannot occur in a password).
pub fn personal_words(display_name: &str, upn: &str) -> Vec<String> {
    let local = upn.split('@').next().unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for word in display_name
        .split(|c: char| !c.is_ascii_alphabetic())
        .chain(local.split(|c: char| !c.is_ascii_alphabetic()))
    {
        let word = word.to_ascii_lowercase();
        if word.len() >= MIN_NAME_LEN && !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Passwords
// ---------------------------------------------------------------------------------------------

/// A typed password against every rule this side of the directory knows: the policy of
/// DESIGN.md 4.4 and the names Entra bans (the tenant's, the user's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordCheck {
    pub policy: PolicyReport,
    /// The tenant or user name the password contains, if any.
    pub contains_name: Option<String>,
}

impl PasswordCheck {
    pub fn passes(&self) -> bool {
        self.policy.passes() && self.contains_name.is_none()
    }

    /// The first rule broken, in words; `None` when the password passes.
    pub fn first_failure(&self) -> Option<String> {
        self.policy.first_failure().or_else(|| {
            self.contains_name.as_ref().map(|n| {
                format!(
                    "It contains \"{n}\": the directory refuses passwords with the tenant's or \
                     the user's name."
                )
            })
        })
    }
}

/// Checks `password` for the given users (all of them get it) in `tenant`.
pub fn check_password(password: &str, tenant: &Tenant, users: &[&DeletedUser]) -> PasswordCheck {
    let names: Vec<(&str, &str)> = users
        .iter()
        .map(|u| (u.display_name.as_str(), u.original_upn.as_str()))
        .collect();
    check_password_for(password, tenant, &names)
}

/// The same, for users known only by (display name, user name).
pub fn check_password_for(
    password: &str,
    tenant: &Tenant,
    users: &[(&str, &str)],
) -> PasswordCheck {
    let lower = password.to_ascii_lowercase();
    let contains_name = tenant
        .names()
        .into_iter()
        .chain(
            users
                .iter()
                .flat_map(|(name, upn)| personal_words(name, upn)),
        )
        .find(|n| lower.contains(n.as_str()));
    PasswordCheck {
        policy: password::check(password),
        contains_name,
    }
}

// ---------------------------------------------------------------------------------------------
// User names
// ---------------------------------------------------------------------------------------------

/// A user name Graph would accept: `local@domain`, no spaces, a dotted domain, and (when the
/// tenant's domains are known) a domain the tenant has verified.
pub fn check_upn(upn: &str, tenant: &Tenant) -> Result<(), String> {
    address::check(upn).map_err(|e| format!("{upn:?} is not a valid user name: {e}"))?;
    let domain = upn.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    match tenant.owns(domain) {
        Some(false) => Err(format!(
            "{domain} is not a verified domain of this tenant (verified: {})",
            tenant.domains().join(", ")
        )),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// The request and its validation
// ---------------------------------------------------------------------------------------------

/// Where each user's password comes from. No `Debug`: it may hold one.
#[derive(Clone)]
pub enum PasswordChoice {
    /// A new generated password per user.
    Auto,
    /// This password for every user (it must pass the policy).
    Given(SecretString),
    /// No password: a Temporary Access Pass per user, issued after the restore.
    Tap(TapRequest),
}

impl PasswordChoice {
    /// The hand-off in a word, for logs and the journal.
    pub fn kind(&self) -> &'static str {
        match self {
            PasswordChoice::Auto => "auto",
            PasswordChoice::Given(_) => "given",
            PasswordChoice::Tap(_) => "tap",
        }
    }

    pub fn tap(&self) -> Option<TapRequest> {
        match self {
            PasswordChoice::Tap(t) => Some(*t),
            _ => None,
        }
    }
}

/// One user as the admin chose to restore it.
#[derive(Debug, Clone)]
pub struct UserRequest {
    pub user: DeletedUser,
    /// A new user name as typed (blank: keep the original).
    pub new_upn: Option<String>,
    pub reconcile_proxies: bool,
    /// What pre-flight found; `None` when it has not run (the restore itself then finds any
    /// conflict).
    pub preflight: Option<Preflight>,
    /// What offboarding took that is to be given back right after the restore.
    pub bring_back: Vec<BringBack>,
}

impl UserRequest {
    pub fn as_is(user: DeletedUser) -> Self {
        Self {
            user,
            new_upn: None,
            reconcile_proxies: false,
            preflight: None,
            bring_back: Vec::new(),
        }
    }

    /// The new user name chosen, trimmed; `None` when blank (the original is kept).
    pub fn chosen_upn(&self) -> Option<&str> {
        self.new_upn
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// Everything the admin chose, before validation. No `Debug`: it may hold a password.
#[derive(Clone)]
pub struct PlanRequest {
    pub users: Vec<UserRequest>,
    pub password: PasswordChoice,
    pub force_change: bool,
    pub force_change_with_mfa: bool,
    /// As typed: addresses separated by `;` or `,`; blank for nobody.
    pub recipients: String,
    pub include_password: bool,
    /// Guests sign in with their home account: they get no password unless this is on.
    pub guest_passwords: bool,
}

impl PlanRequest {
    pub fn new(users: Vec<UserRequest>) -> Self {
        Self {
            users,
            password: PasswordChoice::Auto,
            force_change: true,
            force_change_with_mfa: false,
            recipients: String::new(),
            include_password: true,
            guest_passwords: false,
        }
    }
}

/// Which choice a problem is about, so a front end can point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Password,
    Recipients,
    /// The new user name of the user at this index of the request.
    NewUpn(usize),
    /// Something about the user at this index as a whole (listed twice, a proxy conflict).
    User(usize),
}

impl Field {
    /// The user the problem is about, when it is about one.
    pub fn user(self) -> Option<usize> {
        match self {
            Field::NewUpn(i) | Field::User(i) => Some(i),
            Field::Password | Field::Recipients => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub message: String,
}

impl Problem {
    fn new(field: Field, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Every rule, in the order a form shows its fields: the password, the recipients, then each
/// user (listed twice, its new user name, conflicts pre-flight found unresolved).
pub fn validate(req: &PlanRequest, tenant: &Tenant) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let PasswordChoice::Given(p) = &req.password {
        let users: Vec<&DeletedUser> = req
            .users
            .iter()
            .filter(|u| gets_password(req, &u.user))
            .map(|u| &u.user)
            .collect();
        if let Some(why) = check_password(p.expose_secret(), tenant, &users).first_failure() {
            problems.push(Problem::new(
                Field::Password,
                format!("Password refused: {why}"),
            ));
        }
    }
    if let PasswordChoice::Tap(t) = &req.password
        && let Err(why) = check_tap_lifetime(t.lifetime_minutes)
    {
        problems.push(Problem::new(Field::Password, why));
    }
    if let Err(e) = parse_recipients(&req.recipients) {
        problems.push(Problem::new(Field::Recipients, e));
    }
    let mut seen = HashSet::new();
    for (i, u) in req.users.iter().enumerate() {
        let name = &u.user.display_name;
        if !seen.insert(u.user.id.as_str()) {
            problems.push(Problem::new(
                Field::User(i),
                format!("{name} ({}) is listed twice", u.user.id),
            ));
            continue;
        }
        let pf = u.preflight.as_ref();
        let upn_taken = pf.and_then(|p| p.upn_holder.as_ref());
        match (u.chosen_upn(), upn_taken) {
            (Some(new), _) => {
                if let Err(e) = check_upn(new, tenant) {
                    problems.push(Problem::new(Field::NewUpn(i), format!("{name}: {e}")));
                } else if upn_taken.is_some() && new.eq_ignore_ascii_case(&u.user.original_upn) {
                    problems.push(Problem::new(
                        Field::NewUpn(i),
                        format!("{name}: {new} is taken; choose another user name"),
                    ));
                } else if let Some(h) = pf.and_then(|p| p.new_upn_holder(new)) {
                    problems.push(Problem::new(
                        Field::NewUpn(i),
                        format!(
                            "{name}: user name {new} is already used by {}; choose another user \
                             name",
                            holder_words(h)
                        ),
                    ));
                }
            }
            (None, Some(holder)) => problems.push(Problem::new(
                Field::NewUpn(i),
                format!(
                    "{name}: user name {} is now used by \"{}\"; choose a new user name{}",
                    holder.user_principal_name.as_deref().unwrap_or_default(),
                    holder.display_name,
                    pf.and_then(|p| p.suggested_upn.as_deref())
                        .map(|s| format!(" (e.g. {s})"))
                        .unwrap_or_default()
                ),
            )),
            (None, None) => {}
        }
        if let Some(p) = pf
            && !p.proxy_holders.is_empty()
            && !u.reconcile_proxies
        {
            let held: Vec<String> = p
                .proxy_holders
                .iter()
                .map(|(a, h)| format!("{a} is held by {}", holder_words(h)))
                .collect();
            problems.push(Problem::new(
                Field::User(i),
                format!(
                    "{name}: proxy address {}; remove conflicting proxy addresses",
                    held.join("; ")
                ),
            ));
        }
    }
    problems
}

/// What the admin should know that does not stop the restore, one line per user.
pub fn warnings(req: &PlanRequest) -> Vec<String> {
    let mut out = Vec::new();
    for u in &req.users {
        if u.user.on_premises_sync_enabled {
            out.push(format!(
                "{} is synced from on-premises AD: restore it there too, or the next sync \
                 deletes it again",
                u.user.original_upn
            ));
        }
        if u.user.is_guest() && !req.guest_passwords {
            out.push(format!(
                "{} is a guest: no password is set (guests sign in with their home account)",
                u.user.original_upn
            ));
        }
    }
    out
}

/// A pass's lifetime within Graph's bounds (the tenant's policy may narrow them further; see
/// `TapPolicy::check_lifetime`).
pub fn check_tap_lifetime(minutes: u32) -> Result<(), String> {
    let (lo, hi) = LIFETIME_RANGE;
    if (lo..=hi).contains(&minutes) {
        Ok(())
    } else {
        Err(format!(
            "A Temporary Access Pass lasts {lo} to {hi} minutes (30 days); {minutes} is outside it"
        ))
    }
}

fn gets_password(req: &PlanRequest, user: &DeletedUser) -> bool {
    !user.is_guest() || req.guest_passwords
}

/// The plan for a request that `validate` passed, without the users it names in `skip`
/// (those the CLI reports as failed and leaves out).
pub fn into_plan(req: PlanRequest, skip: &HashSet<usize>) -> Result<RestorePlan, String> {
    let mail_to = parse_recipients(&req.recipients)?;
    let users = req
        .users
        .iter()
        .enumerate()
        .filter(|(i, _)| !skip.contains(i))
        .map(|(_, u)| PlannedUser {
            user: u.user.clone(),
            new_upn: u.chosen_upn().map(str::to_string),
            reconcile_proxies: u.reconcile_proxies,
            set_password: gets_password(&req, &u.user),
            bring_back: u.bring_back.clone(),
        })
        .collect();
    Ok(RestorePlan {
        users,
        password: req.password,
        force_change: req.force_change,
        force_change_with_mfa: req.force_change && req.force_change_with_mfa,
        mail_to,
        include_password: req.include_password,
    })
}

// ---------------------------------------------------------------------------------------------
// The plan
// ---------------------------------------------------------------------------------------------

/// One user to restore and how.
#[derive(Debug, Clone)]
pub struct PlannedUser {
    pub user: DeletedUser,
    /// Restore under this name instead of the original (resolves a user-name conflict).
    pub new_upn: Option<String>,
    /// Let Entra drop proxy addresses another object now holds.
    pub reconcile_proxies: bool,
    /// Set a password after the restore (not for guests, by default).
    pub set_password: bool,
    /// Given back right after the restore (and the password), each item on its own.
    pub bring_back: Vec<BringBack>,
}

impl PlannedUser {
    pub fn as_is(user: DeletedUser) -> Self {
        let set_password = !user.is_guest();
        Self {
            user,
            new_upn: None,
            reconcile_proxies: false,
            set_password,
            bring_back: Vec::new(),
        }
    }

    /// The name the user will have once restored.
    pub fn target_upn(&self) -> &str {
        self.new_upn.as_deref().unwrap_or(&self.user.original_upn)
    }
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

    /// The run's own last look before anything is sent, for plans built by hand (tests,
    /// retries): the rules that need no tenant knowledge, so nothing is sent that would fail
    /// anyway. Plans from `into_plan` passed `validate` already.
    pub fn validate(&self) -> Result<(), DirectoryError> {
        if let PasswordChoice::Given(p) = &self.password
            && let Some(rule) = password::check(p.expose_secret()).first_failure()
        {
            return Err(DirectoryError::new(
                ErrorKind::WeakPassword,
                format!("Password rejected: {rule}"),
            )
            .sent(crate::directory::Sent::No));
        }
        if let PasswordChoice::Tap(t) = &self.password {
            check_tap_lifetime(t.lifetime_minutes).map_err(DirectoryError::invalid)?;
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
                check_upn(upn, &Tenant::default()).map_err(DirectoryError::invalid)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn user(id: &str, name: &str, upn: &str) -> DeletedUser {
        DeletedUser::sample(id, name, upn)
    }

    fn contoso() -> Tenant {
        Tenant::from_domains([
            ("contoso.com", true),
            ("contoso.onmicrosoft.com", true),
            ("fabrikam-new.example", false),
        ])
    }

    fn request(users: Vec<UserRequest>) -> PlanRequest {
        PlanRequest::new(users)
    }

    fn holder(upn: &str) -> crate::directory::Holder {
        crate::directory::Holder {
            kind: crate::directory::HolderKind::User,
            id: "h".into(),
            display_name: "Holder".into(),
            user_principal_name: Some(upn.into()),
            mail: None,
            proxy_addresses: vec![],
        }
    }

    #[test]
    fn tenant_names_are_the_first_labels_of_verified_domains() {
        let t = contoso();
        assert_eq!(t.names(), vec!["contoso".to_string()]);
        assert_eq!(t.owns("CONTOSO.com"), Some(true));
        assert_eq!(t.owns("fabrikam-new.example"), Some(false));
        assert_eq!(Tenant::default().owns("contoso.com"), None);
    }

    #[test]
    fn a_password_with_the_tenant_name_is_refused() {
        let mut req = request(vec![UserRequest::as_is(user(
            "1",
            "Adele Vance",
            "adele@contoso.com",
        ))]);
        req.password = PasswordChoice::Given(SecretString::from("Contoso1!"));
        let problems = validate(&req, &contoso());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, Field::Password);
        assert!(problems[0].message.contains("\"contoso\""), "{problems:?}");
        // Without the tenant's domains only the user's own names are known.
        assert!(validate(&req, &Tenant::default()).is_empty());
    }

    #[test]
    fn a_password_with_the_users_name_is_refused() {
        let mut req = request(vec![UserRequest::as_is(user(
            "1",
            "Adele Vance",
            "adele.v@contoso.com",
        ))]);
        req.password = PasswordChoice::Given(SecretString::from("Vance#2026x"));
        let p = validate(&req, &Tenant::default());
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("\"vance\""), "{p:?}");
        // A guest gets no password, so its name does not count.
        let mut guest = user("2", "Vance Guest", "vg@contoso.com");
        guest.user_type = Some("Guest".into());
        req.users = vec![UserRequest::as_is(guest)];
        assert!(validate(&req, &Tenant::default()).is_empty());
    }

    #[test]
    fn a_password_breaking_the_policy_is_refused() {
        let mut req = request(vec![]);
        req.password = PasswordChoice::Given(SecretString::from("short"));
        let p = validate(&req, &contoso());
        assert!(p[0].message.contains("8 to 256"), "{p:?}");
        req.password = PasswordChoice::Given(SecretString::from("Kiwi-Moon-42#x"));
        assert!(validate(&req, &contoso()).is_empty());
    }

    #[test]
    fn malformed_recipients_are_refused_and_none_is_fine() {
        let mut req = request(vec![]);
        req.recipients = "admin@contoso.com; bob@".into();
        let p = validate(&req, &contoso());
        assert_eq!(p[0].field, Field::Recipients);
        req.recipients = "  ".into();
        assert!(validate(&req, &contoso()).is_empty());
    }

    #[test]
    fn a_new_user_name_needs_its_form_and_a_verified_domain() {
        let mut u = UserRequest::as_is(user("1", "Alex", "alex@contoso.com"));
        u.new_upn = Some("alex@contoso".into());
        let req = request(vec![u.clone()]);
        let p = validate(&req, &contoso());
        assert_eq!(p[0].field, Field::NewUpn(0));
        assert!(p[0].message.contains("dot"), "{p:?}");
        u.new_upn = Some("alex2@fabrikam-new.example".into());
        let p = validate(&request(vec![u.clone()]), &contoso());
        assert!(p[0].message.contains("not a verified domain"), "{p:?}");
        u.new_upn = Some(" alex2@contoso.onmicrosoft.com ".into());
        assert!(validate(&request(vec![u]), &contoso()).is_empty());
    }

    #[test]
    fn a_taken_user_name_needs_a_new_one() {
        let mut u = UserRequest::as_is(user("1", "Alex", "alex@contoso.com"));
        u.preflight = Some(Preflight {
            upn_holder: Some(holder("alex@contoso.com")),
            suggested_upn: Some("alex2@contoso.com".into()),
            ..Preflight::default()
        });
        let p = validate(&request(vec![u.clone()]), &contoso());
        assert_eq!(p[0].field, Field::NewUpn(0));
        assert!(p[0].message.contains("alex2@contoso.com"), "{p:?}");
        u.new_upn = Some("ALEX@contoso.com".into());
        let p = validate(&request(vec![u.clone()]), &contoso());
        assert!(p[0].message.contains("is taken"), "{p:?}");
        u.new_upn = Some("alex2@contoso.com".into());
        assert!(validate(&request(vec![u]), &contoso()).is_empty());
    }

    #[test]
    fn a_proxy_conflict_needs_reconciling() {
        let mut u = UserRequest::as_is(user("1", "Alex", "alex@contoso.com"));
        u.preflight = Some(Preflight {
            proxy_holders: vec![("smtp:a@contoso.com".into(), holder("x@contoso.com"))],
            ..Preflight::default()
        });
        let p = validate(&request(vec![u.clone()]), &contoso());
        assert_eq!(p[0].field, Field::User(0));
        u.reconcile_proxies = true;
        assert!(validate(&request(vec![u]), &contoso()).is_empty());
    }

    #[test]
    fn a_new_user_name_found_taken_is_refused_naming_its_holder() {
        let mut u = UserRequest::as_is(user("1", "Alex", "alex@contoso.com"));
        u.new_upn = Some("alex2@contoso.com".into());
        let mut taken = holder("alex2@contoso.com");
        taken.display_name = "Alex Two".into();
        u.preflight = Some(Preflight {
            new_upn: Some(crate::restore::NameCheck {
                upn: "ALEX2@contoso.com".into(),
                holder: Some(taken),
            }),
            ..Preflight::default()
        });
        let p = validate(&request(vec![u.clone()]), &contoso());
        assert_eq!(p[0].field, Field::NewUpn(0));
        assert!(
            p[0].message
                .contains("alex2@contoso.com is already used by user \"Alex Two\" (h)"),
            "{p:?}"
        );
        // A name checked earlier is not this one: not known to be taken.
        u.new_upn = Some("alex3@contoso.com".into());
        assert!(validate(&request(vec![u]), &contoso()).is_empty());
    }

    #[test]
    fn a_proxy_conflict_names_the_group_or_contact_holding_it() {
        let mut u = UserRequest::as_is(user("1", "Alex", "alex@contoso.com"));
        let group = crate::directory::Holder {
            kind: crate::directory::HolderKind::Group,
            id: "g1".into(),
            display_name: "Sales Team".into(),
            user_principal_name: None,
            mail: None,
            proxy_addresses: vec![],
        };
        u.preflight = Some(Preflight {
            proxy_holders: vec![("smtp:a@contoso.com".into(), group)],
            ..Preflight::default()
        });
        let p = validate(&request(vec![u.clone()]), &contoso());
        assert_eq!(p[0].field, Field::User(0));
        assert!(
            p[0].message
                .contains("smtp:a@contoso.com is held by group \"Sales Team\" (g1)"),
            "{p:?}"
        );
        u.reconcile_proxies = true;
        assert!(validate(&request(vec![u]), &contoso()).is_empty());
    }

    #[test]
    fn a_user_listed_twice_is_refused() {
        let u = UserRequest::as_is(user("1", "Alex", "alex@contoso.com"));
        let p = validate(&request(vec![u.clone(), u]), &contoso());
        assert_eq!(p[0].field, Field::User(1));
    }

    #[test]
    fn guests_get_no_password_and_synced_users_a_warning() {
        let mut guest = user("1", "G", "g_fabrikam.com#EXT#@contoso.com");
        guest.user_type = Some("Guest".into());
        let mut synced = user("2", "S", "s@contoso.com");
        synced.on_premises_sync_enabled = true;
        let req = request(vec![UserRequest::as_is(guest), UserRequest::as_is(synced)]);
        let w = warnings(&req);
        assert!(w.iter().any(|l| l.contains("guest")), "{w:?}");
        assert!(w.iter().any(|l| l.contains("on-premises")), "{w:?}");
        let plan = into_plan(req.clone(), &HashSet::new()).unwrap();
        assert!(!plan.users[0].set_password);
        assert!(plan.users[1].set_password);
        let mut req = req;
        req.guest_passwords = true;
        assert!(into_plan(req, &HashSet::new()).unwrap().users[0].set_password);
    }
}
