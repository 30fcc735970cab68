//! Deterministic users and states for the TUI's tests, snapshots and benchmarks. The hostile
//! names are the sandbox's, passed through `sanitize::clean` exactly as the Graph client does.
#![doc(hidden)]

use chrono::{DateTime, Duration, FixedOffset, Offset, TimeZone, Utc};

use super::msg::{Msg, SessionMsg};
use super::sessions::{Facts, SessionId, Unopened};
use super::state::{Settings, State};
use crate::directory::{DeletedPage, DeletedUser};
use undelete_common::sanitize::clean;

/// The fixed clock of every snapshot: 2026-11-25 12:04 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 4, 0)
        .single()
        .unwrap_or_default()
}

const NAMES: &[&str] = &[
    "Adele Vance",
    "Alex Wilber",
    "Diego Siciliani",
    "Zoë Ødegård",
    "山田 太郎",
    "محمد الأحمد",
    "\u{1b}[31mRed Alert\u{1b}[0m Operator",
    "👩‍💻 Priya Raghunathan-Srinivasan of the Extremely Long Display Name Department",
    "\u{202e}reganaM tnuoccA\u{202c} Bidi",
    "Łukasz Żółćkiewicz",
    "Nguyễn Thị Minh Khai",
    "\u{1b}]0;owned\u{7}Window Title",
    "Ólafur Ragnar Grímsson",
    "김민준",
    "Bell\u{7} Back\u{8}space Null\u{0}Byte",
    "Isaiah Langer",
];

const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Finance",
    "Legal",
    "Engineering",
    "研究開発",
    "Marketing",
];
const JOBS: &[&str] = &[
    "Analyst",
    "Manager",
    "Attorney",
    "Developer",
    "Designer",
    "Intern",
];

fn slug(name: &str, i: usize) -> String {
    let s: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect::<String>()
        .trim()
        .to_ascii_lowercase()
        .replace(' ', ".");
    if s.is_empty() {
        format!("user{i}")
    } else {
        format!("{s}{i}")
    }
}

/// The `i`-th fixture user, deleted `i`-dependent hours before `now`.
pub fn user(i: usize, now: DateTime<Utc>) -> DeletedUser {
    let name = NAMES[i % NAMES.len()];
    let id = format!("{:08x}-0000-4000-8000-{:012x}", i as u32, i);
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    let local = slug(name, i);
    let guest = i % 11 == 3;
    let upn = if guest {
        format!("{local}_fabrikam.com#EXT#@contoso.sandbox")
    } else {
        format!("{local}@contoso.sandbox")
    };
    // Spread over the 30 days, the first few close to the purge.
    let hours = (720 - (i * 37 % 700) as i64 - 2).max(1);
    DeletedUser {
        id,
        display_name: clean(name),
        deleted_upn: format!("{hex}{upn}"),
        original_upn: upn.clone(),
        mail: (!guest).then(|| upn.clone()),
        proxy_addresses: if guest {
            Vec::new()
        } else {
            vec![format!("SMTP:{upn}")]
        },
        department: (i % 7 != 5).then(|| DEPARTMENTS[i % DEPARTMENTS.len()].to_string()),
        job_title: (i % 5 != 4).then(|| JOBS[i % JOBS.len()].to_string()),
        deleted_at: Some(now - Duration::hours(hours)),
        on_premises_sync_enabled: i % 9 == 2,
        user_type: Some(if guest { "Guest" } else { "Member" }.to_string()),
        account_disabled: false,
        stored: None,
    }
}

pub fn users(n: usize, now: DateTime<Utc>) -> Vec<DeletedUser> {
    (0..n).map(|i| user(i, now)).collect()
}

/// The fixed time zone of every snapshot: UTC+01:00, not UTC, so the details pane's local time
/// and UTC differ, and "today" is checked in local time.
pub fn local_offset() -> FixedOffset {
    FixedOffset::east_opt(3600).unwrap_or(Utc.fix())
}

pub fn settings() -> Settings {
    Settings {
        no_color: true,
        theme: crate::config::Theme::Dark,
        local_offset: local_offset(),
    }
}

/// The sandbox session every fixture works in, signed in as its admin.
pub fn facts() -> Facts {
    Facts {
        label: "SANDBOX contoso.sandbox".into(),
        name: None,
        is_sandbox: true,
        account: "admin@contoso.sandbox".into(),
        read_only: false,
        mail_sender: None,
        directory: "the built-in sandbox".into(),
        finish_command: "undelete --data-dir /tmp/undelete-test finish".into(),
        lacks: Vec::new(),
        email_to: None,
        include_password: true,
    }
}

/// A screen over one fresh session (nothing loaded), at `now`.
pub fn blank(now: DateTime<Utc>, size: (u16, u16)) -> State {
    State::new(settings(), facts(), now, size)
}

/// `msg` as news of the session on screen, as the runner tags it.
pub fn news(state: &State, msg: SessionMsg) -> Msg {
    Msg::Session {
        id: state.session().id(),
        msg,
    }
}

/// A state with `n` users loaded (in pages of 999, as Graph sends them), at the fixed clock.
pub fn state(n: usize, size: (u16, u16)) -> State {
    let now = now();
    let mut state = blank(now, size);
    let mut start = 0;
    while start < n {
        let end = (start + 999).min(n);
        let page = news(
            &state,
            SessionMsg::Page {
                generation: 0,
                result: Ok(DeletedPage {
                    users: (start..end).map(|i| user(i, now)).collect(),
                    total: Some(n as u64),
                }),
            },
        );
        super::update::update(&mut state, page);
        start = end;
    }
    let finished = news(&state, SessionMsg::LoadFinished { generation: 0 });
    super::update::update(&mut state, finished);
    // The load asked for the conflict sweep; no directory answers here, so the screens are
    // drawn as after a sweep that found nothing (`sweeping` shows the one still at work).
    let session = state.session_mut();
    session.sweep = Default::default();
    session.sweep.phase = super::sweep::Phase::Done;
    state
}

/// `state`, with the conflict sweep still reading (the header says so).
pub fn sweeping(n: usize, size: (u16, u16)) -> State {
    let mut s = state(n, size);
    s.session_mut().sweep.phase = super::sweep::Phase::Reading;
    s
}

/// Delivers `msg` as news of the session on screen, as the runner would.
pub fn send(state: &mut State, msg: SessionMsg) -> Vec<super::effect::Effect> {
    let msg = news(state, msg);
    super::update::update(state, msg)
}

/// Three tenants: the fixture's with `n` users (shown), Fabrikam with `m` (its load still
/// under way), and Northwind, whose sign-in was refused.
pub fn tenants(n: usize, m: usize, size: (u16, u16)) -> (State, SessionId) {
    let mut s = state(n, size);
    s.session_mut().facts.name = Some("Contoso".into());
    let mut facts = facts();
    facts.label = "SANDBOX fabrikam.sandbox".into();
    facts.name = Some("Fabrikam".into());
    facts.account = "admin@fabrikam.sandbox".into();
    let other = s.sessions.add(facts);
    let page = Msg::Session {
        id: other,
        msg: SessionMsg::Page {
            generation: 0,
            result: Ok(DeletedPage {
                users: users(m, s.now)
                    .into_iter()
                    .map(|mut u| {
                        u.id = format!("fab-{}", u.id);
                        u.original_upn = u.original_upn.replace("contoso", "fabrikam");
                        u
                    })
                    .collect(),
                total: Some(m as u64),
            }),
        },
    };
    super::update::update(&mut s, page);
    s.sessions.unopened.push(Unopened {
        label: "Northwind".into(),
        why: "the partner has no GDAP relationship with northwind.sandbox (AADSTS50020)".into(),
    });
    (s, other)
}

/// `tenants` tenants of `n` users each, every load done, in the table across tenants: the
/// first is the fixture's own, the others "Tenant 2".. with ids and user names of their own.
pub fn many_tenants(tenants: usize, n: usize, size: (u16, u16)) -> State {
    let mut s = state(n, size);
    s.session_mut().facts.name = Some("Tenant 1".into());
    for t in 2..=tenants {
        let mut facts = facts();
        facts.label = format!("SANDBOX tenant{t}.sandbox");
        facts.name = Some(format!("Tenant {t}"));
        let id = s.sessions.add(facts);
        let mut start = 0;
        while start < n {
            let end = (start + 999).min(n);
            let users = (start..end)
                .map(|i| {
                    let mut u = user(i, s.now);
                    u.id = format!("t{t}-{}", u.id);
                    u.original_upn = u.original_upn.replace("contoso", &format!("tenant{t}"));
                    u
                })
                .collect();
            let page = Msg::Session {
                id,
                msg: SessionMsg::Page {
                    generation: 0,
                    result: Ok(DeletedPage {
                        users,
                        total: Some(n as u64),
                    }),
                },
            };
            super::update::update(&mut s, page);
            start = end;
        }
        let done = Msg::Session {
            id,
            msg: SessionMsg::LoadFinished { generation: 0 },
        };
        super::update::update(&mut s, done);
        if let Some(t) = s.sessions.get_mut(id) {
            t.sweep = Default::default();
            t.sweep.phase = super::sweep::Phase::Done;
        }
    }
    s.all = Some(Default::default());
    super::all_tenants::settle(&mut s);
    s
}
