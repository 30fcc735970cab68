//! The self-check of the sweep's reads: which of them our own token does not allow, said the
//! way a refused read says it, so the header (or `undelete login`) can warn before the sweep
//! runs. Unlike the restore's actions these reads are optional: the table works without them.

use crate::auth::claims::TokenClaims;
use crate::directory::HolderKind;
use crate::directory::audits::AUDIT_PERMISSION;

use super::SourceStatus;

/// One line per read of the sweep or the deletion log that the token does not allow, e.g.
/// "audit log: not permitted: needs AuditLog.Read.All". Empty when the token says nothing
/// (an opaque token): the reads themselves will tell.
pub fn permission_notes(claims: &TokenClaims) -> Vec<String> {
    let granted = claims.granted();
    if granted.is_empty() && claims.identity_type.is_none() {
        return Vec::new();
    }
    let allows = |perms: &[&str]| {
        granted
            .iter()
            .any(|g| perms.iter().any(|p| g.eq_ignore_ascii_case(p)))
    };
    let mut out = Vec::new();
    for kind in HolderKind::ALL {
        let perms = kind.accepted();
        if !allows(perms) {
            out.push(SourceStatus::NotPermitted { needs: perms[0] }.describe(kind.plural()));
        }
    }
    if !allows(&[AUDIT_PERMISSION]) {
        out.push(
            SourceStatus::NotPermitted {
                needs: AUDIT_PERMISSION,
            }
            .describe("audit log"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(scopes: &[&str]) -> TokenClaims {
        TokenClaims {
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            account: Some("admin@contoso.com".into()),
            identity_type: Some("user".into()),
            ..TokenClaims::default()
        }
    }

    #[test]
    fn missing_reads_are_named_with_what_they_need() {
        assert_eq!(
            permission_notes(&claims(&["User.Read.All", "Mail.Send"])),
            [
                "groups: not permitted: needs GroupMember.Read.All",
                "org contacts: not permitted: needs OrgContact.Read.All",
                "audit log: not permitted: needs AuditLog.Read.All",
            ]
        );
        let all = claims(&["Directory.Read.All", "AuditLog.Read.All"]);
        assert!(permission_notes(&all).is_empty());
        assert!(permission_notes(&TokenClaims::default()).is_empty());
    }
}
