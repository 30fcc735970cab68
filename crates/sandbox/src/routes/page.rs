//! A listing's page as Graph sends it: its control information, then its items, written out
//! already (rows rendered straight from the store, never built into a JSON tree).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// A page's body: Graph's control information, then the items (keys in the order a
/// `serde_json` map holds them, as when pages were built as JSON trees).
pub struct Page {
    pub context: Option<String>,
    pub count: Option<u64>,
    pub next: Option<String>,
    /// The items: a JSON array.
    pub value: Vec<u8>,
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(self.value.len() + 1024);
        body.push(b'{');
        let fields = [
            ("@odata.context", self.context.map(Value::String)),
            ("@odata.count", self.count.map(Value::from)),
            ("@odata.nextLink", self.next.map(Value::String)),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                // Writing a `Value` into a `Vec` cannot fail.
                let _ = serde_json::to_writer(&mut body, key);
                body.push(b':');
                let _ = serde_json::to_writer(&mut body, &value);
                body.push(b',');
            }
        }
        body.extend_from_slice(b"\"value\":");
        body.extend_from_slice(&self.value);
        body.push(b'}');
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response()
    }
}
