//! What the table across tenants needs of each tenant's own table: the same way of looking
//! (filter, sort, narrowing) spread from the one the keys went to, a count that says when the
//! shown rows changed, and a comparison of a row of one tenant with a row of another.

use std::cmp::Ordering;

use tui_input::Input;

use super::{SortKey, UsersView};

/// How a table is looked at: what the keys of the table across tenants set in every tenant's
/// own table at once, so each keeps its rows filtered and sorted as the others.
#[derive(Debug, Clone)]
pub struct Looking {
    filter: Input,
    filtering: bool,
    sort: SortKey,
    reverse: bool,
    only_conflicts: bool,
    only_marked: bool,
}

impl PartialEq for Looking {
    fn eq(&self, other: &Self) -> bool {
        self.filter.value() == other.filter.value()
            && self.filter.cursor() == other.filter.cursor()
            && (self.filtering, self.sort, self.reverse)
                == (other.filtering, other.sort, other.reverse)
            && (self.only_conflicts, self.only_marked) == (other.only_conflicts, other.only_marked)
    }
}

impl UsersView {
    /// How this table is looked at now.
    pub fn looking(&self) -> Looking {
        Looking {
            filter: self.filter.clone(),
            filtering: self.filtering,
            sort: self.sort,
            reverse: self.reverse,
            only_conflicts: self.only_conflicts,
            only_marked: self.only_marked,
        }
    }

    /// Looks at this table as `lead` says; the rows are filtered and ordered again only when
    /// what they show changes (a move of the cursor in the filter line changes nothing).
    pub fn look_as(&mut self, lead: &Looking) {
        let before = self.looking();
        if before == *lead {
            return;
        }
        let same_rows = before.filter.value() == lead.filter.value()
            && (before.sort, before.reverse) == (lead.sort, lead.reverse)
            && (before.only_conflicts, before.only_marked)
                == (lead.only_conflicts, lead.only_marked);
        self.filter = lead.filter.clone();
        self.filtering = lead.filtering;
        self.sort = lead.sort;
        self.reverse = lead.reverse;
        self.only_conflicts = lead.only_conflicts;
        self.only_marked = lead.only_marked;
        if !same_rows {
            self.refilter_keep_selection();
        }
    }

    /// Counts every change of the shown rows (a page, a filter, a sort, a removal): the table
    /// across tenants merges the tenants' rows again only when one of these moved.
    pub fn shown_version(&self) -> u64 {
        self.shown_version
    }

    /// Row `a` of this table against row `b` of `other` in the order this one shows (its
    /// column and direction): the order of the table across tenants, where the soonest
    /// purge of any tenant is on top.
    pub fn compare_across(&self, a: u32, other: &UsersView, b: u32) -> Ordering {
        let ord = crate::query::compare(self.sort, &self.sortable(a), &other.sortable(b));
        if self.reverse { ord.reverse() } else { ord }
    }
}
