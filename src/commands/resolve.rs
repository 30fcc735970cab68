//! Turns what the admin typed (object ids, original or id-prefixed user names) into deleted
//! users.

use crate::directory::{DeletedUser, DirResult, Directory, ErrorKind, all_deleted};

/// An object id, with or without hyphens.
pub fn looks_like_id(s: &str) -> bool {
    let hex = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit());
    match s.len() {
        32 => hex(s),
        36 => {
            let parts: Vec<&str> = s.split('-').collect();
            parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| hex(p))
        }
        _ => false,
    }
}

/// Each target with the deleted user it names, or why none (not found, ambiguous, or a lookup
/// that kept failing). `Err` only when the listing needed for user names fails: targets given
/// by id fail one by one, never the whole run.
pub async fn resolve(
    dir: &dyn Directory,
    targets: &[String],
) -> DirResult<Vec<(String, Result<DeletedUser, String>)>> {
    // Ids alone are looked up directly (in batches, retried): cheaper than listing a large
    // directory.
    if targets.iter().all(|t| looks_like_id(t.trim())) {
        let ids: Vec<String> = targets.iter().map(|t| t.trim().to_string()).collect();
        let found = dir.get_deleted_many(&ids).await;
        return Ok(targets
            .iter()
            .zip(ids.iter().zip(found))
            .map(|(t, (id, r))| {
                let r = match r {
                    Ok(u) => Ok(u),
                    Err(e) if e.kind == ErrorKind::NotFound => {
                        Err(format!("no deleted user has the id {id}"))
                    }
                    Err(e) => Err(format!("looking up {id} failed: {e}")),
                };
                (t.clone(), r)
            })
            .collect());
    }
    let users = all_deleted(dir).await?;
    Ok(targets
        .iter()
        .map(|t| (t.clone(), pick(&users, t.trim())))
        .collect())
}

/// The one deleted user `target` names among `users`.
pub fn pick(users: &[DeletedUser], target: &str) -> Result<DeletedUser, String> {
    let by_id: Vec<&DeletedUser> = users
        .iter()
        .filter(|u| {
            u.id.eq_ignore_ascii_case(target) || u.id.replace('-', "").eq_ignore_ascii_case(target)
        })
        .collect();
    if let [u] = by_id.as_slice() {
        return Ok((*u).clone());
    }
    let by_deleted_upn: Vec<&DeletedUser> = users
        .iter()
        .filter(|u| u.deleted_upn.eq_ignore_ascii_case(target))
        .collect();
    if let [u] = by_deleted_upn.as_slice() {
        return Ok((*u).clone());
    }
    let by_name: Vec<&DeletedUser> = users
        .iter()
        .filter(|u| {
            u.original_upn.eq_ignore_ascii_case(target)
                || u.mail
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(target))
        })
        .collect();
    match by_name.as_slice() {
        [] => Err(format!("no deleted user matches {target:?}")),
        [u] => Ok((*u).clone()),
        many => Err(format!(
            "{target:?} matches {} deleted users ({}): name one by its id",
            many.len(),
            many.iter()
                .map(|u| u.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, upn: &str) -> DeletedUser {
        DeletedUser::sample(id, upn, upn)
    }

    #[test]
    fn ids_are_recognised() {
        assert!(looks_like_id("0b8f4a4e-6f2c-4a43-9d58-2f4a1c0e7a11"));
        assert!(looks_like_id("0b8f4a4e6f2c4a439d582f4a1c0e7a11"));
        assert!(!looks_like_id("adele@contoso.com"));
        assert!(!looks_like_id("0b8f4a4e-6f2c-4a43-9d58-2f4a1c0e7a1z"));
    }

    #[test]
    fn picks_by_id_prefixed_or_original_name() {
        let id = "0b8f4a4e-6f2c-4a43-9d58-2f4a1c0e7a11";
        let users = vec![user(id, "adele@contoso.com"), user("x", "alex@contoso.com")];
        assert_eq!(pick(&users, id).unwrap().id, id);
        assert_eq!(pick(&users, "ADELE@contoso.com").unwrap().id, id);
        assert_eq!(
            pick(&users, "0b8f4a4e6f2c4a439d582f4a1c0e7a11adele@contoso.com")
                .unwrap()
                .id,
            id
        );
        assert!(pick(&users, "nobody@contoso.com").is_err());
    }

    #[test]
    fn the_same_name_deleted_twice_is_ambiguous() {
        let users = vec![
            user("a", "adele@contoso.com"),
            user("b", "adele@contoso.com"),
        ];
        let e = pick(&users, "adele@contoso.com").unwrap_err();
        assert!(e.contains("2 deleted users") && e.contains("a, b"), "{e}");
    }
}
