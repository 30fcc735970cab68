//! One filter: the table's `/` and `list --filter` find the same users for the same text,
//! over names written in awkward ways (`query::fold_into` is the rule both use).

use std::collections::BTreeSet;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use undelete::app::fixtures;
use undelete::app::msg::{Msg, SessionMsg};
use undelete::app::update::update;
use undelete::directory::{DeletedPage, DeletedUser};

/// (display name, department): the same names written in different ways.
const PEOPLE: &[(&str, &str)] = &[
    ("José Álvarez", "Sales"),
    // The same name with combining accents (e + U+0301, A + U+0301).
    ("Jose\u{301} A\u{301}lvarez", "Sales"),
    ("JOSE ALVAREZ", "Sales"),
    ("Işık Yılmaz", "Finance"),
    ("Ayşe Demir", "İSTANBUL OFFICE"),
    ("ｂｏｂ ｓｍｉｔｈ", "Legal"),
    ("Bob Smith", "Legal"),
    ("محمد الأحمد", "Engineering"),
    // With its vowel signs, and in presentation forms.
    ("مُحَمَّد علي", "Engineering"),
    ("ﻣﺤﻤﺪ حسن", "Engineering"),
    ("שָׁלוֹם כהן", "Marketing"),
    ("שלום לוי", "Marketing"),
    // Right-to-left marks around a left-to-right name.
    ("\u{200f}Dana\u{200f} Levi", "Marketing"),
    ("  Padded   Name  ", "Legal"),
    ("Hans Gruber", "Straße"),
    ("ΟΔΥΣΣΕΑΣ Παππάς", "Finance"),
    ("Οδυσσέας Νικολάου", "Finance"),
    ("Zoë Ødegård", "Sales"),
];

fn users() -> Vec<DeletedUser> {
    let now = fixtures::now();
    PEOPLE
        .iter()
        .enumerate()
        .map(|(i, (name, department))| {
            let mut u = fixtures::user(i, now);
            u.display_name = (*name).to_string();
            u.department = Some((*department).to_string());
            u.job_title = Some("Analyst".into());
            u.original_upn = format!("user{i}@contoso.sandbox");
            u.mail = None;
            u
        })
        .collect()
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new_with_kind(
        code,
        KeyModifiers::NONE,
        KeyEventKind::Press,
    ))
}

/// The rows the table shows once `text` is typed after `/`, as indexes into `PEOPLE`.
fn table(text: &str) -> BTreeSet<usize> {
    let mut state = fixtures::blank(fixtures::now(), (120, 40));
    fixtures::send(
        &mut state,
        SessionMsg::Page {
            generation: 0,
            result: Ok(DeletedPage {
                users: users(),
                total: Some(PEOPLE.len() as u64),
            }),
        },
    );
    fixtures::send(&mut state, SessionMsg::LoadFinished { generation: 0 });
    update(&mut state, key(KeyCode::Char('/')));
    for c in text.chars() {
        update(&mut state, key(KeyCode::Char(c)));
    }
    let rows = state.session().users.rows();
    state
        .session()
        .users
        .shown()
        .iter()
        .map(|i| index_of(rows[*i as usize].id()))
        .collect()
}

/// What `list --filter text` prints, as indexes into `PEOPLE`.
fn list(text: &str) -> BTreeSet<usize> {
    let mut listed = users();
    undelete::commands::format::filter(&mut listed, Some(text));
    listed.iter().map(|u| index_of(&u.id)).collect()
}

fn index_of(id: &str) -> usize {
    let all = users();
    all.iter()
        .position(|u| u.id == id)
        .unwrap_or_else(|| panic!("no fixture user {id}"))
}

#[test]
fn the_table_and_list_find_the_same_users_for_awkward_names() {
    let all: BTreeSet<usize> = (0..PEOPLE.len()).collect();
    let cases: &[(&str, &[usize])] = &[
        // Precomposed, combining and no accents at all are one name.
        ("josé", &[0, 1, 2]),
        ("jose\u{301}", &[0, 1, 2]),
        ("JOSE álv", &[0, 1, 2]),
        // The four Turkish i's are one letter.
        ("isik", &[3]),
        ("IŞIK", &[3]),
        ("ışık", &[3]),
        ("istanbul", &[4]),
        ("ıstanbul", &[4]),
        ("İstanbul", &[4]),
        // Full-width letters are letters.
        ("bob", &[5, 6]),
        ("ｂｏｂ ｓ", &[5, 6]),
        // Right to left: vowel signs, presentation forms and direction marks do not count.
        ("محمد", &[7, 8, 9]),
        ("مُحَمَّد", &[7, 8, 9]),
        ("שלום", &[10, 11]),
        ("dana levi", &[12]),
        ("\u{200f}dana", &[12]),
        // Spaces: none at either end, a run is one.
        ("  padded name  ", &[13]),
        ("padded\u{a0}\u{a0}name", &[13]),
        ("Hans ", &[14]),
        // Case folding beyond lowercase: ß is ss, a final sigma is a sigma.
        ("strasse", &[14]),
        ("STRAẞE", &[14]),
        ("οδυσσεας", &[15, 16]),
        ("ΟΔΥΣΣΈΑΣ", &[15, 16]),
        // A letter of its own is not an accent.
        ("odegard", &[]),
        ("ødegard", &[17]),
    ];
    for (text, expected) in cases {
        let expected: BTreeSet<usize> = expected.iter().copied().collect();
        assert_eq!(list(text), expected, "list --filter {text:?}");
        assert_eq!(table(text), expected, "the table's /{text:?}");
    }
    // Nothing left to search for: everyone, in both.
    for text in ["", "   ", "\u{200f}\u{200b}"] {
        assert_eq!(list(text), all, "list --filter {text:?}");
        assert_eq!(table(text), all, "the table's /{text:?}");
    }
}

/// What the table's row of `name` shows between the name and Adele's user name (its badges)
/// on a `size` screen.
fn badges_of(state: &undelete::app::state::State, name: &str, size: (u16, u16)) -> String {
    let screen = crate::snapshots::render(state, size.0, size.1);
    let line = screen
        .lines()
        .find(|l| l.contains(name))
        .unwrap_or_else(|| panic!("no row of {name} on screen:\n{screen}"));
    let after = &line[line.find(name).unwrap_or(0) + name.len()..];
    let upn = after.find("adele.vance").unwrap_or(after.len());
    after[..upn].trim().to_string()
}

#[test]
fn a_filter_never_changes_whether_a_badge_shows() {
    for size in [(120, 40), (140, 30)] {
        // A long name with lasting badges, purged in 39 hours, on screen above Adele's row.
        let now = fixtures::now();
        let mut long = fixtures::user(1, now);
        long.display_name = "Maximiliana Konstantinopoulou-Featherstonehaugh".into();
        long.on_premises_sync_enabled = true;
        long.user_type = Some("Guest".into());
        let mut users = fixtures::users(48, now);
        users[1] = long;
        let mut state = fixtures::blank(now, size);
        fixtures::send(
            &mut state,
            SessionMsg::Page {
                generation: 0,
                result: Ok(DeletedPage {
                    users,
                    total: Some(48),
                }),
            },
        );
        fixtures::send(&mut state, SessionMsg::LoadFinished { generation: 0 });
        let all = badges_of(&state, "Adele Vance", size);
        update(&mut state, key(KeyCode::Char('/')));
        for c in "adele".chars() {
            update(&mut state, key(KeyCode::Char(c)));
        }
        let filtered = badges_of(&state, "Adele Vance", size);
        // Adele's purge falls today (UTC+1): flagged, the same way, with or without a filter.
        assert!(all.starts_with("[EXP"), "{size:?} unfiltered: {all:?}");
        assert_eq!(all, filtered, "{size:?}: the filter changed Adele's badges");
    }
}
