package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	fleetv1 "github.com/container-registry/harbor-satellite-ts/gen/go/harbor/satellite/fleet/v1"
	heartbeatv1 "github.com/container-registry/harbor-satellite-ts/gen/go/harbor/satellite/heartbeat/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestPrintFleet(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	satellites := []*fleetv1.Satellite{
		{Name: "edge-a", Region: "eu-west", Groups: []string{"web", "db"}, ConfigName: "default"},
		{Name: "edge-b", Region: "default", ConfigName: "default"},
	}
	statuses := []*heartbeatv1.SatelliteStatus{
		{Name: "edge-a", Health: heartbeatv1.Health_HEALTH_ONLINE, LastSeenTime: timestamppb.New(now.Add(-12 * time.Second)),
			Latest: &heartbeatv1.SyncRequest{ImageCount: 3, Errors: []*heartbeatv1.ImageError{{Reference: "web/x:1"}}}},
		{Name: "edge-b", Health: heartbeatv1.Health_HEALTH_NEVER_SEEN},
	}
	var out bytes.Buffer
	if err := printFleet(&out, satellites, statuses, now); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"2 satellite(s)",
		"NAME    REGION   GROUPS  CONFIG   HEALTH      LAST SEEN                       IMAGES  ERRORS",
		"edge-a  eu-west  web,db  default  online      2025-01-02T03:03:53Z (12s ago)  3       1",
		"edge-b  default  -       default  never-seen  -                               -       -",
		"",
	}, "\n")
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
