fn main() {
    let unused = 5;
    println!("ok");
}
