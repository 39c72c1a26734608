//! The capability table in the docs and the README is the one the code
//! renders from its mapping; the code behaves as the table says.

mod support;

use chatbots::capabilities::table as capability_table;
use chatbots::{ErrorKind, Field, vendor_field};

const DOC: &str = include_str!("../CAPABILITIES.md");
const HEADING: &str = "## Capability table\n\nVendor × shared field → the vendor's field it is sent as (— = not supported, refused before sending).\n\n";

#[test]
fn capabilities_md_and_readme_match_the_code() {
    let expected = format!("{HEADING}{}", capability_table());
    if std::env::var_os("UPDATE_CAPABILITIES").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/CAPABILITIES.md"),
            &expected,
        )
        .unwrap();
        return;
    }
    assert_eq!(
        DOC, expected,
        "crates/chatbots/CAPABILITIES.md is stale: run `UPDATE_CAPABILITIES=1 cargo test -p chatbots --test capabilities`"
    );
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    assert!(
        readme.contains(&capability_table()),
        "README.md's capability table differs from crates/chatbots/CAPABILITIES.md; copy it over"
    );
}

#[tokio::test]
async fn unsupported_cells_are_refused_and_supported_ones_are_not() {
    // No credentials at all: a supported field gets as far as needing the
    // vendor's client (a Config error); an unsupported one is refused first.
    let bots = chatbots::Chatbots::builder().build().unwrap();
    for vendor in support::vendors("unsupported_cells_are_refused_and_supported_ones_are_not") {
        // An id of the form each vendor takes: its spec's example.
        let bot = support::data(vendor).bot_ref();
        for field in Field::ALL {
            let err = bots
                .update(&bot, &support::sample_patch(field))
                .await
                .unwrap_err();
            match vendor_field(vendor, field) {
                None => assert_eq!(
                    err.kind(),
                    &ErrorKind::Unsupported {
                        field: field.name().into()
                    },
                    "{vendor} × {field}: {err}"
                ),
                Some(_) => assert_eq!(err.kind(), &ErrorKind::Config, "{vendor} × {field}: {err}"),
            }
        }
    }
}
