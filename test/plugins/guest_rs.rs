// guest_rs.rs - a Rust plugin (rustc --target wasm32-wasi --crate-type
// cdylib, Debian's rustc 1.63 with libstd-rust-dev-wasm32): std's Vec and
// a panic, which traps (docs/plugins.md).
#[no_mangle]
pub extern "C" fn sum_squares(n: u32) -> u64 {
    let v: Vec<u64> = (1..=n as u64).map(|x| x * x).collect();
    v.iter().sum()
}

#[no_mangle]
pub extern "C" fn checked_div(a: i32, b: i32) -> i32 {
    if b == 0 {
        panic!("division by zero");
    }
    a / b
}
