package main

func put(m map[string]int) {
	m["a"] = 1
}

func main() {
	var m map[string]int
	put(m)
}
