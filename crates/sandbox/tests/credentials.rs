//! `GET /_sandbox/credentials`: what a client of a standalone sandbox (the
//! `chatbots --sandbox URL` CLI) configures itself from, instead of copying
//! the public credentials.

use chatbots_sandbox::{Credentials, Sandbox, Vendor};

fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

#[tokio::test]
async fn lists_every_emulated_vendor_with_its_base_url_and_credentials_in_order() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = format!("http://{}/_sandbox/credentials", sandbox.addr());
    let response = http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON");
    let vendors = body["vendors"].as_object().expect("a `vendors` object");
    // Only what the sandbox emulates: a client configures no vendor that
    // would answer 404.
    let emulated = sandbox.vendors_to_test();
    assert_eq!(vendors.len(), emulated.len(), "{body}");
    for vendor in Vendor::ALL.into_iter().filter(|v| !emulated.contains(v)) {
        assert!(!vendors.contains_key(vendor.slug()), "{vendor}: {body}");
    }
    for vendor in emulated {
        let entry = &vendors[vendor.slug()];
        assert_eq!(entry["base_url"], sandbox.base_url(vendor), "{vendor}");
        let creds = Credentials::of(vendor).expect("emulated");
        let mut expected = vec![creds.key];
        expected.extend(creds.secret);
        assert_eq!(
            entry["credentials"],
            serde_json::json!(expected),
            "{vendor}"
        );
        assert_eq!(entry["auth"], creds.how, "{vendor}");
    }
    assert_eq!(
        vendors["converza"]["credentials"],
        serde_json::json!(["cvz_key_sandbox", "cvz_secret_sandbox"]),
        "key id first, then the secret: the order of CONVERZA_KEY_ID, CONVERZA_KEY_SECRET"
    );
}

#[tokio::test]
async fn base_urls_follow_the_address_the_client_used() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = format!("http://{}/_sandbox/credentials", sandbox.addr());
    let body: serde_json::Value = http()
        .get(&url)
        .header("host", format!("localhost:{}", sandbox.addr().port()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["vendors"]["okchat"]["base_url"],
        format!("http://localhost:{}/okchat", sandbox.addr().port())
    );
}

#[tokio::test]
async fn is_read_only() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = format!("http://{}/_sandbox/credentials", sandbox.addr());
    let response = http().post(&url).body("{}").send().await.unwrap();
    assert_eq!(response.status(), 405);
}
