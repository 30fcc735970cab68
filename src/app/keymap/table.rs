//! The key table itself: every binding, per scope, with its help line and footer word. Only
//! data lives here; how a key is looked up and shown is `keymap`'s.

use crossterm::event::{KeyCode, KeyModifiers};

use super::Scope;
use crate::app::action::Action;

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
    // Early among the hints, so a narrow footer keeps it: it shows only while the banner says
    // there is unfinished work.
    hint(
        b(
            S::Table,
            &[c('F')],
            A::FinishUnfinished,
            "finish interrupted restores (password or mail not done)",
        ),
        "finish",
    ),
    hint(
        b(
            S::Table,
            &[c(' ')],
            A::ToggleMark,
            "mark or unmark this user, then move to the next (held: marks a run)",
        ),
        "mark ↓",
    ),
    // Early too: in a run on several tenants a narrow footer keeps it (it shows only then).
    hint(
        b(
            S::Table,
            &[c('t')],
            A::Tenants,
            "the run's tenants: each one's state, and which the table shows",
        ),
        "tenants",
    ),
    b(S::Table, &[c('a')], A::MarkAllShown, "mark all shown"),
    b(S::Table, &[c('A')], A::ClearMarks, "clear all marks"),
    b(
        S::Table,
        &[c('m')],
        A::OnlyMarked,
        "only the marked users (whom Enter restores), or everyone again",
    ),
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
            // Esc first, for the footer: "1 deleted" read as a count of users.
            &[k(K::Esc), c('1')],
            A::ViewDeleted,
            "back to the deleted users",
        ),
        "deleted users",
    ),
    b(S::Restored, &[c('2')], A::ViewRestored, "this view"),
    hint(
        b(
            S::Restored,
            &[c('p')],
            A::SetPassword,
            "set a password for this user, or a new one (generate, or type one); then mail it",
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
    hint(
        b(
            S::Restored,
            &[c('t')],
            A::Tenants,
            "the run's tenants: each one's state, and which the screen shows",
        ),
        "tenants",
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
            "stop the remaining users (asks first); again while stopping: leave the users in flight to F",
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
            "yes: stop the remaining users / leave them to F / close without email / restore that many / quit",
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
    // The tenants pane.
    b(S::Tenants, &[c('j'), k(K::Down)], A::Down, "next tenant"),
    b(S::Tenants, &[c('k'), k(K::Up)], A::Up, "previous tenant"),
    b(S::Tenants, &[c('g'), k(K::Home)], A::Top, "first tenant"),
    b(S::Tenants, &[c('G'), k(K::End)], A::Bottom, "last tenant"),
    hint(
        b(
            S::Tenants,
            &[k(K::Enter)],
            A::Submit,
            "show this tenant's deleted users",
        ),
        "show",
    ),
    hint(
        b(
            S::Tenants,
            &[c('a')],
            A::AllTenants,
            "every tenant's deleted users in one table",
        ),
        "all",
    ),
    hint(
        b(S::Tenants, &[k(K::Esc), c('t')], A::Cancel, "close"),
        "close",
    ),
    hint(
        b(
            S::Tenants,
            &[c('s')],
            A::SortNext,
            "the tenant whose users purge first on top (again: the order asked for)",
        ),
        "by purge",
    ),
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
