//! `GET /v1.0/$metadata`: the service's CSDL, as Graph publishes its own at the service root
//! (https://learn.microsoft.com/graph/traverse-the-graph, "Microsoft Graph API metadata").
//! It describes only what the sandbox implements, under Graph's namespace and its alias
//! `graph`, which Kiota-generated SDKs use in casts (`/directory/deletedItems/graph.user`).
//! Like Graph's, it needs no token.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

pub const CSDL: &str = include_str!("../../assets/metadata.xml");

pub async fn get() -> Response {
    let mut resp = CSDL.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml;charset=utf-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::CSDL;
    use crate::odata::USER_PROPS;
    use crate::routes::domains::PROPS as DOMAIN_PROPS;

    /// The `<EntityType Name="{name}" …>…</EntityType>` element of the document.
    fn entity(name: &str) -> &'static str {
        let start = CSDL
            .find(&format!("<EntityType Name=\"{name}\""))
            .unwrap_or_else(|| panic!("no entity type {name}"));
        let len = CSDL[start..].find("</EntityType>").expect("closed");
        &CSDL[start..start + len]
    }

    #[test]
    fn declares_every_property_the_sandbox_renders() {
        let user = format!(
            "{}{}{}",
            entity("user"),
            entity("directoryObject"),
            entity("entity")
        );
        for p in USER_PROPS {
            assert!(
                user.contains(&format!("<Property Name=\"{p}\"")),
                "user.{p} is not in the CSDL"
            );
        }
        let domain = format!("{}{}", entity("domain"), entity("entity"));
        for p in DOMAIN_PROPS {
            assert!(
                domain.contains(&format!("<Property Name=\"{p}\"")),
                "domain.{p} is not in the CSDL"
            );
        }
        assert!(CSDL.contains("Namespace=\"microsoft.graph\" Alias=\"graph\""));
    }
}
