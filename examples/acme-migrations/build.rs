//! Cargo rebuilds the crate when an embedded `.sql` file changes; this
//! makes it notice new files in the folder too.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
