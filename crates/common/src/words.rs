//! Counts in words, singular or plural as a reader says them (never "user(s)"): the app's
//! screens and commands and the sandbox's messages all word a count through here.

/// "1 user", "3 users", "0 users".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", plural(n, one, many))
}

/// The word that agrees with `n`: `plural(1, "is", "are")` is "is", `plural(2, "it", "them")`
/// is "them".
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1, "guest", "guests"), "1 guest");
        assert_eq!(count(0, "guest", "guests"), "0 guests");
        assert_eq!(count(2, "group", "groups"), "2 groups");
        assert_eq!(plural(1, "gets", "get"), "gets");
        assert_eq!(plural(3, "gets", "get"), "get");
    }
}
