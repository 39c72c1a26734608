//! The capability table in the docs and the README is the one the code
//! renders from its mapping; the code behaves as the table says.

mod support;

use chatbots::capabilities::table as capability_table;
use chatbots::{ErrorKind, Field, vendor_field};

/// The table as `cargo xtask generate` writes it into both files.
#[test]
fn capabilities_md_and_readme_match_the_code() {
    let table = capability_table();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    for file in ["crates/chatbots/CAPABILITIES.md", "README.md"] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).expect("readable");
        assert!(
            text.contains(&table),
            "{file}'s capability table differs from the code: run `cargo xtask generate`"
        );
    }
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
