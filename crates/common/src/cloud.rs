//! The national clouds and their login and Graph hosts (DESIGN.md 4.5): the app talks to them,
//! and the sandbox's TLS certificate covers every one of them.

/// A national cloud (DESIGN.md 4.5): picks both the Graph and the login host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cloud {
    #[default]
    Global,
    Usgov,
    UsgovDod,
    China,
}

impl Cloud {
    pub const ALL: [Cloud; 4] = [Cloud::Global, Cloud::Usgov, Cloud::UsgovDod, Cloud::China];

    /// The name the command line and the token cache use.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::Usgov => "usgov",
            Cloud::UsgovDod => "usgov-dod",
            Cloud::China => "china",
        }
    }
}

/// The login and Graph roots of a national cloud (DESIGN.md 4.5).
pub fn cloud_hosts(cloud: Cloud) -> (&'static str, &'static str) {
    match cloud {
        Cloud::Global => (
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
        ),
        Cloud::Usgov => (
            "https://login.microsoftonline.us",
            "https://graph.microsoft.us",
        ),
        Cloud::UsgovDod => (
            "https://login.microsoftonline.us",
            "https://dod-graph.microsoft.us",
        ),
        Cloud::China => (
            "https://login.chinacloudapi.cn",
            "https://microsoftgraph.chinacloudapi.cn",
        ),
    }
}
