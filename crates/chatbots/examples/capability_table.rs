//! Prints the capability table (vendor × shared field → the vendor's field)
//! as Markdown, for `cargo xtask generate` to write into the README:
//!
//! ```text
//! cargo run -q -p chatbots --example capability_table
//! ```
//!
//! xtask runs this rather than calling the facade itself: xtask links no
//! vendor crate, so that it can report a broken spec even when the vendor
//! crates do not build.

fn main() {
    print!("{}", chatbots::capabilities::table());
}
