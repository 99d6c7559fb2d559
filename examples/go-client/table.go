package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	fleetv1 "github.com/container-registry/harbor-satellite-ts/gen/go/harbor/satellite/fleet/v1"
	heartbeatv1 "github.com/container-registry/harbor-satellite-ts/gen/go/harbor/satellite/heartbeat/v1"
)

// printFleet writes one row per satellite: what Ground Control wants it to have (groups, config)
// and what its heartbeats say (health, when last seen, images held and failing).
func printFleet(w io.Writer, satellites []*fleetv1.Satellite, statuses []*heartbeatv1.SatelliteStatus, now time.Time) error {
	byName := make(map[string]*heartbeatv1.SatelliteStatus, len(statuses))
	for _, s := range statuses {
		byName[s.GetName()] = s
	}
	fmt.Fprintf(w, "%d satellite(s)\n", len(satellites))
	if len(satellites) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREGION\tGROUPS\tCONFIG\tHEALTH\tLAST SEEN\tIMAGES\tERRORS")
	for _, sat := range satellites {
		status := byName[sat.GetName()]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			sat.GetName(), sat.GetRegion(), orDash(strings.Join(sat.GetGroups(), ",")), sat.GetConfigName(),
			health(status.GetHealth()), lastSeen(status, now), count(status, int64(status.GetLatest().GetImageCount())),
			count(status, int64(len(status.GetLatest().GetErrors()))))
	}
	return tw.Flush()
}

// health turns HEALTH_NEVER_SEEN into "never-seen".
func health(h heartbeatv1.Health) string {
	if h == heartbeatv1.Health_HEALTH_UNSPECIFIED {
		return "-"
	}
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(h.String(), "HEALTH_")), "_", "-")
}

func lastSeen(status *heartbeatv1.SatelliteStatus, now time.Time) string {
	if status.GetLastSeenTime() == nil {
		return "-"
	}
	at := status.GetLastSeenTime().AsTime()
	return fmt.Sprintf("%s (%s ago)", at.UTC().Format(time.RFC3339), now.Sub(at).Round(time.Second))
}

// count prints n, or "-" for a satellite that never reported.
func count(status *heartbeatv1.SatelliteStatus, n int64) string {
	if status.GetLatest() == nil {
		return "-"
	}
	return fmt.Sprint(n)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
