//! Failures a vendor reports inside an HTTP 2xx response.

/// A failure a vendor reports inside an HTTP 2xx response (an envelope's
/// `Success: false`, `err: true` or `success: false`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VendorFailure {
    /// The vendor's own code, if it sent one.
    pub code: Option<String>,
    /// The vendor's message, if it sent one.
    pub message: Option<String>,
}

/// A vendor response envelope that can carry a failure despite a 2xx
/// status. Vendor crates implement it for their envelope types.
pub trait Envelope {
    /// `Some` when the envelope reports that the operation failed.
    fn failure(&self) -> Option<VendorFailure>;
}
