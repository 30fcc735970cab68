//! The key bindings: one table, per focus scope. Key handling, the footer hint and the `?` help
//! overlay all read this table, so the help can never drift from what the keys really do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// Where the keyboard focus is; the open modal wins over the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Works everywhere, even while typing.
    Global,
    Table,
    /// The Restored view: users restored in this directory.
    Restored,
    /// Typing a filter in the table's filter line.
    Filter,
    RestoreDialog,
    Progress,
    Result,
    /// `p` on the result screen: a password for one user.
    ResultPassword,
    /// `e` on the result screen: one user's whole error.
    ErrorPane,
    /// A yes/no question (stop the run, close without email).
    Confirm,
    Purge,
    Help,
    /// The device-code sign-in screen, before the table.
    SignIn,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Table => "Deleted users",
            Scope::Restored => "Restored users",
            Scope::Filter => "Filter",
            Scope::RestoreDialog => "Restore dialog",
            Scope::Progress => "Progress",
            Scope::Result => "Result",
            Scope::ResultPassword => "Result: set a password",
            Scope::ErrorPane => "Result: the whole error",
            Scope::Confirm => "Questions",
            Scope::Purge => "Purge confirmation",
            Scope::Help => "Help",
            Scope::SignIn => "Sign in",
        }
    }
}

/// One key. Letters are matched without SHIFT, since terminals report `G` with or without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn c(ch: char) -> Key {
    k(KeyCode::Char(ch))
}

const fn shift(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::SHIFT,
    }
}

const fn ctrl(ch: char) -> Key {
    Key {
        code: KeyCode::Char(ch),
        mods: KeyModifiers::CONTROL,
    }
}

pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
    /// The short word in the footer hint, if the action is worth a place there.
    pub hint: Option<&'static str>,
    /// Still active while a text field has the focus (the key cannot be text).
    pub while_typing: bool,
}

const fn b(scope: Scope, keys: &'static [Key], action: Action, help: &'static str) -> Binding {
    Binding {
        scope,
        keys,
        action,
        help,
        hint: None,
        while_typing: false,
    }
}

const fn hint(mut bi: Binding, word: &'static str) -> Binding {
    bi.hint = Some(word);
    bi
}

const fn typing(mut bi: Binding) -> Binding {
    bi.while_typing = true;
    bi
}

use Action as A;
use KeyCode as K;
use Scope as S;

pub static BINDINGS: &[Binding] = &[
    typing(b(
        S::Global,
        &[ctrl('c')],
        A::ForceQuit,
        "quit (asks first where unsent passwords or passes would be lost; again: quit, exit 130)",
    )),
    // Help and the log work on every screen, dialogs included. `?` and `@` are text in a
    // text field (a password may hold `?`, an address holds `@`), so F1 is help there too.
    hint(
        b(
            S::Global,
            &[c('@')],
            A::RequestLog,
            "request log pane (open and close; below any dialog)",
        ),
        "log",
    ),
    hint(
        b(S::Global, &[c('?')], A::Help, "help for this screen"),
        "help",
    ),
    typing(hint(
        b(
            S::Global,
            &[k(K::F(1))],
            A::Help,
            "help for this screen, even while typing",
        ),
        "help",
    )),
    // The table.
    b(S::Table, &[c('j'), k(K::Down)], A::Down, "next user"),
    b(S::Table, &[c('k'), k(K::Up)], A::Up, "previous user"),
    b(
        S::Table,
        &[k(K::PageDown), ctrl('f')],
        A::PageDown,
        "page down",
    ),
    b(S::Table, &[k(K::PageUp), ctrl('b')], A::PageUp, "page up"),
    b(S::Table, &[ctrl('d')], A::HalfPageDown, "half a page down"),
    b(S::Table, &[ctrl('u')], A::HalfPageUp, "half a page up"),
    b(S::Table, &[c('g'), k(K::Home)], A::Top, "first user"),
    b(S::Table, &[c('G'), k(K::End)], A::Bottom, "last user"),
    hint(
        b(
            S::Table,
            &[k(K::Enter), c('r')],
            A::Restore,
            "restore the marked users, or this one",
        ),
        "restore",
    ),
    hint(
        b(S::Table, &[c(' ')], A::ToggleMark, "mark / unmark"),
        "mark",
    ),
    b(S::Table, &[c('a')], A::MarkAllShown, "mark all shown"),
    b(S::Table, &[c('A')], A::ClearMarks, "clear all marks"),
    hint(
        b(
            S::Table,
            &[c('/')],
            A::Filter,
            "filter as you type (Esc clears)",
        ),
        "filter",
    ),
    hint(
        b(S::Table, &[c('s')], A::SortNext, "next sort column"),
        "sort",
    ),
    b(S::Table, &[c('S')], A::SortReverse, "reverse the sort"),
    hint(
        b(S::Table, &[c('i'), k(K::Tab)], A::Details, "details pane"),
        "details",
    ),
    b(
        S::Table,
        &[c('J'), shift(K::Down)],
        A::DetailsDown,
        "scroll details down (or the wheel over them)",
    ),
    b(
        S::Table,
        &[c('K'), shift(K::Up)],
        A::DetailsUp,
        "scroll details up",
    ),
    hint(
        b(
            S::Table,
            &[c('2')],
            A::ViewRestored,
            "the Restored view: users restored in this directory",
        ),
        "restored",
    ),
    b(
        S::Table,
        &[c('1')],
        A::ViewDeleted,
        "the deleted users (this view)",
    ),
    b(
        S::Table,
        &[c('c')],
        A::OnlyConflicts,
        "only users in conflict ([CONFLICT]), or everyone again",
    ),
    b(
        S::Table,
        &[c('y')],
        A::CopyUpn,
        "copy this user's user name (OSC 52)",
    ),
    b(
        S::Table,
        &[c('Y')],
        A::CopyId,
        "copy this user's object id (OSC 52)",
    ),
    hint(
        b(
            S::Table,
            &[c('D')],
            A::Purge,
            "purge for good (asks you to type the count)",
        ),
        "purge",
    ),
    hint(
        b(
            S::Table,
            &[c('R'), k(K::F(5))],
            A::Refresh,
            "reload from the directory",
        ),
        "refresh",
    ),
    b(
        S::Table,
        &[c('F')],
        A::FinishUnfinished,
        "finish interrupted restores",
    ),
    hint(b(S::Table, &[c('q')], A::Quit, "quit"), "quit"),
    b(
        S::Table,
        &[k(K::Esc)],
        A::Cancel,
        "close the log pane, or clear the filter",
    ),
    // The Restored view.
    b(S::Restored, &[c('j'), k(K::Down)], A::Down, "next user"),
    b(S::Restored, &[c('k'), k(K::Up)], A::Up, "previous user"),
    b(
        S::Restored,
        &[k(K::PageDown), ctrl('f')],
        A::PageDown,
        "page down",
    ),
    b(
        S::Restored,
        &[k(K::PageUp), ctrl('b')],
        A::PageUp,
        "page up",
    ),
    b(S::Restored, &[c('g'), k(K::Home)], A::Top, "first user"),
    b(S::Restored, &[c('G'), k(K::End)], A::Bottom, "last user"),
    hint(
        b(
            S::Restored,
            &[c('1'), k(K::Esc)],
            A::ViewDeleted,
            "back to the deleted users",
        ),
        "deleted",
    ),
    b(S::Restored, &[c('2')], A::ViewRestored, "this view"),
    hint(
        b(
            S::Restored,
            &[c('p')],
            A::SetPassword,
            "set a password for this user, which has none (generate, or type one)",
        ),
        "set password",
    ),
    hint(
        b(
            S::Restored,
            &[c('F')],
            A::FinishUnfinished,
            "finish interrupted restores (password or mail not done)",
        ),
        "finish",
    ),
    hint(
        b(
            S::Restored,
            &[c('y')],
            A::CopyUpn,
            "copy this user's user name (OSC 52)",
        ),
        "copy name",
    ),
    hint(
        b(
            S::Restored,
            &[c('Y')],
            A::CopyId,
            "copy this user's object id (OSC 52)",
        ),
        "copy id",
    ),
    hint(
        b(
            S::Restored,
            &[c('R'), k(K::F(5))],
            A::Refresh,
            "read the journal again",
        ),
        "refresh",
    ),
    hint(b(S::Restored, &[c('q')], A::Quit, "quit"), "quit"),
    // Filter line.
    typing(hint(
        b(
            S::Filter,
            &[k(K::Enter)],
            A::Submit,
            "keep the filter, back to the table",
        ),
        "keep",
    )),
    typing(hint(
        b(S::Filter, &[k(K::Esc)], A::Cancel, "clear the filter"),
        "clear",
    )),
    typing(b(S::Filter, &[k(K::Down)], A::Down, "next user")),
    typing(b(S::Filter, &[k(K::Up)], A::Up, "previous user")),
    // Restore dialog.
    typing(hint(
        b(
            S::RestoreDialog,
            &[k(K::Tab), k(K::Down)],
            A::NextField,
            "next field",
        ),
        "next",
    )),
    typing(b(
        S::RestoreDialog,
        &[k(K::BackTab), k(K::Up)],
        A::PrevField,
        "previous field",
    )),
    hint(
        b(
            S::RestoreDialog,
            &[c(' '), c('x')],
            A::Toggle,
            "toggle a choice (a safeguard goes off only on a second press)",
        ),
        "toggle",
    ),
    typing(hint(
        b(
            S::RestoreDialog,
            &[k(K::F(2))],
            A::Reveal,
            "show / hide the password",
        ),
        "show password",
    )),
    typing(hint(
        b(
            S::RestoreDialog,
            &[k(K::Enter)],
            A::Submit,
            "restore (on [ Cancel ]: close the dialog)",
        ),
        "restore",
    )),
    typing(hint(
        b(S::RestoreDialog, &[k(K::Esc)], A::Cancel, "cancel"),
        "cancel",
    )),
    // Progress.
    b(S::Progress, &[c('j'), k(K::Down)], A::Down, "scroll down"),
    b(S::Progress, &[c('k'), k(K::Up)], A::Up, "scroll up"),
    hint(
        b(
            S::Progress,
            &[k(K::Esc)],
            A::Cancel,
            "stop the remaining users (asks first)",
        ),
        "stop",
    ),
    // Result.
    hint(
        b(
            S::Result,
            &[k(K::Enter)],
            A::Submit,
            "send email and close, or close without email (the focused button)",
        ),
        "send email and close",
    ),
    hint(
        b(
            S::Result,
            &[k(K::Tab), k(K::Right), k(K::Left), k(K::BackTab)],
            A::NextField,
            "other button",
        ),
        "other button",
    ),
    b(S::Result, &[c('j'), k(K::Down)], A::Down, "next user"),
    b(S::Result, &[c('k'), k(K::Up)], A::Up, "previous user"),
    hint(
        b(S::Result, &[c('v')], A::Reveal, "show / hide the passwords"),
        "show",
    ),
    hint(
        b(
            S::Result,
            &[c('c')],
            A::Copy,
            "copy this user's password (OSC 52)",
        ),
        "copy",
    ),
    hint(
        b(
            S::Result,
            &[k(K::Esc)],
            A::Cancel,
            "close without email (asks first)",
        ),
        "close without email",
    ),
    hint(
        b(
            S::Result,
            &[c('p')],
            A::SetPassword,
            "set a password for this restored user (generate, or type one; a new pass after a pass hand-off)",
        ),
        "set password",
    ),
    hint(
        b(
            S::Result,
            &[c('r')],
            A::Retry,
            "retry every failed user with the same choices",
        ),
        "retry failed",
    ),
    hint(
        b(
            S::Result,
            &[c('e')],
            A::ShowError,
            "show this line's whole error (its failed sign-in mail first) and what came back with it",
        ),
        "error",
    ),
    b(
        S::Result,
        &[c('m')],
        A::MailArrived,
        "this user's sign-in mail may have gone out and you found it in the inbox: close it as \
         mailed, keeping the password it carried (asks first)",
    ),
    // The password prompt of the result screen.
    typing(hint(
        b(
            S::ResultPassword,
            &[k(K::Tab), k(K::BackTab)],
            A::NextField,
            "generate / type the password",
        ),
        "generate/type",
    )),
    typing(hint(
        b(
            S::ResultPassword,
            &[k(K::F(2))],
            A::Reveal,
            "show / hide the typed password",
        ),
        "show",
    )),
    typing(hint(
        b(
            S::ResultPassword,
            &[k(K::Enter)],
            A::Submit,
            "set the password",
        ),
        "set",
    )),
    typing(hint(
        b(S::ResultPassword, &[k(K::Esc)], A::Cancel, "cancel"),
        "cancel",
    )),
    // The error pane of the result screen.
    b(S::ErrorPane, &[c('j'), k(K::Down)], A::Down, "scroll down"),
    b(S::ErrorPane, &[c('k'), k(K::Up)], A::Up, "scroll up"),
    b(S::ErrorPane, &[k(K::PageDown)], A::PageDown, "page down"),
    b(S::ErrorPane, &[k(K::PageUp)], A::PageUp, "page up"),
    hint(
        b(
            S::ErrorPane,
            &[k(K::Esc), c('e')],
            A::Cancel,
            "close the error",
        ),
        "close",
    ),
    // Questions.
    hint(
        b(
            S::Confirm,
            &[c('y')],
            A::Yes,
            "yes: stop the remaining users / close without email / restore that many / quit",
        ),
        "yes",
    ),
    hint(
        b(S::Confirm, &[c('n'), k(K::Esc)], A::No, "no: go back"),
        "no",
    ),
    // Purge.
    typing(hint(
        b(
            S::Purge,
            &[k(K::Enter)],
            A::Submit,
            "purge when the typed count matches",
        ),
        "purge",
    )),
    typing(hint(
        b(S::Purge, &[k(K::Esc)], A::Cancel, "cancel"),
        "cancel",
    )),
    // Help.
    hint(
        b(S::Help, &[c('j'), k(K::Down)], A::Down, "scroll down"),
        "scroll",
    ),
    b(S::Help, &[c('k'), k(K::Up)], A::Up, "scroll up"),
    b(
        S::Help,
        &[k(K::PageDown), ctrl('f'), c(' ')],
        A::PageDown,
        "page down",
    ),
    b(S::Help, &[k(K::PageUp), ctrl('b')], A::PageUp, "page up"),
    b(S::Help, &[c('g'), k(K::Home)], A::Top, "top"),
    b(
        S::Help,
        &[c('G'), k(K::End)],
        A::Bottom,
        "bottom (the badge legend)",
    ),
    hint(
        b(
            S::Help,
            &[k(K::Esc), c('?'), c('q'), k(K::F(1))],
            A::Cancel,
            "close the help",
        ),
        "close",
    ),
    // The sign-in screen (its own hint line says these).
    b(
        S::SignIn,
        &[k(K::Esc), c('q')],
        A::Cancel,
        "cancel the sign-in; quit once it has failed",
    ),
    b(
        S::SignIn,
        &[k(K::Enter)],
        A::Submit,
        "quit once the sign-in has failed",
    ),
    b(S::SignIn, &[c('r')], A::Retry, "try again after a failure"),
    b(S::SignIn, &[c('c')], A::Copy, "copy the code (OSC 52)"),
];

fn normalize(ev: &KeyEvent) -> Key {
    let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
    if matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab) {
        mods.remove(KeyModifiers::SHIFT);
    }
    let code = match ev.code {
        // Some terminals send Ctrl-letters upper-case.
        KeyCode::Char(ch) if mods.contains(KeyModifiers::CONTROL) => {
            KeyCode::Char(ch.to_ascii_lowercase())
        }
        other => other,
    };
    Key { code, mods }
}

/// The action bound to `ev` in `scope` (or globally). `typing`: a text field has the focus, so
/// only keys that cannot be text count.
pub fn lookup(scope: Scope, ev: &KeyEvent, typing: bool) -> Option<Action> {
    let key = normalize(ev);
    let find = |s: Scope| {
        BINDINGS
            .iter()
            .filter(|bi| bi.scope == s)
            .filter(|bi| !typing || bi.while_typing)
            .find(|bi| bi.keys.contains(&key))
            .map(|bi| bi.action)
    };
    // The screen's own meaning of a key wins (`?` closes the help).
    find(scope).or_else(|| find(Scope::Global))
}

/// Whether a text field has the keyboard in `scope`: then only keys that cannot be text act.
/// The one rule for `update` (which keys act) and the footer (which hints it shows).
pub fn is_typing(state: &super::state::State, scope: Scope) -> bool {
    use super::modal::Modal;
    match (&state.modal, scope) {
        (Some(Modal::Restore(f)), Scope::RestoreDialog) => f.focus.is_text(),
        (Some(Modal::Result(r)), Scope::ResultPassword) => r.prompt().is_some_and(|p| !p.auto),
        (Some(Modal::Purge(_)), Scope::Purge) => true,
        (None, Scope::Filter) => true,
        _ => false,
    }
}

pub fn key_label(key: &Key) -> String {
    let base = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(ch) => ch.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if key.mods.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{base}")
    } else if key.mods.contains(KeyModifiers::SHIFT) {
        // Letters carry their case instead; only named keys get here with SHIFT.
        format!("Shift-{base}")
    } else {
        base
    }
}

/// The bindings of one scope, for the help overlay: (keys, what they do).
pub fn help_lines(scope: Scope) -> Vec<(String, &'static str)> {
    BINDINGS
        .iter()
        .filter(|bi| bi.scope == scope)
        .map(|bi| {
            let keys: Vec<String> = bi.keys.iter().map(key_label).collect();
            (keys.join(" "), bi.help)
        })
        .collect()
}

/// One footer hint: the key as shown, the keymap's word for it, and the action it stands
/// for, so a screen can word it for its state (`ui::footer_word`) without matching keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub action: Action,
    pub key: String,
    pub word: &'static str,
}

/// The footer's hints for `scope`, of the actions `offered` says work right now.
/// The keys that work everywhere (help, log) follow the screen's own, unless the screen
/// binds the same key itself or, while `typing`, the key would be text.
pub fn footer_hint(scope: Scope, typing: bool, offered: impl Fn(Action) -> bool) -> Vec<Hint> {
    let own = |key: &Key| {
        BINDINGS
            .iter()
            .any(|bi| bi.scope == scope && bi.keys.contains(key))
    };
    let mut seen: Vec<Action> = Vec::new();
    let globals = BINDINGS.iter().filter(|bi| {
        bi.scope == Scope::Global
            && scope != Scope::SignIn
            && (!typing || bi.while_typing)
            && !bi.keys.iter().any(own)
    });
    BINDINGS
        .iter()
        .filter(|bi| bi.scope == scope && offered(bi.action))
        .chain(globals)
        // One hint per action: F1 stands in for `?` only while typing.
        .filter(|bi| {
            let first = !seen.contains(&bi.action);
            seen.push(bi.action);
            first
        })
        .filter_map(|bi| {
            let word = bi.hint?;
            let first = bi.keys.first()?;
            let label = key_label(first);
            // Named keys read better in lower case ("enter"); letters keep their case (D ≠ d).
            let label = if label.chars().count() > 1 && label.chars().all(char::is_alphabetic) {
                label.to_lowercase()
            } else {
                label
            };
            Some(Hint {
                action: bi.action,
                key: label,
                word,
            })
        })
        .collect()
}

/// Every scope, in the order the help overlay lists them.
pub const HELP_SCOPES: &[Scope] = &[
    Scope::Table,
    Scope::Restored,
    Scope::Filter,
    Scope::RestoreDialog,
    Scope::Progress,
    Scope::Result,
    Scope::ResultPassword,
    Scope::ErrorPane,
    Scope::Purge,
    Scope::Confirm,
    Scope::Help,
    Scope::Global,
];

/// The focus scope: which table of keys applies now, and which the footer describes.
pub fn scope(state: &super::state::State) -> Scope {
    use super::modal::{Modal, result::ResultMode};
    if state.sign_in.is_some() {
        return Scope::SignIn;
    }
    if state.quit_question {
        return Scope::Confirm;
    }
    // The help opens over whatever screen asked for it.
    if state.help.is_some() {
        return Scope::Help;
    }
    match &state.modal {
        Some(Modal::Restore(f)) if f.confirm_many => Scope::Confirm,
        Some(Modal::Restore(_)) => Scope::RestoreDialog,
        Some(Modal::Progress(p)) if p.confirm_stop => Scope::Confirm,
        Some(Modal::Progress(_)) => Scope::Progress,
        Some(Modal::Result(r)) => match r.mode {
            ResultMode::ConfirmClose | ResultMode::ConfirmArrived(_) => Scope::Confirm,
            ResultMode::Prompt(_) => Scope::ResultPassword,
            ResultMode::ErrorPane(_) => Scope::ErrorPane,
            ResultMode::List => Scope::Result,
        },
        Some(Modal::Purge(_)) => Scope::Purge,
        None if state.view == super::restored::View::Restored => Scope::Restored,
        None if state.session().users.filtering() => Scope::Filter,
        None => Scope::Table,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new_with_kind(code, mods, KeyEventKind::Press)
    }

    #[test]
    fn shifted_letters_match_with_or_without_shift() {
        let with = ev(KeyCode::Char('G'), KeyModifiers::SHIFT);
        let without = ev(KeyCode::Char('G'), KeyModifiers::NONE);
        assert_eq!(lookup(Scope::Table, &with, false), Some(Action::Bottom));
        assert_eq!(lookup(Scope::Table, &without, false), Some(Action::Bottom));
    }

    #[test]
    fn ctrl_c_works_in_every_scope_even_while_typing() {
        let cc = ev(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for scope in HELP_SCOPES {
            assert_eq!(
                lookup(*scope, &cc, true),
                Some(Action::ForceQuit),
                "{scope:?}"
            );
        }
    }

    #[test]
    fn letters_are_text_while_typing() {
        let x = ev(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(
            lookup(Scope::RestoreDialog, &x, false),
            Some(Action::Toggle)
        );
        assert_eq!(lookup(Scope::RestoreDialog, &x, true), None);
        let q = ev(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(lookup(Scope::Filter, &q, true), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_one_scope() {
        for scope in HELP_SCOPES.iter().chain(&[Scope::SignIn]) {
            let mut seen = Vec::new();
            for bi in BINDINGS.iter().filter(|bi| bi.scope == *scope) {
                for key in bi.keys {
                    assert!(!seen.contains(key), "{scope:?}: {key:?} bound twice");
                    seen.push(*key);
                }
            }
        }
    }

    #[test]
    fn footer_hint_starts_with_restore() {
        let hint = footer_hint(Scope::Table, false, |_| true);
        assert_eq!((hint[0].key.as_str(), hint[0].word), ("enter", "restore"));
        assert_eq!(hint[0].action, Action::Restore);
        assert!(hint.iter().any(|h| h.key == "?" && h.word == "help"));
        assert!(hint.iter().any(|h| h.key == "@" && h.word == "log"));
        assert!(!hint.iter().any(|h| h.key == "F1"), "F1 only while typing");
    }

    #[test]
    fn help_and_log_are_offered_on_every_screen() {
        for scope in HELP_SCOPES
            .iter()
            .filter(|s| !matches!(s, Scope::Help | Scope::Global))
        {
            let hint = footer_hint(*scope, false, |_| true);
            assert!(hint.iter().any(|h| h.key == "?"), "{scope:?}: {hint:?}");
            assert!(hint.iter().any(|h| h.key == "@"), "{scope:?}: {hint:?}");
            // While typing, `?` and `@` are text: F1 is the help, and no `@` is promised.
            let typing = footer_hint(*scope, true, |_| true);
            assert!(typing.iter().any(|h| h.key == "F1"), "{scope:?}");
            assert!(
                !typing.iter().any(|h| h.key == "?" || h.key == "@"),
                "{scope:?}"
            );
        }
        // In the help itself `?` closes it.
        let help = footer_hint(Scope::Help, false, |_| true);
        assert!(!help.iter().any(|h| h.word == "help"), "{help:?}");
    }

    #[test]
    fn the_screen_binding_wins_over_the_global_one() {
        let q = ev(KeyCode::Char('?'), KeyModifiers::NONE);
        assert_eq!(lookup(Scope::Help, &q, false), Some(Action::Cancel));
        assert_eq!(lookup(Scope::Result, &q, false), Some(Action::Help));
        assert_eq!(lookup(Scope::RestoreDialog, &q, true), None, "text");
        let f1 = ev(KeyCode::F(1), KeyModifiers::NONE);
        assert_eq!(lookup(Scope::RestoreDialog, &f1, true), Some(Action::Help));
    }
}
