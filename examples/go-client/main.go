// Command go-client is an example of the generated Go client (gen/go): it logs in to Ground
// Control over gRPC, lists the fleet's satellites with each one's health and drift verdict (are
// its images the ones its groups want?), and prints a table.
//
//	GROUND_CONTROL_PASSWORD=… go-client -url http://127.0.0.1:8080 -username admin
//	printf '%s\n' "$PASSWORD" | go-client -url https://gc.example.com -ca ca.pem
//
// The password comes from GROUND_CONTROL_PASSWORD, else from the first line of standard input,
// never from a flag (argv is readable by every user of the machine). Exit codes: 0 done, 1 a call
// failed, 2 usage.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	fleetv1 "github.com/container-registry/harbor-satellite-ts/gen/go/harbor/satellite/fleet/v1"
	heartbeatv1 "github.com/container-registry/harbor-satellite-ts/gen/go/harbor/satellite/heartbeat/v1"
	identityv1 "github.com/container-registry/harbor-satellite-ts/gen/go/harbor/satellite/identity/v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const passwordEnv = "GROUND_CONTROL_PASSWORD"

// usageError is a mistake in the command line or input, reported with exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	var usage usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, &usage):
		fmt.Fprintf(os.Stderr, "go-client: %s (see -h)\n", usage.msg)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "go-client: %s\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("go-client", flag.ContinueOnError)
	flags.SetOutput(stderr)
	url := flags.String("url", "http://127.0.0.1:8080", "Ground Control's URL: http:// for plaintext HTTP/2 (h2c), https:// for TLS")
	username := flags.String("username", "admin", "admin user name")
	caFile := flags.String("ca", "", "PEM file of the CA certificates to trust for an https:// URL (default: the system's)")
	timeout := flags.Duration("timeout", 30*time.Second, "deadline for all the calls together")
	flags.Usage = func() {
		fmt.Fprintf(stderr, "usage: go-client [-url URL] [-username NAME] [-ca FILE] [-timeout D]\n"+
			"password: $%s, else the first line of standard input\n", passwordEnv)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if flags.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", flags.Arg(0))}
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn, err := dial(ctx, *url, *caFile)
	if err != nil {
		return err
	}
	defer conn.Close()
	password, err := readPassword(stdin)
	if err != nil {
		return err
	}

	identity := identityv1.NewIdentityServiceClient(conn)
	login, err := identity.Login(ctx, &identityv1.LoginRequest{Username: *username, Password: password})
	if err != nil {
		return callFailed("login", err)
	}
	// Admin rpcs take the session as a bearer token in the call's metadata.
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+login.GetSessionToken())
	defer func() { _, _ = identity.Logout(ctx, &identityv1.LogoutRequest{}) }()

	satellites, err := listSatellites(ctx, fleetv1.NewFleetServiceClient(conn))
	if err != nil {
		return callFailed("list satellites", err)
	}
	drift, err := listDrift(ctx, heartbeatv1.NewHeartbeatServiceClient(conn))
	if err != nil {
		return callFailed("list satellite drift", err)
	}
	return printFleet(stdout, satellites, drift, time.Now())
}

// readPassword takes $GROUND_CONTROL_PASSWORD, else the first line of stdin.
func readPassword(stdin io.Reader) (string, error) {
	if password, ok := os.LookupEnv(passwordEnv); ok && password != "" {
		return password, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", usageError{fmt.Sprintf("no password: set %s or write it on standard input", passwordEnv)}
	}
	return password, nil
}

// callFailed says which call failed with which gRPC code, e.g. "login: Unauthenticated: …".
func callFailed(what string, err error) error {
	if s, ok := status.FromError(err); ok {
		return fmt.Errorf("%s: %s: %s", what, s.Code(), s.Message())
	}
	return fmt.Errorf("%s: %w", what, err)
}
