fn main() {
    let r: Result<i32, String> = Err("bad\nthing".into());
    r.unwrap();
}
