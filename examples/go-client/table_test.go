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
		{Name: "edge-c", Region: "default", ConfigName: "default"},
	}
	drift := []*heartbeatv1.SatelliteDrift{
		{Satellite: "edge-a", Health: heartbeatv1.Health_HEALTH_ONLINE, LastSeenTime: timestamppb.New(now.Add(-12 * time.Second)),
			State: heartbeatv1.DriftState_DRIFT_STATE_IN_SYNC, Reason: "all 2 desired images held"},
		{Satellite: "edge-b", Health: heartbeatv1.Health_HEALTH_NEVER_SEEN, State: heartbeatv1.DriftState_DRIFT_STATE_NEVER_SEEN, Reason: "no heartbeat yet"},
	}
	var out bytes.Buffer
	if err := printFleet(&out, satellites, drift, now); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"3 satellite(s)",
		"NAME    REGION   GROUPS  CONFIG   HEALTH      LAST SEEN                       DRIFT       REASON",
		"edge-a  eu-west  web,db  default  online      2025-01-02T03:03:53Z (12s ago)  in-sync     all 2 desired images held",
		"edge-b  default  -       default  never-seen  -                               never-seen  no heartbeat yet",
		"edge-c  default  -       default  -           -                               -           -",
		"",
	}, "\n")
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
