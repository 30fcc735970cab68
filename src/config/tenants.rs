//! Which tenants a run opens: `--tenant` (repeatable, by a `[[tenants]]` entry's name or any
//! tenant id or domain), `--all-tenants` (every entry of the settings file), or the one the
//! settings file's `tenant` names. Each tenant gets settings of its own: the flags and
//! variables over its entry over the file's top level, so a run across tenants is, tenant by
//! tenant, what a run on that tenant alone would be.

use super::Settings;
use super::file::{FileSettings, TenantEntry};

/// Tenants signed in and read at once at most: enough to hide each one's round trips, few
/// enough that fifty tenants do not open fifty connections' worth of work on a laptop.
pub const OPEN_AT_ONCE: usize = 8;

/// What the command line asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    /// `--tenant`, as many times as given, in order.
    pub tenants: Vec<String>,
    /// `--all-tenants`.
    pub all: bool,
    /// `--sandbox`: the built-in sandbox, whatever the file names.
    pub sandbox: bool,
}

/// One tenant to open: its id or domain, and its entry when the file has one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pick<'a> {
    tenant: String,
    entry: Option<&'a TenantEntry>,
}

/// The tenants to open, in the order asked (the file's order for `--all-tenants`), each once.
/// Empty when the run opens no named tenant (the sandbox, or a `--graph-url` alone): the
/// settings then stay as they are.
fn pick<'a>(asked: &Asked, file: &'a FileSettings) -> Result<Vec<Pick<'a>>, String> {
    let entry_for = |t: &str| file.tenants.iter().find(|e| e.is_named(t));
    let picks: Vec<Pick> = if asked.all {
        if !asked.tenants.is_empty() {
            return Err(
                "--all-tenants opens every tenant of the settings file and --tenant \
                        picks some: give one or the other"
                    .into(),
            );
        }
        if file.tenants.is_empty() {
            return Err(
                "--all-tenants: the settings file has no [[tenants]] entries \
                        (`undelete config init` writes an example)"
                    .into(),
            );
        }
        file.tenants
            .iter()
            .map(|e| Pick {
                tenant: e.tenant.clone(),
                entry: Some(e),
            })
            .collect()
    } else if asked.sandbox {
        Vec::new()
    } else if !asked.tenants.is_empty() {
        asked
            .tenants
            .iter()
            .map(|t| {
                let entry = entry_for(t);
                Pick {
                    tenant: entry.map_or_else(|| t.clone(), |e| e.tenant.clone()),
                    entry,
                }
            })
            .collect()
    } else if let Some(t) = &file.tenant {
        // The file's own `tenant`: as before there were entries, unless an entry is that
        // tenant, whose settings then apply.
        match entry_for(t) {
            Some(e) => vec![Pick {
                tenant: e.tenant.clone(),
                entry: Some(e),
            }],
            None => Vec::new(),
        }
    } else {
        match file.tenants.as_slice() {
            [] => Vec::new(),
            [only] => vec![Pick {
                tenant: only.tenant.clone(),
                entry: Some(only),
            }],
            many => {
                let names: Vec<String> = many.iter().map(display_name).collect();
                return Err(format!(
                    "the settings file names {} tenants ({}) and no `tenant`: open some with \
                     --tenant NAME (repeatable) or all with --all-tenants",
                    many.len(),
                    names.join(", ")
                ));
            }
        }
    };
    let mut once: Vec<Pick> = Vec::new();
    for p in picks {
        if !once
            .iter()
            .any(|o| o.tenant.eq_ignore_ascii_case(&p.tenant))
        {
            once.push(p);
        }
    }
    Ok(once)
}

/// An entry as the table names it: its name, else its tenant.
fn display_name(e: &TenantEntry) -> String {
    e.name.clone().unwrap_or_else(|| e.tenant.clone())
}

/// The settings of the partner's home tenant (`partner_tenant`, see `resolve`), where a
/// delegated sign-in for several tenants is made: that tenant's own when the run opens it,
/// else the first tenant's pointed at the home. `None` when the run names no home.
pub fn home(settings: &Settings) -> Option<Settings> {
    let home = settings
        .partner_tenant
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())?;
    let tenants = settings.tenants();
    if let Some(own) = tenants.iter().find(|t| {
        t.tenant
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(home))
    }) {
        return Some(Settings {
            more_tenants: Vec::new(),
            ..(*own).clone()
        });
    }
    Some(Settings {
        tenant: Some(home.to_string()),
        name: None,
        more_tenants: Vec::new(),
        ..settings.clone()
    })
}

/// How many tenants the built-in sandbox serves when a run asks for several of its tenants.
pub const SANDBOX_TENANTS: usize = 3;

/// The built-in sandbox's tenants this run opens, when it opens several (or one by name):
/// `--all-tenants` on the sandbox (`--sandbox`, or no tenant and no `[[tenants]]` anywhere),
/// or `--sandbox --tenant D` naming domains it serves. `None`: not a run on its tenants.
fn sandbox_picks(
    asked: &Asked,
    file: &FileSettings,
    plain: &Settings,
) -> Option<Result<Vec<String>, String>> {
    if !(asked.sandbox || (file.tenants.is_empty() && plain.uses_sandbox())) {
        return None;
    }
    let served = undelete_sandbox::seeded_domains(SANDBOX_TENANTS);
    if asked.all {
        if !asked.tenants.is_empty() {
            return Some(Err(
                "--all-tenants opens every tenant of the built-in sandbox and --tenant picks \
                 some: give one or the other"
                    .into(),
            ));
        }
        return Some(Ok(served));
    }
    if !asked.sandbox || asked.tenants.is_empty() {
        return None;
    }
    let mut picked: Vec<String> = Vec::new();
    for t in &asked.tenants {
        let d = served.iter().find(|d| d.eq_ignore_ascii_case(t))?;
        if !picked.contains(d) {
            picked.push(d.clone());
        }
    }
    Some(Ok(picked))
}

/// The run's settings: `base` (what only flags set) with the layers laid on, for the first
/// tenant opened, and each further tenant's own settings in `more_tenants`. `flags` is what
/// the flags and variables said, `file` the settings file.
pub fn resolve(
    base: Settings,
    flags: FileSettings,
    file: FileSettings,
    asked: &Asked,
) -> Result<Settings, String> {
    let plain = base.clone().with_layers(flags.clone().over(file.clone()));
    if let Some(domains) = sandbox_picks(asked, &file, &plain) {
        let one = |d: &String| Settings {
            sandbox: true,
            sandbox_tenant: Some(d.clone()),
            ..plain.clone()
        };
        let domains = domains?;
        let mut tenants = domains.iter().map(one);
        let Some(mut first) = tenants.next() else {
            return Ok(plain);
        };
        first.more_tenants = tenants.collect();
        return Ok(first);
    }
    let picks = pick(asked, &file)?;
    // The partner's home (GDAP): as set, else the file's first tenant, else the first asked
    // when several are: where one delegated sign-in for several tenants is made.
    let partner = flags
        .partner_tenant
        .clone()
        .or_else(|| file.partner_tenant.clone())
        .or_else(|| file.tenants.first().map(|e| e.tenant.clone()))
        .or_else(|| (picks.len() > 1).then(|| picks[0].tenant.clone()));
    let one = |p: &Pick| {
        let mut layer = FileSettings {
            tenant: Some(p.tenant.clone()),
            ..flags.clone()
        };
        if let Some(e) = p.entry {
            layer = layer.over(e.layer());
        }
        let mut s = base.clone().with_layers(layer.over(file.clone()));
        s.name = p.entry.and_then(|e| e.name.clone());
        s.entry = p.entry.map(|e| super::EntryPick {
            by: e.name.clone().unwrap_or_else(|| e.tenant.clone()),
            flags: flags.clone(),
        });
        s.partner_tenant = partner.clone();
        s
    };
    let Some((first, rest)) = picks.split_first() else {
        return Ok(base.with_layers(flags.over(file)));
    };
    let mut settings = one(first);
    settings.more_tenants = rest.iter().map(one).collect();
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn file(text: &str) -> FileSettings {
        super::super::file::parse(text, Path::new("config.toml")).expect("valid")
    }

    const THREE: &str = "email-to = \"all@msp.example\"\nmail-from = \"noreply@msp.example\"\n\
        [[tenants]]\nname = \"Contoso\"\ntenant = \"contoso.onmicrosoft.com\"\n\
        [[tenants]]\nname = \"Fabrikam\"\ntenant = \"fabrikam.onmicrosoft.com\"\n\
        email-to = \"helpdesk@fabrikam.com\"\n\
        [[tenants]]\ntenant = \"northwind.onmicrosoft.com\"\ninclude-password = false\n";

    fn asked(tenants: &[&str], all: bool) -> Asked {
        Asked {
            tenants: tenants.iter().map(|t| t.to_string()).collect(),
            all,
            sandbox: false,
        }
    }

    fn tenants_of(s: &Settings) -> Vec<(Option<String>, String)> {
        std::iter::once(s)
            .chain(&s.more_tenants)
            .map(|t| (t.name.clone(), t.tenant.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn all_tenants_opens_every_entry_each_with_its_own_settings_over_the_top_level() {
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            file(THREE),
            &asked(&[], true),
        )
        .expect("resolves");
        assert_eq!(
            tenants_of(&s),
            vec![
                (Some("Contoso".into()), "contoso.onmicrosoft.com".into()),
                (Some("Fabrikam".into()), "fabrikam.onmicrosoft.com".into()),
                (None, "northwind.onmicrosoft.com".into()),
            ]
        );
        assert_eq!(s.email_to.as_deref(), Some("all@msp.example"));
        assert_eq!(
            s.more_tenants[0].email_to.as_deref(),
            Some("helpdesk@fabrikam.com")
        );
        assert_eq!(
            s.more_tenants[0].mail_from.as_deref(),
            Some("noreply@msp.example")
        );
        assert!(s.include_password && !s.more_tenants[1].include_password);
        assert!(s.more_tenants.iter().all(|t| t.more_tenants.is_empty()));
        // A hint names each tenant as the admin would: its entry gives the sender and the rest.
        assert_eq!(
            s.more_tenants[0].command_line("finish"),
            "undelete --tenant Fabrikam finish"
        );
        assert_eq!(
            s.more_tenants[1].command_line("finish"),
            "undelete --tenant northwind.onmicrosoft.com finish"
        );
    }

    #[test]
    fn tenant_flags_pick_by_name_or_domain_in_order_once_and_flags_win_over_entries() {
        let flags = FileSettings {
            email_to: Some("me@msp.example".into()),
            ..FileSettings::default()
        };
        let s = resolve(
            Settings::default(),
            flags,
            file(THREE),
            &asked(
                &[
                    "fabrikam",
                    "other.onmicrosoft.com",
                    "FABRIKAM.onmicrosoft.com",
                ],
                false,
            ),
        )
        .expect("resolves");
        assert_eq!(
            tenants_of(&s),
            vec![
                (Some("Fabrikam".into()), "fabrikam.onmicrosoft.com".into()),
                (None, "other.onmicrosoft.com".into()),
            ]
        );
        assert_eq!(s.email_to.as_deref(), Some("me@msp.example"), "a flag wins");
    }

    #[test]
    fn one_tenant_is_as_before_and_many_without_a_choice_is_an_error_naming_them() {
        // No entries: the file's tenant, exactly as before.
        let plain = file("tenant = \"contoso.onmicrosoft.com\"\n");
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            plain.clone(),
            &Asked::default(),
        )
        .expect("resolves");
        assert_eq!(
            s,
            Settings::default().with_layers(FileSettings::default().over(plain))
        );
        // No tenant at all: the sandbox.
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            FileSettings::default(),
            &Asked::default(),
        )
        .expect("resolves");
        assert!(s.uses_sandbox() && s.more_tenants.is_empty());
        // Several entries and no choice.
        let e = resolve(
            Settings::default(),
            FileSettings::default(),
            file(THREE),
            &Asked::default(),
        )
        .unwrap_err();
        assert!(
            e.starts_with(
                "the settings file names 3 tenants (Contoso, Fabrikam, northwind.onmicrosoft.com)"
            ),
            "{e}"
        );
        // The file's `tenant` naming an entry takes that entry's settings.
        let with_top = file(&format!("tenant = \"fabrikam.onmicrosoft.com\"\n{THREE}"));
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            with_top,
            &Asked::default(),
        )
        .expect("resolves");
        assert_eq!(s.name.as_deref(), Some("Fabrikam"));
        assert!(s.more_tenants.is_empty());
        // --sandbox wins over entries; --all-tenants needs some and no --tenant beside it.
        let sandbox = Asked {
            sandbox: true,
            ..Asked::default()
        };
        assert!(
            resolve(
                Settings::default(),
                FileSettings::default(),
                file(THREE),
                &sandbox
            )
            .expect("resolves")
            .more_tenants
            .is_empty()
        );
        let e = resolve(
            Settings::default(),
            FileSettings::default(),
            file("tenant = \"contoso.onmicrosoft.com\"\n"),
            &asked(&[], true),
        )
        .unwrap_err();
        assert!(e.contains("no [[tenants]] entries"), "{e}");
        let e = resolve(
            Settings::default(),
            FileSettings::default(),
            file(THREE),
            &asked(&["contoso"], true),
        )
        .unwrap_err();
        assert!(e.contains("give one or the other"), "{e}");
    }

    #[test]
    fn all_tenants_on_the_sandbox_opens_its_tenants_and_sandbox_tenant_picks_by_domain() {
        let sandbox_of = |s: &Settings| -> Vec<Option<String>> {
            s.tenants()
                .iter()
                .map(|t| t.sandbox_tenant.clone())
                .collect()
        };
        // Nothing configured: the built-in sandbox's three tenants, each on the sandbox.
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            FileSettings::default(),
            &asked(&[], true),
        )
        .expect("resolves");
        assert_eq!(
            sandbox_of(&s),
            [
                Some("contoso.sandbox".to_string()),
                Some("fabrikam.sandbox".to_string()),
                Some("northwind.sandbox".to_string())
            ]
        );
        assert!(s.tenants().iter().all(|t| t.uses_sandbox() && t.sandbox));
        assert_eq!(s.more_tenants[0].tenant_label(), "fabrikam.sandbox");
        assert_eq!(s.more_tenants[0].tenant_key(), "fabrikam.sandbox");
        // --sandbox wins over the file's entries for --all-tenants too.
        let sandbox_all = Asked {
            all: true,
            sandbox: true,
            ..Asked::default()
        };
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            file(THREE),
            &sandbox_all,
        )
        .expect("resolves");
        assert_eq!(s.tenants().len(), 3);
        assert!(s.tenants().iter().all(|t| t.sandbox_tenant.is_some()));
        // --sandbox --tenant D: that tenant of the sandbox, as a hint names it.
        let one = Asked {
            tenants: vec!["FABRIKAM.sandbox".into()],
            sandbox: true,
            ..Asked::default()
        };
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            FileSettings::default(),
            &one,
        )
        .expect("resolves");
        assert_eq!(sandbox_of(&s), [Some("fabrikam.sandbox".to_string())]);
        assert_eq!(
            s.command_line("finish"),
            "undelete --sandbox --tenant fabrikam.sandbox finish"
        );
        // A tenant the sandbox does not serve: the plain built-in sandbox, as before.
        let other = Asked {
            tenants: vec!["contoso.onmicrosoft.com".into()],
            sandbox: true,
            ..Asked::default()
        };
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            FileSettings::default(),
            &other,
        )
        .expect("resolves");
        assert!(s.sandbox_tenant.is_none() && s.more_tenants.is_empty());
    }

    #[test]
    fn the_partner_home_is_as_set_else_the_files_first_tenant_and_home_gives_its_settings() {
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            file(THREE),
            &asked(&["fabrikam", "northwind.onmicrosoft.com"], false),
        )
        .expect("resolves");
        assert!(
            s.tenants()
                .iter()
                .all(|t| t.partner_tenant.as_deref() == Some("contoso.onmicrosoft.com")),
            "the file's first tenant, asked or not"
        );
        let h = home(&s).expect("a home");
        assert_eq!(h.tenant.as_deref(), Some("contoso.onmicrosoft.com"));
        assert!(h.more_tenants.is_empty() && h.name.is_none());
        // A home among the run's tenants is that tenant, with its own settings.
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            file(&format!(
                "partner-tenant = \"fabrikam.onmicrosoft.com\"\n{THREE}"
            )),
            &asked(&[], true),
        )
        .expect("resolves");
        let h = home(&s).expect("a home");
        assert_eq!(h.name.as_deref(), Some("Fabrikam"));
        assert_eq!(h.email_to.as_deref(), Some("helpdesk@fabrikam.com"));
        // Without entries, several tenants on the command line: the first asked.
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            FileSettings::default(),
            &asked(&["a.example", "b.example"], false),
        )
        .expect("resolves");
        assert_eq!(
            s.more_tenants[0].partner_tenant.as_deref(),
            Some("a.example")
        );
        // One tenant alone, no entries: no partner, as before.
        let s = resolve(
            Settings::default(),
            FileSettings::default(),
            FileSettings::default(),
            &asked(&["a.example"], false),
        )
        .expect("resolves");
        assert!(s.partner_tenant.is_none() && home(&s).is_none());
    }
}
