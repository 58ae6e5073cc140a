fn f(n: u64) -> u64 {
    let big = [n; 1000];
    if n == u64::MAX { return 0; }
    f(n + 1) + big[(n % 1000) as usize]
}
fn main() {
    println!("{}", f(0));
}
