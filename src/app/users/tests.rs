use super::*;
use crate::app::fixtures;

/// Users whose sort keys tie on the first 8 bytes, lowercase differently in and out of
/// ASCII, or are missing; deleted in one second (some with a fraction of it) or out of the
/// prefix's range; in departments short enough for the key to follow, or with a NUL: the
/// cases where a kept order could drift from a full sort.
fn awkward(n: usize) -> Vec<DeletedUser> {
    let now = fixtures::now();
    let at = |s: &str| s.parse::<DateTime<Utc>>().ok();
    (0..n)
        .map(|i| {
            let mut u = fixtures::user(i, now);
            match i % 9 {
                0 => u.department = Some(["ÉTUDES", "études", "Études x"][i % 3].into()),
                1 => u.department = Some(String::new()),
                2 => u.deleted_at = None,
                3 => u.display_name = format!("Same Prefix {}", i % 4),
                4 => u.original_upn = format!("SAME.PREFIX{}@contoso.sandbox", i % 3),
                5 => {
                    u.deleted_at = at(["2026-11-20T08:00:00Z", "2026-11-20T08:00:00.5Z"][i % 2]);
                    u.display_name = ["Ann", "ann b", "An", "Bo", "ANN"][i % 5].into();
                }
                6 => u.department = Some(["HR", "hr", "H", "Hr\0x", "HR\0", "IT"][i % 6].into()),
                7 => {
                    u.deleted_at = at([
                        "1969-12-31T23:59:59Z",
                        "1900-01-01T00:00:00Z",
                        "2300-01-01T00:00:00Z",
                        "1970-01-01T00:00:00Z",
                    ][i % 4]);
                }
                _ => {}
            }
            u
        })
        .collect()
}

/// Loads `users` in pages of the given sizes (cycled), in the order given.
fn load(users: Vec<DeletedUser>, sizes: &[usize]) -> UsersView {
    let mut view = UsersView::default();
    let mut rest = users.into_iter();
    for size in sizes.iter().cycle() {
        let page: Vec<DeletedUser> = rest.by_ref().take(*size).collect();
        if page.is_empty() && rest.len() == 0 {
            break;
        }
        view.push_page(page);
    }
    view
}

/// What a sort from scratch by the row comparison gives: the order the table had when
/// every switch sorted again. Rows that compare equal (one user listed twice) go by index,
/// and backwards with the rest when reversed.
fn full_sort(view: &UsersView) -> Vec<u32> {
    let mut all: Vec<u32> = (0..view.rows.len() as u32).collect();
    all.sort_by(|a, b| view.compare_by(view.sort, *a, *b));
    if view.reverse {
        all.reverse();
    }
    all
}

fn check_every_order(view: &mut UsersView) {
    for sort in SortKey::ALL {
        for reverse in [false, true] {
            view.sort = sort;
            view.reverse = reverse;
            view.resort();
            let order = &view.orders[sort.index()];
            let kept: Vec<u64> = order
                .rows()
                .iter()
                .map(|i| (crate::query::sort_prefix(sort, &view.sortable(*i)) >> 64) as u64)
                .collect();
            assert_eq!(order.prefixes(), kept, "{sort:?} prefixes");
            let expected = full_sort(view);
            assert_eq!(
                view.sorted().collect::<Vec<_>>(),
                expected,
                "{sort:?} reverse={reverse}"
            );
            let needle = view.applied_filter.clone();
            let filtered: Vec<u32> = expected
                .into_iter()
                .filter(|i| view.key(*i).contains(needle.as_str()))
                .collect();
            assert_eq!(view.shown, filtered, "{sort:?} reverse={reverse} /{needle}");
        }
    }
}

#[test]
fn kept_orders_match_a_full_sort_whatever_the_pages() {
    let mut users = awkward(700);
    // Pages do not arrive in any order, and some are tiny or empty.
    users.reverse();
    users.rotate_left(123);
    let mut view = load(users, &[97, 1, 0, 250, 13]);
    assert_eq!(view.rows.len(), 700);
    check_every_order(&mut view);
}

#[test]
fn a_sort_switch_under_a_filter_shows_what_filtering_afresh_would() {
    let mut view = load(awkward(500), &[120]);
    view.filter = Input::new("Études".into());
    view.refilter();
    assert!(!view.shown.is_empty() && view.shown.len() < 500);
    check_every_order(&mut view);
    // A filter that matches nothing stays empty in every order.
    view.filter = Input::new("no such user anywhere".into());
    view.refilter();
    check_every_order(&mut view);
    assert!(view.shown.is_empty());
}

#[test]
fn removing_users_keeps_every_order() {
    let users = awkward(400);
    let gone: HashSet<String> = users.iter().step_by(7).map(|u| u.id.clone()).collect();
    let mut view = load(users, &[999]);
    view.remove_ids(&gone);
    assert_eq!(view.rows.len(), 400 - gone.len());
    check_every_order(&mut view);
    // And a page after the removal still lands in place.
    view.push_page(awkward(450).split_off(400));
    check_every_order(&mut view);
}

#[test]
fn a_reload_forgets_the_kept_orders() {
    let mut view = load(awkward(50), &[10]);
    view.filter = Input::new("sales".into());
    view.refilter();
    view.clear_for_reload();
    assert!(
        SortKey::ALL
            .iter()
            .all(|s| view.orders[s.index()].rows().is_empty())
    );
    view.push_page(awkward(5));
    assert_eq!(view.order().len(), 5);
}

#[test]
fn the_selected_user_stays_selected_across_sort_switches() {
    let mut view = load(awkward(300), &[64]);
    view.selected = 17;
    let id = view.current_id().map(str::to_string);
    for sort in SortKey::ALL {
        for reverse in [true, false] {
            view.sort = sort;
            view.reverse = reverse;
            view.resort();
            assert_eq!(view.current_id().map(str::to_string), id, "{sort:?}");
        }
    }
}

#[test]
fn list_prints_the_order_the_table_shows() {
    // `list --sort` and the table share `query::sort`'s order, awkward users included.
    let mut users = awkward(600);
    users.rotate_left(211);
    let mut view = load(users.clone(), &[77, 5]);
    for sort in SortKey::ALL {
        let mut listed = users.clone();
        crate::query::sort(&mut listed, sort);
        view.merge_order(sort);
        let table: Vec<&str> = view.orders[sort.index()]
            .rows()
            .iter()
            .map(|i| view.rows[*i as usize].id())
            .collect();
        let list: Vec<&str> = listed.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(list, table, "{sort:?}");
    }
}

#[test]
fn a_search_from_the_back_finds_what_a_binary_search_does() {
    let values: Vec<u32> = vec![1, 1, 2, 3, 3, 3, 5, 8, 8, 13];
    for lo in 0..=values.len() {
        for end in lo..=values.len() {
            for x in 0..15 {
                let expected = lo + values[lo..end].partition_point(|v| *v <= x);
                assert_eq!(
                    order::partition_from_back(lo, end, |i| values[i] <= x),
                    expected,
                    "{lo}..{end} <= {x}"
                );
            }
        }
    }
}

/// `load`, every column's order merged page by page as the shown one is: what the table
/// kept before the other columns waited as sorted runs.
fn load_eagerly(users: Vec<DeletedUser>, sizes: &[usize]) -> UsersView {
    let mut view = UsersView::default();
    let mut rest = users.into_iter();
    for size in sizes.iter().cycle() {
        let page: Vec<DeletedUser> = rest.by_ref().take(*size).collect();
        if page.is_empty() && rest.len() == 0 {
            break;
        }
        let start = view.rows.len() as u32;
        for user in &page {
            view.push_row(user);
        }
        let end = view.rows.len() as u32;
        for sort in SortKey::ALL {
            let fresh = view.sorted_range(sort, start, end);
            let mut order = std::mem::take(&mut view.orders[sort.index()]);
            order.merge_in(&fresh, |a, b| view.compare_by(sort, a, b));
            view.orders[sort.index()] = order;
        }
    }
    view
}

/// `awkward` users, with some listed twice (the same user on two pages, or twice on one):
/// rows that compare equal in every column.
fn awkward_with_twins(n: usize) -> Vec<DeletedUser> {
    let mut users = awkward(n);
    let twins: Vec<DeletedUser> = users.iter().step_by(11).cloned().collect();
    for (k, twin) in twins.into_iter().enumerate() {
        let at = (k * 37) % users.len();
        users.insert(at, twin);
    }
    users
}

#[test]
fn orders_merged_on_the_first_switch_equal_orders_merged_page_by_page() {
    let patterns: [&[usize]; 5] = [
        &[1_000],
        &[100],
        &[1],
        &[97, 1, 0, 250, 13],
        &[3, 400, 2, 0, 0, 61],
    ];
    for (p, sizes) in patterns.iter().enumerate() {
        let mut users = awkward_with_twins(900);
        users.rotate_left(p * 131);
        if p % 2 == 1 {
            users.reverse();
        }
        let eager = load_eagerly(users.clone(), sizes);
        let mut lazy = load(users, sizes);
        // Only the shown column was merged as the pages came.
        assert!(lazy.orders[SortKey::DaysLeft.index()].is_merged());
        assert_eq!(
            SortKey::ALL
                .iter()
                .filter(|s| lazy.orders[s.index()].is_merged())
                .count(),
            if sizes == &[1_000] { 5 } else { 1 },
            "{sizes:?}"
        );
        for sort in SortKey::ALL {
            lazy.merge_order(sort);
            assert_eq!(
                lazy.orders[sort.index()].rows(),
                eager.orders[sort.index()].rows(),
                "{sort:?} {sizes:?}"
            );
            assert_eq!(
                lazy.orders[sort.index()].prefixes(),
                eager.orders[sort.index()].prefixes(),
                "{sort:?} {sizes:?}"
            );
        }
        check_every_order(&mut lazy);
    }
}

#[test]
fn pages_after_a_switch_land_in_the_new_column_and_wait_in_the_old() {
    let users = awkward_with_twins(600);
    let mut view = load(users[..200].to_vec(), &[50]);
    view.sort_next();
    assert_eq!(view.sort, SortKey::Name);
    // Name was merged by the switch and takes the next pages as they come; days left, merged
    // while it was shown, keeps them as runs after its merged rows.
    let mut rest = users[200..].to_vec();
    while !rest.is_empty() {
        let page: Vec<DeletedUser> = rest.drain(..rest.len().min(70)).collect();
        view.push_page(page);
        assert!(view.orders[SortKey::Name.index()].is_merged());
        assert!(!view.orders[SortKey::DaysLeft.index()].is_merged());
    }
    let eager = load_eagerly(users, &[50, 50, 50, 50, 70]);
    assert_eq!(view.rows.len(), eager.rows.len());
    for sort in SortKey::ALL {
        view.merge_order(sort);
        assert_eq!(
            view.orders[sort.index()].rows(),
            eager.orders[sort.index()].rows(),
            "{sort:?}"
        );
    }
    check_every_order(&mut view);
}

#[test]
fn removing_users_from_unmerged_runs_keeps_every_order() {
    let users = awkward_with_twins(500);
    let gone: HashSet<String> = users
        .iter()
        .enumerate()
        // Whole pages gone too (the first and the eighth of 40), to leave runs empty.
        .filter(|(i, _)| i % 5 == 0 || *i < 40 || (280..320).contains(i))
        .map(|(_, u)| u.id.clone())
        .collect();
    let mut view = load(users, &[40]);
    assert!(!view.orders[SortKey::Name.index()].is_merged());
    view.remove_ids(&gone);
    assert!(view.rows.iter().all(|r| !gone.contains(r.id())));
    check_every_order(&mut view);
}

#[test]
fn the_idle_columns_merge_a_tick_each_once_the_load_is_done() {
    let users = awkward_with_twins(600);
    let eager = load_eagerly(users.clone(), &[50]);
    let mut lazy = load(users, &[50]);
    lazy.loading = true;
    assert!(lazy.merge_idle_order(), "nothing merges while pages come");
    assert_eq!(
        SortKey::ALL
            .iter()
            .filter(|s| lazy.orders[s.index()].is_merged())
            .count(),
        1
    );
    lazy.finish_load();
    let mut ticks = 0;
    while lazy.merge_idle_order() {
        ticks += 1;
        assert!(ticks < SortKey::ALL.len(), "one column a tick");
    }
    for sort in SortKey::ALL {
        assert!(lazy.orders[sort.index()].is_merged(), "{sort:?}");
        assert_eq!(
            lazy.orders[sort.index()].rows(),
            eager.orders[sort.index()].rows(),
            "{sort:?}"
        );
    }
    check_every_order(&mut lazy);
}

#[test]
fn the_earliest_deletion_follows_rows_as_they_come_and_go() {
    let users = awkward(300);
    let min_of = |view: &UsersView| view.rows.iter().filter_map(|r| r.deleted_at).min();
    let mut view = load(users, &[7, 50]);
    assert!(min_of(&view).is_some());
    assert_eq!(view.earliest_deletion(), min_of(&view));
    let first: std::collections::HashSet<String> = view
        .rows
        .iter()
        .filter(|r| r.deleted_at == min_of(&view))
        .map(|r| r.id().to_string())
        .collect();
    view.remove_ids(&first);
    assert_eq!(view.earliest_deletion(), min_of(&view), "after a restore");
    view.clear_for_reload();
    assert_eq!(view.earliest_deletion(), None, "a reload starts afresh");
}
