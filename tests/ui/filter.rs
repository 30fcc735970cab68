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
