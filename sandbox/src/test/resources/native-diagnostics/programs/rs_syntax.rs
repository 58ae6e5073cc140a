fn main() {
    println!("hello"
}
