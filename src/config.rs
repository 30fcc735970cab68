//! What a run is set up with: the settings the binary reads from its command line, the
//! environment and the settings file (`file`), the endpoints per cloud, the data dir, and the
//! rule that plain HTTP is for loopback only.

pub mod file;
pub mod tenants;

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

pub use file::FileSettings;
use undelete_common::cloud::{Cloud, cloud_hosts};

/// The TUI's colours (`--theme`, or the settings file's `theme`); `NO_COLOR` still wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Light text on a dark terminal.
    #[default]
    Dark,
    /// Dark text on a light terminal.
    Light,
    /// Black, white and a few saturated colours, bold where it matters.
    HighContrast,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::Dark, Theme::Light, Theme::HighContrast];

    /// The theme a name from the command line or the settings file names.
    pub fn from_name(name: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The name the command line and the settings file use.
    pub fn name(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
            Theme::HighContrast => "high-contrast",
        }
    }
}

/// How long `restore`, `finish` and `purge` wait for another run on the same data dir by
/// default (`--lock-wait`).
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(60);

/// The global options of a run, read once from the command line and the environment by the
/// binary. Plain data, no secrets (the client secret is read by `auth` from its variable), so
/// one value can be shared by every part of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `--sandbox`: the built-in sandbox even if a tenant is configured.
    pub sandbox: bool,
    /// Tenant id or domain; without it (and without `--graph-url`) the sandbox is used.
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    /// PEM file with the private key and certificate for app-only sign-in.
    pub certificate: Option<PathBuf>,
    pub cloud: Cloud,
    /// `--graph-url`: a root that overrides the cloud's Graph host.
    pub graph_url: Option<String>,
    /// `--login-url`: a root that overrides the cloud's login host.
    pub login_url: Option<String>,
    /// `--deadline`: how long a command may take; `None` is each command's default.
    pub deadline: Option<Duration>,
    /// Sender mailbox for app-only mail.
    pub mail_from: Option<String>,
    /// `--data-dir`; `None` is the platform's data dir (see `data_dir`).
    pub data_dir: Option<PathBuf>,
    pub read_only: bool,
    /// `--ca-file`: extra certificate authorities to trust for Graph and login.
    pub ca_file: Option<PathBuf>,
    /// How long a command that changes the directory waits for another run's lock.
    pub lock_wait: Duration,
    pub no_mouse: bool,
    /// Default recipients of the sign-in info (`email-to` in the settings file).
    pub email_to: Option<String>,
    /// Whether the sign-in info includes the password unless a run says otherwise.
    pub include_password: bool,
    /// The TUI's colours.
    pub theme: Theme,
    /// Keep the conflict sweep and the deletion log between runs (`--no-cache`, `cache =
    /// false`: keep nothing, and remove what was kept for the directory).
    pub cache: bool,
    /// The tenant's name from its `[[tenants]]` entry, shown in place of its domain.
    pub name: Option<String>,
    /// The partner's home tenant (GDAP): where a delegated sign-in for many tenants signs in.
    pub partner_tenant: Option<String>,
    /// The other tenants this run opens (`--tenant` more than once, `--all-tenants`), each
    /// with its own settings; empty for a run on one directory.
    pub more_tenants: Vec<Settings>,
    /// One tenant of the built-in sandbox serving several (`--all-tenants` with no
    /// `[[tenants]]`, or `--sandbox --tenant fabrikam.sandbox`): its domain. `None`: the
    /// built-in sandbox as it always was (one tenant), or not the sandbox at all.
    pub sandbox_tenant: Option<String>,
    /// The `[[tenants]]` entry this tenant's settings came from, if any.
    pub entry: Option<EntryPick>,
}

/// A tenant picked from a `[[tenants]]` entry: a hint names it as the admin would and repeats
/// only what the flags laid over the entry (the entry gives the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPick {
    /// What `--tenant` picks it by: the entry's name, else its tenant.
    pub by: String,
    /// What the flags and variables said, over the entry.
    pub flags: file::FileSettings,
}

impl Default for Settings {
    /// What an empty command line gives: the sandbox, global cloud, a minute's lock wait.
    fn default() -> Self {
        Self {
            sandbox: false,
            tenant: None,
            client_id: None,
            certificate: None,
            cloud: Cloud::Global,
            graph_url: None,
            login_url: None,
            deadline: None,
            mail_from: None,
            data_dir: None,
            read_only: false,
            ca_file: None,
            lock_wait: DEFAULT_LOCK_WAIT,
            no_mouse: false,
            email_to: None,
            include_password: true,
            theme: Theme::Dark,
            cache: true,
            name: None,
            partner_tenant: None,
            more_tenants: Vec::new(),
            sandbox_tenant: None,
            entry: None,
        }
    }
}

impl Settings {
    /// True when this run uses the built-in sandbox: asked for, or no tenant configured.
    pub fn uses_sandbox(&self) -> bool {
        self.sandbox || (self.tenant.is_none() && self.graph_url.is_none())
    }

    /// Every tenant this run opens, this one first, each with its own settings.
    pub fn tenants(&self) -> Vec<&Settings> {
        std::iter::once(self).chain(&self.more_tenants).collect()
    }

    /// How the table and the tenants pane name this directory: its entry's name, else the
    /// tenant as configured.
    pub fn tenant_label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.sandbox_tenant.clone())
            .or_else(|| self.tenant.clone())
            .unwrap_or_else(|| "the built-in sandbox".into())
    }

    /// The tenant as configured (its domain or id; a sandbox tenant's domain), as the
    /// `"tenant"` field of the commands' JSON names it: not the display name, which a script
    /// cannot pass back to `--tenant` in every case.
    pub fn tenant_key(&self) -> String {
        self.sandbox_tenant
            .clone()
            .or_else(|| (!self.sandbox).then(|| self.tenant.clone()).flatten())
            .unwrap_or_else(|| "the built-in sandbox".into())
    }

    /// `--data-dir`, or the platform's data dir for undelete.
    pub fn data_dir(&self) -> Result<PathBuf, String> {
        data_dir(self)
    }

    /// These settings with the layered ones (flags over the environment over the settings
    /// file, see `FileSettings::over`) in place; what no layer says keeps its default.
    pub fn with_layers(self, layers: FileSettings) -> Self {
        let defaults = Settings::default();
        Self {
            tenant: layers.tenant,
            client_id: layers.client_id,
            certificate: layers.certificate,
            cloud: layers.cloud.unwrap_or(defaults.cloud),
            graph_url: layers.graph_url,
            login_url: layers.login_url,
            mail_from: layers.mail_from,
            email_to: layers.email_to,
            include_password: layers.include_password.unwrap_or(defaults.include_password),
            theme: layers
                .theme
                .as_deref()
                .and_then(Theme::from_name)
                .unwrap_or_default(),
            cache: layers.cache.unwrap_or(defaults.cache),
            partner_tenant: layers.partner_tenant,
            ..self
        }
    }

    /// `undelete … SUBCOMMAND` as an admin would type it, with the options that pick this
    /// run's directory, sign-in and data dir, so a hint printed after the run reaches the same
    /// journal even when they came from flags the admin will not remember: a tenant of a
    /// `[[tenants]]` entry by its name and only what the flags laid over it (the entry gives
    /// the rest), any other tenant with its options spelled out. Secrets are never in it (the
    /// client secret only ever comes from the environment).
    pub fn command_line(&self, subcommand: &str) -> String {
        let mut words = vec!["undelete".to_string()];
        if self.sandbox {
            words.push("--sandbox".into());
        }
        let mut option = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                words.push(name.to_string());
                words.push(shell_word(&v));
            }
        };
        option("--tenant", self.sandbox_tenant.clone());
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        if !self.sandbox {
            let own;
            let (tenant, cloud, said) = match &self.entry {
                Some(e) => (Some(e.by.clone()), e.flags.cloud, &e.flags),
                None => {
                    own = file::FileSettings {
                        client_id: self.client_id.clone(),
                        certificate: self.certificate.clone(),
                        graph_url: self.graph_url.clone(),
                        login_url: self.login_url.clone(),
                        mail_from: self.mail_from.clone(),
                        ..file::FileSettings::default()
                    };
                    let cloud = (self.cloud != Cloud::Global).then_some(self.cloud);
                    (self.tenant.clone(), cloud, &own)
                }
            };
            option("--tenant", tenant);
            option("--cloud", cloud.map(|c| c.name().to_string()));
            option("--graph-url", said.graph_url.clone());
            option("--login-url", said.login_url.clone());
            option("--client-id", said.client_id.clone());
            option("--certificate", path(&said.certificate));
            option("--mail-from", said.mail_from.clone());
        }
        option("--data-dir", path(&self.data_dir));
        words.push(subcommand.to_string());
        words.join(" ")
    }
}

/// Microsoft Graph Command Line Tools, a public client every tenant can consent to.
pub const DEFAULT_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// Delegated scopes the app asks for (DESIGN.md 4.5).
pub const DELEGATED_SCOPES: &str = "User.Read.All User.DeleteRestore.All \
     User-PasswordProfile.ReadWrite.All User.ReadWrite Domain.Read.All Mail.Send \
     UserAuthenticationMethod.ReadWrite.All Policy.Read.AuthenticationMethod offline_access";

/// Where to talk to: roots without `/v1.0` or a tenant, as DESIGN.md 3 defines them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub graph: Url,
    pub login: Url,
    pub tenant: String,
}

impl Endpoints {
    /// `https://graph.../v1.0/` joined with `path` (which has no leading slash).
    pub fn graph_v1(&self, path: &str) -> String {
        format!(
            "{}/v1.0/{}",
            self.graph.as_str().trim_end_matches('/'),
            path
        )
    }

    /// The token endpoint of the tenant.
    pub fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.login.as_str().trim_end_matches('/'),
            self.tenant
        )
    }

    pub fn device_code_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/devicecode",
            self.login.as_str().trim_end_matches('/'),
            self.tenant
        )
    }

    /// Endpoints of a sandbox listening at `base` (it serves Graph and login on one host).
    pub fn sandbox(base: &Url) -> Self {
        Self {
            graph: base.clone(),
            login: base.clone(),
            tenant: "sandbox".into(),
        }
    }

    /// From the settings: the cloud's hosts, overridden by `--graph-url`/`--login-url`.
    pub fn from_settings(settings: &Settings, tenant: &str) -> Result<Self, String> {
        let (login, graph) = cloud_hosts(settings.cloud);
        let graph = parse_root(
            settings.graph_url.as_deref().unwrap_or(graph),
            "--graph-url",
        )?;
        let login = parse_root(
            settings.login_url.as_deref().unwrap_or(login),
            "--login-url",
        )?;
        Ok(Self {
            graph,
            login,
            tenant: tenant.to_string(),
        })
    }
}

/// A Graph root, as `--graph-url` (named `what` in errors) takes it: the client adds `/v1.0`
/// itself, and a root ending in a version sends every call to `/v1.0/v1.0/...`, which Entra
/// answers with a misleading AADSTS500011.
pub fn check_graph_root(s: &str, what: &str) -> Result<(), String> {
    let url = Url::parse(s).map_err(|e| format!("{s:?} is not a URL: {e}"))?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(|p| p.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    if let Some(v) = segments
        .iter()
        .find(|s| s.eq_ignore_ascii_case("v1.0") || s.eq_ignore_ascii_case("beta"))
    {
        return Err(format!(
            "{what} must be the root, e.g. https://graph.microsoft.com, without /{v}"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{what} must be the root, e.g. https://graph.microsoft.com, without a query"
        ));
    }
    Ok(())
}

/// A login root, as `--login-url` (named `what` in errors) takes it: the tenant and
/// `/oauth2/v2.0/...` are added by the client.
pub fn check_login_root(s: &str, what: &str) -> Result<(), String> {
    let url = Url::parse(s).map_err(|e| format!("{s:?} is not a URL: {e}"))?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(|p| p.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let tenant_like = |seg: &str| {
        let seg = seg.to_ascii_lowercase();
        ["common", "organizations", "consumers", "oauth2", "v2.0"].contains(&seg.as_str())
            || seg.contains('.')
            || (seg.len() == 36 && seg.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
    };
    if let Some(seg) = segments.iter().find(|s| tenant_like(s)) {
        return Err(format!(
            "{what} must be the root, e.g. https://login.microsoftonline.com, without a \
             tenant or /oauth2 (found /{seg}); pass the tenant with --tenant"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{what} must be the root, e.g. https://login.microsoftonline.com, without a query"
        ));
    }
    Ok(())
}

/// Parses a root URL and refuses plain HTTP to anything but loopback.
pub fn parse_root(raw: &str, what: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{what} {raw:?} is not a URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "{what} {raw:?}: plain http:// is only allowed to a loopback host (127.0.0.1, ::1, localhost)"
            ));
        }
        other => return Err(format!("{what} {raw:?}: unsupported scheme {other:?}")),
    }
    if url.host_str().is_none() {
        return Err(format!("{what} {raw:?} has no host"));
    }
    Ok(url)
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `--data-dir`, or the platform's data dir for undelete.
pub fn data_dir(settings: &Settings) -> Result<PathBuf, String> {
    if let Some(dir) = &settings.data_dir {
        return Ok(dir.clone());
    }
    directories::ProjectDirs::from("", "", "undelete")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| "no home directory: pass --data-dir".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(parse_root("http://127.0.0.1:8080", "x").is_ok());
        assert!(parse_root("http://localhost:1", "x").is_ok());
        assert!(parse_root("http://[::1]:1", "x").is_ok());
        assert!(parse_root("http://graph.microsoft.com", "x").is_err());
        assert!(parse_root("http://10.0.0.1", "x").is_err());
        assert!(parse_root("https://graph.microsoft.us", "x").is_ok());
        assert!(parse_root("ftp://x", "x").is_err());
    }

    #[test]
    fn urls_are_joined_without_double_slashes() {
        let e = Endpoints::sandbox(&Url::parse("http://127.0.0.1:9/").unwrap());
        assert_eq!(e.graph_v1("me"), "http://127.0.0.1:9/v1.0/me");
        assert_eq!(
            e.token_url(),
            "http://127.0.0.1:9/sandbox/oauth2/v2.0/token"
        );
    }
}

/// `s` as one word for a POSIX shell: as it is when only safe characters make it up,
/// single-quoted otherwise.
fn shell_word(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod command_line_tests {
    use super::*;

    #[test]
    fn a_hint_names_the_same_directory_and_data_dir() {
        let plain = Settings::default();
        assert_eq!(plain.command_line("finish"), "undelete finish");
        let tenant = Settings {
            tenant: Some("contoso.onmicrosoft.com".into()),
            cloud: Cloud::Usgov,
            mail_from: Some("it@contoso.com".into()),
            data_dir: Some(PathBuf::from("/tmp/my data")),
            ..Settings::default()
        };
        assert_eq!(
            tenant.command_line("finish"),
            "undelete --tenant contoso.onmicrosoft.com --cloud usgov --mail-from it@contoso.com \
             --data-dir '/tmp/my data' finish"
        );
        // A tenant of the settings file by its entry's name, with only what the flags laid
        // over the entry: the entry gives its cloud, sign-in and sender.
        let entry = Settings {
            entry: Some(EntryPick {
                by: "Contoso Ltd".into(),
                flags: file::FileSettings {
                    client_id: Some("app-id".into()),
                    ..file::FileSettings::default()
                },
            }),
            ..tenant.clone()
        };
        assert_eq!(
            entry.command_line("finish"),
            "undelete --tenant 'Contoso Ltd' --client-id app-id --data-dir '/tmp/my data' finish"
        );
        let sandbox = Settings {
            sandbox: true,
            tenant: Some("ignored.example".into()),
            data_dir: Some(PathBuf::from("/tmp/it's")),
            ..Settings::default()
        };
        assert_eq!(
            sandbox.command_line("finish"),
            r"undelete --sandbox --data-dir '/tmp/it'\''s' finish"
        );
    }
}
