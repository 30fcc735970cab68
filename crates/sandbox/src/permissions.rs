//! Which permissions allow each Graph route the sandbox serves, delegated (work or school
//! accounts) and application, as Microsoft's Graph permissions reference publishes them
//! (`permissions/new/permissions.json` of microsoftgraph/microsoft-graph-devx-content, commit
//! 6cbd6bbd665a877560fdefbad74f3bdb5b57af88). `scripts/graph-facts` derives the same facts into
//! `tests/sandbox/fixtures/graph-facts.json`, and `tests/sandbox/conformance.rs` checks each
//! route against them by sending it. Routes the reference does not list keep the lists of
//! their API reference pages: the deleted items' reads and purge (the users' read permissions
//! and `User.DeleteRestore.All`; purge as restore), the `$count` segments (as the listing
//! they count), and adding a group member (`POST /groups/{id}/members/$ref`, the "Add members"
//! page's list).
//!
//! `PATCH /users/{id}` is listed for the whole path; which permission a change needs depends on
//! the properties it changes (`UPDATE_PASSWORD`, `UPDATE_ACCOUNT_ENABLED`), each a part of it.

use super::token::Claims;

mod table;

/// A route, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /directory/deleteditems`
    ListDeletedItems,
    /// `GET /directory/deleteditems/microsoft.graph.user`
    ListDeletedUsers,
    /// `GET /directory/deleteditems/microsoft.graph.user/$count`
    CountDeletedUsers,
    /// `GET /directory/deleteditems/{id}`
    GetDeletedItem,
    /// `DELETE /directory/deleteditems/{id}`
    PurgeDeletedItem,
    /// `POST /directory/deleteditems/{id}/restore`
    RestoreDeletedItem,
    /// `GET /users`
    ListUsers,
    /// `GET /users/$count`
    CountUsers,
    /// `GET /users/{id}`
    GetUser,
    /// `PATCH /users/{id}`
    UpdateUser,
    /// `DELETE /users/{id}`
    DeleteUser,
    /// `POST /users/{id}/sendmail`
    SendMailAsUser,
    /// `GET /users/delta`
    UsersDelta,
    /// `GET /groups`
    ListGroups,
    /// `GET /groups/delta`
    GroupsDelta,
    /// `GET /groups/{id}`
    GetGroup,
    /// `GET /contacts`
    ListContacts,
    /// `GET /contacts/delta`
    ContactsDelta,
    /// `GET /contacts/{id}`
    GetContact,
    /// `GET /auditlogs/directoryaudits`
    ListDirectoryAudits,
    /// `GET /users/{id}/authentication/temporaryaccesspassmethods`
    ListTaps,
    /// `POST /users/{id}/authentication/temporaryaccesspassmethods`
    CreateTap,
    /// `DELETE /users/{id}/authentication/temporaryaccesspassmethods/{id}`
    DeleteTap,
    /// `GET /policies/authenticationmethodspolicy/authenticationmethodconfigurations/temporaryaccesspass`
    GetTapPolicy,
    /// `GET /subscribedskus`
    ListSubscribedSkus,
    /// `GET /users/{id}/licensedetails`
    ListLicenseDetails,
    /// `GET /users/{id}/memberof`
    ListMemberOf,
    /// `GET /users/{id}/memberof/$count`
    CountMemberOf,
    /// `GET /users/{id}/mailboxsettings`
    GetMailboxSettings,
    /// `POST /groups/{id}/members/$ref` (not in the reference: the "Add members" page's list)
    AddGroupMember,
    /// `POST /groups/{id}/owners/$ref` (the reference spells it `POST /groups/{id}/owners`)
    AddGroupOwner,
    /// `POST /users/{id}/assignlicense`
    AssignLicense,
    /// `POST /rolemanagement/directory/roleassignments`
    CreateRoleAssignment,
    /// `GET /me`
    GetMe,
    /// `POST /me/sendmail`
    SendMailAsMe,
    /// `GET /domains`
    ListDomains,
    /// `GET /domains/{id}`
    GetDomain,
    /// `GET /organization`
    ListOrganization,
    /// `GET /serviceprincipals`
    ListServicePrincipals,
    /// `GET /serviceprincipals/{id}`
    GetServicePrincipal,
    /// `GET /applications`
    ListApplications,
    /// `GET /applications/{id}`
    GetApplication,
}

impl Route {
    /// The permissions that allow the route: (delegated, application).
    pub fn permissions(self) -> (&'static [&'static str], &'static [&'static str]) {
        match table::ROWS.get(self as usize) {
            Some(row) if row.route == self => (row.delegated, row.application),
            _ => (&[], &[]),
        }
    }
}

/// The parts of `PATCH /users/{id}` the sandbox takes, each with the permissions the user-update
/// page names for it (all of them in the reference's list for the path).
pub const UPDATE_PASSWORD: &[&str] = &[
    "Directory.ReadWrite.All",
    "User-PasswordProfile.ReadWrite.All",
    "User.ReadWrite.All",
];
pub const UPDATE_ACCOUNT_ENABLED: &[&str] = &[
    "Directory.ReadWrite.All",
    "User.EnableDisableAccount.All",
    "User.ReadWrite.All",
];

/// True when the token carries one of the permissions that allow `route`: a delegated token's
/// scopes are judged against the delegated list, an app's roles against the application list.
pub fn allows(claims: &Claims, route: Route) -> bool {
    let (delegated, application) = route.permissions();
    if claims.scp.is_some() {
        claims.has_any(delegated)
    } else {
        claims.has_any(application)
    }
}
