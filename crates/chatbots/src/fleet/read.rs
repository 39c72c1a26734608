//! Reading the current state of a fleet's bots: complete listings where a
//! vendor lists, `get` for the rest, nothing where a vendor cannot read.
