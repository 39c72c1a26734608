//! The sandbox applies the `drop-field` fault by the facade's names: each
//! sandbox vendor module keeps a table of the shared fields its update
//! takes and where its body holds each one. That table must say what the
//! facade's mapping (`vendors/<vendor>.rs`, `FIELDS`) says, or a test
//! dropping `instructions` would drop a field the facade never sends.

use std::collections::BTreeMap;

use chatbots::{Field, Vendor, vendor_field};

#[test]
fn the_sandboxs_shared_fields_are_the_facades() {
    for vendor in Vendor::ALL {
        let Some(probe) = chatbots_sandbox::probe(vendor) else {
            eprintln!("skipped {vendor}: not emulated by the sandbox");
            continue;
        };
        // Its body paths (keys joined by dots) as the facade's pointers.
        let sandbox: BTreeMap<&str, String> = probe
            .shared_fields
            .iter()
            .map(|(name, path)| (*name, format!("/{}", path.replace('.', "/"))))
            .collect();
        assert_eq!(
            sandbox.len(),
            probe.shared_fields.len(),
            "{vendor}: a name twice"
        );
        let facade: BTreeMap<&str, String> = Field::ALL
            .into_iter()
            .filter_map(|field| Some((field.name(), vendor_field(vendor, field)?.to_string())))
            .collect();
        assert_eq!(
            sandbox, facade,
            "{vendor}: the sandbox module's shared fields (left) differ from the facade's mapping (right)"
        );
        let dropped = probe.drop_field.dropped;
        assert!(
            sandbox.contains_key(dropped),
            "{vendor}: the drop-field probe drops `{dropped}`, not a shared field"
        );
    }
}
