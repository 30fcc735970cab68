//! Leaving while the screen holds secrets nobody has been given. Ctrl-C on such a screen asks
//! first, as Esc does there; a second Ctrl-C (or `y`) leaves: the users stay unfinished in the
//! journal (nothing here closes them: only `MailSent` and `MailSkipped` do), one line on stderr
//! names `undelete finish`, and the run exits 130. A SIGINT or SIGTERM from outside cannot be
//! asked about, so it leaves the same way at once. Anywhere else Ctrl-C quits as it always has.

use super::effect::Effect;
use super::modal::Modal;
use super::state::{ExitReport, NoticeKind, State};

/// The exit code after Ctrl-C or SIGINT left secrets unsent: 128 + SIGINT, as a shell says it.
pub const EXIT_INTERRUPTED: u8 = 130;
/// The exit code after SIGTERM left secrets unsent: 128 + SIGTERM.
pub const EXIT_TERMINATED: u8 = 143;

/// How the admin (or the system) asked the app to leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    /// Ctrl-C twice, `y` on the question, or SIGINT from outside.
    Interrupt,
    /// SIGTERM (`kill`, a closing session).
    Terminate,
}

/// Where the secrets that leaving would drop are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// On the result screen, shown nowhere else.
    Result,
    /// On the result screen after its sign-in mail surely failed (never written, or
    /// refused): `finish` sets new passwords and mails them.
    MailFailed,
    /// On the result screen after its sign-in mail's reply was lost: it may be in the inbox
    /// with these passwords, so `finish --mark-sent` closes it once found there.
    MailMaybeSent,
    /// In the sign-in mail being sent: it may or may not arrive.
    Sending,
    /// A run, a retry or `F` is still setting them.
    Running,
}

/// What leaving now would drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsent {
    pub holding: Holding,
    /// Restored users it leaves unfinished (for a run in flight: restored so far).
    pub users: usize,
    /// Temporary Access Passes rather than passwords.
    pub passes: bool,
    /// The tenant whose they are, when it is not the one on screen (a run's end held while
    /// another tenant's dialog is open).
    pub tenant: Option<super::sessions::SessionId>,
}

impl Unsent {
    fn secrets(&self) -> &'static str {
        if self.passes { "passes" } else { "passwords" }
    }
}

/// The secrets leaving now would drop, if the screen holds any, or the end of a run in a
/// tenant not on screen that waits for the dialog open to close (`State::held`).
pub fn unsent(state: &State) -> Option<Unsent> {
    on_screen(state).or_else(|| held(state))
}

/// The passwords or passes of the run ends held for later: leaving now loses them too.
fn held(state: &State) -> Option<Unsent> {
    let mut users = 0;
    let mut passes = false;
    let mut tenant = None;
    for (id, msg) in &state.held {
        if let super::msg::SessionMsg::RestoreFinished { outcomes, .. } = msg {
            for o in outcomes.iter().filter(|o| o.restored()) {
                let secret = o.password.is_some() || o.tap.is_some();
                users += usize::from(secret);
                passes |= o.tap.is_some();
                if secret {
                    tenant.get_or_insert(*id);
                }
            }
        }
    }
    (users > 0).then_some(Unsent {
        holding: Holding::Result,
        users,
        passes,
        tenant,
    })
}

fn on_screen(state: &State) -> Option<Unsent> {
    let tap_run = state
        .session()
        .last_step
        .as_ref()
        .is_some_and(|s| s.choice.tap().is_some());
    match &state.modal {
        Some(Modal::Progress(p)) => Some(Unsent {
            holding: Holding::Running,
            users: p.lines.iter().filter(|l| l.status.restored()).count(),
            passes: tap_run,
            tenant: None,
        }),
        Some(Modal::Result(r)) => {
            let holding = if r.sending {
                Holding::Sending
            } else if r.busy {
                Holding::Running
            } else if r.holds_passwords() && r.send_error.as_ref().is_some_and(|e| e.may_have_gone)
            {
                Holding::MailMaybeSent
            } else if r.holds_passwords() && r.send_error.is_some() {
                Holding::MailFailed
            } else if r.holds_passwords() {
                Holding::Result
            } else {
                return None;
            };
            Some(Unsent {
                holding,
                // The users whose secret would be lost: a guest has none, and after `F` the
                // users an earlier mail reached are not lost.
                users: r
                    .outcomes
                    .iter()
                    .filter(|o| o.restored() && o.wants_password && !r.mailed.contains(&o.id))
                    .count(),
                passes: r.step.choice.tap().is_some(),
                tenant: None,
            })
        }
        _ if state.session().finishing => Some(Unsent {
            holding: Holding::Running,
            users: state.session().unfinished.len(),
            passes: false,
            tenant: None,
        }),
        _ => None,
    }
}

/// The question Ctrl-C asks, in two lines that fit 76 columns: what is lost, then the way out.
pub fn question(u: &Unsent) -> [String; 2] {
    let first = match u.holding {
        Holding::Result | Holding::MailFailed => format!(
            "Quit now? The {} on this screen were not sent and will be lost.",
            u.secrets()
        ),
        Holding::MailMaybeSent => format!(
            "Quit now? The mail may have gone out; the {} will not be shown again.",
            u.secrets()
        ),
        Holding::Sending => "Quit now? The sign-in mail is being sent; it may not arrive.".into(),
        // Nothing restored yet: no secret to lose, only restores that may still happen.
        Holding::Running if u.users == 0 => {
            "Quit mid-run? No user is restored yet; one in flight may still be.".into()
        }
        Holding::Running => format!(
            "Quit mid-run? The new {} being set will be lost.",
            u.secrets()
        ),
    };
    [
        first,
        "They stay unfinished (undelete finish). y or Ctrl-C quits · n goes back".into(),
    ]
}

/// The line printed on stderr once the terminal is back: how many users, which directory, and
/// the `undelete finish` that picks them up.
pub fn report(state: &State, u: &Unsent) -> String {
    let s = u
        .tenant
        .and_then(|id| state.sessions.get(id))
        .map_or(&state.session().facts, |t| &t.facts);
    let directory = if s.is_sandbox { &s.label } else { &s.directory };
    let finish = &s.finish_command;
    let users = match u.users {
        1 => "1 restored user".to_string(),
        n => format!("{n} restored users"),
    };
    match u.holding {
        Holding::Result => format!(
            "undelete: left {users} unfinished in {directory}: their {} were never sent; \
             `{finish}` sets new ones and sends the sign-in info",
            u.secrets()
        ),
        Holding::MailFailed => format!(
            "undelete: left {users} unfinished in {directory}: their sign-in mail was not sent; \
             `{finish}` sets new {} and sends it",
            u.secrets()
        ),
        Holding::MailMaybeSent => format!(
            "undelete: left {users} unfinished in {directory}: their sign-in mail may have gone \
             out (its reply was lost); check the inbox: if it arrived, `{finish} --mark-sent \
             ID_OR_UPN...` closes them, otherwise `{finish} --resend` sets new {} and mails them",
            u.secrets()
        ),
        Holding::Sending => format!(
            "undelete: left {users} unfinished in {directory}: their sign-in mail was being sent \
             and may have arrived; check the inbox, then `{finish}` (add --resend to mail new {})",
            u.secrets()
        ),
        Holding::Running if u.users == 0 => format!(
            "undelete: stopped a restore in {directory} before any user was known restored; \
             `{finish}` checks each one and finishes those that were"
        ),
        Holding::Running => format!(
            "undelete: stopped a restore in {directory}: {} restored so far {} left \
             unfinished; `{finish}` checks each one, sets new {} and sends the sign-in info",
            if u.users == 1 {
                "1 user".to_string()
            } else {
                format!("{} users", u.users)
            },
            if u.users == 1 { "is" } else { "are" },
            u.secrets()
        ),
    }
}

/// Ctrl-C: asks when secrets would be lost, leaves when asked already, quits otherwise.
pub(super) fn on_ctrl_c(state: &mut State) -> Vec<Effect> {
    if state.quit_question {
        return leave(state, Leave::Interrupt);
    }
    let Some(u) = unsent(state) else {
        state.quit = true;
        return Vec::new();
    };
    state.quit_question = true;
    // The question must be in view: the help would cover it.
    state.help = None;
    if state.modal.is_none() {
        // No dialog to ask in: the status line asks.
        let [what, how] = question(&u);
        state.notice = Some((NoticeKind::Error, format!("{what} {how}")));
    }
    Vec::new()
}

/// `y` / `n` on the question.
pub(super) fn answer(state: &mut State, yes: bool) -> Vec<Effect> {
    if yes {
        return leave(state, Leave::Interrupt);
    }
    state.quit_question = false;
    if state.modal.is_none() {
        state.notice = None;
    }
    Vec::new()
}

/// Leaves now: what is unsent stays unfinished in the journal, and the exit says so.
pub(super) fn leave(state: &mut State, how: Leave) -> Vec<Effect> {
    let mut effects = Vec::new();
    if let Some(u) = unsent(state) {
        state.exit = Some(ExitReport {
            code: match how {
                Leave::Interrupt => EXIT_INTERRUPTED,
                Leave::Terminate => EXIT_TERMINATED,
            },
            message: report(state, &u),
        });
        // No restore starts after the admin chose to leave; those in flight end with the process.
        if matches!(state.modal, Some(Modal::Progress(_))) {
            effects.push(Effect::StopRestore);
        }
    }
    state.quit = true;
    effects
}

/// The question goes once nothing would be lost any more (the mail went, the run ended).
pub(super) fn settle(state: &mut State) {
    if state.quit_question && unsent(state).is_none() {
        state.quit_question = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures;
    use crate::app::modal::progress::JobStatus;
    use crate::app::msg::{Msg, SessionMsg};
    use crate::app::update::update;
    use crate::restore::UserOutcome;
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
    use secrecy::SecretString;

    fn key(s: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
        update(
            s,
            Msg::Key(KeyEvent::new_with_kind(code, mods, KeyEventKind::Press)),
        )
    }

    fn ctrl_c(s: &mut State) -> Vec<Effect> {
        key(s, KeyCode::Char('c'), KeyModifiers::CONTROL)
    }

    fn quits(s: &State) -> bool {
        s.quit
    }

    fn restored(i: usize) -> UserOutcome {
        let u = fixtures::user(i, fixtures::now());
        let mut o = UserOutcome::new("run-1", &crate::restore::PlannedUser::as_is(u), true);
        o.upn = Some(o.original_upn.clone());
        o.password = Some(SecretString::from(format!("Pw-{i}-Xy7#kLm2Qr")));
        o
    }

    fn on_result(outcomes: Vec<UserOutcome>, to: &[&str]) -> State {
        let mut s = fixtures::state(20, (80, 24));
        let group = crate::restore::MailGroup {
            to: to.iter().map(|t| t.to_string()).collect(),
            include_password: true,
            force_change: true,
            ids: outcomes.iter().map(|o| o.id.clone()).collect(),
            fallback: false,
        };
        fixtures::send(
            &mut s,
            SessionMsg::RestoreFinished {
                outcomes,
                mail: Some(vec![group]),
            },
        );
        s
    }

    #[test]
    fn a_run_end_held_for_another_tenants_dialog_is_asked_about_then_shown() {
        let (mut s, fabrikam) = fixtures::tenants(5, 5, (120, 40));
        // Another tenant's question is open when Fabrikam's run ends, its passwords with it.
        s.modal = Some(Modal::TenantRuns);
        update(
            &mut s,
            Msg::Session {
                id: fabrikam,
                msg: SessionMsg::RestoreFinished {
                    outcomes: vec![restored(1)],
                    mail: None,
                },
            },
        );
        assert_eq!(s.held.len(), 1, "held, not dropped");
        // Were the run left now, the line on stderr names Fabrikam, not the tenant on screen.
        let line = report(&s, &unsent(&s).expect("held passwords"));
        assert!(line.contains("in SANDBOX fabrikam.sandbox"), "{line}");
        ctrl_c(&mut s);
        assert!(
            s.quit_question && !s.quit,
            "Ctrl-C asks: the held passwords count"
        );
        key(&mut s, KeyCode::Char('n'), KeyModifiers::NONE);
        assert!(!s.quit_question && !s.quit);
        // The question closed: Fabrikam's result opens, on Fabrikam.
        key(&mut s, KeyCode::Char('n'), KeyModifiers::NONE);
        assert!(s.held.is_empty());
        assert_eq!(s.session().id(), fabrikam);
        assert!(
            matches!(&s.modal, Some(Modal::Result(r)) if r.holds_passwords()),
            "its passwords on screen"
        );
    }

    #[test]
    fn ctrl_c_on_the_table_quits_at_once_with_exit_0() {
        let mut s = fixtures::state(20, (80, 24));
        ctrl_c(&mut s);
        assert!(quits(&s));
        assert!(s.exit.is_none(), "a plain quit: exit 0");
    }

    #[test]
    fn ctrl_c_on_unsent_passwords_asks_and_a_second_leaves_them_unfinished_with_130() {
        let mut s = on_result(
            vec![restored(1), restored(2)],
            &["helpdesk@contoso.sandbox"],
        );
        let fx = ctrl_c(&mut s);
        assert!(fx.is_empty(), "asks first: {fx:?}");
        assert!(s.quit_question && !s.quit);
        assert_eq!(
            crate::app::keymap::scope(&s),
            crate::app::keymap::Scope::Confirm
        );
        // Nothing closes the users: no MailSkipped, whatever is pressed.
        let fx = ctrl_c(&mut s);
        assert!(
            !fx.iter()
                .any(|e| matches!(e, Effect::MailSkipped { .. } | Effect::SendMail(_))),
            "{fx:?}"
        );
        assert!(quits(&s));
        let exit = s.exit.clone().expect("an exit report");
        assert_eq!(exit.code, EXIT_INTERRUPTED);
        assert_eq!(
            exit.message,
            "undelete: left 2 restored users unfinished in SANDBOX contoso.sandbox: their \
             passwords were never sent; `undelete --data-dir /tmp/undelete-test finish` sets new \
             ones and sends the sign-in info"
        );
        assert!(!exit.message.contains('\n'), "one line");
    }

    #[test]
    fn n_or_esc_goes_back_and_y_leaves() {
        let mut s = on_result(vec![restored(1)], &[]);
        ctrl_c(&mut s);
        key(&mut s, KeyCode::Esc, KeyModifiers::NONE);
        assert!(!s.quit_question && !s.quit);
        assert!(
            matches!(s.modal, Some(Modal::Result(_))),
            "still on the result"
        );
        ctrl_c(&mut s);
        key(&mut s, KeyCode::Char('n'), KeyModifiers::NONE);
        assert!(!s.quit_question);
        ctrl_c(&mut s);
        key(&mut s, KeyCode::Char('y'), KeyModifiers::NONE);
        assert!(quits(&s));
        assert_eq!(s.exit.as_ref().map(|e| e.code), Some(EXIT_INTERRUPTED));
        assert!(
            s.exit
                .unwrap()
                .message
                .contains("left 1 restored user unfinished")
        );
    }

    #[test]
    fn the_question_shows_over_the_help_and_goes_once_the_mail_went() {
        let mut s = on_result(vec![restored(1)], &["helpdesk@contoso.sandbox"]);
        key(&mut s, KeyCode::Char('?'), KeyModifiers::NONE);
        assert!(s.help.is_some());
        ctrl_c(&mut s);
        assert!(s.help.is_none() && s.quit_question);
        key(&mut s, KeyCode::Char('n'), KeyModifiers::NONE);
        // Sending: asked too, and said so.
        key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
        ctrl_c(&mut s);
        assert_eq!(unsent(&s).map(|u| u.holding), Some(Holding::Sending));
        // Failed: still held, and the line says the mail failed.
        fixtures::send(&mut s, SessionMsg::MailSent(Err("cannot connect".into())));
        assert!(s.quit_question, "still asked");
        assert_eq!(unsent(&s).map(|u| u.holding), Some(Holding::MailFailed));
        key(&mut s, KeyCode::Char('n'), KeyModifiers::NONE);
        key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
        fixtures::send(&mut s, SessionMsg::MailSent(Ok(())));
        assert!(!s.quit_question, "nothing is lost any more");
        ctrl_c(&mut s);
        assert!(quits(&s) && s.exit.is_none());
    }

    #[test]
    fn the_exit_line_after_a_failed_mail_says_whether_it_may_have_gone_out() {
        let finish = "undelete --data-dir /tmp/undelete-test finish";
        // Never written (the server was gone): plain `finish` mails new passwords.
        let mut s = on_result(vec![restored(1)], &["helpdesk@contoso.sandbox"]);
        key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
        fixtures::send(&mut s, SessionMsg::MailSent(Err("cannot connect".into())));
        assert_eq!(unsent(&s).map(|u| u.holding), Some(Holding::MailFailed));
        ctrl_c(&mut s);
        ctrl_c(&mut s);
        let line = s.exit.expect("report").message;
        assert!(
            line.contains("their sign-in mail was not sent; ")
                && line.contains(&format!("`{finish}` sets new passwords and sends it"))
                && !line.contains("may have")
                && !line.contains("--resend"),
            "{line}"
        );
        // Written, the reply lost: the inbox first, then --mark-sent or --resend.
        let mut s = on_result(vec![restored(1)], &["helpdesk@contoso.sandbox"]);
        key(&mut s, KeyCode::Enter, KeyModifiers::NONE);
        fixtures::send(
            &mut s,
            SessionMsg::MailSent(Err(crate::app::msg::MailFailed {
                why: "the connection was lost before a reply".into(),
                may_have_gone: true,
            })),
        );
        let u = unsent(&s).expect("held");
        assert_eq!(u.holding, Holding::MailMaybeSent);
        assert!(!question(&u)[0].contains("not sent"), "{:?}", question(&u));
        ctrl_c(&mut s);
        ctrl_c(&mut s);
        let line = s.exit.expect("report").message;
        assert!(
            line.contains("may have gone out (its reply was lost); check the inbox")
                && line.contains(&format!("`{finish} --mark-sent ID_OR_UPN...` closes them"))
                && line.contains(&format!("`{finish} --resend` sets new passwords")),
            "{line}"
        );
    }

    #[test]
    fn a_result_without_secrets_quits_at_once() {
        let mut o = restored(1);
        o.password = None;
        let mut s = on_result(vec![o], &[]);
        ctrl_c(&mut s);
        assert!(quits(&s) && s.exit.is_none());
    }

    #[test]
    fn ctrl_c_on_a_run_in_flight_asks_then_stops_it() {
        let mut s = fixtures::state(20, (80, 24));
        key(&mut s, KeyCode::Char(' '), KeyModifiers::NONE);
        key(&mut s, KeyCode::Char(' '), KeyModifiers::NONE);
        let users: Vec<_> = (0..3).map(|i| fixtures::user(i, fixtures::now())).collect();
        let mut p = crate::app::modal::progress::ProgressState::new(&users);
        p.lines[0].status = JobStatus::PasswordSet;
        p.lines[1].status = JobStatus::Restoring;
        s.modal = Some(Modal::Progress(p));
        assert!(ctrl_c(&mut s).is_empty());
        assert!(s.quit_question);
        let fx = ctrl_c(&mut s);
        assert!(
            matches!(fx.as_slice(), [Effect::StopRestore]) && s.quit,
            "{fx:?}"
        );
        let exit = s.exit.expect("report");
        assert_eq!(exit.code, EXIT_INTERRUPTED);
        assert!(
            exit.message
                .contains(": 1 user restored so far is left unfinished;"),
            "{}",
            exit.message
        );
    }

    #[test]
    fn f_in_flight_asks_in_the_status_line() {
        let mut s = fixtures::state(20, (80, 24));
        s.session_mut().unfinished = vec![crate::restore::Unfinished {
            bring_back: Vec::new(),
            run: "r".into(),
            id: "u".into(),
            display_name: "U".into(),
            upn: "u@contoso.sandbox".into(),
            restore: crate::restore::RestoreState::Restored,
            password_set: false,
            wants_password: true,
            mail_done: false,
            mail_to: vec![],
            include_password: true,
            force_change: true,
            since: fixtures::now(),
            tap: None,
            account_disabled: false,
        }];
        let fx = key(&mut s, KeyCode::Char('F'), KeyModifiers::SHIFT);
        assert!(matches!(fx.as_slice(), [Effect::FinishUnfinished]));
        assert!(ctrl_c(&mut s).is_empty());
        let said = &s.notice.as_ref().expect("asked").1;
        assert!(said.contains("y or Ctrl-C quits"), "{said}");
        key(&mut s, KeyCode::Char('n'), KeyModifiers::NONE);
        assert!(s.notice.is_none());
        // Finished: nothing is held any more.
        fixtures::send(&mut s, SessionMsg::UnfinishedFailed("refused".into()));
        ctrl_c(&mut s);
        assert!(quits(&s));
    }

    #[test]
    fn a_signal_leaves_at_once_and_says_so_only_when_something_is_lost() {
        let mut s = on_result(vec![restored(1)], &[]);
        update(&mut s, Msg::Leave(Leave::Terminate));
        assert!(quits(&s));
        assert_eq!(s.exit.as_ref().map(|e| e.code), Some(EXIT_TERMINATED));
        let mut s = fixtures::state(20, (80, 24));
        update(&mut s, Msg::Leave(Leave::Interrupt));
        assert!(quits(&s));
        assert!(s.exit.is_none());
    }

    #[test]
    fn every_question_fits_76_columns() {
        for holding in [
            Holding::Result,
            Holding::MailFailed,
            Holding::MailMaybeSent,
            Holding::Sending,
            Holding::Running,
        ] {
            for passes in [false, true] {
                for users in [0, 3] {
                    for line in question(&Unsent {
                        holding,
                        users,
                        passes,
                        tenant: None,
                    }) {
                        assert!(crate::text::width(&line) <= 76, "{line}");
                    }
                }
            }
        }
    }

    #[test]
    fn mid_run_with_nothing_restored_yet_loses_no_password() {
        let [first, _] = question(&Unsent {
            holding: Holding::Running,
            users: 0,
            passes: false,
            tenant: None,
        });
        assert!(!first.contains("lost"), "{first}");
        assert!(first.contains("No user is restored yet"), "{first}");
    }
}
