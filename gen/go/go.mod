// Hand-written (scripts/generate.mjs keeps it): the Go client for Ground Control's API, generated
// from proto/harbor/satellite by protoc-gen-go and protoc-gen-go-grpc. The requirements are the
// oldest versions the generated code needs (Debian 12's, which CI builds against offline).
module github.com/container-registry/harbor-satellite-ts/gen/go

go 1.19

require (
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)
