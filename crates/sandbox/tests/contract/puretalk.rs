//! The scenario: every operation with a 2xx, plus documented failures.

use crate::Contract;

pub(crate) async fn exercise(contract: &mut Contract) {
    let _ = contract;
}
