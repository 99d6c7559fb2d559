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

// printFleet writes one row per satellite: what Ground Control wants it to have (groups, config),
// what its heartbeats say (health, when last seen), and the drift verdict with its reason.
func printFleet(w io.Writer, satellites []*fleetv1.Satellite, drift []*heartbeatv1.SatelliteDrift, now time.Time) error {
	byName := make(map[string]*heartbeatv1.SatelliteDrift, len(drift))
	for _, d := range drift {
		byName[d.GetSatellite()] = d
	}
	fmt.Fprintf(w, "%d satellite(s)\n", len(satellites))
	if len(satellites) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREGION\tGROUPS\tCONFIG\tHEALTH\tLAST SEEN\tDRIFT\tREASON")
	for _, sat := range satellites {
		// A satellite created between the two calls has no verdict yet: its columns read "-".
		d := byName[sat.GetName()]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			sat.GetName(), sat.GetRegion(), orDash(strings.Join(sat.GetGroups(), ",")), sat.GetConfigName(),
			enumWord(d.GetHealth().String(), "HEALTH_"), lastSeen(d, now),
			enumWord(d.GetState().String(), "DRIFT_STATE_"), orDash(d.GetReason()))
	}
	return tw.Flush()
}

// enumWord turns HEALTH_NEVER_SEEN into "never-seen" (and an unset value into "-").
func enumWord(name, prefix string) string {
	word := strings.TrimPrefix(name, prefix)
	if word == "UNSPECIFIED" {
		return "-"
	}
	return strings.ReplaceAll(strings.ToLower(word), "_", "-")
}

func lastSeen(d *heartbeatv1.SatelliteDrift, now time.Time) string {
	if d.GetLastSeenTime() == nil {
		return "-"
	}
	at := d.GetLastSeenTime().AsTime()
	return fmt.Sprintf("%s (%s ago)", at.UTC().Format(time.RFC3339), now.Sub(at).Round(time.Second))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
