//! Parameters of an OData action body (`sendMail`, `restore`, `validatePassword`).
//!
//! Graph binds them without regard to case: the CSDL spells sendMail's `Message` and
//! `SaveToSentItems`, Kiota-generated SDKs send exactly that, and Graph's own documentation
//! sends `message` and `saveToSentItems`
//! (https://learn.microsoft.com/graph/api/user-sendmail?view=graph-rest-1.0).
//! Annotations (`@odata.type`, `message@odata.type`) are not parameters.

use serde_json::{Map, Value};

/// The parameter `name` of an action body: its exact spelling first, then any case.
pub fn param<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    let obj = body.as_object()?;
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// An action body's parameters keyed by their lower-case names, without annotations; `None`
/// when the body is not a JSON object.
pub fn lowered(body: &Value) -> Option<Map<String, Value>> {
    Some(
        body.as_object()?
            .iter()
            .filter(|(k, _)| !k.contains('@'))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn any_case_exact_first() {
        let b = json!({"Message": 1, "saveToSentItems": false, "SAVETOSENTITEMS": true});
        assert_eq!(param(&b, "message"), Some(&json!(1)));
        assert_eq!(param(&b, "saveToSentItems"), Some(&json!(false)));
        assert_eq!(param(&b, "missing"), None);
        assert_eq!(param(&json!([1]), "message"), None);
        let l = lowered(&json!({"NewUserPrincipalName": "a", "@odata.type": "x"})).unwrap();
        assert_eq!(l.get("newuserprincipalname"), Some(&json!("a")));
        assert_eq!(l.len(), 1);
    }
}
