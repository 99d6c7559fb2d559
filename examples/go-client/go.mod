// With a module proxy: `go mod tidy && go build .` (the replace builds against this checkout's
// gen/go; drop it to use a published version). Offline, as CI does: ./build-offline.sh OUTPUT.
module github.com/container-registry/harbor-satellite-ts/examples/go-client

go 1.19

require (
	github.com/container-registry/harbor-satellite-ts/gen/go v0.0.0
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)

replace github.com/container-registry/harbor-satellite-ts/gen/go => ../../gen/go
