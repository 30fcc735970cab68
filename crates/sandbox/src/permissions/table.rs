//! The permissions reference as rows: for each route, the permissions that allow it, delegated
//! and application, in the order of `Route` (checked when this compiles). Lists that several
//! routes share are named once.

use super::Route;

/// One route's row: the delegated and the application permissions that allow it.
pub(super) struct Row {
    pub(super) route: Route,
    pub(super) delegated: &'static [&'static str],
    pub(super) application: &'static [&'static str],
}

const fn row(
    route: Route,
    delegated: &'static [&'static str],
    application: &'static [&'static str],
) -> Row {
    Row {
        route,
        delegated,
        application,
    }
}

/// Reading the deleted items (not in the reference: the users' read permissions and
/// `User.DeleteRestore.All`, as the API pages list them).
const DELETED_ITEMS_READ: &[&str] = &[
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "User.DeleteRestore.All",
    "User.Read.All",
    "User.ReadBasic.All",
    "User.ReadWrite.All",
];

/// Purging a deleted item (not in the reference: its API page's list).
const DELETED_ITEMS_PURGE: &[&str] = &[
    "Directory.ReadWrite.All",
    "User.DeleteRestore.All",
    "User.ReadWrite.All",
];

/// Listing or counting users, delegated.
const USERS_READ_DELEGATED: &[&str] = &[
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
];

/// Reading users, application (listing, counting, one user).
const USERS_READ_APPLICATION: &[&str] = &[
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
];

/// Sending mail, as a user or as oneself.
const MAIL_SEND: &[&str] = &["Mail.Send"];

/// The users' delta.
const USERS_DELTA: &[&str] = &[
    "AgentIdUser.ReadWrite.All",
    "AgentIdUser.ReadWrite.IdentityParentedBy",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "User.Read.All",
    "User.ReadWrite.All",
];

/// Listing groups.
const GROUPS_LIST: &[&str] = &[
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Group-NestingSupport.ReadWrite.All",
    "Group-PreferredDataLocation.ReadWrite.All",
    "Group.ManageProtection.All",
    "Group.Read.All",
    "Group.ReadBasic.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
];

/// The groups' delta.
const GROUPS_DELTA: &[&str] = &[
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Group-NestingSupport.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadBasic.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
];

/// One group.
const GROUP_GET: &[&str] = &[
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
];

/// Organisational contacts: listing, their delta, one contact.
const CONTACTS_READ: &[&str] = &[
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "OrgContact.Read.All",
];

/// The directory audit log.
const AUDITS_READ: &[&str] = &["AuditLog.Read.All", "Directory.Read.All"];

/// Creating a Temporary Access Pass (and deleting one, application).
const TAP_WRITE: &[&str] = &[
    "UserAuthMethod-TAP.ReadWrite.All",
    "UserAuthenticationMethod.ReadWrite.All",
];

/// Deleting a Temporary Access Pass, delegated.
const TAP_DELETE_DELEGATED: &[&str] = &[
    "UserAuthMethod-TAP.ReadWrite",
    "UserAuthMethod-TAP.ReadWrite.All",
    "UserAuthenticationMethod.ReadWrite",
    "UserAuthenticationMethod.ReadWrite.All",
];

/// The Temporary Access Pass policy.
const TAP_POLICY_READ: &[&str] = &[
    "Policy.Read.AuthenticationMethod",
    "Policy.ReadWrite.AuthenticationMethod",
];

/// The tenant's subscribed SKUs.
const SKUS_READ: &[&str] = &[
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "LicenseAssignment.Read.All",
    "Organization.Read.All",
    "Organization.ReadWrite.All",
];

/// A user's memberships (listed or counted), delegated.
const MEMBER_OF_DELEGATED: &[&str] = &[
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Group.ReadBasic.All",
    "GroupMember.Read.All",
    "GroupMember.ReadBasic.All",
    "User.Read",
];

/// A user's memberships (listed or counted), application.
const MEMBER_OF_APPLICATION: &[&str] = &[
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Group.ReadBasic.All",
    "GroupMember.ReadBasic.All",
];

/// A user's mailbox settings.
const MAILBOX_SETTINGS: &[&str] = &["MailboxSettings.Read", "MailboxSettings.ReadWrite"];

/// Adding a group member (not in the reference: the "Add members" page's list).
const GROUP_MEMBER_ADD: &[&str] = &[
    "Directory.ReadWrite.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
];

/// Adding a group owner: not `GroupMember.ReadWrite.All`, which only reaches members.
const GROUP_OWNER_ADD: &[&str] = &["Directory.ReadWrite.All", "Group.ReadWrite.All"];

/// Assigning licences.
const LICENCE_ASSIGN: &[&str] = &[
    "AgentIdUser.ReadWrite.All",
    "AgentIdUser.ReadWrite.IdentityParentedBy",
    "Directory.ReadWrite.All",
    "LicenseAssignment.ReadWrite.All",
    "User.ReadWrite.All",
];

/// Assigning a directory role.
const ROLE_ASSIGN: &[&str] = &["RoleManagement.ReadWrite.Directory"];

/// The tenant's domains: listed, or one.
const DOMAINS_READ: &[&str] = &[
    "Directory.Read.All",
    "Domain.Read.All",
    "Domain.ReadWrite.All",
];

/// Service principals and applications, delegated.
const APPS_READ_DELEGATED: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// Listing service principals or applications, application.
const APPS_LIST_APPLICATION: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Application.ReadWrite.OwnedBy",
    "Directory.Read.All",
];

/// One service principal or application, application.
const APPS_GET_APPLICATION: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Application.ReadWrite.OwnedBy",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// `Route::RestoreDeletedItem`, delegated.
const RESTORE_DELETED_ITEM_DELEGATED: &[&str] = &[
    "AgentIdUser.ReadWrite.All",
    "AgentIdUser.ReadWrite.IdentityParentedBy",
    "AgentIdentity.DeleteRestore.All",
    "AgentIdentityBlueprint.DeleteRestore.All",
    "AgentIdentityBlueprintPrincipal.DeleteRestore.All",
    "User.DeleteRestore.All",
    "User.ReadWrite.All",
];

/// `Route::RestoreDeletedItem`, application.
const RESTORE_DELETED_ITEM_APPLICATION: &[&str] = &[
    "AgentIdUser.ReadWrite.All",
    "AgentIdUser.ReadWrite.IdentityParentedBy",
    "AgentIdentity.DeleteRestore.All",
    "AgentIdentityBlueprint.DeleteRestore.All",
    "AgentIdentityBlueprintPrincipal.DeleteRestore.All",
    "User.DeleteRestore.All",
    "User.ReadWrite.All",
    "User.ReadWrite.CrossCloud",
];

/// `Route::GetUser`, delegated.
const GET_USER_DELEGATED: &[&str] = &[
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
];

/// `Route::UpdateUser`, delegated.
const UPDATE_USER_DELEGATED: &[&str] = &[
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
];

/// `Route::UpdateUser`, application.
const UPDATE_USER_APPLICATION: &[&str] = &[
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
];

/// `Route::DeleteUser`, delegated.
const DELETE_USER_DELEGATED: &[&str] = &[
    "AgentIdUser.ReadWrite.All",
    "AgentIdUser.ReadWrite.IdentityParentedBy",
    "DeviceManagementApps.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
    "DeviceManagementManagedDevices.ReadWrite.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    "User.DeleteRestore.All",
    "User.ReadWrite.All",
];

/// `Route::DeleteUser`, application.
const DELETE_USER_APPLICATION: &[&str] = &[
    "AgentIdUser.ReadWrite.All",
    "AgentIdUser.ReadWrite.IdentityParentedBy",
    "DeviceManagementApps.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
    "DeviceManagementManagedDevices.ReadWrite.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    "User.DeleteRestore.All",
    "User.ReadWrite.All",
    "User.ReadWrite.CrossCloud",
];

/// `Route::ListTaps`, delegated.
const LIST_TAPS_DELEGATED: &[&str] = &[
    "UserAuthMethod-TAP.Read",
    "UserAuthMethod-TAP.Read.All",
    "UserAuthMethod-TAP.ReadWrite",
    "UserAuthMethod-TAP.ReadWrite.All",
    "UserAuthenticationMethod.Read",
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite",
    "UserAuthenticationMethod.ReadWrite.All",
];

/// `Route::ListTaps`, application.
const LIST_TAPS_APPLICATION: &[&str] = &[
    "UserAuthMethod-TAP.Read.All",
    "UserAuthMethod-TAP.ReadWrite.All",
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
];

/// `Route::ListLicenseDetails`, delegated.
const LIST_LICENSE_DETAILS_DELEGATED: &[&str] = &[
    "AgentIdUser.ReadWrite.All",
    "AgentIdUser.ReadWrite.IdentityParentedBy",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "LicenseAssignment.Read.All",
    "User.Read",
    "User.Read.All",
    "User.ReadWrite.All",
];

/// `Route::ListLicenseDetails`, application.
const LIST_LICENSE_DETAILS_APPLICATION: &[&str] = &[
    "AgentIdUser.ReadWrite.All",
    "AgentIdUser.ReadWrite.IdentityParentedBy",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "LicenseAssignment.Read.All",
    "User.Read.All",
    "User.ReadWrite.All",
];

/// `Route::GetMe`, delegated.
const GET_ME_DELEGATED: &[&str] = &[
    "AgentIdUser.ReadWrite.All",
    "AgentIdUser.ReadWrite.IdentityParentedBy",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "User.Read",
    "User.Read.All",
    "User.ReadBasic.All",
    "User.ReadWrite",
    "User.ReadWrite.All",
];

/// `Route::GetMe`, application: none, `/me` needs a signed-in user.
const GET_ME_APPLICATION: &[&str] = &[];

/// `Route::ListOrganization`, delegated.
const LIST_ORGANIZATION_DELEGATED: &[&str] = &[
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
];

/// `Route::ListOrganization`, application.
const LIST_ORGANIZATION_APPLICATION: &[&str] = &[
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "User.Read.All",
];

/// Every route, in the order of `Route`.
#[rustfmt::skip]
pub(super) const ROWS: &[Row] = &[
    //  route                         delegated                       application
    row(Route::ListDeletedItems,      DELETED_ITEMS_READ,             DELETED_ITEMS_READ),
    row(Route::ListDeletedUsers,      DELETED_ITEMS_READ,             DELETED_ITEMS_READ),
    row(Route::CountDeletedUsers,     DELETED_ITEMS_READ,             DELETED_ITEMS_READ),
    row(Route::GetDeletedItem,        DELETED_ITEMS_READ,             DELETED_ITEMS_READ),
    row(Route::PurgeDeletedItem,      DELETED_ITEMS_PURGE,            DELETED_ITEMS_PURGE),
    row(Route::RestoreDeletedItem,    RESTORE_DELETED_ITEM_DELEGATED, RESTORE_DELETED_ITEM_APPLICATION),
    row(Route::ListUsers,             USERS_READ_DELEGATED,           USERS_READ_APPLICATION),
    row(Route::CountUsers,            USERS_READ_DELEGATED,           USERS_READ_APPLICATION),
    row(Route::GetUser,               GET_USER_DELEGATED,             USERS_READ_APPLICATION),
    row(Route::UpdateUser,            UPDATE_USER_DELEGATED,          UPDATE_USER_APPLICATION),
    row(Route::DeleteUser,            DELETE_USER_DELEGATED,          DELETE_USER_APPLICATION),
    row(Route::SendMailAsUser,        MAIL_SEND,                      MAIL_SEND),
    row(Route::UsersDelta,            USERS_DELTA,                    USERS_DELTA),
    row(Route::ListGroups,            GROUPS_LIST,                    GROUPS_LIST),
    row(Route::GroupsDelta,           GROUPS_DELTA,                   GROUPS_DELTA),
    row(Route::GetGroup,              GROUP_GET,                      GROUP_GET),
    row(Route::ListContacts,          CONTACTS_READ,                  CONTACTS_READ),
    row(Route::ContactsDelta,         CONTACTS_READ,                  CONTACTS_READ),
    row(Route::GetContact,            CONTACTS_READ,                  CONTACTS_READ),
    row(Route::ListDirectoryAudits,   AUDITS_READ,                    AUDITS_READ),
    row(Route::ListTaps,              LIST_TAPS_DELEGATED,            LIST_TAPS_APPLICATION),
    row(Route::CreateTap,             TAP_WRITE,                      TAP_WRITE),
    row(Route::DeleteTap,             TAP_DELETE_DELEGATED,           TAP_WRITE),
    row(Route::GetTapPolicy,          TAP_POLICY_READ,                TAP_POLICY_READ),
    row(Route::ListSubscribedSkus,    SKUS_READ,                      SKUS_READ),
    row(Route::ListLicenseDetails,    LIST_LICENSE_DETAILS_DELEGATED, LIST_LICENSE_DETAILS_APPLICATION),
    row(Route::ListMemberOf,          MEMBER_OF_DELEGATED,            MEMBER_OF_APPLICATION),
    row(Route::CountMemberOf,         MEMBER_OF_DELEGATED,            MEMBER_OF_APPLICATION),
    row(Route::GetMailboxSettings,    MAILBOX_SETTINGS,               MAILBOX_SETTINGS),
    row(Route::AddGroupMember,        GROUP_MEMBER_ADD,               GROUP_MEMBER_ADD),
    row(Route::AddGroupOwner,         GROUP_OWNER_ADD,                GROUP_OWNER_ADD),
    row(Route::AssignLicense,         LICENCE_ASSIGN,                 LICENCE_ASSIGN),
    row(Route::CreateRoleAssignment,  ROLE_ASSIGN,                    ROLE_ASSIGN),
    row(Route::GetMe,                 GET_ME_DELEGATED,               GET_ME_APPLICATION),
    row(Route::SendMailAsMe,          MAIL_SEND,                      MAIL_SEND),
    row(Route::ListDomains,           DOMAINS_READ,                   DOMAINS_READ),
    row(Route::GetDomain,             DOMAINS_READ,                   DOMAINS_READ),
    row(Route::ListOrganization,      LIST_ORGANIZATION_DELEGATED,    LIST_ORGANIZATION_APPLICATION),
    row(Route::ListServicePrincipals, APPS_READ_DELEGATED,            APPS_LIST_APPLICATION),
    row(Route::GetServicePrincipal,   APPS_READ_DELEGATED,            APPS_GET_APPLICATION),
    row(Route::ListApplications,      APPS_READ_DELEGATED,            APPS_LIST_APPLICATION),
    row(Route::GetApplication,        APPS_READ_DELEGATED,            APPS_GET_APPLICATION),
];

// `Route::permissions` reads a route's row by its number, so the rows follow `Route`'s order (a
// route added at the end without a row is allowed nothing).
const _: () = {
    let mut i = 0;
    while i < ROWS.len() {
        assert!(
            ROWS[i].route as usize == i,
            "ROWS is not in the order of Route"
        );
        i += 1;
    }
};
