//! The Graph and login routes, and how users are rendered as Graph JSON.

mod apps;
mod audits;
mod bring_back;
mod count;
mod deleted;
mod delta;
mod domains;
mod licences;
mod mail;
mod metadata;
mod objects;
mod organization;
mod page;
mod params;
mod shape;
mod tap;
mod user_json;
mod users;

pub use domains::{Domain, tenant_domains};
pub use tap::TapPolicy;
pub use user_json::user_json;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};

use super::batch;
use super::error::{ApiError, ids_layer};
use super::guard;
use super::login;
use super::permissions::Route;
use super::state::AppState;
use super::token::Claims;

/// Directory role template ids (the `wids` claim).
pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

/// Roles that may restore, purge or delete users. Only delegated callers need one: an app's
/// permission (`User.DeleteRestore.All`) is enough on its own.
pub const RESTORE_ROLES: &[&str] = &[USER_ADMINISTRATOR, GLOBAL_ADMINISTRATOR];

/// Roles that may reset a password; app-only callers need one too (DESIGN.md 4.5).
pub const PASSWORD_ROLES: &[&str] = &[
    USER_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", // Privileged Authentication Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8", // Helpdesk Administrator
    "966707d0-3269-4727-9be2-8c3a10f19b9d", // Password Administrator
    "c4e39bd9-1100-46d3-8c65-fb160da0071f", // Authentication Administrator
];

/// The token carries a permission that allows `route` (see `permissions`), else 403.
pub fn require_route(claims: &Claims, route: Route) -> Result<(), ApiError> {
    if super::permissions::allows(claims, route) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// The token carries one of `perms` (a part of a route, see `permissions::UPDATE_PASSWORD`).
pub fn require(claims: &Claims, perms: &[&str]) -> Result<(), ApiError> {
    if claims.has_any(perms) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// The caller's directory roles allow the call. Tokens without `wids` are not checked;
/// app-only tokens only when `app_only_too`.
pub fn require_role(claims: &Claims, roles: &[&str], app_only_too: bool) -> Result<(), ApiError> {
    let Some(wids) = &claims.wids else {
        return Ok(());
    };
    if claims.idtyp == "app" && !app_only_too {
        return Ok(());
    }
    if wids
        .iter()
        .any(|w| roles.iter().any(|r| w.eq_ignore_ascii_case(r)))
    {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

pub fn eventual(headers: &HeaderMap) -> bool {
    headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
}

pub fn build(state: AppState) -> Router {
    Router::new()
        .route("/v1.0/directory/deletedItems", get(deleted::list_uncast))
        .route(
            "/v1.0/directory/deletedItems/microsoft.graph.user",
            get(deleted::list),
        )
        .route(
            "/v1.0/directory/deletedItems/{id}",
            get(deleted::get_one).delete(deleted::purge),
        )
        .route(
            "/v1.0/directory/deletedItems/{id}/restore",
            post(deleted::restore),
        )
        .route(
            "/v1.0/directory/deletedItems/microsoft.graph.user/$count",
            get(count::deleted_users),
        )
        .route("/v1.0/$metadata", get(metadata::get))
        .route("/v1.0/users", get(users::list))
        .route("/v1.0/users/$count", get(count::users))
        .route(
            "/v1.0/users/{id}",
            get(users::get_one)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route("/v1.0/users/{id}/sendMail", post(mail::send_as_user))
        // The conflict sweep and the deletion log.
        .route("/v1.0/users/delta", get(delta::users))
        .route("/v1.0/groups", get(objects::list_groups))
        .route("/v1.0/groups/delta", get(delta::groups))
        .route("/v1.0/groups/{id}", get(objects::get_group))
        .route("/v1.0/groups/{id}/members/$ref", post(bring_back::add_member))
        .route("/v1.0/groups/{id}/owners/$ref", post(bring_back::add_owner))
        .route("/v1.0/users/{id}/assignLicense", post(bring_back::assign_license))
        .route(
            "/v1.0/roleManagement/directory/roleAssignments",
            post(bring_back::create_role_assignment),
        )
        .route("/v1.0/contacts", get(objects::list_contacts))
        .route("/v1.0/contacts/delta", get(delta::contacts))
        .route("/v1.0/contacts/{id}", get(objects::get_contact))
        .route("/v1.0/auditLogs/directoryAudits", get(audits::list))
        .route(
            "/v1.0/users/{id}/authentication/temporaryAccessPassMethods",
            get(tap::list).post(tap::create),
        )
        .route(
            "/v1.0/users/{id}/authentication/temporaryAccessPassMethods/{method}",
            axum::routing::delete(tap::delete),
        )
        .route(
            "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
            get(tap::policy),
        )
        .route("/v1.0/subscribedSkus", get(licences::subscribed_skus))
        .route("/v1.0/users/{id}/licenseDetails", get(licences::license_details))
        .route("/v1.0/users/{id}/mailboxSettings", get(licences::mailbox_settings))
        .route("/v1.0/users/{id}/memberOf", get(licences::member_of))
        .route("/v1.0/users/{id}/memberOf/$count", get(licences::member_of_count))
        .route("/v1.0/me", get(users::me))
        .route("/v1.0/domains", get(domains::list))
        .route("/v1.0/domains/{id}", get(domains::get_one))
        .route("/v1.0/organization", get(organization::list))
        .route("/v1.0/organization/{id}", get(organization::get_one))
        .route("/v1.0/servicePrincipals", get(apps::list_service_principals))
        .route("/v1.0/servicePrincipals/{id}", get(apps::get_service_principal))
        .route("/v1.0/applications", get(apps::list_applications))
        .route("/v1.0/applications/{id}", get(apps::get_application))
        .route(
            "/beta/users/validatePassword",
            post(users::validate_password),
        )
        .route("/v1.0/me/sendMail", post(mail::send_as_me))
        .route("/v1.0/$batch", post(batch::handle))
        .route("/{tenant}/oauth2/v2.0/token", post(login::token))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(login::device_code))
        .route("/{tenant}/oauth2/token", post(login::token_v1))
        .route("/{tenant}/oauth2/devicecode", post(login::device_code_v1))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(login::openid_configuration),
        )
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(login::openid_configuration_v1),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(login::keys))
        .route("/{tenant}/discovery/keys", get(login::keys))
        .route("/common/discovery/instance", get(login::instance_discovery))
        .route("/msi/token", get(login::managed_identity))
        // Resource Manager, as much as `az login` reads.
        .route("/tenants", get(super::arm::tenants))
        .route("/subscriptions", get(super::arm::subscriptions))
        .route("/devicelogin", get(login::device_login_page))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        // Innermost first: the injected panic runs inside the panic guard; the limits answer
        // before any handler reads a body; `ids_layer` (outermost) renders every `ApiError`.
        // `$batch` runs its inner requests through this same stack.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::injected_panic,
        ))
        .layer(axum::middleware::from_fn(guard::catch_panic))
        .layer(axum::middleware::from_fn(guard::limits))
        // `guard::limits` buffers bodies under its own caps and answers in Graph's shape;
        // axum's default cap would answer a plain-text 413 first.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(ids_layer))
        .with_state(state)
}

async fn fallback(uri: axum::http::Uri) -> ApiError {
    let path = uri.path();
    match path.strip_prefix("/v1.0/") {
        Some(rest) => {
            let segment = rest.split('/').next().unwrap_or(rest);
            ApiError::bad_request(
                "BadRequest",
                format!("Resource not found for the segment '{segment}'."),
            )
        }
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("The sandbox has no resource at '{path}'."),
        ),
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Request_BadRequest",
        "The HTTP method is not allowed for this resource.",
    )
}
