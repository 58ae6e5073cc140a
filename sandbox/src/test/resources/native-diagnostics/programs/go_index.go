package main

import "fmt"

func main() {
	var xs []int
	fmt.Println("before")
	fmt.Println(xs[3])
}
