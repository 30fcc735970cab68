//! Which permissions allow each Graph route the sandbox serves, delegated (work or school
//! accounts) and application, as Microsoft's Graph permissions reference publishes them
//! (`permissions/new/permissions.json` of microsoftgraph/microsoft-graph-devx-content, commit
//! 6cbd6bbd665a877560fdefbad74f3bdb5b57af88). `scripts/graph-facts` derives the same facts into
//! `tests/sandbox/fixtures/graph-facts.json`, and `tests/sandbox/conformance.rs` checks each
//! route against them by sending it. Routes the reference does not list keep the lists of
//! their API reference pages: the deleted items' reads and purge (the users' read permissions
//! and `User.DeleteRestore.All`; purge as restore), and the `$count` segments (as the listing
//! they count).
//!
//! `PATCH /users/{id}` is listed for the whole path; which permission a change needs depends on
//! the properties it changes (`UPDATE_PASSWORD`, `UPDATE_ACCOUNT_ENABLED`), each a part of it.

use super::token::Claims;

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
    /// `GET /users/{id}/mailboxsettings` (Graph's API page: the reference names no route of
    /// it in the snapshot the fixture was derived from)
    GetMailboxSettings,
    /// `POST /groups/{id}/members/$ref` and `/owners/$ref`
    AddGroupMember,
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
        match self {
            Route::ListDeletedItems => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                ],
            ),
            Route::ListDeletedUsers => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                ],
            ),
            Route::CountDeletedUsers => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                ],
            ),
            Route::GetDeletedItem => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                ],
            ),
            Route::PurgeDeletedItem => (
                &[
                    "Directory.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "Directory.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.ReadWrite.All",
                ],
            ),
            Route::RestoreDeletedItem => (
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "AgentIdentity.DeleteRestore.All",
                    "AgentIdentityBlueprint.DeleteRestore.All",
                    "AgentIdentityBlueprintPrincipal.DeleteRestore.All",
                    "User.DeleteRestore.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "AgentIdentity.DeleteRestore.All",
                    "AgentIdentityBlueprint.DeleteRestore.All",
                    "AgentIdentityBlueprintPrincipal.DeleteRestore.All",
                    "User.DeleteRestore.All",
                    "User.ReadWrite.All",
                    "User.ReadWrite.CrossCloud",
                ],
            ),
            Route::ListUsers => (
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "DeviceManagementApps.Read.All",
                    "DeviceManagementApps.ReadWrite.All",
                    "DeviceManagementConfiguration.Read.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementManagedDevices.Read.All",
                    "DeviceManagementManagedDevices.ReadWrite.All",
                    "DeviceManagementServiceConfig.Read.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "DeviceManagementApps.Read.All",
                    "DeviceManagementApps.ReadWrite.All",
                    "DeviceManagementConfiguration.Read.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementManagedDevices.Read.All",
                    "DeviceManagementManagedDevices.ReadWrite.All",
                    "DeviceManagementServiceConfig.Read.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                    "User.ReadWrite.CrossCloud",
                ],
            ),
            Route::CountUsers => (
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "DeviceManagementApps.Read.All",
                    "DeviceManagementApps.ReadWrite.All",
                    "DeviceManagementConfiguration.Read.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementManagedDevices.Read.All",
                    "DeviceManagementManagedDevices.ReadWrite.All",
                    "DeviceManagementServiceConfig.Read.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "DeviceManagementApps.Read.All",
                    "DeviceManagementApps.ReadWrite.All",
                    "DeviceManagementConfiguration.Read.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementManagedDevices.Read.All",
                    "DeviceManagementManagedDevices.ReadWrite.All",
                    "DeviceManagementServiceConfig.Read.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                    "User.ReadWrite.CrossCloud",
                ],
            ),
            Route::GetUser => (
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "DeviceManagementApps.Read.All",
                    "DeviceManagementApps.ReadWrite.All",
                    "DeviceManagementConfiguration.Read.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementManagedDevices.Read.All",
                    "DeviceManagementManagedDevices.ReadWrite.All",
                    "DeviceManagementServiceConfig.Read.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.Read",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite",
                    "User.ReadWrite.All",
                ],
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "DeviceManagementApps.Read.All",
                    "DeviceManagementApps.ReadWrite.All",
                    "DeviceManagementConfiguration.Read.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementManagedDevices.Read.All",
                    "DeviceManagementManagedDevices.ReadWrite.All",
                    "DeviceManagementServiceConfig.Read.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite.All",
                    "User.ReadWrite.CrossCloud",
                ],
            ),
            Route::UpdateUser => (
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "DeviceManagementApps.ReadWrite.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementManagedDevices.ReadWrite.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "Directory.ReadWrite.All",
                    "User-Mail.ReadWrite.All",
                    "User-PasswordProfile.ReadWrite.All",
                    "User-Phone.ReadWrite.All",
                    "User.EnableDisableAccount.All",
                    "User.ManageIdentities.All",
                    "User.ReadWrite",
                    "User.ReadWrite.All",
                ],
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "DeviceManagementApps.ReadWrite.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementManagedDevices.ReadWrite.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "Directory.ReadWrite.All",
                    "User-Mail.ReadWrite.All",
                    "User-PasswordProfile.ReadWrite.All",
                    "User-Phone.ReadWrite.All",
                    "User.EnableDisableAccount.All",
                    "User.ManageIdentities.All",
                    "User.ReadWrite.All",
                    "User.ReadWrite.CrossCloud",
                ],
            ),
            Route::DeleteUser => (
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "DeviceManagementApps.ReadWrite.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementManagedDevices.ReadWrite.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "DeviceManagementApps.ReadWrite.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementManagedDevices.ReadWrite.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "User.DeleteRestore.All",
                    "User.ReadWrite.All",
                    "User.ReadWrite.CrossCloud",
                ],
            ),
            Route::SendMailAsUser => (&["Mail.Send"], &["Mail.Send"]),
            Route::UsersDelta => (
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.Read.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.Read.All",
                    "User.ReadWrite.All",
                ],
            ),
            Route::ListGroups => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Group-NestingSupport.ReadWrite.All",
                    "Group-PreferredDataLocation.ReadWrite.All",
                    "Group.ManageProtection.All",
                    "Group.Read.All",
                    "Group.ReadBasic.All",
                    "Group.ReadWrite.All",
                    "GroupMember.Read.All",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Group-NestingSupport.ReadWrite.All",
                    "Group-PreferredDataLocation.ReadWrite.All",
                    "Group.ManageProtection.All",
                    "Group.Read.All",
                    "Group.ReadBasic.All",
                    "Group.ReadWrite.All",
                    "GroupMember.Read.All",
                ],
            ),
            Route::GroupsDelta => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Group-NestingSupport.ReadWrite.All",
                    "Group.Read.All",
                    "Group.ReadBasic.All",
                    "Group.ReadWrite.All",
                    "GroupMember.Read.All",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Group-NestingSupport.ReadWrite.All",
                    "Group.Read.All",
                    "Group.ReadBasic.All",
                    "Group.ReadWrite.All",
                    "GroupMember.Read.All",
                ],
            ),
            Route::GetGroup => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Group-NestingSupport.ReadWrite.All",
                    "Group-PreferredDataLocation.ReadWrite.All",
                    "Group-XTenantIdentitySync.Read.All",
                    "Group.ManageProtection.All",
                    "Group.Read.All",
                    "Group.ReadBasic.All",
                    "Group.ReadWrite.All",
                    "GroupMember.Read.All",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Group-NestingSupport.ReadWrite.All",
                    "Group-PreferredDataLocation.ReadWrite.All",
                    "Group-XTenantIdentitySync.Read.All",
                    "Group.ManageProtection.All",
                    "Group.Read.All",
                    "Group.ReadBasic.All",
                    "Group.ReadWrite.All",
                    "GroupMember.Read.All",
                ],
            ),
            Route::ListContacts => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "OrgContact.Read.All",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "OrgContact.Read.All",
                ],
            ),
            Route::ContactsDelta => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "OrgContact.Read.All",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "OrgContact.Read.All",
                ],
            ),
            Route::GetContact => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "OrgContact.Read.All",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "OrgContact.Read.All",
                ],
            ),
            Route::ListDirectoryAudits => (
                &["AuditLog.Read.All", "Directory.Read.All"],
                &["AuditLog.Read.All", "Directory.Read.All"],
            ),
            Route::ListTaps => (
                &[
                    "UserAuthMethod-TAP.Read",
                    "UserAuthMethod-TAP.Read.All",
                    "UserAuthMethod-TAP.ReadWrite",
                    "UserAuthMethod-TAP.ReadWrite.All",
                    "UserAuthenticationMethod.Read",
                    "UserAuthenticationMethod.Read.All",
                    "UserAuthenticationMethod.ReadWrite",
                    "UserAuthenticationMethod.ReadWrite.All",
                ],
                &[
                    "UserAuthMethod-TAP.Read.All",
                    "UserAuthMethod-TAP.ReadWrite.All",
                    "UserAuthenticationMethod.Read.All",
                    "UserAuthenticationMethod.ReadWrite.All",
                ],
            ),
            Route::CreateTap => (
                &[
                    "UserAuthMethod-TAP.ReadWrite.All",
                    "UserAuthenticationMethod.ReadWrite.All",
                ],
                &[
                    "UserAuthMethod-TAP.ReadWrite.All",
                    "UserAuthenticationMethod.ReadWrite.All",
                ],
            ),
            Route::DeleteTap => (
                &[
                    "UserAuthMethod-TAP.ReadWrite",
                    "UserAuthMethod-TAP.ReadWrite.All",
                    "UserAuthenticationMethod.ReadWrite",
                    "UserAuthenticationMethod.ReadWrite.All",
                ],
                &[
                    "UserAuthMethod-TAP.ReadWrite.All",
                    "UserAuthenticationMethod.ReadWrite.All",
                ],
            ),
            Route::GetTapPolicy => (
                &[
                    "Policy.Read.AuthenticationMethod",
                    "Policy.ReadWrite.AuthenticationMethod",
                ],
                &[
                    "Policy.Read.AuthenticationMethod",
                    "Policy.ReadWrite.AuthenticationMethod",
                ],
            ),
            Route::ListSubscribedSkus => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "LicenseAssignment.Read.All",
                    "Organization.Read.All",
                    "Organization.ReadWrite.All",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "LicenseAssignment.Read.All",
                    "Organization.Read.All",
                    "Organization.ReadWrite.All",
                ],
            ),
            Route::ListLicenseDetails => (
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "LicenseAssignment.Read.All",
                    "User.Read",
                    "User.Read.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "LicenseAssignment.Read.All",
                    "User.Read.All",
                    "User.ReadWrite.All",
                ],
            ),
            Route::ListMemberOf => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Group.ReadBasic.All",
                    "GroupMember.Read.All",
                    "GroupMember.ReadBasic.All",
                    "User.Read",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Group.ReadBasic.All",
                    "GroupMember.ReadBasic.All",
                ],
            ),
            Route::CountMemberOf => (
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Group.ReadBasic.All",
                    "GroupMember.Read.All",
                    "GroupMember.ReadBasic.All",
                    "User.Read",
                ],
                &[
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Group.ReadBasic.All",
                    "GroupMember.ReadBasic.All",
                ],
            ),
            Route::GetMailboxSettings => (
                &["MailboxSettings.Read", "MailboxSettings.ReadWrite"],
                &["MailboxSettings.Read", "MailboxSettings.ReadWrite"],
            ),
            Route::AddGroupMember => (
                &[
                    "Directory.ReadWrite.All",
                    "Group.ReadWrite.All",
                    "GroupMember.ReadWrite.All",
                ],
                &[
                    "Directory.ReadWrite.All",
                    "Group.ReadWrite.All",
                    "GroupMember.ReadWrite.All",
                ],
            ),
            Route::AssignLicense => (
                &[
                    "Directory.ReadWrite.All",
                    "LicenseAssignment.ReadWrite.All",
                    "User.ReadWrite.All",
                ],
                &[
                    "Directory.ReadWrite.All",
                    "LicenseAssignment.ReadWrite.All",
                    "User.ReadWrite.All",
                ],
            ),
            Route::CreateRoleAssignment => (
                &["RoleManagement.ReadWrite.Directory"],
                &["RoleManagement.ReadWrite.Directory"],
            ),
            Route::GetMe => (
                &[
                    "AgentIdUser.ReadWrite.All",
                    "AgentIdUser.ReadWrite.IdentityParentedBy",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "User.Read",
                    "User.Read.All",
                    "User.ReadBasic.All",
                    "User.ReadWrite",
                    "User.ReadWrite.All",
                ],
                &[],
            ),
            Route::SendMailAsMe => (&["Mail.Send"], &["Mail.Send"]),
            Route::ListDomains => (
                &[
                    "Directory.Read.All",
                    "Domain.Read.All",
                    "Domain.ReadWrite.All",
                ],
                &[
                    "Directory.Read.All",
                    "Domain.Read.All",
                    "Domain.ReadWrite.All",
                ],
            ),
            Route::GetDomain => (
                &[
                    "Directory.Read.All",
                    "Domain.Read.All",
                    "Domain.ReadWrite.All",
                ],
                &[
                    "Directory.Read.All",
                    "Domain.Read.All",
                    "Domain.ReadWrite.All",
                ],
            ),
            Route::ListOrganization => (
                &[
                    "DeviceManagementConfiguration.Read.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementServiceConfig.Read.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Organization.Read.All",
                    "Organization.ReadWrite.All",
                    "User.Read",
                    "User.Read.All",
                ],
                &[
                    "DeviceManagementConfiguration.Read.All",
                    "DeviceManagementConfiguration.ReadWrite.All",
                    "DeviceManagementServiceConfig.Read.All",
                    "DeviceManagementServiceConfig.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                    "Organization.Read.All",
                    "Organization.ReadWrite.All",
                    "User.Read.All",
                ],
            ),
            Route::ListServicePrincipals => (
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Application.ReadWrite.OwnedBy",
                    "Directory.Read.All",
                ],
            ),
            Route::GetServicePrincipal => (
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Application.ReadWrite.OwnedBy",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
            ),
            Route::ListApplications => (
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Application.ReadWrite.OwnedBy",
                    "Directory.Read.All",
                ],
            ),
            Route::GetApplication => (
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
                &[
                    "Application.Read.All",
                    "Application.ReadWrite.All",
                    "Application.ReadWrite.OwnedBy",
                    "Directory.Read.All",
                    "Directory.ReadWrite.All",
                ],
            ),
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
