//! Configuration: a TOML file under the platform config directory with named
//! profiles, overridden by `ELOGII_API_KEY` / `ELOGII_BASE_URL`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use crate::api::client::{ApiPaths, AuthScheme, ClientConfig, DEFAULT_BASE_URL};
use crate::domain::edit::MOVE_CONFIRM_KM;
use crate::domain::lateness::DEFAULT_AT_RISK_MARGIN;
use crate::sync::writer::WriterConfig;

/// Environment variable that overrides the API key of any profile.
pub const ENV_API_KEY: &str = "ELOGII_API_KEY";
/// Environment variable that overrides the base URL of any profile.
pub const ENV_BASE_URL: &str = "ELOGII_BASE_URL";
/// Environment variable naming another config file.
pub const ENV_CONFIG: &str = "ELOGII_TUI_CONFIG";

/// The config file as written by the user.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Profile used when `--profile` is not given (else `default`).
    pub default_profile: Option<String>,
    /// Named connections.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Endpoint paths (those eLogii does not document can be corrected here).
    #[serde(default)]
    pub paths: ApiPaths,
    /// Console settings (theme, mouse, key bindings).
    #[serde(default)]
    pub ui: UiConfig,
    /// Checks on edits before they are staged.
    #[serde(default)]
    pub editing: EditingConfig,
    /// How staged edits are sent.
    #[serde(default)]
    pub send: SendConfig,
}

/// `[editing]`: checks on edits before they are staged.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditingConfig {
    /// A pin moved further than this many km asks first in the console and is
    /// held back by `apply` without `--yes-moves` (default 2, 0.01–1000).
    pub move_confirm_km: Option<f64>,
}

/// `[send]`: how the writer batches and retries.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendConfig {
    /// Items per `updateMany` call (default 50, 1–500).
    pub batch_size: Option<usize>,
    /// `updateMany` calls in flight at once (default 3, 1–16).
    pub in_flight: Option<usize>,
    /// Tries per request before an edit is left staged with the error (default 8, 1–50).
    pub max_attempts: Option<u32>,
}

impl Config {
    /// The writer's settings: defaults with `[send]` applied.
    pub fn writer_config(&self) -> WriterConfig {
        let mut w = WriterConfig::default();
        if let Some(n) = self.send.batch_size {
            w.batch_size = n;
        }
        if let Some(n) = self.send.in_flight {
            w.concurrency = n;
        }
        if let Some(n) = self.send.max_attempts {
            w.max_attempts = n;
        }
        w
    }

    /// The pin-move distance that asks first, in km.
    pub fn move_confirm_km(&self) -> f64 {
        self.editing.move_confirm_km.unwrap_or(MOVE_CONFIRM_KM)
    }

    /// Minutes before a window closes within which an on-time stop is at risk.
    pub fn at_risk_minutes(&self) -> i64 {
        self.ui.at_risk_minutes.unwrap_or(DEFAULT_AT_RISK_MARGIN)
    }

    /// True when some profile has its key in the file (`api_key = "…"`).
    fn holds_a_key(&self) -> bool {
        self.profiles
            .values()
            .any(|p| p.api_key.as_deref().is_some_and(|k| !k.trim().is_empty()))
    }

    /// Settings out of their range, each as "send.batch_size = 0: …".
    fn check_ranges(&self) -> Result<(), String> {
        fn within<T: PartialOrd + std::fmt::Display + Copy>(
            name: &str,
            value: Option<T>,
            low: T,
            high: T,
        ) -> Result<(), String> {
            match value {
                Some(v) if !(v >= low && v <= high) => {
                    Err(format!("{name} = {v} is out of range: use {low} to {high}"))
                }
                _ => Ok(()),
            }
        }
        within("send.batch_size", self.send.batch_size, 1, 500)?;
        within("send.in_flight", self.send.in_flight, 1, 16)?;
        within("send.max_attempts", self.send.max_attempts, 1, 50)?;
        within(
            "editing.move_confirm_km",
            self.editing.move_confirm_km,
            0.01,
            1000.0,
        )?;
        within("ui.at_risk_minutes", self.ui.at_risk_minutes, 0, 240)?;
        if let Some(theme) = &self.ui.theme
            && ThemeName::parse(Some(theme)).is_none()
        {
            return Err(format!(
                "ui.theme = {theme:?} is not a theme: use {THEME_CHOICES}"
            ));
        }
        for (name, p) in &self.profiles {
            within(
                &format!("profiles.{name}.page_size"),
                p.page_size,
                1,
                10_000,
            )?;
        }
        Ok(())
    }
}

/// The console's colour themes, as `[ui] theme` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeName {
    /// 16 colours (`default`; also no setting or `""`).
    Default,
    /// No colour (`mono`, or `monochrome`).
    Mono,
}

impl ThemeName {
    /// The theme a setting names; `None` when it names none.
    pub fn parse(name: Option<&str>) -> Option<ThemeName> {
        match name.map(str::trim) {
            None | Some("") | Some("default") => Some(ThemeName::Default),
            Some("mono") | Some("monochrome") => Some(ThemeName::Mono),
            Some(_) => None,
        }
    }
}

/// The themes as messages offer them.
pub const THEME_CHOICES: &str = "\"default\" or \"mono\"";

/// One eLogii organisation to talk to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// API host, default `https://api-35.elogii.com`.
    pub base_url: Option<String>,
    /// Name of an environment variable holding the key (preferred).
    pub api_key_env: Option<String>,
    /// The key itself (then keep the file private: chmod 600).
    pub api_key: Option<String>,
    /// `apikey` (send `ApiKey <key>`, default) or `bare`.
    #[serde(default)]
    pub auth_scheme: AuthScheme,
    /// Records per page when reading lists (default 100).
    pub page_size: Option<usize>,
    /// Never change remote data from this profile.
    #[serde(default)]
    pub read_only: bool,
}

/// Console settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// `default` (16 colours) or `mono`.
    pub theme: Option<String>,
    /// Turn mouse reporting on (off by default).
    #[serde(default)]
    pub mouse: bool,
    /// Key bindings: action name → key list, e.g. `move_down = ["j", "Down"]`.
    #[serde(default)]
    pub keys: BTreeMap<String, Vec<String>>,
    /// A stop on time with fewer minutes than this left in its window is at
    /// risk (default 10, 0–240; `:risk N` changes it for the session).
    pub at_risk_minutes: Option<i64>,
}

/// Problems with the configuration, each one sentence a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("the config file {path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("there is no profile {name:?} in {path} (profiles there: {known})")]
    UnknownProfile {
        name: String,
        path: String,
        known: String,
    },
    #[error("{0}")]
    NoKey(String),
    #[error(
        "the base URL {url} uses plain http to a host that is not this machine; use https, or pass --allow-insecure-http if you really mean it"
    )]
    InsecureHttp { url: String },
    #[error("the base URL {url:?} is not a valid http(s) URL")]
    BadUrl { url: String },
}

/// The config file in use and any warnings found while reading it.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The parsed file (defaults when there is none).
    pub config: Config,
    /// Where it was read from (or would be).
    pub path: Option<PathBuf>,
    /// True when the file existed.
    pub exists: bool,
    /// Things to tell the user (e.g. a file others can read).
    pub warnings: Vec<String>,
}

/// Where the config file is expected: `ELOGII_TUI_CONFIG`, else the platform
/// config dir (`~/.config/elogii-tui/config.toml` on Linux).
pub fn default_config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(ENV_CONFIG) {
        return Some(PathBuf::from(p));
    }
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// The platform directories of this program.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "elogii-tui")
}

/// Directory for the journal and other per-profile state.
pub fn data_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.data_local_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("elogii-tui"))
}

/// Reads the config file (`path` or the default). A missing file is not an error.
pub fn load(path: Option<&Path>) -> Result<Loaded, ConfigError> {
    let explicit = path.is_some();
    let Some(path) = path.map(Path::to_path_buf).or_else(default_config_path) else {
        return Ok(Loaded::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(Loaded {
                path: Some(path),
                ..Loaded::default()
            });
        }
        Err(e) => {
            return Err(ConfigError::Unreadable {
                path,
                reason: e.to_string(),
            });
        }
    };
    let config: Config = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
        path: path.clone(),
        reason: describe_toml_error(&text, &e),
    })?;
    config
        .check_ranges()
        .map_err(|reason| ConfigError::Invalid {
            path: path.clone(),
            reason,
        })?;
    let mut warnings = Vec::new();
    if config.holds_a_key()
        && let Some(w) = permission_warning(&path)
    {
        warnings.push(w);
    }
    Ok(Loaded {
        config,
        path: Some(path),
        exists: true,
        warnings,
    })
}

/// "line 3, column 7: invalid type: integer `5`, expected a string"; a value
/// of the wrong type for a setting this program knows is said in its words:
/// "line 2, column 14: send.batch_size = "50" must be a whole number (1–500)".
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let mut message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    if (message.starts_with("invalid type:") || message.starts_with("invalid value:"))
        && let Some(plain) = e.span().and_then(|span| wrong_type_text(text, span))
    {
        message = plain;
    }
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// "send.batch_size = "50" must be a whole number (1–500)" for the setting
/// whose value is at `span` in `text`, when it is one this program knows.
fn wrong_type_text(text: &str, span: std::ops::Range<usize>) -> Option<String> {
    fn find(
        table: &toml::de::DeTable<'_>,
        span: &std::ops::Range<usize>,
        path: &mut Vec<String>,
    ) -> bool {
        for (key, value) in table.iter() {
            path.push(key.get_ref().to_string());
            if value.span() == *span {
                return true;
            }
            if let toml::de::DeValue::Table(inner) = value.get_ref()
                && find(inner, span, path)
            {
                return true;
            }
            path.pop();
        }
        false
    }
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut path = Vec::new();
    if !find(doc.get_ref(), &span, &mut path) {
        return None;
    }
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    let what = match keys.as_slice() {
        ["send", "batch_size"] => "a whole number (1–500)",
        ["send", "in_flight"] => "a whole number (1–16)",
        ["send", "max_attempts"] => "a whole number (1–50)",
        ["editing", "move_confirm_km"] => "a number of kilometres (0.01–1000)",
        ["ui", "at_risk_minutes"] => "a whole number of minutes (0–240)",
        ["ui", "mouse"] | ["profiles", _, "read_only"] => "true or false",
        ["profiles", _, "page_size"] => "a whole number (1–10000)",
        ["ui", "theme"] => THEME_CHOICES,
        ["default_profile"] => "a profile name in quotes",
        ["profiles", _, "base_url"] => "a URL in quotes",
        ["profiles", _, "api_key_env"] => "the name of an environment variable in quotes",
        // The value is a key: it is not repeated.
        ["profiles", _, "api_key"] => {
            return Some(format!("{} must be the key in quotes", dotted(&keys)));
        }
        _ => return None,
    };
    let value = text.get(span)?.trim();
    Some(format!("{} = {value} must be {what}", dotted(&keys)))
}

/// `profiles.north.page_size`, quoting keys that are not bare (`profiles."my desk".page_size`).
fn dotted(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| {
            let bare = !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if bare {
                k.to_string()
            } else {
                format!("{k:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(unix)]
fn permission_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    if mode & 0o077 != 0 {
        Some(format!(
            "the config file {} holds an API key and can be read by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        ))
    } else {
        None
    }
}

#[cfg(not(unix))]
fn permission_warning(_path: &Path) -> Option<String> {
    None
}

/// What the command line says about the connection.
#[derive(Debug, Clone, Default)]
pub struct ConnectionArgs {
    /// `--profile`.
    pub profile: Option<String>,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--allow-insecure-http`.
    pub allow_insecure_http: bool,
}

/// A resolved connection: the client config plus what the header shows.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Profile name, shown in the header.
    pub profile: String,
    /// Ready for `Client::new`.
    pub client: ClientConfig,
    /// Remote writes are disabled.
    pub read_only: bool,
}

/// Reads the environment through a function so tests need not touch the process env.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The real process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Resolves the profile, base URL and key. Order: command line, environment,
/// profile, defaults. Without a key it explains how to set one up.
pub fn resolve(
    loaded: &Loaded,
    args: &ConnectionArgs,
    env: EnvLookup<'_>,
) -> Result<Connection, ConfigError> {
    let config = &loaded.config;
    let name = args
        .profile
        .clone()
        .or_else(|| config.default_profile.clone())
        .unwrap_or_else(|| "default".to_string());
    let profile = match config.profiles.get(&name) {
        Some(p) => p.clone(),
        None if args.profile.is_some() || config.default_profile.is_some() => {
            return Err(ConfigError::UnknownProfile {
                name,
                path: loaded
                    .path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "the config file".into()),
                known: if config.profiles.is_empty() {
                    "none".into()
                } else {
                    config
                        .profiles
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            });
        }
        None => Profile::default(),
    };
    let base_url = args
        .base_url
        .clone()
        .or_else(|| env(ENV_BASE_URL))
        .or_else(|| profile.base_url.clone())
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    check_base_url(&base_url, args.allow_insecure_http)?;
    let key = env(ENV_API_KEY)
        .or_else(|| profile.api_key_env.as_deref().and_then(env))
        .or_else(|| profile.api_key.clone().filter(|k| !k.trim().is_empty()));
    let Some(key) = key else {
        return Err(ConfigError::NoKey(no_key_help(loaded, &name, &profile)));
    };
    let mut client = ClientConfig::new(base_url, SecretString::from(key));
    client.auth_scheme = profile.auth_scheme;
    if let Some(n) = profile.page_size {
        client.page_size = n.clamp(1, 10_000);
    }
    client.paths = config.paths.clone();
    Ok(Connection {
        profile: name,
        client,
        read_only: profile.read_only,
    })
}

/// Why there is no key and how to give one, as one line: the variable to set,
/// or where the profile could name another one, and the demo.
fn no_key_help(loaded: &Loaded, name: &str, profile: &Profile) -> String {
    const WHERE: &str = "eLogii dashboard → Configuration → API keys";
    const DEMO: &str = "to look around without an account, run `elogii-tui --demo`";
    match profile.api_key_env.as_deref() {
        Some(var) if var != ENV_API_KEY => format!(
            "no eLogii API key: the profile {name:?} reads it from ${var}, which is not set; \
             run `export {var}=<your key>` ({WHERE}) or set {ENV_API_KEY}; {DEMO}"
        ),
        _ => {
            let path = loaded
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "~/.config/elogii-tui/config.toml".into());
            format!(
                "no eLogii API key: run `export {ENV_API_KEY}=<your key>` ({WHERE}), \
                 or keep the key in another variable and name it with api_key_env under \
                 [profiles.{name}] in {path}; {DEMO}"
            )
        }
    }
}

/// Refuses plain `http://` to anything but loopback unless allowed.
pub fn check_base_url(url: &str, allow_insecure: bool) -> Result<(), ConfigError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| ConfigError::BadUrl { url: url.into() })?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if loopback || allow_insecure {
                Ok(())
            } else {
                Err(ConfigError::InsecureHttp { url: url.into() })
            }
        }
        _ => Err(ConfigError::BadUrl { url: url.into() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn loaded(toml_text: &str) -> Loaded {
        Loaded {
            config: toml::from_str(toml_text).unwrap(),
            path: Some(PathBuf::from("/tmp/cfg.toml")),
            exists: true,
            warnings: vec![],
        }
    }

    #[test]
    fn env_overrides_profile_and_key_comes_from_named_var() {
        let l = loaded(
            r#"
            default_profile = "north"
            [profiles.north]
            base_url = "https://api-sandbox.elogii.com"
            api_key_env = "NORTH_KEY"
            page_size = 250
            auth_scheme = "bare"
            "#,
        );
        let env = |k: &str| (k == "NORTH_KEY").then(|| "dev:abc:secret".to_string());
        let c = resolve(&l, &ConnectionArgs::default(), &env).unwrap();
        assert_eq!(c.profile, "north");
        assert_eq!(c.client.base_url, "https://api-sandbox.elogii.com");
        assert_eq!(c.client.api_key.expose_secret(), "dev:abc:secret");
        assert_eq!(c.client.page_size, 250);
        assert_eq!(c.client.auth_scheme, AuthScheme::Bare);
        let env2 = |k: &str| match k {
            ENV_API_KEY => Some("override".to_string()),
            ENV_BASE_URL => Some("https://example.test".to_string()),
            _ => None,
        };
        let c = resolve(&l, &ConnectionArgs::default(), &env2).unwrap();
        assert_eq!(c.client.api_key.expose_secret(), "override");
        assert_eq!(c.client.base_url, "https://example.test");
    }

    #[test]
    fn no_key_explains_setup_and_demo() {
        let l = Loaded::default();
        let err = resolve(&l, &ConnectionArgs::default(), &|_| None).unwrap_err();
        let text = err.to_string();
        assert_eq!(
            text,
            "no eLogii API key: run `export ELOGII_API_KEY=<your key>` (eLogii dashboard → \
             Configuration → API keys), or keep the key in another variable and name it with \
             api_key_env under [profiles.default] in ~/.config/elogii-tui/config.toml; to look \
             around without an account, run `elogii-tui --demo`"
        );
        // Naming the variable that is the default anyway changes nothing: not suggested.
        assert!(!text.contains("api_key_env = \"ELOGII_API_KEY\""), "{text}");
        // A profile that names a variable of its own: that one is the one to set.
        let l =
            loaded("default_profile = \"north\"\n[profiles.north]\napi_key_env = \"NORTH_KEY\"\n");
        let text = resolve(&l, &ConnectionArgs::default(), &|_| None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            text,
            "no eLogii API key: the profile \"north\" reads it from $NORTH_KEY, which is not set; \
             run `export NORTH_KEY=<your key>` (eLogii dashboard → Configuration → API keys) or \
             set ELOGII_API_KEY; to look around without an account, run `elogii-tui --demo`"
        );
        // One line: nothing runs into the next sentence.
        assert!(!text.contains('\n'));
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_base_url("http://127.0.0.1:8035", false).is_ok());
        assert!(check_base_url("http://localhost:8035", false).is_ok());
        assert!(check_base_url("http://[::1]:8035", false).is_ok());
        assert!(matches!(
            check_base_url("http://api.example.com", false),
            Err(ConfigError::InsecureHttp { .. })
        ));
        assert!(check_base_url("http://api.example.com", true).is_ok());
        assert!(matches!(
            check_base_url("ftp://x", false),
            Err(ConfigError::BadUrl { .. })
        ));
        assert!(matches!(
            check_base_url("not a url", false),
            Err(ConfigError::BadUrl { .. })
        ));
    }

    #[test]
    fn unknown_profile_and_bad_file_are_one_sentence() {
        let l = loaded("[profiles.a]\napi_key = \"k\"\n");
        let args = ConnectionArgs {
            profile: Some("b".into()),
            ..Default::default()
        };
        let e = resolve(&l, &args, &|_| None).unwrap_err().to_string();
        assert!(e.contains("\"b\"") && e.contains("a"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "[profiles.x]\nbse_url = 1\n").unwrap();
        let e = load(Some(&p)).unwrap_err().to_string();
        assert!(e.contains("bse_url") && !e.contains('\n'), "{e}");
        assert!(e.contains("line 2, column 1:"), "{e}");
        std::fs::write(&p, "default_profile = 5\n").unwrap();
        let e = load(Some(&p)).unwrap_err().to_string();
        assert!(
            e.ends_with("line 1, column 19: default_profile = 5 must be a profile name in quotes"),
            "{e}"
        );
        let missing = dir.path().join("missing.toml");
        assert!(
            load(Some(&missing))
                .unwrap_err()
                .to_string()
                .contains("cannot read")
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_one_plain_sentence_naming_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let says = |text: &str| {
            std::fs::write(&path, text).unwrap();
            let e = load(Some(&path)).unwrap_err().to_string();
            let (_, reason) = e.split_once(" is not valid: ").unwrap();
            reason.to_string()
        };
        for (text, reason) in [
            (
                "[send]\nbatch_size = \"50\"\n",
                "line 2, column 14: send.batch_size = \"50\" must be a whole number (1–500)",
            ),
            (
                "[send]\nin_flight = -2\n",
                "line 2, column 13: send.in_flight = -2 must be a whole number (1–16)",
            ),
            (
                "send = { max_attempts = 2.5 }\n",
                "line 1, column 25: send.max_attempts = 2.5 must be a whole number (1–50)",
            ),
            (
                "[editing]\nmove_confirm_km = \"2\"\n",
                "line 2, column 19: editing.move_confirm_km = \"2\" must be a number of kilometres (0.01–1000)",
            ),
            (
                "[ui]\nmouse = \"yes\"\n",
                "line 2, column 9: ui.mouse = \"yes\" must be true or false",
            ),
            (
                "[ui]\nat_risk_minutes = true\n",
                "line 2, column 19: ui.at_risk_minutes = true must be a whole number of minutes (0–240)",
            ),
            (
                "[profiles.\"my desk\"]\npage_size = \"100\"\n",
                "line 2, column 13: profiles.\"my desk\".page_size = \"100\" must be a whole number (1–10000)",
            ),
            (
                "[profiles.north]\nread_only = \"no\"\n",
                "line 2, column 13: profiles.north.read_only = \"no\" must be true or false",
            ),
            // A key in the wrong form is not repeated.
            (
                "[profiles.north]\napi_key = 123456\n",
                "line 2, column 11: profiles.north.api_key must be the key in quotes",
            ),
        ] {
            assert_eq!(says(text), reason, "{text}");
        }
        // A setting without words of its own keeps the parser's.
        assert_eq!(
            says("[paths]\nroutes_lock = 3\n"),
            "line 2, column 15: invalid type: integer `3`, expected a string"
        );
    }

    #[cfg(unix)]
    #[test]
    fn readable_config_earns_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "[profiles.x]\napi_key = \"k\"\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(load(Some(&p)).unwrap().warnings.len(), 1);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(load(Some(&p)).unwrap().warnings.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn readable_config_without_a_key_earns_no_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        for text in [
            "",
            "[ui]\nmouse = true\n",
            "[profiles.x]\napi_key_env = \"X_KEY\"\n",
            "[profiles.x]\napi_key = \"  \"\n",
        ] {
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(load(Some(&p)).unwrap().warnings.is_empty(), "{text:?}");
        }
        // A key in any profile: warned, naming the file and why.
        std::fs::write(
            &p,
            "[profiles.x]\napi_key_env = \"X\"\n[profiles.y]\napi_key = \"k\"\n",
        )
        .unwrap();
        let w = load(Some(&p)).unwrap().warnings;
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("holds an API key and can be read by other users (mode 644)"),
            "{w:?}"
        );
    }

    #[test]
    fn send_and_editing_settings_apply_and_out_of_range_is_refused() {
        let l = loaded(
            "[send]\nbatch_size = 7\nin_flight = 2\n[editing]\nmove_confirm_km = 0.5\n[ui]\nat_risk_minutes = 25\n",
        );
        let w = l.config.writer_config();
        assert_eq!((w.batch_size, w.concurrency), (7, 2));
        assert_eq!(w.max_attempts, WriterConfig::default().max_attempts);
        assert_eq!(l.config.move_confirm_km(), 0.5);
        assert_eq!(l.config.at_risk_minutes(), 25);
        for theme in ["default", "mono", " mono ", "monochrome", ""] {
            let l = loaded(&format!("[ui]\ntheme = {theme:?}\n"));
            assert!(l.config.check_ranges().is_ok(), "{theme:?}");
        }
        let d = Config::default();
        assert_eq!(d.writer_config(), WriterConfig::default());
        assert_eq!(d.move_confirm_km(), MOVE_CONFIRM_KM);
        assert_eq!(d.at_risk_minutes(), DEFAULT_AT_RISK_MARGIN);

        let dir = tempfile::tempdir().unwrap();
        for (text, says) in [
            (
                "[send]\nin_flight = 0\n",
                "send.in_flight = 0 is out of range",
            ),
            (
                "[editing]\nmove_confirm_km = -1.0\n",
                "editing.move_confirm_km = -1 is out of range",
            ),
            (
                "[editing]\nmove_confirm_km = nan\n",
                "editing.move_confirm_km = NaN",
            ),
            ("[ui]\nat_risk_minutes = 999\n", "ui.at_risk_minutes = 999"),
            (
                "[ui]\ntheme = \"neon\"\n",
                "is not valid: ui.theme = \"neon\" is not a theme: use \"default\" or \"mono\"",
            ),
            (
                "[profiles.a]\npage_size = 0\n",
                "profiles.a.page_size = 0 is out of range",
            ),
        ] {
            let path = dir.path().join("c.toml");
            std::fs::write(&path, text).unwrap();
            let e = load(Some(&path)).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
