//! What the facade's sandbox-backed tests share.

use std::collections::HashMap;
use std::time::Duration;

use chatbots::{Chatbots, ChatbotsBuilder, Vendor, credential_variables};
use chatbots_sandbox::Sandbox;

/// A builder with the sandbox's base URL and credentials for every vendor,
/// set the way users configure the facade (the environment's variable
/// names, as `--sandbox` does in the CLI), so that no test names a
/// vendor's credential setter; a 10 s timeout.
pub fn builder(sandbox: &Sandbox) -> ChatbotsBuilder {
    let mut variables = HashMap::new();
    for vendor in Vendor::ALL {
        let credentials = sandbox.credentials(vendor);
        let secrets = std::iter::once(credentials.key).chain(credentials.secret);
        for (name, secret) in credential_variables(vendor).iter().zip(secrets) {
            variables.insert(name.to_string(), secret.to_string());
        }
        variables.insert(
            format!("{}_BASE_URL", vendor.env_prefix()),
            sandbox.base_url(vendor),
        );
    }
    Chatbots::builder()
        .from_env_with(|name| variables.get(name).cloned())
        .expect("the sandbox configures every vendor")
        .timeout(Duration::from_secs(10))
}

/// [`builder`], built.
pub fn client(sandbox: &Sandbox) -> Chatbots {
    builder(sandbox).build().expect("client builds")
}
