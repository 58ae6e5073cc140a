#!/bin/bash
# Captures real compiler and runtime stderr for the parsing tests, with the exact commands the languages use.
# Run as root from this directory: ./capture.sh (writes the fixtures one directory up).
here=$(cd "$(dirname "$0")" && pwd)
out=$(dirname "$here")
scratch=$(mktemp -d)
mkdir -p $out
W='"$0" "$@"
exit $?
'
GOENVS="/usr/bin/env GOCACHE=/tmp/go-cache GOPATH=/tmp/go-path GO111MODULE=off GOENV=off GOFLAGS= GOTOOLCHAIN=local GOMAXPROCS=2"
for src in "$here"/*.go "$here"/*.rs "$here"/*.c "$here"/*.cpp; do
  name=$(basename $src); base=${name%.*}; ext=${name##*.}
  ws=$scratch/ws-$base; rm -rf $ws; mkdir -p $ws/.build; cp $src $ws/main.$ext; chmod -R 777 $ws
  case $ext in
    go) compile="$GOENVS /usr/lib/go-1.19/bin/go build -p 2 -ldflags=-s\ -w -o .build/main main.go"; run=(/usr/bin/env GOMEMLIMIT=460MiB .build/main);;
    rs) compile="/usr/bin/rustc --edition 2021 -C opt-level=2 -C overflow-checks=on -C debuginfo=0 -C strip=debuginfo -o .build/main main.rs"; run=(/bin/sh -c "$W" .build/main);;
    c) compile="/usr/bin/x86_64-linux-gnu-gcc-12 -std=c17 -Wall -O2 -fsanitize=undefined -o .build/main main.c -lm"; run=(/bin/sh -c "$W" .build/main);;
    cpp) compile="/usr/bin/x86_64-linux-gnu-g++-12 -std=c++20 -Wall -O2 -o .build/main main.cpp"; run=(/bin/sh -c "$W" .build/main);;
  esac
  if [ $ext = go ]; then
    "$here"/sandbox.sh $ws 2048 $GOENVS /usr/lib/go-1.19/bin/go build -p 2 "-ldflags=-s -w" -o .build/main main.go > /dev/null 2> $ws/compile.err; rc=$?
  else
    "$here"/sandbox.sh $ws 2048 $compile > /dev/null 2> $ws/compile.err; rc=$?
  fi
  if [ $rc -ne 0 ]; then cp $ws/compile.err $out/$base.compile.txt; echo "$base: compile rc=$rc"; continue; fi
  [ -s $ws/compile.err ] && cp $ws/compile.err $out/$base.compile.txt
  "$here"/sandbox.sh $ws 1536 "${run[@]}" > /dev/null 2> $out/$base.run.txt; echo "$base: run rc=$?"
done
