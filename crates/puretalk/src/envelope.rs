//! `{msg, err, results}` envelopes that can report a failure inside an HTTP
//! 200.

use chatbots_runtime::{Envelope, VendorFailure};

use crate::types;

/// `err: true` is a failure with `msg` as its message; PureTalk sends no code.
macro_rules! err_flag_envelope {
    ($($ty:ident),+ $(,)?) => {$(
        impl Envelope for types::$ty {
            fn failure(&self) -> Option<VendorFailure> {
                (self.err == Some(true)).then(|| VendorFailure {
                    code: None,
                    message: self.msg.clone(),
                })
            }
        }
    )+};
}

err_flag_envelope!(
    AssistantResponse,
    CampaignListResponse,
    CloneVoiceResponse,
    Error,
    LlmStatesResult,
    VoiceResponse,
    WebCallResponse,
);
