package main

type T struct{ v int }

func main() {
	var t *T
	println(t.v)
}
