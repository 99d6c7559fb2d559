package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// dial opens a gRPC connection to Ground Control's one port: plaintext HTTP/2 (h2c, prior
// knowledge) for an http:// URL, as a local Ground Control serves; TLS for https://, trusting
// caFile's certificates when given, else the system's.
func dial(ctx context.Context, rawURL, caFile string) (*grpc.ClientConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, usageError{fmt.Sprintf("-url %q: want http://host[:port] or https://host[:port]", rawURL)}
	}
	var transport grpc.DialOption
	port := u.Port()
	switch u.Scheme {
	case "http":
		if caFile != "" {
			return nil, usageError{"-ca is for an https:// URL"}
		}
		// grpc.WithInsecure is what grpc-go v1.33 (Debian 12's) has; newer versions also offer
		// grpc.WithTransportCredentials(insecure.NewCredentials()).
		transport = grpc.WithInsecure()
		if port == "" {
			port = "80"
		}
	case "https":
		config := &tls.Config{MinVersion: tls.VersionTLS12}
		if caFile != "" {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return nil, usageError{fmt.Sprintf("-ca: %v", err)}
			}
			config.RootCAs = x509.NewCertPool()
			if !config.RootCAs.AppendCertsFromPEM(pem) {
				return nil, usageError{fmt.Sprintf("-ca %s: no PEM certificate in it", caFile)}
			}
		}
		transport = grpc.WithTransportCredentials(credentials.NewTLS(config))
		if port == "" {
			port = "443"
		}
	default:
		return nil, usageError{fmt.Sprintf("-url %q: the scheme must be http or https", rawURL)}
	}
	// Not blocking: a Ground Control that does not answer fails the first call with Unavailable.
	return grpc.DialContext(ctx, net.JoinHostPort(u.Hostname(), port), transport)
}
