package main

import (
	"fmt"
	"os"
)

func takes(s string) {}

func main() {
	fmt.Println(undefinedThing)
	takes(5)
	var f func(int) = func(s string) {}
	_ = f
}
