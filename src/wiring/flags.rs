//! Turn the `[[flags]]` config into providers.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::config::flags::{self as cfg, FlagProviderConfig, ProviderKind};
use crate::flags::flagd::Flagd;
use crate::flags::unleash::{Unleash, UnleashSettings};
use crate::flags::FlagProvider;
use crate::sources::http::SecretRef;

/// What building needs besides the config entry.
#[derive(Clone)]
pub struct Context<'a> {
    /// Relative paths in the config are relative to this.
    pub config_dir: &'a Path,
    /// Deadline of each remote call.
    pub timeout: Duration,
    /// `--env`: the Unleash environment to act on instead of the
    /// configured one.
    pub env_override: Option<&'a str>,
    /// The demo provider, when the demo world is running.
    pub demo: Option<Arc<dyn FlagProvider>>,
}

/// Build one provider. Errors name the provider and say what is missing
/// (an unset token variable, an unreadable token file...), never a secret.
pub fn provider(
    c: &FlagProviderConfig,
    ctx: &Context<'_>,
) -> Result<Arc<dyn FlagProvider>, String> {
    match c.kind {
        ProviderKind::Unleash => {
            let token = match (&c.token_env, &c.token_file) {
                (Some(v), _) => SecretRef::Env(v.clone()),
                (None, Some(f)) => SecretRef::File(cfg::resolve(f, ctx.config_dir)),
                (None, None) => {
                    return Err(format!(
                        "flag provider `{}`: no token_env or token_file",
                        c.name
                    ))
                }
            };
            let u = Unleash::new(UnleashSettings {
                name: c.name.clone(),
                url: c.url.clone().unwrap_or_default(),
                project: c
                    .project
                    .clone()
                    .unwrap_or_else(|| cfg::DEFAULT_PROJECT.into()),
                environment: ctx
                    .env_override
                    .map(str::to_owned)
                    .or_else(|| c.environment.clone())
                    .unwrap_or_else(|| cfg::DEFAULT_ENVIRONMENT.into()),
                token,
                timeout: ctx.timeout,
                retries: c.retries.unwrap_or(cfg::DEFAULT_RETRIES),
            })?;
            Ok(Arc::new(u))
        }
        ProviderKind::Flagd => {
            let path = c
                .path
                .as_deref()
                .map(|p| cfg::resolve(p, ctx.config_dir))
                .ok_or_else(|| format!("flag provider `{}`: no path", c.name))?;
            Ok(Arc::new(Flagd::new(
                c.name.clone(),
                path,
                c.mode.unwrap_or_default(),
            )))
        }
        ProviderKind::Demo => ctx.demo.clone().ok_or_else(|| {
            "flag provider `demo`: the demo provider exists only in demo mode (--demo)".to_string()
        }),
    }
}

/// Build every configured provider; the ones that fail are left out and
/// their errors returned (the cockpit shows them and carries on).
pub fn providers(
    configs: &[FlagProviderConfig],
    ctx: &Context<'_>,
) -> (Vec<Arc<dyn FlagProvider>>, Vec<String>) {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for c in configs {
        match provider(c, ctx) {
            Ok(p) => ok.push(p),
            Err(e) => errors.push(e),
        }
    }
    (ok, errors)
}
