//! What a users query means, once for every front end: the fields a filter searches. The
//! table (`app::users`, which packs them into one search key) and `list`/`check` use this
//! list, so a filter finds the same users in both.

use crate::directory::DeletedUser;

/// The fields a filter searches, in the order the table's search key holds them.
pub fn searched(user: &DeletedUser) -> impl Iterator<Item = &str> {
    [
        Some(user.display_name.as_str()),
        Some(user.original_upn.as_str()),
        user.mail.as_deref(),
        user.department.as_deref(),
        user.job_title.as_deref(),
    ]
    .into_iter()
    .flatten()
}

/// Whether any searched field contains `needle`, which is already lowercase.
pub fn matches(user: &DeletedUser, needle: &str) -> bool {
    searched(user).any(|field| field.to_lowercase().contains(needle))
}
