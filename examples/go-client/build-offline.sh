#!/usr/bin/env sh
# Builds this example with no module proxy, as CI does: GOPATH mode, against Debian 12's Go
# packages under /usr/share/gocode (golang-google-grpc-dev, golang-google-protobuf-dev and their
# dependencies) and a copy of this checkout's gen/go placed at its module path. Vets and tests it
# first (CGO_ENABLED=0: a static binary, no C compiler needed). Usage: build-offline.sh OUTPUT-BINARY
set -eu
out=${1:?usage: build-offline.sh OUTPUT-BINARY}
case $out in /*) ;; *) out=$PWD/$out ;; esac
here=$(cd "$(dirname "$0")" && pwd)
gen=$here/../../gen/go
module=$(sed -n 's/^module //p' "$gen/go.mod")
system=${GO_SYSTEM_GOPATH:-/usr/share/gocode}
[ -d "$system/src/google.golang.org/grpc" ] || {
  echo "build-offline.sh: no grpc-go under $system/src (Debian: apt-get install golang-go golang-google-grpc-dev golang-github-golang-protobuf-1-5-dev)" >&2
  exit 1
}

gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/$module" "$gopath/src/example/go-client"
cp -R "$gen/." "$gopath/src/$module/"
cp "$here"/*.go "$gopath/src/example/go-client/"
cd "$gopath/src/example/go-client"
export GO111MODULE=off GOPATH="$gopath:$system" GOFLAGS= CGO_ENABLED=0
go vet . "$module/..."
go test -count=1 .
go build -o "$out" .
