//! Who a client id is in the sandbox tenant: its display name and its service principal's
//! object id, as Entra's tokens name them (`app_displayname`, and `oid`/`sub` of app-only
//! tokens). Any client id is registered in the sandbox; a few well-known public clients keep
//! their real names.

use aws_lc_rs::digest::{Context, SHA256};

/// Public clients people point at Graph, with the names Entra shows for them.
const KNOWN: &[(&str, &str)] = &[
    (
        "14d82eec-204b-4c2f-b7e8-296a70dab67e",
        "Microsoft Graph Command Line Tools",
    ),
    (
        "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        "Microsoft Azure CLI",
    ),
    (
        "1950a258-227b-4e31-a9cf-717495945fc2",
        "Microsoft Azure PowerShell",
    ),
    (
        "31359c7f-bd7e-475c-86db-fdb8c937548e",
        "PnP Management Shell",
    ),
];

/// The display name of the app registered as `client_id`.
pub(crate) fn display_name(client_id: &str) -> String {
    KNOWN
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(client_id))
        .map(|(_, name)| name.to_string())
        .unwrap_or_else(|| format!("Sandbox app {client_id}"))
}

/// A stable object id derived from `parts`: the same app (or user and app) always gets the
/// same id in one tenant, as in Entra, without a table of registrations.
pub(crate) fn derived_id(parts: &[&str]) -> String {
    let mut h = Context::new(&SHA256);
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0u8]);
    }
    let d = h.finish();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&d.as_ref()[..16]);
    // Version 4 and the RFC 4122 variant, so the id looks like every other object id.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// Object id of the service principal of `client_id` in the tenant `tenant_id`.
pub(crate) fn service_principal_id(tenant_id: &str, client_id: &str) -> String {
    derived_id(&[
        "service-principal",
        tenant_id,
        &client_id.to_ascii_lowercase(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_per_tenant_and_app_and_look_like_object_ids() {
        let a = service_principal_id("t1", "app");
        assert_eq!(a, service_principal_id("t1", "APP"));
        assert_ne!(a, service_principal_id("t2", "app"));
        assert_ne!(a, service_principal_id("t1", "app2"));
        assert!(uuid::Uuid::parse_str(&a).is_ok(), "{a}");
        assert_eq!(
            display_name("04B07795-8DDB-461A-BBEE-02F9E1BF7B46"),
            "Microsoft Azure CLI"
        );
        assert_eq!(display_name("x"), "Sandbox app x");
    }
}
