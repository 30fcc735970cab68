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
    /// `t`: the tenants of a run on several.
    Tenants,
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
            Scope::Tenants => "Tenants",
        }
    }
}

mod table;

use table::{BINDINGS, Key};

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
        Some(Modal::Progress(p)) if p.confirm_stop || p.confirm_leave => Scope::Confirm,
        Some(Modal::Progress(_)) => Scope::Progress,
        Some(Modal::Result(r)) => match r.mode {
            ResultMode::ConfirmClose | ResultMode::ConfirmArrived(_) => Scope::Confirm,
            ResultMode::Prompt(_) => Scope::ResultPassword,
            ResultMode::ErrorPane(_) => Scope::ErrorPane,
            ResultMode::List => Scope::Result,
        },
        Some(Modal::Purge(_)) => Scope::Purge,
        Some(Modal::Tenants(_)) => Scope::Tenants,
        Some(Modal::TenantRuns) => Scope::Confirm,
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
