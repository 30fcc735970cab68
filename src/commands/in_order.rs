//! A listing put in `list`'s order as its pages arrive, from a directory asked to sort them
//! (`ListOrder`), so it can be printed page by page instead of held until the last one.
//!
//! The directory sorts by deletion time only. Users deleted at the same instant come in its own
//! order, so each run of equal times is held until a later time arrives and then put in
//! `query::compare`'s order (search key, then id): the output is exactly what sorting the whole
//! list would give. Users without a deletion time go last in every order, so they are held to
//! the end.
//!
//! The directory's order is checked, not trusted. A first page out of order (a directory that
//! ignored `$orderby`) means every user is held and sorted here, as before streaming; a user
//! out of order after printing began cannot be put back, so it is printed where it arrives and
//! counted, and the command says so and fails.

use chrono::{DateTime, Utc};

use crate::directory::DeletedUser;
use crate::query::{self, SortKey};

pub struct InOrder {
    sort: SortKey,
    /// The users of the deletion time being read, waiting for a later one.
    run: Vec<DeletedUser>,
    /// Users without a deletion time, for the end.
    undated: Vec<DeletedUser>,
    /// Every user, when the directory's first page was not in order: sorted at the end.
    held: Option<Vec<DeletedUser>>,
    /// A page has been taken (the first is checked whole before anything is let out).
    started: bool,
    /// Users that arrived after a later deletion time had been let out.
    late: usize,
}

impl InOrder {
    /// Users sorted by `sort`, which must be an order the directory was asked for
    /// (`SortKey::DaysLeft` or `SortKey::Deleted`).
    pub fn new(sort: SortKey) -> Self {
        Self {
            sort,
            run: Vec::new(),
            undated: Vec::new(),
            held: None,
            started: false,
            late: 0,
        }
    }

    /// Users that will be sorted here at the end, not in the directory: for a directory that
    /// refused to sort.
    pub fn holding(sort: SortKey) -> Self {
        Self {
            held: Some(Vec::new()),
            ..Self::new(sort)
        }
    }

    /// Takes one page in the directory's order and appends to `ready` the users that can be
    /// printed now, in order.
    pub fn page(&mut self, users: Vec<DeletedUser>, ready: &mut Vec<DeletedUser>) {
        if !self.started {
            self.started = true;
            if self.held.is_none() && !self.in_order(&users) {
                self.held = Some(Vec::new());
            }
        }
        if let Some(held) = &mut self.held {
            held.extend(users);
            return;
        }
        for user in users {
            self.push(user, ready);
        }
    }

    /// The users still held, in order: the last run, then those without a deletion time (or
    /// every user, sorted here, when the directory did not sort).
    pub fn finish(&mut self, ready: &mut Vec<DeletedUser>) {
        if let Some(held) = &mut self.held {
            query::sort(held, self.sort);
            ready.append(held);
            return;
        }
        self.flush_run(ready);
        query::sort(&mut self.undated, self.sort);
        ready.append(&mut self.undated);
    }

    /// True when every user was sorted here because the directory's first page was not in
    /// the order asked for.
    pub fn sorted_here(&self) -> bool {
        self.held.is_some()
    }

    /// How many users arrived too late for their place (printed where they arrived).
    pub fn late(&self) -> usize {
        self.late
    }

    fn push(&mut self, user: DeletedUser, ready: &mut Vec<DeletedUser>) {
        let Some(at) = user.deleted_at else {
            self.undated.push(user);
            return;
        };
        match self.run.first() {
            Some(first) if first.deleted_at == Some(at) => self.run.push(user),
            Some(first) => {
                if first.deleted_at.is_some_and(|t| self.after(t, at)) {
                    self.late += 1;
                }
                self.flush_run(ready);
                self.run.push(user);
            }
            None => self.run.push(user),
        }
    }

    fn flush_run(&mut self, ready: &mut Vec<DeletedUser>) {
        query::sort(&mut self.run, self.sort);
        ready.append(&mut self.run);
    }

    /// Whether the dated users of a page keep the order asked for (equal times in any order).
    fn in_order(&self, users: &[DeletedUser]) -> bool {
        let mut dated = users.iter().filter(|u| u.deleted_at.is_some());
        let Some(mut last) = dated.next() else {
            return true;
        };
        for user in dated {
            if let (Some(a), Some(b)) = (last.deleted_at, user.deleted_at)
                && self.after(a, b)
            {
                return false;
            }
            last = user;
        }
        true
    }

    /// Whether a user deleted at `a` comes after one deleted at `b` in this order: the primary
    /// key of `query::compare` for the two orders the directory sorts by.
    fn after(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
        match self.sort {
            SortKey::Deleted => a < b,
            _ => a > b,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> Option<DateTime<Utc>> {
        Some(Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap())
    }

    fn user(id: &str, name: &str, deleted: Option<DateTime<Utc>>) -> DeletedUser {
        let mut u = DeletedUser::sample(id, name, &format!("{id}@contoso.com"));
        u.deleted_at = deleted;
        u
    }

    fn ids(users: &[DeletedUser]) -> Vec<&str> {
        users.iter().map(|u| u.id.as_str()).collect()
    }

    /// Feeds the pages through `InOrder`, returning what was ready after each page and at
    /// the end.
    fn run(mut order: InOrder, pages: Vec<Vec<DeletedUser>>) -> (Vec<Vec<String>>, InOrder) {
        let mut steps = Vec::new();
        for page in pages {
            let mut ready = Vec::new();
            order.page(page, &mut ready);
            steps.push(ids(&ready).iter().map(|s| s.to_string()).collect());
        }
        let mut ready = Vec::new();
        order.finish(&mut ready);
        steps.push(ids(&ready).iter().map(|s| s.to_string()).collect());
        (steps, order)
    }

    #[test]
    fn runs_of_one_time_are_put_in_the_lists_order_across_pages() {
        // The directory breaks ties its own way (here by id, backwards); `list` by name.
        let pages = vec![
            vec![user("a", "Zoë", at(1)), user("c", "Bob", at(2))],
            vec![user("b", "Ann", at(2)), user("d", "Cy", at(3))],
            vec![user("e", "Eve", None), user("f", "Al", at(3))],
        ];
        let (steps, order) = run(InOrder::new(SortKey::DaysLeft), pages.clone());
        assert_eq!(
            steps,
            vec![vec!["a"], vec!["b", "c"], vec![], vec!["f", "d", "e"]]
        );
        assert_eq!(order.late(), 0);
        assert!(!order.sorted_here());

        // Exactly what sorting the whole list gives.
        let mut whole: Vec<DeletedUser> = pages.into_iter().flatten().collect();
        query::sort(&mut whole, SortKey::DaysLeft);
        let streamed: Vec<String> = steps.into_iter().flatten().collect();
        assert_eq!(streamed, ids(&whole));
    }

    #[test]
    fn newest_first_streams_too() {
        let pages = vec![
            vec![user("a", "A", at(9)), user("b", "B", at(5))],
            vec![user("c", "C", at(1))],
        ];
        let (steps, order) = run(InOrder::new(SortKey::Deleted), pages);
        assert_eq!(steps, vec![vec!["a"], vec!["b"], vec!["c"]]);
        assert_eq!(order.late(), 0);
    }

    #[test]
    fn a_first_page_out_of_order_means_sorting_here() {
        let pages = vec![
            vec![user("a", "A", at(5)), user("b", "B", at(1))],
            vec![user("c", "C", at(3))],
        ];
        let (steps, order) = run(InOrder::new(SortKey::DaysLeft), pages);
        assert_eq!(steps, vec![vec![], vec![], vec!["b", "c", "a"]]);
        assert!(order.sorted_here());
        assert_eq!(order.late(), 0);
    }

    #[test]
    fn a_later_user_out_of_order_is_printed_where_it_came_and_counted() {
        let pages = vec![
            vec![user("a", "A", at(1)), user("b", "B", at(5))],
            vec![user("c", "C", at(3)), user("d", "D", at(6))],
        ];
        let (steps, order) = run(InOrder::new(SortKey::DaysLeft), pages);
        // b's run is let out when c arrives, before its time.
        assert_eq!(steps, vec![vec!["a"], vec!["b", "c"], vec!["d"]]);
        assert_eq!(order.late(), 1);
        assert!(!order.sorted_here());
    }

    #[test]
    fn holding_sorts_everything_at_the_end() {
        let pages = vec![vec![user("a", "A", at(5))], vec![user("b", "B", at(1))]];
        let (steps, order) = run(InOrder::holding(SortKey::DaysLeft), pages);
        assert_eq!(steps, vec![vec![], vec![], vec!["b", "a"]]);
        assert!(order.sorted_here());
    }
}
