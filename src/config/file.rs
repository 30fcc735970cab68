//! The settings file (`config.toml`): where it is, what it may hold, and its errors.
//!
//! It is the third layer of a run's settings: flags win, then `UNDELETE_*` variables, then
//! this file, then the defaults. The binary reads flags and variables (clap), this module the
//! file, and `Settings::with_layers` puts what they say together. A key the file does not know
//! is an error, not a silent no-op: a typo (`tennant`) would otherwise send a run to the
//! sandbox or to the wrong cloud without a word.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use undelete_common::cloud::Cloud;

/// Names another settings file (or `--config PATH`); a named file must exist.
pub const CONFIG_ENV: &str = "UNDELETE_CONFIG";

/// The themes a `theme` key may name (drawn by `ui::theme`).
pub const THEMES: [&str; 3] = ["dark", "light", "high-contrast"];

/// What the settings file may say; also the shape of what the command line and the
/// environment said about the same settings, so the layers can be laid over each other.
/// Every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileSettings {
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    pub certificate: Option<PathBuf>,
    pub cloud: Option<Cloud>,
    #[serde(default, deserialize_with = "graph_url")]
    pub graph_url: Option<String>,
    #[serde(default, deserialize_with = "login_url")]
    pub login_url: Option<String>,
    pub mail_from: Option<String>,
    /// Default recipients of the sign-in info.
    #[serde(default, deserialize_with = "recipients")]
    pub email_to: Option<String>,
    /// Whether the sign-in info includes the password, unless a run says otherwise.
    pub include_password: Option<bool>,
    #[serde(default, deserialize_with = "theme")]
    pub theme: Option<String>,
    /// Whether the conflict sweep is kept between runs (`false`: `--no-cache` every time).
    pub cache: Option<bool>,
    /// The partner's home tenant, where a delegated sign-in for many tenants signs in once
    /// (GDAP); default: the first tenant.
    pub partner_tenant: Option<String>,
    /// `[[tenants]]`: the tenants `--tenant NAME` and `--all-tenants` pick from, each with
    /// its own per-run settings.
    #[serde(default)]
    pub tenants: Vec<TenantEntry>,
}

/// One `[[tenants]]` entry: a tenant and the per-run settings that are its own (they win over
/// the file's top level; flags and variables win over them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TenantEntry {
    /// Shown in the table and the tenants pane; default: the tenant's domain.
    pub name: Option<String>,
    pub tenant: String,
    pub client_id: Option<String>,
    pub certificate: Option<PathBuf>,
    pub cloud: Option<Cloud>,
    #[serde(default, deserialize_with = "graph_url")]
    pub graph_url: Option<String>,
    #[serde(default, deserialize_with = "login_url")]
    pub login_url: Option<String>,
    pub mail_from: Option<String>,
    #[serde(default, deserialize_with = "recipients")]
    pub email_to: Option<String>,
    pub include_password: Option<bool>,
}

impl TenantEntry {
    /// Whether `asked` (from `--tenant`) names this entry: its name or its tenant, in any case.
    pub fn is_named(&self, asked: &str) -> bool {
        self.tenant.eq_ignore_ascii_case(asked)
            || self
                .name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(asked))
    }

    /// The entry's settings as a layer, to lay over the file's top level.
    pub fn layer(&self) -> FileSettings {
        FileSettings {
            tenant: Some(self.tenant.clone()),
            client_id: self.client_id.clone(),
            certificate: self.certificate.clone(),
            cloud: self.cloud,
            graph_url: self.graph_url.clone(),
            login_url: self.login_url.clone(),
            mail_from: self.mail_from.clone(),
            email_to: self.email_to.clone(),
            include_password: self.include_password,
            ..FileSettings::default()
        }
    }
}

impl FileSettings {
    /// This layer over `lower`: each setting from here when it says something, else from
    /// `lower`.
    pub fn over(self, lower: FileSettings) -> FileSettings {
        FileSettings {
            tenant: self.tenant.or(lower.tenant),
            client_id: self.client_id.or(lower.client_id),
            certificate: self.certificate.or(lower.certificate),
            cloud: self.cloud.or(lower.cloud),
            graph_url: self.graph_url.or(lower.graph_url),
            login_url: self.login_url.or(lower.login_url),
            mail_from: self.mail_from.or(lower.mail_from),
            email_to: self.email_to.or(lower.email_to),
            include_password: self.include_password.or(lower.include_password),
            theme: self.theme.or(lower.theme),
            cache: self.cache.or(lower.cache),
            partner_tenant: self.partner_tenant.or(lower.partner_tenant),
            tenants: if self.tenants.is_empty() {
                lower.tenants
            } else {
                self.tenants
            },
        }
    }
}

/// A text value under `key`, held to `value_problem`'s rule for it.
fn checked<'de, D: Deserializer<'de>>(key: &str, d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    match value_problem(key, &s) {
        Some(problem) => Err(serde::de::Error::custom(problem)),
        None => Ok(Some(s)),
    }
}

fn graph_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked("graph-url", d)
}

fn login_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked("login-url", d)
}

fn recipients<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked("email-to", d)
}

fn theme<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked("theme", d)
}

/// Where the settings file is, and whether the admin named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigPath {
    /// `--config PATH` or `UNDELETE_CONFIG`: it must exist.
    Named(PathBuf),
    /// The platform's place (`~/.config/undelete/config.toml` on Linux): it may be absent.
    Default(PathBuf),
}

impl ConfigPath {
    /// The named file, or the platform's config dir for undelete.
    pub fn locate(named: Option<PathBuf>) -> Result<Self, String> {
        if let Some(path) = named {
            return Ok(Self::Named(path));
        }
        directories::ProjectDirs::from("", "", "undelete")
            .map(|d| Self::Default(d.config_dir().join("config.toml")))
            .ok_or_else(|| "no home directory to keep a settings file in: pass --config".into())
    }

    pub fn path(&self) -> &Path {
        match self {
            Self::Named(p) | Self::Default(p) => p,
        }
    }

    /// The file's settings: none when the default file does not exist.
    pub fn load(&self) -> Result<FileSettings, String> {
        let path = self.path();
        match undelete_common::files::read_text(path, undelete_common::files::SETTINGS) {
            Ok(text) => parse(&text, path),
            Err(e) if e.is_not_found() => match self {
                Self::Default(_) => Ok(FileSettings::default()),
                Self::Named(_) => Err(format!(
                    "the settings file {} does not exist (named by --config or {CONFIG_ENV}); \
                     `undelete config init` writes one",
                    path.display()
                )),
            },
            Err(e) => Err(format!(
                "cannot read the settings file {}: {e}",
                path.display()
            )),
        }
    }
}

/// The keys a settings file may hold, as written there.
const KEYS: [&str; 13] = [
    "tenant",
    "client-id",
    "certificate",
    "cloud",
    "graph-url",
    "login-url",
    "mail-from",
    "email-to",
    "include-password",
    "theme",
    "cache",
    "partner-tenant",
    "tenants",
];

/// The keys a `[[tenants]]` entry may hold: the per-run settings that can differ by tenant.
const TENANT_KEYS: [&str; 10] = [
    "name",
    "tenant",
    "client-id",
    "certificate",
    "cloud",
    "graph-url",
    "login-url",
    "mail-from",
    "email-to",
    "include-password",
];

/// Keys whose value is `true` or `false`; the others take text (and `tenants`, a list).
const SWITCHES: [&str; 2] = ["include-password", "cache"];

/// Reads a settings file's text; errors name the file, the line and the column. Every key is
/// checked before anything is read, so two mistakes are said at once, in our words rather
/// than serde's ("unknown variant", "invalid type").
pub fn parse(text: &str, path: &Path) -> Result<FileSettings, String> {
    let problems = check_keys(text);
    if !problems.is_empty() {
        let lines: Vec<String> = problems
            .into_iter()
            .map(|(at, message)| {
                let (line, column) = line_column(text, at);
                format!(
                    "{message} (in the settings file {}, line {line}, column {column})",
                    path.display()
                )
            })
            .collect();
        // One problem per line, each marked as undelete's as the first is by the caller.
        return Err(lines.join("\nundelete: "));
    }
    toml::from_str(text).map_err(|e| {
        // serde names an unknown key as a "field"; an admin edits keys.
        let message = e.message().trim().replace("unknown field", "unknown key");
        match e.span() {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                format!(
                    "{message} (in the settings file {}, line {line}, column {column})",
                    path.display()
                )
            }
            None => format!("{message} (in the settings file {})", path.display()),
        }
    })
}

/// Every key's problem, with the byte offset it is at: unknown keys, values of the wrong
/// kind, and values the flags' rules refuse. Empty when the text does not parse as TOML (the
/// parser's own error says where) or when all is well.
fn check_keys(text: &str) -> Vec<(usize, String)> {
    use toml::de::{DeTable, DeValue};
    let Ok(table) = DeTable::parse(text) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    check_table(table.get_ref(), &KEYS, false, &mut problems);
    if let Some((_, value)) = table
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref() == "tenants")
    {
        match value.get_ref() {
            DeValue::Array(entries) => {
                for entry in entries {
                    match entry.get_ref() {
                        DeValue::Table(t) => {
                            check_table(t, &TENANT_KEYS, true, &mut problems);
                            if !t.iter().any(|(k, _)| k.get_ref() == "tenant") {
                                problems.push((
                                    entry.span().start,
                                    "a [[tenants]] entry has no `tenant` (its id or domain)".into(),
                                ));
                            }
                        }
                        other => problems.push((
                            entry.span().start,
                            format!(
                                "`tenants` holds [[tenants]] entries, not {}",
                                kind_words(other)
                            ),
                        )),
                    }
                }
            }
            other => problems.push((
                value.span().start,
                format!(
                    "`tenants` is a list of [[tenants]] entries, not {}",
                    kind_words(other)
                ),
            )),
        }
    }
    problems.sort_by_key(|(at, _)| *at);
    problems
}

/// The problems of one table's keys against the keys it may hold: the file's top level, or a
/// `[[tenants]]` entry (`entry`); `tenants` itself is checked by the caller.
fn check_table(
    table: &toml::de::DeTable,
    keys: &[&str],
    entry: bool,
    problems: &mut Vec<(usize, String)>,
) {
    use toml::de::DeValue;
    let (within, whose) = if entry {
        (" in a [[tenants]] entry", "a [[tenants]] entry's ")
    } else {
        ("", "")
    };
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        let at = value.span().start;
        if !keys.contains(&name) {
            let near = keys.iter().find(|k| close(k, name));
            let hint = near.map_or(String::new(), |k| format!("; did you mean `{k}`?"));
            problems.push((
                key.span().start,
                format!(
                    "unknown key `{name}`{within}{hint} (the keys are {})",
                    keys.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            continue;
        }
        if name == "tenants" {
            continue;
        }
        let switch = SWITCHES.contains(&name);
        let problem = match (value.get_ref(), switch) {
            (DeValue::Boolean(_), true) => None,
            (DeValue::String(s), false) => value_problem(name, s),
            (other, true) => Some(format!(
                "{whose}`{name}` is true or false, not {}",
                kind_words(other)
            )),
            (other, false) => Some(format!(
                "{whose}`{name}` is text in quotes, not {}",
                kind_words(other)
            )),
        };
        problems.extend(problem.map(|p| (at, p)));
    }
}

/// What a value the file holds is, in words: `"yes"` is "the text \"yes\"".
fn kind_words(value: &toml::de::DeValue) -> String {
    use toml::de::DeValue;
    match value {
        DeValue::String(s) => format!("the text {:?}", s.as_ref()),
        DeValue::Integer(i) => format!("the number {}", i.as_str()),
        DeValue::Float(f) => format!("the number {}", f.as_str()),
        DeValue::Boolean(b) => format!("{b}"),
        DeValue::Datetime(_) => "a date".to_string(),
        DeValue::Array(_) => "a list".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

/// The rule for a text value of the file, as `check_keys` and the deserializers above apply
/// it; the flags' own checks (`check_graph_root`, `parse_recipients`) where there are some.
/// `email-to` is held to the dialog's and `--email-to`'s rule: a typo is found now, not when
/// the first restore tries to mail.
fn value_problem(key: &str, s: &str) -> Option<String> {
    match key {
        "cloud" => (!Cloud::ALL.iter().any(|c| c.name() == s)).then(|| {
            format!(
                "unknown cloud {s:?}: use one of {}",
                Cloud::ALL.map(|c| format!("\"{}\"", c.name())).join(", ")
            )
        }),
        "theme" => (!THEMES.contains(&s)).then(|| {
            format!(
                "unknown theme {s:?}: use one of {}",
                THEMES.map(|t| format!("\"{t}\"")).join(", ")
            )
        }),
        "graph-url" => super::check_graph_root(s, key).err(),
        "login-url" => super::check_login_root(s, key).err(),
        "email-to" => crate::address::parse_recipients(s)
            .err()
            .map(|e| format!("email-to: {e}")),
        _ => None,
    }
}

/// Whether `typed` is one slip from `key`: a letter missing, added, changed, or two swapped.
fn close(key: &str, typed: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (key.chars().collect(), typed.chars().collect());
    if a == b || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    // After what they share, the rest differs by its first letter (or first two swapped).
    let first = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[first..], &b[first..]);
    match ra.len().cmp(&rb.len()) {
        std::cmp::Ordering::Less => ra == &rb[1..],
        std::cmp::Ordering::Greater => &ra[1..] == rb,
        std::cmp::Ordering::Equal => {
            ra[1..] == rb[1..]
                || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// `undelete config init`: writes the commented template to `path`, creating its directory;
/// an existing file is kept unless `force`. True when it wrote the file, false when it kept
/// one (keeping the admin's file is the normal outcome, not a failure).
pub fn init(path: &Path, force: bool) -> Result<bool, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(format!("cannot write {}: {e}", path.display())),
    };
    file.write_all(TEMPLATE.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(true)
}

/// `undelete config show`: the settings a file may hold, as a run resolved them (flags over
/// the environment over the file at `path` over the defaults), in the file's own syntax.
pub fn show(settings: &super::Settings, path: &ConfigPath) -> String {
    // JSON's string escapes are valid in TOML basic strings, so any value prints safely.
    fn text(v: &str) -> String {
        serde_json::Value::from(v).to_string()
    }
    let state = if path.path().exists() {
        "read"
    } else {
        "not found: defaults and flags only"
    };
    // The data dir is not a key of the file (a flag or UNDELETE_DATA_DIR only), but where a
    // run keeps its journal and log is what a reader of this most often looks for.
    let data_dir = match super::data_dir(settings) {
        Ok(d) => d.display().to_string(),
        Err(e) => format!("none ({e})"),
    };
    let mut out = format!(
        "# settings file: {} ({state})\n# data dir: {data_dir} (--data-dir or UNDELETE_DATA_DIR)\n\
         # flags > UNDELETE_* variables > settings file > defaults\n",
        path.path().display()
    );
    let mut line = |key: &str, value: Option<String>, unset: &str| match value {
        Some(v) => out.push_str(&format!("{key} = {v}\n")),
        None => out.push_str(&format!("# {key}: not set ({unset})\n")),
    };
    line(
        "tenant",
        settings.tenant.as_deref().map(text),
        "the built-in sandbox",
    );
    line(
        "client-id",
        settings.client_id.as_deref().map(text),
        "Microsoft Graph Command Line Tools",
    );
    line(
        "certificate",
        settings
            .certificate
            .as_ref()
            .map(|p| text(&p.to_string_lossy())),
        "no app-only certificate",
    );
    line("cloud", Some(text(settings.cloud.name())), "");
    line(
        "graph-url",
        settings.graph_url.as_deref().map(text),
        "the cloud's Graph host",
    );
    line(
        "login-url",
        settings.login_url.as_deref().map(text),
        "the cloud's login host",
    );
    line(
        "mail-from",
        settings.mail_from.as_deref().map(text),
        "the signed-in admin",
    );
    line(
        "email-to",
        settings.email_to.as_deref().map(text),
        "the signed-in admin in the dialog; no mail from `restore`",
    );
    line(
        "include-password",
        Some(settings.include_password.to_string()),
        "",
    );
    line("theme", Some(text(settings.theme.name())), "");
    line("cache", Some(settings.cache.to_string()), "");
    line(
        "partner-tenant",
        settings.partner_tenant.as_deref().map(text),
        "the first tenant",
    );
    // Each tenant a run opens, with its own settings where they differ from the first's:
    // the file's entries as a run resolved them (flags over each entry over the top level).
    for t in &settings.more_tenants {
        out.push_str("\n# and, opened beside it:\n[[tenants]]\n");
        let mut own = |key: &str, value: Option<String>, first: Option<String>| {
            if value.is_some() && value != first {
                out.push_str(&format!("{key} = {}\n", value.unwrap_or_default()));
            }
        };
        own("name", t.name.as_deref().map(text), None);
        own("tenant", t.tenant.as_deref().map(text), None);
        let first = settings;
        own(
            "client-id",
            t.client_id.as_deref().map(text),
            first.client_id.as_deref().map(text),
        );
        own(
            "mail-from",
            t.mail_from.as_deref().map(text),
            first.mail_from.as_deref().map(text),
        );
        own(
            "email-to",
            t.email_to.as_deref().map(text),
            first.email_to.as_deref().map(text),
        );
        own(
            "include-password",
            Some(t.include_password.to_string()),
            Some(first.include_password.to_string()),
        );
    }
    out
}

/// What `config init` writes: every key, commented out, with what it does.
pub const TEMPLATE: &str = r#"# undelete's settings. Every key is optional. For one run, a flag or an UNDELETE_* environment
# variable wins over what is written here; `undelete config show` prints what a run would use.
# A key undelete does not know is an error, so a typo cannot go unnoticed.

# Tenant id or domain. Without one, undelete runs on its built-in sandbox.
# tenant = "contoso.onmicrosoft.com"

# Application (client) id to sign in with (default: Microsoft Graph Command Line Tools).
# client-id = "00000000-0000-0000-0000-000000000000"

# PEM file with the private key and certificate for app-only sign-in. A client secret is
# never read from this file: set UNDELETE_CLIENT_SECRET instead.
# certificate = "/home/admin/.config/undelete/app.pem"

# National cloud: "global", "usgov", "usgov-dod" or "china".
# cloud = "global"

# Roots that replace the cloud's hosts (a proxy, a sandbox), without /v1.0 or a tenant.
# graph-url = "https://graph.microsoft.com"
# login-url = "https://login.microsoftonline.com"

# Sender mailbox for app-only mail (a delegated sign-in sends as the signed-in admin).
# mail-from = "helpdesk@contoso.com"

# Who gets the sign-in info of restored users, separated by "," or ";". The restore dialog
# starts with it, and `undelete restore` mails it when --email-to is not given.
# email-to = "helpdesk@contoso.com"

# Whether that email includes the new password (--no-password-in-email and
# --password-in-email decide for one run).
# include-password = true

# Colours: "dark", "light" or "high-contrast" (NO_COLOR still turns colour off).
# theme = "dark"

# Keep the conflict sweep (who holds deleted users' names and addresses) and who deleted
# each user from one run to the next, in the directory's folder of the data dir, so a launch
# shows them at once; false keeps nothing and removes what was kept (as --no-cache).
# cache = true

# The partner's home tenant, where a delegated sign-in for several tenants signs in once
# (GDAP): each customer tenant's token comes from that sign-in. Default: the first tenant.
# partner-tenant = "contoso.onmicrosoft.com"

# Tenants that `--tenant NAME` (repeatable) and `--all-tenants` open side by side, each with
# its own settings where it needs them: name (shown in the table), client-id, certificate,
# cloud, graph-url, login-url, mail-from, email-to, include-password. Flags and UNDELETE_*
# variables still win over them, and they win over the keys above. One entry per tenant.
# [[tenants]]
# name = "Fabrikam"
# tenant = "fabrikam.onmicrosoft.com"
# email-to = "helpdesk@fabrikam.com"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<FileSettings, String> {
        parse(text, Path::new("/home/a/.config/undelete/config.toml"))
    }

    #[test]
    fn every_key_of_the_template_is_read_back() {
        // The template with its examples switched on: it cannot offer a key the reader refuses.
        let on: String = TEMPLATE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(kv) if kv.split_once(" = ").is_some_and(|(k, _)| !k.contains(' ')) => kv,
                Some(table @ "[[tenants]]") => table,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let f = read(&on).expect("the template's examples are valid");
        assert_eq!(f.tenant.as_deref(), Some("contoso.onmicrosoft.com"));
        assert_eq!(f.cloud, Some(Cloud::Global));
        assert_eq!(f.email_to.as_deref(), Some("helpdesk@contoso.com"));
        assert_eq!(f.include_password, Some(true));
        assert_eq!(f.cache, Some(true));
        assert_eq!(f.theme.as_deref(), Some("dark"));
        assert_eq!(f.partner_tenant.as_deref(), Some("contoso.onmicrosoft.com"));
        assert_eq!(f.tenants.len(), 1);
        assert!(f.tenants[0].is_named("fabrikam") && f.tenants[0].email_to.is_some());
        assert!(
            f.client_id.is_some()
                && f.certificate.is_some()
                && f.graph_url.is_some()
                && f.login_url.is_some()
                && f.mail_from.is_some()
        );
        // As written, every key is commented out: the file changes nothing until edited.
        assert_eq!(read(TEMPLATE).expect("valid"), FileSettings::default());
    }

    #[test]
    fn an_unknown_key_is_named_with_the_file_and_line() {
        let e = read("tenant = \"contoso.com\"\n\ntennant = \"x\"\n").unwrap_err();
        assert!(e.starts_with("unknown key `tennant`"), "{e}");
        assert!(
            e.contains("/home/a/.config/undelete/config.toml, line 3, column 1"),
            "{e}"
        );
        assert!(e.contains("`tenant`"), "offers the keys there are: {e}");
    }

    #[test]
    fn the_keys_checked_are_the_keys_read() {
        // serde lists the fields it knows when it meets one it does not.
        let e = toml::from_str::<FileSettings>("nothing = 1").unwrap_err();
        let listed = KEYS.map(|k| format!("`{k}`")).join(", ");
        assert!(e.message().contains(&listed), "{e}");
        for key in SWITCHES {
            assert!(KEYS.contains(&key), "{key}");
        }
    }

    #[test]
    fn every_bad_key_is_said_at_once_in_plain_words() {
        let e = read("cloud = \"mars\"\ninclude-password = \"yes\"\ntenant = 3\n").unwrap_err();
        let lines: Vec<&str> = e.split("\nundelete: ").collect();
        assert_eq!(lines.len(), 3, "{e}");
        assert!(
            lines[0].starts_with("unknown cloud \"mars\": use one of \"global\", \"usgov\"")
                && lines[0].ends_with("line 1, column 9)"),
            "{e}"
        );
        assert!(
            lines[1].starts_with("`include-password` is true or false, not the text \"yes\""),
            "{e}"
        );
        assert!(lines[1].contains("line 2, column 20"), "{e}");
        assert!(
            lines[2].starts_with("`tenant` is text in quotes, not the number 3"),
            "{e}"
        );
        assert!(!e.contains("variant") && !e.contains("invalid type"), "{e}");
        // A slip of one letter is named.
        let e = read("tennant = \"x\"\n").unwrap_err();
        assert!(e.contains("did you mean `tenant`?"), "{e}");
        assert!(close("mail-from", "mailfrom") && !close("tenant", "cloud"));
    }

    #[test]
    fn a_syntax_error_names_the_file_and_line() {
        let e = read("cloud = \"global\"\ntenant = contoso\n").unwrap_err();
        assert!(e.contains("config.toml, line 2, column 10"), "{e}");
    }

    #[test]
    fn values_are_checked_by_the_same_rules_as_the_flags() {
        let e = read("theme = \"solarized\"").unwrap_err();
        assert!(
            e.starts_with(
                "unknown theme \"solarized\": use one of \"dark\", \"light\", \"high-contrast\""
            ),
            "{e}"
        );
        assert!(e.contains("line 1, column 9"), "{e}");
        let e = read("cloud = \"azure\"").unwrap_err();
        assert!(e.starts_with("unknown cloud \"azure\": use one of"), "{e}");
        let e = read("graph-url = \"https://graph.microsoft.com/v1.0\"").unwrap_err();
        assert!(e.starts_with("graph-url must be the root"), "{e}");
        let e = read("login-url = \"https://login.microsoftonline.com/contoso.com\"").unwrap_err();
        assert!(e.starts_with("login-url must be the root"), "{e}");
        let e = read("email-to = \"helpdesk at contoso\"").unwrap_err();
        assert!(e.starts_with("email-to:"), "{e}");
        let e = read("include-password = \"no\"").unwrap_err();
        assert!(e.contains("line 1"), "{e}");
        assert_eq!(
            read("cloud = \"usgov-dod\"\ntheme = \"high-contrast\"")
                .expect("valid")
                .cloud,
            Some(Cloud::UsgovDod)
        );
    }

    #[test]
    fn a_layer_wins_where_it_says_something() {
        let high = FileSettings {
            tenant: Some("flag.example".into()),
            ..FileSettings::default()
        };
        let low = FileSettings {
            tenant: Some("file.example".into()),
            cloud: Some(Cloud::China),
            include_password: Some(false),
            ..FileSettings::default()
        };
        let both = high.over(low);
        assert_eq!(both.tenant.as_deref(), Some("flag.example"));
        assert_eq!(both.cloud, Some(Cloud::China));
        assert_eq!(both.include_password, Some(false));
    }

    #[test]
    fn the_default_file_may_be_missing_a_named_one_may_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("nope.toml");
        assert_eq!(
            ConfigPath::Default(missing.clone()).load(),
            Ok(FileSettings::default())
        );
        let e = ConfigPath::Named(missing).load().unwrap_err();
        assert!(e.contains("nope.toml does not exist"), "{e}");
    }

    #[test]
    fn init_writes_the_template_once_unless_forced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("undelete").join("config.toml");
        assert_eq!(init(&path, false), Ok(true));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), TEMPLATE);
        std::fs::write(&path, "tenant = \"mine.example\"\n").expect("edit");
        assert_eq!(init(&path, false), Ok(false), "kept");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "tenant = \"mine.example\"\n",
            "the admin's file is kept"
        );
        init(&path, true).expect("forced");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), TEMPLATE);
    }

    #[test]
    fn tenants_entries_are_read_with_their_own_settings_and_checked_like_the_top_level() {
        let f = read(
            "tenant = \"contoso.onmicrosoft.com\"\n\
             [[tenants]]\nname = \"Fabrikam\"\ntenant = \"fabrikam.onmicrosoft.com\"\n\
             email-to = \"helpdesk@fabrikam.com\"\ninclude-password = false\n\
             [[tenants]]\ntenant = \"northwind.onmicrosoft.com\"\n",
        )
        .expect("valid");
        assert_eq!(f.tenants.len(), 2);
        let fab = &f.tenants[0];
        assert!(fab.is_named("FABRIKAM") && fab.is_named("fabrikam.onmicrosoft.com"));
        assert!(!fab.is_named("northwind.onmicrosoft.com"));
        let layer = fab.layer();
        assert_eq!(layer.tenant.as_deref(), Some("fabrikam.onmicrosoft.com"));
        assert_eq!(layer.include_password, Some(false));
        assert_eq!(f.tenants[1].name, None);

        // An entry's typo, a wrong kind, a refused value and a missing tenant, all at once,
        // each with its line.
        let e = read(
            "[[tenants]]\nname = \"A\"\ntennant = \"a.example\"\n\
             [[tenants]]\ntenant = \"b.example\"\ninclude-password = \"no\"\n\
             email-to = \"not an address\"\ntheme = \"dark\"\n",
        )
        .unwrap_err();
        let lines: Vec<&str> = e.split("\nundelete: ").collect();
        assert_eq!(lines.len(), 5, "{e}");
        assert!(
            lines.iter().any(|l| l.starts_with(
                "unknown key `tennant` in a [[tenants]] entry; did you mean `tenant`?"
            ) && l.contains("line 3")),
            "{e}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("a [[tenants]] entry has no `tenant`")
                    && l.contains("line 1")),
            "{e}"
        );
        assert!(lines.iter().any(|l| l.starts_with("a [[tenants]] entry's `include-password` is true or false")), "{e}");
        assert!(lines.iter().any(|l| l.starts_with("email-to:")), "{e}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("unknown key `theme` in a [[tenants]] entry")),
            "{e}"
        );

        let e = read("tenants = \"contoso\"\n").unwrap_err();
        assert!(
            e.starts_with("`tenants` is a list of [[tenants]] entries, not the text"),
            "{e}"
        );
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_column("ab\ncdé f", 8), (2, 5));
        assert_eq!(line_column("x", 0), (1, 1));
    }
}
