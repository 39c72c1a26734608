//! What the facade's sandbox-backed tests share.

use std::collections::HashMap;
use std::time::Duration;

use chatbots::{Chatbots, ChatbotsBuilder, Vendor, credential_variables};
use chatbots_sandbox::Sandbox;

/// A builder with the sandbox's base URL and credentials for every vendor
/// it emulates, set the way users configure the facade (the environment's
/// variable names, as `--sandbox` does in the CLI), so that no test names a
/// vendor's credential setter; a 10 s timeout. A vendor the sandbox does
/// not emulate stays unconfigured.
pub fn builder(sandbox: &Sandbox) -> ChatbotsBuilder {
    builder_with(sandbox, str::to_string)
}

/// [`builder`] with each of the sandbox's secrets passed through `secret`
/// (a wrong key everywhere, say).
pub fn builder_with(sandbox: &Sandbox, secret: impl Fn(&str) -> String) -> ChatbotsBuilder {
    let mut variables = HashMap::new();
    for vendor in Vendor::ALL {
        let Some(credentials) = sandbox.credentials(vendor) else {
            continue;
        };
        let secrets = std::iter::once(credentials.key).chain(credentials.secret);
        for (name, value) in credential_variables(vendor).iter().zip(secrets) {
            variables.insert(name.to_string(), secret(value));
        }
        variables.insert(
            format!("{}_BASE_URL", vendor.env_prefix()),
            sandbox.base_url(vendor),
        );
    }
    Chatbots::builder()
        .from_env_with(|name| variables.get(name).cloned())
        .expect("the sandbox configures every vendor it emulates")
        .timeout(Duration::from_secs(10))
}

/// [`builder`], built.
#[allow(dead_code)] // `sandbox.rs` builds its clients with other settings.
pub fn client(sandbox: &Sandbox) -> Chatbots {
    builder(sandbox).build().expect("client builds")
}
