package main

import "errors"

func main() {
	defer func() {
		if r := recover(); r != nil {
			panic(r)
		}
	}()
	panic(errors.New("custom failure"))
}
