fn main() {
    let a: i32 = std::env::args().count() as i32 + i32::MAX;
    println!("{}", a);
}
