// A Rust program built with -g that divides by zero: the panic ends in a
// trap whose report must name div::divide and div::main, demangled, at
// the lines marked here (run-srclines.sh greps the markers).
#[inline(never)]
fn divide(a: i32, b: i32) -> i32 {
    a / b // @divide
}

fn main() {
    let n = std::env::args().count() as i32;
    let d = if n > 5 { 3 } else { 0 };
    println!("{}", divide(n * 10, d)); // @main
}
