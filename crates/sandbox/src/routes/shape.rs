//! How one request wants its JSON: under which root its links go, and how much OData control
//! information it carries.
//!
//! `Accept: application/json;odata.metadata=none` asks for none but `@odata.nextLink` and
//! `@odata.count` (OData JSON Format 4.01, 3.1.3 "metadata=none"): Graph then leaves out
//! `@odata.context` and each item's `@odata.type`.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use serde_json::Value;

use super::user_json;
use crate::origin::Root;
use crate::state::AppState;
use crate::store::UserRow;

#[derive(Debug, Clone)]
pub struct Shape {
    pub root: Root,
    /// False for `odata.metadata=none`.
    pub metadata: bool,
}

impl Shape {
    /// `@odata.context` for a collection or entity, with the `$select` list as Graph writes
    /// it; `None` when the client asked for no metadata.
    pub fn context(&self, what: &str, select: Option<&[&'static str]>) -> Option<String> {
        self.metadata.then(|| {
            let sel = select
                .map(|s| format!("({})", s.join(",")))
                .unwrap_or_default();
            format!("{}$metadata#{what}{sel}", self.root.graph())
        })
    }

    /// Sets `@odata.context` on an object, when metadata is wanted.
    pub fn annotate(&self, v: &mut Value, what: &str, select: Option<&[&'static str]>) {
        if let (Some(ctx), Some(obj)) = (self.context(what, select), v.as_object_mut()) {
            obj.insert("@odata.context".into(), Value::String(ctx));
        }
    }

    /// One user as Graph renders it for this request.
    pub fn user(&self, u: &UserRow, select: Option<&[&'static str]>) -> Value {
        user_json(u, select, self.metadata)
    }
}

/// False when the `Accept` header asks for `odata.metadata=none` (or OData 3's
/// `odata=nometadata`, which Graph also honours) in any of its media ranges.
pub fn wants_metadata(headers: &HeaderMap) -> bool {
    !headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split([',', ';']))
        .any(|param| {
            let Some((k, v)) = param.split_once('=') else {
                return false;
            };
            let (k, v) = (k.trim(), v.trim().trim_matches('"'));
            (k.eq_ignore_ascii_case("odata.metadata") && v.eq_ignore_ascii_case("none"))
                || (k.eq_ignore_ascii_case("odata") && v.eq_ignore_ascii_case("nometadata"))
        })
}

impl FromRequestParts<AppState> for Shape {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let root = Root::from_request_parts(parts, state).await?;
        Ok(Shape {
            root,
            metadata: wants_metadata(&parts.headers),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> bool {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::ACCEPT, v.parse().unwrap());
        wants_metadata(&h)
    }

    #[test]
    fn accept_header() {
        assert!(wants_metadata(&HeaderMap::new()));
        assert!(accept("application/json"));
        assert!(accept("application/json;odata.metadata=minimal"));
        assert!(!accept("application/json;odata.metadata=none"));
        assert!(!accept(
            "application/json; odata.metadata=\"none\"; charset=utf-8"
        ));
        assert!(!accept("text/plain, application/json;ODATA.METADATA=NONE"));
        assert!(!accept("application/json;odata=nometadata"));
    }
}
